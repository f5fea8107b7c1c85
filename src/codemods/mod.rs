//! The codemod catalog: the [`Codemod`] trait and the registry.
//!
//! One file per codemod; its user docs live in `codemods/<name>/README.md`
//! (what `kestra-fix explain <name>` prints) next to its cases.

mod extract_inline_scripts;
mod fetch_to_store;
mod foreach_to_loop;
mod migrate_2_0;
mod migrate_2_0b;
mod migrate_2_0c;
mod migrate_2_0d;
mod migrate_renamed_types;
mod pebble_json_functions;
mod plugin_defaults;
mod removed_types;
mod split_flow;
pub mod table;
mod unknown_properties;

pub use crate::fix::{Applicability, DataChange, Fix, NewFile};

use crate::fix::editor::Editor;
use crate::fix::suppress::Suppressions;
use crate::kestra::catalog::Catalog;
use crate::kestra::flow::Flow;
use crate::kestra::KestraVersion;
use crate::syntax::style::Style;
use crate::syntax::value::{decode_documents, Value};
use crate::syntax::{LineIndex, Parse, TextSize};
use std::any::Any;
use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;

/// What kind of fixes a codemod makes, for `list` and the docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Safety {
    /// Every fix is safe.
    Safe,
    /// Safe where the codemod can prove it, unsafe elsewhere.
    SafeWhenProven,
    /// Every fix may change behaviour.
    Unsafe,
}

impl fmt::Display for Safety {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Safety::Safe => "safe",
            Safety::SafeWhenProven => "safe when proven",
            Safety::Unsafe => "unsafe",
        })
    }
}

/// Everything a codemod may look at for one flow, one round.
pub struct FlowContext<'a> {
    pub path: &'a Path,
    pub text: &'a str,
    pub parse: &'a Parse,
    pub flow: &'a Flow,
    pub line_index: &'a LineIndex,
    pub target_version: KestraVersion,
    /// What kestra-fix knows of plugin types: the built-in catalog, with
    /// the user's catalogs layered over it.
    pub catalog: &'a Catalog,
    /// This codemod's options, parsed by [`Codemod::parse_options`] when
    /// the configuration was resolved (see [`FlowContext::options`]).
    pub options: &'a ParsedOptions,
    pub(crate) suppressions: &'a Suppressions,
    pub(crate) codemod: &'static str,
    /// What the round's codemods share, computed at most once per round.
    pub(crate) round: &'a Round,
}

/// What every codemod of a round may ask for, computed on first use and
/// shared: the decoded data and the file's style.
#[derive(Default)]
pub struct Round {
    documents: OnceCell<Option<Vec<Value>>>,
    style: OnceCell<Style>,
    /// Views several codemods build alike (a walk of every mapping, the
    /// input definitions), by the name of the function building them.
    memos: RefCell<HashMap<&'static str, Rc<dyn Any>>>,
}

impl Round {
    /// Every document of `parse` decoded (`None` if one cannot be), once
    /// per round; `parse` is the round's tree.
    pub fn documents(&self, parse: &Parse) -> Option<&[Value]> {
        self.documents
            .get_or_init(|| decode_documents(parse).ok())
            .as_deref()
    }

    /// A round whose documents are `documents`, known from the round
    /// before (which the engine checks against the text).
    pub fn with_documents(documents: Vec<Value>) -> Round {
        Round {
            documents: OnceCell::from(Some(documents)),
            ..Round::default()
        }
    }

    /// [`Round::documents`], owned, for what outlives the round.
    pub fn into_documents(self, parse: &Parse) -> Option<Vec<Value>> {
        match self.documents.into_inner() {
            Some(documents) => documents,
            None => decode_documents(parse).ok(),
        }
    }
}

