//! Helpers shared by the integration tests (each test binary includes this
//! module; not every binary uses every helper).
#![allow(dead_code)]

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use serde_json::Value as Json;

/// The vendored corpora (`tests/data`, with their licences).
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

pub fn suite_dir() -> PathBuf {
    corpus_dir().join("yaml-test-suite")
}

pub fn kestra_dir() -> PathBuf {
    corpus_dir().join("kestra-flows")
}

/// Every `*.yml` / `*.yaml` file under `dir`, recursively, sorted.
pub fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let entries =
            std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yml" | "yaml")
            ) {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}

/// Path relative to `base`, with `/` separators, for messages.
pub fn rel(path: &Path, base: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

// ---------------------------------------------------------------------------
// Panics: catch them, and keep their message instead of spamming stderr.

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}
static HOOK: Once = Once::new();

/// Installs (once) a panic hook that records the message and location of a
/// panic in a thread-local instead of printing it. Panics outside
/// [`catch`] (test assertions) are still printed.
fn install_hook() {
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let catching = CATCHING.with(|c| *c.borrow());
            if catching {
                let msg = if let Some(s) = info.payload().downcast_ref::<&str>() {
                    (*s).to_string()
                } else if let Some(s) = info.payload().downcast_ref::<String>() {
                    s.clone()
                } else {
                    "<non-string panic payload>".to_string()
                };
                let loc = info
                    .location()
                    .map(|l| format!(" at {}:{}:{}", l.file(), l.line(), l.column()))
                    .unwrap_or_default();
                LAST_PANIC.with(|p| *p.borrow_mut() = Some(format!("{msg}{loc}")));
            } else {
                default(info);
            }
        }));
    });
}

thread_local! {
    static CATCHING: RefCell<bool> = const { RefCell::new(false) };
}

/// Runs `f`, turning a panic into `Err(message with location)`.
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    install_hook();
    CATCHING.with(|c| *c.borrow_mut() = true);
    let r = panic::catch_unwind(AssertUnwindSafe(f));
    CATCHING.with(|c| *c.borrow_mut() = false);
    r.map_err(|_| {
        LAST_PANIC
            .with(|p| p.borrow_mut().take())
            .unwrap_or_else(|| "<panic>".to_string())
    })
}

// ---------------------------------------------------------------------------
// Watchdog: a parser bug can also be an endless loop. The watchdog prints
// what was running and exits the process when one step takes too long.

