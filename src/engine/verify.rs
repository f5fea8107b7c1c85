//! Verification of applied fixes against the oracle (DESIGN invariant 4).
//!
//! Every fix declares what it does to the flow's data ([`DataChange`]). The
//! verifier reads the text before and after with the independent parser,
//! replays the declared changes on the before-data, and requires the result
//! to equal the after-data. Further checks (such as "every plugin
//! instance's effective configuration is unchanged") plug in as [`Check`]s.

use crate::kestra::defaults::effective_configs;
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

    fn depth(&self) -> usize {
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

/// One property the after-data must have.
pub trait Check: Send + Sync {
    /// `Err` explains, in one line, what does not hold.
    fn check(
        &self,
        before: &[Value],
        after: &[Value],
        changes: &[DataChange],
    ) -> Result<(), String>;
}

/// The after-data is the before-data with exactly the declared changes.
pub struct DeclaredChanges;

impl Check for DeclaredChanges {
    fn check(
        &self,
        before: &[Value],
        after: &[Value],
        changes: &[DataChange],
    ) -> Result<(), String> {
        let expected = replay(before, changes)?;
        if expected.len() != after.len() {
            return Err(format!(
                "the file had {} documents, now {}",
                expected.len(),
                after.len()
            ));
        }
        for (doc, (want, got)) in expected.iter().zip(after).enumerate() {
            if let Some((path, detail)) = first_difference(want, got, &DataPath::root()) {
                let at = if doc == 0 {
                    path.to_string()
                } else {
                    format!("document {}: {path}", doc + 1)
                };
                return Err(format!(
                    "data at {at} changed beyond what was declared: {detail}"
                ));
            }
        }
        Ok(())
    }
}

/// Every plugin instance's effective configuration is unchanged, when a
/// fix promised it ([`DataChange::SameEffectiveConfig`]).
pub struct EffectiveConfig;

impl Check for EffectiveConfig {
    fn check(
        &self,
        before: &[Value],
        after: &[Value],
        changes: &[DataChange],
    ) -> Result<(), String> {
        if !changes.contains(&DataChange::SameEffectiveConfig) {
            return Ok(());
        }
        let (Some(before), Some(after)) = (before.first(), after.first()) else {
            return Err("a flow file without documents".into());
        };
        let (was, now) = (effective_configs(before), effective_configs(after));
        if was.len() != now.len() {
            return Err(format!(
                "the flow had {} plugin instances, now {}",
                was.len(),
                now.len()
            ));
        }
        for ((path, a), (path_after, b)) in was.iter().zip(&now) {
            if path != path_after {
                return Err(format!("plugin instance {path} moved to {path_after}"));
            }
            if let Some(key) = b.ambiguous.iter().find(|k| !a.ambiguous.contains(k)) {
                return Err(format!(
                    "{path}: two defaults now set `{key}`, and Kestra's order between them is undefined"
                ));
            }
            if let Some((at, detail)) = first_difference(&a.config, &b.config, path) {
                return Err(format!("effective configuration of {at} changed: {detail}"));
            }
        }
        Ok(())
    }
}

/// The checks every applied fix must pass.
pub struct Verifier {
    checks: Vec<Box<dyn Check>>,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier {
            checks: vec![Box::new(DeclaredChanges), Box::new(EffectiveConfig)],
        }
    }
}

impl Verifier {
    pub fn with_check(mut self, check: Box<dyn Check>) -> Self {
        self.checks.push(check);
        self
    }

