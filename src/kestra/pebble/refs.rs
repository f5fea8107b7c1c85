//! What a template reads: the references the codemods follow to decide
//! whether a rewrite keeps a flow's meaning.
//!
//! Read from the parsed tree. Conservative where it cannot follow: a
//! dynamic `outputs[expr]` or a bare `outputs` is
//! [`Reference::DynamicOutputs`], which callers treat as "reads every
//! output"; a tag that does not parse is read token by token, every
//! `outputs` in it being dynamic.

use super::lexer::Tok;
use super::{parse, walk, Expr, ExprKind, Node, TagSpan};

/// Something an expression reads.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reference {
    /// `outputs.<task>.<path...>` or `outputs['<task>']...`; `path` holds
    /// the statically known accessors after the task id.
    Output { task: String, path: Vec<String> },
    /// `outputs[expr]` or a bare `outputs`: could be any task's outputs.
    DynamicOutputs,
    /// `inputs.<id>`; an empty id is a bare or dynamic `inputs`.
    Input(String),
    /// `vars.<id>`; an empty id is a bare or dynamic `vars`.
    Var(String),
    /// `trigger`, `execution`, `flow`, `labels`, `parent`, `parents`,
    /// `taskrun`, `task`, `namespace`, `envs`, `globals`, `kestra`.
    Context(String),
    /// A function call: `secret(...)`, `read(...)`, `render(...)`, `kv(...)`...
    Function(String),
}

/// Root variables whose meaning depends on the execution.
const CONTEXT_ROOTS: &[&str] = &[
    "trigger",
    "execution",
    "flow",
    "labels",
    "parent",
    "parents",
    "taskrun",
    "task",
    "namespace",
    "envs",
    "globals",
    "kestra",
];

/// References made by the templates in `s`, in source order. Comments and
/// verbatim blocks read nothing.
pub fn references(s: &str) -> Vec<Reference> {
    let template = parse(s);
    let mut out = Vec::new();
    for node in &template.nodes {
        match node {
            Node::Print { expr: Some(e), .. } => expression(e, &mut out),
            Node::Statement {
                statement: Some(st),
                ..
            } => st.exprs.iter().for_each(|e| expression(e, &mut out)),
            Node::Print { tag, expr: None }
            | Node::Statement {
                tag,
                statement: None,
            } => unparsed(s, tag, &mut out),
            _ => {}
        }
    }
    out
}

fn expression(expr: &Expr, out: &mut Vec<Reference>) {
    // A chain is read whole at its outermost access; its inner accesses
    // are skipped by end offset (a chain's parts all start where it does).
    let mut chain_end: Option<(usize, usize)> = None;
    walk(expr, &mut |e| {
        let inside = chain_end.is_some_and(|(start, end)| {
            e.range.start == start && e.range.end <= end && is_access(e)
        });
        if inside {
            return;
        }
        match &e.kind {
            ExprKind::Member { .. } | ExprKind::Index { .. } | ExprKind::Name(_) => {
                chain_end = Some((e.range.start, e.range.end));
                chain(e, out);
            }
            ExprKind::Call(call) => out.push(Reference::Function(call.name.clone())),
            ExprKind::Str { value, .. } if super::has_template(value) => {
                // A string holding a template can be rendered later
                // (`render('{{ outputs.q.rows }}')`): what it reads counts.
                out.extend(references(value));
            }
            _ => {}
        }
    });
}

fn is_access(e: &Expr) -> bool {
    matches!(
        e.kind,
        ExprKind::Member { .. } | ExprKind::Index { .. } | ExprKind::Name(_)
    )
}

/// The reference of an access chain (`outputs.q['rows']`), from its root.
fn chain(e: &Expr, out: &mut Vec<Reference>) {
    // `Some(name)` for a static accessor, `None` for a dynamic one.
    let mut accessors: Vec<Option<String>> = Vec::new();
    let mut at = e;
    let root = loop {
        match &at.kind {
            ExprKind::Member { base, name, .. } => {
                accessors.push(Some(name.clone()));
                at = base;
            }
            ExprKind::Index { base, index } => {
                accessors.push(match &index.kind {
                    ExprKind::Str {
                        value,
                        interpolations,
                    } if interpolations.is_empty() => Some(value.clone()),
                    _ => None,
                });
                at = base;
            }
            ExprKind::Name(name) => break Some(name.as_str()),
            _ => break None,
        }
    };
    accessors.reverse();
    // Past the first dynamic accessor nothing is known.
    if let Some(i) = accessors.iter().position(Option::is_none) {
        accessors.truncate(i + 1);
    }
    match root {
        Some("outputs") => match accessors.split_first() {
            Some((Some(task), rest)) => out.push(Reference::Output {
                task: task.clone(),
                path: rest.iter().map_while(|a| a.clone()).collect(),
            }),
            _ => out.push(Reference::DynamicOutputs),
        },
        Some("inputs") => out.push(Reference::Input(first_static(&accessors))),
        Some("vars") => out.push(Reference::Var(first_static(&accessors))),
        Some(r) if CONTEXT_ROOTS.contains(&r) => out.push(Reference::Context(r.to_string())),
        _ => {}
    }
}

fn first_static(accessors: &[Option<String>]) -> String {
    accessors.first().cloned().flatten().unwrap_or_default()
}

