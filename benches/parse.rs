//! Parse throughput, ours against peers, in one process:
//!
//! - `kestra_fix`: our lossless `parse` + print the tree back to a `String`
//!   (`Parse::text`);
//! - `kestra_fix_parse_only`: our `parse` alone (for reference);
//! - `saphyr_parser_events`: saphyr-parser's event parser, every event pulled;
//! - `saphyr_load`: `saphyr::Yaml::load_from_str` (events + building data);
//! - `yaml_edit`: yaml-edit's lossless `YamlFile::parse` + print back.
//!
//! Like with like: each side reads every file of an input exactly once per
//! iteration, from a `&str` already in memory (no I/O is timed). saphyr's
//! event parser pulls every event of the file; ours builds the whole tree
//! and prints it back to text, so ours does strictly more work. Inputs where
//! saphyr stops early on an error are left out of the YAML test suite input
//! (a parser that stops early would look fast); the other inputs have none.
//!
//! Inputs, each a list of files parsed one by one:
//! - `yaml_test_suite`: every `in.yaml` of `tests/data/yaml-test-suite`
//!   that saphyr reads to the end (many tiny files: per-file overhead);
//! - `kestra_corpus`: every flow of `tests/data/kestra-flows`;
//! - `generated`: ~2,000 large realistic flows (~20 MB) from
//!   `tools/gen_corpus.py`, written once to `target/bench-corpus`
//!   (a Rust generator stands in when python3 is missing).
//!
//! `cargo bench --bench parse` (add `-- kestra_fix` etc. to filter). The
//! table at the end gives MB/s and files/s of every peer on every input, and
//! the ratios of `kestra_fix` to `saphyr_parser_events` (issue 16 target:
//! >= 1.0 on every input) and to `yaml_edit` (issue 2 target: >= 2).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use criterion::{criterion_group, BenchmarkId, Criterion, SamplingMode, Throughput};

struct Input {
    name: &'static str,
    files: Vec<String>,
}

impl Input {
    fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.len() as u64).sum()
    }
}

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir().join("target"))
}

fn read_yaml_files(dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read dir") {
            let p = entry.expect("dir entry").path();
            if p.is_dir() {
                walk(&p, out);
            } else if matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml")) {
                out.push(p);
            }
        }
    }
    let mut paths = Vec::new();
    walk(dir, &mut paths);
    paths.sort();
    paths
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("read yaml file"))
        .collect()
}

/// The YAML test suite's inputs that saphyr's event parser reads to the end.
fn yaml_test_suite() -> Input {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read dir") {
            let p = entry.expect("dir entry").path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.file_name().is_some_and(|n| n == "in.yaml") {
                out.push(p);
            }
        }
    }
    let mut paths = Vec::new();
    walk(
        &manifest_dir().join("tests/data/yaml-test-suite"),
        &mut paths,
    );
    paths.sort();
    let files = paths
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .filter_map(|b| String::from_utf8(b).ok())
        .filter(|f| saphyr_parser::Parser::new_from_str(f).all(|ev| ev.is_ok()))
        .collect();
    Input {
        name: "yaml_test_suite",
        files,
    }
}

fn kestra_corpus() -> Input {
    let dir = manifest_dir().join("tests/data/kestra-flows");
    Input {
        name: "kestra_corpus",
        files: read_yaml_files(&dir),
    }
}