impl FlowContext<'_> {
    /// What `build` makes of this round's flow, built once per round and
    /// shared by every codemod that asks under the same `name` (the
    /// building function's path, so names do not collide).
    pub fn memo<T: Any>(&self, name: &'static str, build: impl FnOnce(&Self) -> T) -> Rc<T> {
        let cached = self.round.memos.borrow().get(name).cloned();
        if let Some(Ok(value)) = cached.map(Rc::downcast::<T>) {
            return value;
        }
        let value = Rc::new(build(self));
        self.round.memos.borrow_mut().insert(name, value.clone());
        value
    }

    /// The first document's data (`None` if it cannot be decoded, which
    /// the engine's parse check makes rare). The engine verifies fixes
    /// with an independent parser; codemods plan with this one.
    pub fn data(&self) -> Option<&Value> {
        self.round.documents(self.parse)?.first()
    }

    /// The running codemod's options, of the type its `parse_options`
    /// made: a mismatch is a bug in that codemod, not the user's config.
    pub fn options<T: Any>(&self) -> &T {
        self.options
            .0
            .downcast_ref()
            .expect("a codemod reads the options type its parse_options makes")
    }

    /// The file's layout (indentation, sequence indent, line ending), for
    /// edits that write new lines.
    pub fn style(&self) -> &Style {
        self.round
            .style
            .get_or_init(|| Style::detect(self.text, &self.parse.syntax()))
    }

    /// An editor for one fix against this round's text.
    pub fn editor(&self) -> Editor<'_> {
        Editor::new(self.text, self.parse, self.style())
    }

    /// Whether a `# kestra-fix: ignore[...]` comment covers `offset` for
    /// the running codemod. The engine drops suppressed fixes anyway; a
    /// codemod asks when one suppressed node changes how it judges others.
    pub fn is_suppressed(&self, offset: TextSize) -> bool {
        let family = by_name(self.codemod).map_or("", |c| c.family().name());
        self.suppressions
            .covers_any(&[self.codemod, family], offset)
    }

    /// The file's line ending, for edits that insert lines.
    pub fn line_ending(&self) -> &'static str {
        self.style().line_ending
    }
}

/// Reads a codemod's options table into its `deny_unknown_fields` struct;
/// the error names the offending key.
pub(crate) fn read_options<T: serde::de::DeserializeOwned>(
    table: &toml::Table,
) -> Result<T, String> {
    T::deserialize(toml::Value::Table(table.clone())).map_err(|e| e.message().to_string())
}

/// A codemod's family: `--select`, `--ignore` and the config accept a
/// family name wherever they accept a codemod name, and `list` groups by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// Kestra's current practice, whatever the version.
    BestPractice,
    /// Deprecated names that still work, replaced by their current ones.
    Deprecated,
    /// What Kestra 2.0 rejects or runs differently, rewritten for 2.0.
    Migrate20,
}

impl Family {
    pub const ALL: [Family; 3] = [Family::BestPractice, Family::Deprecated, Family::Migrate20];

    /// The user-facing name.
    pub fn name(self) -> &'static str {
        match self {
            Family::BestPractice => "best-practice",
            Family::Deprecated => "deprecated",
            Family::Migrate20 => "migrate-2.0",
        }
    }

    pub fn by_name(name: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|f| f.name() == name)
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// When a codemod runs without `--select`, by the flows' target version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultOn {
    Always,
    /// Only on request: the change is structural (new files to deploy).
    Never,
    /// From this version on.
    Since(KestraVersion),
    /// Below this version.
    Below(KestraVersion),
}

impl DefaultOn {
    pub fn on(self, target: KestraVersion) -> bool {
        match self {
            DefaultOn::Always => true,
            DefaultOn::Never => false,
            DefaultOn::Since(v) => target >= v,
            DefaultOn::Below(v) => target < v,
        }
    }
}

/// When a codemod's fixes are applied relative to others': in each round
/// the engine applies only the fixes of the earliest phase that has any,
/// so a rule that must see another's input (a state-store rewrite before
/// the type rename, inlining before properties are renamed) runs first.
/// The order is Kestra 2.0's migration order (`MIGRATION-2.0.md`, "Order
/// of application"); codemods of one phase share rounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Phase(pub u16);

