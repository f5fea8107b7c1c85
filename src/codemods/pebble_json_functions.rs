//! pebble-json-functions: Kestra 2.0 removes the Pebble function `json()`
//! and the filter `json`; `fromJson()` and `toJson` are the same functions
//! under their current names (MIGRATION-2.0.md, rule 4).
//!
//! Every string value of the flow is parsed as a template: only function
//! calls named `json` and filters named `json` in the code of `{{ }}` and
//! `{% %}` tags are renamed. String literals, comments, verbatim blocks,
//! tests (`is json`), method calls (`a.json(b)`) and variables named `json`
//! are not calls of the function or the filter, so the tree never offers
//! them. Each name is replaced in place in the scalar's own quoting.

use super::{Applicability, Codemod, Declaration, Family, Fix, FlowContext, Phase, Safety};
use crate::fix::refusal::Refusal;
use crate::kestra::path::{scalar_values, DataPath};
use crate::kestra::pebble::{self, walk, ExprKind, Node as Tag, TagSpan, Tok};
use crate::syntax::ast::{AstNode, Scalar};
use crate::syntax::scalar_map::ScalarMap;
use crate::syntax::{TextRange, TextSize};
use std::ops::Range;

pub struct PebbleJsonFunctions;

const NAME: &str = "pebble-json-functions";

const DECLARATION: Declaration = Declaration {
    name: NAME,
    family: Family::Migrate20,
    summary:
        "Rename the Pebble function `json()` to `fromJson()` and the filter `json` to `toJson`",
    safety: Safety::Safe,
    default_on: crate::codemods::SINCE_2_0,
    phase: Phase::PEBBLE,
    docs: include_str!("../../codemods/pebble-json-functions/README.md"),
};

impl Codemod for PebbleJsonFunctions {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }

    fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
        let mut scalars = Vec::new();
        if let Some(body) = ctx.parse.stream().first_document().and_then(|d| d.body()) {
            scalar_values(
                &body,
                &DataPath::root(),
                &|s| {
                    // An escape or an escaped line break could spell `json` too.
                    let raw = s.syntax().text();
                    raw.contains_char('\\')
                        || (raw.contains_char('j') && raw.to_string().contains("json"))
                },
                &mut scalars,
            );
        }
        scalars
            .into_iter()
            .filter_map(|(path, scalar)| fix(ctx, &path, &scalar))
            .collect()
    }
}

/// What a site is: the function or the filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Site {
    Function,
    Filter,
}

impl Site {
    fn new_name(self) -> &'static str {
        match self {
            Site::Function => "fromJson",
            Site::Filter => "toJson",
        }
    }
}

/// The fix for one scalar, if its templates call `json`.
fn fix(ctx: &FlowContext, path: &DataPath, scalar: &Scalar) -> Option<Fix> {
    let map = ScalarMap::new(scalar.syntax());
    let text = map.decoded();
    if !text.contains("json") {
        return None;
    }
    let sites = sites(text);
    if sites.is_empty() {
        return None;
    }
    // The finding points at the first name, or at the scalar when the
    // name is not spelled as is.
    let range = map.source_range(sites[0].0.clone()).map_or_else(
        || scalar.syntax().text_range(),
        |r| TextRange::new(TextSize::from(r.start as u32), TextSize::from(r.end as u32)),
    );
    let has = |kind| sites.iter().any(|(_, k)| *k == kind);
    let message = match (has(Site::Function), has(Site::Filter)) {
        (true, false) => "The Pebble function `json()` is removed in Kestra 2.0: use `fromJson()`",
        (false, true) => "The Pebble filter `json` is removed in Kestra 2.0: use `toJson`",
        _ => "The Pebble function `json()` and filter `json` are removed in Kestra 2.0: use `fromJson()` and `toJson`",
    };
    let parts: Vec<(Range<usize>, &str)> = sites
        .iter()
        .map(|(r, kind)| (r.clone(), kind.new_name()))
        .collect();
    let mut editor = ctx.editor();
    Some(match editor.replace_in_scalar(path, &parts) {
        Ok(()) => editor.into_fix(range, message, Applicability::Safe),
        Err(why) => Fix::refused(range, message, Refusal::by_hand("rename", why)),
    })
}

