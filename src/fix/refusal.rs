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

    // The codemods' own reasons, for findings they leave to a person.
    /// An edit the editor refused, left to a person: `action` is the verb
    /// ("change", "rename"); the code is the editor's reason's.
    #[error("{action} it by hand: {why}")]
    ByHand {
        action: &'static str,
        why: Box<Refusal>,
    },
    #[error("`{plugin}` is not in the plugin catalog, so its properties cannot be checked; describe it in a user catalog (`plugin-catalogs`, `--plugin-catalog`)")]
    UnknownType { plugin: String },
    #[error("`{plugin}` has no property `{property}`, which Kestra 2.0 rejects{}", meant.as_ref().map(|m| format!("; did you mean `{m}`?")).unwrap_or_default())]
    UnknownProperty {
        plugin: String,
        property: String,
        /// The catalog property a typo most likely meant.
        meant: Option<String>,
    },
    /// A second key that says the same thing differently: which one wins
    /// is a person's call.
    #[error("`{key}` is set too: {action} by hand")]
    ConflictingKey { key: String, action: &'static str },
    /// A type change that would change which `pluginDefaults` apply.
    #[error("the pluginDefaults entry for `{entry}` would {} applying to it; run `inline-plugin-defaults` first", if *starts { "start" } else { "stop" })]
    DefaultsChange { entry: String, starts: bool },
    /// A value the codemod cannot map to its replacement.
    #[error("{shown} has no {target} equivalent: {advice}")]
    NoEquivalent {
        shown: String,
        target: &'static str,
        advice: &'static str,
    },
    /// A type replacement whose new type cannot express the instance.
    #[error("not renamed: {why}")]
    NotReplaceable { why: String },
    /// The long tail: a reason one codemod alone gives.
    #[error("{why}")]
    Unsupported { why: String },
}

impl Refusal {
    /// A reason only one codemod gives.
    pub fn unsupported(why: impl Into<String>) -> Self {
        Refusal::Unsupported { why: why.into() }
    }

    /// An editor refusal, left to a person with `action` ("change").
    pub fn by_hand(action: &'static str, why: Refusal) -> Self {
        Refusal::ByHand {
            action,
            why: Box::new(why),
        }
    }

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
            Refusal::ByHand { why, .. } => why.code(),
            Refusal::UnknownType { .. } => "unknown-type",
            Refusal::UnknownProperty { .. } => "unknown-property",
            Refusal::ConflictingKey { .. } => "conflicting-key",
            Refusal::DefaultsChange { .. } => "defaults-change",
            Refusal::NoEquivalent { .. } => "no-equivalent",
            Refusal::NotReplaceable { .. } => "not-replaceable",
            Refusal::Unsupported { .. } => "unsupported",
        }
    }

    /// The one place a refusal becomes a finding's message: `context` says
    /// what was found, the refusal why it is left to a person.
    pub fn message(&self, context: &str) -> String {
        if context.is_empty() {
            return self.to_string();
        }
        // A conflicting key reads as part of the finding, not a reason after it.
        let join = match self {
            Refusal::ConflictingKey { .. } => ", and ",
            _ => "; ",
        };
        format!("{context}{join}{self}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reports and bots key on these codes: a rename breaks them.
    #[test]
    fn codes_are_stable() {
        let path = DataPath::root().key("tasks");
        let s = String::new;
        let cases = [
            (Refusal::Missing { path: path.clone() }, "missing"),
            (Refusal::NotMapping { path: path.clone() }, "not-a-mapping"),
            (
                Refusal::NotSequence { path: path.clone() },
                "not-a-sequence",
            ),
            (Refusal::NotScalar { path: path.clone() }, "not-a-scalar"),
            (
                Refusal::KeyExists {
                    path: path.clone(),
                    key: s(),
                },
                "key-exists",
            ),
            (
                Refusal::Aliased {
                    path: path.clone(),
                    name: s(),
                },
                "aliased-node",
            ),
            (
                Refusal::Anchored {
                    path: path.clone(),
                    name: s(),
                },
                "anchored-node",
            ),
            (
                Refusal::Tagged {
                    path: path.clone(),
                    tag: s(),
                },
                "tagged-node",
            ),
            (Refusal::Overlap { path: path.clone() }, "overlap"),
            (
                Refusal::NotVerbatim {
                    path: path.clone(),
                    reason: s(),
                },
                "not-verbatim",
            ),
            (
                Refusal::ByHand {
                    action: "change",
                    why: Box::new(Refusal::Anchored {
                        path: path.clone(),
                        name: s(),
                    }),
                },
                "anchored-node",
            ),
            (Refusal::UnknownType { plugin: s() }, "unknown-type"),
            (
                Refusal::UnknownProperty {
                    plugin: s(),
                    property: s(),
                    meant: None,
                },
                "unknown-property",
            ),
            (
                Refusal::ConflictingKey {
                    key: s(),
                    action: "merge them",
                },
                "conflicting-key",
            ),
            (
                Refusal::DefaultsChange {
                    entry: s(),
                    starts: true,
                },
                "defaults-change",
            ),
            (
                Refusal::NoEquivalent {
                    shown: s(),
                    target: "boolean",
                    advice: "",
                },
                "no-equivalent",
            ),
            (Refusal::NotReplaceable { why: s() }, "not-replaceable"),
            (Refusal::Unsupported { why: s() }, "unsupported"),
        ];
        for (refusal, code) in cases {
            assert_eq!(refusal.code(), code, "{refusal:?}");
        }
    }

    #[test]
    fn message_joins_context_and_reason() {
        let key = Refusal::ConflictingKey {
            key: "behavior".into(),
            action: "merge them",
        };
        assert_eq!(
            key.message("`expiredOnly` was removed"),
            "`expiredOnly` was removed, and `behavior` is set too: merge them by hand"
        );
        let why = Refusal::Unsupported {
            why: "it is dynamic".into(),
        };
        assert_eq!(why.message("`x` is odd"), "`x` is odd; it is dynamic");
        assert_eq!(why.message(""), "it is dynamic");
    }
}
