//! The editing operations codemods use, in data-path coordinates
//! (`tasks[3].retry`): each finds its node in the tree, writes its text in
//! the file's own style through [`crate::syntax::edit`] and
//! [`crate::syntax::render`], and records the [`DataChange`] it makes, so a
//! fix cannot declare one thing and write another.
//!
//! An operation either succeeds whole or leaves the editor as it was and
//! returns a [`Refusal`]: nodes reached through an alias, inside an anchor,
//! or carrying a tag are never edited, since the text change would not be
//! the data change.

use super::refusal::Refusal;
use super::{Applicability, DataChange, Fix, TextEdit};
use crate::kestra::path::{DataPath, PathSeg};
use crate::syntax::ast::{AstNode, Entry, Mapping, Node, Sequence};
use crate::syntax::edit::apply_edits;
use crate::syntax::edit::{self, Position};
use crate::syntax::render::{self, Fragment};
use crate::syntax::scalar_map::ScalarMap;
use crate::syntax::style::{column, line_start, Style};
use crate::syntax::value::{
    canonical_tag, decode_node, decode_quoted, resolve_plain, ScalarStyle, Value,
};
use crate::syntax::{Parse, TextRange, TextSize};
use std::ops::Range;

/// Collects the edits and declared changes of one fix.
pub struct Editor<'a> {
    text: &'a str,
    root: Option<Node>,
    style: &'a Style,
    edits: Vec<TextEdit>,
    changes: Vec<DataChange>,
    /// Sequences whose items were inserted or removed: each item's index in
    /// the text the fix started from (`None` for a new item) and its value,
    /// declared as one `Replace` of the whole sequence.
    sequences: Vec<(DataPath, Items)>,
}

/// A sequence's items, each with its index before the fix (`None` when new).
type Items = Vec<(Option<usize>, Value)>;

/// The comments that travel with a moved entry: the lines above it and the
/// one at the end of its line.
#[derive(Default)]
struct Decor<'t> {
    above: Vec<&'t str>,
    trailing: &'t str,
}