pub struct Watchdog {
    state: Arc<Mutex<Option<(Instant, String)>>>,
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Watchdog {
    pub fn new(limit: Duration) -> Watchdog {
        let state: Arc<Mutex<Option<(Instant, String)>>> = Arc::new(Mutex::new(None));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (state.clone(), stop.clone());
        let handle = std::thread::spawn(move || {
            while !st.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(50));
                let guard = s.lock().unwrap_or_else(|e| e.into_inner());
                if let Some((start, what)) = guard.as_ref() {
                    if start.elapsed() > limit {
                        eprintln!(
                            "\nWATCHDOG: no progress for {limit:?} (endless loop?) while running:\n{what}"
                        );
                        std::process::exit(101);
                    }
                }
            }
        });
        Watchdog {
            state,
            stop,
            handle: Some(handle),
        }
    }

    /// Marks the start of a step, described by `what` if it hangs.
    pub fn start(&self, what: String) {
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), what));
    }

    pub fn done(&self) {
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

// ---------------------------------------------------------------------------
// Text helpers.

/// Where two texts first differ, with a little context, for round-trip
/// failures.
pub fn first_diff(expected: &str, got: &str) -> String {
    let a = expected.as_bytes();
    let b = got.as_bytes();
    let i = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let ctx = |s: &str, i: usize| {
        let mut lo = i.saturating_sub(20);
        while !s.is_char_boundary(lo) {
            lo -= 1;
        }
        let mut hi = (i + 20).min(s.len());
        while !s.is_char_boundary(hi) {
            hi += 1;
        }
        format!("{:?}", &s[lo..hi])
    };
    format!(
        "lengths {} vs {}; first difference at byte {i}: expected {} got {}",
        a.len(),
        b.len(),
        ctx(expected, i),
        ctx(got, i)
    )
}

/// Parse errors as `line:col: message` lines.
pub fn format_errors(text: &str, errors: &[kestra_fix::syntax::SyntaxError]) -> String {
    let index = kestra_fix::syntax::LineIndex::new(text);
    errors
        .iter()
        .map(|e| {
            let lc = index.line_col(text, e.range.start());
            format!("{}:{}: {}", lc.line, lc.col, e.message)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

// ---------------------------------------------------------------------------
// JSON comparison.

/// Data equality as JSON: numbers numerically (`1 == 1.0`), objects as maps
/// (key order ignored), arrays in order. Object keys match exactly, or, for
/// keys that are numbers (a YAML non-string key written as text), by value.
pub fn json_eq(a: &Json, b: &Json) -> bool {
    json_eq_by(a, b, &|x, y| x == y)
}

/// [`json_eq`] with a custom equality for string values (not keys).
pub fn json_eq_by(a: &Json, b: &Json, str_eq: &dyn Fn(&str, &str) -> bool) -> bool {
    let json_eq = |a: &Json, b: &Json| json_eq_by(a, b, str_eq);
    match (a, b) {
        (Json::Null, Json::Null) => true,
        (Json::Bool(x), Json::Bool(y)) => x == y,
        (Json::Number(x), Json::Number(y)) => num_eq(x, y),
        (Json::String(x), Json::String(y)) => str_eq(x, y),
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| match y.get(k) {
                    Some(w) => json_eq(v, w),
                    None => y.iter().any(|(k2, w)| key_eq_loose(k, k2) && json_eq(v, w)),
                })
        }
        _ => false,
    }
}

fn num_eq(x: &serde_json::Number, y: &serde_json::Number) -> bool {
    if let (Some(p), Some(q)) = (x.as_i64(), y.as_i64()) {
        return p == q;
    }
    if let (Some(p), Some(q)) = (x.as_u64(), y.as_u64()) {
        return p == q;
    }
    match (x.as_f64(), y.as_f64()) {
        (Some(p), Some(q)) => p == q || (p - q).abs() <= f64::EPSILON * p.abs().max(q.abs()),
        _ => false,
    }
}

fn key_eq_loose(a: &str, b: &str) -> bool {
    match (a.trim().parse::<f64>(), b.trim().parse::<f64>()) {
        (Ok(p), Ok(q)) => p == q,
        _ => false,
    }
}

/// Compact JSON for messages, one value per document.
pub fn docs_to_string(docs: &[Json]) -> String {
    if docs.is_empty() {
        return "(no documents)".to_string();
    }
    docs.iter()
        .map(|d| serde_json::to_string(d).unwrap_or_else(|e| format!("<{e}>")))
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn docs_eq(a: &[Json], b: &[Json]) -> bool {
    docs_eq_by(a, b, &|x, y| x == y)
}

pub fn docs_eq_by(a: &[Json], b: &[Json], str_eq: &dyn Fn(&str, &str) -> bool) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| json_eq_by(x, y, str_eq))
}

// ---------------------------------------------------------------------------
// The independent oracle: saphyr.

/// Loads `text` with saphyr and renders each document as JSON the way our
/// `Value::to_json` does (non-string keys as their text).
pub fn saphyr_json(text: &str) -> Result<Vec<Json>, String> {
    use saphyr::LoadableYamlNode;
    let docs = saphyr::Yaml::load_from_str(text).map_err(|e| e.to_string())?;
    docs.iter().map(saphyr_to_json).collect()
}

fn saphyr_to_json(y: &saphyr::Yaml) -> Result<Json, String> {
    use saphyr::{Scalar, Yaml};
    Ok(match y {
        Yaml::Value(s) => match s {
            Scalar::Null => Json::Null,
            Scalar::Boolean(b) => Json::Bool(*b),
            Scalar::Integer(i) => Json::from(*i),
            Scalar::FloatingPoint(f) => serde_json::Number::from_f64(f.into_inner())
                .map(Json::Number)
                // .inf / .nan: JSON has no such number
                .unwrap_or_else(|| Json::String(f.into_inner().to_string())),
            Scalar::String(s) => Json::String(s.to_string()),
        },
        Yaml::Representation(text, style, tag) => {
            let v = Yaml::value_from_cow_and_metadata(text.clone(), *style, tag.as_ref());
            if matches!(v, Yaml::Representation(..)) {
                Json::String(text.to_string())
            } else {
                saphyr_to_json(&v)?
            }
        }
        Yaml::Sequence(items) => {
            Json::Array(items.iter().map(saphyr_to_json).collect::<Result<_, _>>()?)
        }
        Yaml::Mapping(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map.iter() {
                let key = match saphyr_to_json(k)? {
                    Json::String(s) => s,
                    Json::Null => "null".to_string(),
                    other => other.to_string(),
                };
                out.insert(key, saphyr_to_json(v)?);
            }
            Json::Object(out)
        }
        Yaml::Tagged(_, inner) => saphyr_to_json(inner)?,
        Yaml::Alias(_) => return Err("saphyr: unresolved alias".to_string()),
        Yaml::BadValue => return Err("saphyr: bad value".to_string()),
    })
}

/// One corpus file after [`migrate_corpus`] applied the fixes to a copy.
pub struct CorpusFile<'a> {
    /// Relative to the corpus folder.
    pub name: String,
    pub original: String,
    pub report: &'a kestra_fix::engine::FileReport,
    /// The copy, as written.
    pub copy: PathBuf,
    pub after: String,
    pub settings: &'a kestra_fix::engine::config::Settings,
}

