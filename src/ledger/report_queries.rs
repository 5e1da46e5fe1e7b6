//! Read-only questions `report` asks beyond the rows it tallies: which `send` runs fall in the
//! period (with their ids, to find their rows in the audit CSVs) and whether `reconcile` has ever
//! matched anything, so a report can say when revenue was never measured instead of showing zero.

use super::{Ledger, RunRow, parse_utc};
use crate::model::utc_string;
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use rusqlite::params;

/// One `send` run with its id (the audit's `run_id` column).
#[derive(Debug, Clone)]
pub struct SendRun {
    pub run_id: String,
    pub run: RunRow,
}

/// What the ledger shows of `reconcile` having run: it records no run of its own, only what it found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReconcileEvidence {
    /// Orders matched to a reminder (recovered or converted before), in the whole ledger.
    pub recoveries: u64,
    /// Reminders whose delivery state was looked up.
    pub delivery_checks: u64,
}

impl ReconcileEvidence {
    pub fn any(&self) -> bool {
        self.recoveries > 0 || self.delivery_checks > 0
    }
}

impl Ledger {
    /// `send` runs whose "now" lies in `[since, until)`, oldest first, with their ids.
    pub fn send_runs_with_ids(
        &self,
        since: Option<DateTime<Utc>>,
        until: DateTime<Utc>,
    ) -> Result<Vec<SendRun>> {
        let mut stmt = self.conn.prepare(
            "SELECT run_id, now, carts_read, reasons FROM runs WHERE command = 'send' AND now >= ?1 AND now < ?2 \
             ORDER BY now, id",
        )?;
        let since = since.map(utc_string).unwrap_or_default();
        let mut rows = stmt.query(params![since, utc_string(until)])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let run_id: String = r.get(0)?;
            let reasons: String = r.get(3)?;
            let run = RunRow {
                now: parse_utc(&r.get::<_, String>(1)?)?,
                carts_read: r.get::<_, i64>(2)?.max(0) as u64,
                reasons: serde_json::from_str(&reasons).with_context(|| {
                    format!("ledger run {run_id}: reasons is not a JSON object of counts")
                })?,
            };
            out.push(SendRun { run_id, run });
        }
        Ok(out)
    }

    pub fn reconcile_evidence(&self) -> Result<ReconcileEvidence> {
        let (recoveries, checks): (i64, i64) = self.conn.query_row(
            "SELECT (SELECT COUNT(*) FROM recoveries), \
             (SELECT COUNT(*) FROM nudges WHERE delivery_checked_at IS NOT NULL)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(ReconcileEvidence {
            recoveries: recoveries.max(0) as u64,
            delivery_checks: checks.max(0) as u64,
        })
    }
}
