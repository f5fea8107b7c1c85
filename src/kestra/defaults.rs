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
    let matching: Vec<PluginDefault> = matching_defaults(type_name, defaults, skip)
        .into_iter()
        .map(|i| PluginDefault {
            values: defaults[i]
                .values
                .iter()
                .filter(|(k, _)| applies(k))
                .cloned()
                .collect(),
            ..defaults[i].clone()
        })
        .collect();
    let mut ambiguous = Vec::new();
    for (i, a) in matching.iter().enumerate() {
        for b in &matching[i + 1..] {
            for (k, _) in &a.values {
                if b.values.iter().any(|(bk, _)| bk == k) && !ambiguous.contains(k) {
                    ambiguous.push(k.clone());
                }
            }
        }
    }
    let as_map = |d: &PluginDefault| {
        Value::Map(
            d.values
                .iter()
                .map(|(k, v)| (Value::String(k.clone()), v.clone()))
                .collect(),
        )
    };
    let mut config = instance.clone();
    for d in matching.iter().filter(|d| !d.forced) {
        config = merge(&as_map(d), &config);
    }
    for d in matching.iter().filter(|d| d.forced) {
        config = merge(&config, &as_map(d));
    }
    Effective { config, ambiguous }
}

/// Every plugin instance's path and effective configuration, resolved as
/// Kestra builds it: defaults are injected into a plugin map, then the maps
/// nested in the result (a `taskRunner` that came from a default included)
/// get their own. A configuration holds its nested plugins resolved, so
/// two flows compare equal exactly when every instance runs the same.
pub fn effective_configs(flow: &Value) -> Vec<(DataPath, Effective)> {
    let defaults = flow_defaults(flow);
    let mut out = Vec::new();
    for (key, v) in plugin_sections(flow) {
        resolve(v, &mut DataPath::root().key(key), &defaults, &[], &mut out);
    }
    out
}

/// `skip`: defaults whose own values the walk is inside. A default is not
/// applied again within what it injected, or a default whose value holds a
/// plugin map it matches (a `taskRunner` under a prefix default) would
/// inject itself forever.
fn resolve(
    value: &Value,
    path: &mut DataPath,
    defaults: &[PluginDefault],
    skip: &[usize],
    out: &mut Vec<(DataPath, Effective)>,
) -> Value {
    match value {
        Value::Map(_) => {
            let type_name = value.get("type").and_then(Value::as_str);
            let slot = type_name.map(|_| {
                let eff = effective_skipping(value, defaults, skip);
                out.push((path.clone(), eff));
                out.len() - 1
            });
            let applied = type_name.map_or_else(Vec::new, |t| matching_defaults(t, defaults, skip));
            let merged = match slot {
                Some(i) => out[i].1.config.clone(),
                None => value.clone(),
            };
            let Value::Map(entries) = merged else {
                unreachable!("a mapping merged with defaults stays a mapping")
            };
            let mut resolved = Vec::with_capacity(entries.len());
            for (k, v) in entries {
                let child =
                    match k.as_str() {
                        Some(key) => {
                            let mut inner_skip = skip.to_vec();
                            if value.get(key) != Some(&v) {
                                inner_skip.extend(applied.iter().filter(|&&i| {
                                    defaults[i].values.iter().any(|(dk, _)| dk == key)
                                }));
                            }
                            path.0.push(PathSeg::Key(key.to_string()));
                            let r = resolve(&v, path, defaults, &inner_skip, out);
                            path.0.pop();
                            r
                        }
                        None => v,
                    };
                resolved.push((k, child));
            }
            let resolved = Value::Map(resolved);
            if let Some(i) = slot {
                out[i].1.config = resolved.clone();
            }
            resolved
        }
        Value::Seq(items) => Value::Seq(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    path.0.push(PathSeg::Index(i));
                    let r = resolve(v, path, defaults, skip, out);
                    path.0.pop();
                    r
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::{parse, value::decode_documents};

    fn data(text: &str) -> Value {
        decode_documents(&parse(text)).unwrap().remove(0)
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
        let configs = effective_configs(&data(text));
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
        let configs = effective_configs(&flow);
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
    fn forced_default_wins_and_overlap_is_ambiguous() {
        let text = "id: f\nnamespace: n\ntasks:\n- id: a\n  type: a.b.C\n  k: own\npluginDefaults:\n- type: a.b\n  forced: true\n  values: {k: forced}\n- type: a.b.C\n  values: {k: other}\n";
        let configs = effective_configs(&data(text));
        assert_eq!(
            configs[0].1.config.get("k").unwrap().as_str(),
            Some("forced")
        );
        assert_eq!(configs[0].1.ambiguous, vec!["k".to_string()]);
    }

    #[test]
    fn a_property_the_class_lacks_is_ignored() {
        let text = "id: f\nnamespace: n\ntasks:\n- id: a\n  type: io.kestra.plugin.scripts.python.Script\n  taskRunner:\n    type: io.kestra.plugin.scripts.runner.docker.Docker\n- id: u\n  type: com.acme.Task\npluginDefaults:\n- type: io.kestra.plugin.scripts\n  values: {containerImage: py, workerGroup: {key: g}}\n- type: com.acme\n  values: {containerImage: acme}\n";
        let configs = effective_configs(&data(text));
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
