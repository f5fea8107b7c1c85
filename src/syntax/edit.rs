//! Text edits against a source text, and the style facts edits must follow.

use rowan::{TextRange, TextSize};

/// Replace `range` of the current text with `new_text`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TextEdit {
    pub range: TextRange,
    pub new_text: String,
}

impl TextEdit {
    pub fn replace(range: TextRange, new_text: impl Into<String>) -> Self {
        TextEdit {
            range,
            new_text: new_text.into(),
        }
    }

    pub fn insert(at: TextSize, new_text: impl Into<String>) -> Self {
        TextEdit {
            range: TextRange::empty(at),
            new_text: new_text.into(),
        }
    }

    pub fn delete(range: TextRange) -> Self {
        TextEdit {
            range,
            new_text: String::new(),
        }
    }
}

/// Applies non-overlapping edits (in any order) to `text`.
///
/// Returns `None` when two edits overlap or one falls outside the text:
/// callers must resolve overlaps before applying.
pub fn apply_edits(text: &str, edits: &[TextEdit]) -> Option<String> {
    let mut sorted: Vec<&TextEdit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.range.start(), e.range.end()));
    let mut out = String::with_capacity(text.len());
    let mut pos = 0usize;
    for e in sorted {
        let (start, end) = (usize::from(e.range.start()), usize::from(e.range.end()));
        if start < pos
            || end > text.len()
            || !text.is_char_boundary(start)
            || !text.is_char_boundary(end)
        {
            return None;
        }
        out.push_str(&text[pos..start]);
        out.push_str(&e.new_text);
        pos = end;
    }
    out.push_str(&text[pos..]);
    Some(out)
}
