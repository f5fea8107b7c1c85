//! The Kestra 2.0 migration part C (`legacy-script-runner` and the
//! detectors D2-D5) over every flow of `tests/data/kestra-flows`, at
//! `--target-version 2.0 --unsafe-fixes`, on copies: every output still
//! reads as YAML, a second run changes nothing, and the hits per codemod
//! are printed (`cargo test --test migrate_2_0_c -- --nocapture`).

mod common;

use kestra_fix::engine::config::{Config, Overrides, Settings};
use kestra_fix::engine::process::process_file;
use kestra_fix::engine::verify::Verifier;
use kestra_fix::fix::oracle::load;
use std::collections::BTreeMap;

const CODEMODS: &[&str] = &[
    "legacy-script-runner",
    "missing-trigger-inputs",
    "sdk-auth",
    "pebble-read-version-arg",
    "ion-read",
];

#[test]
fn corpus_outputs_reread_and_converge() {
    let root = common::kestra_dir();
    let files = common::yaml_files(&root);
    assert!(
        files.len() >= 250,
        "the Kestra corpus, found {}",
        files.len()
    );
    let overrides = Overrides {
        select: Some(CODEMODS.iter().map(|c| c.to_string()).collect()),
        unsafe_fixes: true,
        target_version: Some("2.0".parse().unwrap()),
        ..Overrides::default()
    };
    let settings = Settings::resolve(&Config::default(), &overrides).unwrap();
    let dir = tempfile::tempdir().unwrap();

    // codemod -> (findings, files with a finding, fixes applied)
    let mut hits: BTreeMap<&str, (usize, usize, usize)> =
        CODEMODS.iter().map(|c| (*c, (0, 0, 0))).collect();
    let (mut changed, mut failures) = (0, Vec::new());
    for (i, file) in files.iter().enumerate() {
        let name = common::rel(file, &root);
        let copy = dir.path().join(format!("{i}.yaml"));
        std::fs::copy(file, &copy).unwrap();
        let report = process_file(&copy, &settings, &Verifier::default(), true);
        // Files that are not YAML are errors with any codemod; what counts
        // is that no fix of ours fails, loops or panics.
        let ours = ["verification", "not-converged", "panic"];
        if report.errors.iter().any(|e| ours.contains(&e.code())) {
            failures.push(format!("{name}: {:?}", report.errors));
        }
        for codemod in CODEMODS {
            let mine: Vec<_> = report
                .findings
                .iter()
                .filter(|f| f.codemod == *codemod)
                .collect();
            let entry = hits.get_mut(codemod).unwrap();
            entry.0 += mine.len();
            entry.1 += usize::from(!mine.is_empty());
            entry.2 += mine.iter().filter(|f| f.fixed).count();
        }
        let Some(fixed) = &report.fixed else {
            continue;
        };
        changed += 1;
        if let Err(e) = load(fixed) {
            failures.push(format!("{name}: output does not read as YAML: {e}"));
        }
        let again = process_file(&copy, &settings, &Verifier::default(), false);
        if again.fixed.is_some() {
            failures.push(format!("{name}: a second run changed the file"));
        }
    }
    println!("{} files, {changed} changed", files.len());
    for (codemod, (findings, in_files, fixed)) in &hits {
        println!("{codemod}: {findings} findings in {in_files} files, {fixed} fixed");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
