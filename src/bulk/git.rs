//! The git CLI, run as a child process in one clone.
//!
//! Every call captures its output (stdout is the table's) and never asks
//! for credentials on a terminal: a prompt would hang a bulk run.

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("cannot run `{program}`: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("`{command}` failed: {stderr}")]
    Failed { command: String, stderr: String },
}

/// The author used when neither the repository, the user nor the
/// environment names one.
const FALLBACK_NAME: &str = "kestra-fix";
const FALLBACK_EMAIL: &str = "kestra-fix@localhost";

/// `git` in a working directory.
#[derive(Debug, Clone)]
pub struct Git {
    dir: PathBuf,
}

impl Git {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Git { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `git ARGS` in the clone; its stdout, trimmed, on success.
    pub fn run<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<String, GitError> {
        self.run_with_input(args, None)
    }

    /// `git ARGS` with `input` on stdin.
    pub fn run_with_input<S: AsRef<OsStr>>(
        &self,
        args: &[S],
        input: Option<&str>,
    ) -> Result<String, GitError> {
        let mut cmd = command("git", &self.dir, args);
        output(&mut cmd, input)
    }

    /// Whether `git ARGS` succeeds (for queries whose failure is an answer).
    pub fn succeeds<S: AsRef<OsStr>>(&self, args: &[S]) -> bool {
        self.run(args).is_ok()
    }

    /// The `-c` options a commit needs: none when the repository's or the
    /// user's config (or git's environment) names the author, otherwise
    /// kestra-fix's own name and address for what is missing.
    pub fn identity_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        let set = |var: &str| std::env::var_os(var).is_some_and(|x| !x.is_empty());
        let configured = |key: &str| {
            self.run(&["config", "--get", key])
                .is_ok_and(|v| !v.is_empty())
        };
        // A commit needs both an author and a committer.
        if !(configured("user.name") || set("GIT_AUTHOR_NAME") && set("GIT_COMMITTER_NAME")) {
            args.extend(["-c".into(), format!("user.name={FALLBACK_NAME}")]);
        }
        if !(configured("user.email")
            || set("EMAIL")
            || set("GIT_AUTHOR_EMAIL") && set("GIT_COMMITTER_EMAIL"))
        {
            args.extend(["-c".into(), format!("user.email={FALLBACK_EMAIL}")]);
        }
        args
    }

    /// Commits what is staged with `message`; `None` when nothing is.
    pub fn commit(&self, message: &str) -> Result<Option<String>, GitError> {
        if self.succeeds(&["diff", "--cached", "--quiet"]) {
            return Ok(None);
        }
        let mut args = self.identity_args();
        args.extend(["commit", "--quiet", "--no-verify", "-F", "-"].map(String::from));
        self.run_with_input(&args, Some(message))?;
        self.run(&["rev-parse", "--short", "HEAD"]).map(Some)
    }
}

/// A `program ARGS` child in `dir` that cannot prompt.
pub fn command<S: AsRef<OsStr>>(program: &str, dir: &Path, args: &[S]) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(dir)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GCM_INTERACTIVE", "never")
        .env("GH_PROMPT_DISABLED", "1");
    cmd
}

/// Runs `cmd`; its stdout, trimmed, or an error with its stderr.
pub fn output(cmd: &mut Command, input: Option<&str>) -> Result<String, GitError> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let shown = std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    cmd.stdin(if input.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|source| GitError::Spawn {
        program: program.clone(),
        source,
    })?;
    if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
        // A child that exits early closes the pipe; its status says why.
        let _ = stdin.write_all(text.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|source| GitError::Spawn { program, source })?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(GitError::Failed {
            command: shown,
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}

/// Whether `program` is an executable file on `PATH`.
pub fn on_path(program: &str) -> bool {
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|dir| {
        let candidate = dir.join(program);
        candidate.is_file() && is_executable(&candidate)
    })
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(_: &Path) -> bool {
    true
}
