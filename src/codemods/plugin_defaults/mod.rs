//! The `pluginDefaults` pair: `hoist-plugin-defaults` (1.x practice: repeated
//! settings move into flow defaults) and `inline-plugin-defaults` (the 2.0
//! migration: defaults are written back into every instance).
//!
//! Both keep every plugin instance's effective configuration identical
//! under Kestra's merge rules (`kestra::defaults`), and promise it to the
//! verifier with [`DataChange::SameEffectiveConfig`].

mod hoist;
mod inline;

pub use hoist::HoistPluginDefaults;
pub use inline::InlinePluginDefaults;

use crate::kestra::flow::DEFAULTS_KEYS;
use crate::kestra::path::DataPath;
use crate::syntax::ast::{AstNode, Entry, Mapping, Node, Sequence};
use crate::syntax::edit::{copied_comments, member_comments, node_text_at};
use crate::syntax::{Style, SyntaxKind, TextRange};

/// The defaults section as written: its key and its sequence.
struct Section {
    key: &'static str,
    entry: Entry,
    seq: Option<Sequence>,
}

fn section(root: &Mapping) -> Option<Section> {
    DEFAULTS_KEYS.iter().find_map(|key| {
        let entry = root.get(key)?;
        let seq = match entry.value() {
            Some(Node::Sequence(s)) => Some(s),
            _ => None,
        };
        Some(Section { key, entry, seq })
    })
}

/// `key: value` as YAML text starting at column 0, for a value copied from
/// `node` (comments inside it travel along), where the key will sit at
/// column `key_col` of the text being built and children indent as the
/// file's `style` does. A trailing comment on the source line comes along
/// too.
fn entry_text(
    text: &str,
    key: &str,
    node: &Node,
    comments: &Comments,
    key_col: usize,
    style: &Style,
) -> String {
    let above: String = comments
        .above
        .iter()
        .map(|c| format!("{c}\n{}", " ".repeat(key_col)))
        .collect();
    format!(
        "{above}{}",
        entry_line(
            text,
            key,
            node,
            comments.trailing.as_deref(),
            key_col,
            style
        )
    )
}

fn entry_line(
    text: &str,
    key: &str,
    node: &Node,
    trailing_comment: Option<&str>,
    key_col: usize,
    style: &Style,
) -> String {
    let indent = match node.syntax().kind() {
        SyntaxKind::BLOCK_MAP => Some(style.indent),
        SyntaxKind::BLOCK_SEQ => Some(style.seq_indent),
        _ => None,
    };
    let comment = trailing_comment
        .map(|c| format!(" {c}"))
        .unwrap_or_default();
    if let Some(indent) = indent {
        let col = key_col + indent;
        let body = node_text_at(text, node.syntax(), col);
        format!("{key}:{comment}\n{}{body}", " ".repeat(col))
    } else {
        let col = key_col + key.len() + 2;
        format!("{key}: {}{comment}", node_text_at(text, node.syntax(), col))
    }
}

/// The comments that belong to an entry, placed so that [`entry_text`]
/// writes each of them once: the comment at the end of its key line stays
/// there, those inside its value travel with the value's text, every
/// other one (lines above it, lines between its key and a block value)
/// goes above the key.
#[derive(Debug, Clone, Default)]
struct Comments {
    above: Vec<String>,
    trailing: Option<String>,
    /// Where every one of them is in the source, for
    /// [`crate::syntax::edit::remove_entry_moving`].
    ranges: Vec<TextRange>,
}

impl Comments {
    fn of(text: &str, entry: &Entry) -> Comments {
        let all = member_comments(text, entry.syntax());
        let start = usize::from(entry.text_range().start());
        let key_line_end = start
            + text[start..]
                .find(['\n', '\r'])
                .unwrap_or(text.len() - start);
        let copied = entry
            .value()
            .map(|v| copied_comments(text, v.syntax()))
            .unwrap_or_default();
        let trailing = all
            .iter()
            .find(|(r, _)| {
                let at = usize::from(r.start());
                at > start && at < key_line_end
            })
            .map(|(r, c)| (*r, c.clone()));
        let above = all
            .iter()
            .filter(|(r, _)| Some(*r) != trailing.as_ref().map(|t| t.0) && !copied.contains(r))
            .map(|(_, c)| c.trim().to_string())
            .collect();
        Comments {
            above,
            trailing: trailing.map(|(_, c)| c),
            ranges: all.into_iter().map(|(r, _)| r).collect(),
        }
    }
}

/// The value node of `key` in `map` when it can be moved as text: no
/// anchor or tag on it, and no alias (its anchor may live elsewhere).
fn movable_value(map: &Mapping, key: &str) -> Option<(Entry, Node)> {
    let entry = map.get(key)?;
    let value = entry.value()?;
    if value.properties().is_some() || matches!(value, Node::Alias(_)) {
        return None;
    }
    let has_alias = value
        .syntax()
        .descendants()
        .any(|n| matches!(n.kind(), SyntaxKind::ALIAS | SyntaxKind::PROPERTIES));
    (!has_alias).then_some((entry, value))
}

/// Path of the `i`-th item of the defaults section.
fn default_path(key: &str, i: usize) -> DataPath {
    DataPath::root().key(key).index(i)
}
