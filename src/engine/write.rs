//! Writing a flow's results (DESIGN invariant 7): atomically, as one unit,
//! only over the file that was read, never over a read-only file or a
//! symbolic link.
//!
//! Temporary files are named `.kestra-fix-XXXXXX.tmp` and made in the
//! *flow's* folder, also for files created deeper down (`_files/scripts/`):
//! that folder holds flows, which deploys pick by `*.yml`/`*.yaml`, while
//! the namespace-files tree is uploaded whole, so a temp file a killed run
//! leaves there would be deployed. Created files go below the flow's folder
//! (the engine refuses anything else), so the rename stays on one
//! filesystem; across a mount point it falls back to the target's folder.
//! A run first removes the stale temp files of killed runs from the
//! folders it writes to; "stale" is by age, so a temp file another run is
//! writing right now is left alone.

use super::error::{Error, ErrorKind};
use super::process::{CreatedFile, FileReport};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

const TMP_PREFIX: &str = ".kestra-fix-";
const TMP_SUFFIX: &str = ".tmp";

/// A temp file this old is a leftover: a write lasts milliseconds.
const STALE_AFTER: Duration = Duration::from_secs(60);

/// What was read, to tell whether the file is still the same at write time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadStamp {
    pub len: u64,
    pub modified: Option<SystemTime>,
}

impl ReadStamp {
    pub fn of(meta: &std::fs::Metadata) -> Self {
        ReadStamp {
            len: meta.len(),
            modified: meta.modified().ok(),
        }
    }
}

/// A text's length and hash: what stays of a released original to tell
/// whether the file on disk is still that text. The hash only has to
/// catch a rewrite between the read and the write, not an adversary (who
/// could as well rewrite the file after the write).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digest {
    len: usize,
    hash: u64,
}

impl Digest {
    pub fn of(bytes: &[u8]) -> Self {
        use std::hash::Hasher;
        let mut hasher = std::hash::DefaultHasher::new();
        hasher.write(bytes);
        Digest {
            len: bytes.len(),
            hash: hasher.finish(),
        }
    }
}

/// Writes what `report` says (created files, then the fixed flow) or
/// nothing: on any failure what this call created is removed, the error is
/// recorded, and the report is reset to claim no change.
pub fn commit(report: &mut FileReport) {
    if !report.changed() {
        return;
    }
    if let Err(kind) = try_commit(report) {
        let error = Error::new(&report.path, None, kind);
        report.unfix();
        report.errors.push(error);
    }
}

fn try_commit(report: &FileReport) -> Result<(), ErrorKind> {
    let path = &report.path;
    let meta = std::fs::metadata(path).map_err(|_| ErrorKind::Changed)?;
    if report.stamp.as_ref() != Some(&ReadStamp::of(&meta)) {
        return Err(ErrorKind::Changed);
    }
    // Same size and time can still hide a rewrite within the clock's
    // granularity; the bytes decide.
    match std::fs::read(path) {
        Ok(bytes) if report.is_original(&bytes) => {}
        _ => return Err(ErrorKind::Changed),
    }
    if report.fixed.is_some() && is_read_only(&meta) {
        return Err(ErrorKind::ReadOnly);
    }
    // A symbolic link named on the command line stays a link: its target
    // is what gets replaced.
    let target = std::fs::canonicalize(path).map_err(ErrorKind::Write)?;
    let flow_dir = parent(path);

    let mut undo = Undo::default();
    for file in &report.created {
        if let Err(source) = create(file, flow_dir, &mut undo) {
            undo.run();
            return Err(ErrorKind::Create {
                created: file.path.clone(),
                source,
            });
        }
    }
    if let Some(text) = &report.fixed {
        if let Err(e) = replace(&target, text) {
            undo.run();
            return Err(ErrorKind::Write(e));
        }
    }
    Ok(())
}

/// No write permission for anyone: the user's "do not touch". Checked on
/// the bits, not with access(2), which says yes to root for any file.
#[cfg(unix)]
fn is_read_only(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o222 == 0
}

