//! The flow view and the plugin-instance walker.
//!
//! Kestra nests plugins in many shapes (`tasks`, `then`/`else`, Switch
//! `cases`, Dag `tasks[].task`, `taskRunner`, `triggers[].conditions`, ...),
//! and plugin properties also hold data that merely looks like a plugin: a
//! Subflow's `inputs`, a task's `labels`, `OutputValues.values`,
//! `ForEach.values`, `kv.Set.value` are handed to the child flow or the
//! execution as written. So the walker descends only where the plugin
//! catalog says a property holds plugins; there, every mapping with a scalar
//! `type` is a plugin instance, and a mapping without one is a container of
//! them (Switch `cases`, Dag `{task, dependsOn}`, a 1.x listener).
//!
//! For a type the catalog does not know, and for a property the catalog
//! does not list for its type (a 1.x trigger's `conditions`, a property of
//! an incomplete class), the walker descends into the properties Kestra's
//! core containers use for plugins ([`Catalog::core_plugin_props`]).
//!
//! Kestra's PluginDefaultService applies defaults to every map with a
//! `type`, data included; [`super::defaults`] models that on decoded data.

use super::catalog::{Answer, Catalog, PluginType};
use super::path::DataPath;
use crate::syntax::ast::{AstNode, Entry, Mapping, Node, Scalar, Sequence};
use crate::syntax::Parse;
use std::sync::OnceLock;

/// Top-level keys whose content is user data or declarations, not plugins:
/// an input's `type: STRING` names a data type, and a map under `variables`
/// is a value the flow reads (`vars.x.type`), so renaming it would change
/// what the flow computes.
pub const DATA_SECTIONS: &[&str] = &["variables", "inputs", "outputs", "labels"];

/// The top-level keys that hold plugins: `Flow` is no plugin, so the
/// catalog does not describe it. `listeners` (each with `conditions` and
/// `tasks`) is a field of early Kestra flows.
pub const PLUGIN_SECTIONS: &[&str] = &[
    "tasks",
    "errors",
    "finally",
    "afterExecution",
    "triggers",
    "listeners",
];

/// The keys that hold flow-level plugin defaults (`taskDefaults` is the
/// pre-0.15 name Kestra still reads).
pub const DEFAULTS_KEYS: &[&str] = &["pluginDefaults", "taskDefaults"];

/// A Kestra flow: the first document's top-level mapping, when it has
/// `id`, `namespace` and `tasks`.
#[derive(Debug, Clone)]
pub struct Flow {
    root: Mapping,
    /// The walk is shared by every codemod of a round: done once, on demand.
    instances: OnceLock<Vec<PluginInstance>>,
}

impl Flow {
    /// The flow in `parse`, or `None` when the file is other YAML.
    pub fn cast(parse: &Parse) -> Option<Flow> {
        let root = parse.stream().first_document()?.body_mapping()?;
        ["id", "namespace", "tasks"]
            .iter()
            .all(|k| root.get(k).is_some())
            .then_some(Flow {
                root,
                instances: OnceLock::new(),
            })
    }

    pub fn root(&self) -> &Mapping {
        &self.root
    }

    pub fn id(&self) -> Option<String> {
        self.root.get_str("id")
    }

    pub fn namespace(&self) -> Option<String> {
        self.root.get_str("namespace")
    }

    /// A top-level section written as a block or flow sequence (`tasks`,
    /// `inputs`, `outputs`, `triggers`, `errors`, `finally`...).
    pub fn list(&self, key: &str) -> Option<Sequence> {
        match self.root.get_value(key)? {
            Node::Sequence(s) => Some(s),
            _ => None,
        }
    }

    pub fn tasks(&self) -> Option<Sequence> {
        self.list("tasks")
    }

    pub fn inputs(&self) -> Option<Sequence> {
        self.list("inputs")
    }

    pub fn outputs(&self) -> Option<Sequence> {
        self.list("outputs")
    }

    pub fn triggers(&self) -> Option<Sequence> {
        self.list("triggers")
    }

    pub fn variables(&self) -> Option<Mapping> {
        match self.root.get_value("variables")? {
            Node::Mapping(m) => Some(m),
            _ => None,
        }
    }

    /// `labels`: a mapping, or (older flows) a list of `key`/`value` maps.
    pub fn labels(&self) -> Option<Node> {
        self.root.get_value("labels")
    }

    /// The `pluginDefaults` (or old `taskDefaults`) section's entry.
    pub fn defaults_section(&self) -> Option<Entry> {
        DEFAULTS_KEYS.iter().find_map(|k| self.root.get(k))
    }

    /// Every plugin instance (tasks, triggers, conditions, task runners, ...)
    /// in the flow's plugin sections, in document order, nested ones after
    /// their parent; data that looks like a plugin is not one.
    pub fn plugin_instances(&self) -> Vec<PluginInstance> {
        self.instances().to_vec()
    }

    /// [`Flow::plugin_instances`] without the copy.
    pub fn instances(&self) -> &[PluginInstance] {
        self.instances.get_or_init(|| self.walk_instances())
    }

