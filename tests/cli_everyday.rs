//! ruff's everyday flags and config keys, end to end: `--show-fixes`, a
//! flow on stdin (`-`, `--stdin-filename`), `config-schema`, and the
//! config's `extend` and `per-file-ignores`.

mod cli_common;
use cli_common::*;
use serde_json::Value;
use std::path::Path;

fn out(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// OLD_FLOW with a second task of an old type name.
const TWO_OLD: &str = "id: f\nnamespace: n\ntasks:\n  - id: a\n    type: io.kestra.core.tasks.log.Log\n    message: hi\n  - id: b\n    type: io.kestra.core.tasks.log.Log\n    message: ho\n";

const RENAMES: &str = "migrate-renamed-types (Rename deprecated plugin type aliases and `taskDefaults` to their current names)";

// --show-fixes

#[test]
fn show_fixes_lists_what_an_apply_run_changed_per_file_and_codemod() {
    let dir = repo();
    write(dir.path(), "a.yaml", TWO_OLD);
    write(dir.path(), "b.yaml", OLD_FLOW);
    write(dir.path(), "c.yaml", NEW_FLOW);
    let o = kestra_fix(dir.path())
        .args(["--show-fixes", "."])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(
        out(&o),
        format!("\nFixed 3 errors:\n- a.yaml:\n    2 × {RENAMES}\n- b.yaml:\n    1 × {RENAMES}\n")
    );
    // Without the flag an apply run with nothing left prints nothing.
    write(dir.path(), "a.yaml", TWO_OLD);
    let o = kestra_fix(dir.path()).arg(".").output().unwrap();
    assert_eq!(out(&o), "");
    // Nothing fixed: no list.
    let o = kestra_fix(dir.path())
        .args(["--show-fixes", "."])
        .output()
        .unwrap();
    assert_eq!(out(&o), "");
}

#[test]
fn show_fixes_in_a_dry_run_goes_to_stderr_and_says_would() {
    let dir = repo();
    write(dir.path(), "a.yaml", TWO_OLD);
    let o = kestra_fix(dir.path())
        .args(["--show-fixes", "--dry-run", "a.yaml"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        out(&o).starts_with("diff --git a/a.yaml b/a.yaml\n"),
        "{}",
        out(&o)
    );
    assert!(!out(&o).contains("Would fix"));
    assert!(
        err(&o).contains(&format!(
            "Would fix 2 errors:\n- a.yaml:\n    2 × {RENAMES}\n"
        )),
        "{}",
        err(&o)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.yaml")).unwrap(),
        TWO_OLD
    );
}

#[test]
fn show_fixes_is_for_the_text_format_only() {
    let dir = repo();
    write(dir.path(), "a.yaml", TWO_OLD);
    let o = kestra_fix(dir.path())
        .args(["--show-fixes", "--output-format", "json", "a.yaml"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&o.stdout).expect("stdout is the JSON report alone");
    assert!(report.is_object());
    assert!(!err(&o).contains("Fixed 2"), "{}", err(&o));
}

// A flow on stdin

#[test]
fn stdin_prints_the_fixed_flow_and_writes_nothing() {
    let dir = repo();
    let before = tree(dir.path());
    let o = kestra_fix(dir.path())
        .arg("-")
        .write_stdin(OLD_FLOW)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(out(&o), NEW_FLOW);
    assert_eq!(tree(dir.path()), before);
    // Nothing to fix: the text as it came.
    let o = kestra_fix(dir.path())
        .arg("-")
        .write_stdin(NEW_FLOW)
        .output()
        .unwrap();
    assert_eq!(out(&o), NEW_FLOW);
    // Not a flow: passed through too.
    let o = kestra_fix(dir.path())
        .arg("-")
        .write_stdin("a: 1\n")
        .output()
        .unwrap();
    assert_eq!((o.status.code(), out(&o).as_str()), (Some(0), "a: 1\n"));
}

#[test]
fn stdin_findings_go_to_stderr_and_show_fixes_too() {
    let dir = repo();
    let o = kestra_fix(dir.path())
        .args(["--show-fixes", "--stdin-filename", "flows/x.yaml", "-"])
        .write_stdin(TWO_OLD)
        .output()
        .unwrap();
    assert!(out(&o).starts_with("id: f\n"), "{}", out(&o));
    assert!(!out(&o).contains("Fixed"));
    assert!(
        err(&o).contains(&format!(
            "Fixed 2 errors:\n- flows/x.yaml:\n    2 × {RENAMES}"
        )),
        "{}",
        err(&o)
    );
    // A machine format goes to stderr, alone.
    let o = kestra_fix(dir.path())
        .args(["--output-format", "json", "-"])
        .write_stdin(OLD_FLOW)
        .output()
        .unwrap();
    assert_eq!(out(&o), NEW_FLOW);
    let report: Value = serde_json::from_slice(&o.stderr).expect("stderr is the report alone");
    assert_eq!(report["findings"][0]["path"], "-", "{report:#}");
}

#[test]
fn stdin_dry_run_prints_the_patch_under_the_stdin_filename() {
    let dir = repo();
    let o = kestra_fix(dir.path())
        .args(["--dry-run", "--stdin-filename", "flows/x.yaml", "-"])
        .write_stdin(OLD_FLOW)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        out(&o).starts_with("diff --git a/flows/x.yaml b/flows/x.yaml\n--- a/flows/x.yaml\n"),
        "{}",
        out(&o)
    );
    assert!(
        err(&o).contains("flows/x.yaml:5:11: migrate-renamed-types:"),
        "{}",
        err(&o)
    );
    // `--stdin-filename` alone reads stdin too.
    let o = kestra_fix(dir.path())
        .args(["--stdin-filename", "x.yaml"])
        .write_stdin(OLD_FLOW)
        .output()
        .unwrap();
    assert_eq!(out(&o), NEW_FLOW);
}

#[test]
fn stdin_filename_decides_the_config_and_per_file_ignores() {
    let dir = repo();
    write(
        dir.path(),
        "kestra-fix.toml",
        "per-file-ignores = { \"legacy/*.yaml\" = [\"migrate-renamed-types\"] }\n",
    );
    write(
        dir.path(),
        "team/kestra-fix.toml",
        "ignore = [\"deprecated\"]\n",
    );
    let run = |name: &str| {
        let o = kestra_fix(dir.path())
            .args(["--stdin-filename", name, "-"])
            .write_stdin(OLD_FLOW)
            .output()
            .unwrap();
        out(&o)
    };
    assert_eq!(run("flows/a.yaml"), NEW_FLOW);
    assert_eq!(
        run("legacy/a.yaml"),
        OLD_FLOW,
        "per-file-ignores match the name"
    );
    assert_eq!(
        run("team/a.yaml"),
        OLD_FLOW,
        "discovery starts at its folder"
    );
}

#[test]
fn stdin_never_creates_files_the_fix_stays_a_finding_that_says_so() {
    let dir = repo();
    write(
        dir.path(),
        "kestra-fix.toml",
        "select = [\"extract-inline-scripts\"]\n[extract-inline-scripts]\nmin-lines = 1\n",
    );
    let flow = "id: etl\nnamespace: company.team\ntasks:\n  - id: report\n    type: io.kestra.plugin.scripts.shell.Script\n    script: |\n      echo one\n      echo two\n";
    let before = tree(dir.path());
    for dry_run in [false, true] {
        let mut cmd = kestra_fix(dir.path());
        if dry_run {
            cmd.arg("--dry-run");
        }
        let o = cmd
            .args(["--stdin-filename", "etl.yaml", "-"])
            .write_stdin(flow)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{}", err(&o));
        assert_eq!(out(&o), if dry_run { "" } else { flow });
        assert!(
            err(&o).contains("etl.yaml:6:5: extract-inline-scripts:")
                && err(&o).contains(
                    "(not applied: this fix creates files, which a run on standard input does not write)"
                ),
            "{}",
            err(&o)
        );
        assert_eq!(tree(dir.path()), before);
    }
}

#[test]
fn stdin_invalid_yaml_and_mixed_paths_are_errors() {
    let dir = repo();
    let o = kestra_fix(dir.path())
        .args(["--stdin-filename", "flows/x.yaml", "-"])
        .write_stdin("id: [\n")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).starts_with("flows/x.yaml:1:5: error: invalid YAML:"),
        "{}",
        err(&o)
    );
    let o = kestra_fix(dir.path())
        .arg("-")
        .write_stdin("id: [\n")
        .output()
        .unwrap();
    assert!(
        err(&o).starts_with("-:1:5: error: invalid YAML:"),
        "{}",
        err(&o)
    );
    write(dir.path(), "a.yaml", OLD_FLOW);
    let o = kestra_fix(dir.path())
        .args(["-", "a.yaml"])
        .write_stdin(OLD_FLOW)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        err(&o),
        "error: `-` (a flow on stdin) cannot be combined with other paths\n"
    );
    assert_eq!(out(&o), "");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.yaml")).unwrap(),
        OLD_FLOW
    );
}

