//! ruff's everyday flags: `--diff` (an alias of `--dry-run`) and
//! `--exit-zero`.

mod cli_common;
use cli_common::*;

const OLD: &str = "id: f\nnamespace: n\ntasks:\n  - id: a\n    type: io.kestra.core.tasks.log.Log\n    message: hi\n";

#[test]
fn diff_is_dry_run_and_exit_zero_keeps_errors() {
    let dir = repo();
    std::fs::write(dir.path().join("f.yaml"), OLD).unwrap();
    let out = kestra_fix(dir.path())
        .args(["--diff", "f.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let patch = String::from_utf8(out.stdout).unwrap();
    assert_contains(&patch, "+    type: io.kestra.plugin.core.log.Log");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("f.yaml")).unwrap(),
        OLD
    );

    let out = kestra_fix(dir.path())
        .args(["--diff", "--exit-zero", "f.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "pending changes exit 0");

    std::fs::write(dir.path().join("bad.yaml"), "id: [\n").unwrap();
    let out = kestra_fix(dir.path())
        .args(["--diff", "--exit-zero", "bad.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "errors still exit 2");
}

#[test]
fn completions_for_each_shell() {
    let dir = repo();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = kestra_fix(dir.path())
            .args(["completions", shell])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(script.contains("kestra-fix"), "{shell}");
        assert!(script.contains("dry-run"), "{shell}: flags are completed");
    }
    if let Ok(bash) = std::process::Command::new("bash").arg("--version").output() {
        if bash.status.success() {
            let out = kestra_fix(dir.path())
                .args(["completions", "bash"])
                .output()
                .unwrap();
            let path = dir.path().join("kestra-fix.bash");
            std::fs::write(&path, out.stdout).unwrap();
            let ok = std::process::Command::new("bash")
                .arg("-n")
                .arg(&path)
                .status()
                .unwrap();
            assert!(ok.success(), "the bash script parses");
        }
    }
}
