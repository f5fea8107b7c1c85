//! The structural Kestra 2.0 rules (`MIGRATION-2.0.md` rules 10, 11, 13,
//! 17, 18, 21, 23, 24, 25) over the shared Kestra corpus, all together, at
//! `--target-version 2.0 --unsafe-fixes`: every output still reads as
//! YAML, a second run changes nothing, and no fix fails verification.
//! Also the catalog-dependent branch of `ee-git-clone`, which the shipped
//! catalog never takes.

mod common;

use kestra_fix::engine::config::{Config, Overrides, Settings};
use kestra_fix::engine::process::process_file;
use kestra_fix::engine::verify::Verifier;
use kestra_fix::fix::oracle::load;
use kestra_fix::kestra::catalog::Catalog;
use std::collections::BTreeMap;

const RULES: [&str; 9] = [
    "fetch-type-booleans-for-generate-and-sheets",
    "dbt-build-to-dbt-cli",
    "http-basic-auth",
    "http-removed-options",
    "reserved-flow-ids",
    "purge-kv-behavior",
    "worker-group-to-selector",
    "ee-git-clone",
    "state-store-to-kv",
];

fn settings() -> Settings {
    let overrides = Overrides {
        select: Some(RULES.iter().map(|r| r.to_string()).collect()),
        unsafe_fixes: true,
        target_version: Some("2.0".parse().unwrap()),
        ..Overrides::default()
    };
    Settings::resolve(&Config::default(), &overrides).unwrap()
}

#[test]
fn corpus_converges_and_verifies() {
    let settings = settings();
    let verifier = Verifier::default();
    let base = common::kestra_dir();
    let mut files = common::yaml_files(&base);
    assert!(files.len() > 100, "the corpus is in tests/data");
    let corpus = files.len();
    // The corpus barely uses what these rules rewrite: every codemod's
    // cases join it (ours hit each rule, the others' are more shapes).
    let cases = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("codemods");
    files.extend(common::yaml_files(&cases));
    // codemod -> [corpus, cases] x (findings, fixed)
    let mut hits: BTreeMap<&str, [(usize, usize); 2]> =
        RULES.iter().map(|r| (*r, [(0, 0); 2])).collect();
    let mut changed = 0;
    for (i, file) in files.iter().enumerate() {
        let name = file.display().to_string();
        let original = std::fs::read_to_string(file).unwrap();
        if load(&original).is_err() {
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flow.yaml");
        std::fs::write(&path, &original).unwrap();
        let first = process_file(&path, &settings, &verifier, true);
        assert!(first.errors.is_empty(), "{name}: {:?}", first.errors);
        for f in &first.findings {
            let entry =
                &mut hits.get_mut(f.codemod).expect("one of ours")[usize::from(i >= corpus)];
            entry.0 += 1;
            entry.1 += usize::from(f.fixed);
        }
        let Some(fixed) = &first.fixed else {
            continue;
        };
        changed += 1;
        load(fixed).unwrap_or_else(|e| panic!("{name}: the output does not read: {e:?}"));
        let again = process_file(&path, &settings, &verifier, false);
        assert!(again.errors.is_empty(), "{name}: {:?}", again.errors);
        assert!(again.fixed.is_none(), "{name}: a second run changed it");
    }
    eprintln!(
        "{corpus} corpus files and {} cases, {changed} changed",
        files.len() - corpus
    );
    for (rule, [(found, fixed), (case_found, case_fixed)]) in &hits {
        eprintln!("{rule}: corpus {found} findings ({fixed} fixed); cases {case_found} ({case_fixed} fixed)");
    }
}

/// With a plugin-git that has `strictHostKeyChecking` (a user catalog),
/// the key is written right after `url`, or last without one.
#[test]
fn ee_git_clone_writes_host_key_checking_when_the_catalog_lists_it() {
    let mut catalog = Catalog::builtin().clone();
    let clone = Catalog::builtin()
        .get("io.kestra.plugin.git.Clone")
        .unwrap();
    let mut props: Vec<String> = clone.props().to_vec();
    props.push("strictHostKeyChecking".into());
    let json = serde_json::json!({"types": {"io.kestra.plugin.git.Clone": {
        "kind": "task", "props": props, "repo": "kestra-io/plugin-git"}}});
    catalog.merge(Catalog::from_json(&json.to_string()).unwrap());
    let mut settings = settings();
    settings.catalog = Box::leak(Box::new(catalog));

    let text = "id: git\nnamespace: company.team\ntasks:\n  - id: a\n    type: io.kestra.plugin.ee.git.Clone\n    url: https://x   # repo\n    branch: main\n  - id: b\n    type: io.kestra.plugin.ee.git.Clone\n    branch: main\n  - id: c\n    type: io.kestra.plugin.ee.git.Clone\n    strictHostKeyChecking: false\n";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flow.yaml");
    std::fs::write(&path, text).unwrap();
    let report = process_file(&path, &settings, &Verifier::default(), true);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(
        report.fixed.as_deref(),
        Some("id: git\nnamespace: company.team\ntasks:\n  - id: a\n    type: io.kestra.plugin.git.Clone\n    url: https://x   # repo\n    strictHostKeyChecking: true\n    branch: main\n  - id: b\n    type: io.kestra.plugin.git.Clone\n    branch: main\n    strictHostKeyChecking: true\n  - id: c\n    type: io.kestra.plugin.git.Clone\n    strictHostKeyChecking: false\n")
    );
    let messages: Vec<&str> = report.findings.iter().map(|f| f.message.as_str()).collect();
    assert!(
        messages[0].ends_with("`strictHostKeyChecking: true` keeps host keys checked"),
        "{messages:?}"
    );
    assert!(!messages[2].contains("catalog"), "{messages:?}");
}
