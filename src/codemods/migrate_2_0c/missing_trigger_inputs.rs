//! missing-trigger-inputs (MIGRATION-2.0.md D2): Kestra 2.0 refuses a
//! Schedule or Webhook trigger that does not supply every required input
//! without `defaults`. 1.x accepted the flow and failed each execution.

use super::SINCE;
use crate::codemods::{Codemod, Declaration, DefaultOn, Family, Fix, FlowContext, Phase, Safety};
use crate::fix::refusal::Refusal;
use crate::kestra::flow::PluginInstance;
use crate::syntax::ast::{Mapping, Node};
use crate::syntax::value::Value;

pub struct MissingTriggerInputs;

const NAME: &str = "missing-trigger-inputs";

/// The triggers 2.0 checks that the peer checks too (2.0 checks every
/// webhook-style trigger; these two are the ones known by name).
const CHECKED: &[(&str, &str)] = &[
    ("io.kestra.plugin.core.trigger.Schedule", "Schedule"),
    ("io.kestra.plugin.core.trigger.Webhook", "Webhook"),
];

const DECLARATION: Declaration = Declaration {
    name: NAME,
    family: Family::Migrate20,
    summary: "Report Schedule and Webhook triggers that do not supply a required input",
    safety: Safety::Safe,
    default_on: DefaultOn::Since(SINCE),
    phase: Phase::DETECTORS,
    docs: include_str!("../../../codemods/missing-trigger-inputs/README.md"),
};

impl Codemod for MissingTriggerInputs {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }

    fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
        let needed = needed_inputs(ctx);
        if needed.is_empty() {
            return Vec::new();
        }
        let mut fixes = Vec::new();
        let root_triggers = ctx
            .flow
            .instances()
            .iter()
            .filter(|i| i.path.section() == Some("triggers") && i.path.segments().len() == 2);
        for trigger in root_triggers {
            let canonical = ctx
                .catalog
                .canonical_name(&trigger.type_name)
                .unwrap_or(&trigger.type_name);
            let Some((_, kind)) = CHECKED.iter().find(|(t, _)| *t == canonical) else {
                continue;
            };
            for input in &needed {
                if supplies(trigger, &input.id) {
                    continue;
                }
                let defaults = if input.prefill {
                    ""
                } else {
                    ", add `defaults` to the input,"
                };
                fixes.push(Fix::refused(trigger.type_range(), "", Refusal::unsupported(format!(
                        "Missing inputs for {kind} Trigger: `{}` is required and has no `defaults`, which Kestra 2.0 rejects; supply it under the trigger's `inputs`{defaults} or set `required: false`",
                        input.id
                    ))));
            }
        }
        fixes
    }
}

struct Needed {
    /// `<id>`, or `<formId>.<childId>` for a field of a FORM input.
    id: String,
    /// 2.0 rejects `defaults` next to `prefill`.
    prefill: bool,
}

/// Root inputs with an `id`, no `defaults` and `required` not `false`; a
/// FORM input's fields instead of the FORM itself.
fn needed_inputs(ctx: &FlowContext) -> Vec<Needed> {
    let mut out = Vec::new();
    let Some(inputs) = ctx.flow.inputs() else {
        return out;
    };
    for item in inputs.items() {
        let Some(Node::Mapping(input)) = item.value() else {
            continue;
        };
        let Some(id) = input.get_str("id") else {
            continue;
        };
        if input.get_str("type").as_deref() == Some("FORM") {
            let Some(Node::Sequence(fields)) = input.get_value("inputs") else {
                continue;
            };
            for field in fields.items() {
                if let Some(Node::Mapping(field)) = field.value() {
                    if let (Some(child), true) = (field.get_str("id"), is_needed(&field)) {
                        out.push(Needed {
                            id: format!("{id}.{child}"),
                            prefill: field.get("prefill").is_some(),
                        });
                    }
                }
            }
        } else if is_needed(&input) {
            out.push(Needed {
                id,
                prefill: input.get("prefill").is_some(),
            });
        }
    }
    out
}

fn is_needed(input: &Mapping) -> bool {
    let optional = matches!(
        input.get_value("required"),
        Some(Node::Scalar(s)) if s.data() == Value::Bool(false)
    );
    input.get("defaults").is_none() && !optional
}

/// Whether the trigger's `inputs` map has `id` (a FORM field either as the
/// dotted key or nested under the form's key). The 1.x form
/// `{name: x, value: y}` supplies nothing.
fn supplies(trigger: &PluginInstance, id: &str) -> bool {
    let Some(Node::Mapping(inputs)) = trigger.mapping.get_value("inputs") else {
        return false;
    };
    let keys: Vec<String> = inputs.entries().filter_map(|e| e.key_text()).collect();
    let old_form = keys.len() == 2 && keys.iter().all(|k| k == "name" || k == "value");
    if old_form {
        return false;
    }
    if inputs.get(id).is_some() {
        return true;
    }
    id.split_once('.').is_some_and(|(form, field)| {
        matches!(inputs.get_value(form), Some(Node::Mapping(m)) if m.get(field).is_some())
    })
}
