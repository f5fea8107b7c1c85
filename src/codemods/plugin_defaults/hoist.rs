//! hoist-plugin-defaults: a setting repeated on several instances of one
//! plugin family moves into the flow's `pluginDefaults`.
//!
//! For each key (`containerImage`, `taskRunner` by default) the codemod
//! tries default types from broad to narrow: each language package
//! (`io.kestra.plugin.scripts.python`), then each exact class. A type is
//! taken only when every instance it would match, anywhere in the flow
//! (tasks, triggers, task runners...), runs with the same configuration
//! afterwards: instances holding the hoisted value lose their copy, others
//! must keep theirs unchanged under Kestra's merge (a scalar of their own
//! wins; a map must not gain keys; a list would be concatenated, so it only
//! moves when no matching instance keeps its own), and no instance may
//! lack the key (it would gain it), and the catalog must say every matched
//! type has the key (or the default names the exact type), so that
//! `inline-plugin-defaults` can write it back. No type that another default already
//! sets the key for, on any matched instance, is used: Kestra's order
//! between two such defaults is undefined.

use super::{default_path, movable_value, section, Section};
use crate::codemods::{read_options, Phase};
use crate::codemods::{
    Applicability, Codemod, DataChange, Declaration, DefaultOn, Family, Fix, FlowContext,
    ParsedOptions, Safety,
};
use crate::fix::editor::Editor;
use crate::kestra::catalog::Answer;
use crate::kestra::defaults::{
    default_matches, flow_defaults, instances, merge, Instance, PluginDefault,
};
use crate::kestra::flow::PluginInstance;
use crate::kestra::path::DataPath;
use crate::kestra::properties::default_applies;
use crate::kestra::KestraVersion;
use crate::syntax::ast::{AstNode, Entry, Mapping, Node};
use crate::syntax::edit::{member_comments, Position};
use crate::syntax::render::Fragment;
use crate::syntax::value::Value;
use crate::syntax::TextRange;
use serde::Deserialize;
use std::collections::HashMap;

pub struct HoistPluginDefaults;

const NAME: &str = "hoist-plugin-defaults";

/// Kestra 2.0 removes `pluginDefaults`: hoisting is a 1.x practice.
const DEFAULTS_REMOVED_IN: KestraVersion = KestraVersion::new(2, 0);

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Options {
    #[serde(default = "default_keys")]
    keys: Vec<String>,
    #[serde(default = "default_min_occurrences")]
    min_occurrences: usize,
}

fn default_keys() -> Vec<String> {
    vec!["containerImage".into(), "taskRunner".into()]
}

fn default_min_occurrences() -> usize {
    2
}

impl Options {
    fn from_table(table: &toml::Table) -> Result<Options, String> {
        let options = read_options::<Options>(table)?;
        if options.min_occurrences < 2 {
            return Err("`min-occurrences` must be at least 2".into());
        }
        if let Some(k) = options
            .keys
            .iter()
            .find(|k| matches!(k.as_str(), "id" | "type"))
        {
            return Err(format!(
                "`keys` cannot hold `{k}`: it identifies the instance"
            ));
        }
        Ok(options)
    }
}

const DECLARATION: Declaration = Declaration {
    name: NAME,
    family: Family::BestPractice,
    summary: "Move settings repeated across a plugin family (containerImage, taskRunner) into pluginDefaults",
    safety: Safety::SafeWhenProven,
    default_on: DefaultOn::Below(DEFAULTS_REMOVED_IN),
    phase: Phase::STRUCTURE,
    docs: include_str!("../../../codemods/hoist-plugin-defaults/README.md"),
};

impl Codemod for HoistPluginDefaults {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }

    fn parse_options(&self, options: &toml::Table) -> Result<ParsedOptions, String> {
        Options::from_table(options).map(ParsedOptions::new)
    }

    fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
        let options: &Options = ctx.options();
        let Some(data) = ctx.data() else {
            return Vec::new();
        };
        let planner = Planner {
            ctx,
            defaults: flow_defaults(data),
            data_instances: instances(data),
            cst: ctx
                .flow
                .plugin_instances()
                .into_iter()
                .map(|i| (i.path.clone(), i))
                .collect(),
            min: options.min_occurrences,
        };
        let mut plans: Vec<Plan> = Vec::new();
        for key in &options.keys {
            for prefix in planner.candidates(key) {
                if let Some(plan) = planner.evaluate(key, &prefix, &plans) {
                    plans.push(plan);
                }
            }
        }
        let mut by_type: Vec<(String, Vec<Plan>)> = Vec::new();
        for plan in plans {
            match by_type.iter_mut().find(|(t, _)| *t == plan.prefix) {
                Some((_, group)) => group.push(plan),
                None => by_type.push((plan.prefix.clone(), vec![plan])),
            }
        }
        let groups = by_type
            .into_iter()
            .map(|(prefix, plans)| Group { prefix, plans })
            .collect();
        build_fix(ctx, groups).into_iter().collect()
    }
}

