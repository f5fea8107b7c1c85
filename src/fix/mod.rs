//! The fix vocabulary every layer above `kestra` shares: what a codemod
//! hands the engine (findings with edits and declared data effects), the
//! replay of those declarations, the oracle that checks them, and the
//! suppression comments that silence them.

pub mod change;
pub mod editor;
pub mod oracle;
pub mod refusal;
pub mod suppress;

pub use crate::syntax::edit::TextEdit;
use crate::syntax::TextRange;
pub use change::DataChange;
use std::fmt;
use std::path::PathBuf;

/// How far a fix can be trusted (DESIGN invariant 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Applicability {
    /// The flow does exactly what it did; applied by default.
    Safe,
    /// Behaviour may change; applied only with `--unsafe-fixes`, and the
    /// message says what changes.
    Unsafe,
    /// A finding with no edit.
    DisplayOnly,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
            Applicability::DisplayOnly => "display-only",
        }
    }
}

impl fmt::Display for Applicability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A file a fix creates beside the flow (an extracted script, a subflow).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    /// Relative to the flow file's folder.
    pub path: PathBuf,
    pub contents: String,
}

/// One finding and, unless display-only, how to fix it.
#[derive(Debug, Clone, PartialEq)]
pub struct Fix {
    /// What is wrong and, for an unsafe fix, what behaviour changes.
    pub message: String,
    /// Where the finding points (its start also decides suppression).
    pub range: TextRange,
    pub applicability: Applicability,
    /// Non-overlapping edits against the text the codemod was run on.
    pub edits: Vec<TextEdit>,
    /// What the edits do to the flow's data; the verifier holds them to it.
    pub changes: Vec<DataChange>,
    pub new_files: Vec<NewFile>,
    /// Why a display-only finding has no edit, when a codemod refused one.
    pub refusal: Option<refusal::Refusal>,
    /// Further findings these same edits settle: each is reported as its
    /// own finding, with this fix's codemod, applicability and status. A
    /// codemod settles only findings no directive suppresses
    /// (`FlowContext::is_suppressed`); the engine checks `range` alone.
    pub also: Vec<Settled>,
}

/// A finding a fix settles besides its own (see [`Fix::also`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    pub range: TextRange,
    pub message: String,
}

impl Fix {
    /// A finding without an edit.
    pub fn display_only(range: TextRange, message: impl Into<String>) -> Self {
        Fix {
            message: message.into(),
            range,
            applicability: Applicability::DisplayOnly,
            edits: Vec::new(),
            changes: Vec::new(),
            new_files: Vec::new(),
            refusal: None,
            also: Vec::new(),
        }
    }

    /// A finding a codemod leaves to a person: `context` says what it
    /// found, `refusal` why it makes no edit (`Refusal::message`).
    pub fn refused(
        range: TextRange,
        context: impl Into<String>,
        refusal: refusal::Refusal,
    ) -> Self {
        Fix {
            refusal: Some(refusal.clone()),
            ..Fix::display_only(range, refusal.message(&context.into()))
        }
    }

    /// A fix made of `edits` whose data effect is `changes`.
    pub fn new(
        range: TextRange,
        message: impl Into<String>,
        applicability: Applicability,
        edits: Vec<TextEdit>,
        changes: Vec<DataChange>,
    ) -> Self {
        Fix {
            message: message.into(),
            range,
            applicability,
            edits,
            changes,
            new_files: Vec::new(),
            refusal: None,
            also: Vec::new(),
        }
    }

    pub fn with_new_file(mut self, file: NewFile) -> Self {
        self.new_files.push(file);
        self
    }

    /// The fix also settles the finding `message` at `range`.
    pub fn also_settles(mut self, range: TextRange, message: impl Into<String>) -> Self {
        self.also.push(Settled {
            range,
            message: message.into(),
        });
        self
    }

    /// Every finding the fix settles, its own first.
    pub fn findings(&self) -> impl Iterator<Item = (TextRange, &str)> {
        std::iter::once((self.range, self.message.as_str()))
            .chain(self.also.iter().map(|s| (s.range, s.message.as_str())))
    }

    /// The span of text the edits touch, for overlap resolution. Files a
    /// fix creates do not overlap the flow's text.
    pub fn edit_span(&self) -> Option<TextRange> {
        self.edits.iter().map(|e| e.range).reduce(|a, b| a.cover(b))
    }
}
