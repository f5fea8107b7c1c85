//! state-store-to-kv (MIGRATION-2.0.md rule 13): the state store tasks
//! (`state.Get/Set/Delete`, removed in 2.0) become their KV store
//! counterparts, reading and writing the KV key Kestra 1.3's state store
//! used, so existing state is found.
//!
//! It runs first of all rules: it needs the state type names (which the
//! 2.0 renames change) and the original flow id (which `reserved-flow-ids`
//! may change). It also sets the `kv.*` type itself, the one rule 12 would
//! write, so it is complete on its own and never sees its own output.
//!
//! Always unsafe: `state.Set` merged `data` into the stored map, `kv.Set`
//! replaces the value; reads of a Get's `data` / `count` are rewritten to
//! decode the value whether 1.3 stored it as JSON or base64.

use super::{defaults_change, refused, scalar_text, targets, Target, SINCE_2_0};
use crate::codemods::{
    Applicability, Codemod, Declaration, Family, Fix, FlowContext, Phase, Safety,
};
use crate::fix::editor::Editor;
use crate::fix::refusal::Refusal;
use crate::kestra::path::DataPath;
use crate::kestra::pebble::{references, tags, Reference, TagKind};
use crate::syntax::ast::{Node, Scalar};
use crate::syntax::edit::Position;
use crate::syntax::render::Fragment;
use crate::syntax::value::Value;

pub struct StateStoreToKv;

const DECLARATION: Declaration = Declaration {
    name: "state-store-to-kv",
    family: Family::Migrate20,
    summary: "State store tasks (`state.Get/Set/Delete`) -> `kv.*` on the KV key 1.3 wrote",
    safety: Safety::Unsafe,
    default_on: SINCE_2_0,
    phase: Phase::STATE_STORE,
    docs: include_str!("../../../codemods/state-store-to-kv/README.md"),
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Get,
    Set,
    Delete,
}

impl Op {
    fn of(type_name: &str) -> Option<Op> {
        let short = type_name
            .strip_prefix("io.kestra.plugin.core.state.")
            .or_else(|| type_name.strip_prefix("io.kestra.core.tasks.states."))?;
        match short {
            "Get" => Some(Op::Get),
            "Set" => Some(Op::Set),
            "Delete" => Some(Op::Delete),
            _ => None,
        }
    }

    fn kv_type(self) -> &'static str {
        match self {
            Op::Get => "io.kestra.plugin.core.kv.Get",
            Op::Set => "io.kestra.plugin.core.kv.Set",
            Op::Delete => "io.kestra.plugin.core.kv.Delete",
        }
    }
}

/// The last segment of the types that ran their children once per value;
/// 1.x then suffixed the state key with the value unless `taskrunValue:
/// false`.
const ITERATING: [&str; 3] = ["ForEach", "EachSequential", "EachParallel"];

impl Codemod for StateStoreToKv {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }

    fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
        let all = targets(ctx, false);
        let states: Vec<(&Target, Op)> = all
            .iter()
            .filter_map(|t| Op::of(&t.type_name).map(|op| (t, op)))
            .collect();
        if states.is_empty() {
            return Vec::new();
        }
        let slug = slugify(&ctx.flow.id().unwrap_or_default());
        let mut scalars = Vec::new();
        collect_scalars(
            &Node::Mapping(ctx.flow.root().clone()),
            &DataPath::root(),
            &mut scalars,
        );
        let reads: Vec<Reference> = scalars
            .iter()
            .flat_map(|(_, s)| references(&s.value()))
            .collect();
        let dynamic = reads.contains(&Reference::DynamicOutputs);
        let mut fixes = Vec::new();
        for (t, op) in states {
            let Some(range) = t.key_range("type") else {
                continue;
            };
            let id = t.mapping.get_str("id").unwrap_or_default();
            let what = format!(
                "{}: the state store (`{}`) was removed in 2.0",
                t.label, t.type_name
            );
            let rewrites = if op == Op::Get && !id.is_empty() {
                rewritten_reads(&scalars, &id)
            } else {
                Ok(Vec::new())
            };
            let problem = refusal(ctx, t, op, &all, &reads, &id)
                .or_else(|| rewrites.as_ref().err().cloned().map(Refusal::unsupported));
            if let Some(problem) = problem {
                fixes.push(Fix::refused(range, what, problem));
                continue;
            }
            let name = scalar_text(t.mapping.get_value("name")).unwrap_or_else(|| "default".into());
            let shared = scalar_text(t.mapping.get_value("namespace")).is_some_and(|s| s == "true");
            let key = if shared {
                format!("states_tasks-states_{name}")
            } else {
                format!("{slug}_states_tasks-states_{name}")
            };
            let mut editor = ctx.editor();
            let planned = editor.transaction(|e| {
                convert(e, t, op, &key)?;
                for (path, text) in rewrites.iter().flatten() {
                    e.set_scalar(path, Value::String(text.clone()))?;
                }
                Ok(())
            });
            let effect = match op {
                Op::Set => "; `state.Set` merged `data` into the stored map, `kv.Set` replaces the value: keys it does not write are lost".to_string(),
                Op::Get if dynamic => "; reads of its `data` and `count` decode the stored JSON or base64 value, but the flow also reads outputs dynamically (`outputs[...]`), which are not rewritten".to_string(),
                Op::Get => "; reads of its `data` and `count` decode the stored JSON or base64 value".to_string(),
                Op::Delete => String::new(),
            };
            fixes.push(match planned {
                Ok(()) => editor.into_fix(
                    range,
                    format!("{what}; it becomes `{}` on the KV key `{key}`, where 1.3 kept this state{effect}", op.kv_type()),
                    Applicability::Unsafe,
                ),
                Err(why) => refused(range, &what, &why),
            });
        }
        fixes
    }
}

