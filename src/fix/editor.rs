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
use crate::syntax::emit;
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
    /// For each edit that inserts into a collection, the collection's
    /// depth in the tree: insertions at one point go innermost first, so
    /// each lands inside its own collection (the ends of nested block
    /// collections coincide), and in the order made within one.
    nests: Vec<Option<usize>>,
    changes: Vec<DataChange>,
    /// Comments this fix wrote elsewhere with copied text: a removal of
    /// what holds them takes them out instead of leaving them behind.
    carried: Vec<TextRange>,
    /// Sequences whose items were inserted or removed: each item's index in
    /// the text the fix started from (`None` for a new item) and its value,
    /// declared as one `Replace` of the whole sequence.
    sequences: Vec<(DataPath, Items)>,
}

/// A sequence's items, each with its index before the fix (`None` when new).
type Items = Vec<(Option<usize>, Value)>;

/// An editor's state at one point ([`Editor::checkpoint`]). Operations only
/// append edits and carried comments, so lengths mark the point; a
/// sequence's declared `Replace` moves to the end each time the sequence
/// changes again, so the changes are kept whole, as are sequence states.
pub struct Checkpoint {
    edits: usize,
    changes: Vec<DataChange>,
    sequences: Vec<(DataPath, Items)>,
    carried: usize,
}

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
            nests: Vec::new(),
            changes: Vec::new(),
            carried: Vec::new(),
            sequences: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }

    /// How many edits it holds.
    pub fn len(&self) -> usize {
        self.edits.len()
    }

    /// The node at `path`. Refused when the way there passes through an
    /// alias, an anchored node or a tagged collection.
    pub fn node(&self, path: &DataPath) -> Result<Node, Refusal> {
        let node = self.reach(path)?;
        guard(&node, path)?;
        Ok(node)
    }

    /// The node at `path`, with every node on the way there guarded but
    /// not the node itself.
    fn reach(&self, path: &DataPath) -> Result<Node, Refusal> {
        let missing = || Refusal::Missing { path: path.clone() };
        let mut node = self.root.clone().ok_or_else(missing)?;
        let mut at = DataPath::root();
        for seg in path.segments() {
            guard(&node, &at)?;
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
    ///
    /// A scalar carrying a core scalar tag (`!!bool true`) is written anew,
    /// tag and all: the tag described the old text, the new text says what
    /// the new value is.
    pub fn set_scalar(&mut self, path: &DataPath, value: Value) -> Result<(), Refusal> {
        let node = self.reach(path)?;
        let retag = retaggable(&node);
        if !retag {
            guard(&node, path)?;
        }
        let Node::Scalar(scalar) = node else {
            return Err(Refusal::NotScalar { path: path.clone() });
        };
        let tag = Node::Scalar(scalar.clone())
            .properties()
            .and_then(|p| p.tag());
        if let (Some(tag), false) = (tag, retag || matches!(value, Value::String(_))) {
            return Err(Refusal::Tagged {
                path: path.clone(),
                tag,
            });
        }
        let edit = match &value {
            Value::String(s) if retag => TextEdit::replace(
                Node::Scalar(scalar.clone()).full_range(),
                emit::string_scalar(s, ScalarStyle::Plain, in_flow(scalar.syntax())),
            ),
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
                let range = if retag {
                    Node::Scalar(scalar.clone()).full_range()
                } else {
                    scalar.syntax().text_range()
                };
                TextEdit::replace(range, text)
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
    /// The value's text is not touched, so its tag or anchor does not
    /// stand in the way.
    pub fn rename_key(&mut self, map: &DataPath, from: &str, to: &str) -> Result<(), Refusal> {
        let mapping = self.mapping(map)?;
        let entry = mapping.get(from).ok_or_else(|| Refusal::Missing {
            path: map.key(from),
        })?;
        // A key this fix removes is free to take.
        let removed = self
            .changes
            .iter()
            .any(|c| matches!(c, DataChange::RemoveKey { path, key } if path == map && key == to));
        if mapping.get(to).is_some() && !removed {
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
    /// to it (see [`edit::remove_entry`]); comments in it this fix copied
    /// elsewhere ([`Editor::copy_entry`]) go with it, the others stay.
    pub fn remove_key(&mut self, map: &DataPath, key: &str) -> Result<(), Refusal> {
        let (_, entry) = self.entry(map, key)?;
        let edit = edit::remove_entry_moving(self.text, &entry, &self.carried);
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
        self.insert_entry_text(
            &mapping,
            map,
            &[(key.to_string(), value)],
            position,
            Decor::default(),
        )
    }

    /// The mapping at `map` gains `entries` (each key absent before), in
    /// this order, together at one place.
    pub fn insert_entries(
        &mut self,
        map: &DataPath,
        entries: Vec<(String, Fragment)>,
        position: Position<&str>,
    ) -> Result<(), Refusal> {
        let mapping = self.mapping(map)?;
        self.insert_entry_text(&mapping, map, &entries, position, Decor::default())
    }

    /// The entry `key` of the mapping at `map` gives way to `entries`,
    /// written at its place. Comments inside the old entry (`script: | #
    /// note`) stay, at the end of the first new line.
    pub fn replace_entry(
        &mut self,
        map: &DataPath,
        key: &str,
        entries: Vec<(String, Fragment)>,
    ) -> Result<(), Refusal> {
        let (mapping, entry) = self.entry(map, key)?;
        let mut changes = vec![DataChange::RemoveKey {
            path: map.clone(),
            key: key.into(),
        }];
        changes.extend(self.new_entries(&mapping, map, &entries, Some(key))?);
        let texts = self.entry_texts(&mapping, map, &entries)?;
        let range = entry.syntax().text_range();
        // A flow entry's node holds the comma after it, which stays.
        let end = match (mapping.is_flow(), entry.value()) {
            (true, Some(value)) => value.full_range().end(),
            _ => trimmed_end(self.text, range),
        };
        let range = TextRange::new(range.start(), end);
        let comments: Vec<String> = entry
            .syntax()
            .descendants_with_tokens()
            .filter_map(|e| e.into_token())
            .filter(|t| t.kind() == crate::syntax::SyntaxKind::COMMENT)
            .map(|t| t.text().to_string())
            .collect();
        let text = if mapping.is_flow() {
            if !comments.is_empty() {
                // A comment ends its line, which one-line flow members
                // have no room for.
                return Err(Refusal::Render {
                    path: map.key(key),
                    error: render::RenderError::MultiLineInFlow,
                });
            }
            texts.join(", ")
        } else {
            let mut block = texts.join("\n");
            if !comments.is_empty() {
                let first_end = block.find('\n').unwrap_or(block.len());
                block.insert_str(first_end, &format!(" {}", comments.join(" ")));
            }
            let col = column(self.text, usize::from(range.start()));
            edit::indent_lines(&block, col, self.style.line_ending)
        };
        self.push(map, vec![TextEdit::replace(range, text)], changes)
    }

    /// The declared insertions of `entries`, refused when a key is taken
    /// (other than `replaced`, which goes) or a fragment cannot be read.
    fn new_entries(
        &self,
        mapping: &Mapping,
        map: &DataPath,
        entries: &[(String, Fragment)],
        replaced: Option<&str>,
    ) -> Result<Vec<DataChange>, Refusal> {
        let mut changes = Vec::new();
        for (i, (key, value)) in entries.iter().enumerate() {
            let taken = (mapping.get(key).is_some() && replaced != Some(key.as_str()))
                || entries[..i].iter().any(|(k, _)| k == key);
            if taken {
                return Err(Refusal::KeyExists {
                    path: map.clone(),
                    key: key.clone(),
                });
            }
            let data = value.data().map_err(|error| Refusal::Render {
                path: map.key(key.clone()),
                error,
            })?;
            changes.push(DataChange::InsertKey {
                path: map.clone(),
                key: key.clone(),
                value: data,
            });
        }
        Ok(changes)
    }

    /// Each entry's text in the mapping's style (block at column 0, or
    /// one flow member).
    fn entry_texts(
        &self,
        mapping: &Mapping,
        map: &DataPath,
        entries: &[(String, Fragment)],
    ) -> Result<Vec<String>, Refusal> {
        entries
            .iter()
            .map(|(key, value)| {
                let render_error = |error| Refusal::Render {
                    path: map.key(key.clone()),
                    error,
                };
                if mapping.is_flow() {
                    let key_text =
                        render::flow(self.text, &Fragment::string(key)).map_err(render_error)?;
                    Ok(format!(
                        "{key_text}: {}",
                        render::flow(self.text, value).map_err(render_error)?
                    ))
                } else {
                    render::block_entry(self.text, key, value, self.style).map_err(render_error)
                }
            })
            .collect()
    }

    fn insert_entry_text(
        &mut self,
        mapping: &Mapping,
        map: &DataPath,
        entries: &[(String, Fragment)],
        position: Position<&str>,
        decor: Decor,
    ) -> Result<(), Refusal> {
        let changes = self.new_entries(mapping, map, entries, None)?;
        let texts = self.entry_texts(mapping, map, entries)?;
        let mut text = texts.join(if mapping.is_flow() { ", " } else { "\n" });
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
        self.push_insertion(map, edit, depth(mapping.syntax()), changes)
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
                &[(new_key.to_string(), Fragment::Copy(value.clone()))],
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

    /// Removes entry `key` of `map` and returns its value as a fragment to
    /// write elsewhere, carrying every comment of the entry (see
    /// [`Editor::copy_entry`]).
    pub fn take_entry(&mut self, map: &DataPath, key: &str) -> Result<Fragment, Refusal> {
        let (_, entry) = self.entry(map, key)?;
        let (fragment, comments) = self.entry_fragment(map, key, &entry)?;
        let removal = edit::remove_entry_moving(self.text, &entry, &comments);
        self.push(
            map,
            vec![removal],
            vec![DataChange::RemoveKey {
                path: map.clone(),
                key: key.into(),
            }],
        )?;
        Ok(fragment)
    }

    /// The value of entry `key` of `map` as a fragment to write elsewhere,
    /// carrying every comment of the entry: those inside its value with the
    /// copied text, the one at the end of its key line and all others
    /// (lines above it) as a [`Fragment::Commented`], which must be written
    /// as a block mapping entry. A later removal of the entry takes those
    /// comments out with it.
    pub fn copy_entry(&mut self, map: &DataPath, key: &str) -> Result<Fragment, Refusal> {
        let (_, entry) = self.entry(map, key)?;
        let (fragment, comments) = self.entry_fragment(map, key, &entry)?;
        self.carried.extend(comments);
        Ok(fragment)
    }

    fn entry_fragment(
        &self,
        map: &DataPath,
        key: &str,
        entry: &Entry,
    ) -> Result<(Fragment, Vec<TextRange>), Refusal> {
        let value = entry
            .value()
            .ok_or_else(|| Refusal::Missing { path: map.key(key) })?;
        let all = edit::member_comments(self.text, entry.syntax());
        let copied = edit::copied_comments(self.text, value.syntax());
        let start = usize::from(entry.syntax().text_range().start());
        let key_line_end = start
            + self.text[start..]
                .find(['\n', '\r'])
                .unwrap_or(self.text.len() - start);
        let trailing = all
            .iter()
            .find(|(r, _)| (start + 1..key_line_end).contains(&usize::from(r.start())))
            .map(|(r, c)| (*r, c.clone()));
        let above = all
            .iter()
            .filter(|(r, _)| Some(*r) != trailing.as_ref().map(|t| t.0) && !copied.contains(r))
            .map(|(_, c)| c.trim().to_string())
            .collect();
        let fragment = Fragment::Commented {
            above,
            trailing: trailing.map(|(_, c)| c),
            value: Box::new(Fragment::Copy(value)),
        };
        Ok((fragment, all.into_iter().map(|(r, _)| r).collect()))
    }

    /// The node at `path` as a fragment to write elsewhere, with the
    /// comments inside it, which a later removal of what holds them takes
    /// out.
    pub fn copy(&mut self, path: &DataPath) -> Result<Fragment, Refusal> {
        let node = self.node(path)?;
        self.carried
            .extend(edit::copied_comments(self.text, node.syntax()));
        Ok(Fragment::Copy(node))
    }

    /// Item `index` of the sequence at `seq` as a fragment to write
    /// elsewhere: [`Editor::copy`], with the comment at the end of its line
    /// (`- set -e # strict`), which must then be written as a block item.
    pub fn copy_item(&mut self, seq: &DataPath, index: usize) -> Result<Fragment, Refusal> {
        let path = seq.index(index);
        let item = self
            .sequence(seq)?
            .items()
            .nth(index)
            .ok_or_else(|| Refusal::Missing { path: path.clone() })?;
        let value = self.node(&path)?;
        let copied = edit::copied_comments(self.text, value.syntax());
        let end = usize::from(value.text_range().end());
        let line_end = end
            + self.text[end..]
                .find(['\n', '\r'])
                .unwrap_or(self.text.len() - end);
        let trailing = edit::member_comments(self.text, item.syntax())
            .into_iter()
            .find(|(r, _)| {
                !copied.contains(r) && (end..line_end).contains(&usize::from(r.start()))
            });
        self.carried.extend(copied);
        Ok(match trailing {
            Some((r, comment)) => {
                self.carried.push(r);
                Fragment::Commented {
                    above: Vec::new(),
                    trailing: Some(comment),
                    value: Box::new(Fragment::Copy(value)),
                }
            }
            None => Fragment::Copy(value),
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
        // After the items this fix inserted at the same place before, as
        // their text comes first.
        let new_from = |p: usize| p + state[p..].iter().take_while(|(o, _)| o.is_none()).count();
        let at = match position {
            Position::First => new_from(0),
            Position::Last => state.len(),
            Position::After(i) => state
                .iter()
                .position(|(o, _)| *o == Some(i))
                .map_or(state.len(), |p| new_from(p + 1)),
        };
        state.insert(at, (None, data));
        self.push_sequence(seq, edit, Some(depth(sequence.syntax())), state)
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
        self.push_sequence(seq, edit, None, state)
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
        nest: Option<usize>,
        state: Items,
    ) -> Result<(), Refusal> {
        if self.overlaps(&edit, nest) {
            return Err(Refusal::Overlap { path: path.clone() });
        }
        self.edits.push(edit);
        self.nests.push(nest);
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
        // A checkpoint keeps the declared changes whole: an operation may
        // replace earlier declarations (adding to a sequence declares the
        // whole sequence anew), which truncation would not bring back.
        let mark = self.checkpoint();
        let result = f(self);
        if result.is_err() {
            self.rollback(mark);
        }
        result
    }

    /// What the editor holds now, to come back to with
    /// [`Editor::rollback`]: for a caller that decides only after several
    /// operations succeed whether to keep them.
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            edits: self.edits.len(),
            changes: self.changes.clone(),
            sequences: self.sequences.clone(),
            carried: self.carried.len(),
        }
    }

    /// Forgets every operation made since `mark` was taken.
    pub fn rollback(&mut self, mark: Checkpoint) {
        self.edits.truncate(mark.edits);
        self.nests.truncate(mark.edits);
        self.changes = mark.changes;
        self.sequences = mark.sequences;
        self.carried.truncate(mark.carried);
    }

    fn overlaps(&self, edit: &TextEdit, nest: Option<usize>) -> bool {
        self.edits.iter().zip(&self.nests).any(|(e, n)| {
            let (a, b) = (e.range, edit.range);
            if a.is_empty() && b.is_empty() && a.start() == b.start() {
                // Two insertions at one point are ordered only when both
                // say into which collection (see `nests`).
                return n.is_none() || nest.is_none();
            }
            a.start() < b.end() && b.start() < a.end()
        })
    }

    fn push(
        &mut self,
        path: &DataPath,
        edits: Vec<TextEdit>,
        changes: Vec<DataChange>,
    ) -> Result<(), Refusal> {
        if edits.iter().any(|e| self.overlaps(e, None)) {
            return Err(Refusal::Overlap { path: path.clone() });
        }
        self.nests.extend(edits.iter().map(|_| None));
        self.edits.extend(edits);
        self.changes.extend(changes);
        Ok(())
    }

    /// [`Editor::push`] for an edit inserting into the collection at
    /// `nest` depth.
    fn push_insertion(
        &mut self,
        path: &DataPath,
        edit: TextEdit,
        nest: usize,
        changes: Vec<DataChange>,
    ) -> Result<(), Refusal> {
        if self.overlaps(&edit, Some(nest)) {
            return Err(Refusal::Overlap { path: path.clone() });
        }
        self.edits.push(edit);
        self.nests.push(Some(nest));
        self.changes.extend(changes);
        Ok(())
    }

    /// The data changes declared so far.
    pub fn changes(&self) -> &[DataChange] {
        &self.changes
    }

    /// The declared changes with their paths relative to `base`, or `None`
    /// when one lies outside it: what to replay on that node alone.
    pub fn changes_under(&self, base: &DataPath) -> Option<Vec<DataChange>> {
        self.changes
            .iter()
            .map(|change| {
                let mut change = change.clone();
                let path = match &mut change {
                    DataChange::SetScalar { path, .. }
                    | DataChange::Replace { path, .. }
                    | DataChange::InsertKey { path, .. }
                    | DataChange::RemoveKey { path, .. }
                    | DataChange::RenameKey { path, .. } => path,
                    DataChange::SameEffectiveConfig => return Some(change),
                };
                let rest = path.segments().strip_prefix(base.segments())?;
                *path = DataPath(rest.to_vec());
                Some(change)
            })
            .collect()
    }

    /// The edits, ordered where insertions share a point (see `nests`),
    /// and the data changes they make.
    pub fn finish(self) -> (Vec<TextEdit>, Vec<DataChange>) {
        let mut edits: Vec<(TextEdit, Option<usize>)> =
            self.edits.into_iter().zip(self.nests).collect();
        // Stable: insertions into one collection keep the order made.
        edits.sort_by_key(|(e, nest)| {
            (
                e.range.start(),
                e.range.end(),
                std::cmp::Reverse(nest.unwrap_or(0)),
            )
        });
        (edits.into_iter().map(|(e, _)| e).collect(), self.changes)
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

/// A scalar whose only property is a core tag of a non-string scalar
/// (`!!bool`, `!!int`, `!!float`, `!!null`): replacing its whole text,
/// tag included, writes exactly the new value.
fn retaggable(node: &Node) -> bool {
    let Node::Scalar(_) = node else {
        return false;
    };
    let Some(props) = node.properties() else {
        return false;
    };
    props.anchor().is_none()
        && props.tag().is_some_and(|tag| {
            matches!(
                canonical_tag(&tag).as_ref(),
                "tag:yaml.org,2002:bool"
                    | "tag:yaml.org,2002:int"
                    | "tag:yaml.org,2002:float"
                    | "tag:yaml.org,2002:null"
            )
        })
}

/// How deep `node` sits in the tree.
fn depth(node: &crate::syntax::SyntaxNode) -> usize {
    node.ancestors().count()
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
    fn core_scalar_tags_are_replaced_with_the_value() {
        let text = "t:\n  store: !!bool true # kept\n  n: !!int 3\n  s: !!str x\n";
        let out = edit(text, |e| {
            e.set_scalar(&path("t.store"), Value::String("STORE".into()))?;
            e.set_scalar(&path("t.n"), Value::Int(4))
        });
        assert_eq!(out, "t:\n  store: STORE # kept\n  n: 4\n  s: !!str x\n");
        let out = edit(text, |e| e.rename_key(&path("t"), "n", "m"));
        assert_eq!(
            out,
            "t:\n  store: !!bool true # kept\n  m: !!int 3\n  s: !!str x\n"
        );
        let r = refusal("t: &a !!bool true\nu: *a\n", |e| {
            e.set_scalar(&path("t"), Value::String("x".into()))
        });
        assert_eq!(r.code(), "anchored-node");
    }

    #[test]
    fn a_key_removed_by_the_fix_can_be_renamed_to() {
        let text = "q:\n  store: false\n  fetch: true # keep\n";
        let out = edit(text, |e| {
            e.remove_key(&path("q"), "store")?;
            e.rename_key(&path("q"), "fetch", "store")
        });
        assert_eq!(out, "q:\n  store: true # keep\n");
        let r = refusal(text, |e| e.rename_key(&path("q"), "fetch", "store"));
        assert_eq!(r.code(), "key-exists");
    }

    #[test]
    fn changes_replay_on_the_node_they_lie_under() {
        let text = "a:\n  b:\n    c: 1\n  d: 2\n";
        let parsed = parse(text);
        let style = Style::detect(text, &parsed.syntax());
        let mut e = Editor::new(text, &parsed, &style);
        e.set_scalar(&path("a.b.c"), Value::Int(3)).unwrap();
        e.rename_key(&path("a.b"), "c", "k").unwrap();
        let local = e.changes_under(&path("a.b")).expect("all under a.b");
        let b = path("a.b").lookup(&load(text).unwrap()[0]).unwrap().clone();
        let after = replay(&[b], &local).unwrap();
        assert_eq!(after, load("k: 3\n").unwrap());
        e.remove_key(&path("a"), "d").unwrap();
        assert_eq!(e.changes_under(&path("a.b")), None);
    }

    #[test]
    fn an_entry_gives_way_to_new_entries_keeping_its_comments() {
        let text = "t:\r\n  type: x\r\n  script: | # inline\r\n    a\r\n    b\r\n  # after\r\n  timeout: PT5M\r\n";
        let out = edit(text, |e| {
            e.replace_entry(
                &path("t"),
                "script",
                vec![
                    (
                        "commands".into(),
                        Fragment::Data(Value::Seq(vec![Value::String("sh a.sh".into())])),
                    ),
                    (
                        "env".into(),
                        Fragment::Map(vec![("A".into(), Fragment::string("{{ x }}"))]),
                    ),
                ],
            )
        });
        assert_eq!(out, "t:\r\n  type: x\r\n  commands: # inline\r\n    - sh a.sh\r\n  env:\r\n    A: '{{ x }}'\r\n  # after\r\n  timeout: PT5M\r\n");
        let out = edit("t: {a: 1, b: 2}\n", |e| {
            e.replace_entry(
                &path("t"),
                "a",
                vec![("c".into(), Fragment::Data(Value::Int(3)))],
            )
        });
        assert_eq!(out, "t: {c: 3, b: 2}\n");
        let r = refusal("t:\n  a: 1\n  b: 2\n", |e| {
            e.replace_entry(&path("t"), "a", vec![("b".into(), Fragment::string("x"))])
        });
        assert_eq!(r.code(), "key-exists");
    }

    #[test]
    fn several_entries_go_in_at_one_place() {
        let text = "env:\n  A: 1 # one\nx: 2\n";
        let out = edit(text, |e| {
            e.insert_entries(
                &path("env"),
                vec![
                    ("B".into(), Fragment::string("b")),
                    ("C".into(), Fragment::Data(Value::Bool(true))),
                ],
                Position::Last,
            )
        });
        assert_eq!(out, "env:\n  A: 1 # one\n  B: b\n  C: true\nx: 2\n");
        let out = edit("env: {A: 1}\n", |e| {
            e.insert_entries(
                &path("env"),
                vec![
                    ("B".into(), Fragment::string("b")),
                    ("C".into(), Fragment::string("c")),
                ],
                Position::Last,
            )
        });
        assert_eq!(out, "env: {A: 1, B: b, C: c}\n");
    }

    #[test]
    fn a_rollback_forgets_everything_since_its_checkpoint() {
        let text = "l:\n  - a\nm:\n  k: 1\n  j: 2\n";
        let out = edit(text, |e| {
            e.insert_item(&path("l"), Fragment::string("b"), Position::Last)?;
            let mark = e.checkpoint();
            // The sequence declared again, then forgotten: the declaration
            // from before the checkpoint is back.
            e.insert_item(&path("l"), Fragment::string("c"), Position::Last)?;
            e.remove_key(&path("m"), "k")?;
            e.rollback(mark);
            e.remove_key(&path("m"), "j")
        });
        assert_eq!(out, "l:\n  - a\n  - b\nm:\n  k: 1\n");
    }

    #[test]
    fn a_refused_transaction_brings_back_declarations_it_replaced() {
        let text = "l:\n  - a\nm:\n  k: 1\n  j: 2\n";
        let out = edit(text, |e| {
            e.insert_item(&path("l"), Fragment::string("b"), Position::Last)?;
            let refused = e.transaction(|e| {
                e.insert_item(&path("l"), Fragment::string("c"), Position::Last)?;
                e.remove_key(&path("m"), "absent")
            });
            assert!(refused.is_err());
            e.remove_key(&path("m"), "k")
        });
        assert_eq!(out, "l:\n  - a\n  - b\nm:\n  j: 2\n");
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
    fn taken_entries_carry_their_comments_to_new_places() {
        let text = "a:\n  # why we keep it\n  keep: 1 # eol\n  list: # the list\n    - x # ex\n  z: 0\nb:\n  y: 3\n";
        let out = edit(text, |e| {
            let keep = e.take_entry(&path("a"), "keep")?;
            let list = e.take_entry(&path("a"), "list")?;
            e.insert_entries(
                &path("b"),
                vec![("kept".into(), keep), ("listed".into(), list)],
                Position::Last,
            )
        });
        assert_eq!(
            out,
            "a:\n  z: 0\nb:\n  y: 3\n  # why we keep it\n  kept: 1 # eol\n  listed: # the list\n    - x # ex\n"
        );
        let flow = "a: {k: 1}\nb: {y: 3}\n";
        let out = edit(flow, |e| {
            e.insert_entries(
                &path("b"),
                vec![
                    ("p".into(), Fragment::Copy(e.node(&path("a.k"))?)),
                    ("q".into(), Fragment::string("s")),
                ],
                Position::First,
            )
        });
        assert_eq!(out, "a: {k: 1}\nb: {p: 1, q: s, y: 3}\n");
        let r = refusal(flow, |e| {
            e.insert_entries(
                &path("b"),
                vec![
                    ("p".into(), Fragment::string("1")),
                    ("y".into(), Fragment::string("2")),
                ],
                Position::Last,
            )
        });
        assert_eq!(r.code(), "key-exists");
    }

    #[test]
    fn copies_carry_their_comments_and_insertions_at_one_point_nest() {
        let text = "t:\n  l:\n    - z\n  m:\n    x: 1\nd:\n  # above\n  k: 1 # eol\n  l:\n    - a # first\n    - b\n  left: 0 # stays\n";
        let out = edit(text, |e| {
            // The outer mapping first: the inner one's entry still lands
            // inside it, before the outer's.
            e.insert_entry(
                &path("t"),
                "n",
                Fragment::Data(Value::Int(2)),
                Position::Last,
            )?;
            let k = e.copy_entry(&path("d"), "k")?;
            e.insert_entry(&path("t.m"), "y", k, Position::Last)?;
            for i in 0..2 {
                let item = e.copy_item(&path("d.l"), i)?;
                e.insert_item(&path("t.l"), item, Position::First)?;
            }
            e.remove_key(&path(""), "d")
        });
        assert_eq!(
            out,
            "t:\n  l:\n    - a # first\n    - b\n    - z\n  m:\n    x: 1\n    # above\n    y: 1 # eol\n  n: 2\n# stays\n"
        );
        // One collection, one point: in the order made.
        let out = edit("m:\n  a: 1\n", |e| {
            e.insert_entry(&path("m"), "b", Fragment::string("x"), Position::Last)?;
            e.insert_entry(&path("m"), "c", Fragment::string("y"), Position::Last)
        });
        assert_eq!(out, "m:\n  a: 1\n  b: x\n  c: y\n");
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
