//! Which properties a plugin type has, for the families kestra-fix knows.
//!
//! Kestra 1.x injected a default into every matching map and ignored
//! properties the plugin class lacks; Kestra 2.0 rejects unknown properties.
//! So writing a default's property into an instance is only right when the
//! instance's type has it. The table covers the families codemods touch;
//! for anything else the answer is "unknown", and callers must not guess.

/// Properties every task has (`io.kestra.core.models.tasks.Task`).
const TASK: &[&str] = &[
    "id",
    "type",
    "description",
    "retry",
    "timeout",
    "disabled",
    "logLevel",
    "allowFailure",
    "allowWarning",
    "workerGroup",
    "logToFile",
    "runIf",
];

/// `io.kestra.plugin.scripts.<lang>.Script` / `.Commands` (plugin-scripts).
const SCRIPT_TASK: &[&str] = &[
    "containerImage",
    "taskRunner",
    "beforeCommands",
    "env",
    "interpreter",
    "namespaceFiles",
    "inputFiles",
    "outputFiles",
    "warningOnStdErr",
    "failFast",
    "targetOS",
    "docker",
    "runner",
];

/// `io.kestra.plugin.scripts.runner.docker.Docker` (the Docker task runner).
const DOCKER_RUNNER: &[&str] = &[
    "type",
    "host",
    "config",
    "credentials",
    "volumes",
    "pullPolicy",
    "deviceRequests",
    "cpu",
    "memory",
    "shmSize",
    "fileHandlingStrategy",
    "delete",
    "resume",
    "networkMode",
    "entryPoint",
    "privileged",
    "user",
    "wait",
    "extraHosts",
    "killGracePeriod",
];

/// `io.kestra.plugin.jdbc.<db>.Query|Queries` (plugin-jdbc).
const JDBC_QUERY: &[&str] = &[
    "url",
    "username",
    "password",
    "sql",
    "fetchType",
    "fetch",
    "fetchOne",
    "store",
    "fetchSize",
    "timeZoneId",
    "parameters",
    "afterSQL",
];

const LOG: &[&str] = &["message", "level"];

/// Whether plugin type `type_name` has `property`: `Some` for the known
/// families, `None` when kestra-fix cannot tell.
pub fn has_property(type_name: &str, property: &str) -> Option<bool> {
    let in_any = |lists: &[&[&str]]| lists.iter().any(|l| l.contains(&property));
    if type_name == "io.kestra.plugin.scripts.runner.docker.Docker" {
        return Some(DOCKER_RUNNER.contains(&property));
    }
    if let Some(rest) = type_name.strip_prefix("io.kestra.plugin.scripts.") {
        return match rest.split_once('.') {
            Some((lang, "Script")) if lang != "runner" => {
                Some(in_any(&[TASK, SCRIPT_TASK, &["script"]]))
            }
            Some((lang, "Commands")) if lang != "runner" => {
                Some(in_any(&[TASK, SCRIPT_TASK, &["commands"]]))
            }
            _ => None,
        };
    }
    if let Some(rest) = type_name.strip_prefix("io.kestra.plugin.jdbc.") {
        return match rest.split_once('.') {
            Some((_, "Query" | "Queries")) => Some(in_any(&[TASK, JDBC_QUERY])),
            _ => None,
        };
    }
    if matches!(
        type_name,
        "io.kestra.plugin.core.log.Log" | "io.kestra.core.tasks.log.Log"
    ) {
        return Some(in_any(&[TASK, LOG]));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_families() {
        let py = "io.kestra.plugin.scripts.python.Script";
        assert_eq!(has_property(py, "containerImage"), Some(true));
        assert_eq!(has_property(py, "commands"), Some(false));
        let docker = "io.kestra.plugin.scripts.runner.docker.Docker";
        assert_eq!(has_property(docker, "containerImage"), Some(false));
        assert_eq!(has_property(docker, "pullPolicy"), Some(true));
        assert_eq!(
            has_property("io.kestra.plugin.jdbc.postgresql.Query", "fetchSize"),
            Some(true)
        );
        assert_eq!(
            has_property("io.kestra.plugin.gcp.bigquery.Query", "fetchSize"),
            None
        );
    }
}
