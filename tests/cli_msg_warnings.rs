//! Messages that name what is wrong and what was probably meant:
//! suppressions, config values, codemod names, subcommands, skipped files.

mod cli_common;
use cli_common::*;

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

const SUPPRESSED: &str = "id: f\nnamespace: n\ntasks:\n  - id: a # kestra-fix: ignore[hoist-plugn-defaults]\n    type: io.kestra.plugin.core.log.Log\n  # kestra-fix: ignore[migrate-renamed-types]\n  - id: b\n    type: io.kestra.plugin.core.log.Log\n  - id: c\n    type: io.kestra.core.tasks.log.Log # kestra-fix: ignore[migrate-renamed-types]\n";

#[test]
fn unknown_and_unused_suppressions_are_warnings() {
    let dir = repo();
    std::fs::write(dir.path().join("f.yaml"), SUPPRESSED).unwrap();
    let out = kestra_fix(dir.path()).output().unwrap();
    // The used suppression holds; warnings leave the exit code alone.
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("f.yaml")).unwrap(),
        SUPPRESSED
    );
    let stderr = stderr_of(&out);
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.contains("warning:")).collect();
    assert_eq!(
        warnings,
        [
            "f.yaml:4:11: warning: suppression names an unknown codemod `hoist-plugn-defaults`; did you mean `hoist-plugin-defaults`?",
            "f.yaml:6:3: warning: unused suppression: `migrate-renamed-types` has nothing to fix here",
        ],
        "{stderr}"
    );
    assert_contains(&stderr, "0 errors, 2 warnings");

    let out = kestra_fix(dir.path())
        .arg("--warnings-as-errors")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));

    // A codemod that did not run cannot have used its suppression.
    let out = kestra_fix(dir.path())
        .args(["--select", "fetch-to-store"])
        .output()
        .unwrap();
    assert_eq!(stderr_of(&out).matches("unused suppression").count(), 0);
}

#[test]
fn a_wrongly_typed_option_names_its_key_and_line() {
    let dir = repo();
    std::fs::write(
        dir.path().join("kestra-fix.toml"),
        "ignore = []\n[fetch-to-store]\n# rows per fetch\nfetch-size = \"10000\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("f.yaml"), OLD_FLOW).unwrap();
    let out = kestra_fix(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = stderr_of(&out);
    assert_contains(&stderr, "kestra-fix.toml:4:1: error: invalid config: `fetch-to-store.fetch-size`: invalid type: string \"10000\"");
}

#[test]
fn an_unknown_codemod_name_gets_a_suggestion() {
    let dir = repo();
    std::fs::write(dir.path().join("f.yaml"), OLD_FLOW).unwrap();
    for flag in ["--select", "--ignore"] {
        let out = kestra_fix(dir.path())
            .args([flag, "migrate-renamed-types,hoist-plugn-defaults"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let stderr = stderr_of(&out);
        assert_contains(
            &stderr,
            "unknown codemod `hoist-plugn-defaults`; did you mean `hoist-plugin-defaults`?",
        );
        assert!(!stderr.contains("invalid config"), "{stderr}");
    }
    std::fs::write(
        dir.path().join("kestra-fix.toml"),
        "select = [\"fetch-to-stor\"]\n",
    )
    .unwrap();
    let out = kestra_fix(dir.path()).output().unwrap();
    assert!(
        stderr_of(&out).contains("unknown codemod `fetch-to-stor`; did you mean `fetch-to-store`?"),
        "{}",
        stderr_of(&out)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("f.yaml")).unwrap(),
        OLD_FLOW
    );

    let out = kestra_fix(dir.path())
        .args(["explain", "split-flw"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("unknown codemod `split-flw`; did you mean `split-flow`?"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn a_mistyped_subcommand_is_not_read_as_a_file() {
    let dir = repo();
    let out = kestra_fix(dir.path()).arg("lsit").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = stderr_of(&out);
    assert_contains(&stderr, "did you mean `kestra-fix list`?");
    assert!(!stderr.contains("cannot read"), "{stderr}");

    // A real file of that name is fixed as usual, and a far-off name is
    // just missing.
    std::fs::write(dir.path().join("lsit"), OLD_FLOW).unwrap();
    let out = kestra_fix(dir.path()).arg("lsit").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let out = kestra_fix(dir.path()).arg("flows").output().unwrap();
    assert!(
        stderr_of(&out).contains("flows: error: cannot read"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn a_flow_missing_a_required_key_is_counted_and_explained() {
    let dir = repo();
    std::fs::write(
        dir.path().join("typo.yaml"),
        "id: f\nnamespace: n\ntaks:\n  - id: a\n    type: io.kestra.core.tasks.log.Log\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("compose.yml"), "services:\n  app: {}\n").unwrap();
    let out = kestra_fix(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = stderr_of(&out);
    assert_contains(&stderr, "kestra-fix: 2 files, 0 flows, 1 skipped,");
    assert!(!stderr.contains("typo.yaml"), "{stderr}");

    let out = kestra_fix(dir.path()).arg("-v").output().unwrap();
    let stderr = stderr_of(&out);
    assert_contains(
        &stderr,
        "typo.yaml: skipped: looks like a flow but has no `tasks` (is `taks` a misspelling?)",
    );
    assert_contains(&stderr, "compose.yml: skipped: not a Kestra flow");
}
