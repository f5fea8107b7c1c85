//! What both trigger rules share: reading condition data, Pebble fragments
//! and how they join, and the edit that puts the new keys where the old
//! ones were, with their comments.

use crate::fix::editor::Editor;
use crate::fix::refusal::Refusal;
use crate::kestra::path::DataPath;
use crate::syntax::ast::{AstNode, Mapping};
use crate::syntax::edit::{member_comments, Position};
use crate::syntax::render::Fragment;
use crate::syntax::value::{ScalarStyle, Value};

/// A condition's type without its package and trailing `Condition`, as
/// `MIGRATION-2.0.md` recognises them (`VariableCondition` -> `Variable`).
pub(super) fn base_name(type_name: &str) -> &str {
    let short = type_name
        .strip_prefix("io.kestra.plugin.core.condition.")
        .or_else(|| type_name.strip_prefix("io.kestra.core.models.conditions.types."))
        .unwrap_or(type_name);
    short.strip_suffix("Condition").unwrap_or(short)
}

/// One part of a generated `when`, with what a user must know about it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Part {
    pub text: String,
    /// Why the part may behave differently on 2.0 (empty: exact).
    pub caveats: Vec<String>,
    /// A copied user expression that may render to a string, which Pebble
    /// `and` / `or` / `not` reject.
    pub string_valued: bool,
}

impl Part {
    pub fn exact(text: impl Into<String>) -> Self {
        Part {
            text: text.into(),
            caveats: Vec::new(),
            string_valued: false,
        }
    }

    pub fn caveat(mut self, why: impl Into<String>) -> Self {
        self.caveats.push(why.into());
        self
    }
}

const COMBINED: &str = "a copied expression combined with `and`/`or`/`not` must render a boolean in Kestra 2.0 (a string value fails)";

/// Parts combined with `op` (`and`, `or`): one stays as is, several are
/// each parenthesised.
pub(super) fn combine(parts: Vec<Part>, op: &str) -> Part {
    if parts.len() == 1 {
        return parts.into_iter().next().expect("one part");
    }
    let text = parts
        .iter()
        .map(|p| format!("({})", p.text))
        .collect::<Vec<_>>()
        .join(&format!(" {op} "));
    let mut out = Part::exact(text);
    for p in parts {
        if p.string_valued {
            out.caveats.push(COMBINED.to_string());
        }
        out.caveats.extend(p.caveats);
    }
    out.caveats.dedup();
    out
}

/// `not (A)`: a copied expression under `not` must be boolean too.
pub(super) fn negate(part: Part) -> Part {
    let mut out = Part::exact(format!("not ({})", part.text));
    if part.string_valued {
        out.caveats.push(COMBINED.to_string());
    }
    out.caveats.extend(part.caveats);
    out
}

/// The `when` value for `parts` (all joined with `and`): `{{ P }}`.
pub(super) fn when_value(parts: Vec<Part>) -> Part {
    let mut all = combine(parts, "and");
    all.text = format!("{{{{ {} }}}}", all.text);
    all
}

/// A new expression scalar, double-quoted as Kestra's docs write them.
pub(super) fn expression(text: &str) -> Fragment {
    Fragment::Styled(Value::String(text.to_string()), ScalarStyle::DoubleQuoted)
}

/// A condition property read as a plain string to place inside a Pebble
/// string literal: refused when it is not a string, is templated or holds
/// a quote.
pub(super) fn literal(cond: &Value, key: &str) -> Result<Option<String>, String> {
    let Some(value) = cond.get(key) else {
        return Ok(None);
    };
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Null => return Ok(None),
        _ => return Err(format!("`{key}` is not a string")),
    };
    if text.contains('\'') || text.contains("{{") || text.contains("{%") {
        return Err(format!(
            "`{key}` (`{text}`) is templated or holds a quote, which a Pebble string literal cannot carry as is"
        ));
    }
    Ok(Some(text))
}

