//! Snapshot tests of every codemod case: `codemods/<name>/cases/*.yaml`.
//!
//! Each case runs through the whole engine (fix loop and verification) with
//! only its codemod selected; the snapshot, in `snapshots/<codemod>/`,
//! holds the diff and findings.
//! A case's leading `# case: KEY[=VALUE]` lines set options:
//! `unsafe-fixes`, `target-version=X.Y`, and `option NAME=TOML` for the
//! codemod's own options (`# case: option min-lines=3`).
//! Files a fix creates are written beside the case in a temp folder and
//! shown in the snapshot after the diff.

use kestra_fix::engine::config::{Config, Overrides, Settings};
use kestra_fix::engine::process::process_file;
use kestra_fix::engine::verify::Verifier;
use kestra_fix::report::diff::file_diff;
use std::fmt::Write;

fn case_settings(codemod: &str, text: &str) -> (Config, Overrides) {
    let mut o = Overrides {
        select: Some(vec![codemod.to_string()]),
        ..Overrides::default()
    };
    let mut options = toml::Table::new();
    for line in text.lines().map_while(|l| l.strip_prefix("# case:")) {
        let line = line.trim();
        if let Some(option) = line.strip_prefix("option ") {
            let parsed: toml::Table = option.parse().unwrap_or_else(|e| panic!("`{line}`: {e}"));
            options.extend(parsed);
            continue;
        }
        match line.split_once('=') {
            None if line == "unsafe-fixes" => o.unsafe_fixes = true,
            Some(("target-version", v)) => o.target_version = Some(v.parse().unwrap()),
            _ => panic!("unknown case option `{line}`"),
        }
    }
    let mut config = Config::default();
    if !options.is_empty() {
        config.codemod_options.insert(codemod.to_string(), options);
    }
    (config, o)
}

#[test]
fn codemod_cases() {
    insta::glob!("../codemods", "*/cases/*.yaml", |case| {
        let codemod = case
            .parent()
            .and_then(std::path::Path::parent)
            .and_then(std::path::Path::file_name)
            .unwrap();
        let codemod = codemod.to_str().unwrap();
        let file_name = case.file_name().unwrap().to_str().unwrap();
        let original = std::fs::read_to_string(case).unwrap();

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(file_name);
        std::fs::write(&path, &original).unwrap();
        let (config, overrides) = case_settings(codemod, &original);
        let settings = Settings::resolve(&config, &overrides).unwrap();
        let report = process_file(&path, &settings, &Verifier::default(), true);

        let mut snapshot = String::new();
        match &report.fixed {
            Some(fixed) => file_diff(&mut snapshot, file_name, Some(&original), fixed, false),
            None => snapshot.push_str("(no change)\n"),
        }
        for created in &report.created {
            let rel = created
                .path
                .strip_prefix(dir.path())
                .unwrap_or(&created.path);
            let _ = writeln!(snapshot, "\n----- new file {} -----", rel.display());
            snapshot.push_str(&created.contents);
        }
        snapshot.push('\n');
        for f in &report.findings {
            let status = if f.fixed { "fixed" } else { "not fixed" };
            let _ = writeln!(
                snapshot,
                "{}:{}: {}: {} [{}, {status}]",
                f.start.line, f.start.col, f.codemod, f.message, f.applicability
            );
        }
        for e in &report.errors {
            let _ = writeln!(snapshot, "error: {e}");
        }
        assert!(report.errors.is_empty(), "{file_name}: {snapshot}");

        // What was written is what the diff shows, and a second run on it
        // changes nothing (DESIGN invariant 5).
        let written = std::fs::read_to_string(&path).unwrap();
        assert_eq!(&written, report.fixed.as_ref().unwrap_or(&original));
        let again = process_file(&path, &settings, &Verifier::default(), false);
        assert!(
            again.fixed.is_none(),
            "{file_name}: second run changed the file"
        );
        assert!(again.errors.is_empty(), "{file_name}: {:?}", again.errors);
        if original.contains("\r\n") {
            assert_eq!(
                written.matches("\r\n").count(),
                written.matches('\n').count(),
                "CRLF kept"
            );
        }

        // Names pinned per codemod: glob! names snapshots after the part of
        // the path not shared by all matches, which shifts as cases are added;
        // the codemod in the name keeps two codemods' `crlf.yaml` apart.
        let stem = case.file_stem().unwrap().to_str().unwrap();
        insta::with_settings!({
            snapshot_path => format!("../snapshots/{codemod}"),
            snapshot_suffix => stem,
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!(codemod, snapshot);
        });
    });
}
