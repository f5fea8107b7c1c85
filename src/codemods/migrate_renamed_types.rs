//! migrate-renamed-types: old plugin type names -> canonical names, and the
//! flow key `taskDefaults` -> `pluginDefaults`.
//!
//! A rename is safe when Kestra runs the same plugin class with the same
//! configuration. The class is the same by definition of an alias; the
//! configuration can change through flow `pluginDefaults`, which match by
//! raw type-name prefix, with a default written under an old name also
//! copied to the canonical name but not the reverse. So every instance's set
//! of matching defaults is compared before and after all renames; renames
//! that change a set become unsafe, and the rest are checked again without
//! them until the safe set is stable.

use super::migrate_2_0::renamed_types::{judge, row_2_0, Verdict};
use super::migrate_2_0::V2_0;
use super::table::{Action, Row, Table, TypeMatch};
use super::{
    Applicability, Codemod, Declaration, DefaultOn, Family, Fix, FlowContext, Phase, Safety,
};
use crate::fix::editor::Editor;
use crate::fix::refusal::Refusal;
use crate::kestra::defaults::default_matches;
use crate::kestra::flow::PluginInstance;
use crate::kestra::path::DataPath;
use crate::kestra::plugins::{aliases, canonical_type};
use crate::kestra::KestraVersion;
use crate::syntax::ast::AstNode;
use std::sync::LazyLock;

pub struct MigrateRenamedTypes;

const NAME: &str = "migrate-renamed-types";

/// The canonical `io.kestra.plugin.core.*` names exist since Kestra 0.17.
const CANONICAL_SINCE: KestraVersion = KestraVersion::new(0, 17);

const DECLARATION: Declaration = Declaration {
    name: NAME,
    family: Family::Deprecated,
    summary: "Rename deprecated plugin type aliases and `taskDefaults` to their current names",
    safety: Safety::SafeWhenProven,
    default_on: DefaultOn::Since(CANONICAL_SINCE),
    phase: Phase::RENAMES,
    docs: include_str!("../../codemods/migrate-renamed-types/README.md"),
};

impl Codemod for MigrateRenamedTypes {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }

    fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
        let v2 = ctx.target_version >= V2_0;
        let mut fixes = rename_types(ctx, |inst| {
            if v2 {
                // The 2.0 table wins over the 1.x aliases (Echo goes to
                // `log.Log`, not `debug.Echo`), and no alias leads onto a
                // type Kestra 2.0 removes (conditions, `ForEach`...: rules
                // and detectors of the migrate-2.0 family handle them).
                if let Some(row) = row_2_0(inst) {
                    return Some((row, Wording::Replaced));
                }
                let row = alias_row(inst)?;
                let Action::RenameType { to, .. } = &row.action else {
                    return None;
                };
                return (!ctx.catalog.is_legacy(to)).then_some((row, Wording::OldName));
            }
            alias_row(inst).map(|row| (row, Wording::OldName))
        });
        fixes.extend(rename_task_defaults(ctx));
        fixes
    }
}

/// The alias row renaming `inst`, if its type is an old name; the hash
/// lookup first keeps the scan for the rare instances that have one.
fn alias_row(inst: &PluginInstance) -> Option<&'static Row> {
    canonical_type(&inst.type_name)?;
    RENAMES.rows().iter().find(|r| r.matches(inst, None))
}

/// How a rename's message names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wording {
    /// An alias of the same class.
    OldName,
    /// A 2.0 replacement: the row's verdict says whether it is safe.
    Replaced,
}

/// Renames every plugin instance (and `pluginDefaults` entry) that `lookup`
/// gives a rename row for: safe unless the row's verdict or a change in
/// which flow defaults apply says otherwise; refused renames are findings.
pub(crate) fn rename_types<'t>(
    ctx: &FlowContext,
    lookup: impl Fn(&PluginInstance) -> Option<(&'t Row, Wording)>,
) -> Vec<Fix> {
    let mut fixes = Vec::new();
    let instances = ctx.flow.plugin_instances();
    let defaults = ctx.flow.plugin_defaults();

    let mut renames: Vec<Rename> = Vec::new();
    for (is_default, inst) in defaults
        .iter()
        .map(|d| (true, d))
        .chain(instances.iter().map(|i| (false, i)))
    {
        let Some((row, wording)) = lookup(inst) else {
            continue;
        };
        let Action::RenameType { to: new, .. } = &row.action else {
            continue;
        };
        if ctx.is_suppressed(inst.type_range().start()) {
            continue;
        }
        let what = if is_default {
            "pluginDefaults type"
        } else {
            "type"
        };
        let old = &inst.type_name;
        // A 2.0 row that agrees with Kestra's alias table is an old name.
        let title = if wording == Wording::OldName || canonical_type(old) == Some(new.as_str()) {
            format!("{what} `{old}` is an old name of `{new}`")
        } else {
            format!("{what} `{old}` is replaced by `{new}` in Kestra 2.0")
        };
        let unsafe_reason = match wording {
            Wording::OldName => None,
            Wording::Replaced => match judge(inst, new) {
                Verdict::Safe => None,
                Verdict::Unsafe(why) => Some(why),
                Verdict::Refuse(why) => {
                    fixes.push(Fix::refused(
                        inst.type_range(),
                        title,
                        Refusal::NotReplaceable {
                            why: why.to_string(),
                        },
                    ));
                    continue;
                }
            },
        };
        match row.plan(ctx, inst) {
            Ok(Some(editor)) => renames.push(Rename {
                inst,
                new,
                title,
                editor,
                unsafe_reason,
            }),
            Ok(None) => {}
            Err(why) => fixes.push(Fix::refused(
                inst.type_range(),
                title,
                Refusal::by_hand("rename", why),
            )),
        }
    }
    judge_against_defaults(ctx, &instances, &defaults, &mut renames);

    for r in renames {
        let (applicability, message) = match &r.unsafe_reason {
            None => (Applicability::Safe, r.title),
            Some(why) => (
                Applicability::Unsafe,
                format!("{}; renaming changes behaviour: {why}", r.title),
            ),
        };
        fixes.push(
            r.editor
                .into_fix(r.inst.type_range(), message, applicability),
        );
    }
    fixes
}

