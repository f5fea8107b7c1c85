//! `foreach-to-loop` over every flow of `tests/data/kestra-flows`, at
//! `--target-version 2.0 --unsafe-fixes`, on copies: every output still
//! reads as YAML, a second run changes nothing, and every ForEach-family
//! task left has a finding saying why; the counts are printed
//! (`cargo test --test foreach_to_loop -- --nocapture`).

mod common;

use kestra_fix::engine::config::{Config, Overrides, Settings};
use kestra_fix::engine::process::process_file;
use kestra_fix::engine::verify::Verifier;
use kestra_fix::fix::oracle::load;
use std::collections::BTreeMap;

const CODEMOD: &str = "foreach-to-loop";

/// The types the codemod answers for, each with its old name.
const FAMILY: &[&str] = &[
    "io.kestra.plugin.core.flow.ForEach",
    "io.kestra.plugin.core.flow.ForEachItem",
    "io.kestra.plugin.core.flow.EachSequential",
    "io.kestra.plugin.core.flow.EachParallel",
    "io.kestra.core.tasks.flows.ForEachItem",
    "io.kestra.core.tasks.flows.EachSequential",
    "io.kestra.core.tasks.flows.EachParallel",
];

/// The lines whose `type:` names a ForEach-family type, 1-based.
fn family_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let Some(rest) = l
                .trim_start()
                .trim_start_matches("- ")
                .strip_prefix("type:")
            else {
                return false;
            };
            let ty = rest
                .split('#')
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches(['"', '\'']);
            FAMILY.contains(&ty)
        })
        .map(|(i, _)| i + 1)
        .collect()
}

#[test]
fn corpus_outputs_reread_converge_and_leftovers_are_explained() {
    let root = common::kestra_dir();
    let files = common::yaml_files(&root);
    assert!(
        files.len() >= 250,
        "the Kestra corpus, found {}",
        files.len()
    );
    let overrides = Overrides {
        select: Some(vec![CODEMOD.to_string()]),
        unsafe_fixes: true,
        target_version: Some("2.0".parse().unwrap()),
        ..Overrides::default()
    };
    let settings = Settings::resolve(&Config::default(), &overrides).unwrap();
    let dir = tempfile::tempdir().unwrap();

    let (mut loops, mut rewritten, mut refused, mut changed) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    // Refusal reasons, by their words up to the first `:` or `,`.
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for (i, file) in files.iter().enumerate() {
        let name = common::rel(file, &root);
        let original = std::fs::read_to_string(file).unwrap_or_default();
        let before = family_lines(&original).len();
        if before == 0 {
            continue;
        }
        loops += before;
        let copy = dir.path().join(format!("{i}.yaml"));
        std::fs::copy(file, &copy).unwrap();
        let report = process_file(&copy, &settings, &Verifier::default(), true);
        let ours = ["verification", "not-converged", "panic"];
        if report.errors.iter().any(|e| ours.contains(&e.code())) {
            failures.push(format!("{name}: {:?}", report.errors));
        }
        let mine: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.codemod == CODEMOD)
            .collect();
        rewritten += mine.iter().filter(|f| f.fixed).count();
        let after = std::fs::read_to_string(&copy).unwrap();
        if let Some(fixed) = &report.fixed {
            changed += 1;
            if let Err(e) = load(fixed) {
                failures.push(format!("{name}: output does not read as YAML: {e}"));
            }
            let again = process_file(&copy, &settings, &Verifier::default(), false);
            if again.fixed.is_some() {
                failures.push(format!("{name}: a second run changed the file"));
            }
        }
        // Each loop left in the output has an unfixed finding on its line
        // whose message says why.
        let left = family_lines(&after);
        let check = process_file(&copy, &settings, &Verifier::default(), false);
        for line in &left {
            refused += 1;
            let explained = check.findings.iter().any(|f| {
                f.codemod == CODEMOD
                    && !f.fixed
                    && f.start.line as usize == *line
                    && f.message.contains("not rewritten as")
            });
            let reason = check
                .findings
                .iter()
                .find(|f| f.codemod == CODEMOD && f.start.line as usize == *line);
            if let Some(why) = reason.and_then(|f| f.message.split_once("Loop`: ")) {
                let why = why.1.split([':', ',']).next().unwrap_or("");
                // Paths differ per flow; what they read is the reason.
                let why = why.split_once("` ").map_or(why, |(p, r)| {
                    if p.starts_with('`') && p.contains('[') {
                        r
                    } else {
                        why
                    }
                });
                *reasons.entry(why.to_string()).or_default() += 1;
            }
            if !explained {
                failures.push(format!("{name}:{line}: a loop is left without a reason"));
            }
        }
    }
    println!(
        "{} files, {loops} ForEach-family tasks: {rewritten} rewritten as Loop, {refused} refused \
         with a reason; {changed} files changed",
        files.len()
    );
    for (why, n) in &reasons {
        println!("  {n} refused: {why}");
    }
    assert!(loops > 0, "the corpus holds ForEach-family tasks");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
