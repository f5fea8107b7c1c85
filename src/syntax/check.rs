//! Checks on a whole stream that the recursive-descent parser cannot make
//! on its way: characters YAML forbids anywhere, and what aliases refer to.
//!
//! They run on the text and the tree before anything loads the data, so an
//! alias bomb is refused before the decoder or the oracle expands it.

use super::kind::{SyntaxKind::*, SyntaxNode};
use super::SyntaxError;
use rowan::{NodeOrToken, TextRange, TextSize};
use std::collections::HashMap;

/// Aliases to collections a stream may hold: SnakeYAML's default
/// `maxAliasesForCollections`, so Kestra refuses any flow past it too.
pub const MAX_COLLECTION_ALIASES: usize = 50;

/// Nodes that aliases may add to the data, all aliases together. Fifty
/// aliases are enough for a bomb (each doubling the one before), so the
/// count above does not bound memory alone.
pub const MAX_ALIAS_EXPANSION: u64 = 1_000_000;

/// The first character outside YAML's printable set (`c-printable`: tab,
/// line breaks, U+0020..U+007E, U+0085, U+00A0..U+D7FF, U+E000..U+FFFD,
/// U+10000 and up). SnakeYAML refuses them even inside quoted scalars, so
/// they are refused everywhere; escapes (`"\a"`) stay the way to write them.
pub(crate) fn forbidden_character(text: &str) -> Option<SyntaxError> {
    let b = text.as_bytes();
    // Every forbidden character has a byte below 0x20, 0x7F, or is a
    // 2-byte C1 (0xC2 0x80..0x9F) or U+FFFE/U+FFFF (0xEF 0xBF 0xBE/0xBF):
    // scanning bytes finds them without decoding the text.
    let bad = |i: usize| match b[i] {
        b'\t' | b'\n' | b'\r' => false,
        0..=0x1F | 0x7F => true,
        0xC2 => b
            .get(i + 1)
            .is_some_and(|&n| (0x80..=0x9F).contains(&n) && n != 0x85),
        0xEF => b.get(i + 1) == Some(&0xBF) && matches!(b.get(i + 2), Some(0xBE | 0xBF)),
        _ => false,
    };
    // Blocks without a byte that may start one are skipped whole; the test
    // is branch-free so it compiles to vector compares.
    const BLOCK: usize = 32;
    let suspect = |c: u8| {
        (c < 0x20) & (c != b'\t') & (c != b'\n') & (c != b'\r')
            | (c == 0x7F)
            | (c == 0xC2)
            | (c == 0xEF)
    };
    let mut i = 0;
    let at = loop {
        if i >= b.len() {
            return None;
        }
        let end = (i + BLOCK).min(b.len());
        if end - i == BLOCK && !b[i..end].iter().fold(false, |a, &c| a | suspect(c)) {
            i = end;
            continue;
        }
        if let Some(at) = (i..end).find(|&j| bad(j)) {
            break at;
        }
        i = end;
    };
    let ch = text[at..].chars().next()?;
    let start = TextSize::from(at as u32);
    Some(SyntaxError {
        message: format!(
            "character U+{:04X} is not allowed in YAML: write it as an escape (`\\u{:04X}`) in a double-quoted string",
            ch as u32, ch as u32
        ),
        range: TextRange::at(start, TextSize::of(ch)),
    })
}

/// Every alias must follow its anchor and not sit inside the node the
/// anchor names; aliases to collections and what aliases expand to are
/// bounded. Returns the first violation.
pub(crate) fn aliases(root: &SyntaxNode) -> Option<SyntaxError> {
    let mut check = Aliases::default();
    for doc in root.children().filter(|n| n.kind() == DOCUMENT) {
        // Anchors do not carry over from one document to the next.
        check.anchors.clear();
        if let Err(e) = check.slot(&doc) {
            return Some(e);
        }
    }
    None
}

#[derive(Clone, Copy)]
enum Anchor {
    /// The anchored node is still being read: an alias to it is recursive.
    Open,
    Done {
        size: u64,
        collection: bool,
    },
}

#[derive(Default)]
struct Aliases {
    anchors: HashMap<String, Anchor>,
    collection_aliases: usize,
    expanded: u64,
}

