//! The Pebble parser on every template of the Kestra corpus: each tag
//! parses, or is reported invalid with a position inside it.

mod common;

use kestra_fix::kestra::pebble::{self, Node};
use kestra_fix::syntax::parse;
use kestra_fix::syntax::value::{decode_documents, Value};

/// Every string (keys too) of every document of `text` holding a template.
fn templates(text: &str, out: &mut Vec<String>) {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) if pebble::has_template(s) => out.push(s.clone()),
            Value::Seq(items) => items.iter().for_each(|i| walk(i, out)),
            Value::Map(entries) => entries.iter().for_each(|(k, v)| {
                walk(k, out);
                walk(v, out);
            }),
            Value::Tagged(_, v) => walk(v, out),
            _ => {}
        }
    }
    if let Ok(docs) = decode_documents(&parse(text)) {
        docs.iter().for_each(|d| walk(d, out));
    }
}

#[test]
fn every_corpus_template_parses_or_is_reported_with_a_position() {
    let dir = common::kestra_dir();
    let mut strings = Vec::new();
    for path in common::yaml_files(&dir) {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        templates(&text, &mut strings);
    }
    let (mut tags, mut parsed, mut comments, mut verbatim) = (0, 0, 0, 0);
    let mut invalid = Vec::new();
    for s in &strings {
        let t = pebble::parse(s);
        for node in &t.nodes {
            let (tag, ok) = match node {
                Node::Print { tag, expr } => (tag, expr.is_some()),
                Node::Statement { tag, statement } => (tag, statement.is_some()),
                Node::Comment(_) => {
                    comments += 1;
                    continue;
                }
                Node::Verbatim { .. } => {
                    verbatim += 1;
                    continue;
                }
                Node::Text(_) => continue,
            };
            tags += 1;
            if ok {
                parsed += 1;
                continue;
            }
            let error = t
                .errors
                .iter()
                .find(|e| tag.range.contains(&e.offset) || e.offset == tag.range.end)
                .unwrap_or_else(|| panic!("a tag without a tree has an error inside it: {s:?}"));
            invalid.push(format!("{:?} -> {error}", &s[tag.range.clone()]));
        }
    }
    eprintln!(
        "{} template strings: {tags} tags, {parsed} parsed, {} invalid; {comments} comments, {verbatim} verbatim blocks",
        strings.len(),
        invalid.len()
    );
    for i in &invalid {
        eprintln!("  invalid: {i}");
    }
    assert!(tags > 500, "the corpus has templates: {tags}");
    assert_eq!(invalid.len(), EXPECTED_INVALID, "{invalid:#?}");
}

/// The corpus's own invalid tags: one, a `{% for %}` written inside a
/// `{{ }}` (Pebble rejects it too).
const EXPECTED_INVALID: usize = 1;

/// Corpus templates with characters that matter to Pebble (and multi-byte
/// ones) inserted at random: parsing never panics, every range is on a
/// character boundary, and a tag without a tree has an error inside it.
#[test]
fn mutated_templates_never_panic_and_ranges_stay_on_char_boundaries() {
    let mut strings = Vec::new();
    for path in common::yaml_files(&common::kestra_dir()) {
        if let Ok(text) = std::fs::read_to_string(&path) {
            templates(&text, &mut strings);
        }
    }
    const BITS: &[&str] = &[
        "{",
        "}",
        "{{",
        "}}",
        "{%",
        "%}",
        "{#",
        "#}",
        "'",
        "\"",
        "\\",
        "#{",
        "-",
        "|",
        "(",
        ")",
        "[",
        "]",
        ".",
        "é",
        "日本",
        "🎉",
        " is ",
        " not ",
        "json(",
        "| json",
        "{% raw %}",
        "{% endraw %}",
        "??",
        "..",
        ",",
        ":",
        "?",
        "=",
    ];
    // A fixed xorshift: the same cases on every run.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    for round in 0..4000 {
        let mut s = strings[next(strings.len())].clone();
        for _ in 0..1 + next(4) {
            let spots: Vec<usize> = (0..=s.len()).filter(|&i| s.is_char_boundary(i)).collect();
            let at = spots[next(spots.len())];
            s.insert_str(at, BITS[next(BITS.len())]);
        }
        let t = pebble::parse(&s);
        let ok = |r: &std::ops::Range<usize>| {
            r.start <= r.end && s.is_char_boundary(r.start) && s.is_char_boundary(r.end)
        };
        for e in t.expressions() {
            pebble::walk(e, &mut |e| {
                assert!(ok(&e.range), "round {round}: {s:?} {:?}", e.range);
            });
        }
        for node in &t.nodes {
            let (tag, has_tree) = match node {
                Node::Print { tag, expr } => (tag, expr.is_some()),
                Node::Statement { tag, statement } => (tag, statement.is_some()),
                _ => continue,
            };
            assert!(ok(&tag.range) && ok(&tag.body), "round {round}: {s:?}");
            if !has_tree {
                assert!(
                    t.errors
                        .iter()
                        .any(|e| tag.range.contains(&e.offset) || e.offset == tag.range.end),
                    "round {round}: {s:?}"
                );
            }
        }
        let _ = pebble::references(&s);
    }
}
