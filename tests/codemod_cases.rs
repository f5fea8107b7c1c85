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
//! `existing-file PATH="TOML string"` puts a file beside the case first
//! (to show a conflict), and `expect-error` lets the run report errors,
//! which the snapshot shows.

use kestra_fix::engine::config::{Config, Overrides, Settings};
use kestra_fix::engine::process::process_file;
use kestra_fix::engine::verify::Verifier;
use kestra_fix::report::diff::file_diff;
use std::fmt::Write;

/// What a case sets up beside the flow and allows.
#[derive(Default)]
struct CaseSetup {
    existing: Vec<(String, String)>,
    expect_error: bool,
}

fn case_settings(codemod: &str, text: &str) -> (Config, Overrides, CaseSetup) {
    let mut setup = CaseSetup::default();
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
        if let Some(file) = line.strip_prefix("existing-file ") {
            let (path, contents) = file.split_once('=').expect("existing-file PATH=CONTENT");
            let parsed: toml::Table = format!("v = {contents}")
                .parse()
                .unwrap_or_else(|e| panic!("`{line}`: {e}"));
            let contents = parsed["v"].as_str().expect("a TOML string").to_string();
            setup.existing.push((path.trim().to_string(), contents));
            continue;
        }
        match line.split_once('=') {
            None if line == "unsafe-fixes" => o.unsafe_fixes = true,
            None if line == "expect-error" => setup.expect_error = true,
            Some(("target-version", v)) => o.target_version = Some(v.parse().unwrap()),
            _ => panic!("unknown case option `{line}`"),
        }
    }
    let mut config = Config::default();
    if !options.is_empty() {
        config.codemod_options.insert(codemod.to_string(), options);
    }
    (config, o, setup)
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
        let (config, overrides, setup) = case_settings(codemod, &original);
        for (rel, contents) in &setup.existing {
            let file = dir.path().join(rel);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, contents).unwrap();
        }
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
        // Paths in errors are shown relative to the case's temp folder.
        let tmp = format!("{}{}", dir.path().display(), std::path::MAIN_SEPARATOR);
        for e in &report.errors {
            let _ = writeln!(snapshot, "error: {}", e.to_string().replace(&tmp, ""));
        }
        assert_eq!(
            report.errors.is_empty(),
            !setup.expect_error,
            "{file_name}: {snapshot}"
        );

        // What was written is what the diff shows, and a second run on it
        // changes nothing (DESIGN invariant 5).
        let written = std::fs::read_to_string(&path).unwrap();
        assert_eq!(&written, report.fixed.as_ref().unwrap_or(&original));
        let again = process_file(&path, &settings, &Verifier::default(), false);
        assert!(
            again.fixed.is_none(),
            "{file_name}: second run changed the file"
        );
        assert_eq!(
            again.errors.is_empty(),
            !setup.expect_error,
            "{file_name}: {:?}",
            again.errors
        );
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
