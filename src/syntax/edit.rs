//! Text edits against a source text, and the structural edit helpers
//! codemods use: each returns a [`TextEdit`] that touches only the bytes it
//! must and writes new text in the file's own [`Style`].

use super::ast::{AstNode, Entry, Item, Mapping, Scalar, Sequence};
use super::emit;
use super::kind::{SyntaxKind, SyntaxNode};
use super::style::{column, line_start, starts_line, Style};
use super::value::ScalarStyle;
use rowan::{NodeOrToken, TextRange, TextSize};

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

/// Why a structural edit cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("a flow collection can only take a single-line entry")]
    MultiLineInFlow,
    #[error("the collection has no entries to anchor the insertion")]
    EmptyCollection,
}

/// Applies non-overlapping edits (in any order) to `text`.
///
/// ```
/// use kestra_fix::syntax::edit::{apply_edits, TextEdit};
/// use kestra_fix::syntax::{TextRange, TextSize};
///
/// let text = "image: python:3.11 # pinned\n";
/// let edit = TextEdit::replace(TextRange::new(TextSize::from(7), TextSize::from(18)), "python:3.12");
/// assert_eq!(apply_edits(text, &[edit]).unwrap(), "image: python:3.12 # pinned\n");
/// ```
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

fn range(start: usize, end: usize) -> TextRange {
    TextRange::new(TextSize::from(start as u32), TextSize::from(end as u32))
}

fn start_of(node: &SyntaxNode) -> usize {
    node.text_range().start().into()
}

fn end_of(node: &SyntaxNode) -> usize {
    node.text_range().end().into()
}

/// Replaces a scalar's value, keeping its quoting style where the new
/// value allows it (plain -> single -> double quotes otherwise). A block
/// scalar keeps its header style and indentation.
pub fn replace_scalar(text: &str, scalar: &Scalar, new_value: &str) -> TextEdit {
    let node = scalar.syntax();
    let flow = node
        .ancestors()
        .any(|a| matches!(a.kind(), SyntaxKind::FLOW_MAP | SyntaxKind::FLOW_SEQ));
    match scalar.style() {
        style @ (ScalarStyle::Literal | ScalarStyle::Folded) if !flow => {
            replace_block_scalar(text, node, new_value, style)
        }
        style => TextEdit::replace(
            node.text_range(),
            emit::string_scalar(new_value, style, flow),
        ),
    }
}

fn replace_block_scalar(
    text: &str,
    node: &SyntaxNode,
    new_value: &str,
    style: ScalarStyle,
) -> TextEdit {
    let eol = line_ending_near(text, start_of(node));
    let indent = node
        .children_with_tokens()
        .filter_map(NodeOrToken::into_token)
        .find(|t| t.kind() == SyntaxKind::BLOCK_INDENT)
        .map(|t| t.text().len())
        .unwrap_or_else(|| {
            let owner = node
                .parent()
                .and_then(|p| p.parent())
                .unwrap_or(node.clone());
            column(text, start_of(&owner)) + 2
        });
    let body = new_value.strip_suffix('\n').unwrap_or(new_value);
    let trailing = new_value.len() - new_value.trim_end_matches('\n').len();
    let chomp = match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    };
    let indicator = if style == ScalarStyle::Folded && !body.contains('\n') {
        '>'
    } else {
        '|'
    };
    let pad = " ".repeat(indent);
    let needs_indicator = body.starts_with(' ');
    let mut out = format!(
        "{indicator}{}{chomp}{eol}",
        if needs_indicator {
            indent.to_string()
        } else {
            String::new()
        }
    );
    let body = if trailing > 1 {
        new_value.strip_suffix('\n').unwrap_or(new_value)
    } else {
        body
    };
    for line in body.split('\n') {
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
        out.push_str(eol);
    }
    TextEdit::replace(range(start_of(node), content_end(text, node)), out)
}

/// End of the last line of `node` that has content: a node's trailing blank
/// lines (block scalars own them) stay in the file.
fn content_end(text: &str, node: &SyntaxNode) -> usize {
    let (start, end) = (start_of(node), end_of(node));
    let slice = &text[start..end];
    let trimmed = slice.trim_end_matches([' ', '\t', '\n', '\r']);
    let mut pos = start + trimmed.len();
    // Keep the line break of the last content line inside the range.
    pos += newline_len(text, pos);
    pos.min(end).max(start + trimmed.len())
}

