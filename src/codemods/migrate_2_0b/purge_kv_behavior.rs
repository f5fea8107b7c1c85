//! purge-kv-behavior (MIGRATION-2.0.md rule 23): PurgeKV's `expiredOnly`
//! becomes `behavior: {type: key, expiredOnly: <as written>}`, in place.
//!
//! Deleting `expiredOnly` would not do: 2.0's default behaviour purges
//! expired keys only, so a `false` (purge every matching key) would flip.

use super::{refused, targets, SINCE_2_0};
use crate::codemods::{
    Applicability, Codemod, Declaration, Family, Fix, FlowContext, Phase, Safety,
};
use crate::fix::refusal::Refusal;
use crate::syntax::render::Fragment;

pub struct PurgeKvBehavior;

const PURGE_KV: &str = "io.kestra.plugin.core.kv.PurgeKV";

const DECLARATION: Declaration = Declaration {
    name: "purge-kv-behavior",
    family: Family::Migrate20,
    summary: "PurgeKV `expiredOnly` -> `behavior: {type: key, expiredOnly: ...}`",
    safety: Safety::Safe,
    default_on: SINCE_2_0,
    phase: Phase::PROPERTIES,
    docs: include_str!("../../../codemods/purge-kv-behavior/README.md"),
};

impl Codemod for PurgeKvBehavior {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }

    fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
        let mut fixes = Vec::new();
        for t in targets(ctx, true).iter() {
            if t.type_name != PURGE_KV {
                continue;
            }
            let Some(range) = t.key_range("expiredOnly") else {
                continue;
            };
            let what = format!("{}: `expiredOnly` was removed in 2.0", t.label);
            if t.mapping.get("behavior").is_some() {
                fixes.push(Fix::refused(
                    range,
                    what,
                    Refusal::ConflictingKey {
                        key: "behavior".into(),
                        action: "merge them",
                    },
                ));
                continue;
            }
            let mut editor = ctx.editor();
            let planned = editor.transaction(|e| {
                let old = t.path.key("expiredOnly");
                let value = e.node(&old)?;
                e.replace_value(
                    &old,
                    Fragment::Map(vec![
                        ("type".into(), Fragment::string("key")),
                        ("expiredOnly".into(), Fragment::Copy(value)),
                    ]),
                )?;
                e.rename_key(&t.path, "expiredOnly", "behavior")
            });
            fixes.push(match planned {
                Ok(()) => editor.into_fix(
                    range,
                    format!("{what}; it moves under `behavior` (type `key`)"),
                    Applicability::Safe,
                ),
                Err(why) => refused(range, &what, &why),
            });
        }
        fixes
    }
}
