//! The oracle's view of a file: YAML data as read by `saphyr`, a parser that
//! shares no code with our CST, so a bug in one cannot hide in the other.
//! Both produce the same [`Value`] type, so the two can be compared.

use crate::syntax::value::Value;

use saphyr::{MarkedYamlOwned, Marker, ScalarOwned, ScalarStyle, Tag, YamlDataOwned, YamlLoader};
use std::borrow::Cow;

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
    let mut loader: YamlLoader<'_, MarkedYamlOwned> = YamlLoader::default();
    // Scalars stay as written (text, style, tag) and are resolved below,
    // still by saphyr, so a tag saphyr cannot resolve keeps its position.
    loader.early_parse(false);
    let mut parser = saphyr_parser::Parser::new_from_str(stripped.unwrap_or(text));
    parser
        .load(&mut loader, true)
        .map_err(|e| at(*e.marker(), e.info().to_string()))?;
    if let Some(e) = loader.error() {
        return Err(at(*e.marker(), e.info().to_string()));
    }
    loader
        .into_documents()
        .iter()
        .map(|doc| convert(doc).map_err(|(mark, message)| at(mark, message)))
        .collect()
}

fn convert(y: &MarkedYamlOwned) -> Result<Value, (Marker, String)> {
    Ok(match &y.data {
        YamlDataOwned::Value(s) => scalar(s.clone()),
        YamlDataOwned::Representation(text, style, tag) => representation(y, text, *style, tag)?,
        YamlDataOwned::Sequence(items) => {
            Value::Seq(items.iter().map(convert).collect::<Result<_, _>>()?)
        }
        YamlDataOwned::Mapping(map) => Value::Map(
            map.iter()
                .map(|(k, v)| Ok((convert(k)?, convert(v)?)))
                .collect::<Result<_, _>>()?,
        ),
        YamlDataOwned::Tagged(tag, inner) => {
            Value::Tagged(tag_name(tag), Box::new(convert(inner)?))
        }
        YamlDataOwned::Alias(_) | YamlDataOwned::BadValue => return Err((
            y.span.start,
            "a value the YAML oracle cannot resolve (an alias to no anchor, or an empty document)"
                .into(),
        )),
    })
}

/// A scalar as written, resolved by saphyr under the core schema. A core
/// tag saphyr has no type for (`!!binary`, `!!timestamp`) keeps its text
/// under the tag, as our decoder does.
fn representation(
    y: &MarkedYamlOwned,
    text: &str,
    style: ScalarStyle,
    tag: &Option<Tag>,
) -> Result<Value, (Marker, String)> {
    let resolve = |tag: Option<&Tag>| {
        let tag = tag.map(|t| Cow::Owned(t.clone()));
        ScalarOwned::parse_from_cow_and_metadata(Cow::Borrowed(text), style, tag.as_ref())
    };
    match tag {
        Some(t) if !t.is_yaml_core_schema() => Ok(Value::Tagged(
            tag_name(t),
            Box::new(scalar(
                resolve(None).unwrap_or(ScalarOwned::String(text.into())),
            )),
        )),
        Some(t) if !matches!(t.suffix.as_str(), "str" | "int" | "float" | "bool" | "null") => Ok(
            Value::Tagged(tag_name(t), Box::new(Value::String(text.to_string()))),
        ),
        _ => resolve(tag.as_ref()).map(scalar).ok_or_else(|| {
            let tag = tag.as_ref().map(tag_name).unwrap_or_default();
            (
                y.span.start,
                format!("`{text}` is not a valid value for its tag `{tag}`"),
            )
        }),
    }
}

fn tag_name(tag: &Tag) -> String {
    format!("{}{}", tag.handle, tag.suffix)
}

fn scalar(s: ScalarOwned) -> Value {
    match s {
        ScalarOwned::Null => Value::Null,
        ScalarOwned::Boolean(b) => Value::Bool(b),
        ScalarOwned::Integer(i) => Value::Int(i),
        ScalarOwned::FloatingPoint(x) => Value::Float(x.into_inner()),
        ScalarOwned::String(s) => Value::String(s),
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
}