impl Aliases {
    /// A node position (properties + content); returns the number of
    /// nodes it stands for, aliases expanded.
    fn slot(&mut self, parent: &SyntaxNode) -> Result<u64, SyntaxError> {
        let anchor = parent
            .children()
            .filter(|n| n.kind() == PROPERTIES)
            .flat_map(|p| p.children_with_tokens().filter_map(NodeOrToken::into_token))
            .filter(|t| t.kind() == ANCHOR)
            .last()
            .map(|t| t.text()[1..].to_string());
        if let Some(a) = &anchor {
            self.anchors.insert(a.clone(), Anchor::Open);
        }
        let content = parent.children().find(|n| n.kind().is_content_node());
        let size = match &content {
            Some(c) => self.content(c)?,
            None => 1,
        };
        if let Some(a) = anchor {
            let collection = content.as_ref().is_some_and(|c| {
                matches!(c.kind(), BLOCK_MAP | BLOCK_SEQ | FLOW_MAP | FLOW_SEQ)
                    || c.kind() == ALIAS && self.alias_is_collection(c)
            });
            self.anchors.insert(a, Anchor::Done { size, collection });
        }
        Ok(size)
    }

    fn alias_is_collection(&self, alias: &SyntaxNode) -> bool {
        matches!(
            self.anchors.get(&alias_name(alias)),
            Some(Anchor::Done {
                collection: true,
                ..
            })
        )
    }

    fn content(&mut self, node: &SyntaxNode) -> Result<u64, SyntaxError> {
        let mut size: u64 = 1;
        match node.kind() {
            BLOCK_MAP | FLOW_MAP => {
                for entry in node.children() {
                    if matches!(entry.kind(), BLOCK_MAP_ENTRY | FLOW_MAP_ENTRY) {
                        size = size.saturating_add(self.entry(&entry)?);
                    }
                }
            }
            BLOCK_SEQ | FLOW_SEQ => {
                for item in node.children() {
                    if !matches!(item.kind(), BLOCK_SEQ_ENTRY | FLOW_SEQ_ENTRY) {
                        continue;
                    }
                    let n = match item.children().find(|n| n.kind() == FLOW_MAP_ENTRY) {
                        Some(pair) => self.entry(&pair)?.saturating_add(1),
                        None => self.slot(&item)?,
                    };
                    size = size.saturating_add(n);
                }
            }
            ALIAS => return self.alias(node),
            _ => {}
        }
        Ok(size)
    }

    fn entry(&mut self, entry: &SyntaxNode) -> Result<u64, SyntaxError> {
        let mut size = 0u64;
        for part in entry.children() {
            if matches!(part.kind(), MAP_KEY | MAP_VALUE) {
                size = size.saturating_add(self.slot(&part)?);
            }
        }
        Ok(size.max(1))
    }

    fn alias(&mut self, node: &SyntaxNode) -> Result<u64, SyntaxError> {
        let name = alias_name(node);
        let error = |message: String| SyntaxError {
            message,
            range: node.text_range(),
        };
        let (size, collection) = match self.anchors.get(&name) {
            None => {
                return Err(error(format!(
                    "undefined alias `*{name}`: no anchor `&{name}` comes before it"
                )))
            }
            Some(Anchor::Open) => {
                return Err(error(format!(
                    "recursive alias `*{name}`: it is inside the node anchored `&{name}`"
                )))
            }
            Some(&Anchor::Done { size, collection }) => (size, collection),
        };
        if collection {
            self.collection_aliases += 1;
            if self.collection_aliases > MAX_COLLECTION_ALIASES {
                return Err(error(format!(
                    "more than {MAX_COLLECTION_ALIASES} aliases to collections (Kestra's YAML parser refuses them)"
                )));
            }
        }
        self.expanded = self.expanded.saturating_add(size);
        if self.expanded > MAX_ALIAS_EXPANSION {
            return Err(error(format!(
                "aliases expand to more than {MAX_ALIAS_EXPANSION} nodes"
            )));
        }
        Ok(size)
    }
}

