//! Rules 5-8 on input definitions: items of the root `inputs` list, of an
//! `onResume` list in any mapping (Pause), and of the `inputs` of a `FORM`
//! item among those (one level). A trigger's or Subflow's `inputs` map
//! holds values, not definitions, and is never touched.

use super::{fix_with, key_range, mappings, scalar_value};
use crate::codemods::{Applicability, Fix, FlowContext};
use crate::kestra::path::DataPath;
use crate::syntax::ast::{AstNode, Mapping, Node, Sequence};
use crate::syntax::value::Value;

/// An input (or output) definition and where it sits.
struct Definition {
    path: DataPath,
    mapping: Mapping,
}

/// The input definitions of the flow; with `outputs`, also the items of the
/// root `outputs` list (rule 5 renames output types too).
fn definitions(ctx: &FlowContext, outputs: bool) -> std::rc::Rc<Vec<Definition>> {
    let name = if outputs {
        concat!(module_path!(), "::definitions+outputs")
    } else {
        concat!(module_path!(), "::definitions")
    };
    ctx.memo(name, |ctx| build_definitions(ctx, outputs))
}

fn build_definitions(ctx: &FlowContext, outputs: bool) -> Vec<Definition> {
    fn items(seq: Option<Sequence>, path: &DataPath, out: &mut Vec<Definition>) {
        for (i, item) in seq
            .into_iter()
            .flat_map(|s| s.items().collect::<Vec<_>>())
            .enumerate()
        {
            if let Some(Node::Mapping(mapping)) = item.value() {
                out.push(Definition {
                    path: path.index(i),
                    mapping,
                });
            }
        }
    }
    let mut out = Vec::new();
    items(ctx.flow.inputs(), &DataPath::root().key("inputs"), &mut out);
    for at in mappings(ctx).iter() {
        if let Some(Node::Sequence(s)) = at.mapping.get_value("onResume") {
            items(Some(s), &at.path.key("onResume"), &mut out);
        }
    }
    let forms: Vec<(DataPath, Sequence)> = out
        .iter()
        .filter(|d| scalar_value(&d.mapping, "type").as_deref() == Some("FORM"))
        .filter_map(|d| match d.mapping.get_value("inputs") {
            Some(Node::Sequence(s)) => Some((d.path.key("inputs"), s)),
            _ => None,
        })
        .collect();
    for (path, seq) in forms {
        items(Some(seq), &path, &mut out);
    }
    if outputs {
        items(
            ctx.flow.outputs(),
            &DataPath::root().key("outputs"),
            &mut out,
        );
    }
    out
}

/// Whether the definition says `required: false` (Kestra's default is
/// `true`).
fn optional(ctx: &FlowContext, d: &Definition) -> bool {
    ctx.data()
        .and_then(|data| d.path.key("required").lookup(data))
        .is_some_and(|v| *v == Value::Bool(false))
}

/// Rule 5: `type: BOOLEAN` -> `BOOL`, `type: ENUM` -> `SELECT`.
pub(super) fn type_names(ctx: &FlowContext) -> Vec<Fix> {
    let mut fixes = Vec::new();
    for d in definitions(ctx, true).iter() {
        let Some(Node::Scalar(ty)) = d.mapping.get_value("type") else {
            continue;
        };
        let (old, new) = match ty.value().as_ref() {
            "BOOLEAN" => ("BOOLEAN", "BOOL"),
            "ENUM" => ("ENUM", "SELECT"),
            _ => continue,
        };
        let message = format!("input type `{old}` is `{new}` in Kestra 2.0");
        // `BOOLEAN` was tri-state; an optional `BOOL` is a toggle that
        // cannot be left unset.
        let tri_state_lost =
            old == "BOOLEAN" && d.mapping.get("defaults").is_none() && optional(ctx, d);
        let (message, applicability) = if tri_state_lost {
            (
                format!("{message}; this optional input becomes a toggle: a run can no longer leave it unset"),
                Applicability::Unsafe,
            )
        } else {
            (message, Applicability::Safe)
        };
        let path = d.path.key("type");
        fixes.push(fix_with(
            ctx,
            ty.syntax().text_range(),
            message,
            applicability,
            |e| e.set_scalar(&path, Value::String(new.into())),
        ));
    }
    fixes
}

/// Rule 6: input `name` -> `id`.
pub(super) fn name_to_id(ctx: &FlowContext) -> Vec<Fix> {
    definitions(ctx, false)
        .iter()
        .filter_map(|d| {
            let range = key_range(&d.mapping, "name")?;
            Some(fix_with(
                ctx,
                range,
                "input `name` is `id` in Kestra 2.0".into(),
                Applicability::Safe,
                |e| e.rename_key(&d.path, "name", "id"),
            ))
        })
        .collect()
}

/// Rule 7: `MULTISELECT` input `options` -> `values`.
pub(super) fn multiselect_values(ctx: &FlowContext) -> Vec<Fix> {
    definitions(ctx, false)
        .iter()
        .filter(|d| scalar_value(&d.mapping, "type").as_deref() == Some("MULTISELECT"))
        .filter_map(|d| {
            let range = key_range(&d.mapping, "options")?;
            Some(fix_with(
                ctx,
                range,
                "`MULTISELECT` input `options` is `values` in Kestra 2.0".into(),
                Applicability::Safe,
                |e| e.rename_key(&d.path, "options", "values"),
            ))
        })
        .collect()
}

/// Rule 8: an input with `defaults` and `required: false` loses `required`
/// (Kestra 2.0 rejects the pair).
pub(super) fn required_with_defaults(ctx: &FlowContext) -> Vec<Fix> {
    definitions(ctx, false)
        .iter()
        .filter(|d| d.mapping.get("defaults").is_some() && optional(ctx, d))
        .filter_map(|d| {
            let range = key_range(&d.mapping, "required")?;
            Some(fix_with(
                ctx,
                range,
                "Kestra 2.0 rejects `required: false` with `defaults`; removing it makes the \
                 input required, so a manual run can no longer clear it (to keep it optional, \
                 replace `defaults` by `prefill` instead, and supply it in every Schedule and \
                 Webhook trigger)"
                    .into(),
                Applicability::Unsafe,
                |e| e.remove_key(&d.path, "required"),
            ))
        })
        .collect()
}
