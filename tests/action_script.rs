//! The GitHub Action: `scripts/action-run.sh` run by bash with the
//! environment a runner gives a step, on a folder of flows, with the binary
//! under test first on PATH; and `action.yml` checked against the script.

mod common;

use serde_json::Value as Json;
use std::collections::BTreeMap;
mod cli_common;

use std::path::{Path, PathBuf};
use std::process::Command;

const SCRIPT: &str = "scripts/action-run.sh";

use cli_common::{crate_dir, FIXED_FLOW_COMMENTED as FIXED_FLOW, OLD_FLOW_COMMENTED as OLD_FLOW};

/// A runner's folders: the workspace holds `flows/hello.yaml` (old) and
/// `flows/clean.yaml` (nothing to fix).
struct Runner {
    root: tempfile::TempDir,
}

/// What one run of the script left.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    outputs: BTreeMap<String, String>,
    step_summary: String,
}

impl Runner {
    fn new() -> Runner {
        let root = tempfile::tempdir().unwrap();
        let ws = root.path().join("workspace");
        std::fs::create_dir_all(ws.join("flows")).unwrap();
        std::fs::create_dir_all(root.path().join("temp")).unwrap();
        std::fs::write(ws.join("flows/hello.yaml"), OLD_FLOW).unwrap();
        std::fs::write(ws.join("flows/clean.yaml"), FIXED_FLOW).unwrap();
        Runner { root }
    }

    fn workspace(&self) -> PathBuf {
        self.root.path().join("workspace")
    }

    fn flow(&self) -> String {
        std::fs::read_to_string(self.workspace().join("flows/hello.yaml")).unwrap()
    }

    /// Runs the script with `inputs` (`("MODE", "check")` sets
    /// `INPUT_MODE`); the outputs and step summary files start empty.
    fn run(&self, inputs: &[(&str, &str)]) -> Run {
        let root = self.root.path();
        let output_file = root.join("github_output");
        let summary_file = root.join("step_summary");
        std::fs::write(&output_file, "").unwrap();
        std::fs::write(&summary_file, "").unwrap();
        let bin_dir = Path::new(env!("CARGO_BIN_EXE_kestra-fix"))
            .parent()
            .unwrap();
        let path = std::env::join_paths(std::iter::once(bin_dir.to_path_buf()).chain(
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
        ))
        .unwrap();
        let mut cmd = Command::new("bash");
        cmd.arg(crate_dir().join(SCRIPT))
            // The runner starts a step in the workspace; the script must
            // not rely on it, so start it elsewhere.
            .current_dir(root)
            .env("PATH", path)
            .env("GITHUB_OUTPUT", &output_file)
            .env("GITHUB_STEP_SUMMARY", &summary_file)
            .env("GITHUB_WORKSPACE", self.workspace())
            .env("RUNNER_TEMP", root.join("temp"))
            .env("GITHUB_ACTION_PATH", crate_dir())
            .env("GITHUB_ACTIONS", "true");
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("INPUT_") {
                cmd.env_remove(name);
            }
        }
        for (name, value) in inputs {
            cmd.env(format!("INPUT_{name}"), value);
        }
        let out = cmd.output().expect("bash runs");
        let outputs = std::fs::read_to_string(&output_file).unwrap();
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            outputs: parse_outputs(&outputs).unwrap_or_else(|e| panic!("{e}:\n{outputs}")),
            step_summary: std::fs::read_to_string(&summary_file).unwrap(),
        }
    }
}

impl Run {
    fn output(&self, name: &str) -> &str {
        self.outputs
            .get(name)
            .unwrap_or_else(|| panic!("no output {name}: {:?}", self.outputs))
    }

    fn patch(&self) -> String {
        std::fs::read_to_string(self.output("patch")).unwrap()
    }

    fn context(&self) -> String {
        format!(
            "exit {:?}\n--- stdout\n{}--- stderr\n{}--- outputs\n{:?}",
            self.code, self.stdout, self.stderr, self.outputs
        )
    }
}

/// `$GITHUB_OUTPUT` as the runner reads it: `name=value` lines and
/// `name<<DELIMITER` blocks ending at a line equal to the delimiter.
fn parse_outputs(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.is_empty() {
            continue;
        }
        let eq = line.find('=');
        let heredoc = line.find("<<");
        match (eq, heredoc) {
            (Some(e), h) if h.is_none_or(|h| e < h) => {
                out.insert(line[..e].to_string(), line[e + 1..].to_string());
            }
            (_, Some(h)) => {
                let (name, delim) = (&line[..h], &line[h + 2..]);
                let mut value = Vec::new();
                loop {
                    match lines.next() {
                        Some(l) if l == delim => break,
                        Some(l) => value.push(l),
                        None => return Err(format!("{name}: no closing delimiter {delim}")),
                    }
                }
                out.insert(name.to_string(), value.join("\n"));
            }
            _ => return Err(format!("not an output line: {line:?}")),
        }
    }
    Ok(out)
}

