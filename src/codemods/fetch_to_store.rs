//! fetch-to-store: query results to internal storage instead of the
//! execution context.
//!
//! Two steps per query task, one per round of the fix loop:
//! 1. the deprecated booleans `fetch` / `fetchOne` / `store` become the
//!    `fetchType` they mean (Kestra 0.19+): always safe, checked against
//!    the flow's `pluginDefaults`;
//! 2. `fetchType: FETCH` becomes `STORE`: always unsafe, since the rows
//!    leave the execution's outputs (the Outputs tab, the API) even when no
//!    task reads them; the message names the expressions whose value
//!    changes.
//!
//! Below 0.19 the booleans are the only spelling, so step 2 writes
//! `store: true` in place of `fetch: true` and step 1 does not exist.

use super::{
    Applicability, Codemod, Declaration, DefaultOn, Fix, FlowContext, ParsedOptions, Phase, Safety,
};
use crate::codemods::read_options;
use crate::fix::change::replay;
use crate::fix::editor::Editor;
use crate::fix::refusal::Refusal;
use crate::kestra::defaults::{effective, flow_defaults, PluginDefault};
use crate::kestra::flow::PluginInstance;
use crate::kestra::path::{DataPath, PathSeg};
use crate::kestra::pebble::{references, tags, Reference, TagKind};
use crate::kestra::KestraVersion;
use crate::syntax::ast::{AstNode, Entry, Mapping, Node};
use crate::syntax::edit::Position;
use crate::syntax::render::Fragment;
use crate::syntax::value::Value;
use crate::syntax::TextRange;
use serde::Deserialize;
use std::cell::OnceCell;
use std::fmt;

pub struct FetchToStore;

const NAME: &str = "fetch-to-store";

/// `fetchType` exists, and the booleans are deprecated, since Kestra 0.19.
const FETCH_TYPE_SINCE: KestraVersion = KestraVersion::new(0, 19);

/// The databases of `io.kestra.plugin.jdbc.<db>.{Query,Queries,Trigger}`.
const JDBC_DATABASES: &[&str] = &[
    "access",
    "actianvector",
    "arrowflight",
    "as400",
    "clickhouse",
    "db2",
    "dremio",
    "druid",
    "duckdb",
    "hana",
    "mariadb",
    "mysql",
    "oracle",
    "pinot",
    "postgresql",
    "redshift",
    "snowflake",
    "sqlite",
    "sqlserver",
    "sybase",
    "trino",
    "vertica",
];

/// The deprecated booleans, in the order Kestra reads them: the first
/// `true` wins, over `fetchType` too.
const BOOLEANS: [(&str, Mode); 3] = [
    ("fetch", Mode::Fetch),
    ("fetchOne", Mode::FetchOne),
    ("store", Mode::Store),
];

/// How many breaking expressions a message names before "and N more".
const NAMED_EXPRESSIONS: usize = 3;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Options {
    /// `fetchSize` to add to stored JDBC queries that have none.
    fetch_size: Option<i64>,
}

impl Options {
    fn parse(table: &toml::Table) -> Result<Options, String> {
        let options = read_options::<Options>(table)?;
        if let Some(n) = options.fetch_size {
            if n < 1 || n > i64::from(i32::MAX) {
                return Err(format!(
                    "fetch-size must be a whole number from 1 to {}, not {n}",
                    i32::MAX
                ));
            }
        }
        Ok(options)
    }
}

const DECLARATION: Declaration = Declaration {
    name: NAME,
    family: super::Family::BestPractice,
    summary: "Store query results in internal storage (`fetchType: STORE`) instead of the execution context; deprecated `fetch`/`fetchOne`/`store` -> `fetchType`",
    safety: Safety::SafeWhenProven,
    default_on: DefaultOn::Always,
    phase: Phase::PROPERTIES,
    docs: include_str!("../../codemods/fetch-to-store/README.md"),
};

