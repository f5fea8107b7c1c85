//! flow-trigger-conditions-to-depends-on (MIGRATION-2.0.md rule 2): a Flow
//! trigger's `conditions` and `preconditions` become `dependsOn` entries
//! and a `window`; the trigger-level `states` stays (2.0 filters on it
//! before `dependsOn`).

use super::fragments::{
    base_name, combine, expression, literal, negate, replace_entries, unwrap_expression,
    when_value, Part,
};
use super::{is_flow_trigger, key_range, label, triggers, Trigger, SINCE_2_0};
use crate::codemods::{
    Applicability, Codemod, Declaration, Family, Fix, FlowContext, Phase, Safety,
};
use crate::fix::editor::Editor;
use crate::kestra::path::DataPath;
use crate::syntax::ast::AstNode;
use crate::syntax::render::Fragment;
use crate::syntax::value::Value;

pub struct FlowTriggerConditionsToDependsOn;

const NAME: &str = "flow-trigger-conditions-to-depends-on";

const DECLARATION: Declaration = Declaration {
    name: NAME,
    family: Family::Migrate20,
    summary: "Replace Flow trigger `conditions` / `preconditions` with `dependsOn` and `window`",
    safety: Safety::SafeWhenProven,
    default_on: SINCE_2_0,
    phase: Phase::TRIGGERS,
    docs: include_str!("../../../codemods/flow-trigger-conditions-to-depends-on/README.md"),
};

/// Why a generated Flow trigger `when` is unsafe (MIGRATION-2.0.md rule 2,
/// correction 1).
const FLOW_VARS: &str = "check on a 2.0 instance that a Flow trigger `when` renders `flow.namespace` / `flow.id` of the upstream execution";

/// The keys a refused Flow trigger gets a finding on.
const REPORTED: [&str; 4] = [
    "scheduleConditions",
    "conditions",
    "preconditions",
    "timeWindow",
];

impl Codemod for FlowTriggerConditionsToDependsOn {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }

    fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
        let mut fixes = Vec::new();
        for t in triggers(ctx) {
            if !is_flow_trigger(&t.type_name) {
                continue;
            }
            fixes.extend(scoped_outputs(ctx, &t));
            let has = |k: &str| !matches!(t.data.get(k), None | Some(Value::Null));
            let empty_conditions =
                matches!(t.data.get("conditions"), Some(Value::Seq(s)) if s.is_empty());
            if !has("preconditions") && !has("conditions") && !has("scheduleConditions") {
                continue;
            }
            let name = label(&t);
            let refuse = |why: &str| -> Vec<Fix> {
                REPORTED
                    .iter()
                    .filter(|k| has(k))
                    .filter_map(|key| {
                        Some(Fix::display_only(
                            key_range(&t.mapping, key)?,
                            format!("`{key}` of Flow trigger {name} cannot become `dependsOn`: {why}; trigger conditions were removed in Kestra 2.0, rewrite them by hand"),
                        ))
                    })
                    .collect()
            };
            if empty_conditions && !has("preconditions") && !has("scheduleConditions") {
                let mut editor = ctx.editor();
                if let (Ok(()), Some(range)) = (
                    editor.remove_key(&t.path, "conditions"),
                    key_range(&t.mapping, "conditions"),
                ) {
                    fixes.push(editor.into_fix(
                        range,
                        format!("Remove the empty `conditions` of Flow trigger {name} (Kestra 2.0 rejects the key)"),
                        Applicability::Safe,
                    ));
                }
                continue;
            }
            for (key, why) in [
                ("dependsOn", "the trigger already has `dependsOn`"),
                (
                    "timeWindow",
                    "a trigger-level `timeWindow` has no 2.0 place",
                ),
                (
                    "scheduleConditions",
                    "`scheduleConditions` have no `dependsOn` equivalent",
                ),
            ] {
                if has(key) {
                    fixes.extend(refuse(why));
                }
            }
            if has("dependsOn") || has("timeWindow") || has("scheduleConditions") {
                continue;
            }
            let mut editor = ctx.editor();
            let plan = match plan(&t, &mut editor) {
                Ok(plan) => plan,
                Err(why) => {
                    fixes.extend(refuse(&why));
                    continue;
                }
            };
            let mut new = Vec::new();
            let unsafe_when = plan
                .entries
                .iter()
                .any(|e| e.iter().any(|(k, _)| k == "when"));
            let meaningful = plan.entries.len() > 1 || plan.entries.iter().any(|e| !e.is_empty());
            if meaningful {
                let items = plan.entries.into_iter().map(Fragment::Map).collect();
                new.push(("dependsOn".to_string(), Fragment::Seq(items)));
            }
            if let Some(window) = plan.window {
                new.push(("window".to_string(), Fragment::Map(window)));
            }
            let consumed: Vec<&str> = ["conditions", "preconditions"]
                .into_iter()
                .filter(|k| t.data.get(k).is_some())
                .collect();
            let done = if new.is_empty() {
                editor.transaction(|e| consumed.iter().try_for_each(|k| e.remove_key(&t.path, k)))
            } else {
                replace_entries(ctx.text, &mut editor, &t.path, &t.mapping, &consumed, new)
            };
            let Some(range) = key_range(&t.mapping, consumed[0]) else {
                continue;
            };
            match done {
                Ok(()) => {
                    let what = consumed
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(" and ");
                    let (applicability, extra) = if unsafe_when {
                        (Applicability::Unsafe, format!("; unsafe: {FLOW_VARS}"))
                    } else {
                        (Applicability::Safe, String::new())
                    };
                    fixes.push(editor.into_fix(
                        range,
                        format!("Replace {what} of Flow trigger {name} with `dependsOn` (removed in Kestra 2.0){extra}"),
                        applicability,
                    ));
                }
                Err(refusal) => fixes.extend(refuse(&refusal.to_string())),
            }
        }
        fixes
    }
}

