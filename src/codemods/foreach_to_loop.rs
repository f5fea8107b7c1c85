//! foreach-to-loop: Kestra 2.0 removes `ForEach`, `EachSequential` and
//! `EachParallel`; `io.kestra.plugin.core.flow.Loop` replaces them
//! (MIGRATION-2.0.md D1, https://kestra.io/docs/migration-guide/v2.0.0/foreach-loop).
//!
//! What the rewrite relies on, read from Kestra's sources (kestra-io/kestra,
//! `core/src/main/java/io/kestra/plugin/core/flow/Loop.java` and the 1.x
//! `ForEach.java`, `FlowableUtils.resolveTasks`):
//! - Loop renders `values` (a list, a JSON string, a map or an internal
//!   storage URI) and runs its `tasks` once per item, each iteration in a
//!   sub-execution of its own; the item is `item.value`, for every task of
//!   the iteration, however deep.
//! - `concurrencyLimit` defaults to 0 (no limit) on Loop and to 1 on
//!   ForEach; EachSequential ran one value at a time, EachParallel's
//!   `concurrent` (default 0) meant the same as `concurrencyLimit`.
//! - In a ForEach, only the direct children's task runs carry the value
//!   (`resolveTasks` does not pass it further down): `taskrun.value` deeper
//!   is not the loop's, and is left to a person.
//! - Outputs of the iteration's tasks are not visible after a Loop unless
//!   declared in its `outputs`; inside an iteration, a task reads its
//!   siblings' outputs without the `[taskrun.value]` key (Loop's example
//!   declares `value: "{{ outputs.process.value }}"`).
//! - What is not confirmed is refused: the item's position variable (the
//!   docs say `item.index`, the output model `iteration`), so templates
//!   reading `taskrun.iteration` are; `errors`/`finally`, which a Loop
//!   runs inside each iteration, are.

use super::{Applicability, Codemod, Declaration, Family, Fix, FlowContext, Phase, Safety};
use crate::fix::editor::Editor;
use crate::kestra::catalog::Answer;
use crate::kestra::flow::PluginInstance;
use crate::kestra::path::{scalar_values, DataPath};
use crate::kestra::pebble::{self, walk, Expr, ExprKind, Node as Tag, Reference};
use crate::syntax::ast::{AstNode, Node, Scalar};
use crate::syntax::edit::Position;
use crate::syntax::render::Fragment;
use crate::syntax::scalar_map::ScalarMap;
use crate::syntax::value::Value;
use std::collections::BTreeSet;
use std::ops::Range;

pub struct ForeachToLoop;

const NAME: &str = "foreach-to-loop";

const LOOP: &str = "io.kestra.plugin.core.flow.Loop";

const DECLARATION: Declaration = Declaration {
    name: NAME,
    family: Family::Migrate20,
    summary: "Rewrite `ForEach`, `EachSequential` and `EachParallel` as 2.0's `Loop`",
    safety: Safety::Unsafe,
    default_on: crate::codemods::SINCE_2_0,
    phase: Phase::TYPE_REWRITES,
    docs: include_str!("../../codemods/foreach-to-loop/README.md"),
};

/// The loop kinds this codemod rewrites.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    ForEach,
    Sequential,
    Parallel,
    /// `ForEachItem`: batches of a file, each one a subflow execution.
    Item,
}

fn kind(type_name: &str) -> Option<Kind> {
    let short = type_name
        .strip_prefix("io.kestra.plugin.core.flow.")
        .or_else(|| type_name.strip_prefix("io.kestra.core.tasks.flows."))?;
    Some(match short {
        "ForEach" if type_name.starts_with("io.kestra.plugin.") => Kind::ForEach,
        "EachSequential" => Kind::Sequential,
        "EachParallel" => Kind::Parallel,
        "ForEachItem" => Kind::Item,
        _ => return None,
    })
}

fn is_loop(type_name: &str) -> bool {
    type_name == LOOP || kind(type_name).is_some()
}