fn newline_len(text: &str, pos: usize) -> usize {
    let b = text.as_bytes();
    match b.get(pos) {
        Some(b'\n') => 1,
        Some(b'\r') if b.get(pos + 1) == Some(&b'\n') => 2,
        Some(b'\r') => 1,
        _ => 0,
    }
}

fn line_ending_near(text: &str, offset: usize) -> &'static str {
    let after = text[offset..].find(['\n', '\r']).map(|i| offset + i);
    match after {
        Some(i) if text[i..].starts_with("\r\n") => "\r\n",
        Some(_) => "\n",
        None if text.contains("\r\n") => "\r\n",
        None => "\n",
    }
}

/// Start of the comment lines directly above `offset`'s line (no blank
/// line between): they document the entry and move or go with it.
fn attached_comments_start(text: &str, offset: usize) -> usize {
    let mut start = line_start(text, offset);
    while start > 0 {
        let prev_end = start - newline_len_before(text, start);
        let prev_start = line_start(text, prev_end);
        let line = text[prev_start..prev_end].trim_start_matches([' ', '\t']);
        if !line.starts_with('#') {
            break;
        }
        start = prev_start;
    }
    start
}

/// Whether the line before the one starting at `line_start` is blank.
fn blank_line_before(text: &str, line_start: usize) -> bool {
    let nl = newline_len_before(text, line_start);
    if nl == 0 {
        return false;
    }
    let prev_end = line_start - nl;
    let prev_start = super::style::line_start(text, prev_end);
    text[prev_start..prev_end].trim().is_empty()
}

fn newline_len_before(text: &str, pos: usize) -> usize {
    let b = text.as_bytes();
    if pos >= 2 && &b[pos - 2..pos] == b"\r\n" {
        2
    } else if pos >= 1 && (b[pos - 1] == b'\n' || b[pos - 1] == b'\r') {
        1
    } else {
        0
    }
}

/// The range a block entry or item occupies as whole lines: its attached
/// comment lines above, its indentation, its text and its line break.
/// `None` when it shares its first line with something else (`- a: 1`).
pub fn block_lines(text: &str, node: &SyntaxNode) -> Option<TextRange> {
    let start = start_of(node);
    if !starts_line(text, start) {
        return None;
    }
    Some(range(
        attached_comments_start(text, start),
        content_end(text, node),
    ))
}

/// Removes a mapping entry with its own comment lines and line break.
/// Comments of neighbouring entries and blank separator lines stay.
pub fn remove_entry(text: &str, entry: &Entry) -> TextEdit {
    remove_member(text, entry.syntax())
}

/// Removes a sequence item with its own comment lines and line break.
pub fn remove_item(text: &str, item: &Item) -> TextEdit {
    remove_member(text, item.syntax())
}

fn remove_member(text: &str, node: &SyntaxNode) -> TextEdit {
    let is_flow = matches!(
        node.kind(),
        SyntaxKind::FLOW_MAP_ENTRY | SyntaxKind::FLOW_SEQ_ENTRY
    );
    let next = node.next_sibling().filter(|n| n.kind() == node.kind());
    if is_flow {
        return remove_flow_member(text, node, next);
    }
    if let Some(lines) = block_lines(text, node) {
        // The last thing in the file takes the blank lines before it along,
        // so the file does not end in blank lines.
        let (start, end) = (usize::from(lines.start()), usize::from(lines.end()));
        if text[end..].trim().is_empty() {
            let kept = text[..start]
                .trim_end_matches([' ', '\t', '\n', '\r'])
                .len();
            let start = kept + newline_len(text, kept);
            if start < usize::from(lines.start()) {
                return TextEdit::delete(range(start, end));
            }
        }
        // Between two blank lines, one of them goes too, so the gap stays one line.
        let (start, end) = (usize::from(lines.start()), usize::from(lines.end()));
        if blank_line_before(text, start) {
            let after = text[end..].len() - text[end..].trim_start_matches([' ', '\t']).len();
            let nl = newline_len(text, end + after);
            if nl > 0 {
                return TextEdit::delete(range(start, end + after + nl));
            }
        }
        return TextEdit::delete(lines);
    }
    // First member of a compact collection (`- a: 1\n  b: 2`): the next
    // member moves up onto the indicator's line.
    match next {
        Some(next) => TextEdit::delete(range(start_of(node), start_of(&next))),
        None => {
            let end = content_end(text, node);
            let end = end - newline_len_before(text, end);
            TextEdit::delete(range(start_of(node), end))
        }
    }
}

