//! What crosses the new flow boundaries: every Pebble reference in a moved
//! task, in the parent's `outputs`/`errors`/`finally`/`afterExecution`, and
//! in the sections copied into children, is either kept as it is, rewritten
//! to an input or a subflow output, or a reason to refuse the split.

use crate::kestra::path::DataPath;
use crate::kestra::pebble::{references, tags, Reference, TagKind};
use crate::syntax::ast::{AstNode, Node, Scalar};
use crate::syntax::TextRange;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A string scalar somewhere in the flow, with its data path.
#[derive(Debug, Clone)]
pub struct ScalarAt {
    pub path: DataPath,
    pub scalar: Scalar,
}

/// Every scalar value (not key) under `node`, in document order.
/// Output accessors that hold internal-storage files (`kestra://` URIs):
/// handed to a task of another part, the file belongs to a sibling
/// execution, which that task may not read.
const FILE_OUTPUTS: &[&str] = &["uri", "uris", "outputFiles", "files"];

pub fn scalars(node: &Node, path: DataPath, out: &mut Vec<ScalarAt>) {
    match node {
        Node::Scalar(s) => out.push(ScalarAt {
            path,
            scalar: s.clone(),
        }),
        Node::Mapping(m) => {
            for e in m.entries() {
                if let (Some(k), Some(v)) = (e.key_text(), e.value()) {
                    scalars(&v, path.key(k), out);
                }
            }
        }
        Node::Sequence(s) => {
            for (i, item) in s.items().enumerate() {
                if let Some(v) = item.value() {
                    scalars(&v, path.index(i), out);
                } else if let Some(pair) = item.flow_pair() {
                    if let (Some(k), Some(v)) = (pair.key_text(), pair.value()) {
                        scalars(&v, path.index(i).key(k), out);
                    }
                }
            }
        }
        Node::Alias(_) => {}
    }
}

/// Where a scalar runs after the split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Site {
    /// In child `n` (0-based group index).
    Group(usize),
    /// In the parent (flow `outputs`, `errors`, `finally`, `afterExecution`).
    Parent,
    /// In a section copied into the children in `groups` (`variables`,
    /// `pluginDefaults`): it must mean the same there.
    Copied,
}

/// A value of child `producer` passed on through a flow output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    pub name: String,
    pub task: String,
    pub path: Vec<String>,
}

/// A scalar whose decoded string changes.
#[derive(Debug, Clone)]
pub struct Rewrite {
    pub at: ScalarAt,
    pub value: String,
    pub site: Site,
}

/// The wiring of one split.
#[derive(Debug, Default)]
pub struct Plan {
    pub rewrites: Vec<Rewrite>,
    /// Parent input ids each child needs.
    pub inputs: Vec<BTreeSet<String>>,
    /// Parent input ids the copied sections need (every child that gets
    /// them needs these too).
    pub copied_inputs: BTreeSet<String>,
    /// Whether each child reads `vars`.
    pub vars: Vec<bool>,
    /// Whether the copied sections read `vars` (every child then does).
    pub copied_vars: bool,
    /// Flow outputs each child declares.
    pub exports: Vec<Vec<Export>>,
    /// Inputs each child takes from an earlier child: (name, producer).
    pub imports: Vec<BTreeMap<String, usize>>,
    /// Why the split cannot be made, and where.
    pub refusals: Vec<(TextRange, String)>,
}

/// Context roots whose meaning changes in a child execution.
const CHANGES_IN_CHILD: &[&str] = &["execution", "flow", "trigger", "labels"];

/// Functions reading internal-storage files: in a child they may read its
/// own execution's files, its parent execution's and namespace files, but
/// not (before Kestra allows same-namespace reads) a sibling child's.
const FILE_FUNCTIONS: &[&str] = &["read", "fileSize", "fileExists", "isFileEmpty", "fileURI"];

pub struct Wiring<'a> {
    /// Top-level task index of every task id.
    pub owner: &'a HashMap<String, usize>,
    /// Group of every top-level index.
    pub group_of: &'a [usize],
    /// The parent's declared input ids.
    pub parent_inputs: &'a BTreeSet<String>,
    /// The ids of the Subflow calls, per group.
    pub calls: &'a [String],
    pub plan: Plan,
    names: HashMap<(String, Vec<String>), String>,
    used: BTreeSet<String>,
}

