//! reserved-flow-ids (MIGRATION-2.0.md rule 21): a flow whose `id` is one
//! of the words Kestra's API routes use (`pause`, `search`...) gets the id
//! `<id>-flow`.
//!
//! Unsafe: it makes a different flow. Its executions, trigger state and
//! every reference to it (Subflow and Flow-trigger `flowId`, API calls,
//! other namespaces) keep the old id, and `<id>-flow` may exist already.
//! Kestra rejects these ids since 1.0, so only older flows hit it.

use super::{refused, SINCE_2_0};
use crate::codemods::{
    Applicability, Codemod, Declaration, Family, Fix, FlowContext, Phase, Safety,
};
use crate::kestra::path::DataPath;
use crate::syntax::ast::{AstNode, Node};
use crate::syntax::value::Value;

pub struct ReservedFlowIds;

const RESERVED: [&str; 10] = [
    "pause",
    "resume",
    "force-run",
    "change-status",
    "kill",
    "executions",
    "search",
    "source",
    "disable",
    "enable",
];

const DECLARATION: Declaration = Declaration {
    name: "reserved-flow-ids",
    family: Family::Migrate20,
    summary: "Flow ids Kestra reserves for its API (`pause`, `search`...) -> `<id>-flow`",
    safety: Safety::Unsafe,
    default_on: SINCE_2_0,
    phase: Phase::FLOW,
    docs: include_str!("../../../codemods/reserved-flow-ids/README.md"),
};

impl Codemod for ReservedFlowIds {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }

    fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
        let Some(Node::Scalar(id)) = ctx.flow.root().get_value("id") else {
            return Vec::new();
        };
        let old = id.value().into_owned();
        if !RESERVED.contains(&old.as_str()) {
            return Vec::new();
        }
        let range = id.syntax().text_range();
        let new = format!("{old}-flow");
        let what = format!("flow id `{old}` is reserved by Kestra's API since 1.0");
        let mut editor = ctx.editor();
        vec![
            match editor.set_scalar(&DataPath::root().key("id"), Value::String(new.clone())) {
                Ok(()) => editor.into_fix(
                    range,
                    format!("{what}; renaming it to `{new}` makes a new flow: past executions and trigger state stay with `{old}`, every Subflow, Flow trigger, API call or other namespace naming `{old}` must be updated, and `{new}` may exist already"),
                    Applicability::Unsafe,
                ),
                Err(why) => refused(range, &what, &why),
            },
        ]
    }
}
