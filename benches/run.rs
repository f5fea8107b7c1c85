//! Whole-run benchmark: `kestra-fix --dry-run` over generated flows, as the
//! engine runs it (discovery, parse, codemods, verify, patch rendering),
//! side by side with the floor issue 16 names: one parse of each file by
//! our parser plus one read by the independent parser (saphyr).
//!
//! `cargo bench --bench run` times, over 10,000 flows:
//! - `floor`: read + our parse + saphyr's load of every file, 2 threads;
//! - `default-j1` / `default-j2`: the default codemods with 1 and 2 workers;
//! - `target-2.0-j2`: the 2.0 family selected (`--target-version 2.0`).
//!
//! Criterion reports files/s (`thrpt`, elements/s); each group's peak RSS
//! (the process's high-water mark, reset before the group) is printed
//! after it. Set `KESTRA_FIX_BENCH_DIR` to time a folder of your own, e.g.
//! the corpus of `python3 tools/gen_corpus.py OUTDIR 10000 100`.

// The binary's allocator (src/main.rs), so the bench times what users run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kestra_fix::engine::{self, RunOptions};
use kestra_fix::kestra::KestraVersion;
use kestra_fix::report;
use rayon::prelude::*;
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

fn dry_run(dir: &Path, jobs: usize, target: Option<KestraVersion>) -> usize {
    let mut options = RunOptions {
        paths: vec![PathBuf::from(dir)],
        dry_run: true,
        jobs: Some(jobs),
        ..RunOptions::default()
    };
    options.overrides.target_version = target;
    // As the CLI runs it: each file's patch rendered when it is done, its
    // texts then let go.
    let patch = |file: &engine::FileReport| {
        file.changed()
            .then(|| report::diff::file_patch(file, false))
    };
    let result = engine::run_settling(&options, |_| {}, &|| {}, Some(&patch));
    assert_eq!(
        result.all_errors().count(),
        0,
        "benchmark flows must be valid"
    );
    let mut out = std::io::sink();
    report::diff::write(&result, false, &mut out).unwrap();
    result.files.len()
}

/// The floor: every file read, parsed by our parser and loaded by saphyr.
fn floor(files: &[PathBuf], pool: &rayon::ThreadPool) -> usize {
    use saphyr::LoadableYamlNode;
    pool.install(|| {
        files
            .par_iter()
            .map(|f| {
                let text = std::fs::read_to_string(f).unwrap();
                let parse = kestra_fix::syntax::parse(&text);
                let docs = saphyr::MarkedYamlOwned::load_from_str(&text).unwrap();
                parse.errors().len() + docs.len()
            })
            .sum()
    })
}

/// Resets the process's peak RSS (Linux; elsewhere a no-op).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The process's peak RSS since the last reset, in MB (Linux).
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
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
    let files = engine::walk::discover(std::slice::from_ref(&dir), false).0;
    let bytes: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
        .sum();
    println!(
        "corpus: {} files, {:.1} MB",
        files.len(),
        bytes as f64 / 1e6
    );
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let mut group = c.benchmark_group("whole-run");
    group.throughput(Throughput::Elements(files.len() as u64));
    let mut peaks = Vec::new();
    let mut measure = |name: &str, run: &mut dyn FnMut() -> usize| {
        reset_peak_rss();
        group.bench_function(name, |b| b.iter(&mut *run));
        peaks.push((name.to_string(), peak_rss_mb()));
    };
    measure("floor", &mut || floor(&files, &pool));
    measure("default-j1", &mut || dry_run(&dir, 1, None));
    measure("default-j2", &mut || dry_run(&dir, 2, None));
    let v2 = "2.0".parse().ok();
    measure("target-2.0-j2", &mut || dry_run(&dir, 2, v2));
    group.finish();
    println!("\npeak RSS per group (MB; the whole bench process):");
    for (name, peak) in peaks {
        match peak {
            Some(mb) => println!("  {name:<14} {mb:>7.1}"),
            None => println!("  {name:<14}       ?"),
        }
    }
}
