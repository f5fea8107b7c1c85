//! Suppression comments.
//!
//! - `# kestra-fix: ignore-file` before the first YAML content skips the file.
//! - `# kestra-fix: ignore[NAME, ...]` (or bare `ignore`, meaning every
//!   codemod) at the end of a line, or alone on the line(s) above it,
//!   covers that line and every plugin instance that starts there or whose
//!   `type` is on it, nested instances included.
//!
//! Each name remembers whether it suppressed anything, so that names that
//! suppress nothing (or name no codemod) can be reported, as ruff's
//! `RUF100` does for `noqa`.

use crate::kestra::flow::Flow;
use crate::syntax::{LineIndex, Parse, SyntaxKind, SyntaxToken, TextRange, TextSize};
use std::sync::atomic::{AtomicBool, Ordering};

const MARKER: &str = "kestra-fix:";

#[derive(Debug, Clone, Default)]
pub struct Suppressions {
    file: bool,
    lines: Vec<LineSuppression>,
}

#[derive(Debug)]
struct LineSuppression {
    /// Where the comment starts.
    at: TextSize,
    /// `None` means every codemod.
    names: Option<Vec<String>>,
    range: TextRange,
    /// Per name (one flag for a bare `ignore`): it covered something a
    /// codemod asked about. Atomic because codemods only get `&self`.
    hits: Vec<AtomicBool>,
}

impl Clone for LineSuppression {
    fn clone(&self) -> Self {
        LineSuppression {
            at: self.at,
            names: self.names.clone(),
            range: self.range,
            hits: self
                .hits
                .iter()
                .map(|h| AtomicBool::new(h.load(Ordering::Relaxed)))
                .collect(),
        }
    }
}

/// A suppression worth a warning, at the offset of its comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppressionNote {
    pub at: TextSize,
    pub kind: NoteKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoteKind {
    /// A name that is no codemod.
    Unknown(String),
    /// Suppressed nothing: the named codemod (`None`: a bare `ignore`)
    /// ran and made no fix there.
    Unused(Option<String>),
}

enum Directive {
    File,
    Lines(Option<Vec<String>>),
}

fn directive(comment: &str) -> Option<Directive> {
    let rest = comment
        .strip_prefix('#')?
        .trim_start()
        .strip_prefix(MARKER)?
        .trim();
    if rest == "ignore-file" {
        return Some(Directive::File);
    }
    let rest = rest.strip_prefix("ignore")?.trim();
    if rest.is_empty() {
        return Some(Directive::Lines(None));
    }
    let names = rest.strip_prefix('[')?.strip_suffix(']')?;
    Some(Directive::Lines(Some(
        names
            .split(',')
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .collect(),
    )))
}

impl Suppressions {
    pub fn collect(text: &str, parse: &Parse, line_index: &LineIndex, flow: Option<&Flow>) -> Self {
        let mut out = Suppressions::default();
        // Every directive names the marker; most files have none, and the
        // walk below runs every round.
        if !text.contains(MARKER) {
            return out;
        }
        let mut seen_content = false;
        // Walking the flow costs about as much as parsing it: only done
        // when a directive needs the instance spans.
        let mut instance_spans: Option<Vec<(u32, u32, TextRange)>> = None;
        let spans = || -> Vec<(u32, u32, TextRange)> {
            flow.map(|f| {
                f.plugin_instances()
                    .into_iter()
                    .chain(f.plugin_defaults())
                    .map(|i| {
                        let range = crate::syntax::ast::AstNode::text_range(&i.mapping);
                        let start = line_index.line_col(text, range.start()).line;
                        let type_line = line_index.line_col(text, i.type_range().start()).line;
                        (start, type_line, range)
                    })
                    .collect()
            })
            .unwrap_or_default()
        };

        for token in parse
            .syntax()
            .descendants_with_tokens()
            .filter_map(|e| e.into_token())
        {
            let kind = token.kind();
            if kind != SyntaxKind::COMMENT {
                if !kind.is_trivia()
                    && !matches!(kind, SyntaxKind::DIRECTIVE | SyntaxKind::DOC_START)
                {
                    seen_content = true;
                }
                continue;
            }
            match directive(token.text()) {
                Some(Directive::File) if !seen_content => out.file = true,
                Some(Directive::Lines(names)) => {
                    let Some(line) = target_line(&token, own_line(&token), text, line_index) else {
                        continue;
                    };
                    let mut range = line_range(line, text, line_index);
                    for (start, type_line, span) in instance_spans.get_or_insert_with(spans).iter()
                    {
                        if *start == line || *type_line == line {
                            range = range.cover(*span);
                        }
                    }
                    let hits = (0..names.as_ref().map_or(1, Vec::len))
                        .map(|_| AtomicBool::new(false))
                        .collect();
                    out.lines.push(LineSuppression {
                        at: token.text_range().start(),
                        names,
                        range,
                        hits,
                    });
                }
                _ => {}
            }
        }
        out
    }

