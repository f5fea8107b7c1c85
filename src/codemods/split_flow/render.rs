//! The text of the new parent `tasks` and of each child flow, in the
//! parent file's own style.

use super::wiring::{output_expr, Export};
use crate::syntax::ast::{AstNode, Entry};
use crate::syntax::render::{copy_member, document, Fragment, RenderError};
use crate::syntax::value::{ScalarStyle, Value};
use crate::syntax::{Style, SyntaxNode};
use std::collections::BTreeMap;

pub const SUBFLOW: &str = "io.kestra.plugin.core.flow.Subflow";

/// One Subflow call of the new parent.
pub struct Call {
    pub id: String,
    pub flow_id: String,
    /// Child input id -> Pebble text passed.
    pub inputs: BTreeMap<String, String>,
}

/// The parent's new `tasks`: one Subflow call per child.
pub fn parent_tasks(calls: &[Call], namespace: &str) -> Fragment {
    let calls = calls
        .iter()
        .map(|c| {
            let mut map = vec![
                ("id".to_string(), Fragment::string(c.id.clone())),
                ("type".into(), Fragment::string(SUBFLOW)),
                ("namespace".into(), Fragment::string(namespace)),
                ("flowId".into(), Fragment::string(c.flow_id.clone())),
                ("wait".into(), Fragment::Data(Value::Bool(true))),
                ("transmitFailed".into(), Fragment::Data(Value::Bool(true))),
            ];
            if !c.inputs.is_empty() {
                let inputs = c
                    .inputs
                    .iter()
                    .map(|(k, v)| (k.clone(), expression(v)))
                    .collect();
                map.push(("inputs".into(), Fragment::Map(inputs)));
            }
            Fragment::Map(map)
        })
        .collect();
    Fragment::Seq(calls)
}

/// A Pebble expression, double-quoted as Kestra's docs write them.
fn expression(text: &str) -> Fragment {
    Fragment::Styled(Value::String(text.into()), ScalarStyle::DoubleQuoted)
}

/// What goes into one child flow file. Every node is of the rewritten
/// text the child is rendered from.
pub struct Child<'a> {
    pub id: String,
    pub namespace: String,
    pub parent_id: String,
    pub part: usize,
    pub parts: usize,
    /// Parent `inputs` items copied as they are.
    pub inputs: Vec<&'a SyntaxNode>,
    /// Values taken from earlier children, declared as STRING inputs.
    pub imports: Vec<String>,
    /// Top-level entries copied as they are (`variables`, `pluginDefaults`).
    pub copied: Vec<&'a SyntaxNode>,
    /// The moved tasks' items.
    pub tasks: Vec<&'a SyntaxNode>,
    pub exports: &'a [Export],
}

/// The child flow's text in `style`, rendered from `src` (the rewritten
/// parent text holding every node of `c`).
pub fn child(c: &Child, src: &str, style: &Style) -> Result<String, RenderError> {
    let copy = |node: &SyntaxNode| copy_member(src, node).ok_or(RenderError::Detached);
    // A STRING input or output named `name`.
    let declaration = |name: &str| {
        vec![
            ("id".to_string(), Fragment::string(name)),
            ("type".into(), Fragment::string("STRING")),
        ]
    };
    let head = vec![
        ("id".to_string(), Fragment::string(c.id.clone())),
        ("namespace".into(), Fragment::string(c.namespace.clone())),
        (
            "description".into(),
            Fragment::Styled(
                Value::String(format!(
                    "Part {} of {} of flow {}, split by kestra-fix split-flow",
                    c.part, c.parts, c.parent_id
                )),
                ScalarStyle::DoubleQuoted,
            ),
        ),
    ];
    let mut sections = vec![head];
    if !c.inputs.is_empty() || !c.imports.is_empty() {
        let mut items = c
            .inputs
            .iter()
            .map(|n| copy(n))
            .collect::<Result<Vec<_>, _>>()?;
        items.extend(
            c.imports
                .iter()
                .map(|name| Fragment::Map(declaration(name))),
        );
        sections.push(vec![("inputs".into(), Fragment::Seq(items))]);
    }
    for node in &c.copied {
        let key = Entry::cast((*node).clone())
            .and_then(|e| e.key_text())
            .ok_or(RenderError::Detached)?;
        sections.push(vec![(key, copy(node)?)]);
    }
    let tasks = c.tasks.iter().map(|n| copy(n)).collect::<Result<_, _>>()?;
    sections.push(vec![("tasks".into(), Fragment::Seq(tasks))]);
    if !c.exports.is_empty() {
        let outputs = c
            .exports
            .iter()
            .map(|e| {
                let mut entries = declaration(&e.name);
                let value = format!("{{{{ {} }}}}", output_expr(&e.task, &e.path));
                entries.push(("value".into(), expression(&value)));
                Fragment::Map(entries)
            })
            .collect();
        sections.push(vec![("outputs".into(), Fragment::Seq(outputs))]);
    }
    document(src, &sections, style)
}
