//! GitHub Actions workflow commands: one annotation per finding and error.

use super::{display_path, Warning};
use crate::engine::RunResult;
use std::fmt::Write;

pub fn render(result: &RunResult, warnings: &[Warning], dry_run: bool) -> String {
    let mut out = String::new();
    for (file, f) in result.findings() {
        // Fixed findings in an apply run are history, not something to review.
        if f.fixed && !dry_run {
            continue;
        }
        let _ = writeln!(
            out,
            "::warning file={},line={},col={},endLine={},endColumn={},title={}::{}",
            property(&display_path(&file.path)),
            f.start.line,
            f.start.col,
            f.end.line,
            f.end.col,
            property(&format!("kestra-fix {}", f.codemod)),
            data(&format!("{} [{}]", f.message, f.applicability)),
        );
    }
    for w in warnings {
        let _ = writeln!(
            out,
            "::warning file={},line={},col={},title={}::{}",
            property(&display_path(&w.path)),
            w.position.line,
            w.position.col,
            property(&format!("kestra-fix {}", w.code)),
            data(&w.message),
        );
    }
    for e in result.all_errors() {
        let mut props = format!("file={}", property(&display_path(&e.path)));
        if let Some(p) = e.position {
            let _ = write!(props, ",line={},col={}", p.line, p.col);
        }
        let _ = writeln!(
            out,
            "::error {props},title=kestra-fix::{}",
            data(&e.to_string())
        );
    }
    out
}

/// Escaping of a command's message, as the Actions runner decodes it.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escaping of a property value (also `:` and `,`, which delimit them).
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_the_runner_expects() {
        assert_eq!(data("50%\nx"), "50%25%0Ax");
        assert_eq!(property("a:b,c"), "a%3Ab%2Cc");
    }
}
