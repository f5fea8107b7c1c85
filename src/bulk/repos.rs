//! The `--repos` file and the folder name each repository gets.

/// One repository of the list: as written, and its folder name in the
/// workdir (`None` when two entries cannot be told apart by name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoSpec {
    pub source: String,
    pub name: Option<String>,
    /// Line in the file, for messages.
    pub line: usize,
}

/// One URL or local path per line; `#` starts a comment (at the start of
/// a line or after whitespace, so `#` inside a URL stays), blanks are
/// ignored.
pub fn parse(text: &str) -> Vec<RepoSpec> {
    let entries: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let line = match line.find(" #").or(line.find("\t#")) {
                Some(at) => &line[..at],
                None => line,
            };
            let line = line.trim();
            (!line.is_empty() && !line.starts_with('#')).then_some((i + 1, line))
        })
        .collect();
    let short: Vec<String> = entries.iter().map(|(_, s)| segments(s, 1)).collect();
    let long: Vec<String> = entries.iter().map(|(_, s)| segments(s, 2)).collect();
    let count = |names: &[String], n: &str| names.iter().filter(|x| *x == n).count();
    let mut taken: Vec<String> = Vec::new();
    entries
        .iter()
        .enumerate()
        .map(|(i, (line, source))| {
            // `org-a/etl` and `org-b/etl` become `org-a-etl`, `org-b-etl`.
            let name = if count(&short, &short[i]) == 1 {
                short[i].clone()
            } else {
                long[i].clone()
            };
            let name = (!name.is_empty() && !taken.contains(&name)).then(|| {
                taken.push(name.clone());
                name
            });
            RepoSpec {
                source: source.to_string(),
                name,
                line: *line,
            }
        })
        .collect()
}

/// The last `n` path segments of a URL, scp-style address or path, without
/// `.git`, joined by `-`, with only characters safe in a folder name.
fn segments(source: &str, n: usize) -> String {
    let trimmed = source.trim_end_matches(['/', '\\']);
    let trimmed = trimmed.strip_suffix(".git").unwrap_or(trimmed);
    let parts: Vec<&str> = trimmed
        .split(['/', '\\', ':'])
        .filter(|p| !p.is_empty())
        .collect();
    let tail = &parts[parts.len().saturating_sub(n)..];
    let name: String = tail
        .join("-")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    // `.`/`..` would point at the workdir or above it.
    if name.chars().all(|c| c == '.') {
        String::new()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<Option<String>> {
        parse(text).into_iter().map(|r| r.name).collect()
    }

    #[test]
    fn comments_and_blanks_are_ignored() {
        let specs = parse("# repos\n\nhttps://x/org/etl.git  # main one\n  ../local/flows/\n");
        let sources: Vec<_> = specs.iter().map(|r| (r.line, r.source.as_str())).collect();
        assert_eq!(
            sources,
            [(3, "https://x/org/etl.git"), (4, "../local/flows/")]
        );
        assert_eq!(
            names("https://x/org/etl.git\n../local/flows/\n"),
            [Some("etl".into()), Some("flows".into())]
        );
    }

    #[test]
    fn same_names_take_their_owner() {
        assert_eq!(
            names("git@github.com:a/etl.git\nhttps://github.com/b/etl\n"),
            [Some("a-etl".into()), Some("b-etl".into())]
        );
        assert_eq!(
            names("https://x/a/etl\nhttps://x/a/etl\n"),
            [Some("a-etl".into()), None]
        );
    }

    #[test]
    fn names_cannot_leave_the_workdir() {
        assert_eq!(names(".."), [None]);
        assert_eq!(names("x/a b$"), [Some("a-b-".into())]);
    }
}
