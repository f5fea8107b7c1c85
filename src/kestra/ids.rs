//! Kestra's id patterns. Codemods that turn ids into file names check them
//! first: an id that matches cannot leave the folder (no separator, no
//! leading dot, not empty, not absolute).

/// Flow ids: `^[a-zA-Z0-9][a-zA-Z0-9._-]*`, at most 100 characters.
pub fn check_flow_id(id: &str) -> Result<(), String> {
    check(id, true, Some(100)).map_err(|()| {
        format!(
            "the flow id `{}` does not match Kestra's id pattern `^[a-zA-Z0-9][a-zA-Z0-9._-]*` (at most 100 characters)",
            id.escape_debug()
        )
    })
}

/// Task ids: `^[a-zA-Z0-9][a-zA-Z0-9_-]*` (no dots).
pub fn check_task_id(id: &str) -> Result<(), String> {
    check(id, false, None).map_err(|()| {
        format!(
            "the task id `{}` does not match Kestra's id pattern `^[a-zA-Z0-9][a-zA-Z0-9_-]*`",
            id.escape_debug()
        )
    })
}

/// Namespaces: `^[a-z0-9][a-z0-9._-]*`.
pub fn check_namespace(ns: &str) -> Result<(), String> {
    let mut chars = ns.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "the namespace `{}` does not match Kestra's pattern `^[a-z0-9][a-z0-9._-]*`",
            ns.escape_debug()
        ))
    }
}

fn check(id: &str, dots: bool, max: Option<usize>) -> Result<(), ()> {
    let mut chars = id.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || (dots && c == '.'))
        && max.is_none_or(|m| id.len() <= m);
    ok.then_some(()).ok_or(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_that_could_leave_the_folder_are_refused() {
        for bad in [
            "", "..", "../x", "a/b", "a\\b", "/abs", ".hidden", "-x", "é",
        ] {
            assert!(check_flow_id(bad).is_err(), "{bad:?}");
            assert!(check_task_id(bad).is_err(), "{bad:?}");
        }
        assert!(check_flow_id("my-flow.v2_x").is_ok());
        assert!(check_task_id("a.b").is_err());
        assert!(check_task_id("load_2-x").is_ok());
        assert!(check_flow_id(&"a".repeat(101)).is_err());
        assert!(check_namespace("company.team").is_ok());
        assert!(check_namespace("Company").is_err());
    }
}
