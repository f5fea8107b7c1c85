//! http-basic-auth (MIGRATION-2.0.md rule 17): `options.basicAuthUser` /
//! `options.basicAuthPassword` -> `options.auth: {type: BASIC, username,
//! password}`, the values copied as written (a `{{ secret('P') }}` keeps
//! its quoting).

use super::{refused, targets, SINCE_2_0};
use crate::codemods::{
    Applicability, Codemod, Declaration, Family, Fix, FlowContext, Phase, Safety,
};
use crate::fix::refusal::Refusal;
use crate::syntax::ast::{AstNode, Node};
use crate::syntax::edit::Position;
use crate::syntax::render::Fragment;
use crate::syntax::value::Value;

pub struct HttpBasicAuth;

const DECLARATION: Declaration = Declaration {
    name: "http-basic-auth",
    family: Family::Migrate20,
    summary: "HTTP `options.basicAuthUser`/`basicAuthPassword` -> `options.auth` (type BASIC)",
    safety: Safety::Safe,
    default_on: SINCE_2_0,
    phase: Phase::PROPERTIES,
    docs: include_str!("../../../codemods/http-basic-auth/README.md"),
};

const KEYS: [(&str, &str); 2] = [
    ("basicAuthUser", "username"),
    ("basicAuthPassword", "password"),
];

impl Codemod for HttpBasicAuth {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }

    fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
        let mut fixes = Vec::new();
        for t in targets(ctx, true).iter() {
            let Some(options) = t.map_at("options") else {
                continue;
            };
            let set: Vec<(&str, &str, Node)> = KEYS
                .iter()
                .filter_map(|&(old, new)| {
                    let value = options.get_value(old)?;
                    is_set(&value).then_some((old, new, value))
                })
                .collect();
            let Some(range) = set
                .first()
                .and_then(|(old, ..)| Some(options.get(old)?.key_scalar()?.syntax().text_range()))
            else {
                continue;
            };
            let what = format!(
                "{}: `options.basicAuthUser` and `options.basicAuthPassword` were replaced by `options.auth` in 2.0",
                t.label
            );
            if options.get("auth").is_some() {
                fixes.push(Fix::refused(
                    range,
                    what,
                    Refusal::ConflictingKey {
                        key: "options.auth".into(),
                        action: "merge them",
                    },
                ));
                continue;
            }
            let at = t.path.key("options");
            let mut auth = vec![("type".to_string(), Fragment::string("BASIC"))];
            auth.extend(
                set.iter()
                    .map(|(_, new, value)| (new.to_string(), Fragment::Copy(value.clone()))),
            );
            let mut editor = ctx.editor();
            let planned = if options.is_flow() {
                // On one line, removing the last member and appending after
                // it touch the same text: the mapping is written anew, its
                // other members copied as they are.
                let mut members: Vec<(String, Fragment)> = options
                    .entries()
                    .filter_map(|e| Some((e.key_text()?, e.value()?)))
                    .filter(|(k, _)| KEYS.iter().all(|(old, _)| old != k))
                    .map(|(k, v)| (k, Fragment::Copy(v)))
                    .collect();
                members.push(("auth".into(), Fragment::Map(auth)));
                editor.replace_value(&at, Fragment::Map(members))
            } else {
                editor.transaction(|e| {
                    for (old, _) in KEYS {
                        if options.get(old).is_some() {
                            e.remove_key(&at, old)?;
                        }
                    }
                    e.insert_entry(&at, "auth", Fragment::Map(auth), Position::Last)
                })
            };
            fixes.push(match planned {
                Ok(()) => editor.into_fix(range, what, Applicability::Safe),
                Err(why) => refused(range, &what, &why),
            });
        }
        fixes
    }
}

/// Kestra 1.x sent basic auth only for a non-empty user or password.
fn is_set(value: &Node) -> bool {
    match value {
        Node::Scalar(s) => !matches!(s.data(), Value::Null) && !s.value().is_empty(),
        _ => true,
    }
}
