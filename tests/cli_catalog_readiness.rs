//! 2.0 readiness: with `--target-version 2.0` every construct 2.0 rejects
//! is a finding; `--statistics` counts them and the flows' readiness.

mod cli_common;
use cli_common::*;

const LEGACY: &str = "\
id: legacy
namespace: company.team
tasks:
  - id: py
    type: io.kestra.plugin.scripts.python.Script
    runner: DOCKER
    docker:
      image: python:3.11
    script: print(1)
  - id: items
    type: io.kestra.plugin.core.flow.ForEachItem
    items: \"{{ inputs.file }}\"
    namespace: company.team
    flowId: child
  - id: each
    type: io.kestra.core.tasks.flows.EachSequential
    value: [\"a\", \"b\"]
    tasks:
      - id: log
        type: io.kestra.core.tasks.log.Log
        message: \"{{ taskrun.value }}\"
  - id: bash
    type: io.kestra.core.tasks.scripts.Bash
    workerGroup:
      key: gpu
    commands:
      - echo hi
";

const READY: &str = "\
id: ready
namespace: company.team
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: hi
";

/// Only a rename left: fixable.
const RENAME_ONLY: &str = "\
id: rename
namespace: company.team
tasks:
  - id: log
    type: io.kestra.core.tasks.log.Log
    message: hi
";

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [
        ("legacy.yaml", LEGACY),
        ("ready.yaml", READY),
        ("rename.yaml", RENAME_ONLY),
    ] {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

#[test]
fn every_construct_2_0_rejects_is_a_finding() {
    let dir = setup();
    let out = kestra_fix(dir.path())
        .args([
            "--dry-run",
            "--target-version",
            "2.0",
            "--output-format",
            "json",
            "legacy.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    let findings: Vec<(u64, String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["line"].as_u64().unwrap(),
                f["codemod"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let at = |line: u64, codemod: &str, text: &str| {
        assert!(
            findings
                .iter()
                .any(|(l, c, m)| *l == line && c == codemod && m.contains(text)),
            "no {codemod} finding at line {line} with {text:?}: {findings:#?}"
        )
    };
    // `runner`/`docker` have a rule that rewrites them: its finding names them.
    at(
        6,
        "legacy-script-runner",
        "`runner` and `docker` are the legacy script runner",
    );
    at(
        11,
        "removed-types",
        "ForEachItem` was removed in Kestra 2.0",
    );
    at(
        16,
        "removed-types",
        "EachSequential` (`io.kestra.plugin.core.flow.EachSequential`) was removed in Kestra 2.0",
    );
    at(24, "unknown-properties", "`workerGroup` was removed");
    assert_eq!(
        report["summary"]["by_codemod"]["removed-types"]["fixable"],
        0
    );
    assert_eq!(report["summary"]["readiness_2_0"]["need_manual_work"], 1);

    // The same flow on 1.3: no 2.0 detector, no readiness.
    let out = kestra_fix(dir.path())
        .args(["--dry-run", "--output-format", "json", "legacy.yaml"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    assert!(report["summary"]["readiness_2_0"].is_null());
    assert!(report["summary"]["by_codemod"]
        .get("removed-types")
        .is_none());
}

#[test]
fn statistics_count_per_codemod_and_readiness_per_flow() {
    let dir = setup();
    let out = kestra_fix(dir.path())
        .args(["--dry-run", "--statistics", "--target-version", "2.0", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let table: Vec<&str> = stderr
        .lines()
        .take_while(|l| !l.starts_with("kestra-fix:"))
        .collect();
    assert_eq!(
        table,
        [
            "FINDINGS   FIXABLE  CODEMOD",
            "       2         1  foreach-to-loop",
            "       2         2  migrate-renamed-types",
            "       2         0  removed-types",
            "       1         1  legacy-script-runner",
            "       1         0  unknown-properties",
            "       1         1  worker-group-to-selector",
            "       9         5  total",
            "2.0 readiness: 1 flow ready, 1 needs fixes, 1 needs manual work",
        ],
        "{stderr}"
    );
    // Once the rename is applied that flow is ready; the readiness line
    // follows the summary when there is no table.
    let out = kestra_fix(dir.path())
        .args(["--target-version", "2.0", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.ends_with("2.0 readiness: 2 flows ready, 0 need fixes, 1 needs manual work\n"),
        "{stderr}"
    );
    let out = kestra_fix(dir.path())
        .args(["--target-version", "2.0", "ready.yaml", "rename.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}
