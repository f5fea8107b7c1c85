//! ee-git-clone (MIGRATION-2.0.md rule 25, Enterprise):
//! `io.kestra.plugin.ee.git.Clone` (removed from plugin-ee-git 2.2.1) ->
//! `io.kestra.plugin.git.Clone`, with `strictHostKeyChecking: true` right
//! after `url` so host keys stay checked as they were.
//!
//! `strictHostKeyChecking` is written only when the catalog's entry for
//! `git.Clone` lists it: 2.0 rejects unknown properties, and the shipped
//! catalog's plugin-git does not have it (then the type is renamed alone
//! and the message says so).

use super::{defaults_change, refused, targets, SINCE_2_0};
use crate::codemods::{
    Applicability, Codemod, Declaration, Family, Fix, FlowContext, Phase, Safety,
};
use crate::kestra::catalog::Answer;
use crate::syntax::edit::Position;
use crate::syntax::render::Fragment;
use crate::syntax::value::Value;

pub struct EeGitClone;

const EE_CLONE: &str = "io.kestra.plugin.ee.git.Clone";
const CLONE: &str = "io.kestra.plugin.git.Clone";
const STRICT: &str = "strictHostKeyChecking";

const DECLARATION: Declaration = Declaration {
    name: "ee-git-clone",
    family: Family::Migrate20,
    summary: "Enterprise `ee.git.Clone` -> `git.Clone`, keeping host-key checking on",
    safety: Safety::Safe,
    default_on: SINCE_2_0,
    phase: Phase::PROPERTIES,
    docs: include_str!("../../../codemods/ee-git-clone/README.md"),
};

impl Codemod for EeGitClone {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }

    fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
        let mut fixes = Vec::new();
        for t in targets(ctx, false).iter() {
            if t.type_name != EE_CLONE {
                continue;
            }
            let Some(range) = t.key_range("type") else {
                continue;
            };
            let what = format!(
                "{}: `{EE_CLONE}` was removed from plugin-ee-git 2.2.1; it is `{CLONE}`",
                t.label
            );
            if let Some(problem) = defaults_change(ctx, EE_CLONE, CLONE) {
                fixes.push(Fix::refused(range, what, problem));
                continue;
            }
            let known = ctx.catalog.has_property(CLONE, STRICT) == Answer::Yes;
            let has = t.mapping.get(STRICT).is_some();
            let mut editor = ctx.editor();
            let planned = editor.transaction(|e| {
                e.set_type(&t.path, CLONE, &[])?;
                if known && !has {
                    let after = if t.mapping.get("url").is_some() {
                        Position::After("url")
                    } else {
                        Position::Last
                    };
                    e.insert_entry(&t.path, STRICT, Fragment::Data(Value::Bool(true)), after)?;
                }
                Ok(())
            });
            let message = match (known, has) {
                (true, false) => format!("{what}; `{STRICT}: true` keeps host keys checked"),
                (true, true) => what.clone(),
                (false, false) => format!("{what}; the plugin catalog does not list `{STRICT}` for it, so none is written: check that host keys are still verified"),
                (false, true) => format!("{what}; the plugin catalog does not list `{STRICT}` for it: check that your plugin-git accepts it"),
            };
            fixes.push(match planned {
                Ok(()) => editor.into_fix(range, message, Applicability::Safe),
                Err(why) => refused(range, &what, &why),
            });
        }
        fixes
    }
}
