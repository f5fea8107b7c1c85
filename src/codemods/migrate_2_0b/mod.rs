//! Kestra 2.0 migration rules, part B: the structural rules of
//! `MIGRATION-2.0.md` (rules 10, 11, 13, 17, 18, 21, 23, 24, 25), one codemod
//! per file. What they share lives here: the options they (do not) take,
//! where plugin configuration is written, and how a refusal is reported.

mod dbt_build_to_dbt_cli;
mod ee_git_clone;
mod fetch_type_booleans;
mod http_basic_auth;
mod http_removed_options;
mod purge_kv_behavior;
mod reserved_flow_ids;
mod state_store_to_kv;
mod worker_group_to_selector;

pub use dbt_build_to_dbt_cli::DbtBuildToDbtCli;
pub use ee_git_clone::EeGitClone;
pub use fetch_type_booleans::FetchTypeBooleans;
pub use http_basic_auth::HttpBasicAuth;
pub use http_removed_options::HttpRemovedOptions;
pub use purge_kv_behavior::PurgeKvBehavior;
pub use reserved_flow_ids::ReservedFlowIds;
pub use state_store_to_kv::StateStoreToKv;
pub use worker_group_to_selector::WorkerGroupToSelector;

use super::{Fix, FlowContext};
pub(super) use crate::codemods::SINCE_2_0;
use crate::fix::refusal::Refusal;
use crate::kestra::defaults::default_matches;
use crate::kestra::path::DataPath;
use crate::syntax::ast::{AstNode, Mapping, Node};
use crate::syntax::TextRange;

/// A mapping that holds plugin configuration: a plugin instance, or the
/// `values` of a `pluginDefaults` entry (which Kestra merges into every
/// instance its `type` matches, so 1.x property names there break 2.0 too).
struct Target {
    path: DataPath,
    mapping: Mapping,
    /// The instance's type, or the defaults entry's (a type or a prefix).
    type_name: String,
    /// How messages name it: "`x`" (its id), "`tasks[2]`", "the
    /// pluginDefaults entry for `T`".
    label: String,
    /// The `values` of a `pluginDefaults` entry, not an instance.
    is_default: bool,
}

impl Target {
    /// The key of `key`'s entry, where a finding about it points.
    fn key_range(&self, key: &str) -> Option<TextRange> {
        Some(self.mapping.get(key)?.key_scalar()?.syntax().text_range())
    }

    /// The mapping at `key`, when its value is one.
    fn map_at(&self, key: &str) -> Option<Mapping> {
        match self.mapping.get_value(key)? {
            Node::Mapping(m) => Some(m),
            _ => None,
        }
    }
}

/// Plugin instances, and with `defaults` the `values` of every
/// `pluginDefaults` entry, in document order of each group.
fn targets(ctx: &FlowContext, defaults: bool) -> std::rc::Rc<Vec<Target>> {
    let name = if defaults {
        concat!(module_path!(), "::targets+defaults")
    } else {
        concat!(module_path!(), "::targets")
    };
    ctx.memo(name, |ctx| build_targets(ctx, defaults))
}

fn build_targets(ctx: &FlowContext, defaults: bool) -> Vec<Target> {
    let mut out: Vec<Target> = ctx
        .flow
        .instances()
        .iter()
        .map(|inst| Target {
            path: inst.path.clone(),
            mapping: inst.mapping.clone(),
            type_name: inst.type_name.clone(),
            label: inst
                .id()
                .map_or_else(|| format!("`{}`", inst.path), |id| format!("`{id}`")),
            is_default: false,
        })
        .collect();
    if defaults {
        for entry in ctx.flow.plugin_defaults() {
            if let Some(Node::Mapping(values)) = entry.mapping.get_value("values") {
                out.push(Target {
                    path: entry.path.key("values"),
                    mapping: values,
                    label: format!("the pluginDefaults entry for `{}`", entry.type_name),
                    type_name: entry.type_name,
                    is_default: true,
                });
            }
        }
    }
    out
}

/// Text of a scalar node as written in the flow (decoded), `None` for a
/// collection, an alias or nothing.
fn scalar_text(node: Option<Node>) -> Option<String> {
    match node? {
        Node::Scalar(s) => Some(s.value().into_owned()),
        _ => None,
    }
}

/// A finding for a fix the editor refused.
fn refused(range: TextRange, what: &str, why: &Refusal) -> Fix {
    Fix::refused(range, what, Refusal::by_hand("change", why.clone()))
}

/// Why changing an instance's type from `old` to `new` would change which
/// of the flow's `pluginDefaults` apply to it, if it would.
fn defaults_change(ctx: &FlowContext, old: &str, new: &str) -> Option<Refusal> {
    ctx.flow.plugin_defaults().iter().find_map(|d| {
        let (was, will) = (
            default_matches(&d.type_name, old),
            default_matches(&d.type_name, new),
        );
        (was != will).then(|| Refusal::DefaultsChange {
            entry: d.type_name.clone(),
            starts: will,
        })
    })
}
