//! Incremental reparsing (`Parse::reparse`) builds exactly the tree and the
//! errors a whole parse of the new text does. Seeded random edits of the
//! Kestra corpus flows and the YAML test suite's valid inputs, shaped like
//! the edits fixes make (whole lines removed, copied, re-indented or
//! inserted, values replaced, text appended) and like edits they do not
//! (bytes inside a line), several at once.
//!
//! `REPARSE_ITERS=N` sets the edits per file (default 40 in release, 6 in
//! debug builds, where `reparse` also checks itself against a whole parse);
//! `REPARSE_SEED=S` the seed.

mod common;

use common::Rng;
use kestra_fix::syntax::edit::{apply_edits, TextEdit};
use kestra_fix::syntax::{parse, TextRange, TextSize};

const SEED: u64 = 0x0052_4550_4152_5345; // "REPARSE"

fn iterations() -> usize {
    std::env::var("REPARSE_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if cfg!(debug_assertions) { 6 } else { 40 })
}

/// Byte offsets where lines start, the text's end included.
fn line_starts(text: &str) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    if *starts.last().unwrap() != text.len() {
        starts.push(text.len());
    }
    starts
}

fn at(offset: usize) -> TextSize {
    TextSize::from(offset as u32)
}

/// Text fixes insert: keys, items, comments, blank lines, block scalars.
const SNIPPETS: &[&str] = &[
    "key: value\n",
    "- item\n",
    "- id: x\n  type: t\n",
    "# a comment\n",
    "\n",
    "values:\n  image: x\n",
    "script: |\n  echo hi\n",
    "list: [a, b]\n",
    "  nested: 1\n",
    "    deeper: 2\n",
    "q: 'quoted'\n",
];

/// One random edit of `text`.
fn random_edit(rng: &mut Rng, text: &str, lines: &[usize]) -> TextEdit {
    let line = rng.below(lines.len());
    let start = lines[line];
    let end = lines[(line + 1 + rng.below(4)).min(lines.len() - 1)];
    match rng.below(7) {
        // Whole lines removed.
        0 => TextEdit::replace(TextRange::new(at(start), at(end)), ""),
        // Lines copied from elsewhere.
        1 => {
            let first = rng.below(lines.len());
            let last = (first + 1 + rng.below(3)).min(lines.len() - 1);
            let copied = &text[lines[first]..lines[last]];
            TextEdit::replace(TextRange::empty(at(start)), copied)
        }
        // A snippet inserted at a line start, at the indentation there.
        2 => {
            let snippet = rng.pick(SNIPPETS);
            let pad = " ".repeat(leading_spaces(&text[start..]));
            let mut lines = String::new();
            for line in snippet.split_inclusive('\n') {
                lines.push_str(&pad);
                lines.push_str(line);
            }
            TextEdit::replace(TextRange::empty(at(start)), lines)
        }
        // A line re-indented.
        3 => {
            let spaces = leading_spaces(&text[start..]);
            let new = " ".repeat(rng.below(8));
            TextEdit::replace(TextRange::at(at(start), at(spaces)), new)
        }
        // Appended at the end.
        4 => TextEdit::replace(
            TextRange::empty(at(text.len())),
            rng.pick(SNIPPETS).to_string(),
        ),
        // A value replaced: the rest of a line after `: `.
        5 => match text[start..end].find(": ") {
            Some(colon) => {
                let from = start + colon + 2;
                let to = text[from..].find('\n').map_or(text.len(), |i| from + i);
                let value = *rng.pick(&["1", "[a, b]", "'x'", "|", "{k: v}", "*a", "&a b", ""]);
                TextEdit::replace(TextRange::new(at(from), at(to)), value)
            }
            None => TextEdit::replace(TextRange::empty(at(start)), ""),
        },
        // Bytes inside a line.
        _ => {
            let mut from = start + rng.below(end - start + 1);
            while !text.is_char_boundary(from) {
                from -= 1;
            }
            let punct = *rng.pick(&[":", " ", "-", "#", "'", "\"", "[", "x"]);
            TextEdit::replace(TextRange::empty(at(from)), punct)
        }
    }
}

fn leading_spaces(s: &str) -> usize {
    s.bytes().take_while(|&b| b == b' ').count()
}

/// Up to four non-overlapping edits.
fn random_edits(rng: &mut Rng, text: &str) -> Vec<TextEdit> {
    let lines = line_starts(text);
    let mut edits: Vec<TextEdit> = Vec::new();
    for _ in 0..1 + rng.below(4) {
        let edit = random_edit(rng, text, &lines);
        let clashes = edits.iter().any(|e| {
            e.range.start() < edit.range.end() && edit.range.start() < e.range.end()
                || e.range.start() == edit.range.start()
        });
        if !clashes {
            edits.push(edit);
        }
    }
    edits
}

#[test]
fn reparsing_equals_parsing_the_whole_text() {
    let mut files = common::yaml_files(&common::kestra_dir());
    files.extend(common::yaml_files(&common::suite_dir()));
    let iterations = iterations();
    let seed = std::env::var("REPARSE_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(SEED);
    let (mut tried, mut incremental) = (0usize, 0usize);
    for (n, file) in files.iter().enumerate() {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let old = parse(&text);
        if !old.errors().is_empty() {
            continue;
        }
        let mut rng = Rng::new(seed ^ n as u64);
        for _ in 0..iterations {
            let edits = random_edits(&mut rng, &text);
            let Some(new_text) = apply_edits(&text, &edits) else {
                continue;
            };
            let whole = parse(&new_text);
            let again = old.reparse(&text, &edits, &new_text);
            let same = again.green() == whole.green() && again.errors() == whole.errors();
            assert!(
                same,
                "{}: reparsing after {edits:?} differs from parsing\n{new_text}",
                file.display()
            );
            tried += 1;
            if let Some(quick) = old.try_reparse(&text, &edits, &new_text) {
                incremental += 1;
                assert!(quick.green() == whole.green() && quick.errors().is_empty());
            }
        }
    }
    assert!(tried > 1000, "only {tried} edits tried");
    // Many random edits break the YAML or reach past their entries, but if
    // hardly any reparse incrementally, the fast path is dead and this test
    // checks nothing of it (about 15% do).
    assert!(
        incremental * 10 > tried,
        "only {incremental} of {tried} edits were reparsed incrementally"
    );
}
