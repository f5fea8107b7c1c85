//! `repos run` end to end over bare repositories, the Markdown PR body,
//! and the bulk-migration Kestra flow.

mod cli_common;
use cli_common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn have_git() -> bool {
    let found = Command::new("git").arg("--version").output().is_ok();
    if !found {
        eprintln!("skipping: `git` is not on PATH");
    }
    found
}

/// Git with no user or system config (so no identity) unless `global`
/// says otherwise, for this test's git calls and kestra-fix's.
struct Sandbox {
    root: tempfile::TempDir,
}

impl Sandbox {
    fn new(global: &str) -> Self {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("gitconfig"), global).unwrap();
        Sandbox { root }
    }

    fn path(&self) -> &Path {
        self.root.path()
    }

    fn env(&self, cmd: &mut Command) {
        cmd.env("GIT_CONFIG_GLOBAL", self.path().join("gitconfig"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", self.path());
        for var in [
            "GIT_AUTHOR_NAME",
            "GIT_AUTHOR_EMAIL",
            "GIT_COMMITTER_NAME",
            "GIT_COMMITTER_EMAIL",
            "EMAIL",
            "GIT_DIR",
            "GIT_WORK_TREE",
        ] {
            cmd.env_remove(var);
        }
    }

    fn git(&self, dir: &Path, args: &[&str]) -> String {
        let mut cmd = Command::new("git");
        cmd.args(args).current_dir(dir);
        self.env(&mut cmd);
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    /// A bare repository `name.git` whose `branch` holds `files`.
    fn remote(&self, name: &str, branch: &str, files: &[(&str, &str)]) -> PathBuf {
        let bare = self.path().join(format!("{name}.git"));
        self.git(
            self.path(),
            &[
                "init",
                "-q",
                "--bare",
                &format!("--initial-branch={branch}"),
                bare.to_str().unwrap(),
            ],
        );
        self.push(&bare, branch, files, "seed");
        bare
    }

    /// Commits `files` onto `branch` of `bare`, from a fresh clone.
    fn push(&self, bare: &Path, branch: &str, files: &[(&str, &str)], message: &str) {
        let work = tempfile::tempdir_in(self.path()).unwrap();
        let dir = work.path();
        self.git(dir, &["clone", "-q", bare.to_str().unwrap(), "."]);
        if self.git(dir, &["branch", "-r"]).contains(branch) {
            self.git(dir, &["checkout", "-q", branch]);
        } else {
            self.git(dir, &["checkout", "-q", "-b", branch]);
        }
        for (path, text) in files {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        self.git(dir, &["add", "-A"]);
        self.git(
            dir,
            &[
                "-c",
                "user.name=seed",
                "-c",
                "user.email=seed@example.com",
                "commit",
                "-qm",
                message,
            ],
        );
        self.git(dir, &["push", "-q", "origin", &format!("HEAD:{branch}")]);
    }

    fn kestra_fix(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = self.command();
        cmd.args(args);
        cmd.output().unwrap()
    }

    /// kestra-fix in the sandbox, with its git settings.
    fn command(&self) -> Command {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("kestra-fix"));
        cmd.current_dir(self.path());
        self.env(&mut cmd);
        cmd
    }

    fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.path().join(path)).unwrap()
    }
}

