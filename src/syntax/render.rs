//! Writing new structures as YAML text: the one emitter every edit uses for
//! collections (scalars go through [`super::emit`]).
//!
//! A [`Fragment`] is what an edit writes: decoded data, a copy of a node of
//! the file (its text, comments and quoting kept), or a mapping / sequence
//! of fragments. Block text is produced at column 0 with `\n` line breaks;
//! the insertion helpers of [`super::edit`] re-indent it to its place and
//! convert line breaks to the file's.

use super::ast::{AstNode, Entry, Item, Node};
use super::edit::block_lines;
use super::emit;
use super::kind::{SyntaxKind, SyntaxNode};
use super::style::{column, Style};
use super::value::{decode_node, ScalarStyle, Value};

/// A value an edit writes.
#[derive(Debug, Clone, PartialEq)]
pub enum Fragment {
    /// New data, written in Kestra's documentation style.
    Data(Value),
    /// A node of the file being edited, copied with its own text.
    Copy(Node),
    /// A mapping whose values are fragments, in this order.
    Map(Vec<(String, Fragment)>),
    /// A sequence of fragments.
    Seq(Vec<Fragment>),
    /// A scalar written in the given style where it allows the value
    /// (a Pebble expression double-quoted, as Kestra's docs write it); a
    /// collection is written on one line.
    Styled(Value, ScalarStyle),
    /// The value of a block mapping entry with the comments that belong to
    /// the entry (an entry moved with its comments): lines written above
    /// its key (`# why`) and one at the end of its key line (`# note`). A
    /// block sequence item takes its lines above its dash and the one at
    /// the end of its first line. Elsewhere comments cannot be placed:
    /// refused.
    Commented {
        above: Vec<String>,
        trailing: Option<String>,
        value: Box<Fragment>,
    },
}

/// Why a fragment cannot be written where it was asked to go.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("a multi-line value cannot be written inside a flow collection")]
    MultiLineInFlow,
    #[error("a tagged value (`{0}`) has no faithful text here")]
    Tagged(String),
    #[error("the copied node holds an alias, whose anchor may not be in reach")]
    Alias,
    #[error("the copied node is not part of a document")]
    Detached,
    #[error("the copied node cannot be read: {0}")]
    Decode(String),
    #[error("comments of an entry can only be written with a block mapping entry")]
    Comments,
}

impl Fragment {
    pub fn string(s: impl Into<String>) -> Self {
        Fragment::Data(Value::String(s.into()))
    }

    /// The data this fragment reads back as once written. A copied node is
    /// decoded from the tree; a node holding an alias is refused, since its
    /// anchor may lie outside the copy.
    pub fn data(&self) -> Result<Value, RenderError> {
        Ok(match self {
            Fragment::Data(v) => v.clone(),
            Fragment::Copy(node) => {
                if has_alias(node.syntax()) {
                    return Err(RenderError::Alias);
                }
                // The slot (value, item or document) holds the node's
                // properties too, so a tag written before it counts.
                let slot = node.syntax().parent().ok_or(RenderError::Detached)?;
                decode_node(&slot).map_err(|e| RenderError::Decode(e.to_string()))?
            }
            Fragment::Map(entries) => Value::Map(
                entries
                    .iter()
                    .map(|(k, v)| Ok((Value::String(k.clone()), v.data()?)))
                    .collect::<Result<_, RenderError>>()?,
            ),
            Fragment::Seq(items) => {
                Value::Seq(items.iter().map(Fragment::data).collect::<Result<_, _>>()?)
            }
            Fragment::Styled(v, _) => v.clone(),
            Fragment::Commented { value, .. } => value.data()?,
        })
    }
}

fn has_alias(node: &SyntaxNode) -> bool {
    node.kind() == SyntaxKind::ALIAS || node.descendants().any(|n| n.kind() == SyntaxKind::ALIAS)
}

/// One mapping entry `key: value` in block style at column 0.
pub fn block_entry(
    src: &str,
    key: &str,
    value: &Fragment,
    style: &Style,
) -> Result<String, RenderError> {
    let mut out = String::new();
    write_entry(&mut out, src, key, value, 0, style)?;
    Ok(out)
}

