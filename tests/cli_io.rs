//! Engine I/O end to end: claims on created files across the whole run,
//! files the run may not or cannot write, and inputs that are not UTF-8
//! YAML text.

mod cli_common;
use cli_common::*;

/// A flow `id: same` whose Python task prints `word` over ten lines.
fn scripted(word: &str) -> String {
    let mut s = String::from(
        "id: same\nnamespace: company.team\ntasks:\n  - id: t\n    type: io.kestra.plugin.scripts.python.Script\n    script: |\n",
    );
    for i in 0..10 {
        s.push_str(&format!("      print(\"{word} {i}\")\n"));
    }
    s
}

/// A flow `id: same` with three tasks, over `max-tasks = 2`.
fn oversized(word: &str) -> String {
    let mut s = String::from("id: same\nnamespace: company.team\ntasks:\n");
    for i in 0..3 {
        s.push_str(&format!(
            "  - id: t{i}\n    type: io.kestra.plugin.core.log.Log\n    message: {word}{i}\n"
        ));
    }
    s
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

#[test]
fn same_id_flows_creating_one_script_differently_conflict_whatever_the_jobs() {
    for jobs in [None, Some("1"), Some("2")] {
        for dry in [false, true] {
            let dir = repo();
            let d = dir.path();
            std::fs::write(d.join("a.yaml"), scripted("AAA")).unwrap();
            std::fs::write(d.join("b.yaml"), scripted("BBB")).unwrap();
            let before = tree(d);
            let mut cmd = kestra_fix(d);
            cmd.args(["--select", "extract-inline-scripts"]);
            if let Some(j) = jobs {
                cmd.args(["-j", j]);
            }
            if dry {
                cmd.arg("--dry-run");
            }
            let out = cmd.arg(".").output().unwrap();
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "-j {jobs:?} dry {dry}: {err}");
            for flow in ["a.yaml", "b.yaml"] {
                assert!(
                    err.lines()
                        .any(|l| l.starts_with(&format!("{flow}: error: "))
                            && l.contains("_files/scripts/same/t.py")),
                    "{flow}: {err}"
                );
            }
            assert_eq!(tree(d), before, "nothing written");
            if dry {
                assert!(out.stdout.is_empty(), "no patch for conflicting flows");
            }
        }
    }
}

#[test]
fn same_id_flows_creating_one_script_identically_create_it_once() {
    let dir = repo();
    let d = dir.path();
    std::fs::write(d.join("a.yaml"), scripted("AAA")).unwrap();
    std::fs::write(d.join("b.yaml"), scripted("AAA")).unwrap();
    let select = ["--select", "extract-inline-scripts"];
    let dry = kestra_fix(d)
        .args(select)
        .args(["--dry-run", "."])
        .output()
        .unwrap();
    assert_eq!(dry.status.code(), Some(1), "{}", stderr(&dry));
    let patch = String::from_utf8(dry.stdout).unwrap();
    assert_eq!(
        patch.matches("+++ b/_files/scripts/same/t.py").count(),
        1,
        "{patch}"
    );
    std::fs::write(d.join("fix.patch"), &patch).unwrap();
    git(d, &["apply", "fix.patch"]);
    std::fs::remove_file(d.join("fix.patch")).unwrap();
    let patched = tree(d);

    let applied = repo();
    let a = applied.path();
    std::fs::write(a.join("a.yaml"), scripted("AAA")).unwrap();
    std::fs::write(a.join("b.yaml"), scripted("AAA")).unwrap();
    let run = kestra_fix(a)
        .args(select)
        .args(["--output-format", "json", "."])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert_eq!(
        json(&run)["created_files"],
        serde_json::json!(["_files/scripts/same/t.py"])
    );
    assert_eq!(tree(a), patched);
}

#[test]
fn same_id_flows_split_into_one_child_differently_conflict() {
    for jobs in ["1", "2"] {
        let dir = repo();
        let d = dir.path();
        std::fs::write(d.join("kestra-fix.toml"), "[split-flow]\nmax-tasks = 2\n").unwrap();
        std::fs::write(d.join("a.yaml"), oversized("a")).unwrap();
        std::fs::write(d.join("b.yaml"), oversized("b")).unwrap();
        let before = tree(d);
        let out = kestra_fix(d)
            .args(["--select", "split-flow", "--unsafe-fixes", "-j", jobs, "."])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert_eq!(tree(d), before);
    }
}