impl Codemod for FetchToStore {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }

    fn parse_options(&self, options: &toml::Table) -> Result<ParsedOptions, String> {
        Options::parse(options).map(ParsedOptions::new)
    }

    fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
        let options: &Options = ctx.options();
        let instances: Vec<(PluginInstance, QueryType)> = ctx
            .flow
            .instances()
            .iter()
            .filter_map(|inst| query_type(&inst.type_name).map(|q| (inst.clone(), q)))
            .collect();
        if instances.is_empty() {
            return Vec::new();
        }
        // The engine only runs codemods on text that parses.
        let Some(data) = ctx.data() else {
            return Vec::new();
        };
        let judge = Judge {
            ctx,
            data,
            defaults: flow_defaults(data),
            expressions: OnceCell::new(),
            fetch_size: options.fetch_size,
        };
        instances
            .iter()
            .filter_map(|(inst, qt)| judge.query(inst, *qt))
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Jdbc,
    BigQuery,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Query,
    Queries,
    Trigger,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct QueryType {
    family: Family,
    class: Class,
}

impl QueryType {
    /// What a read of the task's output at `path` (the accessors after
    /// the task id; `tag` is the expression it sits in) sees change when
    /// the rows are stored: nothing for `size`, `uri` and the like; the
    /// rows for `rows` / `row`; everything for the whole output object.
    /// `Queries` nests one output per statement (`outputs[0].rows`), whose
    /// index the reference does not keep, so its accessor is read from the
    /// expression text.
    fn read_change(self, task: &str, path: &[String], tag: &str) -> Option<ReadKind> {
        let field = |name: &str| match name {
            "rows" | "row" => Some(ReadKind::Rows),
            _ => None,
        };
        match (self.class, path) {
            (_, []) => Some(ReadKind::Whole),
            (Class::Queries, [first, ..]) if first == "outputs" => {
                let accessors = statement_accessors(tag, task);
                if accessors.is_empty() {
                    return Some(ReadKind::Whole);
                }
                accessors
                    .iter()
                    .map(|a| match a {
                        Some(name) => field(name),
                        None => Some(ReadKind::Whole),
                    })
                    .max()
                    .flatten()
            }
            (Class::Queries, _) => None,
            (_, [first, ..]) => field(first),
        }
    }
}

fn query_type(type_name: &str) -> Option<QueryType> {
    if let Some(rest) = type_name.strip_prefix("io.kestra.plugin.jdbc.") {
        let (db, class) = rest.split_once('.')?;
        if !JDBC_DATABASES.contains(&db) {
            return None;
        }
        let class = match class {
            "Query" => Class::Query,
            "Queries" => Class::Queries,
            "Trigger" => Class::Trigger,
            _ => return None,
        };
        return Some(QueryType {
            family: Family::Jdbc,
            class,
        });
    }
    let class = match type_name.strip_prefix("io.kestra.plugin.gcp.bigquery.")? {
        "Query" => Class::Query,
        "Trigger" => Class::Trigger,
        _ => return None,
    };
    Some(QueryType {
        family: Family::BigQuery,
        class,
    })
}

/// What a query does with its result.
#[derive(Debug, Clone, PartialEq)]
enum Mode {
    None,
    Fetch,
    FetchOne,
    Store,
    /// A `fetchType` this codemod does not read (an expression, another
    /// spelling): compared as is, never rewritten.
    Other(Value),
}

impl Mode {
    fn parse(value: &Value) -> Mode {
        match value.as_str() {
            Some("NONE") => Mode::None,
            Some("FETCH") => Mode::Fetch,
            Some("FETCH_ONE") => Mode::FetchOne,
            Some("STORE") => Mode::Store,
            _ => Mode::Other(value.clone()),
        }
    }

    fn as_str(&self) -> &'static str {
        match self {
            Mode::None => "NONE",
            Mode::Fetch => "FETCH",
            Mode::FetchOne => "FETCH_ONE",
            Mode::Store => "STORE",
            Mode::Other(_) => "?",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mode::Other(v) => f.write_str(&v.brief()),
            m => f.write_str(m.as_str()),
        }
    }
}

/// The mode a configuration runs with (Kestra's `renderFetchType`), or
/// the key whose value is not a boolean.
fn mode_of(config: &Value) -> Result<Mode, &'static str> {
    for (key, mode) in &BOOLEANS {
        match config.get(key) {
            None | Some(Value::Bool(false)) => {}
            Some(Value::Bool(true)) => return Ok(mode.clone()),
            Some(_) => return Err(key),
        }
    }
    Ok(config.get("fetchType").map_or(Mode::None, Mode::parse))
}

