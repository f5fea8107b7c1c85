//! dbt-build-to-dbt-cli (MIGRATION-2.0.md rule 11): the deprecated
//! `io.kestra.plugin.dbt.cli.Build` becomes `DbtCLI` running `dbt build`.
//!
//! Always unsafe: Build ran `<dbtPath> build --profiles-dir .profile`,
//! DbtCLI runs its commands from `PATH` and reads `profiles.yml` from the
//! working directory. A flow shipping `.profile/profiles.yml` in
//! `inputFiles` gets `--profiles-dir .profile` so that file is still read.
//! Build properties DbtCLI lacks (`select`, `target`...) are refused: 2.0
//! would reject them, and turning them into dbt flags is a hand rewrite.

use super::{defaults_change, refused, scalar_text, targets, Target, SINCE_2_0};
use crate::codemods::{
    Applicability, Codemod, Declaration, Family, Fix, FlowContext, Phase, Safety,
};
use crate::fix::editor::Editor;
use crate::fix::refusal::Refusal;
use crate::syntax::edit::Position;
use crate::syntax::render::Fragment;

pub struct DbtBuildToDbtCli;

const BUILD: &str = "io.kestra.plugin.dbt.cli.Build";
const DBT_CLI: &str = "io.kestra.plugin.dbt.cli.DbtCLI";

/// Build properties DbtCLI does not have, with the dbt flag each means.
const NO_DBT_CLI: [(&str, &str); 9] = [
    ("select", "--select"),
    ("exclude", "--exclude"),
    ("selector", "--selector"),
    ("target", "--target"),
    ("thread", "--threads"),
    ("fullRefresh", "--full-refresh"),
    ("debug", "--debug"),
    ("warnError", "--warn-error"),
    ("docker", "a Docker `taskRunner`"),
];

/// Where Build told dbt to read its profiles, relative to the working
/// directory.
const PROFILE_DIR: &str = ".profile/";

const DECLARATION: Declaration = Declaration {
    name: "dbt-build-to-dbt-cli",
    family: Family::Migrate20,
    summary: "Deprecated dbt `cli.Build` -> `DbtCLI` with a `dbt build` command",
    safety: Safety::Unsafe,
    default_on: SINCE_2_0,
    phase: Phase::TYPE_REWRITES,
    docs: include_str!("../../../codemods/dbt-build-to-dbt-cli/README.md"),
};

impl Codemod for DbtBuildToDbtCli {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }

    fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
        let mut fixes = Vec::new();
        for t in targets(ctx, false).iter() {
            if t.type_name != BUILD {
                continue;
            }
            let Some(range) = t.key_range("type") else {
                continue;
            };
            let what = format!(
                "{}: `dbt.cli.Build` is deprecated, and 2.0 runs dbt through `DbtCLI`",
                t.label
            );
            let extra: Vec<String> = NO_DBT_CLI
                .iter()
                .filter(|(k, _)| t.mapping.get(k).is_some())
                .map(|(k, flag)| format!("`{k}` ({flag})"))
                .collect();
            let docker_extra: Option<Vec<String>> = match t.mapping.get_value("dockerOptions") {
                None => Some(Vec::new()),
                Some(_) => t.map_at("dockerOptions").map(|m| {
                    m.entries()
                        .filter_map(|e| e.key_text())
                        .filter(|k| k != "image")
                        .collect()
                }),
            };
            let problem = if !extra.is_empty() {
                Some(Refusal::unsupported(format!("it sets {}, which DbtCLI does not have: write them as flags of the dbt command by hand", extra.join(", "))))
            } else if docker_extra.is_none() {
                Some(Refusal::unsupported("its `dockerOptions` is not a mapping"))
            } else if let Some(keys) = docker_extra.filter(|k| !k.is_empty()) {
                Some(Refusal::unsupported(format!(
                    "its `dockerOptions` sets `{}`: move them into a Docker `taskRunner` by hand",
                    keys.join("`, `")
                )))
            } else {
                defaults_change(ctx, BUILD, DBT_CLI)
            };
            if let Some(problem) = problem {
                fixes.push(Fix::refused(range, what, problem));
                continue;
            }
            let command = if ships_profile(t) {
                "dbt build --profiles-dir .profile"
            } else {
                "dbt build"
            };
            let mut editor = ctx.editor();
            match editor.transaction(|e| convert(e, t, command)) {
                Ok(()) => {
                    let mut message = format!(
                        "{what}; it becomes `DbtCLI` running `{command}`: DbtCLI runs dbt from `PATH` in its container and reads `profiles.yml` from the working directory (or `profiles`), and its `failFast` stops the shell, not dbt (`--fail-fast`)"
                    );
                    if let Some(path) = scalar_text(t.mapping.get_value("dbtPath")) {
                        message.push_str(&format!("; `dbtPath: {path}` is dropped"));
                    }
                    fixes.push(editor.into_fix(range, message, Applicability::Unsafe));
                }
                Err(why) => fixes.push(refused(range, &what, &why)),
            }
        }
        fixes
    }
}

/// Whether `inputFiles` writes a file under `.profile/`, where Build
/// pointed dbt's `--profiles-dir`.
fn ships_profile(t: &Target) -> bool {
    t.map_at("inputFiles").is_some_and(|files| {
        files
            .entries()
            .filter_map(|e| e.key_text())
            .any(|k| k.starts_with(PROFILE_DIR))
    })
}

fn convert(e: &mut Editor, t: &Target, command: &str) -> Result<(), Refusal> {
    let at = &t.path;
    e.set_type(at, DBT_CLI, &[])?;
    if t.mapping.get("dbtPath").is_some() {
        e.remove_key(at, "dbtPath")?;
    }
    if let Some(options) = t.map_at("dockerOptions") {
        let image = options
            .get_value("image")
            .filter(|_| scalar_text(options.get_value("image")).is_some_and(|s| !s.is_empty()));
        if let Some(image) = image.filter(|_| t.mapping.get("containerImage").is_none()) {
            // The image takes the place of the options it came from (a
            // flow mapping: first); the removal keeps their comments, and
            // a point apart from `commands` keeps the insertions ordered.
            let keys: Vec<String> = t.mapping.entries().filter_map(|e| e.key_text()).collect();
            let before = keys
                .iter()
                .position(|k| k == "dockerOptions")
                .and_then(|i| i.checked_sub(1))
                .map(|i| keys[i].as_str());
            // On one line, the member before and the removal share a comma.
            let position = match before {
                Some(key) if !t.mapping.is_flow() => Position::After(key),
                _ => Position::First,
            };
            e.insert_entry(at, "containerImage", Fragment::Copy(image), position)?;
        }
        e.remove_key(at, "dockerOptions")?;
    }
    if t.mapping.get("commands").is_none() {
        e.insert_entry(
            at,
            "commands",
            Fragment::Seq(vec![Fragment::string(command)]),
            Position::Last,
        )?;
    }
    Ok(())
}
