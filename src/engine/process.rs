//! One file through the fix loop: run codemods, take non-overlapping
//! edits, apply, re-parse, verify, repeat until nothing changes.

use super::config::Settings;
use super::error::{Error, ErrorKind};
use super::verify::{self, Verifier};
use super::write::{self, ReadStamp};
use crate::codemods::{FlowContext, Phase};
use crate::fix::oracle as data;
use crate::fix::suppress::{NoteKind, SuppressionNote, Suppressions};
use crate::fix::{Applicability, DataChange, Fix};
use crate::kestra::flow::Flow;
use crate::syntax::edit::{apply_edits, TextEdit};
use crate::syntax::value::Value;
use crate::syntax::Parse;
use crate::syntax::{self, LineCol, LineIndex, TextRange, TextSize};
use std::path::{Path, PathBuf};

/// Rounds of fixes before a file is declared non-converging.
pub const MAX_ROUNDS: usize = 32;

/// A finding, positioned in the file as it was before the run.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub codemod: &'static str,
    pub message: String,
    pub start: LineCol,
    pub end: LineCol,
    pub applicability: Applicability,
    /// The refusal's stable code, for a finding a codemod left to a person.
    pub refusal: Option<&'static str>,
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
    /// The file as read, checked again before it is replaced.
    pub(crate) stamp: Option<ReadStamp>,
    /// Files this flow needs that another flow of the run creates
    /// identically (and reports); see `engine::resolve_claims`.
    pub(crate) shared: Vec<CreatedFile>,
    /// Suppressions naming no codemod or suppressing nothing, at their
    /// comment's position in `original`.
    pub suppression_notes: Vec<(LineCol, NoteKind)>,
    /// For YAML that looks like a flow but is none, what it lacks.
    pub skip_reason: Option<String>,
    /// Set once the engine let go of `original` and `fixed` (see
    /// [`FileReport::release_texts`]).
    pub released: Option<Released>,
}

/// What stays of a file's texts once a run has released them.
#[derive(Debug)]
pub struct Released {
    /// The fixes changed the text.
    pub changed: bool,
    /// What the run's caller rendered from the texts before (its patch).
    pub rendering: Option<String>,
    /// The original's digest, kept when the fixed text is to be written.
    original: Option<write::Digest>,
}

impl FileReport {
    pub fn changed(&self) -> bool {
        self.text_changed() || !self.created.is_empty()
    }

    /// The fixes change the flow's own text.
    pub fn text_changed(&self) -> bool {
        self.fixed.is_some() || self.released.as_ref().is_some_and(|r| r.changed)
    }

    /// Drops the original and fixed texts, keeping whether they differed
    /// and `rendering`, what the caller made of them.
    pub(crate) fn release_texts(&mut self, rendering: Option<String>) {
        self.released = Some(Released {
            changed: self.fixed.is_some(),
            rendering,
            original: None,
        });
        self.original = String::new();
        self.fixed = None;
    }

    /// Drops the original text, keeping its digest, which the write checks
    /// the file on disk against, and `rendering`.
    pub(crate) fn release_original(&mut self, rendering: Option<String>) {
        self.released = Some(Released {
            changed: self.fixed.is_some(),
            rendering,
            original: Some(write::Digest::of(self.original.as_bytes())),
        });
        self.original = String::new();
    }

    /// Whether `bytes` are the text this report was made from (never, once
    /// both texts are released: such a report is not written).
    pub(crate) fn is_original(&self, bytes: &[u8]) -> bool {
        match &self.released {
            Some(r) => r.original == Some(write::Digest::of(bytes)),
            None => bytes == self.original.as_bytes(),
        }
    }

    /// Forgets every change: nothing of it is (or will be) on disk.
    pub(crate) fn unfix(&mut self) {
        self.fixed = None;
        if let Some(r) = &mut self.released {
            r.changed = false;
            r.rendering = None;
        }
        self.created.clear();
        self.shared.clear();
        self.findings.iter_mut().for_each(|f| f.fixed = false);
    }
}

/// A fix with the codemod that made it and the round's text coordinates.
struct Candidate {
    codemod: &'static str,
    phase: Phase,
    fix: Fix,
}

/// Processes one file; with `write`, fixed text goes to disk atomically.
pub fn process_file(
    path: &Path,
    settings: &Settings,
    verifier: &Verifier,
    write: bool,
) -> FileReport {
    let mut report = analyze(path, settings, verifier);
    if write {
        write::remove_stale_temps([&report]);
        write::commit(&mut report);
    }
    report
}

/// Reads one file and runs the fix loop over it, and over every flow file
/// its fixes create, writing nothing.
pub(crate) fn analyze(path: &Path, settings: &Settings, verifier: &Verifier) -> FileReport {
    let mut report = FileReport {
        path: path.to_path_buf(),
        ..FileReport::default()
    };
    // Stamped before the read: a change in between shows at write time.
    match std::fs::metadata(path) {
        Ok(meta) => report.stamp = Some(ReadStamp::of(&meta)),
        Err(e) => return report.fail(Error::new(path, None, ErrorKind::Read(e))),
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return report.fail(Error::new(path, None, ErrorKind::Read(e))),
    };
    analyze_bytes(report, bytes, settings, verifier, true)
}

