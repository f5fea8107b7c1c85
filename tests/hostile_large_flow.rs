//! Large flows cost time linear in their size: four times the tasks may
//! not take anywhere near sixteen times as long (what a quadratic pass
//! would), on a flow in block style and on a one-line flow sequence.
//! `benches/large_flow.rs` reports the figures for 10 MB flows.

use kestra_fix::engine::config::{Config, Overrides, Settings};
use kestra_fix::engine::process::process_file;
use kestra_fix::engine::verify::Verifier;
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
