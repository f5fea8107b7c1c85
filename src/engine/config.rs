//! `kestra-fix.toml`: discovery, parsing, and merging with the command line.
//!
//! ```toml
//! select = ["migrate-renamed-types"]   # replaces the default set
//! ignore = []                          # removed from the selected set
//! unsafe-fixes = false
//! target-version = "1.3"
//! [migrate-renamed-types]              # one table of options per codemod
//! ```

use super::error::{Error, ErrorKind};
use crate::codemods::{self, Codemod, Family, ParsedOptions};
use crate::kestra::catalog::Catalog;
use crate::kestra::KestraVersion;
use crate::syntax::{LineCol, LineIndex, TextSize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use toml::Spanned;

pub const CONFIG_FILE: &str = "kestra-fix.toml";

/// One config file's settings; `None` means "not set here".
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub select: Option<Vec<String>>,
    pub ignore: Vec<String>,
    pub unsafe_fixes: Option<bool>,
    pub target_version: Option<KestraVersion>,
    pub codemod_options: BTreeMap<String, toml::Table>,
}

/// What the command line says; it wins over any config file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub select: Option<Vec<String>>,
    pub ignore: Vec<String>,
    pub unsafe_fixes: bool,
    pub target_version: Option<KestraVersion>,
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
    /// `config` (possibly empty) overlaid with `overrides`.
    pub fn resolve(config: &Config, overrides: &Overrides) -> Result<Settings, String> {
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
            catalog: Catalog::builtin(),
            codemod_options,
        })
    }

    /// The parsed options of a selected codemod.
    pub fn options_for(&self, codemod: &str) -> &ParsedOptions {
        &self.codemod_options[codemod]
    }
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

/// Parses a config file's text; errors name the key and where it is.
pub fn parse_config(path: &Path, text: &str) -> Result<Config, Error> {
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
    let mut config = Config::default();
    for (key, value) in table {
        let at = key.span().start;
        let name = key.get_ref().as_str();
        let value_at = value.span().start;
        let value = value.into_inner();
        match name {
            "select" => {
                config.select = Some(
                    string_list(&value)
                        .ok_or_else(|| err(value_at, bad("select", "a list of codemod names")))?,
                )
            }
            "ignore" => {
                config.ignore = string_list(&value)
                    .ok_or_else(|| err(value_at, bad("ignore", "a list of codemod names")))?
            }
            "unsafe-fixes" => {
                config.unsafe_fixes = Some(
                    value
                        .as_bool()
                        .ok_or_else(|| err(value_at, bad("unsafe-fixes", "true or false")))?,
                )
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
                            key_offset(text, other, &key).unwrap_or(at),
                            format!("`{other}.{key}`: {m}"),
                        ),
                        None => err(at, format!("[{other}]: {m}")),
                    });
                }
                config.codemod_options.insert(other.to_string(), options);
            }
        }
    }
    Ok(config)
}

/// The first option that the codemod rejects on its own, if one does (an
/// error may also come from a combination of options, or a missing one).
fn option_at_fault(codemod: &dyn Codemod, options: &toml::Table) -> Option<String> {
    options.iter().find_map(|(key, value)| {
        let alone = toml::Table::from_iter([(key.clone(), value.clone())]);
        codemod.check_options(&alone).is_err().then(|| key.clone())
    })
}

/// Where `key` of table `table` is written. Only on the error path: the
/// plain parse keeps no spans below the top level.
fn key_offset(text: &str, table: &str, key: &str) -> Option<usize> {
    use toml::de::{DeTable, DeValue};
    let root = DeTable::parse(text).ok()?;
    let (_, value) = root.get_ref().iter().find(|(k, _)| k.get_ref() == table)?;
    let DeValue::Table(options) = value.get_ref() else {
        return None;
    };
    options
        .iter()
        .find(|(k, _)| k.get_ref() == key)
        .map(|(k, _)| k.span().start)
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

/// Finds and caches the settings that govern each file.
pub struct Resolver {
    overrides: Overrides,
    /// `--config FILE`: one config for every file, no discovery.
    fixed: Option<Arc<Settings>>,
    by_dir: HashMap<PathBuf, Option<PathBuf>>,
    by_config: HashMap<Option<PathBuf>, Arc<Settings>>,
}

impl Resolver {
    pub fn new(overrides: Overrides, config_override: Option<&Path>) -> Result<Self, Error> {
        let mut resolver = Resolver {
            overrides,
            fixed: None,
            by_dir: HashMap::new(),
            by_config: HashMap::new(),
        };
        if let Some(path) = config_override {
            resolver.fixed = Some(resolver.settings_from(Some(path))?);
        } else {
            // Command-line names are checked once, even with no config file.
            resolver.settings_for_config(None)?;
        }
        Ok(resolver)
    }

    fn settings_from(&self, config_path: Option<&Path>) -> Result<Arc<Settings>, Error> {
        let config = match config_path {
            Some(p) => load_config(p)?,
            None => Config::default(),
        };
        let origin = config_path.map_or_else(|| PathBuf::from("<command line>"), Path::to_path_buf);
        Settings::resolve(&config, &self.overrides)
            .map(Arc::new)
            .map_err(|m| Error::new(origin, None, ErrorKind::Config(m)))
    }

    fn settings_for_config(
        &mut self,
        config_path: Option<PathBuf>,
    ) -> Result<Arc<Settings>, Error> {
        if let Some(s) = self.by_config.get(&config_path) {
            return Ok(s.clone());
        }
        let s = self.settings_from(config_path.as_deref())?;
        self.by_config.insert(config_path, s.clone());
        Ok(s)
    }

    /// The settings for `file`: the nearest `kestra-fix.toml` in its folder
    /// or any parent, unless `--config` was given.
    pub fn settings_for(&mut self, file: &Path) -> Result<Arc<Settings>, Error> {
        if let Some(s) = &self.fixed {
            return Ok(s.clone());
        }
        let dir = file.parent().unwrap_or(Path::new("."));
        let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        let found = self.nearest_config(&dir);
        self.settings_for_config(found)
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
        assert!(names(&s).iter().all(|n| *n != "hoist-plugin-defaults"));
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
}