fn alias_name(alias: &SyntaxNode) -> String {
    alias
        .children_with_tokens()
        .filter_map(NodeOrToken::into_token)
        .find(|t| t.kind() == ALIAS_NAME)
        .map(|t| t.text()[1..].to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use crate::syntax::{parse, value, LineIndex};

    /// `(line, col, message)` of the first error.
    fn first_error(text: &str) -> Option<(u32, u32, String)> {
        let p = parse(text);
        let e = p.errors().first()?;
        let at = LineIndex::new(text).line_col(text, e.range.start());
        Some((at.line, at.col, e.message.clone()))
    }

    /// The 769-byte flow: 8 levels of 10 aliases each.
    fn alias_bomb(levels: usize, width: usize) -> String {
        let mut text = "id: bomb\nnamespace: n\nvariables:\n  a0: &a0 [lol]\n".to_string();
        for i in 1..=levels {
            let items = vec![format!("*a{}", i - 1); width].join(", ");
            text.push_str(&format!("  a{i}: &a{i} [{items}]\n"));
        }
        text.push_str("tasks: []\n");
        text
    }

    #[test]
    fn the_51st_alias_to_a_collection_is_an_error() {
        let text = alias_bomb(8, 10);
        let (line, col, message) = first_error(&text).expect("refused");
        // a1..a5 hold 50 aliases; the 51st is the first item of a6.
        assert_eq!((line, col), (10, 12), "{message}");
        assert!(message.contains("more than 50 aliases"), "{message}");
        assert!(value::decode_documents(&parse(&text)).is_err());
        // Fifty are fine, and aliases to scalars do not count.
        assert_eq!(first_error(&alias_bomb(5, 10)), None);
        let scalars: String = (0..200).map(|i| format!("k{i}: *s\n")).collect();
        assert_eq!(first_error(&format!("s: &s x\n{scalars}")), None);
    }

    #[test]
    fn a_bomb_within_fifty_aliases_is_an_error() {
        // 25 levels of 2: 50 aliases, 2^25 nodes.
        let text = alias_bomb(25, 2);
        let (line, _, message) = first_error(&text).expect("refused");
        assert!(message.contains("expand to more than"), "{message}");
        assert!(line < 28, "{line}");
    }

    #[test]
    fn undefined_and_recursive_aliases_are_errors() {
        let (line, col, message) = first_error("a: 1\nb: *nope\n").unwrap();
        assert_eq!((line, col), (2, 4));
        assert!(message.starts_with("undefined alias `*nope`"), "{message}");
        // An anchor only counts after it, and only in its own document.
        assert!(first_error("a: *x\nb: &x 1\n").is_some());
        assert!(first_error("a: &x 1\n---\nb: *x\n").is_some());
        let (line, col, message) = first_error("a: &a [*a]\n").unwrap();
        assert_eq!((line, col), (1, 8));
        assert!(message.starts_with("recursive alias `*a`"), "{message}");
        assert!(first_error("a: &a\n  b: *a\n").is_some());
        // A nested redefinition is what a later alias refers to.
        assert_eq!(first_error("a: &a [&a x, *a]\n"), None);
        assert_eq!(first_error("a: &a 1\nb: *a\n"), None);
    }

    #[test]
    fn characters_outside_the_printable_set_are_errors() {
        let forbidden = (0u32..0x20)
            .filter(|c| ![0x09, 0x0A, 0x0D].contains(c))
            .chain([0x7F])
            .chain((0x80..0xA0).filter(|&c| c != 0x85))
            .chain([0xFFFE, 0xFFFF]);
        let mut count = 0;
        for c in forbidden {
            let c = char::from_u32(c).unwrap();
            for text in [
                format!("a: x{c}y\n"),
                format!("a: \"x{c}y\"\n"),
                format!("a: |\n  x{c}\n"),
            ] {
                let (line, col, message) = first_error(&text).unwrap_or_else(|| panic!("{text:?}"));
                assert!(
                    message.contains(&format!("U+{:04X}", c as u32)),
                    "{message}"
                );
                assert_eq!(line, if text.contains('|') { 2 } else { 1 });
                assert!(col >= 3, "{col}");
            }
            count += 1;
        }
        assert_eq!(count, 63);
        // Around the scan's 32-byte blocks, and split across two of them.
        for at in [0, 30, 31, 32, 33, 63, 64, 65] {
            for c in ['\u{1}', '\u{9F}', '\u{FFFF}'] {
                let text = format!("{}{c}{}", "x".repeat(at), "y".repeat(40));
                let e = super::forbidden_character(&text).expect("found");
                assert_eq!(usize::from(e.range.start()), at, "{c:?} at {at}");
            }
            let text = format!("{}\u{85}\u{FFFD}\t{}", "x".repeat(at), "y".repeat(40));
            assert!(super::forbidden_character(&text).is_none(), "{at}");
        }
        for ok in [
            '\t', '\u{85}', '\u{A0}', '\u{FEFF}', '\u{FFFD}', 'é', '😀', '\u{E000}',
        ] {
            assert_eq!(first_error(&format!("a: \"x{ok}y\"\n")), None, "{ok:?}");
        }
    }
}
