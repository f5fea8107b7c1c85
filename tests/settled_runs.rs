//! A run that settles each file as it is done (and lets go of its texts)
//! reports and writes exactly what a run that keeps every text does.

use kestra_fix::engine::{self, FileReport, RunOptions, RunResult};
use kestra_fix::report;
use std::path::{Path, PathBuf};

/// Flows that change, one that creates a namespace file (kept to the end:
/// claims on created files are settled across the run), a suppression
/// that suppresses nothing, and YAML that looks like a flow but is none.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir("examples").unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    std::fs::write(
        dir.path().join("suppressed.yaml"),
        "id: s\nnamespace: team\ntasks:\n  - id: log # kestra-fix: ignore[migrate-renamed-types]\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n",
    )
    .unwrap();
    std::fs::copy(
        "codemods/extract-inline-scripts/cases/comments.yaml",
        dir.path().join("scripts.yaml"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("kestra-fix.toml"),
        "select = [\"migrate-renamed-types\", \"hoist-plugin-defaults\", \"extract-inline-scripts\"]\n\n[extract-inline-scripts]\nmin-lines = 3\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("near-miss.yaml"),
        "id: x\nnamespaec: team\ntasks: []\n",
    )
    .unwrap();
    dir
}

fn options(dir: &Path, dry_run: bool) -> RunOptions {
    let mut options = RunOptions {
        paths: vec![PathBuf::from(dir)],
        dry_run,
        jobs: Some(2),
        ..RunOptions::default()
    };
    options.overrides.unsafe_fixes = true;
    options
}

fn settled(options: &RunOptions) -> RunResult {
    let patch = |file: &FileReport| Some(report::diff::file_patch(file, false));
    engine::run_settling(options, |_| {}, &|| {}, Some(&patch))
}

/// Everything a report shows, the patch included.
fn shown(result: &RunResult) -> String {
    let mut out = report::diff::render(result, false);
    out.push_str(&report::text::render(result, true, false));
    out.push_str(&report::json::render(result, &report::warnings(result), true).to_string());
    out.push_str(&report::markdown::render(result, true));
    for w in report::warnings(result) {
        out.push_str(&report::warning_line(&w));
    }
    for file in &result.files {
        out.push_str(&format!("{:?}", report::skip_reason(file)));
    }
    out
}

#[test]
fn a_settled_dry_run_reports_what_a_kept_one_does_and_keeps_few_texts() {
    let dir = workspace();
    let kept = engine::run(&options(dir.path(), true), |_| {}, &|| {});
    let settled = settled(&options(dir.path(), true));
    assert!(
        kept.files.iter().any(FileReport::changed),
        "the fixture changes files"
    );
    assert!(!report::warnings(&kept).is_empty(), "the fixture warns");
    assert!(kept.files.iter().any(|f| report::skip_reason(f).is_some()));
    let creating = kept.files.iter().filter(|f| !f.created.is_empty()).count();
    assert!(creating > 0, "the fixture creates a file");
    let texts = |r: &RunResult| r.files.iter().filter(|f| !f.original.is_empty()).count();
    assert_eq!(
        texts(&settled),
        creating,
        "only flows that create files keep texts"
    );
    assert_eq!(shown(&settled), shown(&kept));
}

#[test]
fn a_settled_run_writes_what_a_kept_one_does() {
    let (a, b) = (workspace(), workspace());
    let kept = engine::run(&options(a.path(), false), |_| {}, &|| {});
    let settled = settled(&options(b.path(), false));
    assert_eq!(kept.all_errors().count(), 0);
    assert_eq!(settled.all_errors().count(), 0);
    let changed = |r: &RunResult| r.files.iter().filter(|f| f.changed()).count();
    assert!(changed(&kept) > 0);
    assert_eq!(changed(&settled), changed(&kept));
    let tree = |dir: &Path| {
        let mut files: Vec<(PathBuf, String)> = walk(dir)
            .into_iter()
            .map(|p| {
                let text = std::fs::read_to_string(&p).unwrap();
                (p.strip_prefix(dir).unwrap().to_path_buf(), text)
            })
            .collect();
        files.sort();
        files
    };
    assert_eq!(tree(b.path()), tree(a.path()));
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn a_panic_while_settling_is_that_files_internal_error() {
    let dir = workspace();
    let patch = |file: &FileReport| {
        assert!(!file.path.ends_with("hello-world.yaml"), "rendering failed");
        Some(report::diff::file_patch(file, false))
    };
    let result = engine::run_settling(&options(dir.path(), true), |_| {}, &|| {}, Some(&patch));
    let failed: Vec<&FileReport> = result
        .files
        .iter()
        .filter(|f| !f.errors.is_empty())
        .collect();
    assert_eq!(failed.len(), 1);
    assert!(failed[0].path.ends_with("hello-world.yaml"));
    assert!(matches!(
        failed[0].errors[0].kind,
        engine::ErrorKind::Panic { .. }
    ));
    assert!(!failed[0].changed(), "a file that failed claims no change");
    assert!(result.files.iter().filter(|f| f.changed()).count() > 1);
}
