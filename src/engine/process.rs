//! One file through the fix loop: run codemods, take non-overlapping
//! edits, apply, re-parse, verify, repeat until nothing changes.

use super::config::Settings;
use super::error::{Error, ErrorKind};
use super::verify::Verifier;
use super::write::write_atomic;
use crate::codemods::FlowContext;
use crate::fix::oracle as data;
use crate::fix::suppress::Suppressions;
use crate::fix::{Applicability, DataChange, Fix};
use crate::kestra::flow::Flow;
use crate::syntax::edit::{apply_edits, TextEdit};
use crate::syntax::value::Value;
use crate::syntax::Parse;
use crate::syntax::{self, LineCol, LineIndex, TextRange, TextSize};
use std::path::{Path, PathBuf};

/// Rounds of fixes before a file is declared non-converging.
pub const MAX_ROUNDS: usize = 10;

/// A finding, positioned in the file as it was before the run.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub codemod: &'static str,
    pub message: String,
    pub start: LineCol,
    pub end: LineCol,
    pub applicability: Applicability,
    /// Fixed by this run (written to disk unless it is a dry run).
    pub fixed: bool,
}

/// A file a fix creates, with its full path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedFile {
    pub path: PathBuf,
    pub contents: String,
}

/// What happened to one file.
#[derive(Debug, Default)]
pub struct FileReport {
    pub path: PathBuf,
    /// The file is a Kestra flow (other YAML is skipped silently).
    pub is_flow: bool,
    pub original: String,
    /// The new text, when fixes change it.
    pub fixed: Option<String>,
    /// Files created beside it (only those not already on disk as-is).
    pub created: Vec<CreatedFile>,
    pub findings: Vec<Finding>,
    pub errors: Vec<Error>,
}

impl FileReport {
    pub fn changed(&self) -> bool {
        self.fixed.is_some() || !self.created.is_empty()
    }
}

/// A fix with the codemod that made it and the round's text coordinates.
struct Candidate {
    codemod: &'static str,
    fix: Fix,
}

/// Processes one file; with `write`, fixed text goes to disk atomically.
pub fn process_file(
    path: &Path,
    settings: &Settings,
    verifier: &Verifier,
    write: bool,
) -> FileReport {
    let mut report = FileReport {
        path: path.to_path_buf(),
        ..FileReport::default()
    };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return report.fail(Error::new(path, None, ErrorKind::Read(e))),
    };
    let original = match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let text = String::from_utf8_lossy(valid);
            let pos = LineIndex::new(&text).line_col(&text, TextSize::of(text.as_ref()));
            return report.fail(Error::new(path, Some(pos), ErrorKind::NotUtf8));
        }
    };
    report.original = original;
    match fix_text(path, &report.original, settings, verifier) {
        Ok(outcome) => {
            report.is_flow = outcome.is_flow;
            report.findings = outcome.findings;
            if outcome.text != report.original {
                report.fixed = Some(outcome.text);
            }
            report.created = outcome.created;
        }
        Err(e) => return report.fail(e),
    }
    if let Err(e) = check_conflicts(path, &mut report.created) {
        report.fixed = None;
        report.created.clear();
        report.findings.iter_mut().for_each(|f| f.fixed = false);
        return report.fail(e);
    }
    if write {
        if let Err(e) = write_outputs(&report) {
            report
                .errors
                .push(Error::new(path, None, ErrorKind::Write(e)));
        }
    }
    report
}

impl FileReport {
    fn fail(mut self, error: Error) -> Self {
        self.errors.push(error);
        self
    }
}

/// Keeps created files that are not on disk yet; a different file already
/// there is a conflict that stops the whole flow's change, and so is a file
/// outside the flow's folder or reached through a symbolic link.
fn check_conflicts(path: &Path, created: &mut Vec<CreatedFile>) -> Result<(), Error> {
    let dir = path.parent().unwrap_or(Path::new(""));
    let mut pending = Vec::new();
    for file in created.drain(..) {
        if let Err(reason) = contained(dir, &file.path) {
            return Err(Error::new(
                path,
                None,
                ErrorKind::UnsafePath {
                    created: file.path,
                    reason,
                },
            ));
        }
        match std::fs::read(&file.path) {
            Ok(existing) if existing == file.contents.as_bytes() => {}
            Ok(_) => {
                return Err(Error::new(
                    path,
                    None,
                    ErrorKind::Conflict { created: file.path },
                ))
            }
            Err(_) => pending.push(file),
        }
    }
    *created = pending;
    Ok(())
}

