//! Seeded random mutations of the Kestra corpus and the YAML test suite
//! inputs: byte flips, truncation, inserted YAML punctuation, deleted,
//! duplicated and swapped lines, changed indentation, spliced lines from
//! other files. For each mutant: `parse` does not panic, the tree prints back
//! to the exact input, every error range lies inside the input, and
//! `decode_documents` does not panic.
//!
//! Environment:
//! - `FUZZ_ITERS=N` (default 20000 in release, 2000 in debug builds);
//! - `FUZZ_SEED=S` base seed (decimal or 0x-hex; default fixed);
//! - `FUZZ_CASE=S` re-run the single case with this per-case seed (printed
//!   on failure).
//!
//! Mutations operate on `char`s, so every mutant is valid UTF-8. A failure
//! prints the per-case seed, the mutant, and a minimized input that fails in
//! the same way.
//!
//! A second test puts multi-byte characters (accents, emoji, CJK, combining
//! marks) inside `{{ }}` and `{% %}`, keys and ids of the Kestra corpus
//! flows, and runs every codemod through the engine, unsafe fixes on:
//! nothing may panic (`FUZZ_ENGINE_ITERS=N`, default 1500 in release, 150
//! in debug builds).

mod common;

use std::time::{Duration, Instant};

use common::{catch, first_diff, splitmix64, Rng, Watchdog};
use kestra_fix::engine::config::{Config, Overrides, Settings};
use kestra_fix::engine::process::process_file;
use kestra_fix::engine::verify::Verifier;
use kestra_fix::kestra::pebble;
use kestra_fix::syntax::{self, value};

const DEFAULT_SEED: u64 = 0x4B35_7452_4146_4958; // "K5tRAFIX"
/// Distinct minimized failures reported, and at most this many minimized.
const MAX_REPORTED: usize = 8;
const MAX_MINIMIZED: usize = 40;

/// Single characters that mean something to YAML, and whitespace.
const PUNCT: &[char] = &[
    ':', '-', '?', '[', ']', '{', '}', '#', '\'', '"', '|', '>', '&', '*', '!', '%', ',', '@', '`',
    '\\', '\t', '\r', '\n', ' ', ' ', ' ', '.', '~', '0', 'a', '\u{FEFF}', '\u{85}', '\u{2028}',
    '\u{A0}', 'é', '😀', '\u{0}', '\u{7}', '\u{1B}',
];

/// Multi-character YAML constructs.
const TOKENS: &[&str] = &[
    ": ",
    "- ",
    "? ",
    "---",
    "...",
    "--- ",
    "\n---\n",
    "\n...\n",
    "#",
    " #c",
    "!!str ",
    "!!map ",
    "!local ",
    "!<tag:yaml.org,2002:str> ",
    "&a ",
    "*a",
    "&anchor ",
    "*anchor",
    "%YAML 1.2\n",
    "%TAG ! tag:example.com,2000:\n",
    "|",
    "|-",
    "|+",
    ">",
    ">-",
    ">2",
    "|1+",
    ">+2",
    "\"\\u",
    "\"\\x4",
    "\\\n",
    "\"",
    "'",
    "''",
    "\r\n",
    "\n\n",
    "\t",
    "  ",
    "    ",
    "[]",
    "{}",
    "[a, b]",
    "{a: b}",
    "{ ? a : b }",
    "[a: b]",
    "null",
    "~",
    "0x1F",
    "0o17",
    ".inf",
    "-.nan",
    "1e3",
    "{{ inputs.x }}",
    "'{{ x }}'",
    "\"{{ x }}\"",
    "- - ",
    ": : ",
    "? - a\n: b\n",
];

fn load_inputs() -> Vec<String> {
    let mut inputs = Vec::new();
    for path in common::yaml_files(&common::kestra_dir()) {
        inputs.push(std::fs::read_to_string(&path).expect("read corpus file"));
    }
    let suite = common::suite_dir();
    let mut stack = vec![suite];
    let mut suite_files = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read suite dir") {
            let p = entry.expect("dir entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n == "in.yaml") {
                suite_files.push(p);
            }
        }
    }
    suite_files.sort();
    for p in suite_files {
        inputs.push(std::fs::read_to_string(&p).expect("read suite input"));
    }
    inputs
}

