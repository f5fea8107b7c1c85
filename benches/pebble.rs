//! Pebble parser throughput on the corpus's expressions (tags/s):
//!
//! - `parse`: [`pebble::parse`] of every template string of
//!   `tests/data/kestra-flows` (lexing, parsing every tag);
//! - `references`: [`pebble::references`] of the same strings (parse +
//!   reference extraction, what split-flow and fetch-to-store call).
//!
//! `cargo bench --bench pebble`; throughput is in elements = tags (print
//! and statement tags: the expressions).

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kestra_fix::kestra::pebble::{self, Node};
use kestra_fix::syntax::parse;
use kestra_fix::syntax::value::{decode_documents, Value};

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let p = entry.expect("dir entry").path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml")) {
            out.push(p);
        }
    }
}

fn templates(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if pebble::has_template(s) => out.push(s.clone()),
        Value::Seq(items) => items.iter().for_each(|i| templates(i, out)),
        Value::Map(entries) => entries.iter().for_each(|(k, v)| {
            templates(k, out);
            templates(v, out);
        }),
        Value::Tagged(_, v) => templates(v, out),
        _ => {}
    }
}

fn bench(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/kestra-flows");
    let mut paths = Vec::new();
    yaml_files(&dir, &mut paths);
    paths.sort();
    let mut strings = Vec::new();
    for p in paths {
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        if let Ok(docs) = decode_documents(&parse(&text)) {
            docs.iter().for_each(|d| templates(d, &mut strings));
        }
    }
    let tags: usize = strings
        .iter()
        .map(|s| {
            pebble::parse(s)
                .nodes
                .iter()
                .filter(|n| matches!(n, Node::Print { .. } | Node::Statement { .. }))
                .count()
        })
        .sum();
    let bytes: usize = strings.iter().map(String::len).sum();
    eprintln!(
        "{} template strings, {tags} tags, {bytes} bytes",
        strings.len()
    );

    let mut g = c.benchmark_group("pebble");
    g.throughput(Throughput::Elements(tags as u64));
    g.bench_function("parse", |b| {
        b.iter(|| {
            for s in &strings {
                black_box(pebble::parse(black_box(s)));
            }
        })
    });
    g.bench_function("references", |b| {
        b.iter(|| {
            for s in &strings {
                black_box(pebble::references(black_box(s)));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