/// Why a state task cannot be converted, if it cannot.
fn refusal(
    ctx: &FlowContext,
    t: &Target,
    op: Op,
    all: &[Target],
    reads: &[Reference],
    id: &str,
) -> Option<Refusal> {
    let templated = |k: &str| {
        scalar_text(t.mapping.get_value(k)).is_some_and(|v| v.contains("{{") || v.contains("{%"))
    };
    if op == Op::Set && t.mapping.get("data").is_none() {
        return Some(Refusal::unsupported(
            "it has no `data`, and `kv.Set` needs a `value`".to_string(),
        ));
    }
    if let Some(k) = ["namespace", "taskrunValue"]
        .into_iter()
        .find(|k| templated(k))
    {
        return Some(Refusal::unsupported(format!(
            "its `{k}` is templated, so the state key is not known"
        )));
    }
    if t.mapping.get("name").is_some() && scalar_text(t.mapping.get_value("name")).is_none() {
        return Some(Refusal::unsupported(
            "its `name` is not a scalar".to_string(),
        ));
    }
    let per_value = scalar_text(t.mapping.get_value("taskrunValue")).is_none_or(|v| v != "false");
    let iterating = all.iter().find(|p| {
        p.path.segments().len() < t.path.segments().len()
            && t.path.segments().starts_with(p.path.segments())
            && ITERATING.contains(&p.type_name.rsplit('.').next().unwrap_or(""))
    });
    if let (true, Some(p)) = (per_value, iterating) {
        return Some(Refusal::unsupported(format!(
            "it runs inside {} and 1.x suffixed its key with the iteration value (`taskrunValue` is not `false`), which KV keys cannot follow",
            p.label
        )));
    }
    if op == Op::Set {
        let read = reads.iter().find_map(|r| match r {
            Reference::Output { task, path } if task == id => path.first().cloned(),
            _ => None,
        });
        if let Some(field) = read {
            return Some(Refusal::unsupported(format!(
                "the flow reads its output `{field}`, and `kv.Set` has no outputs"
            )));
        }
    }
    let new = op.kv_type();
    defaults_change(ctx, &t.type_name, new)
}

fn convert(e: &mut Editor, t: &Target, op: Op, key: &str) -> Result<(), Refusal> {
    let at = &t.path;
    e.set_type(at, op.kv_type(), &[])?;
    for k in ["namespace", "taskrunValue"] {
        if t.mapping.get(k).is_some() {
            e.remove_key(at, k)?;
        }
    }
    if t.mapping.get("name").is_some() {
        e.set_scalar(&at.key("name"), Value::String(key.into()))?;
        e.rename_key(at, "name", "key")?;
    } else {
        e.insert_entry(at, "key", Fragment::string(key), Position::After("type"))?;
    }
    if op == Op::Set {
        e.rename_key(at, "data", "value")?;
    }
    Ok(())
}

