//! Pebble template scanning: where the expressions are in a string, and
//! what each one refers to.
//!
//! Kestra renders `{{ ... }}`, `{% ... %}` and `{# ... #}` with Pebble. The
//! codemods need to know what a flow reads (`outputs.q.rows`, `inputs.x`,
//! `vars.y`, ...) to decide whether a rewrite keeps its meaning. The scanner
//! is conservative: a reference it cannot follow (`outputs[someVar]`, a bare
//! `outputs`) is reported as [`Reference::DynamicOutputs`], which callers
//! must treat as "reads every output".

use std::ops::Range;

/// Kind of a template tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagKind {
    /// `{{ ... }}`
    Print,
    /// `{% ... %}`
    Statement,
    /// `{# ... #}`
    Comment,
}

/// One template tag inside a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag<'s> {
    pub kind: TagKind,
    /// Byte range of the whole tag, delimiters included.
    pub range: Range<usize>,
    /// The text between the delimiters.
    pub body: &'s str,
}

/// Whether `s` holds anything Pebble would render.
pub fn has_template(s: &str) -> bool {
    s.contains("{{") || s.contains("{%") || s.contains("{#")
}

/// Every template tag in `s`, in order. An unclosed tag runs to the end.
pub fn tags(s: &str) -> Vec<Tag<'_>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] != b'{' {
            i += 1;
            continue;
        }
        let (kind, close) = match b[i + 1] {
            b'{' => (TagKind::Print, "}}"),
            b'%' => (TagKind::Statement, "%}"),
            b'#' => (TagKind::Comment, "#}"),
            _ => {
                i += 1;
                continue;
            }
        };
        let body_start = i + 2;
        let body_end = find_close(s, body_start, close, kind);
        let end = (body_end + close.len()).min(s.len());
        out.push(Tag {
            kind,
            range: i..end,
            body: &s[body_start..body_end],
        });
        i = end;
    }
    out
}

/// Position of the closing delimiter, skipping string literals.
fn find_close(s: &str, from: usize, close: &str, kind: TagKind) -> usize {
    let b = s.as_bytes();
    let mut i = from;
    while i < b.len() {
        match b[i] {
            q @ (b'\'' | b'"') if kind != TagKind::Comment => {
                i += 1;
                while i < b.len() && b[i] != q {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            // Compare bytes: `i` may sit inside a multi-byte character
            // (after a skipped escape), and the delimiter is ASCII, so a
            // match is always at a char boundary.
            _ if b[i..].starts_with(close.as_bytes()) => return i,
            _ => i += 1,
        }
    }
    s.len()
}

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

/// References made by the templates in `s`.
pub fn references(s: &str) -> Vec<Reference> {
    let mut out = Vec::new();
    for tag in tags(s) {
        if tag.kind != TagKind::Comment {
            scan_expression(tag.body, &mut out);
        }
    }
    out
}

/// A lexical item of a Pebble expression, as far as reference tracking needs.
#[derive(Debug, Clone, PartialEq)]
enum Tok<'s> {
    Ident(&'s str),
    Str(String),
    Dot,
    LBracket,
    RBracket,
    LParen,
    Pipe,
    Other,
}

fn lex(expr: &str) -> Vec<Tok<'_>> {
    let b = expr.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'\'' | b'"' => {
                let mut j = i + 1;
                let mut lit = String::new();
                while j < b.len() && b[j] != c {
                    if b[j] == b'\\' && j + 1 < b.len() {
                        j += 1;
                    }
                    let ch = expr[j..].chars().next().expect("in bounds");
                    lit.push(ch);
                    j += ch.len_utf8();
                }
                out.push(Tok::Str(lit));
                i = (j + 1).min(b.len());
            }
            b'.' | b'[' | b']' | b'(' | b'|' => {
                out.push(match c {
                    b'.' => Tok::Dot,
                    b'[' => Tok::LBracket,
                    b']' => Tok::RBracket,
                    b'(' => Tok::LParen,
                    _ => Tok::Pipe,
                });
                i += 1;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                out.push(Tok::Ident(&expr[start..i]));
            }
            _ => {
                let ch = expr[i..].chars().next().expect("in bounds");
                out.push(Tok::Other);
                i += ch.len_utf8();
            }
        }
    }
    out
}