/// Line spans of `text` (as char index ranges, each including its `\n`).
fn lines(text: &[char]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, &c) in text.iter().enumerate() {
        if c == '\n' {
            out.push((start, i + 1));
            start = i + 1;
        }
    }
    if start < text.len() {
        out.push((start, text.len()));
    }
    out
}

fn mutate_once(rng: &mut Rng, t: &mut Vec<char>, donor: &[char]) {
    let n = t.len();
    match rng.below(12) {
        // bit flip in an ASCII char (stays ASCII, may become a control char),
        // or replace a char with punctuation
        0 | 1 if n > 0 => {
            let i = rng.below(n);
            t[i] = if t[i].is_ascii() && rng.chance(70) {
                char::from(t[i] as u8 ^ (1 << rng.below(7)))
            } else {
                *rng.pick(PUNCT)
            };
        }
        // truncate
        2 if n > 0 => {
            let i = rng.below(n);
            t.truncate(i);
        }
        // insert punctuation, or a YAML token
        3 | 4 => {
            let i = rng.below(n + 1);
            if rng.chance(50) {
                t.insert(i, *rng.pick(PUNCT));
            } else {
                let tok: Vec<char> = rng.pick(TOKENS).chars().collect();
                t.splice(i..i, tok);
            }
        }
        // delete a char range
        5 if n > 0 => {
            let i = rng.below(n);
            let len = 1 + rng.below(8.min(n - i));
            t.drain(i..i + len);
        }
        // delete a line
        6 => {
            let ls = lines(t);
            if !ls.is_empty() {
                let (a, b) = *rng.pick(&ls);
                t.drain(a..b);
            }
        }
        // duplicate a line
        7 => {
            let ls = lines(t);
            if !ls.is_empty() {
                let (a, b) = *rng.pick(&ls);
                let mut line: Vec<char> = t[a..b].to_vec();
                if line.last() != Some(&'\n') {
                    line.insert(0, '\n');
                }
                t.splice(b..b, line);
            }
        }
        // change the indentation of a line
        8 | 9 => {
            let ls = lines(t);
            if !ls.is_empty() {
                let (a, b) = *rng.pick(&ls);
                let indent = t[a..b].iter().take_while(|&&c| c == ' ').count();
                match rng.below(4) {
                    0 => {
                        let k = 1 + rng.below(4);
                        t.splice(a..a, std::iter::repeat_n(' ', k));
                    }
                    1 if indent > 0 => {
                        let k = 1 + rng.below(indent);
                        t.drain(a..a + k);
                    }
                    2 if indent > 0 => {
                        t[a] = '\t';
                    }
                    _ => {
                        t.insert(a + indent, '\t');
                    }
                }
            }
        }
        // swap two lines
        10 => {
            let ls = lines(t);
            if ls.len() >= 2 {
                let x = rng.below(ls.len() - 1);
                let y = x + 1 + rng.below(ls.len() - x - 1);
                let (a1, b1) = ls[x];
                let (a2, b2) = ls[y];
                let mut out = Vec::with_capacity(t.len());
                out.extend_from_slice(&t[..a1]);
                out.extend_from_slice(&t[a2..b2]);
                if out.last() != Some(&'\n') {
                    out.push('\n');
                }
                out.extend_from_slice(&t[b1..a2]);
                out.extend_from_slice(&t[a1..b1]);
                out.extend_from_slice(&t[b2..]);
                *t = out;
            }
        }
        // splice in a line of another input
        _ => {
            let ls = lines(donor);
            if !ls.is_empty() {
                let (a, b) = *rng.pick(&ls);
                let ts = lines(t);
                let at = if ts.is_empty() { 0 } else { rng.pick(&ts).0 };
                t.splice(at..at, donor[a..b].iter().copied());
            }
        }
    }
}

/// The mutant for a per-case seed.
fn mutant(inputs: &[Vec<char>], case_seed: u64) -> String {
    let mut rng = Rng::new(case_seed);
    let mut t = rng.pick(inputs).clone();
    let donor = rng.pick(inputs);
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        mutate_once(&mut rng, &mut t, donor);
    }
    t.into_iter().collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    ParsePanic,
    DecodePanic,
    RoundTrip,
    ErrorRange,
}

