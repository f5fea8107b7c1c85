//! removed-types: plugin types Kestra 2.0 no longer has (MIGRATION-2.0.md,
//! detector D1).
//!
//! A flow using one fails to load on 2.0. The way out depends on the type
//! (a `Loop` rewrite, a plugin-kestra task, a trigger `when`...) and
//! usually on how the rest of the flow reads its outputs, so this codemod
//! only reports: each finding names the replacement and what to change.
//! Rewrites that do exist (renames, state store, trigger conditions) run
//! in earlier phases, so what is left here is what they did not consume.

use super::{Codemod, Declaration, Family, Fix, FlowContext, Phase, Safety};
use crate::fix::refusal::Refusal;
use crate::kestra::flow::PluginInstance;
use crate::kestra::path::PathSeg;
use crate::syntax::ast::AstNode;

pub struct RemovedTypes;

const NAME: &str = "removed-types";

const DECLARATION: Declaration = Declaration {
    name: NAME,
    family: Family::Migrate20,
    summary: "Report plugin types Kestra 2.0 removed, with their replacement",
    safety: Safety::Safe,
    default_on: crate::codemods::SINCE_2_0,
    phase: Phase::DETECTORS,
    docs: include_str!("../../codemods/removed-types/README.md"),
};

const LOOP: &str = "rewrite it as `io.kestra.plugin.core.flow.Loop`: `taskrun.value` becomes \
`item.value`, `taskrun.iteration` the item position variable, outputs must be declared on the \
Loop, an `AllowFailure` wrapper becomes `transmitFailed: false`; each iteration runs as a \
separate sub-execution (https://kestra.io/docs/migration-guide/v2.0.0/foreach-loop)";

const CONDITION: &str = "trigger conditions were removed: write the condition as the trigger's \
`when` expression (`trigger-conditions-to-when` does this for the conditions it can translate)";

const DEPENDS_ON: &str = "write it as the Flow trigger's `dependsOn` entries with a `window` \
(`flow-trigger-conditions-to-depends-on` does this for the conditions it can translate)";

/// What to do instead of each removed type, by canonical name (texts from
/// MIGRATION-2.0.md D1 and the notes of `renames-2.0.tsv`). A name ending
/// in `.` is a package prefix.
const ADVICE: &[(&str, &str)] = &[
    ("io.kestra.plugin.core.flow.ForEach", LOOP),
    ("io.kestra.plugin.core.flow.ForEachItem", LOOP),
    ("io.kestra.plugin.core.flow.EachSequential", LOOP),
    ("io.kestra.plugin.core.flow.EachParallel", LOOP),
    ("io.kestra.plugin.core.condition.MultipleCondition", DEPENDS_ON),
    ("io.kestra.plugin.core.trigger.Flow.", DEPENDS_ON),
    ("io.kestra.plugin.core.condition.", CONDITION),
    (
        "io.kestra.plugin.core.flow.Template",
        "replace it with an `io.kestra.plugin.core.flow.Subflow` (`templateId` becomes `flowId`); \
         a template ran inline, a Subflow starts another execution of an existing flow",
    ),
    (
        "io.kestra.plugin.core.debug.Echo",
        "replace it with `io.kestra.plugin.core.log.Log` (`format` becomes `message`, `level` is kept)",
    ),
    (
        "io.kestra.plugin.core.state.",
        "replace it with the `io.kestra.plugin.core.kv.*` task of the same name \
         (`state-store-to-kv`); kv.Set replaces the stored value where state.Set merged `data` into it",
    ),
    (
        "io.kestra.plugin.core.storage.LocalFiles",
        "move its `inputs` into the enclosing `io.kestra.plugin.core.flow.WorkingDirectory`'s \
         `inputFiles` and its `outputs` into its `outputFiles`",
    ),
    (
        "io.kestra.plugin.core.log.Fetch",
        "replace it with `io.kestra.plugin.kestra.logs.Fetch` (plugin-kestra), which calls the \
         Kestra API: give it `auth` unless the server or namespace provides credentials",
    ),
    (
        "io.kestra.plugin.core.execution.Count",
        "replace it with `io.kestra.plugin.kestra.executions.Count` (plugin-kestra), which takes \
         `flowId` instead of `flows` and calls the Kestra API (give it `auth`)",
    ),
    (
        "io.kestra.plugin.core.execution.Resume",
        "replace it with `io.kestra.plugin.kestra.executions.Resume` (plugin-kestra), which has \
         no `flowId` or `namespace` and calls the Kestra API (give it `auth`)",
    ),
    (
        "io.kestra.plugin.core.trigger.Toggle",
        "replace it with `io.kestra.plugin.kestra.triggers.Toggle` (plugin-kestra): same \
         properties plus `auth`, `kestraUrl` and `tenantId`",
    ),
];

