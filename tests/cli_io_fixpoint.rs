//! One run finishes the job: for every pair of codemods (unsafe fixes on),
//! a second run over the first run's output changes nothing, on the Kestra
//! corpus and on cases where one codemod's new files need another's fixes
//! (split children with long scripts or old type names). In process, via
//! the library: spawning the binary per pair would dominate the runtime.

use kestra_fix::codemods;
use kestra_fix::engine::config::Overrides;
use kestra_fix::engine::{self, ErrorKind, RunOptions, RunResult};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for entry in std::fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        let to = dst.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to);
        } else {
            std::fs::copy(entry.path(), &to).unwrap();
        }
    }
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/kestra-flows")
}

fn task(i: usize, kind: &str) -> String {
    match kind {
        "script" => {
            let mut s = format!(
                "  - id: s{i}\n    type: io.kestra.plugin.scripts.python.Script\n    script: |\n"
            );
            for line in 0..10 {
                s.push_str(&format!("      print(\"step {i} line {line}\")\n"));
            }
            s
        }
        _ => format!("  - id: l{i}\n    type: io.kestra.core.tasks.log.Log\n    message: hi {i}\n"),
    }
}

/// Flows over `max-tasks = 2` whose children need more fixes.
fn write_cases(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("kestra-fix.toml"), "[split-flow]\nmax-tasks = 2\n").unwrap();
    for (name, kind) in [("scripts", "script"), ("old_types", "old")] {
        let mut flow = format!("id: {name}\nnamespace: company.team\ntasks:\n");
        for i in 0..3 {
            flow.push_str(&task(i, kind));
        }
        std::fs::write(dir.join(format!("{name}.yaml")), flow).unwrap();
    }
}

fn run(dir: &Path, select: &[&str]) -> RunResult {
    run_with(dir, select, false)
}

fn run_with(dir: &Path, select: &[&str], dry_run: bool) -> RunResult {
    let options = RunOptions {
        paths: vec![dir.to_path_buf()],
        dry_run,
        overrides: Overrides {
            select: Some(select.iter().map(|s| s.to_string()).collect()),
            unsafe_fixes: true,
            ..Overrides::default()
        },
        ..RunOptions::default()
    };
    engine::run(&options, |_| {}, &|| {})
}

/// Bugs, as opposed to the corpus's own invalid files.
fn assert_no_internal_errors(result: &RunResult, what: &str) {
    for e in result.all_errors() {
        assert!(
            !matches!(
                e.kind,
                ErrorKind::Panic { .. }
                    | ErrorKind::Verification { .. }
                    | ErrorKind::NotConverged { .. }
            ),
            "{what}: {}: {e}",
            e.path.display()
        );
    }
}

fn combinations() -> Vec<Vec<&'static str>> {
    let names: Vec<&str> = codemods::all().iter().map(|c| c.name()).collect();
    let mut out = Vec::new();
    for (i, a) in names.iter().enumerate() {
        for b in &names[i + 1..] {
            let opposite = codemods::OPPOSITES
                .iter()
                .any(|&(x, y)| (x, y) == (*a, *b) || (y, x) == (*a, *b));
            if !opposite {
                out.push(vec![*a, *b]);
            }
        }
    }
    // And everything at once, without one side of each opposite pair.
    for &(_, dropped) in codemods::OPPOSITES {
        out.push(names.iter().copied().filter(|n| *n != dropped).collect());
    }
    out
}

/// The files (relative to `dir`) a selection changes in a dry run.
fn changed_by(dir: &Path, select: &[&str]) -> BTreeSet<PathBuf> {
    let result = run_with(dir, select, true);
    assert_no_internal_errors(&result, &format!("{select:?} alone"));
    result
        .files
        .iter()
        .filter(|f| f.changed())
        .map(|f| f.path.strip_prefix(dir).unwrap().to_path_buf())
        .collect()
}

fn copy_files(from: &Path, to: &Path, files: &BTreeSet<PathBuf>) {
    for rel in files {
        let target = to.join(rel);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(from.join(rel), &target).unwrap();
        // The folder's config decides the options (split-flow's limit).
        let config = from.join(rel).with_file_name("kestra-fix.toml");
        if config.exists() {
            std::fs::copy(&config, target.with_file_name("kestra-fix.toml")).unwrap();
        }
    }
}

#[test]
fn every_pair_of_codemods_and_all_at_once_finish_in_one_run() {
    let combinations = combinations();
    assert!(combinations.len() >= 10, "{combinations:?}");
    let template = tempfile::tempdir().unwrap();
    let all = template.path();
    copy_dir(&corpus(), &all.join("corpus"));
    write_cases(&all.join("cases"));
    // A selection changes nothing in a file that none of its codemods
    // changes alone: their first round proposes nothing there. So each
    // combination runs on the files its codemods change alone.
    let alone: std::collections::BTreeMap<&str, BTreeSet<PathBuf>> = codemods::all()
        .iter()
        .map(|c| (c.name(), changed_by(all, &[c.name()])))
        .collect();
    let mut ran = 0;
    for pair in combinations {
        let files: BTreeSet<PathBuf> = pair.iter().flat_map(|c| alone[c].clone()).collect();
        if files.is_empty() {
            continue;
        }
        ran += 1;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        copy_files(all, dir, &files);
        let first = run(dir, &pair);
        assert_no_internal_errors(&first, &format!("{pair:?} first run"));
        let second = run(dir, &pair);
        assert_no_internal_errors(&second, &format!("{pair:?} second run"));
        let changed: Vec<String> = second
            .files
            .iter()
            .filter(|f| f.changed())
            .map(|f| f.path.display().to_string())
            .collect();
        assert!(
            changed.is_empty(),
            "{pair:?}: the second run changed {changed:?}"
        );
    }
    assert!(ran >= 10, "only {ran} combinations change anything");
}

#[test]
fn split_children_get_the_other_codemods_fixes_in_the_same_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_cases(dir);

    let result = run(dir, &["split-flow", "migrate-renamed-types"]);
    let errors: Vec<String> = result.all_errors().map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let children: Vec<PathBuf> = result
        .files
        .iter()
        .flat_map(|f| &f.created)
        .map(|c| c.path.clone())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("old_types_part_")
        })
        .collect();
    assert!(children.len() >= 2, "{children:?}");
    for child in children {
        let text = std::fs::read_to_string(&child).unwrap();
        assert!(
            !text.contains("io.kestra.core.tasks."),
            "{}:\n{text}",
            child.display()
        );
        assert!(text.contains("io.kestra.plugin.core.log.Log"), "{text}");
    }

    let result = run(dir, &["split-flow", "extract-inline-scripts"]);
    let errors: Vec<String> = result.all_errors().map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let scripts: Vec<String> = result
        .files
        .iter()
        .flat_map(|f| &f.created)
        .filter_map(|c| c.path.strip_prefix(dir).ok())
        .map(|p| p.display().to_string())
        .filter(|p| p.starts_with("_files/"))
        .collect();
    assert_eq!(
        scripts,
        [
            "_files/scripts/scripts_part_1/s0.py",
            "_files/scripts/scripts_part_1/s1.py",
            "_files/scripts/scripts_part_2/s2.py"
        ],
        "the children's scripts are extracted in the run that splits"
    );
    let again = run(dir, &["split-flow", "extract-inline-scripts"]);
    assert!(again.files.iter().all(|f| !f.changed()));
}
