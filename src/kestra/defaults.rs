//! Effective configuration of plugin instances under `pluginDefaults`,
//! following Kestra's PluginDefaultService (see SEMANTICS.md):
//!
//! - a default applies to every map with a `type` whose type equals the
//!   default's type or starts with it (a raw string prefix);
//! - non-forced: the instance's own value wins, defaults fill what is absent;
//!   `forced: true`: the default wins;
//! - maps deep-merge, lists concatenate (defaults first), a null never
//!   removes anything;
//! - a default's property the plugin class lacks is ignored (the built-in
//!   catalog says which; what it cannot tell counts as applied).
//!
//! It works on decoded data ([`Value`]), not on the syntax tree, so the
//! engine can run it on the output of an independent YAML parser.

use super::catalog::{Answer, Catalog};
use super::flow::{DATA_SECTIONS, DEFAULTS_KEYS};
use super::path::{DataPath, PathSeg};
use super::plugins::canonical_type;
use super::properties::default_applies;
use crate::syntax::value::Value;
use std::borrow::Cow;

/// One flow-level default.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginDefault {
    pub type_prefix: String,
    pub forced: bool,
    /// The `values` mapping (key -> value).
    pub values: Vec<(String, Value)>,
}

/// A map with a string `type`, somewhere in the flow.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance<'v> {
    pub path: DataPath,
    pub type_name: &'v str,
    pub map: &'v Value,
}

/// The flow-level defaults (`pluginDefaults`, or the old `taskDefaults`).
pub fn flow_defaults(flow: &Value) -> Vec<PluginDefault> {
    let list = flow
        .get("pluginDefaults")
        .or_else(|| flow.get("taskDefaults"));
    let Some(Value::Seq(items)) = list else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let type_prefix = item.get("type")?.as_str()?.to_string();
            let forced = matches!(item.get("forced"), Some(Value::Bool(true)));
            let values = match item.get("values") {
                Some(Value::Map(entries)) => entries
                    .iter()
                    .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.clone())))
                    .collect(),
                _ => Vec::new(),
            };
            Some(PluginDefault {
                type_prefix,
                forced,
                values,
            })
        })
        .collect()
}

/// Kestra's matching rule: exact type or raw string prefix. A default
/// written with an old type name is also copied to the canonical name
/// (not the reverse).
pub fn default_matches(default_type: &str, plugin_type: &str) -> bool {
    plugin_type.starts_with(default_type)
        || canonical_type(default_type).is_some_and(|canonical| plugin_type.starts_with(canonical))
}

/// The top-level entries that can hold plugin instances.
fn plugin_sections(flow: &Value) -> impl Iterator<Item = (&str, &Value)> {
    let entries = match flow {
        Value::Map(entries) => entries.as_slice(),
        _ => &[],
    };
    entries.iter().filter_map(|(k, v)| {
        let key = k.as_str()?;
        let data = DATA_SECTIONS.contains(&key) || DEFAULTS_KEYS.contains(&key);
        (!data).then_some((key, v))
    })
}

/// Every plugin instance of the flow, in document order.
pub fn instances(flow: &Value) -> Vec<Instance<'_>> {
    let mut out = Vec::new();
    for (key, v) in plugin_sections(flow) {
        walk(v, &mut DataPath::root().key(key), &mut out);
    }
    out
}

fn walk<'v>(value: &'v Value, path: &mut DataPath, out: &mut Vec<Instance<'v>>) {
    match value {
        Value::Map(entries) => {
            if let Some(t) = value.get("type").and_then(Value::as_str) {
                out.push(Instance {
                    path: path.clone(),
                    type_name: t,
                    map: value,
                });
            }
            for (k, v) in entries {
                let Some(key) = k.as_str() else { continue };
                path.0.push(PathSeg::Key(key.to_string()));
                walk(v, path, out);
                path.0.pop();
            }
        }
        Value::Seq(items) => {
            for (i, v) in items.iter().enumerate() {
                path.0.push(PathSeg::Index(i));
                walk(v, path, out);
                path.0.pop();
            }
        }
        _ => {}
    }
}