/// The decoded ranges of the `json` names to rename in `text`, in order.
/// Nothing from the first unclosed tag or verbatim block on: where the
/// code ends there is unknown.
fn sites(text: &str) -> Vec<(Range<usize>, Site)> {
    let template = pebble::parse(text);
    let mut out = Vec::new();
    for node in &template.nodes {
        match node {
            Tag::Print { tag, .. } | Tag::Statement { tag, .. } if !tag.closed => break,
            Tag::Comment(tag) if !tag.closed => break,
            Tag::Verbatim { close: None, .. } => break,
            Tag::Print { expr: Some(e), .. } => tree_sites(std::slice::from_ref(e), &mut out),
            Tag::Statement {
                statement: Some(s), ..
            } => tree_sites(&s.exprs, &mut out),
            Tag::Print { tag, .. } | Tag::Statement { tag, .. } => token_sites(text, tag, &mut out),
            _ => {}
        }
    }
    out
}

fn tree_sites(exprs: &[pebble::Expr], out: &mut Vec<(Range<usize>, Site)>) {
    for e in exprs {
        walk(e, &mut |e| match &e.kind {
            ExprKind::Call(call) if call.name == "json" => {
                out.push((call.name_range.clone(), Site::Function))
            }
            ExprKind::Filter { filter, .. } if filter.name == "json" => {
                out.push((filter.name_range.clone(), Site::Filter))
            }
            _ => {}
        });
    }
}

/// A tag Pebble cannot parse still holds code: its `json` names are found
/// by the tokens around them, as the migration spec words the rule.
fn token_sites(text: &str, tag: &TagSpan, out: &mut Vec<(Range<usize>, Site)>) {
    let toks = &tag.tokens;
    let word = |i: Option<usize>, w: &str| {
        i.and_then(|i| toks.get(i))
            .is_some_and(|t| t.kind == Tok::Name && t.text(text) == w)
    };
    for (i, t) in toks.iter().enumerate() {
        if t.kind != Tok::Name || t.text(text) != "json" {
            continue;
        }
        let prev = i.checked_sub(1);
        let prev_kind = prev.map(|p| toks[p].kind);
        if prev_kind == Some(Tok::Punct("|")) {
            out.push((t.range.clone(), Site::Filter));
        } else if toks.get(i + 1).is_some_and(|n| n.kind == Tok::Punct("("))
            && prev_kind != Some(Tok::Punct("."))
            && !word(prev, "is")
            && !(word(prev, "not") && word(i.checked_sub(2), "is"))
        {
            out.push((t.range.clone(), Site::Function));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn renamed(text: &str) -> Vec<(&str, Site)> {
        sites(text)
            .into_iter()
            .map(|(r, s)| (&text[r], s))
            .collect()
    }

    #[test]
    fn finds_the_function_and_the_filter_only() {
        use Site::*;
        let cases: &[(&str, &[Site])] = &[
            ("{{ json(x).a }} {{ x | json }} {{ x|json(2) }}", &[Function, Filter, Filter]),
            ("{{ json (x) }}", &[Function]),
            ("{% for i in json(x) %}{% set y = z | json %}", &[Function, Filter]),
            ("{{ \"a #{ x | json } b\" }}", &[Filter]),
            ("{{ f(json(x), k=y | json) }}", &[Function, Filter]),
            // Not the function or the filter.
            ("{{ x is json }} {{ x is not json }}", &[]),
            ("{{ a.json(b) }} {{ vars.json }} {{ json }}", &[]),
            ("{{ myjson(x) }} {{ _json(x) }} {{ x | json_encode }} {{ fromJson(x) }}", &[]),
            ("{{ 'json(x)' }} {{ \"x | json\" }} {{ 'it\\'s json(x)' }}", &[]),
            ("{# json(x) #} json(x) | json", &[]),
            ("{% raw %}{{ json(x) }}{% endraw %}{%- verbatim -%}{{ x | json }}{%- endverbatim -%}", &[]),
            ("{{ {'json': json(x)} }}", &[Function]),
            // An unclosed tag or block stops the rewrite there.
            ("{{ json(a) }} {{ json(b)", &[Function]),
            ("{{ json(a) }} {# x {{ json(b) }}", &[Function]),
            ("{{ json(a) }} {% raw %} {{ json(b) }}", &[Function]),
            // A tag that does not parse is read token by token.
            ("{{ json(a) + }} {{ x | json @ }} {{ x is json( }} {{ a.json( }}", &[Function, Filter]),
        ];
        for (text, want) in cases {
            let got: Vec<Site> = renamed(text)
                .into_iter()
                .map(|(n, s)| {
                    assert_eq!(n, "json");
                    s
                })
                .collect();
            assert_eq!(&got, want, "{text}");
        }
    }
}