/// How a read changes when the rows are stored, mildest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum ReadKind {
    /// `rows` / `row`: gone.
    Rows,
    /// The whole output object (`{{ outputs.q }}`, a statement's output of
    /// `Queries`): loses `rows`, gains `uri`.
    Whole,
    /// `outputs[expr]`, a bare `outputs`: any task's outputs.
    Dynamic,
}

impl ReadKind {
    fn describe(self) -> &'static str {
        match self {
            ReadKind::Rows => "reads the rows",
            ReadKind::Whole => "reads the whole output",
            ReadKind::Dynamic => "reads outputs dynamically",
        }
    }
}

/// The accessor after each `outputs.<task>.outputs[...]` in `tag`: the
/// field a `Queries` read takes from one statement's output (`None` when
/// there is none, or it is not a plain name).
fn statement_accessors(tag: &str, task: &str) -> Vec<Option<String>> {
    let needle = format!("outputs.{task}.outputs[");
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = tag[from..].find(&needle) {
        let open = from + i + needle.len();
        from = open;
        let Some(close) = tag[open..].find(']').map(|c| open + c + 1) else {
            out.push(None);
            break;
        };
        let rest = &tag[close..];
        let name = if let Some(r) = rest.strip_prefix('.') {
            let end = r
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(r.len());
            (end > 0).then(|| r[..end].to_string())
        } else if let Some(r) = rest.strip_prefix("['").or_else(|| rest.strip_prefix("[\"")) {
            r.find(['\'', '"']).map(|end| r[..end].to_string())
        } else {
            None
        };
        out.push(name);
    }
    out
}

/// A Pebble tag of the flow that reads task outputs.
struct Expression {
    /// Where the string holding it sits in the flow's data.
    at: DataPath,
    text: String,
    refs: Vec<Reference>,
}

/// Every tag, in every string of the flow (tasks at any depth, triggers,
/// `errors`, `finally`, flow `outputs`, `variables`...), that reads outputs.
/// `text` is the text `root` was parsed from.
fn expressions(root: &Mapping, text: &str) -> Vec<Expression> {
    let mut out = Vec::new();
    collect_expressions(
        &Node::Mapping(root.clone()),
        text,
        &mut DataPath::root(),
        &mut out,
    );
    out
}

/// `path` is extended and restored in place: few scalars hold an
/// expression, so a path is copied only for those.
fn collect_expressions(node: &Node, text: &str, path: &mut DataPath, out: &mut Vec<Expression>) {
    // Every Pebble tag opens with `{`, in the text or (quoted) as an
    // escape: most nodes need no walk, most scalars no decoding, to be
    // ruled out.
    if !text[node.text_range()].contains(['{', '\\']) {
        return;
    }
    let mut descend = |value: &Node, segments: &[PathSeg]| {
        let depth = path.0.len();
        path.0.extend_from_slice(segments);
        collect_expressions(value, text, path, out);
        path.0.truncate(depth);
    };
    match node {
        Node::Mapping(m) => {
            for entry in m.entries() {
                if let Some(value) = entry.value() {
                    let key = entry.key_str().unwrap_or_default().into_owned();
                    descend(&value, &[PathSeg::Key(key)]);
                }
            }
        }
        Node::Sequence(s) => {
            for (i, item) in s.items().enumerate() {
                if let Some(value) = item.value() {
                    descend(&value, &[PathSeg::Index(i)]);
                } else if let Some(pair) = item.flow_pair() {
                    if let Some(value) = pair.value() {
                        let key = pair.key_str().unwrap_or_default().into_owned();
                        descend(&value, &[PathSeg::Index(i), PathSeg::Key(key)]);
                    }
                }
            }
        }
        Node::Scalar(s) => {
            let text = s.value();
            for tag in tags(&text) {
                if tag.kind == TagKind::Comment {
                    continue;
                }
                let tag_text = &text[tag.range.clone()];
                let refs: Vec<Reference> = references(tag_text)
                    .into_iter()
                    .filter(|r| matches!(r, Reference::Output { .. } | Reference::DynamicOutputs))
                    .collect();
                if !refs.is_empty() {
                    out.push(Expression {
                        at: path.clone(),
                        text: tag_text.to_string(),
                        refs,
                    });
                }
            }
        }
        Node::Alias(_) => {}
    }
}

struct Judge<'a> {
    ctx: &'a FlowContext<'a>,
    data: &'a Value,
    defaults: Vec<PluginDefault>,
    /// Read only for a query that would store its rows: most rounds have
    /// none, and the walk reads every string of the flow.
    expressions: OnceCell<Vec<Expression>>,
    fetch_size: Option<i64>,
}

