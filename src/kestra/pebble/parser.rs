//! Pebble expressions and tags as a tree with byte ranges.
//!
//! Precedences are Pebble's (`CoreExtension`): `or` 10, `and` 15, `is`,
//! `is not`, `contains` 20, comparisons and `equals` 30, `+ -` 40,
//! `* / %` 60, `|` 100, `~` 110, `..` 120, unary `not + -` 500; Kestra's
//! `??`/`???` bind like `..`. A ternary closes a whole expression.

use super::lexer::{interpolation_end, tokens_in, Tok, Token};
use super::Error;
use std::ops::Range;

/// An expression and the bytes it spans.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub range: Range<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A variable: `outputs`, `x`.
    Name(String),
    /// A string literal, escapes decoded; a double-quoted one may hold
    /// `#{ ... }` interpolations, kept apart in `interpolations`.
    Str {
        value: String,
        interpolations: Vec<Expr>,
    },
    Number(String),
    Bool(bool),
    Null,
    List(Vec<Expr>),
    Map(Vec<(Expr, Expr)>),
    /// `base.name`. Pebble reads `a.my-task` as `a.my - task`; here the
    /// dashed name is one member, as Kestra users mean it for task ids
    /// (`dashed` says so).
    Member {
        base: Box<Expr>,
        name: String,
        name_range: Range<usize>,
        dashed: bool,
    },
    /// `base[index]`
    Index {
        base: Box<Expr>,
        index: Box<Expr>,
    },
    /// `name(args)`: a function call.
    Call(Invocation),
    /// `base.name(args)`: a method call on a value.
    MethodCall {
        base: Box<Expr>,
        call: Invocation,
    },
    /// `input | name(args)`
    Filter {
        input: Box<Expr>,
        filter: Invocation,
    },
    /// `input is [not] name(args)`
    Test {
        input: Box<Expr>,
        negated: bool,
        test: Invocation,
    },
    Unary {
        op: &'static str,
        operand: Box<Expr>,
    },
    Binary {
        op: &'static str,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    Ternary {
        condition: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
}

/// A function, filter, test or method name and its arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    pub name: String,
    pub name_range: Range<usize>,
    pub args: Vec<Arg>,
}

/// An argument, named (`format='yyyy'`) or positional.
#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    pub name: Option<String>,
    pub value: Expr,
}

/// A `{% ... %}` tag: its name, the names it binds and its expressions.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub name: String,
    pub name_range: Range<usize>,
    /// `for k, v in ...`, `set x = ...`: the variables bound.
    pub bound: Vec<String>,
    pub exprs: Vec<Expr>,
}

/// Deep enough for any real template, shallow enough for the stack.
const MAX_DEPTH: usize = 64;

pub(super) struct Parser<'s, 't> {
    src: &'s str,
    toks: &'t [Token],
    pos: usize,
    /// Where the tag's body ends, for errors at its end.
    end: usize,
    depth: usize,
}

type Result<T> = std::result::Result<T, Error>;

impl<'s, 't> Parser<'s, 't> {
    pub(super) fn new(src: &'s str, toks: &'t [Token], end: usize) -> Self {
        Parser {
            src,
            toks,
            pos: 0,
            end,
            depth: 0,
        }
    }

    /// A whole `{{ }}` body: one expression.
    pub(super) fn print(mut self) -> Result<Expr> {
        let e = self.expr(0)?;
        self.finish()?;
        Ok(e)
    }

    /// A whole `{% %}` body.
    pub(super) fn statement(mut self) -> Result<Statement> {
        let (name, name_range) = match self.peek() {
            Some(t) if t.kind == Tok::Name => (t.text(self.src).to_string(), t.range.clone()),
            _ => return Err(self.error("expected a tag name")),
        };
        self.pos += 1;
        let mut stmt = Statement {
            name,
            name_range,
            bound: Vec::new(),
            exprs: Vec::new(),
        };
        match stmt.name.as_str() {
            "if" | "elseif" | "elif" => stmt.exprs.push(self.expr(0)?),
            "for" => {
                stmt.bound.push(self.name()?);
                while self.eat_punct(",") {
                    stmt.bound.push(self.name()?);
                }
                if !self.eat_word("in") {
                    return Err(self.error("expected `in`"));
                }
                stmt.exprs.push(self.expr(0)?);
            }
            "set" => {
                stmt.bound.push(self.name()?);
                if !self.eat_punct("=") {
                    return Err(self.error("expected `=`"));
                }
                stmt.exprs.push(self.expr(0)?);
            }
            _ => {
                // `macro m(a, b=1)`, `include 'x' with {...} only`,
                // `import 'x' as y`, `block b`, `endif`...: expressions
                // between the tags' own words.
                while self.peek().is_some() {
                    if self.eat_punct(",") {
                        continue;
                    }
                    let word = self.peek().filter(|t| t.kind == Tok::Name);
                    if word.is_some_and(|t| {
                        matches!(t.text(self.src), "as" | "with" | "only" | "import" | "from")
                    }) {
                        self.pos += 1;
                        continue;
                    }
                    stmt.exprs.push(self.expr(0)?);
                }
            }
        }
        self.finish()?;
        Ok(stmt)
    }

