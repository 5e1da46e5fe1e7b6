//! One run at a time: an exclusive OS lock on `<ledger>.lock`, next to the ledger's canonical
//! path so every way of reaching the ledger takes the same lock. A second run gets `Locked`
//! (exit 75).

use anyhow::{Context, Result};
use std::fs::File;
use std::path::{Path, PathBuf};

/// Held for the whole run; dropping it releases the OS lock.
pub struct RunLock {
    _file: File,
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
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open lock file {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(RunLock { _file: file }),
        Err(std::fs::TryLockError::WouldBlock) => Err(Locked(path).into()),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
}