/// Merges `over` onto `base`: maps deep-merge, lists concatenate (base
/// first), a null in `over` never removes, any other value of `over` wins.
pub fn merge(base: &Value, over: &Value) -> Value {
    match (base, over) {
        (Value::Map(b), Value::Map(o)) => {
            let mut out: Vec<(Value, Value)> = b.clone();
            for (k, v) in o {
                match out.iter_mut().find(|(bk, _)| bk == k) {
                    Some((_, bv)) => *bv = merge(bv, v),
                    None => out.push((k.clone(), v.clone())),
                }
            }
            Value::Map(out)
        }
        (Value::Seq(b), Value::Seq(o)) => Value::Seq(b.iter().chain(o).cloned().collect()),
        (b, Value::Null) => b.clone(),
        (_, o) => o.clone(),
    }
}

/// The configuration an instance runs with under `defaults` (in declared
/// order), as a mapping. `ambiguous` lists keys that two matching
/// defaults both set, where Kestra's order is undefined.
#[derive(Debug, Clone, PartialEq)]
pub struct Effective {
    pub config: Value,
    pub ambiguous: Vec<String>,
}

pub fn effective(instance: &Value, defaults: &[PluginDefault]) -> Effective {
    effective_skipping(instance, defaults, &[])
}

/// The defaults (by index) that apply to `type_name`, minus `skip`.
fn matching_defaults(type_name: &str, defaults: &[PluginDefault], skip: &[usize]) -> Vec<usize> {
    (0..defaults.len())
        .filter(|i| !skip.contains(i) && default_matches(&defaults[*i].type_prefix, type_name))
        .collect()
}

/// [`merge`] on owned values: what `over` does not replace moves instead
/// of being copied.
fn merge_owned(base: Value, over: Value) -> Value {
    match (base, over) {
        (Value::Map(mut out), Value::Map(o)) => {
            for (k, v) in o {
                match out.iter_mut().find(|(bk, _)| *bk == k) {
                    Some((_, bv)) => *bv = merge_owned(std::mem::replace(bv, Value::Null), v),
                    None => out.push((k, v)),
                }
            }
            Value::Map(out)
        }
        (Value::Seq(mut b), Value::Seq(o)) => {
            b.extend(o);
            Value::Seq(b)
        }
        (b, Value::Null) => b,
        (_, o) => o,
    }
}

fn effective_skipping(instance: &Value, defaults: &[PluginDefault], skip: &[usize]) -> Effective {
    let Some(type_name) = instance.get("type").and_then(Value::as_str) else {
        return Effective {
            config: instance.clone(),
            ambiguous: Vec::new(),
        };
    };
    // Kestra 1.x ignored a property the plugin class lacks: such a value
    // of a default never reached the instance.
    let applies = |k: &str| default_applies(Catalog::builtin(), type_name, k) != Answer::No;
    let matching: Vec<(bool, Vec<&(String, Value)>)> = matching_defaults(type_name, defaults, skip)
        .into_iter()
        .map(|i| {
            let values = defaults[i].values.iter().filter(|(k, _)| applies(k));
            (defaults[i].forced, values.collect())
        })
        .collect();
    let mut ambiguous = Vec::new();
    for (i, (_, a)) in matching.iter().enumerate() {
        for (_, b) in &matching[i + 1..] {
            for (k, _) in a {
                if b.iter().any(|(bk, _)| bk == k) && !ambiguous.contains(k) {
                    ambiguous.push(k.clone());
                }
            }
        }
    }
    let as_map = |values: &[&(String, Value)]| {
        Value::Map(
            values
                .iter()
                .map(|(k, v)| (Value::String(k.clone()), v.clone()))
                .collect(),
        )
    };
    let mut config = instance.clone();
    for (_, values) in matching.iter().filter(|(forced, _)| !forced) {
        config = merge_owned(as_map(values), config);
    }
    for (_, values) in matching.iter().filter(|(forced, _)| *forced) {
        config = merge_owned(config, as_map(values));
    }
    Effective { config, ambiguous }
}

