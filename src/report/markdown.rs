//! A pull-request body: what was fixed per codemod, what is left for a
//! person, and which created files must be deployed, and how.
//!
//! Names, paths and messages come from the flows, so everything is
//! escaped: a flow id cannot open an HTML tag, a link or a table cell.

use super::{display_path, escape};
use crate::engine::{Finding, RunResult};
use crate::fix::Applicability;
use crate::kestra::flow::Flow;
use crate::syntax;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// The heading every body starts with.
pub const TITLE: &str = "kestra-fix: Kestra flow migration";

/// How a body is written.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options<'a> {
    /// Nothing was written: the counts are of fixes that would be applied.
    pub dry_run: bool,
    /// Paths are shown relative to this folder (a repository's root);
    /// otherwise relative to the current folder.
    pub base: Option<&'a Path>,
}

/// `--output-format markdown` for one run: its fixes and what it left.
pub fn render(result: &RunResult, dry_run: bool) -> String {
    render_runs(
        &[result],
        result,
        Options {
            dry_run,
            base: None,
        },
    )
}

/// A body for fixes applied by `applied` (one run, or one per codemod),
/// with `left` (a run over the result) saying what is still open, at the
/// positions of the fixed files.
pub fn render_runs(applied: &[&RunResult], left: &RunResult, options: Options) -> String {
    let shown = |p: &Path| relative(p, options.base);
    let mut out = format!("## {TITLE}\n\n");

    let flows = left.files.iter().filter(|f| f.is_flow).count();
    let changed = applied
        .iter()
        .flat_map(|r| r.files.iter().filter(|f| f.changed()).map(|f| &f.path))
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let verb = if options.dry_run {
        "would change"
    } else {
        "changed"
    };
    let _ = writeln!(
        out,
        "kestra-fix {verb} {changed} of {flows} {}. Comments, quoting and layout are kept, and \
         every change was checked by a YAML parser against the change it declared.\n",
        if flows == 1 { "flow" } else { "flows" },
    );

    let rows = table_rows(applied, left);
    if rows.is_empty() {
        out.push_str("No findings.\n");
    } else {
        out.push_str("| Codemod | Fixed | Unsafe left | Manual |\n");
        out.push_str("| --- | ---: | ---: | ---: |\n");
        for (name, row) in &rows {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                cell(&code(name)),
                row.fixed,
                row.unsafe_left,
                row.manual
            );
        }
    }

    let open: Vec<(&Path, &Finding)> = left
        .findings()
        .filter(|(_, f)| !f.fixed)
        .map(|(file, f)| (file.path.as_path(), f))
        .collect();
    let manual: Vec<_> = open.iter().filter(|(_, f)| is_manual(f)).collect();
    if !manual.is_empty() {
        let _ = writeln!(out, "\n### Left for a person ({})\n", manual.len());
        for (path, f) in manual {
            item(&mut out, &shown(path), f);
        }
    }
    let unsafe_left: Vec<_> = open.iter().filter(|(_, f)| !is_manual(f)).collect();
    if !unsafe_left.is_empty() {
        let _ = writeln!(
            out,
            "\n### Unsafe fixes not applied ({})\n\nEach message says what would change; \
             `--unsafe-fixes` applies them.\n",
            unsafe_left.len()
        );
        for (path, f) in unsafe_left {
            item(&mut out, &shown(path), f);
        }
    }

    let errors: Vec<_> = left.all_errors().collect();
    if !errors.is_empty() {
        let _ = writeln!(
            out,
            "\n### Errors ({})\n\nThese files were left unchanged.\n",
            errors.len()
        );
        for e in errors {
            let at = match e.position {
                Some(p) => format!("{}:{}", shown(&e.path), p.line),
                None => shown(&e.path),
            };
            let _ = writeln!(out, "- {}: {}", code(&at), message(&e.to_string()));
        }
    }

    created_section(&mut out, applied, &shown);
    out
}

/// Per codemod: fixes applied by any of `applied`, and what `left` has open.
#[derive(Debug, Default)]
struct Row {
    fixed: usize,
    unsafe_left: usize,
    manual: usize,
}

fn table_rows(applied: &[&RunResult], left: &RunResult) -> BTreeMap<&'static str, Row> {
    let mut rows: BTreeMap<&'static str, Row> = BTreeMap::new();
    for run in applied {
        for (_, f) in run.findings().filter(|(_, f)| f.fixed) {
            rows.entry(f.codemod).or_default().fixed += 1;
        }
    }
    for (_, f) in left.findings().filter(|(_, f)| !f.fixed) {
        let row = rows.entry(f.codemod).or_default();
        if is_manual(f) {
            row.manual += 1;
        } else {
            row.unsafe_left += 1;
        }
    }
    rows
}

/// A finding with no fix to apply: display-only, refused, or a safe fix
/// that could not be applied. The rest are unsafe fixes not asked for.
pub fn is_manual(f: &Finding) -> bool {
    f.refusal.is_some() || f.applicability != Applicability::Unsafe
}

fn item(out: &mut String, path: &str, f: &Finding) {
    let refused = f
        .refusal
        .map_or(String::new(), |r| format!(" (refused: {})", code(r)));
    let _ = writeln!(
        out,
        "- {} {}: {}{refused}",
        code(&format!("{path}:{}", f.start.line)),
        code(f.codemod),
        message(&f.message),
    );
}

