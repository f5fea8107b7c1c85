//! Hostile and invalid input: each file gets `PATH:LINE:COL: error: ...`
//! (exit 2) or is processed normally; the process never aborts, and the
//! other files of the run are still fixed.

mod cli_common;
use cli_common::*;
use std::path::Path;

/// Runs `kestra-fix ARGS` in `dir`: exit code and stderr.
fn run(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = kestra_fix(dir).args(args).output().unwrap();
    (out.status.code(), String::from_utf8(out.stderr).unwrap())
}

/// The 769-byte flow: `variables` nest 8 levels of 10 aliases.
fn alias_bomb() -> String {
    let mut text = "id: bomb\nnamespace: n\nvariables:\n  a0: &a0 [lol]\n".to_string();
    for i in 1..=8 {
        let items = vec![format!("*a{}", i - 1); 10].join(", ");
        text.push_str(&format!("  a{i}: &a{i} [{items}]\n"));
    }
    text.push_str("tasks:\n  - id: a\n    type: io.kestra.plugin.scripts.python.Script\n    containerImage: python:3\n    script: print(1)\n  - id: b\n    type: io.kestra.plugin.scripts.python.Script\n    containerImage: python:3\n    script: print(2)\n");
    text
}

#[test]
fn an_alias_bomb_is_an_error_and_the_other_files_are_fixed() {
    let dir = repo();
    let bomb = alias_bomb();
    std::fs::write(dir.path().join("bomb.yaml"), &bomb).unwrap();
    std::fs::write(dir.path().join("good.yaml"), OLD_FLOW).unwrap();
    for args in [
        &[
            ".",
            "--select",
            "hoist-plugin-defaults,migrate-renamed-types",
        ][..],
        &["."][..],
    ] {
        let (code, stderr) = run(dir.path(), args);
        assert_eq!(code, Some(2), "{stderr}");
        assert_contains(
            &stderr,
            "bomb.yaml:10:12: error: invalid YAML: more than 50 aliases",
        );
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("bomb.yaml")).unwrap(),
        bomb
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("good.yaml")).unwrap(),
        NEW_FLOW
    );

    let (code, stderr) = run(dir.path(), &["debug", "json", "bomb.yaml"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.starts_with("bomb.yaml:10:12: "), "{stderr}");
}

#[test]
fn non_ascii_characters_in_pebble_expressions_do_not_abort() {
    let dir = repo();
    let flow = "id: f\nnamespace: n\ntasks:\n  - id: q\n    type: io.kestra.plugin.jdbc.postgresql.Query\n    sql: select 1\n    fetchType: FETCH\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: \"{{ outputs.q.rows[0].prénom }} {% if '日本' %}🎉{% endif %}\"\n";
    std::fs::write(dir.path().join("flow.yaml"), flow).unwrap();
    let (code, stderr) = run(dir.path(), &["--dry-run", "--unsafe-fixes", "."]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_contains(&stderr, "outputs.q.rows[0].prénom");
}

/// Each invalid flow is an error at the same place whatever runs on it.
#[test]
fn spec_invalid_yaml_is_an_error_under_every_selection() {
    let cases = [
        ("bell.yaml", "    message: \"hi\u{7}\"\n", "7:17", "U+0007"),
        ("c1.yaml", "    message: hi\u{9b}\n", "7:16", "U+009B"),
        (
            "nonchar.yaml",
            "    message: hi\u{fffe}\n",
            "7:16",
            "U+FFFE",
        ),
        (
            "undefined.yaml",
            "    message: *nope\n",
            "7:14",
            "undefined alias `*nope`",
        ),
        (
            "recursive.yaml",
            "    message: &a [*a]\n",
            "7:18",
            "recursive alias `*a`",
        ),
    ];
    for selection in [None, Some("migrate-renamed-types"), Some("fetch-to-store")] {
        let dir = repo();
        for (name, line, _, _) in cases {
            std::fs::write(dir.path().join(name), format!("{OLD_FLOW}{line}")).unwrap();
        }
        let mut args = vec!["--dry-run", "."];
        if let Some(s) = selection {
            args.extend(["--select", s]);
        }
        let (code, stderr) = run(dir.path(), &args);
        assert_eq!(code, Some(2), "{stderr}");
        for (name, _, at, what) in cases {
            let expected = format!("{name}:{at}: error: invalid YAML: ");
            let line = stderr
                .lines()
                .find(|l| l.starts_with(&expected))
                .unwrap_or_else(|| panic!("{expected} in {selection:?}:\n{stderr}"));
            assert_contains(line, what);
        }
    }
}

#[test]
fn binary_values_are_valid_and_unresolvable_ones_have_a_position() {
    let dir = repo();
    let binary = format!("{OLD_FLOW}variables:\n  data: !!binary R0lGODlh\n");
    std::fs::write(dir.path().join("binary.yaml"), &binary).unwrap();
    let (code, stderr) = run(dir.path(), &["."]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("binary.yaml")).unwrap(),
        format!("{NEW_FLOW}variables:\n  data: !!binary R0lGODlh\n")
    );

    std::fs::write(
        dir.path().join("binary.yaml"),
        format!("{OLD_FLOW}variables:\n  n: !!int nope\n"),
    )
    .unwrap();
    let (code, stderr) = run(dir.path(), &["."]);
    assert_eq!(code, Some(2), "{stderr}");
    assert_contains(
        &stderr,
        "binary.yaml:8:6: error: invalid YAML: `nope` is not a valid value",
    );
}
