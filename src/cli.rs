//! The command line: flags, subcommands, output routing and exit codes.
//!
//! Errors are typed inside the library and rendered here, once.

use crate::codemods;
use crate::engine::config::{self, Overrides};
use crate::engine::{self, RunOptions, RunResult};
use crate::kestra::catalog;
use crate::kestra::KestraVersion;
use crate::report::{self, OutputFormat};
use crate::syntax::{self, LineIndex};
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Nothing left to change.
pub const EXIT_CLEAN: u8 = 0;
/// Changes pending (dry run) or findings left unfixed.
pub const EXIT_PENDING: u8 = 1;
/// Any error: bad YAML, unreadable file, bad config, a fix refused by
/// verification; warnings too with `--warnings-as-errors`.
pub const EXIT_ERROR: u8 = 2;

const AFTER_HELP: &str = "\
Exit codes:
  0  nothing left to change
  1  changes pending (--dry-run) or findings left unfixed
  2  any error: invalid YAML, unreadable file, bad config or flags,
     a fix refused by verification (the file is then left unchanged);
     also any warning with --warnings-as-errors

With --dry-run, stdout carries only a git-style patch:
  kestra-fix --dry-run . > fix.patch && git apply fix.patch
With `-` as the path, one flow is read from stdin and the fixed flow
printed to stdout (the patch with --dry-run); findings go to stderr:
  kestra-fix --stdin-filename flows/a.yaml - < flows/a.yaml
With a machine format (json, github, sarif), the stream or file that
carries the report carries nothing else.";

