//! The one-line summary on stderr, the `--statistics` table and the 2.0
//! readiness count.

use crate::engine::{FileReport, RunResult};
use crate::fix::Applicability;
use std::collections::BTreeMap;

/// `warnings`: how many the run printed (counted once, by the caller).
pub fn render(result: &RunResult, dry_run: bool, warnings: usize) -> String {
    let files = result.files.len();
    let flows = result.files.iter().filter(|f| f.is_flow).count();
    // Flow-like files that are not flows: `-v` says why for each.
    let skipped = result
        .files
        .iter()
        .filter(|f| super::skip_reason(f).is_some())
        .count();
    let skipped = if skipped > 0 {
        format!(", {skipped} skipped")
    } else {
        String::new()
    };
    let warnings = if warnings > 0 {
        format!(", {warnings} {}", plural(warnings, "warning"))
    } else {
        String::new()
    };
    let changed = result.files.iter().filter(|f| f.changed()).count();
    let errors = result.all_errors().count();
    let per_codemod = per_codemod(result);
    let findings = if per_codemod.is_empty() {
        "no findings".to_string()
    } else {
        let fixed_word = if dry_run { "fixable" } else { "fixed" };
        let parts: Vec<String> = per_codemod
            .iter()
            .map(|(name, c)| format!("{name} {} ({} {fixed_word})", c.findings, c.fixed))
            .collect();
        format!("findings: {}", parts.join(", "))
    };
    let changed_word = if dry_run { "would change" } else { "changed" };
    format!(
        "kestra-fix: {files} {}, {flows} {}{skipped}, {changed} {changed_word}; {findings}; {errors} {}{warnings}; {:.2}s",
        plural(files, "file"),
        plural(flows, "flow"),
        plural(errors, "error"),
        result.elapsed.as_secs_f64()
    )
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}

/// One codemod's findings in a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub findings: usize,
    /// With an edit (safe or unsafe), applied or not.
    pub fixable: usize,
    /// Applied (in a dry run: would be).
    pub fixed: usize,
}

/// Findings per codemod, by name.
pub fn per_codemod(result: &RunResult) -> BTreeMap<&'static str, Counts> {
    let mut out: BTreeMap<&'static str, Counts> = BTreeMap::new();
    for (_, f) in result.findings() {
        let c = out.entry(f.codemod).or_default();
        c.findings += 1;
        c.fixable += usize::from(f.applicability != Applicability::DisplayOnly);
        c.fixed += usize::from(f.fixed);
    }
    out
}

/// The detectors that together report everything Kestra 2.0 rejects that
/// no rewrite handles; they are on by default from target 2.0.
const READINESS_DETECTORS: &[&str] = &["unknown-properties", "removed-types"];

/// Where the flows of a run stand against Kestra 2.0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Readiness {
    /// Nothing left that 2.0 rejects, as far as the catalog knows.
    pub ready: usize,
    /// Only fixable findings left (unsafe fixes, or a dry run's pending ones).
    pub need_fixes: usize,
    /// A display-only finding or an error left.
    pub need_manual_work: usize,
}

/// The flows' 2.0 readiness, when the 2.0 detectors ran (`None`
/// otherwise: without them, "no findings" says nothing about 2.0).
pub fn readiness(result: &RunResult, dry_run: bool) -> Option<Readiness> {
    let ran = |name: &str| result.rules.iter().any(|r| r.name == name);
    if !READINESS_DETECTORS.iter().all(|d| ran(d)) {
        return None;
    }
    let mut out = Readiness::default();
    for file in result.files.iter().filter(|f| f.is_flow) {
        match standing(file, dry_run) {
            Standing::Ready => out.ready += 1,
            Standing::NeedsFixes => out.need_fixes += 1,
            Standing::NeedsManualWork => out.need_manual_work += 1,
        }
    }
    Some(out)
}

enum Standing {
    Ready,
    NeedsFixes,
    NeedsManualWork,
}

fn standing(file: &FileReport, dry_run: bool) -> Standing {
    let left = |f: &&crate::engine::Finding| !f.fixed || dry_run;
    let mut left = file.findings.iter().filter(left).peekable();
    if !file.errors.is_empty()
        || file
            .findings
            .iter()
            .any(|f| f.applicability == Applicability::DisplayOnly)
    {
        Standing::NeedsManualWork
    } else if left.peek().is_some() {
        Standing::NeedsFixes
    } else {
        Standing::Ready
    }
}

/// `2.0 readiness: 3 flows ready, 1 needs fixes, 2 need manual work`.
pub fn readiness_line(r: &Readiness) -> String {
    let verb = |n: usize| if n == 1 { "needs" } else { "need" };
    format!(
        "2.0 readiness: {} {} ready, {} {} fixes, {} {} manual work",
        r.ready,
        plural(r.ready, "flow"),
        r.need_fixes,
        verb(r.need_fixes),
        r.need_manual_work,
        verb(r.need_manual_work),
    )
}

/// `--statistics`: one line per codemod with findings, most first, as
/// ruff prints it, then the readiness line when there is one.
pub fn statistics(result: &RunResult, dry_run: bool) -> String {
    let mut rows: Vec<(&str, Counts)> = per_codemod(result).into_iter().collect();
    rows.sort_by(|a, b| b.1.findings.cmp(&a.1.findings).then(a.0.cmp(b.0)));
    let mut out = format!("{:>8}  {:>8}  CODEMOD\n", "FINDINGS", "FIXABLE");
    for (name, c) in &rows {
        out.push_str(&format!("{:>8}  {:>8}  {name}\n", c.findings, c.fixable));
    }
    let total = rows.iter().fold(Counts::default(), |t, (_, c)| Counts {
        findings: t.findings + c.findings,
        fixable: t.fixable + c.fixable,
        fixed: t.fixed + c.fixed,
    });
    out.push_str(&format!(
        "{:>8}  {:>8}  total\n",
        total.findings, total.fixable
    ));
    if let Some(r) = readiness(result, dry_run) {
        out.push_str(&readiness_line(&r));
        out.push('\n');
    }
    out
}
