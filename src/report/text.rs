//! Findings for people, one per line, ruff-style.

use super::{display_path, escape};
use crate::engine::{Finding, RunResult};
use crate::fix::Applicability;
use std::fmt::Write;

/// `path:line:col: codemod: message [status]` for every finding left to
/// act on: all of them in a dry run, the unfixed ones after an apply run
/// (the summary counts what was fixed).
pub fn render(result: &RunResult, dry_run: bool, color: bool) -> String {
    let mut out = String::new();
    for (file, finding) in result.findings().filter(|(_, f)| dry_run || !f.fixed) {
        let path = display_path(&file.path);
        let path = escape(&path);
        let (bold, dim, reset) = if color {
            ("\x1b[1m", "\x1b[2m", "\x1b[0m")
        } else {
            ("", "", "")
        };
        let _ = writeln!(
            out,
            "{bold}{path}:{}:{}:{reset} {}: {} {dim}[{}]{reset}",
            finding.start.line,
            finding.start.col,
            finding.codemod,
            escape(&finding.message),
            status(finding, dry_run)
        );
    }
    out
}

fn status(f: &Finding, dry_run: bool) -> String {
    let safety = f.applicability.as_str();
    match (f.applicability, f.fixed) {
        (_, true) if dry_run => format!("{safety} fix, pending"),
        (_, true) => format!("{safety} fix, applied"),
        (Applicability::Unsafe, false) => "unsafe fix, needs --unsafe-fixes".into(),
        (Applicability::DisplayOnly, _) => "no automatic fix".into(),
        // A safe fix left unapplied waited on an overlapping one that failed.
        (Applicability::Safe, false) => "safe fix, not applied".into(),
    }
}