/// A flow read from standard input, named `name`, through the fix loop.
/// Nothing is written from such a run, so a fix that would create files
/// stays a finding that says so.
pub fn analyze_stdin(
    name: &Path,
    bytes: Vec<u8>,
    settings: &Settings,
    verifier: &Verifier,
) -> FileReport {
    let report = FileReport {
        path: name.to_path_buf(),
        ..FileReport::default()
    };
    analyze_bytes(report, bytes, settings, verifier, false)
}

fn analyze_bytes(
    mut report: FileReport,
    bytes: Vec<u8>,
    settings: &Settings,
    verifier: &Verifier,
    create_files: bool,
) -> FileReport {
    let path = report.path.clone();
    let path = path.as_path();
    let original = match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e)
            if e.as_bytes().starts_with(&[0xFF, 0xFE])
                || e.as_bytes().starts_with(&[0xFE, 0xFF]) =>
        {
            return report.fail(Error::new(path, Some(FIRST), ErrorKind::NotText(UTF16_BOM)));
        }
        Err(e) => {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let text = String::from_utf8_lossy(valid);
            let pos = LineIndex::new(&text).line_col(&text, TextSize::of(text.as_ref()));
            return report.fail(Error::new(path, Some(pos), ErrorKind::NotUtf8));
        }
    };
    if let Some((pos, why)) = not_text(&original) {
        return report.fail(Error::new(path, Some(pos), ErrorKind::NotText(why)));
    }
    report.original = original;
    let outcome = match fix_text(path, &report.original, settings, verifier, create_files) {
        Ok(outcome) => outcome,
        Err(e) => return report.fail(e),
    };
    report.is_flow = outcome.is_flow;
    report.findings = outcome.findings;
    report.errors = outcome.errors;
    report.skip_reason = outcome.skip_reason;
    if !outcome.suppression_notes.is_empty() {
        let index = LineIndex::new(&report.original);
        report.suppression_notes = outcome
            .suppression_notes
            .into_iter()
            .map(|n| (index.line_col(&report.original, n.at), n.kind))
            .collect();
    }
    if outcome.text != report.original {
        report.fixed = Some(outcome.text);
    }
    // Flow files the fixes create go through the same loop with the same
    // settings before anything is written, so that a second run has
    // nothing left to do; so do the flows those create in turn.
    let mut queue: std::collections::VecDeque<(CreatedFile, usize)> =
        outcome.created.into_iter().map(|f| (f, 1)).collect();
    while let Some((mut file, depth)) = queue.pop_front() {
        if super::walk::is_yaml(&file.path) {
            if depth > MAX_ROUNDS {
                let kind = ErrorKind::NotConverged { rounds: MAX_ROUNDS };
                return report.fail_unchanged(Error::new(&file.path, None, kind));
            }
            match fix_text(&file.path, &file.contents, settings, verifier, create_files) {
                Ok(o) if o.is_flow => {
                    file.contents = o.text;
                    report.errors.extend(o.errors);
                    queue.extend(o.created.into_iter().map(|f| (f, depth + 1)));
                }
                Ok(_) => {}
                Err(e) => return report.fail_unchanged(e),
            }
        }
        report.created.push(file);
    }
    if let Err(e) = check_conflicts(path, &mut report.created) {
        return report.fail_unchanged(e);
    }
    report
}

/// Appended to a finding whose fix creates files, in a run on standard input.
pub const NO_NEW_FILES: &str =
    " (not applied: this fix creates files, which a run on standard input does not write)";

const FIRST: LineCol = LineCol { line: 1, col: 1 };
const UTF16_BOM: &str =
    "UTF-16 text (it starts with a UTF-16 byte order mark); kestra-fix reads UTF-8 only";

/// Text that decodes as UTF-8 yet is no YAML stream: a UTF-16 file
/// without a byte order mark, binary data, or a doubled byte order mark
/// (the second one would become part of the first key).
fn not_text(text: &str) -> Option<(LineCol, &'static str)> {
    if text.starts_with("\u{feff}\u{feff}") {
        return Some((FIRST, "starts with two byte order marks; remove one"));
    }
    let bytes = text.as_bytes();
    let first_nul = bytes.iter().position(|&b| b == 0)?;
    if bytes.iter().all(|&b| b == 0) {
        return Some((FIRST, "only NUL bytes: not a YAML file"));
    }
    // Mostly-ASCII UTF-16 has a NUL in nearly every other byte.
    let nuls_at = |parity: usize| {
        bytes
            .iter()
            .skip(parity)
            .step_by(2)
            .filter(|&&b| b == 0)
            .count()
    };
    let half = bytes.len() / 2;
    if half > 0 && (nuls_at(0) * 10 >= half * 9 || nuls_at(1) * 10 >= half * 9) {
        return Some((
            FIRST,
            "UTF-16 text without a byte order mark; kestra-fix reads UTF-8 only",
        ));
    }
    let before = &text[..first_nul];
    let pos = LineIndex::new(before).line_col(before, TextSize::of(before));
    Some((pos, "contains a NUL byte, which YAML does not allow"))
}