impl Phase {
    /// Rewrites that read state-store type names and the original flow id.
    pub const STATE_STORE: Phase = Phase(10);
    /// Input `name` -> `id`, before rules that read input ids.
    pub const INPUT_IDS: Phase = Phase(20);
    /// Other input definitions (types, options, required).
    pub const INPUTS: Phase = Phase(30);
    /// Structural best practices and `pluginDefaults` inlining, which
    /// decide from the original type names.
    pub const STRUCTURE: Phase = Phase(40);
    /// Type renames (1.x aliases, the 2.0 table).
    pub const RENAMES: Phase = Phase(50);
    /// Rewrites that change one type into another with its properties.
    pub const TYPE_REWRITES: Phase = Phase(60);
    /// Property- and value-level rules on canonical types.
    pub const PROPERTIES: Phase = Phase(70);
    /// Trigger conditions -> `when` / `dependsOn`.
    pub const TRIGGERS: Phase = Phase(80);
    /// Pebble expression rewrites, on final expressions.
    pub const PEBBLE: Phase = Phase(90);
    /// Flow-level checks and identity changes, last among rewrites.
    pub const FLOW: Phase = Phase(100);
    /// Findings only: they see the final flow.
    pub const DETECTORS: Phase = Phase(110);
}

/// What a codemod is, as data: `list`, `explain`, selection and every
/// report read this, never the codemod's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Declaration {
    /// The user-facing id (`--select`, config tables, suppressions).
    pub name: &'static str,
    pub family: Family,
    /// One line for `list`.
    pub summary: &'static str,
    pub safety: Safety,
    pub default_on: DefaultOn,
    pub phase: Phase,
    /// The Markdown docs `explain` prints (`codemods/<name>/README.md`).
    pub docs: &'static str,
}

/// One codemod: its declaration and its decision logic. Implementations
/// are stateless; options arrive per flow.
pub trait Codemod: Send + Sync {
    fn declaration(&self) -> &'static Declaration;
    /// Parses this codemod's config table into its typed options, once,
    /// when the configuration is resolved; `Err` names the key. By default
    /// a codemod takes no options, and any key is an error.
    fn parse_options(&self, options: &toml::Table) -> Result<ParsedOptions, String> {
        no_options(options)
    }
    /// Findings and fixes against `ctx.text`.
    fn run(&self, ctx: &FlowContext) -> Vec<Fix>;

    fn name(&self) -> &'static str {
        self.declaration().name
    }
    fn family(&self) -> Family {
        self.declaration().family
    }
    fn summary(&self) -> &'static str {
        self.declaration().summary
    }
    fn safety(&self) -> Safety {
        self.declaration().safety
    }
    /// Whether it runs without `--select`, for flows targeting `target`.
    fn default_on(&self, target: KestraVersion) -> bool {
        self.declaration().default_on.on(target)
    }
    fn docs(&self) -> &'static str {
        self.declaration().docs
    }
    fn phase(&self) -> Phase {
        self.declaration().phase
    }
    /// Accepts or rejects this codemod's config table; `Err` names the key.
    fn check_options(&self, options: &toml::Table) -> Result<(), String> {
        self.parse_options(options).map(|_| ())
    }
}

/// The options of a codemod that takes none: any key is an error naming it.
pub(crate) fn no_options(table: &toml::Table) -> Result<ParsedOptions, String> {
    match table.keys().next() {
        Some(key) => Err(format!(
            "unknown option `{key}`: this codemod takes no options"
        )),
        None => Ok(ParsedOptions::new(())),
    }
}

/// The default of the `migrate-2.0` rules: on for flows that target 2.0.
pub const SINCE_2_0: DefaultOn = DefaultOn::Since(KestraVersion::new(2, 0));

/// A codemod's typed options, parsed once per configuration and handed to
/// its `run` through [`FlowContext::options`].
#[derive(Clone)]
pub struct ParsedOptions(Arc<dyn Any + Send + Sync>);

impl ParsedOptions {
    pub fn new<T: Any + Send + Sync>(options: T) -> Self {
        ParsedOptions(Arc::new(options))
    }
}

impl fmt::Debug for ParsedOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ParsedOptions")
    }
}

