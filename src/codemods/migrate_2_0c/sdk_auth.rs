//! sdk-auth (MIGRATION-2.0.md D3): tasks that call the Kestra API need
//! `auth` in 2.0. For some, 2.0 refuses to save the flow without it; for
//! the others the call fails with 401 at run time unless the server or
//! the namespace provides credentials.

use super::{templated, SINCE};
use crate::codemods::{Codemod, Declaration, DefaultOn, Family, Fix, FlowContext, Phase, Safety};
use crate::fix::refusal::Refusal;
use crate::kestra::flow::PluginInstance;
use crate::syntax::ast::Node;
use crate::syntax::value::Value;

pub struct SdkAuth;

const NAME: &str = "sdk-auth";

/// 2.0 refuses to save these without `auth`.
const MANDATORY: &[&str] = &[
    "io.kestra.plugin.git.SyncFlow",
    "io.kestra.plugin.git.TenantSync",
    "io.kestra.plugin.git.NamespaceSync",
    "io.kestra.plugin.ee.git.SyncApps",
    "io.kestra.plugin.ee.git.SyncBlueprints",
    "io.kestra.plugin.ee.git.SyncUnitTests",
    "io.kestra.plugin.ee.git.SyncDashboards",
    "io.kestra.plugin.ee.git.PushApps",
    "io.kestra.plugin.ee.git.PushBlueprints",
    "io.kestra.plugin.ee.git.PushUnitTests",
    "io.kestra.plugin.ee.git.PushDashboards",
    "io.kestra.plugin.ee.git.Clone",
];

/// These fail at run time without credentials from somewhere.
const ADVISORY: &[&str] = &[
    "io.kestra.plugin.git.SyncFlows",
    "io.kestra.plugin.git.Sync",
    "io.kestra.plugin.git.PushFlows",
    "io.kestra.plugin.ai.tool.KestraFlow",
];
const ADVISORY_PREFIX: &str = "io.kestra.plugin.kestra.";
/// Calls the API only to list child namespaces.
const NAMESPACE_FILES: &str = "io.kestra.plugin.git.SyncNamespaceFiles";

const DECLARATION: Declaration = Declaration {
    name: NAME,
    family: Family::Migrate20,
    summary: "Report tasks calling the Kestra API without `auth`",
    safety: Safety::Safe,
    default_on: DefaultOn::Since(SINCE),
    phase: Phase::DETECTORS,
    docs: include_str!("../../../codemods/sdk-auth/README.md"),
};

impl Codemod for SdkAuth {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }

    fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
        let mut fixes = Vec::new();
        for inst in ctx.flow.instances() {
            if inst.mapping.get("auth").is_some() {
                continue;
            }
            let ty = ctx
                .catalog
                .canonical_name(&inst.type_name)
                .unwrap_or(&inst.type_name);
            let message = match need(ty, inst) {
                Some(Need::Mandatory) => format!(
                    "`{ty}` has no `auth`, which Kestra 2.0 requires to save the flow; add `auth` (an API token or basic credentials)"
                ),
                Some(Need::Advisory) => format!(
                    "`{ty}` has no `auth`: in Kestra 2.0 its calls to the Kestra API fail with 401 unless the server or namespace provides credentials; add `auth`"
                ),
                None => continue,
            };
            fixes.push(Fix::refused(
                inst.type_range(),
                "",
                Refusal::unsupported(message),
            ));
        }
        fixes
    }
}

enum Need {
    Mandatory,
    Advisory,
}

fn need(ty: &str, inst: &PluginInstance) -> Option<Need> {
    if MANDATORY.contains(&ty) {
        return Some(Need::Mandatory);
    }
    if ADVISORY.contains(&ty) || ty.starts_with(ADVISORY_PREFIX) {
        return Some(Need::Advisory);
    }
    if ty == NAMESPACE_FILES {
        let children = match inst.mapping.get_value("includeChildNamespaces") {
            Some(Node::Scalar(s)) => s.data() == Value::Bool(true) || templated(&s.value()),
            _ => false,
        };
        return children.then_some(Need::Advisory);
    }
    None
}
