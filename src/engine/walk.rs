//! Finding the YAML files a run covers.

use super::error::{Error, ErrorKind};
use std::path::{Path, PathBuf};

pub(crate) fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yml" | "yaml")
    )
}

/// Every `*.yml`/`*.yaml` under `paths`, sorted, without duplicates.
/// Folders honour `.gitignore`, `.ignore` and git excludes unless
/// `no_ignore`; a file named on the command line is always taken.
pub fn discover(paths: &[PathBuf], no_ignore: bool) -> (Vec<PathBuf>, Vec<Error>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for root in paths {
        if root.is_file() {
            files.push(root.clone());
            continue;
        }
        if let Err(e) = std::fs::metadata(root) {
            let kind = if is_symlink_loop(root) {
                ErrorKind::SymlinkLoop
            } else if e.kind() == std::io::ErrorKind::NotFound {
                let e = std::io::Error::new(e.kind(), "no such file or directory");
                ErrorKind::Read(e)
            } else {
                ErrorKind::Read(e)
            };
            errors.push(Error::new(root, None, kind));
            continue;
        }
        let walker = ignore::WalkBuilder::new(root)
            .standard_filters(!no_ignore)
            // Flows often live in dot-folders (`.kestra/`); VCS data never.
            .hidden(false)
            .require_git(false)
            .filter_entry(|e| e.file_name() != ".git")
            .build();
        for entry in walker {
            match entry {
                Ok(e) if e.file_type().is_some_and(|t| t.is_file()) && is_yaml(e.path()) => {
                    files.push(e.into_path())
                }
                Ok(_) => {}
                Err(e) => {
                    let path = match &e {
                        ignore::Error::WithPath { path, .. } => path.clone(),
                        _ => root.clone(),
                    };
                    errors.push(Error::new(
                        path,
                        None,
                        ErrorKind::Read(std::io::Error::other(e)),
                    ));
                }
            }
        }
    }
    files.sort();
    files.dedup();
    (files, errors)
}

/// Whether following `path`'s symbolic links comes back to one already
/// followed (the OS only says "too many levels", and a dangling link and
/// a loop both fail `exists`).
fn is_symlink_loop(path: &Path) -> bool {
    let mut seen = std::collections::HashSet::new();
    let mut at = path.to_path_buf();
    while let Ok(target) = std::fs::read_link(&at) {
        let next = match at.parent() {
            Some(dir) => dir.join(&target),
            None => target,
        };
        let key = std::path::absolute(&next).unwrap_or(next.clone());
        if !seen.insert(key) {
            return true;
        }
        at = next;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_only_and_gitignore_respected() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join(".gitignore"), "skipped.yml\n").unwrap();
        for f in ["a.yaml", "b.yml", "skipped.yml", "c.txt"] {
            std::fs::write(d.join(f), "x: 1\n").unwrap();
        }
        let (files, errors) = discover(&[d.to_path_buf()], false);
        assert!(errors.is_empty());
        let names: Vec<_> = files
            .iter()
            .map(|p| p.file_name().unwrap().to_str().unwrap())
            .collect();
        assert_eq!(names, ["a.yaml", "b.yml"]);
        let (all, _) = discover(&[d.to_path_buf()], true);
        assert_eq!(all.len(), 3);
        let (missing, errors) = discover(&[d.join("nope")], false);
        assert!(missing.is_empty() && errors.len() == 1);
        assert!(errors[0].to_string().contains("no such file or directory"));
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loops_are_named_and_dangling_links_are_missing() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::os::unix::fs::symlink("b.yaml", d.join("a.yaml")).unwrap();
        std::os::unix::fs::symlink("a.yaml", d.join("b.yaml")).unwrap();
        std::os::unix::fs::symlink("nowhere.yaml", d.join("dangling.yaml")).unwrap();
        let (files, errors) = discover(&[d.join("a.yaml"), d.join("dangling.yaml")], false);
        assert!(files.is_empty());
        assert!(
            matches!(errors[0].kind, ErrorKind::SymlinkLoop),
            "{}",
            errors[0]
        );
        assert!(
            matches!(errors[1].kind, ErrorKind::Read(_)),
            "{}",
            errors[1]
        );
        assert!(errors[1].to_string().contains("no such file or directory"));
    }
}
