//! The oracle's view of a file: YAML data as read by `saphyr`, a parser that
//! shares no code with our CST, so a bug in one cannot hide in the other.
//! Both produce the same [`Value`] type, so the two can be compared.

use crate::syntax::value::Value;

use saphyr::Scalar;
use saphyr_parser::{Event, Marker, Parser, ScalarStyle, Span, SpannedEventReceiver, Tag};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// Why the oracle could not read a text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct LoadError {
    pub message: String,
    /// 1-based line and column.
    pub line: usize,
    pub col: usize,
}

/// Every document of `text`, as the oracle reads it.
pub fn load(text: &str) -> Result<Vec<Value>, LoadError> {
    // saphyr, like the YAML spec, treats a leading BOM as a stream marker;
    // strip it so a BOM alone never changes what is compared.
    let stripped = text.strip_prefix('\u{feff}');
    let at = |mark: Marker, message: String| LoadError {
        message,
        line: mark.line(),
        // The BOM is a character of the first line in the file as written.
        col: mark.col() + 1 + usize::from(stripped.is_some() && mark.line() == 1),
    };
    let mut composer = Composer::default();
    Parser::new_from_str(stripped.unwrap_or(text))
        .load(&mut composer, true)
        .map_err(|e| at(*e.marker(), e.info().to_string()))?;
    composer
        .finish()
        .map_err(|(mark, message)| at(mark, message))
}

/// Nodes that aliases may add to the data, all aliases of the stream
/// together: saphyr's own loader's default budget, so the oracle refuses an
/// alias bomb where saphyr's loader did, before expanding it.
const ALIAS_BUDGET: usize = 100_000;

const UNRESOLVED: &str =
    "a value the YAML oracle cannot resolve (an alias to no anchor, or an empty document)";

/// A mapping holding more keys than this finds duplicates by hashing; below
/// it, a scan of the few keys is cheaper than hashing them.
const FEW_KEYS: usize = 16;

type Failure = (Marker, String);

/// Builds [`Value`]s straight from saphyr_parser's events, doing what
/// saphyr's `YamlLoader` does (aliases, tags, duplicate keys, the alias
/// budget) without its intermediate tree: the oracle reads every fixed
/// text, and building, converting and dropping that tree (hashed maps,
/// spans, owned strings) took 7% of a run. Scalars are still resolved by
/// saphyr itself.
struct Composer<'input> {
    docs: Vec<Value>,
    /// The current document's node once complete.
    root: Option<Node<'input>>,
    stack: Vec<Frame<'input>>,
    anchors: HashMap<usize, Node<'input>>,
    budget: usize,
    /// The first error saphyr's loader raises while loading (a duplicated
    /// key, an alias bomb); the events after it are ignored, as it does.
    error: Option<Failure>,
    /// The first node with no value (an unresolvable scalar, an alias to a
    /// node not complete yet, an empty document): saphyr's loader keeps it
    /// in its tree and it failed the conversion, so it counts only when
    /// loading succeeds, and the first in document order wins.
    unresolved: Option<Failure>,
}

impl Default for Composer<'_> {
    fn default() -> Self {
        Self {
            docs: Vec::new(),
            root: None,
            stack: Vec::new(),
            anchors: HashMap::new(),
            budget: ALIAS_BUDGET,
            error: None,
            unresolved: None,
        }
    }
}

#[derive(Clone)]
struct Node<'input> {
    value: Value,
    /// The node as written, which is what saphyr's loader compares to find
    /// a duplicated key (`a` and `'a'` are two keys, `1` and `01` too).
    /// Kept only where a key may need it: in a key, and in an anchored node
    /// (its alias may be a key).
    written: Option<Written<'input>>,
}

#[derive(Clone, PartialEq, Eq, Hash)]
enum Written<'input> {
    Scalar(Cow<'input, str>, ScalarStyle, Option<Cow<'input, Tag>>),
    Seq(Vec<Written<'input>>),
    /// Entries in source order: saphyr's maps compare in order.
    Map(Vec<(Written<'input>, Written<'input>)>),
    Tagged(Cow<'input, Tag>, Box<Written<'input>>),
    /// A node with no value: all such nodes are equal.
    Unresolved,
}

