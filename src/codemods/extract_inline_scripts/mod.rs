//! extract-inline-scripts: a long inline `script` of a `*.Script` task
//! becomes a namespace file run by the language's `*.Commands` task.
//!
//! The file holds the decoded script byte for byte; the task keeps every
//! other property and comment, changes its `type`, replaces `script` with
//! the one command `Script` ran, and reads the file through `namespaceFiles`.
//! Safe only when nothing the file loses matters: Pebble rendering and
//! `kestra://` downloads (inline scripts have them, namespace files do not),
//! the Python prelude, the script's own location, and which flow
//! `pluginDefaults` apply to the task's type.

mod languages;
mod scan;

use super::{
    Applicability, Codemod, Declaration, DefaultOn, Family, Fix, FlowContext, NewFile,
    ParsedOptions, Phase, Safety,
};
use crate::codemods::read_options;
use crate::fix::editor::Editor;
use crate::fix::refusal::Refusal;
use crate::kestra::defaults::default_matches;
use crate::kestra::flow::PluginInstance;
use crate::kestra::ids::{check_flow_id, check_task_id};
use crate::kestra::pebble;
use crate::syntax::ast::{AstNode, Entry, Node, Scalar};
use crate::syntax::edit::Position;
use crate::syntax::render::Fragment;
use crate::syntax::value::Value;
use languages::Language;
use serde::Deserialize;
use std::path::{Component, Path, PathBuf};

pub struct ExtractInlineScripts;

const NAME: &str = "extract-inline-scripts";

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Options {
    /// Scripts with fewer lines stay inline.
    #[serde(default = "default_min_lines")]
    min_lines: usize,
    /// The namespace-files root, relative to the flow file's folder.
    #[serde(default = "default_dir")]
    namespace_files_dir: String,
}

fn default_min_lines() -> usize {
    10
}

fn default_dir() -> String {
    "_files".into()
}

impl Options {
    fn parse(table: &toml::Table) -> Result<Options, String> {
        let o = read_options::<Options>(table)?;
        if o.min_lines == 0 {
            return Err("`min-lines` must be at least 1".into());
        }
        let dir = Path::new(&o.namespace_files_dir);
        if o.namespace_files_dir.is_empty()
            || o.namespace_files_dir.contains('\\')
            || !dir.components().all(|c| matches!(c, Component::Normal(_)))
        {
            return Err(format!(
                "`namespace-files-dir` must be a relative folder below the flow's folder (plain names joined by `/`), not `{}`",
                o.namespace_files_dir
            ));
        }
        Ok(o)
    }
}

/// A structural change of the repository (new files to deploy): only
/// on request.
const DECLARATION: Declaration = Declaration {
    name: NAME,
    family: Family::BestPractice,
    summary:
        "Move long inline `script`s of `*.Script` tasks to namespace files run by `*.Commands`",
    safety: Safety::SafeWhenProven,
    default_on: DefaultOn::Never,
    phase: Phase::STRUCTURE,
    docs: include_str!("../../../codemods/extract-inline-scripts/README.md"),
};

impl Codemod for ExtractInlineScripts {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }

    fn parse_options(&self, options: &toml::Table) -> Result<ParsedOptions, String> {
        Options::parse(options).map(ParsedOptions::new)
    }

    fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
        let options: &Options = ctx.options();
        let defaults = ctx.flow.plugin_defaults();
        let mut fixes = Vec::new();
        for inst in ctx.flow.plugin_instances() {
            let Some(lang) = Language::of_script(&inst.type_name) else {
                continue;
            };
            let Some(script_entry) = inst.mapping.get("script") else {
                continue;
            };
            let Some(Node::Scalar(script)) = script_entry.value() else {
                continue;
            };
            let code = script.value().into_owned();
            if code.lines().count() < options.min_lines {
                continue;
            }
            let range = script_entry
                .key_scalar()
                .map_or(script_entry.syntax().text_range(), |k| {
                    k.syntax().text_range()
                });
            let task = Task {
                ctx,
                inst: &inst,
                lang,
                entry: script_entry,
                script,
                code,
                options,
                defaults: &defaults,
            };
            fixes.push(match task.fix() {
                Ok(fix) => fix,
                Err(why) => Fix::refused(
                    range,
                    "",
                    Refusal::unsupported(format!("{}: {why}", task.headline())),
                ),
            });
        }
        fixes
    }
}

