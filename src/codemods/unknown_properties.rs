//! unknown-properties: properties a plugin instance sets that its type does
//! not have in Kestra 2.0.
//!
//! Kestra 1.x ignored unknown properties; 2.0 rejects the flow. What the
//! type has comes from the plugin catalog (the built-in one and the user's):
//! only a `No` from the catalog is a finding, never an `Unknown` (a type the
//! catalog cannot fully describe). Names Jackson accepts and ignores
//! (`@JsonIgnore`) are valid in 2.0 and do nothing: removing them is the
//! one fix this codemod makes, and it is safe. Everything else needs a
//! person (or another rule, which the message names).

use super::{Applicability, Codemod, Declaration, Family, Fix, FlowContext, Phase, Safety};
use crate::fix::refusal::Refusal;
use crate::kestra::catalog::{Answer, PluginType};
use crate::kestra::flow::PluginInstance;
use crate::syntax::ast::AstNode;
use std::collections::HashSet;

pub struct UnknownProperties;

const NAME: &str = "unknown-properties";

const DECLARATION: Declaration = Declaration {
    name: NAME,
    family: Family::Migrate20,
    summary: "Report properties a plugin type does not have in Kestra 2.0 (which rejects them)",
    safety: Safety::Safe,
    default_on: crate::codemods::SINCE_2_0,
    phase: Phase::DETECTORS,
    docs: include_str!("../../codemods/unknown-properties/README.md"),
};

/// Which instances a [`MIGRATED`] row covers.
enum Scope {
    Any,
    /// Instances whose catalog kind is this (`trigger`).
    Kind(&'static str),
    /// Instances of this canonical type.
    Type(&'static str),
}

const FLOW_TRIGGER: &str = "io.kestra.plugin.core.trigger.Flow";

/// Properties 2.0 removed for which a migration rule exists
/// (MIGRATION-2.0.md): `(property, scope, rule, what the rule does)`.
/// The first matching row wins, so a type's own row precedes its kind's.
const MIGRATED: &[(&str, Scope, &str, &str)] = &[
    (
        "workerGroup",
        Scope::Any,
        "worker-group-to-selector",
        "rewrites it as `workerSelector`",
    ),
    (
        "conditions",
        Scope::Type(FLOW_TRIGGER),
        "flow-trigger-conditions-to-depends-on",
        "rewrites it as `dependsOn`",
    ),
    (
        "preconditions",
        Scope::Type(FLOW_TRIGGER),
        "flow-trigger-conditions-to-depends-on",
        "rewrites it as `dependsOn`",
    ),
    (
        "conditions",
        Scope::Kind("trigger"),
        "trigger-conditions-to-when",
        "rewrites it as a `when` expression",
    ),
    (
        "scheduleConditions",
        Scope::Kind("trigger"),
        "trigger-conditions-to-when",
        "rewrites it as a `when` expression",
    ),
    (
        "minLogLevel",
        Scope::Kind("trigger"),
        "removed-properties",
        "removes it (it had no effect)",
    ),
    (
        "docker",
        Scope::Any,
        "legacy-script-runner",
        "rewrites it as a `taskRunner`",
    ),
    (
        "runner",
        Scope::Any,
        "legacy-script-runner",
        "rewrites it as a `taskRunner`",
    ),
    (
        "outputs",
        Scope::Type("io.kestra.plugin.core.flow.Subflow"),
        "removed-properties",
        "removes it (declare the outputs in the child flow)",
    ),
    (
        "backfill",
        Scope::Type("io.kestra.plugin.core.trigger.Schedule"),
        "removed-properties",
        "removes it (run backfills from the UI or API)",
    ),
    (
        "backfills",
        Scope::Type("io.kestra.plugin.core.trigger.Schedule"),
        "removed-properties",
        "removes it (run backfills from the UI or API)",
    ),
    (
        "delay",
        Scope::Type("io.kestra.plugin.core.flow.Pause"),
        "pause-delay-to-pause-duration",
        "rewrites it as `pauseDuration`",
    ),
    (
        "expiredOnly",
        Scope::Type("io.kestra.plugin.core.kv.PurgeKV"),
        "purge-kv-behavior",
        "rewrites it as `behavior`",
    ),
];

/// `(type, property)` pairs another detector reports with a better
/// message: Pause `tasks` (`removed-types`).
const REPORTED_ELSEWHERE: &[(&str, &str)] = &[("io.kestra.plugin.core.flow.Pause", "tasks")];

impl Codemod for UnknownProperties {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }

    fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
        let mut fixes = Vec::new();
        let mut unknown_types: HashSet<&str> = HashSet::new();
        // `instances()` walks the plugin sections only: `pluginDefaults`
        // entries are `inline-plugin-defaults`' business.
        for inst in ctx.flow.instances() {
            let Some(ty) = ctx.catalog.get(&inst.type_name) else {
                if unknown_types.insert(&inst.type_name) {
                    fixes.push(Fix::refused(
                        inst.type_range(),
                        "",
                        Refusal::UnknownType {
                            plugin: inst.type_name.clone(),
                        },
                    ));
                }
                continue;
            };
            // `removed-types` reports the whole instance.
            if ty.is_legacy() {
                continue;
            }
            let canonical = ctx
                .catalog
                .canonical_name(&inst.type_name)
                .unwrap_or(&inst.type_name);
            for entry in inst.mapping.entries() {
                let (Some(key), Some(key_node)) = (entry.key_text(), entry.key_scalar()) else {
                    continue;
                };
                let range = key_node.syntax().text_range();
                if let Some(fix) = judge(ctx, inst, ty, canonical, &key, range) {
                    fixes.push(fix);
                }
            }
        }
        fixes
    }
}

