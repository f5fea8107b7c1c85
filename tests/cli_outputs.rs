//! Machine outputs, subcommands and file discovery.

mod cli_common;
use cli_common::*;
use serde_json::Value;

fn flows_dir() -> tempfile::TempDir {
    let dir = repo();
    std::fs::write(dir.path().join("f.yaml"), OLD_FLOW).unwrap();
    dir
}

#[test]
fn json_report_is_one_versioned_document() {
    let dir = flows_dir();
    let out = kestra_fix(dir.path())
        .args(["--output-format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["version"], 1);
    let f = &doc["findings"][0];
    assert_eq!(f["path"], "f.yaml");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(5), Some(11))
    );
    assert_eq!(f["codemod"], "migrate-renamed-types");
    assert_eq!(f["applicability"], "safe");
    assert_eq!(f["fixed"], true);
    assert_eq!(f["refusal"], Value::Null);
    assert_eq!(doc["errors"].as_array().unwrap().len(), 0);
    assert_eq!(doc["changed_files"][0], "f.yaml");
}

/// A finding a codemod leaves to a person names its reason's code, in the
/// JSON report and in SARIF result properties.
#[test]
fn refused_findings_carry_their_refusal_code() {
    let dir = repo();
    std::fs::write(
        dir.path().join("f.yaml"),
        "id: f\nnamespace: n\ntaskDefaults: []\npluginDefaults: []\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n",
    )
    .unwrap();
    let refusal_of = |format: &str, findings: &str| {
        let out = kestra_fix(dir.path())
            .args(["--output-format", format])
            .output()
            .unwrap();
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        let found = doc
            .pointer(findings)
            .and_then(Value::as_array)
            .unwrap()
            .clone();
        found
    };
    let json = refusal_of("json", "/findings");
    let f = json
        .iter()
        .find(|f| f["codemod"] == "migrate-renamed-types")
        .expect("a finding for both defaults keys");
    assert_eq!(f["applicability"], "display-only");
    assert_eq!(f["refusal"], "conflicting-key");
    let sarif = refusal_of("sarif", "/runs/0/results");
    let r = sarif
        .iter()
        .find(|r| r["ruleId"] == "migrate-renamed-types")
        .unwrap();
    assert_eq!(r["properties"]["refusal"], "conflicting-key");
}

#[test]
fn dry_run_keeps_stdout_for_the_patch_and_reports_elsewhere() {
    let dir = flows_dir();
    let out = kestra_fix(dir.path())
        .args(["--dry-run", "--output-format", "json", "-o", "report.json"])
        .output()
        .unwrap();
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .starts_with("diff --git"));
    let doc: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(doc["dry_run"], true);
    assert_eq!(doc["findings"][0]["fixed"], true);
}

#[test]
fn sarif_report_has_rules_and_results() {
    let dir = flows_dir();
    let out = kestra_fix(dir.path())
        .args(["--dry-run", "--output-format", "sarif", "-o", "out.sarif"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out.sarif")).unwrap()).unwrap();
    assert_eq!(doc["version"], "2.1.0");
    let run = &doc["runs"][0];
    assert_eq!(
        run["tool"]["driver"]["rules"][0]["id"],
        "migrate-renamed-types"
    );
    let result = &run["results"][0];
    assert_eq!(result["ruleId"], "migrate-renamed-types");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "f.yaml"
    );
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        5
    );
}

#[test]
fn github_annotations_are_workflow_commands() {
    let dir = flows_dir();
    std::fs::write(
        dir.path().join("bad.yaml"),
        "id: x\nnamespace: y\ntasks: [\n",
    )
    .unwrap();
    let out = kestra_fix(dir.path())
        .args(["--dry-run", "--output-format", "github", "-o", "gh.txt"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = std::fs::read_to_string(dir.path().join("gh.txt")).unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("::warning file=f.yaml,line=5,col=11,")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("::error file=bad.yaml,line=")),
        "{text}"
    );
}

#[test]
fn gitignored_files_are_skipped_unless_no_ignore() {
    let dir = repo();
    std::fs::create_dir(dir.path().join("build")).unwrap();
    std::fs::write(dir.path().join(".gitignore"), "build/\n").unwrap();
    std::fs::write(dir.path().join("build/f.yaml"), OLD_FLOW).unwrap();
    let out = kestra_fix(dir.path()).arg("--dry-run").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let out = kestra_fix(dir.path())
        .args(["--dry-run", "--no-ignore"])
        .output()
        .unwrap();
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("b/build/f.yaml"));
}

#[test]
fn summary_goes_to_stderr_and_quiet_silences_it() {
    let dir = flows_dir();
    let out = kestra_fix(dir.path()).arg("--dry-run").output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_contains(&stderr, "kestra-fix: 1 file, 1 flow, 1 would change; findings: migrate-renamed-types 1 (1 fixable); 0 errors");
    let out = kestra_fix(dir.path())
        .args(["--dry-run", "-q"])
        .output()
        .unwrap();
    assert!(out.stderr.is_empty());
}

#[test]
fn list_explain_and_help() {
    let dir = repo();
    let out = kestra_fix(dir.path()).arg("list").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("  migrate-renamed-types") && l.contains(" on ")),
        "{text}"
    );
    // Codemods are listed under their family.
    let families: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.starts_with("FAMILY"))
        .collect();
    assert_eq!(families, ["best-practice", "deprecated", "migrate-2.0"]);
    let out = kestra_fix(dir.path())
        .args(["list", "--target-version", "0.16"])
        .output()
        .unwrap();
    assert!(String::from_utf8(out.stdout).unwrap().contains(" off "));

    let out = kestra_fix(dir.path())
        .args(["explain", "migrate-renamed-types"])
        .output()
        .unwrap();
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .starts_with("# migrate-renamed-types"));
    let out = kestra_fix(dir.path())
        .args(["explain", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));

    let out = kestra_fix(dir.path()).arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(
        help.contains("Exit codes:") && help.contains("--dry-run"),
        "{help}"
    );
}

#[test]
fn debug_commands() {
    let dir = repo();
    std::fs::write(dir.path().join("f.yaml"), "a: [1, 'x']\n").unwrap();
    std::fs::write(dir.path().join("bad.yaml"), "a: [1\n").unwrap();

    let out = kestra_fix(dir.path())
        .args(["debug", "json", "f.yaml"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "{\"a\":[1,\"x\"]}\n"
    );

    let out = kestra_fix(dir.path())
        .args(["debug", "tokens", "f.yaml"])
        .output()
        .unwrap();
    let tokens: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let text: String = tokens.iter().map(|t| t["text"].as_str().unwrap()).collect();
    assert_eq!(text, "a: [1, 'x']\n", "tokens cover every byte");

    let out = kestra_fix(dir.path())
        .args(["debug", "json", "bad.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .starts_with("bad.yaml:"));

    let out = kestra_fix(dir.path())
        .args(["debug", "tree", "f.yaml"])
        .output()
        .unwrap();
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .starts_with("STREAM@0..12"));
}
