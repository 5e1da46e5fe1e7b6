//! The rules' view of the ledger: carts ever claimed, opt-outs, and the phones messaged within
//! the cooldown (older sends cannot matter).

use super::{Ledger, parse_utc};
use crate::model::utc_string;
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use rusqlite::params;
use std::collections::{HashMap, HashSet};

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

impl Ledger {
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
}
