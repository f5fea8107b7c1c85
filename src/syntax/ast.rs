//! Typed views over the CST, in the rust-analyzer `AstNode::cast` style.
//!
//! Views are cheap handles on a [`SyntaxNode`]; they never own or copy the
//! tree. Block and flow collections share one view each ([`Mapping`],
//! [`Sequence`]) because codemods rarely care which style a flow uses.

use super::kind::{SyntaxKind, SyntaxNode, SyntaxToken, YamlLanguage};
use super::value::{self, ScalarStyle};
use rowan::{Language, TextRange};
use std::borrow::Cow;

use SyntaxKind::*;

pub trait AstNode: Sized {
    fn can_cast(kind: SyntaxKind) -> bool;
    fn cast(node: SyntaxNode) -> Option<Self>;
    fn syntax(&self) -> &SyntaxNode;
    fn text_range(&self) -> TextRange {
        self.syntax().text_range()
    }
}

macro_rules! ast_node {
    ($(#[$doc:meta])* $name:ident, $($kind:ident)|+) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(SyntaxNode);

        impl AstNode for $name {
            fn can_cast(kind: SyntaxKind) -> bool {
                matches!(kind, $($kind)|+)
            }
            fn cast(node: SyntaxNode) -> Option<Self> {
                Self::can_cast(node.kind()).then(|| Self(node))
            }
            fn syntax(&self) -> &SyntaxNode {
                &self.0
            }
        }
    };
}

ast_node!(
    /// The whole file: a sequence of documents.
    Stream, STREAM
);
ast_node!(Document, DOCUMENT);
ast_node!(
    /// A block or flow mapping.
    Mapping, BLOCK_MAP | FLOW_MAP
);
ast_node!(
    /// One `key: value` pair of a block or flow mapping (or a single-pair
    /// mapping inside a flow sequence).
    Entry, BLOCK_MAP_ENTRY | FLOW_MAP_ENTRY
);
ast_node!(
    /// A block or flow sequence.
    Sequence, BLOCK_SEQ | FLOW_SEQ
);
ast_node!(
    /// One item of a block or flow sequence.
    Item, BLOCK_SEQ_ENTRY | FLOW_SEQ_ENTRY
);
ast_node!(
    Scalar,
    PLAIN_SCALAR | SINGLE_QUOTED_SCALAR | DOUBLE_QUOTED_SCALAR | BLOCK_SCALAR
);
ast_node!(Alias, ALIAS);
ast_node!(Properties, PROPERTIES);

/// Any YAML node's content.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Node {
    Mapping(Mapping),
    Sequence(Sequence),
    Scalar(Scalar),
    Alias(Alias),
}

impl Node {
    pub fn cast(node: SyntaxNode) -> Option<Node> {
        Some(match node.kind() {
            BLOCK_MAP | FLOW_MAP => Node::Mapping(Mapping(node)),
            BLOCK_SEQ | FLOW_SEQ => Node::Sequence(Sequence(node)),
            k if k.is_scalar_node() => Node::Scalar(Scalar(node)),
            ALIAS => Node::Alias(Alias(node)),
            _ => return None,
        })
    }

    pub fn syntax(&self) -> &SyntaxNode {
        match self {
            Node::Mapping(n) => n.syntax(),
            Node::Sequence(n) => n.syntax(),
            Node::Scalar(n) => n.syntax(),
            Node::Alias(n) => n.syntax(),
        }
    }

    pub fn text_range(&self) -> TextRange {
        self.syntax().text_range()
    }