/// Correction 7: with two or more `dependsOn` entries, 2.0 scopes the
/// trigger's outputs per upstream flow (`trigger.outputs.<flowId>.<key>`),
/// so every `trigger.outputs.` read of the flow is a finding to check.
fn scoped_outputs(ctx: &FlowContext, t: &Trigger) -> Vec<Fix> {
    let entries = match t.data.get("dependsOn") {
        Some(Value::Seq(entries)) => entries.len(),
        _ => 0,
    };
    if entries < 2 {
        return Vec::new();
    }
    let name = label(t);
    ctx.parse
        .syntax()
        .descendants()
        .filter(|n| n.kind().is_scalar_node())
        .filter_map(crate::syntax::ast::Scalar::cast)
        .filter(|s| s.value().contains("trigger.outputs."))
        .map(|s| {
            Fix::display_only(
                s.syntax().text_range(),
                format!("reads `trigger.outputs.`, and Flow trigger {name} has {entries} `dependsOn` entries: Kestra 2.0 scopes the outputs per upstream flow (`trigger.outputs.<flowId>.<key>`); check this read"),
            )
        })
        .collect()
}

/// One `dependsOn` entry: keys in the order Kestra documents them.
type Entry = Vec<(String, Fragment)>;

struct Plan {
    entries: Vec<Entry>,
    window: Option<Vec<(String, Fragment)>>,
}

/// What the `conditions` say, before they are spread over entries.
#[derive(Default)]
struct Shared {
    /// ExecutionFlow: the paths of its `flowId` and `namespace`.
    flow: Option<(DataPath, DataPath)>,
    /// An exact ExecutionNamespace: its `namespace` path and value.
    namespace: Option<(DataPath, String)>,
    labels: Option<DataPath>,
    /// ExecutionStatus `in`.
    states: Option<DataPath>,
    parts: Vec<Part>,
    /// A MultipleCondition: its path.
    multiple: Option<DataPath>,
}

fn type_of(cond: &Value) -> &str {
    cond.get("type")
        .and_then(Value::as_str)
        .map_or("?", base_name)
}

