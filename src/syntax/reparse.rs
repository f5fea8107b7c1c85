//! Incremental reparsing: the tree of an edited text, built by parsing only
//! the entries the edits touch and sharing every other node with the tree
//! of the text before.
//!
//! A region is a run of whole entries of one block collection, from the end
//! of an entry (`start`) to the end of another (`end`). The parser is at the
//! head of that collection's loop at both points, and there its state is the
//! position, the collection's column and the nesting depth, nothing else
//! (the region holds no alias, so the last properties' position does not
//! matter). So when a whole parse of the new text reaches `start` as the
//! old parse did, parsing the region's new text from there gives what the
//! whole parse gives, and once it stops at `end` the rest is the old rest.
//!
//! A whole parse reaches `start` as the old one did when nothing before it
//! reads past it differently. What reads past the end of an entry asks
//! where the next content is, and it ends at content no deeper than the
//! collection's entries: nested collections, plain scalars (which also end
//! at a comment line). Two things read more: a block scalar takes the blank
//! lines after it and any line deeper than its text, and an explicit key
//! (`? k`) takes a `: v` line after it. So the first content of the
//! region's new text must be no deeper than the entries and, after a block
//! scalar, come first; no region starts after an explicit key. Anything
//! else, and any error or alias in the region, falls back to parsing the
//! whole text.

use super::edit::TextEdit;
use super::kind::SyntaxKind::{self, *};
use super::{check, parser, Parse, YamlLanguage};
use rowan::{GreenNode, GreenNodeData, Language, NodeOrToken};
use std::ops::Range;

impl Parse {
    /// The parse of `new_text`, which is this parse's text, `old_text`, with
    /// `edits` applied (`syntax::edit::apply_edits`). The same as `parse(new_text)`,
    /// reusing the nodes the edits leave alone.
    pub fn reparse(&self, old_text: &str, edits: &[TextEdit], new_text: &str) -> Parse {
        let parse = self
            .try_reparse(old_text, edits, new_text)
            .unwrap_or_else(|| super::parse(new_text));
        #[cfg(debug_assertions)]
        {
            let whole = super::parse(new_text);
            assert!(
                parse.green == whole.green && parse.errors == whole.errors,
                "an incremental reparse differs from a whole parse of\n{new_text}"
            );
        }
        parse
    }

    /// [`Parse::reparse`] without the fallback: `None` when the edits need
    /// a whole parse (see the module's documentation for when).
    pub fn try_reparse(&self, old_text: &str, edits: &[TextEdit], new_text: &str) -> Option<Parse> {
        incremental(self, old_text, edits, new_text)
    }
}

/// Entries of one block collection to parse again.
#[derive(Debug, Clone)]
struct Unit {
    /// Child indices from the root to the collection.
    path: Vec<usize>,
    kind: SyntaxKind,
    /// The collection's column.
    column: i32,
    /// Collections open at its entries, itself included.
    depth: u32,
    /// Old children replaced.
    children: Range<usize>,
    /// Old byte range replaced: from an entry's end to an entry's end.
    start: usize,
    end: usize,
    /// The (sorted) edits inside.
    edits: Range<usize>,
    /// The entry ending at `start` ends in a block scalar.
    after_block_scalar: bool,
}

impl Unit {
    /// The same entries and edits.
    fn same(&self, other: &Unit) -> bool {
        (&self.path, &self.children, &self.edits) == (&other.path, &other.children, &other.edits)
    }
}

/// How many times the units are widened before the whole text is parsed.
const MAX_WIDENINGS: usize = 8;

