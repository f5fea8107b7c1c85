//! `kestra-fix.toml`: discovery, parsing, and merging with the command line.
//!
//! ```toml
//! select = ["migrate-renamed-types"]   # replaces the default set
//! ignore = []                          # removed from the selected set
//! unsafe-fixes = false
//! target-version = "1.3"
//! plugin-catalogs = ["plugins/acme.json"]  # relative to this file
//! extend = "../kestra-fix.toml"        # read first; keys set here win
//! per-file-ignores = { "legacy/*.yaml" = ["fetch-to-store"] }
//! [migrate-renamed-types]              # one table of options per codemod
//! ```

use super::error::{Error, ErrorKind};
use crate::codemods::{self, Codemod, Family, ParsedOptions};
use crate::kestra::catalog::{Catalog, CatalogError};
use crate::kestra::KestraVersion;
use crate::syntax::{LineCol, LineIndex, TextSize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};
use toml::Spanned;

pub const CONFIG_FILE: &str = "kestra-fix.toml";

/// One config file's settings; `None` means "not set here".
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub select: Option<Vec<String>>,
    pub ignore: Vec<String>,
    pub unsafe_fixes: Option<bool>,
    pub target_version: Option<KestraVersion>,
    /// User plugin catalogs, resolved against the config file's folder.
    pub plugin_catalogs: Vec<PathBuf>,
    pub codemod_options: BTreeMap<String, toml::Table>,
    /// `per-file-ignores`, each glob anchored at the folder of the config
    /// file that wrote it (an extended file's globs keep their own folder).
    pub per_file_ignores: Vec<PerFileIgnore>,
}

/// One `per-file-ignores` entry: files matching `pattern` skip `names`.
#[derive(Debug, Clone)]
pub struct PerFileIgnore {
    pub pattern: String,
    /// The folder the glob is relative to, absolute.
    pub base: PathBuf,
    pub names: Vec<String>,
    matcher: globset::GlobMatcher,
}

impl PerFileIgnore {
    /// Whether `file` (absolute) matches: its path below `base` does, or,
    /// for a pattern without `/`, its file name does (as in ruff, where
    /// `"__init__.py"` covers every such file).
    pub fn matches(&self, file: &Path) -> bool {
        let below = file
            .strip_prefix(&self.base)
            .is_ok_and(|rel| self.matcher.is_match(rel));
        below
            || (!self.pattern.contains('/')
                && file.file_name().is_some_and(|n| self.matcher.is_match(n)))
    }
}

/// What the command line says; it wins over any config file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub select: Option<Vec<String>>,
    pub ignore: Vec<String>,
    pub unsafe_fixes: bool,
    pub target_version: Option<KestraVersion>,
    /// `--plugin-catalog FILE`s, layered over the config's catalogs.
    pub plugin_catalogs: Vec<PathBuf>,
}

/// The effective settings for one file.
#[derive(Clone)]
pub struct Settings {
    pub codemods: Vec<&'static dyn Codemod>,
    pub unsafe_fixes: bool,
    pub target_version: KestraVersion,
    /// The plugin catalog codemods consult.
    pub catalog: &'static Catalog,
    /// Each selected codemod's options, parsed once.
    pub codemod_options: BTreeMap<&'static str, ParsedOptions>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field(
                "codemods",
                &self.codemods.iter().map(|c| c.name()).collect::<Vec<_>>(),
            )
            .field("unsafe_fixes", &self.unsafe_fixes)
            .field("target_version", &self.target_version)
            .finish()
    }
}

impl Settings {
    /// `config` (possibly empty) overlaid with `overrides`, with the plugin
    /// catalogs both name (a catalog error becomes the message).
    pub fn resolve(config: &Config, overrides: &Overrides) -> Result<Settings, String> {
        let catalog = catalog_for(config, overrides).map_err(|e| match e.position {
            Some(p) => format!("{}:{}:{}: {e}", e.path.display(), p.line, p.col),
            None => format!("{}: {e}", e.path.display()),
        })?;
        Settings::resolve_with(config, overrides, catalog)
    }

