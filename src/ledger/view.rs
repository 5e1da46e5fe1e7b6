//! The rules' view of the ledger: whether a cart was ever claimed, whether a phone opted out, and
//! when a phone was messaged within the cooldown. Answered by indexed lookups on a read-only
//! connection for the carts that reach those rules, so a run's time and memory do not grow with
//! the ledger (a million past reminders used to be loaded into memory on every cron run). The
//! lookups share one read transaction, so the rules judge every cart against the same state of
//! the ledger (as it was when the view was opened), and a table empty in that state needs no
//! lookups at all. A view without a ledger, or built by a test, answers from memory.

use super::{Ledger, parse_utc};
use crate::model::utc_string;
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// What the rules need to know from the ledger.
#[derive(Default, Debug)]
pub struct LedgerView {
    db: Option<Db>,
    mem: Mem,
}

#[derive(Debug)]
struct Db {
    conn: Connection,
    /// Sends before this cannot matter (the longer of the cooldown and a day).
    since: String,
    /// The table had no row in the view's snapshot, so none of its lookups needs a query (a
    /// first run, a shop without opt-outs yet). False when that could not be read.
    no_nudges: bool,
    no_optouts: bool,
}

#[derive(Default, Debug)]
struct Mem {
    nudged: HashMap<String, String>,
    phone_sends: HashMap<String, Vec<DateTime<Utc>>>,
    optouts: HashSet<String>,
}

/// A lookup that failed: the rules treat it as the answer that sends nothing.
const UNREADABLE: &str = "unreadable";

impl LedgerView {
    /// A view answering from the ledger file at `path` (opened read-only).
    pub fn open(path: &Path, since: DateTime<Utc>) -> Result<LedgerView> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .with_context(|| format!("cannot open ledger {} read-only", path.display()))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        super::stable_plans(&conn)?;
        // One read transaction for the view's life: its lookups share one snapshot and one lock,
        // instead of taking and dropping the file's shared lock for each of a million queries.
        conn.execute_batch("BEGIN")
            .with_context(|| format!("cannot read ledger {}", path.display()))?;
        let empty = |sql: &str| {
            conn.query_row(sql, [], |r| r.get::<_, bool>(0))
                .unwrap_or(false)
        };
        let no_nudges = empty("SELECT NOT EXISTS (SELECT 1 FROM nudges)");
        let no_optouts = empty("SELECT NOT EXISTS (SELECT 1 FROM optouts)");
        Ok(LedgerView {
            db: Some(Db {
                conn,
                since: utc_string(since),
                no_nudges,
                no_optouts,
            }),
            mem: Mem::default(),
        })
    }

    /// The status of the cart's ledger row, if it has one. A failed lookup reads as a row
    /// ("unreadable"), so the cart is skipped rather than risked.
    pub fn nudge_status(&self, cart_id: &str) -> Option<String> {
        if let Some(s) = self.mem.nudged.get(cart_id) {
            return Some(s.clone());
        }
        let db = self.db.as_ref().filter(|db| !db.no_nudges)?;
        let found = db
            .conn
            .prepare_cached("SELECT status FROM nudges WHERE cart_id = ?1")
            .and_then(|mut s| s.query_row(params![cart_id], |r| r.get(0)).optional());
        found.unwrap_or_else(|_| Some(UNREADABLE.into()))
    }

    /// Whether the phone is on the opt-out list (a failed lookup reads as yes).
    pub fn is_opted_out(&self, phone: &str) -> bool {
        if self.mem.optouts.contains(phone) {
            return true;
        }
        let Some(db) = self.db.as_ref().filter(|db| !db.no_optouts) else {
            return false;
        };
        db.conn
            .prepare_cached("SELECT 1 FROM optouts WHERE phone = ?1")
            .and_then(|mut s| s.exists(params![phone]))
            .unwrap_or(true)
    }

    /// When the phone was messaged (sent, unknown or claimed) since the view's horizon, oldest
    /// first. A failed lookup reads as a message just now.
    pub fn phone_sends(&self, phone: &str, now: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        let mut out = self.mem.phone_sends.get(phone).cloned().unwrap_or_default();
        if let Some(db) = self.db.as_ref().filter(|db| !db.no_nudges) {
            match db.sends(phone) {
                Ok(mut v) => out.append(&mut v),
                Err(_) => out.push(now),
            }
        }
        out.sort();
        out
    }

    /// How often its lookups' statements were prepared again (SQLite's counter), for tests.
    #[cfg(test)]
    pub fn reprepared(&self) -> i32 {
        let Some(db) = &self.db else { return 0 };
        [
            "SELECT status FROM nudges WHERE cart_id = ?1",
            "SELECT 1 FROM optouts WHERE phone = ?1",
            SENDS,
        ]
        .iter()
        .map(|sql| {
            db.conn
                .prepare_cached(sql)
                .map(|s| s.get_status(rusqlite::StatementStatus::RePrepare))
                .unwrap_or(-1)
        })
        .sum()
    }

    /// Records a cart row in memory (a view with no ledger file, and tests).
    pub fn insert_nudged(&mut self, cart_id: &str, status: &str) {
        self.mem.nudged.insert(cart_id.into(), status.into());
    }

    pub fn insert_optout(&mut self, phone: &str) {
        self.mem.optouts.insert(phone.into());
    }

    pub fn insert_send(&mut self, phone: &str, at: DateTime<Utc>) {
        self.mem
            .phone_sends
            .entry(phone.into())
            .or_default()
            .push(at);
    }

    /// (carts recorded, opt-outs), for `check`.
    pub fn counts(&self) -> Result<(u64, u64)> {
        let Some(db) = &self.db else {
            return Ok((self.mem.nudged.len() as u64, self.mem.optouts.len() as u64));
        };
        let n = |sql: &str| db.conn.query_row(sql, [], |r| r.get::<_, i64>(0));
        Ok((
            n("SELECT COUNT(*) FROM nudges")? as u64,
            n("SELECT COUNT(*) FROM optouts")? as u64,
        ))
    }
}

/// A phone's messages since the view's horizon.
const SENDS: &str = "SELECT claimed_at FROM nudges WHERE phone = ?1 AND claimed_at >= ?2 \
                     AND status NOT IN ('holdout', 'failed') ORDER BY claimed_at";

impl Db {
    fn sends(&self, phone: &str) -> Result<Vec<DateTime<Utc>>> {
        let mut stmt = self.conn.prepare_cached(SENDS)?;
        let rows = stmt.query_map(params![phone, self.since], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for at in rows {
            let at = at?;
            out.push(
                parse_utc(&at)
                    .with_context(|| format!("ledger nudge for {phone}: bad claimed_at"))?,
            );
        }
        Ok(out)
    }
}

impl Ledger {
    /// The rules' view of this ledger, answering from its file: phones messaged since `since`
    /// (the longer of the cooldown and a day) matter, older sends cannot.
    pub fn view(&self, since: DateTime<Utc>) -> Result<LedgerView> {
        LedgerView::open(&self.path, since)
    }
}