    pub fn as_mapping(&self) -> Option<&Mapping> {
        match self {
            Node::Mapping(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_sequence(&self) -> Option<&Sequence> {
        match self {
            Node::Sequence(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_scalar(&self) -> Option<&Scalar> {
        match self {
            Node::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The anchor and tag written in front of this node, if any.
    pub fn properties(&self) -> Option<Properties> {
        properties_before(self.syntax())
    }

    /// The node's range including its properties (`&a !tag value`).
    pub fn full_range(&self) -> TextRange {
        match self.properties() {
            Some(p) => p.text_range().cover(self.text_range()),
            None => self.text_range(),
        }
    }
}

/// Properties are the content node's previous sibling node, if any.
fn properties_before(node: &SyntaxNode) -> Option<Properties> {
    let mut prev = node.prev_sibling_or_token();
    while let Some(el) = prev {
        match el {
            rowan::NodeOrToken::Token(t) if t.kind().is_trivia() => {
                prev = t.prev_sibling_or_token()
            }
            rowan::NodeOrToken::Node(n) => return Properties::cast(n),
            rowan::NodeOrToken::Token(_) => return None,
        }
    }
    None
}

/// The first content node among `parent`'s children.
fn child_content(parent: &SyntaxNode) -> Option<Node> {
    parent.children().find_map(Node::cast)
}

impl Stream {
    pub(crate) fn cast_root(node: SyntaxNode) -> Stream {
        debug_assert_eq!(node.kind(), STREAM);
        Stream(node)
    }

    pub fn documents(&self) -> impl Iterator<Item = Document> {
        self.0.children().filter_map(Document::cast)
    }

    /// The first document, the only one a Kestra flow file has.
    pub fn first_document(&self) -> Option<Document> {
        self.documents().next()
    }
}

impl Document {
    /// The document's root node.
    pub fn body(&self) -> Option<Node> {
        child_content(&self.0)
    }

    /// The root node as a mapping, the shape of every Kestra flow.
    pub fn body_mapping(&self) -> Option<Mapping> {
        match self.body()? {
            Node::Mapping(m) => Some(m),
            _ => None,
        }
    }
}

impl Mapping {
    pub fn is_flow(&self) -> bool {
        self.0.kind() == FLOW_MAP
    }

    pub fn entries(&self) -> impl Iterator<Item = Entry> {
        self.0.children().filter_map(Entry::cast)
    }

    /// The entry whose key decodes to `key` (first match, as Kestra's
    /// parser would reject duplicates anyway).
    pub fn get(&self, key: &str) -> Option<Entry> {
        self.entries()
            .find(|e| e.key_str().is_some_and(|k| k == key))
    }

    /// The value node of the entry `key`.
    pub fn get_value(&self, key: &str) -> Option<Node> {
        self.get(key)?.value()
    }

    /// The decoded string of the scalar value of entry `key`.
    pub fn get_str(&self, key: &str) -> Option<String> {
        match self.get_value(key)? {
            Node::Scalar(s) => Some(s.value().into_owned()),
            _ => None,
        }
    }
}

impl Entry {
    pub fn key_node(&self) -> Option<SyntaxNode> {
        self.0.children().find(|n| n.kind() == MAP_KEY)
    }

    pub fn value_node(&self) -> Option<SyntaxNode> {
        self.0.children().find(|n| n.kind() == MAP_VALUE)
    }

    /// The key's content node (None for an empty key).
    pub fn key(&self) -> Option<Node> {
        child_content(&self.key_node()?)
    }

    /// The key when it is a scalar, the only keys Kestra uses.
    pub fn key_scalar(&self) -> Option<Scalar> {
        match self.key()? {
            Node::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The key's decoded text, when it is a scalar.
    pub fn key_text(&self) -> Option<String> {
        self.key_str().map(Cow::into_owned)
    }

    /// [`Entry::key_text`], borrowed from the tree when the key needs no
    /// decoding (nearly every key): walkers read every key of a flow.
    pub fn key_str(&self) -> Option<Cow<'_, str>> {
        if let Cow::Borrowed(green) = self.0.green() {
            let key = green
                .children()
                .filter_map(|c| c.into_node())
                .find(|n| YamlLanguage::kind_from_raw(n.kind()) == MAP_KEY)?;
            let content = key
                .children()
                .filter_map(|c| c.into_node())
                .find(|n| YamlLanguage::kind_from_raw(n.kind()).is_content_node())?;
            if let Some(text) = value::green_scalar_str(content) {
                return Some(Cow::Borrowed(text));
            }
        }
        Some(Cow::Owned(self.key_scalar()?.value().into_owned()))
    }

    /// The value's content node (None for `key:` with nothing after it).
    pub fn value(&self) -> Option<Node> {
        child_content(&self.value_node()?)
    }

    /// The `:` token.
    pub fn colon(&self) -> Option<SyntaxToken> {
        self.value_node()?
            .children_with_tokens()
            .filter_map(|e| e.into_token())
            .find(|t| t.kind() == COLON)
    }
}

impl Sequence {
    pub fn is_flow(&self) -> bool {
        self.0.kind() == FLOW_SEQ
    }

    pub fn items(&self) -> impl Iterator<Item = Item> {
        self.0.children().filter_map(Item::cast)
    }
}

impl Item {
    /// The item's content node (None for a bare `-`).
    pub fn value(&self) -> Option<Node> {
        child_content(&self.0)
    }

    /// A single-pair mapping written inside a flow sequence: `[a: b]`.
    pub fn flow_pair(&self) -> Option<Entry> {
        self.0.children().find_map(Entry::cast)
    }

    pub fn dash(&self) -> Option<SyntaxToken> {
        self.0
            .children_with_tokens()
            .filter_map(|e| e.into_token())
            .find(|t| t.kind() == DASH)
    }
}

impl Scalar {
    pub fn style(&self) -> ScalarStyle {
        value::scalar_style(&self.0)
    }

    /// The decoded string value (escapes, folding and chomping applied).
    pub fn value(&self) -> Cow<'_, str> {
        value::scalar_str(&self.0)
    }

    /// Whether the decoded value equals `s` (without allocating for a
    /// scalar written as it decodes, see [`Scalar::value`]).
    pub fn value_is(&self, s: &str) -> bool {
        self.value() == s
    }

    /// The raw source text of the scalar.
    pub fn raw(&self) -> String {
        self.0.to_string()
    }

    /// The value under the YAML 1.2 core schema, honouring a `!!` tag.
    pub fn data(&self) -> value::Value {
        value::decode_scalar(&self.0)
    }
}

impl Alias {
    pub fn name(&self) -> Option<String> {
        let tok = self
            .0
            .children_with_tokens()
            .filter_map(|e| e.into_token())
            .find(|t| t.kind() == ALIAS_NAME)?;
        Some(tok.text()[1..].to_string())
    }
}

impl Properties {
    pub fn anchor(&self) -> Option<String> {
        self.token(ANCHOR).map(|t| t.text()[1..].to_string())
    }

    pub fn tag(&self) -> Option<String> {
        self.token(TAG).map(|t| t.text().to_string())
    }

    fn token(&self, kind: SyntaxKind) -> Option<SyntaxToken> {
        self.0
            .children_with_tokens()
            .filter_map(|e| e.into_token())
            .find(|t| t.kind() == kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    fn entries(text: &str) -> Vec<Entry> {
        parse(text)
            .syntax()
            .descendants()
            .filter_map(Entry::cast)
            .collect()
    }

    #[test]
    fn keys_are_borrowed_unless_they_need_decoding() {
        let all = entries("plain: 1\n'single': 2\n\"esc\\taped\": 3\n? [complex]\n: 4\n");
        let got: Vec<(Option<String>, bool)> = all
            .iter()
            .map(|e| {
                let key = e.key_str();
                let borrowed = matches!(key, Some(Cow::Borrowed(_)));
                (key.map(Cow::into_owned), borrowed)
            })
            .collect();
        assert_eq!(
            got,
            [
                (Some("plain".into()), true),
                (Some("single".into()), true),
                (Some("esc\taped".into()), false),
                (None, false),
            ]
        );
        for e in &all {
            assert_eq!(e.key_text(), e.key_scalar().map(|s| s.value().into_owned()));
        }
    }

    #[test]
    fn get_finds_keys_however_they_are_written() {
        let root = parse("a: 1\n'b': 2\n\"c\\x41\": 3\n")
            .stream()
            .first_document()
            .and_then(|d| d.body_mapping())
            .expect("a mapping");
        assert_eq!(root.get_str("a").as_deref(), Some("1"));
        assert_eq!(root.get_str("b").as_deref(), Some("2"));
        assert_eq!(root.get_str("cA").as_deref(), Some("3"));
        assert!(root.get("c\\x41").is_none());
    }
}
