//! split-flow: a flow with more than `max-tasks` tasks becomes a parent
//! calling child flows through `io.kestra.plugin.core.flow.Subflow`.
//!
//! The top-level tasks are cut into consecutive groups (never inside a
//! container); each group moves, text and comments included, into a new
//! file beside the flow, and the parent's `tasks` become one Subflow call
//! per group. Every Pebble reference that crosses a new boundary is wired
//! through typed inputs and flow outputs ([`wiring`]), or the split is
//! refused with the reason. The fix is always unsafe: each part runs as its
//! own execution.

mod grouping;
mod render;
mod wiring;

use super::{
    Applicability, Codemod, Declaration, DefaultOn, Family, Fix, FlowContext, NewFile,
    ParsedOptions, Phase, Safety,
};
use crate::codemods::read_options;
use crate::fix::refusal::Refusal;
use crate::kestra::ids::{check_flow_id, check_namespace};
use crate::kestra::path::DataPath;
use crate::syntax::ast::{AstNode, Mapping, Node};
use crate::syntax::edit::{apply_edits, replace_scalar, TextEdit};
use crate::syntax::value::{decode_documents, Value};
use crate::syntax::{self, SyntaxKind, SyntaxNode, TextRange};
use grouping::TopTask;
use render::{Call, Child};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use wiring::{scalars, Site, Wiring};

pub struct SplitFlow;

const NAME: &str = "split-flow";

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Options {
    #[serde(default = "default_max_tasks")]
    max_tasks: usize,
}

fn default_max_tasks() -> usize {
    100
}

impl Options {
    fn read(table: &toml::Table) -> Result<Options, String> {
        let o = read_options::<Options>(table)?;
        if o.max_tasks < 2 {
            return Err("`max-tasks` must be at least 2".into());
        }
        Ok(o)
    }
}

const DECLARATION: Declaration = Declaration {
    name: NAME,
    family: Family::BestPractice,
    summary: "Split a flow with more than `max-tasks` tasks into a parent calling child subflows",
    safety: Safety::Unsafe,
    default_on: DefaultOn::Never,
    phase: Phase::STRUCTURE,
    docs: include_str!("../../../codemods/split-flow/README.md"),
};

impl Codemod for SplitFlow {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }

    fn parse_options(&self, options: &toml::Table) -> Result<ParsedOptions, String> {
        Options::read(options).map(ParsedOptions::new)
    }

    fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
        let options: &Options = ctx.options();
        let max = options.max_tasks;
        let total = ctx
            .flow
            .plugin_instances()
            .iter()
            .filter(|i| i.path.section() == Some("tasks") && i.id().is_some())
            .count();
        if total <= max {
            return Vec::new();
        }
        let Some(entry) = ctx.flow.root().get("tasks") else {
            return Vec::new();
        };
        let range = entry
            .key_scalar()
            .map_or(entry.syntax().text_range(), |k| k.syntax().text_range());
        let head = format!("the flow has {total} tasks, more than max-tasks ({max})");
        match split(ctx, max, range) {
            Ok(fix) => vec![Fix {
                message: format!("{head}: {}", fix.message),
                ..fix
            }],
            Err(refusals) => {
                let mut seen = BTreeSet::new();
                refusals
                    .into_iter()
                    .filter(|(r, why)| seen.insert((r.start(), r.end(), why.clone())))
                    .map(|(r, why)| {
                        Fix::refused(
                            r,
                            "",
                            Refusal::unsupported(format!("{head}, but it cannot be split: {why}")),
                        )
                    })
                    .collect()
            }
        }
    }
}

type Refusals = Vec<(TextRange, String)>;

/// Input types whose value survives being rendered to a string and read
/// back by the child's input of the same type.
const PASSABLE_INPUT_TYPES: &[&str] = &[
    "STRING", "INT", "FLOAT", "BOOLEAN", "DATETIME", "DATE", "TIME", "DURATION", "FILE", "URI",
    "EMAIL", "ENUM", "SELECT",
];