    /// [`Settings::resolve`] with the catalog already built.
    pub fn resolve_with(
        config: &Config,
        overrides: &Overrides,
        catalog: &'static Catalog,
    ) -> Result<Settings, String> {
        let target_version = overrides
            .target_version
            .or(config.target_version)
            .unwrap_or_default();
        let select = overrides.select.as_ref().or(config.select.as_ref());
        let ignore: Vec<&String> = config.ignore.iter().chain(&overrides.ignore).collect();
        let lookup = |names: &mut dyn Iterator<Item = &String>| {
            names
                .map(|n| codemods_named(n))
                .collect::<Result<Vec<_>, _>>()
                .map(|sets| sets.concat())
                .map_err(|e| e.to_string())
        };
        let selected_names = select.map(|s| lookup(&mut s.iter())).transpose()?;
        let ignored = lookup(&mut ignore.iter().copied())?;
        let is = |c: &&dyn Codemod, set: &[&dyn Codemod]| set.iter().any(|s| s.name() == c.name());
        let selected = codemods::all()
            .iter()
            .copied()
            .filter(|c| match &selected_names {
                Some(set) => is(c, set),
                None => c.default_on(target_version),
            })
            .filter(|c| !is(c, &ignored))
            .collect::<Vec<_>>();
        let mut selected = selected;
        for (a, b) in codemods::OPPOSITES {
            let both = [a, b].map(|n| selected.iter().any(|c| c.name() == *n));
            if both != [true, true] {
                continue;
            }
            // A family selector brings in both sides of a pair: a side
            // named outright wins, else the target version decides.
            let named = |n: &str| select.is_some_and(|s| s.iter().any(|x| x == n));
            let off = match (named(a), named(b)) {
                (true, false) => Some(b),
                (false, true) => Some(a),
                (false, false) => [a, b]
                    .into_iter()
                    .find(|n| codemods::by_name(n).is_some_and(|c| !c.default_on(target_version))),
                (true, true) => None,
            };
            match off {
                Some(off) => selected.retain(|c| c.name() != *off),
                None => {
                    return Err(format!(
                        "`{a}` and `{b}` undo each other: select one of them (`--target-version` picks the right one by default)"
                    ))
                }
            }
        }
        let empty = toml::Table::new();
        let codemod_options = selected
            .iter()
            .map(|c| {
                let table = config.codemod_options.get(c.name()).unwrap_or(&empty);
                c.parse_options(table)
                    .map(|o| (c.name(), o))
                    .map_err(|e| format!("[{}]: {e}", c.name()))
            })
            .collect::<Result<_, String>>()?;
        Ok(Settings {
            codemods: selected,
            unsafe_fixes: overrides.unsafe_fixes || config.unsafe_fixes.unwrap_or(false),
            target_version,
            catalog,
            codemod_options,
        })
    }

    /// The parsed options of a selected codemod.
    pub fn options_for(&self, codemod: &str) -> &ParsedOptions {
        &self.codemod_options[codemod]
    }
}

/// The built-in catalog with the config's catalogs, then the command
/// line's, layered over it in that order (a later file's types win).
pub fn catalog_for(config: &Config, overrides: &Overrides) -> Result<&'static Catalog, Error> {
    let files: Vec<PathBuf> = config
        .plugin_catalogs
        .iter()
        .chain(&overrides.plugin_catalogs)
        .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone()))
        .collect();
    if files.is_empty() {
        return Ok(Catalog::builtin());
    }
    // One merged catalog per distinct list of files, built once and leaked:
    // a run has a handful of configs at most, each catalog lives as long as
    // the process anyway, and `&'static` keeps `Settings` and every
    // `FlowContext` free of lifetimes and reference counts.
    static MERGED: LazyLock<Mutex<HashMap<Vec<PathBuf>, &'static Catalog>>> =
        LazyLock::new(Mutex::default);
    let mut merged = MERGED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(catalog) = merged.get(&files) {
        return Ok(catalog);
    }
    let mut catalog = Catalog::builtin().clone();
    for file in &files {
        catalog.merge(load_catalog(file)?);
    }
    let catalog: &'static Catalog = Box::leak(Box::new(catalog));
    merged.insert(files, catalog);
    Ok(catalog)
}

/// One user catalog file; errors name it, and where in it for bad JSON.
pub fn load_catalog(path: &Path) -> Result<Catalog, Error> {
    let text =
        std::fs::read_to_string(path).map_err(|e| Error::new(path, None, ErrorKind::Read(e)))?;
    Catalog::from_json(&text).map_err(|e| {
        let position = match &e {
            CatalogError::Json(j) if j.line() > 0 => Some(LineCol {
                line: j.line() as u32,
                col: j.column() as u32,
            }),
            _ => None,
        };
        Error::new(path, position, ErrorKind::Config(e.to_string()))
    })
}

/// A name `--select`, `--ignore`, their config keys or a suppression gave
/// that names nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown codemod `{name}`{}", match suggestion {
    Some(s) => format!("; did you mean `{s}`?"),
    None => " (see `kestra-fix list`)".to_string(),
})]
pub struct UnknownName {
    pub name: String,
    pub suggestion: Option<&'static str>,
}

/// The codemods a name in a codemod list stands for. The one place names
/// are resolved: family names (several codemods under one name) belong
/// here, beside the codemods' own.
pub fn codemods_named(name: &str) -> Result<Vec<&'static dyn Codemod>, UnknownName> {
    if let Some(c) = codemods::by_name(name) {
        return Ok(vec![c]);
    }
    if let Some(family) = Family::by_name(name) {
        return Ok(codemods::in_family(family).collect());
    }
    let names = codemods::all()
        .iter()
        .map(|c| c.name())
        .chain(Family::ALL.iter().map(|f| f.name()));
    Err(UnknownName {
        name: name.to_string(),
        suggestion: closest(name, names),
    })
}

/// `clap` value parser for `--select`/`--ignore`: a usage error, with a
/// suggestion, before any file is read.
pub fn parse_codemod_name(name: &str) -> Result<String, UnknownName> {
    codemods_named(name).map(|_| name.to_string())
}

/// The candidate a typo most likely meant: the nearest by edit distance
/// (a swap of two neighbours counts as one edit), if within a third of
/// the name's length (at least one edit).
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