impl FileReport {
    fn fail(mut self, error: Error) -> Self {
        self.errors.push(error);
        self
    }

    fn fail_unchanged(mut self, error: Error) -> Self {
        self.unfix();
        self.fail(error)
    }
}

/// Keeps created files that are not on disk yet; a different file already
/// there is a conflict that stops the whole flow's change, and so is a file
/// outside the flow's folder or reached through a symbolic link.
fn check_conflicts(path: &Path, created: &mut Vec<CreatedFile>) -> Result<(), Error> {
    let dir = path.parent().unwrap_or(Path::new(""));
    let mut pending: Vec<CreatedFile> = Vec::new();
    for file in created.drain(..) {
        if let Some(seen) = pending.iter().find(|p| p.path == file.path) {
            if seen.contents == file.contents {
                continue;
            }
            return Err(Error::new(
                path,
                None,
                ErrorKind::SharedConflict {
                    created: file.path,
                    other: path.to_path_buf(),
                },
            ));
        }
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

struct Outcome {
    is_flow: bool,
    text: String,
    findings: Vec<Finding>,
    created: Vec<CreatedFile>,
    /// Fixes the verifier rejected: dropped, the others kept.
    errors: Vec<Error>,
    suppression_notes: Vec<SuppressionNote>,
    skip_reason: Option<String>,
}

/// A fix the verifier rejected, by codemod, message and span in the
/// original text, so later rounds do not take it again.
type Rejected = (&'static str, String, TextSize, TextSize);

/// How the fix loop checks each round against the independent parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verification {
    /// Each round's text is checked by the declared data it leads to
    /// (declared changes replayed, promises checked on that data), and
    /// the final text is read once by the independent parser and compared
    /// with the declared data of the last round. One read of the final
    /// text instead of one per round; any doubt means `Recheck`.
    Final,
    /// Each round's text is read by the independent parser and held to
    /// its declared changes; a rejected fix is found, dropped alone and
    /// reported.
    PerRound,
}

/// Why the fix loop stopped without an outcome.
enum Failure {
    /// The user's text is at fault (or a limit was hit): the file's error.
    Error(Error),
    /// A check of [`Verification::Final`] failed: run again per round to
    /// find, drop and report the fix to blame.
    Recheck,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Error(e)
    }
}

/// The fix loop over a text. `Err` leaves the file as it was.
///
/// The text is verified once at the end; only when that check fails is
/// the loop run again verifying every round, which names the fix at fault
/// exactly as a per-round check would have.
fn fix_text(
    path: &Path,
    original: &str,
    settings: &Settings,
    verifier: &Verifier,
    create_files: bool,
) -> Result<Outcome, Error> {
    let per_round = || match run_rounds(
        path,
        original,
        settings,
        verifier,
        Verification::PerRound,
        create_files,
    ) {
        Ok(outcome) => Ok(outcome),
        Err(Failure::Error(e)) => Err(e),
        Err(Failure::Recheck) => unreachable!("per-round verification settles every round itself"),
    };
    match run_rounds(
        path,
        original,
        settings,
        verifier,
        Verification::Final,
        create_files,
    ) {
        Ok(outcome) => Ok(outcome),
        Err(Failure::Error(e)) => Err(e),
        Err(Failure::Recheck) => per_round(),
    }
}

fn run_rounds(
    path: &Path,
    original: &str,
    settings: &Settings,
    verifier: &Verifier,
    verification: Verification,
    create_files: bool,
) -> Result<Outcome, Failure> {
    let original_index = LineIndex::new(original);
    let mut text = original.to_string();
    // Edits applied in each round, to map later positions back to `original`.
    let mut history: Vec<RoundShifts> = Vec::new();
    let mut before_data: Option<Vec<Value>> = None;
    let mut promised = Promised::default();
    let mut phases: Vec<Phase> = settings.codemods.iter().map(|c| c.phase()).collect();
    phases.sort();
    phases.dedup();
    // The tree verification built for the text the next round starts from.
    let mut next_parse: Option<Parse> = None;
    let mut findings = Vec::new();
    let mut created: Vec<CreatedFile> = Vec::new();
    let mut errors = Vec::new();
    let mut rejected: Vec<Rejected> = Vec::new();
    let dir = path.parent().unwrap_or(Path::new(""));
    // Round 0's directives, with the uses of every round.
    let mut suppressions_used: Option<Suppressions> = None;

    for round in 0..=MAX_ROUNDS {
        let parse = next_parse.take().unwrap_or_else(|| syntax::parse(&text));
        if let Some(err) = parse.errors().first() {
            // Round 0 is the user's text; later rounds were verified to
            // parse before they were kept, so this is the user's error.
            let pos = original_index.line_col(original, err.range.start());
            let kind = ErrorKind::InvalidYaml(err.message.clone());
            return Err(Error::new(path, Some(pos), kind).into());
        }
        let Some(flow) = Flow::cast(&parse) else {
            return Ok(Outcome {
                is_flow: false,
                skip_reason: super::skip::reason(&parse),
                text,
                findings,
                created,
                errors,
                suppression_notes: Vec::new(),
            });
        };
        let line_index = LineIndex::new(&text);
        let suppressions = Suppressions::collect(&text, &parse, &line_index, Some(&flow));
        if suppressions.file() {
            break;
        }
        let mut candidates = Vec::new();
        // Finally verified, a round starts from the data the declared
        // changes led to instead of decoding its text again: the one read
        // of the fixed text checks that data, and a mismatch reruns the
        // file per round, where every round decodes its own text.
        let shared = match before_data.take() {
            Some(data) if verification == Verification::Final => {
                crate::codemods::Round::with_documents(data)
            }
            data => {
                before_data = data;
                crate::codemods::Round::default()
            }
        };
        let key = |c: &Candidate| -> Rejected {
            let start = map_back(&history, c.fix.range.start());
            let end = map_back(&history, c.fix.range.end());
            (c.codemod, c.fix.message.clone(), start, end)
        };
        let blocked = |c: &Candidate| rejected.contains(&key(c));
        // Without files to create, a fix that creates some is not taken.
        let blocked = |c: &Candidate| blocked(c) || (!create_files && !c.fix.new_files.is_empty());
        // Phases run in order, and a round applies only the earliest phase
        // with something to apply: once a phase has, the later ones would
        // only be run again on the next round's text.
        let mut taken = Vec::new();
        for &phase in &phases {
            for codemod in settings.codemods.iter().filter(|c| c.phase() == phase) {
                let ctx = FlowContext {
                    path,
                    text: &text,
                    parse: &parse,
                    flow: &flow,
                    line_index: &line_index,
                    target_version: settings.target_version,
                    catalog: settings.catalog,
                    options: settings.options_for(codemod.name()),
                    suppressions: &suppressions,
                    codemod: codemod.name(),
                    round: &shared,
                };
                candidates.extend(
                    codemod
                        .run(&ctx)
                        .into_iter()
                        .filter(|f| {
                            !suppressions.covers_any(
                                &[codemod.name(), codemod.family().name()],
                                f.range.start(),
                            )
                        })
                        .map(|fix| Candidate {
                            codemod: codemod.name(),
                            phase: codemod.phase(),
                            fix,
                        }),
                );
            }
            taken = select(&candidates, settings.unsafe_fixes, &created, dir, &blocked);
            if !taken.is_empty() {
                break;
            }
        }
        match &mut suppressions_used {
            Some(used) => used.absorb(&suppressions),
            None => suppressions_used = Some(suppressions.clone()),
        }
        let locate = |range: TextRange| {
            let start = map_back(&history, range.start());
            let end = map_back(&history, range.end()).max(start);
            (
                original_index.line_col(original, start),
                original_index.line_col(original, end),
            )
        };
        if taken.is_empty() {
            findings.extend(candidates.iter().flat_map(|c| {
                findings_of(c, &locate, false).map(|mut f| {
                    if !create_files && !c.fix.new_files.is_empty() {
                        f.message.push_str(NO_NEW_FILES);
                    }
                    f
                })
            }));
            if before_data.is_none() && !history.is_empty() {
                before_data = Some(shared.into_documents(&parse).ok_or(Failure::Recheck)?);
            }
            break;
        }
        if round == MAX_ROUNDS {
            // A fix that misdeclares its change could be what keeps the
            // loop going; the per-round check would drop it.
            if verification == Verification::Final {
                return Err(Failure::Recheck);
            }
            let kind = ErrorKind::NotConverged { rounds: MAX_ROUNDS };
            return Err(Error::new(path, None, kind).into());
        }
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
        if before_data.is_none() {
            // Per round, the independent parser reads the text before and
            // after. Finally, it reads only the fixed text, and our own
            // reading of the original stands in: where the two parsers
            // read the original differently, the final comparison fails
            // and the file is checked again per round.
            before_data = match verification {
                Verification::Final => Some(shared.into_documents(&parse).ok_or(Failure::Recheck)?),
                Verification::PerRound => {
                    Some(data::load(&text).map_err(|e| oracle_rejects(path, e))?)
                }
            };
        }
        let before = before_data.as_deref().unwrap_or_default();
        // A rejected fix is dropped alone: the round is retried without
        // it, so the file keeps every fix that verifies.
        if verification == Verification::Final {
            let round: Vec<&Candidate> = taken.iter().map(|&i| &candidates[i]).collect();
            let Some((edits, new_text, reparsed, changes)) = declared_round(&text, &parse, &round)
            else {
                return Err(Failure::Recheck);
            };
            let expected =
                crate::fix::change::replay(before, &changes).map_err(|_| Failure::Recheck)?;
            // Rounds that promise an unchanged effective configuration come
            // one after another (a round holds only such fixes or none),
            // so the promise is checked once over the whole run of them.
            let promising = changes.contains(&DataChange::SameEffectiveConfig);
            if !promising {
                promised.check(verifier, before)?;
                verifier
                    .promises(before, &expected, &changes)
                    .map_err(|_| Failure::Recheck)?;
            }
            applied(&round, &mut findings, &mut created, dir, &locate);
            history.push(RoundShifts::new(&edits));
            let before = before_data.replace(expected);
            if promising {
                promised.extend(before.unwrap_or_default(), changes);
            }
            next_parse = Some(reparsed);
            text = new_text;
            continue;
        }
        let verified = loop {
            if taken.is_empty() {
                break None;
            }
            let round: Vec<&Candidate> = taken.iter().map(|&i| &candidates[i]).collect();
            let edits = edits_of(&round);
            let outcome = match apply_edits(&text, &edits) {
                Some(new_text) => verify_round(verifier, &text, &new_text, before, &round)
                    .map(|(reparsed, after)| (new_text, reparsed, after)),
                None => Err((round[0], OVERLAPPING.to_string())),
            };
            match outcome {
                Ok((new_text, reparsed, after)) => {
                    break Some((round, edits, new_text, reparsed, after))
                }
                Err((c, detail)) => {
                    errors.push(blame(c, detail));
                    rejected.push(key(c));
                    taken.retain(|&i| !std::ptr::eq(&candidates[i], c));
                }
            }
        };
        let Some((taken, edits, new_text, reparsed, after)) = verified else {
            // Every fix of the round was rejected; others may have waited
            // behind them, so the round runs again on the same text.
            next_parse = Some(parse);
            continue;
        };
        applied(&taken, &mut findings, &mut created, dir, &locate);
        history.push(RoundShifts::new(&edits));
        before_data = Some(after);
        next_parse = Some(reparsed);
        text = new_text;
    }
    if verification == Verification::Final && !history.is_empty() {
        // The one read of the fixed text: it must hold exactly the data
        // the declared changes of every round lead to.
        let expected = before_data.as_deref().unwrap_or_default();
        promised.check(verifier, expected)?;
        match data::load(&text) {
            Ok(after) if verify::same_data(expected, &after).is_ok() => {}
            _ => return Err(Failure::Recheck),
        }
    }
    findings.sort_by(|a, b| (a.start, a.end, a.codemod).cmp(&(b.start, b.end, b.codemod)));
    let suppression_notes = suppressions_used.map_or_else(Vec::new, |s| {
        s.notes(
            |name| super::config::codemods_named(name).is_ok(),
            |name| {
                settings
                    .codemods
                    .iter()
                    .any(|c| c.name() == name || c.family().name() == name)
            },
        )
    });
    Ok(Outcome {
        is_flow: true,
        skip_reason: None,
        text,
        findings,
        created,
        errors,
        suppression_notes,
    })
}

/// The round's edits applied, the new text parsed by our parser, and the
/// round's declared changes; `None` when the edits do not apply or the
/// text does not parse.
fn declared_round(
    text: &str,
    parse: &Parse,
    round: &[&Candidate],
) -> Option<(Vec<TextEdit>, String, Parse, Vec<DataChange>)> {
    let edits = edits_of(round);
    let new_text = apply_edits(text, &edits)?;
    let reparsed = parse.reparse(text, &edits, &new_text);
    if !reparsed.errors().is_empty() {
        return None;
    }
    let changes = changes_of(round);
    Some((edits, new_text, reparsed, changes))
}

/// Consecutive rounds whose fixes promise an unchanged effective
/// configuration: the data before the first and their declared changes.
#[derive(Default)]
struct Promised(Option<(Vec<Value>, Vec<DataChange>)>);

impl Promised {
    fn extend(&mut self, before: Vec<Value>, changes: Vec<DataChange>) {
        self.0
            .get_or_insert_with(|| (before, Vec::new()))
            .1
            .extend(changes);
    }

    /// Checks the promises from the first of the rounds to `now`.
    fn check(&mut self, verifier: &Verifier, now: &[Value]) -> Result<(), Failure> {
        match self.0.take() {
            Some((start, changes)) => verifier
                .promises(&start, now, &changes)
                .map_err(|_| Failure::Recheck),
            None => Ok(()),
        }
    }
}

/// Why a round whose edits do not apply is rejected.
const OVERLAPPING: &str = "its edits overlap or fall outside the text";

/// The edits of `fixes`, in their order.
fn edits_of(fixes: &[&Candidate]) -> Vec<TextEdit> {
    fixes
        .iter()
        .flat_map(|c| c.fix.edits.iter().cloned())
        .collect()
}

/// The data changes `fixes` declare, in their order.
fn changes_of(fixes: &[&Candidate]) -> Vec<DataChange> {
    fixes
        .iter()
        .flat_map(|c| c.fix.changes.iter().cloned())
        .collect()
}

/// Records a round's applied fixes: fixed findings and the files they create.
fn applied(
    round: &[&Candidate],
    findings: &mut Vec<Finding>,
    created: &mut Vec<CreatedFile>,
    dir: &Path,
    locate: &dyn Fn(TextRange) -> (LineCol, LineCol),
) {
    findings.extend(round.iter().flat_map(|c| findings_of(c, locate, true)));
    for c in round {
        for file in &c.fix.new_files {
            created.push(CreatedFile {
                path: dir.join(&file.path),
                contents: file.contents.clone(),
            });
        }
    }
}

fn oracle_rejects(path: &Path, e: data::LoadError) -> Error {
    let pos = (e.line > 0).then_some(LineCol {
        line: e.line as u32,
        col: e.col as u32,
    });
    Error::new(path, pos, ErrorKind::InvalidYaml(e.message))
}

/// The findings a candidate settles (its own and `Fix::also`), located
/// in the original text.
fn findings_of<'c>(
    c: &'c Candidate,
    locate: &'c dyn Fn(TextRange) -> (LineCol, LineCol),
    fixed: bool,
) -> impl Iterator<Item = Finding> + 'c {
    c.fix.findings().map(move |(range, message)| {
        let (start, end) = locate(range);
        Finding {
            codemod: c.codemod,
            message: message.to_string(),
            start,
            end,
            applicability: c.fix.applicability,
            refusal: c.fix.refusal.as_ref().map(|r| r.code()),
            fixed,
        }
    })
}