/// Top-level sections that stay on the parent and may read task outputs.
const PARENT_SECTIONS: &[&str] = &["outputs", "errors", "finally", "afterExecution"];

fn split(ctx: &FlowContext, max: usize, range: TextRange) -> Result<Fix, Refusals> {
    let refuse = |why: String| vec![(range, why)];
    let flow = ctx.flow;
    let root = flow.root();
    let id = flow.id().unwrap_or_default();
    check_flow_id(&id).map_err(|e| refuse(format!("{e}, so it cannot name a child flow file")))?;
    let namespace = flow.namespace().unwrap_or_default();
    check_namespace(&namespace).map_err(refuse)?;
    let anchored = ctx.parse.syntax().descendants().any(|n| {
        n.kind() == SyntaxKind::ALIAS
            || (n.kind() == SyntaxKind::PROPERTIES
                && crate::syntax::ast::Properties::cast(n)
                    .and_then(|p| p.anchor())
                    .is_some())
    });
    if anchored {
        return Err(refuse(
            "it uses YAML anchors or aliases, which cannot be split across files".into(),
        ));
    }
    if ctx.parse.stream().documents().count() > 1 {
        return Err(refuse("the file holds more than one YAML document".into()));
    }
    let tasks = grouping::tasks(flow).map_err(refuse)?;
    let groups = grouping::groups(&tasks.top, max).map_err(|i| {
        let t: &TopTask = &tasks.top[i];
        vec![(
            t.item.syntax().text_range(),
            format!(
                "task `{}` alone holds {} tasks, more than max-tasks, and a container is never split",
                t.id, t.count
            ),
        )]
    })?;
    if groups.len() > max {
        return Err(refuse(format!(
            "it would need {} subflow calls, more than max-tasks itself",
            groups.len()
        )));
    }
    let n = groups.len();
    let calls: Vec<String> = (1..=n).map(|i| format!("part_{i}")).collect();
    let child_ids: Vec<String> = (1..=n).map(|i| format!("{id}_part_{i}")).collect();
    if let Some(c) = child_ids.iter().find(|c| c.len() > 100) {
        return Err(refuse(format!(
            "the child flow id `{c}` would be longer than Kestra's 100 characters"
        )));
    }
    let all_ids: BTreeSet<String> = flow
        .plugin_instances()
        .iter()
        .filter_map(|i| i.id())
        .collect();
    if let Some(c) = calls.iter().find(|c| all_ids.contains(*c)) {
        return Err(refuse(format!(
            "a task is already called `{c}`, the id the subflow call would take"
        )));
    }
    let mut group_of = vec![0; tasks.top.len()];
    for (g, r) in groups.iter().enumerate() {
        for i in r.clone() {
            group_of[i] = g;
        }
    }

    let input_items = inputs_by_id(flow);
    let input_ids: BTreeSet<String> = input_items.keys().cloned().collect();

    let mut w = Wiring::new(&tasks.owner, &group_of, &input_ids, &calls, n);
    let tasks_path = DataPath::root().key("tasks");
    for (i, t) in tasks.top.iter().enumerate() {
        let mut found = Vec::new();
        if let Some(v) = t.item.value() {
            scalars(&v, tasks_path.index(i), &mut found);
        }
        for at in &found {
            w.scalar(at, Site::Group(group_of[i]));
        }
    }
    for section in PARENT_SECTIONS {
        let mut found = Vec::new();
        if let Some(v) = root.get_value(section) {
            scalars(&v, DataPath::root().key(*section), &mut found);
        }
        for at in &found {
            w.scalar(at, Site::Parent);
        }
    }
    let defaults_keys: Vec<&str> = crate::kestra::flow::DEFAULTS_KEYS
        .iter()
        .copied()
        .filter(|k| root.get(k).is_some())
        .collect();
    let copied_scalars = |key: &str, w: &mut Wiring| {
        let mut found = Vec::new();
        if let Some(v) = root.get_value(key) {
            scalars(&v, DataPath::root().key(key), &mut found);
        }
        for at in &found {
            w.scalar(at, Site::Copied);
        }
    };
    for key in &defaults_keys {
        copied_scalars(key, &mut w);
    }
    let needs_vars: Vec<bool> = (0..n)
        .map(|g| w.plan.vars[g] || w.plan.copied_vars)
        .collect();
    if needs_vars.iter().any(|&v| v) {
        copied_scalars("variables", &mut w);
    }
    let mut plan = w.plan;
    let mut refusals = std::mem::take(&mut plan.refusals);

    // Every input a child takes must pass through a string exactly.
    let mut needed: BTreeSet<&String> = plan.copied_inputs.iter().collect();
    needed.extend(plan.inputs.iter().flatten());
    for iid in needed {
        let (node, m) = &input_items[iid];
        let ty = m.get_str("type").unwrap_or_default();
        let optional =
            matches!(m.get_value("required"), Some(Node::Scalar(s)) if s.value() == "false");
        let at = node.text_range();
        if !PASSABLE_INPUT_TYPES.contains(&ty.as_str()) {
            refusals.push((at, format!("input `{iid}` of type `{ty}` is needed by a child, and a value of that type does not pass through a Subflow input exactly")));
        } else if m.get("dependsOn").is_some() {
            refusals.push((
                at,
                format!(
                    "input `{iid}` is needed by a child and depends on other inputs (`dependsOn`)"
                ),
            ));
        } else if optional && m.get("defaults").is_none() {
            refusals.push((at, format!("input `{iid}` is optional without a default: an absent value cannot be passed to a child exactly")));
        }
    }
    if !refusals.is_empty() {
        return Err(refusals);
    }

    // Rewrite every crossing reference in a scratch copy; children are cut
    // from it, parent-side rewrites are also edits of the fix.
    let edits: Vec<(TextEdit, &wiring::Rewrite)> = plan
        .rewrites
        .iter()
        .map(|r| (replace_scalar(ctx.text, &r.at.scalar, &r.value), r))
        .collect();
    let all: Vec<TextEdit> = edits.iter().map(|(e, _)| e.clone()).collect();
    let scratch =
        apply_edits(ctx.text, &all).ok_or_else(|| refuse("internal: rewrites overlap".into()))?;
    let scratch_parse = syntax::parse(&scratch);
    let scratch_data = decode_documents(&scratch_parse)
        .ok()
        .filter(|_| scratch_parse.errors().is_empty())
        .and_then(|d| d.into_iter().next())
        .ok_or_else(|| refuse("a rewritten expression does not parse back".into()))?;
    for r in &plan.rewrites {
        if r.at.path.lookup(&scratch_data) != Some(&Value::String(r.value.clone())) {
            return Err(vec![(
                r.at.scalar.syntax().text_range(),
                format!(
                    "{}: the rewritten expression cannot be written exactly in this scalar's style",
                    r.at.path
                ),
            )]);
        }
    }
    let scratch_flow = crate::kestra::flow::Flow::cast(&scratch_parse)
        .ok_or_else(|| refuse("internal: the rewritten flow is not a flow".into()))?;
    let scratch_items: Vec<SyntaxNode> = match scratch_flow.root().get_value("tasks") {
        Some(Node::Sequence(s)) => s.items().map(|i| i.syntax().clone()).collect(),
        _ => Vec::new(),
    };
    if scratch_items.len() != tasks.top.len() {
        return Err(refuse(
            "internal: the rewritten tasks do not line up".into(),
        ));
    }

    // Children copy from the rewritten text, which differs from the
    // parent's only in rewritten task expressions: a copied section needing
    // a rewrite was refused.
    let style = ctx.style().clone();
    let scratch_root = scratch_flow.root();
    let scratch_inputs = inputs_by_id(&scratch_flow);
    let variables = scratch_root.get("variables").map(|e| e.syntax().clone());
    let defaults: Vec<SyntaxNode> = defaults_keys
        .iter()
        .filter_map(|k| scratch_root.get(k))
        .map(|e| e.syntax().clone())
        .collect();
    let mut new_files = Vec::new();
    let mut call_specs = Vec::new();
    for (g, r) in groups.iter().enumerate() {
        let mut inputs: BTreeSet<&String> = plan.inputs[g].iter().collect();
        inputs.extend(plan.copied_inputs.iter());
        let mut copied: Vec<&SyntaxNode> = Vec::new();
        if needs_vars[g] {
            copied.extend(variables.as_ref());
        }
        copied.extend(defaults.iter());
        let imports: Vec<String> = plan.imports[g].keys().cloned().collect();
        let child = Child {
            id: child_ids[g].clone(),
            namespace: namespace.clone(),
            parent_id: id.clone(),
            part: g + 1,
            parts: n,
            inputs: inputs.iter().map(|i| &scratch_inputs[*i].0).collect(),
            imports: imports.clone(),
            copied,
            tasks: scratch_items[r.clone()].iter().collect(),
            exports: &plan.exports[g],
        };
        let contents = render::child(&child, &scratch, &style).map_err(|e| {
            refuse(format!(
                "internal: child flow {} cannot be written: {e}",
                g + 1
            ))
        })?;
        check_child(&contents)
            .map_err(|e| refuse(format!("internal: child flow {} {e}", g + 1)))?;
        new_files.push(NewFile {
            path: format!("{}.yaml", child_ids[g]).into(),
            contents,
        });
        let mut call_inputs = BTreeMap::new();
        for i in &inputs {
            call_inputs.insert((*i).clone(), format!("{{{{ inputs.{i} }}}}"));
        }
        for (name, producer) in &plan.imports[g] {
            call_inputs.insert(
                name.clone(),
                format!("{{{{ outputs.{}.outputs.{name} }}}}", calls[*producer]),
            );
        }
        call_specs.push(Call {
            id: calls[g].clone(),
            flow_id: child_ids[g].clone(),
            inputs: call_inputs,
        });
    }

    // The parent: `tasks` replaced, parent-side expressions rewritten.
    let mut editor = ctx.editor();
    let planned = editor.transaction(|e| {
        e.replace_value(&tasks_path, render::parent_tasks(&call_specs, &namespace))?;
        for r in plan.rewrites.iter().filter(|r| r.site == Site::Parent) {
            e.set_scalar(&r.at.path, Value::String(r.value.clone()))?;
        }
        Ok(())
    });
    planned.map_err(|e| refuse(e.to_string()))?;
    let names: Vec<String> = new_files
        .iter()
        .map(|f| format!("`{}`", f.path.display()))
        .collect();
    let message = format!(
        "split into {n} child flows called with Subflow ({}); unsafe: each part runs as its own execution (its own execution id, `flow.*`, no labels of the parent), values passed between parts become strings, and a part's outputs are missing when it fails",
        names.join(", ")
    );
    let mut fix = editor.into_fix(range, message, Applicability::Unsafe);
    for f in new_files {
        fix = fix.with_new_file(f);
    }
    Ok(fix)
}

/// A flow's inputs by id.
fn inputs_by_id(flow: &crate::kestra::flow::Flow) -> BTreeMap<String, (SyntaxNode, Mapping)> {
    let mut items = BTreeMap::new();
    if let Some(seq) = flow.inputs() {
        for item in seq.items() {
            if let Some(Node::Mapping(m)) = item.value() {
                if let Some(iid) = m.get_str("id") {
                    items.insert(iid, (item.syntax().clone(), m));
                }
            }
        }
    }
    items
}

/// A child must parse with both parsers and be a flow.
fn check_child(text: &str) -> Result<(), String> {
    let parse = syntax::parse(text);
    if let Some(e) = parse.errors().first() {
        return Err(format!("does not parse: {}", e.message));
    }
    if crate::kestra::flow::Flow::cast(&parse).is_none() {
        return Err("is not a flow".into());
    }
    crate::fix::oracle::load(text).map_err(|e| format!("is not valid YAML: {e}"))?;
    Ok(())
}
