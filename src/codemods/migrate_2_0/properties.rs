//! Property rules on canonical plugin types, as table rows
//! (`data/rules/*.toml`); the codemods judge each planned edit.

use super::{fix_with, key_range, refused};
use crate::codemods::table::{Action, Row, Table};
use crate::codemods::{Applicability, Fix, FlowContext};
use crate::kestra::flow::PluginInstance;
use crate::kestra::path::DataPath;
use crate::syntax::ast::Node;
use std::sync::LazyLock;

macro_rules! table {
    ($file:literal) => {
        LazyLock::new(|| {
            Table::from_toml(include_str!(concat!("../../../data/rules/", $file)))
                .unwrap_or_else(|e| panic!("data/rules/{}: {e}", $file))
        })
    };
}

static PAUSE: LazyLock<Table> = table!("pause-delay-to-pause-duration.toml");
static REMOVED: LazyLock<Table> = table!("removed-properties.toml");
static EXIT: LazyLock<Table> = table!("exit-state-cancelled.toml");
static LOCAL_DELETE: LazyLock<Table> = table!("local-delete-recursive.toml");

/// The property a row acts on.
fn property(row: &Row) -> Option<&str> {
    match &row.action {
        Action::RenameProperty { from, .. } | Action::MoveProperty { from, .. } => Some(from),
        Action::SetProperty { key, .. } | Action::RemoveProperty { key } => Some(key),
        Action::RenameType { .. } => None,
    }
}

/// Every planned edit of `table`'s rows on the flow's plugin instances,
/// with the message and applicability `judge` gives it (`None`: leave that
/// instance alone).
fn run_table(
    ctx: &FlowContext,
    table: &Table,
    judge: impl Fn(&PluginInstance, &Row) -> Option<(String, Applicability)>,
) -> Vec<Fix> {
    let mut fixes = Vec::new();
    for instance in ctx.flow.instances() {
        for row in table.matching(instance, ctx.data()) {
            let Some((message, applicability)) = judge(instance, row) else {
                continue;
            };
            let range = property(row)
                .and_then(|p| key_range(&instance.mapping, p))
                .unwrap_or_else(|| instance.type_range());
            match row.plan(ctx, instance) {
                Ok(Some(editor)) => fixes.push(editor.into_fix(range, message, applicability)),
                Ok(None) => {}
                Err(why) => fixes.push(refused(range, &message, &why)),
            }
        }
    }
    fixes
}

/// Rule 9: Pause `delay` -> `pauseDuration` (both resume after the
/// duration).
pub(super) fn pause_delay(ctx: &FlowContext) -> Vec<Fix> {
    run_table(ctx, &PAUSE, |_, _| {
        Some((
            "Pause `delay` is `pauseDuration` in Kestra 2.0".into(),
            Applicability::Safe,
        ))
    })
}

/// Rule 14: Subflow `outputs`, Schedule `backfill`/`backfills`, and
/// `minLogLevel` of root triggers.
pub(super) fn removed(ctx: &FlowContext) -> Vec<Fix> {
    let mut fixes = run_table(ctx, &REMOVED, |instance, row| {
        let key = property(row)?;
        Some(if key == "outputs" {
            match instance
                .id()
                .filter(|id| reads_subflow_outputs(ctx.text, id))
            {
                Some(id) => (
                    format!(
                        "Subflow `outputs` is removed in Kestra 2.0; `outputs.{id}.outputs` \
                         then reads the child flow's own declared `outputs` instead"
                    ),
                    Applicability::Unsafe,
                ),
                None => (
                    "Subflow `outputs` is removed in Kestra 2.0, and nothing reads it".into(),
                    Applicability::Safe,
                ),
            }
        } else {
            (
                format!(
                    "Schedule `{key}` is removed in Kestra 2.0; run backfills from the UI or the API"
                ),
                Applicability::Unsafe,
            )
        })
    });
    if let Some(triggers) = ctx.flow.triggers() {
        let at = DataPath::root().key("triggers");
        for (i, item) in triggers.items().enumerate() {
            let Some(Node::Mapping(m)) = item.value() else {
                continue;
            };
            let Some(range) = key_range(&m, "minLogLevel") else {
                continue;
            };
            fixes.push(fix_with(
                ctx,
                range,
                "trigger `minLogLevel` is rejected by Kestra 2.0 (Kestra 1.x ignored it)".into(),
                Applicability::Safe,
                |e| e.remove_key(&at.index(i), "minLogLevel"),
            ));
        }
    }
    fixes
}

/// Whether any text reads `outputs.<id>.outputs` (dotted or bracketed).
fn reads_subflow_outputs(text: &str, id: &str) -> bool {
    [
        format!("outputs.{id}.outputs"),
        format!("outputs['{id}'].outputs"),
        format!("outputs[\"{id}\"].outputs"),
    ]
    .iter()
    .any(|p| text.contains(p.as_str()))
}

/// Rule 15: Exit `state: CANCELED` -> `CANCELLED` (1.3 read both the same).
pub(super) fn exit_state(ctx: &FlowContext) -> Vec<Fix> {
    run_table(ctx, &EXIT, |_, _| {
        Some((
            "Exit state `CANCELED` is spelled `CANCELLED` in Kestra 2.0".into(),
            Applicability::Safe,
        ))
    })
}

/// Rule 19: `fs.local.Delete` without `recursive` gets `recursive: true`,
/// the 1.x default (2.0's is `false`).
pub(super) fn local_delete(ctx: &FlowContext) -> Vec<Fix> {
    run_table(ctx, &LOCAL_DELETE, |instance, _| {
        instance.mapping.get("recursive").is_none().then(|| {
            (
                "`fs.local.Delete` is no longer recursive by default in Kestra 2.0; \
                 `recursive: true` keeps the 1.x behaviour"
                    .into(),
                Applicability::Safe,
            )
        })
    })
}
