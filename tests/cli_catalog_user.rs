//! User plugin catalogs: `plugin-catalogs` in `kestra-fix.toml`,
//! `--plugin-catalog`, and `catalog import` from a Kestra plugin schema.

mod cli_common;
use cli_common::*;

const FLOW: &str = "\
id: custom
namespace: company.team
tasks:
  - id: deploy
    type: com.acme.Deploy
    cluster: prod
    replica: 3
";

fn run(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = kestra_fix(dir).args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn an_imported_catalog_makes_an_unknown_type_known() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("flow.yaml"), FLOW).unwrap();
    let args = [
        "--target-version",
        "2.0",
        "--select",
        "unknown-properties",
        "flow.yaml",
    ];

    // Without a catalog the type is unknown: one finding, and nothing else.
    let (code, stdout, _) = run(d, &args);
    assert_eq!(code, Some(1));
    assert_contains(&stdout, "`com.acme.Deploy` is not in the plugin catalog");
    assert!(!stdout.contains("replica"), "{stdout}");

    let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/kestra-schema.json");
    std::fs::create_dir(d.join("catalogs")).unwrap();
    let (code, stdout, stderr) = run(
        d,
        &["catalog", "import", schema, "-o", "catalogs/acme.json"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.is_empty());
    assert_contains(&stderr, "imported 5 plugin types");

    // `--plugin-catalog`: the type is known, its typo found.
    let mut with_flag = vec!["--plugin-catalog", "catalogs/acme.json"];
    with_flag.extend(args);
    let (code, stdout, _) = run(d, &with_flag);
    assert_eq!(code, Some(1));
    assert!(!stdout.contains("not in the plugin catalog"), "{stdout}");
    assert_contains(&stdout, "`com.acme.Deploy` has no property `replica`, which Kestra 2.0 rejects; did you mean `replicas`?");

    // The same from the config, its path relative to the config file.
    std::fs::write(
        d.join("kestra-fix.toml"),
        "plugin-catalogs = [\"catalogs/acme.json\"]\n",
    )
    .unwrap();
    std::fs::write(d.join("flow.yaml"), FLOW.replace("replica:", "replicas:")).unwrap();
    let sub = d.join("sub");
    std::fs::create_dir(&sub).unwrap();
    let (code, stdout, stderr) = run(
        &sub,
        &[
            "--target-version",
            "2.0",
            "--select",
            "unknown-properties",
            "..",
        ],
    );
    assert_eq!(code, Some(0), "{stdout}{stderr}");
}

#[test]
fn a_broken_catalog_is_a_config_error_naming_the_file_and_position() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("flow.yaml"), FLOW).unwrap();
    std::fs::write(
        d.join("bad.json"),
        "{\"types\": {\n  \"a.B\": {\"kind\": task}\n}}\n",
    )
    .unwrap();
    std::fs::write(
        d.join("kestra-fix.toml"),
        "plugin-catalogs = [\"bad.json\"]\n",
    )
    .unwrap();
    let (code, _, stderr) = run(d, &["flow.yaml"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("bad.json:2:")
            && stderr.contains("error: invalid config: invalid plugin catalog"),
        "{stderr}"
    );
    let (code, _, stderr) = run(
        d,
        &[
            "--plugin-catalog",
            "nope.json",
            "--config",
            "/dev/null",
            "flow.yaml",
        ],
    );
    assert_eq!(code, Some(2));
    assert_contains(&stderr, "nope.json: error: cannot read");
}

#[test]
fn a_bad_schema_is_reported_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("schema.json"), "{\n  \"definitions\": [}\n").unwrap();
    let (code, stdout, stderr) = run(d, &["catalog", "import", "schema.json"]);
    assert_eq!(code, Some(2));
    assert!(stdout.is_empty());
    assert!(stderr.starts_with("schema.json:2:"), "{stderr}");
    std::fs::write(d.join("schema.json"), "{}").unwrap();
    let (code, _, stderr) = run(d, &["catalog", "import", "schema.json"]);
    assert_eq!(code, Some(2));
    assert_contains(&stderr, "no `definitions` object");
}