#[test]
fn check_mode_annotates_writes_the_patch_and_fails_on_pending_changes() {
    let runner = Runner::new();
    let run = runner.run(&[("ARGS", "flows"), ("MODE", "check")]);
    let ctx = run.context();
    assert_eq!(run.code, Some(1), "{ctx}");
    assert_eq!(run.output("exit-code"), "1", "{ctx}");
    assert_eq!(run.output("changed"), "true", "{ctx}");
    assert!(
        run.stdout.lines().any(|l| l.starts_with(
            "::warning file=flows/hello.yaml,line=6,col=11,endLine=6,endColumn=39,title=kestra-fix migrate-renamed-types::"
        )),
        "{ctx}"
    );
    let patch = run.patch();
    assert!(patch.starts_with("diff --git a/flows/hello.yaml b/flows/hello.yaml\n"));
    assert!(patch.contains("\n+    type: io.kestra.plugin.core.log.Log   # the 0.15 name\n"));
    assert_eq!(
        run.output("summary")
            .split_once("; 0 errors")
            .map(|(s, _)| s),
        Some("kestra-fix: 2 files, 2 flows, 1 would change; findings: migrate-renamed-types 1 (1 fixable)"),
        "{ctx}"
    );
    assert_eq!(runner.flow(), OLD_FLOW, "check mode writes no flow");
    assert!(run
        .step_summary
        .starts_with("### kestra-fix (check): exit 1, changes pending or findings left\n"));
    assert!(run.step_summary.contains(&format!("```diff\n{patch}```\n")));
}

#[test]
fn the_step_summary_fence_outgrows_backticks_in_the_patch() {
    let runner = Runner::new();
    let flow = OLD_FLOW.replace("message: Hello", "message: \"```` not a fence\"");
    std::fs::write(runner.workspace().join("flows/hello.yaml"), &flow).unwrap();
    let run = runner.run(&[("ARGS", "flows"), ("MODE", "check")]);
    assert_eq!(run.code, Some(1), "{}", run.context());
    let patch = run.patch();
    assert!(patch.contains("````"));
    assert!(
        run.step_summary
            .contains(&format!("\n`````diff\n{patch}`````\n")),
        "{}",
        run.step_summary
    );
}

#[test]
fn patch_and_log_lines_cannot_issue_workflow_commands() {
    let runner = Runner::new();
    let run = runner.run(&[("ARGS", "flows"), ("MODE", "check")]);
    let ctx = run.context();
    // Between `::stop-commands::TOKEN` and `::TOKEN::` the runner reads
    // no command.
    let stdout = &run.stdout;
    let start = stdout.find("::stop-commands::").expect(&ctx);
    let token = stdout[start + 17..].lines().next().unwrap();
    assert!(token.len() >= 32, "{ctx}");
    let end = stdout.find(&format!("\n::{token}::\n")).expect(&ctx);
    assert!(stdout[start..end].contains("+    type: io.kestra.plugin.core.log.Log"));
    assert!(run.stderr.starts_with("::stop-commands::"), "{ctx}");
}

#[test]
fn fix_mode_applies_the_fixes_and_outputs_the_applied_patch() {
    let runner = Runner::new();
    let run = runner.run(&[("ARGS", "flows"), ("MODE", "fix")]);
    let ctx = run.context();
    assert_eq!(run.code, Some(0), "{ctx}");
    assert_eq!(run.output("exit-code"), "0");
    assert_eq!(run.output("changed"), "true");
    assert_eq!(runner.flow(), FIXED_FLOW);
    assert!(run
        .patch()
        .contains("\n-    type: io.kestra.core.tasks.log.Log   # the 0.15 name\n"));
    // Fixed findings are history: no annotation.
    assert!(!run.stdout.contains("::warning"), "{ctx}");
    assert!(run.output("summary").contains(", 1 changed; "), "{ctx}");

    let again = runner.run(&[("ARGS", "flows"), ("MODE", "fix")]);
    assert_eq!(again.code, Some(0), "{}", again.context());
    assert_eq!(again.output("changed"), "false");
    assert_eq!(again.patch(), "");
    assert!(again
        .step_summary
        .starts_with("### kestra-fix (fix): exit 0, nothing left to change\n"));
    assert!(!again.step_summary.contains("Patch"));
}

