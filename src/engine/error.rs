//! Errors of a run, typed here and rendered once by the CLI.

use crate::syntax::LineCol;
use std::path::PathBuf;

/// Something that stopped a file (or the run) from being processed.
#[derive(Debug, thiserror::Error)]
#[error("{kind}")]
pub struct Error {
    /// The file the error is about, as the user would type it.
    pub path: PathBuf,
    /// Where in the file, when known.
    pub position: Option<LineCol>,
    pub kind: ErrorKind,
}

#[derive(Debug, thiserror::Error)]
pub enum ErrorKind {
    #[error("cannot read: {0}")]
    Read(#[source] std::io::Error),
    #[error("not valid UTF-8")]
    NotUtf8,
    /// Valid UTF-8 that is still not YAML text: YAML forbids NUL, and a
    /// second byte order mark is content, so the flow would be misread.
    #[error("{0}")]
    NotText(&'static str),
    #[error("cannot read: symbolic link loop")]
    SymlinkLoop,
    #[error("invalid YAML: {0}")]
    InvalidYaml(String),
    #[error("invalid config: {0}")]
    Config(String),
    #[error("cannot write: {0}")]
    Write(#[source] std::io::Error),
    /// Writing a file a fix creates failed; what was written is removed.
    #[error("cannot create {}: {source}; flow left unchanged", .created.display())]
    Create {
        created: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("read-only file")]
    ReadOnly,
    /// The file on disk is no longer the one the fixes were computed from.
    #[error("changed while kestra-fix was running")]
    Changed,
    #[error("{created} exists with different contents; not overwritten, flow left unchanged")]
    Conflict { created: PathBuf },
    /// Another flow of the run creates the same file with other contents.
    #[error("{} is also created by {}, with different contents; flow left unchanged", .created.display(), .other.display())]
    SharedConflict { created: PathBuf, other: PathBuf },
    /// A file a fix would create lies outside the flow's folder or is
    /// reached through a symbolic link.
    #[error("refusing to create {created}: {reason}; flow left unchanged")]
    UnsafePath { created: PathBuf, reason: String },
    /// A fix failed verification: a bug in a codemod, never the user's.
    #[error("internal error: a `{codemod}` fix failed verification ({detail}); this fix dropped, please report it")]
    Verification { codemod: String, detail: String },
    /// A panic while processing the file: a bug, contained to this file.
    #[error("internal error: panicked while processing this file ({message}); file left unchanged. This is a bug in kestra-fix, please report it")]
    Panic { message: String },
    #[error("fixes did not converge after {rounds} rounds; file left unchanged")]
    NotConverged { rounds: usize },
}

impl Error {
    pub fn new(path: impl Into<PathBuf>, position: Option<LineCol>, kind: ErrorKind) -> Self {
        Error {
            path: path.into(),
            position,
            kind,
        }
    }

    /// A short machine-readable name for the kind, for JSON and SARIF.
    pub fn code(&self) -> &'static str {
        match self.kind {
            ErrorKind::Read(_) => "read",
            ErrorKind::NotUtf8 => "not-utf8",
            ErrorKind::NotText(_) => "not-text",
            ErrorKind::SymlinkLoop => "symlink-loop",
            ErrorKind::InvalidYaml(_) => "invalid-yaml",
            ErrorKind::Config(_) => "config",
            ErrorKind::Write(_) => "write",
            ErrorKind::Create { .. } => "write",
            ErrorKind::ReadOnly => "read-only",
            ErrorKind::Changed => "changed",
            ErrorKind::Conflict { .. } | ErrorKind::SharedConflict { .. } => "conflict",
            ErrorKind::UnsafePath { .. } => "unsafe-path",
            ErrorKind::Verification { .. } => "verification",
            ErrorKind::NotConverged { .. } => "not-converged",
            ErrorKind::Panic { .. } => "panic",
        }
    }
}
