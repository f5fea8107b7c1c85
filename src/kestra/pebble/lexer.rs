//! Splits a template into text, tags and verbatim blocks, and a tag's body
//! into expression tokens.
//!
//! Follows Pebble's lexer: inside `{{ }}` and `{% %}` the closing delimiter
//! counts only outside brackets and string literals (a map literal's `}}`
//! does not close the tag); `{{-`/`-}}` mark whitespace trimming;
//! `{% raw %}` / `{% verbatim %}` blocks are text up to their end tag.
//! Offsets are byte offsets into the template; the lexer never fails, it
//! records what is wrong and goes on.

use super::Error;
use std::ops::Range;

/// Kind of a template tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagKind {
    /// `{{ ... }}`
    Print,
    /// `{% ... %}`
    Statement,
    /// `{# ... #}`
    Comment,
}

/// One tag: its delimiters, trim markers and tokens.
#[derive(Debug, Clone, PartialEq)]
pub struct TagSpan {
    pub kind: TagKind,
    /// The whole tag, delimiters included (to the end of the text when
    /// unclosed).
    pub range: Range<usize>,
    /// Between the delimiters and the trim markers.
    pub body: Range<usize>,
    /// `{{-`, `{%-`: whitespace before the tag is trimmed.
    pub trim_before: bool,
    /// `-}}`, `-%}`: whitespace after the tag is trimmed.
    pub trim_after: bool,
    pub closed: bool,
    /// The body's tokens (none for a comment).
    pub tokens: Vec<Token>,
}

/// A piece of a template.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    Text(Range<usize>),
    Tag(TagSpan),
    /// `{% raw %}` or `{% verbatim %}`, its text, and its end tag (`None`
    /// when missing: the block runs to the end).
    Verbatim {
        open: TagSpan,
        text: Range<usize>,
        close: Option<TagSpan>,
    },
}

/// Kind of an expression token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok {
    /// An identifier or a word operator (`and`, `is`, ...).
    Name,
    Number,
    /// A string literal, quotes included.
    Str,
    /// An operator or punctuation, as written.
    Punct(&'static str),
    /// A character Pebble does not know.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: Tok,
    pub range: Range<usize>,
}

impl Token {
    pub fn text<'s>(&self, src: &'s str) -> &'s str {
        src.get(self.range.clone()).unwrap_or("")
    }
}

/// Longest first, so `???` is not read as `??` `?`.
const PUNCT: &[&str] = &[
    "???", "??", "==", "!=", "<=", ">=", "..", "+", "-", "*", "/", "%", "~", "<", ">", "=", "|",
    ".", ",", ":", "?", "(", ")", "[", "]", "{", "}",
];

/// Splits `src` into pieces; problems (unclosed tags, strings or blocks,
/// unknown characters) go to `errors`.
pub fn pieces(src: &str, errors: &mut Vec<Error>) -> Vec<Piece> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut text_start = 0;
    let mut i = 0;
    while i + 1 < b.len() {
        let kind = match (b[i], b[i + 1]) {
            (b'{', b'{') => TagKind::Print,
            (b'{', b'%') => TagKind::Statement,
            (b'{', b'#') => TagKind::Comment,
            _ => {
                i += 1;
                continue;
            }
        };
        if text_start < i {
            out.push(Piece::Text(text_start..i));
        }
        let tag = tag(src, i, kind, errors);
        i = tag.range.end;
        match verbatim_name(src, &tag) {
            Some(name) => {
                let (text, close) = verbatim_end(src, i, name, errors);
                let text_start_at = i;
                i = close.as_ref().map_or(src.len(), |c| c.range.end);
                if close.is_none() {
                    errors.push(Error::new(
                        format!("`{{% {name} %}}` has no `{{% end{name} %}}`"),
                        tag.range.start,
                    ));
                }
                out.push(Piece::Verbatim {
                    open: tag,
                    text: text_start_at..text,
                    close,
                });
            }
            None => out.push(Piece::Tag(tag)),
        }
        text_start = i;
    }
    if text_start < src.len() {
        out.push(Piece::Text(text_start..src.len()));
    }
    out
}

/// `raw` or `verbatim` when `tag` opens such a block.
fn verbatim_name(src: &str, tag: &TagSpan) -> Option<&'static str> {
    if tag.kind != TagKind::Statement || tag.tokens.len() != 1 {
        return None;
    }
    match tag.tokens[0].text(src) {
        "raw" => Some("raw"),
        "verbatim" => Some("verbatim"),
        _ => None,
    }
}

/// The end of a verbatim block's text and its end tag.
fn verbatim_end(
    src: &str,
    from: usize,
    name: &str,
    errors: &mut Vec<Error>,
) -> (usize, Option<TagSpan>) {
    let mut at = from;
    while let Some(found) = src.get(at..).and_then(|s| s.find("{%")) {
        let start = at + found;
        let mut j = start + 2;
        let b = src.as_bytes();
        if b.get(j) == Some(&b'-') {
            j += 1;
        }
        while b.get(j).is_some_and(u8::is_ascii_whitespace) {
            j += 1;
        }
        let word_end = j + src[j..]
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(src.len() - j);
        if src[j..word_end].strip_prefix("end") == Some(name) {
            // Only this tag's own problems are reported.
            let mut own = Vec::new();
            let close = tag(src, start, TagKind::Statement, &mut own);
            if close.closed && close.tokens.len() == 1 {
                errors.extend(own);
                return (start, Some(close));
            }
        }
        at = start + 2;
    }
    (src.len(), None)
}

