//! Decoded YAML data: scalar values (escapes, folding, chomping applied),
//! resolved under the YAML 1.2 core schema, and whole documents as data.

use super::kind::{SyntaxKind, SyntaxNode, SyntaxToken, YamlLanguage};
use super::Parse;
use rowan::{GreenNodeData, Language, NodeOrToken, TextRange, TextSize};
use std::borrow::Cow;
use std::collections::HashMap;

use SyntaxKind::*;

/// How a scalar is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

/// YAML data, as a loader under the core schema sees it.
///
/// Mappings keep source order but compare as unordered, as YAML defines
/// them; `.nan` equals itself so untouched data always compares equal.
#[derive(Debug, Clone)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    Seq(Vec<Value>),
    /// Entries in source order.
    Map(Vec<(Value, Value)>),
    /// A node with an explicit tag outside the core schema (`!env x`).
    Tagged(String, Box<Value>),
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        use Value::*;
        match (self, other) {
            (Null, Null) => true,
            (Bool(a), Bool(b)) => a == b,
            (Int(a), Int(b)) => a == b,
            (Float(a), Float(b)) => a == b || (a.is_nan() && b.is_nan()),
            (String(a), String(b)) => a == b,
            (Seq(a), Seq(b)) => a == b,
            (Map(a), Map(b)) => {
                a.len() == b.len()
                    && a.iter().all(|(k, v)| {
                        b.iter()
                            .find(|(bk, _)| bk == k)
                            .is_some_and(|(_, w)| v == w)
                    })
            }
            (Tagged(t, a), Tagged(u, b)) => t == u && a == b,
            _ => false,
        }
    }
}

/// Why a document could not be turned into data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DecodeError {
    pub message: String,
    pub range: TextRange,
}

pub fn scalar_style(node: &SyntaxNode) -> ScalarStyle {
    match node.kind() {
        SINGLE_QUOTED_SCALAR => ScalarStyle::SingleQuoted,
        DOUBLE_QUOTED_SCALAR => ScalarStyle::DoubleQuoted,
        BLOCK_SCALAR => {
            let folded = tokens(node)
                .find(|t| t.kind() == BLOCK_HEADER)
                .is_some_and(|t| t.text().starts_with('>'));
            if folded {
                ScalarStyle::Folded
            } else {
                ScalarStyle::Literal
            }
        }
        _ => ScalarStyle::Plain,
    }
}

fn tokens(node: &SyntaxNode) -> impl Iterator<Item = SyntaxToken> {
    node.children_with_tokens()
        .filter_map(NodeOrToken::into_token)
}

/// The decoded string of a scalar node.
pub fn scalar_text(node: &SyntaxNode) -> String {
    scalar_str(node).into_owned()
}

/// [`scalar_text`], borrowed from the tree when the scalar is written as
/// it decodes: one line of plain text, or quoted without escapes, doubled
/// quotes or line breaks (most keys and values of a flow).
pub fn scalar_str(node: &SyntaxNode) -> Cow<'_, str> {
    match node.green() {
        Cow::Borrowed(green) => green_scalar(green),
        // A tree made for in-place editing; kestra-fix builds none.
        Cow::Owned(green) => Cow::Owned(green_scalar(&green).into_owned()),
    }
}

/// [`scalar_str`] of a scalar's green node.
fn green_scalar(green: &GreenNodeData) -> Cow<'_, str> {
    match green_scalar_str(green) {
        Some(text) => Cow::Borrowed(text),
        None => Cow::Owned(decode_green_text(green)),
    }
}

fn kind_of(green: &GreenNodeData) -> SyntaxKind {
    YamlLanguage::kind_from_raw(green.kind())
}

/// The tokens directly under `green`, with their kinds.
fn green_tokens(green: &GreenNodeData) -> impl Iterator<Item = (SyntaxKind, &str)> {
    green
        .children()
        .filter_map(NodeOrToken::into_token)
        .map(|t| (YamlLanguage::kind_from_raw(t.kind()), t.text()))
}