/// The generated corpus: `target/bench-corpus`, made once by
/// `gen_corpus.py OUTDIR 2000 20` (deterministic), else by [`generate`].
fn generated_corpus() -> Input {
    let out = target_dir().join("bench-corpus");
    let done = out.join(".complete");
    if !done.exists() {
        let tmp = target_dir().join("bench-corpus.tmp");
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).expect("create bench corpus dir");
        let script = manifest_dir().join("tools/gen_corpus.py");
        let by_python = script.is_file()
            && std::process::Command::new("python3")
                .arg(&script)
                .arg(&tmp)
                .args(["2000", "20"])
                .stdout(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
        if !by_python {
            eprintln!("bench: python3 or gen_corpus.py unavailable, generating flows in Rust");
            let _ = std::fs::remove_dir_all(&tmp);
            std::fs::create_dir_all(&tmp).expect("create bench corpus dir");
            for (i, flow) in generate(2000, 20_000_000).into_iter().enumerate() {
                std::fs::write(tmp.join(format!("flow_{i:05}.yaml")), flow).expect("write flow");
            }
        }
        std::fs::write(
            tmp.join(".complete"),
            if by_python { "python" } else { "rust" },
        )
        .expect("write marker");
        let _ = std::fs::remove_dir_all(&out);
        std::fs::rename(&tmp, &out).expect("move bench corpus in place");
    }
    Input {
        name: "generated",
        files: read_yaml_files(&out),
    }
}

/// A stand-in for gen_corpus.py: `n` realistic Kestra flows totalling about
/// `target_bytes`, deterministic.
fn generate(n: usize, target_bytes: usize) -> Vec<String> {
    use std::fmt::Write;
    let mut seed = 0x2024_0601_u64;
    let mut rnd = move |k: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % k as u64) as usize
    };
    const WORDS: &[&str] = &[
        "customer",
        "order",
        "invoice",
        "payment",
        "report",
        "daily",
        "sync",
        "export",
        "warehouse",
        "sales",
        "finance",
        "metric",
        "alert",
        "cleanup",
        "load",
        "extract",
    ];
    const PY: &[&str] = &[
        "import json",
        "import requests",
        "",
        "def fetch(url, params=None):",
        "    resp = requests.get(url, params=params, timeout=30)",
        "    resp.raise_for_status()",
        "    return resp.json()",
        "data = fetch(\"{{ vars.api_url }}/items\", {\"date\": \"{{ inputs.date }}\"})",
        "print(f\"loaded {len(data)} rows\")  # done",
    ];
    let per_file = target_bytes / n;
    let mut flows = Vec::with_capacity(n);
    for i in 0..n {
        let w = |r: &mut dyn FnMut(usize) -> usize| WORDS[r(WORDS.len())];
        let mut s = String::new();
        let _ = writeln!(s, "# flow {i}: generated for benchmarks");
        let _ = writeln!(s, "id: {}_{}_{i}", w(&mut rnd), w(&mut rnd));
        let _ = writeln!(s, "namespace: company.{}.{}", w(&mut rnd), w(&mut rnd));
        let _ = writeln!(
            s,
            "description: |\n  Loads {} data into the {}.\n\n  Owner: team-{}\n",
            w(&mut rnd),
            w(&mut rnd),
            w(&mut rnd)
        );
        let _ = writeln!(s, "labels:\n  env: prod\n  team: '{}'\n", w(&mut rnd));
        let _ = writeln!(s, "inputs:\n  - id: date\n    type: STRING\n    defaults: \"{{{{ now() | date('yyyy-MM-dd') }}}}\"\n");
        let _ = writeln!(
            s,
            "variables:\n  api_url: https://api.example.com/v{}\n  bucket: \"{}-bucket\"\n",
            1 + rnd(3),
            w(&mut rnd)
        );
        s.push_str("tasks:\n");
        let dash = if rnd(2) == 0 { "  - " } else { "- " };
        let ind = " ".repeat(dash.len());
        let mut t = 0;
        while s.len() < per_file {
            let _ = writeln!(s, "{dash}id: {}_{t}", w(&mut rnd));
            match rnd(4) {
                0 => {
                    let _ = writeln!(
                        s,
                        "{ind}type: io.kestra.plugin.scripts.python.Script  # python"
                    );
                    let _ = writeln!(s, "{ind}containerImage: python:3.1{}-slim", rnd(3));
                    let _ = writeln!(s, "{ind}script: |");
                    for _ in 0..5 + rnd(15) {
                        let _ = writeln!(s, "{ind}  {}", PY[rnd(PY.len())]);
                    }
                }
                1 => {
                    let _ = writeln!(s, "{ind}type: io.kestra.plugin.jdbc.postgresql.Query");
                    let _ = writeln!(s, "{ind}url: jdbc:postgresql://db:5432/{}", w(&mut rnd));
                    let _ = writeln!(s, "{ind}fetchType: STORE\n{ind}sql: >-\n{ind}  SELECT id, amount FROM {}\n{ind}  WHERE created_at >= '{{{{ inputs.date }}}}'", w(&mut rnd));
                }
                2 => {
                    let _ = writeln!(s, "{ind}type: io.kestra.plugin.core.http.Request");
                    let _ = writeln!(s, "{ind}uri: \"{{{{ vars.api_url }}}}/{}\"", w(&mut rnd));
                    let _ = writeln!(
                        s,
                        "{ind}headers: {{Accept: application/json, X-Team: \"{}\"}}",
                        w(&mut rnd)
                    );
                    let _ = writeln!(
                        s,
                        "{ind}retry: {{type: exponential, maxAttempts: {}, interval: PT{}S}}",
                        1 + rnd(5),
                        1 + rnd(60)
                    );
                }
                _ => {
                    let _ = writeln!(
                        s,
                        "{ind}type: io.kestra.plugin.core.flow.Parallel\n{ind}tasks:"
                    );
                    for k in 0..1 + rnd(3) {
                        let _ = writeln!(s, "{ind}  - id: log_{t}_{k}\n{ind}    type: io.kestra.plugin.core.log.Log\n{ind}    message: 'Processed {{{{ outputs.{}_{t}.uri }}}}'", w(&mut rnd));
                    }
                }
            }
            if rnd(3) == 0 {
                s.push('\n');
            }
            t += 1;
        }
        let _ = writeln!(s, "\ntriggers:\n  - id: schedule\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: \"0 {} * * *\"", rnd(24));
        flows.push(s);
    }
    flows
}