/// Whether `file` lies under `dir` by plain names only (no `..`, no root)
/// and no existing folder or file on the way is a symbolic link, so a write
/// cannot land outside the folder of the flow being fixed.
fn contained(dir: &Path, file: &Path) -> Result<(), String> {
    use std::path::Component;
    let rel = file
        .strip_prefix(dir)
        .map_err(|_| format!("it is not inside {}", display_dir(dir)))?;
    if rel.as_os_str().is_empty() || !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(format!(
            "its path must go down from {} by plain names",
            display_dir(dir)
        ));
    }
    let mut at = dir.to_path_buf();
    for part in rel.components() {
        at.push(part);
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(format!("{} is a symbolic link", at.display()))
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    Ok(())
}

fn display_dir(dir: &Path) -> String {
    if dir.as_os_str().is_empty() {
        ".".into()
    } else {
        dir.display().to_string()
    }
}

/// New files first, so the flow never names a file that is not there.
fn write_outputs(report: &FileReport) -> std::io::Result<()> {
    for file in &report.created {
        if let Some(dir) = file.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        write_atomic(&file.path, &file.contents)?;
    }
    if let Some(text) = &report.fixed {
        write_atomic(&report.path, text)?;
    }
    Ok(())
}

struct Outcome {
    is_flow: bool,
    text: String,
    findings: Vec<Finding>,
    created: Vec<CreatedFile>,
}

/// The fix loop over a text. `Err` leaves the file as it was.
fn fix_text(
    path: &Path,
    original: &str,
    settings: &Settings,
    verifier: &Verifier,
) -> Result<Outcome, Error> {
    let original_index = LineIndex::new(original);
    let mut text = original.to_string();
    // Edits applied in each round, to map later positions back to `original`.
    let mut history: Vec<RoundShifts> = Vec::new();
    let mut before_data: Option<Vec<Value>> = None;
    // The tree verification built for the text the next round starts from.
    let mut next_parse: Option<Parse> = None;
    let mut findings = Vec::new();
    let mut created: Vec<CreatedFile> = Vec::new();
    let dir = path.parent().unwrap_or(Path::new(""));

    for round in 0..=MAX_ROUNDS {
        let parse = next_parse.take().unwrap_or_else(|| syntax::parse(&text));
        if let Some(err) = parse.errors().first() {
            // Round 0 is the user's text; later rounds were verified to
            // parse before they were kept, so this is the user's error.
            let pos = original_index.line_col(original, err.range.start());
            return Err(Error::new(
                path,
                Some(pos),
                ErrorKind::InvalidYaml(err.message.clone()),
            ));
        }
        let Some(flow) = Flow::cast(&parse) else {
            return Ok(Outcome {
                is_flow: false,
                text,
                findings,
                created,
            });
        };
        let line_index = LineIndex::new(&text);
        let suppressions = Suppressions::collect(&text, &parse, &line_index, Some(&flow));
        if suppressions.file() {
            break;
        }
        let mut candidates = Vec::new();
        let data = std::cell::OnceCell::new();
        for codemod in &settings.codemods {
            let ctx = FlowContext {
                path,
                text: &text,
                parse: &parse,
                flow: &flow,
                line_index: &line_index,
                target_version: settings.target_version,
                options: settings.options_for(codemod.name()),
                suppressions: &suppressions,
                codemod: codemod.name(),
                data: &data,
            };
            candidates.extend(
                codemod
                    .run(&ctx)
                    .into_iter()
                    .filter(|f| !suppressions.covers(codemod.name(), f.range.start()))
                    .map(|fix| Candidate {
                        codemod: codemod.name(),
                        fix,
                    }),
            );
        }
        let taken = select(&candidates, settings.unsafe_fixes, &created, dir);
        let locate = |range: TextRange| {
            let start = map_back(&history, range.start());
            let end = map_back(&history, range.end()).max(start);
            (
                original_index.line_col(original, start),
                original_index.line_col(original, end),
            )
        };
        if taken.is_empty() {
            findings.extend(
                candidates
                    .iter()
                    .map(|c| finding(c, locate(c.fix.range), false)),
            );
            break;
        }
        if round == MAX_ROUNDS {
            return Err(Error::new(
                path,
                None,
                ErrorKind::NotConverged { rounds: MAX_ROUNDS },
            ));
        }
        let taken: Vec<&Candidate> = taken.into_iter().map(|i| &candidates[i]).collect();
        let edits: Vec<TextEdit> = taken
            .iter()
            .flat_map(|c| c.fix.edits.iter().cloned())
            .collect();
        let blame = |c: &Candidate, detail: String| {
            let (start, _) = locate(c.fix.range);
            Error::new(
                path,
                Some(start),
                ErrorKind::Verification {
                    codemod: c.codemod.to_string(),
                    detail,
                },
            )
        };
        let Some(new_text) = apply_edits(&text, &edits) else {
            return Err(blame(
                taken[0],
                "its edits overlap or fall outside the text".into(),
            ));
        };
        let before = match before_data.take() {
            Some(d) => d,
            None => data::load(&text).map_err(|e| oracle_rejects(path, e))?,
        };
        let (reparsed, after) = verify_round(verifier, &text, &new_text, &before, &taken)
            .map_err(|(c, d)| blame(c, d))?;
        findings.extend(taken.iter().map(|c| finding(c, locate(c.fix.range), true)));
        for c in &taken {
            for file in &c.fix.new_files {
                created.push(CreatedFile {
                    path: dir.join(&file.path),
                    contents: file.contents.clone(),
                });
            }
        }
        history.push(RoundShifts::new(&edits));
        before_data = Some(after);
        next_parse = Some(reparsed);
        text = new_text;
    }
    findings.sort_by(|a, b| (a.start, a.end, a.codemod).cmp(&(b.start, b.end, b.codemod)));
    Ok(Outcome {
        is_flow: true,
        text,
        findings,
        created,
    })
}