/// The nodes directly under `green`, with their offsets, `green` starting
/// at `offset`.
fn green_nodes(
    green: &GreenNodeData,
    offset: TextSize,
) -> impl Iterator<Item = (&GreenNodeData, TextSize)> {
    let mut at = offset;
    green.children().filter_map(move |child| {
        let start = at;
        at += child.text_len();
        child.into_node().map(|node| (node, start))
    })
}

/// The decoded text of a scalar's green node when it needs no decoding
/// (see [`scalar_str`]); `None` when it does, or is no scalar.
pub(crate) fn green_scalar_str(green: &GreenNodeData) -> Option<&str> {
    let kind = YamlLanguage::kind_from_raw(green.kind());
    let mut tokens = green.children().filter_map(NodeOrToken::into_token);
    match kind {
        PLAIN_SCALAR => {
            // Line breaks only matter between two lines of text.
            let mut texts = tokens.filter(|t| YamlLanguage::kind_from_raw(t.kind()) == PLAIN_TEXT);
            match (texts.next(), texts.next()) {
                (Some(first), None) => Some(first.text()),
                (None, _) => Some(""),
                _ => None,
            }
        }
        SINGLE_QUOTED_SCALAR | DOUBLE_QUOTED_SCALAR => {
            let single = kind == SINGLE_QUOTED_SCALAR;
            let raw = tokens
                .find(|t| {
                    matches!(
                        YamlLanguage::kind_from_raw(t.kind()),
                        SINGLE_QUOTED | DOUBLE_QUOTED
                    )
                })
                .map_or("", |t| t.text());
            let inner = quoted_inner(raw, single);
            let special: &[char] = if single {
                &['\'', '\r', '\n']
            } else {
                &['\\', '\r', '\n']
            };
            (!inner.contains(special)).then_some(inner)
        }
        _ => None,
    }
}

#[cfg(test)]
fn decode_scalar_text(node: &SyntaxNode) -> String {
    decode_green_text(&node.green())
}

fn decode_green_text(green: &GreenNodeData) -> String {
    let kind = kind_of(green);
    match kind {
        PLAIN_SCALAR => plain_text(green),
        SINGLE_QUOTED_SCALAR | DOUBLE_QUOTED_SCALAR => {
            let raw = green_tokens(green).find(|(k, _)| matches!(k, SINGLE_QUOTED | DOUBLE_QUOTED));
            decode_quoted(
                raw.map_or("", |(_, text)| text),
                kind == SINGLE_QUOTED_SCALAR,
            )
        }
        BLOCK_SCALAR => block_text(green),
        _ => String::new(),
    }
}

/// Lines of a plain scalar joined by YAML line folding.
fn plain_text(green: &GreenNodeData) -> String {
    let mut out = String::new();
    let mut breaks = 0usize;
    for (kind, text) in green_tokens(green) {
        match kind {
            PLAIN_TEXT => {
                if !out.is_empty() {
                    match breaks {
                        0 => {}
                        1 => out.push(' '),
                        n => out.extend(std::iter::repeat_n('\n', n - 1)),
                    }
                }
                out.push_str(text);
                breaks = 0;
            }
            NEWLINE => breaks += 1,
            _ => {}
        }
    }
    out
}

/// The text between a quoted scalar's quotes (an unterminated one has no
/// closing quote).
fn quoted_inner(raw: &str, single: bool) -> &str {
    let inner = raw.get(1..).unwrap_or("");
    match inner.strip_suffix(if single { '\'' } else { '"' }) {
        Some(s) if raw.len() >= 2 => s,
        _ => inner,
    }
}

