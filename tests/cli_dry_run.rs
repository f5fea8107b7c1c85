//! The dry-run patch is exactly what an apply run writes.

mod cli_common;
use cli_common::*;

#[test]
fn dry_run_patch_applies_to_the_same_bytes_as_an_apply_run() {
    let patched = repo();
    let applied = repo();
    copy_examples(patched.path());
    copy_examples(applied.path());
    let before = tree(patched.path());

    let dry = kestra_fix(patched.path())
        .args(["--dry-run", "examples"])
        .output()
        .unwrap();
    assert_eq!(dry.status.code(), Some(1), "changes pending");
    assert_eq!(tree(patched.path()), before, "a dry run writes nothing");
    let patch = String::from_utf8(dry.stdout).unwrap();
    assert!(patch.starts_with("diff --git a/examples/"), "{patch}");
    assert!(
        !patch.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );

    std::fs::write(patched.path().join("fix.patch"), &patch).unwrap();
    git(patched.path(), &["apply", "--check", "fix.patch"]);
    git(patched.path(), &["apply", "fix.patch"]);
    std::fs::remove_file(patched.path().join("fix.patch")).unwrap();

    let run = kestra_fix(applied.path()).arg("examples").output().unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        run.stdout.is_empty(),
        "fixed findings are not listed as left to do"
    );
    assert_eq!(tree(patched.path()), tree(applied.path()));
    assert_ne!(tree(applied.path()), before);

    let crlf = std::fs::read_to_string(applied.path().join("examples/crlf-flow.yaml")).unwrap();
    assert!(crlf.contains("io.kestra.plugin.core.debug.Return"));
    assert_eq!(
        crlf.matches("\r\n").count(),
        crlf.matches('\n').count(),
        "CRLF kept"
    );

    // Idempotent: nothing left to do.
    let again = kestra_fix(applied.path())
        .args(["--dry-run", "examples"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0));
    assert!(again.stdout.is_empty());
}

#[test]
fn default_path_is_the_current_folder_and_paths_are_relative_to_it() {
    let dir = repo();
    std::fs::create_dir_all(dir.path().join("flows/sub")).unwrap();
    std::fs::write(dir.path().join("flows/sub/f.yaml"), OLD_FLOW).unwrap();
    let out = kestra_fix(dir.path()).arg("--dry-run").output().unwrap();
    let patch = String::from_utf8(out.stdout).unwrap();
    assert!(
        patch.starts_with("diff --git a/flows/sub/f.yaml b/flows/sub/f.yaml\n"),
        "{patch}"
    );

    let sub = dir.path().join("flows");
    let out = kestra_fix(&sub)
        .args(["--dry-run", "sub/f.yaml"])
        .output()
        .unwrap();
    let patch = String::from_utf8(out.stdout).unwrap();
    assert!(
        patch.starts_with("diff --git a/sub/f.yaml b/sub/f.yaml\n"),
        "{patch}"
    );
}

#[test]
fn colour_only_on_request_when_piped() {
    let dir = repo();
    std::fs::write(dir.path().join("f.yaml"), OLD_FLOW).unwrap();
    let out = kestra_fix(dir.path())
        .args(["--dry-run", "--color", "always", "-q"])
        .output()
        .unwrap();
    assert!(String::from_utf8(out.stdout).unwrap().contains("\x1b[31m-"));
}
