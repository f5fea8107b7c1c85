//! What each language's `Script` task runs, and how a `Commands` task runs
//! the same program from a namespace file (SEMANTICS.md, "Script tasks").

/// One `io.kestra.plugin.scripts.<name>` family.
pub struct Language {
    /// The package segment: `io.kestra.plugin.scripts.<name>.Script`.
    pub name: &'static str,
    /// The extension `Script` gives its temporary file (and ours).
    pub ext: &'static str,
    /// The command before the file's path (`python`, `go run`); empty for
    /// PowerShell, which runs the file itself.
    pub runner: &'static str,
    /// Text that shows the program reads its own location or loads files
    /// relative to it: those move from the working directory to
    /// `scripts/<flow>/`, so the extraction is unsafe.
    pub location_markers: &'static [&'static str],
    /// The interpreter adds the script's folder to its module path (Python's
    /// `sys.path[0]`, Groovy's classpath): with other files in the working
    /// directory (`inputFiles`, namespace files), imports may resolve
    /// differently once the script lives in `scripts/<flow>/`.
    pub imports_from_script_dir: bool,
}

const JS_MARKERS: &[&str] = &[
    "__dirname",
    "__filename",
    "import.meta",
    "process.argv[1]",
    "require('./",
    "require(\"./",
    "require('../",
    "require(\"../",
    "from './",
    "from \"./",
    "from '../",
    "from \"../",
    "import('./",
    "import(\"./",
    "import('../",
    "import(\"../",
];

pub const LANGUAGES: &[Language] = &[
    Language {
        name: "python",
        ext: "py",
        runner: "python",
        location_markers: &["__file__", "sys.argv[0]", "sys.path[0]"],
        imports_from_script_dir: true,
    },
    Language {
        name: "node",
        ext: "js",
        runner: "node",
        location_markers: JS_MARKERS,
        imports_from_script_dir: false,
    },
    Language {
        name: "r",
        ext: "R",
        runner: "Rscript",
        location_markers: &["sys.frame", "sys.function", "commandArgs("],
        imports_from_script_dir: false,
    },
    Language {
        name: "julia",
        ext: "jl",
        runner: "julia",
        location_markers: &["@__DIR__", "@__FILE__", "PROGRAM_FILE", "include("],
        imports_from_script_dir: false,
    },
    Language {
        name: "ruby",
        ext: "rb",
        runner: "ruby",
        location_markers: &[
            "__FILE__",
            "__dir__",
            "require_relative",
            "$0",
            "$PROGRAM_NAME",
        ],
        imports_from_script_dir: false,
    },
    Language {
        name: "go",
        ext: "go",
        runner: "go run",
        location_markers: &["go:embed", "os.Args[0]", "runtime.Caller"],
        imports_from_script_dir: false,
    },
    Language {
        name: "bun",
        ext: "ts",
        runner: "bun run",
        location_markers: JS_MARKERS,
        imports_from_script_dir: false,
    },
    Language {
        name: "deno",
        ext: "ts",
        runner: "deno run",
        location_markers: JS_MARKERS,
        imports_from_script_dir: false,
    },
    Language {
        name: "perl",
        ext: "pl",
        runner: "perl",
        location_markers: &["$0", "__FILE__", "FindBin"],
        imports_from_script_dir: false,
    },
    Language {
        name: "lua",
        ext: "lua",
        runner: "lua",
        location_markers: &["arg[0]", "debug.getinfo"],
        imports_from_script_dir: false,
    },
    Language {
        name: "groovy",
        ext: "groovy",
        runner: "groovy",
        location_markers: &["protectionDomain", "scriptFile", "getScriptPath"],
        imports_from_script_dir: true,
    },
    Language {
        name: "powershell",
        ext: "ps1",
        runner: "",
        location_markers: &["$PSScriptRoot", "$PSCommandPath", "$MyInvocation"],
        imports_from_script_dir: false,
    },
    Language {
        name: "shell",
        ext: "sh",
        runner: ".",
        location_markers: &["BASH_SOURCE"],
        imports_from_script_dir: false,
    },
];

const PREFIX: &str = "io.kestra.plugin.scripts.";

impl Language {
    /// The language whose `Script` type is `type_name`.
    pub fn of_script(type_name: &str) -> Option<&'static Language> {
        let lang = type_name.strip_prefix(PREFIX)?.strip_suffix(".Script")?;
        LANGUAGES.iter().find(|l| l.name == lang)
    }

    pub fn commands_type(&self) -> String {
        format!("{PREFIX}{}.Commands", self.name)
    }

    /// The command that runs the namespace file at `path` (relative to
    /// the working directory) the way `Script` ran its temporary file.
    ///
    /// Shell is sourced with `.`: `Script` appended the text to the same
    /// `/bin/sh -c` string as `beforeCommands` (after `set -e`, which both
    /// tasks add from `failFast`), so it shares their shell, variables and
    /// options. PowerShell runs the file as `Script` does (`.\f.ps1`), with
    /// `/`, which pwsh accepts on every OS.
    pub fn command(&self, path: &str) -> String {
        match self.runner {
            "" => format!("./{path}"),
            "." => format!(". ./{path}"),
            runner => format!("{runner} {path}"),
        }
    }

    /// The first location marker the script contains.
    pub fn location_marker(&self, script: &str) -> Option<&'static str> {
        if self.name == "shell" {
            // A top-level `return` is an error in `sh -c` but leaves a
            // sourced file early.
            if script
                .lines()
                .any(|l| l.trim_start().split([' ', ';', '\t']).next() == Some("return"))
            {
                return Some("return");
            }
        }
        self.location_markers
            .iter()
            .copied()
            .find(|m| script.contains(m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_of_semantics_has_an_entry() {
        for name in [
            "python",
            "node",
            "r",
            "julia",
            "ruby",
            "go",
            "bun",
            "deno",
            "perl",
            "lua",
            "groovy",
            "powershell",
            "shell",
        ] {
            let lang = Language::of_script(&format!("io.kestra.plugin.scripts.{name}.Script"))
                .unwrap_or_else(|| panic!("{name}"));
            assert_eq!(lang.name, name);
        }
        assert!(Language::of_script("io.kestra.plugin.scripts.php.Script").is_none());
        assert!(Language::of_script("io.kestra.plugin.scripts.python.Commands").is_none());
    }

    #[test]
    fn commands_run_the_file_like_script_did() {
        let by = |n: &str| LANGUAGES.iter().find(|l| l.name == n).unwrap();
        assert_eq!(
            by("python").command("scripts/f/t.py"),
            "python scripts/f/t.py"
        );
        assert_eq!(by("r").command("scripts/f/t.R"), "Rscript scripts/f/t.R");
        assert_eq!(by("go").command("scripts/f/t.go"), "go run scripts/f/t.go");
        assert_eq!(by("shell").command("scripts/f/t.sh"), ". ./scripts/f/t.sh");
        assert_eq!(
            by("powershell").command("scripts/f/t.ps1"),
            "./scripts/f/t.ps1"
        );
        assert_eq!(
            by("shell").location_marker("f() {\n  return 1\n}\n"),
            Some("return")
        );
        assert_eq!(by("shell").location_marker("echo returned\n"), None);
    }
}