fn oracle_rejects(path: &Path, e: data::LoadError) -> Error {
    let pos = (e.line > 0).then_some(LineCol {
        line: e.line as u32,
        col: e.col as u32,
    });
    Error::new(path, pos, ErrorKind::InvalidYaml(e.message))
}

fn finding(c: &Candidate, (start, end): (LineCol, LineCol), fixed: bool) -> Finding {
    Finding {
        codemod: c.codemod,
        message: c.fix.message.clone(),
        start,
        end,
        applicability: c.fix.applicability,
        fixed,
    }
}

/// Indices of the fixes to apply this round: applicable ones whose edits
/// overlap no fix taken before them (the rest wait for the next round).
fn select(
    candidates: &[Candidate],
    unsafe_fixes: bool,
    created: &[CreatedFile],
    dir: &Path,
) -> Vec<usize> {
    let mut order: Vec<usize> = (0..candidates.len())
        .filter(|&i| {
            let fix = &candidates[i].fix;
            let allowed = match fix.applicability {
                Applicability::Safe => true,
                Applicability::Unsafe => unsafe_fixes,
                Applicability::DisplayOnly => false,
            };
            allowed && (!fix.edits.is_empty() || !fix.new_files.is_empty())
        })
        .collect();
    order.sort_by_key(|&i| candidates[i].fix.edit_span().map(|r| (r.start(), r.end())));
    // `order` is sorted by span start, so a span overlaps (or touches) a
    // taken one exactly when it starts at or before the furthest taken end.
    let mut taken_end: Option<TextSize> = None;
    let mut files: Vec<PathBuf> = created.iter().map(|f| f.path.clone()).collect();
    let mut taken = Vec::new();
    // A fix that promises every instance's effective configuration is
    // checked over the whole flow, so a round holds either such fixes only
    // or none of them: another fix's intended change would break the
    // promise, and the blame would land on the wrong fix.
    let promises = |i: usize| {
        candidates[i]
            .fix
            .changes
            .contains(&DataChange::SameEffectiveConfig)
    };
    let round_promises = order.first().map(|&i| promises(i));
    for i in order {
        if Some(promises(i)) != round_promises {
            continue;
        }
        let fix = &candidates[i].fix;
        let span = fix.edit_span();
        let overlaps = span.is_some_and(|s| taken_end.is_some_and(|e| s.start() <= e));
        let new_paths: Vec<PathBuf> = fix.new_files.iter().map(|f| dir.join(&f.path)).collect();
        let same_file = new_paths.iter().any(|p| files.contains(p));
        if overlaps || same_file {
            continue;
        }
        if let Some(s) = span {
            taken_end = taken_end.max(Some(s.end()));
        }
        files.extend(new_paths);
        taken.push(i);
    }
    taken
}

