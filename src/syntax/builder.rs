//! The green-tree builder the parser uses: rowan's `GreenNodeBuilder`
//! without its node cache, and with a token cache only for short tokens.
//!
//! rowan's builder looks every token and every node of up to three children
//! up in a hash table, to share equal ones. Flows repeat short tokens
//! (indentation, punctuation, keys), so those are shared; a node whose one
//! child is shared (the scalar of a key, the key around it) is shared too,
//! found by the child's address. Long tokens (scripts, messages, values)
//! and larger nodes rarely repeat: they are built directly, without hashing
//! them, and the cache holds fewer of them. The trees are the same: green
//! trees compare by content.

use rowan::{GreenNode, GreenNodeData, GreenToken, GreenTokenData, NodeOrToken, SyntaxKind};
use rustc_hash::FxHashMap;

/// Tokens longer than this are not shared.
const SHARED_TOKEN_LEN: usize = 40;

/// Short tokens seen so far, by kind and text, and nodes of one shared
/// child, by kind and child.
#[derive(Default)]
pub(crate) struct GreenCache {
    by_kind: Vec<FxHashMap<Box<str>, GreenToken>>,
    /// The child's address is stable: the node keeps the child alive.
    wrappers: FxHashMap<(SyntaxKind, usize), GreenNode>,
}

impl GreenCache {
    fn token(&mut self, kind: SyntaxKind, text: &str) -> GreenToken {
        if text.len() > SHARED_TOKEN_LEN {
            return GreenToken::new(kind, text);
        }
        let index = usize::from(kind.0);
        if self.by_kind.len() <= index {
            self.by_kind.resize_with(index + 1, FxHashMap::default);
        }
        let map = &mut self.by_kind[index];
        if let Some(token) = map.get(text) {
            return token.clone();
        }
        let token = GreenToken::new(kind, text);
        map.insert(text.into(), token.clone());
        token
    }

    /// The node of `kind` around the one shared `child`.
    fn wrapper(&mut self, kind: SyntaxKind, child: Element) -> GreenNode {
        let address = match &child {
            NodeOrToken::Node(n) => &**n as *const GreenNodeData as usize,
            NodeOrToken::Token(t) => &**t as *const GreenTokenData as usize,
        };
        self.wrappers
            .entry((kind, address))
            .or_insert_with(|| GreenNode::new(kind, [child]))
            .clone()
    }
}

type Element = NodeOrToken<GreenNode, GreenToken>;

/// A position to wrap what follows it in a node later
/// ([`Builder::start_node_at`]).
#[derive(Clone, Copy)]
pub(crate) struct Checkpoint(usize);

pub(crate) struct Builder<'c> {
    cache: &'c mut GreenCache,
    /// Open nodes: their kind and where their children start.
    parents: Vec<(SyntaxKind, usize)>,
    /// Built children, and whether each is shared through the cache.
    children: Vec<(Element, bool)>,
}

impl<'c> Builder<'c> {
    pub(crate) fn new(cache: &'c mut GreenCache) -> Self {
        Builder {
            cache,
            parents: Vec::new(),
            children: Vec::new(),
        }
    }

    pub(crate) fn token(&mut self, kind: SyntaxKind, text: &str) {
        let shared = text.len() <= SHARED_TOKEN_LEN;
        let token = self.cache.token(kind, text);
        self.children.push((NodeOrToken::Token(token), shared));
    }

    pub(crate) fn start_node(&mut self, kind: SyntaxKind) {
        self.parents.push((kind, self.children.len()));
    }

    pub(crate) fn checkpoint(&self) -> Checkpoint {
        Checkpoint(self.children.len())
    }

    /// Opens a node holding everything built since `checkpoint`.
    pub(crate) fn start_node_at(&mut self, checkpoint: Checkpoint, kind: SyntaxKind) {
        let Checkpoint(at) = checkpoint;
        debug_assert!(at <= self.children.len());
        debug_assert!(self.parents.last().is_none_or(|&(_, first)| first <= at));
        self.parents.push((kind, at));
    }