/// Every plugin instance's path and effective configuration, resolved as
/// Kestra builds it: defaults are injected into a plugin map, then the maps
/// nested in the result (a `taskRunner` that came from a default included)
/// get their own. A configuration holds its nested plugins resolved, so
/// two flows compare equal exactly when every instance runs the same.
///
/// The verifier resolves both sides of every fix that promises the same
/// configurations, and no default touches most instances: what no default
/// changes stays borrowed from `flow`, an instance that no other holds is
/// resolved on its own (a change in it copies none of its siblings), and a
/// nested instance's configuration is read in place from its parent's.
pub fn effective_configs(flow: &Value) -> EffectiveConfigs<'_> {
    let defaults = flow_defaults(flow);
    let mut configs = EffectiveConfigs {
        roots: Vec::new(),
        instances: Vec::new(),
    };
    for (key, v) in plugin_sections(flow) {
        let mut resolver = Resolver {
            defaults: &defaults,
            path: DataPath::root().key(key),
            at: Vec::new(),
            root: 0,
            roots: &mut configs.roots,
            out: &mut configs.instances,
        };
        resolver.outside(v);
    }
    configs
}

/// The effective configurations of a flow's instances, in document order
/// (see [`effective_configs`]); equal when every instance is.
pub struct EffectiveConfigs<'v> {
    /// Each instance that no other holds, resolved.
    roots: Vec<Cow<'v, Value>>,
    instances: Vec<Resolved>,
}

/// Where an instance's configuration lies in its resolved section.
struct Resolved {
    path: DataPath,
    ambiguous: Vec<String>,
    root: usize,
    /// Entry or item positions from the root down to the instance.
    at: Vec<usize>,
}

/// One instance of [`EffectiveConfigs`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InstanceConfig<'c> {
    pub path: &'c DataPath,
    pub config: &'c Value,
    /// Keys that two matching defaults both set, where Kestra's order is
    /// undefined.
    pub ambiguous: &'c [String],
}

impl EffectiveConfigs<'_> {
    pub fn len(&self) -> usize {
        self.instances.len()
    }

    pub fn is_empty(&self) -> bool {
        self.instances.is_empty()
    }

    pub fn get(&self, index: usize) -> Option<InstanceConfig<'_>> {
        let instance = self.instances.get(index)?;
        let mut config: &Value = &self.roots[instance.root];
        for &i in &instance.at {
            config = match config {
                Value::Map(entries) => &entries[i].1,
                Value::Seq(items) => &items[i],
                _ => unreachable!("a nested instance lies in the collections of its root"),
            };
        }
        Some(InstanceConfig {
            path: &instance.path,
            config,
            ambiguous: &instance.ambiguous,
        })
    }

    pub fn iter(&self) -> impl Iterator<Item = InstanceConfig<'_>> {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

impl PartialEq for EffectiveConfigs<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl std::fmt::Debug for EffectiveConfigs<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Only a collection can hold an instance: anything else resolves to
/// itself, and the walk need not name its path.
fn is_collection(value: &Value) -> bool {
    matches!(value, Value::Map(_) | Value::Seq(_))
}

/// The walk of one section for [`effective_configs`].
struct Resolver<'d, 'o, 'v> {
    defaults: &'d [PluginDefault],
    path: DataPath,
    /// The position of the value being resolved (see [`Resolved::at`]).
    at: Vec<usize>,
    /// The root being resolved.
    root: usize,
    roots: &'o mut Vec<Cow<'v, Value>>,
    out: &'o mut Vec<Resolved>,
}