/// A whole document holding one block mapping: the entries of `sections`
/// in order, a blank line between two sections, the style's line breaks
/// and a final one.
pub fn document(
    src: &str,
    sections: &[Vec<(String, Fragment)>],
    style: &Style,
) -> Result<String, RenderError> {
    let mut out = String::new();
    for (i, section) in sections.iter().filter(|s| !s.is_empty()).enumerate() {
        if i > 0 {
            out.push('\n');
        }
        for (key, value) in section {
            write_entry(&mut out, src, key, value, 0, style)?;
            out.push('\n');
        }
    }
    Ok(if style.line_ending == "\n" {
        out
    } else {
        out.replace('\n', style.line_ending)
    })
}

/// A member of a block collection of `src` (a mapping entry or a sequence
/// item) as a fragment to write elsewhere: its value copied with the
/// comments inside it, the comment lines directly above the member at its
/// column, and the comment at the end of its first line that the value
/// does not hold (`key: # note`). `None` for a member without a value.
pub fn copy_member(src: &str, member: &SyntaxNode) -> Option<Fragment> {
    let value = match member.kind() {
        SyntaxKind::BLOCK_MAP_ENTRY => Entry::cast(member.clone())?.value()?,
        SyntaxKind::BLOCK_SEQ_ENTRY => Item::cast(member.clone())?.value()?,
        _ => return None,
    };
    let start = usize::from(member.text_range().start());
    let above: Vec<String> = block_lines(src, member)
        .map(|lines| {
            src[usize::from(lines.start())..start]
                .lines()
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    let line_end = start + src[start..].find(['\n', '\r']).unwrap_or(src.len() - start);
    let held = value.full_range();
    let trailing = std::iter::successors(member.first_token(), |t| t.next_token())
        .take_while(|t| usize::from(t.text_range().start()) < line_end)
        .find(|t| t.kind() == SyntaxKind::COMMENT && !held.contains_range(t.text_range()))
        .map(|t| t.text().to_string());
    let value = Fragment::Copy(value);
    Some(if above.is_empty() && trailing.is_none() {
        value
    } else {
        Fragment::Commented {
            above,
            trailing,
            value: Box::new(value),
        }
    })
}

/// One sequence item's value (without its `- `) in block style at column 0,
/// as [`super::edit::insert_item`] takes it.
pub fn block_item(src: &str, value: &Fragment, style: &Style) -> Result<String, RenderError> {
    let mut out = String::new();
    write_item_body(&mut out, src, value, 2, style)?;
    // The item body was written for the column after `- `; the insertion
    // helper adds that indentation itself.
    Ok(dedent_rest(&out, 2))
}

/// A value on one line, for a flow collection or after `key: `.
pub fn flow(src: &str, value: &Fragment) -> Result<String, RenderError> {
    Ok(match value {
        Fragment::Data(Value::Map(entries)) => {
            let parts = entries
                .iter()
                .map(|(k, v)| {
                    let key = k.as_str().ok_or_else(|| RenderError::Tagged(k.brief()))?;
                    Ok(format!(
                        "{}: {}",
                        flow_key(key),
                        flow(src, &Fragment::Data(v.clone()))?
                    ))
                })
                .collect::<Result<Vec<_>, RenderError>>()?;
            format!("{{{}}}", parts.join(", "))
        }
        Fragment::Data(Value::Seq(items)) => {
            let parts = items
                .iter()
                .map(|v| flow(src, &Fragment::Data(v.clone())))
                .collect::<Result<Vec<_>, _>>()?;
            format!("[{}]", parts.join(", "))
        }
        Fragment::Data(Value::Tagged(tag, _)) => return Err(RenderError::Tagged(tag.clone())),
        Fragment::Data(v) => emit::scalar(v, ScalarStyle::Plain, true).expect("a scalar"),
        Fragment::Copy(node) => {
            let text = normalized(&src[node_range(node)]);
            if text.contains('\n') {
                return Err(RenderError::MultiLineInFlow);
            }
            text
        }
        Fragment::Map(entries) => {
            let parts = entries
                .iter()
                .map(|(k, v)| Ok(format!("{}: {}", flow_key(k), flow(src, v)?)))
                .collect::<Result<Vec<_>, RenderError>>()?;
            format!("{{{}}}", parts.join(", "))
        }
        Fragment::Seq(items) => {
            let parts = items
                .iter()
                .map(|v| flow(src, v))
                .collect::<Result<Vec<_>, _>>()?;
            format!("[{}]", parts.join(", "))
        }
        Fragment::Styled(v, style) => match emit::scalar(v, *style, true) {
            Some(text) => text,
            None => flow(src, &Fragment::Data(v.clone()))?,
        },
        Fragment::Commented { .. } => return Err(RenderError::Comments),
    })
}

fn flow_key(key: &str) -> String {
    emit::string_scalar(key, ScalarStyle::Plain, true)
}

fn block_key(key: &str) -> String {
    emit::string_scalar(key, ScalarStyle::Plain, false)
}

/// How a fragment sits after its indicator (`key:` or `- `).
enum Shape<'a> {
    /// On the indicator's line.
    Inline(String),
    /// A block mapping on the following lines.
    Map(Vec<(&'a str, Fragment)>),
    /// A block sequence on the following lines.
    Seq(Vec<Fragment>),
    /// A block collection of the file, copied on the following lines.
    CopiedBlock(&'a Node),
}

fn shape<'a>(src: &str, value: &'a Fragment, col: usize) -> Result<Shape<'a>, RenderError> {
    Ok(match value {
        Fragment::Data(Value::Map(entries)) if !entries.is_empty() => Shape::Map(
            entries
                .iter()
                .map(|(k, v)| {
                    let key = k.as_str().ok_or_else(|| RenderError::Tagged(k.brief()))?;
                    Ok((key, Fragment::Data(v.clone())))
                })
                .collect::<Result<_, RenderError>>()?,
        ),
        Fragment::Data(Value::Seq(items)) if !items.is_empty() => {
            Shape::Seq(items.iter().cloned().map(Fragment::Data).collect())
        }
        Fragment::Map(entries) if !entries.is_empty() => Shape::Map(
            entries
                .iter()
                .map(|(k, v)| (k.as_str(), v.clone()))
                .collect(),
        ),
        Fragment::Seq(items) if !items.is_empty() => Shape::Seq(items.clone()),
        Fragment::Copy(node) if is_block_collection(node) => Shape::CopiedBlock(node),
        Fragment::Copy(node) => Shape::Inline(copied_inline(src, node, col)),
        Fragment::Styled(v, style) => match emit::scalar(v, *style, false) {
            Some(text) => Shape::Inline(text),
            None => Shape::Inline(flow(src, &Fragment::Data(v.clone()))?),
        },
        Fragment::Commented { .. } => return Err(RenderError::Comments),
        other => Shape::Inline(flow(src, other)?),
    })
}

fn is_block_collection(node: &Node) -> bool {
    matches!(
        node.syntax().kind(),
        SyntaxKind::BLOCK_MAP | SyntaxKind::BLOCK_SEQ
    )
}

/// `key: value` at column `col`; the first line carries no indentation.
fn write_entry(
    out: &mut String,
    src: &str,
    key: &str,
    value: &Fragment,
    col: usize,
    style: &Style,
) -> Result<(), RenderError> {
    let (value, trailing) = match value {
        Fragment::Commented {
            above,
            trailing,
            value,
        } => {
            for comment in above {
                out.push_str(comment);
                out.push('\n');
                out.push_str(&" ".repeat(col));
            }
            (&**value, trailing.as_deref())
        }
        value => (value, None),
    };
    let trailing = |out: &mut String| {
        if let Some(comment) = trailing {
            out.push(' ');
            out.push_str(comment);
        }
    };
    out.push_str(&block_key(key));
    out.push(':');
    let shape = shape(src, value, col)?;
    if let Shape::Inline(text) = &shape {
        out.push(' ');
        out.push_str(text);
    }
    trailing(out);
    match shape {
        Shape::Inline(_) => {}
        Shape::Map(entries) => write_map(out, src, &entries, col + style.indent, style)?,
        Shape::Seq(items) => write_seq(out, src, &items, col + style.seq_indent, style)?,
        Shape::CopiedBlock(node) => {
            let at = if node.syntax().kind() == SyntaxKind::BLOCK_SEQ {
                col + style.seq_indent
            } else {
                col + style.indent
            };
            out.push('\n');
            out.push_str(&" ".repeat(at));
            out.push_str(&copied_block(src, node, at));
        }
    }
    Ok(())
}

fn write_map(
    out: &mut String,
    src: &str,
    entries: &[(&str, Fragment)],
    col: usize,
    style: &Style,
) -> Result<(), RenderError> {
    for (key, value) in entries {
        out.push('\n');
        out.push_str(&" ".repeat(col));
        write_entry(out, src, key, value, col, style)?;
    }
    Ok(())
}

fn write_seq(
    out: &mut String,
    src: &str,
    items: &[Fragment],
    col: usize,
    style: &Style,
) -> Result<(), RenderError> {
    for item in items {
        out.push('\n');
        out.push_str(&" ".repeat(col));
        let (above, trailing, value) = comments_of(item);
        // A block sequence item's own comment lines go above its dash.
        for comment in above {
            out.push_str(comment);
            out.push('\n');
            out.push_str(&" ".repeat(col));
        }
        let blanks = blanks_after_dash(src, value).unwrap_or(1);
        out.push('-');
        out.push_str(&" ".repeat(blanks));
        write_item_value(out, src, value, trailing, col + 1 + blanks, style)?;
    }
    Ok(())
}

/// The blanks after the dash of a copied sequence item (`-   id: a`),
/// which its copy keeps: a copied item keeps its own layout.
fn blanks_after_dash(src: &str, value: &Fragment) -> Option<usize> {
    let Fragment::Copy(node) = value else {
        return None;
    };
    let item = node.syntax().parent()?;
    if item.kind() != SyntaxKind::BLOCK_SEQ_ENTRY {
        return None;
    }
    let dash = usize::from(item.text_range().start());
    let start = usize::from(node.full_range().start());
    let between = src.get(dash + 1..start)?;
    (!between.is_empty() && between.bytes().all(|b| b == b' ')).then_some(between.len())
}

/// A fragment's comments (lines above, end of line) and the value they
/// go with.
fn comments_of(value: &Fragment) -> (&[String], Option<&str>, &Fragment) {
    match value {
        Fragment::Commented {
            above,
            trailing,
            value,
        } => (above, trailing.as_deref(), value),
        value => (&[], None, value),
    }
}

/// An item's value written right after its `- `, at column `col`. Comment
/// lines above it have no place here (they go above the dash).
fn write_item_body(
    out: &mut String,
    src: &str,
    value: &Fragment,
    col: usize,
    style: &Style,
) -> Result<(), RenderError> {
    let (above, trailing, value) = comments_of(value);
    if !above.is_empty() {
        return Err(RenderError::Comments);
    }
    write_item_value(out, src, value, trailing, col, style)
}

/// [`write_item_body`] for a value without comments of its own, with the
/// comment at the end of the item's first line: after the value when it
/// fits on the dash's line, else alone on that line, the block below it.
fn write_item_value(
    out: &mut String,
    src: &str,
    value: &Fragment,
    trailing: Option<&str>,
    col: usize,
    style: &Style,
) -> Result<(), RenderError> {
    let shape = shape(src, value, col)?;
    if let Shape::Inline(text) = &shape {
        out.push_str(text);
    }
    if let Some(comment) = trailing {
        if !matches!(shape, Shape::Inline(_)) {
            out.push_str(comment);
            out.push('\n');
            out.push_str(&" ".repeat(col));
        } else {
            out.push(' ');
            out.push_str(comment);
        }
    }
    match shape {
        Shape::Inline(_) => {}
        // A mapping item starts on the dash's line (`- id: a`).
        Shape::Map(entries) => {
            for (i, (key, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                    out.push_str(&" ".repeat(col));
                }
                write_entry(out, src, key, v, col, style)?;
            }
        }
        Shape::Seq(items) => {
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                    out.push_str(&" ".repeat(col));
                }
                out.push_str("- ");
                write_item_body(out, src, v, col + 2, style)?;
            }
        }
        Shape::CopiedBlock(node) => out.push_str(&copied_block(src, node, col)),
    }
    Ok(())
}

