//! One row per run in `runs`: when it started, its counts per reason and its exit code.

use super::Ledger;
use crate::model::utc_string;
use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::params;

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

impl Ledger {
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
}
