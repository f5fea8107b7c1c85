//! Kestra 1.x -> 2.0 rewrites (`MIGRATION-2.0.md`), the table-shaped rules:
//! renamed keys and values of input definitions, retry blocks, states and
//! checks, property rules on canonical types (read from `data/rules/`), and
//! the 2.0 type-rename table.
//!
//! Each rule is a [`Rule`]: its declaration and a plain function. Rules
//! that match a type match only canonical names: they run after the
//! renames (see [`Phase`]), so they see them.

mod inputs;
mod keys;
mod properties;
pub(crate) mod renamed_types;

use super::{
    Applicability, Codemod, Declaration, DefaultOn, Family, Fix, FlowContext, Phase, Safety,
};
use crate::fix::editor::Editor;
use crate::fix::refusal::Refusal;
use crate::kestra::flow::DATA_SECTIONS;
use crate::kestra::path::DataPath;
use crate::kestra::KestraVersion;
use crate::syntax::ast::{AstNode, Mapping, Node};
use crate::syntax::TextRange;
use std::rc::Rc;

/// Kestra 2.0: every rule here is on by default from it.
pub(crate) const V2_0: KestraVersion = KestraVersion::new(2, 0);

/// One rule: what it is, and the function that finds its fixes.
pub struct Rule {
    declaration: &'static Declaration,
    run: fn(&FlowContext) -> Vec<Fix>,
}

impl Codemod for Rule {
    fn declaration(&self) -> &'static Declaration {
        self.declaration
    }

    fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
        (self.run)(ctx)
    }
}

macro_rules! rule {
    ($static:ident, $name:literal, $summary:literal, $safety:expr, $phase:expr, $run:path) => {
        pub static $static: Rule = Rule {
            declaration: &Declaration {
                name: $name,
                family: Family::Migrate20,
                summary: $summary,
                safety: $safety,
                default_on: DefaultOn::Since(V2_0),
                phase: $phase,
                docs: include_str!(concat!("../../../codemods/", $name, "/README.md")),
            },
            run: $run,
        };
    };
}

rule!(
    RETRY_MAX_ATTEMPTS,
    "retry-max-attempts",
    "Rename `retry.maxAttempt` to `maxAttempts`",
    Safety::Safe,
    Phase::PROPERTIES,
    keys::retry_max_attempts
);
rule!(
    INPUT_TYPE_NAMES,
    "input-type-names",
    "Rename input and output types `BOOLEAN` to `BOOL` and `ENUM` to `SELECT`",
    Safety::SafeWhenProven,
    Phase::INPUTS,
    inputs::type_names
);
rule!(
    INPUT_NAME_TO_ID,
    "input-name-to-id",
    "Rename input `name` to `id`",
    Safety::Safe,
    Phase::INPUT_IDS,
    inputs::name_to_id
);
rule!(
    MULTISELECT_OPTIONS_TO_VALUES,
    "multiselect-options-to-values",
    "Rename `MULTISELECT` input `options` to `values`",
    Safety::Safe,
    Phase::INPUTS,
    inputs::multiselect_values
);
rule!(
    INPUT_REQUIRED_WITH_DEFAULTS,
    "input-required-with-defaults",
    "Remove `required: false` from inputs with `defaults`, which Kestra 2.0 rejects",
    Safety::Unsafe,
    Phase::INPUTS,
    inputs::required_with_defaults
);
rule!(
    PAUSE_DELAY_TO_PAUSE_DURATION,
    "pause-delay-to-pause-duration",
    "Rename Pause `delay` to `pauseDuration`",
    Safety::Safe,
    Phase::PROPERTIES,
    properties::pause_delay
);
rule!(
    RENAMED_TYPES_2_0,
    "renamed-types-2.0",
    "Rename plugin types Kestra 2.0 removes or renames to their 2.0 replacements",
    Safety::SafeWhenProven,
    Phase::RENAMES,
    renamed_types::run
);
rule!(
    REMOVED_PROPERTIES,
    "removed-properties",
    "Remove Subflow `outputs`, Schedule `backfill`/`backfills` and trigger `minLogLevel`",
    Safety::SafeWhenProven,
    Phase::PROPERTIES,
    properties::removed
);
rule!(
    EXIT_STATE_CANCELLED,
    "exit-state-cancelled",
    "Spell Exit `state: CANCELED` as `CANCELLED`",
    Safety::Safe,
    Phase::PROPERTIES,
    properties::exit_state
);
rule!(
    CANCELLED_STATES,
    "cancelled-states",
    "Spell state lists' `CANCELED` as `CANCELLED`",
    Safety::Safe,
    Phase::PROPERTIES,
    keys::cancelled_states
);
rule!(
    LOCAL_DELETE_RECURSIVE,
    "local-delete-recursive",
    "Keep `fs.local.Delete` recursive, as before its 2.0 default changed",
    Safety::Safe,
    Phase::PROPERTIES,
    properties::local_delete
);
rule!(
    CHECKS_CONDITION_TO_WHEN,
    "checks-condition-to-when",
    "Rename flow `checks[].condition` to `when`",
    Safety::Safe,
    Phase::FLOW,
    keys::checks_when
);