/// Runs `codemods` at `--target-version 2.0 --unsafe-fixes` over a copy of
/// every Kestra corpus file and fails on what no codemod may do: an internal
/// error (a fix the verifier rejects, no convergence, a panic), an output
/// the oracle cannot read, a second run that changes something. `each` adds
/// the test's own checks per file, pushing failures. Prints the hits per
/// codemod (`-- --nocapture`).
pub fn migrate_corpus(codemods: &[&str], mut each: impl FnMut(&CorpusFile, &mut Vec<String>)) {
    use kestra_fix::engine::config::{Config, Overrides, Settings};
    use kestra_fix::engine::process::process_file;
    use kestra_fix::engine::verify::Verifier;
    let root = kestra_dir();
    let files = yaml_files(&root);
    assert!(
        files.len() >= 250,
        "the Kestra corpus, found {}",
        files.len()
    );
    let overrides = Overrides {
        select: Some(codemods.iter().map(|c| c.to_string()).collect()),
        unsafe_fixes: true,
        target_version: Some("2.0".parse().unwrap()),
        ..Overrides::default()
    };
    let settings = Settings::resolve(&Config::default(), &overrides).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // codemod -> (findings, files with a finding, fixes applied)
    let mut hits: std::collections::BTreeMap<&str, (usize, usize, usize)> =
        codemods.iter().map(|c| (*c, (0, 0, 0))).collect();
    let (mut changed, mut failures) = (0, Vec::new());
    for (i, file) in files.iter().enumerate() {
        let name = rel(file, &root);
        let copy = dir.path().join(format!("{i}.yaml"));
        std::fs::copy(file, &copy).unwrap();
        let report = process_file(&copy, &settings, &Verifier::default(), true);
        // Files that are not YAML are errors with any codemod; what counts
        // is that no fix of ours fails, loops or panics.
        let ours = ["verification", "not-converged", "panic"];
        if report.errors.iter().any(|e| ours.contains(&e.code())) {
            failures.push(format!("{name}: {:?}", report.errors));
        }
        for (codemod, entry) in hits.iter_mut() {
            let mine: Vec<_> = report
                .findings
                .iter()
                .filter(|f| f.codemod == *codemod)
                .collect();
            entry.0 += mine.len();
            entry.1 += usize::from(!mine.is_empty());
            entry.2 += mine.iter().filter(|f| f.fixed).count();
        }
        if let Some(fixed) = &report.fixed {
            changed += 1;
            if let Err(e) = kestra_fix::fix::oracle::load(fixed) {
                failures.push(format!("{name}: output does not read as YAML: {e}"));
            }
            let again = process_file(&copy, &settings, &Verifier::default(), false);
            if again.fixed.is_some() {
                failures.push(format!("{name}: a second run changed the file"));
            }
        }
        let corpus_file = CorpusFile {
            original: std::fs::read_to_string(file).unwrap_or_default(),
            after: std::fs::read_to_string(&copy).unwrap_or_default(),
            name,
            report: &report,
            copy,
            settings: &settings,
        };
        each(&corpus_file, &mut failures);
    }
    println!("{} files, {changed} changed", files.len());
    for (codemod, (findings, in_files, fixed)) in &hits {
        println!("{codemod}: {findings} findings in {in_files} files, {fixed} fixed");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// xorshift64* seeded through splitmix64: tiny, fast, good enough.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(splitmix64(seed) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (((self.next() >> 32) * n as u64) >> 32) as usize
    }
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

pub fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