impl Judge<'_> {
    fn query(&self, inst: &PluginInstance, qt: QueryType) -> Option<Fix> {
        let own = inst.path.lookup(self.data)?;
        // A merge key (`<<: *base`) brings keys this view does not edit.
        if own.get("<<").is_some() {
            return None;
        }
        let booleans: Vec<(Entry, &'static str)> = BOOLEANS
            .iter()
            .filter_map(|(key, _)| inst.mapping.get(key).map(|e| (e, *key)))
            .collect();
        let before = match mode_of(&self.effective(own)) {
            Ok(mode) => mode,
            Err(key) => {
                let entry = inst.mapping.get(key);
                let range = entry.map_or(inst.type_range(), |e| e.syntax().text_range());
                return Some(Fix::refused(range, "", Refusal::unsupported(format!(
                        "{}`{key}` is not `true` or `false`, so the fetch mode cannot be told; set it by hand",
                        self.who(inst)
                    ))));
            }
        };
        let modern = self.ctx.target_version >= FETCH_TYPE_SINCE;
        if modern && !booleans.is_empty() {
            return Some(self.booleans_to_fetch_type(inst, own, &booleans, &before));
        }
        if before == Mode::Fetch && qt.class != Class::Trigger {
            return self.fetch_to_store(inst, qt, own, modern);
        }
        if before == Mode::Store && qt.class != Class::Trigger {
            return self.add_fetch_size(inst, qt, own);
        }
        None
    }

    /// The configuration the instance runs with, flow defaults applied.
    fn effective(&self, own: &Value) -> Value {
        effective(own, &self.defaults).config
    }

    /// The mode the instance would run with after the edits of `editor`.
    fn mode_after(&self, inst: &PluginInstance, editor: &Editor) -> Option<Mode> {
        // Replayed on the instance alone when the edits only touch it: a
        // copy of the whole flow per query is quadratic in large flows.
        let own = match editor.changes_under(&inst.path) {
            Some(changes) => replay(std::slice::from_ref(inst.path.lookup(self.data)?), &changes)
                .ok()?
                .pop()?,
            None => {
                let after = replay(std::slice::from_ref(self.data), editor.changes()).ok()?;
                inst.path.lookup(after.first()?)?.clone()
            }
        };
        mode_of(&self.effective(&own)).ok()
    }

    fn who(&self, inst: &PluginInstance) -> String {
        match inst.id() {
            Some(id) => format!("query `{id}`: "),
            None => format!("query at {}: ", inst.path),
        }
    }

    /// Step 1: `fetch: true` -> `fetchType: FETCH` (and the others); a
    /// `false` is removed.
    fn booleans_to_fetch_type(
        &self,
        inst: &PluginInstance,
        own: &Value,
        booleans: &[(Entry, &'static str)],
        before: &Mode,
    ) -> Fix {
        let path = &inst.path;
        let range = booleans[0].0.syntax().text_range();
        let winner = BOOLEANS
            .iter()
            .find(|(key, _)| own.get(key) == Some(&Value::Bool(true)));
        let written: Vec<String> = booleans
            .iter()
            .map(|(_, key)| {
                format!(
                    "`{key}: {}`",
                    own.get(key).map_or(String::new(), Value::brief)
                )
            })
            .collect();
        let mut editor = self.ctx.editor();
        let planned = editor.transaction(|e| {
            let mut converted = None;
            if let Some((key, mode)) = winner {
                let value = Value::String(mode.as_str().into());
                if inst.mapping.get("fetchType").is_none() {
                    // The winning boolean's entry becomes `fetchType`.
                    e.set_scalar(&path.key(*key), value)?;
                    e.rename_key(path, key, "fetchType")?;
                    converted = Some(*key);
                } else if own.get("fetchType").map(Mode::parse).as_ref() != Some(mode) {
                    e.set_scalar(&path.key("fetchType"), value)?;
                }
            }
            for (_, key) in booleans.iter().filter(|(_, k)| Some(*k) != converted) {
                e.remove_key(path, key)?;
            }
            Ok(())
        });
        let (is, has) = if written.len() == 1 {
            ("is", "has")
        } else {
            ("are", "have")
        };
        let written = written.join(", ");
        let message = match winner {
            Some((_, mode)) => format!(
                "{}{written} {is} deprecated since Kestra 0.19; `fetchType: {mode}` says the same",
                self.who(inst)
            ),
            None => format!(
                "{}{written} {is} deprecated since Kestra 0.19 and {has} no effect here",
                self.who(inst)
            ),
        };
        if planned.is_ok() && self.mode_after(inst, &editor).as_ref() != Some(before) {
            return Fix::refused(range, "", Refusal::unsupported(format!(
                    "{}{written} {is} deprecated since Kestra 0.19, but a flow `pluginDefaults` entry for this type also sets the fetch mode: without {} the query would no longer run as `{before}`; set `fetchType` by hand",
                    self.who(inst),
                    if is == "is" { "it" } else { "them" },
                )));
        }
        finish(editor, planned, range, message, Applicability::Safe)
    }

    /// Step 2: FETCH -> STORE, judged by what reads the rows.
    fn fetch_to_store(
        &self,
        inst: &PluginInstance,
        qt: QueryType,
        own: &Value,
        modern: bool,
    ) -> Option<Fix> {
        let path = &inst.path;
        let mut editor = self.ctx.editor();
        let fetch_type_fetch = own.get("fetchType").map(Mode::parse) == Some(Mode::Fetch);
        let (range, anchor, spelled, planned) = if own.get("fetch") == Some(&Value::Bool(true))
            && !modern
        {
            // `fetch: true` -> `store: true`; a `store` entry goes (its
            // key is taken) and so does a `fetchOne: true`, which would
            // win.
            let range = inst.mapping.get("fetch")?.syntax().text_range();
            let planned = editor.transaction(|e| {
                for (key, _) in &BOOLEANS[1..] {
                    let drop = match *key {
                        "store" => own.get(key).is_some(),
                        _ => own.get(key) == Some(&Value::Bool(true)),
                    };
                    if drop {
                        e.remove_key(path, key)?;
                    }
                }
                e.rename_key(path, "fetch", "store")
            });
            (range, "fetch", "`store: true`", planned)
        } else if fetch_type_fetch {
            let range = inst.mapping.get("fetchType")?.value()?.text_range();
            let planned = editor.set_scalar(&path.key("fetchType"), Value::String("STORE".into()));
            (range, "fetchType", "`fetchType: STORE`", planned)
        } else {
            // FETCH comes from a flow default: nothing in the task to
            // change.
            return None;
        };
        let size_note = match planned {
            Ok(()) => self.plan_fetch_size(inst, qt, own, anchor, &mut editor),
            Err(_) => String::new(),
        };
        if planned.is_ok() && self.mode_after(inst, &editor) != Some(Mode::Store) {
            return Some(Fix::refused(range, "", Refusal::unsupported(format!(
                    "{}loads every row into the execution context, but a flow `pluginDefaults` entry for this type sets a fetch boolean that overrides {spelled}: change the default or the task by hand",
                    self.who(inst)
                ))));
        }
        let changed = self.changed_reads(inst, qt);
        let head = format!(
            "{}loads every row into the execution context; {spelled} keeps them in internal storage instead{size_note}: the rows leave the execution's outputs (Outputs tab, API) and are only reachable through the stored file (`uri`)",
            self.who(inst)
        );
        let message = if changed.is_empty() {
            format!("{head}; no expression of the flow reads the rows")
        } else {
            format!(
                "{head}; this changes what these read: {}",
                describe(&changed)
            )
        };
        Some(finish(
            editor,
            planned,
            range,
            message,
            Applicability::Unsafe,
        ))
    }

    /// `fetchSize: N` for a stored JDBC query that has none.
    fn add_fetch_size(&self, inst: &PluginInstance, qt: QueryType, own: &Value) -> Option<Fix> {
        let anchor = ["fetchType", "store"]
            .iter()
            .find_map(|k| inst.mapping.get(k))
            .or_else(|| inst.mapping.entries().last())?;
        let key = anchor.key_text()?;
        let mut editor = self.ctx.editor();
        let note = self.plan_fetch_size(inst, qt, own, &key, &mut editor);
        if editor.is_empty() {
            return None;
        }
        let range = anchor.syntax().text_range();
        let message = format!(
            "{}stores its rows without a `fetchSize`{note}",
            self.who(inst)
        );
        Some(editor.into_fix(range, message, Applicability::Safe))
    }

    /// Adds the `fetch-size` option's `fetchSize` after the entry `anchor`
    /// when the query is JDBC and its effective configuration has none.
    fn plan_fetch_size(
        &self,
        inst: &PluginInstance,
        qt: QueryType,
        own: &Value,
        anchor: &str,
        editor: &mut Editor,
    ) -> String {
        let Some(n) = self.fetch_size else {
            return String::new();
        };
        if qt.family != Family::Jdbc || self.effective(own).get("fetchSize").is_some() {
            return String::new();
        }
        let added = editor.insert_entry(
            &inst.path,
            "fetchSize",
            Fragment::Data(Value::Int(n)),
            Position::After(anchor),
        );
        match added {
            Ok(()) => format!(", read in batches of `fetchSize: {n}` (option fetch-size)"),
            Err(_) => String::new(),
        }
    }

    /// The expressions whose value changes when the rows are stored, and
    /// how.
    fn changed_reads(&self, inst: &PluginInstance, qt: QueryType) -> Vec<(&Expression, ReadKind)> {
        let id = inst.id();
        self.expressions
            .get_or_init(|| expressions(self.ctx.flow.root(), self.ctx.text))
            .iter()
            .filter_map(|e| {
                let kind = e
                    .refs
                    .iter()
                    .filter_map(|r| match r {
                        Reference::DynamicOutputs => Some(ReadKind::Dynamic),
                        Reference::Output { task, path } if Some(task) == id.as_ref() => {
                            qt.read_change(task, path, &e.text)
                        }
                        _ => None,
                    })
                    .max()?;
                Some((e, kind))
            })
            .collect()
    }
}

/// The fix the editor holds, or, when an edit was refused, the finding
/// with the reason to make it by hand.
fn finish(
    editor: Editor,
    planned: Result<(), Refusal>,
    range: TextRange,
    message: String,
    applicability: Applicability,
) -> Fix {
    match planned {
        Ok(()) => editor.into_fix(range, message, applicability),
        Err(refusal) => Fix::refused(range, message, Refusal::by_hand("change", refusal)),
    }
}

fn describe(expressions: &[(&Expression, ReadKind)]) -> String {
    let mut parts: Vec<String> = expressions
        .iter()
        .take(NAMED_EXPRESSIONS)
        .map(|(e, kind)| format!("`{}` ({}, {})", e.text.trim(), e.at, kind.describe()))
        .collect();
    if expressions.len() > NAMED_EXPRESSIONS {
        parts.push(format!(
            "and {} more",
            expressions.len() - NAMED_EXPRESSIONS
        ));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_types() {
        let q = |t| query_type(t).map(|q| (q.family, q.class));
        assert_eq!(
            q("io.kestra.plugin.jdbc.postgresql.Query"),
            Some((Family::Jdbc, Class::Query))
        );
        assert_eq!(
            q("io.kestra.plugin.jdbc.duckdb.Queries"),
            Some((Family::Jdbc, Class::Queries))
        );
        assert_eq!(
            q("io.kestra.plugin.jdbc.as400.Trigger"),
            Some((Family::Jdbc, Class::Trigger))
        );
        assert_eq!(
            q("io.kestra.plugin.gcp.bigquery.Query"),
            Some((Family::BigQuery, Class::Query))
        );
        assert_eq!(q("io.kestra.plugin.gcp.bigquery.Queries"), None);
        assert_eq!(q("io.kestra.plugin.jdbc.postgresql.Batch"), None);
        assert_eq!(q("io.kestra.plugin.jdbc.h2.Query"), None);
        assert_eq!(q("io.kestra.plugin.jdbc.postgresql.Query.X"), None);
    }

    #[test]
    fn expressions_are_found_at_any_depth_and_behind_escapes() {
        let text = "id: f\nnamespace: n\ntasks:\n  - id: q\n    type: io.kestra.plugin.jdbc.postgresql.Query\n  - id: l\n    type: io.kestra.plugin.core.log.Log\n    message: \"\\x7b{ outputs.q.rows }}\"\n    nested: {a: [plain, {b: \"{{ outputs.q.size }}\"}]}\n    pairs: [k: \"{{ outputs.q }}\"]\n    other: {c: 1, d: [x]}\noutputs:\n  - id: o\n    value: \"{{ outputs.q.row }} {# outputs.q.rows #}\"\n";
        let parse = crate::syntax::parse(text);
        let flow = crate::kestra::flow::Flow::cast(&parse).expect("a flow");
        let found: Vec<String> = expressions(flow.root(), text)
            .iter()
            .map(|e| format!("{} {}", e.at, e.text))
            .collect();
        assert_eq!(
            found,
            [
                "tasks[1].message {{ outputs.q.rows }}",
                "tasks[1].nested.a[1].b {{ outputs.q.size }}",
                "tasks[1].pairs[0].k {{ outputs.q }}",
                "outputs[0].value {{ outputs.q.row }}",
            ]
        );
    }

    #[test]
    fn only_reads_that_change_count() {
        let query = query_type("io.kestra.plugin.jdbc.postgresql.Query").unwrap();
        let queries = query_type("io.kestra.plugin.jdbc.postgresql.Queries").unwrap();
        let p = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            query.read_change("q", &p(&["rows"]), ""),
            Some(ReadKind::Rows)
        );
        assert_eq!(query.read_change("q", &p(&["uri"]), ""), None);
        assert_eq!(query.read_change("q", &p(&["size"]), ""), None);
        assert_eq!(query.read_change("q", &[], ""), Some(ReadKind::Whole));
        let read = |tag: &str| queries.read_change("m", &p(&["outputs"]), tag);
        assert_eq!(read("outputs.m.outputs[0].uri"), None);
        assert_eq!(read("outputs.m.outputs[1]['size'] + 1"), None);
        assert_eq!(
            read("outputs.m.outputs[0].rows | length"),
            Some(ReadKind::Rows)
        );
        assert_eq!(
            read("outputs.m.outputs[0].uri ~ outputs.m.outputs[1].row"),
            Some(ReadKind::Rows)
        );
        assert_eq!(read("outputs.m.outputs[0]"), Some(ReadKind::Whole));
        assert_eq!(read("outputs.m.outputs | json"), Some(ReadKind::Whole));
        assert_eq!(queries.read_change("m", &[], ""), Some(ReadKind::Whole));
    }

    #[test]
    fn mode_follows_kestra_precedence() {
        let map = |pairs: &[(&str, Value)]| {
            Value::Map(
                pairs
                    .iter()
                    .map(|(k, v)| (Value::String(k.to_string()), v.clone()))
                    .collect(),
            )
        };
        let t = Value::Bool(true);
        let f = Value::Bool(false);
        let s = |x: &str| Value::String(x.into());
        assert_eq!(mode_of(&map(&[])), Ok(Mode::None));
        assert_eq!(
            mode_of(&map(&[("store", t.clone()), ("fetchOne", t.clone())])),
            Ok(Mode::FetchOne)
        );
        assert_eq!(
            mode_of(&map(&[("fetch", t.clone()), ("store", t.clone())])),
            Ok(Mode::Fetch)
        );
        assert_eq!(
            mode_of(&map(&[("fetch", f.clone()), ("fetchType", s("STORE"))])),
            Ok(Mode::Store)
        );
        assert_eq!(
            mode_of(&map(&[("store", t), ("fetchType", s("FETCH"))])),
            Ok(Mode::Store),
            "a boolean overrides fetchType"
        );
        assert_eq!(mode_of(&map(&[("fetch", s("{{ x }}"))])), Err("fetch"));
        assert_eq!(
            mode_of(&map(&[("fetchType", s("{{ inputs.m }}"))])),
            Ok(Mode::Other(s("{{ inputs.m }}")))
        );
    }

    #[test]
    fn options() {
        let mut t = toml::Table::new();
        assert!(FetchToStore.check_options(&t).is_ok());
        t.insert("fetch-size".into(), toml::Value::Integer(5000));
        assert!(FetchToStore.check_options(&t).is_ok());
        t.insert("fetch-size".into(), toml::Value::Integer(0));
        assert!(FetchToStore
            .check_options(&t)
            .unwrap_err()
            .contains("fetch-size"));
        t.insert("fetch-size".into(), toml::Value::String("10".into()));
        assert!(FetchToStore.check_options(&t).is_err());
        let mut u = toml::Table::new();
        u.insert("fetchsize".into(), toml::Value::Integer(1));
        assert!(FetchToStore
            .check_options(&u)
            .unwrap_err()
            .contains("fetchsize"));
    }
}
