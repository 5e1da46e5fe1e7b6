//! The ledger: one SQLite file (WAL) that remembers every claim, send, opt-out and recovery, so that a
//! cart is never messaged twice, even across crashes and overlapping cron runs. A `claimed` row is
//! committed before each gateway call; one left behind by a crash becomes `unknown` and is never
//! resent. `send` and `reconcile` hold an exclusive lock file beside the database.

mod admin;
mod backlog;
mod create;
mod lock;
mod migrations;
mod outcomes;
pub mod report_queries;
mod runs;
mod view;

pub use admin::{History, Listed};
pub use backlog::Unaudited;
pub use lock::{Locked, RunLock, lock, lock_path};
pub use outcomes::{NudgeRow, OpenNudge, PendingDelivery, Recovery, RecoveryRow, RunRow};
pub use runs::RunCounts;
pub use view::LedgerView;

use crate::model::{E164, NudgeStatus, utc_string};
use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use std::path::{Path, PathBuf};

pub struct Ledger {
    conn: Connection,
    path: PathBuf,
}

/// A row about to be claimed (or recorded as holdout).
#[derive(Debug, Clone)]
pub struct NewNudge<'a> {
    pub run_id: &'a str,
    pub cart_id: &'a str,
    pub customer_id: Option<&'a str>,
    pub phone: &'a E164,
    pub email: Option<&'a str>,
    pub country: Option<&'a str>,
    pub gateway: &'a str,
    pub encoding: &'a str,
    pub segments: u32,
    pub est_cost: Option<crate::model::Price>,
    pub cart_total: crate::model::Money,
    pub cart_updated_at: DateTime<Utc>,
    pub text: &'a str,
    pub at: DateTime<Utc>,
}

/// SQLite's "attempt to write a readonly database" names no file: say which, and that nothing
/// was sent. Other errors pass unchanged.
fn name_if_read_only(e: anyhow::Error, path: &Path) -> anyhow::Error {
    let read_only = e.chain().any(|c| {
        c.downcast_ref::<rusqlite::Error>()
            .is_some_and(|r| r.sqlite_error_code() == Some(rusqlite::ErrorCode::ReadOnly))
    });
    if read_only {
        e.context(format!(
            "cannot write the ledger {} (check its permissions and its folder's); nothing was sent",
            path.display()
        ))
    } else {
        e
    }
}

/// An existing ledger must hold cartnudge's schema and pass SQLite's quick check.
fn check_existing(conn: &Connection, path: &Path, quick_check: bool) -> Result<()> {
    let bad = |what: &str| {
        anyhow::anyhow!(
            "ledger {} {what}; nothing was sent. Restore it from a backup; delete it only if no reminder was ever sent with it (a new ledger would resend every cart)",
            path.display()
        )
    };
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| bad(&format!("cannot be read ({e})")))?;
    let tables: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'nudges'",
            [],
            |r| r.get(0),
        )
        .map_err(|e| bad(&format!("cannot be read ({e})")))?;
    if version == 0 || tables == 0 {
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        return Err(bad(&format!(
            "exists but holds no cartnudge schema ({size} bytes: emptied or truncated?)"
        )));
    }
    if !quick_check {
        return Ok(());
    }
    let check: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(|e| bad(&format!("is damaged ({e})")))?;
    if check != "ok" {
        return Err(bad(&format!("is damaged (SQLite quick_check: {check})")));
    }
    Ok(())
}

/// Query plans that do not depend on the values bound to a statement (SQLite's QPSG). SQLite
/// built with STAT4, as the bundled one is, may plan a statement by the values bound to it, and
/// then prepares it again whenever they change: each of the rules' lookups by cart or phone was
/// parsed and planned anew (39 times in 40 lookups in the test; a tenth of the CPU of a 1M-cart
/// dry run against a 100k-nudge ledger). The ledger's queries are indexed lookups whose plan no
/// value changes.
pub(crate) fn stable_plans(conn: &Connection) -> Result<()> {
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )
    .context("cannot configure the ledger connection")?;
    Ok(())
}