/// The keys moving to one default type: one finding.
struct Group {
    prefix: String,
    plans: Vec<Plan>,
}

impl Group {
    /// Where the finding points: the first copy of the first key.
    fn range(&self) -> TextRange {
        self.plans[0].removals[0].1.text_range()
    }

    fn message(&self) -> String {
        let what: Vec<String> = self
            .plans
            .iter()
            .map(|p| {
                let n = p.removals.len();
                match &p.value {
                    Value::String(s) if s.len() <= 40 => format!("`{}: {s}` ({n} times)", p.key),
                    _ => format!("`{}` ({n} times)", p.key),
                }
            })
            .collect();
        format!(
            "{} repeated across `{}` plugins: move to pluginDefaults",
            what.join(" and "),
            self.prefix
        )
    }

    /// The text from the first copy it removes to the last.
    fn extent(&self) -> TextRange {
        self.plans
            .iter()
            .flat_map(|p| &p.removals)
            .map(|(_, entry)| entry.text_range())
            .reduce(|a, b| a.cover(b))
            .unwrap_or_else(|| self.range())
    }
}

/// One key moving to a default of type `prefix`.
struct Plan {
    key: String,
    prefix: String,
    value: Value,
    /// Paths of every instance the default matches.
    matched: Vec<DataPath>,
    /// The entries to remove (instance path, entry), in document order.
    removals: Vec<(DataPath, Entry)>,
    /// The instance the value's text is taken from: the first removal, or
    /// the first whose entry has comments, which travel with it.
    source: DataPath,
}

struct Planner<'a> {
    ctx: &'a FlowContext<'a>,
    defaults: Vec<PluginDefault>,
    data_instances: Vec<Instance<'a>>,
    cst: HashMap<DataPath, PluginInstance>,
    min: usize,
}

impl<'a> Planner<'a> {
    /// Default types to try for `key`, broadest first: the packages of the
    /// instances that set it, then their classes, most frequent first.
    fn candidates(&self, key: &str) -> Vec<String> {
        let mut packages: Vec<(String, usize)> = Vec::new();
        let mut classes: Vec<(String, usize)> = Vec::new();
        let bump = |list: &mut Vec<(String, usize)>, t: &str| match list
            .iter_mut()
            .find(|(x, _)| x == t)
        {
            Some((_, n)) => *n += 1,
            None => list.push((t.to_string(), 1)),
        };
        for inst in &self.data_instances {
            if inst.map.get(key).is_none() {
                continue;
            }
            if let Some((package, _)) = inst.type_name.rsplit_once('.') {
                bump(&mut packages, package);
            }
            bump(&mut classes, inst.type_name);
        }
        packages.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
        classes.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
        packages
            .into_iter()
            .chain(classes)
            .map(|(t, _)| t)
            .collect()
    }

