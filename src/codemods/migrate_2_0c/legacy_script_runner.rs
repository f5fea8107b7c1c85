//! legacy-script-runner (MIGRATION-2.0.md rule 20): the 1.x `runner` /
//! `docker` pair of script tasks becomes `taskRunner` (+ `containerImage`).
//!
//! Kestra 2.0 rejects `docker`. 1.3 resolved the runner in this order: an
//! explicit `taskRunner` wins; else `runner: PROCESS` runs as a process;
//! else (`runner: DOCKER` or a lone `docker`) a Docker runner configured by
//! `docker`, whose `image` beats `containerImage`. The rewrite keeps that
//! resolution, so it is safe. The legacy runner always created the output
//! directory; the new one does so only with `outputDirectory: true`, which
//! is written when a value of the task reads `outputDir`.
//!
//! The new keys take the places of the old ones: `taskRunner` where the
//! first of `runner` / `docker` was, `containerImage` where `docker` was,
//! `outputDirectory` where the later of the two was.

use super::{has_word, scalars, SINCE};
use crate::codemods::{
    Applicability, Codemod, Declaration, DefaultOn, Family, Fix, FlowContext, Phase, Safety,
};
use crate::fix::editor::Editor;
use crate::fix::refusal::Refusal;
use crate::kestra::catalog::{Answer, Catalog};
use crate::kestra::defaults::default_matches;
use crate::kestra::flow::PluginInstance;
use crate::syntax::ast::{AstNode, Entry, Mapping, Node};
use crate::syntax::edit::Position;
use crate::syntax::render::Fragment;
use crate::syntax::value::Value;
use crate::syntax::TextRange;

pub struct LegacyScriptRunner;

const NAME: &str = "legacy-script-runner";
const DOCKER_RUNNER: &str = "io.kestra.plugin.scripts.runner.docker.Docker";
const PROCESS_RUNNER: &str = "io.kestra.plugin.core.runner.Process";
/// The keys 1.3's runner resolution reads: a flow default setting one of
/// them takes part in it.
const RUNNER_KEYS: &[&str] = &[
    "runner",
    "docker",
    "taskRunner",
    "containerImage",
    "outputDirectory",
];

const DECLARATION: Declaration = Declaration {
    name: NAME,
    family: Family::Migrate20,
    summary: "Replace the legacy script `runner` / `docker` with `taskRunner` and `containerImage`",
    safety: Safety::Safe,
    default_on: DefaultOn::Since(SINCE),
    phase: Phase::PROPERTIES,
    docs: include_str!("../../../codemods/legacy-script-runner/README.md"),
};

impl Codemod for LegacyScriptRunner {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }

    fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
        let defaults = ctx.flow.plugin_defaults();
        let mut fixes = Vec::new();
        let mut in_scope_types: Vec<&str> = Vec::new();
        for inst in ctx.flow.instances() {
            if !in_scope(ctx.catalog, &inst.type_name) {
                continue;
            }
            in_scope_types.push(&inst.type_name);
            let (runner, docker) = (inst.mapping.get("runner"), inst.mapping.get("docker"));
            let Some(first) = [&runner, &docker]
                .into_iter()
                .flatten()
                .min_by_key(|e| e.syntax().text_range().start())
            else {
                continue;
            };
            let range = key_range(first);
            let shared = defaults.iter().find_map(|d| {
                let values = d.mapping.get_value("values")?;
                let key = RUNNER_KEYS
                    .iter()
                    .find(|k| values.as_mapping().is_some_and(|m| m.get(k).is_some()))?;
                default_matches(&d.type_name, &inst.type_name).then_some((d, key))
            });
            if let Some((d, key)) = shared {
                fixes.push(Fix::refused(range, "", Refusal::unsupported(format!(
                        "the legacy script runner is removed in Kestra 2.0, and a pluginDefaults entry for `{}` sets `{key}`, which takes part in choosing the runner; inline pluginDefaults first (`inline-plugin-defaults`)",
                        d.type_name
                    ))));
                continue;
            }
            fixes.push(match plan(ctx, inst, runner, docker) {
                Ok((editor, message)) => editor.into_fix(range, message, Applicability::Safe),
                Err(why) => Fix::refused(range, "", Refusal::unsupported(format!("the legacy script runner is removed in Kestra 2.0; replace it with `taskRunner` by hand: {why}"))),
            });
        }
        // Defaults the inliner could not write (it refuses `docker`, which
        // 2.0 rejects) still hold the legacy keys.
        for d in &defaults {
            let Some(Node::Mapping(values)) = d.mapping.get_value("values") else {
                continue;
            };
            let applies = in_scope(ctx.catalog, &d.type_name)
                || in_scope_types
                    .iter()
                    .any(|t| default_matches(&d.type_name, t));
            let legacy = ["runner", "docker"]
                .into_iter()
                .find_map(|k| values.get(k).map(|e| (k, e)));
            if let (true, Some((key, entry))) = (applies, legacy) {
                fixes.push(Fix::refused(key_range(&entry), "", Refusal::unsupported(format!(
                        "`{key}` in the pluginDefaults entry for `{}` is the legacy script runner, removed in Kestra 2.0; inline the defaults (`inline-plugin-defaults`) or write `taskRunner` by hand",
                        d.type_name
                    ))));
            }
        }
        fixes
    }
}

