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
