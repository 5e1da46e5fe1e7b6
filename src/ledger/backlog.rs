//! Audit bookkeeping: a nudge row is `audited = 0` from its claim until its audit row is on disk.
//! A run killed between the gateway call and the audit fsync, or one whose audit disk filled up,
//! leaves such rows; the next run writes their audit rows first (DESIGN.md §7: every message that
//! may have reached a gateway has exactly one audit row).

use super::{Ledger, parse_utc};
use crate::model::{Currency, Money, NudgeStatus, Price};
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use rusqlite::params;

/// A recorded nudge whose audit row was never written.
#[derive(Debug, Clone)]
pub struct Unaudited {
    pub id: i64,
    pub run_id: String,
    pub cart_id: String,
    pub customer_id: Option<String>,
    pub phone: String,
    pub status: NudgeStatus,
    pub gateway: Option<String>,
    pub provider_id: Option<String>,
    pub encoding: Option<String>,
    pub segments: Option<u32>,
    pub est_cost: Option<Price>,
    pub cart_total: Money,
    pub text: Option<String>,
    /// When it happened: the send time, else the claim time.
    pub at: DateTime<Utc>,
    /// The claiming run's "now", which names the audit file it wrote to.
    pub claimed_at: DateTime<Utc>,
    pub error_code: Option<String>,
}

impl Ledger {
    /// Rows past their claim whose audit row is missing, oldest first.
    pub fn unaudited(&self) -> Result<Vec<Unaudited>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, run_id, cart_id, customer_id, phone, status, gateway, provider_id, encoding, segments, \
             est_cost_micros, cost_currency, cart_total_minor, cart_currency, text, COALESCE(sent_at, claimed_at), \
             error_code, claimed_at FROM nudges WHERE audited = 0 AND status <> 'claimed' ORDER BY id",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let status: String = r.get(5)?;
            let cost_currency: Option<String> = r.get(11)?;
            let est_micros: Option<i64> = r.get(10)?;
            let cart_currency: String = r.get(13)?;
            let at: String = r.get(15)?;
            let claimed_at: String = r.get(17)?;
            let cart_id: String = r.get(2)?;
            let bad = |what: &str| format!("ledger row for cart {cart_id}: {what}");
            out.push(Unaudited {
                id: r.get(0)?,
                run_id: r.get(1)?,
                customer_id: r.get(3)?,
                phone: r.get(4)?,
                status: NudgeStatus::parse(&status)
                    .with_context(|| bad(&format!("unknown status `{status}`")))?,
                gateway: r.get(6)?,
                provider_id: r.get(7)?,
                encoding: r.get(8)?,
                segments: r.get(9)?,
                est_cost: match (est_micros, cost_currency) {
                    (Some(m), Some(c)) => Some(Price::new(
                        m,
                        Currency::parse(&c).map_err(anyhow::Error::msg)?,
                    )),
                    _ => None,
                },
                cart_total: Money::new(
                    r.get(12)?,
                    Currency::parse(&cart_currency).map_err(anyhow::Error::msg)?,
                ),
                text: r.get(14)?,
                at: parse_utc(&at).with_context(|| bad("bad time"))?,
                claimed_at: parse_utc(&claimed_at).with_context(|| bad("bad claimed_at"))?,
                error_code: r.get(16)?,
                cart_id,
            });
        }
        Ok(out)
    }

    /// Marks rows as audited once their audit rows are fsynced, in one commit (one fsync, not
    /// one per row: a run's first sync after recording 3,000 holdout rows took a second). A crash
    /// before the commit leaves them all unaudited, and the next run writes their audit rows again.
    pub fn mark_audited(&self, ids: &[i64]) -> Result<()> {
        let mark = |l: &Ledger| -> Result<()> {
            let mut stmt = l
                .conn
                .prepare_cached("UPDATE nudges SET audited = 1 WHERE id = ?1")?;
            for id in ids {
                stmt.execute(params![id])?;
            }
            Ok(())
        };
        match ids.len() {
            0 => Ok(()),
            1 => mark(self),
            _ if !self.conn.is_autocommit() => mark(self),
            _ => self.transaction(mark),
        }
    }
}
