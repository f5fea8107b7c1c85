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
    let content = start + trimmed.len();
    // Keep the rest of the last content line (trailing blanks, its line
    // break) inside the range, so they stay with the line they are on.
    let blanks = text[content..].len() - text[content..].trim_start_matches([' ', '\t']).len();
    let nl = newline_len(text, content + blanks);
    let pos = if nl > 0 {
        content + blanks + nl
    } else {
        content
    };
    pos.min(end).max(content)
}

/// Whether `offset` sits inside (or at the end of) a block scalar with the
/// keep indicator (`|+`), whose trailing blank lines are part of its value.
fn in_kept_block_scalar(node: &SyntaxNode, offset: usize) -> bool {
    let root = node.ancestors().last().unwrap_or_else(|| node.clone());
    if offset > end_of(&root) {
        return false;
    }
    let at = TextSize::from(offset as u32);
    root.token_at_offset(at).any(|t| {
        t.parent_ancestors().any(|a| {
            a.kind() == SyntaxKind::BLOCK_SCALAR
                && a.children_with_tokens()
                    .filter_map(NodeOrToken::into_token)
                    .any(|h| h.kind() == SyntaxKind::BLOCK_HEADER && h.text().contains('+'))
        })
    })
}

/// Where text can go after `node`'s last line without becoming part of
/// it: after its content line, or after the blank lines a `|+` scalar at
/// its end keeps as content.
fn after_lines(text: &str, node: &SyntaxNode) -> usize {
    let end = content_end(text, node);
    if end < end_of(node) && in_kept_block_scalar(node, end) {
        let full = end_of(node);
        if newline_len_before(text, full) > 0 {
            return full;
        }
    }
    end
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
/// line between) that document the entry there and move or go with it:
/// those written at the entry's own column. A comment at another column,
/// or one whose text is indented past its `#` (`#  - id: old`, a line
/// commented out at a deeper level), belongs to what comes before.
fn attached_comments_start(text: &str, offset: usize) -> usize {
    let col = column(text, offset);
    let mut start = line_start(text, offset);
    while start > 0 {
        let prev_end = start - newline_len_before(text, start);
        let prev_start = line_start(text, prev_end);
        let raw = &text[prev_start..prev_end];
        let line = raw.trim_start_matches([' ', '\t']);
        let at_col = raw.len() - line.len() == col;
        let commented_out = line
            .strip_prefix('#')
            .is_some_and(|rest| rest.starts_with("  ") && !rest.trim().is_empty());
        if !line.starts_with('#') || !at_col || commented_out {
            break;
        }
        start = prev_start;
    }
    start
}

/// Every comment token in `range` of the tree `node` belongs to. Only the
/// subtrees that reach into `range` are walked: callers ask once per
/// removed or copied member, and a walk of the whole tree each time made a
/// flow with many such edits quadratic.
fn comments_in(text: &str, node: &SyntaxNode, range: TextRange) -> Vec<(TextRange, String)> {
    let root = node.ancestors().last().unwrap_or_else(|| node.clone());
    let Some(range) = range.intersect(root.text_range()) else {
        return Vec::new();
    };
    debug_assert_eq!(usize::from(root.text_range().len()), text.len());
    // Every comment starts with `#`: most ranges have none, and a byte scan
    // is far cheaper than a walk of the tree.
    if !text.as_bytes()[usize::from(range.start())..usize::from(range.end())].contains(&b'#') {
        return Vec::new();
    }
    let reaches = |r: TextRange| r.start() < range.end() && range.start() < r.end();
    let mut comments = Vec::new();
    let top = match root.covering_element(range) {
        NodeOrToken::Node(n) => n,
        NodeOrToken::Token(t) => t.parent().unwrap_or(root),
    };
    let mut walk = top.preorder_with_tokens();
    while let Some(event) = walk.next() {
        match event {
            rowan::WalkEvent::Enter(NodeOrToken::Node(n)) if !reaches(n.text_range()) => {
                walk.skip_subtree();
            }
            rowan::WalkEvent::Enter(NodeOrToken::Token(t))
                if t.kind() == SyntaxKind::COMMENT && range.contains_range(t.text_range()) =>
            {
                comments.push((t.text_range(), t.text().to_string()));
            }
            _ => {}
        }
    }
    comments
}

/// The ranges of the comments [`node_text_at`] copies along with `node`.
pub fn copied_comments(text: &str, node: &SyntaxNode) -> Vec<TextRange> {
    comments_in(text, node, range(start_of(node), content_end(text, node)))
        .into_iter()
        .map(|(r, _)| r)
        .collect()
}

/// The comments a removal of `node` takes out of the text, in order: its
/// attached comment lines, the comment at the end of its lines and those
/// inside it. A caller that copies some of them elsewhere names them (by
/// range) to [`remove_entry_moving`]; the others stay in the file.
pub fn member_comments(text: &str, node: &SyntaxNode) -> Vec<(TextRange, String)> {
    let start = start_of(node);
    let range = match block_lines(text, node) {
        Some(lines) => lines,
        None => range(start, content_end(text, node)),
    };
    comments_in(text, node, range)
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

/// Removes a mapping entry with its line break. Its comments (the lines
/// above it, the one at the end of its line, those inside its value) stay
/// in the file as comment lines at the entry's column: a removal never
/// deletes a comment. Comments of neighbouring entries and blank separator
/// lines stay as they are.
pub fn remove_entry(text: &str, entry: &Entry) -> TextEdit {
    remove_member(text, entry.syntax(), &[])
}

/// [`remove_entry`] for an entry whose comments in `moved` (ranges from
/// [`member_comments`]) the caller has written elsewhere: those go, the
/// others stay.
pub fn remove_entry_moving(text: &str, entry: &Entry, moved: &[TextRange]) -> TextEdit {
    remove_member(text, entry.syntax(), moved)
}

/// Removes a sequence item with its line break; its comments stay, as
/// with [`remove_entry`].
pub fn remove_item(text: &str, item: &Item) -> TextEdit {
    remove_member(text, item.syntax(), &[])
}

fn remove_member(text: &str, node: &SyntaxNode, moved: &[TextRange]) -> TextEdit {
    let is_flow = matches!(
        node.kind(),
        SyntaxKind::FLOW_MAP_ENTRY | SyntaxKind::FLOW_SEQ_ENTRY
    );
    let next = node.next_sibling().filter(|n| n.kind() == node.kind());
    if is_flow {
        return remove_flow_member(text, node, next);
    }
    let kept: Vec<String> = member_comments(text, node)
        .into_iter()
        .filter(|(r, _)| !moved.contains(r))
        .map(|(_, c)| c)
        .collect();
    if !kept.is_empty() {
        return remove_keeping(text, node, next, &kept);
    }
    if let Some(lines) = block_lines(text, node) {
        // The last thing in the file takes the blank lines before it along,
        // so the file does not end in blank lines.
        let (start, end) = (usize::from(lines.start()), usize::from(lines.end()));
        if text[end..].trim().is_empty() {
            let kept = text[..start]
                .trim_end_matches([' ', '\t', '\n', '\r'])
                .len();
            // The last kept line keeps its trailing blanks and line break.
            let kept =
                kept + text[kept..].len() - text[kept..].trim_start_matches([' ', '\t']).len();
            let start = kept + newline_len(text, kept);
            // A `|+` scalar before keeps those blank lines as content.
            if start < usize::from(lines.start()) && !in_kept_block_scalar(node, start) {
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

/// The removal of a block member whose comments `kept` stay: they take the
/// member's place as comment lines at its column.
fn remove_keeping(
    text: &str,
    node: &SyntaxNode,
    next: Option<SyntaxNode>,
    kept: &[String],
) -> TextEdit {
    let eol = line_ending_near(text, start_of(node));
    let col = column(text, start_of(node));
    let pad = " ".repeat(col);
    if let Some(lines) = block_lines(text, node) {
        let end = usize::from(lines.end());
        let mut out: String = kept.iter().map(|c| format!("{pad}{c}{eol}")).collect();
        if newline_len_before(text, end) == 0 {
            // The member ended the file without a line break.
            out.truncate(out.len() - eol.len());
        }
        return TextEdit::replace(lines, out);
    }
    // First member of a compact collection: the comments take the
    // indicator's line (`- # note`), the next member moves below them.
    let joined = kept.join(&format!("{eol}{pad}"));
    match next {
        Some(next) => TextEdit::replace(
            range(start_of(node), start_of(&next)),
            format!("{joined}{eol}{pad}"),
        ),
        None => {
            let end = content_end(text, node);
            let end = end - newline_len_before(text, end);
            TextEdit::replace(range(start_of(node), end), joined)
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
    let at = after_lines(text, &anchor);
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
    // Blanks after the content stay on their line; in a block scalar they
    // are content.
    let bare = src.trim_end_matches([' ', '\t']);
    let in_block = !bare.is_empty()
        && node
            .token_at_offset(TextSize::from((start + bare.len() - 1) as u32))
            .any(|t| t.kind() == SyntaxKind::BLOCK_TEXT);
    let src = if in_block { src } else { bare };
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
