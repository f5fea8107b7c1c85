//! inline-plugin-defaults: the Kestra 2.0 migration. Every flow default is
//! written into each instance it applies to, merged as Kestra merged it,
//! and the `pluginDefaults` section goes.
//!
//! All or nothing per flow: a default left behind while some instances got
//! it inlined would be applied twice to lists. So any instance the codemod
//! cannot rewrite exactly (a property its type may not have, two defaults
//! setting one key, an anchor, a shape it cannot merge in place) turns the
//! whole flow into a finding that says why.

use super::{default_path, section, Section};
use crate::codemods::Phase;
use crate::codemods::{
    Applicability, Codemod, DataChange, Declaration, DefaultOn, Family, Fix, FlowContext, Safety,
};
use crate::fix::editor::Editor;
use crate::fix::refusal::Refusal;
use crate::kestra::catalog::{Answer, Catalog};
use crate::kestra::defaults::{
    default_matches, effective, flow_defaults, instances, Instance, PluginDefault,
};
use crate::kestra::flow::{PluginInstance, DEFAULTS_KEYS};
use crate::kestra::path::DataPath;
use crate::kestra::plugins::canonical_type;
use crate::kestra::properties::default_applies;
use crate::kestra::KestraVersion;
use crate::syntax::ast::{AstNode, Node};
use crate::syntax::edit::Position;
use crate::syntax::value::Value;
use crate::syntax::SyntaxKind;
use std::collections::HashMap;

pub struct InlinePluginDefaults;

const NAME: &str = "inline-plugin-defaults";

/// Kestra 2.0 rejects flows that keep `pluginDefaults`.
const DEFAULTS_REMOVED_IN: KestraVersion = KestraVersion::new(2, 0);

const DECLARATION: Declaration = Declaration {
    name: NAME,
    family: Family::Migrate20,
    summary: "Write pluginDefaults into every instance they apply to and remove them (Kestra 2.0)",
    safety: Safety::SafeWhenProven,
    default_on: DefaultOn::Since(DEFAULTS_REMOVED_IN),
    phase: Phase::STRUCTURE,
    docs: include_str!("../../../codemods/inline-plugin-defaults/README.md"),
};

impl Codemod for InlinePluginDefaults {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }

    fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
        let Some(section) = section(ctx.flow.root()) else {
            return Vec::new();
        };
        let range = section.entry.text_range();
        let range = section.entry.key_scalar().map_or(range, |k| k.text_range());
        if DEFAULTS_KEYS
            .iter()
            .all(|k| ctx.flow.root().get(k).is_some())
        {
            // Which of the two Kestra reads is not pinned down, so there is
            // no one configuration to write into the instances.
            return vec![Fix::refused(range, "", Refusal::unsupported("`pluginDefaults` and `taskDefaults` are both present, and which one Kestra applies is not certain; merge them into `pluginDefaults` by hand, then run again"))];
        }
        match plan(ctx, &section) {
            Ok(fix) => vec![fix],
            Err(problems) => {
                let more = match problems.len() {
                    1 => String::new(),
                    n => format!(" (and {} more)", n - 1),
                };
                vec![Fix::refused(
                    range,
                    "",
                    Refusal::unsupported(format!(
                        "`{}` cannot be inlined exactly: {}{more}; inline by hand",
                        section.key, problems[0]
                    )),
                )]
            }
        }
    }
}

/// One flow default as written: its data and its `values` mapping's text.
struct Written {
    data: PluginDefault,
    /// Path of its `values` mapping, when it has one.
    values: Option<DataPath>,
}

