//! Writing scalars: the shortest faithful YAML text for a string.

use super::value::{resolve_plain, ScalarStyle, Value};

/// Whether `s` can be written as a plain scalar that reads back as the
/// string `s` (not a number, bool or null, and not cut by an indicator).
pub fn plain_is_safe(s: &str, flow: bool) -> bool {
    let b = s.as_bytes();
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else {
        return false;
    };
    if matches!(first, b' ' | b'\t') || matches!(last, b' ' | b'\t' | b':') {
        return false;
    }
    let second_blank = b.get(1).is_none_or(|&c| c == b' ' || c == b'\t');
    match first {
        b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\''
        | b'"' | b'%' | b'@' | b'`' => return false,
        b'-' | b'?' | b':' if second_blank => return false,
        _ => {}
    }
    if s.starts_with("---") || s.starts_with("...") {
        return false;
    }
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'\n' | b'\r' | b'\t' => return false,
            c if c < 0x20 || c == 0x7f => return false,
            b':' if b.get(i + 1).is_some_and(|&n| n == b' ') => return false,
            b'#' if i > 0 && b[i - 1] == b' ' => return false,
            b',' | b'[' | b']' | b'{' | b'}' if flow => return false,
            _ => {}
        }
    }
    if s.contains('\u{feff}')
        || s.contains('\u{85}')
        || s.contains('\u{2028}')
        || s.contains('\u{2029}')
    {
        return false;
    }
    matches!(resolve_plain(s), Value::String(_))
}

/// Whether `s` can be single-quoted on one line.
pub fn single_quote_is_safe(s: &str) -> bool {
    !s.chars()
        .any(|c| c.is_control() || matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}'))
}

pub fn single_quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

pub fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            '\u{85}' => out.push_str("\\N"),
            '\u{a0}' => out.push_str("\\_"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            '\u{feff}' => out.push_str("\\uFEFF"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The text of a string scalar in `preferred` style, falling back to a
/// quoting style that can represent it (plain -> single -> double).
pub fn string_scalar(s: &str, preferred: ScalarStyle, flow: bool) -> String {
    match preferred {
        ScalarStyle::Plain | ScalarStyle::Literal | ScalarStyle::Folded
            if plain_is_safe(s, flow) =>
        {
            s.to_string()
        }
        ScalarStyle::DoubleQuoted => double_quoted(s),
        _ if single_quote_is_safe(s) => single_quoted(s),
        _ => double_quoted(s),
    }
}

/// YAML text for a scalar value (collections are not handled here).
pub fn scalar(value: &Value, preferred: ScalarStyle, flow: bool) -> Option<String> {
    Some(match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) if f.is_nan() => ".nan".to_string(),
        Value::Float(f) if f.is_infinite() => if *f > 0.0 { ".inf" } else { "-.inf" }.to_string(),
        Value::Float(f) => {
            let s = f.to_string();
            if s.contains(['.', 'e', 'E']) {
                s
            } else {
                format!("{s}.0")
            }
        }
        Value::String(s) => string_scalar(s, preferred, flow),
        Value::Seq(_) | Value::Map(_) | Value::Tagged(..) => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::{parse, value::decode_documents};

    fn round_trip(s: &str, style: ScalarStyle) {
        let text = format!("k: {}\n", string_scalar(s, style, false));
        let docs = decode_documents(&parse(&text)).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        assert_eq!(
            docs[0].get("k"),
            Some(&Value::String(s.to_string())),
            "{text:?}"
        );
    }

    #[test]
    fn every_style_reads_back_the_same_string() {
        let samples = [
            "python:3.11",
            "true",
            "1.5",
            "",
            " lead",
            "trail ",
            "a: b",
            "a #b",
            "#x",
            "- x",
            "it's",
            "say \"hi\"",
            "line\nbreak",
            "tab\there",
            "null",
            "~",
            "@at",
            "{{ inputs.x }}",
            "ünïcode",
            "a\\b",
            "0x1F",
            "-",
            ":x",
            "[x]",
            "x,y",
        ];
        for s in samples {
            for style in [
                ScalarStyle::Plain,
                ScalarStyle::SingleQuoted,
                ScalarStyle::DoubleQuoted,
            ] {
                round_trip(s, style);
            }
        }
    }

    #[test]
    fn keeps_preferred_style_when_possible() {
        assert_eq!(string_scalar("abc", ScalarStyle::Plain, false), "abc");
        assert_eq!(
            string_scalar("abc", ScalarStyle::SingleQuoted, false),
            "'abc'"
        );
        assert_eq!(
            string_scalar("abc", ScalarStyle::DoubleQuoted, false),
            "\"abc\""
        );
        assert_eq!(string_scalar("true", ScalarStyle::Plain, false), "'true'");
        assert_eq!(
            string_scalar("a\nb", ScalarStyle::SingleQuoted, false),
            "\"a\\nb\""
        );
    }
}
