//! SARIF 2.1.0, for code-scanning uploads.

use super::display_path;
use crate::codemods;
use crate::engine::RunResult;
use serde_json::{json, Value};

pub fn render(result: &RunResult) -> Value {
    let all = codemods::all();
    let rules: Vec<Value> = all
        .iter()
        .map(|c| {
            json!({
                "id": c.name(),
                "name": c.name(),
                "shortDescription": { "text": c.summary() },
                "help": { "text": c.docs(), "markdown": c.docs() },
                "defaultConfiguration": { "level": "warning" },
                "properties": { "safety": c.safety().to_string() },
            })
        })
        .collect();
    let results: Vec<Value> = result
        .findings()
        .map(|(file, f)| {
            let rule_index = all.iter().position(|c| c.name() == f.codemod);
            json!({
                "ruleId": f.codemod,
                "ruleIndex": rule_index,
                "level": if f.fixed { "note" } else { "warning" },
                "message": { "text": f.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": display_path(&file.path) },
                        "region": {
                            "startLine": f.start.line,
                            "startColumn": f.start.col,
                            "endLine": f.end.line,
                            "endColumn": f.end.col,
                        },
                    },
                }],
                "properties": { "applicability": f.applicability.as_str(), "fixed": f.fixed },
            })
        })
        .collect();
    let notifications: Vec<Value> = result
        .all_errors()
        .map(|e| {
            let mut region = json!({});
            if let Some(p) = e.position {
                region = json!({ "startLine": p.line, "startColumn": p.col });
            }
            json!({
                "level": "error",
                "message": { "text": e.to_string() },
                "descriptor": { "id": e.code() },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": display_path(&e.path) },
                        "region": region,
                    },
                }],
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "kestra-fix",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                },
            },
            "invocations": [{
                "executionSuccessful": notifications.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    })
}