/// The references of a tag that does not parse, token by token: every
/// root name counts, with no known accessor.
fn unparsed(s: &str, tag: &TagSpan, out: &mut Vec<Reference>) {
    let toks = &tag.tokens;
    for (i, t) in toks.iter().enumerate() {
        let text = t.text(s);
        if t.kind == Tok::Str {
            let inner = text.get(1..text.len().saturating_sub(1)).unwrap_or("");
            if super::has_template(inner) {
                out.extend(references(inner));
            }
            continue;
        }
        if t.kind != Tok::Name {
            continue;
        }
        let prev = i.checked_sub(1).map(|p| toks[p].kind);
        if matches!(prev, Some(Tok::Punct("." | "|"))) {
            continue;
        }
        if toks.get(i + 1).is_some_and(|n| n.kind == Tok::Punct("(")) {
            out.push(Reference::Function(text.to_string()));
            continue;
        }
        match text {
            "outputs" => out.push(Reference::DynamicOutputs),
            "inputs" => out.push(Reference::Input(String::new())),
            "vars" => out.push(Reference::Var(String::new())),
            r if CONTEXT_ROOTS.contains(&r) => out.push(Reference::Context(r.to_string())),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kestra::pebble::{has_template, tags, TagKind};

    fn out(task: &str, path: &[&str]) -> Reference {
        Reference::Output {
            task: task.to_string(),
            path: path.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn finds_tags() {
        let s = "a {{ x }} b {% if y %}{# c #}";
        let t = tags(s);
        assert_eq!(t.len(), 3);
        assert_eq!(t[0].body, " x ");
        assert_eq!(t[1].kind, TagKind::Statement);
        assert_eq!(t[2].kind, TagKind::Comment);
        assert!(has_template("{{"));
        assert!(!has_template("{ {"));
    }

    #[test]
    fn closing_delimiter_inside_a_string_does_not_end_the_tag() {
        let t = tags("{{ 'a}}b' | upper }} tail");
        assert_eq!(t[0].body, " 'a}}b' | upper ");
    }

    #[test]
    fn non_ascii_characters_inside_tags_are_not_cut() {
        let s = "{{ outputs.q.rows[0].prénom }} {% if 'é\\é' %}日本{# 🎉 #}";
        let t = tags(s);
        assert_eq!(t.len(), 3);
        assert_eq!(t[0].body, " outputs.q.rows[0].prénom ");
        assert_eq!(t[2].body, " 🎉 ");
        assert_eq!(references(s), vec![out("q", &["rows"])]);
        // An unclosed tag ending inside a multi-byte character.
        assert_eq!(tags("{{ 'a\\é")[0].body, " 'a\\é");
    }

    #[test]
    fn output_references_in_every_notation() {
        assert_eq!(
            references("{{ outputs.q.rows }}"),
            vec![out("q", &["rows"])]
        );
        assert_eq!(
            references("{{ outputs['q'].rows | length }}"),
            vec![out("q", &["rows"])]
        );
        assert_eq!(
            references("{{ outputs[\"q\"][\"row\"].name }}"),
            vec![out("q", &["row", "name"])]
        );
        assert_eq!(
            references("{{ outputs.my-task.uri }}"),
            vec![out("my-task", &["uri"])]
        );
        assert_eq!(
            references("{% for r in outputs.q.rows %}{{ r.id }}{% endfor %}"),
            vec![out("q", &["rows"])]
        );
    }

    #[test]
    fn dynamic_references() {
        assert_eq!(
            references("{{ outputs[taskrun.value] }}")[0],
            Reference::DynamicOutputs
        );
        assert_eq!(references("{{ outputs }}"), vec![Reference::DynamicOutputs]);
    }

    #[test]
    fn inputs_vars_context_functions() {
        let refs = references("{{ inputs.day }} {{ vars['env'] }} {{ secret('K') }} {{ execution.id }} {{ x | date('yyyy') }}");
        assert_eq!(
            refs,
            vec![
                Reference::Input("day".into()),
                Reference::Var("env".into()),
                Reference::Function("secret".into()),
                Reference::Context("execution".into()),
            ]
        );
    }

    #[test]
    fn templates_inside_string_literals_count() {
        assert_eq!(
            references("{{ render('{{ outputs.q.rows }}') }}"),
            vec![Reference::Function("render".into()), out("q", &["rows"])]
        );
    }

    #[test]
    fn member_names_are_not_roots() {
        assert_eq!(references("{{ x.outputs.y }}"), vec![]);
        assert_eq!(references("{# outputs.q.rows #}"), vec![]);
    }

    #[test]
    fn chains_are_read_from_the_tree() {
        // A method's name is not part of the path; a number index ends it.
        assert_eq!(
            references("{{ outputs.q.rows.size() }} {{ outputs.q.rows[0].name }}"),
            vec![out("q", &["rows"]), out("q", &["rows"])]
        );
        // What a dynamic index reads counts too.
        assert_eq!(
            references("{{ outputs[taskrun.value].uri }}"),
            vec![
                Reference::DynamicOutputs,
                Reference::Context("taskrun".into())
            ]
        );
        // Filter and test arguments, ternary branches, map values.
        assert_eq!(
            references("{{ a ? inputs.x : {'k': vars.y} | default(outputs.t.v) }}"),
            vec![
                Reference::Input("x".into()),
                Reference::Var("y".into()),
                out("t", &["v"])
            ]
        );
        // A test with arguments is no function call.
        assert_eq!(references("{{ x is divisibleby(3) }}"), vec![]);
    }
}
