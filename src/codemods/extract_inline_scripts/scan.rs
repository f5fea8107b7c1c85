//! Reading scripts just enough to judge them: Python's bare `true` /
//! `false` / `null`, and where a shell script's Pebble expressions sit.

use crate::kestra::pebble::{tags, TagKind};

/// The prelude Python `Script` (plugin-scripts 1.7+) runs before the code.
pub const PYTHON_PRELUDE: &str = "true=True; false=False; null=None";

/// The first bare `true`, `false` or `null` name in Python code, outside
/// strings and comments and not an attribute (`x.null`). Conservative: a
/// keyword argument or an assignment of that name counts too.
pub fn python_prelude_name(code: &str) -> Option<&'static str> {
    let b = code.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            q @ (b'\'' | b'"') => {
                let triple = b[i..].starts_with(&[q, q, q]);
                i += if triple { 3 } else { 1 };
                while i < b.len() {
                    if b[i] == b'\\' {
                        i += 2;
                        continue;
                    }
                    if triple && b[i..].starts_with(&[q, q, q]) {
                        i += 3;
                        break;
                    }
                    if !triple && (b[i] == q || b[i] == b'\n') {
                        i += 1;
                        break;
                    }
                    i += 1;
                }
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80)
                {
                    i += 1;
                }
                // A string prefix (`f"..."`, `rb'...'`) goes on as a string.
                if i < b.len() && matches!(b[i], b'\'' | b'"') {
                    continue;
                }
                let attribute = code[..start].trim_end_matches([' ', '\t']).ends_with('.');
                if !attribute {
                    match &code[start..i] {
                        "true" => return Some("true"),
                        "false" => return Some("false"),
                        "null" => return Some("null"),
                        _ => {}
                    }
                }
            }
            b'0'..=b'9' => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.')
                {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// A shell script whose `{{ ... }}` expressions became variable reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellRewrite {
    /// The script with each expression replaced by a read of its variable.
    pub script: String,
    /// Each variable and the expression (tag text) it holds, first use first.
    pub vars: Vec<(String, String)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Quote {
    None,
    Single,
    Double,
}

/// Rewrites every Pebble print tag of a shell script into a read of an
/// environment variable that holds the rendered expression. `Err` says why
/// it cannot be done: statements (`{% %}`), Pebble comments, whitespace
/// control, or an expression inside a command substitution, a `${...}`
/// or a heredoc that does not expand.
///
/// `taken` tells whether a variable name is already in use.
pub fn shell_to_env(script: &str, taken: &dyn Fn(&str) -> bool) -> Result<ShellRewrite, String> {
    let found = tags(script);
    if let Some(t) = found.iter().find(|t| t.kind != TagKind::Print) {
        return Err(format!(
            "it uses the Pebble {} `{}`, which cannot become an environment variable",
            if t.kind == TagKind::Statement {
                "statement"
            } else {
                "comment"
            },
            one_line(&script[t.range.clone()])
        ));
    }
    if let Some(t) = found
        .iter()
        .find(|t| t.body.starts_with('-') || t.body.ends_with('-'))
    {
        return Err(format!(
            "`{}` trims whitespace around it, which an environment variable cannot do",
            one_line(&script[t.range.clone()])
        ));
    }
    let ranges: Vec<(usize, usize)> = found.iter().map(|t| (t.range.start, t.range.end)).collect();
    let contexts = shell_contexts(script, &ranges)?;
    let mut vars: Vec<(String, String)> = Vec::new();
    let mut out = String::with_capacity(script.len());
    let mut pos = 0;
    for (tag, quote) in found.iter().zip(contexts) {
        let text = &script[tag.range.clone()];
        let name = match vars.iter().find(|(_, t)| t == text) {
            Some((n, _)) => n.clone(),
            None => {
                let name = var_name(tag.body, script, taken, &vars);
                vars.push((name.clone(), text.to_string()));
                name
            }
        };
        out.push_str(&script[pos..tag.range.start]);
        match quote {
            Quote::Single => out.push_str(&format!("'\"${{{name}}}\"'")),
            Quote::None | Quote::Double => out.push_str(&format!("${{{name}}}")),
        }
        pos = tag.range.end;
    }
    out.push_str(&script[pos..]);
    Ok(ShellRewrite { script: out, vars })
}

fn one_line(s: &str) -> String {
    let first = s.lines().next().unwrap_or("");
    if first.len() < s.len() {
        format!("{first}...")
    } else {
        first.to_string()
    }
}

/// `INPUTS_DATASET_URI` for `inputs.dataset_uri`: the expression's words,
/// upper-cased, made unique against the script and `taken`.
fn var_name(
    body: &str,
    script: &str,
    taken: &dyn Fn(&str) -> bool,
    vars: &[(String, String)],
) -> String {
    let mut base = String::new();
    for c in body.trim().chars() {
        if c.is_ascii_alphanumeric() {
            base.push(c.to_ascii_uppercase());
        } else if !base.ends_with('_') && !base.is_empty() {
            base.push('_');
        }
        if base.len() >= 40 {
            break;
        }
    }
    let base = base.trim_end_matches('_');
    let base = if base.is_empty() || base.starts_with(|c: char| c.is_ascii_digit()) {
        format!("PEBBLE_{base}").trim_end_matches('_').to_string()
    } else {
        base.to_string()
    };
    let used = |n: &str| taken(n) || script.contains(n) || vars.iter().any(|(v, _)| v == n);
    if !used(&base) {
        return base;
    }
    (2..)
        .map(|i| format!("{base}_{i}"))
        .find(|n| !used(n))
        .expect("some suffix is free")
}

/// The quoting at each of the tags at `ranges` (sorted), or why one of
/// them is in a place a variable read cannot stand for it.
fn shell_contexts(script: &str, ranges: &[(usize, usize)]) -> Result<Vec<Quote>, String> {
    let b = script.as_bytes();
    let mut out = Vec::with_capacity(ranges.len());
    let mut next = ranges.iter().map(|r| r.0).peekable();
    let end_of = |start: usize| ranges.iter().find(|r| r.0 == start).map_or(start, |r| r.1);
    let mut quote = Quote::None;
    let mut subst = 0usize; // depth of `$(`, `${` and backticks
    let mut heredocs: Vec<(String, bool)> = Vec::new(); // (delimiter, expands)
    let mut i = 0;
    let mut line_start = true;
    while i < b.len() {
        if next.peek() == Some(&i) {
            if subst > 0 {
                return Err("an expression sits inside a command substitution or `${...}`, where a variable read would be quoted differently".into());
            }
            out.push(quote);
            next.next();
            // The tag's own quotes and braces are Pebble's, not the shell's.
            i = end_of(i);
            line_start = false;
            continue;
        }
        let c = b[i];
        match quote {
            Quote::Single => {
                if c == b'\'' {
                    quote = Quote::None;
                }
                i += 1;
            }
            Quote::Double => {
                match c {
                    b'\\' => i += 1,
                    b'"' if subst == 0 => quote = Quote::None,
                    b'$' if matches!(b.get(i + 1), Some(b'(' | b'{')) => {
                        subst += 1;
                        i += 1;
                    }
                    b')' | b'}' if subst > 0 => subst -= 1,
                    _ => {}
                }
                i += 1;
            }
            Quote::None => {
                match c {
                    b'\\' => i += 1,
                    b'\'' => quote = Quote::Single,
                    b'"' => quote = Quote::Double,
                    b'`' => subst = if subst > 0 { subst - 1 } else { subst + 1 },
                    b'$' if matches!(b.get(i + 1), Some(b'(' | b'{')) => {
                        subst += 1;
                        i += 1;
                    }
                    b')' | b'}' if subst > 0 => subst -= 1,
                    b'#' if line_start
                        || matches!(b.get(i.wrapping_sub(1)), Some(b' ' | b'\t' | b';')) =>
                    {
                        // A comment: the expression in it is still rendered.
                        while i + 1 < b.len() && b[i + 1] != b'\n' {
                            i += 1;
                            if next.peek() == Some(&i) {
                                out.push(Quote::None);
                                next.next();
                            }
                        }
                    }
                    b'<' if b.get(i + 1) == Some(&b'<') && b.get(i + 2) != Some(&b'<') => {
                        let (delim, expands, len) = heredoc_word(&script[i + 2..]);
                        if !delim.is_empty() {
                            heredocs.push((delim, expands));
                        }
                        i += 1 + len;
                    }
                    b'\n' if !heredocs.is_empty() => {
                        // Heredoc bodies follow the line that opened them.
                        let mut j = i + 1;
                        for (delim, expands) in std::mem::take(&mut heredocs) {
                            loop {
                                let end = script[j..].find('\n').map_or(b.len(), |k| j + k);
                                while let Some(&at) = next.peek() {
                                    if at >= end {
                                        break;
                                    }
                                    if !expands {
                                        return Err(format!("an expression sits in a heredoc that does not expand (`<<'{delim}'`)"));
                                    }
                                    out.push(Quote::Double);
                                    next.next();
                                }
                                let line = script[j..end].trim_start_matches('\t');
                                j = (end + 1).min(b.len());
                                if line == delim || end >= b.len() {
                                    break;
                                }
                            }
                        }
                        i = j;
                        line_start = true;
                        continue;
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        line_start = c == b'\n';
    }
    out.extend(next.map(|_| quote));
    Ok(out)
}

/// The delimiter after `<<` (or `<<-`), whether the heredoc expands, and
/// how many bytes the operator's rest takes.
fn heredoc_word(rest: &str) -> (String, bool, usize) {
    let mut len = 0;
    let mut s = rest;
    if let Some(r) = s.strip_prefix('-') {
        s = r;
        len += 1;
    }
    let trimmed = s.trim_start_matches([' ', '\t']);
    len += s.len() - trimmed.len();
    let word: String = trimmed
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, ';' | '&' | '|' | '<' | '>' | '(' | ')'))
        .collect();
    len += word.len();
    let expands = !word.contains(['\'', '"', '\\']);
    let delim = word.replace(['\'', '"', '\\'], "");
    (delim, expands, len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_bare_prelude_names_only_in_code() {
        assert_eq!(python_prelude_name("x = true\n"), Some("true"));
        assert_eq!(python_prelude_name("f(a=null)\n"), Some("null"));
        assert_eq!(python_prelude_name("x = True  # true\n"), None);
        assert_eq!(
            python_prelude_name("s = 'true' + \"\"\"null\nfalse\"\"\"\n"),
            None
        );
        assert_eq!(
            python_prelude_name("s = f'{x}' + obj.null + true_value\n"),
            None
        );
        assert_eq!(
            python_prelude_name("print(json.dumps({'a': false}))\n"),
            Some("false")
        );
    }

    fn rewrite(s: &str) -> Result<ShellRewrite, String> {
        shell_to_env(s, &|n| n == "TAKEN")
    }

    #[test]
    fn shell_expressions_become_variable_reads_by_quoting() {
        let r =
            rewrite("echo \"{{ execution.id }} a\" '{{ execution.id }}' {{ inputs.n }}\n").unwrap();
        assert_eq!(
            r.script,
            "echo \"${EXECUTION_ID} a\" ''\"${EXECUTION_ID}\"'' ${INPUTS_N}\n"
        );
        assert_eq!(
            r.vars,
            [
                ("EXECUTION_ID".to_string(), "{{ execution.id }}".to_string()),
                ("INPUTS_N".to_string(), "{{ inputs.n }}".to_string())
            ]
        );
        let r = rewrite("cat <<EOF\n{{ vars.taken }}\nEOF\n").unwrap();
        assert_eq!(r.script, "cat <<EOF\n${VARS_TAKEN}\nEOF\n");
        let r = rewrite("echo {{ outputs['t'].v }}'x' # {{ taken }}\n").unwrap();
        assert_eq!(r.script, "echo ${OUTPUTS_T_V}'x' # ${TAKEN_2}\n");
        let r = rewrite("TAKEN=1 # {{ taken }}\n").unwrap();
        assert_eq!(r.script, "TAKEN=1 # ${TAKEN_2}\n");
    }

    #[test]
    fn shell_expressions_that_cannot_move() {
        for s in [
            "{% if x %}a{% endif %}",
            "echo {{- x }}",
            "echo $(echo {{ x }})",
            "cat <<'EOF'\n{{ x }}\nEOF\n",
            "echo ${X:-{{ x }}}",
        ] {
            assert!(rewrite(s).is_err(), "{s}");
        }
    }
}
