//! Edit helpers: before/after snapshots, and every result re-parsed to
//! check it is valid YAML whose data changed exactly as intended.

use kestra_fix::syntax::ast::{AstNode, Entry, Mapping, Node, Sequence};
use kestra_fix::syntax::edit::{self, Position, TextEdit};
use kestra_fix::syntax::value::{decode_documents, Value};
use kestra_fix::syntax::{parse, Style};

fn root_map(text: &str) -> Mapping {
    parse(text)
        .stream()
        .first_document()
        .unwrap()
        .body_mapping()
        .unwrap()
}

fn entry(map: &Mapping, key: &str) -> Entry {
    map.get(key).unwrap_or_else(|| panic!("no key {key}"))
}

fn seq_at(map: &Mapping, key: &str) -> Sequence {
    match map.get_value(key) {
        Some(Node::Sequence(s)) => s,
        other => panic!("{key} is not a sequence: {other:?}"),
    }
}

fn map_at(map: &Mapping, key: &str) -> Mapping {
    match map.get_value(key) {
        Some(Node::Mapping(m)) => m,
        other => panic!("{key} is not a mapping: {other:?}"),
    }
}

/// Applies `edit`, checks the result parses cleanly, and renders both
/// texts for the snapshot (line endings made visible).
fn show(before: &str, edit: TextEdit) -> (String, Value) {
    let after = edit::apply_edits(before, &[edit]).expect("edit applies");
    let parsed = parse(&after);
    assert!(
        parsed.errors().is_empty(),
        "invalid result:\n{after}\n{:?}",
        parsed.errors()
    );
    let data = decode_documents(&parsed)
        .unwrap()
        .into_iter()
        .next()
        .unwrap_or(Value::Null);
    let visible = |s: &str| s.replace("\r\n", "␍␊\n");
    (
        format!(
            "{}\n----- after -----\n{}",
            visible(before),
            visible(&after)
        ),
        data,
    )
}

fn data(text: &str) -> Value {
    decode_documents(&parse(text))
        .unwrap()
        .into_iter()
        .next()
        .unwrap()
}

macro_rules! snap {
    ($name:expr, $value:expr) => {
        insta::with_settings!({snapshot_path => "../snapshots/edit", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!($name, $value);
        });
    };
}

#[test]
fn replace_scalar_keeps_quote_style() {
    let text = "# flow\nid: a # the id\nimage: 'python:3.11'\ncmd: \"run\"\nplain: keep\n";
    let map = root_map(text);
    let mut edits = vec![];
    for (key, new) in [
        ("image", "python:3.12"),
        ("cmd", "go \"now\""),
        ("plain", "true"),
    ] {
        let Some(Node::Scalar(s)) = map.get_value(key) else {
            panic!()
        };
        edits.push(edit::replace_scalar(text, &s, new));
    }
    let after = edit::apply_edits(text, &edits).unwrap();
    let d = data(&after);
    assert_eq!(d.get("image").unwrap().as_str(), Some("python:3.12"));
    assert_eq!(d.get("cmd").unwrap().as_str(), Some("go \"now\""));
    assert_eq!(d.get("plain").unwrap().as_str(), Some("true"));
    snap!(
        "replace_scalar_keeps_quote_style",
        format!("{text}\n----- after -----\n{after}")
    );
}

#[test]
fn replace_block_scalar_keeps_indentation() {
    let text = "a:\n  script: |\n    print(1)\n    print(2)\n\n  next: 1\n";
    let outer = map_at(&root_map(text), "a");
    let Some(Node::Scalar(s)) = outer.get_value("script") else {
        panic!()
    };
    let (shown, d) = show(text, edit::replace_scalar(text, &s, "print(3)\n"));
    assert_eq!(
        d.get("a").unwrap().get("script").unwrap().as_str(),
        Some("print(3)\n")
    );
    snap!("replace_block_scalar", shown);
}

#[test]
fn insert_entry_after_key_with_comments_around() {
    let text = "id: a\n# about namespace\nnamespace: n # trailing\n\n# tasks below\ntasks: []\n";
    let map = root_map(text);
    let e = entry(&map, "namespace");
    let style = Style::detect(text, &parse(text).syntax());
    let (shown, d) = show(
        text,
        edit::insert_entry(
            text,
            &map,
            Position::After(&e),
            "labels:\n  team: data",
            &style,
        )
        .unwrap(),
    );
    assert_eq!(
        d.get("labels").unwrap().get("team").unwrap().as_str(),
        Some("data")
    );
    snap!("insert_entry_after_key", shown);
}

