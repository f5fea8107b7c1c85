//! The Kestra 2.0 trigger rules (`trigger-conditions-to-when`,
//! `flow-trigger-conditions-to-depends-on`) over every flow of
//! `tests/data/kestra-flows`, at `--target-version 2.0 --unsafe-fixes`, on
//! copies: every output still reads as YAML, a second run changes nothing,
//! no trigger keeps `conditions` / `preconditions` without a finding saying
//! why, and the hits are printed
//! (`cargo test --test migrate_2_0_d -- --nocapture`).

mod common;

use kestra_fix::fix::oracle::load;
use kestra_fix::syntax::value::Value;

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
    common::migrate_corpus(CODEMODS, |file, failures| {
        let unfixed = file
            .report
            .findings
            .iter()
            .filter(|f| CODEMODS.contains(&f.codemod) && !f.fixed)
            .count();
        if left_over(&file.after) > unfixed {
            failures.push(format!(
                "{}: a trigger keeps its conditions without a finding",
                file.name
            ));
        }
    });
}