/// Decodes the text of a quoted scalar, quotes included.
pub fn decode_quoted(raw: &str, single: bool) -> String {
    let inner = quoted_inner(raw, single);
    let mut out = String::with_capacity(inner.len());
    // Length of `out` that trailing-whitespace trimming must not cut into
    // (escaped whitespace is content).
    let mut keep = 0usize;
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' if single && chars.peek() == Some(&'\'') => {
                chars.next();
                out.push('\'');
                keep = out.len();
            }
            '\\' if !single => match chars.next() {
                Some('\r') | Some('\n') => {
                    if c == '\r' && chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    skip_line_prefix(&mut chars);
                    keep = out.len();
                }
                Some(e) => {
                    push_escape(&mut out, e, &mut chars);
                    keep = out.len();
                }
                None => out.push('\\'),
            },
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                let trimmed = out.trim_end_matches([' ', '\t']).len().max(keep);
                out.truncate(trimmed);
                // Count the empty lines that follow.
                let mut empty = 0;
                loop {
                    skip_line_prefix(&mut chars);
                    match chars.peek() {
                        Some('\r') | Some('\n') => {
                            let b = chars.next();
                            if b == Some('\r') && chars.peek() == Some(&'\n') {
                                chars.next();
                            }
                            empty += 1;
                        }
                        _ => break,
                    }
                }
                if empty == 0 {
                    out.push(' ');
                } else {
                    out.extend(std::iter::repeat_n('\n', empty));
                }
                keep = out.len();
            }
            _ => {
                out.push(c);
                if c != ' ' && c != '\t' {
                    keep = out.len();
                }
            }
        }
    }
    out
}

fn skip_line_prefix(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while matches!(chars.peek(), Some(' ') | Some('\t')) {
        chars.next();
    }
}

fn push_escape(out: &mut String, e: char, chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    let hex = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>, n: usize| {
        let s: String = chars.by_ref().take(n).collect();
        u32::from_str_radix(&s, 16).ok().and_then(char::from_u32)
    };
    let decoded = match e {
        '0' => Some('\0'),
        'a' => Some('\x07'),
        'b' => Some('\x08'),
        't' | '\t' => Some('\t'),
        'n' => Some('\n'),
        'v' => Some('\x0b'),
        'f' => Some('\x0c'),
        'r' => Some('\r'),
        'e' => Some('\x1b'),
        ' ' => Some(' '),
        '"' => Some('"'),
        '/' => Some('/'),
        '\\' => Some('\\'),
        'N' => Some('\u{85}'),
        '_' => Some('\u{a0}'),
        'L' => Some('\u{2028}'),
        'P' => Some('\u{2029}'),
        'x' => hex(chars, 2),
        'u' => hex(chars, 4),
        'U' => hex(chars, 8),
        _ => None,
    };
    match decoded {
        Some(c) => out.push(c),
        None => {
            out.push('\\');
            out.push(e);
        }
    }
}

/// Whether a double-quoted scalar's escapes are all valid.
pub(crate) fn invalid_escape(raw: &str) -> Option<usize> {
    let b = raw.as_bytes();
    let mut i = 1;
    while i < b.len() {
        if b[i] == b'\\' {
            let Some(&e) = b.get(i + 1) else {
                return Some(i);
            };
            let need = match e {
                b'x' => 2,
                b'u' => 4,
                b'U' => 8,
                b'0' | b'a' | b'b' | b't' | b'\t' | b'n' | b'v' | b'f' | b'r' | b'e' | b' '
                | b'"' | b'/' | b'\\' | b'N' | b'_' | b'L' | b'P' | b'\n' | b'\r' => 0,
                _ => return Some(i),
            };
            let digits = b.get(i + 2..i + 2 + need);
            if digits.is_none_or(|d| !d.iter().all(u8::is_ascii_hexdigit)) {
                return Some(i);
            }
            i += 2 + need;
        } else {
            i += 1;
        }
    }
    None
}

enum BlockLine<'t> {
    Text(&'t str),
    Empty,
}