#[test]
fn insert_entry_at_end_of_nested_map_crlf() {
    let text = "a:\r\n    b: 1\r\n    c: 2\r\nz: 3\r\n";
    let map = root_map(text);
    let inner = map_at(&map, "a");
    let style = Style::detect(text, &parse(text).syntax());
    let (shown, d) = show(
        text,
        edit::insert_entry(text, &inner, Position::Last, "d:\n  e: 4", &style).unwrap(),
    );
    assert_eq!(
        d.get("a").unwrap().get("d").unwrap().get("e"),
        Some(&Value::Int(4))
    );
    snap!("insert_entry_nested_crlf", shown);
}

#[test]
fn insert_entry_at_end_without_final_newline() {
    let text = "a: 1\nb: 2";
    let map = root_map(text);
    let style = Style::detect(text, &parse(text).syntax());
    let (shown, d) = show(
        text,
        edit::insert_entry(text, &map, Position::Last, "c: 3", &style).unwrap(),
    );
    assert_eq!(d.get("c"), Some(&Value::Int(3)));
    snap!("insert_entry_no_final_newline", shown);
}

#[test]
fn insert_entry_first_in_compact_mapping() {
    let text = "tasks:\n- id: a\n  type: t\n";
    let seq = seq_at(&root_map(text), "tasks");
    let Some(Node::Mapping(m)) = seq.items().next().unwrap().value() else {
        panic!()
    };
    let style = Style::detect(text, &parse(text).syntax());
    let (shown, _) = show(
        text,
        edit::insert_entry(text, &m, Position::First, "# first\nname: x", &style).unwrap(),
    );
    snap!("insert_entry_first_compact", shown);
}

#[test]
fn insert_entry_into_flow_mapping() {
    let text = "a: {x: 1, y: 2}\nb: {}\n";
    let map = root_map(text);
    let style = Style::default();
    let e1 = edit::insert_entry(text, &map_at(&map, "a"), Position::Last, "z: 3", &style).unwrap();
    let e2 = edit::insert_entry(text, &map_at(&map, "b"), Position::Last, "k: v", &style).unwrap();
    let after = edit::apply_edits(text, &[e1, e2]).unwrap();
    assert_eq!(
        data(&after).get("a").unwrap().get("z"),
        Some(&Value::Int(3))
    );
    assert_eq!(
        data(&after).get("b").unwrap().get("k").unwrap().as_str(),
        Some("v")
    );
    snap!(
        "insert_entry_flow",
        format!("{text}\n----- after -----\n{after}")
    );
    assert!(edit::insert_entry(
        text,
        &map_at(&map, "a"),
        Position::Last,
        "z:\n  w: 1",
        &style
    )
    .is_err());
}

#[test]
fn remove_entry_with_its_comment_lines() {
    let text = "id: a\n\n# the namespace\n# (two lines)\nnamespace: n # trailing\n# about tasks\ntasks: []\n";
    let map = root_map(text);
    let (shown, d) = show(text, edit::remove_entry(text, &entry(&map, "namespace")));
    assert!(d.get("namespace").is_none());
    snap!("remove_entry_with_comments", shown);
}

#[test]
fn remove_entry_with_nested_value_and_block_scalar_neighbour() {
    let text = "a: |\n  keep\n\nb:\n  c: 1\n  d:\n  - x\nlast: 1\n";
    let map = root_map(text);
    let (shown, d) = show(text, edit::remove_entry(text, &entry(&map, "b")));
    assert_eq!(d.get("a").unwrap().as_str(), Some("keep\n"));
    snap!("remove_entry_nested", shown);
}

#[test]
fn remove_first_entry_of_compact_mapping() {
    let text = "- id: a\n  type: t\n- id: b\n";
    let parsed = parse(text);
    let seq = match parsed.stream().first_document().unwrap().body() {
        Some(Node::Sequence(s)) => s,
        _ => panic!(),
    };
    let Some(Node::Mapping(m)) = seq.items().next().unwrap().value() else {
        panic!()
    };
    let first = m.entries().next().unwrap();
    let (shown, _) = show(text, edit::remove_entry(text, &first));
    snap!("remove_entry_compact_first", shown);
}

