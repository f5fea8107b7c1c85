//! Which properties a plugin type has, as the codemods ask it.
//!
//! Kestra 1.x injected a default into every matching map and ignored
//! properties the plugin class lacks; Kestra 2.0 rejects unknown properties.
//! So writing a default's property into an instance is only right when the
//! instance's type has it. The answer comes from the plugin catalog
//! ([`super::catalog`]); where it cannot tell, callers must not guess.

use super::catalog::{Answer, Catalog, PluginType};

/// Whether plugin type `type_name` has `property`: `None` when kestra-fix
/// cannot tell (unknown type, incomplete or open class).
pub fn has_property(type_name: &str, property: &str) -> Option<bool> {
    match Catalog::builtin().has_property(type_name, property) {
        Answer::Yes => Some(true),
        Answer::No => Some(false),
        Answer::Unknown => None,
    }
}

/// The Kestra 1.0.x core in the catalog's `meta.base_properties`.
const RELEASE_1X: &str = "kestra-io/kestra@releases/v1.0.x";
/// The core the catalog's types were read from (2.0).
const RELEASE_CATALOG: &str = "catalog";

const TASK: &str = "io.kestra.core.models.tasks.Task";
const TRIGGER: &str = "io.kestra.core.models.triggers.AbstractTrigger";
const CONDITION: &str = "io.kestra.core.models.conditions.Condition";
const TASK_RUNNER: &str = "io.kestra.core.models.tasks.runners.TaskRunner";
const EXEC_SCRIPT: &str = "io.kestra.plugin.scripts.exec.AbstractExecScript";

/// Properties of one class that 2.0 dropped and a 2.0 rule rewrites
/// (MIGRATION-2.0.md rules 9 and 23): the base classes' are in the catalog.
const CLASS_PROPERTIES_1X: &[(&str, &str)] = &[
    ("io.kestra.plugin.core.flow.Pause", "delay"),
    ("io.kestra.plugin.core.kv.PurgeKV", "expiredOnly"),
];

/// Did Kestra 1.x give an instance of `type_name` the `property` of a flow
/// default: `Yes` when the type has it in 2.0 or had it in 1.x (a later
/// 2.0 rule rewrites those, `workerGroup`, script `docker`, Pause
/// `delay`...), `No` when 1.x ignored it, `Unknown` when the catalog cannot
/// tell.
pub fn default_applies(catalog: &Catalog, type_name: &str, property: &str) -> Answer {
    match catalog.has_property(type_name, property) {
        Answer::No if had_in_1x(catalog, type_name, property) => Answer::Yes,
        answer => answer,
    }
}

fn had_in_1x(catalog: &Catalog, type_name: &str, property: &str) -> bool {
    let (Some(canonical), Some(ty)) = (catalog.canonical_name(type_name), catalog.get(type_name))
    else {
        return false;
    };
    if CLASS_PROPERTIES_1X.contains(&(canonical, property)) {
        return true;
    }
    let bases: &[&str] = match ty.kind() {
        "task" if extends(catalog, ty, EXEC_SCRIPT) => &[TASK, EXEC_SCRIPT],
        "task" => &[TASK],
        "trigger" => &[TRIGGER],
        "condition" => &[CONDITION],
        "taskRunner" => &[TASK_RUNNER],
        _ => &[],
    };
    bases.iter().any(|base| {
        catalog
            .base_properties(RELEASE_1X, base)
            .is_some_and(|props| props.iter().any(|p| p == property))
    })
}

/// The catalog lists no base class per type: a type holding every 2.0
/// property of `base` is read as its subclass.
fn extends(catalog: &Catalog, ty: &PluginType, base: &str) -> bool {
    catalog
        .base_properties(RELEASE_CATALOG, base)
        .is_some_and(|props| props.iter().all(|p| ty.props().binary_search(p).is_ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_come_from_the_catalog() {
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
        // Families the old hand-written table did not cover.
        assert_eq!(
            has_property("io.kestra.plugin.gcp.bigquery.Query", "fetchSize"),
            Some(false)
        );
        assert_eq!(
            has_property("io.kestra.core.tasks.log.Log", "message"),
            Some(true)
        );
        assert_eq!(has_property("io.kestra.plugin.ee.vmware.Nope", "x"), None);
    }

    #[test]
    fn defaults_applied_by_1x_include_properties_2_0_dropped() {
        let c = Catalog::builtin();
        let applies = |t, p| default_applies(c, t, p);
        let py = "io.kestra.plugin.scripts.python.Script";
        let log = "io.kestra.plugin.core.log.Log";
        assert_eq!(applies(py, "containerImage"), Answer::Yes);
        // Base classes of 1.x: Task, AbstractExecScript, AbstractTrigger.
        assert_eq!(applies(log, "workerGroup"), Answer::Yes);
        assert_eq!(applies(py, "docker"), Answer::Yes);
        assert_eq!(applies(log, "docker"), Answer::No);
        let schedule = "io.kestra.plugin.core.trigger.Schedule";
        assert_eq!(applies(schedule, "conditions"), Answer::Yes);
        assert_eq!(applies(schedule, "workerGroup"), Answer::Yes);
        // One class's own, by old name too.
        assert_eq!(
            applies("io.kestra.core.tasks.flows.Pause", "delay"),
            Answer::Yes
        );
        assert_eq!(
            applies("io.kestra.plugin.core.kv.PurgeKV", "expiredOnly"),
            Answer::Yes
        );
        assert_eq!(applies(log, "delay"), Answer::No);
        let docker = "io.kestra.plugin.scripts.runner.docker.Docker";
        assert_eq!(applies(docker, "containerImage"), Answer::No);
        assert_eq!(applies("com.acme.Task", "x"), Answer::Unknown);
    }
}