impl Codemod for ForeachToLoop {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }

    fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
        let instances = ctx.flow.instances();
        if !instances.iter().any(|i| kind(&i.type_name).is_some()) {
            return Vec::new();
        }
        let mut scalars = Vec::new();
        if let Some(body) = ctx.parse.stream().first_document().and_then(|d| d.body()) {
            scalar_values(
                &body,
                &DataPath::root(),
                &|s| {
                    // A template opens with `{`, written or (quoted) escaped.
                    let raw = s.syntax().text();
                    (raw.contains_char('{') || raw.contains_char('\\'))
                        && matches!(s.data(), Value::String(_))
                        && pebble::has_template(ScalarMap::new(s.syntax()).decoded())
                },
                &mut scalars,
            );
        }
        instances
            .iter()
            .filter(|i| kind(&i.type_name).is_some())
            .filter(|i| !ctx.is_suppressed(i.type_range().start()))
            .map(|inst| {
                let title = format!("`{}` is removed in Kestra 2.0", inst.type_name);
                match plan(ctx, instances, &scalars, inst) {
                    Ok((editor, notes)) => {
                        let mut message = format!(
                            "{title}: replace it with `{LOOP}`; each iteration then runs as a separate \
                             sub-execution (the children's execution ids, task runs and logs move there)"
                        );
                        for note in notes {
                            message.push_str("; ");
                            message.push_str(&note);
                        }
                        editor.into_fix(inst.type_range(), message, Applicability::Unsafe)
                    }
                    Err(why) => Fix::display_only(
                        inst.type_range(),
                        format!("{title}; not rewritten as `{LOOP}`: {why}"),
                    ),
                }
            })
            .collect()
    }
}

fn under(path: &DataPath, base: &DataPath) -> bool {
    path.segments().len() > base.segments().len() && path.segments().starts_with(base.segments())
}

