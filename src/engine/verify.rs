//! Verification of applied fixes against the oracle (DESIGN invariant 4).
//!
//! Every fix declares what it does to the flow's data ([`DataChange`]). The
//! verifier reads the text before and after with the independent parser,
//! replays the declared changes on the before-data, and requires the result
//! to equal the after-data. Further checks (such as "every plugin
//! instance's effective configuration is unchanged") plug in as [`Check`]s;
//! they hold for the declared data too ([`Verifier::promises`]), which is
//! what lets the engine read a file's final text once instead of every
//! round's (see `engine::process`).

use crate::fix::change::first_difference;
use crate::fix::DataChange;
use crate::kestra::defaults::effective_configs;
use crate::kestra::path::DataPath;
use crate::syntax::value::Value;

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
        same_data(&crate::fix::change::replay(before, changes)?, after)
    }
}

/// `after` is exactly `expected`; `Err` names the first difference.
pub fn same_data(expected: &[Value], after: &[Value]) -> Result<(), String> {
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
        for (a, b) in was.iter().zip(now.iter()) {
            let (path, path_after) = (a.path, b.path);
            if path != path_after {
                return Err(format!("plugin instance {path} moved to {path_after}"));
            }
            if let Some(key) = b.ambiguous.iter().find(|k| !a.ambiguous.contains(k)) {
                return Err(format!(
                    "{path}: two defaults now set `{key}`, and Kestra's order between them is undefined"
                ));
            }
            if let Some((at, detail)) = first_difference(a.config, b.config, path) {
                return Err(format!("effective configuration of {at} changed: {detail}"));
            }
        }
        Ok(())
    }
}

/// The checks every applied fix must pass: exactly the declared changes,
/// then every further [`Check`].
pub struct Verifier {
    checks: Vec<Box<dyn Check>>,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier {
            checks: vec![Box::new(EffectiveConfig)],
        }
    }
}

impl Verifier {
    pub fn with_check(mut self, check: Box<dyn Check>) -> Self {
        self.checks.push(check);
        self
    }

    /// `after`, as the independent parser read it, is `before` with
    /// exactly `changes`, and every further check holds.
    pub fn verify(
        &self,
        before: &[Value],
        after: &[Value],
        changes: &[DataChange],
    ) -> Result<(), String> {
        DeclaredChanges.check(before, after, changes)?;
        self.promises(before, after, changes)
    }

    /// The checks beyond the declared changes, on data the caller vouches
    /// for by other means (the declared result, compared with the
    /// independent parser's reading later).
    pub fn promises(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fix::oracle::load;

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