// config-schema

fn schema(dir: &Path) -> Value {
    let o = kestra_fix(dir).arg("config-schema").output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    serde_json::from_slice(&o.stdout).expect("the schema is JSON")
}

/// Checks `value` against the keywords the config schema uses: `$ref`,
/// `type`, `enum`, `properties`, `additionalProperties`, `items`.
fn check(root: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(r) = schema["$ref"].as_str() {
        let target = root
            .pointer(r.trim_start_matches('#'))
            .ok_or(format!("{at}: dangling $ref {r}"))?;
        return check(root, target, value, at);
    }
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let allowed = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![kind],
    };
    let widened = kind == "integer" && allowed.contains(&"number");
    if !(allowed.contains(&kind) || widened) {
        return Err(format!("{at}: {kind} is not {allowed:?}"));
    }
    if let Some(options) = schema["enum"].as_array() {
        if !options.contains(value) {
            return Err(format!("{at}: {value} is not one of the enum"));
        }
    }
    if let (Value::Object(map), Some(props)) = (value, schema["properties"].as_object()) {
        for (k, v) in map {
            match props.get(k) {
                Some(s) => check(root, s, v, &format!("{at}.{k}"))?,
                None => match &schema["additionalProperties"] {
                    Value::Bool(false) => return Err(format!("{at}: unknown key `{k}`")),
                    Value::Object(_) => check(
                        root,
                        &schema["additionalProperties"],
                        v,
                        &format!("{at}.{k}"),
                    )?,
                    _ => {}
                },
            }
        }
    } else if let Value::Object(map) = value {
        if schema["additionalProperties"].is_object() {
            for (k, v) in map {
                check(
                    root,
                    &schema["additionalProperties"],
                    v,
                    &format!("{at}.{k}"),
                )?;
            }
        }
    }
    if let (Value::Array(items), Some(item)) = (value, schema.get("items")) {
        for (i, v) in items.iter().enumerate() {
            check(root, item, v, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

fn validate(schema: &Value, toml_text: &str) -> Result<(), String> {
    let value: toml::Value = toml::from_str(toml_text).map_err(|e| e.to_string())?;
    check(schema, schema, &serde_json::to_value(value).unwrap(), "")
}

#[test]
fn config_schema_lists_every_codemod_and_family() {
    let dir = repo();
    let schema = schema(dir.path());
    let names = &schema["$defs"]["CodemodName"]["enum"];
    for c in kestra_fix::codemods::all() {
        assert!(
            names.as_array().unwrap().contains(&Value::from(c.name())),
            "{} missing from the name enum",
            c.name()
        );
        assert_eq!(
            schema["properties"][c.name()]["type"],
            "object",
            "{}",
            c.name()
        );
    }
    for family in kestra_fix::codemods::Family::ALL {
        assert!(names
            .as_array()
            .unwrap()
            .contains(&Value::from(family.name())));
    }
    for key in [
        "extend",
        "select",
        "ignore",
        "unsafe-fixes",
        "target-version",
        "plugin-catalogs",
        "per-file-ignores",
    ] {
        assert!(
            schema["properties"][key]["type"].is_string(),
            "{key}: no null in TOML"
        );
    }
    assert_eq!(schema["additionalProperties"], false);
}

#[test]
fn the_readme_config_and_a_test_config_validate_against_the_schema() {
    let dir = repo();
    let schema = schema(dir.path());
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = &readme[readme.find("## Configuration").unwrap()..];
    let start = section.find("```toml\n").unwrap() + "```toml\n".len();
    let example = &section[start..start + section[start..].find("```").unwrap()];
    assert_contains(example, "per-file-ignores");
    validate(&schema, example).unwrap();
    // The README's example is a real config, too.
    write(dir.path(), "kestra-fix.toml", example);
    write(dir.path(), "base.toml", "");
    write(dir.path(), "plugins.json", "{\"types\": {}}");
    write(dir.path(), "a.yaml", NEW_FLOW);
    let o = kestra_fix(dir.path()).arg("a.yaml").output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));

    let config = "extend = \"../kestra-fix.toml\"\nselect = [\"migrate-2.0\", \"fetch-to-store\"]\ntarget-version = \"2.0\"\n[per-file-ignores]\n\"legacy/**/*.yaml\" = [\"deprecated\"]\n[fetch-to-store]\nfetch-size = 1000\n";
    validate(&schema, config).unwrap();
    // The check has teeth.
    for bad in [
        "colour = 1\n",
        "select = [\"nope\"]\n",
        "unsafe-fixes = \"yes\"\n",
        "per-file-ignores = { \"a\" = [\"nope\"] }\n",
        "fetch-to-store = 1\n",
    ] {
        assert!(validate(&schema, bad).is_err(), "{bad}");
    }
}

// extend and per-file-ignores

#[test]
fn extend_takes_the_parent_and_overrides_keys_it_sets() {
    let dir = repo();
    write(
        dir.path(),
        "kestra-fix.toml",
        "ignore = [\"migrate-renamed-types\"]\n",
    );
    write(
        dir.path(),
        "a/kestra-fix.toml",
        "extend = \"../kestra-fix.toml\"\n",
    );
    write(
        dir.path(),
        "b/kestra-fix.toml",
        "extend = \"../kestra-fix.toml\"\nignore = []\n",
    );
    write(dir.path(), "a/f.yaml", OLD_FLOW);
    write(dir.path(), "b/f.yaml", OLD_FLOW);
    let o = kestra_fix(dir.path()).arg(".").output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let read = |p: &str| std::fs::read_to_string(dir.path().join(p)).unwrap();
    assert_eq!(read("a/f.yaml"), OLD_FLOW, "the parent's ignore holds");
    assert_eq!(read("b/f.yaml"), NEW_FLOW, "the child's ignore replaces it");
}

#[test]
fn an_extend_cycle_is_an_error_naming_the_chain() {
    let dir = repo();
    write(
        dir.path(),
        "kestra-fix.toml",
        "extend = \"a/kestra-fix.toml\"\n",
    );
    write(
        dir.path(),
        "a/kestra-fix.toml",
        "\nextend = \"../kestra-fix.toml\"\n",
    );
    write(dir.path(), "a/f.yaml", OLD_FLOW);
    let o = kestra_fix(dir.path()).arg("a").output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).starts_with(
            "kestra-fix.toml:1:10: error: invalid config: `extend` cycle: a/kestra-fix.toml -> kestra-fix.toml -> a/kestra-fix.toml\n"
        ),
        "{}",
        err(&o)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a/f.yaml")).unwrap(),
        OLD_FLOW
    );
}