/// Codemods for Kestra flow YAML: shows and applies fixes without touching
/// a byte it does not mean to change.
#[derive(Debug, Parser)]
#[command(name = "kestra-fix", version, after_help = AFTER_HELP, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    /// Files and folders to fix (folders: every *.yml / *.yaml inside);
    /// `-` reads one flow from stdin.
    #[arg(value_name = "PATHS")]
    paths: Vec<PathBuf>,

    /// The name of the flow read from stdin, for messages, the patch,
    /// config discovery and per-file-ignores (implies `-` without paths).
    #[arg(long, value_name = "PATH")]
    stdin_filename: Option<PathBuf>,

    /// List the fixes applied (with --dry-run: that would be applied),
    /// counted per codemod and file.
    #[arg(long)]
    show_fixes: bool,

    /// Write nothing; print the fixes as a patch that `git apply` accepts.
    #[arg(long, visible_alias = "diff")]
    dry_run: bool,

    /// Exit with status 0 even when changes are pending or findings are
    /// left (errors still exit 2).
    #[arg(long)]
    exit_zero: bool,

    /// Run only these codemods (comma-separated names).
    #[arg(long, value_delimiter = ',', value_name = "NAMES", value_parser = config::parse_codemod_name)]
    select: Option<Vec<String>>,

    /// Do not run these codemods (comma-separated names).
    #[arg(long, value_delimiter = ',', value_name = "NAMES", value_parser = config::parse_codemod_name)]
    ignore: Vec<String>,

    /// Also apply fixes that may change behaviour (each says what changes).
    #[arg(long)]
    unsafe_fixes: bool,

    /// Kestra version the flows must run on [default: 1.3].
    #[arg(long, value_name = "X.Y")]
    target_version: Option<KestraVersion>,

    /// How findings are reported.
    #[arg(long, value_enum, default_value_t)]
    output_format: OutputFormat,

    /// Write the findings report to FILE instead of stdout (stderr in a dry run).
    #[arg(short = 'o', long, value_name = "FILE")]
    output_file: Option<PathBuf>,

    /// Add the plugin types of this catalog (the format of
    /// `data/plugin-properties.json`; see `catalog import`); repeatable,
    /// layered over the config's `plugin-catalogs`.
    #[arg(long, value_name = "FILE")]
    plugin_catalog: Vec<PathBuf>,

    /// Print a table of findings per codemod (and, for a 2.0 target, how
    /// many flows are ready for it).
    #[arg(long)]
    statistics: bool,

    /// Use this config file instead of discovering kestra-fix.toml.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Do not honour .gitignore, .ignore and git excludes.
    #[arg(long)]
    no_ignore: bool,

    /// Worker threads [default: one per core].
    #[arg(short = 'j', long, value_name = "N")]
    jobs: Option<usize>,

    /// Print only errors (and the report in a machine format).
    #[arg(short, long, conflicts_with = "verbose")]
    quiet: bool,

    /// Also say which files were skipped and why.
    #[arg(short, long)]
    verbose: bool,

    /// Exit 2 when there are warnings (unknown or unused suppressions).
    #[arg(long)]
    warnings_as_errors: bool,

    /// Colour output.
    #[arg(long, value_enum, default_value_t)]
    color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ColorChoice {
    /// Only when writing to a terminal.
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    fn enabled(self, is_terminal: bool) -> bool {
        match self {
            ColorChoice::Auto => is_terminal && std::env::var_os("NO_COLOR").is_none(),
            ColorChoice::Always => true,
            ColorChoice::Never => false,
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List codemods: name, safety, whether on by default, summary.
    List {
        /// Kestra version that decides which codemods are on by default.
        #[arg(long, value_name = "X.Y")]
        target_version: Option<KestraVersion>,
    },
    /// Print a codemod's documentation.
    Explain {
        /// The codemod's name (see `list`).
        name: String,
    },
    /// Inspect how kestra-fix reads a file.
    #[command(subcommand)]
    Debug(DebugCommand),
    /// Manage plugin catalogs (which properties each plugin type has).
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Print the JSON Schema of kestra-fix.toml (for editors: e.g. taplo's
    /// `#:schema` directive or Even Better TOML).
    ConfigSchema,
    /// Run kestra-fix over many git repositories.
    #[command(subcommand)]
    Repos(ReposCommand),
    /// Print a shell completion script (e.g. `kestra-fix completions bash >
    /// ~/.local/share/bash-completion/completions/kestra-fix`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
enum ReposCommand {
    /// Clone (or fetch) each repository, branch from its default branch,
    /// apply kestra-fix, commit, and write a pull-request body.
    #[command(after_help = REPOS_AFTER_HELP)]
    Run(ReposRun),
}

const REPOS_AFTER_HELP: &str = "\
Each repository is cloned into DIR/<name> (fetched when already there) and
BRANCH is reset to its default branch (origin/HEAD, else main or master), so
a re-run starts over from the current default branch. The pull-request body
is written to DIR/<name>.PR.md, beside the clone, never inside it. <name> is
the repository's last path segment without .git (owner-name when two
repositories share it).

Options after `--` are kestra-fix's own run options, e.g.
  kestra-fix repos run --repos repos.txt --commit -- --target-version 2.0 --unsafe-fixes

stdout carries one table row per repository. Exit codes: 2 when any
repository had an error (the others still ran), 1 when findings are left
for a person, else 0.";

/// `repos run`'s flags.
#[derive(Debug, clap::Args)]
struct ReposRun {
    /// One repository URL or local path per line; `#` comments and blank
    /// lines are ignored.
    #[arg(long, value_name = "FILE")]
    repos: PathBuf,
    /// Where the clones and PR bodies go.
    #[arg(long, value_name = "DIR", default_value = "kestra-fix-repos")]
    workdir: PathBuf,
    /// The branch the fixes go on.
    #[arg(long, value_name = "NAME", default_value = "kestra-fix/migrate")]
    branch: String,
    /// Commit the fixes on the branch (title and fixes per codemod).
    #[arg(long)]
    commit: bool,
    /// One commit per codemod, in the order they run (implies --commit).
    #[arg(long)]
    commit_per_codemod: bool,
    /// `git push --force-with-lease origin BRANCH` when something was committed.
    #[arg(long)]
    push: bool,
    /// Open the pull request with `gh` (or print the command when `gh` is
    /// not on PATH); needs --push.
    #[arg(long, requires = "push")]
    open_pr: bool,
    /// Repositories processed at once.
    #[arg(short = 'j', long, value_name = "N", default_value_t = 1)]
    jobs: usize,
    /// kestra-fix run options (--select, --target-version, --unsafe-fixes, ...).
    #[arg(last = true, value_name = "KESTRA-FIX OPTIONS")]
    options: Vec<String>,
}

#[derive(Debug, Subcommand)]
enum CatalogCommand {
    /// Convert the JSON Schema a Kestra instance serves at
    /// `/api/v1/plugins/schemas/flow` into a plugin catalog.
    Import {
        /// The schema file (e.g. `curl $KESTRA/api/v1/plugins/schemas/flow > schema.json`).
        schema: PathBuf,
        /// Where to write the catalog [default: stdout].
        #[arg(short = 'o', long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum DebugCommand {
    /// One JSON object per token: {"kind": ..., "text": ...}.
    Tokens { file: PathBuf },
    /// Each document's data as one line of JSON.
    Json { file: PathBuf },
    /// The syntax tree.
    Tree { file: PathBuf },
}

/// Parses the process arguments and runs; the binary's whole `main`.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    ExitCode::from(match cli.command {
        Some(Command::List { target_version }) => list(target_version.unwrap_or_default()),
        Some(Command::Explain { ref name }) => explain(name),
        Some(Command::Debug(ref cmd)) => debug(cmd),
        Some(Command::Catalog(CatalogCommand::Import {
            ref schema,
            ref output,
        })) => catalog_import(schema, output.as_deref()),
        Some(Command::ConfigSchema) => {
            println!("{:#}", config::json_schema());
            EXIT_CLEAN
        }
        Some(Command::Repos(ReposCommand::Run(ref args))) => repos_run(args),
        Some(Command::Completions { shell }) => {
            use clap::CommandFactory;
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "kestra-fix",
                &mut std::io::stdout(),
            );
            EXIT_CLEAN
        }
        None => fix(&cli),
    })
}

