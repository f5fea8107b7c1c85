//! The layout conventions a file already follows, so edits can match them.

use super::kind::{SyntaxKind, SyntaxNode, YamlLanguage};
use rowan::{GreenNodeData, Language, NodeOrToken};

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
        let mut facts = Facts {
            text,
            indents: [0; 9],
            seq_indents: [0; 9],
            crlf: None,
        };
        // The green tree is walked without the cursor nodes `descendants`
        // would allocate; it runs every round.
        let start: usize = root.text_range().start().into();
        facts.visit(&root.green(), start, start);
        let Facts {
            indents,
            seq_indents,
            crlf,
            ..
        } = facts;
        let indent = most_common(&indents, 2, 1);
        let seq_indent = most_common(&seq_indents, indent, 0);
        let line_ending = if crlf == Some(true) { "\r\n" } else { "\n" };
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

/// What [`Style::detect`] counts, gathered in one walk.
struct Facts<'t> {
    text: &'t str,
    /// How often each indentation step (0..9 columns) opens a nested
    /// block mapping, and a block sequence.
    indents: [u32; 9],
    seq_indents: [u32; 9],
    /// Whether the first line break token is `\r\n`.
    crlf: Option<bool>,
}

impl<'t> Facts<'t> {
    /// `node` starts at `offset`; its parent at `parent_offset`.
    fn visit(&mut self, node: &GreenNodeData, offset: usize, parent_offset: usize) {
        let kind = YamlLanguage::kind_from_raw(node.kind());
        if kind == SyntaxKind::MAP_VALUE {
            self.count_nested(node, offset, parent_offset);
        }
        // A scalar holds no collection: past the first line break, there
        // is nothing left in it to count.
        if kind.is_scalar_node() && self.crlf.is_some() {
            return;
        }
        let mut child_offset = offset;
        for child in node.children() {
            match child {
                NodeOrToken::Node(n) => self.visit(n, child_offset, offset),
                NodeOrToken::Token(t) => {
                    if self.crlf.is_none()
                        && YamlLanguage::kind_from_raw(t.kind()) == SyntaxKind::NEWLINE
                    {
                        self.crlf = Some(t.text() == "\r\n");
                    }
                }
            }
            child_offset += usize::from(child.text_len());
        }
    }

    /// A block collection that opens a line under its entry's key (at
    /// `entry_offset`): how far it is indented from the key.
    fn count_nested(&mut self, value: &GreenNodeData, offset: usize, entry_offset: usize) {
        let mut child_offset = offset;
        let mut child = None;
        for c in value.children() {
            if let NodeOrToken::Node(n) = c {
                let kind = YamlLanguage::kind_from_raw(n.kind());
                if matches!(kind, SyntaxKind::BLOCK_MAP | SyntaxKind::BLOCK_SEQ) {
                    child = Some((kind, child_offset));
                    break;
                }
            }
            child_offset += usize::from(c.text_len());
        }
        let Some((kind, child_offset)) = child else {
            return;
        };
        let text = self.text;
        if !starts_line(text, child_offset) {
            return;
        }
        let Some(delta) = column(text, child_offset).checked_sub(column(text, entry_offset)) else {
            return;
        };
        let bucket = if kind == SyntaxKind::BLOCK_MAP {
            &mut self.indents
        } else {
            &mut self.seq_indents
        };
        if let Some(slot) = bucket.get_mut(delta) {
            *slot += 1;
        }
    }
}

/// The most frequent width in `counts` from `min` on (the smaller one on a
/// tie), or `default` when none was seen.
fn most_common(counts: &[u32; 9], default: usize, min: usize) -> usize {
    let (best, n) = counts
        .iter()
        .enumerate()
        .skip(min)
        .max_by_key(|&(i, &n)| (n, std::cmp::Reverse(i)))
        .expect("min is below the bucket count");
    if *n == 0 {
        default
    } else {
        best
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

    /// The walk over cursor nodes the green-tree walk replaced.
    fn reference(text: &str) -> (usize, usize, &'static str) {
        let root = parse(text).syntax();
        let (mut indents, mut seq_indents) = ([0u32; 9], [0u32; 9]);
        for node in root.descendants() {
            if node.kind() != SyntaxKind::MAP_VALUE {
                continue;
            }
            let entry = node.parent().unwrap();
            let Some(child) = node
                .children()
                .find(|c| matches!(c.kind(), SyntaxKind::BLOCK_MAP | SyntaxKind::BLOCK_SEQ))
            else {
                continue;
            };
            let start: usize = child.text_range().start().into();
            if !starts_line(text, start) {
                continue;
            }
            let Some(delta) =
                column(text, start).checked_sub(column(text, entry.text_range().start().into()))
            else {
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
        let indent = most_common(&indents, 2, 1);
        let crlf = root
            .descendants_with_tokens()
            .find_map(|e| e.into_token().filter(|t| t.kind() == SyntaxKind::NEWLINE))
            .is_some_and(|t| t.text() == "\r\n");
        (
            indent,
            most_common(&seq_indents, indent, 0),
            if crlf { "\r\n" } else { "\n" },
        )
    }

    #[test]
    fn the_green_walk_counts_what_the_node_walk_did() {
        let texts = [
            "a:\n    b: 1\n    c:\n    - x\n",
            "# c\r\ntasks:\r\n  - id: a\r\n    x: &n\r\n      y: 1\r\n    z: !t\r\n        - 1\r\n",
            "a: two\r\n  lines\nb:\n   c:\n      - d: {e: f}\n        g:\n         h: 1\n",
            "- a:\n   b:\n     - 1\n- {x: [1, 2]}\n---\nc:\n d: 1\n",
            "a: |\n  text\nb:   # note\n  c: 1\n",
        ];
        for text in texts {
            let s = style(text);
            assert_eq!(
                (s.indent, s.seq_indent, s.line_ending),
                reference(text),
                "{text:?}"
            );
        }
    }

    #[test]
    fn defaults_without_nesting() {
        assert_eq!(style("a: 1\n"), Style::default());
    }
}
