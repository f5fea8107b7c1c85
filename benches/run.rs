//! Whole-run benchmark: `kestra-fix --dry-run` over generated flows, as the
//! engine runs it (discovery, parse, codemods, verify, patch rendering).
//!
//! `cargo bench --bench run` reports files/s (criterion's `thrpt`, in elements/s). Set `KESTRA_FIX_BENCH_DIR` to
//! time a folder of your own instead, e.g. the shared corpus made with
//! `python3 tools/gen_corpus.py OUTDIR 2000 20`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kestra_fix::engine::{self, RunOptions};
use kestra_fix::report;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

criterion_group! {
    name = benches;
    // A sample is a whole run over 10,000 files: few samples, long budget.
    config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(40));
    targets = dry_run_whole_folder
}
criterion_main!(benches);

const FLOWS: usize = 10_000;

/// A flow of a dozen tasks mixing old and canonical names, quoting styles,
/// nesting, comments and defaults; `seed` varies the mix.
fn flow(seed: usize) -> String {
    const OLD: [&str; 4] = [
        "io.kestra.core.tasks.log.Log",
        "io.kestra.core.tasks.debugs.Return",
        "io.kestra.core.tasks.flows.Pause",
        "io.kestra.core.tasks.storages.Purge",
    ];
    const NEW: [&str; 3] = [
        "io.kestra.plugin.core.log.Log",
        "io.kestra.plugin.scripts.python.Script",
        "io.kestra.plugin.core.http.Request",
    ];
    let mut s = format!("id: flow-{seed}\nnamespace: company.team{}\n", seed % 37);
    s.push_str(
        "description: |\n  Generated for the whole-run benchmark.\n  Two lines of block text.\n",
    );
    if seed % 3 == 0 {
        s.push_str("taskDefaults:\n  - type: io.kestra.core.tasks.log.Log\n    values:\n      level: INFO\n");
    }
    s.push_str("inputs:\n  - id: day\n    type: STRING\n    defaults: \"2024-01-01\"\ntasks:\n");
    for t in 0..12 {
        let ty = if (seed + t) % 4 == 0 {
            OLD[(seed + t) % OLD.len()]
        } else {
            NEW[(seed + t) % NEW.len()]
        };
        let quoted = match (seed + t) % 3 {
            0 => ty.to_string(),
            1 => format!("\"{ty}\""),
            _ => format!("'{ty}'"),
        };
        let _ = write!(
            s,
            "  # step {t}\n  - id: task-{t}\n    type: {quoted}\n    message: \"day {{{{ inputs.day }}}} step {t}\"\n"
        );
        if t % 5 == 4 {
            let _ = write!(
                s,
                "  - id: group-{t}\n    type: io.kestra.core.tasks.flows.Parallel\n    tasks:\n      - id: inner-{t}\n        type: io.kestra.plugin.core.log.Log\n        message: inner\n"
            );
        }
    }
    s.push_str("triggers:\n  - id: daily\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: \"0 9 * * *\"\n");
    s
}

fn generate(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..n {
        let sub = dir.path().join(format!("ns{}", i % 50));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join(format!("flow-{i}.yaml")), flow(i)).unwrap();
    }
    dir
}

fn dry_run(dir: &Path) -> usize {
    let options = RunOptions {
        paths: vec![PathBuf::from(dir)],
        dry_run: true,
        ..RunOptions::default()
    };
    let result = engine::run(&options, |_| {}, &|| {});
    assert_eq!(
        result.all_errors().count(),
        0,
        "benchmark flows must be valid"
    );
    report::diff::render(&result, false).len()
}

/// 10,000 generated flows, or the folder in `KESTRA_FIX_BENCH_DIR`.
fn dry_run_whole_folder(c: &mut Criterion) {
    let generated;
    let dir = match std::env::var_os("KESTRA_FIX_BENCH_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => {
            generated = generate(FLOWS);
            generated.path().to_path_buf()
        }
    };
    let files = engine::walk::discover(std::slice::from_ref(&dir), false)
        .0
        .len();
    let mut group = c.benchmark_group("whole-run");
    group.throughput(Throughput::Elements(files as u64));
    group.bench_function("dry-run", |b| b.iter(|| dry_run(&dir)));
    group.finish();
}
