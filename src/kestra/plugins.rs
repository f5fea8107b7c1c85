//! Plugin type names: the table of renamed (aliased) types.
//!
//! The table is Kestra's own `@Plugin(aliases = ...)` data, shipped in
//! `data/aliases.tsv`. Renames are not plain package moves
//! (`io.kestra.core.tasks.flows.Flow` became `...flow.Subflow`), so a lookup
//! table is the only faithful source; never derive names with a pattern.

use std::collections::HashMap;
use std::sync::LazyLock;

const ALIASES_TSV: &str = include_str!("../../data/aliases.tsv");

static ALIASES: LazyLock<HashMap<&'static str, &'static str>> =
    LazyLock::new(|| parse_aliases(ALIASES_TSV));

/// `old<TAB>canonical` lines; `#` starts a comment line. The file is ours
/// and checked by a test, so a malformed line is a build-time bug: skip it
/// here rather than fail at run time.
fn parse_aliases(text: &'static str) -> HashMap<&'static str, &'static str> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .map(|(old, new)| (old.trim(), new.trim()))
        .collect()
}

/// The canonical name of an old (aliased) plugin type, if `type_name` is one.
pub fn canonical_type(type_name: &str) -> Option<&'static str> {
    ALIASES.get(type_name).copied()
}

/// Every `(old, canonical)` pair, sorted by old name.
pub fn aliases() -> Vec<(&'static str, &'static str)> {
    let mut all: Vec<_> = ALIASES.iter().map(|(k, v)| (*k, *v)).collect();
    all.sort_unstable();
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_well_formed() {
        let data_lines = ALIASES_TSV
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .count();
        assert_eq!(data_lines, 78);
        assert_eq!(ALIASES.len(), data_lines, "duplicate or malformed lines");
        for (old, new) in aliases() {
            assert!(old.starts_with("io.kestra.") && new.starts_with("io.kestra."));
            assert!(canonical_type(new).is_none(), "{new} is itself an alias");
            // Canonical names go into plain scalars and inside quotes as-is.
            assert!(new
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_'));
        }
    }

    #[test]
    fn renames_that_are_not_package_moves() {
        assert_eq!(
            canonical_type("io.kestra.core.tasks.flows.Flow"),
            Some("io.kestra.plugin.core.flow.Subflow")
        );
        assert_eq!(canonical_type("io.kestra.plugin.core.log.Log"), None);
    }
}