fn remove_flow_member(text: &str, node: &SyntaxNode, next: Option<SyntaxNode>) -> TextEdit {
    if let Some(next) = next {
        return TextEdit::delete(range(start_of(node), start_of(&next)));
    }
    let prev = node.prev_sibling().filter(|n| n.kind() == node.kind());
    let end = start_of(node) + node_text_trimmed_len(node);
    match prev.and_then(|p| comma_of(&p)) {
        // Last member: take the previous member's comma with it.
        Some(comma) => TextEdit::delete(range(comma, end)),
        None => {
            let _ = text;
            TextEdit::delete(range(start_of(node), end))
        }
    }
}

fn comma_of(member: &SyntaxNode) -> Option<usize> {
    member
        .children_with_tokens()
        .filter_map(NodeOrToken::into_token)
        .find(|t| t.kind() == SyntaxKind::COMMA)
        .map(|t| t.text_range().start().into())
}

fn node_text_trimmed_len(node: &SyntaxNode) -> usize {
    let s = node.text().to_string();
    s.trim_end().len()
}

/// Where to put a new entry or item.
#[derive(Debug, Clone)]
pub enum Position<T> {
    First,
    After(T),
    Last,
}

/// Inserts `entry`, the YAML text of one mapping entry written at column 0
/// (lines joined by `\n`, e.g. `"key:\n  a: 1"`), into `map` at `position`,
/// re-indented to the map's column with the file's line endings.
pub fn insert_entry(
    text: &str,
    map: &Mapping,
    position: Position<&Entry>,
    entry: &str,
    style: &Style,
) -> Result<TextEdit, EditError> {
    let entries: Vec<Entry> = map.entries().collect();
    let nodes: Vec<SyntaxNode> = entries.iter().map(|e| e.syntax().clone()).collect();
    let position = match position {
        Position::First => Position::First,
        Position::After(e) => Position::After(e.syntax().clone()),
        Position::Last => Position::Last,
    };
    if map.is_flow() {
        return insert_flow_member(map.syntax(), &nodes, position, entry, SyntaxKind::R_BRACE);
    }
    insert_block_member(text, map.syntax(), &nodes, position, entry, style)
}

/// Appends `item` (YAML text at column 0, without the `- `) to `seq`.
pub fn append_item(
    text: &str,
    seq: &Sequence,
    item: &str,
    style: &Style,
) -> Result<TextEdit, EditError> {
    insert_item(text, seq, Position::Last, item, style)
}

/// Inserts `item` (YAML text at column 0, without the `- `) into `seq`.
pub fn insert_item(
    text: &str,
    seq: &Sequence,
    position: Position<&Item>,
    item: &str,
    style: &Style,
) -> Result<TextEdit, EditError> {
    let nodes: Vec<SyntaxNode> = seq.items().map(|i| i.syntax().clone()).collect();
    let position = match position {
        Position::First => Position::First,
        Position::After(i) => Position::After(i.syntax().clone()),
        Position::Last => Position::Last,
    };
    if seq.is_flow() {
        return insert_flow_member(seq.syntax(), &nodes, position, item, SyntaxKind::R_BRACKET);
    }
    let dashed = format!("- {}", indent_lines(item, 2, "\n"));
    insert_block_member(text, seq.syntax(), &nodes, position, &dashed, style)
}

