//! Why a YAML file the run skips is not a Kestra flow, when it looks like
//! one: worked out while its text is read, so reports need no text.

use crate::syntax::Parse;

/// The keys a Kestra flow may have at its top level.
const FLOW_KEYS: &[&str] = &[
    "id",
    "namespace",
    "tasks",
    "description",
    "labels",
    "inputs",
    "outputs",
    "variables",
    "triggers",
    "errors",
    "finally",
    "afterExecution",
    "pluginDefaults",
    "taskDefaults",
    "concurrency",
    "retry",
    "sla",
    "listeners",
    "disabled",
    "revision",
    "workerGroup",
];

/// Why YAML that looks like a flow (its top level has two or more of a
/// flow's keys) is not one: the required keys it lacks, with the key
/// that is probably one of them misspelt. `None` for other YAML.
pub(crate) fn reason(parse: &Parse) -> Option<String> {
    let root = parse.stream().first_document()?.body_mapping()?;
    let keys: Vec<String> = root.entries().filter_map(|e| e.key_text()).collect();
    let flow_like = keys
        .iter()
        .filter(|k| FLOW_KEYS.contains(&k.as_str()))
        .count();
    if flow_like < 2 {
        return None;
    }
    let others = || {
        keys.iter()
            .map(String::as_str)
            .filter(|k| !FLOW_KEYS.contains(k))
    };
    let missing: Vec<String> = ["id", "namespace", "tasks"]
        .into_iter()
        .filter(|k| !keys.iter().any(|have| have == k))
        .map(|k| match super::config::closest(k, others()) {
            Some(typo) => format!("`{k}` (is `{typo}` a misspelling?)"),
            None => format!("`{k}`"),
        })
        .collect();
    Some(format!(
        "looks like a flow but has no {}",
        missing.join(", no ")
    ))
}