fn position(text: &str, offset: usize) -> LineCol {
    let offset = offset.min(text.len());
    LineIndex::new(text).line_col(text, TextSize::from(offset as u32))
}

/// Parses a config file's text; errors name the key and where it is. An
/// `extend`ed file is read first (from disk) and this file's keys replace
/// its keys; codemod tables merge option by option.
pub fn parse_config(path: &Path, text: &str) -> Result<Config, Error> {
    let path = normalize(path);
    parse_extending(&path, text, &mut vec![path.clone()])
}

/// [`parse_config`] with the chain of files that extend this one, first
/// the outermost, for cycle detection.
fn parse_extending(path: &Path, text: &str, chain: &mut Vec<PathBuf>) -> Result<Config, Error> {
    let own = parse_own(path, text)?;
    let Some((target, at)) = own.extend.clone() else {
        return Ok(own.config);
    };
    let err =
        |message: String| Error::new(path, Some(position(text, at)), ErrorKind::Config(message));
    let parent_path = normalize(&path.parent().unwrap_or(Path::new("")).join(target));
    if chain.contains(&parent_path) {
        let shown: Vec<String> = chain
            .iter()
            .chain([&parent_path])
            .map(|p| shown(p))
            .collect();
        return Err(err(format!("`extend` cycle: {}", shown.join(" -> "))));
    }
    let parent_text = std::fs::read_to_string(&parent_path).map_err(|e| {
        err(format!(
            "cannot read `extend`ed {}: {e}",
            shown(&parent_path)
        ))
    })?;
    chain.push(parent_path.clone());
    let parent = parse_extending(&parent_path, &parent_text, chain)?;
    chain.pop();
    Ok(own.over(parent))
}

/// `path` made absolute and without `.`/`..`, lexically: configs found by
/// discovery and named by `extend` compare equal however they are reached.
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for c in absolute.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// A config path as messages show it: relative to the current folder when
/// inside it.
fn shown(path: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
        .display()
        .to_string()
}

/// One file's own settings, before any `extend`.
struct OwnConfig {
    config: Config,
    /// The top-level keys this file sets.
    set: Vec<String>,
    /// `extend`'s value and where it is written.
    extend: Option<(PathBuf, usize)>,
}

impl OwnConfig {
    /// This file's keys over `parent`'s.
    fn over(self, mut parent: Config) -> Config {
        let own = self.config;
        for key in &self.set {
            match key.as_str() {
                "select" => parent.select = own.select.clone(),
                "ignore" => parent.ignore = own.ignore.clone(),
                "unsafe-fixes" => parent.unsafe_fixes = own.unsafe_fixes,
                "target-version" => parent.target_version = own.target_version,
                "plugin-catalogs" => parent.plugin_catalogs = own.plugin_catalogs.clone(),
                "per-file-ignores" => parent.per_file_ignores = own.per_file_ignores.clone(),
                _ => {}
            }
        }
        for (codemod, options) in own.codemod_options {
            parent
                .codemod_options
                .entry(codemod)
                .or_default()
                .extend(options);
        }
        parent
    }
}

