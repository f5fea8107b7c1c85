//! Where each byte of a scalar's decoded text comes from in the source.
//!
//! Tools that read a scalar's value (a Pebble template, a script) report
//! positions in the decoded text; an edit needs source positions. A
//! [`ScalarMap`] holds the decoded text and the runs of it that the source
//! spells byte for byte (no escape, no `''`, no line folding), with their
//! source offsets. Escapes, folded line breaks and chomped endings are not
//! in any run: a range that crosses one has no 1:1 source range.
//!
//! The map is built by following the decoder of [`super::value`] and is
//! then checked against it: should the two ever disagree, the map has no
//! runs at all, so callers refuse rather than edit the wrong bytes.

use super::kind::{SyntaxKind, SyntaxNode, SyntaxToken};
use super::value::{decode_quoted, scalar_text};
use rowan::NodeOrToken;
use std::ops::Range;
use SyntaxKind::*;

/// A scalar's decoded text and its verbatim runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScalarMap {
    decoded: String,
    /// Sorted, non-overlapping runs of `decoded` spelled as is in the source.
    runs: Vec<Run>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    decoded: usize,
    source: usize,
    len: usize,
}

impl ScalarMap {
    /// The map of a scalar node (plain, quoted or block); an empty map for
    /// any other node.
    pub fn new(node: &SyntaxNode) -> ScalarMap {
        let mut b = Builder::default();
        match node.kind() {
            PLAIN_SCALAR => plain(node, &mut b),
            SINGLE_QUOTED_SCALAR | DOUBLE_QUOTED_SCALAR => {
                if let Some(tok) =
                    tokens(node).find(|t| matches!(t.kind(), SINGLE_QUOTED | DOUBLE_QUOTED))
                {
                    quoted(&tok, node.kind() == SINGLE_QUOTED_SCALAR, &mut b);
                }
            }
            BLOCK_SCALAR => block(node, &mut b),
            _ => {}
        }
        let decoded = scalar_text(node);
        let runs = if b.out == decoded { b.runs } else { Vec::new() };
        ScalarMap { decoded, runs }
    }

    /// The decoded text, as [`super::value::scalar_text`] gives it.
    pub fn decoded(&self) -> &str {
        &self.decoded
    }

    /// The source range spelling `range` of the decoded text byte for
    /// byte, if one run holds all of it.
    pub fn source_range(&self, range: Range<usize>) -> Option<Range<usize>> {
        if range.start > range.end || range.end > self.decoded.len() {
            return None;
        }
        // The last run starting at or before `range.start`.
        let i = self
            .runs
            .partition_point(|r| r.decoded <= range.start)
            .checked_sub(1)?;
        let run = self.runs[i];
        if range.end > run.decoded + run.len {
            return None;
        }
        let start = run.source + (range.start - run.decoded);
        Some(start..start + range.len())
    }

    /// The source offset of a decoded offset, where a run holds it.
    pub fn source_offset(&self, offset: usize) -> Option<usize> {
        self.source_range(offset..offset).map(|r| r.start)
    }
}

/// Collects the decoded text as the decoder writes it, with the source
/// offset of each verbatim piece.
#[derive(Default)]
struct Builder {
    out: String,
    runs: Vec<Run>,
}

impl Builder {
    fn verbatim(&mut self, text: &str, source: usize) {
        if text.is_empty() {
            return;
        }
        let decoded = self.out.len();
        match self.runs.last_mut() {
            Some(r) if r.decoded + r.len == decoded && r.source + r.len == source => {
                r.len += text.len()
            }
            _ => self.runs.push(Run {
                decoded,
                source,
                len: text.len(),
            }),
        }
        self.out.push_str(text);
    }

    fn synthetic(&mut self, text: &str) {
        self.out.push_str(text);
    }

    fn truncate(&mut self, len: usize) {
        self.out.truncate(len);
        while let Some(r) = self.runs.last_mut() {
            if r.decoded >= len {
                self.runs.pop();
            } else {
                r.len = r.len.min(len - r.decoded);
                break;
            }
        }
    }
}

fn tokens(node: &SyntaxNode) -> impl Iterator<Item = SyntaxToken> {
    node.children_with_tokens()
        .filter_map(NodeOrToken::into_token)
}

fn start(tok: &SyntaxToken) -> usize {
    usize::from(tok.text_range().start())
}

