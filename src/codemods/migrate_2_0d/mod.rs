//! Kestra 2.0 migration, part D (`MIGRATION-2.0.md` rules 1 and 2): trigger
//! conditions become `when` (non-Flow triggers) or `dependsOn` (Flow
//! triggers). What both read lives here and in [`fragments`].

pub mod flow_trigger_conditions_to_depends_on;
mod fragments;
pub mod trigger_conditions_to_when;

use crate::codemods::FlowContext;
pub(super) use crate::codemods::SINCE_2_0;
use crate::kestra::path::DataPath;
use crate::syntax::ast::{AstNode, Mapping, Node};
use crate::syntax::value::Value;
use crate::syntax::TextRange;

/// A root `triggers` item that is a mapping with a `type`.
pub(crate) struct Trigger<'c> {
    pub path: DataPath,
    pub mapping: Mapping,
    pub data: &'c Value,
    pub type_name: String,
}

/// The root triggers, each with its text and its data.
pub(crate) fn triggers<'c>(ctx: &'c FlowContext) -> Vec<Trigger<'c>> {
    let (Some(Value::Seq(data)), Some(seq)) = (
        ctx.data().and_then(|d| d.get("triggers")),
        ctx.flow.triggers(),
    ) else {
        return Vec::new();
    };
    data.iter()
        .zip(seq.items())
        .enumerate()
        .filter_map(|(i, (data, item))| {
            let Some(Node::Mapping(mapping)) = item.value() else {
                return None;
            };
            let type_name = data.get("type")?.as_str()?.to_string();
            Some(Trigger {
                path: DataPath::root().key("triggers").index(i),
                mapping,
                data,
                type_name,
            })
        })
        .collect()
}

/// Whether `type_name` is the Flow trigger (canonical or 1.x name).
pub(crate) fn is_flow_trigger(type_name: &str) -> bool {
    matches!(
        type_name,
        "io.kestra.plugin.core.trigger.Flow" | "io.kestra.core.models.triggers.types.Flow"
    )
}

/// How messages name a trigger: "`id`", or its path.
pub(crate) fn label(t: &Trigger) -> String {
    match t.data.get("id").and_then(Value::as_str) {
        Some(id) => format!("`{id}`"),
        None => format!("`{}`", t.path),
    }
}

/// The key of `key`'s entry, where a finding about it points.
pub(crate) fn key_range(mapping: &Mapping, key: &str) -> Option<TextRange> {
    Some(mapping.get(key)?.key_scalar()?.syntax().text_range())
}