fn list(target: KestraVersion) -> u8 {
    let all = codemods::all();
    let width = all.iter().map(|c| c.name().len()).max().unwrap_or(0) + 2;
    println!(
        "{:width$}  {:16}  {:7}  SUMMARY",
        "FAMILY / NAME", "SAFETY", "DEFAULT"
    );
    for family in codemods::Family::ALL {
        println!("{family}");
        for c in codemods::in_family(family) {
            let on = if c.default_on(target) { "on" } else { "off" };
            println!(
                "  {:w$}  {:16}  {on:7}  {}",
                c.name(),
                c.safety().to_string(),
                c.summary(),
                w = width - 2
            );
        }
    }
    EXIT_CLEAN
}

fn explain(name: &str) -> u8 {
    match codemods::by_name(name) {
        Some(c) => {
            print!("{}", c.docs());
            EXIT_CLEAN
        }
        None => {
            if let Err(unknown) = config::codemods_named(name) {
                eprintln!("error: {}", report::escape(&unknown.to_string()));
            }
            EXIT_ERROR
        }
    }
}

fn catalog_import(schema: &Path, output: Option<&Path>) -> u8 {
    let shown = |p: &Path| report::escape(&report::display_path(p)).into_owned();
    let text = match std::fs::read_to_string(schema) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{}: error: cannot read: {e}", shown(schema));
            return EXIT_ERROR;
        }
    };
    let imported = match catalog::import_schema(&text) {
        Ok(i) => i,
        Err(e) => {
            let at = e
                .position()
                .map_or(String::new(), |(l, c)| format!(":{l}:{c}"));
            eprintln!(
                "{}{at}: error: {}",
                shown(schema),
                report::escape(&e.to_string())
            );
            return EXIT_ERROR;
        }
    };
    let body = format!("{:#}\n", imported.json);
    let written = match output {
        Some(path) => std::fs::write(path, body),
        None => std::io::stdout().lock().write_all(body.as_bytes()),
    };
    if let Err(e) = written {
        let path = output.map_or_else(|| "stdout".into(), shown);
        eprintln!("{path}: error: cannot write: {e}");
        return EXIT_ERROR;
    }
    eprintln!(
        "kestra-fix: imported {} plugin {} from {}",
        imported.types,
        if imported.types == 1 { "type" } else { "types" },
        shown(schema)
    );
    EXIT_CLEAN
}

