use super::*;

/// A compact form of a tree: `(op a b)`, `(. base name)`, `(| input f args)`.
fn sexp(e: &Expr) -> String {
    let inv = |i: &Invocation| {
        let args: Vec<String> = i
            .args
            .iter()
            .map(|a| match &a.name {
                Some(n) => format!("{n}={}", sexp(&a.value)),
                None => sexp(&a.value),
            })
            .collect();
        if args.is_empty() {
            i.name.clone()
        } else {
            format!("{}({})", i.name, args.join(" "))
        }
    };
    match &e.kind {
        ExprKind::Name(n) => n.clone(),
        ExprKind::Str {
            value,
            interpolations,
        } => {
            let parts: Vec<String> = interpolations.iter().map(sexp).collect();
            if parts.is_empty() {
                format!("{value:?}")
            } else {
                format!("{value:?}#{{{}}}", parts.join(" "))
            }
        }
        ExprKind::Number(n) => n.clone(),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Null => "null".into(),
        ExprKind::List(items) => {
            format!("[{}]", items.iter().map(sexp).collect::<Vec<_>>().join(" "))
        }
        ExprKind::Map(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|(k, v)| format!("{}:{}", sexp(k), sexp(v)))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        ExprKind::Member { base, name, .. } => format!("(. {} {name})", sexp(base)),
        ExprKind::Index { base, index } => format!("([] {} {})", sexp(base), sexp(index)),
        ExprKind::Call(c) => format!("(call {})", inv(c)),
        ExprKind::MethodCall { base, call } => format!("(.call {} {})", sexp(base), inv(call)),
        ExprKind::Filter { input, filter } => format!("(| {} {})", sexp(input), inv(filter)),
        ExprKind::Test {
            input,
            negated,
            test,
        } => format!(
            "(is{} {} {})",
            if *negated { "-not" } else { "" },
            sexp(input),
            inv(test)
        ),
        ExprKind::Unary { op, operand } => format!("({op} {})", sexp(operand)),
        ExprKind::Binary { op, left, right } => {
            format!("({op} {} {})", sexp(left), sexp(right))
        }
        ExprKind::Ternary {
            condition,
            then,
            otherwise,
        } => format!("(? {} {} {})", sexp(condition), sexp(then), sexp(otherwise)),
    }
}

/// The one print tag of `src`, as a tree, or its first error.
fn print(src: &str) -> String {
    let t = parse(src);
    if let Some(e) = t.errors.first() {
        return format!("error@{}: {}", e.offset, e.message);
    }
    t.expressions().map(sexp).collect::<Vec<_>>().join(" ; ")
}