/// The text of an `expression`, its one `{{ }}` pair removed: refused
/// when empty, when it holds several blocks or a `{%` tag (the peer turns
/// `{{ a }} and {{ b }}` into `a }} and {{ b`), or no expression at all.
pub(super) fn unwrap_expression(text: &str) -> Result<String, String> {
    let trimmed = text.trim();
    if trimmed.contains("{%") {
        return Err("has an expression with a `{% %}` tag".into());
    }
    if trimmed.matches("{{").count() > 1 {
        return Err("has an expression with more than one `{{ }}` block".into());
    }
    let inner = match trimmed
        .strip_prefix("{{")
        .and_then(|t| t.strip_suffix("}}"))
    {
        Some(inner) => inner.trim(),
        None if trimmed.contains("{{") => {
            return Err("has an expression with text around its `{{ }}` block".into())
        }
        None => return Err("has an expression without a `{{ }}` block".into()),
    };
    if inner.is_empty() {
        return Err("has an empty expression".into());
    }
    Ok(inner.to_string())
}

/// Replaces the entries `consumed` of the mapping at `map` with `entries`,
/// written where the first of them was. Every comment of the consumed
/// entries is written above the first new key.
pub(super) fn replace_entries(
    text: &str,
    editor: &mut Editor,
    map: &DataPath,
    mapping: &Mapping,
    consumed: &[&str],
    mut entries: Vec<(String, Fragment)>,
) -> Result<(), Refusal> {
    let keys: Vec<String> = mapping.entries().filter_map(|e| e.key_text()).collect();
    let first = keys
        .iter()
        .position(|k| consumed.contains(&k.as_str()))
        .ok_or_else(|| Refusal::Missing {
            path: map.key(consumed.first().copied().unwrap_or_default()),
        })?;
    let position = match first {
        0 => Position::First,
        i => Position::After(keys[i - 1].as_str()),
    };
    editor.transaction(|e| {
        let mut comments = Vec::new();
        for key in keys.iter().filter(|k| consumed.contains(&k.as_str())) {
            let entry = mapping.get(key).ok_or_else(|| Refusal::Missing {
                path: map.key(key.as_str()),
            })?;
            comments.extend(
                member_comments(text, entry.syntax())
                    .into_iter()
                    .map(|(_, c)| c.trim().to_string()),
            );
            e.copy_entry(map, key)?;
        }
        let mut rest = keys.iter().filter(|k| consumed.contains(&k.as_str()));
        if comments.is_empty() {
            // In place, which a flow mapping needs (it holds no comments).
            if let Some(first) = rest.next() {
                e.replace_entry(map, first, entries)?;
            }
        } else {
            if let Some((_, value)) = entries.first_mut() {
                *value = Fragment::Commented {
                    above: comments,
                    trailing: None,
                    value: Box::new(value.clone()),
                };
            }
            e.insert_entries(map, entries, position)?;
        }
        for key in rest {
            e.remove_key(map, key)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_names() {
        assert_eq!(
            base_name("io.kestra.plugin.core.condition.DayWeek"),
            "DayWeek"
        );
        assert_eq!(
            base_name("io.kestra.core.models.conditions.types.VariableCondition"),
            "Variable"
        );
        assert_eq!(
            base_name("io.kestra.plugin.core.condition.MultipleCondition"),
            "Multiple"
        );
    }

    #[test]
    fn unwraps_one_block_only() {
        assert_eq!(unwrap_expression(" {{ a == 1 }} ").unwrap(), "a == 1");
        assert!(unwrap_expression("{{ a }} and {{ b }}").is_err());
        assert!(unwrap_expression("{% if a %}x{% endif %}").is_err());
        assert!(unwrap_expression("{{  }}").is_err());
        assert!(unwrap_expression("x {{ a }}").is_err());
    }

    #[test]
    fn joins_parenthesise_several() {
        let one = when_value(vec![Part::exact("a")]);
        assert_eq!(one.text, "{{ a }}");
        let two = when_value(vec![Part::exact("a"), Part::exact("b")]);
        assert_eq!(two.text, "{{ (a) and (b) }}");
        let mut s = Part::exact("x");
        s.string_valued = true;
        assert!(combine(vec![s.clone()], "or").caveats.is_empty());
        assert_eq!(combine(vec![s, Part::exact("y")], "or").caveats.len(), 1);
    }
}
