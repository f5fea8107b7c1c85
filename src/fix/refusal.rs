//! Why a fix is not made: one enum of reasons, each with a stable code and
//! one message, so every codemod refuses in the same words and reports can
//! group refusals by kind.

use crate::kestra::path::DataPath;
use crate::syntax::edit::EditError;
use crate::syntax::render::RenderError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{path} is not in the flow")]
    Missing { path: DataPath },
    #[error("{path} is not a mapping")]
    NotMapping { path: DataPath },
    #[error("{path} is not a sequence")]
    NotSequence { path: DataPath },
    #[error("{path} is not a scalar")]
    NotScalar { path: DataPath },
    #[error("{path} already has `{key}`")]
    KeyExists { path: DataPath, key: String },
    #[error(
        "{path} is an alias (`*{name}`): changing it would change the anchored node it repeats"
    )]
    Aliased { path: DataPath, name: String },
    #[error("{path} is inside an anchored node (`&{name}`): an edit would also change every alias of it")]
    Anchored { path: DataPath, name: String },
    #[error("{path} carries the tag `{tag}`, which an edit of its text would not keep")]
    Tagged { path: DataPath, tag: String },
    #[error("{path}: {error}")]
    Render { path: DataPath, error: RenderError },
    #[error("{path}: {error}")]
    Edit { path: DataPath, error: EditError },
    #[error("{path}: two edits of one fix touch the same text")]
    Overlap { path: DataPath },
    #[error("{path}: {reason}, so part of its text cannot be replaced in place")]
    NotVerbatim { path: DataPath, reason: String },
}

impl Refusal {
    /// A short stable name, for JSON reports and tests.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Missing { .. } => "missing",
            Refusal::NotMapping { .. } => "not-a-mapping",
            Refusal::NotSequence { .. } => "not-a-sequence",
            Refusal::NotScalar { .. } => "not-a-scalar",
            Refusal::KeyExists { .. } => "key-exists",
            Refusal::Aliased { .. } => "aliased-node",
            Refusal::Anchored { .. } => "anchored-node",
            Refusal::Tagged { .. } => "tagged-node",
            Refusal::Render { .. } => "unrenderable",
            Refusal::Edit { .. } => "uneditable",
            Refusal::Overlap { .. } => "overlap",
            Refusal::NotVerbatim { .. } => "not-verbatim",
        }
    }
}
