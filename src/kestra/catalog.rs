//! The plugin catalog: which properties each Kestra plugin type accepts,
//! which of them hold nested plugins, and which types Kestra 2.0 removed.
//!
//! The data is `data/plugin-properties.json` (read from Kestra's Java
//! sources, see `NOTICE`), shipped inside the binary and parsed once, on
//! first use. Kestra 2.0 rejects unknown properties, so a codemod that writes
//! a property into an instance must know the type has it; when the catalog
//! cannot tell, the answer is [`Answer::Unknown`] and callers must not guess.
//!
//! User catalogs (custom or Enterprise plugins) use the same format: build
//! one with [`Catalog::from_json`] and layer it over another with
//! [`Catalog::merge`].

use super::plugins;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::LazyLock;

const BUILTIN_JSON: &str = include_str!("../../data/plugin-properties.json");

static BUILTIN: LazyLock<Catalog> = LazyLock::new(|| {
    let mut catalog =
        Catalog::from_json(BUILTIN_JSON).expect("data/plugin-properties.json is checked by tests");
    // The 1.x core aliases come last: a type's own `@Plugin(aliases)` wins.
    catalog.add_aliases(plugins::aliases());
    catalog
});

/// The format flags plugin-holding properties one level deep only: Dag's
/// `tasks` holds `{task, dependsOn}` wrappers, each `task` a plugin.
const WRAPPED_PLUGIN_PROPS: &[(&str, &str)] = &[("io.kestra.plugin.core.flow.Dag", "tasks")];

/// A catalog's repository names for Kestra's own core, 2.0 and 1.0.x.
const CORE_REPO: &str = "kestra-io/kestra";

/// Does a type accept a property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Yes,
    No,
    /// The catalog cannot tell: the type is unknown, incomplete, or open.
    Unknown,
}

/// One plugin type as the catalog describes it.
#[derive(Debug, Clone, Deserialize)]
pub struct PluginType {
    kind: String,
    /// Sorted, for binary search.
    props: Vec<String>,
    #[serde(default)]
    plugins: Vec<String>,
    #[serde(default)]
    ignored: Vec<String>,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    deprecated: bool,
    #[serde(default = "yes")]
    complete: bool,
    #[serde(default)]
    open: bool,
    #[serde(default)]
    legacy: Option<String>,
    #[serde(default)]
    repo: String,
}

fn yes() -> bool {
    true
}

impl PluginType {
    /// `task`, `trigger`, `condition`, `taskRunner`, `asset`, or the nearest
    /// core base (`AdditionalPlugin`, ...).
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// Every property the type accepts, base properties included, sorted.
    pub fn props(&self) -> &[String] {
        &self.props
    }

    /// The properties that hold nested plugins (`tasks`, `taskRunner`, ...).
    pub fn plugin_props(&self) -> &[String] {
        &self.plugins
    }

    /// Whether `prop` holds nested plugins.
    pub fn holds_plugins(&self, prop: &str) -> bool {
        self.plugins.iter().any(|p| p == prop)
    }

    /// Names accepted and skipped silently (`@JsonIgnore`): no effect.
    pub fn ignores(&self, prop: &str) -> bool {
        self.ignored.iter().any(|p| p == prop)
    }

    pub fn is_deprecated(&self) -> bool {
        self.deprecated
    }

    /// Exists only in an older Kestra core (removed in 2.0).
    pub fn is_legacy(&self) -> bool {
        self.legacy.is_some()
    }

    /// Every name is known: some ancestor class was not read otherwise.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// Accepts any property (`@JsonAnySetter`).
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// The repository the class was read from.
    pub fn repo(&self) -> &str {
        &self.repo
    }

    /// Whether the type is known to accept `prop`: `Unknown` when it is not
    /// listed but the list may lack it.
    pub fn has_property(&self, prop: &str) -> Answer {
        if self.knows(prop) {
            Answer::Yes
        } else if self.open || !self.complete {
            Answer::Unknown
        } else {
            Answer::No
        }
    }

