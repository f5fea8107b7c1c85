//! SARIF 2.1.0, for code-scanning uploads.

use super::{display_path, Warning};
use crate::codemods::Declaration;
use crate::engine::{FileReport, Finding, RunResult};
use crate::kestra::path::{DataPath, PathSeg};
use crate::syntax::ast::{AstNode, Entry, Item, Sequence};
use crate::syntax::{self, LineIndex, SyntaxNode, TextSize};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use serde_json::{json, Value};
use std::path::Path;

/// The base id every relative URI hangs from: the folder the run was
/// started in, which code scanning maps to the repository's checkout.
const ROOT: &str = "SRCROOT";

/// What may not stand bare in a URI path (RFC 3986 `pchar` plus `/`).
const PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// In an apply run the fixed findings are gone from the files: they are
/// not reported, so code scanning closes them.
pub fn render(result: &RunResult, warnings: &[Warning], dry_run: bool) -> Value {
    let rules: Vec<Value> = result
        .rules
        .iter()
        .map(|c| {
            json!({
                "id": c.name,
                "name": c.name,
                "shortDescription": { "text": c.summary },
                "fullDescription": { "text": full_description(c.docs).unwrap_or_else(|| c.summary.to_string()) },
                "help": { "text": c.docs, "markdown": c.docs },
                "defaultConfiguration": { "level": "warning" },
                "properties": { "safety": c.safety.to_string(), "family": c.family.name() },
            })
        })
        .collect();
    let results: Vec<Value> = result
        .files
        .iter()
        .filter(|file| !file.findings.is_empty())
        .flat_map(|file| {
            let paths = DataPaths::new(file);
            file.findings
                .iter()
                .filter(|f| dry_run || !f.fixed)
                .map(move |f| finding_result(file, f, &paths, &result.rules))
                .collect::<Vec<_>>()
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
                        "artifactLocation": artifact(&e.path),
                        "region": region,
                    },
                }],
            })
        })
        .chain(warnings.iter().map(|w| {
            json!({
                "level": "warning",
                "message": { "text": w.message },
                "descriptor": { "id": w.code },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": artifact(&w.path),
                        "region": { "startLine": w.position.line, "startColumn": w.position.col },
                    },
                }],
            })
        }))
        .collect();
    let errors = result.all_errors().next().is_some();
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
            "originalUriBaseIds": { ROOT: { "uri": root_uri() } },
            "invocations": [{
                "executionSuccessful": !errors,
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    })
}

fn finding_result(
    file: &FileReport,
    f: &Finding,
    paths: &DataPaths,
    rules: &[&Declaration],
) -> Value {
    let rule_index = rules.iter().position(|c| c.name == f.codemod);
    let data_path = paths.at(f.start.line, f.start.col);
    json!({
        "ruleId": f.codemod,
        "ruleIndex": rule_index,
        "level": "warning",
        "message": { "text": f.message },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": artifact(&file.path),
                "region": {
                    "startLine": f.start.line,
                    "startColumn": f.start.col,
                    "endLine": f.end.line,
                    "endColumn": f.end.col,
                },
            },
        }],
        // What the finding is about, not where: lines move as files are
        // edited, the codemod, file and data path do not.
        "partialFingerprints": {
            "kestraFix/v1": format!("{}:{}:{data_path}", f.codemod, display_path(&file.path)),
        },
        "properties": {
            "applicability": f.applicability.as_str(),
            "refusal": f.refusal,
            "fixed": f.fixed,
            "dataPath": data_path,
        },
    })
}

/// The first paragraph under the docs' "What it does".
fn full_description(docs: &str) -> Option<String> {
    let (_, rest) = docs.split_once("## What it does\n")?;
    let paragraph = rest.trim_start().split("\n\n").next()?;
    Some(
        paragraph
            .lines()
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// A relative URI under [`ROOT`] for files inside the current folder,
/// else an absolute `file:` URI.
fn artifact(path: &Path) -> Value {
    let shown = display_path(path);
    if Path::new(&shown).is_absolute() {
        let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        return json!({ "uri": file_uri(&abs.to_string_lossy()) });
    }
    json!({ "uri": utf8_percent_encode(&shown, PATH).to_string(), "uriBaseId": ROOT })
}

fn root_uri() -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut uri = file_uri(&cwd.to_string_lossy());
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

fn file_uri(abs: &str) -> String {
    let path = abs.replace('\\', "/");
    let path = utf8_percent_encode(&path, PATH).to_string();
    if path.starts_with('/') {
        format!("file://{path}")
    } else {
        format!("file:///{path}")
    }
}

/// Data paths of positions in a file's original text.
struct DataPaths {
    text: String,
    index: LineIndex,
    root: SyntaxNode,
}

impl DataPaths {
    fn new(file: &FileReport) -> Self {
        let parse = syntax::parse(&file.original);
        DataPaths {
            index: LineIndex::new(&file.original),
            text: file.original.clone(),
            root: parse.syntax(),
        }
    }

    /// `tasks[3].type`: the keys and indices from the document root down
    /// to the innermost node at the position.
    fn at(&self, line: u32, col: u32) -> String {
        let Some(offset) = self.offset(line, col) else {
            return DataPath::root().to_string();
        };
        let Some(token) = self.root.token_at_offset(offset).right_biased() else {
            return DataPath::root().to_string();
        };
        let mut segs = Vec::new();
        for node in token.parent_ancestors() {
            if let Some(entry) = Entry::cast(node.clone()) {
                if let Some(key) = entry.key_text() {
                    segs.push(PathSeg::Key(key));
                }
            } else if let Some(item) = Item::cast(node.clone()) {
                let index = node
                    .parent()
                    .and_then(Sequence::cast)
                    .and_then(|seq| seq.items().position(|i| i == item));
                if let Some(i) = index {
                    segs.push(PathSeg::Index(i));
                }
            }
        }
        segs.reverse();
        DataPath(segs).to_string()
    }

    fn offset(&self, line: u32, col: u32) -> Option<TextSize> {
        let start = self.index.line_start(line.checked_sub(1)? as usize)?;
        // Columns count characters.
        let rest = &self.text[usize::from(start)..];
        let bytes: usize = rest
            .chars()
            .take(col.saturating_sub(1) as usize)
            .map(char::len_utf8)
            .sum();
        Some(start + TextSize::from(bytes as u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_paths_walk_up_from_the_position() {
        let file = FileReport {
            original:
                "id: f\nnamespace: n\ntasks:\n  - id: a\n    type: t\n  - id: b\n    type: u\n"
                    .into(),
            ..FileReport::default()
        };
        let paths = DataPaths::new(&file);
        assert_eq!(paths.at(7, 11), "tasks[1].type");
        assert_eq!(paths.at(4, 5), "tasks[0].id");
        assert_eq!(paths.at(1, 1), "id");
    }

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(file_uri("/a b/c#d.yaml"), "file:///a%20b/c%23d.yaml");
        assert_eq!(file_uri("C:\\x\\y.yaml"), "file:///C:/x/y.yaml");
    }

    #[test]
    fn full_description_is_the_first_paragraph() {
        let docs = "# x\n\n## What it does\nOne\ntwo.\n\nMore.\n";
        assert_eq!(full_description(docs).as_deref(), Some("One two."));
    }
}
