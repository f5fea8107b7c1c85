//! http-removed-options (MIGRATION-2.0.md rule 18): removes
//! `options.connectionPoolIdleTimeout` (deprecated, unused in 1.x, rejected
//! by 2.0), and reports the top-level properties of core HTTP tasks that
//! 2.0 no longer has (`sslOptions`...), which need a hand rewrite.

use super::{refused, targets, SINCE_2_0};
use crate::codemods::{
    Applicability, Codemod, Declaration, Family, Fix, FlowContext, Phase, Safety,
};
use crate::fix::refusal::Refusal;
use crate::kestra::catalog::Answer;
use crate::syntax::ast::AstNode;

pub struct HttpRemovedOptions;

const DECLARATION: Declaration = Declaration {
    name: "http-removed-options",
    family: Family::Migrate20,
    summary: "Remove HTTP `options.connectionPoolIdleTimeout`; report HTTP properties 2.0 removed",
    safety: Safety::Safe,
    default_on: SINCE_2_0,
    phase: Phase::PROPERTIES,
    docs: include_str!("../../../codemods/http-removed-options/README.md"),
};

const IDLE_TIMEOUT: &str = "connectionPoolIdleTimeout";

/// Kestra 2.0's own HTTP tasks and trigger.
const CORE_HTTP: &str = "io.kestra.plugin.core.http.";

impl Codemod for HttpRemovedOptions {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }

    fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
        let mut fixes = Vec::new();
        for t in targets(ctx, true).iter() {
            if let Some(entry) = t.map_at("options").and_then(|o| o.get(IDLE_TIMEOUT)) {
                let range = entry
                    .key_scalar()
                    .map_or(entry.syntax().text_range(), |k| k.syntax().text_range());
                let what = format!(
                    "{}: `options.{IDLE_TIMEOUT}` was removed in 2.0 (it had no effect in 1.x)",
                    t.label
                );
                let mut editor = ctx.editor();
                // A block mapping left without entries would read as null:
                // `options` holding only this key goes with it (no options
                // and empty options are the same configuration).
                let alone = t
                    .map_at("options")
                    .is_some_and(|o| o.entries().count() == 1);
                let planned = if alone && t.is_default && t.mapping.entries().count() == 1 {
                    // Same one level up: a defaults entry's `values`.
                    match t.path.parent() {
                        Some((entry, _)) => editor.remove_key(&entry, "values"),
                        None => editor.remove_key(&t.path, "options"),
                    }
                } else if alone {
                    editor.remove_key(&t.path, "options")
                } else {
                    editor.remove_key(&t.path.key("options"), IDLE_TIMEOUT)
                };
                fixes.push(match planned {
                    Ok(()) => editor.into_fix(range, what, Applicability::Safe),
                    Err(why) => refused(range, &what, &why),
                });
            }
            // Defaults entries may name a prefix: only instances are judged.
            if t.is_default || !t.type_name.starts_with(CORE_HTTP) {
                continue;
            }
            for entry in t.mapping.entries() {
                let (Some(key), Some(k)) = (entry.key_text(), entry.key_scalar()) else {
                    continue;
                };
                if ctx.catalog.has_property(&t.type_name, &key) == Answer::No {
                    fixes.push(Fix::refused(k.syntax().text_range(), "", Refusal::unsupported(format!(
                            "{}: `{key}` is not a property of `{}` in 2.0, which rejects the flow; move its settings under `options` by hand",
                            t.label, t.type_name
                        ))));
                }
            }
        }
        fixes
    }
}
