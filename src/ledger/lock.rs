//! One run at a time: an exclusive OS lock on `<ledger>.lock`, next to the ledger's canonical
//! path so every way of reaching the ledger takes the same lock. A second run gets `Locked`
//! (exit 75).

use anyhow::{Context, Result};
use std::fs::File;
use std::path::{Path, PathBuf};

/// Held for the whole run; dropping it releases the OS lock. The lock file also keeps the
/// ledger's stamp (sizes and modification times of the database and its WAL) as the last run
/// left them: when nothing else touched the ledger since, the next run skips SQLite's full
/// quick_check, so a run's time does not grow with the ledger; any other change (a restore, a
/// truncation, damage) gets the full check.
pub struct RunLock {
    file: File,
}

impl RunLock {
    /// The stamp the last run that finished left, if any.
    pub fn stamp(&self) -> Option<String> {
        use std::io::{Read, Seek};
        let mut f = &self.file;
        let mut s = String::new();
        f.seek(std::io::SeekFrom::Start(0)).ok()?;
        f.read_to_string(&mut s).ok()?;
        let s = s.trim().to_string();
        (!s.is_empty()).then_some(s)
    }

    /// Records the ledger's stamp as this run leaves it (call after the ledger is closed).
    pub fn seal(&self, ledger: &Path) {
        use std::io::{Seek, Write};
        let mut f = &self.file;
        let _ = f.set_len(0);
        let _ = f.seek(std::io::SeekFrom::Start(0));
        let _ = f.write_all(stamp(ledger).as_bytes());
    }
}

/// Sizes and modification times of the ledger and its WAL, as one string.
pub fn stamp(ledger: &Path) -> String {
    let one = |p: &Path| match std::fs::metadata(p) {
        Ok(m) => {
            let t = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            format!("{}:{t}", m.len())
        }
        Err(_) => "-".into(),
    };
    let mut wal = ledger.as_os_str().to_owned();
    wal.push("-wal");
    format!("{} {}", one(ledger), one(Path::new(&wal)))
}

#[derive(Debug)]
pub struct Locked(pub PathBuf);

impl std::fmt::Display for Locked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "another cartnudge run holds the lock {}; this run did nothing",
            self.0.display()
        )
    }
}
impl std::error::Error for Locked {}

/// The lock next to the ledger's real path: two configs that reach one ledger through different
/// paths (a symlink, `..`) take the same lock.
pub fn lock_path(ledger: &Path) -> PathBuf {
    let ledger = canonical(ledger);
    let mut name = ledger
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".lock");
    ledger.with_file_name(name)
}

/// `path` with symlinks and `..` resolved; for a file not yet created, its folder's.
fn canonical(path: &Path) -> PathBuf {
    if let Ok(p) = std::fs::canonicalize(path) {
        return p;
    }
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    match (dir.map(std::fs::canonicalize), path.file_name()) {
        (Some(Ok(d)), Some(name)) => d.join(name),
        (None, Some(name)) => std::env::current_dir()
            .map(|d| d.join(name))
            .unwrap_or_else(|_| path.to_path_buf()),
        _ => path.to_path_buf(),
    }
}

/// Takes the exclusive run lock, or fails with `Locked` (exit 75) when another run has it.
pub fn lock(ledger: &Path) -> Result<RunLock> {
    let path = lock_path(ledger);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create ledger folder {}", dir.display()))?;
    }
    let file = crate::fsutil::private_options()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open lock file {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(RunLock { file }),
        Err(std::fs::TryLockError::WouldBlock) => Err(Locked(path).into()),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seal_matches_an_untouched_ledger_and_not_a_changed_one() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("l.db");
        drop(crate::ledger::Ledger::open(&db).unwrap());
        let l = lock(&db).unwrap();
        assert_eq!(l.stamp(), None);
        l.seal(&db);
        assert_eq!(l.stamp().as_deref(), Some(stamp(&db).as_str()));
        // Any change outside a run (a restore, a truncation) breaks the match.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&db)
            .unwrap()
            .set_len(0)
            .unwrap();
        assert_ne!(l.stamp().as_deref(), Some(stamp(&db).as_str()));
    }
}