/// The finding for property `key` of `inst`, if 2.0 would not take it.
fn judge(
    ctx: &FlowContext,
    inst: &PluginInstance,
    ty: &PluginType,
    canonical: &str,
    key: &str,
    range: crate::syntax::TextRange,
) -> Option<Fix> {
    if ty.ignores(key) {
        let message = format!("`{key}` has no effect on `{canonical}`: Kestra ignores it");
        let mut editor = ctx.editor();
        return Some(match editor.remove_key(&inst.path, key) {
            Ok(()) => editor.into_fix(range, message, Applicability::Safe),
            Err(why) => Fix::refused(range, message, Refusal::by_hand("remove", why)),
        });
    }
    if ty.has_property(key) != Answer::No || REPORTED_ELSEWHERE.contains(&(canonical, key)) {
        return None;
    }
    let kind = ty.kind();
    let migrated = MIGRATED.iter().find(|(prop, scope, ..)| {
        *prop == key
            && match scope {
                Scope::Any => true,
                Scope::Kind(k) => *k == kind,
                Scope::Type(t) => *t == canonical,
            }
    });
    let refusal = match migrated {
        Some((_, _, rule, does)) => Refusal::unsupported(format!(
            "`{key}` was removed from `{canonical}` in Kestra 2.0: `{rule}` {does}"
        )),
        None => Refusal::UnknownProperty {
            plugin: canonical.to_string(),
            property: key.to_string(),
            meant: closest(key, ty.props()).map(str::to_string),
        },
    };
    Some(Fix::refused(range, "", refusal))
}

/// The property a typo most likely meant: the nearest by edit distance (a
/// swap of neighbours is one edit), within a third of the name's length.
fn closest<'a>(name: &str, candidates: &'a [String]) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), c.as_str()))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codemods::with_context;

    fn messages(flow: &str) -> Vec<String> {
        with_context(flow, |ctx| {
            UnknownProperties
                .run(ctx)
                .into_iter()
                .map(|f| f.message)
                .collect()
        })
    }

    #[test]
    fn suggestions_are_close_names_only() {
        let props = ["containerImage".to_string(), "script".to_string()];
        assert_eq!(closest("containerImge", &props), Some("containerImage"));
        assert_eq!(closest("sciprt", &props), Some("script"));
        assert_eq!(closest("colour", &props), None);
    }

    #[test]
    fn an_unknown_type_is_reported_once_per_flow() {
        let flow = "id: f\nnamespace: n\ntasks:\n  - id: a\n    type: com.acme.Thing\n  - id: b\n    type: com.acme.Thing\n  - id: c\n    type: com.acme.Other\n";
        let m = messages(flow);
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(m[0].contains("com.acme.Thing") && m[1].contains("com.acme.Other"));
    }

    #[test]
    fn incomplete_types_and_legacy_types_are_not_judged() {
        let flow = "id: f\nnamespace: n\ntasks:\n  - id: a\n    type: io.kestra.plugin.azure.batch.job.Create\n    region: x\n  - id: b\n    type: io.kestra.plugin.core.flow.ForEach\n    colour: x\n";
        assert!(messages(flow).is_empty());
    }

    #[test]
    fn a_kind_row_does_not_catch_other_kinds() {
        // `conditions` on a task is a plain unknown property, not a
        // trigger condition.
        let flow = "id: f\nnamespace: n\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n    message: x\n    conditions: []\n";
        let m = messages(flow);
        assert_eq!(m.len(), 1);
        assert!(m[0].ends_with("which Kestra 2.0 rejects"), "{m:?}");
    }
}