fn repos_run(args: &ReposRun) -> u8 {
    let usage = |message: &str| {
        eprintln!("error: {message}");
        EXIT_ERROR
    };
    if args.push && !(args.commit || args.commit_per_codemod) {
        return usage("--push needs --commit or --commit-per-codemod");
    }
    // The run options are kestra-fix's own flags, parsed by the same struct.
    let run = match Cli::try_parse_from(
        std::iter::once("kestra-fix".to_string()).chain(args.options.clone()),
    ) {
        Ok(run) => run,
        Err(e) => {
            let _ = e.print();
            return EXIT_ERROR;
        }
    };
    if run.command.is_some() || !run.paths.is_empty() {
        return usage("after `--` come run options only: the paths are the repositories");
    }
    if run.dry_run
        || run.output_file.is_some()
        || run.statistics
        || run.output_format != OutputFormat::Text
    {
        return usage(
            "after `--`, --dry-run and report options do not apply: each repository gets a PR body",
        );
    }
    let text = match std::fs::read_to_string(&args.repos) {
        Ok(t) => t,
        Err(e) => {
            let path = report::display_path(&args.repos);
            eprintln!("{}: error: cannot read: {e}", report::escape(&path));
            return EXIT_ERROR;
        }
    };
    let options = crate::bulk::Options {
        repos: crate::bulk::repos::parse(&text),
        workdir: args.workdir.clone(),
        branch: args.branch.clone(),
        commit: args.commit || args.commit_per_codemod,
        commit_per_codemod: args.commit_per_codemod,
        push: args.push,
        open_pr: args.open_pr,
        jobs: args.jobs,
        run: RunOptions {
            no_ignore: run.no_ignore,
            jobs: run.jobs,
            config: run.config.clone(),
            overrides: Overrides {
                select: run.select.clone(),
                ignore: run.ignore.clone(),
                unsafe_fixes: run.unsafe_fixes,
                target_version: run.target_version,
                plugin_catalogs: run.plugin_catalog.clone(),
            },
            ..RunOptions::default()
        },
    };
    let outcomes = crate::bulk::run(&options);
    for o in &outcomes {
        for e in &o.errors {
            eprintln!("{e}");
        }
        match &o.pull_request {
            Some(crate::bulk::PullRequest::Opened(url)) => {
                eprintln!(
                    "{}: pull request: {}",
                    report::escape(&o.name),
                    report::escape(url)
                );
            }
            Some(crate::bulk::PullRequest::Command(command)) => eprintln!(
                "{}: `gh` is not on PATH; open the pull request with:\n  {}",
                report::escape(&o.name),
                report::escape(command)
            ),
            None => {}
        }
    }
    let table = crate::bulk::table(&outcomes, &args.branch);
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(table.as_bytes());
    let _ = stdout.flush();
    crate::bulk::exit_code(&outcomes)
}

fn read_for_debug(file: &Path) -> Result<String, u8> {
    std::fs::read_to_string(file).map_err(|e| {
        let path = report::display_path(file);
        eprintln!("{}: error: cannot read: {e}", report::escape(&path));
        EXIT_ERROR
    })
}

fn debug(cmd: &DebugCommand) -> u8 {
    let (DebugCommand::Tokens { file } | DebugCommand::Json { file } | DebugCommand::Tree { file }) =
        cmd;
    let text = match read_for_debug(file) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let parse = syntax::parse(&text);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match cmd {
        DebugCommand::Tokens { .. } => {
            for token in parse
                .syntax()
                .descendants_with_tokens()
                .filter_map(|e| e.into_token())
            {
                let line = serde_json::json!({ "kind": format!("{:?}", token.kind()), "text": token.text() });
                let _ = writeln!(out, "{line}");
            }
        }
        DebugCommand::Tree { .. } => {
            let _ = writeln!(out, "{:#?}", parse.syntax());
        }
        DebugCommand::Json { .. } => {
            let located = |range: syntax::TextRange, message: &str| {
                let p = LineIndex::new(&text).line_col(&text, range.start());
                let path = report::display_path(file);
                eprintln!(
                    "{}:{}:{}: {}",
                    report::escape(&path),
                    p.line,
                    p.col,
                    report::escape(message)
                );
                EXIT_ERROR
            };
            if let Some(e) = parse.errors().first() {
                return located(e.range, &e.message);
            }
            match syntax::value::decode_documents(&parse) {
                Ok(docs) => {
                    for doc in docs {
                        let _ = writeln!(out, "{}", doc.to_json());
                    }
                }
                Err(e) => return located(e.range, &e.message),
            }
        }
    }
    let _ = out.flush();
    EXIT_CLEAN
}