    /// The whole file is skipped.
    pub fn file(&self) -> bool {
        self.file
    }

    /// Whether a directive covers `codemod` at `offset`; every directive
    /// that does is marked used.
    pub fn covers(&self, codemod: &str, offset: TextSize) -> bool {
        self.covers_any(&[codemod], offset)
    }

    /// [`Suppressions::covers`] for a codemod known by several names (its
    /// own and its family's).
    pub fn covers_any(&self, names: &[&str], offset: TextSize) -> bool {
        let mut covered = false;
        for line in &self.lines {
            if !line.range.contains_inclusive(offset) {
                continue;
            }
            let hit = match &line.names {
                None => Some(0),
                Some(written) => written.iter().position(|n| names.contains(&n.as_str())),
            };
            if let Some(i) = hit {
                line.hits[i].store(true, Ordering::Relaxed);
                covered = true;
            }
        }
        covered
    }

    /// Takes in the uses recorded in a later round of the same file. The
    /// rounds' texts differ by fixes, which rarely touch comments: when
    /// they did (the directives no longer line up), later uses are lost.
    pub fn absorb(&mut self, later: &Suppressions) {
        if self.lines.len() != later.lines.len()
            || self
                .lines
                .iter()
                .zip(&later.lines)
                .any(|(a, b)| a.names != b.names)
        {
            return;
        }
        for (a, b) in self.lines.iter().zip(&later.lines) {
            for (ha, hb) in a.hits.iter().zip(&b.hits) {
                if hb.load(Ordering::Relaxed) {
                    ha.store(true, Ordering::Relaxed);
                }
            }
        }
    }

    /// Names that are no codemod (`known` says which are), and names of
    /// codemods that ran (`ran`) but suppressed nothing. A bare `ignore`
    /// is unused when nothing at all was suppressed there.
    pub fn notes(
        &self,
        known: impl Fn(&str) -> bool,
        ran: impl Fn(&str) -> bool,
    ) -> Vec<SuppressionNote> {
        let mut out = Vec::new();
        for line in &self.lines {
            let used = |i: usize| line.hits[i].load(Ordering::Relaxed);
            let mut note = |kind| out.push(SuppressionNote { at: line.at, kind });
            match &line.names {
                None if !used(0) => note(NoteKind::Unused(None)),
                None => {}
                Some(names) => {
                    for (i, name) in names.iter().enumerate() {
                        if !known(name) {
                            note(NoteKind::Unknown(name.clone()));
                        } else if ran(name) && !used(i) {
                            note(NoteKind::Unused(Some(name.clone())));
                        }
                    }
                }
            }
        }
        out
    }
}

/// Whether only whitespace precedes the comment on its line.
fn own_line(comment: &SyntaxToken) -> bool {
    let mut prev = comment.prev_token();
    while let Some(t) = prev {
        match t.kind() {
            SyntaxKind::NEWLINE => return true,
            SyntaxKind::WHITESPACE | SyntaxKind::BOM => prev = t.prev_token(),
            _ => return false,
        }
    }
    true
}

