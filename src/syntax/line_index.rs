//! Byte offset to line/column conversion for diagnostics.

use rowan::TextSize;

/// A 1-based line and column (column counted in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

/// Start offsets of every line of a text, and where its multi-byte
/// characters are, so a column costs a binary search, not a count of the
/// line's characters (a flow on one 10 MB line has many findings).
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<TextSize>,
    /// Offset of each multi-byte character, with the bytes past the first
    /// of it and of every one before it.
    wide: Vec<(u32, u32)>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut starts = vec![TextSize::from(0)];
        // `\r\n` starts a line after its `\n`; a lone `\r` ends one too.
        for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            if bytes[i] == b'\n' || bytes.get(i + 1) != Some(&b'\n') {
                starts.push(TextSize::from((i + 1) as u32));
            }
        }
        let mut wide = Vec::new();
        if !text.is_ascii() {
            let mut extra = 0u32;
            for (i, &b) in bytes.iter().enumerate() {
                // A lead byte: 110x_xxxx, 1110_xxxx or 1111_0xxx.
                if b >= 0xC0 {
                    extra += if b >= 0xF0 {
                        3
                    } else if b >= 0xE0 {
                        2
                    } else {
                        1
                    };
                    wide.push((i as u32, extra));
                }
            }
        }
        LineIndex { starts, wide }
    }

    /// Bytes past the first of the multi-byte characters before `offset`.
    fn extra_before(&self, offset: usize) -> usize {
        let n = self.wide.partition_point(|&(at, _)| (at as usize) < offset);
        n.checked_sub(1).map_or(0, |i| self.wide[i].1 as usize)
    }

    /// Line and column of `offset` in `text` (the text this index was built from).
    pub fn line_col(&self, text: &str, offset: TextSize) -> LineCol {
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = usize::from(self.starts[line]);
        let end = usize::from(offset).min(text.len());
        let col = if text.is_char_boundary(start) && text.is_char_boundary(end) {
            end - start - (self.extra_before(end) - self.extra_before(start))
        } else {
            end - start
        };
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
        let text = "a\r\n\rb\nc";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_count(), 4);
        assert_eq!(idx.line_col(text, 4.into()), LineCol { line: 3, col: 1 });
        assert_eq!(idx.line_col(text, 7.into()), LineCol { line: 4, col: 2 });
        let text = "é😀中 x\na日本b";
        let idx = LineIndex::new(text);
        for (offset, _) in text.char_indices() {
            let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
            let col = text[start..offset].chars().count() as u32 + 1;
            assert_eq!(
                idx.line_col(text, (offset as u32).into()).col,
                col,
                "{offset}"
            );
        }
    }
}
