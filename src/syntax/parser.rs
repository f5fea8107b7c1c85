//! Recursive-descent YAML parser that builds the lossless rowan tree.
//!
//! The parser scans bytes directly (see `lexer`) because YAML tokens depend
//! on context. Structure follows the YAML 1.2 productions: a block node is
//! parsed with the indentation `n` of its parent collection (-1 at the
//! document root); a block collection's entries sit at one column `m > n`.
//!
//! Ownership of trivia, which edits rely on:
//! - an entry owns everything on its own line(s), including the trailing
//!   comment and the line break;
//! - comment and blank lines between entries belong to the innermost
//!   collection that continues after them;
//! - trailing trivia of the document belongs to the DOCUMENT.
//!
//! Every loop consumes at least one byte per iteration or stops, and every
//! unexpected byte ends up in an ERROR node, so parsing always terminates
//! and the tree always holds the whole input.

use super::builder::{Builder, GreenCache};
use super::kind::SyntaxKind::{self, *};
use super::lexer::*;
use super::{SyntaxError, SyntaxNode};
use rowan::{GreenNode, TextRange, TextSize};
use std::cell::{Cell, RefCell};

thread_local! {
    /// Short tokens and the nodes around them, shared by the parses of one
    /// thread: flows repeat the same keys, indentation and punctuation, so
    /// most are cache hits and the cache never has to grow from empty.
    static CACHE: RefCell<GreenCache> = RefCell::new(GreenCache::default());
    /// Bytes parsed since the cache was last emptied.
    static CACHED_BYTES: Cell<usize> = const { Cell::new(0) };
}

/// Bound on what the cache can pin in memory (its entries are kept alive by
/// the cache itself): past this many parsed bytes it starts over.
const CACHE_RESET_BYTES: usize = 4 << 20;

/// The tree of `text`, every syntax error in it, in source order (the
/// parser's, and those of the whole-stream checks, `check`), and whether
/// it holds an alias.
pub(crate) fn parse(text: &str) -> (GreenNode, Vec<SyntaxError>, bool) {
    let (green, mut errors, has_alias) = build(text);
    errors.extend(super::check::forbidden_character(text));
    // What an alias refers to is only sound in a tree without errors, and
    // only aliases can break it: most flows have none, and skip the walk.
    if errors.is_empty() && has_alias {
        errors.extend(super::check::aliases(&SyntaxNode::new_root(green.clone())));
    }
    errors.sort_by_key(|e| e.range.start());
    (green, errors, has_alias)
}

/// The tree, the parser's errors, and whether the tree holds an alias.
fn build(text: &str) -> (GreenNode, Vec<SyntaxError>, bool) {
    with_builder(text.len(), |builder| {
        let mut p = Parser::new(text, builder);
        p.stream();
        (p.builder.finish(), p.errors, p.has_alias)
    })
}

/// Runs `f` with a builder on this thread's cache, `len` more bytes parsed.
fn with_builder<R>(len: usize, f: impl FnOnce(Builder<'_>) -> R) -> R {
    CACHE.with(|cache| {
        let parsed = CACHED_BYTES.get() + len;
        let mut cache = match cache.try_borrow_mut() {
            Ok(c) => c,
            // Re-entrant use (cannot happen today): parse without sharing.
            Err(_) => return f(Builder::new(&mut GreenCache::default())),
        };
        if parsed > CACHE_RESET_BYTES {
            *cache = GreenCache::default();
            CACHED_BYTES.set(len);
        } else {
            CACHED_BYTES.set(parsed);
        }
        f(Builder::new(&mut cache))
    })
}

/// The entries a block collection's loop parses from `start`, where one of
/// its entries ends, up to `end`, where another does, as the children of a
/// node of the collection's `kind`. `depth` counts the collections open
/// there, the collection included.
///
/// `None` unless the loop reaches `end` exactly, between two entries, with
/// no error and no alias: only then is the result what a whole parse of
/// `text` makes of those bytes, given that it reaches `start` in the same
/// state (see `syntax::reparse`).
pub(crate) fn block_entries(
    text: &str,
    start: usize,
    end: usize,
    kind: SyntaxKind,
    m: i32,
    depth: u32,
) -> Option<GreenNode> {
    with_builder(end - start, |builder| {
        let mut p = Parser::new(text, builder);
        (p.pos, p.line_start, p.depth) = (start, start, depth);
        p.start(kind);
        while p.pos < end {
            let more = match kind {
                BLOCK_MAP => p.block_map_next(m),
                BLOCK_SEQ => p.block_seq_next(m),
                _ => false,
            };
            if !more || !p.errors.is_empty() || p.has_alias {
                return None;
            }
        }
        p.finish();
        (p.pos == end).then(|| p.builder.finish())
    })
}

/// Deepest nesting of collections the parser follows; real flows use a
/// dozen levels, and each level costs a few stack frames.
const MAX_DEPTH: u32 = 200;

/// What may follow on the same line as the indicator before a block node.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SameLine {
    /// After `- `, `? `, an explicit `: `, or at the start of a line: a
    /// compact block collection may start here.
    Compact,
    /// After an implicit key's `:` or after `---`: only a scalar, a flow
    /// collection or an alias.
    FlowOnly,
}

#[derive(Clone, Copy)]
struct Ctx {
    same_line: SameLine,
    /// A block sequence may sit at the parent's own indentation
    /// (`key:\n- a`), as in the spec's block-out context.
    seq_at_parent_indent: bool,
}

const AFTER_DASH: Ctx = Ctx {
    same_line: SameLine::Compact,
    seq_at_parent_indent: false,
};
const AFTER_EXPLICIT: Ctx = Ctx {
    same_line: SameLine::Compact,
    seq_at_parent_indent: true,
};
const AFTER_KEY: Ctx = Ctx {
    same_line: SameLine::FlowOnly,
    seq_at_parent_indent: true,
};
const DOC_ROOT: Ctx = Ctx {
    same_line: SameLine::Compact,
    seq_at_parent_indent: false,
};
const AFTER_DOC_START: Ctx = Ctx {
    same_line: SameLine::FlowOnly,
    seq_at_parent_indent: false,
};

