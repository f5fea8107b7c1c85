//! Kestra's Pebble templates: a lexer and parser with byte ranges, and
//! what the expressions refer to.
//!
//! Kestra renders `{{ ... }}`, `{% ... %}` and `{# ... #}` with Pebble.
//! [`parse`] turns a template (a scalar's decoded text) into [`Node`]s:
//! text, tags with their parsed expression or statement, comments and
//! `raw`/`verbatim` blocks. Ranges are byte offsets into that text; a
//! [`ScalarMap`] maps them back to the YAML source. Parsing never fails
//! and never panics: what cannot be read is an [`Error`] with its offset,
//! and the tag it is in has no tree.

pub mod lexer;
pub mod parser;
mod refs;

pub use crate::syntax::scalar_map::ScalarMap;
pub use lexer::{Piece, TagKind, TagSpan, Tok, Token};
pub use parser::{Arg, Expr, ExprKind, Invocation, Statement};
pub use refs::{references, Reference};

use std::ops::Range;

/// Something in a template Pebble would reject, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at byte {offset})")]
pub struct Error {
    pub message: String,
    pub offset: usize,
}

impl Error {
    pub(crate) fn new(message: impl Into<String>, offset: usize) -> Self {
        Error {
            message: message.into(),
            offset,
        }
    }
}

/// A piece of a parsed template.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Text(Range<usize>),
    /// `{{ expr }}`; `expr` is `None` when the body does not parse.
    Print {
        tag: TagSpan,
        expr: Option<Expr>,
    },
    /// `{% name ... %}`; `statement` is `None` when the body does not parse.
    Statement {
        tag: TagSpan,
        statement: Option<Statement>,
    },
    Comment(TagSpan),
    /// `{% raw %}...{% endraw %}` or `{% verbatim %}...{% endverbatim %}`:
    /// `text` is printed as is.
    Verbatim {
        open: TagSpan,
        text: Range<usize>,
        close: Option<TagSpan>,
    },
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub nodes: Vec<Node>,
    /// Every problem, in order of offset.
    pub errors: Vec<Error>,
}

/// Parses `src`.
pub fn parse(src: &str) -> Template {
    let mut errors = Vec::new();
    let pieces = lexer::pieces(src, &mut errors);
    let nodes = pieces
        .into_iter()
        .map(|piece| match piece {
            Piece::Text(r) => Node::Text(r),
            Piece::Verbatim { open, text, close } => Node::Verbatim { open, text, close },
            Piece::Tag(tag) => match tag.kind {
                TagKind::Comment => Node::Comment(tag),
                TagKind::Print => {
                    let parsed = parser::Parser::new(src, &tag.tokens, tag.body.end).print();
                    let expr = keep(parsed, &tag, &mut errors);
                    Node::Print { tag, expr }
                }
                TagKind::Statement => {
                    let parsed = parser::Parser::new(src, &tag.tokens, tag.body.end).statement();
                    let statement = keep(parsed, &tag, &mut errors);
                    Node::Statement { tag, statement }
                }
            },
        })
        .collect();
    errors.sort_by_key(|e| e.offset);
    errors.dedup();
    Template { nodes, errors }
}

/// A tag's tree, unless the lexer or the parser found a problem in it.
fn keep<T>(parsed: Result<T, Error>, tag: &TagSpan, errors: &mut Vec<Error>) -> Option<T> {
    let lexed = !errors.iter().any(|e| tag.range.contains(&e.offset));
    match parsed {
        Ok(tree) if lexed && tag.closed => Some(tree),
        Ok(_) => None,
        Err(e) => {
            errors.push(e);
            None
        }
    }
}

impl Template {
    /// The expressions of the print and statement tags that parsed, in
    /// order (each one whole; see [`walk`] for their parts).
    pub fn expressions(&self) -> impl Iterator<Item = &Expr> {
        self.nodes.iter().flat_map(|n| match n {
            Node::Print { expr: Some(e), .. } => std::slice::from_ref(e),
            Node::Statement {
                statement: Some(s), ..
            } => s.exprs.as_slice(),
            _ => &[],
        })
    }
}

/// Calls `f` on `expr` and on every expression inside it, parents first,
/// in source order; string literals' `#{...}` interpolations included.
pub fn walk<'e>(expr: &'e Expr, f: &mut impl FnMut(&'e Expr)) {
    f(expr);
    let args = |inv: &'e Invocation| inv.args.iter().map(|a| &a.value);
    match &expr.kind {
        ExprKind::Name(_) | ExprKind::Number(_) | ExprKind::Bool(_) | ExprKind::Null => {}
        ExprKind::Str { interpolations, .. } => interpolations.iter().for_each(|e| walk(e, f)),
        ExprKind::List(items) => items.iter().for_each(|e| walk(e, f)),
        ExprKind::Map(entries) => entries.iter().for_each(|(k, v)| {
            walk(k, f);
            walk(v, f);
        }),
        ExprKind::Member { base, .. } => walk(base, f),
        ExprKind::Index { base, index } => {
            walk(base, f);
            walk(index, f);
        }
        ExprKind::Call(call) => args(call).for_each(|e| walk(e, f)),
        ExprKind::MethodCall { base, call } => {
            walk(base, f);
            args(call).for_each(|e| walk(e, f));
        }
        ExprKind::Filter { input, filter } => {
            walk(input, f);
            args(filter).for_each(|e| walk(e, f));
        }
        ExprKind::Test { input, test, .. } => {
            walk(input, f);
            args(test).for_each(|e| walk(e, f));
        }
        ExprKind::Unary { operand, .. } => walk(operand, f),
        ExprKind::Binary { left, right, .. } => {
            walk(left, f);
            walk(right, f);
        }
        ExprKind::Ternary {
            condition,
            then,
            otherwise,
        } => {
            walk(condition, f);
            walk(then, f);
            walk(otherwise, f);
        }
    }
}

/// One template tag inside a string, as the reference scanner saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag<'s> {
    pub kind: TagKind,
    /// Byte range of the whole tag, delimiters included.
    pub range: Range<usize>,
    /// The text between the delimiters, trim markers included.
    pub body: &'s str,
}

/// Whether `s` holds anything Pebble would render.
pub fn has_template(s: &str) -> bool {
    s.contains("{{") || s.contains("{%") || s.contains("{#")
}

/// Every template tag in `s`, in order (the tags that open and close a
/// verbatim block, not the text between). An unclosed tag runs to the end.
pub fn tags(s: &str) -> Vec<Tag<'_>> {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    let mut push = |t: &TagSpan| {
        let end = if t.closed {
            t.range.end - 2
        } else {
            t.range.end
        };
        out.push(Tag {
            kind: t.kind,
            range: t.range.clone(),
            body: s.get(t.range.start + 2..end).unwrap_or(""),
        });
    };
    for piece in lexer::pieces(s, &mut errors) {
        match piece {
            Piece::Text(_) => {}
            Piece::Tag(t) => push(&t),
            Piece::Verbatim { open, close, .. } => {
                push(&open);
                if let Some(c) = &close {
                    push(c);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
