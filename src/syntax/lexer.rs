//! Byte-level scanning primitives.
//!
//! YAML cannot be tokenized without knowing the context (block or flow,
//! current indentation), so there is no free-standing token stream: the
//! parser asks these functions "how long is the X starting here?" and emits
//! the token itself. Every function works on bytes, never allocates, and
//! only ever stops at ASCII bytes, so every cut is a UTF-8 char boundary.

#[inline]
pub(crate) fn is_space_or_tab(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

#[inline]
pub(crate) fn is_break(b: u8) -> bool {
    b == b'\n' || b == b'\r'
}

/// Whitespace, a line break, or the end of input.
#[inline]
pub(crate) fn is_blank_or_end(b: Option<u8>) -> bool {
    match b {
        None => true,
        Some(b) => is_space_or_tab(b) || is_break(b),
    }
}

#[inline]
pub(crate) fn is_flow_indicator(b: u8) -> bool {
    matches!(b, b',' | b'[' | b']' | b'{' | b'}')
}

/// Length of the line break at `pos` (0 when there is none).
#[inline]
pub(crate) fn newline_len(bytes: &[u8], pos: usize) -> usize {
    match bytes.get(pos) {
        Some(b'\n') => 1,
        Some(b'\r') => {
            if bytes.get(pos + 1) == Some(&b'\n') {
                2
            } else {
                1
            }
        }
        _ => 0,
    }
}

/// End of the run of spaces and tabs starting at `pos`.
#[inline]
pub(crate) fn skip_space_tab(bytes: &[u8], mut pos: usize) -> usize {
    while pos < bytes.len() && is_space_or_tab(bytes[pos]) {
        pos += 1;
    }
    pos
}

/// End of the line content starting at `pos` (position of the break or EOF).
#[inline]
pub(crate) fn line_end(bytes: &[u8], mut pos: usize) -> usize {
    while pos < bytes.len() && !is_break(bytes[pos]) {
        pos += 1;
    }
    pos
}

/// Whether a plain scalar may start at `pos`.
pub(crate) fn can_start_plain(bytes: &[u8], pos: usize, flow: bool) -> bool {
    let Some(&b) = bytes.get(pos) else {
        return false;
    };
    match b {
        b' ' | b'\t' | b'\n' | b'\r' => false,
        b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\''
        | b'"' | b'%' | b'@' | b'`' => false,
        b'-' | b'?' | b':' => {
            let next = bytes.get(pos + 1).copied();
            !(is_blank_or_end(next) || flow && next.is_some_and(is_flow_indicator))
        }
        _ => true,
    }
}

/// End of the plain scalar text on this line, trailing whitespace excluded.
///
/// Stops before `: ` (a `:` followed by a blank), ` #`, the line break, and,
/// in flow context, flow indicators and a `:` followed by one.
pub(crate) fn scan_plain_line(bytes: &[u8], start: usize, flow: bool) -> usize {
    let mut pos = start;
    let mut end = start;
    while pos < bytes.len() {
        let b = bytes[pos];
        match b {
            b'\n' | b'\r' => break,
            b' ' | b'\t' => {
                pos += 1;
                continue;
            }
            b':' => {
                let next = bytes.get(pos + 1).copied();
                if is_blank_or_end(next) || (flow && next.is_some_and(is_flow_indicator)) {
                    break;
                }
            }
            b'#' if pos > start && is_space_or_tab(bytes[pos - 1]) => break,
            b if flow && is_flow_indicator(b) => break,
            _ => {}
        }
        pos += 1;
        end = pos;
    }
    end
}

/// End of a double-quoted scalar starting at `pos` (on the opening quote):
/// `Ok(end)` just past the closing quote, `Err(end)` when it is unterminated.
pub(crate) fn scan_double_quoted(bytes: &[u8], start: usize) -> Result<usize, usize> {
    let mut pos = start + 1;
    while pos < bytes.len() {
        match bytes[pos] {
            b'\\' => pos += 2,
            b'"' => return Ok(pos + 1),
            _ => pos += 1,
        }
    }
    Err(bytes.len())
}

/// End of a single-quoted scalar starting at `pos` (on the opening quote).
pub(crate) fn scan_single_quoted(bytes: &[u8], start: usize) -> Result<usize, usize> {
    let mut pos = start + 1;
    while pos < bytes.len() {
        if bytes[pos] == b'\'' {
            if bytes.get(pos + 1) == Some(&b'\'') {
                pos += 2;
                continue;
            }
            return Ok(pos + 1);
        }
        pos += 1;
    }
    Err(bytes.len())
}

/// End of an anchor or alias name starting after the `&` / `*`: the run
/// of characters up to a blank or a flow indicator.
pub(crate) fn scan_anchor_name(bytes: &[u8], mut pos: usize) -> usize {
    while pos < bytes.len() {
        let b = bytes[pos];
        if is_space_or_tab(b) || is_break(b) || is_flow_indicator(b) {
            break;
        }
        pos += 1;
    }
    pos
}

/// End of a tag starting at `pos` (on the `!`).
pub(crate) fn scan_tag(bytes: &[u8], start: usize) -> usize {
    let mut pos = start + 1;
    if bytes.get(pos) == Some(&b'<') {
        while pos < bytes.len() && !is_space_or_tab(bytes[pos]) && !is_break(bytes[pos]) {
            pos += 1;
            if bytes[pos - 1] == b'>' {
                return pos;
            }
        }
        return pos;
    }
    // A shorthand tag ends where an anchor name would.
    scan_anchor_name(bytes, pos)
}

/// Whether a document marker (`---` or `...`) starts at `pos`, which must
/// be the start of a line.
pub(crate) fn is_document_marker(bytes: &[u8], pos: usize) -> bool {
    let Some(head) = bytes.get(pos..pos + 3) else {
        return false;
    };
    (head == b"---" || head == b"...") && is_blank_or_end(bytes.get(pos + 3).copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_line_stops_at_value_indicator_and_comment() {
        let s = b"key: value # c";
        assert_eq!(scan_plain_line(s, 0, false), 3);
        assert_eq!(scan_plain_line(s, 5, false), 10);
        assert_eq!(scan_plain_line(b"a:b,c", 0, false), 5);
        assert_eq!(scan_plain_line(b"a:b,c", 0, true), 3);
        assert_eq!(scan_plain_line(b"url#x  ", 0, false), 5);
    }

    #[test]
    fn quoted_ends() {
        assert_eq!(scan_double_quoted(br#""a\"b" x"#, 0), Ok(6));
        assert_eq!(scan_double_quoted(br#""abc"#, 0), Err(4));
        assert_eq!(scan_single_quoted(b"'it''s' x", 0), Ok(7));
    }

    #[test]
    fn markers() {
        assert!(is_document_marker(b"---\n", 0));
        assert!(is_document_marker(b"...", 0));
        assert!(!is_document_marker(b"----", 0));
    }
}