/// A path that does not exist but is a typo of a subcommand (`lsit`):
/// without this it would read as "cannot read: no such file".
fn mistyped_subcommand(paths: &[PathBuf]) -> Option<String> {
    let cli = Cli::command();
    let names: Vec<&str> = cli.get_subcommands().map(|c| c.get_name()).collect();
    paths.iter().find_map(|path| {
        let name = path.to_str()?;
        if name.contains(['/', '\\', '.']) || path.symlink_metadata().is_ok() {
            return None;
        }
        let meant = config::closest(name, names.iter().copied())?;
        Some(format!(
            "error: `{}` is no file or folder; did you mean `kestra-fix {meant}`?",
            report::escape(name)
        ))
    })
}

/// The path that stands for standard input.
const STDIN: &str = "-";

fn fix(cli: &Cli) -> u8 {
    if let Some(message) = mistyped_subcommand(&cli.paths) {
        eprintln!("{message}");
        return EXIT_ERROR;
    }
    let dashes = cli.paths.iter().filter(|p| p.as_os_str() == STDIN).count();
    let stdin = dashes > 0 || (cli.paths.is_empty() && cli.stdin_filename.is_some());
    if stdin && cli.paths.len() > dashes.min(1) {
        eprintln!("error: `-` (a flow on stdin) cannot be combined with other paths");
        return EXIT_ERROR;
    }
    let options = RunOptions {
        paths: if cli.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            cli.paths.clone()
        },
        dry_run: cli.dry_run,
        no_ignore: cli.no_ignore,
        jobs: cli.jobs,
        config: cli.config.clone(),
        overrides: Overrides {
            select: cli.select.clone(),
            ignore: cli.ignore.clone(),
            unsafe_fixes: cli.unsafe_fixes,
            target_version: cli.target_version,
            plugin_catalogs: cli.plugin_catalog.clone(),
        },
    };
    // Stdout carries the patch in a dry run, and the fixed flow when the
    // flow came from stdin; the findings then go to stderr.
    let stdout_busy = cli.dry_run || stdin;
    // A machine-format report alone on its stream: when that stream is
    // stderr, nothing else goes there (errors and warnings are in the
    // report).
    let stderr_is_report =
        stdout_busy && cli.output_file.is_none() && cli.output_format != OutputFormat::Text;
    let (result, stdin_bytes) = if stdin {
        let name = cli
            .stdin_filename
            .clone()
            .unwrap_or_else(|| PathBuf::from(STDIN));
        let mut bytes = Vec::new();
        if let Err(e) = std::io::stdin().lock().read_to_end(&mut bytes) {
            eprintln!("error: cannot read stdin: {e}");
            return EXIT_ERROR;
        }
        let result = run_stdin(&options, &name, bytes.clone());
        (result, Some(bytes))
    } else {
        let progress =
            Progress::new(!cli.quiet && !stderr_is_report && std::io::stderr().is_terminal());
        // Files are settled as they are done, their texts let go: only
        // SARIF, which maps positions to data paths afterwards, needs them
        // kept.
        let color = cli.color.enabled(std::io::stdout().is_terminal());
        let patch = |file: &engine::FileReport| {
            (cli.dry_run && file.changed()).then(|| report::diff::file_patch(file, color))
        };
        let settle: Option<&engine::Settle> =
            (cli.output_format != OutputFormat::Sarif).then_some(&patch);
        let result =
            engine::run_settling(&options, |n| progress.start(n), &|| progress.tick(), settle);
        progress.finish();
        (result, None)
    };

    let warnings = report::warnings(&result);
    if !stderr_is_report {
        for e in result.all_errors() {
            eprintln!("{}", report::error_line(e));
        }
        for w in &warnings {
            eprintln!("{}", report::warning_line(w));
        }
        if cli.verbose {
            for file in &result.files {
                if file.is_flow || !file.errors.is_empty() {
                    continue;
                }
                let reason =
                    report::skip_reason(file).unwrap_or_else(|| "not a Kestra flow".into());
                let path = report::display_path(&file.path);
                eprintln!("{}: skipped: {reason}", report::escape(&path));
            }
        }
    }
    let mut stdout = std::io::stdout().lock();
    if cli.dry_run {
        let color = cli.color.enabled(std::io::stdout().is_terminal());
        let _ = report::diff::write(&result, color, &mut stdout);
    } else if let Some(bytes) = &stdin_bytes {
        // The flow as fixed, else as it came: the output of a filter
        // always stands in for its input.
        let fixed = result.files.first().and_then(|f| f.fixed.as_deref());
        let _ = stdout.write_all(fixed.map_or(bytes.as_slice(), str::as_bytes));
    }
    let _ = stdout.flush();
    drop(stdout);
    if let Err(e) = write_report(cli, &result, &warnings, stdout_busy) {
        eprintln!("error: cannot write the report: {e}");
        return EXIT_ERROR;
    }
    if cli.show_fixes && cli.output_format == OutputFormat::Text && !cli.quiet {
        let color = |terminal: bool| cli.color.enabled(terminal);
        let _ = if stdout_busy {
            let text = fix_summary(&result, cli.dry_run, color(std::io::stderr().is_terminal()));
            std::io::stderr().lock().write_all(text.as_bytes())
        } else {
            let text = fix_summary(&result, cli.dry_run, color(std::io::stdout().is_terminal()));
            std::io::stdout().lock().write_all(text.as_bytes())
        };
    }
    if !cli.quiet && !stderr_is_report {
        eprintln!(
            "{}",
            report::summary::render(&result, cli.dry_run, warnings.len())
        );
        // `--statistics` prints it with its table.
        if let Some(r) = report::summary::readiness(&result, cli.dry_run)
            .filter(|_| !cli.statistics || cli.output_format != OutputFormat::Text)
        {
            eprintln!("{}", report::summary::readiness_line(&r));
        }
    }
    if cli.warnings_as_errors && !warnings.is_empty() {
        return EXIT_ERROR;
    }
    match exit_code(&result, cli.dry_run) {
        EXIT_PENDING if cli.exit_zero => EXIT_CLEAN,
        code => code,
    }
}

