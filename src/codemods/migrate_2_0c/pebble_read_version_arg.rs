//! pebble-read-version-arg (MIGRATION-2.0.md D4): Pebble's `read()` and
//! `fileURI()` renamed their `version=` argument to `revision=` in 2.0,
//! without an alias, so the call fails at run time.

use super::{calls, expressions, scalars, word_at, SINCE};
use crate::codemods::{Codemod, Declaration, DefaultOn, Family, Fix, FlowContext, Phase, Safety};
use crate::fix::refusal::Refusal;
use crate::syntax::ast::{AstNode, Node};

pub struct PebbleReadVersionArg;

const NAME: &str = "pebble-read-version-arg";
const FUNCTIONS: &[&str] = &["read", "fileURI"];

const DECLARATION: Declaration = Declaration {
    name: NAME,
    family: Family::Migrate20,
    summary: "Report `read()` / `fileURI()` calls with the `version=` argument renamed `revision=`",
    safety: Safety::Safe,
    default_on: DefaultOn::Since(SINCE),
    phase: Phase::DETECTORS,
    docs: include_str!("../../../codemods/pebble-read-version-arg/README.md"),
};

impl Codemod for PebbleReadVersionArg {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }

    fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
        let mut fixes = Vec::new();
        scalars(&Node::Mapping(ctx.flow.root().clone()), &mut |s| {
            let text = s.value();
            if let Some(function) = version_arg(&text) {
                fixes.push(Fix::refused(s.syntax().text_range(), "", Refusal::unsupported(format!(
                        "`{function}()` has no `version` argument in Kestra 2.0 (renamed `revision`, no alias); write `revision=`"
                    ))));
            }
        });
        fixes
    }
}

/// The first function whose call in `s` passes `version=`: its arguments,
/// up to the first `)`, hold the word `version` followed by `=` (not `==`).
fn version_arg(s: &str) -> Option<&'static str> {
    expressions(s).into_iter().find_map(|expr| {
        FUNCTIONS.iter().copied().find(|f| {
            calls(expr, f).into_iter().any(|(_, open)| {
                let args = &expr[open..];
                let args = &args[..args.find(')').unwrap_or(args.len())];
                word_at(args, "version").into_iter().any(|at| {
                    let rest = args[at + "version".len()..].trim_start();
                    rest.starts_with('=') && !rest.starts_with("==")
                })
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_argument_not_lookalikes() {
        assert_eq!(version_arg("{{ read('f', version = 2) }}"), Some("read"));
        assert_eq!(
            version_arg("{{ fileURI('f', version=3) }}"),
            Some("fileURI")
        );
        assert_eq!(version_arg("{{ read('f', revision=2) }}"), None);
        assert_eq!(version_arg("{{ read('f') ~ (version == 2) }}"), None);
        assert_eq!(version_arg("{{ read(x) }} version=2"), None);
        assert_eq!(version_arg("{# read('f', version=2) #}"), None);
        assert_eq!(version_arg("{{ reread('f', version=2) }}"), None);
    }
}
