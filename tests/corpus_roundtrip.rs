//! Every Kestra flow under `tests/data/kestra-flows` (`*.yml`,
//! `*.yaml`): round-trips byte for byte, parses without errors, decodes, and
//! decodes to the same data as an independent parser (saphyr).
//!
//! `kestra-core/invalids/` holds flows that are invalid for *Kestra* (bad
//! task types, cycles, bad inputs...) but are YAML all the same, so they are
//! held to the same rules, except the files in [`NOT_VALID_YAML`].
//!
//! `CORPUS_VERBOSE=1` prints the details of every failure (default: the
//! first few).

mod common;

use std::time::Duration;

use common::{
    catch, docs_eq, docs_eq_by, docs_to_string, first_diff, format_errors, saphyr_json, Watchdog,
};
use kestra_fix::syntax::{self, value};

/// Files of the corpus that are not valid YAML, relative to the corpus root,
/// each with why. They must still round-trip and must not panic; whether we
/// reject them is reported, not asserted.
const NOT_VALID_YAML: &[(&str, &str)] = &[(
    "kestra-core/invalids/duplicate-key.yaml",
    "mapping key `variables.tf` appears twice in one mapping; YAML 1.2 requires \
     unique keys (spec 3.2.1.1), saphyr and Kestra's Jackson reject it, while \
     the YAML test suite treats duplicates as a load-time check (2JQS is not \
     marked `error`), so a parser may accept it",
)];

/// Files that are not expected to decode the same as saphyr, each with why.
const ORACLE_EXCEPTIONS: &[(&str, &str)] = &[];

#[derive(Default)]
struct Report {
    files: usize,
    bytes: usize,
    round_trip_fail: Vec<String>,
    parse_errors: Vec<String>,
    decode_fail: Vec<String>,
    oracle_mismatch: Vec<String>,
    oracle_fail: Vec<String>,
    panics: Vec<String>,
    details: Vec<String>,
}

