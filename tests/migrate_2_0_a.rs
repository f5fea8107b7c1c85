//! The migrate-2.0 rules of part A over the Kestra corpus, at a 2.0 target
//! with unsafe fixes: every output reads back as YAML, a second run
//! changes nothing, and no fix fails verification. Prints each rule's hits
//! (`cargo test --test migrate_2_0_a -- --nocapture`).

mod common;

use kestra_fix::engine::config::{Config, Overrides, Settings};
use kestra_fix::engine::process::process_file;
use kestra_fix::engine::verify::Verifier;
use kestra_fix::fix::oracle::load;
use std::collections::BTreeMap;

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
    let overrides = Overrides {
        select: Some(RULES.iter().map(|r| r.to_string()).collect()),
        target_version: Some("2.0".parse().unwrap()),
        unsafe_fixes: true,
        ..Overrides::default()
    };
    let settings = Settings::resolve(&Config::default(), &overrides).unwrap();
    let verifier = Verifier::default();
    let base = common::kestra_dir();
    // Per rule: (flows changed, fixes applied, findings left).
    let mut hits: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    let (mut flows, mut changed) = (0, 0);
    for file in common::yaml_files(&base) {
        let name = common::rel(&file, &base);
        let original = std::fs::read_to_string(&file).unwrap();
        if load(&original).is_err() {
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flow.yaml");
        std::fs::write(&path, &original).unwrap();
        let first = process_file(&path, &settings, &verifier, true);
        assert!(first.errors.is_empty(), "{name}: {:?}", first.errors);
        if !first.is_flow {
            continue;
        }
        flows += 1;
        let mut touched: Vec<&str> = Vec::new();
        for f in &first.findings {
            let entry = hits.entry(f.codemod).or_default();
            if f.fixed {
                entry.1 += 1;
                if !touched.contains(&f.codemod) {
                    touched.push(f.codemod);
                    entry.0 += 1;
                }
            } else {
                entry.2 += 1;
            }
        }
        let Some(fixed) = &first.fixed else {
            continue;
        };
        changed += 1;
        load(fixed).unwrap_or_else(|e| panic!("{name}: the output does not read back: {e}"));
        let again = process_file(&path, &settings, &verifier, true);
        assert!(again.errors.is_empty(), "{name}: {:?}", again.errors);
        assert!(
            again.fixed.is_none(),
            "{name}: a second run changed the file"
        );
    }
    println!("{flows} flows, {changed} changed");
    println!(
        "{:<32} {:>6} {:>6} {:>9}",
        "rule", "flows", "fixes", "findings"
    );
    for rule in RULES {
        let (f, x, n) = hits.get(rule).copied().unwrap_or_default();
        println!("{rule:<32} {f:>6} {x:>6} {n:>9}");
    }
    assert!(flows > 100, "the corpus is there");
}
