//! Large flows, in block style and as a one-line flow sequence, go through
//! every pass correctly. How their time grows with their size is measured
//! by `cargo bench --bench large_flow` (speed is never asserted in a test:
//! a busy machine would make such a test fail for nothing).

use kestra_fix::codemods::{
    Applicability, Codemod, DataChange, Declaration, DefaultOn, Family, Fix, FlowContext,
    ParsedOptions, Phase, Safety,
};
use kestra_fix::engine::config::{Config, Overrides, Settings};
use kestra_fix::engine::process::process_file;
use kestra_fix::engine::verify::Verifier;
use kestra_fix::engine::ErrorKind;
use kestra_fix::kestra::catalog::Catalog;
use kestra_fix::kestra::KestraVersion;
use kestra_fix::syntax::ast::AstNode;
use kestra_fix::syntax::edit::TextEdit;
use std::time::{Duration, Instant};

/// A flow of `n` Log tasks under their old type name.
fn block_flow(n: usize) -> String {
    let mut text = String::from("id: big\nnamespace: n\ntasks:\n");
    for i in 0..n {
        text.push_str(&format!(
            "  - id: t{i}\n    type: io.kestra.core.tasks.log.Log\n    message: hello é {i}\n"
        ));
    }
    text
}

/// The same tasks in one flow sequence on a single line.
fn one_line_flow(n: usize) -> String {
    let tasks: Vec<String> = (0..n)
        .map(|i| format!("{{id: t{i}, type: io.kestra.core.tasks.log.Log, message: hello é {i}}}"))
        .collect();
    format!("id: big\nnamespace: n\ntasks: [{}]\n", tasks.join(", "))
}

/// Fastest of a few runs renaming every task's type (a dry run).
fn time_to_rename(text: &str) -> Duration {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flow.yaml");
    std::fs::write(&path, text).unwrap();
    let overrides = Overrides {
        select: Some(vec!["migrate-renamed-types".into()]),
        ..Overrides::default()
    };
    let settings = Settings::resolve(&Config::default(), &overrides).unwrap();
    let verifier = Verifier::default();
    (0..3)
        .map(|_| {
            let started = Instant::now();
            let report = process_file(&path, &settings, &verifier, false);
            let elapsed = started.elapsed();
            assert!(report.errors.is_empty(), "{:?}", report.errors);
            assert_eq!(
                report.findings.len(),
                text.matches("core.tasks.log").count()
            );
            elapsed
        })
        .min()
        .unwrap()
}

#[test]
fn renaming_types_of_large_flows() {
    let n = if cfg!(debug_assertions) {
        2_000
    } else {
        20_000
    };
    for (style, flow) in [
        ("block", block_flow as fn(usize) -> String),
        ("one-line", one_line_flow),
    ] {
        let took = time_to_rename(&flow(n));
        println!("{style}: {n} tasks {took:.2?}");
    }
}

/// `n` Log tasks to rename and `n` queries whose FETCH -> STORE waits for
/// `--unsafe-fixes`: findings of a later round, mapped back through the
/// first round's edits.
fn fetch_flow(n: usize) -> String {
    let mut text = String::from("id: big\nnamespace: n\ntasks:\n");
    for i in 0..n {
        text.push_str(&format!(
            "  - id: t{i}\n    type: io.kestra.core.tasks.log.Log\n    message: hello {i}\n  - id: q{i}\n    type: io.kestra.plugin.jdbc.postgresql.Query\n    sql: select 1\n    fetchType: FETCH\n"
        ));
    }
    text
}

fn time_default_run(text: &str) -> Duration {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flow.yaml");
    std::fs::write(&path, text).unwrap();
    let settings = Settings::resolve(&Config::default(), &Overrides::default()).unwrap();
    let started = Instant::now();
    let report = process_file(&path, &settings, &Verifier::default(), false);
    let elapsed = started.elapsed();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.findings.len(), 2 * text.matches("FETCH").count());
    elapsed
}

#[test]
fn findings_of_later_rounds_on_a_large_flow() {
    let n = if cfg!(debug_assertions) { 600 } else { 6_000 };
    let took = time_default_run(&fetch_flow(n));
    println!("later rounds: {n} pairs {took:.2?}");
}

/// Rewrites every task's `message` to `m`, truthfully except for the last
/// task, whose fix declares `declared` and writes `lie`.
struct LiarInTheCrowd;

impl Codemod for LiarInTheCrowd {
    fn declaration(&self) -> &'static Declaration {
        &Declaration {
            name: "liar-in-the-crowd",
            family: Family::BestPractice,
            summary: "test",
            safety: Safety::Safe,
            default_on: DefaultOn::Always,
            phase: Phase::PROPERTIES,
            docs: "",
        }
    }
    fn parse_options(&self, _: &toml::Table) -> Result<ParsedOptions, String> {
        Ok(ParsedOptions::new(()))
    }
    fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
        let instances = ctx.flow.plugin_instances();
        let last = instances.len().saturating_sub(1);
        instances
            .iter()
            .enumerate()
            .filter_map(|(i, inst)| {
                let node = inst.mapping.get_value("message")?;
                let scalar = node.as_scalar()?;
                if scalar.value() == "m" || scalar.value() == "lie" {
                    return None;
                }
                let range = scalar.syntax().text_range();
                let (written, declared) = if i == last {
                    ("lie", "declared")
                } else {
                    ("m", "m")
                };
                Some(Fix::new(
                    range,
                    "rewrite",
                    Applicability::Safe,
                    vec![TextEdit::replace(range, written)],
                    vec![DataChange::set_string(inst.path.key("message"), declared)],
                ))
            })
            .collect()
    }
}

static LIAR: LiarInTheCrowd = LiarInTheCrowd;

/// Time to find the one fix of a round that fails verification.
fn time_to_blame(n: usize) -> Duration {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flow.yaml");
    let text = block_flow(n);
    std::fs::write(&path, &text).unwrap();
    let settings = Settings {
        codemods: vec![&LIAR],
        unsafe_fixes: false,
        target_version: KestraVersion::DEFAULT,
        catalog: Catalog::builtin(),
        codemod_options: [(LIAR.name(), ParsedOptions::new(()))].into(),
    };
    let started = Instant::now();
    let report = process_file(&path, &settings, &Verifier::default(), false);
    let elapsed = started.elapsed();
    let error = &report.errors[0];
    assert!(
        matches!(&error.kind, ErrorKind::Verification { codemod, .. } if codemod == "liar-in-the-crowd"),
        "{error}"
    );
    // The blame lands on the last task's message.
    let line = text.lines().count() as u32;
    assert_eq!(error.position.map(|p| p.line), Some(line), "{error}");
    // That fix alone is dropped; the verified ones are kept.
    let fixed = report.fixed.expect("the other fixes are applied");
    assert_eq!(fixed.matches("message: m\n").count(), n - 1);
    elapsed
}

#[test]
fn one_bad_fix_among_many_is_blamed_and_dropped_alone() {
    let n = if cfg!(debug_assertions) { 300 } else { 3_000 };
    let took = time_to_blame(n);
    println!("blame: {n} fixes {took:.2?}");
}
