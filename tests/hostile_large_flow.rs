//! Large flows cost time linear in their size: four times the tasks may
//! not take anywhere near sixteen times as long (what a quadratic pass
//! would), on a flow in block style and on a one-line flow sequence.
//! `benches/large_flow.rs` reports the figures for 10 MB flows.

use kestra_fix::codemods::{Applicability, Codemod, DataChange, Fix, FlowContext, Safety};
use kestra_fix::engine::config::{Config, Overrides, Settings};
use kestra_fix::engine::process::process_file;
use kestra_fix::engine::verify::Verifier;
use kestra_fix::engine::ErrorKind;
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
fn renaming_types_is_linear_in_the_number_of_tasks() {
    let n = if cfg!(debug_assertions) {
        2_000
    } else {
        20_000
    };
    for (style, flow) in [
        ("block", block_flow as fn(usize) -> String),
        ("one-line", one_line_flow),
    ] {
        let small = time_to_rename(&flow(n));
        let large = time_to_rename(&flow(4 * n));
        let ratio = large.as_secs_f64() / small.as_secs_f64();
        println!(
            "{style}: {n} tasks {small:.2?}, {} tasks {large:.2?}, ratio {ratio:.1}",
            4 * n
        );
        assert!(
            ratio < 8.0,
            "{style}: 4x the tasks took {ratio:.1}x the time"
        );
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
fn findings_of_later_rounds_are_linear_in_the_number_of_tasks() {
    let n = if cfg!(debug_assertions) { 600 } else { 6_000 };
    let small = time_default_run(&fetch_flow(n));
    let large = time_default_run(&fetch_flow(4 * n));
    let ratio = large.as_secs_f64() / small.as_secs_f64();
    println!(
        "later rounds: {n} {small:.2?}, {} {large:.2?}, ratio {ratio:.1}",
        4 * n
    );
    assert!(ratio < 8.0, "4x the tasks took {ratio:.1}x the time");
}

/// Rewrites every task's `message` to `m`, truthfully except for the last
/// task, whose fix declares `declared` and writes `lie`.
struct LiarInTheCrowd;

impl Codemod for LiarInTheCrowd {
    fn name(&self) -> &'static str {
        "liar-in-the-crowd"
    }
    fn summary(&self) -> &'static str {
        "test"
    }
    fn safety(&self) -> Safety {
        Safety::Safe
    }
    fn default_on(&self, _: KestraVersion) -> bool {
        true
    }
    fn docs(&self) -> &'static str {
        ""
    }
    fn check_options(&self, _: &toml::Table) -> Result<(), String> {
        Ok(())
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
        codemod_options: Default::default(),
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
    assert!(report.fixed.is_none());
    elapsed
}

#[test]
fn blaming_one_bad_fix_among_many_is_not_a_check_per_fix() {
    let n = if cfg!(debug_assertions) { 300 } else { 3_000 };
    let small = time_to_blame(n);
    let large = time_to_blame(4 * n);
    let ratio = large.as_secs_f64() / small.as_secs_f64();
    println!(
        "blame: {n} fixes {small:.2?}, {} fixes {large:.2?}, ratio {ratio:.1}",
        4 * n
    );
    assert!(ratio < 8.0, "4x the fixes took {ratio:.1}x the time");
}
