//! The migrate-2.0 rules of part A over the Kestra corpus, at a 2.0 target
//! with unsafe fixes: every output reads back as YAML, a second run
//! changes nothing, and no fix fails verification. Prints each rule's hits
//! (`cargo test --test migrate_2_0_a -- --nocapture`).

mod common;

use kestra_fix::fix::oracle::load;

const RULES: &[&str] = &[
    "input-name-to-id",
    "input-type-names",
    "multiselect-options-to-values",
    "input-required-with-defaults",
    "migrate-renamed-types",
    "renamed-types-2.0",
    "retry-max-attempts",
    "pause-delay-to-pause-duration",
    "removed-properties",
    "exit-state-cancelled",
    "cancelled-states",
    "local-delete-recursive",
    "checks-condition-to-when",
];

#[test]
fn part_a_rules_over_the_corpus() {
    let mut flows = 0;
    common::migrate_corpus(RULES, |file, failures| {
        // The corpus's invalid YAML is an error with any rule; a valid
        // file gives none.
        if load(&file.original).is_ok() && !file.report.errors.is_empty() {
            failures.push(format!("{}: {:?}", file.name, file.report.errors));
        }
        flows += usize::from(file.report.is_flow);
    });
    assert!(flows > 100, "the corpus is there");
}
