//! Table-driven rules: rows of "instances of type T (exact, or every type
//! under a prefix), optionally only when property P has value V: rename the
//! type, rename / set / remove / move a property", read from a data file
//! under `data/`. A codemod built on a table is its declaration, its table
//! and the decision logic that judges each planned fix (its safety and
//! message); the edits and their declared data changes come from the
//! editing layer.
//!
//! Rows are TOML:
//!
//! ```toml
//! [[rows]]
//! type = "io.kestra.plugin.core.flow.Pause"        # or type-prefix = "..."
//! when = { property = "runner", equals = "DOCKER" } # optional
//! rename-property = { from = "delay", to = "pauseDuration" }
//! ```
//!
//! with exactly one action: `rename-type = { to = "...", properties =
//! { old = "new" } }`, `rename-property`, `set-property = { key = "...",
//! value = ... }`, `remove-property = "key"` or `move-property = { from =
//! "...", to = "path.in.instance" }`.

use super::FlowContext;
use crate::fix::editor::Editor;
use crate::fix::refusal::Refusal;
use crate::kestra::flow::PluginInstance;
use crate::syntax::edit::Position;
use crate::syntax::render::Fragment;
use crate::syntax::value::Value;
use serde::Deserialize;
use std::collections::HashMap;

/// Which plugin types a row applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeMatch {
    Exact(String),
    /// Every type whose name starts with this (a raw prefix, as Kestra's
    /// pluginDefaults match).
    Prefix(String),
}

/// A row applies only when the instance's `property` (a dotted path such as
/// `retry.type`) decodes to the string or scalar text `equals`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub property: String,
    pub equals: String,
}

/// What a row does to a matching instance.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// The type becomes `to`; properties renamed with it, `(old, new)`.
    RenameType {
        to: String,
        properties: Vec<(String, String)>,
    },
    RenameProperty {
        from: String,
        to: String,
    },
    /// Written at the end of the instance when absent; replaced when set to
    /// another scalar.
    SetProperty {
        key: String,
        value: Value,
    },
    RemoveProperty {
        key: String,
    },
    /// `from` moves to `to`, a dotted path inside the instance whose parent
    /// mappings exist.
    MoveProperty {
        from: String,
        to: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub types: TypeMatch,
    pub when: Option<Condition>,
    pub action: Action,
}

impl Row {
    pub fn matches(&self, instance: &PluginInstance, data: Option<&Value>) -> bool {
        let type_ok = match &self.types {
            TypeMatch::Exact(t) => instance.type_name == *t,
            TypeMatch::Prefix(p) => instance.type_name.starts_with(p.as_str()),
        };
        type_ok
            && self.when.as_ref().is_none_or(|c| {
                let path = c
                    .property
                    .split('.')
                    .fold(instance.path.clone(), |p, k| p.key(k));
                let value = data.and_then(|d| path.lookup(d));
                value.is_some_and(|v| scalar_text(v).as_deref() == Some(c.equals.as_str()))
            })
    }

    /// Plans this row's edit on `instance`, as an editor holding it (which
    /// [`Editor::into_fix`] turns into a fix); `Ok(None)` when there is
    /// nothing to do (the property is absent, or already has the value).
    pub fn plan<'c>(
        &self,
        ctx: &'c FlowContext,
        instance: &PluginInstance,
    ) -> Result<Option<Editor<'c>>, Refusal> {
        let mut editor = ctx.editor();
        let at = &instance.path;
        let has = |key: &str| instance.mapping.get(key).is_some();
        match &self.action {
            Action::RenameType { to, properties } => {
                let renames: Vec<(&str, &str)> = properties
                    .iter()
                    .map(|(a, b)| (a.as_str(), b.as_str()))
                    .collect();
                editor.set_type(at, to, &renames)?;
            }
            Action::RenameProperty { from, to } if has(from) => {
                editor.rename_key(at, from, to)?;
            }
            Action::SetProperty { key, value } => {
                let current = ctx.data().and_then(|d| at.key(key.clone()).lookup(d));
                match current {
                    Some(v) if v == value => return Ok(None),
                    Some(_) => editor.set_scalar(&at.key(key.clone()), value.clone())?,
                    None => editor.insert_entry(
                        at,
                        key,
                        Fragment::Data(value.clone()),
                        Position::Last,
                    )?,
                }
            }
            Action::RemoveProperty { key } if has(key) => editor.remove_key(at, key)?,
            Action::MoveProperty { from, to } if has(from) => {
                let (last, parents) = to.split_last().expect("a move target is never empty");
                let target = parents.iter().fold(at.clone(), |p, k| p.key(k.clone()));
                editor.move_entry(at, from, &target, last, Position::Last)?;
            }
            _ => return Ok(None),
        }
        Ok(Some(editor))
    }
}

/// The text a scalar compares by (`3`, `true`, `DOCKER`).
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Null => {
            crate::syntax::emit::scalar(value, crate::syntax::value::ScalarStyle::Plain, false)
        }
        _ => None,
    }
}