impl<'a> Wiring<'a> {
    pub fn new(
        owner: &'a HashMap<String, usize>,
        group_of: &'a [usize],
        parent_inputs: &'a BTreeSet<String>,
        calls: &'a [String],
        groups: usize,
    ) -> Self {
        Wiring {
            owner,
            group_of,
            parent_inputs,
            calls,
            plan: Plan {
                inputs: vec![BTreeSet::new(); groups],
                vars: vec![false; groups],
                exports: vec![Vec::new(); groups],
                imports: vec![BTreeMap::new(); groups],
                ..Plan::default()
            },
            names: HashMap::new(),
            used: parent_inputs.clone(),
        }
    }

    fn refuse(&mut self, at: &ScalarAt, why: String) {
        let range = at.scalar.syntax().text_range();
        self.plan
            .refusals
            .push((range, format!("{}: {why}", at.path)));
    }

    /// Looks at one scalar that will run at `site`.
    pub fn scalar(&mut self, at: &ScalarAt, site: Site) {
        let value = at.scalar.value().into_owned();
        if !crate::kestra::pebble::has_template(&value) {
            return;
        }
        let mut out = String::with_capacity(value.len());
        let mut last = 0;
        let mut changed = false;
        for tag in tags(&value) {
            if tag.kind == TagKind::Comment {
                continue;
            }
            let text = &value[tag.range.clone()];
            let refs = references(text);
            if let Some(new) = self.tag(at, site, tag.kind, tag.body, &refs) {
                out.push_str(&value[last..tag.range.start]);
                out.push_str(&new);
                last = tag.range.end;
                changed = true;
            }
        }
        if changed {
            out.push_str(&value[last..]);
            self.plan.rewrites.push(Rewrite {
                at: at.clone(),
                value: out,
                site,
            });
        }
    }

    /// Checks one tag; `Some` is its replacement text.
    fn tag(
        &mut self,
        at: &ScalarAt,
        site: Site,
        kind: TagKind,
        body: &str,
        refs: &[Reference],
    ) -> Option<String> {
        let in_child = matches!(site, Site::Group(_) | Site::Copied);
        let reads_file = refs
            .iter()
            .any(|r| matches!(r, Reference::Function(f) if FILE_FUNCTIONS.contains(&f.as_str())));
        let mut replacement = None;
        let mut crosses = false;
        for r in refs {
            match r {
                Reference::DynamicOutputs => {
                    self.refuse(at, "reads `outputs` dynamically (`outputs[...]` or the whole `outputs`), which cannot be followed across flows".into());
                }
                Reference::Output { task, .. } => {
                    let Some(&top) = self.owner.get(task) else {
                        if in_child {
                            self.refuse(at, format!("reads `outputs.{task}`, which is not a task of `tasks`, so it cannot be followed into a child flow"));
                        }
                        continue;
                    };
                    let producer = self.group_of[top];
                    let consumer = match site {
                        Site::Group(g) if g == producer => continue,
                        Site::Group(g) if g < producer => {
                            self.refuse(at, format!("reads `outputs.{task}` of a later task"));
                            continue;
                        }
                        Site::Copied => {
                            self.refuse(
                                at,
                                format!("copied into every child, but reads `outputs.{task}`"),
                            );
                            continue;
                        }
                        Site::Group(g) => Some(g),
                        Site::Parent => None,
                    };
                    crosses = true;
                    let whole = (kind == TagKind::Print && refs.len() == 1)
                        .then(|| whole_output_ref(body))
                        .flatten()
                        .filter(|(t, p)| t == task && !p.is_empty());
                    let Some((task, path)) = whole else {
                        if reads_file && in_child {
                            continue;
                        }
                        self.refuse(at, format!("`outputs.{task}` is read inside a larger expression (or as a whole); passed between flows it becomes a string, which could change the result"));
                        continue;
                    };
                    if consumer.is_some() && path.iter().any(|p| FILE_OUTPUTS.contains(&p.as_str()))
                    {
                        self.refuse(at, format!("passes the file `outputs.{task}.{}` to another child flow; Kestra lets a subflow read files of its own and its parent's execution, not of a sibling's", path.join(".")));
                        continue;
                    }
                    let name = self.export(producer, &task, &path);
                    replacement = Some(match consumer {
                        Some(g) => {
                            self.plan.imports[g].insert(name.clone(), producer);
                            format!("{{{{ inputs.{name} }}}}")
                        }
                        None => {
                            format!("{{{{ outputs.{}.outputs.{name} }}}}", self.calls[producer])
                        }
                    });
                }
                Reference::Input(id) if in_child => {
                    if id.is_empty() {
                        self.refuse(at, "reads `inputs` dynamically or as a whole".into());
                    } else if !self.parent_inputs.contains(id) {
                        self.refuse(
                            at,
                            format!("reads `inputs.{id}`, which the flow does not declare"),
                        );
                    } else {
                        match site {
                            Site::Group(g) => {
                                self.plan.inputs[g].insert(id.clone());
                            }
                            _ => {
                                self.plan.copied_inputs.insert(id.clone());
                            }
                        }
                    }
                }
                Reference::Var(_) => match site {
                    Site::Group(g) => self.plan.vars[g] = true,
                    Site::Copied => self.plan.copied_vars = true,
                    Site::Parent => {}
                },
                Reference::Context(root)
                    if in_child && CHANGES_IN_CHILD.contains(&root.as_str()) =>
                {
                    self.refuse(at, format!("reads `{root}.*`, which means the child flow's own {root} after the split"));
                }
                Reference::Function(f) if in_child && f == "render" => {
                    self.refuse(
                        at,
                        "calls `render(...)`, whose text could refer to anything".into(),
                    );
                }
                _ => {}
            }
        }
        if crosses && reads_file && in_child {
            self.refuse(at, "reads a file produced by another child flow; Kestra lets a subflow read files of its own and its parent's execution, not of a sibling's".into());
        }
        replacement
    }