impl<'a> Editor<'a> {
    pub fn new(text: &'a str, parse: &Parse, style: &'a Style) -> Self {
        Editor {
            text,
            root: parse.stream().first_document().and_then(|d| d.body()),
            style,
            edits: Vec::new(),
            changes: Vec::new(),
            sequences: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }

    /// The node at `path`. Refused when the way there passes through an
    /// alias, an anchored node or a tagged collection.
    pub fn node(&self, path: &DataPath) -> Result<Node, Refusal> {
        let missing = || Refusal::Missing { path: path.clone() };
        let mut node = self.root.clone().ok_or_else(missing)?;
        let mut at = DataPath::root();
        guard(&node, &at)?;
        for seg in path.segments() {
            node = match (seg, &node) {
                (PathSeg::Key(k), Node::Mapping(m)) => m.get_value(k),
                (PathSeg::Index(i), Node::Sequence(s)) => s.items().nth(*i).and_then(|i| i.value()),
                _ => None,
            }
            .ok_or_else(missing)?;
            at = match seg {
                PathSeg::Key(k) => at.key(k.clone()),
                PathSeg::Index(i) => at.index(*i),
            };
            guard(&node, &at)?;
        }
        Ok(node)
    }

    fn mapping(&self, path: &DataPath) -> Result<Mapping, Refusal> {
        match self.node(path)? {
            Node::Mapping(m) => Ok(m),
            _ => Err(Refusal::NotMapping { path: path.clone() }),
        }
    }

    fn entry(&self, map: &DataPath, key: &str) -> Result<(Mapping, Entry), Refusal> {
        let mapping = self.mapping(map)?;
        let entry = mapping
            .get(key)
            .ok_or_else(|| Refusal::Missing { path: map.key(key) })?;
        if let Some(value) = entry.value() {
            guard(&value, &map.key(key))?;
        }
        Ok((mapping, entry))
    }

    /// The scalar at `path` becomes `value`, keeping its quoting style
    /// where the new value allows it.
    pub fn set_scalar(&mut self, path: &DataPath, value: Value) -> Result<(), Refusal> {
        let Node::Scalar(scalar) = self.node(path)? else {
            return Err(Refusal::NotScalar { path: path.clone() });
        };
        let tag = Node::Scalar(scalar.clone())
            .properties()
            .and_then(|p| p.tag());
        if let (Some(tag), false) = (tag, matches!(value, Value::String(_))) {
            return Err(Refusal::Tagged {
                path: path.clone(),
                tag,
            });
        }
        let edit = match &value {
            Value::String(s) => edit::replace_scalar(self.text, &scalar, s),
            other => {
                let flow = in_flow(scalar.syntax());
                let text =
                    render::flow(self.text, &Fragment::Data(other.clone())).map_err(|error| {
                        Refusal::Render {
                            path: path.clone(),
                            error,
                        }
                    })?;
                let text = if flow { text } else { text.replace('\n', " ") };
                TextEdit::replace(scalar.syntax().text_range(), text)
            }
        };
        self.push(
            path,
            vec![edit],
            vec![DataChange::SetScalar {
                path: path.clone(),
                value,
            }],
        )
    }

    /// Replaces parts of the string scalar at `path` in place: each part is
    /// a byte range of its decoded text and the text to put there. Each
    /// range must be spelled byte for byte in the source (no escape, `''`
    /// or folded line break inside it) and each replacement writable there
    /// as is, so the scalar keeps its quoting, block style and every other
    /// byte; declared as a `SetScalar` of the whole new string.
    pub fn replace_in_scalar(
        &mut self,
        path: &DataPath,
        parts: &[(Range<usize>, &str)],
    ) -> Result<(), Refusal> {
        let Node::Scalar(scalar) = self.node(path)? else {
            return Err(Refusal::NotScalar { path: path.clone() });
        };
        let refuse = |reason: String| Refusal::NotVerbatim {
            path: path.clone(),
            reason,
        };
        if !matches!(scalar.data(), Value::String(_)) {
            return Err(refuse("it is not a string".into()));
        }
        let style = scalar.style();
        let map = ScalarMap::new(scalar.syntax());
        let mut parts: Vec<&(Range<usize>, &str)> = parts.iter().collect();
        parts.sort_by_key(|(r, _)| r.start);
        let mut value = String::with_capacity(map.decoded().len());
        let mut edits = Vec::new();
        let mut last = 0;
        for (range, new) in parts {
            if range.start < last {
                return Err(Refusal::Overlap { path: path.clone() });
            }
            let source = map.source_range(range.clone()).ok_or_else(|| {
                refuse(format!(
                    "bytes {}..{} of its value are not written as is in the file",
                    range.start, range.end
                ))
            })?;
            if let Some(c) = unwritable(style, new) {
                return Err(refuse(format!("`{c}` cannot be written as is there")));
            }
            value.push_str(&map.decoded()[last..range.start]);
            value.push_str(new);
            last = range.end;
            edits.push(TextEdit::replace(
                TextRange::new(
                    TextSize::from(source.start as u32),
                    TextSize::from(source.end as u32),
                ),
                *new,
            ));
        }
        value.push_str(&map.decoded()[last..]);
        // The new text must still read as a string, the same one.
        let reads_back = match style {
            ScalarStyle::Plain => matches!(resolve_plain(&value), Value::String(_)),
            ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
                let range = scalar.syntax().text_range();
                let old = &self.text[range];
                let base = usize::from(range.start());
                let relative: Vec<TextEdit> = edits
                    .iter()
                    .map(|e| {
                        let r = e.range - TextSize::from(base as u32);
                        TextEdit::replace(r, e.new_text.clone())
                    })
                    .collect();
                let raw = apply_edits(old, &relative);
                raw.is_some_and(|raw| {
                    decode_quoted(&raw, style == ScalarStyle::SingleQuoted) == value
                })
            }
            ScalarStyle::Literal | ScalarStyle::Folded => true,
        };
        if !reads_back {
            return Err(refuse(
                "the new text would not read back as the same string".into(),
            ));
        }
        self.push(
            path,
            edits,
            vec![DataChange::SetScalar {
                path: path.clone(),
                value: Value::String(value),
            }],
        )
    }

    /// In the mapping at `map`, key `from` becomes `to`; the value stays.
    pub fn rename_key(&mut self, map: &DataPath, from: &str, to: &str) -> Result<(), Refusal> {
        let (mapping, entry) = self.entry(map, from)?;
        if mapping.get(to).is_some() {
            return Err(Refusal::KeyExists {
                path: map.clone(),
                key: to.into(),
            });
        }
        let key = entry.key_scalar().ok_or_else(|| Refusal::NotScalar {
            path: map.key(from),
        })?;
        let edit = edit::replace_scalar(self.text, &key, to);
        self.push(
            map,
            vec![edit],
            vec![DataChange::RenameKey {
                path: map.clone(),
                from: from.into(),
                to: to.into(),
            }],
        )
    }

