//! The ledger: one SQLite file (WAL) that remembers every claim, send, opt-out and recovery, so that a
//! cart is never messaged twice, even across crashes and overlapping cron runs. A `claimed` row is
//! committed before each gateway call; one left behind by a crash becomes `unknown` and is never
//! resent. `send` and `reconcile` hold an exclusive lock file beside the database.

mod migrations;
mod outcomes;
pub mod report_queries;

pub use outcomes::{NudgeRow, OpenNudge, PendingDelivery, Recovery, RecoveryRow, RunRow};

use crate::model::{E164, NudgeStatus, utc_string};
use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};

pub struct Ledger {
    conn: Connection,
    path: PathBuf,
}

/// What the rules need to know from the ledger, loaded once per run. It grows with the number of
/// reminders ever sent, never with the size of the cart export.
#[derive(Default, Debug)]
pub struct LedgerView {
    /// cart_id → status of its nudge row.
    pub nudged_carts: HashMap<String, String>,
    /// phone → times it was messaged (sent or unknown, or claimed), newest last.
    pub phone_sends: HashMap<String, Vec<DateTime<Utc>>>,
    pub optouts: HashSet<String>,
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

/// Held for the whole run; dropping it releases the OS lock.
pub struct RunLock {
    _file: File,
    pub path: PathBuf,
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

pub fn lock_path(ledger: &Path) -> PathBuf {
    let mut name = ledger
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".lock");
    ledger.with_file_name(name)
}

/// Takes the exclusive run lock, or fails with `Locked` (exit 75) when another run has it.
pub fn lock(ledger: &Path) -> Result<RunLock> {
    let path = lock_path(ledger);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create ledger folder {}", dir.display()))?;
    }
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open lock file {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(RunLock { _file: file, path }),
        Err(std::fs::TryLockError::WouldBlock) => Err(Locked(path).into()),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
}

impl Ledger {
    /// Opens (creating if needed) and migrates the ledger for writing.
    pub fn open(path: &Path) -> Result<Ledger> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create ledger folder {}", dir.display()))?;
        }
        let conn = Connection::open(path)
            .with_context(|| format!("cannot open ledger {}", path.display()))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let mut ledger = Ledger {
            conn,
            path: path.to_path_buf(),
        };
        ledger.migrate()?;
        Ok(ledger)
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
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version as usize > migrations::MIGRATIONS.len() {
            bail!(
                "ledger {} has schema version {version}, newer than this cartnudge knows; upgrade cartnudge",
                path.display()
            );
        }
        if (version as usize) < migrations::MIGRATIONS.len() {
            // An older schema: read what can be read after a live run migrates it.
            bail!(
                "ledger {} has schema version {version}; run `cartnudge send` once (or `cartnudge check`) to migrate it",
                path.display()
            );
        }
        Ok(Some(Ledger {
            conn,
            path: path.to_path_buf(),
        }))
    }

    pub fn path(&self) -> &Path {
        &self.path
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

    /// The rules' view: every cart ever recorded, opt-outs, and the phones messaged since `since`
    /// (the longer of the cooldown and a day: older sends cannot matter).
    pub fn view(&self, since: DateTime<Utc>) -> Result<LedgerView> {
        let mut view = LedgerView::default();
        let mut stmt = self.conn.prepare("SELECT cart_id, status FROM nudges")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            view.nudged_carts.insert(r.get(0)?, r.get(1)?);
        }
        let mut stmt = self.conn.prepare(
            "SELECT phone, claimed_at FROM nudges WHERE status NOT IN ('holdout', 'failed') AND claimed_at >= ?1 \
             ORDER BY claimed_at",
        )?;
        let mut rows = stmt.query(params![utc_string(since)])?;
        while let Some(r) = rows.next()? {
            let phone: String = r.get(0)?;
            let at: String = r.get(1)?;
            let t = parse_utc(&at)
                .with_context(|| format!("ledger nudge for {phone}: bad claimed_at"))?;
            view.phone_sends.entry(phone).or_default().push(t);
        }
        let mut stmt = self.conn.prepare("SELECT phone FROM optouts")?;
        let phones = stmt.query_map([], |r| r.get::<_, String>(0))?;
        for p in phones {
            view.optouts.insert(p?);
        }
        Ok(view)
    }

    /// Claims left by a crashed run become `unknown`: a reminder may have gone out, so never resend.
    pub fn recover_claims(&self, now: DateTime<Utc>) -> Result<usize> {
        Ok(self.conn.execute(
            "UPDATE nudges SET status = 'unknown', error_code = 'crash', \
             error_text = 'claimed by a run that did not finish (recovered ' || ?1 || ')' WHERE status = 'claimed'",
            params![utc_string(now)],
        )?)
    }

    /// Next run id: the run's "now" and a sequence number from the ledger, unique under the lock.
    pub fn begin_run(&self, command: &str, now: DateTime<Utc>) -> Result<String> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM runs", [], |r| r.get(0))?;
        let run_id = format!("{}-{}", now.format("%Y%m%dT%H%M%SZ"), n + 1);
        self.conn.execute(
            "INSERT INTO runs (run_id, command, started_at, now) VALUES (?1, ?2, ?3, ?4)",
            params![run_id, command, utc_string(Utc::now()), utc_string(now)],
        )?;
        Ok(run_id)
    }

    #[allow(clippy::too_many_arguments)]
    pub fn finish_run(
        &self,
        run_id: &str,
        counts: &RunCounts,
        exit: crate::model::Exit,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE runs SET finished_at = ?2, carts_read = ?3, invalid = ?4, sent = ?5, failed = ?6, unknown = ?7, \
             holdout = ?8, deferred = ?9, skipped = ?10, reasons = ?11, exit_code = ?12 WHERE run_id = ?1",
            params![
                run_id,
                utc_string(Utc::now()),
                counts.carts_read as i64,
                counts.invalid as i64,
                counts.sent as i64,
                counts.failed as i64,
                counts.unknown as i64,
                counts.holdout as i64,
                counts.deferred as i64,
                counts.skipped as i64,
                serde_json::to_string(&counts.reasons)?,
                exit.code()
            ],
        )?;
        Ok(())
    }

    /// Commits a row for this cart before the gateway is called (`claimed`), or the control group's
    /// record (`holdout`). Fails if the cart already has a row: the UNIQUE key is the last guard.
    pub fn insert_nudge(&self, n: &NewNudge<'_>, status: NudgeStatus) -> Result<i64> {
        self.conn
            .execute(
                "INSERT INTO nudges (run_id, cart_id, customer_id, phone, email, country, status, gateway, encoding, \
                 segments, est_cost_micros, cost_currency, cart_total_minor, cart_currency, cart_updated_at, text, claimed_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
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

/// Counts for the run summary and the `runs` table.
#[derive(Debug, Default, Clone)]
pub struct RunCounts {
    pub carts_read: u64,
    pub invalid: u64,
    pub sent: u64,
    pub would_send: u64,
    pub failed: u64,
    pub unknown: u64,
    pub holdout: u64,
    pub deferred: u64,
    pub skipped: u64,
    /// reason → count, for deferred and skipped carts.
    pub reasons: std::collections::BTreeMap<String, u64>,
}

pub fn parse_utc(s: &str) -> Result<DateTime<Utc>> {
    Ok(DateTime::parse_from_rfc3339(s)
        .with_context(|| format!("`{s}` is not RFC 3339"))?
        .with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Currency, Money};

    fn nudge<'a>(cart: &'a str, phone: &'a E164, at: DateTime<Utc>) -> NewNudge<'a> {
        NewNudge {
            run_id: "r1",
            cart_id: cart,
            customer_id: None,
            phone,
            email: None,
            country: Some("RU"),
            gateway: "stub",
            encoding: "GSM-7",
            segments: 1,
            est_cost: None,
            cart_total: Money::new(500000, Currency::parse("RUB").unwrap()),
            cart_updated_at: at,
            text: "hi",
            at,
        }
    }

    #[test]
    fn migrates_once_and_refuses_a_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.db");
        drop(Ledger::open(&path).unwrap());
        let l = Ledger::open(&path).unwrap();
        let v: i64 = l
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v as usize, migrations::MIGRATIONS.len());
        let mode: String = l
            .conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        l.conn.pragma_update(None, "user_version", 99).unwrap();
        drop(l);
        let err = Ledger::open(&path).err().unwrap().to_string();
        assert!(
            err.contains("schema version 99, newer than this cartnudge knows"),
            "{err}"
        );
    }

    #[test]
    fn claims_left_behind_become_unknown_and_a_cart_has_one_row() {
        let dir = tempfile::tempdir().unwrap();
        let l = Ledger::open(&dir.path().join("l.db")).unwrap();
        let now = parse_utc("2026-11-22T12:00:00Z").unwrap();
        let phone = E164::from_normalized("+79120000001");
        let id = l
            .insert_nudge(&nudge("c1", &phone, now), NudgeStatus::Claimed)
            .unwrap();
        assert!(
            l.insert_nudge(&nudge("c1", &phone, now), NudgeStatus::Claimed)
                .is_err(),
            "second row for one cart"
        );
        assert_eq!(l.recover_claims(now).unwrap(), 1);
        assert_eq!(l.nudge_status("c1").unwrap().as_deref(), Some("unknown"));
        // A released claim is only a claim: an unknown row stays.
        l.release(id).unwrap();
        assert_eq!(l.nudge_status("c1").unwrap().as_deref(), Some("unknown"));
        let view = l.view(now - chrono::Duration::days(7)).unwrap();
        assert_eq!(view.phone_sends["+79120000001"], vec![now]);
    }

    #[test]
    fn an_opt_out_keeps_its_first_time_and_source() {
        let dir = tempfile::tempdir().unwrap();
        let l = Ledger::open(&dir.path().join("l.db")).unwrap();
        let phone = E164::from_normalized("+79120000001");
        let t1 = parse_utc("2026-11-01T00:00:00Z").unwrap();
        assert!(l.add_optout(&phone, t1, "gateway:21610").unwrap());
        assert!(
            !l.add_optout(
                &phone,
                parse_utc("2026-11-02T00:00:00Z").unwrap(),
                "import:x"
            )
            .unwrap()
        );
        let row: (String, String) = l
            .conn
            .query_row("SELECT at, source FROM optouts", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(row, ("2026-11-01T00:00:00Z".into(), "gateway:21610".into()));
    }

    #[test]
    fn lock_is_exclusive_while_held() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.db");
        let held = lock(&path).unwrap();
        let err = lock(&path).err().unwrap();
        assert!(err.is::<Locked>(), "{err}");
        drop(held);
        assert!(lock(&path).is_ok());
    }
}