fn plan(t: &Trigger, editor: &mut Editor) -> Result<Plan, String> {
    let pre = t.data.get("preconditions");
    let mut shared = Shared::default();
    if let Some(Value::Seq(conds)) = t.data.get("conditions") {
        for (i, cond) in conds.iter().enumerate() {
            let path = t.path.key("conditions").index(i);
            condition(cond, &path, pre.is_some(), t.data, &mut shared)
                .map_err(|why| format!("`conditions[{i}]` (`{}`) {why}", type_of(cond)))?;
        }
    } else if t.data.get("conditions").is_some() {
        return Err("`conditions` is not a list".into());
    }
    let copy = |editor: &mut Editor, path: &DataPath| editor.copy(path).map_err(|r| r.to_string());
    // The entry fields every entry shares.
    let states = match &shared.states {
        Some(p) => Some(copy(editor, p)?),
        None => None,
    };
    let mut window = None;
    let mut entries: Vec<Entry> = Vec::new();
    let when = |extra: Option<Part>| -> Option<Fragment> {
        let mut parts = shared.parts.clone();
        parts.extend(extra);
        (!parts.is_empty()).then(|| expression(&when_value(parts).text))
    };
    if let Some(multi) = &shared.multiple {
        let relative = DataPath(multi.segments()[t.path.segments().len()..].to_vec());
        let data = relative
            .lookup(t.data)
            .ok_or("has a MultipleCondition out of reach")?;
        let Some(Value::Map(inner)) = data.get("conditions") else {
            return Err("has a MultipleCondition without a `conditions` map".into());
        };
        if inner.is_empty() {
            return Err("has a MultipleCondition with no conditions".into());
        }
        for (key, cond) in inner {
            let key = key
                .as_str()
                .ok_or("has a MultipleCondition with a non-string key")?;
            let path = multi.key("conditions").key(key);
            if type_of(cond) != "ExecutionFlow"
                || cond.get("flowId").is_none()
                || cond.get("namespace").is_none()
            {
                return Err(format!("has a MultipleCondition whose `{key}` is not an ExecutionFlow with `flowId` and `namespace`"));
            }
            let mut entry = vec![
                ("flowId".to_string(), copy(editor, &path.key("flowId"))?),
                (
                    "namespace".to_string(),
                    copy(editor, &path.key("namespace"))?,
                ),
            ];
            entry.extend(when(None).map(|w| ("when".to_string(), w)));
            entry.extend(states.clone().map(|s| ("states".to_string(), s)));
            entries.push(entry);
        }
        for key in ["timeWindow", "resetOnSuccess"] {
            if data.get(key).is_some() {
                return Err(format!("has a MultipleCondition with `{key}`"));
            }
        }
        let every = data
            .get("window")
            .ok_or("has a MultipleCondition without `window` (1.x defaulted it; write it)")?;
        if !matches!(every, Value::String(_)) {
            return Err("has a MultipleCondition whose `window` is not a duration".into());
        }
        let mut w = vec![("every".to_string(), copy(editor, &multi.key("window"))?)];
        match data.get("windowAdvance").and_then(Value::as_str) {
            None | Some("P0D" | "PT0S") => {}
            Some(_) => w.push((
                "offset".to_string(),
                copy(editor, &multi.key("windowAdvance"))?,
            )),
        }
        w.push(("fireOnce".to_string(), Fragment::Data(Value::Bool(true))));
        window = Some(w);
    } else if let Some(pre) = pre {
        let (e, w) = preconditions(t, pre, editor, when)?;
        entries = e;
        window = w;
    } else {
        let mut entry = Vec::new();
        if let Some((flow_id, ns)) = &shared.flow {
            entry.push(("flowId".to_string(), copy(editor, flow_id)?));
            entry.push(("namespace".to_string(), copy(editor, ns)?));
        } else if let Some((ns, _)) = &shared.namespace {
            entry.push(("namespace".to_string(), copy(editor, ns)?));
        }
        if let Some(labels) = &shared.labels {
            entry.push(("labels".to_string(), copy(editor, labels)?));
        }
        entry.extend(when(None).map(|w| ("when".to_string(), w)));
        entry.extend(states.map(|s| ("states".to_string(), s)));
        entries.push(entry);
    }
    Ok(Plan { entries, window })
}