    /// The mapping at `map` loses `key`, with the comment lines that belong
    /// to it (see [`edit::remove_entry`]).
    pub fn remove_key(&mut self, map: &DataPath, key: &str) -> Result<(), Refusal> {
        let (_, entry) = self.entry(map, key)?;
        let edit = edit::remove_entry(self.text, &entry);
        self.push(
            map,
            vec![edit],
            vec![DataChange::RemoveKey {
                path: map.clone(),
                key: key.into(),
            }],
        )
    }

    /// The mapping at `map` gains `key` (absent before) with `value`,
    /// written in the mapping's own style (block or flow).
    pub fn insert_entry(
        &mut self,
        map: &DataPath,
        key: &str,
        value: Fragment,
        position: Position<&str>,
    ) -> Result<(), Refusal> {
        let mapping = self.mapping(map)?;
        self.insert_entry_text(&mapping, map, key, &value, position, Decor::default())
    }

    fn insert_entry_text(
        &mut self,
        mapping: &Mapping,
        map: &DataPath,
        key: &str,
        value: &Fragment,
        position: Position<&str>,
        decor: Decor,
    ) -> Result<(), Refusal> {
        if mapping.get(key).is_some() {
            return Err(Refusal::KeyExists {
                path: map.clone(),
                key: key.into(),
            });
        }
        let render_error = |error| Refusal::Render {
            path: map.key(key),
            error,
        };
        let data = value.data().map_err(render_error)?;
        let mut text = if mapping.is_flow() {
            let key_text = render::flow(self.text, &Fragment::string(key)).map_err(render_error)?;
            format!(
                "{key_text}: {}",
                render::flow(self.text, value).map_err(render_error)?
            )
        } else {
            render::block_entry(self.text, key, value, self.style).map_err(render_error)?
        };
        if !mapping.is_flow() {
            if !decor.trailing.is_empty() && !text.contains('\n') {
                text.push_str(decor.trailing);
            }
            if !decor.above.is_empty() {
                text = format!("{}\n{text}", decor.above.join("\n"));
            }
        }
        let anchor = match position {
            Position::After(k) => Position::After(
                mapping
                    .get(k)
                    .ok_or_else(|| Refusal::Missing { path: map.key(k) })?,
            ),
            Position::First => Position::First,
            Position::Last => Position::Last,
        };
        let edit = edit::insert_entry(self.text, mapping, anchor.as_ref(), &text, self.style)
            .map_err(|error| Refusal::Edit {
                path: map.clone(),
                error,
            })?;
        self.push(
            map,
            vec![edit],
            vec![DataChange::InsertKey {
                path: map.clone(),
                key: key.into(),
                value: data,
            }],
        )
    }

    /// The value at `path` (a mapping entry's or a sequence item's) becomes
    /// `value`; comments after the old value's last line stay.
    pub fn replace_value(&mut self, path: &DataPath, value: Fragment) -> Result<(), Refusal> {
        let node = self.node(path)?;
        let render_error = |error| Refusal::Render {
            path: path.clone(),
            error,
        };
        let data = value.data().map_err(render_error)?;
        let old = node.full_range();
        let end = trimmed_end(self.text, old);
        let edit = if in_flow(node.syntax()) {
            TextEdit::replace(
                TextRange::new(old.start(), end),
                render::flow(self.text, &value).map_err(render_error)?,
            )
        } else {
            let (owner_start, is_item) =
                owner(&node).ok_or_else(|| Refusal::Missing { path: path.clone() })?;
            let col = column(self.text, owner_start);
            // Written as the whole entry or item, then the part after its
            // indicator replaces the old value's text.
            let (whole, indicator) = if is_item {
                let body =
                    render::block_item(self.text, &value, self.style).map_err(render_error)?;
                (format!("- {}", edit::indent_lines(&body, 2, "\n")), 1)
            } else {
                let text = render::block_entry(self.text, "k", &value, self.style)
                    .map_err(render_error)?;
                (text, 2)
            };
            let after = &whole[indicator..];
            let indicator_end = indicator_end(&node, is_item)
                .ok_or_else(|| Refusal::Missing { path: path.clone() })?;
            TextEdit::replace(
                TextRange::new(indicator_end, end),
                edit::indent_lines(after, col, self.style.line_ending),
            )
        };
        self.push(
            path,
            vec![edit],
            vec![DataChange::Replace {
                path: path.clone(),
                value: data,
            }],
        )
    }