#[test]
fn tricky_expressions() {
    let table: &[(&str, &str)] = &[
        ("{{ a.b['c'][d] }}", "([] ([] (. a b) \"c\") d)"),
        ("{{ x | json }}", "(| x json)"),
        ("{{x|json}}", "(| x json)"),
        ("{{ json(x).a }}", "(. (call json(x)) a)"),
        ("{{ json (x) }}", "(call json(x))"),
        ("{{ a.json(b) }}", "(.call a json(b))"),
        ("{{ x is json }}", "(is x json)"),
        ("{{ x is not null }}", "(is-not x null)"),
        ("{{ x is divisibleby(3) }}", "(is x divisibleby(3))"),
        ("{{ not a and b or c }}", "(or (and (not a) b) c)"),
        ("{{ 1 + 2 * 3 - -4 }}", "(- (+ 1 (* 2 3)) (- 4))"),
        ("{{ 'a' ~ b | upper }}", "(| (~ \"a\" b) upper)"),
        ("{{ 1..5 }}", "(.. 1 5)"),
        ("{{ 1.5 }}", "1.5"),
        ("{{ list contains 'x' }}", "(contains list \"x\")"),
        ("{{ a == b ? 'y' : 'n' }}", "(? (== a b) \"y\" \"n\")"),
        ("{{ a ? b ? c : d : e }}", "(? a (? b c d) e)"),
        ("{{ inputs.x ?? 'd' }}", "(?? (. inputs x) \"d\")"),
        ("{{ inputs.x ??? 'd' }}", "(??? (. inputs x) \"d\")"),
        (
            "{{ x | date(format='yyyy', timeZone=tz) }}",
            "(| x date(format=\"yyyy\" timeZone=tz))",
        ),
        ("{{ [1, 'a', [true, null]] }}", "[1 \"a\" [true null]]"),
        (
            "{{ {'a': 1, 'b': {'c': []}} }}",
            "{\"a\":1 \"b\":{\"c\":[]}}",
        ),
        ("{{ 'it\\'s' ~ \"q\\\"}}\" }}", "(~ \"it's\" \"q\\\"}}\")"),
        ("{{ \"a #{ x | json } b\" }}", "\"a  b\"#{(| x json)}"),
        ("{{- x -}}", "x"),
        ("{% if x is defined %}", "(is x defined)"),
        ("{% for k, v in outputs.q.rows %}", "(. (. outputs q) rows)"),
        ("{% set x = json(y) %}", "(call json(y))"),
        ("{% macro m(a, b=1) %}", "(call m(a b=1))"),
        ("{{ outputs.my-task.uri }}", "(. (. outputs my-task) uri)"),
        ("{{ a - b }}", "(- a b)"),
        ("{{ prénom.日本 }}", "(. prénom 日本)"),
        ("{{ list.0 }}", "(. list 0)"),
        ("{{ (a + b) * c }}", "(* (+ a b) c)"),
        ("{{ a equals b }}", "(== a b)"),
        // Errors, each with its position.
        (
            "{{ a + }}",
            "error@7: expected an expression, found the end of the tag",
        ),
        ("{{ a b }}", "error@5: unexpected `b`"),
        ("{{ x", "error@0: unclosed tag: `}}` is missing"),
        ("{{ 'abc }}", "error@0: unclosed tag: `}}` is missing"),
        (
            "{# never closed",
            "error@0: unclosed comment: `#}` is missing",
        ),
        ("{{ a @ b }}", "error@5: unexpected character `@`"),
        (
            "{% %}",
            "error@3: expected a tag name, found the end of the tag",
        ),
        (
            "{% raw %}{{ x",
            "error@0: `{% raw %}` has no `{% endraw %}`",
        ),
    ];
    let mut failures = Vec::new();
    for (src, want) in table {
        let got = print(src);
        if got != *want {
            failures.push(format!("{src}\n  want {want}\n  got  {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn ranges_point_at_names() {
    let src = "a {{ x | json }} {{ json(y) }}";
    let t = parse(src);
    let mut names = Vec::new();
    for e in t.expressions() {
        walk(e, &mut |e| match &e.kind {
            ExprKind::Filter { filter: i, .. } | ExprKind::Call(i) => {
                names.push(&src[i.name_range.clone()])
            }
            _ => {}
        });
    }
    assert_eq!(names, ["json", "json"]);
    let Node::Print { tag, expr: Some(e) } = &t.nodes[1] else {
        panic!("{:?}", t.nodes)
    };
    assert_eq!(&src[tag.range.clone()], "{{ x | json }}");
    assert_eq!(&src[e.range.clone()], "x | json");
}

#[test]
fn pieces_split_text_tags_comments_and_verbatim_blocks() {
    let src = "t {# c {{ #} {%- raw -%}{{ x }}{% endraw %} {{ {'a': {'b': 1}} }} end";
    let t = parse(src);
    assert!(t.errors.is_empty(), "{:?}", t.errors);
    let kinds: Vec<&str> = t
        .nodes
        .iter()
        .map(|n| match n {
            Node::Text(_) => "text",
            Node::Comment(_) => "comment",
            Node::Verbatim { .. } => "verbatim",
            Node::Print { .. } => "print",
            Node::Statement { .. } => "statement",
        })
        .collect();
    assert_eq!(
        kinds,
        ["text", "comment", "text", "verbatim", "text", "print", "text"]
    );
    let Node::Verbatim { open, text, .. } = &t.nodes[3] else {
        panic!()
    };
    assert!(open.trim_before && open.trim_after);
    assert_eq!(&src[text.clone()], "{{ x }}");
    // The map literal's `}}` does not close the tag.
    let Node::Print { tag, .. } = &t.nodes[5] else {
        panic!()
    };
    assert_eq!(&src[tag.range.clone()], "{{ {'a': {'b': 1}} }}");
}

#[test]
fn no_panic_on_cut_or_multibyte_input() {
    let samples = [
        "{{ 'é\\",
        "{{ \"#{",
        "{{ \"#{ 'x",
        "{{ x.",
        "{{ x[",
        "{{ f(a=",
        "{% for %}",
        "{%- endraw -%}",
        "{{ ((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((( }}",
        "日本{{ 'é' }}🎉{{-",
    ];
    for s in samples {
        for end in (0..=s.len()).filter(|&i| s.is_char_boundary(i)) {
            let t = parse(&s[..end]);
            for e in &t.errors {
                assert!(e.offset <= end, "{s:?}[..{end}]: {e}");
            }
            let _ = references(&s[..end]);
            let _ = tags(&s[..end]);
        }
    }
}

#[test]
fn unparsable_tags_read_their_roots_conservatively() {
    assert_eq!(
        references("{{ outputs.q.rows + }}"),
        vec![Reference::DynamicOutputs]
    );
    assert_eq!(
        references("{{ inputs.a @ secret('k') }}"),
        vec![
            Reference::Input(String::new()),
            Reference::Function("secret".into())
        ]
    );
}

#[test]
fn references_skip_verbatim_blocks_and_read_interpolations() {
    assert_eq!(
        references("{% raw %}{{ outputs.q.rows }}{% endraw %}"),
        vec![]
    );
    assert_eq!(
        references("{{ \"n: #{ outputs.q.rows }\" }}"),
        vec![Reference::Output {
            task: "q".into(),
            path: vec!["rows".into()]
        }]
    );
}
