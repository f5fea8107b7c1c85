//! hoist-plugin-defaults then inline-plugin-defaults gives back a flow
//! whose every plugin instance runs with the original configuration, on the
//! hoist cases and on every flow of the shared corpus.

use kestra_fix::engine::config::{Config, Overrides, Settings};
use kestra_fix::engine::process::process_file;
use kestra_fix::engine::verify::Verifier;
use kestra_fix::fix::oracle::load;
use kestra_fix::kestra::defaults::effective_configs;
use std::path::{Path, PathBuf};

fn settings(codemod: &str, target: &str) -> Settings {
    let overrides = Overrides {
        select: Some(vec![codemod.to_string()]),
        target_version: Some(target.parse().unwrap()),
        ..Overrides::default()
    };
    Settings::resolve(&Config::default(), &overrides).unwrap()
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yml" | "yaml")
        ) {
            out.push(path);
        }
    }
}

#[test]
fn hoist_then_inline_keeps_every_effective_configuration() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    yaml_files(
        &root.join("codemods/hoist-plugin-defaults/cases"),
        &mut files,
    );
    let cases = files.len();
    yaml_files(&root.join("tests/data/kestra-flows"), &mut files);
    let (hoist, inline) = (
        settings("hoist-plugin-defaults", "1.3"),
        settings("inline-plugin-defaults", "2.0"),
    );
    let verifier = Verifier::default();
    let (mut hoisted, mut round_trips) = (0, 0);
    for (i, file) in files.iter().enumerate() {
        let original = std::fs::read_to_string(file).unwrap();
        let Ok(before) = load(&original) else {
            continue;
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flow.yaml");
        std::fs::write(&path, &original).unwrap();
        let first = process_file(&path, &hoist, &verifier, true);
        assert!(
            first.errors.is_empty(),
            "{}: {:?}",
            file.display(),
            first.errors
        );
        if first.fixed.is_none() {
            continue;
        }
        hoisted += 1;
        let second = process_file(&path, &inline, &verifier, true);
        assert!(
            second.errors.is_empty(),
            "{}: {:?}",
            file.display(),
            second.errors
        );
        let after = load(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(
            effective_configs(&before[0]),
            effective_configs(&after[0]),
            "{}",
            file.display()
        );
        if second.fixed.is_some() {
            round_trips += 1;
        } else {
            // Hoisting never creates a default inlining cannot write back:
            // a refusal here is one the original flow had already.
            let original_path = dir.path().join("original.yaml");
            std::fs::write(&original_path, &original).unwrap();
            let refused_before = refused(&process_file(&original_path, &inline, &verifier, false));
            assert!(
                refused(&second) && refused_before,
                "{}: inlining refused what hoisting wrote: {:?}",
                file.display(),
                second.findings
            );
            assert!(
                i >= cases,
                "{}: inline refused a hoisted case",
                file.display()
            );
        }
    }
    eprintln!("hoisted {hoisted} flows, {round_trips} inlined back");
    assert!(
        round_trips >= 5,
        "the hoist cases must exercise the round trip"
    );
}

/// inline-plugin-defaults left the flow as a finding (it refused).
fn refused(report: &kestra_fix::engine::process::FileReport) -> bool {
    report
        .findings
        .iter()
        .any(|f| f.codemod == "inline-plugin-defaults" && !f.fixed)
}

/// Every comment of `text`, trimmed, sorted: a multiset to compare.
fn comments(text: &str) -> Vec<String> {
    use kestra_fix::syntax::{parse, SyntaxKind};
    let mut out: Vec<String> = parse(text)
        .syntax()
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| t.kind() == SyntaxKind::COMMENT)
        .map(|t| t.text().trim().to_string())
        .collect();
    out.sort();
    out
}

/// What of `before` (a sorted multiset) is missing from `after`.
fn missing(before: &[String], after: &[String]) -> Vec<String> {
    let mut after = after.to_vec();
    let mut gone = Vec::new();
    for c in before {
        match after.iter().position(|a| a == c) {
            Some(i) => {
                after.swap_remove(i);
            }
            None => gone.push(c.clone()),
        }
    }
    gone
}

#[test]
fn hoist_then_inline_keeps_every_comment() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in [
        "codemods/hoist-plugin-defaults/cases",
        "codemods/inline-plugin-defaults/cases",
        "tests/data/kestra-flows",
    ] {
        yaml_files(&root.join(dir), &mut files);
    }
    let (hoist, inline) = (
        settings("hoist-plugin-defaults", "1.3"),
        settings("inline-plugin-defaults", "2.0"),
    );
    let verifier = Verifier::default();
    let (mut changed, mut with_comments) = (0, 0);
    for file in &files {
        let original = std::fs::read_to_string(file).unwrap();
        let before = comments(&original);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flow.yaml");
        std::fs::write(&path, &original).unwrap();
        let first = process_file(&path, &hoist, &verifier, true);
        let second = process_file(&path, &inline, &verifier, true);
        if first.fixed.is_none() && second.fixed.is_none() {
            continue;
        }
        changed += 1;
        with_comments += usize::from(!before.is_empty());
        let after = comments(&std::fs::read_to_string(&path).unwrap());
        let gone = missing(&before, &after);
        assert!(
            gone.is_empty(),
            "{}: comments lost: {gone:?}",
            file.display()
        );
    }
    eprintln!("{changed} flows changed, {with_comments} of them with comments");
    assert!(
        with_comments >= 10,
        "the comment check must see commented flows"
    );
}

/// Issue 13: over the Kestra corpus, inlining at 2.0 refuses a flow only
/// when the catalog cannot tell whether a type has a default's property.
#[test]
fn inline_refuses_only_types_the_catalog_does_not_know() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    yaml_files(&root.join("tests/data/kestra-flows"), &mut files);
    let inline = settings("inline-plugin-defaults", "2.0");
    let verifier = Verifier::default();
    let (mut inlined, mut refusals) = (0, 0);
    for file in &files {
        let report = process_file(file, &inline, &verifier, false);
        assert!(
            report.errors.is_empty(),
            "{}: {:?}",
            file.display(),
            report.errors
        );
        for f in report
            .findings
            .iter()
            .filter(|f| f.codemod == "inline-plugin-defaults")
        {
            if f.applicability == kestra_fix::fix::Applicability::DisplayOnly {
                refusals += 1;
                assert!(
                    f.message.contains("kestra-fix cannot tell whether"),
                    "{}: {}",
                    file.display(),
                    f.message
                );
            } else {
                inlined += 1;
            }
        }
    }
    eprintln!("inline at 2.0: {inlined} flows fixable, {refusals} refused (unknown types)");
    assert!(inlined >= 4, "the corpus has flows with defaults");
}