/// Types that have both the legacy and the new runner properties: every
/// script task, DbtCLI and the other exec-script tasks.
fn in_scope(catalog: &Catalog, type_name: &str) -> bool {
    catalog.has_property(type_name, "taskRunner") == Answer::Yes
        && catalog.has_property(type_name, "containerImage") == Answer::Yes
}

fn key_range(entry: &Entry) -> TextRange {
    entry
        .key_scalar()
        .map_or(entry.syntax().text_range(), |k| k.syntax().text_range())
}

/// The value of `entry` as written (`key:` alone is null).
fn copy(entry: &Entry) -> Fragment {
    entry
        .value()
        .map_or(Fragment::Data(Value::Null), Fragment::Copy)
}

/// Why rule 20 leaves an instance alone (each names what to do).
#[derive(Debug, thiserror::Error)]
enum Why {
    #[error("`runner` is not `DOCKER` or `PROCESS`")]
    Runner,
    #[error("`docker` is not a mapping")]
    Docker,
    #[error("`docker.{0}` has no equivalent on the Docker task runner")]
    NoEquivalent(String),
    #[error("`docker.{0}` and `taskRunner.{0}` are both set, to different values; keep one")]
    Conflict(String),
    #[error("the task reads `outputDir`, and its type has no `outputDirectory` to keep it")]
    NoOutputDirectory,
    #[error("{0}")]
    Refused(#[from] Refusal),
}

#[derive(Clone, Copy, PartialEq)]
enum Legacy {
    Docker,
    Process,
}

fn plan<'a>(
    ctx: &'a FlowContext,
    inst: &PluginInstance,
    runner: Option<Entry>,
    docker: Option<Entry>,
) -> Result<(Editor<'a>, String), Why> {
    let path = &inst.path;
    let m = &inst.mapping;
    let legacy = match runner.as_ref().map(Entry::value) {
        None => None,
        Some(Some(Node::Scalar(s))) if s.value() == "DOCKER" => Some(Legacy::Docker),
        Some(Some(Node::Scalar(s))) if s.value() == "PROCESS" => Some(Legacy::Process),
        Some(_) => return Err(Why::Runner),
    };
    let docker_map: Option<Mapping> = match docker.as_ref().map(Entry::value) {
        None => None,
        Some(Some(Node::Mapping(d))) => Some(d),
        Some(_) => return Err(Why::Docker),
    };
    // `(key, value)` of `docker`, `image` apart.
    let mut options: Vec<(String, Fragment)> = Vec::new();
    let mut image: Option<Fragment> = None;
    for entry in docker_map.iter().flat_map(Mapping::entries) {
        let key = entry
            .key_text()
            .ok_or_else(|| Why::NoEquivalent("?".into()))?;
        if key == "image" {
            image = entry.value().map(Fragment::Copy);
        } else {
            options.push((key, copy(&entry)));
        }
    }
    let task_runner = m.get("taskRunner");
    let runs_docker_options = match &task_runner {
        // An explicit Docker runner took `docker`'s options in 1.3.
        Some(t) => {
            docker.is_some()
                && t.value()
                    .and_then(|v| v.as_mapping().and_then(|t| t.get_str("type")))
                    .is_some_and(|ty| ty == DOCKER_RUNNER)
        }
        None => legacy != Some(Legacy::Process),
    };
    if runs_docker_options {
        if let Some((key, _)) = options
            .iter()
            .find(|(k, _)| ctx.catalog.has_property(DOCKER_RUNNER, k) == Answer::No)
        {
            return Err(Why::NoEquivalent(key.clone()));
        }
    } else {
        image = None;
    }
    let mut editor = ctx.editor();
    let mut said: Vec<&str> = Vec::new();

    // What each old key turns into, in order: its first new entry takes
    // the old key's place, the next is written right after it.
    let (first, later) = match (&runner, &docker) {
        (Some(r), Some(d)) if d.syntax().text_range().start() < r.syntax().text_range().start() => {
            ("docker", Some("runner"))
        }
        (Some(_), Some(_)) => ("runner", Some("docker")),
        (Some(_), None) => ("runner", None),
        (None, _) => ("docker", None),
    };
    let mut emitted: Vec<(&str, Vec<(&str, Fragment)>)> = vec![(first, Vec::new())];
    if let Some(later) = later {
        emitted.push((later, Vec::new()));
    }
    match &task_runner {
        None => {
            let runner_type = if legacy == Some(Legacy::Process) {
                PROCESS_RUNNER
            } else {
                DOCKER_RUNNER
            };
            let mut built = vec![("type".to_string(), Fragment::string(runner_type))];
            if runner_type == DOCKER_RUNNER {
                built.extend(options);
            }
            emitted[0].1.push(("taskRunner", Fragment::Map(built)));
            said.push(if runner_type == DOCKER_RUNNER {
                "a Docker `taskRunner`"
            } else {
                "a Process `taskRunner`"
            });
        }
        Some(_) if runs_docker_options => {
            // Merge into the explicit runner: its own keys stay, `docker`'s
            // others are added; the same key set twice is a conflict.
            let tmap = task_runner
                .as_ref()
                .and_then(Entry::value)
                .and_then(|v| v.as_mapping().cloned())
                .expect("a Docker runner mapping");
            let mut merged: Vec<(String, Fragment)> = Vec::new();
            for entry in tmap.entries() {
                let key = entry.key_text().ok_or_else(|| Why::Conflict("?".into()))?;
                merged.push((key, copy(&entry)));
            }
            let mut added = false;
            for (key, value) in options {
                match merged.iter().find(|(k, _)| *k == key) {
                    Some((_, own)) => {
                        let same = matches!((own.data(), value.data()), (Ok(a), Ok(b)) if a == b);
                        if !same {
                            return Err(Why::Conflict(key));
                        }
                    }
                    None => {
                        merged.push((key, value));
                        added = true;
                    }
                }
            }
            if added {
                editor.replace_value(&path.key("taskRunner"), Fragment::Map(merged))?;
                said.push("`docker`'s options merged into `taskRunner`");
            }
        }
        Some(_) => {}
    }
    if let Some(image) = image {
        match m.get("containerImage") {
            Some(own) => {
                if !matches!((copy(&own).data(), image.data()), (Ok(a), Ok(b)) if a == b) {
                    editor.replace_value(&path.key("containerImage"), image)?;
                    said.push("`containerImage` from `docker.image`");
                }
            }
            None => {
                let at = emitted
                    .iter()
                    .position(|(k, _)| *k == "docker")
                    .expect("docker");
                emitted[at].1.push(("containerImage", image));
                said.push("`containerImage` from `docker.image`");
            }
        }
    }
    let reads_output_dir = {
        let mut found = false;
        scalars(&Node::Mapping(m.clone()), &mut |s| {
            found = found || has_word(&s.value(), "outputDir");
        });
        found
    };
    if legacy.is_some()
        && task_runner.is_none()
        && m.get("outputDirectory").is_none()
        && reads_output_dir
    {
        if ctx.catalog.has_property(&inst.type_name, "outputDirectory") != Answer::Yes {
            return Err(Why::NoOutputDirectory);
        }
        let last = emitted.len() - 1;
        emitted[last]
            .1
            .push(("outputDirectory", Fragment::Data(Value::Bool(true))));
        said.push(
            "`outputDirectory: true` (the legacy runner always created the output directory)",
        );
    }

    for (old, new) in emitted {
        let mut new = new.into_iter();
        match new.next() {
            None => editor.remove_key(path, old)?,
            Some((key, value)) => {
                editor.rename_key(path, old, key)?;
                editor.replace_value(&path.key(old), value)?;
                for (next, value) in new {
                    editor.insert_entry(path, next, value, Position::After(old))?;
                }
            }
        }
    }
    let old = match (&runner, &docker) {
        (Some(_), Some(_)) => "`runner` and `docker` are",
        (Some(_), None) => "`runner` is",
        _ => "`docker` is",
    };
    let message = if said.is_empty() {
        format!("{old} the legacy script runner, removed in Kestra 2.0; removed, as `taskRunner` overrides it")
    } else {
        format!(
            "{old} the legacy script runner, removed in Kestra 2.0; replaced by {}",
            join(&said)
        )
    };
    Ok((editor, message))
}

fn join(parts: &[&str]) -> String {
    match parts {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}
