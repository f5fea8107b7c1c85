//! Which tasks go where: counting tasks, cutting the top-level list into
//! consecutive groups, and checking ids before they become file names.

use crate::kestra::flow::Flow;
use crate::kestra::path::PathSeg;
use crate::syntax::ast::{Item, Node};
use std::collections::HashMap;

/// One top-level task and the tasks nested in it.
#[derive(Debug, Clone)]
pub struct TopTask {
    pub item: Item,
    /// Its id (top-level tasks always have one in a valid flow).
    pub id: String,
    /// Plugin tasks it holds, itself included.
    pub count: usize,
}

/// The top-level tasks of a block `tasks` sequence, with the owner
/// (top-level index) of every task id at any depth.
pub struct Tasks {
    pub top: Vec<TopTask>,
    pub owner: HashMap<String, usize>,
}

/// Reads the top-level tasks. `Err` when `tasks` is not a block sequence of
/// mappings with an id each.
pub fn tasks(flow: &Flow) -> Result<Tasks, String> {
    let Some(Node::Sequence(seq)) = flow.root().get_value("tasks") else {
        return Err("`tasks` is not a sequence".into());
    };
    if seq.is_flow() {
        return Err("`tasks` is written as a flow sequence (`[...]`)".into());
    }
    let mut top = Vec::new();
    for item in seq.items() {
        let Some(Node::Mapping(m)) = item.value() else {
            return Err("an item of `tasks` is not a mapping".into());
        };
        let Some(id) = m.get_str("id") else {
            return Err("a top-level task has no `id`".into());
        };
        top.push(TopTask { item, id, count: 0 });
    }
    let mut owner = HashMap::new();
    for inst in flow.plugin_instances() {
        let segs = inst.path.segments();
        let (Some(PathSeg::Key(section)), Some(&PathSeg::Index(i))) = (segs.first(), segs.get(1))
        else {
            continue;
        };
        if section != "tasks" || i >= top.len() {
            continue;
        }
        // A task has an id; task runners and conditions do not.
        let Some(id) = inst.id() else { continue };
        top[i].count += 1;
        owner.insert(id, i);
    }
    Ok(Tasks { top, owner })
}

/// Consecutive groups (ranges of top-level indices) of at most `max` tasks
/// each, filled greedily. `Err(i)` when top-level task `i` alone is bigger.
pub fn groups(top: &[TopTask], max: usize) -> Result<Vec<std::ops::Range<usize>>, usize> {
    let mut out = Vec::new();
    let (mut start, mut size) = (0, 0);
    for (i, t) in top.iter().enumerate() {
        if t.count > max {
            return Err(i);
        }
        if size + t.count > max {
            out.push(start..i);
            start = i;
            size = 0;
        }
        size += t.count;
    }
    if start < top.len() {
        out.push(start..top.len());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn top(counts: &[usize]) -> Vec<usize> {
        counts.to_vec()
    }

    fn cut(counts: &[usize], max: usize) -> Result<Vec<std::ops::Range<usize>>, usize> {
        let text = "id: f\nnamespace: n\ntasks:\n  - id: x\n    type: t\n";
        let parse = crate::syntax::parse(text);
        let flow = Flow::cast(&parse).unwrap();
        let item = tasks(&flow).unwrap().top[0].item.clone();
        let tops: Vec<TopTask> = top(counts)
            .into_iter()
            .map(|count| TopTask {
                item: item.clone(),
                id: "x".into(),
                count,
            })
            .collect();
        groups(&tops, max)
    }

    #[test]
    fn groups_are_consecutive_and_bounded() {
        assert_eq!(cut(&[1, 1, 1, 1, 1], 2), Ok(vec![0..2, 2..4, 4..5]));
        assert_eq!(cut(&[2, 1, 3, 1], 3), Ok(vec![0..2, 2..3, 3..4]));
        assert_eq!(cut(&[1, 4, 1], 3), Err(1));
    }
}