/// Checks the round's text against the oracle; on failure names the fix
/// to blame (the first that fails alone, else the first of the round).
fn verify_round<'c>(
    verifier: &Verifier,
    text: &str,
    new_text: &str,
    before: &[Value],
    taken: &[&'c Candidate],
) -> Result<(Parse, Vec<Value>), (&'c Candidate, String)> {
    let combined = check(
        verifier,
        new_text,
        before,
        taken
            .iter()
            .flat_map(|c| c.fix.changes.iter().cloned())
            .collect(),
    );
    match combined {
        Ok(checked) => Ok(checked),
        Err(detail) => {
            Err(failing_alone(verifier, text, before, taken).unwrap_or((taken[0], detail)))
        }
    }
}

/// The first fix of `fixes` that fails on its own, found by halving: each
/// check reads the whole file, so a check per fix would be quadratic in a
/// large flow. A half that passes holds no fix failing alone (a fix that
/// fails alone fails with others beside it).
fn failing_alone<'c>(
    verifier: &Verifier,
    text: &str,
    before: &[Value],
    fixes: &[&'c Candidate],
) -> Option<(&'c Candidate, String)> {
    let check_together = |fixes: &[&Candidate]| {
        let edits: Vec<TextEdit> = fixes
            .iter()
            .flat_map(|c| c.fix.edits.iter().cloned())
            .collect();
        let changes = fixes
            .iter()
            .flat_map(|c| c.fix.changes.iter().cloned())
            .collect();
        apply_edits(text, &edits)
            .ok_or_else(|| "its edits overlap or fall outside the text".to_string())
            .and_then(|t| check(verifier, &t, before, changes))
    };
    match fixes {
        [] => None,
        [one] => check_together(fixes).err().map(|d| (*one, d)),
        _ => {
            let (first, second) = fixes.split_at(fixes.len() / 2);
            [first, second].into_iter().find_map(|half| {
                check_together(half)
                    .err()
                    .and_then(|_| failing_alone(verifier, text, before, half))
            })
        }
    }
}

/// The fixed text's tree (reused by the next round) and the oracle's data.
fn check(
    verifier: &Verifier,
    new_text: &str,
    before: &[Value],
    changes: Vec<DataChange>,
) -> Result<(Parse, Vec<Value>), String> {
    let reparsed = syntax::parse(new_text);
    if let Some(e) = reparsed.errors().first() {
        return Err(format!("the fixed text does not parse: {}", e.message));
    }
    let after =
        data::load(new_text).map_err(|e| format!("the fixed text is not valid YAML: {e}"))?;
    verifier.verify(before, &after, &changes)?;
    Ok((reparsed, after))
}

/// One round's edits, sorted, each with the shift of offsets after it,
/// so an offset maps back by binary search: a flow with many thousands
/// of fixes and findings would be quadratic with a scan per offset.
struct RoundShifts {
    /// (start before the round, start after it, length after it, shift
    /// of the offsets past this edit)
    edits: Vec<(i64, i64, i64, i64)>,
}

impl RoundShifts {
    fn new(edits: &[TextEdit]) -> Self {
        let mut sorted: Vec<&TextEdit> = edits.iter().collect();
        sorted.sort_by_key(|e| e.range.start());
        let mut delta: i64 = 0;
        let edits = sorted
            .into_iter()
            .map(|e| {
                let start = i64::from(u32::from(e.range.start()));
                let old_len = i64::from(u32::from(e.range.len()));
                let new_len = e.new_text.len() as i64;
                let new_start = start + delta;
                delta += new_len - old_len;
                (start, new_start, new_len, delta)
            })
            .collect();
        RoundShifts { edits }
    }
}

