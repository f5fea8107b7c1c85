//! What a fix declares it does to the flow's data, and the replay of those
//! declarations that verification compares against the oracle's reading.

use crate::kestra::path::DataPath;
use crate::syntax::value::Value;

/// A change a fix makes to the first document's data, stated in the
/// before-data's coordinates.
#[derive(Debug, Clone, PartialEq)]
pub enum DataChange {
    /// The scalar at `path` becomes `value`.
    SetScalar { path: DataPath, value: Value },
    /// The node at `path` (scalar or collection) becomes `value`.
    Replace { path: DataPath, value: Value },
    /// The mapping at `path` gains `key` (absent before) with `value`.
    InsertKey {
        path: DataPath,
        key: String,
        value: Value,
    },
    /// The mapping at `path` loses `key` (present before).
    RemoveKey { path: DataPath, key: String },
    /// In the mapping at `path`, key `from` becomes `to`; the value stays.
    RenameKey {
        path: DataPath,
        from: String,
        to: String,
    },
    /// Not a data change but a promise the verifier holds the fix to:
    /// every plugin instance runs with the same effective configuration,
    /// `pluginDefaults` applied, before and after.
    SameEffectiveConfig,
}

impl DataChange {
    pub fn set_string(path: DataPath, value: impl Into<String>) -> Self {
        DataChange::SetScalar {
            path,
            value: Value::String(value.into()),
        }
    }

    pub(crate) fn depth(&self) -> usize {
        match self {
            DataChange::SetScalar { path, .. }
            | DataChange::Replace { path, .. }
            | DataChange::InsertKey { path, .. }
            | DataChange::RemoveKey { path, .. }
            | DataChange::RenameKey { path, .. } => path.segments().len(),
            DataChange::SameEffectiveConfig => 0,
        }
    }
}

/// The before-data with `changes` applied. Scalar changes first, then key
/// renames deepest first, so every path is read in before-coordinates.
pub fn replay(before: &[Value], changes: &[DataChange]) -> Result<Vec<Value>, String> {
    let mut docs = before.to_vec();
    let Some(doc) = docs.first_mut() else {
        return Err("declared changes to a file without documents".into());
    };
    let mut ordered: Vec<&DataChange> = changes.iter().collect();
    ordered.sort_by_key(|c| {
        (
            matches!(c, DataChange::RenameKey { .. }),
            std::cmp::Reverse(c.depth()),
        )
    });
    for change in ordered {
        match change {
            DataChange::SameEffectiveConfig => {}
            DataChange::Replace { path, value } => {
                let slot = path
                    .lookup_mut(doc)
                    .ok_or_else(|| format!("declared change at {path}, which does not exist"))?;
                *slot = value.clone();
            }
            DataChange::InsertKey { path, key, value } => {
                let Some(Value::Map(entries)) = path.lookup_mut(doc) else {
                    return Err(format!(
                        "declared a new key in {path}, which is not a mapping"
                    ));
                };
                if entries.iter().any(|(k, _)| k.as_str() == Some(key)) {
                    return Err(format!(
                        "declared a new key `{key}` in {path}, which has it already"
                    ));
                }
                entries.push((Value::String(key.clone()), value.clone()));
            }
            DataChange::RemoveKey { path, key } => {
                let Some(Value::Map(entries)) = path.lookup_mut(doc) else {
                    return Err(format!(
                        "declared a removal in {path}, which is not a mapping"
                    ));
                };
                let before_len = entries.len();
                entries.retain(|(k, _)| k.as_str() != Some(key));
                if entries.len() == before_len {
                    return Err(format!(
                        "declared a removal of `{key}` in {path}, which has no such key"
                    ));
                }
            }
            DataChange::SetScalar { path, value } => {
                let slot = path
                    .lookup_mut(doc)
                    .ok_or_else(|| format!("declared change at {path}, which does not exist"))?;
                if matches!(slot, Value::Seq(_) | Value::Map(_)) {
                    return Err(format!(
                        "declared a scalar change at {path}, which is a collection"
                    ));
                }
                *slot = value.clone();
            }
            DataChange::RenameKey { path, from, to } => {
                let Some(Value::Map(entries)) = path.lookup_mut(doc) else {
                    return Err(format!(
                        "declared a key rename in {path}, which is not a mapping"
                    ));
                };
                if entries
                    .iter()
                    .any(|(k, _)| matches!(k, Value::String(s) if s == to))
                {
                    return Err(format!(
                        "renaming `{from}` to `{to}` in {path} would duplicate `{to}`"
                    ));
                }
                let key = entries
                    .iter_mut()
                    .find(|(k, _)| matches!(k, Value::String(s) if s == from))
                    .ok_or_else(|| {
                        format!("declared a rename of `{from}` in {path}, which has no such key")
                    })?;
                key.0 = Value::String(to.clone());
            }
        }
    }
    Ok(docs)
}

/// Where two values first differ, and how, for a one-line message.
pub fn first_difference(want: &Value, got: &Value, path: &DataPath) -> Option<(DataPath, String)> {
    if want == got {
        return None;
    }
    match (want, got) {
        (Value::Map(a), Value::Map(b)) => {
            for (k, v) in a {
                let seg_path = match k {
                    Value::String(s) => path.key(s.clone()),
                    other => path.key(other.to_string()),
                };
                match b.iter().find(|(k2, _)| k2 == k) {
                    Some((_, w)) => {
                        if let Some(d) = first_difference(v, w, &seg_path) {
                            return Some(d);
                        }
                    }
                    None => return Some((seg_path, "key is missing".into())),
                }
            }
            let extra = b.iter().find(|(k, _)| !a.iter().any(|(k2, _)| k2 == k));
            extra.map(|(k, _)| (path.clone(), format!("unexpected key {}", k.brief())))
        }
        (Value::Seq(a), Value::Seq(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (v, w))| first_difference(v, w, &path.index(i))),
        (Value::Tagged(t, a), Value::Tagged(u, b)) if t == u => first_difference(a, b, path),
        _ => Some((
            path.clone(),
            format!("expected {}, found {}", want.brief(), got.brief()),
        )),
    }
}