    /// A plugin instance's `type` becomes `new_type`, and each property
    /// `(from, to)` it has is renamed with it.
    pub fn set_type(
        &mut self,
        instance: &DataPath,
        new_type: &str,
        renames: &[(&str, &str)],
    ) -> Result<(), Refusal> {
        self.transaction(|e| {
            e.set_scalar(&instance.key("type"), Value::String(new_type.into()))?;
            let mapping = e.mapping(instance)?;
            for (from, to) in renames {
                if mapping.get(from).is_some() {
                    e.rename_key(instance, from, to)?;
                }
            }
            Ok(())
        })
    }

    /// Moves entry `key` of `from` into the mapping `to` as `new_key`, with
    /// the comment lines above it and the comments inside its value.
    pub fn move_entry(
        &mut self,
        from: &DataPath,
        key: &str,
        to: &DataPath,
        new_key: &str,
        position: Position<&str>,
    ) -> Result<(), Refusal> {
        let (_, entry) = self.entry(from, key)?;
        let value = entry.value().ok_or_else(|| Refusal::Missing {
            path: from.key(key),
        })?;
        let start = usize::from(entry.syntax().text_range().start());
        let comments: Vec<&str> = match edit::block_lines(self.text, entry.syntax()) {
            Some(lines) => self.text[usize::from(lines.start())..line_start(self.text, start)]
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect(),
            None => Vec::new(),
        };
        let after = usize::from(value.full_range().end());
        let rest = &self.text[after..];
        let rest = &rest[..rest.find(['\n', '\r']).unwrap_or(rest.len())];
        let trailing = if rest.trim_start().starts_with('#') {
            rest.trim_end()
        } else {
            ""
        };
        let target = self.mapping(to)?;
        self.transaction(|e| {
            e.insert_entry_text(
                &target,
                to,
                new_key,
                &Fragment::Copy(value.clone()),
                position,
                Decor {
                    above: comments,
                    trailing,
                },
            )?;
            // Every comment of the entry went along with it.
            let moved: Vec<TextRange> = edit::member_comments(e.text, entry.syntax())
                .into_iter()
                .map(|(r, _)| r)
                .collect();
            let removal = edit::remove_entry_moving(e.text, &entry, &moved);
            e.push(
                from,
                vec![removal],
                vec![DataChange::RemoveKey {
                    path: from.clone(),
                    key: key.into(),
                }],
            )
        })
    }

    /// Inserts an item into the sequence at `seq`; `After(i)` counts items
    /// as they were before this fix.
    pub fn insert_item(
        &mut self,
        seq: &DataPath,
        value: Fragment,
        position: Position<usize>,
    ) -> Result<(), Refusal> {
        let sequence = self.sequence(seq)?;
        let render_error = |error| Refusal::Render {
            path: seq.clone(),
            error,
        };
        let data = value.data().map_err(render_error)?;
        let text = if sequence.is_flow() {
            render::flow(self.text, &value).map_err(render_error)?
        } else {
            render::block_item(self.text, &value, self.style).map_err(render_error)?
        };
        let items: Vec<_> = sequence.items().collect();
        let anchor = match position {
            Position::After(i) => Position::After(
                items
                    .get(i)
                    .ok_or_else(|| Refusal::Missing { path: seq.index(i) })?,
            ),
            Position::First => Position::First,
            Position::Last => Position::Last,
        };
        let edit = edit::insert_item(self.text, &sequence, anchor, &text, self.style).map_err(
            |error| Refusal::Edit {
                path: seq.clone(),
                error,
            },
        )?;
        let mut state = self.sequence_state(seq, &sequence)?;
        let at = match position {
            Position::First => 0,
            Position::Last => state.len(),
            Position::After(i) => state
                .iter()
                .position(|(o, _)| *o == Some(i))
                .map_or(state.len(), |p| p + 1),
        };
        state.insert(at, (None, data));
        self.push_sequence(seq, edit, state)
    }

    /// Removes item `index` (counted as before this fix) of the sequence at
    /// `seq`, with its own comment lines.
    pub fn remove_item(&mut self, seq: &DataPath, index: usize) -> Result<(), Refusal> {
        let sequence = self.sequence(seq)?;
        let item = sequence
            .items()
            .nth(index)
            .ok_or_else(|| Refusal::Missing {
                path: seq.index(index),
            })?;
        let edit = edit::remove_item(self.text, &item);
        let mut state = self.sequence_state(seq, &sequence)?;
        state.retain(|(o, _)| *o != Some(index));
        self.push_sequence(seq, edit, state)
    }

    fn sequence(&self, path: &DataPath) -> Result<Sequence, Refusal> {
        match self.node(path)? {
            Node::Sequence(s) => Ok(s),
            _ => Err(Refusal::NotSequence { path: path.clone() }),
        }
    }