/// A collection being built.
struct Frame<'input> {
    items: Items,
    anchor: usize,
    tag: Option<Cow<'input, Tag>>,
    /// `Written::Seq` or `Written::Map` being built, when wanted.
    written: Option<Written<'input>>,
    /// In a mapping, the key waiting for its value, and where saphyr's
    /// loader reports it when it is duplicated: where the key's last event
    /// starts.
    key: Option<(Node<'input>, Marker)>,
    /// In a mapping, its keys so far.
    seen: Keys<'input>,
}

enum Items {
    Seq(Vec<Value>),
    Map(Vec<(Value, Value)>),
}

#[derive(Default)]
struct Keys<'input> {
    few: Vec<Written<'input>>,
    many: HashSet<Written<'input>>,
}

impl<'input> Keys<'input> {
    /// False if `key` was there already.
    fn insert(&mut self, key: Written<'input>) -> bool {
        if !self.many.is_empty() {
            return self.many.insert(key);
        }
        if self.few.contains(&key) {
            return false;
        }
        self.few.push(key);
        if self.few.len() > FEW_KEYS {
            self.many.extend(self.few.drain(..));
        }
        true
    }
}

impl<'input> SpannedEventReceiver<'input> for Composer<'input> {
    fn on_event(&mut self, ev: Event<'input>, span: Span) {
        if self.error.is_some() {
            return;
        }
        let mark = span.start;
        match ev {
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentStart(_) => {}
            Event::DocumentEnd => {
                let value = match self.root.take() {
                    Some(node) => node.value,
                    None => {
                        self.unresolved(mark, UNRESOLVED.into());
                        Value::Null
                    }
                };
                self.docs.push(value);
                // Anchors are per document (saphyr_parser refuses an alias
                // to an earlier document's anchor).
                self.anchors.clear();
            }
            Event::Scalar(text, style, anchor, tag) => {
                let written = (anchor > 0 || self.wants_written())
                    .then(|| Written::Scalar(text.clone(), style, tag.clone()));
                let value = self.scalar(text, style, tag, mark);
                self.insert(Node { value, written }, anchor, mark);
            }
            Event::SequenceStart(anchor, tag) => {
                let written =
                    (anchor > 0 || self.wants_written()).then(|| Written::Seq(Vec::new()));
                self.open(Items::Seq(Vec::new()), anchor, tag, written);
            }
            Event::MappingStart(anchor, tag) => {
                let written =
                    (anchor > 0 || self.wants_written()).then(|| Written::Map(Vec::new()));
                self.open(Items::Map(Vec::new()), anchor, tag, written);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return;
                };
                let mut value = match frame.items {
                    Items::Seq(items) => Value::Seq(items),
                    Items::Map(entries) => Value::Map(entries),
                };
                let mut written = frame.written;
                // A core tag on a collection (`!!map`) says what it is already.
                if let Some(tag) = frame.tag.filter(|t| !t.is_yaml_core_schema()) {
                    value = Value::Tagged(tag_name(&tag), Box::new(value));
                    written = written.map(|w| Written::Tagged(tag, Box::new(w)));
                }
                self.insert(Node { value, written }, frame.anchor, mark);
            }
            Event::Alias(id) => {
                let wants_written = self.wants_written();
                let node = match self.anchors.get(&id) {
                    // The anchor's node is not complete yet (`&a [*a]`).
                    None => {
                        self.unresolved(mark, UNRESOLVED.into());
                        Node {
                            value: Value::Null,
                            written: wants_written.then_some(Written::Unresolved),
                        }
                    }
                    Some(anchored) => {
                        let mut left = self.budget;
                        if !fits(&anchored.value, &mut left) {
                            self.error = Some((
                                mark,
                                "alias expansion exceeded the maximum node budget (possible billion-laughs attack)"
                                    .into(),
                            ));
                            return;
                        }
                        self.budget = left;
                        Node {
                            value: anchored.value.clone(),
                            written: if wants_written {
                                anchored.written.clone()
                            } else {
                                None
                            },
                        }
                    }
                };
                self.insert(node, 0, mark);
            }
        }
    }
}

impl<'input> Composer<'input> {
    fn finish(self) -> Result<Vec<Value>, Failure> {
        match self.error.or(self.unresolved) {
            Some(failure) => Err(failure),
            None => Ok(self.docs),
        }
    }

    fn unresolved(&mut self, mark: Marker, message: String) {
        self.unresolved.get_or_insert((mark, message));
    }