#[test]
fn sarif_mode_writes_the_report_and_changes_nothing() {
    let runner = Runner::new();
    let run = runner.run(&[
        ("ARGS", "flows"),
        ("MODE", "sarif"),
        ("SARIF_FILE", "scan.sarif"),
    ]);
    let ctx = run.context();
    assert_eq!(run.code, Some(1), "{ctx}");
    assert_eq!(run.output("changed"), "true");
    assert_eq!(runner.flow(), OLD_FLOW);
    let sarif = std::fs::read_to_string(runner.workspace().join("scan.sarif")).expect(&ctx);
    let sarif: Json = serde_json::from_str(&sarif).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{sarif}");
    assert_eq!(results[0]["ruleId"], "migrate-renamed-types");
    // The report is the file's alone.
    assert!(!run.stdout.contains("\"ruleId\""), "{ctx}");
}

#[test]
fn the_default_sarif_file_is_in_the_workspace() {
    let runner = Runner::new();
    let run = runner.run(&[("ARGS", "flows"), ("MODE", "sarif")]);
    assert_eq!(run.code, Some(1), "{}", run.context());
    assert!(runner.workspace().join("kestra-fix.sarif").is_file());
}

#[test]
fn empty_args_mean_the_whole_workspace_and_target_version_is_passed() {
    let runner = Runner::new();
    let run = runner.run(&[("ARGS", ""), ("MODE", "check"), ("TARGET_VERSION", "2.0")]);
    let ctx = run.context();
    assert_eq!(run.code, Some(1), "{ctx}");
    // A 2.0 target adds the readiness line: a multi-line output.
    let summary = run.output("summary");
    let lines: Vec<&str> = summary.lines().collect();
    assert_eq!(lines.len(), 2, "{ctx}");
    assert!(lines[0].starts_with("kestra-fix: 2 files, 2 flows, 1 would change;"));
    assert_eq!(
        lines[1],
        "2.0 readiness: 1 flow ready, 1 needs fixes, 0 need manual work"
    );
}

#[test]
fn inputs_are_words_never_shell_code() {
    let runner = Runner::new();
    let ws = runner.workspace();
    let args = "flows $(touch pwned1) ;touch pwned2 `touch pwned3` |touch pwned4 &&touch pwned5 flows/*.yaml ${HOME}";
    let run = runner.run(&[("ARGS", args), ("MODE", "check")]);
    let ctx = run.context();
    // Each word reached kestra-fix as it was written: the ones that are no
    // file are errors, named literally.
    assert_eq!(run.code, Some(2), "{ctx}");
    for word in [
        "$(touch",
        "pwned1)",
        ";touch",
        "`touch",
        "|touch",
        "&&touch",
        "flows/*.yaml",
        "${HOME}",
    ] {
        assert!(
            run.stderr
                .contains(&format!("\n{word}: error: cannot read")),
            "{word}: {ctx}"
        );
    }
    let run = runner.run(&[
        ("ARGS", "flows"),
        ("MODE", "sarif"),
        ("TARGET_VERSION", "2.0; touch pwned6 $(touch pwned7)"),
        ("SARIF_FILE", "$(touch pwned8).sarif"),
    ]);
    assert_eq!(run.code, Some(2), "{}", run.context());
    let run = runner.run(&[("ARGS", "flows"), ("MODE", "check; touch pwned9")]);
    assert_eq!(run.code, Some(2), "{}", run.context());
    assert!(run
        .stdout
        .contains("::error title=kestra-fix::unknown mode"));

    for dir in [
        runner.root.path().to_path_buf(),
        ws.clone(),
        ws.join("flows"),
    ] {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let name = entry.unwrap().file_name();
            assert!(
                !name.to_string_lossy().starts_with("pwned"),
                "{name:?} was created in {}",
                dir.display()
            );
        }
    }
}

#[test]
fn unknown_mode_is_an_error_with_outputs() {
    let runner = Runner::new();
    let run = runner.run(&[("MODE", "lint")]);
    assert_eq!(run.code, Some(2));
    assert_eq!(run.output("exit-code"), "2");
    assert_eq!(run.output("changed"), "false");
    assert!(run
        .step_summary
        .starts_with("### kestra-fix (unknown): exit 2,"));
    assert_eq!(runner.flow(), OLD_FLOW);
}

#[test]
fn outputs_parse_the_way_the_runner_reads_them() {
    let text = "a=1\nb<<EOF\nx=1\n\ny\nEOF\nc=<<d\n";
    let parsed = parse_outputs(text).unwrap();
    assert_eq!(parsed["a"], "1");
    assert_eq!(parsed["b"], "x=1\n\ny");
    assert_eq!(parsed["c"], "<<d");
    assert!(parse_outputs("b<<EOF\nx\n").is_err());
}

fn action() -> Json {
    let text = std::fs::read_to_string(crate_dir().join("action.yml")).unwrap();
    let mut docs = common::saphyr_json(&text).expect("action.yml is YAML");
    assert_eq!(docs.len(), 1);
    docs.remove(0)
}