#[test]
fn per_file_ignores_skip_codemods_for_matching_files() {
    let dir = repo();
    write(
        dir.path(),
        "flows/kestra-fix.toml",
        "[per-file-ignores]\n\"legacy/*.yaml\" = [\"migrate-renamed-types\"]\n\"tmp_*.yml\" = [\"deprecated\"]\n",
    );
    for f in [
        "flows/legacy/a.yaml",
        "flows/new/a.yaml",
        "flows/x/tmp_1.yml",
        "legacy/a.yaml",
    ] {
        write(dir.path(), f, OLD_FLOW);
    }
    let o = kestra_fix(dir.path()).arg(".").output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let read = |p: &str| std::fs::read_to_string(dir.path().join(p)).unwrap();
    assert_eq!(read("flows/legacy/a.yaml"), OLD_FLOW);
    assert_eq!(
        read("flows/x/tmp_1.yml"),
        OLD_FLOW,
        "a name pattern matches anywhere"
    );
    assert_eq!(read("flows/new/a.yaml"), NEW_FLOW);
    assert_eq!(
        read("legacy/a.yaml"),
        NEW_FLOW,
        "globs are relative to their config"
    );

    write(
        dir.path(),
        "flows/kestra-fix.toml",
        "[per-file-ignores]\n\"legacy/*.yaml\" = [\"migrate-renamed-type\"]\n",
    );
    let o = kestra_fix(dir.path()).arg("flows").output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).starts_with("flows/kestra-fix.toml:2:20: error: invalid config: unknown codemod `migrate-renamed-type`; did you mean `migrate-renamed-types`?\n"),
        "{}",
        err(&o)
    );
}
