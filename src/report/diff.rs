//! The dry-run patch: git-style unified diffs that `git apply` accepts,
//! new files included.

use super::display_path;
use crate::engine::{FileReport, RunResult};
use similar::{ChangeTag, TextDiff};
use std::borrow::Cow;
use std::fmt::Write;

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const CYAN: &str = "\x1b[36m";

/// The whole run's patch, files in path order; files are diffed in
/// parallel, as they were fixed.
pub fn render(result: &RunResult, color: bool) -> String {
    parts(result, color).concat()
}

/// [`render`] written to `out` part by part, without joining the parts.
pub fn write(result: &RunResult, color: bool, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    parts(result, color)
        .iter()
        .try_for_each(|part| out.write_all(part.as_bytes()))
}

fn parts(result: &RunResult, color: bool) -> Vec<Cow<'_, str>> {
    use rayon::prelude::*;
    result
        .files
        .par_iter()
        .map(|file| match &file.released {
            // Rendered by `file_patch` while the run held the texts.
            Some(released) => Cow::Borrowed(released.rendering.as_deref().unwrap_or_default()),
            None => Cow::Owned(file_patch(file, color)),
        })
        .collect()
}

/// One file's patch (empty when it is unchanged).
pub fn file_patch(file: &FileReport, color: bool) -> String {
    let mut out = String::new();
    render_file(&mut out, file, color);
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
    let (a, b) = (header_name("a/", path), header_name("b/", path));
    // git ends a `---`/`+++` name holding a space with a TAB, so that a
    // trailing timestamp could not be read as part of it.
    let end = if path.contains(' ') { "\t" } else { "" };
    let _ = writeln!(out, "{}diff --git {a} {b}", paint(BOLD));
    match old {
        Some(_) => {
            let _ = writeln!(out, "--- {a}{end}");
        }
        None => {
            let _ = writeln!(out, "new file mode 100644");
            let _ = writeln!(out, "--- /dev/null");
        }
    }
    let _ = writeln!(out, "+++ {b}{end}{reset}");
    // git splits lines at LF only: a lone CR stays inside its line, where
    // `similar`'s own splitting would end the line there and emit hunks
    // that match nothing in the file.
    let (old_lines, new_lines) = (git_lines(old.unwrap_or("")), git_lines(new));
    let diff = TextDiff::configure().diff_slices(&old_lines, &new_lines);
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

fn git_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', text.as_bytes()) {
        lines.push(&text[start..=end]);
        start = end + 1;
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    lines
}

/// `prefix` + `path` as git writes it in headers: C-style quoted when the
/// name holds a quote, a backslash, a control character or a non-ASCII
/// byte (git's default `core.quotePath`), else as is.
fn header_name(prefix: &str, path: &str) -> String {
    let needs_quoting = path
        .bytes()
        .any(|b| b < 0x20 || b == 0x7f || b >= 0x80 || b == b'"' || b == b'\\');
    if !needs_quoting {
        return format!("{prefix}{path}");
    }
    let mut quoted = String::from("\"");
    for b in prefix.bytes().chain(path.bytes()) {
        match b {
            b'\x07' => quoted.push_str("\\a"),
            b'\x08' => quoted.push_str("\\b"),
            b'\t' => quoted.push_str("\\t"),
            b'\n' => quoted.push_str("\\n"),
            b'\x0b' => quoted.push_str("\\v"),
            b'\x0c' => quoted.push_str("\\f"),
            b'\r' => quoted.push_str("\\r"),
            b'"' => quoted.push_str("\\\""),
            b'\\' => quoted.push_str("\\\\"),
            b if !(0x20..0x7f).contains(&b) => {
                let _ = write!(quoted, "\\{b:03o}");
            }
            b => quoted.push(char::from(b)),
        }
    }
    quoted.push('"');
    quoted
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
    fn names_are_quoted_as_git_quotes_them() {
        assert_eq!(header_name("a/", "f.yaml"), "a/f.yaml");
        assert_eq!(header_name("a/", "sp ace.yaml"), "a/sp ace.yaml");
        assert_eq!(header_name("a/", "x\ty\n.yaml"), r#""a/x\ty\n.yaml""#);
        assert_eq!(header_name("b/", "é\"\\.yaml"), r#""b/\303\251\"\\.yaml""#);
    }

    #[test]
    fn a_lone_cr_does_not_end_a_line() {
        let mut out = String::new();
        file_diff(&mut out, "f.yaml", Some("a\rb\n"), "a\rc\n", false);
        assert!(out.ends_with("@@ -1 +1 @@\n-a\rb\n+a\rc\n"), "{out:?}");
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
