//! Load time of the plugin catalog shipped in the binary: parsing
//! `data/plugin-properties.json` into the typed catalog, which every run
//! that asks a property question pays once.
//!
//! `cargo bench --bench catalog`; `builtin_plus_user` is the extra cost of
//! a user catalog (see `engine::config::catalog_for`).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kestra_fix::kestra::catalog::Catalog;

const JSON: &str = include_str!("../data/plugin-properties.json");

fn load(c: &mut Criterion) {
    let mut group = c.benchmark_group("catalog");
    group.throughput(Throughput::Bytes(JSON.len() as u64));
    group.bench_function("from_json", |b| {
        b.iter(|| Catalog::from_json(std::hint::black_box(JSON)).expect("valid catalog"))
    });
    // What a run with user catalogs adds: a copy of the built-in catalog
    // with a small user catalog merged over it (once per distinct list).
    let user = include_str!("../tests/data/kestra-schema.json");
    let user = kestra_fix::kestra::catalog::import_schema(user)
        .expect("valid schema")
        .json
        .to_string();
    Catalog::builtin();
    group.bench_function("builtin_plus_user", |b| {
        b.iter(|| {
            let mut c = Catalog::builtin().clone();
            c.merge(Catalog::from_json(std::hint::black_box(&user)).expect("valid catalog"));
            c
        })
    });
    group.finish();
}

criterion_group!(benches, load);
criterion_main!(benches);