/// Kestra's Slugify, as the 1.3 state store applied it to the flow id.
fn slugify(id: &str) -> String {
    let kept: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .map(|c| {
            if c == '_' {
                '-'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    let mut out = String::with_capacity(kept.len());
    for c in kept.chars() {
        if !(c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    }
    out.trim_matches('-').to_string()
}

/// Every scalar value of the document with its path (keys are not values).
fn collect_scalars(node: &Node, path: &DataPath, out: &mut Vec<(DataPath, Scalar)>) {
    match node {
        Node::Scalar(s) => out.push((path.clone(), s.clone())),
        Node::Mapping(m) => {
            for entry in m.entries() {
                if let (Some(k), Some(v)) = (entry.key_text(), entry.value()) {
                    collect_scalars(&v, &path.key(k), out);
                }
            }
        }
        Node::Sequence(s) => {
            for (i, item) in s.items().enumerate() {
                if let Some(v) = item.value() {
                    collect_scalars(&v, &path.index(i), out);
                } else if let Some(pair) = item.flow_pair() {
                    if let (Some(k), Some(v)) = (pair.key_text(), pair.value()) {
                        collect_scalars(&v, &path.index(i).key(k), out);
                    }
                }
            }
        }
        Node::Alias(_) => {}
    }
}

/// The scalars whose reads of Get task `id`'s `data` and `count` become
/// reads of the KV value, with their new text; `Err` says which read of
/// its outputs cannot be rewritten (`currentEachOutput(outputs.id)`,
/// another field), since it would silently read nothing in 2.0.
fn rewritten_reads(
    scalars: &[(DataPath, Scalar)],
    id: &str,
) -> Result<Vec<(DataPath, String)>, String> {
    let mut out = Vec::new();
    for (path, scalar) in scalars {
        let text = scalar.value();
        if !text.contains(id) {
            continue;
        }
        let new = rewrite_text(&text, id);
        let left = references(&new).into_iter().find_map(|r| match r {
            Reference::Output { task, path } if task == id => {
                (path.first().map(String::as_str) != Some("value")).then_some(path)
            }
            _ => None,
        });
        if let Some(read) = left {
            let read = std::iter::once(format!("outputs.{id}"))
                .chain(read)
                .collect::<Vec<_>>()
                .join(".");
            return Err(format!(
                "the flow reads `{read}` (at {path}), which this rule cannot rewrite to the KV value"
            ));
        }
        if new != *text {
            out.push((path.clone(), new));
        }
    }
    Ok(out)
}

/// `text` with the reads of `outputs.<id>.data` / `.count` (or
/// `outputs['<id>']...`) inside `{{ }}` and `{% %}` replaced.
fn rewrite_text(text: &str, id: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    for tag in tags(text) {
        if tag.kind == TagKind::Comment {
            continue;
        }
        let body_start = tag.range.start + 2;
        for (start, end, replacement) in reads_in(tag.body, id) {
            out.push_str(&text[done..body_start + start]);
            out.push_str(&replacement);
            done = body_start + end;
        }
    }
    out.push_str(&text[done..]);
    out
}

/// The reads of `id`'s `data` / `count` in a tag body: byte ranges and
/// their replacements.
fn reads_in(body: &str, id: &str) -> Vec<(usize, usize, String)> {
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let b = body.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(found) = body[from..].find("outputs") {
        let start = from + found;
        from = start + "outputs".len();
        if start > 0 && (word(b[start - 1]) || b[start - 1] == b'.') {
            continue;
        }
        let Some(reference_end) = task_accessor(body, from, id) else {
            continue;
        };
        let rest = &body[reference_end..];
        let (field, len) = if rest.starts_with(".data") {
            ("data", 5)
        } else if rest.starts_with(".count") {
            ("count", 6)
        } else {
            continue;
        };
        let end = reference_end + len;
        if b.get(end).is_some_and(|&c| word(c)) {
            continue;
        }
        let r = &body[start..reference_end];
        let value = format!(
            "fromJson(({r}.value ?? '{{}}') contains '{{' ? ({r}.value ?? '{{}}') : ({r}.value | base64decode))"
        );
        let replacement = if field == "data" {
            value
        } else {
            format!("({value} | length)")
        };
        out.push((start, end, replacement));
        from = end;
    }
    out
}

/// Where the accessor of task `id` after `outputs` (at `at`) ends:
/// `.id` or `[ 'id' ]` / `["id"]`.
fn task_accessor(body: &str, at: usize, id: &str) -> Option<usize> {
    let rest = &body[at..];
    if let Some(after) = rest.strip_prefix('.').and_then(|r| r.strip_prefix(id)) {
        let next = after.as_bytes().first();
        return (!next.is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-'))
            .then_some(at + 1 + id.len());
    }
    let inner = rest.strip_prefix('[')?;
    let trimmed = inner.trim_start();
    let quote = trimmed.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let after = trimmed[1..].strip_prefix(id)?.strip_prefix(quote)?;
    let closed = after.trim_start().strip_prefix(']')?;
    Some(body.len() - closed.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_follow_kestra() {
        assert_eq!(slugify("My_Flow.v2"), "my-flowv2");
        assert_eq!(slugify("--a__b--"), "a-b");
        assert_eq!(slugify("plain-id"), "plain-id");
    }

    #[test]
    fn reads_keep_their_spelling_and_stop_at_word_boundaries() {
        let v = |r: &str| {
            format!("fromJson(({r}.value ?? '{{}}') contains '{{' ? ({r}.value ?? '{{}}') : ({r}.value | base64decode))")
        };
        assert_eq!(
            rewrite_text("n={{ outputs.g.data.n }}", "g"),
            format!("n={{{{ {}.n }}}}", v("outputs.g"))
        );
        assert_eq!(
            rewrite_text("{% if outputs[ 'g' ].count > 0 %}x{% endif %}", "g"),
            format!(
                "{{% if ({} | length) > 0 %}}x{{% endif %}}",
                v("outputs[ 'g' ]")
            )
        );
        for same in [
            "outputs.g.data",
            "{{ outputs.g.dataset }}",
            "{{ outputs.gg.data }}",
            "{{ myoutputs.g.data }}",
            "{# outputs.g.data #}",
            "{{ outputs.g-x.data }}",
        ] {
            assert_eq!(rewrite_text(same, "g"), same);
        }
    }
}