    fn sequence_state(&self, path: &DataPath, sequence: &Sequence) -> Result<Items, Refusal> {
        if let Some((_, state)) = self.sequences.iter().find(|(p, _)| p == path) {
            return Ok(state.clone());
        }
        let slot = sequence
            .syntax()
            .parent()
            .ok_or_else(|| Refusal::Missing { path: path.clone() })?;
        match decode_node(&slot) {
            Ok(Value::Seq(items)) => Ok(items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (Some(i), v))
                .collect()),
            _ => Err(Refusal::Render {
                path: path.clone(),
                error: render::RenderError::Alias,
            }),
        }
    }

    fn push_sequence(
        &mut self,
        path: &DataPath,
        edit: TextEdit,
        state: Items,
    ) -> Result<(), Refusal> {
        if self.overlaps(&edit) {
            return Err(Refusal::Overlap { path: path.clone() });
        }
        self.edits.push(edit);
        let value = Value::Seq(state.iter().map(|(_, v)| v.clone()).collect());
        self.changes
            .retain(|c| !matches!(c, DataChange::Replace { path: p, .. } if p == path));
        self.changes.push(DataChange::Replace {
            path: path.clone(),
            value,
        });
        match self.sequences.iter_mut().find(|(p, _)| p == path) {
            Some((_, s)) => *s = state,
            None => self.sequences.push((path.clone(), state)),
        }
        Ok(())
    }

    /// Runs `f`; if it refuses, the editor is left as it was.
    pub fn transaction(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<(), Refusal>,
    ) -> Result<(), Refusal> {
        let (edits, changes, sequences) =
            (self.edits.len(), self.changes.len(), self.sequences.clone());
        let result = f(self);
        if result.is_err() {
            self.edits.truncate(edits);
            self.changes.truncate(changes);
            self.sequences = sequences;
        }
        result
    }

    fn overlaps(&self, edit: &TextEdit) -> bool {
        self.edits.iter().any(|e| {
            let (a, b) = (e.range, edit.range);
            // Two insertions at one point have no defined order.
            (a.is_empty() && b.is_empty() && a.start() == b.start())
                || (a.start() < b.end() && b.start() < a.end())
        })
    }

    fn push(
        &mut self,
        path: &DataPath,
        edits: Vec<TextEdit>,
        changes: Vec<DataChange>,
    ) -> Result<(), Refusal> {
        if edits.iter().any(|e| self.overlaps(e)) {
            return Err(Refusal::Overlap { path: path.clone() });
        }
        self.edits.extend(edits);
        self.changes.extend(changes);
        Ok(())
    }

    /// The edits and the data changes they make.
    pub fn finish(self) -> (Vec<TextEdit>, Vec<DataChange>) {
        (self.edits, self.changes)
    }

    /// A fix made of everything this editor recorded.
    pub fn into_fix(
        self,
        range: TextRange,
        message: impl Into<String>,
        applicability: Applicability,
    ) -> Fix {
        let (edits, changes) = self.finish();
        Fix::new(range, message, applicability, edits, changes)
    }
}

/// The first character of `new` that cannot be written as is inside a
/// scalar of `style`: line breaks and control characters anywhere,
/// whitespace at either end (folding could eat it), the quote and escape
/// characters of quoted styles, and anything but letters, digits and `_`
/// in a plain scalar (where `: `, ` #` or a leading indicator would change
/// the YAML).
fn unwritable(style: ScalarStyle, new: &str) -> Option<char> {
    if style == ScalarStyle::Plain && new.is_empty() {
        return Some(' ');
    }
    let ends = [new.chars().next(), new.chars().last()];
    if let Some(c) = ends.into_iter().flatten().find(|c| c.is_whitespace()) {
        return Some(c);
    }
    new.chars().find(|&c| {
        c.is_control()
            || matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}')
            || match style {
                ScalarStyle::Plain => !(c.is_alphanumeric() || c == '_'),
                ScalarStyle::SingleQuoted => c == '\'',
                ScalarStyle::DoubleQuoted => c == '"' || c == '\\',
                ScalarStyle::Literal | ScalarStyle::Folded => false,
            }
    })
}