#[cfg(not(unix))]
fn is_read_only(meta: &std::fs::Metadata) -> bool {
    meta.permissions().readonly()
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// What one commit created, removed again if a later step fails.
#[derive(Default)]
struct Undo {
    files: Vec<PathBuf>,
    /// Created folders, outermost first.
    dirs: Vec<PathBuf>,
}

impl Undo {
    fn run(self) {
        for f in self.files.iter().rev() {
            let _ = std::fs::remove_file(f);
        }
        for d in self.dirs.iter().rev() {
            let _ = std::fs::remove_dir(d);
        }
    }
}

/// Creates `file` (failing if something is there by now) with its folders.
fn create(file: &CreatedFile, flow_dir: &Path, undo: &mut Undo) -> std::io::Result<()> {
    let dir = parent(&file.path);
    let missing: Vec<PathBuf> = dir
        .ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
        .map(Path::to_path_buf)
        .collect();
    for d in missing.into_iter().rev() {
        match std::fs::create_dir(&d) {
            Ok(()) => undo.dirs.push(d),
            // Another flow's write, in parallel, made it first: it is that
            // write's to remove, never this one's.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && d.is_dir() => {}
            Err(e) => return Err(e),
        }
    }
    let tmp = filled_temp(flow_dir, &file.contents)?;
    set_default_permissions(tmp.as_file())?;
    match tmp.persist_noclobber(&file.path) {
        Ok(_) => {}
        Err(e) if e.error.kind() == std::io::ErrorKind::CrossesDevices => {
            let tmp = filled_temp(dir, &file.contents)?;
            set_default_permissions(tmp.as_file())?;
            tmp.persist_noclobber(&file.path).map_err(|e| e.error)?;
        }
        Err(e) => return Err(e.error),
    }
    undo.files.push(file.path.clone());
    Ok(())
}

/// Replaces the existing file `path` through a rename, keeping its
/// permissions, so readers see the old or the new file, never half.
fn replace(path: &Path, contents: &str) -> std::io::Result<()> {
    #[cfg(test)]
    if tests::FAIL_REPLACE.with(|f| f.get()) {
        return Err(std::io::Error::other("no space left on device"));
    }
    let permissions = std::fs::metadata(path)?.permissions();
    let tmp = filled_temp(parent(path), contents)?;
    tmp.as_file().set_permissions(permissions)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

fn filled_temp(dir: &Path, contents: &str) -> std::io::Result<tempfile::NamedTempFile> {
    let mut tmp = tempfile::Builder::new()
        .prefix(TMP_PREFIX)
        .suffix(TMP_SUFFIX)
        .tempfile_in(dir)?;
    tmp.write_all(contents.as_bytes())?;
    tmp.as_file().sync_all()?;
    #[cfg(test)]
    tests::observe_temp(tmp.path());
    Ok(tmp)
}

/// Removes stale temp files from every folder the reports' writes make
/// temp files in, each folder once.
pub fn remove_stale_temps<'r>(reports: impl IntoIterator<Item = &'r FileReport>) {
    let mut dirs = std::collections::BTreeSet::new();
    for r in reports.into_iter().filter(|r| r.changed()) {
        dirs.insert(parent(&r.path).to_path_buf());
        if let Ok(target) = std::fs::canonicalize(&r.path) {
            dirs.insert(parent(&target).to_path_buf());
        }
    }
    for dir in dirs {
        remove_stale_temp_files(&dir);
    }
}

/// Removes this tool's temp files older than [`STALE_AFTER`] from `dir`.
fn remove_stale_temp_files(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !(name.starts_with(TMP_PREFIX) && name.ends_with(TMP_SUFFIX)) {
            continue;
        }
        let stale = entry
            .metadata()
            .ok()
            .filter(|m| m.is_file())
            .and_then(|m| m.modified().ok())
            .and_then(|t| now.duration_since(t).ok())
            .is_some_and(|age| age > STALE_AFTER);
        if stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// A temp file is created 0600; a new file gets the usual 0644.
#[cfg(unix)]
fn set_default_permissions(file: &std::fs::File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn set_default_permissions(_file: &std::fs::File) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::cell::RefCell;

    thread_local! {
        static TEMPS: RefCell<Vec<PathBuf>> = const { RefCell::new(Vec::new()) };
        /// Makes the flow's own write fail, as a full disk would.
        pub(super) static FAIL_REPLACE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    pub(super) fn observe_temp(path: &Path) {
        TEMPS.with(|t| t.borrow_mut().push(path.to_path_buf()));
    }

    fn report(dir: &Path, fixed: &str, created: &[(&str, &str)]) -> FileReport {
        let path = dir.join("flow.yaml");
        std::fs::write(&path, "old\n").unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        FileReport {
            path,
            is_flow: true,
            original: "old\n".into(),
            fixed: Some(fixed.into()),
            created: created
                .iter()
                .map(|(p, c)| CreatedFile {
                    path: dir.join(p),
                    contents: (*c).into(),
                })
                .collect(),
            stamp: Some(ReadStamp::of(&meta)),
            ..FileReport::default()
        }
    }

    #[cfg(unix)]
    #[test]
    fn keeps_permissions_creates_new_files_0644_and_puts_temps_in_the_flow_folder() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mut r = report(
            dir.path(),
            "new\n",
            &[("_files/scripts/f/t.py", "print()\n")],
        );
        std::fs::set_permissions(&r.path, std::fs::Permissions::from_mode(0o640)).unwrap();
        r.stamp = Some(ReadStamp::of(&std::fs::metadata(&r.path).unwrap()));
        TEMPS.with(|t| t.borrow_mut().clear());
        commit(&mut r);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(std::fs::read_to_string(&r.path).unwrap(), "new\n");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&r.path), 0o640);
        let script = dir.path().join("_files/scripts/f/t.py");
        assert_eq!(mode(&script), 0o644);
        let temps = TEMPS.with(|t| t.borrow().clone());
        assert_eq!(temps.len(), 2);
        for t in temps {
            assert_eq!(t.parent(), Some(dir.path()), "temp beside the flow");
            let name = t.file_name().unwrap().to_str().unwrap();
            assert!(name.starts_with(".kestra-fix-") && name.ends_with(".tmp"));
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn a_file_changed_or_deleted_since_the_read_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = report(dir.path(), "new\n", &[("notes/a.txt", "a\n")]);
        // Same length, so only the bytes tell.
        std::fs::write(&r.path, "OLD\n").unwrap();
        commit(&mut r);
        assert!(matches!(r.errors[0].kind, ErrorKind::Changed));
        assert_eq!(
            crate::report::error_line(&r.errors[0]),
            format!(
                "{}: error: changed while kestra-fix was running",
                r.path.display()
            )
        );
        assert_eq!(std::fs::read_to_string(&r.path).unwrap(), "OLD\n");
        assert!(!dir.path().join("notes").exists());
        assert!(r.fixed.is_none() && r.created.is_empty());

        let mut r = report(dir.path(), "new\n", &[]);
        std::fs::remove_file(&r.path).unwrap();
        commit(&mut r);
        assert!(matches!(r.errors[0].kind, ErrorKind::Changed));
        assert!(!r.path.exists(), "not resurrected");
    }

    #[test]
    fn a_released_original_is_checked_by_its_digest() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = report(dir.path(), "new\n", &[]);
        r.release_original(None);
        assert!(r.original.is_empty() && r.changed());
        // Same length and the same clock tick: only the bytes tell.
        std::fs::write(&r.path, "OLD\n").unwrap();
        r.stamp = Some(ReadStamp::of(&std::fs::metadata(&r.path).unwrap()));
        commit(&mut r);
        assert!(matches!(r.errors[0].kind, ErrorKind::Changed));
        assert!(!r.changed(), "a file left alone claims no change");
        assert_eq!(std::fs::read_to_string(&r.path).unwrap(), "OLD\n");

        let mut r = report(dir.path(), "new\n", &[]);
        r.release_original(None);
        commit(&mut r);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(std::fs::read_to_string(&r.path).unwrap(), "new\n");
    }

    #[test]
    fn a_failed_flow_write_removes_the_files_created_for_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = report(dir.path(), "new\n", &[("notes/deep/a.txt", "a\n")]);
        r.findings.push(crate::engine::Finding {
            codemod: "x",
            message: String::new(),
            start: crate::syntax::LineCol { line: 1, col: 1 },
            end: crate::syntax::LineCol { line: 1, col: 1 },
            applicability: crate::fix::Applicability::Safe,
            refusal: None,
            fixed: true,
        });
        FAIL_REPLACE.with(|f| f.set(true));
        commit(&mut r);
        FAIL_REPLACE.with(|f| f.set(false));
        assert!(
            matches!(r.errors[0].kind, ErrorKind::Write(_)),
            "{:?}",
            r.errors
        );
        assert!(
            !dir.path().join("notes").exists(),
            "created files and folders removed"
        );
        assert_eq!(std::fs::read_to_string(&r.path).unwrap(), "old\n");
        assert!(r.fixed.is_none() && r.created.is_empty() && !r.findings[0].fixed);
    }

    #[test]
    fn stale_temp_files_go_fresh_ones_and_other_files_stay() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let old = SystemTime::now() - Duration::from_secs(3600);
        for name in [".kestra-fix-old.tmp", ".kestra-fix-new.tmp", "keep.tmp"] {
            std::fs::write(d.join(name), "").unwrap();
        }
        for name in [".kestra-fix-old.tmp", "keep.tmp"] {
            let f = std::fs::File::options()
                .write(true)
                .open(d.join(name))
                .unwrap();
            f.set_modified(old).unwrap();
        }
        remove_stale_temp_files(d);
        assert!(!d.join(".kestra-fix-old.tmp").exists());
        assert!(d.join(".kestra-fix-new.tmp").exists());
        assert!(d.join("keep.tmp").exists());
    }
}