    fn evaluate(&self, key: &str, prefix: &str, planned: &[Plan]) -> Option<Plan> {
        let matched: Vec<&Instance> = self
            .data_instances
            .iter()
            .filter(|i| default_matches(prefix, i.type_name))
            .collect();
        let matched_paths: Vec<DataPath> = matched.iter().map(|i| i.path.clone()).collect();
        // Never two defaults that could set `key` for one instance.
        let clash_existing = self.defaults.iter().any(|d| {
            d.values.iter().any(|(k, _)| k == key)
                && matched
                    .iter()
                    .any(|i| default_matches(&d.type_prefix, i.type_name))
        });
        let clash_planned = planned
            .iter()
            .any(|p| p.key == key && p.matched.iter().any(|m| matched_paths.contains(m)));
        if clash_existing || clash_planned {
            return None;
        }
        // Never a default that inline-plugin-defaults could not write back:
        // every matched type must have the key, unless the default names
        // the type exactly (its author's word for that class).
        let inlinable =
            matched.iter().all(
                |i| match default_applies(self.ctx.catalog, i.type_name, key) {
                    Answer::Yes => true,
                    Answer::Unknown => i.type_name == prefix,
                    Answer::No => false,
                },
            );
        if !inlinable {
            return None;
        }
        let value = most_common(matched.iter().filter_map(|i| i.map.get(key)))?;
        let mut removals = Vec::new();
        // The source's path and whether its entry has comments.
        let mut source: Option<(DataPath, bool)> = None;
        for inst in &matched {
            match inst.map.get(key) {
                // It would gain the value.
                None => return None,
                Some(own) if *own == value => {
                    if let Some(entry) = self.removable(inst, key) {
                        let commented = !member_comments(self.ctx.text, entry.syntax()).is_empty();
                        if source.as_ref().is_none_or(|(_, c)| !c && commented) {
                            source = Some((inst.path.clone(), commented));
                        }
                        removals.push((inst.path.clone(), entry));
                        continue;
                    }
                    keeps_own(&value, own)?;
                }
                Some(own) => keeps_own(&value, own)?,
            }
        }
        if removals.len() < self.min {
            return None;
        }
        let (source, _) = source?;
        Some(Plan {
            key: key.to_string(),
            prefix: prefix.to_string(),
            value,
            matched: matched_paths,
            removals,
            source,
        })
    }

    /// The instance's entry for `key`, when its text can be removed.
    fn removable(&self, inst: &Instance, key: &str) -> Option<Entry> {
        let cst = self.cst.get(&inst.path)?;
        if cst.anchored {
            return None;
        }
        let (entry, _) = movable_value(&cst.mapping, key)?;
        if self.ctx.is_suppressed(entry.text_range().start())
            || self.ctx.is_suppressed(cst.mapping.text_range().start())
        {
            return None;
        }
        Some(entry)
    }
}

/// An instance that keeps `own` under a new default `value` runs with the
/// same setting only if Kestra's merge leaves `own` as it is.
fn keeps_own(value: &Value, own: &Value) -> Option<()> {
    (merge(value, own) == *own).then_some(())
}

/// The most frequent value (the first seen on a tie).
fn most_common<'v>(values: impl Iterator<Item = &'v Value>) -> Option<Value> {
    let mut counts: Vec<(&Value, usize)> = Vec::new();
    for v in values {
        match counts.iter_mut().find(|(x, _)| *x == v) {
            Some((_, n)) => *n += 1,
            None => counts.push((v, 1)),
        }
    }
    let best = counts.iter().map(|(_, n)| *n).max()?;
    counts
        .into_iter()
        .find(|(_, n)| *n == best)
        .map(|(v, _)| v.clone())
}

/// One fix for every group: each removes its copies and adds its default.
/// Defaults for several types all go to the end of the defaults section (or
/// into one new section), so as separate fixes they would overlap and take
/// a round each.
///
/// New defaults are written in the order those separate fixes would have
/// been applied (by the text their edits span), so the result is the one
/// the rounds would have led to. A group whose edits are refused is left
/// out; the others still go. No group's finding is suppressed: it points at
/// a copy it removes, and a copy under a directive is never removed
/// (`Planner::removable`).
fn build_fix(ctx: &FlowContext, mut groups: Vec<Group>) -> Option<Fix> {
    let section = section(ctx.flow.root());
    // Where a new default goes: removals all lie outside the section, so
    // any point of it orders them as its end would.
    let point = match &section {
        Some(s) => s.entry.text_range().end(),
        None => ctx.flow.root().syntax().text_range().end(),
    };
    groups.sort_by_key(|g| {
        let extent = g.extent();
        (extent.start().min(point), extent.end().max(point))
    });
    // A new item declares the whole section anew, from its items as they
    // were, which would undo a value declared added to one of them: values
    // for defaults already there wait for the next round when the first
    // group adds an item, and new items when it extends one.
    if let Some(section) = &section {
        let extends = |g: &Group| existing_default(section, &g.prefix).is_some();
        let first = groups.first().map(extends);
        groups.retain(|g| Some(extends(g)) == first);
    }
    let mut editor = ctx.editor();
    let mut settled: Vec<&Group> = Vec::new();
    let mut new_items: Vec<Fragment> = Vec::new();
    for group in &groups {
        let mark = editor.checkpoint();
        let Some(values) = take_values(&mut editor, &group.plans) else {
            editor.rollback(mark);
            continue;
        };
        // Without a section, the group's new item waits for the others.
        let added = match &section {
            Some(section) => {
                add_default(&mut editor, section, &group.prefix, values).map(|()| None)
            }
            None => Some(Some(new_item(&group.prefix, values))),
        };
        let Some(item) = added else {
            editor.rollback(mark);
            continue;
        };
        new_items.extend(item);
        settled.push(group);
    }
    let (first, rest) = settled.split_first()?;
    if !new_items.is_empty() {
        editor
            .insert_entry(
                &DataPath::root(),
                "pluginDefaults",
                Fragment::Seq(new_items),
                Position::Last,
            )
            .ok()?;
    }
    let (edits, mut changes) = editor.finish();
    changes.push(DataChange::SameEffectiveConfig);
    let fix = Fix::new(
        first.range(),
        first.message(),
        Applicability::Safe,
        edits,
        changes,
    );
    Some(
        rest.iter()
            .fold(fix, |fix, g| fix.also_settles(g.range(), g.message())),
    )
}