fn incremental(old: &Parse, old_text: &str, edits: &[TextEdit], new_text: &str) -> Option<Parse> {
    if !old.errors.is_empty() || old.has_alias || edits.is_empty() {
        return None;
    }
    let mut edits: Vec<&TextEdit> = edits.iter().collect();
    // The order `apply_edits` applies them in.
    edits.sort_by_key(|e| (e.range.start(), e.range.end()));
    // Where each edit's text starts in the new text, minus its old start.
    let mut shift = Vec::with_capacity(edits.len() + 1);
    let mut delta = 0isize;
    shift.push(0isize);
    for e in &edits {
        delta += e.new_text.len() as isize - usize::from(e.range.len()) as isize;
        shift.push(delta);
    }
    if old_text.len() as isize + delta != new_text.len() as isize {
        return None;
    }
    let root: &GreenNodeData = &old.green;
    let mut units = Vec::with_capacity(edits.len());
    for i in 0..edits.len() {
        units.push(unit_for(root, old_text, &edits, i..i + 1, None)?);
    }
    // Units that parsed, kept across widenings of others.
    let mut parsed: Vec<(Unit, GreenNode)> = Vec::new();
    for _ in 0..MAX_WIDENINGS {
        merge(root, old_text, &edits, &mut units)?;
        let mut splices = Vec::with_capacity(units.len());
        let mut failed = Vec::new();
        for (n, unit) in units.iter().enumerate() {
            if let Some((_, green)) = parsed.iter().find(|(u, _)| u.same(unit)) {
                splices.push((unit, green.clone()));
                continue;
            }
            let start = unit.start.checked_add_signed(shift[unit.edits.start])?;
            let end = unit.end.checked_add_signed(shift[unit.edits.end])?;
            match entries(new_text, start, end, unit) {
                Some(green) => {
                    parsed.push((unit.clone(), green.clone()));
                    splices.push((unit, green));
                }
                None => failed.push(n),
            }
        }
        if failed.is_empty() {
            let green = splice(old.green(), &splices, 0);
            return Some(Parse {
                green,
                errors: Vec::new(),
                has_alias: false,
            });
        }
        for n in failed {
            let unit = &units[n];
            units[n] = unit_for(root, old_text, &edits, unit.edits.clone(), Some(unit.depth))?;
        }
    }
    None
}

/// The new children of `unit` from `new_text[start..end]`, when they are
/// what a whole parse makes of them.
fn entries(new_text: &str, start: usize, end: usize, unit: &Unit) -> Option<GreenNode> {
    if start > end || end > new_text.len() || !new_text.is_char_boundary(end) {
        return None;
    }
    let at_line_start = start == 0 || matches!(new_text.as_bytes()[start - 1], b'\n' | b'\r');
    if !at_line_start || !starts_cleanly(new_text, start, unit) {
        return None;
    }
    if check::forbidden_character(&new_text[start..end]).is_some() {
        return None;
    }
    parser::block_entries(new_text, start, end, unit.kind, unit.column, unit.depth)
}

/// Whether what the text before `start` reads past it is the same as in the
/// old text: the first content after `start` is no deeper than the entries
/// (it ends whatever the entry before holds), and when that entry ends in a
/// block scalar, which takes blank lines and any line deep enough, that
/// content comes first.
fn starts_cleanly(new_text: &str, start: usize, unit: &Unit) -> bool {
    let bytes = new_text.as_bytes();
    let mut line = start;
    loop {
        let indent = bytes[line..].iter().take_while(|&&b| b == b' ').count();
        match bytes.get(line + indent) {
            None => return true,
            Some(b'\t') => return false,
            Some(b'\n' | b'\r' | b'#') if !unit.after_block_scalar => {
                let end = memchr::memchr2(b'\n', b'\r', &bytes[line + indent..])
                    .map_or(bytes.len(), |i| line + indent + i);
                line = end + super::lexer::newline_len(bytes, end);
                if line == end {
                    return true;
                }
            }
            Some(b'\n' | b'\r' | b'#') => return false,
            Some(_) => return indent as i32 <= unit.column,
        }
    }
}

/// The unit of the deepest block collection holding the edits `range`
/// between two of its entries' ends; one holding fewer collections than
/// `above`, when given.
fn unit_for(
    root: &GreenNodeData,
    old_text: &str,
    edits: &[&TextEdit],
    range: Range<usize>,
    above: Option<u32>,
) -> Option<Unit> {
    let s = usize::from(edits[range.start].range.start());
    let e = usize::from(edits[range.end - 1].range.end());
    // A region starts where an entry ends, so the byte before the edits is
    // inside every collection that can hold them.
    let collections = collections_around(root, s.checked_sub(1)?);
    let all = collections.len();
    for (i, (c, c_start, path)) in collections.into_iter().rev().enumerate() {
        let depth = (all - i) as u32;
        if above.is_some_and(|a| depth >= a) || c_start + usize::from(c.text_len()) < e {
            continue;
        }
        let entry_kind = if kind(c) == BLOCK_MAP {
            BLOCK_MAP_ENTRY
        } else {
            BLOCK_SEQ_ENTRY
        };
        let (mut first, mut last) = (None, None);
        let mut end = c_start;
        for (index, child) in c.children().enumerate() {
            end += usize::from(child.text_len());
            let NodeOrToken::Node(entry) = child else {
                continue;
            };
            if kind(entry) != entry_kind {
                continue;
            }
            // An explicit key's entry looks at the line after it for its
            // value: no region starts after it.
            if end <= s && !is_explicit_key(entry) {
                first = Some((index, end, entry));
            }
            if end >= e {
                last = Some((index, end));
                break;
            }
        }
        let (Some((i1, start, before)), Some((i2, end))) = (first, last) else {
            continue;
        };
        return Some(Unit {
            path,
            kind: kind(c),
            column: super::style::column(old_text, c_start) as i32,
            depth,
            children: i1 + 1..i2 + 1,
            start,
            end,
            edits: range,
            after_block_scalar: ends_in_block_scalar(before),
        });
    }
    None
}

