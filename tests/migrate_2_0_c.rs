//! The Kestra 2.0 migration part C (`legacy-script-runner` and the
//! detectors D2-D5) over every flow of `tests/data/kestra-flows`, at
//! `--target-version 2.0 --unsafe-fixes`, on copies: every output still
//! reads as YAML, a second run changes nothing, and the hits per codemod
//! are printed (`cargo test --test migrate_2_0_c -- --nocapture`).

mod common;

const CODEMODS: &[&str] = &[
    "legacy-script-runner",
    "missing-trigger-inputs",
    "sdk-auth",
    "pebble-read-version-arg",
    "ion-read",
];

#[test]
fn corpus_outputs_reread_and_converge() {
    common::migrate_corpus(CODEMODS, |_, _| {});
}
