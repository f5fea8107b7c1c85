//! Bulk runs across repositories (`kestra-fix repos run`): clone or fetch
//! each one, branch from its default branch, run the engine on the clone,
//! commit, write a pull-request body, and optionally push and open the PR.
//!
//! Git is the git CLI, as a child process: credentials, SSH config and
//! hooks behave as they do for the user.

pub mod git;
pub mod repos;

use crate::codemods::Declaration;
use crate::engine::{self, RunOptions, RunResult};
use crate::report::{self, markdown};
use git::{Git, GitError};
use repos::RepoSpec;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// What `repos run` does.
#[derive(Debug, Clone)]
pub struct Options {
    pub repos: Vec<RepoSpec>,
    /// Where the clones (and their `<name>.PR.md`) live.
    pub workdir: PathBuf,
    pub branch: String,
    pub commit: bool,
    /// One commit per codemod, in the registry's order.
    pub commit_per_codemod: bool,
    pub push: bool,
    pub open_pr: bool,
    /// Repositories processed at once.
    pub jobs: usize,
    /// The engine's options; `paths` and `dry_run` are set per repository.
    pub run: RunOptions,
}

#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error("no usable folder name (empty, or the same as an earlier repository's)")]
    NoName,
    #[error(transparent)]
    Git(#[from] GitError),
    #[error("`{0}` exists and is not a git clone; move it or choose another --workdir")]
    NotAClone(PathBuf),
    #[error("no default branch: `origin/HEAD` is not set and there is no `origin/main` or `origin/master`")]
    NoDefaultBranch,
    #[error("cannot write `{path}`: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What happened to the pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PullRequest {
    /// `gh` printed this (the PR's URL).
    Opened(String),
    /// `gh` is not on `PATH`: the command to run.
    Command(String),
}

/// One repository's result.
#[derive(Debug, Default)]
pub struct Outcome {
    pub source: String,
    pub name: String,
    pub flows: usize,
    /// Flows (and created files) the fixes changed.
    pub changed: usize,
    /// Findings left open: display-only, refused, unsafe fixes not applied.
    pub left: usize,
    /// Error lines: the engine's (one file each) and a failed step's.
    pub errors: Vec<String>,
    pub default_branch: Option<String>,
    /// The branch's last commit, when the run committed something.
    pub commit: Option<String>,
    /// Changes in the clone's work tree, not committed (no `--commit`).
    pub uncommitted: bool,
    pub pushed: bool,
    pub pr_body: Option<PathBuf>,
    pub pull_request: Option<PullRequest>,
}

/// Runs every repository, `jobs` at a time; results in list order.
///
/// Plain threads, not a rayon pool: the engine inside each keeps rayon's
/// global pool, one thread per core, for the files of its clone.
pub fn run(options: &Options) -> Vec<Outcome> {
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, Outcome)>> = Mutex::new(Vec::new());
    let workers = options.jobs.clamp(1, options.repos.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(spec) = options.repos.get(i) else {
                    break;
                };
                let outcome = run_one(spec, options);
                done.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((i, outcome));
            });
        }
    });
    let mut done = done.into_inner().unwrap_or_else(|e| e.into_inner());
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, o)| o).collect()
}

/// Where `name`'s pull-request body goes: beside its clone, so `git add -A`
/// in the clone never picks it up.
pub fn pr_body_path(workdir: &Path, name: &str) -> PathBuf {
    workdir.join(format!("{name}.PR.md"))
}

fn run_one(spec: &RepoSpec, options: &Options) -> Outcome {
    let mut outcome = Outcome {
        source: spec.source.clone(),
        name: spec.name.clone().unwrap_or_else(|| spec.source.clone()),
        ..Outcome::default()
    };
    if let Err(e) = steps(spec, options, &mut outcome) {
        outcome.errors.push(format!(
            "{}: error: {}",
            report::escape(&outcome.name),
            report::escape(&e.to_string())
        ));
    }
    outcome
}