static REGISTRY: &[&dyn Codemod] = &[
    &migrate_renamed_types::MigrateRenamedTypes,
    &plugin_defaults::HoistPluginDefaults,
    &plugin_defaults::InlinePluginDefaults,
    &fetch_to_store::FetchToStore,
    &extract_inline_scripts::ExtractInlineScripts,
    &split_flow::SplitFlow,
    &migrate_2_0::INPUT_NAME_TO_ID,
    &migrate_2_0::INPUT_TYPE_NAMES,
    &migrate_2_0::MULTISELECT_OPTIONS_TO_VALUES,
    &migrate_2_0::INPUT_REQUIRED_WITH_DEFAULTS,
    &migrate_2_0::RENAMED_TYPES_2_0,
    &migrate_2_0::RETRY_MAX_ATTEMPTS,
    &migrate_2_0::PAUSE_DELAY_TO_PAUSE_DURATION,
    &migrate_2_0::REMOVED_PROPERTIES,
    &migrate_2_0::EXIT_STATE_CANCELLED,
    &migrate_2_0::CANCELLED_STATES,
    &migrate_2_0::LOCAL_DELETE_RECURSIVE,
    &migrate_2_0::CHECKS_CONDITION_TO_WHEN,
    &migrate_2_0c::legacy_script_runner::LegacyScriptRunner,
    &migrate_2_0c::missing_trigger_inputs::MissingTriggerInputs,
    &migrate_2_0c::sdk_auth::SdkAuth,
    &migrate_2_0c::pebble_read_version_arg::PebbleReadVersionArg,
    &migrate_2_0c::ion_read::IonRead,
    &migrate_2_0b::FetchTypeBooleans,
    &migrate_2_0b::DbtBuildToDbtCli,
    &migrate_2_0b::HttpBasicAuth,
    &migrate_2_0b::HttpRemovedOptions,
    &migrate_2_0b::ReservedFlowIds,
    &migrate_2_0b::PurgeKvBehavior,
    &migrate_2_0b::WorkerGroupToSelector,
    &migrate_2_0b::EeGitClone,
    &migrate_2_0b::StateStoreToKv,
    &foreach_to_loop::ForeachToLoop,
    &migrate_2_0d::trigger_conditions_to_when::TriggerConditionsToWhen,
    &migrate_2_0d::flow_trigger_conditions_to_depends_on::FlowTriggerConditionsToDependsOn,
    &unknown_properties::UnknownProperties,
    &removed_types::RemovedTypes,
    &pebble_json_functions::PebbleJsonFunctions,
];

/// Pairs of codemods that undo each other's work: running both would never
/// converge, so selecting both is a configuration error.
pub const OPPOSITES: &[(&str, &str)] = &[("hoist-plugin-defaults", "inline-plugin-defaults")];

/// Every codemod, in a stable order.
pub fn all() -> &'static [&'static dyn Codemod] {
    REGISTRY
}

pub fn by_name(name: &str) -> Option<&'static dyn Codemod> {
    REGISTRY.iter().copied().find(|c| c.name() == name)
}

/// The codemods of a family, in registry order.
pub fn in_family(family: Family) -> impl Iterator<Item = &'static dyn Codemod> {
    REGISTRY
        .iter()
        .copied()
        .filter(move |c| c.family() == family)
}

/// Runs `f` on a context for `text` (a flow), as one round of the engine
/// would build it.
#[cfg(test)]
pub(crate) fn with_context<R>(text: &str, f: impl FnOnce(&FlowContext) -> R) -> R {
    with_codemod_context("test", &ParsedOptions::new(()), text, f)
}

/// [`with_context`] for the codemod `name` with its `options`.
#[cfg(test)]
pub(crate) fn with_codemod_context<R>(
    name: &'static str,
    options: &ParsedOptions,
    text: &str,
    f: impl FnOnce(&FlowContext) -> R,
) -> R {
    let parse = crate::syntax::parse(text);
    let flow = Flow::cast(&parse).expect("a flow");
    let line_index = LineIndex::new(text);
    let suppressions = Suppressions::collect(text, &parse, &line_index, Some(&flow));
    let round = Round::default();
    f(&FlowContext {
        path: Path::new("flow.yaml"),
        text,
        parse: &parse,
        flow: &flow,
        line_index: &line_index,
        target_version: KestraVersion::DEFAULT,
        catalog: Catalog::builtin(),
        options,
        suppressions: &suppressions,
        codemod: name,
        round: &round,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_documented() {
        let mut names: Vec<_> = all().iter().map(|c| c.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all().len());
        for c in all() {
            assert!(
                c.docs().starts_with(&format!("# {}", c.name())),
                "{}",
                c.name()
            );
            assert!(by_name(c.name()).is_some());
        }
    }
}
