//! The fix engine: select -> run -> resolve overlaps -> apply -> reparse ->
//! verify -> loop to a fixpoint (flows the fixes create too), for every
//! file in parallel, writing nothing (a file that creates none is settled
//! there: rendered by the caller, its texts let go) -> settle claims on
//! created files across the run -> write each flow's results atomically,
//! as one unit.

pub mod config;
pub mod error;
pub mod process;
mod skip;
pub mod verify;
pub mod walk;
mod write;

pub use error::{Error, ErrorKind};
pub use process::{CreatedFile, FileReport, Finding, Released};

use crate::codemods::Declaration;
use config::{Overrides, Resolver, Settings};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use verify::Verifier;

/// What a run covers and how it behaves.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub paths: Vec<PathBuf>,
    pub dry_run: bool,
    pub no_ignore: bool,
    /// Worker threads; `None` uses every core.
    pub jobs: Option<usize>,
    /// `--config FILE`: replaces discovery.
    pub config: Option<PathBuf>,
    pub overrides: Overrides,
}

/// Everything a run found and did.
#[derive(Debug, Default)]
pub struct RunResult {
    /// Every YAML file looked at, in path order.
    pub files: Vec<FileReport>,
    /// Errors not tied to processing one file (config, walking).
    pub errors: Vec<Error>,
    /// The codemods that ran on some file, in registry order: what reports
    /// describe (SARIF rules), so they never read the registry.
    pub rules: Vec<&'static Declaration>,
    pub elapsed: Duration,
}

impl RunResult {
    pub fn all_errors(&self) -> impl Iterator<Item = &Error> {
        self.errors
            .iter()
            .chain(self.files.iter().flat_map(|f| &f.errors))
    }

    pub fn findings(&self) -> impl Iterator<Item = (&FileReport, &Finding)> {
        self.files
            .iter()
            .flat_map(|f| f.findings.iter().map(move |x| (f, x)))
    }
}

/// Runs over `options.paths`. `on_file` is called once per processed file
/// (from worker threads), for progress display. Every report keeps its
/// texts.
pub fn run(
    options: &RunOptions,
    on_total: impl FnOnce(usize),
    on_file: &(dyn Fn() + Sync),
) -> RunResult {
    run_settling(options, on_total, on_file, None)
}

/// What a caller makes of a file's texts (its patch) while the run still
/// holds them.
pub type Settle<'s> = dyn Fn(&FileReport) -> Option<String> + Sync + 's;

/// [`run`], settling each file as soon as nothing else in the run can
/// change its outcome: it creates no file, so no other flow's claim can
/// undo it. Such a file is given to `settle`, and its texts released (a
/// run that writes keeps the fixed text until the writes, and a digest of
/// the original to check the file against): a dry run holds the texts of
/// the files in flight and of flows that create files, not of every file.
pub fn run_settling(
    options: &RunOptions,
    on_total: impl FnOnce(usize),
    on_file: &(dyn Fn() + Sync),
    settle: Option<&Settle>,
) -> RunResult {
    let started = Instant::now();
    let mut result = RunResult::default();
    let mut resolver = match Resolver::new(options.overrides.clone(), options.config.as_deref()) {
        Ok(r) => r,
        Err(e) => {
            result.errors.push(e);
            result.elapsed = started.elapsed();
            return result;
        }
    };
    let (files, walk_errors) = walk::discover(&options.paths, options.no_ignore);
    result.errors.extend(walk_errors);

    // Settings are resolved up front, on one thread: discovery caches per
    // folder, and a bad config is reported once, not once per file.
    let mut jobs = Vec::with_capacity(files.len());
    let mut bad_configs: Vec<String> = Vec::new();
    for file in files {
        match resolver.settings_for(&file) {
            Ok(settings) => jobs.push((file, settings)),
            Err(e) => {
                let key = e.to_string();
                if !bad_configs.contains(&key) {
                    bad_configs.push(key);
                    result.errors.push(e);
                }
            }
        }
    }
    on_total(jobs.len());
    result.rules = crate::codemods::all()
        .iter()
        .filter(|c| {
            jobs.iter()
                .any(|(_, s)| s.codemods.iter().any(|r| r.name() == c.name()))
        })
        .map(|c| c.declaration())
        .collect();

    let work = || run_jobs(&jobs, options.dry_run, on_file, settle);
    result.files = match options.jobs {
        Some(n) => match rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build()
        {
            Ok(pool) => pool.install(work),
            Err(_) => work(),
        },
        None => work(),
    };
    result.elapsed = started.elapsed();
    result
}

/// The three phases: every file through the fix loop in parallel, writing
/// nothing; claims on created files settled across the whole run (so the
/// outcome does not depend on `-j`); then the writes.
fn run_jobs(
    jobs: &[(PathBuf, Arc<Settings>)],
    dry_run: bool,
    on_file: &(dyn Fn() + Sync),
    settle: Option<&Settle>,
) -> Vec<FileReport> {
    let verifier = Verifier::default();
    let mut reports: Vec<FileReport> = jobs
        .par_iter()
        .map(|(file, settings)| {
            let report = contain_panic(file, || {
                let mut report = process::analyze(file, settings, &verifier);
                if let Some(settle) = settle.filter(|_| report.created.is_empty()) {
                    let rendering = settle(&report);
                    if dry_run {
                        report.release_texts(rendering);
                    } else {
                        // Written after every file is analysed, as before:
                        // a flow's check of the files it creates must not
                        // depend on which other flows were written already.
                        report.release_original(rendering);
                    }
                }
                report
            });
            on_file();
            report
        })
        .collect();
    resolve_claims(&mut reports);
    if !dry_run {
        write_all(&mut reports);
    }
    reports
}