/// Mirrors `value::plain_text`.
fn plain(node: &SyntaxNode, b: &mut Builder) {
    let mut breaks = 0usize;
    for tok in tokens(node) {
        match tok.kind() {
            PLAIN_TEXT => {
                if !b.out.is_empty() {
                    match breaks {
                        0 => {}
                        1 => b.synthetic(" "),
                        n => b.synthetic(&"\n".repeat(n - 1)),
                    }
                }
                b.verbatim(tok.text(), start(&tok));
                breaks = 0;
            }
            NEWLINE => breaks += 1,
            _ => {}
        }
    }
}

/// Mirrors `value::decode_quoted`; escapes are decoded by it.
fn quoted(tok: &SyntaxToken, single: bool, b: &mut Builder) {
    let raw = tok.text();
    let base = start(tok) + 1;
    let inner = raw.get(1..).unwrap_or("");
    let inner = match inner.strip_suffix(if single { '\'' } else { '"' }) {
        Some(s) if raw.len() >= 2 => s,
        _ => inner,
    };
    let mut keep = 0usize;
    let mut chars = inner.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\'' if single && chars.peek().map(|p| p.1) == Some('\'') => {
                chars.next();
                b.synthetic("'");
                keep = b.out.len();
            }
            '\\' if !single => match chars.peek().map(|p| p.1) {
                Some('\r') | Some('\n') => {
                    let (_, e) = chars.next().unwrap_or((i, '\n'));
                    if e == '\r' && chars.peek().map(|p| p.1) == Some('\n') {
                        chars.next();
                    }
                    skip_line_prefix(&mut chars);
                    keep = b.out.len();
                }
                Some(e) => {
                    let digits = match e {
                        'x' => 2,
                        'u' => 4,
                        'U' => 8,
                        _ => 0,
                    };
                    chars.next();
                    let mut end = i + 1 + e.len_utf8();
                    for _ in 0..digits {
                        match chars.next() {
                            Some((j, d)) => end = j + d.len_utf8(),
                            None => break,
                        }
                    }
                    b.synthetic(&decode_quoted(&format!("\"{}\"", &inner[i..end]), false));
                    keep = b.out.len();
                }
                None => b.synthetic("\\"),
            },
            '\r' | '\n' => {
                if c == '\r' && chars.peek().map(|p| p.1) == Some('\n') {
                    chars.next();
                }
                let trimmed = b.out.trim_end_matches([' ', '\t']).len().max(keep);
                b.truncate(trimmed);
                let mut empty = 0;
                loop {
                    skip_line_prefix(&mut chars);
                    match chars.peek().map(|p| p.1) {
                        Some('\r') | Some('\n') => {
                            let (_, br) = chars.next().unwrap_or((0, '\n'));
                            if br == '\r' && chars.peek().map(|p| p.1) == Some('\n') {
                                chars.next();
                            }
                            empty += 1;
                        }
                        _ => break,
                    }
                }
                if empty == 0 {
                    b.synthetic(" ");
                } else {
                    b.synthetic(&"\n".repeat(empty));
                }
                keep = b.out.len();
            }
            _ => {
                b.verbatim(&inner[i..i + c.len_utf8()], base + i);
                if c != ' ' && c != '\t' {
                    keep = b.out.len();
                }
            }
        }
    }
}

fn skip_line_prefix(chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>) {
    while matches!(chars.peek().map(|p| p.1), Some(' ') | Some('\t')) {
        chars.next();
    }
}