/// A table of rows, indexed by exact type for lookups.
#[derive(Debug, Clone, Default)]
pub struct Table {
    rows: Vec<Row>,
    exact: HashMap<String, Vec<usize>>,
    prefixed: Vec<usize>,
}

impl Table {
    pub fn new(rows: Vec<Row>) -> Table {
        let mut table = Table {
            rows,
            ..Table::default()
        };
        for (i, row) in table.rows.iter().enumerate() {
            match &row.types {
                TypeMatch::Exact(t) => table.exact.entry(t.clone()).or_default().push(i),
                TypeMatch::Prefix(_) => table.prefixed.push(i),
            }
        }
        table
    }

    /// Rows from TOML text (see the module docs). `Err` names the row.
    pub fn from_toml(text: &str) -> Result<Table, String> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct File {
            rows: Vec<RawRow>,
        }
        let file: File = toml::from_str(text).map_err(|e| e.message().to_string())?;
        let rows = file
            .rows
            .into_iter()
            .enumerate()
            .map(|(i, r)| r.into_row().map_err(|e| format!("row {}: {e}", i + 1)))
            .collect::<Result<_, _>>()?;
        Ok(Table::new(rows))
    }

    /// Type renames from a TSV table, `old<TAB>new[<TAB>old=new,...[<TAB>note]]`,
    /// `#` starting a comment line (`data/aliases.tsv`, `renames-2.0.tsv`).
    pub fn type_renames_tsv(text: &str) -> Result<Table, String> {
        let mut rows = Vec::new();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let mut cols = line.split('\t');
            let (Some(old), Some(new)) = (cols.next(), cols.next()) else {
                return Err(format!("line {}: expected `old<TAB>new`", n + 1));
            };
            let properties = cols
                .next()
                .unwrap_or("")
                .split(',')
                .filter(|p| !p.trim().is_empty())
                .map(|p| {
                    p.split_once('=')
                        .map(|(a, b)| (a.trim().to_string(), b.trim().to_string()))
                        .ok_or_else(|| format!("line {}: `{p}` is not `old=new`", n + 1))
                })
                .collect::<Result<_, _>>()?;
            rows.push(Row {
                types: TypeMatch::Exact(old.trim().to_string()),
                when: None,
                action: Action::RenameType {
                    to: new.trim().to_string(),
                    properties,
                },
            });
        }
        Ok(Table::new(rows))
    }

    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// The rows that apply to `instance`, in table order.
    pub fn matching<'t>(
        &'t self,
        instance: &'t PluginInstance,
        data: Option<&'t Value>,
    ) -> impl Iterator<Item = &'t Row> {
        let mut ids: Vec<usize> = self
            .exact
            .get(&instance.type_name)
            .into_iter()
            .flatten()
            .chain(&self.prefixed)
            .copied()
            .collect();
        ids.sort_unstable();
        ids.into_iter()
            .map(|i| &self.rows[i])
            .filter(move |r| r.matches(instance, data))
    }
}

