//! The official YAML test suite (`tests/data/yaml-test-suite`), run
//! against our parser. Prints four figures and the ids failing each, and
//! asserts the thresholds of issue 2:
//!
//! - (a) round trip byte for byte: all 402 inputs;
//! - (b) decoded data equals `in.json`: at least 275 of the 282 that have one;
//! - (c) `error` cases rejected (parse errors or decode error): at least 85;
//! - (d) valid cases rejected: none.
//!
//! A panic counts as a failure in every category it touches.
//!
//! Environment:
//! - `YAML_SUITE_VERBOSE=1`: expected vs got for every failure.
//! - `YAML_SUITE_CASE=ID[,ID...]`: run only these cases (prefix match, e.g.
//!   `DK95` or `DK95/06`), verbose, thresholds not asserted.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{catch, docs_eq, docs_to_string, first_diff, format_errors, Watchdog};
use kestra_fix::syntax::{self, value};
use serde_json::Value as Json;

const TOTAL_INPUTS: usize = 402;
const MIN_DATA: usize = 275;
const MIN_REJECTED: usize = 85;

struct Case {
    id: String,
    input: String,
    /// One JSON value per document, if the case has `in.json`.
    json: Option<Vec<Json>>,
    /// The case is marked invalid (`error` file).
    error: bool,
}

/// What our parser made of one case.
struct Outcome {
    round_trip: Result<(), String>,
    /// Parse errors, formatted `line:col: message` (empty: none).
    parse_errors: String,
    decoded: Result<Vec<Json>, String>,
}

fn load_cases(root: &Path) -> Vec<Case> {
    fn visit(root: &Path, dir: &Path, out: &mut Vec<Case>) {
        let input = dir.join("in.yaml");
        if input.is_file() {
            let id = common::rel(dir, root);
            let text = std::fs::read_to_string(&input)
                .unwrap_or_else(|e| panic!("{}: {e}", input.display()));
            let json = dir.join("in.json");
            let json = json.is_file().then(|| {
                let s = std::fs::read_to_string(&json).expect("read in.json");
                serde_json::Deserializer::from_str(&s)
                    .into_iter::<Json>()
                    .collect::<Result<Vec<_>, _>>()
                    .unwrap_or_else(|e| panic!("{id}/in.json: {e}"))
            });
            out.push(Case {
                id,
                input: text,
                json,
                error: dir.join("error").exists(),
            });
        }
        let mut subdirs: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("dir entry").path())
            .filter(|p| p.is_dir())
            .collect();
        subdirs.sort();
        for sub in subdirs {
            visit(root, &sub, out);
        }
    }
    let mut out = Vec::new();
    visit(root, root, &mut out);
    out
}

fn run_case(case: &Case) -> Result<Outcome, String> {
    catch(|| {
        let parse = syntax::parse(&case.input);
        let printed = parse.syntax().to_string();
        let round_trip = if printed == case.input {
            Ok(())
        } else {
            Err(first_diff(&case.input, &printed))
        };
        let parse_errors = format_errors(&case.input, parse.errors());
        let decoded = value::decode_documents(&parse)
            .map(|docs| docs.iter().map(|d| d.to_json()).collect())
            .map_err(|e| {
                let lc = syntax::LineIndex::new(&case.input).line_col(&case.input, e.range.start());
                format!("{}:{}: {}", lc.line, lc.col, e.message)
            });
        Outcome {
            round_trip,
            parse_errors,
            decoded,
        }
    })
}

#[derive(Default)]
struct Figures {
    inputs: usize,
    round_trip_ok: usize,
    round_trip_fail: Vec<String>,
    data_cases: usize,
    data_ok: usize,
    data_fail: Vec<String>,
    error_cases: usize,
    rejected: usize,
    not_rejected: Vec<String>,
    valid_rejected: Vec<String>,
    panics: Vec<String>,
}

