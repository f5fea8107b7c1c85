//! split-flow on generated oversized flows and on every case: structural
//! checks of the parent and the children it writes.
//!
//! Public corpora hold no flow over 100 tasks, so [`oversized_flow`]
//! generates them: containers, cross-part references, inputs, vars, a flow
//! output and an errors handler.

use kestra_fix::engine::config::{Config, Overrides, Settings};
use kestra_fix::engine::process::process_file;
use kestra_fix::engine::verify::Verifier;
use kestra_fix::fix::oracle as data;
use kestra_fix::kestra::pebble::{references, Reference};
use kestra_fix::syntax::value::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// A flow with `n` top-level entries (every 7th a Parallel of 3, every 11th
/// an If with two branches), each 5th reading an output 30 tasks back, and
/// inputs, vars, a flow output and an errors handler reading late values.
pub fn oversized_flow(n: usize) -> String {
    let mut s = String::from(
        "id: big\nnamespace: company.team\n\ninputs:\n  - id: day\n    type: STRING\n    defaults: monday\n\nvariables:\n  env: prod\n\npluginDefaults:\n  - type: io.kestra.plugin.core.log.Log\n    values:\n      level: INFO\n\ntasks:\n",
    );
    for i in 0..n {
        if i % 7 == 3 {
            let _ = write!(
                s,
                "  - id: par{i}\n    type: io.kestra.plugin.core.flow.Parallel\n    tasks:\n      - id: p{i}a\n        type: io.kestra.plugin.core.debug.Return\n        format: \"{i}\"\n      - id: p{i}b\n        type: io.kestra.plugin.core.log.Log\n        message: \"{{{{ outputs.p{i}a.value }}}}\"\n"
            );
        } else if i % 11 == 5 {
            let _ = write!(
                s,
                "  # branch {i}\n  - id: if{i}\n    type: io.kestra.plugin.core.flow.If\n    condition: \"{{{{ inputs.day == 'monday' }}}}\"\n    then:\n      - id: y{i}\n        type: io.kestra.plugin.core.log.Log\n        message: \"{{{{ vars.env }}}}\"\n    else:\n      - id: n{i}\n        type: io.kestra.plugin.core.log.Log\n        message: no\n"
            );
        } else if i % 5 == 0 && i >= 30 && (i - 30) % 7 != 3 && (i - 30) % 11 != 5 {
            let _ = write!(
                s,
                "  - id: t{i}\n    type: io.kestra.plugin.core.log.Log\n    message: \"got {{{{ outputs.t{}.value }}}} on {{{{ inputs.day }}}}\"\n",
                i - 30
            );
        } else {
            let _ = write!(
                s,
                "  - id: t{i}\n    type: io.kestra.plugin.core.debug.Return\n    format: \"{i}\"\n"
            );
        }
    }
    let last = (0..n)
        .rev()
        .find(|i| i % 7 != 3 && i % 11 != 5 && !(i % 5 == 0 && *i >= 30))
        .unwrap();
    let _ = write!(
        s,
        "\noutputs:\n  - id: result\n    type: STRING\n    value: \"{{{{ outputs.t{last}.value }}}}\"\n\nerrors:\n  - id: alert\n    type: io.kestra.plugin.core.log.Log\n    message: \"failed after {{{{ outputs.t0.value }}}}\"\n\ntriggers:\n  - id: daily\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: \"0 3 * * *\"\n"
    );
    s
}

fn settings(max_tasks: Option<i64>) -> Settings {
    let overrides = Overrides {
        select: Some(vec!["split-flow".into()]),
        unsafe_fixes: true,
        ..Overrides::default()
    };
    let mut config = Config::default();
    if let Some(m) = max_tasks {
        let mut t = toml::Table::new();
        t.insert("max-tasks".into(), toml::Value::Integer(m));
        config.codemod_options.insert("split-flow".into(), t);
    }
    Settings::resolve(&config, &overrides).unwrap()
}

/// Task ids (maps with `id` and `type`) under the task sections.
fn task_ids(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Map(m) => {
            if let (Some(id), Some(_)) = (v.get("id"), v.get("type")) {
                out.extend(id.as_str().map(String::from));
            }
            for (_, x) in m {
                task_ids(x, out);
            }
        }
        Value::Seq(s) => s.iter().for_each(|x| task_ids(x, out)),
        _ => {}
    }
}