/// Decodes a literal or folded block scalar from its per-line tokens.
fn block_text(green: &GreenNodeData) -> String {
    let mut header = "";
    let mut lines: Vec<(BlockLine<'_>, bool)> = Vec::new();
    let mut after_header_break = false;
    let mut current: Option<BlockLine<'_>> = None;
    for (kind, text) in green_tokens(green) {
        match kind {
            BLOCK_HEADER => header = text,
            NEWLINE if !after_header_break => after_header_break = true,
            _ if !after_header_break => {}
            BLOCK_TEXT => current = Some(BlockLine::Text(text)),
            BLOCK_INDENT | WHITESPACE => {
                current.get_or_insert(BlockLine::Empty);
            }
            NEWLINE => lines.push((current.take().unwrap_or(BlockLine::Empty), true)),
            _ => {}
        }
    }
    // The end of input ends a last line just as a line break would.
    if let Some(line) = current.take() {
        lines.push((line, true));
    }
    let folded = header.starts_with('>');
    let chomp = if header.contains('-') {
        Chomp::Strip
    } else if header.contains('+') {
        Chomp::Keep
    } else {
        Chomp::Clip
    };
    let last_text = lines
        .iter()
        .rposition(|(l, _)| matches!(l, BlockLine::Text(_)));
    let (content, trailing) = match last_text {
        Some(i) => lines.split_at(i + 1),
        None => lines.split_at(0),
    };
    let mut out = String::new();
    if folded {
        let mut prev_more: Option<bool> = None;
        let mut empties = 0usize;
        for (line, _) in content {
            match line {
                BlockLine::Empty => empties += 1,
                BlockLine::Text(s) => {
                    let more = s.starts_with([' ', '\t']);
                    match prev_more {
                        None => out.extend(std::iter::repeat_n('\n', empties)),
                        Some(false) if !more => {
                            if empties == 0 {
                                out.push(' ');
                            } else {
                                out.extend(std::iter::repeat_n('\n', empties));
                            }
                        }
                        Some(_) => out.extend(std::iter::repeat_n('\n', empties + 1)),
                    }
                    out.push_str(s);
                    prev_more = Some(more);
                    empties = 0;
                }
            }
        }
    } else {
        for (i, (line, _)) in content.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            if let BlockLine::Text(s) = line {
                out.push_str(s);
            }
        }
    }
    let final_break = content.last().is_some_and(|(_, br)| *br);
    match chomp {
        Chomp::Strip => {}
        Chomp::Clip => {
            if final_break {
                out.push('\n');
            }
        }
        Chomp::Keep => {
            if final_break {
                out.push('\n');
            }
            let extra = trailing.iter().filter(|(_, br)| *br).count();
            out.extend(std::iter::repeat_n('\n', extra));
        }
    }
    out
}

#[derive(Clone, Copy)]
enum Chomp {
    Strip,
    Clip,
    Keep,
}

/// Resolves a plain scalar under the YAML 1.2 core schema.
pub fn resolve_plain(text: &str) -> Value {
    resolve_plain_text(Cow::Borrowed(text))
}

/// [`resolve_plain`], moving the text into the string it resolves to.
fn resolve_plain_text(text: Cow<'_, str>) -> Value {
    match &*text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    if let Some(v) = parse_int(&text) {
        return Value::Int(v);
    }
    if is_core_float(&text) {
        if let Ok(f) = text.parse::<f64>() {
            return Value::Float(f);
        }
    }
    Value::String(text.into_owned())
}

fn parse_int(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if let Some(oct) = text.strip_prefix("0o") {
        return (!oct.is_empty() && oct.bytes().all(|c| (b'0'..=b'7').contains(&c)))
            .then(|| i64::from_str_radix(oct, 8).ok())
            .flatten();
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return (!hex.is_empty() && hex.bytes().all(|c| c.is_ascii_hexdigit()))
            .then(|| i64::from_str_radix(hex, 16).ok())
            .flatten();
    }
    let digits = match b.first()? {
        b'-' | b'+' => &text[1..],
        _ => text,
    };
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `[-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?`
fn is_core_float(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'-' | b'+')) {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    let mut frac_digits = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let s = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        frac_digits = i - s;
    }
    if int_digits == 0 && frac_digits == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        let s = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == s {
            return false;
        }
    }
    i == b.len()
}

/// The tag written on a content node (from its PROPERTIES sibling).
fn tag_of(content: &SyntaxNode) -> Option<String> {
    let props = content
        .siblings(rowan::Direction::Prev)
        .skip(1)
        .find(|n| n.kind() == PROPERTIES)?;
    tokens(&props)
        .find(|t| t.kind() == TAG)
        .map(|t| t.text().to_string())
}