#[test]
fn yaml_test_suite() {
    let root = common::suite_dir();
    assert!(
        root.is_dir(),
        "YAML test suite not found at {} (expected tests/data/yaml-test-suite in the crate)",
        root.display()
    );
    let filter: Option<Vec<String>> = std::env::var("YAML_SUITE_CASE")
        .ok()
        .filter(|s| !s.is_empty())
        .map(|s| s.split(',').map(|x| x.trim().to_string()).collect());
    let verbose = filter.is_some()
        || std::env::var("YAML_SUITE_VERBOSE").is_ok_and(|v| !v.is_empty() && v != "0");

    let mut cases = load_cases(&root);
    if filter.is_none() {
        assert_eq!(cases.len(), TOTAL_INPUTS, "number of inputs in the suite");
    }
    if let Some(f) = &filter {
        cases.retain(|c| f.iter().any(|p| c.id.starts_with(p.as_str())));
        assert!(!cases.is_empty(), "no case matches YAML_SUITE_CASE={f:?}");
    }

    let watchdog = Watchdog::new(Duration::from_secs(10));
    let mut fig = Figures::default();
    let mut details: Vec<String> = Vec::new();

    for case in &cases {
        fig.inputs += 1;
        watchdog.start(format!("case {}:\n{}", case.id, case.input));
        let outcome = run_case(case);
        watchdog.done();
        let outcome = match outcome {
            Ok(o) => o,
            Err(panic) => {
                fig.panics.push(case.id.clone());
                fig.round_trip_fail.push(case.id.clone());
                if case.json.is_some() {
                    fig.data_cases += 1;
                    fig.data_fail.push(case.id.clone());
                }
                if case.error {
                    fig.error_cases += 1;
                    fig.not_rejected.push(case.id.clone());
                } else {
                    fig.valid_rejected.push(case.id.clone());
                }
                details.push(format!(
                    "--- {} PANIC: {panic}\ninput:\n{}",
                    case.id,
                    show(&case.input)
                ));
                continue;
            }
        };

        // (a) round trip
        match &outcome.round_trip {
            Ok(()) => fig.round_trip_ok += 1,
            Err(diff) => {
                fig.round_trip_fail.push(case.id.clone());
                details.push(format!("--- {} ROUND TRIP: {diff}", case.id));
            }
        }

        let rejected = !outcome.parse_errors.is_empty() || outcome.decoded.is_err();
        let why_rejected = || {
            let mut s = String::new();
            if !outcome.parse_errors.is_empty() {
                s.push_str(&format!("parse errors:\n{}\n", outcome.parse_errors));
            }
            if let Err(e) = &outcome.decoded {
                s.push_str(&format!("decode error: {e}\n"));
            }
            s
        };

        // (b) data
        if let Some(expected) = &case.json {
            fig.data_cases += 1;
            let ok = !rejected
                && outcome
                    .decoded
                    .as_ref()
                    .is_ok_and(|got| docs_eq(got, expected));
            if ok {
                fig.data_ok += 1;
            } else {
                fig.data_fail.push(case.id.clone());
                let got = match (&outcome.decoded, rejected) {
                    (Ok(got), false) => docs_to_string(got),
                    (Ok(got), true) => {
                        format!("{}\n(but rejected) {}", docs_to_string(got), why_rejected())
                    }
                    (Err(_), _) => format!("(rejected) {}", why_rejected()),
                };
                let note = if case.error {
                    " (case is marked `error`: a correct parser rejects it, so this mismatch is expected)"
                } else {
                    ""
                };
                details.push(format!(
                    "--- {} DATA{note}\ninput:\n{}\nexpected:\n{}\ngot:\n{}",
                    case.id,
                    show(&case.input),
                    docs_to_string(expected),
                    got
                ));
            }
        }

        // (c), (d) rejection
        if case.error {
            fig.error_cases += 1;
            if rejected {
                fig.rejected += 1;
            } else {
                fig.not_rejected.push(case.id.clone());
                let got = outcome
                    .decoded
                    .as_ref()
                    .map(|d| docs_to_string(d))
                    .unwrap_or_default();
                details.push(format!(
                    "--- {} NOT REJECTED (invalid YAML accepted)\ninput:\n{}\ndecoded as:\n{got}",
                    case.id,
                    show(&case.input)
                ));
            }
        } else if rejected {
            fig.valid_rejected.push(case.id.clone());
            details.push(format!(
                "--- {} VALID BUT REJECTED\ninput:\n{}\n{}",
                case.id,
                show(&case.input),
                why_rejected()
            ));
        }
    }
    drop(watchdog);

    if verbose {
        for d in &details {
            println!("{d}\n");
        }
    }
    let ids = |v: &[String]| {
        if v.is_empty() {
            "-".to_string()
        } else {
            v.join(" ")
        }
    };
    println!("YAML test suite ({} inputs)", fig.inputs);
    println!(
        "  (a) round trip:      {}/{}   failing: {}",
        fig.round_trip_ok,
        fig.inputs,
        ids(&fig.round_trip_fail)
    );
    println!(
        "  (b) data == in.json: {}/{}   failing: {}",
        fig.data_ok,
        fig.data_cases,
        ids(&fig.data_fail)
    );
    println!(
        "  (c) errors rejected: {}/{}   not rejected: {}",
        fig.rejected,
        fig.error_cases,
        ids(&fig.not_rejected)
    );
    println!(
        "  (d) valid rejected:  {}   ids: {}",
        fig.valid_rejected.len(),
        ids(&fig.valid_rejected)
    );
    println!("  panics: {}   ids: {}", fig.panics.len(), ids(&fig.panics));
    if !verbose && !details.is_empty() {
        println!(
            "  (YAML_SUITE_VERBOSE=1 for expected vs got; YAML_SUITE_CASE=ID to run one case)"
        );
    }

    if filter.is_some() {
        return;
    }
    let mut failures = Vec::new();
    if fig.round_trip_ok != fig.inputs {
        failures.push(format!(
            "round trip {}/{} (all required)",
            fig.round_trip_ok, fig.inputs
        ));
    }
    if fig.data_ok < MIN_DATA {
        failures.push(format!(
            "data {}/{} (at least {MIN_DATA} required)",
            fig.data_ok, fig.data_cases
        ));
    }
    if fig.rejected < MIN_REJECTED {
        failures.push(format!(
            "errors rejected {}/{} (at least {MIN_REJECTED} required)",
            fig.rejected, fig.error_cases
        ));
    }
    if !fig.valid_rejected.is_empty() {
        failures.push(format!(
            "{} valid cases rejected (none allowed)",
            fig.valid_rejected.len()
        ));
    }
    if !fig.panics.is_empty() {
        failures.push(format!("{} panics", fig.panics.len()));
    }
    assert!(
        failures.is_empty(),
        "YAML test suite below thresholds: {}",
        failures.join("; ")
    );
}

/// The input with visible whitespace markers, as the suite itself shows it:
/// tab `»`, trailing space `·`, CR `←`, missing final newline `∎`.
fn show(text: &str) -> String {
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        let (body, nl) = match line.strip_suffix('\n') {
            Some(b) => (b, true),
            None => (line, false),
        };
        let trimmed = body.trim_end_matches(' ');
        out.push_str("  | ");
        out.push_str(&trimmed.replace('\t', "»").replace('\r', "←"));
        out.push_str(&"·".repeat(body.len() - trimmed.len()));
        if !nl {
            out.push('∎');
        }
        out.push('\n');
    }
    if text.is_empty() {
        out.push_str("  | ∎\n");
    }
    out.pop();
    out
}