fn node_range(node: &Node) -> std::ops::Range<usize> {
    let r = node.full_range();
    usize::from(r.start())..usize::from(r.end())
}

/// A copied block collection whose first line is written at column `to`:
/// every later line moves by the same amount as the first.
fn copied_block(src: &str, node: &Node, to: usize) -> String {
    let range = node_range(node);
    let from = column(src, range.start);
    shift_lines(&src[range], from, to)
}

/// A copied scalar (or flow collection) written after an indicator whose
/// entry sits at column `col`: continuation lines keep their indentation
/// relative to the entry that owned them.
fn copied_inline(src: &str, node: &Node, col: usize) -> String {
    let range = node_range(node);
    let owner = owner_column(src, node.syntax());
    shift_lines(&src[range], owner, col)
}

/// The column of the block entry or item that holds `node`.
fn owner_column(src: &str, node: &SyntaxNode) -> usize {
    node.ancestors()
        .find(|n| {
            matches!(
                n.kind(),
                SyntaxKind::BLOCK_MAP_ENTRY | SyntaxKind::BLOCK_SEQ_ENTRY
            )
        })
        .map(|n| column(src, n.text_range().start().into()))
        .unwrap_or(0)
}

/// `text` with `\n` line breaks, trailing line breaks and blank lines
/// dropped, and every line after the first moved from column `from` to `to`.
fn shift_lines(text: &str, from: usize, to: usize) -> String {
    let text = normalized(text);
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i == 0 {
            out.push_str(line);
            continue;
        }
        out.push('\n');
        if line.trim().is_empty() {
            continue;
        }
        let lead = line.len() - line.trim_start_matches(' ').len();
        if to >= from {
            out.push_str(&" ".repeat(to - from));
            out.push_str(line);
        } else {
            out.push_str(&line[lead.min(from - to)..]);
        }
    }
    out
}

