//! One very large flow through the fix engine: a 10 MB flow of Log tasks
//! under their old type name (block style), and the same tasks as one
//! 10 MB line (a flow sequence), renamed by `migrate-renamed-types` in a
//! dry run. Every pass is linear in the file, so the time per MB stays
//! that of small flows.
//!
//! `cargo bench --bench large_flow` reports the time per run and MB/s.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kestra_fix::engine::config::{Config, Overrides, Settings};
use kestra_fix::engine::process::process_file;
use kestra_fix::engine::verify::Verifier;
use std::time::Duration;

criterion_group! {
    name = benches;
    // A sample is a whole 10 MB file through the fix loop: few samples.
    config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(60));
    targets = large_flows
}
criterion_main!(benches);

const TARGET_BYTES: usize = 10_000_000;

fn block_flow() -> String {
    let mut text = String::from("id: big\nnamespace: company.team\ntasks:\n");
    let mut i = 0;
    while text.len() < TARGET_BYTES {
        text.push_str(&format!(
            "  - id: t{i}\n    type: io.kestra.core.tasks.log.Log\n    message: \"hello {{{{ inputs.day }}}} {i}\"\n"
        ));
        i += 1;
    }
    text
}

fn one_line_flow() -> String {
    let mut text = String::from("id: big\nnamespace: company.team\ntasks: [");
    let mut i = 0;
    while text.len() < TARGET_BYTES {
        if i > 0 {
            text.push_str(", ");
        }
        text.push_str(&format!(
            "{{id: t{i}, type: io.kestra.core.tasks.log.Log, message: 'hello {{{{ inputs.day }}}} {i}'}}"
        ));
        i += 1;
    }
    text.push_str("]\n");
    text
}

fn large_flows(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let overrides = Overrides {
        select: Some(vec!["migrate-renamed-types".into()]),
        ..Overrides::default()
    };
    let settings = Settings::resolve(&Config::default(), &overrides).unwrap();
    let verifier = Verifier::default();
    let mut group = c.benchmark_group("large_flow");
    for (name, text) in [
        ("block_10mb", block_flow()),
        ("one_line_10mb", one_line_flow()),
    ] {
        let path = dir.path().join(format!("{name}.yaml"));
        std::fs::write(&path, &text).unwrap();
        let tasks = text.matches("core.tasks.log").count();
        let report = process_file(&path, &settings, &verifier, false);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(report.findings.len(), tasks);
        eprintln!("{name}: {} bytes, {tasks} tasks", text.len());
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| process_file(&path, &settings, &verifier, false))
        });
    }
    group.finish();
}