fn steps(spec: &RepoSpec, options: &Options, outcome: &mut Outcome) -> Result<(), RepoError> {
    let name = spec.name.as_deref().ok_or(RepoError::NoName)?;
    let dir =
        std::path::absolute(options.workdir.join(name)).map_err(|source| RepoError::Write {
            path: options.workdir.join(name),
            source,
        })?;
    let git = Git::new(&dir);
    let default = checkout(&git, &spec.source, &options.branch)?;
    outcome.default_branch = Some(default.clone());

    let run_options = |dry_run: bool, select: Option<Vec<String>>| {
        let mut o = options.run.clone();
        o.paths = vec![dir.clone()];
        o.dry_run = dry_run;
        if select.is_some() {
            o.overrides.select = select;
        }
        o
    };
    let mut applied: Vec<RunResult> = Vec::new();
    let mut commits = Vec::new();
    if options.commit_per_codemod {
        // The codemods a full run would use, in registry order, each run
        // and committed alone; then a full run for fixes one codemod's
        // change makes possible for an earlier one.
        let plan = engine::run(&run_options(true, None), |_| {}, &|| {});
        for rule in &plan.rules {
            let result = engine::run(
                &run_options(false, Some(vec![rule.name.to_string()])),
                |_| {},
                &|| {},
            );
            if let Some(c) = commit(&git, &single_message(rule, &result))? {
                commits.push(c);
            }
            applied.push(result);
        }
    }
    let result = engine::run(&run_options(false, None), |_| {}, &|| {});
    if options.commit {
        let title = if options.commit_per_codemod {
            "kestra-fix: remaining fixes"
        } else {
            &title(options)
        };
        if let Some(c) = commit(&git, &message(title, &result))? {
            commits.push(c);
        }
    }
    applied.push(result);

    // Positions of what is left, in the files as they are now.
    let left = engine::run(&run_options(true, None), |_| {}, &|| {});
    outcome.flows = left.files.iter().filter(|f| f.is_flow).count();
    outcome.changed = applied
        .iter()
        .flat_map(|r| r.files.iter().filter(|f| f.changed()).map(|f| &f.path))
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    outcome.left = left.findings().filter(|(_, f)| !f.fixed).count();
    outcome
        .errors
        .extend(left.all_errors().map(report::error_line));
    outcome.commit = commits.last().cloned();
    outcome.uncommitted = !options.commit && !git.run(&["status", "--porcelain"])?.is_empty();

    let body = markdown::render_runs(
        &applied.iter().collect::<Vec<_>>(),
        &left,
        markdown::Options {
            dry_run: false,
            base: Some(&dir),
        },
    );
    let body_path = std::path::absolute(pr_body_path(&options.workdir, name))
        .unwrap_or_else(|_| pr_body_path(&options.workdir, name));
    std::fs::write(&body_path, body).map_err(|source| RepoError::Write {
        path: body_path.clone(),
        source,
    })?;
    outcome.pr_body = Some(body_path.clone());

    // Nothing committed: the branch is the default branch, nothing to offer.
    if outcome.commit.is_none() {
        return Ok(());
    }
    if options.push {
        let refspec = format!("refs/heads/{0}:refs/heads/{0}", options.branch);
        git.run(&["push", "--quiet", "--force-with-lease", "origin", &refspec])?;
        outcome.pushed = true;
    }
    if options.open_pr {
        outcome.pull_request = Some(open_pr(
            &git,
            &options.branch,
            &default,
            &body_path,
            options,
        )?);
    }
    Ok(())
}