/// Removes every copy of the plans' keys and returns the values to write
/// in the default, each taken from its source copy with its comments.
fn take_values(editor: &mut Editor, plans: &[Plan]) -> Option<Vec<(String, Fragment)>> {
    let mut values = Vec::new();
    for plan in plans {
        let mut taken = None;
        for (path, _) in &plan.removals {
            // The copy the default is written from takes its comments
            // along; the others' stay where they are.
            if *path == plan.source {
                taken = Some(editor.take_entry(path, &plan.key).ok()?);
            } else {
                editor.remove_key(path, &plan.key).ok()?;
            }
        }
        values.push((plan.key.clone(), taken?));
    }
    Some(values)
}

/// A new default of type `prefix` with `values`.
fn new_item(prefix: &str, values: Vec<(String, Fragment)>) -> Fragment {
    Fragment::Map(vec![
        ("type".into(), Fragment::string(prefix)),
        ("values".into(), Fragment::Map(values)),
    ])
}

/// Writes the default of type `prefix` with `values` into the defaults
/// section: into its item for that exact type when there is one, else as a
/// new item at its end.
fn add_default(
    editor: &mut Editor,
    section: &Section,
    prefix: &str,
    values: Vec<(String, Fragment)>,
) -> Option<()> {
    let key = section.key;
    match existing_default(section, prefix) {
        Some((i, default)) => match default.get_value("values") {
            Some(Node::Mapping(_)) => editor
                .insert_entries(&default_path(key, i).key("values"), values, Position::Last)
                .ok(),
            Some(_) => None,
            None => editor
                .insert_entry(
                    &default_path(key, i),
                    "values",
                    Fragment::Map(values),
                    Position::Last,
                )
                .ok(),
        },
        None => editor
            .insert_item(
                &DataPath::root().key(key),
                new_item(prefix, values),
                Position::Last,
            )
            .ok(),
    }
}