/// The 1-based line a suppression applies to: its own line for a trailing
/// comment, else the next line with content.
fn target_line(comment: &SyntaxToken, own_line: bool, text: &str, idx: &LineIndex) -> Option<u32> {
    if !own_line {
        return Some(idx.line_col(text, comment.text_range().start()).line);
    }
    let mut next = comment.next_token();
    while let Some(t) = next {
        if !t.kind().is_trivia() {
            return Some(idx.line_col(text, t.text_range().start()).line);
        }
        next = t.next_token();
    }
    None
}

fn line_range(line: u32, text: &str, idx: &LineIndex) -> TextRange {
    let start = idx.line_start(line as usize - 1).unwrap_or_default();
    let end = idx
        .line_start(line as usize)
        .unwrap_or_else(|| TextSize::of(text));
    TextRange::new(start, end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    fn collect(text: &str) -> Suppressions {
        let p = parse(text);
        let flow = Flow::cast(&p);
        Suppressions::collect(text, &p, &LineIndex::new(text), flow.as_ref())
    }

    #[test]
    fn parses_directives() {
        assert!(matches!(
            directive("# kestra-fix: ignore-file"),
            Some(Directive::File)
        ));
        assert!(matches!(
            directive("#kestra-fix: ignore"),
            Some(Directive::Lines(None))
        ));
        match directive("# kestra-fix: ignore[a, b]") {
            Some(Directive::Lines(Some(n))) => assert_eq!(n, ["a", "b"]),
            _ => panic!("not parsed"),
        }
        assert!(directive("# kestra-fix: ignore[a").is_none());
        assert!(directive("# a comment").is_none());
    }

    #[test]
    fn comment_above_a_task_covers_the_task() {
        let text = "id: f\nnamespace: n\ntasks:\n  # kestra-fix: ignore[x]\n  - id: a\n    type: t\n  - id: b\n    type: t\n";
        let s = collect(text);
        let a_type = TextSize::from(text.find("type: t").unwrap() as u32);
        let b_type = TextSize::from(text.rfind("type: t").unwrap() as u32);
        assert!(s.covers("x", a_type));
        assert!(!s.covers("y", a_type));
        assert!(!s.covers("x", b_type));
        assert!(!s.file());
        // A family name covers every codemod of the family.
        assert!(s.covers_any(&["y", "x"], a_type));
        assert!(!s.covers_any(&["y", "z"], a_type));
    }

    #[test]
    fn trailing_comment_on_the_type_line_covers_the_task() {
        let text = "id: f\nnamespace: n\ntasks:\n  - id: a\n    type: t # kestra-fix: ignore\n";
        let s = collect(text);
        let id = TextSize::from(text.find("id: a").unwrap() as u32);
        assert!(s.covers("anything", id));
    }

    #[test]
    fn reports_unknown_and_unused_names() {
        let text = "id: f\nnamespace: n\ntasks:\n  - id: a # kestra-fix: ignore[x, y, typo, off]\n    type: t\n  - id: b # kestra-fix: ignore\n    type: t\n";
        let s = collect(text);
        let a = TextSize::from(text.find("id: a").unwrap() as u32);
        assert!(s.covers("x", a));
        let known = |n: &str| n != "typo";
        let ran = |n: &str| n != "off";
        let at_a = TextSize::from(text.find("# kestra-fix: ignore[").unwrap() as u32);
        let at_b = TextSize::from(text.rfind("# kestra-fix").unwrap() as u32);
        let note = |at, kind| SuppressionNote { at, kind };
        assert_eq!(
            s.notes(known, ran),
            [
                note(at_a, NoteKind::Unused(Some("y".into()))),
                note(at_a, NoteKind::Unknown("typo".into())),
                note(at_b, NoteKind::Unused(None)),
            ]
        );

        // A use recorded in a later round counts.
        let mut first = collect(text);
        first.absorb(&s);
        let b = TextSize::from(text.find("id: b").unwrap() as u32);
        assert!(s.covers("z", b));
        first.absorb(&s);
        assert_eq!(first.notes(known, ran).len(), 2);
    }

    #[test]
    fn ignore_file_only_before_content() {
        assert!(collect("# kestra-fix: ignore-file\nid: f\n").file());
        assert!(!collect("id: f\n# kestra-fix: ignore-file\n").file());
    }
}
