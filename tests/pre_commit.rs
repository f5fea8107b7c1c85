//! The hooks of `.pre-commit-hooks.yaml`, run by pre-commit itself on a
//! throwaway git repository whose config points at this crate's repository.
//!
//! pre-commit clones that repository at the commit `rev:` names, so what it
//! builds and runs is the committed HEAD, not the working tree. pre-commit
//! comes from PyPI into a venv under the target folder; when it cannot be
//! installed (no network, no Python) the tests say so and pass.
//!
//! Its `cargo install` builds in a folder of its own under the target
//! folder (the `cargo test` running this holds the lock of the usual one),
//! without optimisation, and pre-commit's store is kept there too, so only
//! the first run of a new HEAD builds.

mod cli_common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;

use cli_common::{
    assert_contains, crate_dir, git, isolated_command, FIXED_FLOW_COMMENTED as FIXED_FLOW,
    OLD_FLOW_COMMENTED as OLD_FLOW,
};

/// `<target>/pre-commit`, beside the `debug` folder holding the binary
/// under test (so a custom `CARGO_TARGET_DIR` is honoured).
fn work_dir() -> PathBuf {
    let bin = Path::new(env!("CARGO_BIN_EXE_kestra-fix"));
    let target = bin
        .parent()
        .and_then(Path::parent)
        .expect("the binary is in <target>/<profile>/");
    target.join("pre-commit")
}

fn last_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no output")
        .trim()
        .to_string()
}

/// The pre-commit executable, installed once per target folder; `Err` says
/// why the tests cannot run.
fn pre_commit() -> Result<&'static Path, &'static str> {
    static SETUP: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    SETUP
        .get_or_init(|| {
            // pre-commit checks out `rev:` of the crate's repository.
            let head = isolated_command("git")
                .args(["cat-file", "-e", "HEAD:.pre-commit-hooks.yaml"])
                .current_dir(crate_dir())
                .output();
            match head {
                Ok(out) if out.status.success() => {}
                _ => {
                    return Err(
                        "the crate is no git repository with .pre-commit-hooks.yaml at HEAD".into(),
                    )
                }
            }
            let venv = work_dir().join("venv");
            let bin = venv.join(if cfg!(windows) { "Scripts" } else { "bin" });
            let exe = bin.join("pre-commit");
            let works = |exe: &Path| {
                isolated_command(exe)
                    .arg("--version")
                    .output()
                    .is_ok_and(|o| o.status.success())
            };
            if works(&exe) {
                return Ok(exe);
            }
            let run = |cmd: &mut Command, what: &str| -> Result<(), String> {
                match cmd.output() {
                    Ok(o) if o.status.success() => Ok(()),
                    Ok(o) => Err(format!(
                        "pre-commit not installable: {what}: {}",
                        last_line(&o.stderr)
                    )),
                    Err(e) => Err(format!("pre-commit not installable: {what}: {e}")),
                }
            };
            run(
                isolated_command("python3").args(["-m", "venv"]).arg(&venv),
                "python3 -m venv",
            )?;
            run(
                isolated_command(bin.join("python")).args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    // Offline, fail in seconds rather than minutes.
                    "--retries",
                    "1",
                    "pre-commit",
                ]),
                "pip install pre-commit",
            )?;
            if works(&exe) {
                Ok(exe)
            } else {
                Err(
                    "pre-commit not installable: `pre-commit --version` fails after pip install"
                        .into(),
                )
            }
        })
        .as_deref()
        .map_err(String::as_str)
}

/// Runs the tests' body, or says why it cannot and passes.
fn with_pre_commit(test: impl FnOnce(&Path)) {
    match pre_commit() {
        Ok(exe) => test(exe),
        Err(reason) => eprintln!("skipped: {reason}"),
    }
}

/// A git repository holding `flow` at `flows/hello.yaml` and a config that
/// runs `hook` of this crate's HEAD.
fn flow_repo(hook: &str, flow: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    let rev = git(crate_dir(), &["rev-parse", "HEAD"]).stdout;
    let rev = String::from_utf8(rev).unwrap();
    // A JSON string is a YAML double-quoted scalar: any path reads back.
    let repo = serde_json::to_string(&crate_dir().to_string_lossy()).unwrap();
    let config = format!(
        "repos:\n  - repo: {repo}\n    rev: {}\n    hooks:\n      - id: {hook}\n",
        rev.trim()
    );
    std::fs::write(d.join(".pre-commit-config.yaml"), config).unwrap();
    std::fs::create_dir(d.join("flows")).unwrap();
    std::fs::write(d.join("flows/hello.yaml"), flow).unwrap();
    git(d, &["add", "-A"]);
    dir
}

/// `pre-commit run --all-files` in `repo`, building the hook cheaply.
fn run(exe: &Path, repo: &Path) -> (Option<i32>, String) {
    let work = work_dir();
    let start = Instant::now();
    let out = isolated_command(exe)
        .args(["run", "--all-files", "--color", "never"])
        .current_dir(repo)
        .env("PRE_COMMIT_HOME", work.join("home"))
        .env("CARGO_TARGET_DIR", work.join("cargo-target"))
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .output()
        .expect("pre-commit runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!(
        "pre-commit run: {:.1}s, exit {:?}",
        start.elapsed().as_secs_f64(),
        out.status.code()
    );
    (out.status.code(), text)
}

fn read(repo: &Path) -> String {
    std::fs::read_to_string(repo.join("flows/hello.yaml")).unwrap()
}

#[test]
fn fix_hook_fixes_the_flow_and_fails_then_passes() {
    with_pre_commit(|exe| {
        let dir = flow_repo("kestra-fix", OLD_FLOW);
        let d = dir.path();

        let (code, out) = run(exe, d);
        assert_eq!(code, Some(1), "{out}");
        assert_contains(&out, "files were modified by this hook");
        assert_eq!(read(d), FIXED_FLOW, "{out}");

        git(d, &["add", "-A"]);
        let (code, out) = run(exe, d);
        assert_eq!(code, Some(0), "{out}");
        assert!(
            out.contains("kestra-fix") && out.contains("Passed"),
            "{out}"
        );
        assert_eq!(read(d), FIXED_FLOW);
    });
}

#[test]
fn check_hook_fails_on_pending_changes_and_changes_nothing() {
    with_pre_commit(|exe| {
        let dir = flow_repo("kestra-fix-check", OLD_FLOW);
        let d = dir.path();

        let (code, out) = run(exe, d);
        assert_eq!(code, Some(1), "{out}");
        // The pending change is shown as a patch.
        assert_contains(&out, "+    type: io.kestra.plugin.core.log.Log");
        assert!(!out.contains("files were modified by this hook"), "{out}");
        assert_eq!(read(d), OLD_FLOW);

        std::fs::write(d.join("flows/hello.yaml"), FIXED_FLOW).unwrap();
        git(d, &["add", "-A"]);
        let (code, out) = run(exe, d);
        assert_eq!(code, Some(0), "{out}");
        assert_eq!(read(d), FIXED_FLOW);
    });
}

#[test]
fn the_working_tree_manifest_is_valid() {
    with_pre_commit(|exe| {
        let out = isolated_command(exe)
            .arg("validate-manifest")
            .arg(crate_dir().join(".pre-commit-hooks.yaml"))
            .env("PRE_COMMIT_HOME", work_dir().join("home"))
            .output()
            .expect("pre-commit runs");
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    });
}
