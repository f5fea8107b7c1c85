//! Findings for people, one per line, ruff-style.

use super::display_path;
use crate::engine::fix::Applicability;
use crate::engine::{Finding, RunResult};
use std::fmt::Write;

/// `path:line:col: codemod: message [status]` for every finding.
pub fn render(result: &RunResult, dry_run: bool, color: bool) -> String {
    let mut out = String::new();
    for (file, finding) in result.findings() {
        let path = display_path(&file.path);
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
            finding.message,
            status(finding, dry_run)
        );
    }
    out
}

fn status(f: &Finding, dry_run: bool) -> String {
    let safety = f.applicability.as_str();
    match (f.applicability, f.fixed) {
        (_, true) if dry_run => format!("{safety} fix, pending"),
        (_, true) => format!("{safety} fix, fixed"),
        (Applicability::Unsafe, false) => "unsafe fix, needs --unsafe-fixes".into(),
        (Applicability::DisplayOnly, _) => "no automatic fix".into(),
        // A safe fix left unapplied waited on an overlapping one that failed.
        (Applicability::Safe, false) => "safe fix, not applied".into(),
    }
}
