//! Rules on keys and values found by where they sit rather than by plugin
//! type: retry blocks at any depth, state lists, the flow's `checks`.

use super::{fix_with, key_range, mappings, scalar_value, V2_0};
use crate::codemods::{Applicability, Fix, FlowContext};
use crate::syntax::ast::{AstNode, Node};
use crate::syntax::value::Value;

/// The `type` values of a retry policy: a map with one of them is a retry
/// block wherever it sits.
const RETRY_TYPES: &[&str] = &["constant", "exponential", "random"];

/// Rule 3: `maxAttempt` -> `maxAttempts` in every retry block, at any depth
/// (`pluginDefaults` values included: many real hits sit there).
pub(super) fn retry_max_attempts(ctx: &FlowContext) -> Vec<Fix> {
    let mut fixes = Vec::new();
    for at in mappings(ctx).iter() {
        let is_retry = at.key.as_deref() == Some("retry")
            || scalar_value(&at.mapping, "type").is_some_and(|t| RETRY_TYPES.contains(&t.as_str()));
        let Some(range) = key_range(&at.mapping, "maxAttempt").filter(|_| is_retry) else {
            continue;
        };
        fixes.push(fix_with(
            ctx,
            range,
            "retry `maxAttempt` is `maxAttempts` in Kestra 2.0".into(),
            Applicability::Safe,
            |e| e.rename_key(&at.path, "maxAttempt", "maxAttempts"),
        ));
    }
    fixes
}

/// Rule 16: whole-scalar `CANCELED` -> `CANCELLED` in the value of every
/// `states` key, and of `in`/`notIn` of an `ExecutionStatus` condition.
pub(super) fn cancelled_states(ctx: &FlowContext) -> Vec<Fix> {
    let mut fixes = Vec::new();
    for at in mappings(ctx).iter() {
        let status =
            scalar_value(&at.mapping, "type").is_some_and(|t| t.contains("ExecutionStatus"));
        for entry in at.mapping.entries() {
            let Some(key) = entry.key_text() else {
                continue;
            };
            if !(key == "states" || (status && (key == "in" || key == "notIn"))) {
                continue;
            }
            let path = at.path.key(key.clone());
            let spelled: Vec<_> = match entry.value() {
                Some(Node::Scalar(s)) if s.value_is("CANCELED") => {
                    vec![(path.clone(), s.syntax().text_range())]
                }
                Some(Node::Sequence(seq)) => seq
                    .items()
                    .enumerate()
                    .filter_map(|(i, item)| match item.value() {
                        Some(Node::Scalar(s)) if s.value_is("CANCELED") => {
                            Some((path.index(i), s.syntax().text_range()))
                        }
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            for (path, range) in spelled {
                fixes.push(fix_with(
                    ctx,
                    range,
                    format!("state `CANCELED` is spelled `CANCELLED` in Kestra 2.0 (`{key}`)"),
                    Applicability::Safe,
                    |e| e.set_scalar(&path, Value::String("CANCELLED".into())),
                ));
            }
        }
    }
    fixes
}

/// Rule 22: root `checks[].condition` -> `when`. Kestra 1.x does not know
/// `when` there, so only for a 2.0 target.
pub(super) fn checks_when(ctx: &FlowContext) -> Vec<Fix> {
    if ctx.target_version < V2_0 {
        return Vec::new();
    }
    let Some(checks) = ctx.flow.list("checks") else {
        return Vec::new();
    };
    let at = crate::kestra::path::DataPath::root().key("checks");
    checks
        .items()
        .enumerate()
        .filter_map(|(i, item)| {
            let Some(Node::Mapping(m)) = item.value() else {
                return None;
            };
            let range = key_range(&m, "condition")?;
            Some(fix_with(
                ctx,
                range,
                "check `condition` is `when` in Kestra 2.0".into(),
                Applicability::Safe,
                |e| e.rename_key(&at.index(i), "condition", "when"),
            ))
        })
        .collect()
}
