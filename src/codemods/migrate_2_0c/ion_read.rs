//! ion-read (MIGRATION-2.0.md D5): Kestra 2.0 writes ION outputs in the
//! binary format, so `read()` of one returns bytes, not text; the flow must
//! decode it with `fromIon(read(...))`. Not rewritten: the expression's
//! value changes type (text to data), which its readers must expect.

use super::{calls, expressions, has_word, scalars, SINCE};
use crate::codemods::{Codemod, Declaration, DefaultOn, Family, Fix, FlowContext, Phase, Safety};
use crate::fix::refusal::Refusal;
use crate::kestra::flow::PluginInstance;
use crate::syntax::ast::{AstNode, Node};
use crate::syntax::value::Value;
use std::collections::BTreeSet;

pub struct IonRead;

const NAME: &str = "ion-read";
const STORAGE_WRITERS: &[&str] = &[
    "io.kestra.plugin.core.storage.Write",
    "io.kestra.plugin.core.storage.Concat",
];

const DECLARATION: Declaration = Declaration {
    name: NAME,
    family: Family::Migrate20,
    summary: "Report `read()` of ION outputs not decoded with `fromIon()`",
    safety: Safety::Safe,
    default_on: DefaultOn::Since(SINCE),
    phase: Phase::DETECTORS,
    docs: include_str!("../../../codemods/ion-read/README.md"),
};

impl Codemod for IonRead {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }

    fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
        let producers: BTreeSet<String> = ctx
            .flow
            .instances()
            .iter()
            .filter(|i| is_producer(ctx, i))
            .filter_map(PluginInstance::id)
            .collect();
        if producers.is_empty() {
            return Vec::new();
        }
        let mut fixes = Vec::new();
        scalars(&Node::Mapping(ctx.flow.root().clone()), &mut |s| {
            for id in unwrapped_reads(&s.value()) {
                if producers.contains(&id) {
                    fixes.push(Fix::refused(s.syntax().text_range(), "", Refusal::unsupported(format!(
                            "`read()` of `outputs.{id}`, an ION file: ION is binary in Kestra 2.0; wrap with `fromIon(...)`"
                        ))));
                }
            }
        });
        fixes
    }
}

/// Tasks whose stored output is an ION file.
fn is_producer(ctx: &FlowContext, inst: &PluginInstance) -> bool {
    let ty = ctx
        .catalog
        .canonical_name(&inst.type_name)
        .unwrap_or(&inst.type_name);
    let m = &inst.mapping;
    let scalar = |key: &str| match m.get_value(key) {
        Some(Node::Scalar(s)) => Some(s.data()),
        _ => None,
    };
    ty.ends_with("ToIon")
        || ty.ends_with(".FileTransform")
        || scalar("fetchType") == Some(Value::String("STORE".into()))
        || scalar("store") == Some(Value::Bool(true))
        || (STORAGE_WRITERS.contains(&ty)
            && scalar("extension") == Some(Value::String(".ion".into())))
}

/// The task ids of `read(outputs.<id>…` / `read(outputs['<id>']…` in the
/// expressions of `s` that are not directly inside `fromIon(`.
fn unwrapped_reads(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    for expr in expressions(s) {
        for (at, open) in calls(expr, "read") {
            let Some(id) = output_id(&expr[open..]) else {
                continue;
            };
            let before = expr[..at].trim_end();
            let wrapped = before.strip_suffix('(').is_some_and(|b| {
                let b = b.trim_end();
                b.ends_with("fromIon")
                    && has_word(&b[b.len() - "fromIon".len()..], "fromIon")
                    && !b[..b.len() - "fromIon".len()]
                        .ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            });
            if !wrapped {
                out.push(id);
            }
        }
    }
    out
}

/// `<id>` when `args` starts (after spaces) with `outputs.<id>` or
/// `outputs['<id>']` / `outputs["<id>"]`.
fn output_id(args: &str) -> Option<String> {
    let rest = args.trim_start().strip_prefix("outputs")?;
    let is_id = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    if let Some(dotted) = rest.strip_prefix('.') {
        let id: String = dotted.chars().take_while(|&c| is_id(c)).collect();
        return (!id.is_empty()).then_some(id);
    }
    let quoted = rest.strip_prefix('[')?.trim_start();
    let quote = quoted.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let (id, _) = quoted[1..].split_once(quote)?;
    Some(id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wrapped_or_not() {
        assert_eq!(unwrapped_reads("{{ read(outputs.q.uri) }}"), ["q"]);
        assert_eq!(
            unwrapped_reads("{{ read( outputs['my-q'].uri) }}"),
            ["my-q"]
        );
        assert_eq!(unwrapped_reads("{{ read(outputs[\"q\"].uri) }}"), ["q"]);
        assert!(unwrapped_reads("{{ fromIon(read(outputs.q.uri)) }}").is_empty());
        assert!(unwrapped_reads("{{ fromIon( read(outputs.q.uri)) }}").is_empty());
        assert_eq!(
            unwrapped_reads("{{ notfromIon(read(outputs.q.uri)) }}"),
            ["q"]
        );
        assert!(unwrapped_reads("{{ read(inputs.file) }}").is_empty());
        assert!(unwrapped_reads("read(outputs.q.uri)").is_empty());
    }
}
