//! Which properties a plugin type has, as the codemods ask it.
//!
//! Kestra 1.x injected a default into every matching map and ignored
//! properties the plugin class lacks; Kestra 2.0 rejects unknown properties.
//! So writing a default's property into an instance is only right when the
//! instance's type has it. The answer comes from the plugin catalog
//! ([`super::catalog`]); where it cannot tell, callers must not guess.

use super::catalog::{Answer, Catalog};

/// Whether plugin type `type_name` has `property`: `None` when kestra-fix
/// cannot tell (unknown type, incomplete or open class).
pub fn has_property(type_name: &str, property: &str) -> Option<bool> {
    match Catalog::builtin().has_property(type_name, property) {
        Answer::Yes => Some(true),
        Answer::No => Some(false),
        Answer::Unknown => None,
    }
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
}
