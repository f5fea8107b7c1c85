//! Load time of the plugin catalog shipped in the binary: parsing
//! `data/plugin-properties.json` into the typed catalog, which every run
//! that asks a property question pays once.
//!
//! `cargo bench --bench catalog`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kestra_fix::kestra::catalog::Catalog;

const JSON: &str = include_str!("../data/plugin-properties.json");

fn load(c: &mut Criterion) {
    let mut group = c.benchmark_group("catalog");
    group.throughput(Throughput::Bytes(JSON.len() as u64));
    group.bench_function("from_json", |b| {
        b.iter(|| Catalog::from_json(std::hint::black_box(JSON)).expect("valid catalog"))
    });
    group.finish();
}

criterion_group!(benches, load);
criterion_main!(benches);