/// A scalar node's value under the core schema, honouring `!!` tags.
pub fn decode_scalar(node: &SyntaxNode) -> Value {
    let text = scalar_str(node);
    let tag = tag_of(node);
    apply_tag(tag.as_deref(), text, node.kind() == PLAIN_SCALAR)
}

fn apply_tag(tag: Option<&str>, text: Cow<'_, str>, plain: bool) -> Value {
    let tag = tag.map(canonical_tag);
    let string = |text: Cow<'_, str>| Value::String(text.into_owned());
    match tag.as_deref() {
        Some(t) if !is_core_tag(t) && t != "!" => {
            Value::Tagged(t.to_string(), Box::new(string(text)))
        }
        None if plain => resolve_plain_text(text),
        Some("tag:yaml.org,2002:str") | None => string(text),
        Some("tag:yaml.org,2002:null") => Value::Null,
        Some("tag:yaml.org,2002:bool")
        | Some("tag:yaml.org,2002:int")
        | Some("tag:yaml.org,2002:float") => resolve_plain_text(text),
        // A core tag without a type here (`!!binary`, `!!timestamp`):
        // its text, under the tag, as the oracle reads it too.
        Some(t) if t != "!" => Value::Tagged(t.to_string(), Box::new(string(text))),
        Some(_) => string(text),
    }
}

fn is_core_tag(tag: &str) -> bool {
    tag.starts_with(CORE_PREFIX)
}

const CORE_PREFIX: &str = "tag:yaml.org,2002:";

/// The full name of a tag of the core schema's `!!` handle, written short
/// (`!!int`) or verbatim (`!<tag:yaml.org,2002:int>`); other tags as written.
pub fn canonical_tag(tag: &str) -> std::borrow::Cow<'_, str> {
    if let Some(suffix) = tag.strip_prefix("!!") {
        return format!("{CORE_PREFIX}{suffix}").into();
    }
    match tag.strip_prefix("!<").and_then(|t| t.strip_suffix('>')) {
        Some(full) => full.into(),
        None => tag.into(),
    }
}

/// Every document of the stream as data (an empty document is Null).
///
/// Fails on the first syntax error, or on an alias to an unknown anchor.
pub fn decode_documents(parse: &Parse) -> Result<Vec<Value>, DecodeError> {
    if let Some(e) = parse.errors().first() {
        return Err(DecodeError {
            message: e.message.clone(),
            range: e.range,
        });
    }
    let mut docs = Vec::new();
    for (doc, offset) in green_nodes(parse.green(), TextSize::from(0)) {
        if kind_of(doc) != DOCUMENT {
            continue;
        }
        let explicit = green_tokens(doc).any(|(k, _)| k == DOC_START);
        let has_node = green_nodes(doc, offset).any(|(n, _)| {
            let k = kind_of(n);
            k == PROPERTIES || k.is_content_node()
        });
        if !explicit && !has_node {
            continue;
        }
        let mut decoder = Decoder::default();
        docs.push(decoder.slot(doc, offset)?);
    }
    Ok(docs)
}

/// Decodes the data of one node that holds properties and content.
pub fn decode_node(slot: &SyntaxNode) -> Result<Value, DecodeError> {
    Decoder::default().slot(&slot.green(), slot.text_range().start())
}

/// Decodes green nodes: a walk through [`SyntaxNode`] cursors would make
/// a cursor node per child it looks at, and the engine decodes every flow.
/// Offsets are tracked only to place an error.
#[derive(Default)]
struct Decoder {
    anchors: HashMap<String, Value>,
}

impl Decoder {
    /// A node position (document, key, value, item): properties + content,
    /// `parent` starting at `offset`.
    fn slot(&mut self, parent: &GreenNodeData, offset: TextSize) -> Result<Value, DecodeError> {
        // Properties may be split over lines (`&a` then `!!str`).
        let (mut anchor, mut tag, mut content) = (None, None, None);
        for (child, at) in green_nodes(parent, offset) {
            match kind_of(child) {
                PROPERTIES => {
                    for (kind, text) in green_tokens(child) {
                        match kind {
                            ANCHOR => anchor = Some(text[1..].to_string()),
                            TAG => tag = Some(text),
                            _ => {}
                        }
                    }
                }
                k if k.is_content_node() && content.is_none() => content = Some((child, at)),
                _ => {}
            }
        }
        let value = match content {
            Some((c, at)) => self.content(c, at, tag)?,
            None => match tag.map(canonical_tag).as_deref() {
                Some("tag:yaml.org,2002:str") => Value::String(String::new()),
                _ => Value::Null,
            },
        };
        if let Some(a) = anchor {
            self.anchors.insert(a, value.clone());
        }
        Ok(value)
    }