fn insert_block_member(
    text: &str,
    collection: &SyntaxNode,
    members: &[SyntaxNode],
    position: Position<SyntaxNode>,
    member: &str,
    style: &Style,
) -> Result<TextEdit, EditError> {
    let eol = style.line_ending;
    let col = column(text, start_of(collection));
    let first = members.first().ok_or(EditError::EmptyCollection)?;
    let anchor = match position {
        Position::First => {
            let start = start_of(first);
            if starts_line(text, start) {
                let at = attached_comments_start(text, start);
                let body = format!("{}{}{eol}", " ".repeat(col), indent_lines(member, col, eol));
                return Ok(TextEdit::insert(TextSize::from(at as u32), body));
            }
            // Compact first member: the new one takes the indicator's line.
            let body = format!("{}{eol}{}", indent_lines(member, col, eol), " ".repeat(col));
            return Ok(TextEdit::insert(TextSize::from(start as u32), body));
        }
        Position::After(node) => node,
        Position::Last => members.last().cloned().expect("non-empty"),
    };
    let at = content_end(text, &anchor);
    let ends_line = newline_len_before(text, at) > 0;
    let mut body = String::new();
    if !ends_line {
        body.push_str(eol);
    }
    body.push_str(&" ".repeat(col));
    body.push_str(&indent_lines(member, col, eol));
    if ends_line {
        body.push_str(eol);
    }
    Ok(TextEdit::insert(TextSize::from(at as u32), body))
}

fn insert_flow_member(
    collection: &SyntaxNode,
    members: &[SyntaxNode],
    position: Position<SyntaxNode>,
    member: &str,
    close: SyntaxKind,
) -> Result<TextEdit, EditError> {
    if member.contains('\n') {
        return Err(EditError::MultiLineInFlow);
    }
    let insert = |at: usize, s: String| Ok(TextEdit::insert(TextSize::from(at as u32), s));
    let anchor = match position {
        Position::First => match members.first() {
            Some(first) => return insert(start_of(first), format!("{member}, ")),
            None => None,
        },
        Position::After(node) => Some(node),
        Position::Last => members.last().cloned(),
    };
    match anchor {
        Some(node) => match comma_of(&node) {
            Some(comma) => insert(comma + 1, format!(" {member},")),
            None => insert(
                start_of(&node) + node_text_trimmed_len(&node),
                format!(", {member}"),
            ),
        },
        None => {
            let close_at = collection
                .children_with_tokens()
                .filter_map(NodeOrToken::into_token)
                .find(|t| t.kind() == close)
                .map(|t| usize::from(t.text_range().start()))
                .unwrap_or_else(|| end_of(collection));
            insert(close_at, member.to_string())
        }
    }
}

/// Prefixes every line but the first of `block` (lines joined by `\n`)
/// with `indent` spaces and joins them with `eol`. Empty lines stay empty.
pub fn indent_lines(block: &str, indent: usize, eol: &str) -> String {
    let pad = " ".repeat(indent);
    let mut out = String::with_capacity(block.len() + 8);
    for (i, line) in block.split('\n').enumerate() {
        if i > 0 {
            out.push_str(eol);
            if !line.is_empty() {
                out.push_str(&pad);
            }
        }
        out.push_str(line);
    }
    out
}

/// The source text of `node`, with every line after the first shifted so
/// that the node can be written starting at column `to_col`. Comments
/// inside travel with it; the decoded data is unchanged.
pub fn node_text_at(text: &str, node: &SyntaxNode, to_col: usize) -> String {
    let (start, end) = (start_of(node), content_end(text, node));
    let from_col = column(text, start);
    let src = text[start..end]
        .strip_suffix("\r\n")
        .or_else(|| text[start..end].strip_suffix('\n'))
        .unwrap_or(&text[start..end]);
    let mut out = String::with_capacity(src.len());
    let mut first = true;
    for line in src.split_inclusive('\n') {
        if first {
            out.push_str(line);
            first = false;
            continue;
        }
        let body = line.trim_end_matches(['\n', '\r']);
        let lead = body.len() - body.trim_start_matches(' ').len();
        if body.is_empty() {
            out.push_str(line);
        } else if to_col >= from_col {
            out.push_str(&" ".repeat(to_col - from_col));
            out.push_str(line);
        } else {
            out.push_str(&line[lead.min(from_col - to_col)..]);
        }
    }
    out
}
