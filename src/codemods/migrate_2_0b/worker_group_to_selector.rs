//! worker-group-to-selector (MIGRATION-2.0.md rule 24, Enterprise): the
//! 1.x `workerGroup: {key, fallback}` becomes 2.0's
//! `workerSelector: {tags: [key], fallback}`, in place.
//!
//! Always unsafe: 2.0 routes by Worker Queue tag, so the task runs only if
//! a queue tagged `key` exists with a Worker Group subscribed to it; without
//! one it fails at once, whatever the fallback. `fallback: WAIT` is written
//! when none was set because 2.0's default became `FAIL`.

use super::{refused, scalar_text, targets, Target, SINCE_2_0};
use crate::codemods::{
    Applicability, Codemod, Declaration, Family, Fix, FlowContext, Phase, Safety,
};
use crate::fix::editor::Editor;
use crate::fix::refusal::Refusal;
use crate::syntax::edit::Position;
use crate::syntax::render::Fragment;
use crate::syntax::TextRange;

pub struct WorkerGroupToSelector;

const DECLARATION: Declaration = Declaration {
    name: "worker-group-to-selector",
    family: Family::Migrate20,
    summary:
        "`workerGroup: {key, fallback}` -> `workerSelector: {tags: [key], fallback}` (Enterprise)",
    safety: Safety::Unsafe,
    default_on: SINCE_2_0,
    phase: Phase::PROPERTIES,
    docs: include_str!("../../../codemods/worker-group-to-selector/README.md"),
};

const REMOVED: &str = "`workerGroup` was replaced by `workerSelector` in 2.0";

impl Codemod for WorkerGroupToSelector {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }

    fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
        let mut fixes = Vec::new();
        // One fix per worker-group key: the advice is about the key.
        let mut groups: Vec<Group> = Vec::new();
        for t in targets(ctx, true).iter() {
            let (Some(group), Some(range)) = (t.map_at("workerGroup"), t.key_range("workerGroup"))
            else {
                continue;
            };
            if ctx.is_suppressed(range.start()) {
                continue;
            }
            let key = scalar_text(group.get_value("key")).unwrap_or_default();
            let others: Vec<String> = group
                .entries()
                .filter_map(|e| e.key_text())
                .filter(|k| k != "key" && k != "fallback")
                .collect();
            let problem = if key.trim().is_empty() {
                Some("it has no `key`, and a fallback without tags is invalid in 2.0".to_string())
            } else if key.contains("{{") || key.contains("{%") {
                Some(format!(
                    "its key `{key}` is templated; a Worker Queue tag must be written out"
                ))
            } else if !is_rfc1123_label(&key) {
                Some(format!("its key `{key}` is not a valid Worker Queue tag (lower-case letters, digits and `-`, at most 63); rename the worker group"))
            } else if t.mapping.get("workerSelector").is_some() {
                Some("`workerSelector` is set too: merge them by hand".to_string())
            } else if !others.is_empty() {
                Some(format!(
                    "it also sets `{}`, which `workerSelector` has no place for",
                    others.join("`, `")
                ))
            } else {
                None
            };
            if let Some(problem) = problem {
                fixes.push(Fix::refused(
                    range,
                    format!("{}: {REMOVED}", t.label),
                    Refusal::unsupported(problem),
                ));
                continue;
            }
            let at = groups.iter().position(|g| g.key == key).unwrap_or_else(|| {
                groups.push(Group {
                    key: key.clone(),
                    range,
                    editor: ctx.editor(),
                    labels: Vec::new(),
                    pinned: false,
                });
                groups.len() - 1
            });
            let g = &mut groups[at];
            let pin = group.get("fallback").is_none();
            match g.editor.transaction(|e| convert(e, t, pin)) {
                Ok(()) => {
                    g.labels.push(t.label.clone());
                    g.pinned |= pin;
                }
                Err(why) => fixes.push(refused(range, &format!("{}: {REMOVED}", t.label), &why)),
            }
        }
        for g in groups {
            if g.labels.is_empty() {
                continue;
            }
            let pinned = if g.pinned {
                "; `fallback: WAIT` is written where none was set, since 2.0's default became `FAIL`"
            } else {
                ""
            };
            let (need, they) = if g.labels.len() == 1 {
                ("needs", "it fails")
            } else {
                ("need", "they fail")
            };
            let message = format!(
                "{REMOVED}: {} {need} a Worker Queue tagged `{}` with a subscribed Worker Group, or {they} at once whatever the fallback{pinned}",
                g.labels.join(", "),
                g.key
            );
            fixes.push(g.editor.into_fix(g.range, message, Applicability::Unsafe));
        }
        fixes
    }
}

struct Group<'c> {
    key: String,
    /// The first instance's `workerGroup`, where the finding points.
    range: TextRange,
    editor: Editor<'c>,
    labels: Vec<String>,
    /// Whether some instance had no `fallback` (then `WAIT` is written).
    pinned: bool,
}

/// `workerGroup` -> `workerSelector`, `key: k` -> `tags: [k]`, and
/// `fallback: WAIT` when `pin`: every other byte of the block stays.
fn convert(e: &mut Editor, t: &Target, pin: bool) -> Result<(), Refusal> {
    let group = t.path.key("workerGroup");
    let key = group.key("key");
    let value = e.node(&key)?;
    e.replace_value(&key, Fragment::Seq(vec![Fragment::Copy(value)]))?;
    e.rename_key(&group, "key", "tags")?;
    if pin {
        e.insert_entry(&group, "fallback", Fragment::string("WAIT"), Position::Last)?;
    }
    e.rename_key(&t.path, "workerGroup", "workerSelector")
}

/// RFC 1123 label: what 2.0 accepts as a Worker Queue tag.
fn is_rfc1123_label(s: &str) -> bool {
    let ok = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && ok(b[0])
        && ok(b[b.len() - 1])
        && b.iter().all(|&c| ok(c) || c == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_rfc_1123() {
        for good in ["gpu", "a", "gpu-1", "0x", &"a".repeat(63)] {
            assert!(is_rfc1123_label(good), "{good}");
        }
        for bad in ["", "GPU", "-gpu", "gpu-", "gpu_1", "gpu.x", &"a".repeat(64)] {
            assert!(!is_rfc1123_label(bad), "{bad}");
        }
    }
}