const PEERS: [&str; 5] = [
    "kestra_fix",
    "kestra_fix_parse_only",
    "saphyr_parser_events",
    "saphyr_load",
    "yaml_edit",
];

fn ours(files: &[String]) -> usize {
    let mut n = 0;
    for f in files {
        let p = kestra_fix::syntax::parse(f);
        n += black_box(p.text()).len();
    }
    n
}

/// Ours without printing: how much of (a) is printing the tree.
fn ours_parse_only(files: &[String]) -> usize {
    let mut n = 0;
    for f in files {
        let p = kestra_fix::syntax::parse(f);
        n += usize::from(black_box(p).is_ok());
    }
    n
}

fn saphyr_events(files: &[String]) -> usize {
    let mut n = 0;
    for f in files {
        for ev in saphyr_parser::Parser::new_from_str(f) {
            match ev {
                Ok(ev) => {
                    black_box(&ev);
                    n += 1;
                }
                Err(_) => break,
            }
        }
    }
    n
}

fn saphyr_load(files: &[String]) -> usize {
    use saphyr::LoadableYamlNode;
    let mut n = 0;
    for f in files {
        if let Ok(docs) = saphyr::Yaml::load_from_str(f) {
            n += black_box(docs).len();
        }
    }
    n
}

fn yaml_edit(files: &[String]) -> usize {
    let mut n = 0;
    for f in files {
        let tree = yaml_edit::YamlFile::parse(f).tree();
        n += black_box(tree.to_string()).len();
    }
    n
}