/// Folds one `conditions` item into `shared`, or says why not.
fn condition(
    cond: &Value,
    path: &DataPath,
    has_pre: bool,
    trigger: &Value,
    shared: &mut Shared,
) -> Result<(), String> {
    let no_pre = || {
        if has_pre {
            Err("cannot be combined with `preconditions`".to_string())
        } else {
            Ok(())
        }
    };
    match type_of(cond) {
        "ExecutionStatus" => {
            no_pre()?;
            if cond.get("notIn").is_some() {
                return Err("uses `notIn`, which `dependsOn` states cannot say".into());
            }
            let Some(Value::Seq(_)) = cond.get("in") else {
                return Err("has no `in` list".into());
            };
            if shared.states.is_some() {
                return Err("repeats ExecutionStatus".into());
            }
            match trigger.get("states") {
                // The trigger-level states stay and filter first: equal
                // ones say it already.
                Some(states) if Some(states) == cond.get("in") => {}
                Some(_) => return Err("differs from the trigger-level `states` (1.x required both)".into()),
                None => shared.states = Some(path.key("in")),
            }
        }
        "ExecutionFlow" => {
            no_pre()?;
            let ns = literal(cond, "namespace")?.ok_or("has no `namespace`")?;
            literal(cond, "flowId")?.ok_or("has no `flowId`")?;
            if shared.flow.is_some() || shared.multiple.is_some() {
                return Err("repeats a flow match".into());
            }
            if shared.namespace.as_ref().is_some_and(|(_, n)| *n != ns) {
                return Err("names another namespace than ExecutionNamespace".into());
            }
            shared.flow = Some((path.key("flowId"), path.key("namespace")));
        }
        "ExecutionNamespace" => {
            let ns = literal(cond, "namespace")?.filter(|n| !n.is_empty()).ok_or("has no `namespace`")?;
            let comparison = cond.get("comparison").and_then(Value::as_str);
            let prefix = matches!(cond.get("prefix"), Some(Value::Bool(true)));
            match (prefix, comparison) {
                (true, _) | (_, Some("PREFIX")) => shared.parts.push(Part::exact(format!("flow.namespace startsWith '{ns}'"))),
                (_, Some("SUFFIX")) => shared.parts.push(Part::exact(format!("flow.namespace endsWith '{ns}'"))),
                (false, None | Some("EQUALS")) => {
                    no_pre()?;
                    if shared.multiple.is_some() {
                        return Err("cannot be combined with MultipleCondition".into());
                    }
                    if shared.namespace.as_ref().is_some_and(|(_, n)| *n != ns) {
                        return Err("names another namespace".into());
                    }
                    shared.namespace = Some((path.key("namespace"), ns));
                }
                (_, Some(other)) => return Err(format!("has `comparison: {other}`")),
            }
        }
        "ExecutionLabels" => {
            no_pre()?;
            if !matches!(cond.get("labels"), Some(Value::Map(_))) {
                return Err("has no `labels` map".into());
            }
            if shared.labels.is_some() || shared.multiple.is_some() {
                return Err("repeats labels or is combined with MultipleCondition".into());
            }
            shared.labels = Some(path.key("labels"));
        }
        "Not" => {
            let Some(Value::Seq(children)) = cond.get("conditions") else {
                return Err("has no `conditions` list".into());
            };
            if children.len() != 1 {
                return Err("has other than exactly one child".into());
            }
            shared.parts.push(negate(fragment(&children[0])?));
        }
        "Or" => {
            let Some(Value::Seq(children)) = cond.get("conditions") else {
                return Err("has no `conditions` list".into());
            };
            if children.is_empty() {
                return Err("has no children".into());
            }
            let parts = children.iter().map(fragment).collect::<Result<Vec<_>, _>>()?;
            shared.parts.push(combine(parts, "or"));
        }
        "Multiple" => {
            no_pre()?;
            if shared.multiple.is_some() || shared.flow.is_some() || shared.namespace.is_some() || shared.labels.is_some() {
                return Err("is combined with another flow, namespace or labels match".into());
            }
            shared.multiple = Some(path.clone());
        }
        "ExecutionOutputs" => return Err("reads upstream outputs as `trigger.outputs`, which no known 2.0 `when` variable exposes".into()),
        "HasRetryAttempt" => return Err("has no confirmed 2.0 `when` variable (1.x matched only retried attempts in its `in` states)".into()),
        _ => return Err("has no `dependsOn` equivalent".into()),
    }
    if shared.multiple.is_some()
        && (shared.flow.is_some() || shared.namespace.is_some() || shared.labels.is_some())
    {
        return Err("is combined with MultipleCondition".into());
    }
    Ok(())
}