#[test]
fn remove_flow_entries() {
    let text = "a: {x: 1, y: 2}\nb: [1, 2, 3]\n";
    let map = root_map(text);
    let last = map_at(&map, "a").entries().last().unwrap();
    let mid = seq_at(&map, "b").items().nth(1).unwrap();
    let after = edit::apply_edits(
        text,
        &[
            edit::remove_entry(text, &last),
            edit::remove_item(text, &mid),
        ],
    )
    .unwrap();
    assert_eq!(after, "a: {x: 1}\nb: [1, 3]\n");
}

#[test]
fn remove_item_and_append_in_both_sequence_styles() {
    for text in [
        "tasks:\n- a\n# about b\n- b\n- c\n",
        "tasks:\n  - a\n  # about b\n  - b\n  - c\n",
    ] {
        let map = root_map(text);
        let seq = seq_at(&map, "tasks");
        let b = seq.items().nth(1).unwrap();
        let style = Style::detect(text, &parse(text).syntax());
        let removed = edit::remove_item(text, &b);
        let appended = edit::append_item(text, &seq, "id: d\ntype: t", &style).unwrap();
        let after = edit::apply_edits(text, &[removed, appended]).unwrap();
        let d = data(&after);
        let items = match d.get("tasks") {
            Some(Value::Seq(s)) => s.clone(),
            _ => panic!(),
        };
        assert_eq!(items.len(), 3);
        assert_eq!(items[2].get("type").unwrap().as_str(), Some("t"));
        let name = if text.contains("\n- ") {
            "seq_flush"
        } else {
            "seq_indented"
        };
        snap!(name, format!("{text}\n----- after -----\n{after}"));
    }
}

#[test]
fn node_text_moves_with_comments_and_block_scalars() {
    let text = "a:\n  b:\n    # note\n    c: |\n      line\n\n      more\n    d: 1\n";
    let map = root_map(text);
    let b = map_at(&map_at(&map, "a"), "b");
    let moved = edit::node_text_at(text, b.syntax(), 2);
    let rebuilt = format!("x:\n  {moved}\n");
    let d = data(&rebuilt);
    assert_eq!(d.get("x"), data(text).get("a").unwrap().get("b"));
    snap!(
        "node_text_at",
        format!("{text}\n----- moved to column 2 -----\n{rebuilt}")
    );
}

#[test]
fn style_detection_drives_new_blocks() {
    let text = "id: x\ntasks:\n    -   id: a\n        type: t\n";
    let style = Style::detect(text, &parse(text).syntax());
    let map = root_map(text);
    let e = edit::insert_entry(
        text,
        &map,
        Position::Last,
        &format!("pluginDefaults:\n{}- type: t", " ".repeat(style.seq_indent)),
        &style,
    )
    .unwrap();
    let (shown, d) = show(text, e);
    assert!(matches!(d.get("pluginDefaults"), Some(Value::Seq(_))));
    snap!("style_driven_insert", shown);
    let _ = seq_at(&map, "tasks").syntax().kind();
}

#[test]
fn insert_items_first_in_an_indented_sequence() {
    let text = "k:\n  - b\n  - c\n";
    let seq = seq_at(&root_map(text), "k");
    let style = Style::detect(text, &parse(text).syntax());
    let a = edit::insert_item(text, &seq, Position::First, "a0", &style).unwrap();
    let a2 = edit::insert_item(text, &seq, Position::First, "a1", &style).unwrap();
    let after = edit::apply_edits(text, &[a, a2]).unwrap();
    assert_eq!(after, "k:\n  - a0\n  - a1\n  - b\n  - c\n");
}

#[test]
fn removing_an_entry_between_blank_lines_keeps_one_gap() {
    let text = "a: 1\n\nb:\n  - x\n\nc: 3\n";
    let after = edit::apply_edits(
        text,
        &[edit::remove_entry(text, &entry(&root_map(text), "b"))],
    )
    .unwrap();
    assert_eq!(after, "a: 1\n\nc: 3\n");
    let text = "a: 1\n\nb: 2\n";
    let after = edit::apply_edits(
        text,
        &[edit::remove_entry(text, &entry(&root_map(text), "b"))],
    )
    .unwrap();
    assert_eq!(after, "a: 1\n");
}

fn apply_one(text: &str, e: TextEdit) -> String {
    let after = edit::apply_edits(text, &[e]).expect("edit applies");
    assert!(
        parse(&after).errors().is_empty(),
        "invalid result:\n{after}"
    );
    after
}