fn plan(ctx: &FlowContext, section: &Section) -> Result<Fix, Vec<String>> {
    let data = ctx
        .data()
        .ok_or_else(|| vec!["the flow cannot be read".to_string()])?;
    let written = written_defaults(data, section)?;
    let all: Vec<PluginDefault> = written.iter().map(|w| w.data.clone()).collect();
    debug_assert_eq!(all, flow_defaults(data));
    let cst: HashMap<DataPath, PluginInstance> = ctx
        .flow
        .plugin_instances()
        .into_iter()
        .map(|i| (i.path.clone(), i))
        .collect();
    let data_instances = instances(data);

    let mut editor = ctx.editor();
    let mut problems: Vec<String> = Vec::new();
    let mut touched = 0usize;
    // Defaults' properties an instance's type lacks: Kestra 1.x ignored
    // them there, so they are not written.
    let mut dropped: Vec<String> = Vec::new();
    for inst in &data_instances {
        let matching: Vec<&Written> = written
            .iter()
            .filter(|w| default_matches(&w.data.type_prefix, inst.type_name))
            .collect();
        if matching.is_empty() {
            continue;
        }
        let path = &inst.path;
        let eff = effective(inst.map, &all);
        if let Some(k) = eff.ambiguous.first() {
            problems.push(format!(
                "two defaults set `{k}` for {path}, and Kestra's order between them is undefined"
            ));
            continue;
        }
        let Some(target) = cst.get(path).filter(|c| !c.anchored) else {
            problems.push(not_editable(ctx, path, cst.contains_key(path)));
            continue;
        };
        let before = (editor.len(), problems.len());
        for w in &matching {
            for (key, _) in &w.data.values {
                match decide(ctx.catalog, inst.type_name, &w.data.type_prefix, key) {
                    Decision::Write => {}
                    Decision::Drop(why) => {
                        dropped.push(format!("`{key}` is not written into {path}: {why}"));
                        continue;
                    }
                    Decision::Refuse(why) => {
                        problems.push(format!("{path}: {why}"));
                        continue;
                    }
                }
                let own = inst.map.get(key);
                let Some(merged) = eff.config.get(key) else {
                    problems.push(format!(
                        "{path}: the plugin catalogs disagree on whether `{}` has `{key}`",
                        inst.type_name
                    ));
                    continue;
                };
                if own == Some(merged) {
                    continue;
                }
                if let Some(nested) = nested_plugin(merged, &all) {
                    problems.push(format!(
                        "{path}.{key} would bring in a `{nested}` that defaults also apply to"
                    ));
                    continue;
                }
                if data_instances
                    .iter()
                    .any(|i| i.path != *path && starts_with(&i.path, &path.key(key)))
                {
                    problems.push(format!("{path}.{key} holds plugins of its own"));
                    continue;
                }
                let Some(values) = &w.values else {
                    problems.push(format!("the default for `{key}` cannot be read as text"));
                    continue;
                };
                let result = match target.mapping.get(key) {
                    None => editor
                        .transaction(|e| {
                            let value = e.copy_entry(values, key)?;
                            e.insert_entry(path, key, value, Position::Last)
                        })
                        .map_err(|r| r.to_string()),
                    Some(_) => {
                        merge_into(&mut editor, &path.key(key), &values.key(key), w.data.forced)
                    }
                };
                if let Err(why) = result {
                    problems.push(format!("{path}.{key}: {why}"));
                }
            }
        }
        if editor.len() > before.0 && problems.len() == before.1 {
            touched += 1;
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    editor
        .remove_key(&DataPath::root(), section.key)
        .map_err(|why| vec![why.to_string()])?;
    let mut never_applied = old_name_misses(&written, &data_instances);
    for note in &dropped {
        never_applied.push_str("; ");
        never_applied.push_str(note);
    }
    let message = match touched {
        0 => format!(
            "`{}` is removed in Kestra 2.0, and no instance needs its values: remove it{never_applied}",
            section.key
        ),
        1 => format!(
            "`{}` is removed in Kestra 2.0: write its values into the instance they apply to",
            section.key
        ),
        n => format!(
            "`{}` is removed in Kestra 2.0: write its values into the {n} instances they apply to",
            section.key
        ),
    };
    let message = if touched == 0 {
        message
    } else {
        format!("{message}{never_applied}")
    };
    let (edits, mut changes) = editor.finish();
    changes.push(DataChange::SameEffectiveConfig);
    Ok(Fix::new(
        section
            .entry
            .key_scalar()
            .map_or(section.entry.text_range(), |k| k.text_range()),
        message,
        Applicability::Safe,
        edits,
        changes,
    ))
}

/// A note on the defaults that match no instance only because the
/// instances use old type names: Kestra copies a default from an old name
/// to the canonical one, never the reverse, so it did not apply in 1.x
/// either and its removal loses nothing. Empty when there is none.
fn old_name_misses(written: &[Written], instances: &[Instance]) -> String {
    let misses: Vec<String> = written
        .iter()
        .filter(|w| {
            !instances
                .iter()
                .any(|i| default_matches(&w.data.type_prefix, i.type_name))
        })
        .filter_map(|w| {
            let missed = instances.iter().find(|i| {
                canonical_type(i.type_name)
                    .is_some_and(|c| default_matches(&w.data.type_prefix, c))
            })?;
            let who = missed
                .map
                .get("id")
                .and_then(Value::as_str)
                .map_or_else(|| missed.path.to_string(), |id| format!("`{id}`"));
            Some(format!(
                "the `{}` default never applied, not in 1.x either: {who} uses the old type name `{}`, and Kestra copies a default from an old type name to the new one, not the reverse",
                w.data.type_prefix, missed.type_name
            ))
        })
        .collect();
    if misses.is_empty() {
        String::new()
    } else {
        format!("; {}", misses.join("; "))
    }
}

/// The defaults with the text of their `values`, in section order.
fn written_defaults(data: &Value, section: &Section) -> Result<Vec<Written>, Vec<String>> {
    let Some(seq) = &section.seq else {
        return match data.get(section.key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(_) => Err(vec![format!("`{}` is not a list", section.key)]),
        };
    };
    let Some(Value::Seq(items)) = data.get(section.key) else {
        return Err(vec![format!("`{}` is not a list", section.key)]);
    };
    let has_refs = section
        .entry
        .syntax()
        .descendants()
        .any(|n| matches!(n.kind(), SyntaxKind::ALIAS | SyntaxKind::PROPERTIES));
    if has_refs {
        return Err(vec!["it uses YAML anchors, aliases or tags".into()]);
    }
    seq.items()
        .zip(items)
        .enumerate()
        .map(|(i, (item, value))| {
            let Some(Node::Mapping(m)) = item.value() else {
                return Err(vec![format!("entry {} is not a mapping", i + 1)]);
            };
            let one = Value::Map(vec![(
                Value::String("pluginDefaults".into()),
                Value::Seq(vec![value.clone()]),
            )]);
            let data = flow_defaults(&one)
                .pop()
                .ok_or_else(|| vec![format!("entry {} has no `type`", i + 1)])?;
            let values = match m.get_value("values") {
                Some(Node::Mapping(_)) => Some(default_path(section.key, i).key("values")),
                _ => None,
            };
            Ok(Written { data, values })
        })
        .collect()
}

/// What becomes of one default's property on one instance.
enum Decision {
    Write,
    /// Kestra 1.x ignored it there: nothing to write; why.
    Drop(String),
    /// Whether 1.x applied it cannot be told: the flow is refused; why.
    Refuse(String),
}

/// A default's property is written into an instance when Kestra 1.x gave
/// it to the instance: the type has it, in 2.0 or in 1.x (a later 2.0
/// rule rewrites a 1.x name, so inlining runs first). A type the catalog
/// does not know counts as having it only when the default names the exact
/// type: the author wrote the property for that class.
fn decide(catalog: &Catalog, type_name: &str, default_type: &str, key: &str) -> Decision {
    match default_applies(catalog, type_name, key) {
        Answer::Yes => Decision::Write,
        // The verifier reads the built-in catalog: drop only what it
        // drops too.
        Answer::No if default_applies(Catalog::builtin(), type_name, key) == Answer::No => {
            Decision::Drop(format!(
                "`{type_name}` has no such property, so Kestra 1.x ignored the `{default_type}` default there"
            ))
        }
        Answer::No => Decision::Refuse(format!(
            "the plugin catalogs disagree on whether `{type_name}` has `{key}`"
        )),
        Answer::Unknown if default_type == type_name => Decision::Write,
        Answer::Unknown => Decision::Refuse(format!(
            "kestra-fix cannot tell whether `{type_name}` has `{key}`, set by the `{default_type}` default; describe the type in a user plugin catalog (`plugin-catalogs = [\"file.json\"]` in kestra-fix.toml)"
        )),
    }
}

/// Why the map at `path`, which a default matches, cannot be edited.
fn not_editable(ctx: &FlowContext, path: &DataPath, walked: bool) -> String {
    let through_reference = walked || ctx.editor().node(path).is_err();
    if through_reference {
        format!("{path} sits under a YAML anchor or alias, whose other uses would change too")
    } else {
        format!(
            "{path} is data, not a plugin, though it has a `type`; Kestra 1.x applied defaults to every map with a matching `type`, data included, and inlining there would change the data"
        )
    }
}

/// The type of a plugin map inside `value` that a default matches.
fn nested_plugin(value: &Value, defaults: &[PluginDefault]) -> Option<String> {
    match value {
        Value::Map(entries) => {
            if let Some(t) = value.get("type").and_then(Value::as_str) {
                if defaults.iter().any(|d| default_matches(&d.type_prefix, t)) {
                    return Some(t.to_string());
                }
            }
            entries.iter().find_map(|(_, v)| nested_plugin(v, defaults))
        }
        Value::Seq(items) => items.iter().find_map(|v| nested_plugin(v, defaults)),
        _ => None,
    }
}

fn starts_with(path: &DataPath, prefix: &DataPath) -> bool {
    path.segments().starts_with(prefix.segments())
}

/// Turns the instance's value at `own` into Kestra's merge of the
/// default's value at `default` into it: maps gain the default's missing
/// keys (recursively), lists get the default's items (first, or last when
/// forced), a forced scalar replaces the own one.
fn merge_into(
    editor: &mut Editor,
    own: &DataPath,
    default: &DataPath,
    forced: bool,
) -> Result<(), String> {
    let (own_node, default_node) = (
        editor.node(own).map_err(|r| r.to_string())?,
        editor.node(default).map_err(|r| r.to_string())?,
    );
    let refused = |r: Refusal| r.to_string();
    match (&own_node, &default_node) {
        (Node::Mapping(own_map), Node::Mapping(def_map)) => {
            for entry in def_map.entries() {
                let Some(key) = entry.key_text() else {
                    return Err("a default entry has no key".into());
                };
                if own_map.get(&key).is_some() {
                    merge_into(editor, &own.key(&key), &default.key(&key), forced)?;
                } else {
                    editor
                        .transaction(|e| {
                            let value = e.copy_entry(default, &key)?;
                            e.insert_entry(own, &key, value, Position::Last)
                        })
                        .map_err(refused)?;
                }
            }
            Ok(())
        }
        (Node::Sequence(_), Node::Sequence(def_seq)) => {
            let position = if forced {
                Position::Last
            } else {
                Position::First
            };
            for i in 0..def_seq.items().count() {
                editor
                    .transaction(|e| {
                        let item = e.copy_item(default, i)?;
                        e.insert_item(own, item, position.clone())
                    })
                    .map_err(refused)?;
            }
            Ok(())
        }
        (Node::Scalar(_), Node::Scalar(_)) if forced => editor
            .transaction(|e| {
                let value = e.copy(default)?;
                e.replace_value(own, value)
            })
            .map_err(refused),
        // Not forced: the instance's own value wins.
        _ if !forced => Ok(()),
        _ => Err("a forced default and the instance's own value have different shapes".into()),
    }
}
