//! The layout conventions a file already follows, so edits can match them.

use super::kind::{SyntaxKind, SyntaxNode};
use rowan::NodeOrToken;

/// How a file lays out its YAML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Style {
    /// Spaces per nesting level of block mappings.
    pub indent: usize,
    /// Column offset of a block sequence's dashes under its key: 0 for
    /// `key:\n- a`, 2 for `key:\n  - a`.
    pub seq_indent: usize,
    /// `"\n"` or `"\r\n"`.
    pub line_ending: &'static str,
    /// Whether the text ends with a line break.
    pub final_newline: bool,
}

impl Default for Style {
    /// Kestra's documentation style.
    fn default() -> Self {
        Style {
            indent: 2,
            seq_indent: 2,
            line_ending: "\n",
            final_newline: true,
        }
    }
}

impl Style {
    /// Detects the style of `text`, whose tree is `root`. Each property is
    /// the most common choice in the file; ties and absences fall back to
    /// Kestra's documentation style.
    pub fn detect(text: &str, root: &SyntaxNode) -> Style {
        let mut indents = [0u32; 9];
        let mut seq_indents = [0u32; 9];
        for node in root.descendants() {
            if node.kind() != SyntaxKind::MAP_VALUE {
                continue;
            }
            let Some(entry) = node.parent() else { continue };
            let Some(child) = node
                .children()
                .find(|c| matches!(c.kind(), SyntaxKind::BLOCK_MAP | SyntaxKind::BLOCK_SEQ))
            else {
                continue;
            };
            let entry_col = column(text, entry.text_range().start().into());
            let child_col = column(text, child.text_range().start().into());
            if !starts_line(text, child.text_range().start().into()) {
                continue;
            }
            let Some(delta) = child_col.checked_sub(entry_col) else {
                continue;
            };
            let bucket = if child.kind() == SyntaxKind::BLOCK_MAP {
                &mut indents
            } else {
                &mut seq_indents
            };
            if let Some(slot) = bucket.get_mut(delta) {
                *slot += 1;
            }
        }
        let most_common = |counts: &[u32; 9], default: usize, min: usize| {
            let (best, n) = counts
                .iter()
                .enumerate()
                .skip(min)
                .max_by_key(|&(i, &n)| (n, std::cmp::Reverse(i)))
                .expect("non-empty");
            if *n == 0 {
                default
            } else {
                best
            }
        };
        let indent = most_common(&indents, 2, 1);
        let seq_indent = most_common(&seq_indents, indent, 0);
        let line_ending = root
            .descendants_with_tokens()
            .find_map(|e| match e {
                NodeOrToken::Token(t) if t.kind() == SyntaxKind::NEWLINE => Some(t),
                _ => None,
            })
            .map_or("\n", |t| if t.text() == "\r\n" { "\r\n" } else { "\n" });
        Style {
            indent,
            seq_indent,
            line_ending,
            final_newline: text.is_empty() || text.ends_with('\n') || text.ends_with('\r'),
        }
    }

    /// `level` indentation steps as spaces.
    pub fn indent_str(&self, level: usize) -> String {
        " ".repeat(self.indent * level)
    }
}

/// The column (in bytes) of `offset` within its line.
pub fn column(text: &str, offset: usize) -> usize {
    offset - line_start(text, offset)
}

/// The offset where the line holding `offset` starts.
pub fn line_start(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset]
        .iter()
        .rposition(|&b| b == b'\n' || b == b'\r')
        .map_or(0, |i| i + 1)
}

/// Whether only spaces and tabs precede `offset` on its line.
pub fn starts_line(text: &str, offset: usize) -> bool {
    text[line_start(text, offset)..offset]
        .bytes()
        .all(|b| b == b' ' || b == b'\t')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    fn style(text: &str) -> Style {
        Style::detect(text, &parse(text).syntax())
    }

    #[test]
    fn detects_indentation_and_sequence_style() {
        let s = style("a:\n    b: 1\n    c:\n    - x\n");
        assert_eq!((s.indent, s.seq_indent), (4, 0));
        let s = style("tasks:\n  - id: a\n    x:\n      y: 1\n");
        assert_eq!((s.indent, s.seq_indent), (2, 2));
    }

    #[test]
    fn detects_line_endings() {
        assert_eq!(style("a: 1\r\nb: 2\r\n").line_ending, "\r\n");
        assert_eq!(style("a: 1\nb: 2").line_ending, "\n");
        assert!(!style("a: 1\nb: 2").final_newline);
    }

    #[test]
    fn defaults_without_nesting() {
        assert_eq!(style("a: 1\n"), Style::default());
    }
}
