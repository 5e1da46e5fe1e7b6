//! What a person needs to look after the ledger without `sqlite3`: list rows by status, show one
//! cart's history, re-queue a claim verified never to have gone out, and edit the opt-out list.

use super::{Ledger, parse_utc};
use crate::model::{E164, NudgeStatus, utc_string};
use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

/// One nudge row as a person reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub cart_id: String,
    pub status: NudgeStatus,
    pub phone: String,
    pub claimed_at: String,
    pub sent_at: Option<String>,
    pub error_code: Option<String>,
    pub error_text: Option<String>,
}

/// A cart's whole story in the ledger.
#[derive(Debug, Clone)]
pub struct History {
    /// Column name → value (text; empty for NULL), in table order.
    pub nudge: Vec<(String, String)>,
    /// (order_id, amount, currency, ordered_at, match_key, attributed)
    pub recoveries: Vec<Vec<String>>,
    /// When and from where the cart's phone was opted out.
    pub optout: Option<(String, String)>,
}

fn text(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<String> {
    use rusqlite::types::ValueRef;
    Ok(match r.get_ref(i)? {
        ValueRef::Null => String::new(),
        ValueRef::Integer(n) => n.to_string(),
        ValueRef::Real(f) => f.to_string(),
        ValueRef::Text(t) | ValueRef::Blob(t) => String::from_utf8_lossy(t).into_owned(),
    })
}

impl Ledger {
    /// Rows, newest claim first, optionally of one status and claimed since a time.
    pub fn list(
        &self,
        status: Option<NudgeStatus>,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<Listed>> {
        let mut stmt = self.conn.prepare(
            "SELECT cart_id, status, phone, claimed_at, sent_at, error_code, error_text FROM nudges \
             WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR claimed_at >= ?2) \
             ORDER BY claimed_at DESC, id DESC",
        )?;
        let rows = stmt.query_map(
            params![status.map(|s| s.as_str()), since.map(utc_string)],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                ))
            },
        )?;
        let mut out = Vec::new();
        for row in rows {
            let (cart_id, status, phone, claimed_at, sent_at, error_code, error_text) = row?;
            out.push(Listed {
                status: NudgeStatus::parse(&status)
                    .with_context(|| format!("cart {cart_id}: unknown status `{status}`"))?,
                cart_id,
                phone,
                claimed_at,
                sent_at,
                error_code,
                error_text,
            });
        }
        Ok(out)
    }

    /// Everything the ledger holds about one cart; None when it has no row.
    pub fn history(&self, cart_id: &str) -> Result<Option<History>> {
        let mut stmt = self
            .conn
            .prepare("SELECT * FROM nudges WHERE cart_id = ?1")?;
        let names: Vec<String> = stmt.column_names().map(|s| s.to_string()).collect();
        let nudge = stmt
            .query_row(params![cart_id], |r| {
                (0..names.len())
                    .map(|i| Ok((names[i].clone(), text(r, i)?)))
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .optional()?;
        let Some(nudge) = nudge else {
            return Ok(None);
        };
        let mut stmt = self.conn.prepare(
            "SELECT order_id, amount_minor, currency, ordered_at, match_key, attributed FROM recoveries \
             WHERE nudge_id = (SELECT id FROM nudges WHERE cart_id = ?1) ORDER BY ordered_at",
        )?;
        let recoveries = stmt
            .query_map(params![cart_id], |r| {
                (0..6)
                    .map(|i| text(r, i))
                    .collect::<rusqlite::Result<Vec<_>>>()
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let phone = nudge
            .iter()
            .find(|(k, _)| k == "phone")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let optout = self
            .conn
            .query_row(
                "SELECT at, source FROM optouts WHERE phone = ?1",
                params![phone],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(Some(History {
            nudge,
            recoveries,
            optout,
        }))
    }

    /// Makes an `unknown` or `failed` cart eligible again by removing its row; returns the row's
    /// status and error as they were, for the audit. Refuses any other status, and a cart with a
    /// recorded recovery.
    pub fn requeue(&self, cart_id: &str) -> Result<Listed> {
        let row = self
            .list(None, None)?
            .into_iter()
            .find(|r| r.cart_id == cart_id);
        let Some(row) = row else {
            bail!("cart `{cart_id}` has no row in the ledger; nothing to re-queue");
        };
        if !matches!(row.status, NudgeStatus::Unknown | NudgeStatus::Failed) {
            bail!(
                "cart `{cart_id}` is `{}`; only `unknown` and `failed` carts can be re-queued",
                row.status
            );
        }
        let recovered: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM recoveries WHERE nudge_id = (SELECT id FROM nudges WHERE cart_id = ?1)",
            params![cart_id],
            |r| r.get(0),
        )?;
        if recovered > 0 {
            bail!("cart `{cart_id}` has a recorded recovery; it is not re-queued");
        }
        self.conn.execute(
            "DELETE FROM nudges WHERE cart_id = ?1 AND status IN ('unknown', 'failed')",
            params![cart_id],
        )?;
        Ok(row)
    }

    /// Every opt-out: (phone, at, source), oldest first.
    pub fn optouts(&self) -> Result<Vec<(String, DateTime<Utc>, String)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT phone, at, source FROM optouts ORDER BY at, phone")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (phone, at, source) = row?;
            out.push((phone, parse_utc(&at)?, source));
        }
        Ok(out)
    }

    /// Removes a phone from the opt-out list; false when it was not on it.
    pub fn remove_optout(&self, phone: &E164) -> Result<bool> {
        Ok(self.conn.execute(
            "DELETE FROM optouts WHERE phone = ?1",
            params![phone.as_str()],
        )? > 0)
    }
}