/// Types the 2.0 catalog still lists (their plugins ship them, deprecated)
/// that 2.0 no longer runs, with what to do (MIGRATION-2.0.md D1).
const ALSO_REMOVED: &[(&str, &str)] = &[
    (
        "io.kestra.plugin.git.Push",
        "use `io.kestra.plugin.git.PushFlows` or `io.kestra.plugin.git.PushNamespaceFiles`",
    ),
    (
        "io.kestra.plugin.scripts.nashorn.Eval",
        "use `io.kestra.plugin.graalvm.js.Eval`",
    ),
    (
        "io.kestra.plugin.scripts.nashorn.FileTransform",
        "use `io.kestra.plugin.graalvm.js.FileTransform`",
    ),
    (
        "io.kestra.plugin.git.SyncDashboards",
        "it moved to Enterprise as `io.kestra.plugin.ee.git.SyncDashboards`, which requires \
         `auth` (on open-source Kestra, remove the task) \
         (https://kestra.io/docs/migration-guide/v2.0.0/git-dashboard-tasks-moved-to-ee)",
    ),
    (
        "io.kestra.plugin.git.PushDashboards",
        "it moved to Enterprise as `io.kestra.plugin.ee.git.PushDashboards`, which requires \
         `auth` and names its output `dashboards` instead of `flows` (on open-source Kestra, \
         remove the task) (https://kestra.io/docs/migration-guide/v2.0.0/git-dashboard-tasks-moved-to-ee)",
    ),
];

const PAUSE: &str = "io.kestra.plugin.core.flow.Pause";

impl Codemod for RemovedTypes {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }

    fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
        let mut fixes = Vec::new();
        for inst in ctx.flow.instances() {
            let canonical = ctx
                .catalog
                .canonical_name(&inst.type_name)
                .unwrap_or(&inst.type_name);
            if let Some(advice) = advice(ctx, inst, canonical) {
                let named = if canonical == inst.type_name {
                    format!("`{canonical}`")
                } else {
                    format!("`{}` (`{canonical}`)", inst.type_name)
                };
                fixes.push(Fix::refused(
                    inst.type_range(),
                    "",
                    Refusal::unsupported(format!("{named} was removed in Kestra 2.0: {advice}")),
                ));
            } else if canonical == PAUSE {
                fixes.extend(pause_tasks(inst));
            }
        }
        fixes
    }
}

/// What to do about `inst`, when its type is one 2.0 removed.
fn advice(ctx: &FlowContext, inst: &PluginInstance, canonical: &str) -> Option<&'static str> {
    let lookup = |table: &[(&str, &'static str)]| {
        table
            .iter()
            .find(|(name, _)| match name.strip_suffix('.') {
                Some(prefix) => canonical
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('.')),
                None => canonical == *name,
            })
            .map(|(_, advice)| *advice)
    };
    if let Some(advice) = lookup(ALSO_REMOVED) {
        return Some(advice);
    }
    if !ctx.catalog.is_legacy(canonical) {
        return None;
    }
    // A condition in a trigger's `conditions` is covered by the finding
    // `unknown-properties` makes on that key (2.0 removed it), which
    // names the rewrite; one finding per condition would repeat it.
    if ctx.catalog.kind(canonical) == Some("condition") && under_conditions(inst) {
        return None;
    }
    Some(lookup(ADVICE).unwrap_or(
        "it has no direct replacement; see https://kestra.io/docs/migration-guide/v2.0.0",
    ))
}

fn under_conditions(inst: &PluginInstance) -> bool {
    let segs = inst.path.segments();
    segs.iter()
        .rev()
        .find_map(|s| match s {
            PathSeg::Key(k) => Some(k.as_str()),
            PathSeg::Index(_) => None,
        })
        .is_some_and(|k| k == "conditions")
}

/// A Pause with `tasks`: 2.0's Pause runs no tasks of its own (D1,
/// kestra-fix addition).
fn pause_tasks(inst: &PluginInstance) -> Option<Fix> {
    let entry = inst.mapping.get("tasks")?;
    let key = entry.key_scalar()?;
    Some(Fix::refused(
        key.syntax().text_range(),
        "",
        Refusal::unsupported(
            "Pause `tasks` was removed in Kestra 2.0: move these tasks after the Pause task \
         (or into its `onPause`, to run them when the pause starts)",
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codemods::with_context;

    fn messages(flow: &str) -> Vec<String> {
        with_context(flow, |ctx| {
            RemovedTypes
                .run(ctx)
                .into_iter()
                .map(|f| f.message)
                .collect()
        })
    }

    #[test]
    fn conditions_under_a_trigger_key_are_left_to_unknown_properties() {
        let flow = "id: f\nnamespace: n\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n    message: x\ntriggers:\n  - id: t\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: '* * * * *'\n    conditions:\n      - type: io.kestra.plugin.core.condition.Weekend\n";
        assert!(messages(flow).is_empty());
    }

    #[test]
    fn unknown_and_current_types_are_not_reported() {
        let flow = "id: f\nnamespace: n\ntasks:\n  - id: a\n    type: com.acme.Thing\n  - id: b\n    type: io.kestra.plugin.core.flow.Loop\n";
        assert!(messages(flow).is_empty());
    }

    #[test]
    fn prefixes_match_whole_segments() {
        let flow = "id: f\nnamespace: n\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.state.Get\n    name: x\n";
        let m = messages(flow);
        assert_eq!(m.len(), 1);
        assert!(m[0].contains("io.kestra.plugin.core.kv."), "{m:?}");
    }
}