    fn walk_instances(&self) -> Vec<PluginInstance> {
        let mut out = Vec::new();
        for entry in self.root.entries() {
            let Some(key) = entry.key_str() else {
                continue;
            };
            if !PLUGIN_SECTIONS.contains(&&*key) {
                continue;
            }
            if let Some(value) = entry.value() {
                let anchored = value.properties().is_some_and(|p| p.anchor().is_some());
                walk_plugins(&value, &DataPath::root().key(key), anchored, &mut out);
            }
        }
        out
    }

    /// The entries of `pluginDefaults` / `taskDefaults` (a sequence of maps
    /// with `type`, `values` and optionally `forced`).
    pub fn plugin_defaults(&self) -> Vec<PluginInstance> {
        let mut out = Vec::new();
        for key in DEFAULTS_KEYS {
            let Some(Node::Sequence(seq)) = self.root.get_value(key) else {
                continue;
            };
            let anchored = self
                .root
                .get_value(key)
                .and_then(|n| n.properties())
                .is_some_and(|p| p.anchor().is_some());
            for (i, item) in seq.items().enumerate() {
                if let Some(Node::Mapping(m)) = item.value() {
                    let path = DataPath::root().key(*key).index(i);
                    let item_anchored = anchored || has_anchor(&item.value());
                    if let Some(inst) = PluginInstance::new(m, path, item_anchored) {
                        out.push(inst);
                    }
                }
            }
        }
        out
    }
}

fn has_anchor(node: &Option<Node>) -> bool {
    node.as_ref().is_some_and(node_anchored)
}

fn node_anchored(node: &Node) -> bool {
    node.properties().is_some_and(|p| p.anchor().is_some())
}

/// A mapping with a scalar `type`: a task, trigger, condition, task runner...
#[derive(Debug, Clone)]
pub struct PluginInstance {
    pub mapping: Mapping,
    /// Where the mapping sits in the flow's data.
    pub path: DataPath,
    /// The `type` value's scalar node.
    pub type_scalar: Scalar,
    /// The decoded type name.
    pub type_name: String,
    /// Inside a node that carries an anchor: an edit here also changes
    /// every alias of it, at paths this walker does not visit.
    pub anchored: bool,
}

impl PluginInstance {
    fn new(mapping: Mapping, path: DataPath, anchored: bool) -> Option<Self> {
        let Some(Node::Scalar(type_scalar)) = mapping.get_value("type") else {
            return None;
        };
        let type_name = type_scalar.value().into_owned();
        Some(PluginInstance {
            mapping,
            path,
            type_scalar,
            type_name,
            anchored,
        })
    }

    /// The `id` of the instance, when it has one (tasks and triggers do).
    pub fn id(&self) -> Option<String> {
        self.mapping.get_str("id")
    }
}

/// Whether `key` of an instance of type `ty` (`None`: a type the catalog
/// does not know) holds plugins.
fn holds_plugins(catalog: &Catalog, ty: Option<&PluginType>, key: &str) -> bool {
    let core = || catalog.core_plugin_props().iter().any(|p| p == key);
    match ty {
        Some(t) if t.holds_plugins(key) => true,
        // The core names first: few keys are one, and the type's own
        // list is a binary search over all its properties.
        Some(t) => core() && t.has_property(key) != Answer::Yes,
        None => core(),
    }
}

/// `node` sits where Kestra expects plugins: a mapping with a `type` is an
/// instance, anything else a container of them.
fn walk_plugins(node: &Node, path: &DataPath, anchored: bool, out: &mut Vec<PluginInstance>) {
    match node {
        Node::Mapping(m) => {
            let instance = PluginInstance::new(m.clone(), path.clone(), anchored);
            let catalog = Catalog::builtin();
            // `Some(ty)` for an instance; `None` for a container.
            let ty = instance.as_ref().map(|i| catalog.get(&i.type_name));
            out.extend(instance);
            for entry in m.entries() {
                let Some(key) = entry.key_str() else {
                    continue;
                };
                if ty.is_some_and(|t| !holds_plugins(catalog, t, &key)) {
                    continue;
                }
                let Some(value) = entry.value() else { continue };
                let child_anchored = anchored || node_anchored(&value);
                walk_plugins(&value, &path.key(key.into_owned()), child_anchored, out);
            }
        }
        Node::Sequence(s) => {
            for (i, item) in s.items().enumerate() {
                let item_path = path.index(i);
                if let Some(value) = item.value() {
                    let child_anchored = anchored || node_anchored(&value);
                    walk_plugins(&value, &item_path, child_anchored, out);
                } else if let Some(pair) = item.flow_pair() {
                    // `[k: v]`: a one-pair mapping written inside a flow
                    // sequence, without a `type`: a container.
                    if let (Some(key), Some(value)) = (pair.key_text(), pair.value()) {
                        walk_plugins(&value, &item_path.key(key), anchored, out);
                    }
                }
            }
        }
        // Aliases repeat a node walked where its anchor is; scalars hold no
        // mappings.
        Node::Scalar(_) | Node::Alias(_) => {}
    }
}

