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
use crate::syntax::ast::{Entry, Mapping, Node, Sequence};
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