/// Mirrors `value::block_text`: each line's text is verbatim.
fn block(node: &SyntaxNode, b: &mut Builder) {
    let mut header = String::new();
    // `Some((text, source offset))` for a text line, `None` for an empty one.
    let mut lines: Vec<Option<(String, usize)>> = Vec::new();
    let mut after_header_break = false;
    let mut current: Option<Option<(String, usize)>> = None;
    for tok in tokens(node) {
        match tok.kind() {
            BLOCK_HEADER => header = tok.text().to_string(),
            NEWLINE if !after_header_break => after_header_break = true,
            _ if !after_header_break => {}
            BLOCK_TEXT => current = Some(Some((tok.text().to_string(), start(&tok)))),
            BLOCK_INDENT | WHITESPACE => {
                current.get_or_insert(None);
            }
            NEWLINE => lines.push(current.take().flatten()),
            _ => {}
        }
    }
    if let Some(line) = current.take() {
        lines.push(line);
    }
    let folded = header.starts_with('>');
    let last_text = lines.iter().rposition(Option::is_some);
    let (content, trailing) = match last_text {
        Some(i) => lines.split_at(i + 1),
        None => lines.split_at(0),
    };
    if folded {
        let mut prev_more: Option<bool> = None;
        let mut empties = 0usize;
        for line in content {
            match line {
                None => empties += 1,
                Some((s, at)) => {
                    let more = s.starts_with([' ', '\t']);
                    match prev_more {
                        None => b.synthetic(&"\n".repeat(empties)),
                        Some(false) if !more => {
                            if empties == 0 {
                                b.synthetic(" ");
                            } else {
                                b.synthetic(&"\n".repeat(empties));
                            }
                        }
                        Some(_) => b.synthetic(&"\n".repeat(empties + 1)),
                    }
                    b.verbatim(s, *at);
                    prev_more = Some(more);
                    empties = 0;
                }
            }
        }
    } else {
        for (i, line) in content.iter().enumerate() {
            if i > 0 {
                b.synthetic("\n");
            }
            if let Some((s, at)) = line {
                b.verbatim(s, *at);
            }
        }
    }
    // Every line pushed above ended with a break (or the end of input).
    let final_break = !content.is_empty();
    // Strip (`-`) adds nothing, clip one break, keep every one.
    if final_break && !header.contains('-') {
        b.synthetic("\n");
    }
    if header.contains('+') {
        b.synthetic(&"\n".repeat(trailing.len()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::ast::Node;
    use crate::syntax::parse;

    /// The map of the value of `k` in `text`.
    fn map(text: &str) -> ScalarMap {
        let parse = parse(text);
        let body = parse.stream().first_document().unwrap().body().unwrap();
        let Node::Mapping(m) = body else { panic!() };
        ScalarMap::new(m.get_value("k").unwrap().syntax())
    }

    /// Every decoded range `map` gives a source range for is spelled the
    /// same in the source.
    fn check(text: &str, want: &str) -> ScalarMap {
        let m = map(text);
        assert_eq!(m.decoded(), want);
        for a in 0..=want.len() {
            for e in a..=want.len() {
                if let (Some(d), Some(s)) = (want.get(a..e), m.source_range(a..e)) {
                    assert_eq!(&text[s], d, "{a}..{e}");
                }
            }
        }
        m
    }

    #[test]
    fn plain_scalars_map_each_line() {
        let m = check(
            "k: a {{ json(x) }}\n  b  c\n\n  d\n",
            "a {{ json(x) }} b  c\nd",
        );
        assert_eq!(m.source_range(5..9), Some(8..12));
        // The folded break is not in the source.
        assert_eq!(m.source_range(14..17), None);
    }

    #[test]
    fn quoted_scalars_skip_escapes_and_doubled_quotes() {
        let m = check("k: 'it''s {{ json(x) }}'\n", "it's {{ json(x) }}");
        assert_eq!(m.source_range(8..12), Some(13..17));
        assert_eq!(m.source_range(1..4), None);
        let m = check(
            "k: \"a\\tb {{ x | json }} \\u00e9 é\"\n",
            "a\tb {{ x | json }} é é",
        );
        assert_eq!(m.source_range(11..15), Some(16..20));
        assert_eq!(m.source_range(0..3), None);
        check("k: \"a  \n   b\\\n  c \\\n d\"\n", "a bc d");
        check("k: 'a  \n\n   b'\n", "a\nb");
    }

    #[test]
    fn block_scalars_map_each_line_with_crlf() {
        let text = "k: |\r\n  {{ json(x) }}\r\n    y\r\n\r\nz: 1\r\n";
        let m = check(text, "{{ json(x) }}\n  y\n");
        assert_eq!(m.source_range(3..7), Some(11..15));
        check("k: >-\n  a\n  b\n\n   c\n  d\n", "a b\n\n c\nd");
        check("k: |+\n  a\n\n", "a\n\n");
    }

    #[test]
    fn a_map_that_disagrees_with_the_decoder_has_no_runs() {
        let m = map("k: [a]\n");
        assert_eq!(m.source_range(0..0), None);
    }
}