fn parse_own(path: &Path, text: &str) -> Result<OwnConfig, Error> {
    let err = |offset: usize, message: String| {
        Error::new(
            path,
            Some(position(text, offset)),
            ErrorKind::Config(message),
        )
    };
    let table: BTreeMap<Spanned<String>, Spanned<toml::Value>> =
        toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            err(offset, e.message().trim().to_string())
        })?;
    let base = path.parent().unwrap_or(Path::new(""));
    // An unknown name in a list of codemod names, at the name itself.
    let names = |key: &[&str], value: &toml::Value, value_at: usize| {
        let list = string_list(value)
            .ok_or_else(|| err(value_at, bad(&key.join("."), "a list of codemod names")))?;
        for (i, name) in list.iter().enumerate() {
            if let Err(unknown) = codemods_named(name) {
                let at = item_offset(text, key, i).unwrap_or(value_at);
                return Err(err(at, unknown.to_string()));
            }
        }
        Ok(list)
    };
    let mut own = OwnConfig {
        config: Config::default(),
        set: Vec::new(),
        extend: None,
    };
    let config = &mut own.config;
    for (key, value) in table {
        let at = key.span().start;
        let name = key.get_ref().as_str();
        let value_at = value.span().start;
        let value = value.into_inner();
        match name {
            "select" => config.select = Some(names(&["select"], &value, value_at)?),
            "ignore" => config.ignore = names(&["ignore"], &value, value_at)?,
            "unsafe-fixes" => {
                config.unsafe_fixes = Some(
                    value
                        .as_bool()
                        .ok_or_else(|| err(value_at, bad("unsafe-fixes", "true or false")))?,
                )
            }
            "plugin-catalogs" => {
                config.plugin_catalogs = string_list(&value)
                    .ok_or_else(|| {
                        err(
                            value_at,
                            bad("plugin-catalogs", "a list of paths to JSON catalog files"),
                        )
                    })?
                    .into_iter()
                    .map(|p| base.join(p))
                    .collect();
            }
            "target-version" => {
                let v = value.as_str().and_then(|s| s.parse().ok()).ok_or_else(|| {
                    err(
                        value_at,
                        bad("target-version", "a string \"MAJOR.MINOR\", e.g. \"1.3\""),
                    )
                })?;
                config.target_version = Some(v);
            }
            "extend" => {
                let target = value.as_str().ok_or_else(|| {
                    err(value_at, bad("extend", "the path of another config file"))
                })?;
                own.extend = Some((PathBuf::from(target), value_at));
            }
            "per-file-ignores" => {
                let toml::Value::Table(globs) = value else {
                    return Err(err(
                        value_at,
                        bad(
                            "per-file-ignores",
                            "a table of globs to lists of codemod names",
                        ),
                    ));
                };
                for (pattern, list) in &globs {
                    let key_path = ["per-file-ignores", pattern.as_str()];
                    let pattern_at = item_offset_key(text, &key_path).unwrap_or(value_at);
                    let matcher = globset::GlobBuilder::new(pattern)
                        .literal_separator(true)
                        .build()
                        .map_err(|e| err(pattern_at, format!("invalid glob: {}", e.kind())))?
                        .compile_matcher();
                    config.per_file_ignores.push(PerFileIgnore {
                        pattern: pattern.clone(),
                        base: normalize(base),
                        names: names(&key_path, list, pattern_at)?,
                        matcher,
                    });
                }
            }
            other => {
                let Some(codemod) = codemods::by_name(other) else {
                    return Err(err(at, format!("unknown key `{other}`")));
                };
                let toml::Value::Table(options) = value else {
                    return Err(err(value_at, bad(other, "a table of codemod options")));
                };
                if let Err(m) = codemod.check_options(&options) {
                    return Err(match option_at_fault(codemod, &options) {
                        Some(key) => err(
                            item_offset_key(text, &[other, &key]).unwrap_or(at),
                            format!("`{other}.{key}`: {m}"),
                        ),
                        None => err(at, format!("[{other}]: {m}")),
                    });
                }
                config.codemod_options.insert(other.to_string(), options);
            }
        }
        own.set.push(name.to_string());
    }
    Ok(own)
}

/// The spanned value at `keys` (tables only). Only on the error path: the
/// plain parse keeps no spans below the top level.
fn spanned_at<'i>(
    root: &'i toml::de::DeTable<'i>,
    keys: &[&str],
) -> Option<(usize, &'i toml::de::DeValue<'i>)> {
    use toml::de::DeValue;
    let (first, rest) = keys.split_first()?;
    let (key, value) = root.iter().find(|(k, _)| k.get_ref() == first)?;
    match (rest, value.get_ref()) {
        ([], v) => Some((key.span().start, v)),
        (_, DeValue::Table(t)) => spanned_at(t, rest),
        _ => None,
    }
}

/// Where the key at `keys` is written.
fn item_offset_key(text: &str, keys: &[&str]) -> Option<usize> {
    let root = toml::de::DeTable::parse(text).ok()?;
    spanned_at(root.get_ref(), keys).map(|(at, _)| at)
}

/// Where item `index` of the array at `keys` is written.
fn item_offset(text: &str, keys: &[&str], index: usize) -> Option<usize> {
    use toml::de::DeValue;
    let root = toml::de::DeTable::parse(text).ok()?;
    match spanned_at(root.get_ref(), keys)? {
        (_, DeValue::Array(items)) => items.get(index).map(|i| i.span().start),
        _ => None,
    }
}

/// The first option that the codemod rejects on its own, if one does (an
/// error may also come from a combination of options, or a missing one).
fn option_at_fault(codemod: &dyn Codemod, options: &toml::Table) -> Option<String> {
    options.iter().find_map(|(key, value)| {
        let alone = toml::Table::from_iter([(key.clone(), value.clone())]);
        codemod.check_options(&alone).is_err().then(|| key.clone())
    })
}

fn bad(key: &str, expected: &str) -> String {
    format!("`{key}` must be {expected}")
}

fn string_list(value: &toml::Value) -> Option<Vec<String>> {
    value
        .as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_string))
        .collect()
}

pub fn load_config(path: &Path) -> Result<Config, Error> {
    let text =
        std::fs::read_to_string(path).map_err(|e| Error::new(path, None, ErrorKind::Read(e)))?;
    parse_config(path, &text)
}

/// The shape of `kestra-fix.toml`, for `kestra-fix config-schema`: the
/// keys [`parse_config`] reads, described for editors (taplo, Even Better
/// TOML) that complete and check the file from a JSON Schema. Never built:
/// only its derived schema is used.
#[derive(schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(
    title = "kestra-fix.toml",
    description = "Configuration of kestra-fix, looked up from each flow's folder upwards.",
    deny_unknown_fields
)]
#[allow(dead_code)]
struct ConfigFile {
    /// Another config file, relative to this one, read first; the keys set
    /// here replace its keys (codemod tables merge option by option).
    extend: Option<String>,
    /// The codemods to run, replacing those on by default.
    select: Option<Vec<CodemodName>>,
    /// Codemods not to run.
    ignore: Option<Vec<CodemodName>>,
    /// Also apply fixes that may change behaviour.
    unsafe_fixes: Option<bool>,
    /// The Kestra version the flows must run on, "MAJOR.MINOR" (default "1.3").
    #[schemars(regex(pattern = r"^[0-9]+\.[0-9]+$"))]
    target_version: Option<String>,
    /// User plugin catalogs (JSON), relative to this file.
    plugin_catalogs: Option<Vec<String>>,
    /// Globs, relative to this file's folder (a glob without `/` also
    /// matches the file name anywhere), to the codemods matching files skip.
    per_file_ignores: Option<BTreeMap<String, Vec<CodemodName>>>,
}