/// Clones `source` (or fetches an existing clone) and puts `branch` on
/// the default branch's tip, work tree clean; returns the default branch.
fn checkout(git: &Git, source: &str, branch: &str) -> Result<String, RepoError> {
    let dir = git.dir();
    if dir.join(".git").exists() {
        git.run(&["fetch", "--quiet", "--prune", "origin"])?;
        // The remote's default branch may have changed since the clone;
        // without network access to ask, the old answer stands.
        let _ = git.run(&["remote", "set-head", "origin", "--auto"]);
    } else if dir.exists() {
        return Err(RepoError::NotAClone(dir.to_path_buf()));
    } else {
        if let Some(parent) = dir.parent() {
            std::fs::create_dir_all(parent).map_err(|source| RepoError::Write {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let mut clone = git::command(
            "git",
            Path::new("."),
            &[
                std::ffi::OsStr::new("clone"),
                "--quiet".as_ref(),
                "--".as_ref(),
                source.as_ref(),
                dir.as_os_str(),
            ],
        );
        git::output(&mut clone, None)?;
    }
    let default = default_branch(git)?;
    // `-B` resets the branch when it exists: a re-run starts from the
    // default branch as it is now.
    git.run(&[
        "checkout",
        "--quiet",
        "--force",
        "--no-track",
        "-B",
        branch,
        &format!("refs/remotes/origin/{default}"),
    ])?;
    git.run(&["clean", "--quiet", "--force", "-d"])?;
    Ok(default)
}

fn default_branch(git: &Git) -> Result<String, RepoError> {
    if let Ok(head) = git.run(&["symbolic-ref", "--quiet", "refs/remotes/origin/HEAD"]) {
        if let Some(b) = head.strip_prefix("refs/remotes/origin/") {
            return Ok(b.to_string());
        }
    }
    ["main", "master"]
        .into_iter()
        .find(|b| {
            git.succeeds(&[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("refs/remotes/origin/{b}"),
            ])
        })
        .map(String::from)
        .ok_or(RepoError::NoDefaultBranch)
}

fn commit(git: &Git, message: &str) -> Result<Option<String>, RepoError> {
    git.run(&["add", "--all"])?;
    Ok(git.commit(message)?)
}

/// The PR and commit title.
pub fn title(options: &Options) -> String {
    match options.run.overrides.target_version {
        Some(v) => format!("kestra-fix: migrate Kestra flows to {v}"),
        None => "kestra-fix: migrate Kestra flows".into(),
    }
}

/// `title`, then one line per codemod with its fixes.
fn message(title: &str, result: &RunResult) -> String {
    let mut out = format!("{title}\n\n");
    for (name, counts) in report::summary::per_codemod(result) {
        if counts.fixed > 0 {
            let _ = writeln!(out, "- {name}: {} {}", counts.fixed, fixes(counts.fixed));
        }
    }
    out
}

fn single_message(rule: &Declaration, result: &RunResult) -> String {
    let fixed = result.findings().filter(|(_, f)| f.fixed).count();
    format!(
        "kestra-fix: {} ({fixed} {})\n\n{}\n",
        rule.name,
        fixes(fixed),
        rule.summary
    )
}

fn fixes(n: usize) -> &'static str {
    if n == 1 {
        "fix"
    } else {
        "fixes"
    }
}

/// `gh pr create` (or, for a branch that has one, `gh pr edit`) when `gh`
/// is on `PATH`; otherwise the command to run.
fn open_pr(
    git: &Git,
    branch: &str,
    base: &str,
    body: &Path,
    options: &Options,
) -> Result<PullRequest, RepoError> {
    let title = title(options);
    let body = body.to_string_lossy();
    let create = [
        "pr",
        "create",
        "--head",
        branch,
        "--base",
        base,
        "--title",
        &title,
        "--body-file",
        &body,
    ];
    if !git::on_path("gh") {
        let words: Vec<String> = create.iter().map(|w| markdown::shell_word(w)).collect();
        return Ok(PullRequest::Command(format!(
            "cd {} && gh {}",
            markdown::shell_word(&git.dir().to_string_lossy()),
            words.join(" ")
        )));
    }
    let gh = |args: &[&str]| git::output(&mut git::command("gh", git.dir(), args), None);
    // A re-run updates the PR the first run opened.
    if let Ok(url) = gh(&["pr", "view", branch, "--json", "url", "--jq", ".url"]) {
        gh(&[
            "pr",
            "edit",
            branch,
            "--title",
            &title,
            "--body-file",
            &body,
        ])?;
        return Ok(PullRequest::Opened(url));
    }
    Ok(PullRequest::Opened(gh(&create)?))
}

/// The cross-repository table, for stdout.
pub fn table(outcomes: &[Outcome], branch: &str) -> String {
    let rows: Vec<[String; 6]> = outcomes
        .iter()
        .map(|o| {
            let state = match (&o.commit, o.uncommitted) {
                (Some(c), _) => {
                    let pushed = if o.pushed { ", pushed" } else { "" };
                    format!("{branch} @ {c}{pushed}")
                }
                (None, true) => format!("{branch} (uncommitted)"),
                (None, false) if o.default_branch.is_some() => "no changes".into(),
                (None, false) => "-".into(),
            };
            [
                report::escape(&o.name).into_owned(),
                o.flows.to_string(),
                o.changed.to_string(),
                o.left.to_string(),
                o.errors.len().to_string(),
                report::escape(&state).into_owned(),
            ]
        })
        .collect();
    let header = ["REPO", "FLOWS", "CHANGED", "MANUAL", "ERRORS", "BRANCH"];
    let width = |i: usize| {
        rows.iter()
            .map(|r| r[i].chars().count())
            .chain([header[i].len()])
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..header.len()).map(width).collect();
    let line = |cells: [&str; 6]| {
        let mut s = format!("{:w$}", cells[0], w = widths[0]);
        for i in 1..5 {
            let _ = write!(s, "  {:>w$}", cells[i], w = widths[i]);
        }
        let _ = write!(s, "  {}", cells[5]);
        s.push('\n');
        s
    };
    let mut out = line(header);
    for r in &rows {
        out.push_str(&line([&r[0], &r[1], &r[2], &r[3], &r[4], &r[5]]));
    }
    out
}

/// 2 when a repository had an error, 1 when findings are left, else 0.
pub fn exit_code(outcomes: &[Outcome]) -> u8 {
    if outcomes.iter().any(|o| !o.errors.is_empty()) {
        2
    } else if outcomes.iter().any(|o| o.left > 0) {
        1
    } else {
        0
    }
}
