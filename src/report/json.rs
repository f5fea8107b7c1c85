//! One versioned JSON document per run, for bots.

use super::{display_path, skip_reason, summary, Warning, JSON_VERSION};
use crate::engine::RunResult;
use serde_json::{json, Value};

pub fn render(result: &RunResult, warnings: &[Warning], dry_run: bool) -> Value {
    let findings: Vec<Value> = result
        .findings()
        .map(|(file, f)| {
            json!({
                "path": display_path(&file.path),
                "line": f.start.line,
                "column": f.start.col,
                "end_line": f.end.line,
                "end_column": f.end.col,
                "codemod": f.codemod,
                "message": f.message,
                "applicability": f.applicability.as_str(),
                "refusal": f.refusal,
                "fixed": f.fixed,
            })
        })
        .collect();
    let errors: Vec<Value> = result
        .all_errors()
        .map(|e| {
            json!({
                "path": display_path(&e.path),
                "line": e.position.map(|p| p.line),
                "column": e.position.map(|p| p.col),
                "code": e.code(),
                "message": e.to_string(),
            })
        })
        .collect();
    let warnings: Vec<Value> = warnings
        .iter()
        .map(|w| {
            json!({
                "path": display_path(&w.path),
                "line": w.position.line,
                "column": w.position.col,
                "code": w.code,
                "message": w.message,
            })
        })
        .collect();
    let skipped: Vec<Value> = result
        .files
        .iter()
        .filter_map(|f| {
            let reason = skip_reason(f)?;
            Some(json!({ "path": display_path(&f.path), "reason": reason }))
        })
        .collect();
    let changed: Vec<String> = result
        .files
        .iter()
        .filter(|f| f.text_changed())
        .map(|f| display_path(&f.path))
        .collect();
    let created: Vec<String> = result
        .files
        .iter()
        .flat_map(|f| &f.created)
        .map(|c| display_path(&c.path))
        .collect();
    json!({
        "version": JSON_VERSION,
        "tool": { "name": "kestra-fix", "version": env!("CARGO_PKG_VERSION") },
        "dry_run": dry_run,
        "findings": findings,
        "errors": errors,
        "warnings": warnings,
        "skipped_files": skipped,
        "changed_files": changed,
        "created_files": created,
        "summary": {
            "files": result.files.len(),
            "flows": result.files.iter().filter(|f| f.is_flow).count(),
            "findings": findings.len(),
            "fixed": result.findings().filter(|(_, f)| f.fixed).count(),
            "errors": errors.len(),
            "warnings": warnings.len(),
            "skipped": skipped.len(),
            "by_codemod": summary::per_codemod(result)
                .into_iter()
                .map(|(name, c)| (name.to_string(), json!({
                    "findings": c.findings,
                    "fixable": c.fixable,
                    "fixed": c.fixed,
                })))
                .collect::<serde_json::Map<_, _>>(),
            // `null` unless the 2.0 detectors ran (target 2.0 or later).
            "readiness_2_0": summary::readiness(result, dry_run).map(|r| json!({
                "ready": r.ready,
                "need_fixes": r.need_fixes,
                "need_manual_work": r.need_manual_work,
            })),
        },
    })
}