/// The block collections holding the byte at `offset`, outermost first,
/// with their start and their path of child indices from `root`.
fn collections_around(
    root: &GreenNodeData,
    offset: usize,
) -> Vec<(&GreenNodeData, usize, Vec<usize>)> {
    let mut out = Vec::new();
    let mut path = Vec::new();
    let (mut node, mut start) = (root, 0usize);
    'descend: loop {
        if matches!(kind(node), BLOCK_MAP | BLOCK_SEQ) {
            out.push((node, start, path.clone()));
        }
        for (index, child) in node.children().enumerate() {
            let len = usize::from(child.text_len());
            if offset < start + len {
                if let NodeOrToken::Node(n) = child {
                    path.push(index);
                    node = n;
                    continue 'descend;
                }
                return out;
            }
            start += len;
        }
        return out;
    }
}

/// Whether the last thing in `entry` is a block scalar.
fn ends_in_block_scalar(entry: &GreenNodeData) -> bool {
    let mut node = entry;
    while let Some(NodeOrToken::Node(last)) = node.children().last() {
        node = last;
    }
    kind(node) == BLOCK_SCALAR
}

fn kind(node: &GreenNodeData) -> SyntaxKind {
    YamlLanguage::kind_from_raw(node.kind())
}

fn is_explicit_key(entry: &GreenNodeData) -> bool {
    let key = entry.children().next().and_then(NodeOrToken::into_node);
    let first = key.and_then(|k| k.children().next());
    first.is_some_and(|t| YamlLanguage::kind_from_raw(t.kind()) == QUESTION)
}

/// Merges units whose old ranges overlap (or share a point the edits'
/// order does not split) into the unit holding both.
fn merge(
    root: &GreenNodeData,
    old_text: &str,
    edits: &[&TextEdit],
    units: &mut Vec<Unit>,
) -> Option<()> {
    loop {
        units.sort_by_key(|u| (u.start, u.end, u.edits.start));
        // Units that only touch stay apart when they are in different
        // collections, neither inside what the other replaces, and their
        // edits come in order.
        let touching = units.windows(2).position(|w| {
            let (a, b) = (&w[0], &w[1]);
            b.start < a.end
                || (b.start == a.end && (a.path == b.path || b.edits.start < a.edits.end))
        });
        let clash = touching.map(|i| (i, i + 1)).or_else(|| {
            (1..units.len()).find_map(|j| {
                (0..j)
                    .find(|&i| replaces(&units[i], &units[j]) || replaces(&units[j], &units[i]))
                    .map(|i| (i, j))
            })
        });
        let Some((i, j)) = clash else {
            return Some(());
        };
        let b = units.remove(j);
        let a = units.remove(i);
        let range = a.edits.start.min(b.edits.start)..a.edits.end.max(b.edits.end);
        units.push(unit_for(root, old_text, edits, range, None)?);
    }
}

/// Whether `inner`'s collection is inside the children `outer` replaces.
fn replaces(outer: &Unit, inner: &Unit) -> bool {
    let depth = outer.path.len();
    inner.path.len() > depth
        && inner.path[..depth] == outer.path[..]
        && outer.children.contains(&inner.path[depth])
}

