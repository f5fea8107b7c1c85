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
use crate::syntax::edit::{block_lines, node_text_at};
use crate::syntax::style::line_start;
use crate::syntax::SyntaxKind;

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
/// column `key_col` of the text being built and children indent by
/// `indent`. A trailing comment on the source line comes along too.
fn entry_text(
    text: &str,
    key: &str,
    node: &Node,
    comments: &Comments,
    key_col: usize,
    indent: usize,
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
            indent
        )
    )
}

fn entry_line(
    text: &str,
    key: &str,
    node: &Node,
    trailing_comment: Option<&str>,
    key_col: usize,
    indent: usize,
) -> String {
    let block = matches!(
        node.syntax().kind(),
        SyntaxKind::BLOCK_MAP | SyntaxKind::BLOCK_SEQ
    );
    let comment = trailing_comment
        .map(|c| format!(" {c}"))
        .unwrap_or_default();
    if block {
        let col = key_col + indent;
        let body = node_text_at(text, node.syntax(), col);
        format!("{key}:{comment}\n{}{body}", " ".repeat(col))
    } else {
        let col = key_col + key.len() + 2;
        format!("{key}: {}{comment}", node_text_at(text, node.syntax(), col))
    }
}

/// The comments that belong to an entry: the comment lines directly above
/// it and the comment at the end of its own line.
#[derive(Debug, Clone, Default)]
struct Comments {
    above: Vec<String>,
    trailing: Option<String>,
}

impl Comments {
    fn of(text: &str, entry: &Entry) -> Comments {
        let trailing = entry
            .syntax()
            .children_with_tokens()
            .filter_map(|e| e.into_token())
            .find(|t| t.kind() == SyntaxKind::COMMENT)
            .map(|t| t.text().to_string());
        let start = usize::from(entry.text_range().start());
        let above = block_lines(text, entry.syntax())
            .map(|r| {
                text[usize::from(r.start())..line_start(text, start)]
                    .lines()
                    .map(|l| l.trim().to_string())
                    .collect()
            })
            .unwrap_or_default();
        Comments { above, trailing }
    }

    fn is_empty(&self) -> bool {
        self.above.is_empty() && self.trailing.is_none()
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