/// Maps an offset in the text after `history`'s edits back to the text
/// before them; offsets inside an edit's new text map to its start.
fn map_back(history: &[RoundShifts], offset: TextSize) -> TextSize {
    let mut offset = i64::from(u32::from(offset));
    for round in history.iter().rev() {
        // The last edit starting at or before the offset is the only one
        // that can hold it: edits do not overlap.
        let n = round.edits.partition_point(|e| e.1 <= offset);
        if let Some(&(start, new_start, new_len, delta)) = n.checked_sub(1).map(|i| &round.edits[i])
        {
            offset = if offset < new_start + new_len {
                start
            } else {
                offset - delta
            };
        }
    }
    TextSize::from(offset.max(0) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_offsets_back_through_edits() {
        // "aaa bbb ccc" -> "aaa BBBBB ccc"
        let round = vec![TextEdit::replace(
            TextRange::new(4.into(), 7.into()),
            "BBBBB",
        )];
        let history = vec![RoundShifts::new(&round)];
        assert_eq!(map_back(&history, 2.into()), TextSize::from(2));
        assert_eq!(map_back(&history, 6.into()), TextSize::from(4));
        assert_eq!(map_back(&history, 10.into()), TextSize::from(8));
    }
}

/// The engine with codemods that misbehave on purpose, or create files.
#[cfg(test)]
mod engine_tests {
    use super::*;
    use crate::codemods::{Codemod, NewFile, Safety};
    use crate::kestra::KestraVersion;
    use crate::syntax::ast::AstNode;
    use crate::syntax::TextRange;

    /// Rewrites `description: extract-me` to point at a file it creates.
    struct Extract;
    /// Changes a value but declares a different one.
    struct Liar;
    /// Appends to the description forever.
    struct Restless;

    fn description(ctx: &FlowContext) -> Option<(TextRange, String)> {
        let node = ctx.flow.root().get_value("description")?;
        let scalar = node.as_scalar()?.clone();
        Some((scalar.syntax().text_range(), scalar.value().into_owned()))
    }

    macro_rules! meta {
        ($name:literal) => {
            fn name(&self) -> &'static str {
                $name
            }
            fn summary(&self) -> &'static str {
                "test"
            }
            fn safety(&self) -> Safety {
                Safety::Safe
            }
            fn default_on(&self, _: KestraVersion) -> bool {
                true
            }
            fn docs(&self) -> &'static str {
                ""
            }
            fn check_options(&self, _: &toml::Table) -> Result<(), String> {
                Ok(())
            }
        };
    }

    impl Codemod for Extract {
        meta!("extract");
        fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
            let Some((range, value)) = description(ctx).filter(|(_, v)| v == "extract-me") else {
                return Vec::new();
            };
            let changes = vec![DataChange::set_string(
                crate::kestra::path::DataPath::root().key("description"),
                "see notes/desc.txt",
            )];
            vec![Fix::new(
                range,
                "extract",
                Applicability::Safe,
                vec![TextEdit::replace(range, "see notes/desc.txt")],
                changes,
            )
            .with_new_file(NewFile {
                path: "notes/desc.txt".into(),
                contents: format!("{value}\n"),
            })]
        }
    }

    impl Codemod for Liar {
        meta!("liar");
        fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
            let Some((range, _)) = description(ctx).filter(|(_, v)| v != "changed") else {
                return Vec::new();
            };
            let changes = vec![DataChange::set_string(
                crate::kestra::path::DataPath::root().key("description"),
                "declared",
            )];
            vec![Fix::new(
                range,
                "lie",
                Applicability::Safe,
                vec![TextEdit::replace(range, "changed")],
                changes,
            )]
        }
    }

    impl Codemod for Restless {
        meta!("restless");
        fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
            let Some((range, value)) = description(ctx) else {
                return Vec::new();
            };
            let new = format!("{value}x");
            let changes = vec![DataChange::set_string(
                crate::kestra::path::DataPath::root().key("description"),
                new.clone(),
            )];
            vec![Fix::new(
                range,
                "more",
                Applicability::Safe,
                vec![TextEdit::replace(range, new)],
                changes,
            )]
        }
    }

    static EXTRACT: Extract = Extract;
    static LIAR: Liar = Liar;
    static RESTLESS: Restless = Restless;

    const FLOW: &str = "id: f\nnamespace: n\ndescription: extract-me\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n";

    fn settings(codemod: &'static dyn Codemod) -> Settings {
        Settings {
            codemods: vec![codemod],
            unsafe_fixes: false,
            target_version: KestraVersion::DEFAULT,
            codemod_options: Default::default(),
        }
    }

    fn flow_in(dir: &Path) -> PathBuf {
        let path = dir.join("flow.yaml");
        std::fs::write(&path, FLOW).unwrap();
        path
    }

    fn git(dir: &Path, args: &[&str]) {
        let ok = std::process::Command::new("git")
            .args(args)
            .current_dir(dir)
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    }

    #[test]
    fn created_files_are_in_the_patch_and_written_the_same() {
        let patched = tempfile::tempdir().unwrap();
        let applied = tempfile::tempdir().unwrap();
        git(patched.path(), &["init", "-q"]);
        let dry = process_file(
            &flow_in(patched.path()),
            &settings(&EXTRACT),
            &Verifier::default(),
            false,
        );
        assert!(dry.errors.is_empty(), "{:?}", dry.errors);
        assert_eq!(dry.created.len(), 1);
        assert!(
            !patched.path().join("notes").exists(),
            "a dry run writes nothing"
        );

        let mut patch = String::new();
        crate::report::diff::file_diff(
            &mut patch,
            "flow.yaml",
            Some(FLOW),
            dry.fixed.as_ref().unwrap(),
            false,
        );
        crate::report::diff::file_diff(
            &mut patch,
            "notes/desc.txt",
            None,
            &dry.created[0].contents,
            false,
        );
        std::fs::write(patched.path().join("fix.patch"), patch).unwrap();
        git(patched.path(), &["apply", "--check", "fix.patch"]);
        git(patched.path(), &["apply", "fix.patch"]);

        let run = process_file(
            &flow_in(applied.path()),
            &settings(&EXTRACT),
            &Verifier::default(),
            true,
        );
        assert!(run.errors.is_empty());
        for file in ["flow.yaml", "notes/desc.txt"] {
            let a = std::fs::read(patched.path().join(file)).unwrap();
            let b = std::fs::read(applied.path().join(file)).unwrap();
            assert_eq!(a, b, "{file}");
        }
        let again = process_file(
            &applied.path().join("flow.yaml"),
            &settings(&EXTRACT),
            &Verifier::default(),
            true,
        );
        assert!(!again.changed());
    }

    #[test]
    fn a_different_existing_file_is_a_conflict_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let flow = flow_in(dir.path());
        std::fs::create_dir(dir.path().join("notes")).unwrap();
        std::fs::write(dir.path().join("notes/desc.txt"), "mine\n").unwrap();
        let run = process_file(&flow, &settings(&EXTRACT), &Verifier::default(), true);
        assert!(
            matches!(run.errors[0].kind, ErrorKind::Conflict { .. }),
            "{:?}",
            run.errors
        );
        assert_eq!(std::fs::read_to_string(&flow).unwrap(), FLOW);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("notes/desc.txt")).unwrap(),
            "mine\n"
        );

        // The same contents already there is no conflict, and not rewritten.
        std::fs::write(dir.path().join("notes/desc.txt"), "extract-me\n").unwrap();
        let run = process_file(&flow, &settings(&EXTRACT), &Verifier::default(), true);
        assert!(run.errors.is_empty() && run.created.is_empty());
        assert_ne!(std::fs::read_to_string(&flow).unwrap(), FLOW);
    }

    #[cfg(unix)]
    #[test]
    fn created_files_never_go_through_symlinks_or_leave_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let flow = flow_in(dir.path());
        std::os::unix::fs::symlink(outside.path(), dir.path().join("notes")).unwrap();
        let run = process_file(&flow, &settings(&EXTRACT), &Verifier::default(), true);
        assert!(
            matches!(&run.errors[0].kind, ErrorKind::UnsafePath { reason, .. } if reason.contains("symbolic link")),
            "{:?}",
            run.errors
        );
        assert!(run.created.is_empty() && run.fixed.is_none());
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
        assert_eq!(std::fs::read_to_string(&flow).unwrap(), FLOW);

        let d = dir.path();
        assert!(contained(d, &d.join("a/b.txt")).is_ok());
        assert!(contained(d, &d.join("../b.txt")).is_err());
        assert!(contained(d, &d.join("a/../../b.txt")).is_err());
        assert!(contained(d, Path::new("/etc/passwd")).is_err());
        assert!(contained(d, d).is_err());
    }

    #[test]
    fn a_fix_that_fails_verification_leaves_the_file_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let flow = flow_in(dir.path());
        let run = process_file(&flow, &settings(&LIAR), &Verifier::default(), true);
        let err = &run.errors[0];
        assert!(
            matches!(&err.kind, ErrorKind::Verification { codemod, .. } if codemod == "liar"),
            "{err}"
        );
        assert!(err.to_string().contains("description"), "{err}");
        assert_eq!(err.position.map(|p| (p.line, p.col)), Some((3, 14)));
        assert!(run.fixed.is_none());
        assert_eq!(std::fs::read_to_string(&flow).unwrap(), FLOW);
    }

    #[test]
    fn endless_fixes_do_not_converge_and_change_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let flow = flow_in(dir.path());
        let run = process_file(&flow, &settings(&RESTLESS), &Verifier::default(), true);
        assert!(matches!(
            run.errors[0].kind,
            ErrorKind::NotConverged { rounds: MAX_ROUNDS }
        ));
        assert_eq!(std::fs::read_to_string(&flow).unwrap(), FLOW);
    }
}