/// One flow from stdin, named `name`, with the settings a file of that
/// name would get; nothing is written.
fn run_stdin(options: &RunOptions, name: &Path, bytes: Vec<u8>) -> RunResult {
    let started = std::time::Instant::now();
    let mut result = RunResult::default();
    let settings = config::Resolver::new(options.overrides.clone(), options.config.as_deref())
        .and_then(|mut r| r.settings_for(name));
    match settings {
        Ok(settings) => {
            let verifier = engine::verify::Verifier::default();
            let report = engine::process::analyze_stdin(name, bytes, &settings, &verifier);
            result.rules = settings.codemods.iter().map(|c| c.declaration()).collect();
            result.files.push(report);
        }
        Err(e) => result.errors.push(e),
    }
    result.elapsed = started.elapsed();
    result
}

/// ruff's `--show-fixes`: the fixes of the run, counted per codemod within
/// each file, with what each codemod does.
fn fix_summary(result: &RunResult, dry_run: bool, color: bool) -> String {
    use std::collections::BTreeMap;
    use std::fmt::Write as _;
    let mut per_file: Vec<(String, BTreeMap<&str, usize>)> = Vec::new();
    for file in &result.files {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for f in file.findings.iter().filter(|f| f.fixed) {
            *counts.entry(f.codemod).or_default() += 1;
        }
        if !counts.is_empty() {
            per_file.push((report::display_path(&file.path), counts));
        }
    }
    let total: usize = per_file.iter().flat_map(|(_, c)| c.values()).sum();
    if total == 0 {
        return String::new();
    }
    let (bold, reset) = if color {
        ("\x1b[1m", "\x1b[0m")
    } else {
        ("", "")
    };
    let width = per_file
        .iter()
        .flat_map(|(_, c)| c.values())
        .max()
        .map_or(1, |n| n.to_string().len());
    let verb = if dry_run { "Would fix" } else { "Fixed" };
    let s = if total == 1 { "" } else { "s" };
    let mut out = format!("\n{bold}{verb} {total} error{s}:{reset}\n");
    for (path, counts) in per_file {
        let _ = writeln!(out, "- {bold}{}{reset}:", report::escape(&path));
        for (codemod, n) in counts {
            let summary = result
                .rules
                .iter()
                .find(|r| r.name == codemod)
                .map_or("", |r| r.summary);
            let _ = writeln!(out, "    {n:>width$} × {codemod} ({summary})");
        }
    }
    out
}