    pub(crate) fn finish_node(&mut self) {
        let (kind, first) = self.parents.pop().expect("a node is open");
        if first + 1 == self.children.len() && self.children[first].1 {
            let (child, _) = self.children.pop().expect("the one child");
            let node = self.cache.wrapper(kind, child);
            self.children.push((NodeOrToken::Node(node), true));
            return;
        }
        let node = GreenNode::new(kind, self.children.drain(first..).map(|(c, _)| c));
        self.children.push((NodeOrToken::Node(node), false));
    }

    /// The root, once every node is finished.
    pub(crate) fn finish(mut self) -> GreenNode {
        assert!(self.parents.is_empty() && self.children.len() == 1);
        match self.children.pop() {
            Some((NodeOrToken::Node(node), _)) => node,
            _ => unreachable!("the root is a node"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::SyntaxKind::*;
    use rowan::GreenNodeBuilder;

    /// The same calls on rowan's builder and on ours.
    fn both(calls: &[(u8, crate::syntax::SyntaxKind, &str)]) -> (GreenNode, GreenNode) {
        let mut cache = GreenCache::default();
        let mut ours = Builder::new(&mut cache);
        let mut theirs = GreenNodeBuilder::new();
        let (mut ours_at, mut theirs_at) = (Vec::new(), Vec::new());
        for &(op, kind, text) in calls {
            match op {
                b't' => {
                    ours.token(kind.into(), text);
                    theirs.token(kind.into(), text);
                }
                b's' => {
                    ours.start_node(kind.into());
                    theirs.start_node(kind.into());
                }
                b'c' => {
                    ours_at.push(ours.checkpoint());
                    theirs_at.push(theirs.checkpoint());
                }
                b'w' => {
                    ours.start_node_at(*ours_at.last().unwrap(), kind.into());
                    theirs.start_node_at(*theirs_at.last().unwrap(), kind.into());
                }
                _ => {
                    ours.finish_node();
                    theirs.finish_node();
                }
            }
        }
        (ours.finish(), theirs.finish())
    }

    #[test]
    fn builds_what_rowans_builder_builds() {
        let long = "x".repeat(SHARED_TOKEN_LEN + 1);
        let (ours, theirs) = both(&[
            (b's', STREAM, ""),
            (b's', FLOW_SEQ, ""),
            (b't', L_BRACKET, "["),
            (b's', FLOW_SEQ_ENTRY, ""),
            (b'c', STREAM, ""),
            (b's', PLAIN_SCALAR, ""),
            (b't', PLAIN_TEXT, "k"),
            (b'f', STREAM, ""),
            (b'w', FLOW_MAP_ENTRY, ""),
            (b'w', MAP_KEY, ""),
            (b'f', STREAM, ""),
            (b't', COLON, ":"),
            (b's', PLAIN_SCALAR, ""),
            (b't', PLAIN_TEXT, &long),
            (b'f', STREAM, ""),
            (b'f', STREAM, ""),
            (b'f', STREAM, ""),
            (b't', R_BRACKET, "]"),
            (b'f', STREAM, ""),
            (b'f', STREAM, ""),
        ]);
        assert_eq!(ours, theirs);
    }

    #[test]
    fn shares_short_tokens_and_what_wraps_them_only() {
        let mut cache = GreenCache::default();
        let mut tree = |value: &str| {
            let mut b = Builder::new(&mut cache);
            b.start_node(STREAM.into());
            for text in ["key", value] {
                b.start_node(PLAIN_SCALAR.into());
                b.token(PLAIN_TEXT.into(), text);
                b.finish_node();
            }
            b.finish_node();
            b.finish()
        };
        let long = "v".repeat(SHARED_TOKEN_LEN + 1);
        let (a, b) = (tree(&long), tree(&long));
        assert_eq!(a, b);
        let children = |n: &GreenNode| -> Vec<usize> {
            n.children()
                .map(|c| c.into_node().unwrap() as *const GreenNodeData as usize)
                .collect()
        };
        let (a, b) = (children(&a), children(&b));
        assert_eq!(a[0], b[0], "the scalar of a short key is one node");
        assert_ne!(a[1], b[1], "a long value is built each time");
    }
}
