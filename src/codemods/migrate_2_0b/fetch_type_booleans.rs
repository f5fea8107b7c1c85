//! fetch-type-booleans-for-generate-and-sheets (MIGRATION-2.0.md rule 10):
//! `fetchType` on datagen Generate and Google Sheets Read, which 2.0 rejects
//! there, becomes the boolean those types do have (`store`, `fetch`).
//!
//! The opposite direction of `fetch-to-store`'s booleans step, on disjoint
//! types: each rule writes the property its target type accepts.
//! Unsafe when a boolean is written: if 1.x ignored the unknown `fetchType`
//! the task ran with its defaults, and the boolean changes its outputs.

use super::{refused, scalar_text, targets, SINCE_2_0};
use crate::codemods::{
    Applicability, Codemod, Declaration, Family, Fix, FlowContext, Phase, Safety,
};
use crate::fix::refusal::Refusal;
use crate::kestra::catalog::Answer;
use crate::syntax::ast::Node;
use crate::syntax::edit::Position;
use crate::syntax::render::Fragment;
use crate::syntax::value::Value;

pub struct FetchTypeBooleans;

const GENERATE: &str = "io.kestra.plugin.datagen.core.Generate";
const SHEETS_READ: &str = "io.kestra.plugin.googleworkspace.sheets.Read";

const DECLARATION: Declaration = Declaration {
    name: "fetch-type-booleans-for-generate-and-sheets",
    family: Family::Migrate20,
    summary: "datagen Generate / Sheets Read `fetchType` -> `store: true` / `fetch: true`",
    safety: Safety::SafeWhenProven,
    default_on: SINCE_2_0,
    phase: Phase::PROPERTIES,
    docs: include_str!("../../../codemods/fetch-type-booleans-for-generate-and-sheets/README.md"),
};

impl Codemod for FetchTypeBooleans {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }

    fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
        let mut fixes = Vec::new();
        for t in targets(ctx, true).iter() {
            if t.type_name != GENERATE && t.type_name != SHEETS_READ {
                continue;
            }
            let Some(range) = t.key_range("fetchType") else {
                continue;
            };
            let short = t.type_name.rsplit_once(".plugin.").map_or("", |(_, s)| s);
            let value = scalar_text(t.mapping.get_value("fetchType"));
            let what = format!(
                "{}: `{short}` has no `fetchType` in 2.0, which rejects it",
                t.label
            );
            let (prop, effect) = match (value.as_deref(), t.type_name == GENERATE) {
                (Some("STORE"), true) => (
                    "store",
                    "returns `uri` (a file in internal storage) instead of `value`",
                ),
                (Some("STORE"), false) => (
                    "store",
                    "stores the rows in internal storage instead of returning them in `rows`",
                ),
                (Some("FETCH"), _) => ("fetch", "returns the rows in `rows`"),
                _ => {
                    let shown = value.map_or_else(|| "this value".into(), |v| format!("`{v}`"));
                    fixes.push(Fix::refused(
                        range,
                        what,
                        Refusal::NoEquivalent {
                            shown,
                            target: "boolean",
                            advice: "remove it or set `store` / `fetch` by hand",
                        },
                    ));
                    continue;
                }
            };
            let at = t.path.clone();
            let mut editor = ctx.editor();
            let current = t.mapping.get_value(prop);
            let (planned, applicability, message) = if ctx.catalog.has_property(&t.type_name, prop)
                == Answer::No
            {
                // Generate has no `fetch`: its default (one inline value)
                // is what FETCH asked for.
                (
                    editor.remove_key(&at, "fetchType"),
                    Applicability::Safe,
                    format!("{what}; without it the task keeps its default, inline output"),
                )
            } else if let Some(node) = current {
                if !matches!(&node, Node::Scalar(s) if s.data() == Value::Bool(true)) {
                    fixes.push(Fix::refused(
                        range,
                        what,
                        Refusal::ConflictingKey {
                            key: prop.to_string(),
                            action: "keep one of them",
                        },
                    ));
                    continue;
                }
                (
                    editor.remove_key(&at, "fetchType"),
                    Applicability::Safe,
                    format!("{what}; `{prop}: true` already says the same"),
                )
            } else {
                let planned = editor.transaction(|e| {
                    e.remove_key(&at, "fetchType")?;
                    e.insert_entry(&at, prop, Fragment::Data(Value::Bool(true)), Position::Last)
                });
                (
                    planned,
                    Applicability::Unsafe,
                    format!("{what}; it becomes `{prop}: true`: if 1.x ignored `fetchType` and ran the task with its defaults, the task now {effect}"),
                )
            };
            fixes.push(match planned {
                Ok(()) => editor.into_fix(range, message, applicability),
                Err(why) => refused(range, &what, &why),
            });
        }
        fixes
    }
}
