//! The oracle's view of a file: YAML data as read by `saphyr`, a parser that
//! shares no code with our CST, so a bug in one cannot hide in the other.

use crate::kestra::path::{DataPath, PathSeg};
use saphyr::{LoadableYamlNode, YamlOwned};
use std::fmt;

/// YAML data under the core schema. Mappings keep document order but
/// compare as unordered, as YAML defines them.
#[derive(Debug, Clone)]
pub enum Data {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Data>),
    Map(Vec<(Data, Data)>),
    /// A node with an explicit non-core tag (`!include x`).
    Tagged(String, Box<Data>),
}

impl PartialEq for Data {
    fn eq(&self, other: &Self) -> bool {
        use Data::*;
        match (self, other) {
            (Null, Null) => true,
            (Bool(a), Bool(b)) => a == b,
            (Int(a), Int(b)) => a == b,
            // `.nan` must equal itself, or an untouched NaN fails verification.
            (Float(a), Float(b)) => a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
            (Str(a), Str(b)) => a == b,
            (Seq(a), Seq(b)) => a == b,
            (Map(a), Map(b)) => {
                a.len() == b.len() && a.iter().all(|(k, v)| map_get(b, k).is_some_and(|w| v == w))
            }
            (Tagged(t, a), Tagged(u, b)) => t == u && a == b,
            _ => false,
        }
    }
}

fn map_get<'a>(map: &'a [(Data, Data)], key: &Data) -> Option<&'a Data> {
    map.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

impl Data {
    /// The value at `path`, if every segment exists.
    pub fn get(&self, path: &DataPath) -> Option<&Data> {
        path.segments()
            .iter()
            .try_fold(self, |node, seg| node.child(seg))
    }

    pub fn get_mut(&mut self, path: &DataPath) -> Option<&mut Data> {
        let mut node = self;
        for seg in path.segments() {
            node = node.child_mut(seg)?;
        }
        Some(node)
    }

    fn child(&self, seg: &PathSeg) -> Option<&Data> {
        match (self, seg) {
            (Data::Map(m), PathSeg::Key(k)) => m
                .iter()
                .find(|(key, _)| matches!(key, Data::Str(s) if s == k))
                .map(|(_, v)| v),
            (Data::Seq(s), PathSeg::Index(i)) => s.get(*i),
            (Data::Tagged(_, inner), _) => inner.child(seg),
            _ => None,
        }
    }

    fn child_mut(&mut self, seg: &PathSeg) -> Option<&mut Data> {
        match (self, seg) {
            (Data::Map(m), PathSeg::Key(k)) => m
                .iter_mut()
                .find(|(key, _)| matches!(key, Data::Str(s) if s == k))
                .map(|(_, v)| v),
            (Data::Seq(s), PathSeg::Index(i)) => s.get_mut(*i),
            (Data::Tagged(_, inner), _) => inner.child_mut(seg),
            _ => None,
        }
    }

    /// A short rendering for error messages.
    pub fn brief(&self) -> String {
        let s = self.to_string();
        if s.chars().count() > 80 {
            format!("{}...", s.chars().take(77).collect::<String>())
        } else {
            s
        }
    }
}

impl fmt::Display for Data {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Data::Null => f.write_str("null"),
            Data::Bool(b) => write!(f, "{b}"),
            Data::Int(i) => write!(f, "{i}"),
            Data::Float(x) => write!(f, "{x}"),
            Data::Str(s) => write!(f, "{s:?}"),
            Data::Seq(items) => {
                f.write_str("[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Data::Map(entries) => {
                f.write_str("{")?;
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                f.write_str("}")
            }
            Data::Tagged(t, v) => write!(f, "{t} {v}"),
        }
    }
}

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
pub fn load(text: &str) -> Result<Vec<Data>, LoadError> {
    // saphyr, like the YAML spec, treats a leading BOM as a stream marker;
    // strip it so a BOM alone never changes what is compared.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let docs = YamlOwned::load_from_str(text).map_err(|e| LoadError {
        message: e.info().to_string(),
        line: e.marker().line(),
        col: e.marker().col() + 1,
    })?;
    docs.iter().map(convert).collect()
}

fn convert(y: &YamlOwned) -> Result<Data, LoadError> {
    Ok(match y {
        YamlOwned::Value(s) => scalar(s),
        YamlOwned::Representation(text, _, _) => Data::Str(text.clone()),
        YamlOwned::Sequence(items) => {
            Data::Seq(items.iter().map(convert).collect::<Result<_, _>>()?)
        }
        YamlOwned::Mapping(map) => Data::Map(
            map.iter()
                .map(|(k, v)| Ok((convert(k)?, convert(v)?)))
                .collect::<Result<_, LoadError>>()?,
        ),
        YamlOwned::Tagged(tag, inner) => Data::Tagged(
            format!("{}{}", tag.handle, tag.suffix),
            Box::new(convert(inner)?),
        ),
        YamlOwned::Alias(_) | YamlOwned::BadValue => {
            return Err(LoadError {
                message: "a value the YAML oracle cannot resolve (bad alias or tagged value)"
                    .into(),
                line: 0,
                col: 0,
            })
        }
    })
}

fn scalar(s: &saphyr::ScalarOwned) -> Data {
    match s {
        saphyr::ScalarOwned::Null => Data::Null,
        saphyr::ScalarOwned::Boolean(b) => Data::Bool(*b),
        saphyr::ScalarOwned::Integer(i) => Data::Int(*i),
        saphyr::ScalarOwned::FloatingPoint(x) => Data::Float(x.into_inner()),
        saphyr::ScalarOwned::String(s) => Data::Str(s.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(docs[0].get(&p), Some(&Data::Str("t".into())));
        assert_eq!(docs[0].get(&DataPath::root().key("nope")), None);
    }

    #[test]
    fn reports_where_the_text_is_invalid() {
        let err = load("a: [1, 2\nb: c\n").unwrap_err();
        assert!(err.line >= 1, "{err:?}");
    }

    #[test]
    fn resolves_aliases_and_keeps_nan_equal() {
        let docs = load("a: &x {k: .nan}\nb: *x\n").unwrap();
        assert_eq!(
            docs[0].get(&DataPath::root().key("a")),
            docs[0].get(&DataPath::root().key("b"))
        );
        assert_eq!(docs, load("a: {k: .NaN}\nb: {k: .nan}\n").unwrap());
    }
}