/// A codemod or family name: what the registry holds when the schema is
/// printed, so the schema never lags behind it.
struct CodemodName;

impl schemars::JsonSchema for CodemodName {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "CodemodName".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<&str> = codemods::all()
            .iter()
            .map(|c| c.name())
            .chain(Family::ALL.iter().map(|f| f.name()))
            .collect();
        schemars::json_schema!({
            "description": "A codemod or family name (see `kestra-fix list`).",
            "type": "string",
            "enum": names,
        })
    }
}

/// The JSON Schema of `kestra-fix.toml`, with one table per codemod.
pub fn json_schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(ConfigFile).to_value();
    if let Some(properties) = schema
        .get_mut("properties")
        .and_then(serde_json::Value::as_object_mut)
    {
        // TOML has no null: a key is set or absent (and nothing is
        // `required`), so `Option`'s `null` would only mislead an editor.
        for property in properties.values_mut() {
            if let Some(types) = property.get_mut("type").and_then(|t| t.as_array_mut()) {
                types.retain(|t| t != "null");
                if let [only] = types.as_slice() {
                    property["type"] = only.clone();
                }
            }
        }
        for c in codemods::all() {
            // Options are parsed by each codemod, so their shape is its
            // own; the table itself, and that it is one, is checked here.
            properties.insert(
                c.name().to_string(),
                serde_json::json!({
                    "description": format!("Options of `{}`: {} (see `kestra-fix explain {}`).", c.name(), c.summary(), c.name()),
                    "type": "object",
                }),
            );
        }
    }
    schema
}

/// Finds and caches the settings that govern each file.
pub struct Resolver {
    overrides: Overrides,
    /// `--config FILE`: one config for every file, no discovery.
    fixed: Option<PathBuf>,
    by_dir: HashMap<PathBuf, Option<PathBuf>>,
    by_config: HashMap<Option<PathBuf>, (Arc<Config>, Arc<Settings>)>,
    /// Settings less the codemods a file's `per-file-ignores` name, by
    /// config and those names.
    narrowed: HashMap<(Option<PathBuf>, Vec<&'static str>), Arc<Settings>>,
}

impl Resolver {
    pub fn new(overrides: Overrides, config_override: Option<&Path>) -> Result<Self, Error> {
        let mut resolver = Resolver {
            overrides,
            fixed: config_override.map(Path::to_path_buf),
            by_dir: HashMap::new(),
            by_config: HashMap::new(),
            narrowed: HashMap::new(),
        };
        // A bad `--config` (or, without one, bad command-line names) is
        // reported once, before any file is read.
        resolver.settings_for_config(resolver.fixed.clone())?;
        Ok(resolver)
    }

    fn settings_from(&self, config_path: Option<&Path>) -> Result<(Config, Settings), Error> {
        let config = match config_path {
            Some(p) => load_config(p)?,
            None => Config::default(),
        };
        let origin = config_path.map_or_else(|| PathBuf::from("<command line>"), Path::to_path_buf);
        let catalog = catalog_for(&config, &self.overrides)?;
        let settings = Settings::resolve_with(&config, &self.overrides, catalog)
            .map_err(|m| Error::new(origin, None, ErrorKind::Config(m)))?;
        Ok((config, settings))
    }

    fn settings_for_config(
        &mut self,
        config_path: Option<PathBuf>,
    ) -> Result<(Arc<Config>, Arc<Settings>), Error> {
        if let Some(s) = self.by_config.get(&config_path) {
            return Ok(s.clone());
        }
        let (config, settings) = self.settings_from(config_path.as_deref())?;
        let s = (Arc::new(config), Arc::new(settings));
        self.by_config.insert(config_path, s.clone());
        Ok(s)
    }

    /// The settings for `file`: the nearest `kestra-fix.toml` in its folder
    /// or any parent (unless `--config` was given), less the codemods its
    /// `per-file-ignores` name for this file.
    pub fn settings_for(&mut self, file: &Path) -> Result<Arc<Settings>, Error> {
        let file = normalize(file);
        let config_path = match &self.fixed {
            Some(p) => Some(p.clone()),
            None => {
                let dir = file.parent().unwrap_or(Path::new("/")).to_path_buf();
                self.nearest_config(&dir)
            }
        };
        let (config, settings) = self.settings_for_config(config_path.clone())?;
        let mut skipped: Vec<&'static str> = Vec::new();
        for entry in config.per_file_ignores.iter().filter(|e| e.matches(&file)) {
            for name in &entry.names {
                // Checked when the config was read.
                let named = codemods_named(name).unwrap_or_default();
                skipped.extend(named.iter().map(|c| c.name()));
            }
        }
        skipped.retain(|n| settings.codemods.iter().any(|c| c.name() == *n));
        if skipped.is_empty() {
            return Ok(settings);
        }
        skipped.sort_unstable();
        skipped.dedup();
        let narrowed = self
            .narrowed
            .entry((config_path, skipped))
            .or_insert_with_key(|(_, skipped)| {
                let mut s = (*settings).clone();
                s.codemods.retain(|c| !skipped.contains(&c.name()));
                Arc::new(s)
            });
        Ok(narrowed.clone())
    }