const INVALID_FLOW: &str = "id: bad\nnamespace: n\ntasks:\n  - id: a\n   type: [\n";

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn three_repositories_get_branches_commits_and_pr_bodies_and_a_rerun_updates_them() {
    if !have_git() {
        return;
    }
    let sb = Sandbox::new("");
    let fixable = sb.remote("fixable", "main", &[("flows/f.yaml", OLD_FLOW)]);
    // `trunk` is found through origin/HEAD, not by name.
    sb.remote(
        "mixed",
        "trunk",
        &[("ok.yaml", OLD_FLOW), ("sub/bad.yaml", INVALID_FLOW)],
    );
    sb.remote("clean", "master", &[("f.yml", NEW_FLOW)]);
    std::fs::write(
        sb.path().join("repos.txt"),
        "# the team's repositories\nfixable.git\n\nmixed.git   # has a broken flow\nclean.git\n",
    )
    .unwrap();
    let args = [
        "repos",
        "run",
        "--repos",
        "repos.txt",
        "--workdir",
        "work",
        "--commit",
        "--jobs",
        "2",
    ];

    let out = sb.kestra_fix(&args);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let table = stdout(&out);
    let rows: Vec<Vec<&str>> = table
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows[0],
        ["REPO", "FLOWS", "CHANGED", "MANUAL", "ERRORS", "BRANCH"]
    );
    assert_eq!(
        rows[1][..6],
        ["fixable", "1", "1", "0", "0", "kestra-fix/migrate"]
    );
    assert_eq!(
        rows[2][..6],
        ["mixed", "1", "1", "0", "1", "kestra-fix/migrate"]
    );
    assert_eq!(rows[3], ["clean", "1", "0", "0", "0", "no", "changes"]);
    assert_contains(
        &stderr(&out),
        "work/mixed/sub/bad.yaml:5:4: error: invalid YAML",
    );

    // The branch: one commit on the default branch, with the fixes.
    let clone = sb.path().join("work/fixable");
    let log = sb.git(
        &clone,
        &["log", "--format=%an <%ae>|%B", "main..kestra-fix/migrate"],
    );
    assert_eq!(
        log,
        "kestra-fix <kestra-fix@localhost>|kestra-fix: migrate Kestra flows\n\n- migrate-renamed-types: 1 fix"
    );
    assert_eq!(
        sb.git(&clone, &["show", "kestra-fix/migrate:flows/f.yaml"]) + "\n",
        NEW_FLOW
    );
    let mixed = sb.path().join("work/mixed");
    assert_eq!(
        sb.git(
            &mixed,
            &["rev-list", "--count", "origin/trunk..kestra-fix/migrate"]
        ),
        "1"
    );
    assert_eq!(
        sb.git(&mixed, &["show", "kestra-fix/migrate:sub/bad.yaml"]) + "\n",
        INVALID_FLOW.to_string() + ""
    );
    let clean = sb.path().join("work/clean");
    assert_eq!(
        sb.git(&clean, &["rev-parse", "kestra-fix/migrate"]),
        sb.git(&clean, &["rev-parse", "origin/master"])
    );

    // The PR bodies, beside the clones.
    let body = sb.read("work/fixable.PR.md");
    assert_contains(&body, "| `migrate-renamed-types` | 1 | 0 | 0 |");
    assert!(!body.contains("Errors"), "{body}");
    let body = sb.read("work/mixed.PR.md");
    assert_contains(&body, "### Errors (1)");
    assert_contains(&body, "- `sub/bad.yaml:5`: invalid YAML");
    assert!(sb.read("work/clean.PR.md").contains("No findings."));
    assert!(!clone.join("fixable.PR.md").exists());

    // A re-run after the default branch moved rebuilds the branch on it.
    sb.push(
        &fixable,
        "main",
        &[("flows/g.yaml", OLD_FLOW)],
        "another flow",
    );
    let out = sb.kestra_fix(&args);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_contains(&stdout(&out), "fixable      2        2");
    assert_eq!(
        sb.git(
            &clone,
            &["log", "--format=%s", "origin/main..kestra-fix/migrate"]
        ),
        "kestra-fix: migrate Kestra flows"
    );
    assert_eq!(
        sb.git(
            &clone,
            &["log", "-1", "--format=%s", "kestra-fix/migrate~1"]
        ),
        "another flow"
    );
    assert_eq!(
        sb.git(&clone, &["show", "kestra-fix/migrate:flows/g.yaml"]) + "\n",
        NEW_FLOW
    );
}