/// Checks one input: `Err((kind, message))` on failure.
fn check(text: &str) -> Result<(), (Kind, String)> {
    let parse = catch(|| syntax::parse(text)).map_err(|p| (Kind::ParsePanic, p))?;
    let printed = catch(|| parse.syntax().to_string()).map_err(|p| (Kind::ParsePanic, p))?;
    if printed != text {
        return Err((Kind::RoundTrip, first_diff(text, &printed)));
    }
    for e in parse.errors() {
        check_range(text, "syntax error", &e.message, e.range)?;
    }
    let decoded = catch(|| {
        value::decode_documents(&parse).map(|docs| {
            for d in &docs {
                let _ = d.to_json();
            }
        })
    })
    .map_err(|p| (Kind::DecodePanic, p))?;
    if let Err(e) = decoded {
        check_range(text, "decode error", &e.message, e.range)?;
    }
    Ok(())
}

/// A diagnostic's range must lie inside the input, on char boundaries (a
/// consumer slices the text with it).
fn check_range(
    text: &str,
    what: &str,
    message: &str,
    range: syntax::TextRange,
) -> Result<(), (Kind, String)> {
    let (start, end) = (usize::from(range.start()), usize::from(range.end()));
    let problem = if start > end || end > text.len() {
        Some(format!("outside the input (len {})", text.len()))
    } else if !text.is_char_boundary(start) || !text.is_char_boundary(end) {
        Some("splits a UTF-8 character (slicing the text with it panics)".to_string())
    } else {
        None
    };
    if let Some(problem) = problem {
        return Err((
            Kind::ErrorRange,
            format!("{what} {message:?} at {start}..{end}: {problem}"),
        ));
    }
    Ok(())
}

/// Greedy minimization: drop lines, then shrinking char ranges, then single
/// chars, as long as the input fails with the same kind. Bounded in time.
fn minimize(text: &str, kind: Kind) -> String {
    let deadline = Instant::now() + Duration::from_secs(5);
    let fails = |s: &[char]| {
        let s: String = s.iter().collect();
        matches!(check(&s), Err((k, _)) if k == kind)
    };
    let mut cur: Vec<char> = text.chars().collect();
    // lines
    let mut i = 0;
    loop {
        let ls = lines(&cur);
        if i >= ls.len() || Instant::now() > deadline {
            break;
        }
        let (a, b) = ls[i];
        let mut cand = cur.clone();
        cand.drain(a..b);
        if fails(&cand) {
            cur = cand;
        } else {
            i += 1;
        }
    }
    // char ranges, halving
    let mut chunk = (cur.len() / 2).max(1);
    while chunk >= 1 && Instant::now() < deadline {
        let mut i = 0;
        while i < cur.len() && Instant::now() < deadline {
            let end = (i + chunk).min(cur.len());
            let mut cand = cur.clone();
            cand.drain(i..end);
            if fails(&cand) {
                cur = cand;
            } else {
                i += chunk;
            }
        }
        if chunk == 1 {
            break;
        }
        chunk /= 2;
    }
    cur.into_iter().collect()
}

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    let parsed = match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => v.parse(),
    };
    Some(parsed.unwrap_or_else(|_| panic!("{name}={v}: not a number")))
}