/// The syntax-node range helpers codemods use to point at an instance.
impl PluginInstance {
    pub fn type_range(&self) -> crate::syntax::TextRange {
        self.type_scalar.syntax().text_range()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    const FLOW: &str = "\
id: f
namespace: n
variables:
  x: {type: io.kestra.core.tasks.log.Log}
taskDefaults:
  - type: io.kestra.core.tasks.log.Log
    values: {level: WARN}
tasks:
  - id: p
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
      - id: a
        type: io.kestra.core.tasks.log.Log
  - id: s
    type: io.kestra.plugin.core.flow.Switch
    cases:
      x:
        - id: b
          type: io.kestra.plugin.scripts.shell.Commands
          taskRunner:
            type: io.kestra.plugin.core.runner.Process
triggers:
  - id: t
    type: io.kestra.plugin.core.trigger.Schedule
    conditions:
      - type: io.kestra.core.models.conditions.types.DayWeekCondition
";

    #[test]
    fn finds_instances_at_any_depth_with_paths() {
        let flow = Flow::cast(&parse(FLOW)).expect("a flow");
        let found: Vec<String> = flow
            .plugin_instances()
            .iter()
            .map(|i| format!("{} {}", i.path, i.type_name))
            .collect();
        assert_eq!(
            found,
            [
                "tasks[0] io.kestra.plugin.core.flow.Parallel",
                "tasks[0].tasks[0] io.kestra.core.tasks.log.Log",
                "tasks[1] io.kestra.plugin.core.flow.Switch",
                "tasks[1].cases.x[0] io.kestra.plugin.scripts.shell.Commands",
                "tasks[1].cases.x[0].taskRunner io.kestra.plugin.core.runner.Process",
                "triggers[0] io.kestra.plugin.core.trigger.Schedule",
                "triggers[0].conditions[0] io.kestra.core.models.conditions.types.DayWeekCondition",
            ]
        );
        let defaults: Vec<String> = flow
            .plugin_defaults()
            .iter()
            .map(|i| i.path.to_string())
            .collect();
        assert_eq!(defaults, ["taskDefaults[0]"]);
    }

    fn found(text: &str) -> Vec<String> {
        let flow = Flow::cast(&parse(text)).expect("a flow");
        flow.plugin_instances()
            .iter()
            .map(|i| format!("{} {}", i.path, i.type_name))
            .collect()
    }

    #[test]
    fn data_that_looks_like_a_plugin_is_not_one() {
        let text = "\
id: f
namespace: n
tasks:
  - id: call
    type: io.kestra.core.tasks.flows.Flow
    inputs: {step: {type: io.kestra.core.tasks.log.Log}}
    labels: {type: x}
    retry: {type: constant, interval: PT1S, maxAttempt: 2}
  - id: out
    type: io.kestra.plugin.core.output.OutputValues
    values: {v: {type: x}}
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: [{type: x}]
    tasks: [{id: a, type: x.A}]
  - id: kv
    type: io.kestra.plugin.core.kv.Set
    value: {type: x}
sla:
  - {id: s, type: MAX_DURATION}
";
        assert_eq!(
            found(text),
            [
                "tasks[0] io.kestra.core.tasks.flows.Flow",
                "tasks[1] io.kestra.plugin.core.output.OutputValues",
                "tasks[2] io.kestra.plugin.core.flow.ForEach",
                "tasks[2].tasks[0] x.A",
                "tasks[3] io.kestra.plugin.core.kv.Set",
            ]
        );
    }

    #[test]
    fn unknown_types_and_names_fall_back_to_core_container_props() {
        let text = "\
id: f
namespace: n
tasks:
  - id: w
    type: com.acme.Wrapper
    payload: {type: x}
    then: [{id: a, type: x.A}]
  - id: s
    type: io.kestra.plugin.core.flow.Sequential
    taskRunner: {type: x}
listeners:
  - conditions: [{type: x.C}]
    tasks: [{id: b, type: x.B}]
triggers:
  - id: t
    type: io.kestra.plugin.core.trigger.Schedule
    conditions: [{type: x.D}]
";
        assert_eq!(
            found(text),
            [
                "tasks[0] com.acme.Wrapper",
                "tasks[0].then[0] x.A",
                "tasks[1] io.kestra.plugin.core.flow.Sequential",
                "listeners[0].conditions[0] x.C",
                "listeners[0].tasks[0] x.B",
                "triggers[0] io.kestra.plugin.core.trigger.Schedule",
                "triggers[0].conditions[0] x.D",
            ]
        );
    }

    #[test]
    fn other_yaml_is_not_a_flow() {
        assert!(Flow::cast(&parse("id: x\nnamespace: y\n")).is_none());
        assert!(Flow::cast(&parse("- a\n- b\n")).is_none());
    }

    #[test]
    fn anchored_instances_are_marked() {
        let text = "id: f\nnamespace: n\ntasks:\n  - &t\n    id: a\n    type: io.kestra.core.tasks.log.Log\n  - *t\n";
        let flow = Flow::cast(&parse(text)).expect("a flow");
        let insts = flow.plugin_instances();
        assert_eq!(insts.len(), 1);
        assert!(insts[0].anchored);
    }
}
