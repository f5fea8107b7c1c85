//! Bad input gets `PATH:LINE:COL: error: ...`, exit 2, and is left as it was.

mod cli_common;
use cli_common::*;

#[test]
fn invalid_yaml_is_reported_and_untouched_while_others_are_fixed() {
    let dir = repo();
    let bad = "id: bad\nnamespace: n\ntasks:\n  - id: a\n    type: [unclosed\n";
    std::fs::write(dir.path().join("bad.yaml"), bad).unwrap();
    std::fs::write(dir.path().join("good.yaml"), OLD_FLOW).unwrap();

    let out = kestra_fix(dir.path()).arg(".").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let line = stderr
        .lines()
        .find(|l| l.starts_with("bad.yaml:"))
        .expect(&stderr);
    let mut parts = line.splitn(4, ':');
    assert_eq!(parts.next(), Some("bad.yaml"));
    assert!(parts.next().unwrap().parse::<u32>().unwrap() >= 5, "{line}");
    assert!(parts.next().unwrap().parse::<u32>().is_ok(), "{line}");
    assert!(
        parts.next().unwrap().starts_with(" error: invalid YAML"),
        "{line}"
    );

    assert_eq!(
        std::fs::read_to_string(dir.path().join("bad.yaml")).unwrap(),
        bad
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("good.yaml")).unwrap(),
        NEW_FLOW
    );
}

#[test]
fn other_yaml_is_skipped_silently() {
    let dir = repo();
    let compose = "services:\n  app:\n    image: x\n";
    std::fs::write(dir.path().join("compose.yml"), compose).unwrap();
    let out = kestra_fix(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("compose.yml")).unwrap(),
        compose
    );
}

#[test]
fn unknown_config_key_is_an_error_naming_it() {
    let dir = repo();
    std::fs::write(
        dir.path().join("kestra-fix.toml"),
        "unsafe-fixes = true\ncolour = \"red\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("f.yaml"), OLD_FLOW).unwrap();
    let out = kestra_fix(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_contains(
        &stderr,
        "kestra-fix.toml:2:1: error: invalid config: unknown key `colour`",
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("f.yaml")).unwrap(),
        OLD_FLOW
    );
}

#[test]
fn nearest_config_wins_and_config_flag_overrides() {
    let dir = repo();
    std::fs::write(
        dir.path().join("kestra-fix.toml"),
        "ignore = [\"migrate-renamed-types\"]\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(
        dir.path().join("sub/kestra-fix.toml"),
        "target-version = \"1.3\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("top.yaml"), OLD_FLOW).unwrap();
    std::fs::write(dir.path().join("sub/inner.yaml"), OLD_FLOW).unwrap();

    let out = kestra_fix(dir.path())
        .args(["--dry-run", "-q"])
        .output()
        .unwrap();
    let patch = String::from_utf8(out.stdout).unwrap();
    assert!(
        patch.contains("b/sub/inner.yaml") && !patch.contains("b/top.yaml"),
        "{patch}"
    );

    std::fs::write(
        dir.path().join("other.toml"),
        "select = [\"migrate-renamed-types\"]\n",
    )
    .unwrap();
    let out = kestra_fix(dir.path())
        .args(["--dry-run", "-q", "--config", "other.toml"])
        .output()
        .unwrap();
    let patch = String::from_utf8(out.stdout).unwrap();
    assert!(
        patch.contains("b/sub/inner.yaml") && patch.contains("b/top.yaml"),
        "{patch}"
    );

    std::fs::write(dir.path().join("bad.toml"), "target-version = 13\n").unwrap();
    let out = kestra_fix(dir.path())
        .args(["--config", "bad.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("`target-version`"));
}

#[test]
fn unknown_codemod_and_bad_flags_exit_2() {
    let dir = repo();
    let out = kestra_fix(dir.path())
        .args(["--select", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("unknown codemod `nope`"));
    let out = kestra_fix(dir.path())
        .args(["--target-version", "one"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = kestra_fix(dir.path())
        .arg("missing-folder")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn unsafe_findings_left_exit_1_until_unsafe_fixes() {
    let dir = repo();
    let flow = "id: f\nnamespace: n\npluginDefaults:\n  - type: io.kestra.plugin.core.log.Log\n    values: {level: ERROR}\ntasks:\n  - id: log\n    type: io.kestra.core.tasks.log.Log\n    message: hi\n";
    std::fs::write(dir.path().join("f.yaml"), flow).unwrap();
    let out = kestra_fix(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("f.yaml:8:11: migrate-renamed-types:") && stdout.contains("--unsafe-fixes"),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("f.yaml")).unwrap(),
        flow
    );

    let out = kestra_fix(dir.path())
        .arg("--unsafe-fixes")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(std::fs::read_to_string(dir.path().join("f.yaml"))
        .unwrap()
        .contains("io.kestra.plugin.core.log.Log\n    message"));
}