    fn content(
        &mut self,
        node: &GreenNodeData,
        offset: TextSize,
        tag: Option<&str>,
    ) -> Result<Value, DecodeError> {
        Ok(match kind_of(node) {
            BLOCK_MAP | FLOW_MAP => {
                let mut entries = Vec::new();
                for (entry, at) in green_nodes(node, offset) {
                    if matches!(kind_of(entry), BLOCK_MAP_ENTRY | FLOW_MAP_ENTRY) {
                        entries.push(self.entry(entry, at)?);
                    }
                }
                tagged(tag, Value::Map(entries))
            }
            BLOCK_SEQ | FLOW_SEQ => {
                let mut items = Vec::new();
                for (item, at) in green_nodes(node, offset) {
                    if !matches!(kind_of(item), BLOCK_SEQ_ENTRY | FLOW_SEQ_ENTRY) {
                        continue;
                    }
                    match green_nodes(item, at).find(|(n, _)| kind_of(n) == FLOW_MAP_ENTRY) {
                        Some((pair, at)) => items.push(Value::Map(vec![self.entry(pair, at)?])),
                        None => items.push(self.slot(item, at)?),
                    }
                }
                tagged(tag, Value::Seq(items))
            }
            ALIAS => {
                let name = green_tokens(node)
                    .find(|(k, _)| *k == ALIAS_NAME)
                    .map(|(_, text)| &text[1..])
                    .unwrap_or_default();
                match self.anchors.get(name) {
                    Some(v) => v.clone(),
                    None => {
                        return Err(DecodeError {
                            message: format!("unknown anchor `{name}`"),
                            range: TextRange::at(offset, node.text_len()),
                        })
                    }
                }
            }
            k if k.is_scalar_node() => apply_tag(tag, green_scalar(node), k == PLAIN_SCALAR),
            _ => Value::Null,
        })
    }

    fn entry(
        &mut self,
        entry: &GreenNodeData,
        offset: TextSize,
    ) -> Result<(Value, Value), DecodeError> {
        let (mut key, mut value) = (None, None);
        for (child, at) in green_nodes(entry, offset) {
            match kind_of(child) {
                MAP_KEY if key.is_none() => key = Some((child, at)),
                MAP_VALUE if value.is_none() => value = Some((child, at)),
                _ => {}
            }
        }
        // The key first: an anchor on it may be aliased in the value.
        let key = match key {
            Some((k, at)) => self.slot(k, at)?,
            None => Value::Null,
        };
        let value = match value {
            Some((v, at)) => self.slot(v, at)?,
            None => Value::Null,
        };
        Ok((key, value))
    }
}

impl std::fmt::Display for Value {
    /// A compact flow-style rendering, for messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::String(s) => write!(f, "{s:?}"),
            Value::Seq(items) => {
                f.write_str("[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Value::Map(entries) => {
                f.write_str("{")?;
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                f.write_str("}")
            }
            Value::Tagged(t, v) => write!(f, "{t} {v}"),
        }
    }
}

/// Wraps a collection in its tag when the tag is outside the core schema.
fn tagged(tag: Option<&str>, value: Value) -> Value {
    match tag.map(canonical_tag).as_deref() {
        Some(t) if !is_core_tag(t) && t != "!" => Value::Tagged(t.to_string(), Box::new(value)),
        _ => value,
    }
}