    /// The output name under which `producer` passes `outputs.task.path`.
    fn export(&mut self, producer: usize, task: &str, path: &[String]) -> String {
        let key = (task.to_string(), path.to_vec());
        if let Some(n) = self.names.get(&key) {
            return n.clone();
        }
        let mut base: String = std::iter::once(task)
            .chain(path.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join("_")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if !base.starts_with(|c: char| c.is_ascii_alphabetic()) {
            base.insert_str(0, "v_");
        }
        let mut name = base.clone();
        let mut n = 2;
        while self.used.contains(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        self.used.insert(name.clone());
        self.names.insert(key, name.clone());
        self.plan.exports[producer].push(Export {
            name: name.clone(),
            task: task.to_string(),
            path: path.to_vec(),
        });
        name
    }
}

/// `outputs.t.a['b']`-only tag bodies: the task and the accessor path.
pub fn whole_output_ref(body: &str) -> Option<(String, Vec<String>)> {
    let mut s = body.trim().strip_prefix("outputs")?;
    let mut segs = Vec::new();
    while !s.is_empty() {
        if let Some(rest) = s.strip_prefix('.') {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                .unwrap_or(rest.len());
            if end == 0 {
                return None;
            }
            segs.push(rest[..end].to_string());
            s = &rest[end..];
        } else if let Some(rest) = s.strip_prefix('[') {
            let q = rest.chars().next().filter(|c| matches!(c, '\'' | '"'))?;
            let inner = &rest[1..];
            let close = inner.find(q)?;
            let lit = &inner[..close];
            if lit.contains('\\') {
                return None;
            }
            segs.push(lit.to_string());
            s = inner[close + 1..].strip_prefix(']')?;
        } else {
            return None;
        }
    }
    let mut segs = segs.into_iter();
    let task = segs.next()?;
    Some((task, segs.collect()))
}

/// Pebble text reading `outputs.<task>.<path>`, in bracket notation where a
/// segment is not a plain identifier.
pub fn output_expr(task: &str, path: &[String]) -> String {
    let mut out = String::from("outputs");
    for seg in std::iter::once(task).chain(path.iter().map(String::as_str)) {
        let ident = seg.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if ident {
            out.push('.');
            out.push_str(seg);
        } else {
            out.push_str(&format!("['{seg}']"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_references_only() {
        assert_eq!(
            whole_output_ref(" outputs.t.uri "),
            Some(("t".into(), vec!["uri".into()]))
        );
        assert_eq!(
            whole_output_ref("outputs['my-t'][\"a\"].b"),
            Some(("my-t".into(), vec!["a".into(), "b".into()]))
        );
        assert_eq!(whole_output_ref("outputs.t.rows | length"), None);
        assert_eq!(whole_output_ref("outputs[x]"), None);
        assert_eq!(whole_output_ref("- outputs.t.x"), None);
        assert_eq!(output_expr("my-t", &["uri".into()]), "outputs['my-t'].uri");
    }
}