#[cfg(unix)]
#[test]
fn a_read_only_flow_is_an_error_and_the_report_claims_no_change() {
    use std::os::unix::fs::PermissionsExt;
    let dir = repo();
    let d = dir.path();
    std::fs::write(d.join("f.yaml"), OLD_FLOW).unwrap();
    std::fs::set_permissions(d.join("f.yaml"), std::fs::Permissions::from_mode(0o444)).unwrap();
    let out = kestra_fix(d)
        .args(["--output-format", "json", "f.yaml"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_contains(&err, "f.yaml: error: read-only file\n");
    assert_contains(&err, ", 0 changed;");
    assert_eq!(std::fs::read_to_string(d.join("f.yaml")).unwrap(), OLD_FLOW);
    let mode = std::fs::metadata(d.join("f.yaml"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o444);
    let report = json(&out);
    assert_eq!(report["changed_files"], serde_json::json!([]));
    assert_eq!(report["summary"]["fixed"], 0);
    assert_eq!(report["findings"][0]["fixed"], false);
}

#[test]
fn a_failed_write_of_a_created_file_reports_nothing_changed_and_leaves_nothing() {
    let dir = repo();
    let d = dir.path();
    std::fs::write(d.join("a.yaml"), scripted("AAA")).unwrap();
    // `_files` is a file, so the script's folder cannot be made.
    std::fs::write(d.join("_files"), "not a folder\n").unwrap();
    let before = tree(d);
    let out = kestra_fix(d)
        .args([
            "--select",
            "extract-inline-scripts",
            "--output-format",
            "json",
            ".",
        ])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("a.yaml: error: cannot create ")
            && err.contains("_files/scripts/same/t.py: Not a directory"),
        "{err}"
    );
    assert_contains(&err, ", 0 changed;");
    assert_eq!(tree(d), before);
    let report = json(&out);
    assert_eq!(report["changed_files"], serde_json::json!([]));
    assert_eq!(report["created_files"], serde_json::json!([]));
    assert_eq!(report["summary"]["fixed"], 0);
}

#[cfg(unix)]
#[test]
fn a_symlinked_flow_is_written_through_to_its_target() {
    let dir = repo();
    let d = dir.path();
    std::fs::create_dir(d.join("real")).unwrap();
    std::fs::write(d.join("real/f.yaml"), OLD_FLOW).unwrap();
    std::os::unix::fs::symlink("real/f.yaml", d.join("link.yaml")).unwrap();
    let out = kestra_fix(d).arg("link.yaml").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let meta = std::fs::symlink_metadata(d.join("link.yaml")).unwrap();
    assert!(meta.file_type().is_symlink(), "the link is kept");
    assert_eq!(
        std::fs::read_to_string(d.join("real/f.yaml")).unwrap(),
        NEW_FLOW
    );
    let leftovers: Vec<_> = std::fs::read_dir(d.join("real")).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temp file left");
}

#[test]
fn stale_temp_files_of_a_killed_run_are_cleaned_and_new_ones_stay_out_of_files() {
    let dir = repo();
    let d = dir.path();
    std::fs::write(d.join("a.yaml"), scripted("AAA")).unwrap();
    let stale = d.join(".kestra-fix-AbC123.tmp");
    let file = std::fs::File::create(&stale).unwrap();
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    file.set_modified(old).unwrap();
    drop(file);
    let fresh = d.join(".kestra-fix-XyZ789.tmp");
    std::fs::write(&fresh, "").unwrap();
    let out = kestra_fix(d)
        .args(["--select", "extract-inline-scripts", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stale.exists(), "a stale temp file is removed");
    assert!(
        fresh.exists(),
        "a temp file another run may be writing stays"
    );
    assert!(d.join("_files/scripts/same/t.py").exists());
}

#[cfg(unix)]
#[test]
fn a_symlink_loop_is_named_as_such() {
    let dir = repo();
    let d = dir.path();
    std::os::unix::fs::symlink("loop.yaml", d.join("loop.yaml")).unwrap();
    let out = kestra_fix(d).arg("loop.yaml").output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_contains(&err, "loop.yaml: error: cannot read: symbolic link loop");
}

#[test]
fn text_that_is_not_utf8_yaml_is_an_error_not_skipped() {
    let utf16: Vec<u8> = "id: f\nnamespace: n\n"
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    let mut doubled = "\u{feff}\u{feff}".as_bytes().to_vec();
    doubled.extend_from_slice(NEW_FLOW.as_bytes());
    let mut utf16_bom = vec![0xFF, 0xFE];
    utf16_bom.extend_from_slice(&utf16);
    let cases: [(&str, Vec<u8>, &str); 4] = [
        ("utf16_bom.yaml", utf16_bom, "UTF-16"),
        ("utf16.yaml", utf16, "UTF-16"),
        ("nul.yaml", vec![0; 64], "NUL"),
        ("bom.yaml", doubled, "byte order mark"),
    ];
    for (name, bytes, says) in cases {
        let dir = repo();
        std::fs::write(dir.path().join(name), &bytes).unwrap();
        let out = kestra_fix(dir.path()).arg(".").output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        let line = err
            .lines()
            .find(|l| l.starts_with(&format!("{name}:1:1: error: ")))
            .unwrap_or_else(|| panic!("{name}: {err}"));
        assert_contains(line, says);
        assert_eq!(std::fs::read(dir.path().join(name)).unwrap(), bytes);
    }
}

#[test]
fn flows_written_in_parallel_share_the_folders_they_create() {
    // Each flow's script goes below a `_files` folder neither finds on
    // disk: the writes race to create it, and neither may fail for it.
    let dir = repo();
    for n in 0..8 {
        let flow = scripted(&format!("w{n}")).replace("id: same", &format!("id: flow{n}"));
        std::fs::write(dir.path().join(format!("f{n}.yaml")), flow).unwrap();
    }
    for _ in 0..5 {
        let _ = std::fs::remove_dir_all(dir.path().join("_files"));
        let out = kestra_fix(dir.path())
            .args(["--select", "extract-inline-scripts", "-j", "4", "."])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(!stderr(&out).contains("error:"), "{}", stderr(&out));
        for n in 0..8 {
            let script = dir.path().join(format!("_files/scripts/flow{n}/t.py"));
            assert!(script.exists(), "{}", script.display());
            std::fs::write(
                dir.path().join(format!("f{n}.yaml")),
                scripted(&format!("w{n}")).replace("id: same", &format!("id: flow{n}")),
            )
            .unwrap();
        }
    }
}