/// A row as written in TOML.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRow {
    #[serde(rename = "type")]
    exact: Option<String>,
    type_prefix: Option<String>,
    when: Option<Condition>,
    rename_type: Option<RawRenameType>,
    rename_property: Option<FromTo>,
    set_property: Option<RawSet>,
    remove_property: Option<String>,
    move_property: Option<FromTo>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRenameType {
    to: String,
    #[serde(default)]
    properties: toml::Table,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FromTo {
    from: String,
    to: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSet {
    key: String,
    value: toml::Value,
}

impl RawRow {
    fn into_row(self) -> Result<Row, String> {
        let types = match (self.exact, self.type_prefix) {
            (Some(t), None) => TypeMatch::Exact(t),
            (None, Some(p)) => TypeMatch::Prefix(p),
            _ => return Err("give exactly one of `type` and `type-prefix`".into()),
        };
        let mut actions = Vec::new();
        if let Some(r) = self.rename_type {
            let properties = r
                .properties
                .into_iter()
                .map(|(k, v)| match v {
                    toml::Value::String(s) => Ok((k, s)),
                    _ => Err(format!("the new name of `{k}` must be a string")),
                })
                .collect::<Result<_, String>>()?;
            actions.push(Action::RenameType {
                to: r.to,
                properties,
            });
        }
        if let Some(FromTo { from, to }) = self.rename_property {
            actions.push(Action::RenameProperty { from, to });
        }
        if let Some(RawSet { key, value }) = self.set_property {
            actions.push(Action::SetProperty {
                key,
                value: toml_value(value)?,
            });
        }
        if let Some(key) = self.remove_property {
            actions.push(Action::RemoveProperty { key });
        }
        if let Some(FromTo { from, to }) = self.move_property {
            let to: Vec<String> = to.split('.').map(str::to_string).collect();
            if to.iter().any(String::is_empty) {
                return Err("`move-property.to` is a dotted path of keys".into());
            }
            actions.push(Action::MoveProperty { from, to });
        }
        match <[Action; 1]>::try_from(actions) {
            Ok([action]) => Ok(Row {
                types,
                when: self.when,
                action,
            }),
            Err(_) => Err("give exactly one action".into()),
        }
    }
}

fn toml_value(value: toml::Value) -> Result<Value, String> {
    Ok(match value {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::Int(i),
        toml::Value::Float(f) => Value::Float(f),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Array(items) => Value::Seq(
            items
                .into_iter()
                .map(toml_value)
                .collect::<Result<_, _>>()?,
        ),
        toml::Value::Table(t) => Value::Map(
            t.into_iter()
                .map(|(k, v)| Ok((Value::String(k), toml_value(v)?)))
                .collect::<Result<_, String>>()?,
        ),
        toml::Value::Datetime(d) => return Err(format!("a date ({d}) is not a flow value")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rows_and_rejects_ambiguous_ones() {
        let table = Table::from_toml(
            r#"
            [[rows]]
            type = "io.kestra.plugin.core.flow.Pause"
            rename-property = { from = "delay", to = "pauseDuration" }

            [[rows]]
            type-prefix = "io.kestra.plugin.scripts."
            when = { property = "runner", equals = "PROCESS" }
            remove-property = "runner"

            [[rows]]
            type = "io.kestra.plugin.fs.local.Delete"
            set-property = { key = "recursive", value = true }

            [[rows]]
            type = "io.kestra.plugin.core.debug.Echo"
            rename-type = { to = "io.kestra.plugin.core.log.Log", properties = { format = "message" } }
            "#,
        )
        .unwrap();
        assert_eq!(table.rows().len(), 4);
        assert_eq!(
            table.rows()[3].action,
            Action::RenameType {
                to: "io.kestra.plugin.core.log.Log".into(),
                properties: vec![("format".into(), "message".into())]
            }
        );
        let two = "[[rows]]\ntype = \"a\"\nremove-property = \"x\"\nrename-property = { from = \"a\", to = \"b\" }\n";
        assert_eq!(
            Table::from_toml(two).unwrap_err(),
            "row 1: give exactly one action"
        );
        let none = "[[rows]]\nremove-property = \"x\"\n";
        assert!(Table::from_toml(none)
            .unwrap_err()
            .contains("exactly one of `type`"));
    }

    #[test]
    fn plans_each_action_with_its_declared_change() {
        use crate::fix::change::replay;
        use crate::fix::oracle::load;
        use crate::fix::{DataChange, TextEdit};
        use crate::syntax::edit::apply_edits;
        let table = Table::from_toml(
            r#"
            [[rows]]
            type = "io.kestra.plugin.core.flow.Pause"
            rename-property = { from = "delay", to = "pauseDuration" }
            [[rows]]
            type-prefix = "io.kestra.plugin.core.flow."
            when = { property = "retry.type", equals = "constant" }
            move-property = { from = "timeout", to = "retry.maxDuration" }
            [[rows]]
            type = "io.kestra.plugin.fs.local.Delete"
            set-property = { key = "recursive", value = true }
            [[rows]]
            type = "io.kestra.plugin.fs.local.Delete"
            remove-property = "absent"
            "#,
        )
        .unwrap();
        let text = "id: f\nnamespace: n\ntasks:\n  - id: p\n    type: io.kestra.plugin.core.flow.Pause\n    delay: PT1S # short\n    timeout: PT1H\n    retry:\n      type: constant\n      interval: PT1M\n  - id: d\n    type: io.kestra.plugin.fs.local.Delete\n    uri: x\n";
        let planned = super::super::with_context(text, |ctx| {
            let mut all = Vec::new();
            for instance in ctx.flow.instances() {
                for row in table.matching(instance, ctx.data()) {
                    all.extend(row.plan(ctx, instance).unwrap().map(Editor::finish));
                }
            }
            all
        });
        assert_eq!(planned.len(), 3, "the row for an absent key plans nothing");
        let edits: Vec<TextEdit> = planned.iter().flat_map(|p| p.0.clone()).collect();
        let changes: Vec<DataChange> = planned.iter().flat_map(|p| p.1.clone()).collect();
        let new = apply_edits(text, &edits).unwrap();
        assert_eq!(
            new,
            "id: f\nnamespace: n\ntasks:\n  - id: p\n    type: io.kestra.plugin.core.flow.Pause\n    pauseDuration: PT1S # short\n    retry:\n      type: constant\n      interval: PT1M\n      maxDuration: PT1H\n  - id: d\n    type: io.kestra.plugin.fs.local.Delete\n    uri: x\n    recursive: true\n"
        );
        assert_eq!(
            load(&new).unwrap(),
            replay(&load(text).unwrap(), &changes).unwrap()
        );
    }

    #[test]
    fn reads_type_rename_tables() {
        let table = Table::type_renames_tsv(
            "# old\tnew\n a.Old\ta.New\tformat=message, x=y\tnote\nb.Old\tb.New\n",
        )
        .unwrap();
        assert_eq!(table.rows().len(), 2);
        assert!(Table::type_renames_tsv("lonely\n").is_err());
        assert!(Table::type_renames_tsv(include_str!("../../data/aliases.tsv")).is_ok());
    }
}