    fn knows(&self, prop: &str) -> bool {
        self.props
            .binary_search_by(|p| p.as_str().cmp(prop))
            .is_ok()
    }
}

#[derive(Deserialize)]
struct File {
    types: HashMap<String, PluginType>,
    #[serde(default)]
    meta: Meta,
}

#[derive(Deserialize, Default)]
struct Meta {
    /// Release (`catalog`, `kestra-io/kestra@releases/v1.0.x`) -> base
    /// class -> its properties.
    #[serde(default)]
    base_properties: HashMap<String, HashMap<String, Vec<String>>>,
}

/// The catalog could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("invalid plugin catalog: {0}")]
    Json(#[from] serde_json::Error),
    #[error(
        "invalid plugin catalog: `{type_name}` lists `{prop}` in `plugins` but not in `props`"
    )]
    PluginPropNotAccepted { type_name: String, prop: String },
}

/// Plugin types by name, with their aliases.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    types: HashMap<String, PluginType>,
    /// Old name -> canonical name, from the types' own `aliases`; `None`
    /// when two types claim the name, so which class Kestra loads for it
    /// cannot be told.
    aliases: HashMap<String, Option<String>>,
    /// Old name -> canonical name from alias tables (`data/aliases.tsv`),
    /// consulted after the types' own aliases.
    table_aliases: HashMap<String, String>,
    /// See [`Catalog::core_plugin_props`].
    core_plugin_props: Vec<String>,
    /// See [`Catalog::base_properties`].
    base_properties: HashMap<String, HashMap<String, Vec<String>>>,
}