/// Refuses nodes whose text is not all of their data: aliases, anchored
/// nodes (their aliases would change too) and tagged collections.
fn guard(node: &Node, path: &DataPath) -> Result<(), Refusal> {
    if let Node::Alias(alias) = node {
        return Err(Refusal::Aliased {
            path: path.clone(),
            name: alias.name().unwrap_or_default(),
        });
    }
    if let Some(props) = node.properties() {
        if let Some(name) = props.anchor() {
            return Err(Refusal::Anchored {
                path: path.clone(),
                name,
            });
        }
        if let Some(tag) = props.tag() {
            // The core tags of strings and collections say what the text
            // says already; any other tag is data an edit would not keep.
            let plain = matches!(
                canonical_tag(&tag).as_ref(),
                "tag:yaml.org,2002:str" | "tag:yaml.org,2002:map" | "tag:yaml.org,2002:seq"
            );
            if !plain {
                return Err(Refusal::Tagged {
                    path: path.clone(),
                    tag,
                });
            }
        }
    }
    Ok(())
}

fn in_flow(node: &crate::syntax::SyntaxNode) -> bool {
    use crate::syntax::SyntaxKind::{FLOW_MAP, FLOW_SEQ};
    node.ancestors()
        .skip(1)
        .any(|a| matches!(a.kind(), FLOW_MAP | FLOW_SEQ))
}

/// The start of the block entry or item holding `node`, and whether it is
/// an item.
fn owner(node: &Node) -> Option<(usize, bool)> {
    use crate::syntax::SyntaxKind::{BLOCK_MAP_ENTRY, BLOCK_SEQ_ENTRY};
    let holder = node
        .syntax()
        .ancestors()
        .find(|a| matches!(a.kind(), BLOCK_MAP_ENTRY | BLOCK_SEQ_ENTRY))?;
    Some((
        holder.text_range().start().into(),
        holder.kind() == BLOCK_SEQ_ENTRY,
    ))
}

/// Where the indicator (`:` of the entry, `-` of the item) holding `node`
/// ends.
fn indicator_end(node: &Node, is_item: bool) -> Option<TextSize> {
    let holder = node.syntax().ancestors().find(|a| {
        a.kind()
            == if is_item {
                crate::syntax::SyntaxKind::BLOCK_SEQ_ENTRY
            } else {
                crate::syntax::SyntaxKind::BLOCK_MAP_ENTRY
            }
    })?;
    if is_item {
        crate::syntax::ast::Item::cast(holder)?
            .dash()
            .map(|t| t.text_range().end())
    } else {
        Entry::cast(holder)?.colon().map(|t| t.text_range().end())
    }
}

/// The end of `range` without trailing spaces and line breaks: a value's
/// own line break and the comments after it stay.
fn trimmed_end(text: &str, range: TextRange) -> TextSize {
    let slice = &text[usize::from(range.start())..usize::from(range.end())];
    let kept = slice.trim_end_matches([' ', '\t', '\n', '\r']).len();
    range.start() + TextSize::from(kept as u32)
}

trait PositionRef<T> {
    fn as_ref(&self) -> Position<&T>;
}

