//! The repository needs nothing beside it: no source, test, bench or CI
//! script reaches outside the crate for data (the corpora are vendored in
//! `tests/data`, the catalog in `data/`).

use std::path::Path;

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            // Vendored data is not code.
            if path.ends_with("tests/data") {
                continue;
            }
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn nothing_reads_outside_the_crate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = Vec::new();
    for dir in ["src", "tests", "benches", "tools", ".ci"] {
        files(&root.join(dir), &mut all);
    }
    assert!(all.len() > 20, "{all:?}");
    // Built from pieces so this file does not match itself.
    let outside = ["..", "/", "shared"].concat();
    let offenders: Vec<_> = all
        .iter()
        .filter(|p| std::fs::read_to_string(p).is_ok_and(|text| text.contains(outside.as_str())))
        .collect();
    assert!(
        offenders.is_empty(),
        "these read outside the crate: {offenders:?}"
    );
}