fn strings<'v>(v: &'v Value, out: &mut Vec<&'v str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Map(m) => m.iter().for_each(|(_, x)| strings(x, out)),
        Value::Seq(s) => s.iter().for_each(|x| strings(x, out)),
        Value::Tagged(_, x) => strings(x, out),
        _ => {}
    }
}

fn section_ids(flow: &Value, sections: &[&str]) -> Vec<String> {
    let mut ids = Vec::new();
    for s in sections {
        if let Some(v) = flow.get(s) {
            task_ids(v, &mut ids);
        }
    }
    ids
}

/// Runs split-flow on `path` and checks the result; returns the number
/// of children written.
fn split_and_check(path: &Path, settings: &Settings) -> usize {
    let original = std::fs::read_to_string(path).unwrap();
    let report = process_file(path, settings, &Verifier::default(), true);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    if report.created.is_empty() {
        return 0;
    }
    let before = data::load(&original).unwrap().remove(0);
    let parent_text = std::fs::read_to_string(path).unwrap();
    let parent = data::load(&parent_text).unwrap().remove(0);
    let mut flows: Vec<(PathBuf, Value)> = vec![(path.to_path_buf(), parent.clone())];
    for c in &report.created {
        let text = std::fs::read_to_string(&c.path).unwrap();
        assert_eq!(text, c.contents);
        let parse = kestra_fix::syntax::parse(&text);
        assert!(parse.errors().is_empty(), "{}", c.path.display());
        assert!(kestra_fix::kestra::flow::Flow::cast(&parse).is_some());
        flows.push((c.path.clone(), data::load(&text).unwrap().remove(0)));
    }

    // Each original task is in exactly one flow.
    let sections = ["tasks", "errors", "finally", "afterExecution"];
    let mut was = section_ids(&before, &sections);
    was.sort();
    let parent_calls: Vec<&Value> = match parent.get("tasks") {
        Some(Value::Seq(s)) => s.iter().collect(),
        _ => panic!("parent tasks"),
    };
    let call_ids: BTreeSet<String> = parent_calls
        .iter()
        .map(|c| c.get("id").and_then(Value::as_str).unwrap().to_string())
        .collect();
    let mut now: Vec<String> = section_ids(&parent, &sections)
        .into_iter()
        .filter(|id| !call_ids.contains(id))
        .collect();
    for (_, child) in &flows[1..] {
        now.extend(section_ids(child, &sections));
    }
    now.sort();
    assert_eq!(was, now, "{}", path.display());

    // Each child is called once, with wait and transmitFailed.
    let mut called: BTreeMap<String, usize> = BTreeMap::new();
    for c in &parent_calls {
        assert_eq!(
            c.get("type").and_then(Value::as_str),
            Some("io.kestra.plugin.core.flow.Subflow")
        );
        assert_eq!(c.get("wait"), Some(&Value::Bool(true)));
        assert_eq!(c.get("transmitFailed"), Some(&Value::Bool(true)));
        assert_eq!(c.get("namespace"), before.get("namespace"));
        let id = c.get("flowId").and_then(Value::as_str).unwrap();
        *called.entry(id.to_string()).or_default() += 1;
    }
    for (_, child) in &flows[1..] {
        let id = child.get("id").and_then(Value::as_str).unwrap();
        assert_eq!(called.get(id), Some(&1), "{id} called once");
        assert_eq!(child.get("namespace"), before.get("namespace"));
    }

    // Every `outputs.X` names a task of the same flow (or a call), every
    // `inputs.X` is declared there.
    for (p, flow) in &flows {
        let ids: BTreeSet<String> = section_ids(flow, &sections).into_iter().collect();
        let inputs: BTreeSet<String> = match flow.get("inputs") {
            Some(Value::Seq(s)) => s
                .iter()
                .filter_map(|i| i.get("id").and_then(Value::as_str).map(String::from))
                .collect(),
            _ => BTreeSet::new(),
        };
        let mut texts = Vec::new();
        for (k, v) in match flow {
            Value::Map(m) => m.as_slice(),
            _ => &[],
        } {
            if k.as_str() != Some("triggers") {
                strings(v, &mut texts);
            }
        }
        for s in texts {
            for r in references(s) {
                match r {
                    Reference::Output { task, .. } => {
                        assert!(ids.contains(&task), "{}: outputs.{task}", p.display())
                    }
                    Reference::Input(i) => {
                        assert!(inputs.contains(&i), "{}: inputs.{i}", p.display())
                    }
                    _ => {}
                }
            }
        }
    }

    // A second run changes nothing, on the parent and on every child.
    for (p, _) in &flows {
        let again = process_file(p, settings, &Verifier::default(), false);
        assert!(
            !again.changed() && again.errors.is_empty(),
            "{}: second run",
            p.display()
        );
    }
    report.created.len()
}