/// A `Not` / `Or` child as a `when` part.
fn fragment(cond: &Value) -> Result<Part, String> {
    let part = match type_of(cond) {
        "ExecutionNamespace" => {
            let ns = literal(cond, "namespace")?
                .filter(|n| !n.is_empty())
                .ok_or("has a child without `namespace`")?;
            let prefix = matches!(cond.get("prefix"), Some(Value::Bool(true)));
            match (prefix, cond.get("comparison").and_then(Value::as_str)) {
                (true, _) | (_, Some("PREFIX")) => format!("flow.namespace startsWith '{ns}'"),
                (_, Some("SUFFIX")) => format!("flow.namespace endsWith '{ns}'"),
                (false, None | Some("EQUALS")) => format!("flow.namespace == '{ns}'"),
                (_, Some(other)) => return Err(format!("has a child with `comparison: {other}`")),
            }
        }
        "ExecutionFlow" => {
            let ns = literal(cond, "namespace")?.ok_or("has a child without `namespace`")?;
            let id = literal(cond, "flowId")?.ok_or("has a child without `flowId`")?;
            format!("flow.id == '{id}' and flow.namespace == '{ns}'")
        }
        other => return Err(format!("has a child (`{other}`) with no `when` equivalent")),
    };
    Ok(Part::exact(part))
}

type Windowed = (Vec<Entry>, Option<Vec<(String, Fragment)>>);