    fn nearest_config(&mut self, dir: &Path) -> Option<PathBuf> {
        if let Some(found) = self.by_dir.get(dir) {
            return found.clone();
        }
        let candidate = dir.join(CONFIG_FILE);
        let found = if candidate.is_file() {
            Some(candidate)
        } else {
            dir.parent().and_then(|p| self.nearest_config(p))
        };
        self.by_dir.insert(dir.to_path_buf(), found.clone());
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kestra::catalog::Answer;

    fn parse(text: &str) -> Result<Config, Error> {
        parse_config(Path::new("kestra-fix.toml"), text)
    }

    #[test]
    fn reads_every_key() {
        let c = parse("select = [\"migrate-renamed-types\"]\nignore = []\nunsafe-fixes = true\ntarget-version = \"0.19\"\n[migrate-renamed-types]\n").unwrap();
        assert_eq!(
            c.select.as_deref(),
            Some(&["migrate-renamed-types".to_string()][..])
        );
        assert_eq!(c.unsafe_fixes, Some(true));
        assert_eq!(c.target_version, Some(KestraVersion::new(0, 19)));
        assert!(c.codemod_options.contains_key("migrate-renamed-types"));
    }

    #[test]
    fn unknown_keys_and_bad_values_name_the_key_and_line() {
        let e = parse("unsafe-fixes = true\ncolour = 1\n").unwrap_err();
        assert_eq!(e.position.map(|p| p.line), Some(2));
        assert!(e.to_string().contains("unknown key `colour`"), "{e}");

        let e = parse("target-version = \"one\"\n").unwrap_err();
        assert!(e.to_string().contains("`target-version`"), "{e}");

        let e = parse("[migrate-renamed-types]\nfoo = 1\n").unwrap_err();
        assert!(e.to_string().contains("foo"), "{e}");

        let e = parse("select = [\n").unwrap_err();
        assert!(e.position.is_some());
    }

    #[test]
    fn opposite_codemods_cannot_run_together() {
        let o = Overrides {
            select: Some(vec![
                "hoist-plugin-defaults".into(),
                "inline-plugin-defaults".into(),
            ]),
            ..Overrides::default()
        };
        let e = Settings::resolve(&Config::default(), &o).err().unwrap();
        assert!(e.contains("undo each other"), "{e}");
        for target in ["1.3", "2.0"] {
            let o = Overrides {
                target_version: Some(target.parse().unwrap()),
                ..Overrides::default()
            };
            assert!(
                Settings::resolve(&Config::default(), &o).is_ok(),
                "defaults at {target}"
            );
        }
    }

    #[test]
    fn command_line_wins_and_names_are_checked() {
        let config = Config {
            select: Some(vec![]),
            unsafe_fixes: Some(false),
            ..Config::default()
        };
        let s = Settings::resolve(&config, &Overrides::default()).unwrap();
        assert!(s.codemods.is_empty());
        let o = Overrides {
            select: Some(vec!["migrate-renamed-types".into()]),
            unsafe_fixes: true,
            ..Overrides::default()
        };
        let s = Settings::resolve(&config, &o).unwrap();
        assert_eq!(s.codemods.len(), 1);
        assert!(s.unsafe_fixes);
        let o = Overrides {
            ignore: vec!["nope".into()],
            ..Overrides::default()
        };
        assert!(Settings::resolve(&config, &o)
            .unwrap_err()
            .contains("`nope`"));
    }

    #[test]
    fn a_wrong_option_is_reported_at_its_own_key() {
        let e =
            parse("ignore = []\n[fetch-to-store]\n# why\nfetch-size = \"10000\"\n").unwrap_err();
        assert_eq!(e.position, Some(LineCol { line: 4, col: 1 }));
        assert!(e.to_string().contains("`fetch-to-store.fetch-size`"), "{e}");
    }

    #[test]
    fn names_close_to_a_codemod_get_a_suggestion() {
        let e = codemods_named("hoist-plugn-defaults").err().unwrap();
        assert_eq!(
            e.to_string(),
            "unknown codemod `hoist-plugn-defaults`; did you mean `hoist-plugin-defaults`?"
        );
        let e = codemods_named("zzz").err().unwrap();
        assert_eq!(
            e.to_string(),
            "unknown codemod `zzz` (see `kestra-fix list`)"
        );
        assert_eq!(closest("lsit", ["list", "explain", "debug"]), Some("list"));
        assert_eq!(closest("docs", ["list", "explain", "debug"]), None);
    }

    #[test]
    fn plugin_catalogs_are_relative_to_their_config_and_layered_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let a = r#"{"types": {"com.acme.A": {"kind": "task", "props": ["id", "type", "one"]}}}"#;
        let b = r#"{"types": {"com.acme.A": {"kind": "task", "props": ["id", "type", "two"]}}}"#;
        std::fs::create_dir(dir.path().join("cat")).unwrap();
        std::fs::write(dir.path().join("cat/a.json"), a).unwrap();
        std::fs::write(dir.path().join("b.json"), b).unwrap();
        let config_path = dir.path().join(CONFIG_FILE);
        let config = parse_config(&config_path, "plugin-catalogs = [\"cat/a.json\"]\n").unwrap();
        assert_eq!(config.plugin_catalogs, [dir.path().join("cat/a.json")]);
        let s = Settings::resolve(&config, &Overrides::default()).unwrap();
        assert_eq!(s.catalog.has_property("com.acme.A", "one"), Answer::Yes);
        assert_eq!(s.catalog.len(), Catalog::builtin().len() + 1);
        // Built once per distinct list of files.
        let again = Settings::resolve(&config, &Overrides::default()).unwrap();
        assert!(std::ptr::eq(s.catalog, again.catalog));
        // The command line's catalogs come last and win.
        let o = Overrides {
            plugin_catalogs: vec![dir.path().join("b.json")],
            ..Overrides::default()
        };
        let s = Settings::resolve(&config, &o).unwrap();
        assert_eq!(s.catalog.has_property("com.acme.A", "two"), Answer::Yes);
        assert_eq!(s.catalog.has_property("com.acme.A", "one"), Answer::No);
        // Without catalogs: the built-in one itself.
        let s = Settings::resolve(&Config::default(), &Overrides::default()).unwrap();
        assert!(std::ptr::eq(s.catalog, Catalog::builtin()));
    }