#[test]
fn clean_repositories_exit_0_and_left_findings_exit_1() {
    if !have_git() {
        return;
    }
    let sb = Sandbox::new("");
    sb.remote("clean", "main", &[("f.yaml", NEW_FLOW)]);
    std::fs::write(sb.path().join("repos.txt"), "clean.git\n").unwrap();
    let out = sb.kestra_fix(&["repos", "run", "--repos", "repos.txt", "--commit"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(sb.path().join("kestra-fix-repos/clean.PR.md").exists());

    let unknown = "id: f\nnamespace: n\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n    colour: red\n";
    sb.remote("left", "main", &[("f.yaml", unknown)]);
    std::fs::write(sb.path().join("repos.txt"), "clean.git\nleft.git\n").unwrap();
    let out = sb.kestra_fix(&[
        "repos",
        "run",
        "--repos",
        "repos.txt",
        "--",
        "--target-version",
        "2.0",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_contains(
        &stdout(&out),
        "left       1        0       1       0  no changes",
    );
    let body = sb.read("kestra-fix-repos/left.PR.md");
    assert_contains(&body, "- `f.yaml:7` `unknown-properties`: `io.kestra.plugin.core.log.Log` has no property `colour`");
}

#[test]
fn commit_per_codemod_pushes_with_the_configured_identity_and_opens_the_pr() {
    if !have_git() {
        return;
    }
    let sb = Sandbox::new("[user]\n\tname = Alice\n\temail = alice@example.com\n");
    let flow = "id: f\nnamespace: n\ninputs:\n  - name: who\n    type: STRING\n    defaults: me\ntasks:\n  - id: log\n    type: io.kestra.core.tasks.log.Log\n    message: hi\n";
    let bare = sb.remote("r", "main", &[("f.yaml", flow)]);
    std::fs::write(sb.path().join("repos.txt"), "r.git\n").unwrap();
    // A `gh` that logs its arguments and has no PR for the branch yet.
    let bin = sb.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let gh = bin.join("gh");
    std::fs::write(
        &gh,
        "#!/bin/sh\necho \"$@\" >> \"$(dirname \"$0\")/gh.log\"\ncase \"$2\" in\n  view) exit 1 ;;\n  create) echo https://example.test/pr/1 ;;\nesac\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&gh, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = std::env::join_paths(
        std::iter::once(bin.clone())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let mut cmd = sb.command();
    cmd.args([
        "repos",
        "run",
        "--repos",
        "repos.txt",
        "--commit-per-codemod",
        "--push",
        "--open-pr",
        "--",
        "--target-version",
        "2.0",
        "--select",
        "migrate-renamed-types,input-name-to-id",
    ]);
    let out = cmd.env("PATH", path).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_contains(&stderr(&out), "r: pull request: https://example.test/pr/1");
    let calls = std::fs::read_to_string(bin.join("gh.log")).unwrap();
    let body = sb.path().join("kestra-fix-repos/r.PR.md");
    assert_eq!(
        calls,
        format!(
            "pr view kestra-fix/migrate --json url --jq .url\npr create --head kestra-fix/migrate --base main --title kestra-fix: migrate Kestra flows to 2.0 --body-file {}\n",
            body.display()
        )
    );

    // In the bare remote: one commit per codemod, in the registry's order.
    let log = sb.git(
        &bare,
        &["log", "--format=%an|%s", "main..kestra-fix/migrate"],
    );
    let subjects: Vec<&str> = log.lines().rev().collect();
    let order = |name: &str| {
        kestra_fix::codemods::all()
            .iter()
            .position(|c| c.name() == name)
            .unwrap()
    };
    let (first, second) = if order("migrate-renamed-types") < order("input-name-to-id") {
        ("migrate-renamed-types (1 fix)", "input-name-to-id (1 fix)")
    } else {
        ("input-name-to-id (1 fix)", "migrate-renamed-types (1 fix)")
    };
    assert_eq!(
        subjects,
        [
            format!("Alice|kestra-fix: {first}"),
            format!("Alice|kestra-fix: {second}")
        ]
    );
    let pushed = sb.git(&bare, &["show", "kestra-fix/migrate:f.yaml"]);
    assert_contains(&pushed, "  - id: who");
    assert_contains(&pushed, "io.kestra.plugin.core.log.Log");

    // Without `gh`, the command to run instead.
    let mut cmd = sb.command();
    cmd.args([
        "repos",
        "run",
        "--repos",
        "repos.txt",
        "--commit",
        "--push",
        "--open-pr",
    ]);
    let git_only = sb.path().join("git-only");
    std::fs::create_dir_all(&git_only).unwrap();
    let git = std::env::split_paths(&std::env::var_os("PATH").unwrap())
        .map(|d| d.join("git"))
        .find(|p| p.is_file())
        .unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(git, git_only.join("git")).unwrap();
    let out = cmd.env("PATH", &git_only).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_contains(
        &stderr(&out),
        "r: `gh` is not on PATH; open the pull request with:\n  cd ",
    );
    assert_contains(&stderr(&out), "gh pr create --head kestra-fix/migrate --base main --title 'kestra-fix: migrate Kestra flows'");
}

#[test]
fn run_options_after_the_separator_are_checked() {
    let sb = Sandbox::new("");
    std::fs::write(sb.path().join("repos.txt"), "").unwrap();
    let out = sb.kestra_fix(&[
        "repos",
        "run",
        "--repos",
        "repos.txt",
        "--",
        "--selekt",
        "x",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = sb.kestra_fix(&["repos", "run", "--repos", "repos.txt", "--", "flows/"]);
    assert_eq!(out.status.code(), Some(2));
    assert_contains(&stderr(&out), "run options only");
    let out = sb.kestra_fix(&["repos", "run", "--repos", "repos.txt", "--push"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--push needs --commit"));
}

/// A flow run creating namespace files and child flows, with a finding
/// whose message holds Markdown and HTML.
#[test]
fn markdown_pr_body_of_a_fixture_run() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("flows")).unwrap();
    std::fs::write(
        root.join("kestra-fix.toml"),
        "[extract-inline-scripts]\nmin-lines = 1\n\n[split-flow]\nmax-tasks = 2\n",
    )
    .unwrap();
    std::fs::write(
        root.join("flows/etl.yaml"),
        "id: etl\nnamespace: company.team\ntasks:\n  - id: transform\n    type: io.kestra.plugin.scripts.python.Script\n    script: |\n      import pandas as pd\n      print(pd.__version__)\n",
    )
    .unwrap();
    let logs: String = ["one", "two", "three"]
        .iter()
        .map(|t| {
            format!("  - id: {t}\n    type: io.kestra.plugin.core.log.Log\n    message: {t}\n")
        })
        .collect();
    std::fs::write(
        root.join("flows/big.yaml"),
        format!("id: big\nnamespace: company.team\ntasks:\n{logs}"),
    )
    .unwrap();
    std::fs::write(
        root.join("flows/weird.yaml"),
        "id: weird\nnamespace: company.team\ntasks:\n  - id: log\n    type: io.kestra.core.tasks.log.Log\n    message: hi\n    \"x|<b>*y*`\": 1\n    \"<img src=x>\": 2\n",
    )
    .unwrap();
    let out = kestra_fix(root)
        .args([
            "--select",
            "extract-inline-scripts,split-flow,unknown-properties,migrate-renamed-types",
            "--unsafe-fixes",
            "--output-format",
            "markdown",
            "flows",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let body = stdout(&out);
    // HTML only inside code spans, where it is shown, not rendered.
    assert!(!body.contains("<b>"), "{body}");
    assert_contains(&body, "`<img src=x>`");
    insta::with_settings!({snapshot_path => "../snapshots/report", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("markdown_pr_body", body);
    });

    // In a dry run the body goes to stderr, the patch stays alone on stdout.
    let out = kestra_fix(root)
        .args(["--dry-run", "--output-format", "markdown", "flows"])
        .output()
        .unwrap();
    assert!(stderr(&out).starts_with("## kestra-fix: Kestra flow migration"));
    assert!(!stdout(&out).contains("## kestra-fix"));
}

#[test]
fn the_bulk_migration_flow_is_ready_for_kestra_2_0() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let flow = "integrations/kestra/bulk-migrate.yaml";
    let out = kestra_fix(root)
        .args(["--target-version", "2.0", "--dry-run", flow])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "", "nothing pending");
    assert_contains(&stderr(&out), "1 flow");
    let out = kestra_fix(root)
        .args([
            "--target-version",
            "2.0",
            "--dry-run",
            "--select",
            "unknown-properties,removed-types,sdk-auth",
            "--output-format",
            "json",
            flow,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(report["findings"], serde_json::json!([]), "{report:#}");
}

#[test]
fn a_folder_in_the_way_is_that_repositorys_error_only() {
    if !have_git() {
        return;
    }
    let sb = Sandbox::new("");
    sb.remote("blocked", "main", &[("f.yaml", OLD_FLOW)]);
    sb.remote("fine", "main", &[("f.yaml", OLD_FLOW)]);
    std::fs::create_dir_all(sb.path().join("kestra-fix-repos/blocked")).unwrap();
    std::fs::write(sb.path().join("repos.txt"), "blocked.git\nfine.git\n").unwrap();
    let out = sb.kestra_fix(&["repos", "run", "--repos", "repos.txt", "--commit"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("blocked: error: `") && stderr(&out).contains("is not a git clone"),
        "{}",
        stderr(&out)
    );
    let table = stdout(&out);
    assert_contains(&table, "blocked      0        0       0       1  -");
    assert_contains(
        &table,
        "fine         1        1       0       0  kestra-fix/migrate @ ",
    );
}