fn preconditions(
    t: &Trigger,
    pre: &Value,
    editor: &mut Editor,
    when: impl Fn(Option<Part>) -> Option<Fragment>,
) -> Result<Windowed, String> {
    let at = t.path.key("preconditions");
    let copy = |editor: &mut Editor, path: &DataPath| editor.copy(path).map_err(|r| r.to_string());
    let Value::Map(keys) = pre else {
        return Err("`preconditions` is not a map".into());
    };
    for (k, _) in keys {
        let k = k.as_str().unwrap_or("?");
        if !matches!(
            k,
            "id" | "resetOnSuccess" | "flows" | "where" | "timeWindow"
        ) {
            return Err(format!("`preconditions.{k}` has no `dependsOn` equivalent"));
        }
    }
    let reset = match pre.get("resetOnSuccess") {
        None | Some(Value::Bool(true)) => true,
        Some(Value::Bool(false)) => false,
        Some(_) => return Err("`preconditions.resetOnSuccess` is not a boolean".into()),
    };
    let mut entries = Vec::new();
    match (pre.get("flows"), pre.get("where")) {
        (Some(Value::Seq(flows)), None) if !flows.is_empty() => {
            for (i, item) in flows.iter().enumerate() {
                let path = at.key("flows").index(i);
                if literal(item, "flowId")?.is_none() || literal(item, "namespace")?.is_none() {
                    return Err(format!(
                        "`preconditions.flows[{i}]` lacks `flowId` or `namespace`"
                    ));
                }
                let mut entry = vec![
                    ("flowId".to_string(), copy(editor, &path.key("flowId"))?),
                    (
                        "namespace".to_string(),
                        copy(editor, &path.key("namespace"))?,
                    ),
                ];
                entry.extend(when(None).map(|w| ("when".to_string(), w)));
                if let Some(states) = item.get("states") {
                    if t.data.get("states").is_some_and(|s| s != states) {
                        return Err(format!("`preconditions.flows[{i}].states` differs from the trigger-level `states`"));
                    }
                    entry.push(("states".to_string(), copy(editor, &path.key("states"))?));
                }
                entries.push(entry);
            }
        }
        (None, Some(Value::Seq(items))) if !items.is_empty() => {
            for (i, item) in items.iter().enumerate() {
                let Some(Value::Seq(filters)) = item
                    .get("filters")
                    .filter(|f| matches!(f, Value::Seq(s) if !s.is_empty()))
                else {
                    return Err(format!("`preconditions.where[{i}]` has no `filters`"));
                };
                let parts = filters
                    .iter()
                    .map(filter)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|why| format!("`preconditions.where[{i}]` {why}"))?;
                let part = combine(parts, "and");
                entries.push(vec![(
                    "when".to_string(),
                    when(Some(part)).expect("a part"),
                )]);
            }
        }
        _ => {
            return Err(
                "`preconditions` needs exactly one of a non-empty `flows` or `where` list".into(),
            )
        }
    }
    let window = match pre.get("timeWindow") {
        None => {
            if !reset {
                return Err(
                    "`resetOnSuccess: false` without a `timeWindow` has no 2.0 equivalent".into(),
                );
            }
            None
        }
        Some(tw) => {
            let tw_at = at.key("timeWindow");
            let field = |editor: &mut Editor,
                         from: &str,
                         to: &str|
             -> Result<Option<(String, Fragment)>, String> {
                match tw.get(from) {
                    Some(_) => Ok(Some((to.to_string(), copy(editor, &tw_at.key(from))?))),
                    None => Ok(None),
                }
            };
            let (kind, fields): (&str, &[(&str, &str)]) =
                match tw.get("type").and_then(Value::as_str) {
                    Some("DAILY_TIME_DEADLINE") => ("deadline", &[("deadline", "deadline")]),
                    Some("DAILY_TIME_WINDOW") => {
                        ("window", &[("startTime", "from"), ("endTime", "to")])
                    }
                    Some("DURATION_WINDOW") => (
                        "window",
                        &[("window", "every"), ("windowAdvance", "offset")],
                    ),
                    Some("SLIDING_WINDOW") => ("window", &[("window", "lookback")]),
                    _ => return Err("`preconditions.timeWindow` has no known `type`".into()),
                };
            if kind == "deadline" && tw.get("deadline").is_none() {
                return Err("`preconditions.timeWindow` has no `deadline`".into());
            }
            let mut w = Vec::new();
            for (from, to) in fields {
                w.extend(field(editor, from, to)?);
            }
            w.extend(field(editor, "timezone", "timezone")?);
            if w.is_empty() {
                return Err("`preconditions.timeWindow` has no bounds".into());
            }
            if reset {
                w.push(("fireOnce".to_string(), Fragment::Data(Value::Bool(true))));
            }
            Some(w)
        }
    };
    Ok((entries, window))
}

/// A `where` filter as a `when` part.
fn filter(f: &Value) -> Result<Part, String> {
    let kind = f.get("type").and_then(Value::as_str);
    match f.get("field").and_then(Value::as_str) {
        Some("EXPRESSION") if matches!(kind, None | Some("IS_TRUE")) => {
            let text = f
                .get("value")
                .and_then(Value::as_str)
                .ok_or("has an EXPRESSION filter without `value`")?;
            let mut part = Part::exact(unwrap_expression(text)?);
            part.string_valued = true;
            Ok(part)
        }
        Some(field @ ("NAMESPACE" | "FLOW_ID")) => {
            let target = if field == "NAMESPACE" {
                "flow.namespace"
            } else {
                "flow.id"
            };
            let v = literal(f, "value")?.ok_or("has a filter without `value`")?;
            let op = match kind {
                Some("EQUALS") => "==",
                Some("NOT_EQUALS") => "!=",
                Some("STARTS_WITH") => "startsWith",
                Some("ENDS_WITH") => "endsWith",
                other => {
                    return Err(format!(
                        "has a filter type `{}` with no `when` equivalent",
                        other.unwrap_or("?")
                    ))
                }
            };
            Ok(Part::exact(format!("{target} {op} '{v}'")))
        }
        other => Err(format!(
            "has a `{}` filter with no `when` equivalent",
            other.unwrap_or("?")
        )),
    }
}