/// The section's item for exactly type `prefix`, with its index.
fn existing_default(section: &Section, prefix: &str) -> Option<(usize, Mapping)> {
    section
        .seq
        .as_ref()?
        .items()
        .enumerate()
        .find_map(|(i, item)| match item.value() {
            Some(Node::Mapping(m)) if m.get_str("type").as_deref() == Some(prefix) => Some((i, m)),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::edit::apply_edits;

    /// What the codemod proposes for `text` in one round, with its
    /// default options.
    fn run(text: &str) -> Vec<Fix> {
        let options = HoistPluginDefaults
            .parse_options(&toml::Table::new())
            .unwrap();
        crate::codemods::with_codemod_context(NAME, &options, text, |ctx| {
            HoistPluginDefaults.run(ctx)
        })
    }

    fn task(id: &str, kind: &str, setting: &str) -> String {
        format!("  - id: {id}\n    type: io.kestra.plugin.scripts.{kind}\n{setting}")
    }

    const SHELL: &str = "shell.Commands";
    const PYTHON: &str = "python.Script";
    const RUNNER: &str =
        "    taskRunner:\n      type: io.kestra.plugin.scripts.runner.docker.Docker\n";
    const IMAGE: &str = "    containerImage: python:3.12\n";

    fn flow(tasks: &[String], rest: &str) -> String {
        format!("id: f\nnamespace: n\ntasks:\n{}{rest}", tasks.concat())
    }

    #[test]
    fn every_default_type_is_one_fix_reporting_each() {
        let text = flow(
            &[
                task("a", SHELL, RUNNER),
                task("b", PYTHON, &format!("    # pinned\n{IMAGE}")),
                task("c", PYTHON, IMAGE),
                task("d", SHELL, RUNNER),
            ],
            "",
        );
        let fixes = run(&text);
        assert_eq!(fixes.len(), 1);
        let fix = &fixes[0];
        // The first finding is the one whose edits start first: the shell
        // runner's, as the separate fixes were applied.
        let found: Vec<(usize, &str)> = fix
            .findings()
            .map(|(r, m)| (usize::from(r.start()), m))
            .collect();
        let shell = text.find("taskRunner").unwrap();
        let python = text.find("containerImage").unwrap();
        assert_eq!(
            found,
            [
                (shell, "`taskRunner` (2 times) repeated across `io.kestra.plugin.scripts.shell` plugins: move to pluginDefaults"),
                (python, "`containerImage: python:3.12` (2 times) repeated across `io.kestra.plugin.scripts.python` plugins: move to pluginDefaults"),
            ]
        );
        let fixed = apply_edits(&text, &fix.edits).unwrap();
        assert_eq!(
            fixed,
            flow(
                &[
                    task("a", SHELL, ""),
                    task("b", PYTHON, ""),
                    task("c", PYTHON, ""),
                    task("d", SHELL, ""),
                ],
                "pluginDefaults:\n  - type: io.kestra.plugin.scripts.shell\n    values:\n      taskRunner:\n        type: io.kestra.plugin.scripts.runner.docker.Docker\n  - type: io.kestra.plugin.scripts.python\n    values:\n      # pinned\n      containerImage: python:3.12\n"
            )
        );
        // Run again, the flow has nothing left to hoist: one round did it.
        assert!(run(&fixed).is_empty());
    }

    #[test]
    fn values_for_an_existing_default_wait_when_another_type_is_new() {
        // Adding the shell item declares the whole section anew, which
        // would undo the python value declared added to its first item.
        let existing = "pluginDefaults:\n  - type: io.kestra.plugin.scripts.python\n    values:\n      timeout: PT1H\n";
        let text = flow(
            &[
                task("a", SHELL, RUNNER),
                task("b", PYTHON, IMAGE),
                task("c", PYTHON, IMAGE),
                task("d", SHELL, RUNNER),
            ],
            existing,
        );
        let fixes = run(&text);
        assert_eq!(fixes.len(), 1);
        assert!(fixes[0].also.is_empty());
        assert!(fixes[0].message.starts_with("`taskRunner`"));
        let fixed = apply_edits(&text, &fixes[0].edits).unwrap();
        let next = run(&fixed);
        assert_eq!(next.len(), 1);
        assert!(next[0].message.starts_with("`containerImage"));
        assert!(next[0].also.is_empty());
    }

    #[test]
    fn a_suppressed_copy_stays_and_the_finding_moves_to_the_next() {
        let text = flow(
            &[
                task("a", SHELL, RUNNER),
                format!(
                    "  # kestra-fix: ignore[{NAME}]\n{}",
                    task("p", PYTHON, IMAGE)
                ),
                task("b", PYTHON, IMAGE),
                task("c", PYTHON, IMAGE),
                task("d", SHELL, RUNNER),
            ],
            "",
        );
        let fixes = run(&text);
        assert_eq!(fixes.len(), 1);
        let ranges: Vec<usize> = fixes[0]
            .findings()
            .map(|(r, _)| usize::from(r.start()))
            .collect();
        let copies: Vec<usize> = text
            .match_indices("containerImage")
            .map(|(i, _)| i)
            .collect();
        assert_eq!(ranges, [text.find("taskRunner").unwrap(), copies[1]]);
        let fixed = apply_edits(&text, &fixes[0].edits).unwrap();
        assert!(fixed.contains(&task("p", PYTHON, IMAGE)), "{fixed}");
    }
}
