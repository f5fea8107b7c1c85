//! The dry-run patch: git-style unified diffs that `git apply` accepts,
//! new files included.

use super::display_path;
use crate::engine::{FileReport, RunResult};
use similar::{ChangeTag, TextDiff};
use std::fmt::Write;

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const CYAN: &str = "\x1b[36m";

/// The whole run's patch, files in path order.
pub fn render(result: &RunResult, color: bool) -> String {
    let mut out = String::new();
    for file in &result.files {
        render_file(&mut out, file, color);
    }
    out
}

fn render_file(out: &mut String, file: &FileReport, color: bool) {
    if let Some(fixed) = &file.fixed {
        let path = display_path(&file.path);
        file_diff(out, &path, Some(&file.original), fixed, color);
    }
    for created in &file.created {
        file_diff(
            out,
            &display_path(&created.path),
            None,
            &created.contents,
            color,
        );
    }
}

/// One file's diff; `old` is `None` for a file that does not exist yet.
pub fn file_diff(out: &mut String, path: &str, old: Option<&str>, new: &str, color: bool) {
    let paint = |code: &'static str| if color { code } else { "" };
    let reset = paint(RESET);
    let _ = writeln!(out, "{}diff --git a/{path} b/{path}", paint(BOLD));
    match old {
        Some(_) => {
            let _ = writeln!(out, "--- a/{path}");
        }
        None => {
            let _ = writeln!(out, "new file mode 100644");
            let _ = writeln!(out, "--- /dev/null");
        }
    }
    let _ = writeln!(out, "+++ b/{path}{reset}");
    let diff = TextDiff::from_lines(old.unwrap_or(""), new);
    for hunk in diff.unified_diff().context_radius(3).iter_hunks() {
        let _ = writeln!(out, "{}{}{reset}", paint(CYAN), hunk.header());
        for change in hunk.iter_changes() {
            let (sign, code) = match change.tag() {
                ChangeTag::Equal => (' ', ""),
                ChangeTag::Delete => ('-', RED),
                ChangeTag::Insert => ('+', GREEN),
            };
            let line = change.value();
            let _ = write!(out, "{}{sign}{line}", paint(code));
            if !line.ends_with('\n') {
                let _ = write!(out, "{reset}\n\\ No newline at end of file\n");
            } else {
                out.push_str(reset);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_headers_and_missing_newline() {
        let mut out = String::new();
        file_diff(&mut out, "f.yaml", Some("a: 1\nb: 2"), "a: 1\nb: 3", false);
        assert_eq!(
            out,
            "diff --git a/f.yaml b/f.yaml\n--- a/f.yaml\n+++ b/f.yaml\n@@ -1,2 +1,2 @@\n a: 1\n-b: 2\n\\ No newline at end of file\n+b: 3\n\\ No newline at end of file\n"
        );
    }

    #[test]
    fn new_files_come_from_dev_null() {
        let mut out = String::new();
        file_diff(&mut out, "s.py", None, "print(1)\n", false);
        assert_eq!(
            out,
            "diff --git a/s.py b/s.py\nnew file mode 100644\n--- /dev/null\n+++ b/s.py\n@@ -0,0 +1 @@\n+print(1)\n"
        );
    }
}
