//! Kestra 2.0 readiness end to end: a 1.x flow using only constructs the
//! `migrate-2.0` rules handle comes out of one run (`--target-version 2.0
//! --unsafe-fixes`) as a flow the plugin catalog accepts: a second run at
//! 2.0 has nothing to say (no unknown property, no removed type: exit 0),
//! and nothing changes.

mod cli_common;
use cli_common::*;

const FLOW_1X: &str = "\
id: migrate-me
namespace: company.team

inputs:
  - name: go
    type: BOOLEAN
    defaults: true
  - id: choice
    type: ENUM
    values: [a, b]
    defaults: a

pluginDefaults:
  - type: io.kestra.plugin.core.log.Log
    values:
      level: INFO

tasks:
  - id: echo
    type: io.kestra.core.tasks.debugs.Echo
    format: \"{{ inputs.choice }}\"
  - id: wait
    type: io.kestra.core.tasks.flows.Pause
    delay: PT1S
  - id: py
    type: io.kestra.plugin.scripts.python.Script
    runner: DOCKER
    docker:
      image: python:3.11
    script: print(1)
    retry:
      type: constant
      interval: PT1M
      maxAttempt: 3
  - id: get
    type: io.kestra.core.tasks.states.Get
    name: counter
  - id: clean
    type: io.kestra.plugin.fs.local.Delete
    from: /tmp/x
  - id: req
    type: io.kestra.plugin.core.http.Request
    uri: https://example.com
    options:
      basicAuthUser: me
      basicAuthPassword: \"{{ secret('P') }}\"
  - id: parse
    type: io.kestra.plugin.core.log.Log
    message: \"{{ json(outputs.req.body).a }}\"
  - id: purge
    type: io.kestra.plugin.core.kv.PurgeKV
    expiredOnly: false
";

#[test]
fn a_flow_of_handled_constructs_is_ready_for_2_0_after_one_run() {
    let dir = repo();
    let flow = dir.path().join("flow.yaml");
    std::fs::write(&flow, FLOW_1X).unwrap();

    let before = kestra_fix(dir.path())
        .args(["--target-version", "2.0", "--dry-run", "flow.yaml"])
        .output()
        .unwrap();
    assert_eq!(before.status.code(), Some(1), "changes are pending");

    let run = kestra_fix(dir.path())
        .args(["--target-version", "2.0", "--unsafe-fixes", "flow.yaml"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    assert_contains(&stderr, "1 flow ready");

    let text = std::fs::read_to_string(&flow).unwrap();
    for gone in [
        "pluginDefaults",
        "io.kestra.core.",
        "name: go",
        "BOOLEAN",
        "ENUM",
        "delay:",
        "runner:",
        "docker:",
        "maxAttempt:",
        "name: counter",
        "basicAuth",
        "json(",
        "expiredOnly: false\n  -",
    ] {
        assert!(!text.contains(gone), "`{gone}` is left:\n{text}");
    }
    for now in [
        "type: io.kestra.plugin.core.log.Log\n    message: \"{{ inputs.choice }}\"",
        "pauseDuration: PT1S",
        "taskRunner:",
        "containerImage: python:3.11",
        "maxAttempts: 3",
        "type: io.kestra.plugin.core.kv.Get",
        "recursive: true",
        "type: BASIC",
        "fromJson(outputs.req.body)",
        "level: INFO",
        "behavior:",
    ] {
        assert!(text.contains(now), "`{now}` is missing:\n{text}");
    }

    // Nothing left that 2.0 rejects, as far as the catalog knows.
    let again = kestra_fix(dir.path())
        .args(["--target-version", "2.0", "--dry-run", "flow.yaml"])
        .output()
        .unwrap();
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(again.stdout.is_empty(), "a second run changes nothing");
}
