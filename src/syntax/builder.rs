//! The green-tree builder the parser uses: rowan's `GreenNodeBuilder`
//! without its node cache, and with a token cache only for short tokens.
//!
//! rowan's builder looks every token and every node of up to three children
//! up in a hash table, to share equal ones: that was a third of parsing.
//! Flows repeat short tokens (indentation, punctuation, keys, plugin types),
//! so those are still shared; long tokens (scripts, messages) and nodes,
//! which hold them, rarely repeat, and are built directly. The trees are
//! the same: green trees compare by content.

use rowan::{GreenNode, GreenToken, NodeOrToken, SyntaxKind};
use rustc_hash::FxHashMap;

/// Tokens longer than this are not shared.
const SHARED_TOKEN_LEN: usize = 64;

/// Short tokens seen so far, by kind and text.
#[derive(Default)]
pub(crate) struct TokenCache {
    by_kind: Vec<FxHashMap<Box<str>, GreenToken>>,
}

impl TokenCache {
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
}

/// A position to wrap what follows it in a node later
/// ([`Builder::start_node_at`]).
#[derive(Clone, Copy)]
pub(crate) struct Checkpoint(usize);

pub(crate) struct Builder<'c> {
    cache: &'c mut TokenCache,
    /// Open nodes: their kind and where their children start.
    parents: Vec<(SyntaxKind, usize)>,
    children: Vec<NodeOrToken<GreenNode, GreenToken>>,
}

impl<'c> Builder<'c> {
    pub(crate) fn new(cache: &'c mut TokenCache) -> Self {
        Builder {
            cache,
            parents: Vec::new(),
            children: Vec::new(),
        }
    }

    pub(crate) fn token(&mut self, kind: SyntaxKind, text: &str) {
        let token = self.cache.token(kind, text);
        self.children.push(NodeOrToken::Token(token));
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
        let node = GreenNode::new(kind, self.children.drain(first..));
        self.children.push(NodeOrToken::Node(node));
    }

    /// The root, once every node is finished.
    pub(crate) fn finish(mut self) -> GreenNode {
        assert!(self.parents.is_empty() && self.children.len() == 1);
        match self.children.pop() {
            Some(NodeOrToken::Node(node)) => node,
            _ => unreachable!("the root is a node"),
        }
    }
}
