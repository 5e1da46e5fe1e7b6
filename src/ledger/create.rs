//! A new ledger, made whole or not at all.

use super::Ledger;
use anyhow::{Context, Result};
use rusqlite::Connection;
use std::path::Path;

/// Makes a new ledger whole or not at all: the schema is committed in `<ledger>.new` (0600), which
/// is then linked into place. A run killed while creating leaves no ledger (the next run starts
/// over), never an empty file, which would be refused as a truncated ledger. Runs under the run
/// lock, so a leftover `.new` is a killed run's and is removed.
pub(super) fn create(path: &Path) -> Result<()> {
    let tmp = path.with_file_name(format!(
        "{}.new",
        path.file_name().unwrap_or_default().to_string_lossy()
    ));
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let stale = format!("{}{suffix}", tmp.display());
        match std::fs::remove_file(&stale) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(anyhow::Error::from(e).context(format!("cannot remove {stale}")));
            }
            _ => {}
        }
    }
    crate::fsutil::private_options()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .with_context(|| format!("cannot create ledger {}", path.display()))?;
    {
        let conn = Connection::open(&tmp)
            .with_context(|| format!("cannot create ledger {}", path.display()))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        let mut ledger = Ledger {
            conn,
            path: path.to_path_buf(),
        };
        ledger.migrate()?;
        // Closing checkpoints the WAL into the file.
        ledger
            .conn
            .close()
            .map_err(|(_, e)| e)
            .with_context(|| format!("cannot create ledger {}", path.display()))?;
    }
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("cannot create ledger {}", path.display()))?;
    // A link never replaces a ledger that appeared meanwhile; a rename would.
    match std::fs::hard_link(&tmp, path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        // A file system without hard links: under the run lock nothing else creates the ledger.
        Err(_) if !path.exists() && std::fs::rename(&tmp, path).is_ok() => return Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(
                anyhow::Error::from(e).context(format!("cannot create ledger {}", path.display()))
            );
        }
    }
    std::fs::remove_file(&tmp).with_context(|| format!("cannot remove {}", tmp.display()))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .with_context(|| format!("cannot sync the ledger folder {}", dir.display()))?;
    }
    Ok(())
}
