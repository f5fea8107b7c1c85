//! The oracle against our own decoder over every vendored YAML file
//! (`tests/data`: the Kestra flows and the YAML test suite): where our
//! parser reads a file without errors, the oracle (saphyr_parser's events,
//! composed by `fix::oracle`) must read the same data, or the verifier would
//! reject fixes to files it never touched.

mod common;

use kestra_fix::fix::oracle::load;
use kestra_fix::syntax::{self, value};

/// Files holding a key twice in one mapping: our decoder reads them, the
/// oracle refuses them, as saphyr's loader does (YAML requires unique keys).
const DUPLICATE_KEYS: &[&str] = &[
    "kestra-flows/kestra-core/invalids/duplicate-key.yaml",
    // Two empty keys.
    "yaml-test-suite/2JQS/in.yaml",
    // The key `[a, b]`, then an alias to it.
    "yaml-test-suite/X38W/in.yaml",
    "yaml-test-suite/X38W/out.yaml",
];

/// Files whose tags our decoder and saphyr name or resolve differently (the
/// non-specific tag `!`, `%TAG` handles, verbatim tags); no Kestra flow
/// uses them.
const TAGS: &[&str] = &[
    "yaml-test-suite/52DL/in.yaml",
    "yaml-test-suite/52DL/out.yaml",
    "yaml-test-suite/5TYM/in.yaml",
    "yaml-test-suite/6CK3/in.yaml",
    "yaml-test-suite/6WLZ/in.yaml",
    "yaml-test-suite/7FWL/in.yaml",
    "yaml-test-suite/8MK2/in.yaml",
    "yaml-test-suite/9WXW/in.yaml",
    "yaml-test-suite/C4HZ/in.yaml",
    "yaml-test-suite/CC74/in.yaml",
    "yaml-test-suite/FH7J/in.yaml",
    "yaml-test-suite/FH7J/out.yaml",
    "yaml-test-suite/P76L/in.yaml",
    "yaml-test-suite/S4JQ/in.yaml",
    "yaml-test-suite/S4JQ/out.yaml",
    "yaml-test-suite/U3C3/in.yaml",
    "yaml-test-suite/UKK6/02/in.yaml",
    "yaml-test-suite/Z9M4/in.yaml",
];

#[test]
fn oracle_reads_the_corpus_as_our_decoder_does() {
    let root = common::corpus_dir();
    let files = common::yaml_files(&root);
    assert!(
        files.len() >= 900,
        "expected both corpora, found {}",
        files.len()
    );
    for name in DUPLICATE_KEYS.iter().chain(TAGS) {
        assert!(
            root.join(name).is_file(),
            "listed file {name} does not exist"
        );
    }
    let (mut compared, mut differ) = (0, Vec::new());
    for path in &files {
        let name = common::rel(path, &root);
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let parse = syntax::parse(&text);
        if !parse.errors().is_empty() {
            continue;
        }
        let Ok(ours) = value::decode_documents(&parse) else {
            continue;
        };
        let theirs = load(&text);
        if DUPLICATE_KEYS.contains(&name.as_str()) {
            let e = theirs.expect_err(&name);
            assert_eq!(e.message, "duplicated key in mapping", "{name}");
            continue;
        }
        if TAGS.contains(&name.as_str()) {
            continue;
        }
        compared += 1;
        if theirs.as_ref() != Ok(&ours) {
            differ.push(name);
        }
    }
    assert!(compared >= 700, "only {compared} files compared");
    assert!(
        differ.is_empty(),
        "the oracle reads differently: {differ:?}"
    );
}