#[test]
fn removed_entry_comments_stay_unless_moved() {
    let text = "a: 1\n# about b\nb:  # why b\n  c: 1 # inner\nd: 2\n";
    let b = entry(&root_map(text), "b");
    let comments: Vec<String> = edit::member_comments(text, b.syntax())
        .into_iter()
        .map(|(_, c)| c)
        .collect();
    assert_eq!(comments, ["# about b", "# why b", "# inner"]);
    assert_eq!(
        apply_one(text, edit::remove_entry(text, &b)),
        "a: 1\n# about b\n# why b\n# inner\nd: 2\n"
    );
    let moved: Vec<_> = edit::member_comments(text, b.syntax())
        .into_iter()
        .map(|(r, _)| r)
        .filter(|r| &text[*r] != "# inner")
        .collect();
    assert_eq!(
        apply_one(text, edit::remove_entry_moving(text, &b, &moved)),
        "a: 1\n# inner\nd: 2\n"
    );
}

#[test]
fn commented_out_lines_of_the_previous_section_are_not_attached() {
    let text =
        "tasks:\n  - id: a\n#  - id: old\n  # - id: older\n# defaults\npluginDefaults: []\nx: 1\n";
    let e = entry(&root_map(text), "pluginDefaults");
    let comments: Vec<String> = edit::member_comments(text, e.syntax())
        .into_iter()
        .map(|(_, c)| c)
        .collect();
    assert_eq!(comments, ["# defaults"]);
    let moved: Vec<_> = edit::member_comments(text, e.syntax())
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    assert_eq!(
        apply_one(text, edit::remove_entry_moving(text, &e, &moved)),
        "tasks:\n  - id: a\n#  - id: old\n  # - id: older\nx: 1\n"
    );
}

#[test]
fn removing_the_first_member_of_a_compact_mapping_keeps_its_comment() {
    let text = "- id: a # first\n  type: t\n";
    let parsed = parse(text);
    let Some(Node::Sequence(seq)) = parsed.stream().first_document().unwrap().body() else {
        panic!()
    };
    let Some(Node::Mapping(m)) = seq.items().next().unwrap().value() else {
        panic!()
    };
    let first = m.entries().next().unwrap();
    assert_eq!(
        apply_one(text, edit::remove_entry(text, &first)),
        "- # first\n  type: t\n"
    );
}

#[test]
fn trailing_blanks_stay_on_their_line_when_an_entry_follows() {
    let text = "task:\n  a: 1  \nnext: 2\n";
    let map = map_at(&root_map(text), "task");
    let style = Style::detect(text, &parse(text).syntax());
    let e = edit::insert_entry(text, &map, Position::Last, "b: 2", &style).unwrap();
    assert_eq!(apply_one(text, e), "task:\n  a: 1  \n  b: 2\nnext: 2\n");
    let text = "task:\n  a: 1\n  b: 2 \t\nnext: 2\n";
    let map = map_at(&root_map(text), "task");
    let e = edit::remove_entry(text, &entry(&map, "b"));
    assert_eq!(apply_one(text, e), "task:\n  a: 1\nnext: 2\n");
}

#[test]
fn keep_chomped_block_scalars_keep_their_blank_lines() {
    let text = "task:\n  s: |+\n    x\n\n  t: 1\n";
    let map = map_at(&root_map(text), "task");
    let style = Style::detect(text, &parse(text).syntax());
    // Inserting after `s` (with `t` removed) must go after its blank line.
    let first = map.entries().next().unwrap();
    let ins = edit::insert_entry(text, &map, Position::After(&first), "u: 2", &style).unwrap();
    let after = apply_one(text, ins);
    assert_eq!(after, "task:\n  s: |+\n    x\n\n  u: 2\n  t: 1\n");
    let text = "a: |+\n  x\n\nb: 1\n";
    let after = apply_one(text, edit::remove_entry(text, &entry(&root_map(text), "b")));
    assert_eq!(data(&after).get("a").unwrap().as_str(), Some("x\n\n"));
    let text = "task:\n  s: |+\n    x\n\n";
    let map = map_at(&root_map(text), "task");
    let e = edit::insert_entry(text, &map, Position::Last, "u: 2", &style).unwrap();
    let after = apply_one(text, e);
    let task = data(&after).get("task").unwrap().clone();
    assert_eq!(task.get("s").unwrap().as_str(), Some("x\n\n"), "{after}");
}