/// The findings report goes to `--output-file`, else stdout, except when
/// stdout carries the patch or the fixed flow: then it goes to stderr.
fn write_report(
    cli: &Cli,
    result: &RunResult,
    warnings: &[report::Warning],
    stdout_busy: bool,
) -> std::io::Result<()> {
    let to_terminal = match (&cli.output_file, stdout_busy) {
        (Some(_), _) => false,
        (None, true) => std::io::stderr().is_terminal(),
        (None, false) => std::io::stdout().is_terminal(),
    };
    let body = match cli.output_format {
        OutputFormat::Text if cli.quiet => return Ok(()),
        // ruff's `--statistics`: the counts instead of each finding.
        OutputFormat::Text if cli.statistics => report::summary::statistics(result, cli.dry_run),
        OutputFormat::Text => {
            report::text::render(result, cli.dry_run, cli.color.enabled(to_terminal))
        }
        OutputFormat::Json => format!(
            "{:#}\n",
            report::json::render(result, warnings, cli.dry_run)
        ),
        OutputFormat::Github => report::github::render(result, warnings, cli.dry_run),
        OutputFormat::Sarif => format!(
            "{:#}\n",
            report::sarif::render(result, warnings, cli.dry_run)
        ),
        OutputFormat::Markdown => report::markdown::render(result, cli.dry_run),
    };
    match (&cli.output_file, stdout_busy) {
        (Some(path), _) => std::fs::write(path, body),
        (None, true) => std::io::stderr().lock().write_all(body.as_bytes()),
        (None, false) => std::io::stdout().lock().write_all(body.as_bytes()),
    }
}

fn exit_code(result: &RunResult, dry_run: bool) -> u8 {
    if result.all_errors().next().is_some() {
        return EXIT_ERROR;
    }
    let pending = dry_run && result.files.iter().any(|f| f.changed());
    let unfixed = result.findings().any(|(_, f)| !f.fixed);
    if pending || unfixed {
        EXIT_PENDING
    } else {
        EXIT_CLEAN
    }
}

/// A progress bar on stderr, only for runs long enough to want one.
struct Progress {
    bar: std::sync::OnceLock<indicatif::ProgressBar>,
    enabled: bool,
}

/// Files per second, whole.
fn rate(per_sec: f64) -> String {
    format!("{per_sec:.0}/s")
}

/// Below this many files a run takes well under a second.
const PROGRESS_MIN_FILES: usize = 200;

impl Progress {
    fn new(enabled: bool) -> Self {
        Progress {
            bar: std::sync::OnceLock::new(),
            enabled,
        }
    }

    fn start(&self, total: usize) {
        if !self.enabled || total < PROGRESS_MIN_FILES {
            return;
        }
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(total as u64),
            indicatif::ProgressDrawTarget::stderr(),
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} files ({rate}, {eta} left)",
        ) {
            // indicatif's own `{per_sec}` prints `322.5877/s`.
            bar.set_style(style.with_key(
                "rate",
                |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = w.write_str(&rate(state.per_sec()));
                },
            ));
        }
        let _ = self.bar.set(bar);
    }

    fn tick(&self) {
        if let Some(bar) = self.bar.get() {
            bar.inc(1);
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.bar.get() {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_is_whole() {
        assert_eq!(rate(322.5877), "323/s");
    }
}