    pub fn verify(
        &self,
        before: &[Value],
        after: &[Value],
        changes: &[DataChange],
    ) -> Result<(), String> {
        self.checks
            .iter()
            .try_for_each(|c| c.check(before, after, changes))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::data::load;

    fn p(s: &[&str]) -> DataPath {
        let mut path = DataPath::root();
        for seg in s {
            path = match seg.parse::<usize>() {
                Ok(i) => path.index(i),
                Err(_) => path.key(*seg),
            };
        }
        path
    }

    #[test]
    fn accepts_exactly_the_declared_changes() {
        let before = load("taskDefaults:\n  - type: old\ntasks:\n  - type: old\n").unwrap();
        let after = load("pluginDefaults:\n  - type: new\ntasks:\n  - type: new\n").unwrap();
        let changes = vec![
            DataChange::RenameKey {
                path: DataPath::root(),
                from: "taskDefaults".into(),
                to: "pluginDefaults".into(),
            },
            DataChange::set_string(p(&["taskDefaults", "0", "type"]), "new"),
            DataChange::set_string(p(&["tasks", "0", "type"]), "new"),
        ];
        assert_eq!(
            Verifier::default().verify(&before, &after, &changes),
            Ok(())
        );
    }

    #[test]
    fn rejects_undeclared_and_missing_changes() {
        let before = load("tasks:\n  - type: old\n    n: 1\n").unwrap();
        let after = load("tasks:\n  - type: new\n    n: 2\n").unwrap();
        let changes = vec![DataChange::set_string(p(&["tasks", "0", "type"]), "new")];
        let err = Verifier::default()
            .verify(&before, &after, &changes)
            .unwrap_err();
        assert!(
            err.contains("tasks[0].n") && err.contains("expected 1, found 2"),
            "{err}"
        );

        let unchanged = Verifier::default()
            .verify(&before, &before, &changes)
            .unwrap_err();
        assert!(unchanged.contains("tasks[0].type"), "{unchanged}");

        let nowhere = vec![DataChange::set_string(p(&["tasks", "3", "type"]), "new")];
        assert!(Verifier::default()
            .verify(&before, &after, &nowhere)
            .is_err());
    }

    #[test]
    fn structural_changes_replay() {
        let before = load(
            "a: {x: 1, y: 2}
b: [1]
",
        )
        .unwrap();
        let after = load(
            "a: {y: 2, z: 3}
b: [1, 2]
",
        )
        .unwrap();
        let a = DataPath::root().key("a");
        let changes = vec![
            DataChange::RemoveKey {
                path: a.clone(),
                key: "x".into(),
            },
            DataChange::InsertKey {
                path: a.clone(),
                key: "z".into(),
                value: Value::Int(3),
            },
            DataChange::Replace {
                path: DataPath::root().key("b"),
                value: Value::Seq(vec![Value::Int(1), Value::Int(2)]),
            },
        ];
        Verifier::default()
            .verify(&before, &after, &changes)
            .unwrap();
        let wrong = vec![DataChange::RemoveKey {
            path: a,
            key: "nope".into(),
        }];
        assert!(Verifier::default()
            .verify(&before, &before, &wrong)
            .is_err());
    }

    #[test]
    fn effective_configuration_promise_is_checked() {
        let flow = |body: &str| {
            load(&format!(
                "id: f\nnamespace: n\ntasks:\n  - id: a\n    type: x.y.Z\n{body}"
            ))
            .unwrap()
        };
        let before = flow("    image: i\n");
        let hoisted = flow("pluginDefaults:\n  - type: x.y\n    values:\n      image: i\n");
        let dropped = flow("");
        let tasks_a = DataPath::root().key("tasks").index(0);
        let remove = DataChange::RemoveKey {
            path: tasks_a,
            key: "image".into(),
        };
        let defaults = DataChange::InsertKey {
            path: DataPath::root(),
            key: "pluginDefaults".into(),
            value: DataPath::root()
                .key("pluginDefaults")
                .lookup(&hoisted[0])
                .unwrap()
                .clone(),
        };
        let promise = DataChange::SameEffectiveConfig;
        let v = Verifier::default();
        v.verify(
            &before,
            &hoisted,
            &[remove.clone(), defaults, promise.clone()],
        )
        .unwrap();
        let err = v.verify(&before, &dropped, &[remove, promise]).unwrap_err();
        assert!(err.contains("effective configuration of tasks[0]"), "{err}");
    }

    #[test]
    fn extra_checks_run_after_the_declared_changes() {
        struct Never;
        impl Check for Never {
            fn check(&self, _: &[Value], _: &[Value], _: &[DataChange]) -> Result<(), String> {
                Err("never".into())
            }
        }
        let docs = load("a: 1\n").unwrap();
        let verifier = Verifier::default().with_check(Box::new(Never));
        assert_eq!(verifier.verify(&docs, &docs, &[]), Err("never".into()));
    }
}