#[test]
fn generated_flows_split_into_parts() {
    for (n, max, parts) in [(250, None, 3), (120, Some(40), 4), (101, None, 2)] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.yaml");
        std::fs::write(&path, oversized_flow(n)).unwrap();
        let written = split_and_check(&path, &settings(max));
        assert!(written >= parts, "{n} tasks, max {max:?}: {written} parts");
    }
}

#[test]
fn every_case_passes_the_structural_checks() {
    let cases = Path::new(env!("CARGO_MANIFEST_DIR")).join("codemods/split-flow/cases");
    let mut split = 0;
    for entry in std::fs::read_dir(cases).unwrap() {
        let case = entry.unwrap().path();
        let text = std::fs::read_to_string(&case).unwrap();
        let max = text
            .lines()
            .find_map(|l| l.strip_prefix("# case: option max-tasks="))
            .map(|m| m.trim().parse().unwrap());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(case.file_name().unwrap());
        std::fs::write(&path, &text).unwrap();
        split += usize::from(split_and_check(&path, &settings(max)) > 0);
    }
    assert!(split >= 3);
}

#[test]
fn an_existing_different_child_file_is_a_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.yaml");
    let text = oversized_flow(150);
    std::fs::write(&path, &text).unwrap();
    std::fs::write(dir.path().join("big_part_2.yaml"), "mine\n").unwrap();
    let report = process_file(&path, &settings(None), &Verifier::default(), true);
    assert!(!report.errors.is_empty());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    assert!(!dir.path().join("big_part_1.yaml").exists());
}

#[test]
fn children_carry_the_comments_of_what_they_copy() {
    // Sections after `tasks`, whose rewritten expressions move every later
    // offset: children copy them from the rewritten text.
    let text = "id: c\nnamespace: company.team\ntasks:\n  - id: t1\n    type: io.kestra.plugin.core.debug.Return\n    format: \"{{ vars.env }}\"\n  # the second\n  -   id: t2\n      type: io.kestra.plugin.core.log.Log\n      message: two # inline\n  - id: t3\n    type: io.kestra.plugin.core.log.Log\n    message: \"{{ outputs.t1.value }} {{ inputs.day }}\"\n\ninputs:\n  # which day\n  - id: day\n    type: STRING\n    defaults: monday\n\n# shared\nvariables: # per env\n  env: prod\n";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.yaml");
    std::fs::write(&path, text).unwrap();
    assert_eq!(split_and_check(&path, &settings(Some(2))), 2);
    let part =
        |n: usize| std::fs::read_to_string(dir.path().join(format!("c_part_{n}.yaml"))).unwrap();
    assert_eq!(
        part(1),
        "id: c_part_1\nnamespace: company.team\ndescription: \"Part 1 of 2 of flow c, split by kestra-fix split-flow\"\n\n# shared\nvariables: # per env\n  env: prod\n\ntasks:\n  - id: t1\n    type: io.kestra.plugin.core.debug.Return\n    format: \"{{ vars.env }}\"\n  # the second\n  -   id: t2\n      type: io.kestra.plugin.core.log.Log\n      message: two # inline\n\noutputs:\n  - id: t1_value\n    type: STRING\n    value: \"{{ outputs.t1.value }}\"\n"
    );
    assert_eq!(
        part(2),
        "id: c_part_2\nnamespace: company.team\ndescription: \"Part 2 of 2 of flow c, split by kestra-fix split-flow\"\n\ninputs:\n  # which day\n  - id: day\n    type: STRING\n    defaults: monday\n  - id: t1_value\n    type: STRING\n\ntasks:\n  - id: t3\n    type: io.kestra.plugin.core.log.Log\n    message: \"{{ inputs.t1_value }} {{ inputs.day }}\"\n"
    );
}
