//! The text of the new parent `tasks` and of each child flow, in the
//! parent file's own style.

use super::wiring::{output_expr, Export};
use crate::syntax::edit::{block_lines, node_text_at};
use crate::syntax::emit::string_scalar;
use crate::syntax::render::Fragment;
use crate::syntax::value::{ScalarStyle, Value};
use crate::syntax::{Style, SyntaxNode};
use std::collections::BTreeMap;

pub const SUBFLOW: &str = "io.kestra.plugin.core.flow.Subflow";

fn quoted(s: &str) -> String {
    string_scalar(s, ScalarStyle::DoubleQuoted, false)
}

fn plain(s: &str) -> String {
    string_scalar(s, ScalarStyle::Plain, false)
}

/// The comment lines attached above `node` and its text, written as a
/// member starting at column `col` (lines joined by `\n`, no final break).
pub fn member_text(text: &str, node: &SyntaxNode, col: usize) -> String {
    let start = usize::from(node.text_range().start());
    let mut out = " ".repeat(col);
    if let Some(lines) = block_lines(text, node) {
        let above = &text[usize::from(lines.start())..start];
        for line in above.lines() {
            let c = line.trim();
            if !c.is_empty() {
                out.push_str(c);
                out.push('\n');
                out.push_str(&" ".repeat(col));
            }
        }
    }
    let body = node_text_at(text, node, col).replace("\r\n", "\n");
    out.push_str(&body);
    out
}

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

/// What goes into one child flow file.
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
    /// The moved tasks' items (in the rewritten text).
    pub tasks: Vec<&'a SyntaxNode>,
    pub exports: &'a [Export],
}

/// The child flow's text, `eol` line breaks, final newline.
pub fn child(c: &Child, parent_text: &str, scratch: &str, style: &Style) -> String {
    let pad = " ".repeat(style.seq_indent);
    let col = style.seq_indent;
    let mut out = String::new();
    out.push_str(&format!("id: {}\n", plain(&c.id)));
    out.push_str(&format!("namespace: {}\n", plain(&c.namespace)));
    out.push_str(&format!(
        "description: {}\n",
        quoted(&format!(
            "Part {} of {} of flow {}, split by kestra-fix split-flow",
            c.part, c.parts, c.parent_id
        ))
    ));
    if !c.inputs.is_empty() || !c.imports.is_empty() {
        out.push_str("\ninputs:\n");
        for node in &c.inputs {
            out.push_str(&member_text(parent_text, node, col));
            out.push('\n');
        }
        for name in &c.imports {
            out.push_str(&format!(
                "{pad}- id: {}\n{pad}  type: STRING\n",
                plain(name)
            ));
        }
    }
    for node in &c.copied {
        out.push('\n');
        out.push_str(&member_text(parent_text, node, 0));
        out.push('\n');
    }
    out.push_str("\ntasks:\n");
    for node in &c.tasks {
        out.push_str(&member_text(scratch, node, col));
        out.push('\n');
    }
    if !c.exports.is_empty() {
        out.push_str("\noutputs:\n");
        for e in c.exports {
            out.push_str(&format!(
                "{pad}- id: {}\n{pad}  type: STRING\n{pad}  value: {}\n",
                plain(&e.name),
                quoted(&format!("{{{{ {} }}}}", output_expr(&e.task, &e.path)))
            ));
        }
    }
    if style.line_ending == "\r\n" {
        out = out.replace('\n', "\r\n");
    }
    out
}
