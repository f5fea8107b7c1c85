//! Rule 12, `renamed-types-2.0`: the types a Kestra 1.x flow must change
//! for Kestra 2.0 (`data/renames-2.0.tsv`), with the verdict each rename
//! gets. `migrate-renamed-types` uses the same table for a 2.0 target.

use crate::codemods::migrate_renamed_types::{rename_types, Wording};
use crate::codemods::table::{Row, Table, TypeMatch};
use crate::codemods::{Fix, FlowContext};
use crate::kestra::flow::PluginInstance;
use std::collections::HashMap;
use std::sync::LazyLock;

/// The 2.0 rename table, read once.
pub(crate) static RENAMES_2_0: LazyLock<Table> = LazyLock::new(|| {
    Table::type_renames_tsv(include_str!("../../../data/renames-2.0.tsv"))
        .unwrap_or_else(|e| panic!("data/renames-2.0.tsv: {e}"))
});

/// Rows of the table that are rewrites of their own, not renames: the rule
/// named here converts the type with the properties it needs, and must see
/// the old name (it runs after the renames).
const OWN_RULE: &[&str] = &[
    // dbt-build-to-dbt-cli: commands, dbtPath, dockerOptions.
    "io.kestra.plugin.dbt.cli.Build",
    // ee-git-clone: inserts `strictHostKeyChecking`.
    "io.kestra.plugin.ee.git.Clone",
];

/// How a rename onto a 2.0 type is judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    Safe,
    /// Applied with `--unsafe-fixes`; says what changes.
    Unsafe(String),
    /// Not renamed; says why and what to do.
    Refuse(String),
}

/// The 2.0 row for `instance`, if the table renames its type.
pub(crate) fn row_2_0(instance: &PluginInstance) -> Option<&'static Row> {
    if OWN_RULE.contains(&instance.type_name.as_str()) {
        return None;
    }
    BY_OLD_NAME
        .get(instance.type_name.as_str())
        .map(|&i| &RENAMES_2_0.rows()[i])
}

/// Row index by old type name (the rows match by exact name), so large
/// flows do not scan the table per instance.
static BY_OLD_NAME: LazyLock<HashMap<&'static str, usize>> = LazyLock::new(|| {
    let mut by_name = HashMap::new();
    for (i, row) in RENAMES_2_0.rows().iter().enumerate() {
        if let TypeMatch::Exact(old) = &row.types {
            by_name.entry(old.as_str()).or_insert(i);
        }
    }
    by_name
});

const API_TASK: &str =
    "it needs the plugin-kestra plugin and calls the Kestra API: give it `auth` \
                        unless the server or namespace provides credentials";

/// The verdict for renaming `instance` to `new` (a 2.0 table target).
pub(crate) fn judge(instance: &PluginInstance, new: &str) -> Verdict {
    let old = instance.type_name.as_str();
    let has = |key: &str| instance.mapping.get(key).is_some();
    let present = |keys: &[&str]| -> Vec<String> {
        keys.iter()
            .filter(|k| has(k))
            .map(|k| format!("`{k}`"))
            .collect()
    };
    if old.ends_with(".Template") {
        let unknown = present(&["args", "errors", "finally", "tenantId"]);
        if !unknown.is_empty() {
            return Verdict::Refuse(format!(
                "{} of a Template {} no Subflow property",
                unknown.join(", "),
                if unknown.len() == 1 { "is" } else { "are" }
            ));
        }
        return Verdict::Unsafe(
            "a template ran its tasks inside this execution; a Subflow starts another \
             execution of the flow `namespace`.`flowId`, which must exist"
                .into(),
        );
    }
    if old.ends_with(".LocalFiles") {
        return Verdict::Refuse(
            "LocalFiles `inputs` and `outputs` are no WorkingDirectory properties: move \
             `inputs` into the enclosing WorkingDirectory's `inputFiles` and `outputs` into \
             its `outputFiles`, then delete the task"
                .into(),
        );
    }
    if old.contains(".state.") || old.contains(".states.") {
        if !has("key") {
            return Verdict::Refuse(
                "run `state-store-to-kv` first: the KV key derives from the flow id and the \
                 state name"
                    .into(),
            );
        }
        if old.ends_with(".Set") {
            return Verdict::Unsafe(
                "`state.Set` merged `data` into the stored map; `kv.Set` replaces the value".into(),
            );
        }
        return Verdict::Safe;
    }
    match new {
        "io.kestra.plugin.kestra.executions.Count" if has("flows") => Verdict::Refuse(
            "plugin-kestra's Count has `flowId`, not `flows`: rewrite the filter by hand".into(),
        ),
        "io.kestra.plugin.kestra.executions.Resume" if has("flowId") || has("namespace") => {
            Verdict::Refuse(format!(
                "plugin-kestra's Resume has no {}",
                present(&["flowId", "namespace"]).join(" or ")
            ))
        }
        "io.kestra.plugin.kestra.logs.Fetch"
        | "io.kestra.plugin.kestra.triggers.Toggle"
        | "io.kestra.plugin.kestra.executions.Resume"
        | "io.kestra.plugin.kestra.executions.Count" => Verdict::Unsafe(API_TASK.into()),
        "io.kestra.plugin.ee.git.SyncDashboards" => {
            Verdict::Unsafe("the task is Enterprise-only in Kestra 2.0 and needs `auth`".into())
        }
        "io.kestra.plugin.ee.git.PushDashboards" => Verdict::Unsafe(
            "the task is Enterprise-only in Kestra 2.0 and needs `auth`; its output `flows` \
             is named `dashboards`"
                .into(),
        ),
        _ => Verdict::Safe,
    }
}

/// The codemod: every row of the 2.0 table, whatever the target version.
pub(super) fn run(ctx: &FlowContext) -> Vec<Fix> {
    rename_types(ctx, |instance| {
        let row = row_2_0(instance)?;
        Some((row, Wording::Replaced))
    })
}