/// The composite step that runs the script.
fn run_step(action: &Json) -> &Json {
    let steps = action["runs"]["steps"].as_array().unwrap();
    let found: Vec<&Json> = steps
        .iter()
        .filter(|s| s["run"].as_str().is_some_and(|r| r.contains(SCRIPT)))
        .collect();
    assert_eq!(found.len(), 1, "one step runs {SCRIPT}");
    found[0]
}

#[test]
fn action_yml_is_a_composite_action_running_the_script() {
    let action = action();
    assert_eq!(action["runs"]["using"], "composite");
    let step = run_step(&action);
    assert_eq!(step["shell"], "bash");
    assert_eq!(step["id"], "run");
    assert_eq!(
        step["run"],
        format!("bash \"$GITHUB_ACTION_PATH/{SCRIPT}\"")
    );
    assert!(crate_dir().join(SCRIPT).is_file());
    for (name, output) in action["outputs"].as_object().unwrap() {
        assert_eq!(
            output["value"],
            format!("${{{{ steps.run.outputs.{name} }}}}"),
            "output {name}"
        );
    }
    let defaults: BTreeMap<&str, &str> = action["inputs"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str(), v["default"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(
        defaults,
        BTreeMap::from([
            ("args", "."),
            ("mode", "check"),
            ("sarif-file", "kestra-fix.sarif"),
            ("target-version", ""),
        ])
    );
}

#[test]
fn no_run_step_interpolates_an_expression() {
    // `${{ }}` in a script body is pasted in before bash reads it: an input
    // holding `"; rm -rf ~` would run. Values go through `env:`.
    let action = action();
    for step in action["runs"]["steps"].as_array().unwrap() {
        if let Some(run) = step["run"].as_str() {
            assert!(!run.contains("${{"), "{run}");
        }
    }
}

#[test]
fn every_input_the_script_reads_is_declared_and_passed() {
    let action = action();
    let inputs = action["inputs"].as_object().unwrap();
    let env = run_step(&action)["env"].as_object().unwrap();
    // Each variable the step sets carries the input of its name.
    for (var, value) in env {
        let input = value
            .as_str()
            .and_then(|v| v.strip_prefix("${{ inputs."))
            .and_then(|v| v.strip_suffix(" }}"))
            .unwrap_or_else(|| panic!("{var}: {value}"));
        assert!(
            inputs.contains_key(input),
            "{var}: undeclared input {input}"
        );
        assert_eq!(
            *var,
            format!("INPUT_{}", input.to_uppercase().replace('-', "_"))
        );
    }
    assert_eq!(env.len(), inputs.len(), "every input reaches the script");
    let script = std::fs::read_to_string(crate_dir().join(SCRIPT)).unwrap();
    let mut read = Vec::new();
    let mut rest = script.as_str();
    while let Some(i) = rest.find("INPUT_") {
        let name: String = rest[i..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        rest = &rest[i + name.len()..];
        read.push(name);
    }
    assert!(!read.is_empty());
    for name in read {
        assert!(
            env.contains_key(&name),
            "the script reads {name}, not set by action.yml"
        );
    }
}

fn step<'a>(action: &'a Json, id: &str) -> &'a Json {
    action["runs"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no step {id}"))
}

#[test]
fn the_cache_key_hashes_the_sources_and_caches_what_cargo_installs() {
    let action = action();
    let key_step = step(&action, "key");
    assert_eq!(key_step["shell"], "bash");
    let dir = tempfile::tempdir().unwrap();
    let output_file = dir.path().join("github_output");
    std::fs::write(&output_file, "").unwrap();
    let out = Command::new("bash")
        .args(["-e", "-c", key_step["run"].as_str().unwrap()])
        .current_dir(dir.path())
        .env("GITHUB_ACTION_PATH", crate_dir())
        .env("GITHUB_OUTPUT", &output_file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let outputs = parse_outputs(&std::fs::read_to_string(&output_file).unwrap()).unwrap();
    let hash = &outputs["hash"];
    assert!(
        hash.len() == 32 && hash.chars().all(|c| c.is_ascii_hexdigit()),
        "{hash:?}"
    );

    let cache = step(&action, "cache");
    assert_eq!(cache["with"]["path"], "~/.cargo/bin/kestra-fix");
    assert!(cache["with"]["key"]
        .as_str()
        .unwrap()
        .ends_with("-${{ steps.key.outputs.hash }}"));
    let install = action["runs"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.contains("cargo install"))
        })
        .unwrap();
    assert_eq!(install["if"], "steps.cache.outputs.cache-hit != 'true'");
    let installs: Vec<&str> = action["runs"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["run"].as_str())
        .filter(|r| r.contains("cargo install"))
        .collect();
    assert_eq!(
        installs,
        ["cargo install --locked --root \"$HOME/.cargo\" --path \"$GITHUB_ACTION_PATH\""]
    );
}