impl Catalog {
    /// The catalog shipped with kestra-fix: public Kestra plugins, the 2.0
    /// core and the types 2.0 removed.
    pub fn builtin() -> &'static Catalog {
        &BUILTIN
    }

    /// A catalog in the `plugin-properties.json` format (`types`, and
    /// `meta.base_properties`; the rest of `meta` is for people).
    pub fn from_json(text: &str) -> Result<Catalog, CatalogError> {
        let file: File = serde_json::from_str(text)?;
        let mut catalog = Catalog {
            base_properties: file.meta.base_properties,
            ..Catalog::default()
        };
        for (name, mut ty) in file.types {
            if let Some(prop) = ty.plugins.iter().find(|p| !ty.knows(p)) {
                return Err(CatalogError::PluginPropNotAccepted {
                    type_name: name,
                    prop: prop.clone(),
                });
            }
            if let Some((_, prop)) = WRAPPED_PLUGIN_PROPS.iter().find(|(t, _)| *t == name) {
                if ty.knows(prop) && !ty.holds_plugins(prop) {
                    ty.plugins.push((*prop).to_string());
                }
            }
            ty.props.sort_unstable();
            catalog.types.insert(name, ty);
        }
        catalog.index();
        Ok(catalog)
    }

    /// Layers `other` over `self`: its types replace same-named ones, its
    /// aliases win over ours.
    pub fn merge(&mut self, other: Catalog) {
        self.types.extend(other.types);
        self.table_aliases.extend(other.table_aliases);
        for (release, classes) in other.base_properties {
            self.base_properties
                .entry(release)
                .or_default()
                .extend(classes);
        }
        self.index();
    }

    /// Adds `(old, canonical)` alias pairs from a table such as
    /// `data/aliases.tsv`; a type's own name or alias still wins.
    pub fn add_aliases<'a>(&mut self, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) {
        self.table_aliases.extend(
            pairs
                .into_iter()
                .map(|(old, canonical)| (old.to_string(), canonical.to_string())),
        );
    }

    /// Rebuilds what is derived from `types`: the alias index and the core
    /// containers' plugin-holding properties.
    fn index(&mut self) {
        let mut aliases: HashMap<String, Option<String>> = HashMap::new();
        for (name, ty) in &self.types {
            for alias in &ty.aliases {
                aliases
                    .entry(alias.clone())
                    .and_modify(|c| {
                        if c.as_deref() != Some(name) {
                            *c = None;
                        }
                    })
                    .or_insert_with(|| Some(name.clone()));
            }
        }
        self.aliases = aliases;
        let core: BTreeSet<&String> = self
            .types
            .values()
            .filter(|t| t.repo == CORE_REPO || t.repo.starts_with("kestra-io/kestra@"))
            .flat_map(|t| &t.plugins)
            .collect();
        self.core_plugin_props = core.into_iter().cloned().collect();
    }

    /// The number of types.
    pub fn len(&self) -> usize {
        self.types.len()
    }

    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    /// The canonical name of `type_name`: itself when the catalog has it,
    /// else the type that has it as an alias.
    pub fn canonical_name<'a>(&'a self, type_name: &'a str) -> Option<&'a str> {
        if self.types.contains_key(type_name) {
            return Some(type_name);
        }
        match self.aliases.get(type_name) {
            Some(claimed) => claimed.as_deref(),
            None => self.table_aliases.get(type_name).map(String::as_str),
        }
    }

    /// The type named `type_name`, directly or through an alias.
    pub fn get(&self, type_name: &str) -> Option<&PluginType> {
        // One lookup for the common case, a canonical name.
        match self.types.get(type_name) {
            Some(ty) => Some(ty),
            None => self.types.get(self.canonical_name(type_name)?),
        }
    }

    /// Does `type_name` accept `prop` (see PLUGIN-PROPERTIES.md): unknown
    /// types answer `Unknown`.
    pub fn has_property(&self, type_name: &str, prop: &str) -> Answer {
        self.get(type_name)
            .map_or(Answer::Unknown, |t| t.has_property(prop))
    }

    /// The properties of `type_name` that hold nested plugins; `None` for a
    /// type the catalog does not know.
    pub fn plugin_props(&self, type_name: &str) -> Option<&[String]> {
        self.get(type_name).map(PluginType::plugin_props)
    }

    /// Whether `type_name` is known as a type Kestra 2.0 removed.
    pub fn is_legacy(&self, type_name: &str) -> bool {
        self.get(type_name).is_some_and(PluginType::is_legacy)
    }

    /// The kind of `type_name` (`task`, `trigger`, ...), when known.
    pub fn kind(&self, type_name: &str) -> Option<&str> {
        self.get(type_name).map(PluginType::kind)
    }

    /// The canonical names of the types Kestra 2.0 removed, sorted.
    pub fn legacy_types(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .types
            .iter()
            .filter(|(_, t)| t.is_legacy())
            .map(|(n, _)| n.as_str())
            .collect();
        out.sort_unstable();
        out
    }

    /// The properties of Kestra base class `class` (`io.kestra.core.models.tasks.Task`)
    /// in `release` (`kestra-io/kestra@releases/v1.0.x`, or `catalog` for the
    /// core the types were read from); `None` when the catalog lacks them.
    pub fn base_properties(&self, release: &str, class: &str) -> Option<&[String]> {
        self.base_properties
            .get(release)?
            .get(class)
            .map(Vec::as_slice)
    }

    /// Every property some Kestra core type (2.0 or 1.x) uses to hold
    /// plugins (`tasks`, `errors`, `then`, `cases`, `conditions`, ...),
    /// sorted: where plugins can sit in a type the catalog cannot describe.
    pub fn core_plugin_props(&self) -> &[String] {
        &self.core_plugin_props
    }
}

/// Looks a `$ref` up in a schema's definitions: its name and schema.
type RefResolver<'s> = dyn Fn(&str) -> Result<(String, &'s serde_json::Value), ImportError> + 's;

/// A catalog made from a Kestra instance's plugin schema.
#[derive(Debug)]
pub struct Imported {
    /// The catalog, in the `plugin-properties.json` format.
    pub json: serde_json::Value,
    /// How many plugin types it describes.
    pub types: usize,
}