/// Indices of the fixes to apply this round: applicable ones whose edits
/// overlap no fix taken before them (the rest wait for the next round).
fn select(
    candidates: &[Candidate],
    unsafe_fixes: bool,
    created: &[CreatedFile],
    dir: &Path,
    blocked: &dyn Fn(&Candidate) -> bool,
) -> Vec<usize> {
    let mut order: Vec<usize> = (0..candidates.len())
        .filter(|&i| !blocked(&candidates[i]))
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
    // Only the earliest phase with something to apply takes this round;
    // later phases see its result in the next one.
    let first_phase = order.iter().map(|&i| candidates[i].phase).min();
    order.retain(|&i| Some(candidates[i].phase) == first_phase);
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
    let combined = check(verifier, new_text, before, changes_of(taken));
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
        let edits = edits_of(fixes);
        let changes = changes_of(fixes);
        apply_edits(text, &edits)
            .ok_or_else(|| OVERLAPPING.to_string())
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
    fn utf8_that_is_not_yaml_text_is_named() {
        assert_eq!(not_text("id: f\n"), None);
        assert_eq!(not_text("\u{feff}id: f\n"), None);
        let first = |t: &str| not_text(t).map(|(p, why)| (p.line, p.col, why));
        assert!(first("\u{feff}\u{feff}id: f")
            .is_some_and(|(l, c, why)| (l, c) == (1, 1) && why.contains("two byte order marks")));
        assert!(first("i\0d\0:\0 \0f\0").is_some_and(|(_, _, why)| why.contains("UTF-16")));
        assert!(first("\0i\0d\0:\0 \0f").is_some_and(|(_, _, why)| why.contains("UTF-16")));
        assert!(first("\0\0\0").is_some_and(|(_, _, why)| why.contains("only NUL")));
        assert_eq!(
            first("id: f\nnamespace: n\0\n"),
            Some((2, 13, "contains a NUL byte, which YAML does not allow"))
        );
    }

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
    use crate::codemods::{
        Codemod, Declaration, DefaultOn, Family, NewFile, ParsedOptions, Safety,
    };
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
            meta!($name, Phase::PROPERTIES);
        };
        ($name:literal, $phase:expr) => {
            fn declaration(&self) -> &'static Declaration {
                &Declaration {
                    name: $name,
                    family: Family::BestPractice,
                    summary: "test",
                    safety: Safety::Safe,
                    default_on: DefaultOn::Always,
                    phase: $phase,
                    docs: "",
                }
            }
            fn parse_options(&self, _: &toml::Table) -> Result<ParsedOptions, String> {
                Ok(ParsedOptions::new(()))
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

    /// Says `hello` instead of `hi`, truthfully.
    struct Polite;
    /// Panics on a flow described `boom`.
    struct Panicky;

    impl Codemod for Polite {
        meta!("polite");
        fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
            let Some(range) = hi(ctx) else {
                return Vec::new();
            };
            vec![set_message(range, "greet", Applicability::Safe, "hello")]
        }
    }

    /// Renames the description, in an early phase.
    struct Early;
    /// Writes what it saw of the description into the first message.
    struct Late;

    impl Codemod for Early {
        meta!("early", Phase::STATE_STORE);
        fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
            let Some((range, _)) = description(ctx).filter(|(_, v)| v == "extract-me") else {
                return Vec::new();
            };
            let path = crate::kestra::path::DataPath::root().key("description");
            vec![Fix::new(
                range,
                "early",
                Applicability::Safe,
                vec![TextEdit::replace(range, "early")],
                vec![DataChange::set_string(path, "early")],
            )]
        }
    }

    impl Codemod for Late {
        meta!("late");
        fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
            let (Some((_, seen)), Some(range)) = (description(ctx), hi(ctx)) else {
                return Vec::new();
            };
            let new = format!("late-saw-{seen}");
            vec![set_message(range, "late", Applicability::Safe, &new)]
        }
    }

    /// Where `hi` is in the first `message: hi` line.
    fn hi(ctx: &FlowContext) -> Option<TextRange> {
        let at = ctx.text.find("message: hi\n")?;
        let start = TextSize::from((at + "message: ".len()) as u32);
        Some(TextRange::at(start, TextSize::from(2)))
    }

    /// Sets the first task's message (at `range`) to `new`, truthfully.
    fn set_message(
        range: TextRange,
        message: &str,
        applicability: Applicability,
        new: &str,
    ) -> Fix {
        let path = crate::kestra::path::DataPath::root()
            .key("tasks")
            .index(0)
            .key("message");
        Fix::new(
            range,
            message,
            applicability,
            vec![TextEdit::replace(range, new)],
            vec![DataChange::set_string(path, new)],
        )
    }

    static EARLY: Early = Early;
    static LATE: Late = Late;

    #[test]
    fn a_misdeclared_fix_fails_the_final_check_and_is_blamed_per_round() {
        let settings = settings_of(&[&LIAR, &POLITE]);
        let path = Path::new("flow.yaml");
        let v = Verifier::default();
        let fast = run_rounds(path, FLOW, &settings, &v, Verification::Final, true);
        assert!(matches!(fast, Err(Failure::Recheck)));
        let outcome = fix_text(path, FLOW, &settings, &v, true).unwrap();
        assert_eq!(outcome.errors.len(), 1, "{:?}", outcome.errors);
        assert!(outcome.errors[0].to_string().contains("`liar`"));
        assert!(
            outcome.text.contains("message: hello\n"),
            "{}",
            outcome.text
        );
        assert!(outcome.text.contains("description: extract-me\n"));
    }

    /// Removes the first task's message and promises that changes no
    /// effective configuration, which is false.
    struct Promiser;

    impl Codemod for Promiser {
        meta!("promiser");
        fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
            let Some(at) = ctx.text.find("    message: hi\n") else {
                return Vec::new();
            };
            let range = TextRange::at(TextSize::from(at as u32), TextSize::from(16));
            let task = crate::kestra::path::DataPath::root().key("tasks").index(0);
            let changes = vec![
                DataChange::RemoveKey {
                    path: task,
                    key: "message".into(),
                },
                DataChange::SameEffectiveConfig,
            ];
            vec![Fix::new(
                range,
                "drop",
                Applicability::Safe,
                vec![TextEdit::replace(range, "")],
                changes,
            )]
        }
    }

    static PROMISER: Promiser = Promiser;

    #[test]
    fn a_broken_promise_fails_the_final_check_and_is_blamed_per_round() {
        let settings = settings_of(&[&PROMISER]);
        let path = Path::new("flow.yaml");
        let v = Verifier::default();
        let fast = run_rounds(path, FLOW, &settings, &v, Verification::Final, true);
        assert!(matches!(fast, Err(Failure::Recheck)));
        let outcome = fix_text(path, FLOW, &settings, &v, true).unwrap();
        assert_eq!(outcome.text, FLOW);
        assert_eq!(outcome.errors.len(), 1, "{:?}", outcome.errors);
        let error = outcome.errors[0].to_string();
        assert!(error.contains("effective configuration"), "{error}");
    }

    #[test]
    fn truthful_fixes_pass_the_final_check_as_they_pass_each_round() {
        let settings = settings_of(&[&EARLY, &LATE, &POLITE]);
        let path = Path::new("flow.yaml");
        let v = Verifier::default();
        let outcome = |mode| match run_rounds(path, FLOW, &settings, &v, mode, true) {
            Ok(o) => (o.text, o.findings, o.errors.len()),
            Err(_) => panic!("{mode:?} failed"),
        };
        let fast = outcome(Verification::Final);
        assert_eq!(fast, outcome(Verification::PerRound));
        assert!(fast.0.contains("message: late-saw-early\n"), "{}", fast.0);
    }

    #[test]
    fn a_later_phase_sees_what_an_earlier_phase_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let flow = flow_in(dir.path());
        let run = process_file(
            &flow,
            &settings_of(&[&LATE, &EARLY]),
            &Verifier::default(),
            true,
        );
        assert!(run.errors.is_empty(), "{:?}", run.errors);
        let text = std::fs::read_to_string(&flow).unwrap();
        assert!(text.contains("description: early\n"), "{text}");
        assert!(text.contains("message: late-saw-early\n"), "{text}");
    }

    impl Codemod for Panicky {
        meta!("panicky");
        fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
            if description(ctx).is_some_and(|(_, v)| v == "boom") {
                panic!("boom goes the codemod");
            }
            Vec::new()
        }
    }

    static EXTRACT: Extract = Extract;
    static LIAR: Liar = Liar;
    static RESTLESS: Restless = Restless;
    static POLITE: Polite = Polite;
    static PANICKY: Panicky = Panicky;

    const FLOW: &str = "id: f\nnamespace: n\ndescription: extract-me\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n";

    fn settings(codemod: &'static dyn Codemod) -> Settings {
        settings_of(&[codemod])
    }

    fn settings_of(codemods: &[&'static dyn Codemod]) -> Settings {
        Settings {
            codemods: codemods.to_vec(),
            unsafe_fixes: false,
            target_version: KestraVersion::DEFAULT,
            catalog: crate::kestra::catalog::Catalog::builtin(),
            codemod_options: codemods
                .iter()
                .map(|c| (c.name(), ParsedOptions::new(())))
                .collect(),
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
    fn a_rejected_fix_is_dropped_alone_and_the_verified_ones_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let flow = flow_in(dir.path());
        let both = settings_of(&[&LIAR, &POLITE]);
        let run = process_file(&flow, &both, &Verifier::default(), true);
        assert_eq!(run.errors.len(), 1, "{:?}", run.errors);
        assert!(
            matches!(&run.errors[0].kind, ErrorKind::Verification { codemod, .. } if codemod == "liar")
        );
        let text = std::fs::read_to_string(&flow).unwrap();
        assert_eq!(text, FLOW.replace("message: hi", "message: hello"));
        let fixed: Vec<(&str, bool)> = run.findings.iter().map(|f| (f.codemod, f.fixed)).collect();
        assert_eq!(fixed, [("liar", false), ("polite", true)]);
    }

    #[test]
    fn a_panic_is_one_files_internal_error_and_the_others_run() {
        let dir = tempfile::tempdir().unwrap();
        let boom = dir.path().join("a.yaml");
        std::fs::write(&boom, FLOW.replace("extract-me", "boom")).unwrap();
        let fine = dir.path().join("b.yaml");
        std::fs::write(&fine, FLOW).unwrap();
        let s = settings_of(&[&PANICKY, &POLITE]);
        let s = std::sync::Arc::new(s);
        let jobs = vec![(boom.clone(), s.clone()), (fine.clone(), s)];
        let reports = crate::engine::run_jobs(&jobs, false, &|| {}, None);
        let err = &reports[0].errors[0];
        assert!(
            matches!(&err.kind, ErrorKind::Panic { message } if message.starts_with("boom goes the codemod at src/engine/process.rs:")),
            "{err}"
        );
        assert!(err.to_string().contains("please report"), "{err}");
        assert_eq!(err.path, boom);
        assert!(!reports[0].changed());
        assert_eq!(
            std::fs::read_to_string(&boom).unwrap(),
            FLOW.replace("extract-me", "boom")
        );
        assert!(reports[1].errors.is_empty(), "{:?}", reports[1].errors);
        assert!(std::fs::read_to_string(&fine).unwrap().contains("hello"));
    }

    #[test]
    fn flow_files_a_fix_creates_go_through_the_fix_loop_before_the_write() {
        /// Creates `child.yaml`, a flow with a task Polite greets.
        struct Spawn;
        impl Codemod for Spawn {
            meta!("spawn");
            fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
                let Some((range, _)) = description(ctx).filter(|(_, v)| v == "extract-me") else {
                    return Vec::new();
                };
                let path = crate::kestra::path::DataPath::root().key("description");
                vec![Fix::new(
                    range,
                    "spawn",
                    Applicability::Safe,
                    vec![TextEdit::replace(range, "spawned")],
                    vec![DataChange::set_string(path, "spawned")],
                )
                .with_new_file(NewFile {
                    path: "child.yaml".into(),
                    contents: FLOW
                        .replace("id: f", "id: child")
                        .replace("extract-me", "c"),
                })]
            }
        }
        static SPAWN: Spawn = Spawn;
        let dir = tempfile::tempdir().unwrap();
        let flow = flow_in(dir.path());
        let s = settings_of(&[&SPAWN, &POLITE]);
        let run = process_file(&flow, &s, &Verifier::default(), true);
        assert!(run.errors.is_empty(), "{:?}", run.errors);
        let child = std::fs::read_to_string(dir.path().join("child.yaml")).unwrap();
        assert!(child.contains("message: hello"), "{child}");
        for file in ["flow.yaml", "child.yaml"] {
            let again = process_file(&dir.path().join(file), &s, &Verifier::default(), false);
            assert!(!again.changed(), "{file}");
        }
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

    /// One unsafe edit that settles two findings: the message and the
    /// description.
    struct Both;

    impl Codemod for Both {
        meta!("both");
        fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
            let (Some(range), Some((described, _))) = (hi(ctx), description(ctx)) else {
                return Vec::new();
            };
            vec![set_message(range, "hi", Applicability::Unsafe, "ho")
                .also_settles(described, "described")]
        }
    }

    static BOTH: Both = Both;

    #[test]
    fn every_finding_a_fix_settles_is_reported_with_its_status() {
        let path = Path::new("flow.yaml");
        let v = Verifier::default();
        let mut settings = settings(&BOTH);
        for unsafe_fixes in [false, true] {
            settings.unsafe_fixes = unsafe_fixes;
            let outcome = run_rounds(path, FLOW, &settings, &v, Verification::Final, true)
                .unwrap_or_else(|_| panic!("the fix verifies"));
            let found: Vec<_> = outcome
                .findings
                .iter()
                .map(|f| (f.message.as_str(), f.start.line, f.fixed, f.applicability))
                .collect();
            assert_eq!(
                found,
                [
                    ("described", 3, unsafe_fixes, Applicability::Unsafe),
                    ("hi", 7, unsafe_fixes, Applicability::Unsafe)
                ]
            );
        }
    }
}