impl<T> PositionRef<T> for Position<T> {
    fn as_ref(&self) -> Position<&T> {
        match self {
            Position::First => Position::First,
            Position::After(t) => Position::After(t),
            Position::Last => Position::Last,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fix::change::replay;
    use crate::fix::oracle::load;
    use crate::syntax::edit::apply_edits;
    use crate::syntax::parse;

    fn path(s: &str) -> DataPath {
        let mut p = DataPath::root();
        for seg in s.split('.').filter(|s| !s.is_empty()) {
            p = match seg.parse::<usize>() {
                Ok(i) => p.index(i),
                Err(_) => p.key(seg),
            };
        }
        p
    }

    /// Runs `ops` on `text`, checks with the oracle that the text changed
    /// exactly as declared, and returns the new text.
    fn edit(text: &str, ops: impl FnOnce(&mut Editor) -> Result<(), Refusal>) -> String {
        let parsed = parse(text);
        let style = Style::detect(text, &parsed.syntax());
        let mut editor = Editor::new(text, &parsed, &style);
        ops(&mut editor).expect("the edit is made");
        let (edits, changes) = editor.finish();
        let new = apply_edits(text, &edits).expect("edits apply");
        let expected = replay(&load(text).unwrap(), &changes).unwrap();
        assert_eq!(load(&new).expect("still YAML"), expected, "{new}");
        new
    }

    fn refusal(text: &str, ops: impl FnOnce(&mut Editor) -> Result<(), Refusal>) -> Refusal {
        let parsed = parse(text);
        let style = Style::detect(text, &parsed.syntax());
        let mut editor = Editor::new(text, &parsed, &style);
        let refused = ops(&mut editor).expect_err("refused");
        assert!(editor.is_empty(), "a refused operation leaves no edit");
        refused
    }

    const TASK: &str = "tasks:\n  - id: a # first\n    type: io.kestra.plugin.core.flow.Pause\n    delay: PT1S   # wait\n    retry:\n      type: constant\n      maxAttempt: 3\n";

    #[test]
    fn rename_set_remove_keep_everything_else() {
        let out = edit(TASK, |e| {
            e.rename_key(&path("tasks.0.retry"), "maxAttempt", "maxAttempts")?;
            e.rename_key(&path("tasks.0"), "delay", "pauseDuration")?;
            e.set_scalar(
                &path("tasks.0.retry.type"),
                Value::String("exponential".into()),
            )
        });
        assert_eq!(out, "tasks:\n  - id: a # first\n    type: io.kestra.plugin.core.flow.Pause\n    pauseDuration: PT1S   # wait\n    retry:\n      type: exponential\n      maxAttempts: 3\n");
        let out = edit(TASK, |e| e.remove_key(&path("tasks.0.retry"), "maxAttempt"));
        assert!(out.ends_with("      type: constant\n"), "{out}");
    }

    #[test]
    fn inserts_data_and_copies_in_the_file_style() {
        let crlf = TASK.replace('\n', "\r\n");
        let out = edit(&crlf, |e| {
            e.insert_entry(
                &path("tasks.0"),
                "taskRunner",
                Fragment::Map(vec![
                    (
                        "type".into(),
                        Fragment::string("io.kestra.plugin.core.runner.Process"),
                    ),
                    (
                        "retry".into(),
                        Fragment::Copy(e.node(&path("tasks.0.retry"))?),
                    ),
                ]),
                Position::After("type"),
            )
        });
        assert_eq!(out, "tasks:\r\n  - id: a # first\r\n    type: io.kestra.plugin.core.flow.Pause\r\n    taskRunner:\r\n      type: io.kestra.plugin.core.runner.Process\r\n      retry:\r\n        type: constant\r\n        maxAttempt: 3\r\n    delay: PT1S   # wait\r\n    retry:\r\n      type: constant\r\n      maxAttempt: 3\r\n");
        let flow = "t: {id: a, type: x}\n";
        let out = edit(flow, |e| {
            e.insert_entry(
                &path("t"),
                "values",
                Fragment::Data(Value::Seq(vec![Value::Int(1)])),
                Position::Last,
            )
        });
        assert_eq!(out, "t: {id: a, type: x, values: [1]}\n");
    }

    #[test]
    fn replaces_values_and_moves_entries_with_their_comments() {
        let out = edit(TASK, |e| {
            e.replace_value(
                &path("tasks.0.delay"),
                Fragment::Map(vec![
                    ("type".into(), Fragment::string("key")),
                    (
                        "expiredOnly".into(),
                        Fragment::Copy(e.node(&path("tasks.0.retry.maxAttempt"))?),
                    ),
                ]),
            )
        });
        assert_eq!(out, "tasks:\n  - id: a # first\n    type: io.kestra.plugin.core.flow.Pause\n    delay:\n      type: key\n      expiredOnly: 3   # wait\n    retry:\n      type: constant\n      maxAttempt: 3\n");

        let text = "a:\n  # why we keep it\n  keep: 1 # eol\n  x: 2\nb:\n  y: 3\n";
        let out = edit(text, |e| {
            e.move_entry(&path("a"), "keep", &path("b"), "kept", Position::First)
        });
        assert_eq!(
            out,
            "a:\n  x: 2\nb:\n  # why we keep it\n  kept: 1 # eol\n  y: 3\n"
        );
    }

    #[test]
    fn sequence_items_declare_the_whole_sequence() {
        let text = "l:\n- a\n- b   # bee\n- c\n";
        let out = edit(text, |e| {
            e.remove_item(&path("l"), 0)?;
            e.insert_item(&path("l"), Fragment::string("d"), Position::After(1))?;
            e.insert_item(
                &path("l"),
                Fragment::Data(Value::Map(vec![(Value::String("k".into()), Value::Int(1))])),
                Position::Last,
            )
        });
        assert_eq!(out, "l:\n- b   # bee\n- d\n- c\n- k: 1\n");
    }

    #[test]
    fn refuses_what_text_edits_cannot_do_faithfully() {
        let anchored = "base: &b {type: constant, maxAttempt: 3}\nother: *b\n";
        let r = refusal(anchored, |e| {
            e.rename_key(&path("base"), "maxAttempt", "maxAttempts")
        });
        assert_eq!(r.code(), "anchored-node");
        let r = refusal(anchored, |e| e.set_scalar(&path("other.type"), Value::Null));
        assert_eq!(r.code(), "aliased-node");
        let r = refusal("t:\n  type: !weird x\n", |e| {
            e.set_scalar(&path("t.type"), Value::String("y".into()))
        });
        assert_eq!(r.code(), "tagged-node");
        let r = refusal("t: !!str 1\n", |e| e.set_scalar(&path("t"), Value::Int(2)));
        assert_eq!(r.code(), "tagged-node");
        let out = edit("t: !!str x\n", |e| {
            e.set_scalar(&path("t"), Value::String("y".into()))
        });
        assert_eq!(out, "t: !!str y\n");
        let r = refusal(TASK, |e| e.rename_key(&path("tasks.0"), "delay", "id"));
        assert_eq!(r.to_string(), "tasks[0] already has `id`");
        let r = refusal(TASK, |e| {
            e.transaction(|e| {
                e.rename_key(&path("tasks.0"), "delay", "pauseDuration")?;
                e.rename_key(&path("tasks.0"), "nope", "x")
            })
        });
        assert_eq!(r.code(), "missing");
    }

    #[test]
    fn set_type_renames_properties_with_it() {
        let text =
            "tasks:\n  - id: e\n    type: \"io.kestra.core.tasks.debugs.Echo\"\n    format: hi\n";
        let out = edit(text, |e| {
            e.set_type(
                &path("tasks.0"),
                "io.kestra.plugin.core.log.Log",
                &[("format", "message"), ("absent", "x")],
            )
        });
        assert_eq!(
            out,
            "tasks:\n  - id: e\n    type: \"io.kestra.plugin.core.log.Log\"\n    message: hi\n"
        );
    }

    #[test]
    fn replaces_parts_of_a_scalar_in_every_style() {
        let r = |text: &str, parts: &[(Range<usize>, &str)]| {
            edit(text, |e| e.replace_in_scalar(&path("k"), parts))
        };
        assert_eq!(
            r("k: a {{ json(x) }} # c\n", &[(5..9, "fromJson")]),
            "k: a {{ fromJson(x) }} # c\n"
        );
        assert_eq!(
            r("k: 'it''s {{ x | json }}'\n", &[(12..16, "toJson")]),
            "k: 'it''s {{ x | toJson }}'\n"
        );
        assert_eq!(
            r("k: \"\\t{{ json(x) }}\"\n", &[(4..8, "fromJson")]),
            "k: \"\\t{{ fromJson(x) }}\"\n"
        );
        assert_eq!(
            r(
                "k: |\r\n  {{ json(a) }}\r\n  {{ b | json }}\r\nz: 1\r\n",
                &[(3..7, "fromJson"), (21..25, "toJson")]
            ),
            "k: |\r\n  {{ fromJson(a) }}\r\n  {{ b | toJson }}\r\nz: 1\r\n"
        );
        assert_eq!(
            r("k: >-\n  a\n  {{ json(b) }}\n", &[(5..9, "fromJson")]),
            "k: >-\n  a\n  {{ fromJson(b) }}\n"
        );
    }

    #[test]
    fn refuses_parts_the_source_does_not_spell_as_is() {
        let r = |text: &str, range: Range<usize>, new: &str| {
            refusal(text, |e| e.replace_in_scalar(&path("k"), &[(range, new)])).code()
        };
        // An escape, a doubled quote, a folded line break inside the range.
        assert_eq!(r("k: \"a\\tb\"\n", 0..3, "x"), "not-verbatim");
        assert_eq!(r("k: 'a''b'\n", 0..3, "x"), "not-verbatim");
        assert_eq!(r("k: a\n  b\n", 0..3, "x"), "not-verbatim");
        // Text the style cannot hold as is.
        assert_eq!(r("k: \"ab\"\n", 0..1, "\""), "not-verbatim");
        assert_eq!(r("k: 'ab'\n", 0..1, "'"), "not-verbatim");
        assert_eq!(r("k: ab\n", 0..1, "x: y"), "not-verbatim");
        assert_eq!(r("k: |\n  ab\n", 0..1, "x\ny"), "not-verbatim");
        assert_eq!(r("k: 'ab'\n", 0..1, " x"), "not-verbatim");
        // A plain scalar that would stop being a string, or was not one.
        assert_eq!(r("k: tru\n", 0..3, "true"), "not-verbatim");
        assert_eq!(r("k: 12\n", 0..1, "3"), "not-verbatim");
        assert_eq!(
            refusal("k: abcd\n", |e| e
                .replace_in_scalar(&path("k"), &[(0..2, "x"), (1..3, "y")]))
            .code(),
            "overlap"
        );
    }
}