#[test]
fn kestra_corpus_round_trips_and_decodes() {
    let root = common::kestra_dir();
    assert!(
        root.is_dir(),
        "Kestra corpus not found at {} (expected tests/data/kestra-flows in the crate)",
        root.display()
    );
    let verbose = std::env::var("CORPUS_VERBOSE").is_ok_and(|v| !v.is_empty() && v != "0");
    let files = common::yaml_files(&root);
    assert!(
        files.len() >= 250,
        "expected the whole Kestra corpus (~258 files), found {}",
        files.len()
    );
    for (name, _) in NOT_VALID_YAML.iter().chain(ORACLE_EXCEPTIONS) {
        assert!(
            root.join(name).is_file(),
            "listed exception {name} does not exist"
        );
    }

    let watchdog = Watchdog::new(Duration::from_secs(10));
    let mut r = Report::default();
    for path in &files {
        let name = common::rel(path, &root);
        let text =
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        r.files += 1;
        r.bytes += text.len();
        let invalid_yaml = NOT_VALID_YAML.iter().any(|(n, _)| *n == name);
        let oracle_exception = ORACLE_EXCEPTIONS.iter().any(|(n, _)| *n == name);

        watchdog.start(format!("file {name}"));
        let outcome = catch(|| {
            let parse = syntax::parse(&text);
            let printed = parse.syntax().to_string();
            let errors = format_errors(&text, parse.errors());
            let decoded = value::decode_documents(&parse)
                .map(|docs| docs.iter().map(|d| d.to_json()).collect::<Vec<_>>())
                .map_err(|e| {
                    let lc = syntax::LineIndex::new(&text).line_col(&text, e.range.start());
                    format!("{}:{}: {}", lc.line, lc.col, e.message)
                });
            (printed, errors, decoded)
        });
        watchdog.done();

        let (printed, errors, decoded) = match outcome {
            Ok(o) => o,
            Err(panic) => {
                r.panics.push(name.clone());
                r.details.push(format!("--- {name}: PANIC {panic}"));
                continue;
            }
        };
        if printed != text {
            r.round_trip_fail.push(name.clone());
            r.details.push(format!(
                "--- {name}: ROUND TRIP {}",
                first_diff(&text, &printed)
            ));
        }
        if invalid_yaml {
            let verdict = if !errors.is_empty() || decoded.is_err() {
                "rejected"
            } else {
                "accepted"
            };
            println!("note: {name} (not valid YAML, see NOT_VALID_YAML): {verdict} by our parser");
            // Keep the exception list honest: the oracle must agree that
            // the file is not valid YAML.
            if saphyr_json(&text).is_ok() {
                r.oracle_fail.push(name.clone());
                r.details.push(format!(
                    "--- {name}: listed in NOT_VALID_YAML but saphyr accepts it"
                ));
            }
            continue;
        }
        if !errors.is_empty() {
            r.parse_errors.push(name.clone());
            r.details
                .push(format!("--- {name}: PARSE ERRORS\n{errors}"));
        }
        let ours = match decoded {
            Ok(d) => d,
            Err(e) => {
                r.decode_fail.push(name.clone());
                r.details.push(format!("--- {name}: DECODE ERROR {e}"));
                continue;
            }
        };
        if oracle_exception {
            continue;
        }
        match saphyr_json(&text) {
            Err(e) => {
                r.oracle_fail.push(name.clone());
                r.details.push(format!(
                    "--- {name}: saphyr rejects this file ({e}); if it really is not valid YAML, add it to NOT_VALID_YAML"
                ));
            }
            Ok(theirs) => {
                let equal = if text.ends_with('\n') {
                    docs_eq(&ours, &theirs)
                } else {
                    // saphyr 0.3 quirk: a block scalar that ends the file
                    // with no final line break gets a "\n" anyway; the spec
                    // (8.1.1.2, clip/keep keep the final line break only if
                    // there is one) and PyYAML say no "\n". So in files with
                    // no final newline, saphyr's string may have one extra
                    // trailing "\n".
                    docs_eq_by(&ours, &theirs, &|o, s| {
                        o == s || s.strip_suffix('\n') == Some(o)
                    })
                };
                if !equal {
                    r.oracle_mismatch.push(name.clone());
                    r.details.push(format!(
                        "--- {name}: DATA DIFFERS FROM SAPHYR\nours:\n{}\nsaphyr:\n{}{}",
                        docs_to_string(&ours),
                        docs_to_string(&theirs),
                        json_diff_hint(&ours, &theirs)
                    ));
                }
            }
        }
    }
    drop(watchdog);

    let ids = |v: &[String]| {
        if v.is_empty() {
            "-".to_string()
        } else {
            v.join(" ")
        }
    };
    let shown = if verbose { usize::MAX } else { 10 };
    for d in r.details.iter().take(shown) {
        println!("{d}\n");
    }
    if r.details.len() > shown {
        println!(
            "... {} more failure details (CORPUS_VERBOSE=1 shows all)\n",
            r.details.len() - shown
        );
    }
    println!("Kestra corpus: {} files, {} bytes", r.files, r.bytes);
    println!(
        "  round trip failures:  {}  {}",
        r.round_trip_fail.len(),
        ids(&r.round_trip_fail)
    );
    println!(
        "  parse errors:         {}  {}",
        r.parse_errors.len(),
        ids(&r.parse_errors)
    );
    println!(
        "  decode failures:      {}  {}",
        r.decode_fail.len(),
        ids(&r.decode_fail)
    );
    println!(
        "  differs from saphyr:  {}  {}",
        r.oracle_mismatch.len(),
        ids(&r.oracle_mismatch)
    );
    println!(
        "  saphyr disagrees:     {}  {}",
        r.oracle_fail.len(),
        ids(&r.oracle_fail)
    );
    println!(
        "  panics:               {}  {}",
        r.panics.len(),
        ids(&r.panics)
    );

    let total = r.round_trip_fail.len()
        + r.parse_errors.len()
        + r.decode_fail.len()
        + r.oracle_mismatch.len()
        + r.oracle_fail.len()
        + r.panics.len();
    assert_eq!(total, 0, "Kestra corpus: {total} failures (see above)");
}

/// The JSON path of the first difference between two document lists.
fn json_diff_hint(ours: &[serde_json::Value], theirs: &[serde_json::Value]) -> String {
    use serde_json::Value as J;
    fn walk(a: &J, b: &J, path: &mut String) -> Option<String> {
        if common::json_eq(a, b) {
            return None;
        }
        match (a, b) {
            (J::Object(x), J::Object(y)) => {
                for (k, v) in x {
                    match y.get(k) {
                        Some(w) => {
                            let len = path.len();
                            path.push_str(&format!(".{k}"));
                            if let Some(p) = walk(v, w, path) {
                                return Some(p);
                            }
                            path.truncate(len);
                        }
                        None => return Some(format!("{path}.{k}: only in ours")),
                    }
                }
                y.keys()
                    .find(|k| !x.contains_key(*k))
                    .map(|k| format!("{path}.{k}: only in saphyr"))
                    .or_else(|| Some(path.clone()))
            }
            (J::Array(x), J::Array(y)) if x.len() == y.len() => {
                for (i, (v, w)) in x.iter().zip(y).enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    if let Some(p) = walk(v, w, path) {
                        return Some(p);
                    }
                    path.truncate(len);
                }
                Some(path.clone())
            }
            _ => Some(format!("{path}: ours {a} vs saphyr {b}")),
        }
    }
    if ours.len() != theirs.len() {
        return format!(
            "\nfirst difference: {} documents vs {}",
            ours.len(),
            theirs.len()
        );
    }
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        let mut path = format!("doc[{i}]");
        if let Some(p) = walk(a, b, &mut path) {
            return format!("\nfirst difference: {p}");
        }
    }
    String::new()
}