    fn finish(&self) -> Result<()> {
        match self.peek() {
            None => Ok(()),
            Some(t) => Err(Error::new(
                format!("unexpected `{}`", t.text(self.src)),
                t.range.start,
            )),
        }
    }

    fn peek(&self) -> Option<&'t Token> {
        self.toks.get(self.pos)
    }

    fn peek_at(&self, n: usize) -> Option<&'t Token> {
        self.toks.get(self.pos + n)
    }

    fn is_punct(&self, p: &str) -> bool {
        self.peek()
            .is_some_and(|t| matches!(t.kind, Tok::Punct(q) if q == p))
    }

    fn eat_punct(&mut self, p: &str) -> bool {
        let hit = self.is_punct(p);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn is_word(&self, w: &str) -> bool {
        self.peek()
            .is_some_and(|t| t.kind == Tok::Name && t.text(self.src) == w)
    }

    fn eat_word(&mut self, w: &str) -> bool {
        let hit = self.is_word(w);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn error(&self, message: &str) -> Error {
        let at = self.peek().map_or(self.end, |t| t.range.start);
        let found = self.peek().map_or("the end of the tag".to_string(), |t| {
            format!("`{}`", t.text(self.src))
        });
        Error::new(format!("{message}, found {found}"), at)
    }

    fn expect(&mut self, p: &str) -> Result<usize> {
        match self.peek() {
            Some(t) if matches!(t.kind, Tok::Punct(q) if q == p) => {
                self.pos += 1;
                Ok(t.range.end)
            }
            _ => Err(self.error(&format!("expected `{p}`"))),
        }
    }

    fn name(&mut self) -> Result<String> {
        match self.peek() {
            Some(t) if t.kind == Tok::Name => {
                self.pos += 1;
                Ok(t.text(self.src).to_string())
            }
            _ => Err(self.error("expected a name")),
        }
    }

    fn name_token(&mut self) -> Result<&'t Token> {
        match self.peek() {
            Some(t) if t.kind == Tok::Name => {
                self.pos += 1;
                Ok(t)
            }
            _ => Err(self.error("expected a name")),
        }
    }

    fn expr(&mut self, min: u16) -> Result<Expr> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("expression nested too deeply"));
        }
        let result = self.expr_inner(min);
        self.depth -= 1;
        result
    }

    fn expr_inner(&mut self, min: u16) -> Result<Expr> {
        let mut left = self.unary()?;
        while let Some(t) = self.peek() {
            let text = t.text(self.src);
            let (op, prec) = match (t.kind, text) {
                (Tok::Name, "or") => ("or", 10),
                (Tok::Name, "and") => ("and", 15),
                (Tok::Name, "is") => ("is", 20),
                (Tok::Name, "contains") => ("contains", 20),
                (Tok::Name, "equals") => ("==", 30),
                (Tok::Punct(p @ ("==" | "!=" | "<" | ">" | "<=" | ">=")), _) => (p, 30),
                (Tok::Punct(p @ ("+" | "-")), _) => (p, 40),
                (Tok::Punct(p @ ("*" | "/" | "%")), _) => (p, 60),
                (Tok::Punct("|"), _) => ("|", 100),
                (Tok::Punct("~"), _) => ("~", 110),
                (Tok::Punct(p @ (".." | "??" | "???")), _) => (p, 120),
                _ => break,
            };
            if prec < min {
                break;
            }
            self.pos += 1;
            let start = left.range.start;
            left = match op {
                "|" => {
                    let filter = self.invocation()?;
                    Expr {
                        range: start..self.last_end(),
                        kind: ExprKind::Filter {
                            input: Box::new(left),
                            filter,
                        },
                    }
                }
                "is" => {
                    let negated = self.eat_word("not");
                    let test = self.invocation()?;
                    Expr {
                        range: start..self.last_end(),
                        kind: ExprKind::Test {
                            input: Box::new(left),
                            negated,
                            test,
                        },
                    }
                }
                _ => {
                    let right = self.expr(prec + 1)?;
                    Expr {
                        range: start..right.range.end,
                        kind: ExprKind::Binary {
                            op,
                            left: Box::new(left),
                            right: Box::new(right),
                        },
                    }
                }
            };
        }
        if min == 0 && self.eat_punct("?") {
            let then = self.expr(0)?;
            self.expect(":")?;
            let otherwise = self.expr(0)?;
            left = Expr {
                range: left.range.start..otherwise.range.end,
                kind: ExprKind::Ternary {
                    condition: Box::new(left),
                    then: Box::new(then),
                    otherwise: Box::new(otherwise),
                },
            };
        }
        Ok(left)
    }

    fn last_end(&self) -> usize {
        self.pos
            .checked_sub(1)
            .and_then(|p| self.toks.get(p))
            .map_or(self.end, |t| t.range.end)
    }

    /// A filter or test: a name, then arguments if a `(` follows.
    fn invocation(&mut self) -> Result<Invocation> {
        let t = self.name_token()?;
        let args = if self.is_punct("(") {
            self.args()?
        } else {
            Vec::new()
        };
        Ok(Invocation {
            name: t.text(self.src).to_string(),
            name_range: t.range.clone(),
            args,
        })
    }

    fn unary(&mut self) -> Result<Expr> {
        let Some(t) = self.peek() else {
            return Err(self.error("expected an expression"));
        };
        let op = match (t.kind, t.text(self.src)) {
            (Tok::Name, "not") => Some("not"),
            (Tok::Punct("-"), _) => Some("-"),
            (Tok::Punct("+"), _) => Some("+"),
            _ => None,
        };
        match op {
            Some(op) => {
                self.pos += 1;
                let operand = self.expr(500)?;
                Ok(Expr {
                    range: t.range.start..operand.range.end,
                    kind: ExprKind::Unary {
                        op,
                        operand: Box::new(operand),
                    },
                })
            }
            None => {
                let primary = self.primary()?;
                self.postfix(primary)
            }
        }
    }

    fn primary(&mut self) -> Result<Expr> {
        let Some(t) = self.peek() else {
            return Err(self.error("expected an expression"));
        };
        let text = t.text(self.src);
        let start = t.range.start;
        let kind = match t.kind {
            Tok::Number => {
                self.pos += 1;
                ExprKind::Number(text.to_string())
            }
            Tok::Str => {
                self.pos += 1;
                self.string(t)?
            }
            Tok::Name => {
                self.pos += 1;
                match text {
                    "true" => ExprKind::Bool(true),
                    "false" => ExprKind::Bool(false),
                    "null" | "none" => ExprKind::Null,
                    _ if self.is_punct("(") => ExprKind::Call(Invocation {
                        name: text.to_string(),
                        name_range: t.range.clone(),
                        args: self.args()?,
                    }),
                    _ => ExprKind::Name(text.to_string()),
                }
            }
            Tok::Punct("(") => {
                self.pos += 1;
                let inner = self.expr(0)?;
                self.expect(")")?;
                // The parentheses are part of the expression's text.
                return Ok(Expr {
                    range: start..self.last_end(),
                    kind: inner.kind,
                });
            }
            Tok::Punct("[") => {
                self.pos += 1;
                let mut items = Vec::new();
                while !self.is_punct("]") {
                    items.push(self.expr(0)?);
                    if !self.eat_punct(",") {
                        break;
                    }
                }
                self.expect("]")?;
                ExprKind::List(items)
            }
            Tok::Punct("{") => {
                self.pos += 1;
                let mut entries = Vec::new();
                while !self.is_punct("}") {
                    let key = self.expr(0)?;
                    self.expect(":")?;
                    let value = self.expr(0)?;
                    entries.push((key, value));
                    if !self.eat_punct(",") {
                        break;
                    }
                }
                self.expect("}")?;
                ExprKind::Map(entries)
            }
            _ => return Err(self.error("expected an expression")),
        };
        Ok(Expr {
            range: start..self.last_end(),
            kind,
        })
    }

    /// `.name`, `.name(args)`, `.0`, `[index]` after an expression.
    fn postfix(&mut self, mut base: Expr) -> Result<Expr> {
        loop {
            let start = base.range.start;
            if self.eat_punct(".") {
                let Some(t) = self
                    .peek()
                    .filter(|t| matches!(t.kind, Tok::Name | Tok::Number))
                else {
                    return Err(self.error("expected a name after `.`"));
                };
                self.pos += 1;
                let mut name_range = t.range.clone();
                let mut dashed = false;
                // `outputs.my-task`: a dash with no space either side
                // joins the next name.
                while let (Some(dash), Some(next)) = (self.peek(), self.peek_at(1)) {
                    let joined = dash.kind == Tok::Punct("-")
                        && next.kind == Tok::Name
                        && dash.range.start == name_range.end
                        && next.range.start == dash.range.end;
                    if !joined {
                        break;
                    }
                    name_range.end = next.range.end;
                    dashed = true;
                    self.pos += 2;
                }
                let name = self.src[name_range.clone()].to_string();
                base = if t.kind == Tok::Name && !dashed && self.is_punct("(") {
                    let args = self.args()?;
                    Expr {
                        range: start..self.last_end(),
                        kind: ExprKind::MethodCall {
                            base: Box::new(base),
                            call: Invocation {
                                name,
                                name_range,
                                args,
                            },
                        },
                    }
                } else {
                    Expr {
                        range: start..name_range.end,
                        kind: ExprKind::Member {
                            base: Box::new(base),
                            name,
                            name_range,
                            dashed,
                        },
                    }
                };
            } else if self.eat_punct("[") {
                let index = self.expr(0)?;
                let end = self.expect("]")?;
                base = Expr {
                    range: start..end,
                    kind: ExprKind::Index {
                        base: Box::new(base),
                        index: Box::new(index),
                    },
                };
            } else {
                return Ok(base);
            }
        }
    }

    /// `(a, b, name=c)`
    fn args(&mut self) -> Result<Vec<Arg>> {
        self.expect("(")?;
        let mut args = Vec::new();
        while !self.is_punct(")") {
            let named = matches!(
                (self.peek(), self.peek_at(1)),
                (Some(n), Some(eq)) if n.kind == Tok::Name && eq.kind == Tok::Punct("=")
            );
            let name = if named {
                let n = self.name()?;
                self.pos += 1;
                Some(n)
            } else {
                None
            };
            args.push(Arg {
                name,
                value: self.expr(0)?,
            });
            if !self.eat_punct(",") {
                break;
            }
        }
        self.expect(")")?;
        Ok(args)
    }

    /// A string literal token's value and interpolations.
    fn string(&mut self, t: &Token) -> Result<ExprKind> {
        let raw = t.text(self.src);
        let quote = raw.as_bytes()[0];
        let closed = raw.len() >= 2 && raw.ends_with(quote as char);
        if !closed {
            return Err(Error::new("unclosed string literal", t.range.start));
        }
        let mut value = String::new();
        let mut interpolations = Vec::new();
        let inner_end = t.range.end - 1;
        let mut i = t.range.start + 1;
        while i < inner_end {
            let rest = &self.src[i..inner_end];
            let c = rest.chars().next().unwrap_or('\0');
            if c == '\\' {
                // The backslash goes, what it escapes stays: the value only
                // matters here for templates written inside strings.
                if let Some(e) = rest[1..].chars().next() {
                    value.push(e);
                    i += 1 + e.len_utf8();
                } else {
                    i += 1;
                }
            } else if quote == b'"' && rest.starts_with("#{") {
                let mut errors = Vec::new();
                let end = interpolation_end(self.src, i + 2, &mut errors).min(inner_end);
                let body_end = end.saturating_sub(1).max(i + 2);
                let toks = tokens_in(self.src, i + 2..body_end, &mut errors);
                if let Some(e) = errors.into_iter().next() {
                    return Err(e);
                }
                let mut sub = Parser::new(self.src, &toks, body_end);
                sub.depth = self.depth;
                interpolations.push(sub.print()?);
                i = end;
            } else {
                value.push(c);
                i += c.len_utf8();
            }
        }
        Ok(ExprKind::Str {
            value,
            interpolations,
        })
    }
}
