//! Helpers shared by the CLI end-to-end tests.
#![allow(dead_code)] // each test crate uses its own subset

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A fresh git repository in a temp folder.
pub fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    dir
}

/// A command that does not inherit the git variables a hook running the
/// tests would set (they would point git at the crate's own repository),
/// nor pre-commit's `SKIP`.
pub fn isolated_command(program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
    let mut cmd = std::process::Command::new(program);
    for var in ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "SKIP"] {
        cmd.env_remove(var);
    }
    cmd
}

pub fn git(dir: &Path, args: &[&str]) -> std::process::Output {
    let out = isolated_command("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The bundled examples, copied under `dir/examples`.
pub fn copy_examples(dir: &Path) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let dst = dir.join("examples");
    std::fs::create_dir_all(&dst).unwrap();
    for entry in std::fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dst.join(entry.file_name())).unwrap();
    }
}

pub fn kestra_fix(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("kestra-fix").unwrap();
    cmd.current_dir(dir).env_remove("NO_COLOR");
    cmd
}

/// Every file under `dir` (outside `.git`) with its bytes.
pub fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().is_some_and(|n| n == ".git") {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().to_path_buf();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

pub const OLD_FLOW: &str = "id: f\nnamespace: n\ntasks:\n  - id: log\n    type: io.kestra.core.tasks.log.Log\n    message: hi\n";
pub const NEW_FLOW: &str = "id: f\nnamespace: n\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n";

/// An old flow with a comment on the line the fix changes, and the fix.
pub const OLD_FLOW_COMMENTED: &str = "\
id: hello
namespace: company.team

tasks:
  - id: greet
    type: io.kestra.core.tasks.log.Log   # the 0.15 name
    message: Hello
";

pub const FIXED_FLOW_COMMENTED: &str = "\
id: hello
namespace: company.team

tasks:
  - id: greet
    type: io.kestra.plugin.core.log.Log   # the 0.15 name
    message: Hello
";

/// The crate's own folder (where `cargo test` runs from).
pub fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Fails, showing the whole of `haystack`, unless it contains `needle`.
#[track_caller]
pub fn assert_contains(haystack: &str, needle: &str) {
    assert!(
        haystack.contains(needle),
        "{needle:?} is not in:\n{haystack}"
    );
}