/// Kestra's alias table as rename rows (`data/aliases.tsv`, read once by
/// [`crate::kestra::plugins`]).
static RENAMES: LazyLock<Table> = LazyLock::new(|| {
    Table::new(
        aliases()
            .into_iter()
            .map(|(old, new)| Row {
                types: TypeMatch::Exact(old.to_string()),
                when: None,
                action: Action::RenameType {
                    to: new.to_string(),
                    properties: Vec::new(),
                },
            })
            .collect(),
    )
});

struct Rename<'a> {
    inst: &'a PluginInstance,
    new: &'a str,
    title: String,
    editor: Editor<'a>,
    unsafe_reason: Option<String>,
}

fn matching(default_types: &[&str], plugin_type: &str) -> Vec<usize> {
    (0..default_types.len())
        .filter(|&j| default_matches(default_types[j], plugin_type))
        .collect()
}

/// Marks as unsafe every rename that changes which flow defaults apply to
/// some instance, until the remaining (safe) renames change none.
fn judge_against_defaults(
    ctx: &FlowContext,
    instances: &[PluginInstance],
    defaults: &[PluginInstance],
    renames: &mut [Rename],
) {
    let before: Vec<&str> = defaults.iter().map(|d| d.type_name.as_str()).collect();
    // By path, not by a scan per instance: flows with many thousands of
    // tasks would make this loop quadratic.
    let mut by_path = std::collections::HashMap::new();
    for (i, r) in renames.iter().enumerate() {
        by_path.entry(&r.inst.path).or_insert(i);
    }
    let rename_of = |inst: &PluginInstance, renames: &[Rename]| {
        by_path
            .get(&inst.path)
            .copied()
            .filter(|&r| renames[r].unsafe_reason.is_none())
    };
    loop {
        let after: Vec<&str> = defaults
            .iter()
            .map(|d| rename_of(d, renames).map_or(d.type_name.as_str(), |r| renames[r].new))
            .collect();
        let mut culprits: Vec<(usize, String)> = Vec::new();
        for inst in instances {
            let own = rename_of(inst, renames);
            let new_type = own.map_or(inst.type_name.as_str(), |r| renames[r].new);
            let was = matching(&before, &inst.type_name);
            let will = matching(&after, new_type);
            if was == will {
                continue;
            }
            let changed: Vec<usize> = was
                .iter()
                .filter(|j| !will.contains(j))
                .chain(will.iter().filter(|j| !was.contains(j)))
                .copied()
                .collect();
            let j = changed[0];
            let verb = if will.contains(&j) { "start" } else { "stop" };
            let line = ctx
                .line_index
                .line_col(ctx.text, defaults[j].mapping.text_range().start())
                .line;
            let who = inst
                .id()
                .map_or_else(|| inst.path.to_string(), |id| format!("`{id}`"));
            let reason = format!(
                "the pluginDefaults entry for `{}` (line {line}) would {verb} applying to {who}",
                defaults[j].type_name
            );
            culprits.extend(own.map(|r| (r, reason.clone())));
            for &d in &changed {
                if let Some(r) = rename_of(&defaults[d], renames) {
                    culprits.push((r, reason.clone()));
                }
            }
        }
        if culprits.is_empty() {
            return;
        }
        for (r, reason) in culprits {
            renames[r].unsafe_reason.get_or_insert(reason);
        }
    }
}

/// `taskDefaults:` -> `pluginDefaults:`; with both present, a finding only.
fn rename_task_defaults(ctx: &FlowContext) -> Option<Fix> {
    let entry = ctx.flow.root().get("taskDefaults")?;
    let range = entry.key_scalar()?.syntax().text_range();
    let mut editor = ctx.editor();
    let message = "`taskDefaults` is the old name of `pluginDefaults`";
    Some(
        match editor.rename_key(&DataPath::root(), "taskDefaults", "pluginDefaults") {
            Ok(()) => editor.into_fix(range, message, Applicability::Safe),
            Err(Refusal::KeyExists { key, .. }) => Fix::refused(
                range,
                message,
                Refusal::ConflictingKey {
                    key,
                    action: "merge them",
                },
            ),
            Err(why) => Fix::refused(range, message, Refusal::by_hand("rename", why)),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_reject_unknown_keys() {
        let mut t = toml::Table::new();
        assert!(MigrateRenamedTypes.check_options(&t).is_ok());
        t.insert("foo".into(), toml::Value::Integer(1));
        assert!(MigrateRenamedTypes
            .check_options(&t)
            .unwrap_err()
            .contains("foo"));
    }
}