fn scan_expression(expr: &str, out: &mut Vec<Reference>) {
    let toks = lex(expr);
    let mut i = 0;
    while i < toks.len() {
        // A string literal holding a template can be rendered later
        // (`render('{{ outputs.q.rows }}')`): what it reads counts too.
        if let Tok::Str(lit) = &toks[i] {
            if has_template(lit) {
                out.extend(references(lit));
            }
        }
        let Tok::Ident(name) = toks[i] else {
            i += 1;
            continue;
        };
        // Member names and filter names are not root variables.
        let prev = i.checked_sub(1).map(|p| &toks[p]);
        if matches!(prev, Some(Tok::Dot | Tok::Pipe)) {
            i += 1;
            continue;
        }
        if matches!(toks.get(i + 1), Some(Tok::LParen)) {
            out.push(Reference::Function(name.to_string()));
            i += 1;
            continue;
        }
        let (accessors, next) = accessors(expr, &toks, i + 1);
        match name {
            "outputs" => match accessors.split_first() {
                Some((Some(task), rest)) => out.push(Reference::Output {
                    task: task.clone(),
                    path: rest.iter().map_while(|a| a.clone()).collect(),
                }),
                _ => out.push(Reference::DynamicOutputs),
            },
            "inputs" => out.push(Reference::Input(first_static(&accessors))),
            "vars" => out.push(Reference::Var(first_static(&accessors))),
            root if CONTEXT_ROOTS.contains(&root) => out.push(Reference::Context(root.to_string())),
            _ => {}
        }
        i = next.max(i + 1);
    }
}

fn first_static(accessors: &[Option<String>]) -> String {
    accessors.first().cloned().flatten().unwrap_or_default()
}

/// The chain of `.name` / `['name']` / `[expr]` after a root variable:
/// `Some(name)` for a static accessor, `None` for a dynamic one.
fn accessors(expr: &str, toks: &[Tok<'_>], mut i: usize) -> (Vec<Option<String>>, usize) {
    let _ = expr;
    let mut out = Vec::new();
    loop {
        match (toks.get(i), toks.get(i + 1), toks.get(i + 2)) {
            (Some(Tok::Dot), Some(Tok::Ident(name)), _) => {
                // Task ids may contain `-`, which Pebble would read as a
                // minus; take the conservative reading (the whole id).
                let mut id = name.to_string();
                let mut j = i + 2;
                while let (Some(Tok::Other), Some(Tok::Ident(more))) =
                    (toks.get(j), toks.get(j + 1))
                {
                    if !hyphen_between(expr, &id, more) {
                        break;
                    }
                    id.push('-');
                    id.push_str(more);
                    j += 2;
                }
                out.push(Some(id));
                i = j;
            }
            (Some(Tok::LBracket), Some(Tok::Str(s)), Some(Tok::RBracket)) => {
                out.push(Some(s.clone()));
                i += 3;
            }
            (Some(Tok::LBracket), _, _) => {
                out.push(None);
                // Skip to the matching bracket.
                let mut depth = 0;
                while let Some(t) = toks.get(i) {
                    match t {
                        Tok::LBracket => depth += 1,
                        Tok::RBracket => {
                            depth -= 1;
                            if depth == 0 {
                                i += 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                return (out, i);
            }
            _ => return (out, i),
        }
    }
}

/// Whether `expr` contains `a-b` written without spaces (an id with a dash).
fn hyphen_between(expr: &str, a: &str, b: &str) -> bool {
    let last = a.rsplit('-').next().unwrap_or(a);
    expr.contains(&format!("{last}-{b}"))
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
