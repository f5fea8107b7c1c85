//! Byte offset to line/column conversion for diagnostics.

use rowan::TextSize;

/// A 1-based line and column (column counted in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

/// Start offsets of every line of a text.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<TextSize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut starts = vec![TextSize::from(0)];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => starts.push(TextSize::from((i + 1) as u32)),
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => {
                    starts.push(TextSize::from((i + 1) as u32))
                }
                _ => {}
            }
            i += 1;
        }
        LineIndex { starts }
    }

    /// Line and column of `offset` in `text` (the text this index was built from).
    pub fn line_col(&self, text: &str, offset: TextSize) -> LineCol {
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = usize::from(self.starts[line]);
        let end = usize::from(offset).min(text.len());
        let col = text
            .get(start..end)
            .map_or(end - start, |s| s.chars().count());
        LineCol {
            line: line as u32 + 1,
            col: col as u32 + 1,
        }
    }

    /// Offset where 0-based `line` starts.
    pub fn line_start(&self, line: usize) -> Option<TextSize> {
        self.starts.get(line).copied()
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns() {
        let text = "a: 1\r\nbé: 2\rc";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_count(), 3);
        assert_eq!(idx.line_col(text, 0.into()), LineCol { line: 1, col: 1 });
        assert_eq!(idx.line_col(text, 9.into()), LineCol { line: 2, col: 3 });
        assert_eq!(idx.line_col(text, 13.into()), LineCol { line: 3, col: 1 });
    }
}