/// What differs between `[ ... ]` and `{ ... }`.
#[derive(Clone, Copy)]
struct FlowShape {
    node: SyntaxKind,
    open: SyntaxKind,
    close: SyntaxKind,
    close_byte: u8,
    /// The other collection's closing bracket: out of place here.
    stray_byte: u8,
    unclosed: &'static str,
    stray: &'static str,
}

impl FlowShape {
    const SEQ: FlowShape = FlowShape {
        node: FLOW_SEQ,
        open: L_BRACKET,
        close: R_BRACKET,
        close_byte: b']',
        stray_byte: b'}',
        unclosed: "unclosed `[`: add the matching `]`",
        stray: "unexpected character in a flow sequence",
    };
    const MAP: FlowShape = FlowShape {
        node: FLOW_MAP,
        open: L_BRACE,
        close: R_BRACE,
        close_byte: b'}',
        stray_byte: b']',
        unclosed: "unclosed `{`: add the matching `}`",
        stray: "unexpected character in a flow mapping",
    };
}

/// Which properties a node already has.
#[derive(Clone, Copy, Default)]
struct Props {
    anchor: bool,
    tag: bool,
}

/// The next non-trivia byte after the current position.
#[derive(Clone, Copy, Debug)]
struct Peek {
    pos: usize,
    /// Column of `pos` (bytes since the line start).
    col: i32,
    /// Whether a tab precedes the content in its line's leading whitespace.
    tab_indent: bool,
}

struct Parser<'a, 'c> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    line_start: usize,
    builder: Builder<'c>,
    errors: Vec<SyntaxError>,
    /// Named tag handles (`!e!`) declared by the current document's %TAG.
    tag_handles: Vec<String>,
    /// End of the last properties, to reject properties on an alias.
    props_end: usize,
    /// Collections open around the cursor: recursion is bounded by
    /// [`MAX_DEPTH`], so hostile input cannot overflow the stack.
    depth: u32,
    /// Whether an ALIAS node was emitted (the alias check needs one).
    has_alias: bool,
    /// The last plain line scanned: `(start, flow, end)`.
    plain_memo: Cell<(usize, bool, usize)>,
}

impl<'a, 'c> Parser<'a, 'c> {
    fn new(text: &'a str, builder: Builder<'c>) -> Self {
        Parser {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            line_start: 0,
            builder,
            errors: Vec::new(),
            tag_handles: Vec::new(),
            props_end: usize::MAX,
            depth: 0,
            has_alias: false,
            plain_memo: Cell::new((usize::MAX, false, 0)),
        }
    }

    // ---- low-level emission ----

    fn at(&self, pos: usize) -> Option<u8> {
        self.bytes.get(pos).copied()
    }

    fn cur(&self) -> Option<u8> {
        self.at(self.pos)
    }

    fn col(&self) -> i32 {
        (self.pos - self.line_start) as i32
    }