#[test]
fn fuzz_round_trip_never_panics() {
    let inputs: Vec<Vec<char>> = load_inputs()
        .into_iter()
        .map(|s| s.chars().collect())
        .collect();
    assert!(
        inputs.len() > 600,
        "corpora not found ({} inputs)",
        inputs.len()
    );

    let default_iters = if cfg!(debug_assertions) {
        2_000
    } else {
        20_000
    };
    let iters = env_u64("FUZZ_ITERS").unwrap_or(default_iters);
    let base = env_u64("FUZZ_SEED").unwrap_or(DEFAULT_SEED);
    let seeds: Vec<u64> = match env_u64("FUZZ_CASE") {
        Some(s) => vec![s],
        None => (0..iters)
            .map(|i| splitmix64(base ^ i.wrapping_mul(0x9E37)))
            .collect(),
    };

    let watchdog = Watchdog::new(Duration::from_secs(10));
    let started = Instant::now();
    let mut bytes = 0usize;
    // Distinct failures: (kind, minimized input) -> (report, mutants
    // that reduce to it). Minimization is bounded in count and time.
    let mut distinct: Vec<((Kind, String), String, usize)> = Vec::new();
    let mut minimized = 0usize;
    let mut failed = 0usize;
    let mut by_kind = [0usize; 4];
    for &seed in &seeds {
        let text = mutant(&inputs, seed);
        bytes += text.len();
        watchdog.start(format!(
            "fuzz case FUZZ_CASE={seed:#x} (re-run with that variable), input:\n{text:?}"
        ));
        let result = check(&text);
        watchdog.done();
        if let Err((kind, msg)) = result {
            failed += 1;
            by_kind[kind as usize] += 1;
            if distinct.len() < MAX_REPORTED && minimized < MAX_MINIMIZED {
                minimized += 1;
                watchdog.start(format!("minimizing FUZZ_CASE={seed:#x}"));
                let small = minimize(&text, kind);
                watchdog.done();
                if let Some(d) = distinct.iter_mut().find(|d| d.0 == (kind, small.clone())) {
                    d.2 += 1;
                    continue;
                }
                let small_msg = check(&small).err().map(|(_, m)| m).unwrap_or_default();
                let shown = if text.len() > 2000 {
                    format!("{}…", text.chars().take(2000).collect::<String>())
                } else {
                    text.clone()
                };
                let report = format!(
                    "--- FUZZ_CASE={seed:#x}: {kind:?}: {msg}\nmutant ({} bytes): {shown:?}\nminimized: {small:?}\n  -> {small_msg}",
                    text.len(),
                );
                distinct.push(((kind, small), report, 1));
            }
        }
    }
    drop(watchdog);
    println!(
        "fuzz: {} mutants, {:.1} MB, {:.2?}, base seed {base:#x}: {failed} failing",
        seeds.len(),
        bytes as f64 / 1e6,
        started.elapsed()
    );
    if failed > 0 {
        println!(
            "  by kind: parse panic {}, decode panic {}, round trip {}, error range {}",
            by_kind[Kind::ParsePanic as usize],
            by_kind[Kind::DecodePanic as usize],
            by_kind[Kind::RoundTrip as usize],
            by_kind[Kind::ErrorRange as usize]
        );
    }
    for (_, report, n) in &distinct {
        println!("{report}\n  ({n} of the {minimized} minimized mutants reduce to this)\n");
    }
    assert!(
        failed == 0,
        "{failed} of {} mutants fail ({} distinct minimized failures shown above, with seeds)",
        seeds.len(),
        distinct.len()
    );
}

/// Multi-byte text for the places scanners slice: 2-, 3- and 4-byte
/// characters, a combining mark, and Unicode spaces and line separators.
const WIDE: &[&str] = &[
    "é", "ß", "ñ", "😀", "🎉", "日本", "中", "e\u{301}", "\u{A0}", "\u{2028}", "Ω≈", "\u{85}",
];

/// Char-boundary offsets of `t` in `from..to`.
fn boundaries(t: &str, from: usize, to: usize) -> Vec<usize> {
    (from..=to.min(t.len()))
        .filter(|&i| t.is_char_boundary(i))
        .collect()
}