/// Before timing: say which parsers do not handle an input fully (a parser
/// that fails early would look fast).
fn sanity(input: &Input) {
    use saphyr::LoadableYamlNode;
    let mut ours_bad = 0;
    let mut ours_err = 0;
    let mut edit_bad = 0;
    let mut saphyr_bad = 0;
    for f in &input.files {
        let p = kestra_fix::syntax::parse(f);
        ours_bad += usize::from(p.syntax().to_string() != *f);
        ours_err += usize::from(!p.errors().is_empty());
        edit_bad += usize::from(yaml_edit::YamlFile::parse(f).tree().to_string() != *f);
        saphyr_bad += usize::from(saphyr::Yaml::load_from_str(f).is_err());
    }
    eprintln!(
        "bench input {}: {} files, {:.2} MB; not round-tripped: kestra_fix {ours_bad}, yaml_edit {edit_bad}; \
         with errors: kestra_fix {ours_err}, saphyr {saphyr_bad}",
        input.name,
        input.files.len(),
        input.bytes() as f64 / 1e6
    );
}

fn bench_input(c: &mut Criterion, input: &Input) {
    sanity(input);
    let mut g = c.benchmark_group(input.name);
    g.throughput(Throughput::BytesDecimal(input.bytes()))
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    let fns: [fn(&[String]) -> usize; 5] =
        [ours, ours_parse_only, saphyr_events, saphyr_load, yaml_edit];
    for (name, f) in PEERS.iter().zip(fns) {
        g.bench_with_input(
            BenchmarkId::from_parameter(name),
            &input.files,
            |b, files| b.iter(|| f(files)),
        );
    }
    g.finish();
}

fn benches(c: &mut Criterion) {
    let suite = yaml_test_suite();
    bench_input(c, &suite);
    drop(suite);
    let kestra = kestra_corpus();
    bench_input(c, &kestra);
    drop(kestra);
    let generated = generated_corpus();
    bench_input(c, &generated);
}

criterion_group!(parse_benches, benches);

/// MB/s and files/s of every benchmark that ran in this process (from
/// criterion's `estimates.json`), in one table, then the ratios.
fn summary(started: SystemTime, inputs: &[Input]) {
    let root = std::env::var_os("CRITERION_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("criterion"));
    // Mean seconds per iteration (one pass over the input's files).
    let mean_secs = |group: &str, peer: &str| -> Option<f64> {
        let path = root.join(group).join(peer).join("new/estimates.json");
        let fresh = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .is_ok_and(|t| t >= started);
        if !fresh {
            return None;
        }
        let text = std::fs::read_to_string(&path).ok()?;
        let v = serde_json::from_str::<serde_json::Value>(&text).ok()?;
        Some(v["mean"]["point_estimate"].as_f64()? / 1e9)
    };
    println!("\nsummary (mean of criterion's samples; MB = 1e6 bytes):");
    println!(
        "  {:<16} {:<22} {:>9} {:>11}",
        "input", "peer", "MB/s", "files/s"
    );
    for input in inputs {
        for peer in PEERS {
            let Some(secs) = mean_secs(input.name, peer) else {
                continue;
            };
            println!(
                "  {:<16} {:<22} {:>9.1} {:>11.0}",
                input.name,
                peer,
                input.bytes() as f64 / secs / 1e6,
                input.files.len() as f64 / secs
            );
        }
    }
    println!("\nratios (throughput of kestra_fix, parse + print, over the peer's):");
    for input in inputs {
        let Some(ours) = mean_secs(input.name, "kestra_fix") else {
            continue;
        };
        let ratio = |peer: &str| {
            mean_secs(input.name, peer).map_or("-".to_string(), |s| format!("{:.2}x", s / ours))
        };
        println!(
            "  {:<16} / saphyr_parser_events = {} (target >= 1.0x); / yaml_edit = {} (target >= 2x)",
            input.name,
            ratio("saphyr_parser_events"),
            ratio("yaml_edit")
        );
    }
}

fn main() {
    let started = SystemTime::now() - Duration::from_secs(1);
    parse_benches();
    Criterion::default().configure_from_args().final_summary();
    // Sizes and counts for the summary (the generated corpus is cached).
    let inputs = [yaml_test_suite(), kestra_corpus(), generated_corpus()];
    summary(started, &inputs);
}