/// Lexes the tag opening at `start`.
fn tag(src: &str, start: usize, kind: TagKind, errors: &mut Vec<Error>) -> TagSpan {
    let b = src.as_bytes();
    let mut i = start + 2;
    let trim_before = b.get(i) == Some(&b'-');
    if trim_before {
        i += 1;
    }
    let body_start = i;
    let close: &[u8] = match kind {
        TagKind::Print => b"}}",
        TagKind::Statement => b"%}",
        TagKind::Comment => b"#}",
    };
    if kind == TagKind::Comment {
        return match src[i..].find("#}") {
            Some(k) => TagSpan {
                kind,
                range: start..i + k + 2,
                body: body_start..i + k,
                trim_before,
                trim_after: false,
                closed: true,
                tokens: Vec::new(),
            },
            None => {
                errors.push(Error::new("unclosed comment: `#}` is missing", start));
                unclosed(kind, start, body_start, src.len(), trim_before, Vec::new())
            }
        };
    }
    let mut tokens = Vec::new();
    let mut brackets: Vec<u8> = Vec::new();
    loop {
        while b.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        if i >= b.len() {
            let closing = String::from_utf8_lossy(close).into_owned();
            errors.push(Error::new(
                format!("unclosed tag: `{closing}` is missing"),
                start,
            ));
            return unclosed(kind, start, body_start, src.len(), trim_before, tokens);
        }
        if brackets.is_empty() {
            let trimmed = b[i] == b'-' && b[i + 1..].starts_with(close);
            if trimmed || b[i..].starts_with(close) {
                let end = i + usize::from(trimmed) + 2;
                return TagSpan {
                    kind,
                    range: start..end,
                    body: body_start..i,
                    trim_before,
                    trim_after: trimmed,
                    closed: true,
                    tokens,
                };
            }
        }
        let token = token(src, i, errors);
        if let Tok::Punct(p) = token.kind {
            match p {
                "(" | "[" | "{" => brackets.push(p.as_bytes()[0]),
                ")" | "]" | "}" => {
                    brackets.pop();
                }
                _ => {}
            }
        }
        i = token.range.end;
        tokens.push(token);
    }
}

fn unclosed(
    kind: TagKind,
    start: usize,
    body_start: usize,
    end: usize,
    trim_before: bool,
    tokens: Vec<Token>,
) -> TagSpan {
    TagSpan {
        kind,
        range: start..end,
        body: body_start..end,
        trim_before,
        trim_after: false,
        closed: false,
        tokens,
    }
}

/// The token at `i` (not whitespace, not the end).
fn token(src: &str, i: usize, errors: &mut Vec<Error>) -> Token {
    let b = src.as_bytes();
    let c = src[i..].chars().next().unwrap_or('\0');
    let (kind, end) = if c == '\'' || c == '"' {
        let end = string_end(src, i, errors);
        (Tok::Str, end)
    } else if c.is_ascii_digit() {
        let mut j = i;
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        // A fraction needs a digit after the dot: `1..3` is a range.
        if b.get(j) == Some(&b'.') && b.get(j + 1).is_some_and(u8::is_ascii_digit) {
            j += 1;
            while b.get(j).is_some_and(u8::is_ascii_digit) {
                j += 1;
            }
        }
        (Tok::Number, j)
    } else if c.is_alphabetic() || c == '_' {
        let len = src[i..]
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(src.len() - i);
        (Tok::Name, i + len)
    } else if let Some(p) = PUNCT.iter().find(|p| src[i..].starts_with(*p)) {
        (Tok::Punct(p), i + p.len())
    } else {
        errors.push(Error::new(format!("unexpected character `{c}`"), i));
        (Tok::Unknown, i + c.len_utf8().max(1))
    };
    Token {
        kind,
        range: i..end,
    }
}

/// The end of the string literal opening at `i` (after its closing quote;
/// the end of the text when unclosed). Backslash escapes any character;
/// a double-quoted string may hold `#{ expression }` interpolations, which
/// may themselves hold strings.
fn string_end(src: &str, i: usize, errors: &mut Vec<Error>) -> usize {
    let b = src.as_bytes();
    let q = b[i];
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 2,
            c if c == q => return j + 1,
            b'#' if q == b'"' && b.get(j + 1) == Some(&b'{') => {
                j = interpolation_end(src, j + 2, errors);
            }
            _ => j += 1,
        }
    }
    errors.push(Error::new("unclosed string literal", i));
    b.len()
}

/// The end of the `#{ ... }` whose expression starts at `from` (after its
/// `}`).
pub(super) fn interpolation_end(src: &str, from: usize, errors: &mut Vec<Error>) -> usize {
    let b = src.as_bytes();
    let mut depth = 0usize;
    let mut j = from;
    loop {
        while b.get(j).is_some_and(u8::is_ascii_whitespace) {
            j += 1;
        }
        if j >= b.len() {
            return b.len();
        }
        let t = token(src, j, errors);
        match t.kind {
            Tok::Punct("{" | "(" | "[") => depth += 1,
            Tok::Punct("}") if depth == 0 => return t.range.end,
            Tok::Punct("}" | ")" | "]") => depth = depth.saturating_sub(1),
            _ => {}
        }
        j = t.range.end;
    }
}

/// The tokens of `src[range]`, for an interpolation's expression.
pub(super) fn tokens_in(src: &str, range: Range<usize>, errors: &mut Vec<Error>) -> Vec<Token> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut j = range.start;
    loop {
        while j < range.end && b.get(j).is_some_and(u8::is_ascii_whitespace) {
            j += 1;
        }
        if j >= range.end {
            return out;
        }
        let t = token(src, j, errors);
        j = t.range.end;
        out.push(t);
    }
}