    /// Whether the next node must keep its written form: it is a key, or
    /// inside a node that keeps it.
    fn wants_written(&self) -> bool {
        self.stack.last().is_some_and(|f| {
            f.written.is_some() || (matches!(f.items, Items::Map(_)) && f.key.is_none())
        })
    }

    /// A scalar as written, resolved by saphyr under the core schema. A
    /// core tag saphyr has no type for (`!!binary`, `!!timestamp`) keeps its
    /// text under the tag, as our decoder does.
    fn scalar(
        &mut self,
        text: Cow<'input, str>,
        style: ScalarStyle,
        tag: Option<Cow<'input, Tag>>,
        mark: Marker,
    ) -> Value {
        // A tag outside the core schema wraps the scalar saphyr resolves
        // untagged.
        let (tag, outer) = match tag {
            Some(t) if !t.is_yaml_core_schema() => (None, Some(t)),
            Some(t) if !matches!(t.suffix.as_str(), "str" | "int" | "float" | "bool" | "null") => {
                return Value::Tagged(tag_name(&t), Box::new(Value::String(text.into_owned())));
            }
            tag => (tag, None),
        };
        // Only a tag can make saphyr refuse a text: keep the text then, for
        // the message.
        let written = tag.as_ref().map(|_| text.to_string());
        let value = match resolve(text, style, tag.as_ref()) {
            Some(value) => value,
            None => {
                let tag = tag.as_deref().map(tag_name).unwrap_or_default();
                let text = written.unwrap_or_default();
                self.unresolved(
                    mark,
                    format!("`{text}` is not a valid value for its tag `{tag}`"),
                );
                Value::Null
            }
        };
        match outer {
            Some(t) => Value::Tagged(tag_name(&t), Box::new(value)),
            None => value,
        }
    }

    fn open(
        &mut self,
        items: Items,
        anchor: usize,
        tag: Option<Cow<'input, Tag>>,
        written: Option<Written<'input>>,
    ) {
        self.stack.push(Frame {
            items,
            anchor,
            tag,
            written,
            key: None,
            seen: Keys::default(),
        });
    }

    /// Places a complete node in its collection, or as the document's node.
    fn insert(&mut self, node: Node<'input>, anchor: usize, mark: Marker) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        let Some(parent) = self.stack.last_mut() else {
            self.root = Some(node);
            return;
        };
        match &mut parent.items {
            Items::Seq(items) => {
                items.push(node.value);
                if let (Some(Written::Seq(w)), Some(n)) = (&mut parent.written, node.written) {
                    w.push(n);
                }
            }
            Items::Map(entries) => match parent.key.take() {
                None => parent.key = Some((node, mark)),
                Some((k, key_mark)) => {
                    let k_written = k.written.unwrap_or(Written::Unresolved);
                    let new = match &mut parent.written {
                        Some(Written::Map(w)) => {
                            let fresh = parent.seen.insert(k_written.clone());
                            w.push((k_written, node.written.unwrap_or(Written::Unresolved)));
                            fresh
                        }
                        _ => parent.seen.insert(k_written),
                    };
                    if !new {
                        self.error = Some((key_mark, "duplicated key in mapping".into()));
                        return;
                    }
                    entries.push((k.value, node.value));
                }
            },
        }
    }
}

/// Whether `value` fits in the alias `budget`, taking its size from it,
/// counted as saphyr's loader does (a key is one node), except that a
/// tagged collection counts its items too: saphyr counts it as one node,
/// which let a bomb of tagged sequences through.
fn fits(value: &Value, budget: &mut usize) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    let mut inner = value;
    while let Value::Tagged(_, v) = inner {
        inner = v;
    }
    match inner {
        Value::Seq(items) => items.iter().all(|v| fits(v, budget)),
        Value::Map(entries) => entries.iter().all(|(_, v)| {
            if *budget == 0 {
                return false;
            }
            *budget -= 1;
            fits(v, budget)
        }),
        _ => true,
    }
}

fn resolve(text: Cow<'_, str>, style: ScalarStyle, tag: Option<&Cow<'_, Tag>>) -> Option<Value> {
    Some(
        match Scalar::parse_from_cow_and_metadata(text, style, tag)? {
            Scalar::Null => Value::Null,
            Scalar::Boolean(b) => Value::Bool(b),
            Scalar::Integer(i) => Value::Int(i),
            Scalar::FloatingPoint(x) => Value::Float(x.into_inner()),
            Scalar::String(s) => Value::String(s.into_owned()),
        },
    )
}