fn normalized(text: &str) -> String {
    text.replace("\r\n", "\n")
        .trim_end_matches(['\n', ' ', '\t'])
        .to_string()
}

/// Removes up to `n` leading spaces from every line but the first.
fn dedent_rest(text: &str, n: usize) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
            let lead = line.len() - line.trim_start_matches(' ').len();
            out.push_str(&line[lead.min(n)..]);
        } else {
            out.push_str(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::{parse, value::decode_documents};

    fn data(text: &str) -> Value {
        decode_documents(&parse(text)).unwrap().remove(0)
    }

    fn map(entries: &[(&str, Value)]) -> Value {
        Value::Map(
            entries
                .iter()
                .map(|(k, v)| (Value::String(k.to_string()), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn writes_nested_data_in_block_style() {
        let value = map(&[
            (
                "type",
                Value::String("io.kestra.plugin.scripts.runner.docker.Docker".into()),
            ),
            ("volumes", Value::Seq(vec![Value::String("/a:/b".into())])),
            ("config", map(&[("auths", map(&[]))])),
            ("pull", Value::Bool(true)),
        ]);
        let style = Style::default();
        let text = block_entry("", "taskRunner", &Fragment::Data(value.clone()), &style).unwrap();
        assert_eq!(
            text,
            "taskRunner:\n  type: io.kestra.plugin.scripts.runner.docker.Docker\n  volumes:\n    - /a:/b\n  config:\n    auths: {}\n  pull: true"
        );
        assert_eq!(data(&text).get("taskRunner"), Some(&value));

        let flush = Style {
            seq_indent: 0,
            indent: 4,
            ..Style::default()
        };
        let text = block_entry("", "k", &Fragment::Data(value.clone()), &flush).unwrap();
        assert!(text.contains("\n    volumes:\n    - /a:/b\n"), "{text}");
        assert_eq!(data(&text).get("k"), Some(&value));
    }

    #[test]
    fn items_holding_maps_start_on_the_dash_line() {
        let value = Value::Seq(vec![
            map(&[("id", Value::String("a".into())), ("n", Value::Int(1))]),
            Value::Seq(vec![Value::Int(1), Value::Int(2)]),
        ]);
        let text = block_entry(
            "",
            "list",
            &Fragment::Data(value.clone()),
            &Style::default(),
        )
        .unwrap();
        assert_eq!(text, "list:\n  - id: a\n    n: 1\n  - - 1\n    - 2");
        assert_eq!(data(&text).get("list"), Some(&value));
        let item = block_item(
            "",
            &Fragment::Data(map(&[
                ("id", Value::String("b".into())),
                ("x", Value::Null),
            ])),
            &Style::default(),
        )
        .unwrap();
        assert_eq!(item, "id: b\nx: null");
    }

    #[test]
    fn entry_comments_go_above_the_key_and_after_its_line() {
        let src = "a: 1\nb:\n  c: 2 # inner\n";
        let parsed = parse(src);
        let root = parsed
            .stream()
            .first_document()
            .unwrap()
            .body_mapping()
            .unwrap();
        let commented = |value: Fragment| Fragment::Commented {
            above: vec!["# why".into(), "# really".into()],
            trailing: Some("# note".into()),
            value: Box::new(value),
        };
        let fragment = Fragment::Map(vec![
            (
                "x".into(),
                commented(Fragment::Copy(root.get_value("a").unwrap())),
            ),
            (
                "y".into(),
                commented(Fragment::Copy(root.get_value("b").unwrap())),
            ),
        ]);
        let text = block_entry(src, "k", &fragment, &Style::default()).unwrap();
        assert_eq!(
            text,
            "k:\n  # why\n  # really\n  x: 1 # note\n  # why\n  # really\n  y: # note\n    c: 2 # inner"
        );
        assert_eq!(fragment.data().unwrap(), data("x: 1\ny: {c: 2}"));
        let item = Fragment::Seq(vec![commented(Fragment::string("v"))]);
        assert_eq!(
            block_entry(src, "k", &item, &Style::default()).unwrap(),
            "k:\n  # why\n  # really\n  - v # note"
        );
        // An item inserted on its own has no place for lines above it.
        assert_eq!(
            block_item(src, &commented(Fragment::string("v")), &Style::default()),
            Err(RenderError::Comments)
        );
        let item = Fragment::Seq(vec![Fragment::Commented {
            above: Vec::new(),
            trailing: Some("# note".into()),
            value: Box::new(Fragment::string("v")),
        }]);
        assert_eq!(
            block_entry(src, "k", &item, &Style::default()).unwrap(),
            "k:\n  - v # note"
        );
        assert_eq!(
            flow(src, &commented(Fragment::string("v"))),
            Err(RenderError::Comments)
        );
    }

    #[test]
    fn documents_separate_sections_by_a_blank_line() {
        let sections = vec![
            vec![
                ("id".to_string(), Fragment::string("a")),
                ("namespace".into(), Fragment::string("n")),
            ],
            Vec::new(),
            vec![(
                "tasks".into(),
                Fragment::Seq(vec![Fragment::Map(vec![(
                    "id".into(),
                    Fragment::string("t"),
                )])]),
            )],
        ];
        let text = document("", &sections, &Style::default()).unwrap();
        assert_eq!(text, "id: a\nnamespace: n\n\ntasks:\n  - id: t\n");
        assert_eq!(data(&text), data("{id: a, namespace: n, tasks: [{id: t}]}"));
        let crlf = Style {
            line_ending: "\r\n",
            ..Style::default()
        };
        assert_eq!(
            document("", &sections, &crlf).unwrap(),
            text.replace('\n', "\r\n")
        );
    }

    #[test]
    fn copied_members_keep_their_comments_and_layout() {
        let src = "top: 1\n# about vars\nvars: # note\n  a: 1 # one\nlist:\n  # first\n  # item\n  -   id: x # why\n      n: 2\n  - plain # end\n  -\n    - nested\n";
        let parsed = parse(src);
        let root = parsed
            .stream()
            .first_document()
            .unwrap()
            .body_mapping()
            .unwrap();
        let vars = root.get("vars").unwrap();
        let Some(Node::Sequence(list)) = root.get_value("list") else {
            panic!("a sequence")
        };
        let copy = |node: &SyntaxNode| copy_member(src, node).unwrap();
        let items: Vec<Fragment> = list.items().map(|i| copy(i.syntax())).collect();
        let sections = vec![
            vec![("vars".to_string(), copy(vars.syntax()))],
            vec![("list".to_string(), Fragment::Seq(items.clone()))],
        ];
        let text = document(src, &sections, &Style::default()).unwrap();
        assert_eq!(
            text,
            "# about vars\nvars: # note\n  a: 1 # one\n\nlist:\n  # first\n  # item\n  -   id: x # why\n      n: 2\n  - plain # end\n  - - nested\n"
        );
        assert_eq!(
            data(&text),
            data("{vars: {a: 1}, list: [{id: x, n: 2}, plain, [nested]]}")
        );
        assert_eq!(
            Some(&Fragment::Seq(items).data().unwrap()),
            data(&text).get("list")
        );
        // A comment between the dash and a block below it stays there.
        let src = "- # note\n  id: y\n";
        let parsed = parse(src);
        let Some(Node::Sequence(seq)) = parsed.stream().first_document().unwrap().body() else {
            panic!("a sequence")
        };
        let item = copy(seq.items().next().unwrap().syntax());
        let text = block_entry(src, "k", &Fragment::Seq(vec![item]), &Style::default()).unwrap();
        assert_eq!(text, "k:\n  - # note\n    id: y");
        assert_eq!(data(&text), data("k: [{id: y}]"));
    }

    #[test]
    fn copies_keep_their_text_and_comments() {
        let src = "docker:\n      image: \"python:3.11\"   # pinned\n      pullPolicy: ALWAYS\nscript: |\n    print(1)\n    print(2)\n";
        let parsed = parse(src);
        let root = parsed
            .stream()
            .first_document()
            .unwrap()
            .body_mapping()
            .unwrap();
        let docker = root.get_value("docker").unwrap();
        let script = root.get_value("script").unwrap();
        let fragment = Fragment::Map(vec![
            (
                "type".into(),
                Fragment::string("io.kestra.plugin.scripts.runner.docker.Docker"),
            ),
            ("options".into(), Fragment::Copy(docker.clone())),
            ("script".into(), Fragment::Copy(script.clone())),
        ]);
        let text = block_entry(src, "taskRunner", &fragment, &Style::default()).unwrap();
        assert_eq!(
            text,
            "taskRunner:\n  type: io.kestra.plugin.scripts.runner.docker.Docker\n  options:\n    image: \"python:3.11\"   # pinned\n    pullPolicy: ALWAYS\n  script: |\n      print(1)\n      print(2)"
        );
        let read = data(&format!("{text}\n"));
        assert_eq!(read.get("taskRunner"), Some(&fragment.data().unwrap()));
        assert_eq!(
            fragment.data().unwrap().get("options"),
            Some(&map(&[
                ("image", Value::String("python:3.11".into())),
                ("pullPolicy", Value::String("ALWAYS".into()))
            ]))
        );
    }

    #[test]
    fn styled_scalars_keep_their_style() {
        let expr = Value::String("{{ inputs.x }}".into());
        let fragment = Fragment::Map(vec![
            (
                "a".into(),
                Fragment::Styled(expr.clone(), ScalarStyle::DoubleQuoted),
            ),
            ("b".into(), Fragment::Data(expr.clone())),
        ]);
        let text = block_entry("", "k", &fragment, &Style::default()).unwrap();
        assert_eq!(text, "k:\n  a: \"{{ inputs.x }}\"\n  b: '{{ inputs.x }}'");
        assert_eq!(data(&text).get("k"), Some(&fragment.data().unwrap()));
        assert_eq!(
            flow("", &fragment).unwrap(),
            "{a: \"{{ inputs.x }}\", b: '{{ inputs.x }}'}"
        );
    }

    #[test]
    fn flow_style_on_one_line() {
        let value = map(&[(
            "a",
            Value::Seq(vec![Value::Int(1), Value::String("x, y".into())]),
        )]);
        assert_eq!(
            flow("", &Fragment::Data(value)).unwrap(),
            "{a: [1, 'x, y']}"
        );
        let src = "k: |\n  two\n  lines\n";
        let parsed = parse(src);
        let node = parsed
            .stream()
            .first_document()
            .unwrap()
            .body_mapping()
            .unwrap()
            .get_value("k")
            .unwrap();
        assert_eq!(
            flow(src, &Fragment::Copy(node)),
            Err(RenderError::MultiLineInFlow)
        );
    }
}
