//! Renderings of a run: the diff, and findings for people and for bots.

pub mod diff;
pub mod github;
pub mod json;
pub mod sarif;
pub mod summary;
pub mod text;

use crate::engine::Error;
use std::path::{Component, Path};

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
    let path = display_path(&error.path);
    match error.position {
        Some(p) => format!("{path}:{}:{}: error: {error}", p.line, p.col),
        None => format!("{path}: error: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