/// The rewrite of one loop, with what its message adds, or why not.
fn plan<'c>(
    ctx: &'c FlowContext,
    instances: &[PluginInstance],
    scalars: &[(DataPath, Scalar)],
    inst: &PluginInstance,
) -> Result<(Editor<'c>, Vec<String>), String> {
    let kind = kind(&inst.type_name).expect("a loop type");
    if kind == Kind::Item {
        return Err(
            "`ForEachItem` splits a file into batches and starts a subflow execution \
                    per batch; a `Loop` iterates values inside this flow: rewrite it by hand"
                .into(),
        );
    }
    if inst.anchored {
        return Err("it is inside an anchored node, which aliases repeat elsewhere".into());
    }
    let path = &inst.path;
    if instances
        .iter()
        .any(|o| under(path, &o.path) && is_loop(&o.type_name))
    {
        return Err(
            "it is nested in another loop: map `parent.taskrun.value` to \
                    `item.parent.value` by hand, outer loop first"
                .into(),
        );
    }
    if instances
        .iter()
        .any(|o| under(&o.path, path) && is_loop(&o.type_name))
    {
        return Err(
            "it holds another loop: map each level's `taskrun.value` and \
                    `parent.taskrun.value` to `item.value` and `item.parent.value` by hand"
                .into(),
        );
    }
    let mapping = &inst.mapping;
    for key in ["errors", "finally"] {
        if mapping.get(key).is_some() {
            return Err(format!(
                "it has `{key}`, which ran once for the whole loop and a `Loop` runs in each \
                 iteration's sub-execution"
            ));
        }
    }

    let (values_key, renames): (&str, &[(&str, &str)]) = match kind {
        Kind::ForEach => ("values", &[]),
        Kind::Sequential => ("value", &[("value", "values")]),
        Kind::Parallel => (
            "value",
            &[("value", "values"), ("concurrent", "concurrencyLimit")],
        ),
        Kind::Item => unreachable!("refused above"),
    };
    let mut notes = Vec::new();
    match mapping.get_value(values_key) {
        None => return Err(format!("it has no `{values_key}`")),
        Some(Node::Scalar(s)) => {
            if pebble::has_template(ScalarMap::new(s.syntax()).decoded()) {
                notes.push(format!(
                    "check that `{values_key}` renders a JSON array: a `Loop` also iterates a \
                     JSON object's entries and an internal-storage URI's lines"
                ));
            }
        }
        Some(Node::Sequence(_)) => {}
        Some(_) => {
            return Err(format!(
                "its `{values_key}` is not a list or a string: a `Loop` iterates a map's \
                 entries as `item.key` and `item.value`"
            ))
        }
    }
    let mut unknown: Vec<String> = mapping
        .entries()
        .filter_map(|e| e.key_text())
        .map(|k| {
            renames
                .iter()
                .find(|(from, _)| *from == k)
                .map_or(k.clone(), |(_, to)| to.to_string())
        })
        .filter(|k| ctx.catalog.has_property(LOOP, k) == Answer::No)
        .collect();
    unknown.sort();
    if !unknown.is_empty() {
        let list: Vec<String> = unknown.iter().map(|k| format!("`{k}`")).collect();
        return Err(format!("a `Loop` has no {}", list.join(", ")));
    }

    let tasks = path.key("tasks");
    let inside: Vec<&PluginInstance> = instances
        .iter()
        .filter(|o| under(&o.path, &tasks))
        .collect();
    let children: BTreeSet<String> = inside
        .iter()
        .filter(|o| o.path.segments().len() == tasks.segments().len() + 1)
        .filter_map(|o| o.id())
        .collect();
    let descendants: BTreeSet<String> = inside.iter().filter_map(|o| o.id()).collect();
    // Tasks below the children: their task runs never carried the value.
    let deep: Vec<&DataPath> = inside
        .iter()
        .filter(|o| o.path.segments().len() > tasks.segments().len() + 1)
        .filter(|o| {
            ctx.catalog
                .get(&o.type_name)
                .is_none_or(|t| t.kind() == "task")
        })
        .map(|o| &o.path)
        .collect();

    // Nothing after the loop may read what ran inside it.
    for (spath, scalar) in scalars.iter().filter(|(p, _)| !under(p, path)) {
        let map = ScalarMap::new(scalar.syntax());
        for r in pebble::references(map.decoded()) {
            match r {
                Reference::Output { task, .. } if descendants.contains(&task) => {
                    return Err(format!(
                        "`{spath}` reads `outputs.{task}`, which a `Loop` hides from the tasks \
                         after it: declare it in the Loop's `outputs` by hand"
                    ))
                }
                Reference::DynamicOutputs => {
                    return Err(format!(
                        "`{spath}` reads `outputs` dynamically, and a `Loop` hides its tasks' \
                         outputs from the tasks after it"
                    ))
                }
                _ => {}
            }
        }
    }

    let mut editor = ctx.editor();
    let limit = match kind {
        Kind::ForEach if mapping.get("concurrencyLimit").is_none() => Some(1),
        Kind::Sequential => Some(1),
        Kind::Parallel if mapping.get("concurrent").is_none() => Some(0),
        _ => None,
    };
    let structure = editor.transaction(|e| {
        e.set_type(path, LOOP, renames)?;
        if let Some(limit) = limit {
            e.insert_entry(
                path,
                "concurrencyLimit",
                Fragment::Data(Value::Int(limit)),
                Position::After(values_key),
            )?;
        }
        Ok(())
    });
    structure.map_err(|why| format!("{why}"))?;

    let mut rewrote = false;
    for (spath, scalar) in scalars.iter().filter(|(p, _)| under(p, &tasks)) {
        let is_deep = deep.iter().any(|d| under(spath, d));
        let map = ScalarMap::new(scalar.syntax());
        let parts = rewrites(map.decoded(), is_deep, &children, &descendants)
            .map_err(|why| format!("`{spath}` {why}"))?;
        if parts.is_empty() {
            continue;
        }
        let parts: Vec<(Range<usize>, &str)> =
            parts.iter().map(|(r, s)| (r.clone(), s.as_str())).collect();
        editor
            .replace_in_scalar(spath, &parts)
            .map_err(|why| format!("`{spath}` cannot be rewritten in place: {why}"))?;
        rewrote = true;
    }
    if rewrote {
        notes.push("`taskrun.value` becomes `item.value`".into());
    }
    Ok((editor, notes))
}