    #[test]
    fn catalog_errors_name_the_file_and_position() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, "{\"types\": {\n  \"a.B\": {\"kind\": 1}\n}}").unwrap();
        let e = load_catalog(&bad).unwrap_err();
        assert_eq!(e.path, bad);
        assert_eq!(e.position.map(|p| p.line), Some(2));
        assert!(
            e.to_string()
                .starts_with("invalid config: invalid plugin catalog"),
            "{e}"
        );
        let e = load_catalog(&dir.path().join("missing.json")).unwrap_err();
        assert!(matches!(e.kind, ErrorKind::Read(_)), "{e}");
        let e = parse("plugin-catalogs = \"a.json\"\n").unwrap_err();
        assert!(e.to_string().contains("`plugin-catalogs`"), "{e}");
        let config = Config {
            plugin_catalogs: vec![bad.clone()],
            ..Config::default()
        };
        let e = Settings::resolve(&config, &Overrides::default())
            .err()
            .unwrap();
        assert!(e.contains("bad.json:2:"), "{e}");
    }

    #[test]
    fn family_names_select_their_codemods_and_the_target_settles_opposites() {
        let names = |s: &Settings| s.codemods.iter().map(|c| c.name()).collect::<Vec<_>>();
        let with = |select: &[&str], target: KestraVersion| Overrides {
            select: Some(select.iter().map(|s| s.to_string()).collect()),
            target_version: Some(target),
            ..Overrides::default()
        };
        let v2 = KestraVersion::new(2, 0);
        let s = Settings::resolve(&Config::default(), &with(&["migrate-2.0"], v2)).unwrap();
        assert!(names(&s).contains(&"inline-plugin-defaults"));
        assert!(s.codemods.iter().all(|c| c.family() == Family::Migrate20));
        // Both families hold one side of hoist/inline: the target picks.
        let both = ["best-practice", "migrate-2.0"];
        let s = Settings::resolve(&Config::default(), &with(&both, v2)).unwrap();
        assert!(names(&s).contains(&"inline-plugin-defaults"));
        assert!(!names(&s).contains(&"hoist-plugin-defaults"));
        let s =
            Settings::resolve(&Config::default(), &with(&both, KestraVersion::DEFAULT)).unwrap();
        assert!(names(&s).contains(&"hoist-plugin-defaults"));
        assert!(!names(&s).contains(&"inline-plugin-defaults"));
        // A name given outright wins over its family's opposite.
        let s = Settings::resolve(
            &Config::default(),
            &with(&["hoist-plugin-defaults", "migrate-2.0"], v2),
        )
        .unwrap();
        assert!(names(&s).contains(&"hoist-plugin-defaults"));
        assert!(!names(&s).contains(&"inline-plugin-defaults"));
        assert!(Settings::resolve(
            &Config::default(),
            &with(&["hoist-plugin-defaults", "inline-plugin-defaults"], v2)
        )
        .is_err());
        let e = codemods_named("migrate-2.1").err().unwrap();
        assert_eq!(e.suggestion, Some("migrate-2.0"));
    }

    fn write(dir: &Path, rel: &str, text: &str) -> PathBuf {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn extend_reads_the_parent_first_and_keys_set_here_replace_its_keys() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            CONFIG_FILE,
            "select = [\"fetch-to-store\"]\nignore = [\"split-flow\"]\nunsafe-fixes = true\nplugin-catalogs = [\"a.json\"]\n[hoist-plugin-defaults]\nkeys = [\"a\"]\nmin-occurrences = 3\n",
        );
        let child = write(
            dir.path(),
            "sub/kestra-fix.toml",
            "extend = \"../kestra-fix.toml\"\nselect = [\"migrate-renamed-types\"]\nignore = []\n[hoist-plugin-defaults]\nmin-occurrences = 2\n",
        );
        let c = load_config(&child).unwrap();
        assert_eq!(c.select, Some(vec!["migrate-renamed-types".to_string()]));
        assert!(c.ignore.is_empty(), "an empty list set here replaces");
        assert_eq!(c.unsafe_fixes, Some(true), "unset here: the parent's");
        // Paths stay relative to the file that wrote them.
        assert_eq!(c.plugin_catalogs, [dir.path().join("a.json")]);
        let hoist = &c.codemod_options["hoist-plugin-defaults"];
        assert_eq!(hoist["min-occurrences"].as_integer(), Some(2));
        assert!(hoist.contains_key("keys"), "options merge key by key");
    }

    #[test]
    fn extend_errors_name_the_chain_and_keep_their_position() {
        let dir = tempfile::tempdir().unwrap();
        let a = write(dir.path(), "a.toml", "ignore = []\nextend = \"b.toml\"\n");
        write(dir.path(), "b.toml", "extend = \"./a.toml\"\n");
        let e = load_config(&a).unwrap_err();
        let b = dir.path().join("b.toml");
        assert_eq!(
            e.to_string(),
            format!(
                "invalid config: `extend` cycle: {} -> {} -> {}",
                a.display(),
                b.display(),
                a.display()
            )
        );
        assert_eq!(e.path, dir.path().join("b.toml"));
        assert_eq!(e.position, Some(LineCol { line: 1, col: 10 }));
        // An error inside the extended file is at its own line.
        write(dir.path(), "b.toml", "\nselect = [\"nope\"]\n");
        let e = load_config(&a).unwrap_err();
        assert_eq!(e.path, dir.path().join("b.toml"));
        assert_eq!(e.position, Some(LineCol { line: 2, col: 11 }));
        let a = write(dir.path(), "a.toml", "extend = \"missing.toml\"\n");
        let e = load_config(&a).unwrap_err();
        assert_eq!(e.path, a);
        assert!(e.to_string().contains("cannot read `extend`ed"), "{e}");
        let e = parse("extend = 1\n").unwrap_err();
        assert!(e.to_string().contains("`extend` must be"), "{e}");
    }

    #[test]
    fn per_file_ignores_drop_codemods_for_matching_files_only() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            CONFIG_FILE,
            "[per-file-ignores]\n\"legacy/*.yaml\" = [\"migrate-renamed-types\"]\n\"tmp_*.yml\" = [\"deprecated\"]\n",
        );
        let mut r = Resolver::new(Overrides::default(), None).unwrap();
        let names = |s: &Settings| s.codemods.iter().map(|c| c.name()).collect::<Vec<_>>();
        let plain = r.settings_for(&dir.path().join("a.yaml")).unwrap();
        assert!(names(&plain).contains(&"migrate-renamed-types"));
        let legacy = r.settings_for(&dir.path().join("legacy/a.yaml")).unwrap();
        assert!(!names(&legacy).contains(&"migrate-renamed-types"));
        assert_eq!(names(&legacy).len(), names(&plain).len() - 1);
        // `*` stops at `/`.
        let deeper = r.settings_for(&dir.path().join("legacy/x/a.yaml")).unwrap();
        assert!(names(&deeper).contains(&"migrate-renamed-types"));
        // A pattern without `/` matches the file name anywhere; a family
        // name covers its codemods.
        let tmp = r.settings_for(&dir.path().join("x/y/tmp_1.yml")).unwrap();
        assert!(tmp
            .codemods
            .iter()
            .all(|c| c.family() != Family::Deprecated));
        let again = r.settings_for(&dir.path().join("legacy/b.yaml")).unwrap();
        assert!(Arc::ptr_eq(&legacy, &again), "narrowed settings are cached");
    }

    #[test]
    fn unknown_names_in_lists_are_errors_at_the_name() {
        let e = parse(
            "per-file-ignores = { \"a/*.yaml\" = [\"fetch-to-store\", \"fetch-to-stor\"] }\n",
        )
        .unwrap_err();
        assert_eq!(e.position, Some(LineCol { line: 1, col: 54 }));
        assert!(
            e.to_string().contains("did you mean `fetch-to-store`?"),
            "{e}"
        );
        let e = parse("ignore = [\n  \"split-flow\",\n  \"nope\",\n]\n").unwrap_err();
        assert_eq!(e.position, Some(LineCol { line: 3, col: 3 }));
        let e = parse("[per-file-ignores]\n\"a/[\" = []\n").unwrap_err();
        assert_eq!(e.position.map(|p| p.line), Some(2));
        assert!(e.to_string().contains("invalid glob"), "{e}");
    }
}
