//! The one-line summary on stderr.

use crate::engine::RunResult;
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
    let mut per_codemod: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (_, f) in result.findings() {
        let e = per_codemod.entry(f.codemod).or_default();
        e.0 += 1;
        e.1 += usize::from(f.fixed);
    }
    let findings = if per_codemod.is_empty() {
        "no findings".to_string()
    } else {
        let fixed_word = if dry_run { "fixable" } else { "fixed" };
        let parts: Vec<String> = per_codemod
            .iter()
            .map(|(name, (n, fixed))| format!("{name} {n} ({fixed} {fixed_word})"))
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
