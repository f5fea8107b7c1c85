//! Lossless YAML concrete syntax tree on rowan.
//!
//! `parse(text).syntax().to_string() == text` for every input. Bad syntax
//! becomes ERROR nodes plus [`SyntaxError`]s; the parser never panics.

pub mod ast;
mod builder;
mod check;
pub mod edit;
pub mod emit;
mod kind;
mod lexer;
mod line_index;
mod parser;
mod print;
pub mod render;
mod reparse;
pub mod scalar_map;
pub mod style;
pub mod value;

pub use kind::{SyntaxElement, SyntaxKind, SyntaxNode, SyntaxToken, YamlLanguage};
pub use line_index::{LineCol, LineIndex};
pub use rowan::{TextRange, TextSize};
pub use style::Style;

/// A syntax error: what is wrong, and where (byte range in the source).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SyntaxError {
    pub message: String,
    pub range: TextRange,
}

/// The result of parsing: a tree that always exists, and the errors found.
#[derive(Debug, Clone)]
pub struct Parse {
    green: rowan::GreenNode,
    errors: Vec<SyntaxError>,
    /// The tree may hold an alias.
    has_alias: bool,
}

impl Parse {
    /// The root STREAM node.
    pub fn syntax(&self) -> SyntaxNode {
        SyntaxNode::new_root(self.green.clone())
    }

    /// The source text, rebuilt from the tree (faster than `syntax().to_string()`,
    /// which walks through cursors, and than the green tree's `Display`).
    pub fn text(&self) -> String {
        print::print(&self.green)
    }

    pub fn green(&self) -> &rowan::GreenNode {
        &self.green
    }

    pub fn errors(&self) -> &[SyntaxError] {
        &self.errors
    }

    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// Typed view of the root.
    pub fn stream(&self) -> ast::Stream {
        ast::Stream::cast_root(self.syntax())
    }
}

/// Parses a whole YAML stream.
///
/// The tree holds every byte, and typed views read it:
///
/// ```
/// use kestra_fix::syntax::parse;
///
/// let text = "id: hello # a comment\ntasks: []\n";
/// let parsed = parse(text);
/// assert!(parsed.errors().is_empty());
/// assert_eq!(parsed.text(), text);
/// let root = parsed.stream().first_document().unwrap().body_mapping().unwrap();
/// assert_eq!(root.get_str("id").as_deref(), Some("hello"));
/// ```
pub fn parse(text: &str) -> Parse {
    let (green, errors, has_alias) = parser::parse(text);
    Parse {
        green,
        errors,
        has_alias,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        for text in [
            "[".repeat(100_000),
            "{a: ".repeat(50_000),
            "- ".repeat(100_000),
            (0..5_000)
                .map(|i| format!("{}k:\n", " ".repeat(i)))
                .collect::<String>(),
        ] {
            let p = parse(&text);
            assert_eq!(p.text(), text);
            assert!(p
                .errors()
                .iter()
                .any(|e| e.message.contains("nested too deeply")));
            assert!(value::decode_documents(&p).is_err());
        }
        let ok = "a:\n  b: [[[1]]]\n";
        assert!(parse(ok).errors().is_empty());
    }

    #[test]
    fn bom_is_not_indentation() {
        let text = "\u{feff}id: x\nnamespace: y\n";
        let p = parse(text);
        assert!(p.errors().is_empty(), "{:?}", p.errors());
        assert_eq!(p.text(), text);
        let map = p.stream().first_document().unwrap().body_mapping().unwrap();
        assert_eq!(map.get_str("namespace").as_deref(), Some("y"));
    }
}