/// The edits to one template of the loop's tasks: `taskrun.value` ->
/// `item.value`, `outputs.<child>[taskrun.value]` -> `outputs.<child>`;
/// `Err` says why the template cannot be rewritten mechanically.
fn rewrites(
    text: &str,
    deep: bool,
    children: &BTreeSet<String>,
    descendants: &BTreeSet<String>,
) -> Result<Vec<(Range<usize>, String)>, String> {
    let template = pebble::parse(text);
    let mut exprs: Vec<&Expr> = Vec::new();
    for node in &template.nodes {
        match node {
            Tag::Print { expr: Some(e), .. } => exprs.push(e),
            Tag::Statement {
                statement: Some(s), ..
            } => {
                if s.bound.iter().any(|b| b == "item") {
                    return Err("binds a variable named `item`, which would hide the loop's".into());
                }
                exprs.extend(&s.exprs);
            }
            Tag::Print { tag, .. } | Tag::Statement { tag, .. } => {
                let code = &text[tag.range.clone()];
                if ["taskrun", "outputs", "parent"]
                    .iter()
                    .any(|w| code.contains(w))
                {
                    return Err("holds a template the parser cannot read".into());
                }
            }
            _ => {}
        }
    }
    let mut parts: Vec<(Range<usize>, String)> = Vec::new();
    // The `taskrun.value` keys of sibling output reads, removed whole.
    let mut keys: Vec<Range<usize>> = Vec::new();
    // How many static reads of each task's outputs became sibling reads.
    let mut consumed: Vec<String> = Vec::new();
    let mut problem: Option<String> = None;
    for e in &exprs {
        walk(e, &mut |e| {
            if problem.is_some() {
                return;
            }
            match &e.kind {
                ExprKind::Index { base, index } if is_taskrun(index, "value") => {
                    let Some(task) = output_task(base) else {
                        return;
                    };
                    if deep || !children.contains(&task) {
                        problem = Some(format!(
                            "reads `outputs.{task}[taskrun.value]`, which has no mechanical \
                             equivalent there"
                        ));
                        return;
                    }
                    // A deletion keeps the byte before it, so the edit
                    // always writes something (plain scalars need it).
                    let start = base.range.end - 1;
                    parts.push((start..e.range.end, text[start..base.range.end].to_string()));
                    keys.push(index.range.clone());
                    consumed.push(task);
                }
                ExprKind::Member { base, name, .. } if is_name(base, "taskrun") => {
                    if keys.contains(&e.range) {
                        return;
                    }
                    match name.as_str() {
                        "value" if deep => {
                            problem = Some(
                                "reads `taskrun.value` in a task nested below the loop's \
                                 children, where it is not the loop's value"
                                    .into(),
                            )
                        }
                        "value" => parts.push((base.range.clone(), "item".into())),
                        "iteration" => {
                            problem = Some(
                                "reads `taskrun.iteration`: check which `item` variable holds \
                                 the position (the Loop docs say `item.index`, its output \
                                 `iteration`) and its base, then rewrite it by hand"
                                    .into(),
                            )
                        }
                        _ => {}
                    }
                }
                ExprKind::Index { base, .. } if is_name(base, "taskrun") => {
                    problem = Some("reads `taskrun` with a computed key".into())
                }
                ExprKind::Name(n) if n == "parent" || n == "parents" => {
                    problem = Some(format!(
                        "reads `{n}`, which a `Loop` gives another meaning: map it by hand"
                    ))
                }
                ExprKind::Name(n) if n == "item" => {
                    problem = Some("reads a variable named `item`, which the loop's hides".into())
                }
                _ => {}
            }
        });
    }
    if let Some(p) = problem {
        return Err(p);
    }
    for r in pebble::references(text) {
        match r {
            Reference::Output { task, .. } if descendants.contains(&task) => {
                match consumed.iter().position(|t| *t == task) {
                    Some(i) => {
                        consumed.swap_remove(i);
                    }
                    None => {
                        return Err(format!(
                            "reads `outputs.{task}` other than by `[taskrun.value]` in a \
                             sibling: a `Loop` keeps each iteration's outputs apart"
                        ))
                    }
                }
            }
            Reference::DynamicOutputs => {
                return Err("reads `outputs` dynamically".into());
            }
            _ => {}
        }
    }
    // What the tree did not show (a template inside a string literal).
    let mut rewritten = text.to_string();
    let mut sorted = parts.clone();
    sorted.sort_by_key(|(r, _)| std::cmp::Reverse(r.start));
    for (r, s) in &sorted {
        rewritten.replace_range(r.clone(), s);
    }
    if rewritten.contains("taskrun.value") || rewritten.contains("taskrun.iteration") {
        return Err("reads `taskrun` where the parser cannot follow it".into());
    }
    Ok(parts)
}

fn is_name(e: &Expr, name: &str) -> bool {
    matches!(&e.kind, ExprKind::Name(n) if n == name)
}

fn is_taskrun(e: &Expr, member: &str) -> bool {
    matches!(&e.kind, ExprKind::Member { base, name, .. } if name == member && is_name(base, "taskrun"))
}

/// `outputs.<task>` or `outputs['<task>']`: the task id.
fn output_task(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Member { base, name, .. } if is_name(base, "outputs") => Some(name.clone()),
        ExprKind::Index { base, index } if is_name(base, "outputs") => match &index.kind {
            ExprKind::Str {
                value,
                interpolations,
            } if interpolations.is_empty() => Some(value.clone()),
            _ => None,
        },
        _ => None,
    }
}
