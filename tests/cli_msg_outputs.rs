//! What the outputs carry: nothing a terminal or CI would interpret, one
//! report alone on its stream, SARIF that code scanning can track, and
//! patches that `git apply` takes whatever the file names and line ends.

mod cli_common;
use cli_common::*;
use serde_json::Value;
use std::path::Path;

const OLD_TYPE: &str = "io.kestra.core.tasks.log.Log";
const NEW_TYPE: &str = "io.kestra.plugin.core.log.Log";

fn injected_dir() -> tempfile::TempDir {
    let dir = repo();
    std::fs::write(dir.path().join("x\n::error title=pwn::boom.yaml"), OLD_FLOW).unwrap();
    dir
}

fn assert_no_injected_command(what: &str, output: &[u8]) {
    let output = String::from_utf8_lossy(output);
    assert!(
        !output.lines().any(|l| l.starts_with("::error title=pwn")),
        "{what}:\n{output}"
    );
}

#[test]
fn a_newline_in_a_name_starts_no_workflow_command() {
    let dir = injected_dir();
    for format in ["text", "github"] {
        let out = kestra_fix(dir.path())
            .args(["--dry-run", "--output-format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}");
        assert_no_injected_command(&format!("{format} stdout"), &out.stdout);
        assert_no_injected_command(&format!("{format} stderr"), &out.stderr);
    }
    let out = kestra_fix(dir.path()).arg("--dry-run").output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_contains(
        &stderr,
        "x\\n::error title=pwn::boom.yaml:5:11: migrate-renamed-types",
    );
}

#[test]
fn a_newline_in_a_task_id_starts_no_workflow_command() {
    let dir = repo();
    let flow = "id: f\nnamespace: n\ntasks:\n  - id: \"a\\n::error title=pwn::x\"\n    type: io.kestra.plugin.scripts.shell.Script\n    script: |\n      echo one\n      echo two\n";
    std::fs::write(dir.path().join("f.yaml"), flow).unwrap();
    std::fs::write(
        dir.path().join("kestra-fix.toml"),
        "[extract-inline-scripts]\nmin-lines = 1\n",
    )
    .unwrap();
    let out = kestra_fix(dir.path())
        .args(["--dry-run", "--select", "extract-inline-scripts"])
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    assert_contains(&stderr, "task `a\\n::error title=pwn::x`");
    assert_no_injected_command("stderr", &out.stderr);
}

#[test]
fn a_machine_report_is_alone_on_its_stream() {
    let dir = repo();
    std::fs::write(dir.path().join("f.yaml"), OLD_FLOW).unwrap();
    // An error too: its line must not land in the report's stream either.
    std::fs::write(dir.path().join("bad.yaml"), "id: [\n").unwrap();
    for format in ["json", "sarif"] {
        let out = kestra_fix(dir.path())
            .args(["--dry-run", "--output-format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{format}");
        let doc: Result<Value, _> = serde_json::from_slice(&out.stderr);
        assert!(
            doc.is_ok(),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8(out.stdout)
            .unwrap()
            .starts_with("diff --git"));
    }
    let out = kestra_fix(dir.path())
        .args(["--dry-run", "--output-format", "github"])
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.lines().all(|l| l.starts_with("::")), "{stderr}");
    // Without a dry run the report has stdout; stderr keeps the summary.
    let out = kestra_fix(dir.path())
        .args(["--output-format", "json"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["errors"][0]["path"], "bad.yaml");
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("kestra-fix: 2 files"));
}

fn sarif(dir: &Path, extra: &[&str]) -> Value {
    let out = kestra_fix(dir)
        .args(["--output-format", "sarif", "-o", "out.sarif"])
        .args(extra)
        .output()
        .unwrap();
    assert!(out.status.code().is_some_and(|c| c < 2), "{out:?}");
    serde_json::from_slice(&std::fs::read(dir.join("out.sarif")).unwrap()).unwrap()
}

#[test]
fn sarif_is_what_code_scanning_needs() {
    let dir = repo();
    std::fs::create_dir(dir.path().join("a b")).unwrap();
    let flow = dir.path().join("a b/f.yaml");
    std::fs::write(&flow, OLD_FLOW).unwrap();

    let doc = sarif(dir.path(), &["--dry-run"]);
    let run = &doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for rule in rules {
        assert!(!rule["fullDescription"]["text"].as_str().unwrap().is_empty());
        assert!(!rule["help"]["text"].as_str().unwrap().is_empty());
    }
    // The rules are the codemods that ran (the default selection), each
    // with its family.
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"migrate-renamed-types"), "{ids:?}");
    assert!(!ids.contains(&"split-flow"), "off by default: {ids:?}");
    let renames = rules
        .iter()
        .find(|r| r["id"] == "migrate-renamed-types")
        .unwrap();
    assert_eq!(renames["properties"]["family"], "deprecated");
    let base = run["originalUriBaseIds"]["SRCROOT"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        base.starts_with("file:///") && base.ends_with('/'),
        "{base}"
    );
    let result = &run["results"][0];
    let artifact = &result["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(artifact["uri"], "a%20b/f.yaml");
    assert_eq!(artifact["uriBaseId"], "SRCROOT");
    let fingerprint = result["partialFingerprints"]["kestraFix/v1"].clone();
    assert_eq!(
        fingerprint,
        "migrate-renamed-types:a b/f.yaml:tasks[0].type"
    );

    // Lines move, the fingerprint stays.
    std::fs::write(&flow, format!("# moved down\n\n{OLD_FLOW}")).unwrap();
    let doc = sarif(dir.path(), &["--dry-run"]);
    let result = &doc["runs"][0]["results"][0];
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        7
    );
    assert_eq!(result["partialFingerprints"]["kestraFix/v1"], fingerprint);

    // An apply run fixed it: nothing is left open.
    let doc = sarif(dir.path(), &[]);
    assert_eq!(doc["runs"][0]["results"].as_array().unwrap().len(), 0);
    assert!(std::fs::read_to_string(&flow).unwrap().contains(NEW_TYPE));
}

#[test]
fn the_dry_run_patch_applies_with_git_whatever_the_names_and_line_ends() {
    let dir = repo();
    let lf = OLD_FLOW.to_string();
    let cases: Vec<(&str, String)> = vec![
        ("cr.yaml", lf.replace('\n', "\r")),
        ("crlf.yaml", lf.replace('\n', "\r\n")),
        (
            "mixed.yaml",
            "id: f\r\nnamespace: n\rtasks:\n  - id: log\r\n    type: io.kestra.core.tasks.log.Log\r    message: hi\n".into(),
        ),
        ("ta\tb.yaml", lf.clone()),
        ("new\nline.yaml", lf.clone()),
        ("sp ace.yaml", lf.clone()),
        ("quo\"te.yaml", lf.clone()),
        ("é.yaml", lf.clone()),
    ];
    for (name, text) in &cases {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    git(dir.path(), &["add", "-A"]);
    git(
        dir.path(),
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-qm",
            "flows",
        ],
    );

    let out = kestra_fix(dir.path()).arg("--dry-run").output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let patch = dir.path().join(".git/fix.patch");
    std::fs::write(&patch, &out.stdout).unwrap();
    git(dir.path(), &["apply", patch.to_str().unwrap()]);
    for (name, text) in &cases {
        assert_eq!(
            std::fs::read_to_string(dir.path().join(name)).unwrap(),
            text.replace(OLD_TYPE, NEW_TYPE),
            "{name:?}"
        );
    }
}
