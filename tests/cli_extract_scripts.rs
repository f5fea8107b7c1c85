//! extract-inline-scripts end to end: the dry-run patch, new namespace
//! files included, applies with plain `git apply` to the same tree as an
//! apply run, and a second run changes nothing.

mod cli_common;
use cli_common::*;
use std::path::Path;

const FLOW: &str = "\
id: etl
namespace: company.team
tasks:
  - id: transform # the ETL step
    type: io.kestra.plugin.scripts.python.Script
    beforeCommands:
      - pip install pandas
    script: |
      import pandas as pd

      df = pd.read_csv(\"orders.csv\")
      print(df.describe())
  - id: report
    type: io.kestra.plugin.scripts.shell.Script
    script: >-
      echo one;
      echo two;
      echo three
";

fn setup(dir: &Path) {
    std::fs::create_dir_all(dir.join("flows")).unwrap();
    std::fs::write(dir.join("flows/etl.yaml"), FLOW).unwrap();
    std::fs::write(
        dir.join("kestra-fix.toml"),
        "[extract-inline-scripts]\nmin-lines = 1\n",
    )
    .unwrap();
}

#[test]
fn dry_run_patch_creates_the_same_files_as_an_apply_run() {
    let patched = repo();
    let applied = repo();
    setup(patched.path());
    setup(applied.path());
    let before = tree(patched.path());
    let select = ["--select", "extract-inline-scripts"];

    let dry = kestra_fix(patched.path())
        .args(select)
        .args(["--dry-run", "flows"])
        .output()
        .unwrap();
    assert_eq!(
        dry.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&dry.stderr)
    );
    assert_eq!(tree(patched.path()), before, "a dry run writes nothing");
    let patch = String::from_utf8(dry.stdout).unwrap();
    assert_contains(
        &patch,
        "new file mode 100644\n--- /dev/null\n+++ b/flows/_files/scripts/etl/transform.py\n",
    );
    std::fs::write(patched.path().join("fix.patch"), &patch).unwrap();
    git(patched.path(), &["apply", "--check", "fix.patch"]);
    git(patched.path(), &["apply", "fix.patch"]);
    std::fs::remove_file(patched.path().join("fix.patch")).unwrap();

    let run = kestra_fix(applied.path())
        .args(select)
        .arg("flows")
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let after = tree(applied.path());
    assert_eq!(tree(patched.path()), after);
    assert_eq!(
        after[Path::new("flows/_files/scripts/etl/transform.py")],
        b"import pandas as pd\n\ndf = pd.read_csv(\"orders.csv\")\nprint(df.describe())\n"
    );
    assert_eq!(
        after[Path::new("flows/_files/scripts/etl/report.sh")],
        b"echo one; echo two; echo three"
    );
    let flow = String::from_utf8(after[Path::new("flows/etl.yaml")].clone()).unwrap();
    assert_contains(
        &flow,
        "  - id: transform # the ETL step\n    type: io.kestra.plugin.scripts.python.Commands\n",
    );
    assert_contains(&flow, "      - . ./scripts/etl/report.sh\n");

    // Idempotent: the files exist with the same contents, nothing to do.
    let again = kestra_fix(applied.path())
        .args(select)
        .args(["--dry-run", "flows"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0));
    assert!(again.stdout.is_empty());
}

#[test]
fn a_different_file_in_the_way_is_a_conflict_and_nothing_is_written() {
    let dir = repo();
    setup(dir.path());
    let mine = dir.path().join("flows/_files/scripts/etl/transform.py");
    std::fs::create_dir_all(mine.parent().unwrap()).unwrap();
    std::fs::write(&mine, "print('mine')\n").unwrap();
    let before = tree(dir.path());
    let run = kestra_fix(dir.path())
        .args(["--select", "extract-inline-scripts", "flows"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_contains(&stderr, "exists with different contents");
    assert_eq!(tree(dir.path()), before);
}
