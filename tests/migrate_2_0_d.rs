//! The Kestra 2.0 trigger rules (`trigger-conditions-to-when`,
//! `flow-trigger-conditions-to-depends-on`) over every flow of
//! `tests/data/kestra-flows`, at `--target-version 2.0 --unsafe-fixes`, on
//! copies: every output still reads as YAML, a second run changes nothing,
//! no trigger keeps `conditions` / `preconditions` without a finding saying
//! why, and the hits are printed
//! (`cargo test --test migrate_2_0_d -- --nocapture`).

mod common;

use kestra_fix::engine::config::{Config, Overrides, Settings};
use kestra_fix::engine::process::process_file;
use kestra_fix::engine::verify::Verifier;
use kestra_fix::fix::oracle::load;
use kestra_fix::syntax::value::Value;
use std::collections::BTreeMap;

const CODEMODS: &[&str] = &[
    "trigger-conditions-to-when",
    "flow-trigger-conditions-to-depends-on",
];

/// The keys the rules consume, which 2.0 rejects on a trigger.
const KEYS: &[&str] = &["conditions", "scheduleConditions", "preconditions"];

/// How many root triggers of `text` still hold one of [`KEYS`].
fn left_over(text: &str) -> usize {
    let Some(doc) = load(text).ok().and_then(|d| d.into_iter().next()) else {
        return 0;
    };
    let Some(Value::Seq(triggers)) = doc.get("triggers") else {
        return 0;
    };
    triggers
        .iter()
        .filter(|t| KEYS.iter().any(|k| t.get(k).is_some()))
        .count()
}

#[test]
fn corpus_outputs_reread_converge_and_leave_no_unexplained_conditions() {
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
        let ours = ["verification", "not-converged", "panic"];
        if report.errors.iter().any(|e| ours.contains(&e.code())) {
            failures.push(format!("{name}: {:?}", report.errors));
        }
        let mut unfixed = 0;
        for codemod in CODEMODS {
            let mine: Vec<_> = report
                .findings
                .iter()
                .filter(|f| f.codemod == *codemod)
                .collect();
            unfixed += mine.iter().filter(|f| !f.fixed).count();
            let entry = hits.get_mut(codemod).unwrap();
            entry.0 += mine.len();
            entry.1 += usize::from(!mine.is_empty());
            entry.2 += mine.iter().filter(|f| f.fixed).count();
        }
        let text = std::fs::read_to_string(&copy).unwrap();
        if left_over(&text) > unfixed {
            failures.push(format!(
                "{name}: a trigger keeps its conditions without a finding"
            ));
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