impl Ledger {
    /// Opens and migrates the ledger for writing. A new ledger (created 0600) is made only where
    /// no file exists: an existing file without cartnudge's schema (emptied, truncated, another
    /// database) or with damaged pages is refused before anything is sent, because starting over
    /// would resend every cart the lost ledger remembered.
    pub fn open(path: &Path) -> Result<Ledger> {
        Ledger::open_checked(path, None)
    }

    /// `open` under the run lock: when the ledger is exactly as the last finished run left it
    /// (the lock file's stamp), SQLite's quick_check is skipped.
    pub fn open_locked(path: &Path, lock: &RunLock) -> Result<Ledger> {
        Ledger::open_checked(path, lock.stamp())
    }

    fn open_checked(path: &Path, stamp: Option<String>) -> Result<Ledger> {
        let unchanged = stamp.is_some_and(|s| s == lock::stamp(path));
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create ledger folder {}", dir.display()))?;
        }
        if !path.exists() {
            create::create(path).map_err(|e| name_if_read_only(e, path))?;
        }
        let conn = Connection::open(path)
            .with_context(|| format!("cannot open ledger {}", path.display()))?;
        check_existing(&conn, path, !unchanged)?;
        let writable = || -> Result<Ledger> {
            conn.busy_timeout(std::time::Duration::from_secs(10))?;
            stable_plans(&conn)?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "synchronous", "FULL")?;
            conn.pragma_update(None, "foreign_keys", "ON")?;
            let mut ledger = Ledger {
                conn,
                path: path.to_path_buf(),
            };
            ledger.migrate()?;
            Ok(ledger)
        };
        // A read-only file or folder surfaces here as SQLite's "attempt to write a readonly
        // database": say which file, and that nothing was sent.
        writable().map_err(|e| name_if_read_only(e, path))
    }

    /// Opens an existing ledger without writing anything; `None` when there is no ledger yet.
    pub fn open_read_only(path: &Path) -> Result<Option<Ledger>> {
        if !path.exists() {
            return Ok(None);
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .with_context(|| format!("cannot open ledger {} read-only", path.display()))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        stable_plans(&conn)?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version as usize > migrations::MIGRATIONS.len() {
            bail!(
                "ledger {} has schema version {version}, newer than this cartnudge knows; upgrade cartnudge",
                path.display()
            );
        }
        if version == 0 {
            bail!(
                "ledger {} exists but holds no cartnudge schema (emptied or truncated?); restore it from a backup",
                path.display()
            );
        }
        // An older schema still has every column a read-only view uses; `send` migrates it.
        Ok(Some(Ledger {
            conn,
            path: path.to_path_buf(),
        }))
    }

    fn migrate(&mut self) -> Result<()> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version as usize > migrations::MIGRATIONS.len() {
            bail!(
                "ledger {} has schema version {version}, newer than this cartnudge knows; upgrade cartnudge",
                self.path.display()
            );
        }
        for (i, sql) in migrations::MIGRATIONS
            .iter()
            .enumerate()
            .skip(version as usize)
        {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)
                .with_context(|| format!("ledger migration {} failed", i + 1))?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// The SQLite connection, for tests that seed or inspect rows directly. Commands go through
    /// the methods above, which own every statement.
    #[doc(hidden)]
    pub fn connection(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Runs `f` in one immediate transaction: a crash or an error leaves all of its writes or none.
    pub fn transaction<T>(&self, f: impl FnOnce(&Ledger) -> Result<T>) -> Result<T> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        match f(self) {
            Ok(v) => {
                self.conn.execute_batch("COMMIT").with_context(|| {
                    format!("cannot commit to the ledger {}", self.path.display())
                })?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    /// Ids of the holdout rows (the control group).
    pub fn holdout_ids(&self) -> Result<std::collections::HashSet<i64>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id FROM nudges WHERE status = 'holdout'")?;
        let ids = stmt.query_map([], |r| r.get::<_, i64>(0))?;
        Ok(ids.collect::<rusqlite::Result<_>>()?)
    }

    /// Claims left by a crashed run become `unknown`: a reminder may have gone out, so never resend.
    pub fn recover_claims(&self, now: DateTime<Utc>) -> Result<usize> {
        // The first write of a send or reconcile: a read-only ledger is named here.
        self.conn
            .execute(
                "UPDATE nudges SET status = 'unknown', error_code = 'crash', \
                 error_text = 'claimed by a run that did not finish (recovered ' || ?1 || ')' WHERE status = 'claimed'",
                params![utc_string(now)],
            )
            .map_err(|e| name_if_read_only(e.into(), &self.path))
    }

    /// Commits a row for this cart before the gateway is called (`claimed`), or the control group's
    /// record (`holdout`). Fails if the cart already has a row: the UNIQUE key is the last guard.
    pub fn insert_nudge(&self, n: &NewNudge<'_>, status: NudgeStatus) -> Result<i64> {
        self.conn
            .execute(
                "INSERT INTO nudges (run_id, cart_id, customer_id, phone, email, country, status, gateway, encoding, \
                 segments, est_cost_micros, cost_currency, cart_total_minor, cart_currency, cart_updated_at, text, claimed_at, audited) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, 0)",
                params![
                    n.run_id,
                    n.cart_id,
                    n.customer_id,
                    n.phone.as_str(),
                    n.email,
                    n.country,
                    status.as_str(),
                    n.gateway,
                    n.encoding,
                    n.segments,
                    n.est_cost.map(|p| p.micros),
                    n.est_cost.map(|p| p.currency.to_string()),
                    n.cart_total.minor,
                    n.cart_total.currency.to_string(),
                    utc_string(n.cart_updated_at),
                    n.text,
                    utc_string(n.at),
                ],
            )
            .with_context(|| format!("cannot record cart {} in ledger {}", n.cart_id, self.path.display()))?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn mark_sent(
        &self,
        id: i64,
        receipt: &crate::gateway::Receipt,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE nudges SET status = 'sent', provider_id = ?2, segments = COALESCE(?3, segments), \
             actual_cost_micros = ?4, actual_cost_currency = ?5, sent_at = ?6 WHERE id = ?1",
            params![
                id,
                receipt.provider_id,
                receipt.segments,
                receipt.price.map(|p| p.micros),
                receipt.price.map(|p| p.currency.to_string()),
                utc_string(at)
            ],
        )?;
        Ok(())
    }

    /// `failed` or `unknown`, with the provider's code and text.
    pub fn mark_error(&self, id: i64, status: NudgeStatus, code: &str, text: &str) -> Result<()> {
        debug_assert!(matches!(status, NudgeStatus::Failed | NudgeStatus::Unknown));
        self.conn.execute(
            "UPDATE nudges SET status = ?2, error_code = ?3, error_text = ?4 WHERE id = ?1",
            params![id, status.as_str(), code, text],
        )?;
        Ok(())
    }

    /// Drops a claim whose request the provider documents as not processed (retries exhausted, or
    /// the batch aborted before it): the cart stays eligible for a later run.
    pub fn release(&self, id: i64) -> Result<()> {
        self.conn.execute(
            "DELETE FROM nudges WHERE id = ?1 AND status = 'claimed'",
            params![id],
        )?;
        Ok(())
    }

    /// Adds a phone to the opt-out list; an existing opt-out keeps its first time and source.
    pub fn add_optout(&self, phone: &E164, at: DateTime<Utc>, source: &str) -> Result<bool> {
        let n = self.conn.execute(
            "INSERT OR IGNORE INTO optouts (phone, at, source) VALUES (?1, ?2, ?3)",
            params![phone.as_str(), utc_string(at), source],
        )?;
        Ok(n > 0)
    }

    pub fn nudge_status(&self, cart_id: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT status FROM nudges WHERE cart_id = ?1",
                params![cart_id],
                |r| r.get(0),
            )
            .optional()?)
    }
}

pub fn parse_utc(s: &str) -> Result<DateTime<Utc>> {
    Ok(DateTime::parse_from_rfc3339(s)
        .with_context(|| format!("`{s}` is not RFC 3339"))?
        .with_timezone(&Utc))
}

#[cfg(test)]
mod tests;
