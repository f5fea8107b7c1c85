//! Printing a green tree back to its text.
//!
//! rowan's `Display` goes through `fmt::write` for every token and grows the
//! string as it goes; printing is a third of a parse + print of a large flow
//! that way. Here the string is allocated once at the tree's length and
//! every token is a plain copy.

use rowan::{GreenNodeData, NodeOrToken};

/// The text of `node`, byte for byte.
pub(crate) fn print(node: &GreenNodeData) -> String {
    let mut out = String::with_capacity(usize::from(node.text_len()));
    push(node, &mut out);
    out
}

// Recursion is bounded: the parser nests at most a few nodes per collection
// level, and collection levels are capped (`parser::MAX_DEPTH`).
fn push(node: &GreenNodeData, out: &mut String) {
    for child in node.children() {
        match child {
            NodeOrToken::Node(n) => push(n, out),
            NodeOrToken::Token(t) => out.push_str(t.text()),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::syntax::parse;

    #[test]
    fn prints_what_rowan_prints() {
        for text in [
            "",
            "id: x # c\r\ntasks:\n  - a: [1, {b: 'c'}]\n    s: |\n      x\n\n",
            "\u{feff}%YAML 1.2\n---\n\"é😀\": &a !t *b\n...\n",
            "[[[",
        ] {
            let p = parse(text);
            assert_eq!(super::print(p.green()), p.green().to_string());
            assert_eq!(super::print(p.green()), text);
        }
    }
}