impl Value {
    /// JSON rendering; a non-string key is written as its JSON text.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(J::Number)
                .unwrap_or_else(|| J::String(f.to_string())),
            Value::String(s) => J::String(s.clone()),
            Value::Tagged(_, inner) => inner.to_json(),
            Value::Seq(items) => J::Array(items.iter().map(Value::to_json).collect()),
            Value::Map(entries) => {
                let mut map = serde_json::Map::new();
                for (k, v) in entries {
                    let key = match k {
                        Value::String(s) => s.clone(),
                        Value::Null => String::new(),
                        other => other.to_json().to_string(),
                    };
                    map.insert(key, v.to_json());
                }
                J::Object(map)
            }
        }
    }

    /// A rendering cut to 80 characters, for messages.
    pub fn brief(&self) -> String {
        let s = self.to_string();
        if s.chars().count() > 80 {
            format!("{}...", s.chars().take(77).collect::<String>())
        } else {
            s
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value of `key` in a mapping whose keys are strings.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_schema() {
        assert_eq!(resolve_plain("~"), Value::Null);
        assert_eq!(resolve_plain("True"), Value::Bool(true));
        assert_eq!(resolve_plain("0x1F"), Value::Int(31));
        assert_eq!(resolve_plain("0o17"), Value::Int(15));
        assert_eq!(resolve_plain("-12"), Value::Int(-12));
        assert_eq!(resolve_plain("1.5e3"), Value::Float(1500.0));
        assert_eq!(resolve_plain(".5"), Value::Float(0.5));
        assert_eq!(resolve_plain("1e"), Value::String("1e".into()));
        assert_eq!(resolve_plain("yes"), Value::String("yes".into()));
    }

    /// Every scalar node of `text`.
    fn scalars(text: &str) -> Vec<SyntaxNode> {
        crate::syntax::parse(text)
            .syntax()
            .descendants()
            .filter(|n| n.kind().is_scalar_node())
            .collect()
    }

    #[test]
    fn scalars_written_as_they_decode_are_borrowed() {
        let text = "a: one line\nb: 'quoted'\nc: \"double\"\nd: ''\ne:\n";
        for node in scalars(text) {
            assert!(matches!(scalar_str(&node), Cow::Borrowed(_)), "{node}");
        }
        let text = "a: two\n  lines\nb: 'it''s'\nc: \"tab\\t\"\nd: \"x\n  y\"\ne: |\n  block\n";
        let owned: Vec<String> = scalars(text)
            .iter()
            .filter(|n| matches!(scalar_str(n), Cow::Owned(_)))
            .map(|n| scalar_str(n).into_owned())
            .collect();
        assert_eq!(owned, ["two lines", "it's", "tab\t", "x y", "block\n"]);
    }

    #[test]
    fn the_borrowed_text_is_the_decoded_text() {
        let text = "a: plain  spaced\n'b c': 'x  '\n\"d\": \" y \"\ne: [f, 'g', \"h\"]\ni: \"'\"\nj: '\"'\nk: 'a\\b'\nl: \"unterminated\n";
        for node in scalars(text) {
            assert_eq!(scalar_str(&node), decode_scalar_text(&node), "{node}");
        }
    }

    #[test]
    fn an_unknown_alias_is_placed_where_it_is_written() {
        // The anchor is outside the node decoded.
        let text = "a: &x 1\nb:\n  - y\n  - {c: *x}\n";
        let parse = crate::syntax::parse(text);
        assert!(decode_documents(&parse).is_ok());
        let mut values = parse
            .syntax()
            .descendants()
            .filter(|n| n.kind() == MAP_VALUE);
        let b = values.nth(1).unwrap();
        let err = decode_node(&b).unwrap_err();
        assert_eq!(err.message, "unknown anchor `x`");
        assert_eq!(&text[err.range], "*x");
    }

    #[test]
    fn quoted_folding_and_escapes() {
        assert_eq!(decode_quoted(r#""a\tb\x41\u263A""#, false), "a\tbA\u{263a}");
        assert_eq!(decode_quoted("\"a  \n   b\"", false), "a b");
        assert_eq!(decode_quoted("\"a\n\n  b\"", false), "a\nb");
        assert_eq!(decode_quoted("\"a\\\n  b\"", false), "ab");
        assert_eq!(decode_quoted("'it''s'", true), "it's");
    }
}
