//! Paths into a flow's data (`tasks[0].then[1].type`), shared by the CST
//! walker that finds nodes and the verifier that checks what changed there.

use crate::syntax::value::Value;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathSeg {
    /// A mapping key (decoded text).
    Key(String),
    /// A 0-based sequence index.
    Index(usize),
}

/// A path from the document root; empty means the root itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DataPath(pub Vec<PathSeg>);

impl DataPath {
    pub fn root() -> Self {
        DataPath(Vec::new())
    }

    pub fn key(&self, key: impl Into<String>) -> Self {
        let mut segs = self.0.clone();
        segs.push(PathSeg::Key(key.into()));
        DataPath(segs)
    }

    pub fn index(&self, index: usize) -> Self {
        let mut segs = self.0.clone();
        segs.push(PathSeg::Index(index));
        DataPath(segs)
    }

    pub fn segments(&self) -> &[PathSeg] {
        &self.0
    }

    /// The value at this path in `root`, if every segment exists.
    pub fn lookup<'v>(&self, root: &'v Value) -> Option<&'v Value> {
        self.0.iter().try_fold(root, |node, seg| child(node, seg))
    }

    pub fn lookup_mut<'v>(&self, root: &'v mut Value) -> Option<&'v mut Value> {
        let mut node = root;
        for seg in &self.0 {
            node = child_mut(node, seg)?;
        }
        Some(node)
    }

    pub fn parent(&self) -> Option<(DataPath, &PathSeg)> {
        let (last, rest) = self.0.split_last()?;
        Some((DataPath(rest.to_vec()), last))
    }

    /// The first segment when it is a key: the flow section a node lives in.
    pub fn section(&self) -> Option<&str> {
        match self.0.first()? {
            PathSeg::Key(k) => Some(k),
            PathSeg::Index(_) => None,
        }
    }
}

fn child<'v>(node: &'v Value, seg: &PathSeg) -> Option<&'v Value> {
    match (node, seg) {
        (Value::Map(m), PathSeg::Key(k)) => m
            .iter()
            .find(|(key, _)| key.as_str() == Some(k))
            .map(|(_, v)| v),
        (Value::Seq(s), PathSeg::Index(i)) => s.get(*i),
        (Value::Tagged(_, inner), _) => child(inner, seg),
        _ => None,
    }
}

fn child_mut<'v>(node: &'v mut Value, seg: &PathSeg) -> Option<&'v mut Value> {
    match (node, seg) {
        (Value::Map(m), PathSeg::Key(k)) => m
            .iter_mut()
            .find(|(key, _)| key.as_str() == Some(k))
            .map(|(_, v)| v),
        (Value::Seq(s), PathSeg::Index(i)) => s.get_mut(*i),
        (Value::Tagged(_, inner), _) => child_mut(inner, seg),
        _ => None,
    }
}

impl fmt::Display for DataPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("<root>");
        }
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                PathSeg::Key(k) if i == 0 => f.write_str(k)?,
                PathSeg::Key(k) => write!(f, ".{k}")?,
                PathSeg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// Every scalar value under `node` (never a key) that `keep` accepts, with
/// its path from `path`. A duplicate key's later entries are skipped: the
/// path names the first entry only, and an edit at it would land there.
pub fn scalar_values(
    node: &crate::syntax::ast::Node,
    path: &DataPath,
    keep: &dyn Fn(&crate::syntax::ast::Scalar) -> bool,
    out: &mut Vec<(DataPath, crate::syntax::ast::Scalar)>,
) {
    collect_scalar_values(node, &mut path.clone(), keep, out);
}

/// [`scalar_values`] with `path` extended and restored in place, so that a
/// path is copied only for the scalars kept.
fn collect_scalar_values(
    node: &crate::syntax::ast::Node,
    path: &mut DataPath,
    keep: &dyn Fn(&crate::syntax::ast::Scalar) -> bool,
    out: &mut Vec<(DataPath, crate::syntax::ast::Scalar)>,
) {
    use crate::syntax::ast::Node;
    match node {
        Node::Mapping(m) => {
            let mut seen = std::collections::HashSet::new();
            for entry in m.entries() {
                let Some(key) = entry.key_text() else {
                    continue;
                };
                if !seen.insert(key.clone()) {
                    continue;
                }
                if let Some(value) = entry.value() {
                    path.0.push(PathSeg::Key(key));
                    collect_scalar_values(&value, path, keep, out);
                    path.0.pop();
                }
            }
        }
        Node::Sequence(s) => {
            for (i, item) in s.items().enumerate() {
                if let Some(value) = item.value() {
                    path.0.push(PathSeg::Index(i));
                    collect_scalar_values(&value, path, keep, out);
                    path.0.pop();
                }
            }
        }
        Node::Scalar(s) => {
            if keep(s) {
                out.push((path.clone(), s.clone()));
            }
        }
        Node::Alias(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_a_property_path() {
        let p = DataPath::root().key("tasks").index(0).key("then").index(1);
        assert_eq!(p.to_string(), "tasks[0].then[1]");
        assert_eq!(p.section(), Some("tasks"));
        assert_eq!(DataPath::root().to_string(), "<root>");
    }
}