/// A corpus flow with multi-byte text inside template tags, before the `:`
/// of keys, in ids, and in new `{{ outputs... }}` / `{% %}` expressions.
fn wide_mutant(flows: &[String], case_seed: u64) -> String {
    let mut rng = Rng::new(case_seed);
    let mut t = rng.pick(flows).clone();
    for _ in 0..1 + rng.below(4) {
        let w = *rng.pick(WIDE);
        let tags = pebble::tags(&t);
        let at = match rng.below(5) {
            0 | 1 if !tags.is_empty() => {
                let tag = rng.pick(&tags);
                let spots = boundaries(&t, tag.range.start + 2, tag.range.end.saturating_sub(2));
                rng.pick(&spots).to_owned()
            }
            2 => {
                let keys: Vec<usize> = t.match_indices(": ").map(|(i, _)| i).collect();
                match keys.is_empty() {
                    true => 0,
                    false => *rng.pick(&keys),
                }
            }
            3 => {
                let ids: Vec<usize> = t.match_indices("id: ").map(|(i, _)| i + 4).collect();
                match ids.is_empty() {
                    true => 0,
                    false => *rng.pick(&ids),
                }
            }
            _ => {
                // A new expression reading a task's rows, with wide names.
                let values: Vec<usize> = t.match_indices(": ").map(|(i, _)| i + 2).collect();
                let at = if values.is_empty() {
                    0
                } else {
                    *rng.pick(&values)
                };
                let expr = match rng.below(3) {
                    0 => format!("\"{{{{ outputs.q{w}.rows[0].pr{w}nom }}}} {w}\""),
                    1 => format!("\"{{% if outputs['{w}'].row.{w} %}}{w}{{% endif %}}\""),
                    _ => format!("'{{{{ \"{w}\" ~ outputs.{w} }}}}{w}'"),
                };
                // The expression replaces the value, up to the end of its line.
                let end = t[at..].find('\n').map_or(t.len(), |i| at + i);
                t.replace_range(at..end, &expr);
                continue;
            }
        };
        t.insert_str(at, w);
    }
    t
}

/// Every codemod, unsafe fixes on; the two that undo each other run in
/// turns.
fn every_codemod() -> Vec<Settings> {
    let names: Vec<String> = kestra_fix::codemods::all()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    kestra_fix::codemods::OPPOSITES
        .iter()
        .flat_map(|(a, b)| [*a, *b])
        .map(|left_out| {
            let overrides = Overrides {
                select: Some(names.iter().filter(|n| *n != left_out).cloned().collect()),
                unsafe_fixes: true,
                target_version: Some("2.0".parse().unwrap()),
                ..Overrides::default()
            };
            Settings::resolve(&Config::default(), &overrides).expect("valid selection")
        })
        .collect()
}

#[test]
fn fuzz_every_codemod_with_multibyte_text_never_panics() {
    let flows: Vec<String> = common::yaml_files(&common::kestra_dir())
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("read corpus file"))
        .filter(|t| kestra_fix::kestra::flow::Flow::cast(&syntax::parse(t)).is_some())
        .collect();
    assert!(flows.len() > 50, "corpus not found ({} flows)", flows.len());
    let default_iters = if cfg!(debug_assertions) { 150 } else { 1_500 };
    let iters = env_u64("FUZZ_ENGINE_ITERS").unwrap_or(default_iters);
    let base = env_u64("FUZZ_SEED").unwrap_or(DEFAULT_SEED);
    let seeds: Vec<u64> = match env_u64("FUZZ_CASE") {
        Some(s) => vec![s],
        None => (0..iters)
            .map(|i| splitmix64(base ^ i.wrapping_mul(0x5851)))
            .collect(),
    };
    let settings = every_codemod();
    let verifier = Verifier::default();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flow.yaml");
    let watchdog = Watchdog::new(Duration::from_secs(30));
    let (mut flows_run, mut fixed, mut failures) = (0usize, 0usize, Vec::new());
    for &seed in &seeds {
        let text = wide_mutant(&flows, seed);
        std::fs::write(&path, &text).unwrap();
        for s in &settings {
            watchdog.start(format!("engine FUZZ_CASE={seed:#x}, input:\n{text:?}"));
            let report = catch(|| process_file(&path, s, &verifier, false));
            watchdog.done();
            match report {
                Ok(r) => {
                    flows_run += usize::from(r.is_flow);
                    fixed += usize::from(r.changed());
                }
                Err(panic) if failures.len() < MAX_REPORTED => {
                    failures.push(format!("--- FUZZ_CASE={seed:#x}: {panic}\ninput: {text:?}"))
                }
                Err(_) => {}
            }
        }
    }
    drop(watchdog);
    println!(
        "engine fuzz: {} mutants, {flows_run} runs reached the codemods, {fixed} changed a file, {} panics",
        seeds.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // The mutants must reach the codemods, not stop at a parse error.
    assert!(
        flows_run * 2 > seeds.len() * settings.len(),
        "only {flows_run} runs reached the codemods"
    );
}
