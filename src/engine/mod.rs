//! The fix engine: select -> run -> resolve overlaps -> apply -> reparse ->
//! verify -> loop to a fixpoint -> write atomically.

pub mod config;
pub mod error;
pub mod process;
pub mod verify;
pub mod walk;
mod write;

pub use error::{Error, ErrorKind};
pub use process::{CreatedFile, FileReport, Finding};

use config::{Overrides, Resolver};
use rayon::prelude::*;
use std::path::PathBuf;
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
/// (from worker threads), for progress display.
pub fn run(
    options: &RunOptions,
    on_total: impl FnOnce(usize),
    on_file: &(dyn Fn() + Sync),
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

    let verifier = Verifier::default();
    let work = || {
        jobs.par_iter()
            .map(|(file, settings)| {
                let report = process::process_file(file, settings, &verifier, !options.dry_run);
                on_file();
                report
            })
            .collect::<Vec<_>>()
    };
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
