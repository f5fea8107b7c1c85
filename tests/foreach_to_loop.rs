//! `foreach-to-loop` over every flow of `tests/data/kestra-flows`, at
//! `--target-version 2.0 --unsafe-fixes`, on copies: every output still
//! reads as YAML, a second run changes nothing, and every ForEach-family
//! task left has a finding saying why; the counts are printed
//! (`cargo test --test foreach_to_loop -- --nocapture`).

mod common;

use kestra_fix::engine::process::process_file;
use kestra_fix::engine::verify::Verifier;
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
    let (mut loops, mut rewritten, mut refused) = (0, 0, 0);
    // Refusal reasons, by their words up to the first `:` or `,`.
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    common::migrate_corpus(&[CODEMOD], |file, failures| {
        let before = family_lines(&file.original).len();
        if before == 0 {
            return;
        }
        loops += before;
        rewritten += file
            .report
            .findings
            .iter()
            .filter(|f| f.codemod == CODEMOD && f.fixed)
            .count();
        // Each loop left in the output has an unfixed finding on its line
        // whose message says why.
        let check = process_file(&file.copy, file.settings, &Verifier::default(), false);
        for line in family_lines(&file.after) {
            refused += 1;
            let explained = check.findings.iter().any(|f| {
                f.codemod == CODEMOD
                    && !f.fixed
                    && f.start.line as usize == line
                    && f.message.contains("not rewritten as")
            });
            let reason = check
                .findings
                .iter()
                .find(|f| f.codemod == CODEMOD && f.start.line as usize == line);
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
                failures.push(format!(
                    "{}:{line}: a loop is left without a reason",
                    file.name
                ));
            }
        }
    });
    println!(
        "{loops} ForEach-family tasks: {rewritten} rewritten as Loop, {refused} refused with a reason"
    );
    for (why, n) in &reasons {
        println!("  {n} refused: {why}");
    }
    assert!(loops > 0, "the corpus holds ForEach-family tasks");
}