/// A mapping of the flow and where it sits.
pub(super) struct MapAt {
    pub path: DataPath,
    pub mapping: Mapping,
    /// The key whose value the mapping is (`None` for a sequence item or
    /// the root).
    pub key: Option<String>,
}

/// Every mapping of the first document outside the flow's data sections
/// (`variables`, `inputs`, `outputs`, `labels`: values the flow reads or
/// declares, which a rule must not rename), `pluginDefaults` included.
/// Aliases are not followed: their anchor is visited where it is written.
pub(super) fn mappings(ctx: &FlowContext) -> Rc<Vec<MapAt>> {
    ctx.memo(concat!(module_path!(), "::mappings"), walk_mappings)
}

fn walk_mappings(ctx: &FlowContext) -> Vec<MapAt> {
    fn walk(node: &Node, path: DataPath, key: Option<String>, out: &mut Vec<MapAt>) {
        match node {
            Node::Mapping(m) => {
                let root = path.segments().is_empty();
                out.push(MapAt {
                    path: path.clone(),
                    mapping: m.clone(),
                    key,
                });
                for entry in m.entries() {
                    let (Some(k), Some(value)) = (entry.key_text(), entry.value()) else {
                        continue;
                    };
                    if root && DATA_SECTIONS.contains(&k.as_str()) {
                        continue;
                    }
                    walk(&value, path.key(k.clone()), Some(k), out);
                }
            }
            Node::Sequence(s) => {
                for (i, item) in s.items().enumerate() {
                    if let Some(value) = item.value() {
                        walk(&value, path.index(i), None, out);
                    }
                }
            }
            Node::Scalar(_) | Node::Alias(_) => {}
        }
    }
    let mut out = Vec::new();
    walk(
        &Node::Mapping(ctx.flow.root().clone()),
        DataPath::root(),
        None,
        &mut out,
    );
    out
}

/// The range of `key`'s key scalar in `mapping` (where a finding points).
pub(super) fn key_range(mapping: &Mapping, key: &str) -> Option<TextRange> {
    Some(mapping.get(key)?.key_scalar()?.syntax().text_range())
}

/// The scalar text of `key`'s value, when it is a scalar.
pub(super) fn scalar_value(mapping: &Mapping, key: &str) -> Option<String> {
    match mapping.get_value(key)? {
        Node::Scalar(s) => Some(s.value().into_owned()),
        _ => None,
    }
}

/// A fix made by `edit`, or, when the editor refuses, a finding that says
/// why (the editor refuses anchored, aliased and tagged nodes, and keys
/// that exist already).
pub(super) fn fix_with(
    ctx: &FlowContext,
    range: TextRange,
    message: String,
    applicability: Applicability,
    edit: impl FnOnce(&mut Editor) -> Result<(), Refusal>,
) -> Fix {
    let mut editor = ctx.editor();
    match edit(&mut editor) {
        Ok(()) => editor.into_fix(range, message, applicability),
        Err(why) => refused(range, &message, &why),
    }
}

/// The finding for a rewrite the editor refused.
pub(super) fn refused(range: TextRange, message: &str, why: &Refusal) -> Fix {
    Fix::refused(range, message, Refusal::by_hand("change", why.clone()))
}