/// The schema could not be converted.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("invalid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("not a Kestra plugin schema: no `definitions` object")]
    NoDefinitions,
    #[error("`{0}` is a `$ref` to no definition of this schema")]
    BadRef(String),
    #[error("the schema describes no plugin type (no definition has a `type` property with a `const` or `enum` class name)")]
    NoPlugins,
    #[error("the converted catalog is invalid: {0}")]
    Invalid(#[from] CatalogError),
}

impl ImportError {
    /// Line and column in the schema file, for JSON syntax errors.
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            ImportError::Json(e) if e.line() > 0 => Some((e.line(), e.column())),
            _ => None,
        }
    }
}

/// The JSON Schema a Kestra instance serves at `/api/v1/plugins/schemas/flow`
/// as a catalog. Its `definitions` (or `$defs`) hold one entry per plugin
/// class (`Log`, or `Log-1`, `Log-2` for variants of one class), composed
/// with `$ref` and `allOf` from base classes; a plugin class is a
/// definition whose composed `type` property has a `const` class name (or
/// an `enum`: the class and its aliases). Each type gets:
/// - `props`: every property name of the composition;
/// - `plugins`: the properties whose schema refers to plugin classes
///   (through `items`, `anyOf`, `oneOf`, `allOf`, `additionalProperties`);
/// - `kind`: from where the schema puts it: the flow's `triggers` and
///   plugins' `triggers` give `trigger`, `conditions` `condition`,
///   `taskRunner` `taskRunner`, any other plugin list `task`; a class
///   nothing refers to is `plugin`;
/// - `deprecated` from `$deprecated`/`deprecated`, `open` when the
///   composition allows `additionalProperties`.
pub fn import_schema(text: &str) -> Result<Imported, ImportError> {
    use serde_json::{json, Map, Value};
    let schema: Value = serde_json::from_str(text)?;
    let defs = schema
        .get("definitions")
        .or_else(|| schema.get("$defs"))
        .and_then(Value::as_object)
        .ok_or(ImportError::NoDefinitions)?;
    let resolve = |r: &str| -> Result<(String, &Value), ImportError> {
        let name = r
            .strip_prefix("#/definitions/")
            .or_else(|| r.strip_prefix("#/$defs/"))
            .ok_or_else(|| ImportError::BadRef(r.to_string()))?;
        // JSON Pointer escapes (RFC 6901).
        let name = name.replace("~1", "/").replace("~0", "~");
        let def = defs
            .get(&name)
            .ok_or_else(|| ImportError::BadRef(r.to_string()))?;
        Ok((name, def))
    };

    /// A definition's composed properties and whether it is open.
    #[derive(Default)]
    struct Composed<'s> {
        props: Map<String, Value>,
        sources: Vec<(&'s str, &'s Value)>,
        open: bool,
    }
    fn compose<'s>(
        node: &'s Value,
        resolve: &RefResolver<'s>,
        seen: &mut Vec<String>,
        out: &mut Composed<'s>,
    ) -> Result<(), ImportError> {
        if let Some(r) = node.get("$ref").and_then(Value::as_str) {
            let (name, def) = resolve(r)?;
            if !seen.contains(&name) {
                seen.push(name);
                compose(def, resolve, seen, out)?;
            }
        }
        for part in node
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            compose(part, resolve, seen, out)?;
        }
        if let Some(props) = node.get("properties").and_then(Value::as_object) {
            for (k, v) in props {
                out.props.insert(k.clone(), v.clone());
                out.sources.push((k.as_str(), v));
            }
        }
        match node.get("additionalProperties") {
            Some(Value::Bool(true)) | Some(Value::Object(_)) => out.open = true,
            _ => {}
        }
        Ok(())
    }

    // Every definition composed; the plugin classes among them by name.
    let mut composed: Vec<(&String, Composed)> = Vec::new();
    for (key, def) in defs {
        let mut c = Composed::default();
        compose(def, &resolve, &mut vec![key.clone()], &mut c)?;
        composed.push((key, c));
    }
    let class_of = |key: &str, c: &Composed| -> Option<(String, Vec<String>)> {
        let ty = c.props.get("type")?;
        if let Some(name) = ty.get("const").and_then(Value::as_str) {
            return Some((name.to_string(), Vec::new()));
        }
        let names: Vec<String> = ty
            .get("enum")?
            .as_array()?
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        let base = key.rsplit_once('-').map_or(key, |(b, n)| {
            if n.chars().all(|c| c.is_ascii_digit()) {
                b
            } else {
                key
            }
        });
        let name = names.iter().find(|n| *n == base).or(names.first())?.clone();
        let aliases = names.into_iter().filter(|n| *n != name).collect();
        Some((name, aliases))
    };
    let mut class_by_key: HashMap<&str, String> = HashMap::new();
    for (key, c) in &composed {
        if let Some((name, _)) = class_of(key, c) {
            class_by_key.insert(key.as_str(), name);
        }
    }
    if class_by_key.is_empty() {
        return Err(ImportError::NoPlugins);
    }

    // The plugin classes a property's schema refers to (one level: a
    // `$ref` to a plugin class stops there; to another definition, it is
    // followed only when that definition is a bare union, not an object).
    fn plugin_refs(
        node: &Value,
        defs: &Map<String, Value>,
        classes: &HashMap<&str, String>,
        seen: &mut Vec<String>,
        out: &mut BTreeSet<String>,
    ) {
        if let Some(r) = node.get("$ref").and_then(Value::as_str) {
            let name = r
                .strip_prefix("#/definitions/")
                .or_else(|| r.strip_prefix("#/$defs/"))
                .map(|n| n.replace("~1", "/").replace("~0", "~"));
            if let Some(name) = name {
                if let Some(class) = classes.get(name.as_str()) {
                    out.insert(class.clone());
                } else if let Some(def) = defs.get(&name) {
                    if def.get("properties").is_none() && !seen.contains(&name) {
                        seen.push(name);
                        plugin_refs(def, defs, classes, seen, out);
                    }
                }
            }
        }
        for key in ["items", "additionalProperties"] {
            if let Some(v @ Value::Object(_)) = node.get(key) {
                plugin_refs(v, defs, classes, seen, out);
            }
        }
        for key in ["anyOf", "oneOf", "allOf"] {
            for v in node
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                plugin_refs(v, defs, classes, seen, out);
            }
        }
    }
    let kind_for = |prop: &str| match prop {
        "triggers" => "trigger",
        "conditions" => "condition",
        "taskRunner" => "taskRunner",
        _ => "task",
    };
    let mut kinds: HashMap<String, &str> = HashMap::new();
    let note_kinds = |props: &[(&str, &Value)], kinds: &mut HashMap<String, &str>| {
        let mut holders = Vec::new();
        for (prop, schema) in props {
            let mut refs = BTreeSet::new();
            plugin_refs(schema, defs, &class_by_key, &mut Vec::new(), &mut refs);
            if refs.is_empty() {
                continue;
            }
            for class in refs {
                kinds.entry(class).or_insert(kind_for(prop));
            }
            holders.push(prop.to_string());
        }
        holders
    };
    // The flow itself: the root object, or the definition the root names.
    let mut flow = Composed::default();
    compose(&schema, &resolve, &mut Vec::new(), &mut flow)?;
    note_kinds(&flow.sources, &mut kinds);

    let mut types: Map<String, Value> = Map::new();
    /// One class's entry; variants of a class (`Log-1`, `Log-2`) merge.
    #[derive(Default)]
    struct Entry {
        props: BTreeSet<String>,
        plugins: BTreeSet<String>,
        aliases: BTreeSet<String>,
        deprecated: bool,
        open: bool,
    }
    let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
    for (key, c) in &composed {
        let Some((name, aliases)) = class_of(key, c) else {
            continue;
        };
        let holders = note_kinds(&c.sources, &mut kinds);
        let def = &defs[key.as_str()];
        let deprecated = ["$deprecated", "deprecated"]
            .iter()
            .any(|k| def.get(*k).and_then(Value::as_bool) == Some(true));
        let e = entries.entry(name).or_default();
        e.props.extend(c.props.keys().cloned());
        e.plugins.extend(holders);
        e.aliases.extend(aliases);
        e.deprecated |= deprecated;
        e.open |= c.open;
    }
    for (name, e) in entries {
        let Entry {
            props,
            plugins,
            aliases,
            deprecated,
            open,
        } = e;
        let mut ty = json!({
            "kind": kinds.get(&name).copied().unwrap_or("plugin"),
            "props": props,
        });
        if !plugins.is_empty() {
            ty["plugins"] = json!(plugins);
        }
        if !aliases.is_empty() {
            ty["aliases"] = json!(aliases);
        }
        if deprecated {
            ty["deprecated"] = json!(true);
        }
        if open {
            ty["open"] = json!(true);
        }
        types.insert(name, ty);
    }
    let count = types.len();
    let json = json!({
        "meta": {
            "what": "Kestra plugin types and the property names each accepts",
            "generator": concat!("kestra-fix ", env!("CARGO_PKG_VERSION"), " catalog import"),
            "source": "a Kestra instance's /api/v1/plugins/schemas/flow",
        },
        "types": types,
    });
    // What `--plugin-catalog` will read must load.
    Catalog::from_json(&json.to_string())?;
    Ok(Imported { json, types: count })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn catalog() -> &'static Catalog {
        Catalog::builtin()
    }

    #[test]
    fn builtin_matches_its_meta_counts() {
        let meta: serde_json::Value = serde_json::from_str(BUILTIN_JSON).unwrap();
        let counts = &meta["meta"]["counts"];
        let c = catalog();
        assert_eq!(c.len() as u64, counts["types"].as_u64().unwrap());
        let pairs: usize = c.types.values().map(|t| t.props.len()).sum();
        assert_eq!(
            pairs as u64,
            counts["type_property_pairs"].as_u64().unwrap()
        );
        let incomplete = c.types.values().filter(|t| !t.is_complete()).count();
        assert_eq!(
            incomplete as u64,
            counts["incomplete_types"].as_u64().unwrap()
        );
        assert_eq!(
            c.legacy_types().len() as u64,
            counts["legacy_types"].as_u64().unwrap()
        );
    }

    #[test]
    fn answers_follow_the_documented_rules() {
        let c = catalog();
        let py = "io.kestra.plugin.scripts.python.Script";
        assert_eq!(c.has_property(py, "containerImage"), Answer::Yes);
        assert_eq!(c.has_property(py, "commands"), Answer::No);
        // Removed from Task in 2.0.
        assert_eq!(c.has_property(py, "workerGroup"), Answer::No);
        let docker = "io.kestra.plugin.scripts.runner.docker.Docker";
        assert_eq!(c.has_property(docker, "containerImage"), Answer::No);
        assert_eq!(c.has_property(docker, "pullPolicy"), Answer::Yes);
        assert_eq!(
            c.has_property("io.kestra.plugin.ee.Nope", "x"),
            Answer::Unknown
        );
        // complete: false (an ancestor was not read): absent is unknown.
        let azure = "io.kestra.plugin.azure.batch.job.Create";
        assert_eq!(c.has_property(azure, "poolId"), Answer::Yes);
        assert_eq!(c.has_property(azure, "region"), Answer::Unknown);
        // open (@JsonAnySetter).
        let open = "io.kestra.core.models.assets.Custom";
        assert_eq!(c.has_property(open, "anything"), Answer::Unknown);
        // Ignored names are accepted without effect: not a property.
        let ty = c.get(azure).unwrap();
        assert!(ty.ignores("killable"));
        assert_eq!(ty.has_property("killable"), Answer::Unknown);
    }

    #[test]
    fn aliases_resolve_in_documented_order() {
        let c = catalog();
        // A type's own @Plugin(aliases).
        assert_eq!(
            c.canonical_name("io.kestra.plugin.langchain4j.provider.OpenAI"),
            Some("io.kestra.plugin.ai.provider.OpenAI")
        );
        // The 1.x core table.
        assert_eq!(
            c.canonical_name("io.kestra.core.tasks.flows.Flow"),
            Some("io.kestra.plugin.core.flow.Subflow")
        );
        assert_eq!(
            c.kind("io.kestra.core.models.conditions.types.DayWeekCondition"),
            Some("condition")
        );
        // A name that is both a type and another type's alias is the type.
        let old = "io.kestra.plugin.notifications.slack.SlackExecution";
        assert_eq!(c.canonical_name(old), Some(old));
        // Claimed by two types: which one Kestra loads is unknown.
        let twice = "io.kestra.plugin.segment.reverseetl.Status";
        assert_eq!(c.get(twice).map(PluginType::kind), None);
        assert_eq!(c.has_property(twice, "id"), Answer::Unknown);
    }

    #[test]
    fn every_core_alias_names_a_catalog_type() {
        let c = catalog();
        for (old, canonical) in plugins::aliases() {
            assert_eq!(c.canonical_name(old), Some(canonical), "{old}");
        }
    }

    #[test]
    fn plugin_props_and_legacy() {
        let c = catalog();
        let props = |t| c.plugin_props(t).unwrap().to_vec();
        assert_eq!(
            props("io.kestra.plugin.core.flow.If"),
            ["else", "errors", "finally", "then"]
        );
        assert!(props("io.kestra.plugin.core.flow.Subflow").is_empty());
        assert!(props("io.kestra.plugin.core.flow.Dag").contains(&"tasks".to_string()));
        assert!(c.plugin_props("io.kestra.plugin.ee.Nope").is_none());
        assert!(c.is_legacy("io.kestra.core.tasks.flows.EachSequential"));
        assert!(c.is_legacy("io.kestra.plugin.core.flow.ForEach"));
        assert!(!c.is_legacy("io.kestra.plugin.core.flow.Parallel"));
        assert!(!c.is_legacy("io.kestra.plugin.ee.Nope"));
        assert_eq!(
            c.core_plugin_props(),
            [
                "cases",
                "conditions",
                "defaults",
                "else",
                "errors",
                "finally",
                "onPause",
                "tasks",
                "then"
            ]
        );
    }

    #[test]
    fn base_properties_of_both_cores() {
        let c = catalog();
        let v1 = "kestra-io/kestra@releases/v1.0.x";
        let task = "io.kestra.core.models.tasks.Task";
        let has = |release, class, p: &str| {
            c.base_properties(release, class)
                .unwrap()
                .iter()
                .any(|x| x == p)
        };
        assert!(has(v1, task, "workerGroup"));
        assert!(!has("catalog", task, "workerGroup"));
        assert!(has(
            v1,
            "io.kestra.core.models.triggers.AbstractTrigger",
            "conditions"
        ));
        assert!(c.base_properties(v1, "io.kestra.Nope").is_none());
    }

    #[test]
    fn user_catalogs_layer_over_the_builtin() {
        let mut c = catalog().clone();
        let user = Catalog::from_json(
            r#"{"types": {
                "com.acme.Task": {"kind": "task", "props": ["type", "id", "flavour"],
                                  "aliases": ["com.acme.OldTask"]},
                "io.kestra.plugin.core.log.Log": {"kind": "task", "props": ["id", "type", "extra"]}
            }}"#,
        )
        .unwrap();
        c.merge(user);
        assert_eq!(c.has_property("com.acme.OldTask", "flavour"), Answer::Yes);
        assert_eq!(c.has_property("com.acme.Task", "colour"), Answer::No);
        assert_eq!(
            c.has_property("io.kestra.plugin.core.log.Log", "extra"),
            Answer::Yes
        );
        assert_eq!(
            c.has_property("io.kestra.plugin.core.log.Log", "message"),
            Answer::No
        );
        // Aliases from the 1.x table survive the merge.
        assert_eq!(
            c.has_property("io.kestra.core.tasks.log.Log", "extra"),
            Answer::Yes
        );
        assert_eq!(c.len(), catalog().len() + 1);
    }

    #[test]
    fn bad_catalogs_are_typed_errors() {
        let err = Catalog::from_json("{\"types\": 1}").unwrap_err();
        assert!(matches!(err, CatalogError::Json(_)));
        let err = Catalog::from_json(
            r#"{"types": {"a.B": {"kind": "task", "props": ["id"], "plugins": ["tasks"]}}}"#,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid plugin catalog: `a.B` lists `tasks` in `plugins` but not in `props`"
        );
    }

    #[test]
    fn a_kestra_plugin_schema_imports_as_a_catalog() {
        let text = include_str!("../../tests/data/kestra-schema.json");
        let imported = import_schema(text).unwrap();
        assert_eq!(imported.types, 5);
        let types = &imported.json["types"];
        let deploy = &types["com.acme.Deploy"];
        // Both variants, their `allOf` bases and the bases' own `$ref`s.
        assert_eq!(
            deploy["props"],
            serde_json::json!([
                "cluster",
                "id",
                "image",
                "replicas",
                "retry",
                "taskRunner",
                "timeout",
                "type"
            ])
        );
        assert_eq!(deploy["kind"], "task");
        assert_eq!(deploy["plugins"], serde_json::json!(["taskRunner"]));
        assert_eq!(
            deploy["aliases"],
            serde_json::json!(["com.acme.legacy.Deploy"])
        );
        assert_eq!(deploy["deprecated"], true);
        // Through a bare-union definition, and recursively.
        assert_eq!(
            types["com.acme.Group"]["plugins"],
            serde_json::json!(["tasks"])
        );
        assert_eq!(types["com.acme.Poll"]["kind"], "trigger");
        assert_eq!(types["com.acme.Weekday"]["kind"], "condition");
        assert_eq!(types["com.acme.Runner"]["kind"], "taskRunner");
        assert_eq!(types["com.acme.Runner"]["open"], true);
        // Base classes and data objects are no plugin types.
        assert!(types.get("io.kestra.core.models.tasks.Task").is_none());
        let c = Catalog::from_json(&imported.json.to_string()).unwrap();
        assert_eq!(
            c.has_property("com.acme.legacy.Deploy", "replicas"),
            Answer::Yes
        );
        assert_eq!(c.has_property("com.acme.Deploy", "replica"), Answer::No);
        assert_eq!(
            c.has_property("com.acme.Runner", "anything"),
            Answer::Unknown
        );
    }

    #[test]
    fn schema_import_errors_are_typed() {
        let e = import_schema("{\n  \"definitions\": [}").unwrap_err();
        assert_eq!(e.position().map(|p| p.0), Some(2));
        assert!(matches!(
            import_schema("{}"),
            Err(ImportError::NoDefinitions)
        ));
        let e = import_schema(r##"{"definitions": {"a": {"$ref": "#/definitions/nope"}}}"##)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "`#/definitions/nope` is a `$ref` to no definition of this schema"
        );
        let e = import_schema(r#"{"definitions": {"a": {"properties": {"x": {}}}}}"#).unwrap_err();
        assert!(matches!(e, ImportError::NoPlugins));
    }

    /// Prints the parse time of the shipped catalog (a debug build is ~10x
    /// slower than release; `cargo bench --bench catalog` measures release).
    #[test]
    fn load_time() {
        let start = Instant::now();
        let c = Catalog::from_json(BUILTIN_JSON).unwrap();
        let elapsed = start.elapsed();
        assert_eq!(c.len(), catalog().len());
        println!("plugin catalog: {} types parsed in {elapsed:?}", c.len());
    }
}
