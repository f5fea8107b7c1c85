//! Renderings of a run: the diff, and findings for people and for bots.

pub mod diff;
pub mod github;
pub mod json;
pub mod markdown;
pub mod sarif;
pub mod summary;
pub mod text;

use crate::engine::config::codemods_named;
use crate::engine::{Error, FileReport, RunResult};
use crate::fix::suppress::NoteKind;
use crate::syntax::LineCol;
use std::borrow::Cow;
use std::path::{Component, Path, PathBuf};

/// How findings are written (`--output-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OutputFormat {
    /// One line per finding: `path:line:col: codemod: message [safety]`.
    #[default]
    Text,
    /// One versioned JSON document.
    Json,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// SARIF 2.1.0, for code-scanning uploads.
    Sarif,
    /// A pull-request body: fixes per codemod, what is left, created files.
    Markdown,
}

/// The version of the JSON document's shape; bumped on breaking changes.
pub const JSON_VERSION: u32 = 1;

/// `path` as the user sees it: relative to the current folder when inside
/// it, with `/` separators, so diffs apply with `git apply` from there.
pub fn display_path(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let Some(rel) = cwd.as_deref().and_then(|c| abs.strip_prefix(c).ok()) else {
        // Outside the current folder: shown as given.
        return path.to_string_lossy().into_owned();
    };
    slash_path(rel)
}

/// A relative path with `/` separators (`.` when empty), as git and
/// GitHub show them.
pub fn slash_path(rel: &Path) -> String {
    let parts: Vec<String> = rel
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

/// `PATH:LINE:COL: error: message` (or `PATH: error: message`).
pub fn error_line(error: &Error) -> String {
    let (path, message) = (display_path(&error.path), error.to_string());
    let (path, message) = (escape(&path), escape(&message));
    match error.position {
        Some(p) => format!("{path}:{}:{}: error: {message}", p.line, p.col),
        None => format!("{path}: error: {message}"),
    }
}

/// Something worth a look that does not stop the run (nor, unless
/// `--warnings-as-errors`, change the exit code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub path: PathBuf,
    pub position: LineCol,
    /// A short machine-readable name, for JSON and SARIF.
    pub code: &'static str,
    pub message: String,
}

/// Every warning of the run: suppressions that name no codemod or that
/// suppress nothing.
pub fn warnings(result: &RunResult) -> Vec<Warning> {
    let mut out = Vec::new();
    for file in &result.files {
        for (position, kind) in &file.suppression_notes {
            let (code, message) = match kind {
                NoteKind::Unknown(name) => (
                    "unknown-suppression",
                    match codemods_named(name) {
                        Err(unknown) => format!("suppression names an {unknown}"),
                        Ok(_) => format!("suppression names codemod `{name}`"),
                    },
                ),
                NoteKind::Unused(Some(name)) => (
                    "unused-suppression",
                    format!("unused suppression: `{name}` has nothing to fix here"),
                ),
                NoteKind::Unused(None) => (
                    "unused-suppression",
                    "unused suppression: no codemod has anything to fix here".to_string(),
                ),
            };
            out.push(Warning {
                path: file.path.clone(),
                position: *position,
                code,
                message,
            });
        }
    }
    out
}

/// `PATH:LINE:COL: warning: message`.
pub fn warning_line(w: &Warning) -> String {
    let path = display_path(&w.path);
    format!(
        "{}:{}:{}: warning: {}",
        escape(&path),
        w.position.line,
        w.position.col,
        escape(&w.message)
    )
}

/// Why a file that looks like a flow (its top level has two or more of a
/// flow's keys) is not one: the required keys it lacks, with the key
/// that is probably one of them misspelt. `None` for flows, files with
/// errors and other YAML.
pub fn skip_reason(file: &FileReport) -> Option<String> {
    if file.is_flow || !file.errors.is_empty() {
        return None;
    }
    file.skip_reason.clone()
}

/// `s` safe to print on one terminal line: control characters (a newline
/// could start a CI workflow command such as `::error`, an ESC a terminal
/// sequence) and bidirectional overrides (which reorder what is shown) are
/// written as Rust escapes, e.g. `\n`, `\u{1b}`.
pub fn escape(s: &str) -> Cow<'_, str> {
    let unsafe_char =
        |c: char| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_a_terminal_or_ci_would_interpret() {
        assert_eq!(escape("plain `x`: é"), "plain `x`: é");
        assert_eq!(
            escape("a\n::error::x\t\u{1b}[31m\u{202e}"),
            "a\\n::error::x\\t\\u{1b}[31m\\u{202e}"
        );
    }

    #[test]
    fn paths_are_relative_to_the_current_folder() {
        assert_eq!(display_path(Path::new("./a/./b.yaml")), "a/b.yaml");
        let inside = std::env::current_dir().unwrap().join("x/y.yaml");
        assert_eq!(display_path(&inside), "x/y.yaml");
        assert_eq!(
            display_path(Path::new("/elsewhere/f.yaml")),
            "/elsewhere/f.yaml"
        );
    }
}
