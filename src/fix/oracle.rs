//! The oracle's view of a file: YAML data as read by `saphyr`, a parser that
//! shares no code with our CST, so a bug in one cannot hide in the other.
//! Both produce the same [`Value`] type, so the two can be compared.

use crate::syntax::value::Value;

use saphyr::{LoadableYamlNode, YamlOwned};

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
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let docs = YamlOwned::load_from_str(text).map_err(|e| LoadError {
        message: e.info().to_string(),
        line: e.marker().line(),
        col: e.marker().col() + 1,
    })?;
    docs.iter().map(convert).collect()
}

fn convert(y: &YamlOwned) -> Result<Value, LoadError> {
    Ok(match y {
        YamlOwned::Value(s) => scalar(s),
        YamlOwned::Representation(text, _, _) => Value::String(text.clone()),
        YamlOwned::Sequence(items) => {
            Value::Seq(items.iter().map(convert).collect::<Result<_, _>>()?)
        }
        YamlOwned::Mapping(map) => Value::Map(
            map.iter()
                .map(|(k, v)| Ok((convert(k)?, convert(v)?)))
                .collect::<Result<_, LoadError>>()?,
        ),
        YamlOwned::Tagged(tag, inner) => Value::Tagged(
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

fn scalar(s: &saphyr::ScalarOwned) -> Value {
    match s {
        saphyr::ScalarOwned::Null => Value::Null,
        saphyr::ScalarOwned::Boolean(b) => Value::Bool(*b),
        saphyr::ScalarOwned::Integer(i) => Value::Int(*i),
        saphyr::ScalarOwned::FloatingPoint(x) => Value::Float(x.into_inner()),
        saphyr::ScalarOwned::String(s) => Value::String(s.clone()),
    }
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
    fn resolves_aliases_and_keeps_nan_equal() {
        let docs = load("a: &x {k: .nan}\nb: *x\n").unwrap();
        assert_eq!(
            DataPath::root().key("a").lookup(&docs[0]),
            DataPath::root().key("b").lookup(&docs[0])
        );
        assert_eq!(docs, load("a: {k: .NaN}\nb: {k: .nan}\n").unwrap());
    }
}