impl<'v> Resolver<'_, '_, 'v> {
    /// Walks `value`, outside every instance, to the instances no other
    /// holds: nothing out here changes, nor is read as a configuration.
    fn outside(&mut self, value: &'v Value) {
        match value {
            Value::Map(_) if value.get("type").and_then(Value::as_str).is_some() => {
                self.root = self.roots.len();
                self.roots.push(Cow::Borrowed(value));
                let resolved = self.resolve(Cow::Borrowed(value), &[]);
                self.roots[self.root] = resolved;
            }
            Value::Map(entries) => {
                for (k, v) in entries {
                    let Some(key) = k.as_str().filter(|_| is_collection(v)) else {
                        continue;
                    };
                    self.path.0.push(PathSeg::Key(key.to_string()));
                    self.outside(v);
                    self.path.0.pop();
                }
            }
            Value::Seq(items) => {
                for (i, v) in items.iter().enumerate().filter(|(_, v)| is_collection(v)) {
                    self.path.0.push(PathSeg::Index(i));
                    self.outside(v);
                    self.path.0.pop();
                }
            }
            _ => {}
        }
    }

    /// `value` resolved: borrowed when nothing in it changes, owned when a
    /// default applies in it. An owned `value` comes out of a merged
    /// configuration, whose parts then move instead of being copied.
    ///
    /// `skip`: defaults whose own values the walk is inside. A default is
    /// not applied again within what it injected, or a default whose value
    /// holds a plugin map it matches (a `taskRunner` under a prefix
    /// default) would inject itself forever.
    fn resolve<'x>(&mut self, value: Cow<'x, Value>, skip: &[usize]) -> Cow<'x, Value> {
        if let (Value::Map(_), Some(type_name)) =
            (&*value, value.get("type").and_then(Value::as_str))
        {
            let applied = matching_defaults(type_name, self.defaults, skip);
            // The slot keeps document order: nested instances come after it.
            self.out.push(Resolved {
                path: self.path.clone(),
                ambiguous: Vec::new(),
                root: self.root,
                at: self.at.clone(),
            });
            // Without a default to apply, an instance resolves as any
            // mapping does.
            if !applied.is_empty() {
                let slot = self.out.len() - 1;
                return Cow::Owned(self.merged(&value, &applied, skip, slot));
            }
        }
        match value {
            Cow::Borrowed(whole @ Value::Map(entries)) => {
                // Copied from the first entry that changes on.
                let mut changed: Option<Vec<(Value, Value)>> = None;
                for (i, (k, v)) in entries.iter().enumerate() {
                    let r = match k.as_str() {
                        Some(key) => self.child(Some(key), i, Cow::Borrowed(v), skip),
                        None => Cow::Borrowed(v),
                    };
                    if changed.is_none() && matches!(r, Cow::Borrowed(_)) {
                        continue;
                    }
                    changed
                        .get_or_insert_with(|| entries[..i].to_vec())
                        .push((k.clone(), r.into_owned()));
                }
                changed.map_or(Cow::Borrowed(whole), |e| Cow::Owned(Value::Map(e)))
            }
            Cow::Borrowed(whole @ Value::Seq(items)) => {
                let mut changed: Option<Vec<Value>> = None;
                for (i, v) in items.iter().enumerate() {
                    let r = self.child(None, i, Cow::Borrowed(v), skip);
                    if changed.is_none() && matches!(r, Cow::Borrowed(_)) {
                        continue;
                    }
                    changed
                        .get_or_insert_with(|| items[..i].to_vec())
                        .push(r.into_owned());
                }
                changed.map_or(Cow::Borrowed(whole), |e| Cow::Owned(Value::Seq(e)))
            }
            Cow::Owned(Value::Map(entries)) => Cow::Owned(Value::Map(
                entries
                    .into_iter()
                    .enumerate()
                    .map(|(i, (k, v))| {
                        let r = match k.as_str() {
                            Some(key) => self.child(Some(key), i, Cow::Owned(v), skip).into_owned(),
                            None => v,
                        };
                        (k, r)
                    })
                    .collect(),
            )),
            Cow::Owned(Value::Seq(items)) => Cow::Owned(Value::Seq(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| self.child(None, i, Cow::Owned(v), skip).into_owned())
                    .collect(),
            )),
            other => other,
        }
    }

    /// The entry `key` (the item, without one) at `position` resolved.
    fn child<'x>(
        &mut self,
        key: Option<&str>,
        position: usize,
        value: Cow<'x, Value>,
        skip: &[usize],
    ) -> Cow<'x, Value> {
        if !is_collection(&value) {
            return value;
        }
        self.path.0.push(match key {
            Some(key) => PathSeg::Key(key.to_string()),
            None => PathSeg::Index(position),
        });
        self.at.push(position);
        let r = self.resolve(value, skip);
        self.at.pop();
        self.path.0.pop();
        r
    }

    /// The instance `value` with the `applied` defaults, its nested
    /// instances resolved.
    fn merged(&mut self, value: &Value, applied: &[usize], skip: &[usize], slot: usize) -> Value {
        let defaults = self.defaults;
        let eff = effective_skipping(value, defaults, skip);
        self.out[slot].ambiguous = eff.ambiguous;
        let Value::Map(entries) = eff.config else {
            unreachable!("a mapping merged with defaults stays a mapping")
        };
        let mut resolved = Vec::with_capacity(entries.len());
        for (i, (k, v)) in entries.into_iter().enumerate() {
            let child = match k.as_str() {
                Some(key) if is_collection(&v) => {
                    let mut injected = applied
                        .iter()
                        .filter(|&&d| defaults[d].values.iter().any(|(dk, _)| dk == key))
                        .peekable();
                    // Only a value a default changed is inside what it
                    // injected.
                    let inner_skip: Cow<'_, [usize]> =
                        if injected.peek().is_some() && value.get(key) != Some(&v) {
                            Cow::Owned(skip.iter().chain(injected).copied().collect())
                        } else {
                            Cow::Borrowed(skip)
                        };
                    self.child(Some(key), i, Cow::Owned(v), &inner_skip)
                        .into_owned()
                }
                _ => v,
            };
            resolved.push((k, child));
        }
        Value::Map(resolved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::{parse, value::decode_documents};

    fn data(text: &str) -> Value {
        decode_documents(&parse(text)).unwrap().remove(0)
    }

    /// [`effective_configs`], each configuration copied out.
    fn configs_of(flow: &Value) -> Vec<(DataPath, Effective)> {
        effective_configs(flow)
            .iter()
            .map(|c| {
                let effective = Effective {
                    config: c.config.clone(),
                    ambiguous: c.ambiguous.to_vec(),
                };
                (c.path.clone(), effective)
            })
            .collect()
    }

    const FLOW: &str = r#"
id: f
namespace: n
inputs:
  - id: x
    type: STRING
tasks:
  - id: a
    type: io.kestra.plugin.scripts.python.Script
    beforeCommands: [pip install b]
    taskRunner:
      type: io.kestra.plugin.scripts.runner.docker.Docker
      cpu: {cpus: 1}
  - id: b
    type: io.kestra.plugin.scripts.python.Commands
    containerImage: own
pluginDefaults:
  - type: io.kestra.plugin.scripts.python
    values:
      containerImage: python:3.11
      beforeCommands: [pip install a]
  - type: io.kestra.plugin.scripts.runner.docker.Docker
    forced: true
    values:
      cpu: {memory: 2}
      pullPolicy: ALWAYS
"#;

    #[test]
    fn defaults_match_by_prefix_and_through_old_names() {
        let old = "io.kestra.core.tasks.log.Log";
        let new = "io.kestra.plugin.core.log.Log";
        assert!(default_matches(old, old));
        assert!(
            default_matches(old, new),
            "an old-name default is copied to the canonical name"
        );
        assert!(!default_matches(new, old), "not the reverse");
        assert!(default_matches("io.kestra.plugin.core", new));
        assert!(!default_matches("io.kestra.plugin.core", old));
    }

    #[test]
    fn a_default_is_not_applied_inside_its_own_value() {
        let text = "id: f\nnamespace: n\ntasks:\n- id: a\n  type: io.kestra.plugin.scripts.python.Script\npluginDefaults:\n- type: io.kestra.plugin.scripts\n  values:\n    taskRunner:\n      type: io.kestra.plugin.scripts.runner.docker.Docker\n";
        let configs = configs_of(&data(text));
        let paths: Vec<String> = configs.iter().map(|(p, _)| p.to_string()).collect();
        assert_eq!(paths, ["tasks[0]", "tasks[0].taskRunner"]);
    }

    #[test]
    fn instances_exclude_inputs_and_defaults() {
        let flow = data(FLOW);
        let paths: Vec<String> = instances(&flow)
            .iter()
            .map(|i| i.path.to_string())
            .collect();
        assert_eq!(paths, ["tasks[0]", "tasks[0].taskRunner", "tasks[1]"]);
    }

    #[test]
    fn merges_like_kestra() {
        let flow = data(FLOW);
        let configs = configs_of(&flow);
        let a = &configs[0].1.config;
        assert_eq!(
            a.get("containerImage").unwrap().as_str(),
            Some("python:3.11")
        );
        let Some(Value::Seq(cmds)) = a.get("beforeCommands") else {
            panic!()
        };
        assert_eq!(cmds.len(), 2, "lists concatenate, defaults first");
        assert_eq!(cmds[0].as_str(), Some("pip install a"));
        let runner = &configs[1].1.config;
        assert_eq!(runner.get("pullPolicy").unwrap().as_str(), Some("ALWAYS"));
        let cpu = runner.get("cpu").unwrap();
        assert!(
            cpu.get("cpus").is_some() && cpu.get("memory").is_some(),
            "maps deep-merge"
        );
        let b = &configs[2].1.config;
        assert_eq!(
            b.get("containerImage").unwrap().as_str(),
            Some("own"),
            "task value wins"
        );
    }

    #[test]
    fn merging_owned_values_is_merging() {
        let base = data("a: {x: 1, l: [1]}\nb: [1, 2]\nc: 1\nd: {y: 2}\n");
        let overs = [
            "a: {x: 2, z: 3, l: [2]}\nb: [3]\nc: null\ne: 5\n",
            "a: null\nb: {k: 1}\nd: {y: null, y2: [1]}\n",
            "e: 1\ne: 2\n",
            "[1]\n",
            "~\n",
        ];
        for over in overs {
            let over = data(over);
            // Debug output: entry order counts, and duplicate keys
            // (which `==` cannot compare) stay.
            let same = |a: Value, b: Value| assert_eq!(format!("{a:?}"), format!("{b:?}"));
            same(merge_owned(base.clone(), over.clone()), merge(&base, &over));
            same(merge_owned(over.clone(), base.clone()), merge(&over, &base));
        }
    }

    #[test]
    fn a_default_is_skipped_only_inside_a_value_it_changed() {
        let flow = |runner_default: &str| {
            format!("id: f\nnamespace: n\ntasks:\n- id: a\n  type: x.y.Script\n  taskRunner:\n    type: x.y.Runner\n    own: 1\npluginDefaults:\n- type: x.y\n  values:\n    taskRunner: {runner_default}\n    k: v\n")
        };
        // The default leaves the task's own runner as it is: the runner
        // is no value it injected, so it applies there too.
        let configs = configs_of(&data(&flow("{type: x.y.Runner}")));
        assert_eq!(configs[1].0.to_string(), "tasks[0].taskRunner");
        let runner = &configs[1].1.config;
        assert_eq!(runner.get("k").and_then(Value::as_str), Some("v"));
        assert_eq!(
            configs[0].1.config.get("taskRunner"),
            Some(runner),
            "a configuration holds its nested plugins resolved"
        );
        // The default adds `cpu` to the runner: not applied again inside.
        let configs = configs_of(&data(&flow("{type: x.y.Runner, cpu: 1}")));
        let runner = &configs[1].1.config;
        assert_eq!(runner.get("cpu"), Some(&Value::Int(1)));
        assert_eq!(runner.get("k"), None);
    }

    #[test]
    fn what_no_default_changes_is_read_in_place() {
        let text = "id: f\nnamespace: n\ntasks:\n- id: a\n  type: x.y.Script\n  taskRunner: {type: x.q.Runner}\n- id: p\n  type: x.y.Parallel\n  tasks:\n  - id: b\n    type: x.y.Script\n    taskRunner: {type: x.r.Runner, own: 1}\ntriggers: [{id: t, type: x.t.Schedule}]\npluginDefaults:\n- type: x.r\n  values: {cpu: 2}\n";
        let flow = data(text);
        let configs = effective_configs(&flow);
        let paths: Vec<String> = configs.iter().map(|c| c.path.to_string()).collect();
        assert_eq!(
            paths,
            [
                "tasks[0]",
                "tasks[0].taskRunner",
                "tasks[1]",
                "tasks[1].tasks[0]",
                "tasks[1].tasks[0].taskRunner",
                "triggers[0]"
            ]
        );
        let config = |i: usize| configs.get(i).unwrap().config;
        let in_flow = |i: usize| configs.get(i).unwrap().path.lookup(&flow).unwrap();
        for unchanged in [0, 1, 5] {
            assert!(std::ptr::eq(config(unchanged), in_flow(unchanged)));
        }
        let runner = data("{type: x.r.Runner, own: 1, cpu: 2}");
        assert_eq!(config(4), &runner);
        assert_eq!(config(3).get("taskRunner"), Some(&runner));
        let parallel = config(2).get("tasks").unwrap();
        assert_eq!(DataPath::root().index(0).lookup(parallel), Some(config(3)));
    }

    #[test]
    fn configurations_are_equal_when_every_instance_runs_the_same() {
        let own = data("tasks:\n- id: a\n  type: x.y.Z\n  image: i\n");
        let hoisted = data(
            "tasks:\n- id: a\n  type: x.y.Z\npluginDefaults:\n- type: x.y\n  values: {image: i}\n",
        );
        let other = data("tasks:\n- id: a\n  type: x.y.Z\n  image: j\n");
        assert_eq!(effective_configs(&own), effective_configs(&hoisted));
        assert_ne!(effective_configs(&own), effective_configs(&other));
    }

    #[test]
    fn forced_default_wins_and_overlap_is_ambiguous() {
        let text = "id: f\nnamespace: n\ntasks:\n- id: a\n  type: a.b.C\n  k: own\npluginDefaults:\n- type: a.b\n  forced: true\n  values: {k: forced}\n- type: a.b.C\n  values: {k: other}\n";
        let configs = configs_of(&data(text));
        assert_eq!(
            configs[0].1.config.get("k").unwrap().as_str(),
            Some("forced")
        );
        assert_eq!(configs[0].1.ambiguous, vec!["k".to_string()]);
    }

    #[test]
    fn a_property_the_class_lacks_is_ignored() {
        let text = "id: f\nnamespace: n\ntasks:\n- id: a\n  type: io.kestra.plugin.scripts.python.Script\n  taskRunner:\n    type: io.kestra.plugin.scripts.runner.docker.Docker\n- id: u\n  type: com.acme.Task\npluginDefaults:\n- type: io.kestra.plugin.scripts\n  values: {containerImage: py, workerGroup: {key: g}}\n- type: com.acme\n  values: {containerImage: acme}\n";
        let configs = configs_of(&data(text));
        let get = |i: usize, k| configs[i].1.config.get(k).cloned();
        assert!(get(0, "containerImage").is_some());
        // A 1.x property of Task (2.0 dropped it): applied.
        assert!(get(0, "workerGroup").is_some());
        assert_eq!(configs[1].0.to_string(), "tasks[0].taskRunner");
        assert_eq!(
            get(1, "containerImage"),
            None,
            "Docker has no containerImage"
        );
        assert_eq!(get(1, "workerGroup"), None);
        // Unknown to the catalog: counted as applied.
        assert!(get(2, "containerImage").is_some());
    }
}