/// `node` with each unit's children replaced by its new ones; `level` is
/// the depth of `node`, whose units are those with a path that long.
fn splice(node: &GreenNodeData, splices: &[(&Unit, GreenNode)], level: usize) -> GreenNode {
    let mut children: Vec<_> = node.children().map(|c| c.to_owned()).collect();
    // Units in the same collection replace disjoint ranges: from the last,
    // so the earlier ranges' indices still hold.
    let mut here: Vec<&(&Unit, GreenNode)> = splices
        .iter()
        .filter(|(u, _)| u.path.len() == level)
        .collect();
    let deeper: Vec<(&Unit, GreenNode)> = splices
        .iter()
        .filter(|(u, _)| u.path.len() > level)
        .cloned()
        .collect();
    let mut by_child: Vec<usize> = deeper.iter().map(|(u, _)| u.path[level]).collect();
    by_child.sort_unstable();
    by_child.dedup();
    for index in by_child {
        let below: Vec<(&Unit, GreenNode)> = deeper
            .iter()
            .filter(|(u, _)| u.path[level] == index)
            .cloned()
            .collect();
        if let NodeOrToken::Node(child) = &children[index] {
            children[index] = NodeOrToken::Node(splice(child, &below, level + 1));
        }
    }
    here.sort_by_key(|(u, _)| std::cmp::Reverse(u.children.start));
    for (unit, green) in here {
        children.splice(
            unit.children.clone(),
            green.children().map(|c| c.to_owned()),
        );
    }
    GreenNode::new(node.kind(), children)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::edit::apply_edits;
    use crate::syntax::parse;
    use rowan::TextSize;

    fn edit(text: &str, from: &str, to: &str) -> TextEdit {
        let at = text.find(from).expect("the edited text is there") as u32;
        let range = rowan::TextRange::at(at.into(), TextSize::from(from.len() as u32));
        TextEdit::replace(range, to)
    }

    /// The incremental result, checked against a whole parse.
    fn reparsed(text: &str, edits: &[TextEdit]) -> Option<Parse> {
        let new_text = apply_edits(text, edits).unwrap();
        let whole = parse(&new_text);
        let quick = parse(text).try_reparse(text, edits, &new_text);
        if let Some(quick) = &quick {
            assert_eq!(quick.green, whole.green, "{new_text}");
            assert_eq!(quick.errors, whole.errors, "{new_text}");
        }
        quick
    }

    const FLOW: &str = "id: f # the flow\nnamespace: n\ntasks:\n  - id: a\n    type: t\n    image: x\n    n: 1\n\n  # b\n  - id: b\n    type: t\n    image: x\n";

    #[test]
    fn removing_and_adding_entries_parses_only_them() {
        let removed = [
            edit(FLOW, "    image: x\n    n", "    n"),
            edit(FLOW, "    image: x\n", ""),
        ];
        // The two removals overlap in nothing but are one edit each; the
        // second one is in the last task, the first in the first.
        assert!(reparsed(FLOW, &removed[..1]).is_some());
        let last = FLOW.rfind("    image: x\n").unwrap() as u32;
        let range = rowan::TextRange::at(last.into(), TextSize::from(13));
        assert!(reparsed(FLOW, &[removed[0].clone(), TextEdit::replace(range, "")]).is_some());
        let end = TextSize::from(FLOW.len() as u32);
        let append = TextEdit::replace(
            rowan::TextRange::empty(end),
            "pluginDefaults:\n  - type: t\n    values:\n      image: x\n",
        );
        assert!(reparsed(FLOW, std::slice::from_ref(&append)).is_some());
        assert!(reparsed(FLOW, &[removed[0].clone(), append]).is_some());
        assert!(reparsed(FLOW, &[edit(FLOW, "n: 1", "n: [1, 2]")]).is_some());
    }

    #[test]
    fn what_the_text_before_would_read_differently_is_parsed_whole() {
        // After the removal, the blank line follows the block scalar, which
        // takes it: the entry before the edit is not what it was.
        let text = "m:\n  s: |+\n    text\n  r: 1\n\n  t: 2\n";
        assert!(reparsed(text, &[edit(text, "  r: 1\n", "")]).is_none());
        // A line more indented than the entries continues the plain scalar
        // before it.
        let text = "m:\n  s: plain\n  r: 1\n";
        assert!(reparsed(text, &[edit(text, "  r: 1", "     more")]).is_none());
        // A block scalar also takes a line deep enough, comment or not.
        let text = "m:\n  s: |\n    text\n  r: 1\n";
        assert!(reparsed(text, &[edit(text, "  r: 1\n", "    # c\n  r: 1\n")]).is_none());
        // Other entries end at a comment line, or a blank one, and what
        // follows them decides where those go.
        let text = "m:\n  s: plain\n  r: 1\n";
        let edits = [edit(text, "  r: 1\n", "      # c\n\n  r: 2\n")];
        assert!(reparsed(text, &edits).is_some());
        // The first entry of a collection is no region's start: its parent's is.
        let text = "a: 0\nm:\n  s: 1\n  r: 1\n";
        assert!(reparsed(text, &[edit(text, "s: 1", "s: 2")]).is_some());
        let text = "m:\n  s: 1\n  r: 1\n";
        assert!(reparsed(text, &[edit(text, "s: 1", "s: 2")]).is_none());
    }

    #[test]
    fn errors_and_aliases_take_a_whole_parse() {
        let text = "a: 1\nb: 2\nc: 3\n";
        assert!(reparsed(text, &[edit(text, "b: 2", "b: [2")]).is_none());
        assert!(reparsed(text, &[edit(text, "b: 2", "b: *x")]).is_none());
        let new_text = "a: 1\nb: [2\nc: 3\n";
        let edits = [edit(text, "b: 2", "b: [2")];
        let whole = parse(new_text);
        let again = parse(text).reparse(text, &edits, new_text);
        assert_eq!((again.green, again.errors), (whole.green, whole.errors));
    }
}