/// Namespace files (extract-inline-scripts) and child flows (split-flow)
/// are new files the flows depend on: merging the flows alone breaks them.
fn created_section(out: &mut String, applied: &[&RunResult], shown: &dyn Fn(&Path) -> String) {
    // Namespace-files root -> (namespace, files); child flows in path order.
    let mut namespace_files: BTreeMap<(String, PathBuf), Vec<PathBuf>> = BTreeMap::new();
    let mut child_flows: BTreeMap<PathBuf, String> = BTreeMap::new();
    for run in applied {
        for file in &run.files {
            for created in &file.created {
                let parse = syntax::parse(&created.contents);
                if let Some(flow) = Flow::cast(&parse) {
                    let id = format!(
                        "{}.{}",
                        flow.namespace().unwrap_or_default(),
                        flow.id().unwrap_or_default()
                    );
                    child_flows.insert(created.path.clone(), id);
                } else {
                    let text = file.fixed.as_deref().unwrap_or(&file.original);
                    let namespace = Flow::cast(&syntax::parse(text))
                        .and_then(|f| f.namespace())
                        .unwrap_or_default();
                    namespace_files
                        .entry((namespace, files_root(&created.path)))
                        .or_default()
                        .push(created.path.clone());
                }
            }
        }
    }
    if namespace_files.is_empty() && child_flows.is_empty() {
        return;
    }
    out.push_str("\n### Created files: deploy them first\n");
    if !namespace_files.is_empty() {
        out.push_str(
            "\n#### Namespace files (extract-inline-scripts)\n\nThe flows now read these \
             scripts from their namespace's files; a flow that runs before its file is \
             uploaded fails. Upload each folder as its namespace's files (or deploy the \
             `_files` folder with your Git sync or CI) before deploying the flows:\n",
        );
        for ((namespace, root), files) in &namespace_files {
            let command = format!(
                "kestra namespace files update {} {}",
                shell_word(namespace),
                shell_word(&shown(root))
            );
            let _ = writeln!(out, "\n- {}", code(&command));
            for f in files {
                let _ = writeln!(out, "  - {}", code(&shown(f)));
            }
        }
    }
    if !child_flows.is_empty() {
        out.push_str(
            "\n#### Child flows (split-flow)\n\nThe parent flows call these with `Subflow`: \
             deploy them before their parents (e.g. `kestra flow namespace update NAMESPACE \
             FOLDER` with the children first, or in the UI):\n\n",
        );
        for (path, id) in &child_flows {
            let _ = writeln!(out, "- {} ({})", code(&shown(path)), code(id));
        }
    }
}

/// The namespace-files root of an extracted script at
/// `<root>/scripts/<flow id>/<file>`; the file's folder otherwise.
fn files_root(path: &Path) -> PathBuf {
    let folder = path.parent().unwrap_or(Path::new(""));
    match folder.parent() {
        Some(scripts) if scripts.file_name().is_some_and(|n| n == "scripts") => {
            scripts.parent().unwrap_or(Path::new("")).to_path_buf()
        }
        _ => folder.to_path_buf(),
    }
}

fn relative(path: &Path, base: Option<&Path>) -> String {
    let Some(rel) = base.and_then(|b| path.strip_prefix(b).ok()) else {
        return display_path(path);
    };
    super::slash_path(rel)
}

/// A word a POSIX shell reads back as `s`.
pub fn shell_word(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "._-/+=:@%,".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Plain text with every character Markdown or HTML would read escaped.
pub fn text(s: &str) -> String {
    let s = one_line(s);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// A code span holding `s` as is (HTML is not read inside one); the fence
/// is longer than any run of backticks in `s`.
pub fn code(s: &str) -> String {
    let s = one_line(s);
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    // A space keeps a backtick at either end from joining the fence.
    let pad = if s.starts_with('`') || s.ends_with('`') || s.is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// A message whose `code` spans (kestra-fix's convention) stay code spans;
/// the text between them is escaped. Unbalanced backticks: all text.
pub fn message(s: &str) -> String {
    let parts: Vec<&str> = s.split('`').collect();
    if parts.len() % 2 == 0 {
        return text(s);
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 0 {
                text(part)
            } else if part.is_empty() {
                text("``")
            } else {
                code(part)
            }
        })
        .collect()
}

/// A table cell: a `|`, even inside a code span, would end it.
pub fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

/// Newlines would end a list item or a table row; control characters are
/// shown escaped, as on a terminal.
fn one_line(s: &str) -> String {
    escape(&s.replace(['\n', '\r'], " ")).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cannot_open_html_links_or_emphasis() {
        assert_eq!(
            text("<script>a|b</script> [x](y) *z*"),
            "&lt;script&gt;a\\|b&lt;/script&gt; \\[x\\](y) \\*z\\*"
        );
        assert_eq!(text("a\nb"), "a b");
    }

    #[test]
    fn code_spans_outlast_backticks_inside() {
        assert_eq!(code("io.kestra.Log"), "`io.kestra.Log`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code("<b>"), "`<b>`");
    }

    #[test]
    fn messages_keep_their_code_spans() {
        assert_eq!(
            message("`taskDefaults` is <old> | `a|b`"),
            "`taskDefaults` is &lt;old&gt; \\| `a|b`"
        );
        assert_eq!(message("one ` backtick"), "one \\` backtick");
    }

    #[test]
    fn cells_escape_pipes_in_code_spans() {
        assert_eq!(cell(&code("a|b")), "`a\\|b`");
    }

    #[test]
    fn shell_words_are_quoted_when_needed() {
        assert_eq!(shell_word("company.team"), "company.team");
        assert_eq!(shell_word("a b'c"), "'a b'\\''c'");
    }

    #[test]
    fn extracted_scripts_root_at_the_namespace_files_folder() {
        assert_eq!(
            files_root(Path::new("flows/_files/scripts/etl/t.py")),
            Path::new("flows/_files")
        );
        assert_eq!(files_root(Path::new("x/y.sql")), Path::new("x"));
    }
}