/// One `Script` task with a long script, being judged.
struct Task<'a> {
    ctx: &'a FlowContext<'a>,
    inst: &'a PluginInstance,
    lang: &'static Language,
    entry: Entry,
    script: Scalar,
    code: String,
    options: &'a Options,
    defaults: &'a [PluginInstance],
}

/// The id a flow or task must have to become part of a path: Kestra's own
/// patterns (`kestra::ids`), which rule out `..`, `/`, `\`, absolute and
/// empty names.
fn check_id(what: &str, id: Option<String>, flow: bool) -> Result<String, String> {
    let id = id.ok_or_else(|| format!("the {what} has no plain `id`"))?;
    let checked = if flow {
        check_flow_id(&id)
    } else {
        check_task_id(&id)
    };
    checked
        .map(|()| id)
        .map_err(|e| format!("{e}, so it cannot name a file"))
}

impl Task<'_> {
    fn headline(&self) -> String {
        let lines = self.code.lines().count();
        match self.inst.id() {
            Some(id) => format!(
                "task `{id}` has a {lines}-line inline {} script",
                self.lang.name
            ),
            None => format!("a {lines}-line inline {} script", self.lang.name),
        }
    }

    /// The fix, or why there is none (a display-only finding).
    fn fix(&self) -> Result<Fix, String> {
        if self.inst.anchored {
            return Err("the task sits under a YAML anchor, so its aliases would change too; extract it by hand".into());
        }
        if self.inst.mapping.is_flow() {
            return Err("the task is a flow mapping (`{...}`); extract it by hand".into());
        }
        if Node::Scalar(self.inst.type_scalar.clone())
            .properties()
            .is_some()
        {
            // An anchor would rename what its aliases say too; a tag stays
            // on the new name and changes what the type reads as.
            return Err("its `type` carries a YAML anchor or tag; extract it by hand".into());
        }
        if Node::Scalar(self.script.clone()).properties().is_some() {
            return Err("the script carries a YAML anchor or tag; extract it by hand".into());
        }
        if self.inst.mapping.get("commands").is_some() {
            return Err("the task already has `commands`; extract it by hand".into());
        }
        let flow_id = check_id("flow", self.ctx.flow.id(), true)?;
        let task_id = check_id("task", self.inst.id(), false)?;
        if self.code.contains("kestra://") {
            return Err("it contains a `kestra://` URI, which Kestra downloads for an inline script but not in a namespace file; pass it through `inputFiles` first".into());
        }

        let rel = format!("scripts/{flow_id}/{task_id}.{}", self.lang.ext);
        let mut unsafe_reasons: Vec<String> = Vec::new();
        let mut contents = self.code.clone();
        let mut env_vars: Vec<(String, String)> = Vec::new();

        if pebble::has_template(&self.code) {
            if self.lang.name != "shell" {
                let tag = pebble::tags(&self.code)
                    .first()
                    .map(|t| {
                        self.code[t.range.clone()]
                            .lines()
                            .next()
                            .unwrap_or("")
                            .to_string()
                    })
                    .unwrap_or_default();
                return Err(format!(
                    "it uses Pebble (`{tag}`), which Kestra renders in an inline script but not in a namespace file, and a {} expression cannot be moved to `env` without changing what the code means; move the expressions to `env` and read them from the environment, then run again",
                    self.lang.name
                ));
            }
            let env_keys = self.env_keys()?;
            let before = self.before_commands_text();
            let rewrite = scan::shell_to_env(&self.code, &|n| {
                env_keys.iter().any(|k| k == n) || before.contains(n)
            })
            .map_err(|why| {
                format!("it uses Pebble, which a namespace file does not render, and {why}")
            })?;
            unsafe_reasons.push(format!(
                "its Pebble expressions move to `env` ({}), so their values are read as data: quotes, `$` or spaces in a rendered value are no longer shell syntax, and a `kestra://` value is no longer downloaded",
                rewrite.vars.iter().map(|(n, _)| format!("`{n}`")).collect::<Vec<_>>().join(", ")
            ));
            contents = rewrite.script;
            env_vars = rewrite.vars;
        }
        if self.lang.name == "python" {
            if let Some(name) = scan::python_prelude_name(&self.code) {
                unsafe_reasons.push(format!(
                    "it uses bare `{name}`, which Python `Script` defines in a prelude (plugin-scripts 1.7+); the file starts with that prelude, which changes behaviour on older plugin versions"
                ));
                contents = format!("{}\n{contents}", scan::PYTHON_PRELUDE);
            }
        }
        if let Some(marker) = self.lang.location_marker(&self.code) {
            unsafe_reasons.push(format!(
                "it uses `{marker}`, and the script moves from the working directory to `{rel}`"
            ));
        }
        if self.lang.imports_from_script_dir
            && (self.inst.mapping.get("inputFiles").is_some()
                || self.inst.mapping.get("namespaceFiles").is_some())
        {
            unsafe_reasons.push(format!(
                "{} looks up imports in the script's folder, which moves from the working directory (where `inputFiles` and namespace files land) to `scripts/{flow_id}/`",
                self.lang.name
            ));
        }
        if let Some(glob) = self.output_glob() {
            unsafe_reasons.push(format!(
                "`outputFiles` has the pattern `{glob}`, which may also match `{rel}`"
            ));
        }
        if let Some(why) = self.interpreter_change() {
            unsafe_reasons.push(why);
        }
        if let Some(why) = self.windows_target() {
            unsafe_reasons.push(why);
        }
        if let Some(why) = self.defaults_change() {
            unsafe_reasons.push(why);
        }

        let path = &self.inst.path;
        let new_type = self.lang.commands_type();
        let command = self.lang.command(&rel);
        let mut editor = self.ctx.editor();
        editor
            .set_scalar(&path.key("type"), Value::String(new_type.clone()))
            .map_err(|e| e.to_string())?;
        let mut entries = vec![(
            "commands".to_string(),
            Fragment::Data(Value::Seq(vec![Value::String(command.clone())])),
        )];
        match self.inst.mapping.get("namespaceFiles") {
            None => entries.push((
                "namespaceFiles".into(),
                Fragment::Map(vec![
                    ("enabled".into(), Fragment::Data(Value::Bool(true))),
                    (
                        "include".into(),
                        Fragment::Data(Value::Seq(vec![Value::String(rel.clone())])),
                    ),
                ]),
            )),
            Some(entry) => {
                unsafe_reasons.extend(self.merge_namespace_files(&mut editor, &entry, &rel)?);
            }
        }
        if !env_vars.is_empty() {
            let vars: Vec<(String, Fragment)> = env_vars
                .iter()
                .map(|(name, tag)| (name.clone(), Fragment::string(tag.clone())))
                .collect();
            match self.inst.mapping.get("env") {
                None => entries.push(("env".into(), Fragment::Map(vars))),
                Some(entry) => {
                    let Some(Node::Mapping(map)) = entry.value() else {
                        return Err(
                            "its `env` is not a mapping, so the Pebble expressions cannot join it"
                                .into(),
                        );
                    };
                    if map.entries().next().is_none() {
                        return Err("its `env` is empty; add the variables by hand".into());
                    }
                    editor
                        .insert_entries(&path.key("env"), vars, Position::Last)
                        .map_err(|e| format!("cannot add to its `env`: {e}"))?;
                }
            }
        }
        editor
            .replace_entry(path, "script", entries)
            .map_err(|e| e.to_string())?;

        let file = PathBuf::from(&self.options.namespace_files_dir).join(&rel);
        let mut message = format!(
            "{}: moved to namespace file `{}`, run by `{}` as `{command}`",
            self.headline(),
            file.display(),
            new_type
        );
        let applicability = if unsafe_reasons.is_empty() {
            Applicability::Safe
        } else {
            message.push_str("; this may change behaviour: ");
            message.push_str(&unsafe_reasons.join("; "));
            Applicability::Unsafe
        };
        let range = self
            .entry
            .key_scalar()
            .map_or(self.entry.syntax().text_range(), |k| {
                k.syntax().text_range()
            });
        Ok(editor
            .into_fix(range, message, applicability)
            .with_new_file(NewFile {
                path: file,
                contents,
            }))
    }

    /// Makes an existing `namespaceFiles` also bring in `rel`; returns the
    /// unsafe reasons that brings.
    fn merge_namespace_files(
        &self,
        editor: &mut Editor,
        entry: &Entry,
        rel: &str,
    ) -> Result<Vec<String>, String> {
        let ns_path = self.inst.path.key("namespaceFiles");
        let Some(Node::Mapping(ns)) = entry.value() else {
            return Err("its `namespaceFiles` is not a mapping; extract it by hand".into());
        };
        if ns.is_flow() {
            return Err(
                "its `namespaceFiles` is a flow mapping (`{...}`); extract it by hand".into(),
            );
        }
        for e in ns.entries() {
            let key = e.key_text().unwrap_or_default();
            if !matches!(key.as_str(), "enabled" | "include") {
                return Err(format!(
                    "its `namespaceFiles` sets `{key}`, which may keep the file from reaching `{rel}`; extract it by hand"
                ));
            }
        }
        let cannot = |e: Refusal| format!("cannot edit its `namespaceFiles`: {e}");
        let mut reasons = Vec::new();
        let include = ns.get("include");
        let enabled =
            match ns.get_value("enabled") {
                None => None,
                Some(Node::Scalar(s)) => match s.data() {
                    Value::Bool(b) => Some(b),
                    _ => return Err(
                        "its `namespaceFiles.enabled` is not a plain boolean; extract it by hand"
                            .into(),
                    ),
                },
                Some(_) => {
                    return Err(
                        "its `namespaceFiles.enabled` is not a boolean; extract it by hand".into(),
                    )
                }
            };
        match enabled {
            // Every namespace file already comes in, or those included.
            Some(true) if include.is_none() => return Ok(reasons),
            Some(true) => {}
            Some(false) => editor
                .set_scalar(&ns_path.key("enabled"), Value::Bool(true))
                .map_err(cannot)?,
            None => {
                if ns.entries().next().is_none() {
                    return Err("its `namespaceFiles` is empty; extract it by hand".into());
                }
                editor
                    .insert_entry(
                        &ns_path,
                        "enabled",
                        Fragment::Data(Value::Bool(true)),
                        Position::First,
                    )
                    .map_err(cannot)?;
            }
        }
        let file = Fragment::string(rel);
        match include {
            None => editor
                .insert_entry(
                    &ns_path,
                    "include",
                    Fragment::Seq(vec![file]),
                    Position::Last,
                )
                .map_err(cannot)?,
            Some(inc) => {
                let Some(Node::Sequence(items)) = inc.value() else {
                    return Err(
                        "its `namespaceFiles.include` is not a list; extract it by hand".into(),
                    );
                };
                let mut values = Vec::new();
                for item in items.items() {
                    match item.value() {
                        Some(Node::Scalar(s)) => values.push(s.data()),
                        _ => return Err("its `namespaceFiles.include` has an item that is not a string; extract it by hand".into()),
                    }
                }
                if enabled != Some(true) {
                    reasons.push(
                        "`namespaceFiles` was not enabled, and enabling it also brings in the files its `include` lists".to_string(),
                    );
                }
                if !values.iter().any(|v| v.as_str() == Some(rel)) {
                    if values.is_empty() {
                        return Err(
                            "its `namespaceFiles.include` is empty; extract it by hand".into()
                        );
                    }
                    editor
                        .insert_item(&ns_path.key("include"), file, Position::Last)
                        .map_err(cannot)?;
                }
            }
        }
        Ok(reasons)
    }

    /// The decoded keys of the task's `env`, or why it cannot take more.
    fn env_keys(&self) -> Result<Vec<String>, String> {
        match self.inst.mapping.get("env") {
            None => Ok(Vec::new()),
            Some(e) => match e.value() {
                Some(Node::Mapping(m)) => Ok(m.entries().filter_map(|e| e.key_text()).collect()),
                _ => Err("its `env` is not a mapping, so its Pebble expressions cannot move there; extract it by hand".into()),
            },
        }
    }

    fn before_commands_text(&self) -> String {
        self.inst
            .mapping
            .get("beforeCommands")
            .map(|e| e.syntax().to_string())
            .unwrap_or_default()
    }

    /// An `outputFiles` pattern with a wildcard, which could match the file.
    fn output_glob(&self) -> Option<String> {
        let Some(Node::Sequence(seq)) = self.inst.mapping.get_value("outputFiles") else {
            return None;
        };
        seq.items()
            .filter_map(|i| i.value())
            .filter_map(|n| n.as_scalar().map(|s| s.value().into_owned()))
            .find(|g| g.contains(['*', '?', '[', '{']))
    }

    /// The command that runs the file is written for a POSIX shell (`.`,
    /// `./f`): a task set to run on Windows may not run it the same way.
    fn windows_target(&self) -> Option<String> {
        let os = self.inst.mapping.get_str("targetOS")?;
        (os.eq_ignore_ascii_case("WINDOWS")).then(|| {
            "its `targetOS` is WINDOWS, where the command that runs the file may behave differently".to_string()
        })
    }

    /// Shell is sourced with `.`, which needs a POSIX-style shell.
    fn interpreter_change(&self) -> Option<String> {
        let node = self.inst.mapping.get_value("interpreter")?;
        if self.lang.name != "shell" {
            return None;
        }
        let first = node
            .as_sequence()
            .and_then(|s| s.items().next())
            .and_then(|i| i.value())
            .and_then(|n| n.as_scalar().map(|s| s.value().into_owned()));
        let posix = first.as_deref().is_some_and(|p| {
            let name = p.rsplit('/').next().unwrap_or(p);
            matches!(name, "sh" | "bash" | "dash" | "ash" | "ksh" | "zsh")
        });
        (!posix).then(|| {
            "its `interpreter` may not be a POSIX shell, which the `.` command needs".to_string()
        })
    }

    /// A flow `pluginDefaults` entry that applies to the old type and not
    /// the new one, or the reverse (Kestra matches by type-name prefix).
    fn defaults_change(&self) -> Option<String> {
        let new_type = self.lang.commands_type();
        self.defaults.iter().find_map(|d| {
            let was = default_matches(&d.type_name, &self.inst.type_name);
            let will = default_matches(&d.type_name, &new_type);
            (was != will).then(|| {
                format!(
                    "the pluginDefaults entry for `{}` would {} applying to it",
                    d.type_name,
                    if will { "start" } else { "stop" }
                )
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_have_defaults_and_reject_bad_values() {
        let o = Options::parse(&toml::Table::new()).unwrap();
        assert_eq!(
            (o.min_lines, o.namespace_files_dir.as_str()),
            (10, "_files")
        );
        for bad in [
            "foo = 1",
            "min-lines = 0",
            "namespace-files-dir = '../x'",
            "namespace-files-dir = '/abs'",
            "namespace-files-dir = ''",
            "namespace-files-dir = 'a\\\\b'",
            "namespace-files-dir = './x'",
        ] {
            let t: toml::Table = bad.parse().unwrap();
            assert!(ExtractInlineScripts.check_options(&t).is_err(), "{bad}");
        }
        let t: toml::Table = "namespace-files-dir = 'ns/files'\nmin-lines = 3"
            .parse()
            .unwrap();
        assert!(ExtractInlineScripts.check_options(&t).is_ok());
    }

    #[test]
    fn ids_that_could_leave_the_folder_are_refused() {
        assert_eq!(
            check_id("task", Some("a-b_1".into()), false).unwrap(),
            "a-b_1"
        );
        assert!(check_id("flow", Some("my.flow".into()), true).is_ok());
        for bad in [
            "", "..", ".", "a/b", "a\\b", "/abs", "a b", "{{ x }}", "a.b",
        ] {
            assert!(check_id("task", Some(bad.into()), false).is_err(), "{bad}");
        }
        for bad in ["..", "../x", ".hidden", "/etc"] {
            assert!(check_id("flow", Some(bad.into()), true).is_err(), "{bad}");
        }
        assert!(check_id("task", None, false).is_err());
    }
}