fn tag_name(tag: &Tag) -> String {
    format!("{}{}", tag.handle, tag.suffix)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kestra::path::DataPath;

    #[test]
    fn loads_core_schema_and_compares_maps_unordered() {
        let a = load("a: 1\nb: [true, ~, 'x', 1.5]\n").unwrap();
        let b = load("b: [true, null, x, 1.5]\na: 0x1\n").unwrap();
        assert_eq!(a, b);
        assert_ne!(a, load("a: 1\nb: [true, null, x]\n").unwrap());
    }

    #[test]
    fn paths_reach_into_maps_and_sequences() {
        let docs = load("tasks:\n  - id: a\n    type: t\n").unwrap();
        let p = DataPath::root().key("tasks").index(0).key("type");
        assert_eq!(p.lookup(&docs[0]), Some(&Value::String("t".into())));
        assert_eq!(DataPath::root().key("nope").lookup(&docs[0]), None);
    }

    #[test]
    fn reports_where_the_text_is_invalid() {
        let err = load("a: [1, 2\nb: c\n").unwrap_err();
        assert!(err.line >= 1, "{err:?}");
    }

    #[test]
    fn unresolvable_values_have_a_position() {
        let err = load("a: 1\nb: !!int nope\n").unwrap_err();
        assert_eq!((err.line, err.col), (2, 4), "{err:?}");
        let err = load("\u{feff}a: !!int x\n").unwrap_err();
        assert_eq!((err.line, err.col), (1, 5), "{err:?}");
    }

    #[test]
    fn binary_is_its_text_under_the_tag_as_our_decoder_reads_it() {
        let text = "data: !!binary R0lGODlh\nq: !<tag:yaml.org,2002:binary> 'R0lG'\n";
        let docs = load(text).unwrap();
        let data = DataPath::root().key("data").lookup(&docs[0]).unwrap();
        assert_eq!(
            data,
            &Value::Tagged(
                "tag:yaml.org,2002:binary".into(),
                Box::new(Value::String("R0lGODlh".into()))
            )
        );
        let ours = crate::syntax::value::decode_documents(&crate::syntax::parse(text)).unwrap();
        assert_eq!(ours, docs);
    }

    #[test]
    fn resolves_aliases_and_keeps_nan_equal() {
        let docs = load("a: &x {k: .nan}\nb: *x\n").unwrap();
        assert_eq!(
            DataPath::root().key("a").lookup(&docs[0]),
            DataPath::root().key("b").lookup(&docs[0])
        );
        assert_eq!(docs, load("a: {k: .NaN}\nb: {k: .nan}\n").unwrap());
    }

    fn error(text: &str) -> (String, usize, usize) {
        let e = load(text).unwrap_err();
        (e.message, e.line, e.col)
    }

    fn dup(line: usize, col: usize) -> (String, usize, usize) {
        ("duplicated key in mapping".into(), line, col)
    }

    fn s(text: &str) -> Value {
        Value::String(text.into())
    }

    /// As saphyr's loader: a key twice is an error at the second one (at
    /// the last event of a collection key); keys compare as written, so
    /// `a` and `'a'`, or `1` and `01`, are two keys, both kept.
    #[test]
    fn duplicated_keys_are_refused_as_written() {
        assert_eq!(error("a: 1\na: 2\n"), dup(2, 1));
        assert_eq!(error("x:\n  a: 1\n  a: 2\n"), dup(3, 3));
        assert_eq!(error("{a: 1, a: 2}\n"), dup(1, 8));
        assert_eq!(error("? [a, b]\n: 1\n? [a, b]\n: 2\n"), dup(3, 8));
        assert_eq!(error("&k a: 1\n*k : 2\n"), dup(2, 1));
        assert_eq!(error("a: &k [x]\n? [x]\n: 1\n? *k\n: 2\n"), dup(4, 3));
        assert_eq!(
            // Debug, as `Value`'s equality reads a map's keys as a set.
            format!("{:?}", load("a: 1\n'a': 2\n").unwrap()),
            format!(
                "{:?}",
                [Value::Map(vec![
                    (s("a"), Value::Int(1)),
                    (s("a"), Value::Int(2))
                ])]
            )
        );
        let Value::Map(entries) = &load("1: x\n01: y\n!!str c: z\nc: w\n").unwrap()[0] else {
            panic!("not a map");
        };
        assert_eq!(entries.len(), 4);
        assert_eq!(entries[0].0, entries[1].0);
        // A tagged and an untagged collection are two keys.
        assert!(load("? [x]\n: 1\n? !t [x]\n: 2\n").is_ok());
        // Past a few keys, duplicates are found by hashing: same answers.
        let many: String = (0..40).map(|i| format!("k{i}: {i}\n")).collect();
        assert!(load(&many).is_ok());
        assert!(load(&format!("{many}'k3': x\n")).is_ok());
        assert_eq!(error(&format!("{many}k3: x\n")), dup(41, 1));
    }

    #[test]
    fn aliases_copy_the_node_anchored_last_in_their_document() {
        let docs = load("a: &x [1, {k: v}]\nb: *x\nc: &x 2\nd: *x\n").unwrap();
        let at = |k: &str| DataPath::root().key(k).lookup(&docs[0]).cloned();
        assert_eq!(at("a"), at("b"));
        assert_eq!(at("d"), Some(Value::Int(2)));
        // Anchors do not reach into the next document.
        let e = load("--- &a x\n--- *a\n").unwrap_err();
        assert_eq!((e.line, e.col), (2, 5), "{e:?}");
        // An alias inside the node it names has nothing to copy yet.
        let (message, line, col) = error("a: &x [*x]\nb: *x\n");
        assert!(message.contains("cannot resolve"), "{message}");
        assert_eq!((line, col), (1, 8));
    }

    #[test]
    fn tags_outside_the_core_schema_wrap_collections_and_scalars() {
        let docs = load("a: !t {k: v}\nb: !!map {k: v}\nc: !e 1\n").unwrap();
        let map = Value::Map(vec![(s("k"), s("v"))]);
        let at = |k: &str| DataPath::root().key(k).lookup(&docs[0]).cloned();
        assert_eq!(
            at("a"),
            Some(Value::Tagged("!t".into(), Box::new(map.clone())))
        );
        assert_eq!(at("b"), Some(map));
        assert_eq!(
            at("c"),
            Some(Value::Tagged("!e".into(), Box::new(Value::Int(1))))
        );
    }

    #[test]
    fn empty_documents_are_null_and_an_empty_stream_has_none() {
        assert_eq!(load("").unwrap(), vec![]);
        assert_eq!(load("# only a comment\n").unwrap(), vec![]);
        assert_eq!(load("---\n---\n").unwrap(), vec![Value::Null, Value::Null]);
    }

    /// A syntax error comes first, then what saphyr's loader refuses while
    /// loading, then the first value it cannot resolve.
    #[test]
    fn the_first_error_of_the_strongest_kind_is_reported() {
        let (message, ..) = error("a: !!int nope\nb: [\n");
        assert!(!message.contains("not a valid value"), "{message}");
        assert_eq!(error("a: !!int nope\na: 1\n"), dup(2, 1));
        let (message, line, _) = error("a: !!int x\nb: !!int y\n");
        assert_eq!(
            (message.as_str(), line),
            (
                "`x` is not a valid value for its tag `tag:yaml.org,2002:int`",
                1
            )
        );
    }

    fn bomb(tag: &str) -> String {
        let mut text = format!("a: &a {tag}[x,x,x,x,x,x,x,x,x,x]\n");
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        for w in names.windows(2) {
            let items = vec![format!("*{}", w[0]); 10].join(",");
            text.push_str(&format!("{}: &{} {tag}[{items}]\n", w[1], w[1]));
        }
        text
    }

    /// Aliases may add 100,000 nodes in all, as with saphyr's loader; its
    /// loader counted a tagged collection as one node, so a bomb of tagged
    /// sequences got through: here it counts its items too.
    #[test]
    fn alias_bombs_are_refused_tagged_or_not() {
        let budget =
            "alias expansion exceeded the maximum node budget (possible billion-laughs attack)";
        assert_eq!(error(&bomb("")), (budget.into(), 5, 29));
        assert_eq!(error(&bomb("!t ")).0, budget);
        let docs = load("a: &a [x, x, x]\nb: &b !t [*a, *a, *a]\nc: [*b, *b]\n").unwrap();
        let c = DataPath::root().key("c").lookup(&docs[0]).unwrap();
        let Value::Seq(items) = c else {
            panic!("{c:?}")
        };
        assert_eq!(items.len(), 2);
    }
}
