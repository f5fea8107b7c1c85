//! Kestra 2.0 migration, part C (`MIGRATION-2.0.md`): rule 20
//! `legacy-script-runner` and the detectors D2-D5, which only report.
//!
//! The detectors run last ([`super::Phase::DETECTORS`]) so they see the
//! flow every rewrite produced.

pub mod ion_read;
pub mod legacy_script_runner;
pub mod missing_trigger_inputs;
pub mod pebble_read_version_arg;
pub mod sdk_auth;

use crate::kestra::KestraVersion;
use crate::syntax::ast::{Node, Scalar};

/// Every rule here is part of the 2.0 migration.
pub(crate) const SINCE: KestraVersion = KestraVersion::new(2, 0);

/// The expression bodies (`{{ }}` and `{% %}`, not comments) Pebble renders
/// in `s`. The one place these rules read Pebble, so a real parser can
/// replace the scanner here alone.
pub(crate) fn expressions(s: &str) -> Vec<&str> {
    use crate::kestra::pebble::{tags, TagKind};
    tags(s)
        .into_iter()
        .filter(|t| t.kind != TagKind::Comment)
        .map(|t| t.body)
        .collect()
}

/// Whether Pebble would render anything in `s`.
pub(crate) fn templated(s: &str) -> bool {
    crate::kestra::pebble::has_template(s)
}

/// Every scalar value (not key) under `node`, in document order.
pub(crate) fn scalars(node: &Node, f: &mut impl FnMut(&Scalar)) {
    match node {
        Node::Scalar(s) => f(s),
        Node::Mapping(m) => {
            for value in m.entries().filter_map(|e| e.value()) {
                scalars(&value, f);
            }
        }
        Node::Sequence(s) => {
            for item in s.items() {
                if let Some(value) = item.value() {
                    scalars(&value, f);
                } else if let Some(value) = item.flow_pair().and_then(|p| p.value()) {
                    scalars(&value, f);
                }
            }
        }
        // An alias repeats text found where its anchor is.
        Node::Alias(_) => {}
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The byte offsets where `word` occurs in `s` with no identifier character
/// right before or right after it.
pub(crate) fn word_at(s: &str, word: &str) -> Vec<usize> {
    let b = s.as_bytes();
    s.match_indices(word)
        .map(|(i, _)| i)
        .filter(|&i| {
            let end = i + word.len();
            (i == 0 || !is_word_byte(b[i - 1])) && (end >= b.len() || !is_word_byte(b[end]))
        })
        .collect()
}

/// Whether `s` holds `word` as a whole word.
pub(crate) fn has_word(s: &str, word: &str) -> bool {
    !word_at(s, word).is_empty()
}

/// The offsets of every call `name(` in `expr` (the name a whole word,
/// spaces allowed before the parenthesis), each with the offset just after
/// its `(`.
pub(crate) fn calls(expr: &str, name: &str) -> Vec<(usize, usize)> {
    word_at(expr, name)
        .into_iter()
        .filter_map(|at| {
            let rest = &expr[at + name.len()..];
            let open = rest.len() - rest.trim_start().len();
            rest[open..]
                .starts_with('(')
                .then_some((at, at + name.len() + open + 1))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_calls() {
        assert!(has_word("open('{{ outputDir }}/a')", "outputDir"));
        assert!(!has_word("{{ outputDirectory }}", "outputDir"));
        assert!(!has_word("my_outputDir", "outputDir"));
        assert_eq!(
            calls(" read (x) + reread(y) + read(z)", "read"),
            [(1, 7), (24, 29)]
        );
        assert_eq!(calls("fileURI('a')", "fileURI"), [(0, 8)]);
        assert!(calls("thread(x)", "read").is_empty());
        assert_eq!(
            expressions("a {{ read('x') }} {# read() #} {% set y = 1 %}"),
            [" read('x') ", " set y = 1 "]
        );
    }
}
