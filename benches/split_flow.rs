//! split-flow on a generated 2,000-task flow: the codemod run alone and
//! the whole engine (fix loop, verification) on it.

use criterion::{criterion_group, criterion_main, Criterion};
use kestra_fix::engine::config::{Config, Overrides, Settings};
use kestra_fix::engine::process::process_file;
use kestra_fix::engine::verify::Verifier;
use std::fmt::Write;

/// 2,000 tasks: plain tasks, Parallels of 3, and a read of a value 150
/// tasks back every 10th task (so most parts import from an earlier one).
fn flow(tasks: usize) -> String {
    let mut s = String::from(
        "id: big\nnamespace: company.team\ninputs:\n  - id: day\n    type: STRING\n    defaults: monday\ntasks:\n",
    );
    let mut count = 0;
    let mut i = 0;
    while count < tasks {
        if i % 9 == 4 && count + 3 <= tasks {
            let _ = write!(s, "  - id: par{i}\n    type: io.kestra.plugin.core.flow.Parallel\n    tasks:\n      - id: a{i}\n        type: io.kestra.plugin.core.log.Log\n        message: a\n      - id: b{i}\n        type: io.kestra.plugin.core.log.Log\n        message: b\n");
            count += 3;
        } else if i % 10 == 0 && i >= 150 && (i - 150) % 9 != 4 {
            let _ = write!(s, "  - id: t{i}\n    type: io.kestra.plugin.core.log.Log\n    message: \"{{{{ outputs.t{}.value }}}} {{{{ inputs.day }}}}\"\n", i - 150);
            count += 1;
        } else {
            let _ = write!(
                s,
                "  - id: t{i}\n    type: io.kestra.plugin.core.debug.Return\n    format: \"{i}\"\n"
            );
            count += 1;
        }
        i += 1;
    }
    s
}

fn bench(c: &mut Criterion) {
    let text = flow(2000);
    let settings = Settings::resolve(
        &Config::default(),
        &Overrides {
            select: Some(vec!["split-flow".into()]),
            unsafe_fixes: true,
            ..Overrides::default()
        },
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.yaml");
    std::fs::write(&path, &text).unwrap();
    let check = process_file(&path, &settings, &Verifier::default(), false);
    assert!(check.errors.is_empty(), "{:?}", check.errors);
    assert!(
        check.created.len() >= 20,
        "2,000 tasks in parts of at most 100"
    );

    let mut g = c.benchmark_group("split_flow");
    g.sample_size(20);
    g.bench_function("2000 tasks, dry run (engine + verification)", |b| {
        b.iter(|| process_file(&path, &settings, &Verifier::default(), false))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