    fn at_eof(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn bump(&mut self, kind: SyntaxKind, end: usize) {
        debug_assert!(end > self.pos && end <= self.bytes.len());
        let text = &self.text[self.pos..end];
        self.builder.token(kind.into(), text);
        if matches!(kind, NEWLINE | SINGLE_QUOTED | DOUBLE_QUOTED | ERROR_TOKEN) {
            if let Some(i) = text.bytes().rposition(is_break) {
                self.line_start = self.pos + i + 1;
            }
        }
        self.pos = end;
    }

    fn start(&mut self, kind: SyntaxKind) {
        self.builder.start_node(kind.into());
    }

    fn finish(&mut self) {
        self.builder.finish_node();
    }

    /// Records an error; the range is clamped to the text and widened to
    /// character boundaries so it can always slice the source.
    fn error(&mut self, start: usize, end: usize, message: impl Into<String>) {
        let len = self.text.len();
        let mut start = start.min(len);
        let mut end = end.clamp(start, len);
        while !self.text.is_char_boundary(start) {
            start -= 1;
        }
        while !self.text.is_char_boundary(end) {
            end += 1;
        }
        let range = TextRange::new(TextSize::from(start as u32), TextSize::from(end as u32));
        self.errors.push(SyntaxError {
            message: message.into(),
            range,
        });
    }

    /// Wraps the rest of the current line (not its break) in an ERROR node.
    fn error_rest_of_line(&mut self, message: &str) {
        let end = line_end(self.bytes, self.pos);
        self.error(
            self.pos,
            end.max(self.pos + 1).min(self.bytes.len()),
            message,
        );
        if end > self.pos {
            self.start(ERROR);
            self.bump(ERROR_TOKEN, end);
            self.finish();
        }
    }

    /// Wraps `len` bytes in an ERROR node (always makes progress).
    fn error_bytes(&mut self, len: usize, message: &str) {
        let mut end = (self.pos + len.max(1)).min(self.bytes.len());
        while !self.text.is_char_boundary(end) {
            end += 1;
        }
        self.error(self.pos, end, message);
        self.start(ERROR);
        self.bump(ERROR_TOKEN, end);
        self.finish();
    }

    // ---- trivia ----

    /// Eats spaces, tabs and a comment on the current line. Returns whether
    /// the line ends there (break or EOF).
    fn eat_inline_trivia(&mut self) -> bool {
        let ws_end = skip_space_tab(self.bytes, self.pos);
        if ws_end > self.pos {
            self.bump(WHITESPACE, ws_end);
        }
        if self.cur() == Some(b'#') {
            let separated =
                self.pos == self.line_start || is_space_or_tab(self.bytes[self.pos - 1]);
            if !separated {
                self.error(
                    self.pos,
                    self.pos + 1,
                    "a comment needs whitespace before the `#`",
                );
            }
            self.bump(COMMENT, line_end(self.bytes, self.pos));
        }
        self.cur().is_none_or(is_break)
    }

    /// Ends the current line after a node: trailing trivia, then the break.
    /// A no-op when a nested node already ended the line.
    fn end_line(&mut self) {
        if self.pos == self.line_start {
            return;
        }
        if !self.eat_inline_trivia() {
            self.error_rest_of_line("unexpected text after the value");
        }
        let nl = newline_len(self.bytes, self.pos);
        if nl > 0 {
            self.bump(NEWLINE, self.pos + nl);
        }
    }

    /// Finds the next content byte past whitespace, comments and breaks.
    fn peek_content(&self) -> Option<Peek> {
        let mut pos = self.pos;
        let mut line_start = self.line_start;
        loop {
            pos = skip_space_tab(self.bytes, pos);
            match self.at(pos)? {
                b'#' => pos = line_end(self.bytes, pos),
                b'\n' | b'\r' => {
                    pos += newline_len(self.bytes, pos);
                    line_start = pos;
                }
                _ => {
                    let indent_end = line_start
                        + self.bytes[line_start..pos]
                            .iter()
                            .take_while(|&&b| b == b' ')
                            .count();
                    return Some(Peek {
                        pos,
                        col: (pos - line_start) as i32,
                        tab_indent: self.bytes[indent_end..pos].contains(&b'\t'),
                    });
                }
            }
        }
    }

    /// Emits the trivia between the current position and `target`.
    fn eat_trivia_to(&mut self, target: usize) {
        while self.pos < target {
            let b = self.bytes[self.pos];
            if is_space_or_tab(b) {
                let end = skip_space_tab(self.bytes, self.pos).min(target);
                self.bump(WHITESPACE, end);
            } else if b == b'#' {
                self.bump(COMMENT, line_end(self.bytes, self.pos));
            } else if is_break(b) {
                let nl = newline_len(self.bytes, self.pos);
                self.bump(NEWLINE, self.pos + nl);
            } else {
                self.error_bytes(target - self.pos, "unexpected text");
            }
        }
    }

    fn is_marker_at(&self, pk: &Peek) -> bool {
        pk.col == 0 && is_document_marker(self.bytes, pk.pos)
    }

    fn is_seq_indicator(&self, pos: usize) -> bool {
        self.at(pos) == Some(b'-') && is_blank_or_end(self.at(pos + 1))
    }

    fn is_explicit_key(&self, pos: usize) -> bool {
        self.at(pos) == Some(b'?') && is_blank_or_end(self.at(pos + 1))
    }

    fn is_empty_key_colon(&self, pos: usize) -> bool {
        self.at(pos) == Some(b':') && is_blank_or_end(self.at(pos + 1))
    }

    // ---- stream and documents ----

    fn stream(&mut self) {
        self.start(STREAM);
        while !self.at_eof() {
            let before = self.pos;
            self.document();
            if self.pos == before {
                // Defensive: never loop without progress.
                self.error_bytes(1, "unexpected text");
            }
        }
        self.finish();
    }

    fn document(&mut self) {
        self.start(DOCUMENT);
        self.tag_handles.clear();
        if self.text[self.pos..].starts_with('\u{feff}') {
            self.bump(BOM, self.pos + 3);
            // The BOM is not part of the first line's indentation.
            self.line_start = self.pos;
        }
        let mut directive_start = None;
        let mut seen_yaml_directive = false;
        loop {
            let Some(pk) = self.peek_content() else {
                self.eat_trivia_to(self.bytes.len());
                if let Some(start) = directive_start {
                    self.error(start, start + 1, "directives must be followed by `---`");
                }
                self.finish();
                return;
            };
            if pk.col == 0 && self.bytes[pk.pos] == b'%' {
                self.eat_trivia_to(pk.pos);
                directive_start.get_or_insert(pk.pos);
                self.directive(&mut seen_yaml_directive);
                continue;
            }
            break;
        }
        let pk = self.peek_content().expect("content was peeked above");
        if pk.col == 0 && self.bytes[pk.pos..].starts_with(b"---") && self.is_marker_at(&pk) {
            self.eat_trivia_to(pk.pos);
            self.bump(DOC_START, self.pos + 3);
            self.block_node(-1, AFTER_DOC_START);
        } else {
            if let Some(start) = directive_start {
                self.error(start, start + 1, "directives must be followed by `---`");
            }
            if !self.is_marker_at(&pk) {
                self.block_node(-1, DOC_ROOT);
            }
        }
        self.end_line();
        // After the root node: trivia, an optional `...`, or stray content.
        loop {
            let Some(pk) = self.peek_content() else {
                self.eat_trivia_to(self.bytes.len());
                break;
            };
            if self.is_marker_at(&pk) {
                if self.bytes[pk.pos] == b'-' {
                    self.eat_trivia_to(pk.pos);
                    break;
                }
                self.eat_trivia_to(pk.pos);
                self.bump(DOC_END, self.pos + 3);
                if !self.eat_inline_trivia() {
                    self.error_rest_of_line("only a comment may follow `...` on its line");
                }
                let nl = newline_len(self.bytes, self.pos);
                if nl > 0 {
                    self.bump(NEWLINE, self.pos + nl);
                }
                break;
            }
            self.eat_trivia_to(pk.pos);
            self.error_rest_of_line("unexpected content after the document's root node");
        }
        self.finish();
    }

    fn directive(&mut self, seen_yaml: &mut bool) {
        let start = self.pos;
        let end = line_end(self.bytes, start);
        // A directive runs to a ` #` comment or the end of the line.
        let mut content_end = end;
        let mut i = start;
        while i < end {
            if self.bytes[i] == b'#' && i > start && is_space_or_tab(self.bytes[i - 1]) {
                content_end = i;
                break;
            }
            i += 1;
        }
        while content_end > start && is_space_or_tab(self.bytes[content_end - 1]) {
            content_end -= 1;
        }
        let line = &self.text[start..content_end];
        let mut parts = line.split([' ', '\t']).filter(|p| !p.is_empty());
        match parts.next() {
            Some("%YAML") => {
                if *seen_yaml {
                    self.error(start, content_end, "duplicate %YAML directive");
                }
                *seen_yaml = true;
                let version = parts.next();
                let valid = version.is_some_and(|v| {
                    let mut it = v.split('.');
                    let ok = |p: Option<&str>| {
                        p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                    };
                    ok(it.next()) && ok(it.next()) && it.next().is_none()
                });
                if !valid || parts.next().is_some() {
                    self.error(start, content_end, "malformed %YAML directive");
                }
            }
            Some("%TAG") => {
                if parts.clone().count() != 2 {
                    self.error(start, content_end, "malformed %TAG directive");
                }
                if let Some(handle) = parts.next() {
                    self.tag_handles.push(handle.to_string());
                }
            }
            _ => {}
        }
        self.bump(DIRECTIVE, content_end);
        self.eat_inline_trivia();
        let nl = newline_len(self.bytes, self.pos);
        if nl > 0 {
            self.bump(NEWLINE, self.pos + nl);
        }
    }

    // ---- block nodes ----

    /// A block node after an indicator (or at the document root), with
    /// parent indentation `n`. Leaves the rest of the line to the caller.
    fn block_node(&mut self, n: i32, ctx: Ctx) {
        if self.eat_inline_trivia() {
            self.next_line_node(n, ctx, Props::default());
        } else {
            self.same_line_node(n, ctx);
        }
    }

    /// The node's content starts on a later line (or the node is empty).
    fn next_line_node(&mut self, n: i32, ctx: Ctx, props: Props) {
        let Some(pk) = self.peek_content() else {
            return;
        };
        if self.is_marker_at(&pk) {
            return;
        }
        let fits = pk.col > n
            || (ctx.seq_at_parent_indent && pk.col == n && self.is_seq_indicator(pk.pos));
        if !fits {
            return;
        }
        self.eat_trivia_to(pk.pos);
        self.line_start_node(n, ctx, pk.tab_indent, props);
    }

    /// A node whose content starts at the current position, which is the
    /// first content of its line.
    fn line_start_node(&mut self, n: i32, ctx: Ctx, tab_indent: bool, props: Props) {
        let col = self.col();
        if self.starts_block_collection(self.pos) {
            if tab_indent {
                self.error(
                    self.pos,
                    self.pos + 1,
                    "tabs cannot be used for indentation",
                );
            }
            self.block_collection(col);
            return;
        }
        if matches!(self.cur(), Some(b'&' | b'!')) {
            let props = self.properties(props);
            if self.eat_inline_trivia() {
                self.next_line_node(n, ctx, props);
                return;
            }
        }
        self.flow_in_block(n);
    }

    fn starts_block_collection(&self, pos: usize) -> bool {
        self.is_seq_indicator(pos)
            || self.is_explicit_key(pos)
            || self.is_empty_key_colon(pos)
            || self.implicit_key_end(pos).is_some()
    }

    fn block_collection(&mut self, col: i32) {
        if !self.enter() {
            return;
        }
        if self.is_seq_indicator(self.pos) {
            self.block_seq(col);
        } else {
            self.block_map(col);
        }
        self.depth -= 1;
    }

    /// Opens one more level of nesting, or, past [`MAX_DEPTH`], reports
    /// it and keeps the rest of the input as an error.
    fn enter(&mut self) -> bool {
        if self.depth < MAX_DEPTH {
            self.depth += 1;
            return true;
        }
        let rest = self.bytes.len() - self.pos;
        self.error_bytes(
            rest,
            "collections are nested too deeply (more than 200 levels)",
        );
        false
    }

    /// The node's content starts on the indicator's line.
    fn same_line_node(&mut self, n: i32, ctx: Ctx) {
        let col = self.col();
        if self.starts_block_collection(self.pos) {
            let sep_start = self.bytes[..self.pos]
                .iter()
                .rposition(|&b| !is_space_or_tab(b))
                .map_or(0, |i| i + 1);
            if self.bytes[sep_start..self.pos].contains(&b'\t') {
                self.error(
                    self.pos,
                    self.pos + 1,
                    "a tab cannot separate an indicator from a nested block collection",
                );
            }
            if ctx.same_line == SameLine::FlowOnly {
                let message = if self.is_seq_indicator(self.pos) {
                    "a block sequence cannot start on the same line as a key or `---`"
                } else {
                    "a block mapping cannot start on the same line as a key or `---`"
                };
                self.error(self.pos, self.pos + 1, message);
            }
            self.block_collection(col);
            return;
        }
        if matches!(self.cur(), Some(b'&' | b'!')) {
            let props = self.properties(Props::default());
            if self.eat_inline_trivia() {
                self.next_line_node(n, ctx, props);
                return;
            }
        }
        self.flow_in_block(n);
    }

    /// A scalar, flow collection or alias in block context.
    fn flow_in_block(&mut self, n: i32) {
        match self.cur() {
            Some(b'|' | b'>') => self.block_scalar(n),
            Some(b'"') => self.quoted(n, false),
            Some(b'\'') => self.quoted(n, true),
            Some(b'[') => self.flow_seq(n),
            Some(b'{') => self.flow_map(n),
            Some(b'*') => self.alias(),
            Some(_) if can_start_plain(self.bytes, self.pos, false) => {
                self.plain_scalar(n, false, false)
            }
            Some(b) if !is_break(b) => {
                self.error_rest_of_line("this character cannot start a value; quote the value")
            }
            _ => {}
        }
    }

    fn block_map(&mut self, m: i32) {
        self.start(BLOCK_MAP);
        self.props_end = usize::MAX;
        self.block_map_entry(m);
        while self.block_map_next(m) {}
        self.finish();
    }

    /// The next content, when it is on a line of a block collection whose
    /// entries are at column `m` (or deeper, which is an error).
    fn continues(&self, m: i32) -> Option<Peek> {
        let pk = self.peek_content()?;
        (!self.is_marker_at(&pk) && pk.col >= m).then_some(pk)
    }

    /// One turn of a block mapping's loop, from the end of an entry: the
    /// trivia and the entry after it. `false` when the mapping ends here.
    fn block_map_next(&mut self, m: i32) -> bool {
        let Some(pk) = self.continues(m) else {
            return false;
        };
        self.eat_trivia_to(pk.pos);
        if pk.col > m {
            self.error_rest_of_line("bad indentation: more indented than the mapping's keys");
            return true;
        }
        if pk.tab_indent {
            self.error(pk.pos, pk.pos + 1, "tabs cannot be used for indentation");
        }
        if self.is_seq_indicator(self.pos) {
            self.error_rest_of_line("a sequence entry cannot appear among mapping keys");
            return true;
        }
        if self.is_explicit_key(self.pos)
            || self.is_empty_key_colon(self.pos)
            || self.implicit_key_end(self.pos).is_some()
        {
            self.block_map_entry(m);
        } else {
            self.error_rest_of_line("expected a mapping key (`key: value`)");
        }
        true
    }

    fn block_map_entry(&mut self, m: i32) {
        self.start(BLOCK_MAP_ENTRY);
        if self.is_explicit_key(self.pos) {
            self.start(MAP_KEY);
            self.bump(QUESTION, self.pos + 1);
            self.block_node(m, AFTER_EXPLICIT);
            self.finish();
            self.end_line();
            if let Some(pk) = self.peek_content() {
                if pk.col == m && !self.is_marker_at(&pk) && self.is_empty_key_colon(pk.pos) {
                    self.eat_trivia_to(pk.pos);
                    self.start(MAP_VALUE);
                    self.bump(COLON, self.pos + 1);
                    self.block_node(m, AFTER_EXPLICIT);
                    self.finish();
                }
            }
        } else {
            self.start(MAP_KEY);
            if !self.is_empty_key_colon(self.pos) {
                self.implicit_key(m);
            }
            self.finish();
            if self.cur() == Some(b':') {
                self.start(MAP_VALUE);
                self.bump(COLON, self.pos + 1);
                self.block_node(m, AFTER_KEY);
                self.finish();
            } else {
                self.error_rest_of_line("expected `:` after the key");
            }
        }
        self.end_line();
        self.finish();
    }

    /// An implicit key: properties and a single-line flow node, then spaces.
    fn implicit_key(&mut self, m: i32) {
        if matches!(self.cur(), Some(b'&' | b'!')) {
            self.properties(Props::default());
            let ws = skip_space_tab(self.bytes, self.pos);
            if ws > self.pos {
                self.bump(WHITESPACE, ws);
            }
        }
        match self.cur() {
            Some(b'"') => self.quoted(m, false),
            Some(b'\'') => self.quoted(m, true),
            Some(b'[') => self.flow_seq(m),
            Some(b'{') => self.flow_map(m),
            Some(b'*') => self.alias(),
            Some(b':') if self.is_empty_key_colon(self.pos) => {}
            _ => self.plain_scalar(m, false, true),
        }
        let ws = skip_space_tab(self.bytes, self.pos);
        if ws > self.pos {
            self.bump(WHITESPACE, ws);
        }
    }

    /// Where the `:` of an implicit key starting at `pos` is, if the line
    /// holds one.
    fn implicit_key_end(&self, start: usize) -> Option<usize> {
        let b = self.bytes;
        let mut pos = start;
        loop {
            match b.get(pos) {
                Some(b'&') => pos = scan_anchor_name(b, pos + 1),
                Some(b'!') => pos = scan_tag(b, pos),
                _ => break,
            }
            pos = skip_space_tab(b, pos);
        }
        if pos > start && b.get(pos) == Some(&b':') && is_blank_or_end(b.get(pos + 1).copied()) {
            // Properties on an empty key: `!!null : a`.
            return Some(pos);
        }
        match *b.get(pos)? {
            b'"' | b'\'' => {
                let end = if b[pos] == b'"' {
                    scan_double_quoted(b, pos).ok()?
                } else {
                    scan_single_quoted(b, pos).ok()?
                };
                if b[pos..end].iter().any(|&c| is_break(c)) {
                    return None;
                }
                pos = end;
            }
            b'[' | b'{' => pos = scan_flow_on_line(b, pos)?,
            b'*' => pos = scan_anchor_name(b, pos + 1),
            _ if can_start_plain(b, pos, false) => pos = self.scan_plain(pos, false),
            _ => return None,
        }
        pos = skip_space_tab(b, pos);
        (b.get(pos) == Some(&b':') && is_blank_or_end(b.get(pos + 1).copied())).then_some(pos)
    }

    fn block_seq(&mut self, m: i32) {
        self.start(BLOCK_SEQ);
        self.props_end = usize::MAX;
        self.block_seq_entry(m);
        while self.block_seq_next(m) {}
        self.finish();
    }

    fn block_seq_entry(&mut self, m: i32) {
        self.start(BLOCK_SEQ_ENTRY);
        self.bump(DASH, self.pos + 1);
        self.block_node(m, AFTER_DASH);
        self.end_line();
        self.finish();
    }

    /// One turn of a block sequence's loop, from the end of an entry: the
    /// trivia and the entry after it. `false` when the sequence ends here.
    fn block_seq_next(&mut self, m: i32) -> bool {
        let Some(pk) = self.continues(m) else {
            return false;
        };
        if pk.col > m {
            self.eat_trivia_to(pk.pos);
            self.error_rest_of_line("bad indentation: more indented than the sequence's dashes");
            // Keep going until the next entry of this sequence, if any.
            while let Some(pk) = self.peek_content() {
                if self.is_marker_at(&pk) || pk.col <= m {
                    break;
                }
                self.eat_trivia_to(pk.pos);
                self.error_rest_of_line("bad indentation");
            }
            let Some(pk) = self.peek_content() else {
                return false;
            };
            if self.is_marker_at(&pk) || pk.col != m || !self.is_seq_indicator(pk.pos) {
                return false;
            }
            self.eat_trivia_to(pk.pos);
            self.block_seq_entry(m);
            return true;
        }
        if !self.is_seq_indicator(pk.pos) {
            return false;
        }
        if pk.tab_indent {
            self.error(pk.pos, pk.pos + 1, "tabs cannot be used for indentation");
        }
        self.eat_trivia_to(pk.pos);
        self.block_seq_entry(m);
        true
    }

    fn block_scalar(&mut self, n: i32) {
        self.start(BLOCK_SCALAR);
        let header_start = self.pos;
        let mut end = self.pos + 1;
        let mut explicit_indent = None;
        let mut chomp_seen = false;
        while let Some(b) = self.at(end) {
            match b {
                b'+' | b'-' if !chomp_seen => chomp_seen = true,
                b'1'..=b'9' if explicit_indent.is_none() => {
                    explicit_indent = Some(i32::from(b - b'0'))
                }
                _ => break,
            }
            end += 1;
        }
        self.bump(BLOCK_HEADER, end);
        if !is_blank_or_end(self.cur()) {
            self.error_rest_of_line("invalid block scalar header");
        } else if !self.eat_inline_trivia() {
            self.error_rest_of_line("unexpected text after a block scalar header");
        }
        let nl = newline_len(self.bytes, self.pos);
        if nl == 0 {
            self.finish();
            return;
        }
        self.bump(NEWLINE, self.pos + nl);

        let indent = match explicit_indent {
            Some(d) => {
                if n >= 0 {
                    n + d
                } else {
                    d
                }
            }
            None => self.detect_block_indent(n, header_start),
        };
        let indent = indent.max(0) as usize;
        while !self.at_eof() {
            if self.pos == self.line_start && is_document_marker(self.bytes, self.pos) {
                break;
            }
            let spaces = self.bytes[self.pos..]
                .iter()
                .take_while(|&&b| b == b' ')
                .count();
            let after = self.pos + spaces;
            let blank = self.at(after).is_none_or(is_break);
            if spaces >= indent && !(blank && spaces == indent && indent == 0) {
                if indent > 0 {
                    self.bump(BLOCK_INDENT, self.pos + indent);
                }
                let end = line_end(self.bytes, self.pos);
                if end > self.pos {
                    self.bump(BLOCK_TEXT, end);
                }
            } else if blank {
                if spaces > 0 {
                    self.bump(WHITESPACE, after);
                }
            } else {
                if self.at(after) == Some(b'\t') {
                    self.error(
                        after,
                        after + 1,
                        "tabs cannot be used for indentation in a block scalar",
                    );
                }
                break;
            }
            let nl = newline_len(self.bytes, self.pos);
            if nl == 0 {
                break;
            }
            self.bump(NEWLINE, self.pos + nl);
        }
        self.finish();
    }

    /// Auto-detected content indentation: the first non-empty line's.
    fn detect_block_indent(&mut self, n: i32, header_start: usize) -> i32 {
        let mut pos = self.pos;
        let mut max_blank = 0usize;
        while pos < self.bytes.len() {
            let spaces = self.bytes[pos..].iter().take_while(|&&b| b == b' ').count();
            let after = pos + spaces;
            if self.at(after).is_none_or(is_break) {
                max_blank = max_blank.max(spaces);
                pos = after + newline_len(self.bytes, after);
                if after >= self.bytes.len() {
                    break;
                }
                continue;
            }
            if spaces == 0 && is_document_marker(self.bytes, pos) {
                break;
            }
            let spaces = spaces as i32;
            if spaces > n {
                if (max_blank as i32) > spaces {
                    self.error(
                        header_start,
                        header_start + 1,
                        "leading blank lines of a block scalar are more indented than its text",
                    );
                }
                return spaces;
            }
            break;
        }
        (max_blank as i32).max(n + 1).max(1)
    }

    // ---- scalars and aliases ----

    /// A plain scalar; multi-line unless `single_line` (implicit keys).
    fn plain_scalar(&mut self, n: i32, flow: bool, single_line: bool) {
        self.start(PLAIN_SCALAR);
        let end = self.scan_plain(self.pos, flow);
        if end > self.pos {
            self.bump(PLAIN_TEXT, end);
        } else {
            self.error_bytes(1, "unexpected character");
        }
        if !single_line {
            while let Some(next) = self.plain_continuation(n, flow) {
                self.eat_trivia_to(next);
                let end = self.scan_plain(self.pos, flow);
                self.bump(PLAIN_TEXT, end);
            }
        }
        self.finish();
    }

    /// [`scan_plain_line`], remembering the last answer: deciding whether a
    /// line holds a key, or whether a plain scalar goes on, scans the same
    /// line the scalar is then made of.
    fn scan_plain(&self, start: usize, flow: bool) -> usize {
        let (at, was_flow, end) = self.plain_memo.get();
        if at == start && was_flow == flow {
            return end;
        }
        let end = scan_plain_line(self.bytes, start, flow);
        self.plain_memo.set((start, flow, end));
        end
    }

    /// Where the next line of a multi-line plain scalar starts, if it has one.
    fn plain_continuation(&self, n: i32, flow: bool) -> Option<usize> {
        let b = self.bytes;
        let mut pos = skip_space_tab(b, self.pos);
        if !b.get(pos).copied().is_some_and(is_break) {
            return None;
        }
        loop {
            pos += newline_len(b, pos);
            let line = pos;
            let spaces = b[line..].iter().take_while(|&&c| c == b' ').count();
            let content = skip_space_tab(b, line);
            match b.get(content) {
                None => return None,
                Some(&c) if is_break(c) => {
                    pos = content;
                    continue;
                }
                Some(b'#') => return None,
                Some(_) => {}
            }
            if spaces == 0 && is_document_marker(b, line) {
                return None;
            }
            if !flow && (spaces as i32) <= n {
                return None;
            }
            if flow && n >= 0 && (spaces as i32) <= n {
                return None;
            }
            let c = b[content];
            if c == b':' && is_blank_or_end(b.get(content + 1).copied()) {
                return None;
            }
            if flow
                && (is_flow_indicator(c)
                    || (c == b':' && b.get(content + 1).copied().is_some_and(is_flow_indicator)))
            {
                return None;
            }
            if self.scan_plain(content, flow) == content {
                return None;
            }
            return Some(content);
        }
    }

    fn quoted(&mut self, n: i32, single: bool) {
        let (node, token) = if single {
            (SINGLE_QUOTED_SCALAR, SINGLE_QUOTED)
        } else {
            (DOUBLE_QUOTED_SCALAR, DOUBLE_QUOTED)
        };
        self.start(node);
        let start = self.pos;
        let scanned = if single {
            scan_single_quoted(self.bytes, start)
        } else {
            scan_double_quoted(self.bytes, start)
        };
        let end = match scanned {
            Ok(end) => end,
            Err(end) => {
                self.error(start, start + 1, "unterminated quoted scalar");
                end
            }
        };
        self.check_quoted_lines(start, end, n);
        if !single {
            if let Some(at) = super::value::invalid_escape(&self.text[start..end]) {
                self.error(
                    start + at,
                    start + at + 2,
                    "invalid escape sequence in a double-quoted scalar",
                );
            }
        }
        self.bump(token, end);
        self.finish();
    }

    /// Continuation lines of a quoted scalar must be indented past the
    /// parent and must not look like a document marker.
    fn check_quoted_lines(&mut self, start: usize, end: usize, n: i32) {
        let b = self.bytes;
        let mut i = start;
        while i < end {
            if is_break(b[i]) {
                let line = i + newline_len(b, i);
                let spaces = b[line..end].iter().take_while(|&&c| c == b' ').count();
                let content = skip_space_tab(b, line).min(end);
                let has_content = content < end && !is_break(b[content]);
                if spaces == 0 && is_document_marker(b, line) {
                    self.error(
                        line,
                        line + 3,
                        "a document marker cannot appear inside a quoted scalar",
                    );
                } else if has_content && n >= 0 && (spaces as i32) <= n {
                    self.error(
                        line,
                        content.max(line + 1),
                        "continuation line of a quoted scalar is not indented enough",
                    );
                }
                i = line;
            } else {
                i += 1;
            }
        }
        if !self.text.is_char_boundary(end) {
            self.error(start, start + 1, "unterminated quoted scalar");
        }
    }

    fn alias(&mut self) {
        self.has_alias = true;
        let after_props = self.props_end <= self.pos
            && self.bytes[self.props_end..self.pos]
                .iter()
                .all(|&b| is_space_or_tab(b) || is_break(b));
        if after_props {
            self.error(
                self.pos,
                self.pos + 1,
                "an alias cannot have an anchor or a tag",
            );
        }
        self.start(ALIAS);
        let end = scan_anchor_name(self.bytes, self.pos + 1);
        if end == self.pos + 1 {
            self.error(self.pos, self.pos + 1, "an alias needs a name after `*`");
        }
        self.bump(ALIAS_NAME, end);
        self.finish();
    }

    /// Anchor and tag, in either order, separated by spaces. `seen` are
    /// the properties already given to the same node on earlier lines.
    fn properties(&mut self, seen: Props) -> Props {
        self.start(PROPERTIES);
        let Props {
            mut anchor,
            mut tag,
        } = seen;
        loop {
            match self.cur() {
                Some(b'&') => {
                    let end = scan_anchor_name(self.bytes, self.pos + 1);
                    if end == self.pos + 1 {
                        self.error(self.pos, self.pos + 1, "an anchor needs a name after `&`");
                    }
                    if anchor {
                        self.error(self.pos, end, "a node can have only one anchor");
                    }
                    anchor = true;
                    self.bump(ANCHOR, end);
                }
                Some(b'!') => {
                    let end = scan_tag(self.bytes, self.pos);
                    let tag_text = &self.text[self.pos..end];
                    let verbatim = tag_text.starts_with("!<");
                    if let Some(second) = tag_text[1..].find('!').filter(|_| !verbatim) {
                        let handle = &tag_text[..second + 2];
                        if handle != "!!" && !self.tag_handles.iter().any(|h| h == handle) {
                            self.error(
                                self.pos,
                                end,
                                format!(
                                    "tag handle `{handle}` is not declared by a %TAG directive"
                                ),
                            );
                        }
                    }
                    if tag {
                        self.error(self.pos, end, "a node can have only one tag");
                    }
                    tag = true;
                    self.bump(TAG, end);
                }
                _ => break,
            }
            self.props_end = self.pos;
            let ws = skip_space_tab(self.bytes, self.pos);
            if matches!(self.at(ws), Some(b'&' | b'!')) && ws > self.pos {
                self.bump(WHITESPACE, ws);
            } else {
                break;
            }
        }
        self.finish();
        Props { anchor, tag }
    }

    // ---- flow collections ----

    /// Whitespace, comments and line breaks inside a flow collection.
    /// Continuation lines must be indented past the enclosing block `n`.
    fn flow_trivia(&mut self, n: i32) {
        loop {
            let ws = skip_space_tab(self.bytes, self.pos);
            if ws > self.pos {
                self.bump(WHITESPACE, ws);
            }
            match self.cur() {
                Some(b'#') => {
                    let separated =
                        self.pos == self.line_start || is_space_or_tab(self.bytes[self.pos - 1]);
                    if !separated {
                        self.error(
                            self.pos,
                            self.pos + 1,
                            "a comment needs whitespace before the `#`",
                        );
                    }
                    self.bump(COMMENT, line_end(self.bytes, self.pos));
                }
                Some(b) if is_break(b) => {
                    let nl = newline_len(self.bytes, self.pos);
                    self.bump(NEWLINE, self.pos + nl);
                    let spaces = self.bytes[self.pos..]
                        .iter()
                        .take_while(|&&c| c == b' ')
                        .count();
                    let content = skip_space_tab(self.bytes, self.pos);
                    let has_content = self.at(content).is_some_and(|c| !is_break(c) && c != b'#');
                    if has_content && is_document_marker(self.bytes, self.pos) {
                        return;
                    }
                    if has_content && n >= 0 && (spaces as i32) <= n {
                        self.error(
                            self.pos,
                            content.max(self.pos + 1),
                            "flow collection content is not indented enough",
                        );
                    }
                }
                _ => return,
            }
        }
    }

    fn at_flow_end(&self) -> bool {
        match self.cur() {
            None => true,
            Some(_) => self.pos == self.line_start && is_document_marker(self.bytes, self.pos),
        }
    }

    fn flow_seq(&mut self, n: i32) {
        self.flow_collection(n, FlowShape::SEQ);
    }

    fn flow_map(&mut self, n: i32) {
        self.flow_collection(n, FlowShape::MAP);
    }

    /// `[ ... ]` or `{ ... }`: entries until the closing bracket, an end of
    /// document, or the end of input (then: unclosed).
    fn flow_collection(&mut self, n: i32, shape: FlowShape) {
        if !self.enter() {
            return;
        }
        self.start(shape.node);
        self.props_end = usize::MAX;
        let open = self.pos;
        self.bump(shape.open, self.pos + 1);
        loop {
            self.flow_trivia(n);
            if self.at_flow_end() {
                self.error(open, open + 1, shape.unclosed);
                break;
            }
            match self.cur() {
                Some(b) if b == shape.close_byte => {
                    self.bump(shape.close, self.pos + 1);
                    break;
                }
                Some(b) if b == b',' || b == shape.stray_byte => self.error_bytes(1, shape.stray),
                _ if shape.node == FLOW_MAP => self.flow_map_entry(n),
                _ => self.flow_seq_entry(n),
            }
        }
        self.finish();
        self.depth -= 1;
    }

    fn flow_seq_entry(&mut self, n: i32) {
        self.start(FLOW_SEQ_ENTRY);
        let checkpoint = self.builder.checkpoint();
        let explicit = self.cur() == Some(b'?') && self.flow_indicator_follows(self.pos);
        if explicit {
            self.start(FLOW_MAP_ENTRY);
            self.start(MAP_KEY);
            self.bump(QUESTION, self.pos + 1);
            self.flow_trivia(n);
            if !matches!(self.cur(), Some(b':' | b',' | b']') | None) {
                self.flow_node(n);
            }
            self.flow_trivia(n);
            self.finish();
            self.flow_pair_value(n, b']');
            self.finish();
        } else if self.cur() == Some(b':') && self.flow_indicator_follows(self.pos) {
            self.start(FLOW_MAP_ENTRY);
            self.start(MAP_KEY);
            self.finish();
            self.flow_pair_value(n, b']');
            self.finish();
        } else {
            let key_line = self.line_start;
            let json_like = matches!(self.cur(), Some(b'"' | b'\'' | b'[' | b'{'))
                || self.props_then_json_like();
            self.flow_node(n);
            self.flow_trivia(n);
            let is_pair =
                self.cur() == Some(b':') && (json_like || self.flow_indicator_follows(self.pos));
            if is_pair {
                if self.line_start != key_line {
                    self.error(
                        self.pos,
                        self.pos + 1,
                        "an implicit key in a flow sequence must be on one line",
                    );
                }
                self.builder
                    .start_node_at(checkpoint, FLOW_MAP_ENTRY.into());
                self.builder.start_node_at(checkpoint, MAP_KEY.into());
                self.finish();
                self.flow_pair_value(n, b']');
                self.finish();
            }
        }
        self.flow_trivia(n);
        match self.cur() {
            Some(b',') => self.bump(COMMA, self.pos + 1),
            Some(b']') => {}
            _ if self.at_flow_end() => {}
            _ => self.error_bytes(1, "expected `,` or `]` in a flow sequence"),
        }
        self.finish();
    }

    /// Whether the `?` / `:` at `pos` is an indicator inside a flow collection.
    fn flow_indicator_follows(&self, pos: usize) -> bool {
        let next = self.at(pos + 1);
        is_blank_or_end(next) || next.is_some_and(is_flow_indicator)
    }

    fn props_then_json_like(&self) -> bool {
        let mut pos = self.pos;
        loop {
            match self.at(pos) {
                Some(b'&') => pos = scan_anchor_name(self.bytes, pos + 1),
                Some(b'!') => pos = scan_tag(self.bytes, pos),
                Some(b'"' | b'\'' | b'[' | b'{') => return pos != self.pos,
                _ => return false,
            }
            pos = skip_space_tab(self.bytes, pos);
        }
    }

    /// `: value` of a flow pair, if present (the `:` is at the cursor).
    fn flow_pair_value(&mut self, n: i32, close: u8) {
        if self.cur() != Some(b':') {
            return;
        }
        self.start(MAP_VALUE);
        self.bump(COLON, self.pos + 1);
        self.flow_trivia(n);
        if !self.at_flow_end() && !matches!(self.cur(), Some(b',')) && self.cur() != Some(close) {
            self.flow_node(n);
        }
        self.finish();
    }

    fn flow_map_entry(&mut self, n: i32) {
        self.start(FLOW_MAP_ENTRY);
        self.start(MAP_KEY);
        if self.cur() == Some(b'?') && self.flow_indicator_follows(self.pos) {
            self.bump(QUESTION, self.pos + 1);
            self.flow_trivia(n);
        }
        let json_like =
            matches!(self.cur(), Some(b'"' | b'\'' | b'[' | b'{')) || self.props_then_json_like();
        let colon_here = self.cur() == Some(b':') && self.flow_indicator_follows(self.pos);
        if !colon_here && !matches!(self.cur(), Some(b',' | b'}') | None) {
            self.flow_node(n);
        }
        self.flow_trivia(n);
        self.finish();
        if self.cur() == Some(b':')
            && (json_like || colon_here || self.flow_indicator_follows(self.pos))
        {
            self.flow_pair_value(n, b'}');
        }
        self.flow_trivia(n);
        match self.cur() {
            Some(b',') => self.bump(COMMA, self.pos + 1),
            Some(b'}') => {}
            _ if self.at_flow_end() => {}
            _ => self.error_bytes(1, "expected `,` or `}` in a flow mapping"),
        }
        self.finish();
    }

    /// A node inside a flow collection.
    fn flow_node(&mut self, n: i32) {
        let mut had_props = false;
        if matches!(self.cur(), Some(b'&' | b'!')) {
            self.properties(Props::default());
            had_props = true;
            let before = self.pos;
            self.flow_trivia(n);
            if self.pos > before && matches!(self.cur(), Some(b',' | b']' | b'}' | b':')) {
                return;
            }
        }
        match self.cur() {
            Some(b'[') => self.flow_seq(n),
            Some(b'{') => self.flow_map(n),
            Some(b'"') => self.quoted(n, false),
            Some(b'\'') => self.quoted(n, true),
            Some(b'*') => self.alias(),
            Some(_) if can_start_plain(self.bytes, self.pos, true) => {
                self.plain_scalar(n, true, false)
            }
            Some(b',' | b']' | b'}') if had_props => {}
            Some(_) if !self.at_flow_end() => {
                self.error_bytes(1, "unexpected character in a flow collection")
            }
            _ => {}
        }
    }
}

/// End of a flow collection that closes on the line where it opens.
fn scan_flow_on_line(b: &[u8], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut pos = start;
    while let Some(&c) = b.get(pos) {
        match c {
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(pos + 1);
                }
            }
            b'"' => {
                let end = scan_double_quoted(b, pos).ok()?;
                if b[pos..end].iter().any(|&c| is_break(c)) {
                    return None;
                }
                pos = end;
                continue;
            }
            b'\'' => {
                let end = scan_single_quoted(b, pos).ok()?;
                if b[pos..end].iter().any(|&c| is_break(c)) {
                    return None;
                }
                pos = end;
                continue;
            }
            b'#' if pos > 0 && is_space_or_tab(b[pos - 1]) => return None,
            c if is_break(c) => return None,
            _ => {}
        }
        pos += 1;
    }
    None
}