/// Two flows that create one path with different contents both fail; a
/// path created identically by several flows is created (and reported)
/// once, by the first in path order, and the others list it as shared.
fn resolve_claims(reports: &mut [FileReport]) {
    let mut claims: BTreeMap<PathBuf, Vec<usize>> = BTreeMap::new();
    for (i, r) in reports.iter().enumerate() {
        for c in &r.created {
            claims.entry(c.path.clone()).or_default().push(i);
        }
    }
    let contents = |r: &FileReport, path: &Path| {
        r.created
            .iter()
            .find(|c| c.path == path)
            .map(|c| c.contents.clone())
    };
    let mut failed: BTreeMap<usize, error::Error> = BTreeMap::new();
    for (path, owners) in &claims {
        let first = contents(&reports[owners[0]], path);
        let Some(&other) = owners[1..]
            .iter()
            .find(|&&j| contents(&reports[j], path) != first)
        else {
            continue;
        };
        for &i in owners {
            let blame = if i == owners[0] { other } else { owners[0] };
            failed.entry(i).or_insert_with(|| {
                Error::new(
                    &reports[i].path,
                    None,
                    ErrorKind::SharedConflict {
                        created: path.clone(),
                        other: reports[blame].path.clone(),
                    },
                )
            });
        }
    }
    for (i, e) in failed {
        reports[i].unfix();
        reports[i].errors.push(e);
    }
    let mut owned: HashSet<PathBuf> = HashSet::new();
    for r in reports.iter_mut() {
        let (mine, theirs): (Vec<_>, Vec<_>) = std::mem::take(&mut r.created)
            .into_iter()
            .partition(|c| owned.insert(c.path.clone()));
        r.created = mine;
        r.shared = theirs;
    }
}

/// Flows that share no created file are written in parallel; those that
/// do, in path order, each writing a shared file only if no flow before
/// it did (its creator may have failed).
fn write_all(reports: &mut [FileReport]) {
    write::remove_stale_temps(reports.iter());
    let shared: HashSet<PathBuf> = reports
        .iter()
        .flat_map(|r| &r.shared)
        .map(|c| c.path.clone())
        .collect();
    let linked =
        |r: &FileReport| !r.shared.is_empty() || r.created.iter().any(|c| shared.contains(&c.path));
    let (independent, linked): (Vec<&mut FileReport>, Vec<&mut FileReport>) =
        reports.iter_mut().partition(|r| !linked(r));
    independent.into_par_iter().for_each(contain_write_panic);
    let mut written: HashSet<PathBuf> = HashSet::new();
    for r in linked {
        let missing: Vec<CreatedFile> = std::mem::take(&mut r.shared)
            .into_iter()
            .filter(|c| !written.contains(&c.path))
            .collect();
        r.created.extend(missing);
        contain_write_panic(r);
        written.extend(r.created.iter().map(|c| c.path.clone()));
    }
}

fn contain_write_panic(report: &mut FileReport) {
    let path = report.path.clone();
    let failed = contain_panic(&path, || {
        write::commit(report);
        FileReport::default()
    });
    if !failed.errors.is_empty() {
        report.unfix();
        report.errors.extend(failed.errors);
    }
}

/// Runs `f` for `path`; a panic becomes that file's internal error, and
/// the other files go on.
fn contain_panic(path: &Path, f: impl FnOnce() -> FileReport) -> FileReport {
    panic_hook::install();
    match panic_hook::catching(f) {
        Ok(report) => report,
        Err(message) => FileReport {
            path: path.to_path_buf(),
            errors: vec![Error::new(path, None, ErrorKind::Panic { message })],
            ..FileReport::default()
        },
    }
}

/// A panic hook, set once, that keeps the message of a panic the engine
/// catches (for the error it reports) instead of printing it to stderr
/// for each file; other panics go to the hook that was there before.
mod panic_hook {
    use std::cell::{Cell, RefCell};
    use std::panic::{self, AssertUnwindSafe};
    use std::sync::Once;

    thread_local! {
        static CATCHING: Cell<bool> = const { Cell::new(false) };
        static MESSAGE: RefCell<Option<String>> = const { RefCell::new(None) };
    }

    pub fn install() {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            let previous = panic::take_hook();
            panic::set_hook(Box::new(move |info| {
                if !CATCHING.with(Cell::get) {
                    return previous(info);
                }
                let payload = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "no message".into());
                let message = match info.location() {
                    Some(l) => format!("{payload} at {}:{}:{}", l.file(), l.line(), l.column()),
                    None => payload,
                };
                MESSAGE.with(|m| *m.borrow_mut() = Some(message));
            }));
        });
    }

    /// `f`'s value, or the message of its panic.
    pub fn catching<T>(f: impl FnOnce() -> T) -> Result<T, String> {
        let outer = CATCHING.with(|c| c.replace(true));
        let result = panic::catch_unwind(AssertUnwindSafe(f));
        CATCHING.with(|c| c.set(outer));
        result.map_err(|_| {
            MESSAGE
                .with(|m| m.borrow_mut().take())
                .unwrap_or_else(|| "no message".into())
        })
    }
}
