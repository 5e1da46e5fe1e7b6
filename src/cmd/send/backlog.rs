//! Audit rows an earlier run owed: messages it recorded in the ledger but never audited, because
//! it was killed between the gateway call and the audit fsync (a recovered claim, now `unknown`)
//! or its audit disk was full. Written first, under the lock, with that run's id and time, so
//! every message that may have reached a gateway ends up with exactly one audit row.

use crate::audit::{Audit, Row};
use crate::ledger::{Ledger, Unaudited};
use crate::model::{Decision, NudgeStatus, Reason, utc_string};
use crate::settings::Settings;
use anyhow::{Context, Result};
use std::borrow::Cow;

pub(super) fn write(ledger: &Ledger, audit: &mut Audit, settings: &Settings) -> Result<()> {
    let owed = ledger.unaudited()?;
    if owed.is_empty() {
        return Ok(());
    }
    let mut written = 0;
    for n in &owed {
        // The run may have written the row and been killed before marking it: never twice.
        if !already_audited(settings, n) {
            audit.write_as(&n.run_id, &utc_string(n.at), &row(n))?;
            written += 1;
        }
    }
    audit.sync().with_context(|| {
        format!(
            "{} audit row(s) owed by an earlier run could not be written to {}",
            owed.len(),
            settings.audit_dir.display()
        )
    })?;
    let ids: Vec<i64> = owed.iter().map(|n| n.id).collect();
    ledger.mark_audited(&ids)?;
    if written > 0 {
        eprintln!(
            "cartnudge: wrote {written} audit row(s) an interrupted run owed ({})",
            audit.path().display()
        );
    }
    Ok(())
}

/// Whether the claiming run's audit file already holds a row for this cart from that run.
fn already_audited(settings: &Settings, n: &Unaudited) -> bool {
    let path = crate::audit::path_for(&settings.audit_dir, n.claimed_at);
    let Ok(mut reader) = csv::ReaderBuilder::new().flexible(true).from_path(&path) else {
        return false;
    };
    reader.records().flatten().any(|r| {
        r.get(0) == Some(n.run_id.as_str())
            && r.get(3) == Some(&*crate::audit::cell(&n.cart_id))
            && r.get(6).and_then(Decision::parse) != Some(Decision::Deferred)
    })
}

fn row<'a>(n: &'a Unaudited) -> Row<'a> {
    let (decision, reason) = match n.status {
        NudgeStatus::Sent => (Decision::Sent, Cow::Borrowed("")),
        NudgeStatus::Holdout => (Decision::Holdout, Cow::Borrowed(Reason::Holdout.as_str())),
        NudgeStatus::Failed => (
            Decision::Failed,
            Reason::Gateway.text(n.error_code.as_deref()),
        ),
        // A claim recovered after a kill, or an answer that left the outcome open.
        NudgeStatus::Unknown | NudgeStatus::Claimed => match n.error_code.as_deref() {
            Some("crash") | None => (
                Decision::Unknown,
                Cow::Borrowed(Reason::Interrupted.as_str()),
            ),
            code => (Decision::Unknown, Reason::Gateway.text(code)),
        },
    };
    let shows_message = decision.carries_message();
    let text = |s: Option<String>| s.map_or(Cow::Borrowed(""), Cow::Owned);
    let shown = |s: Option<&'a str>| Cow::Borrowed(s.filter(|_| shows_message).unwrap_or_default());
    Row {
        cart_id: Cow::Borrowed(&n.cart_id),
        customer_id: Cow::Borrowed(n.customer_id.as_deref().unwrap_or_default()),
        phone: Cow::Borrowed(&n.phone),
        decision,
        reason,
        gateway: shown(n.gateway.as_deref()),
        provider_message_id: Cow::Borrowed(n.provider_id.as_deref().unwrap_or_default()),
        encoding: Cow::Borrowed(n.encoding.as_deref().unwrap_or_default()),
        segments: text(n.segments.map(|s| s.to_string())),
        est_cost: text(n.est_cost.map(|p| p.decimal_string())),
        cost_currency: text(n.est_cost.map(|p| p.currency.to_string())),
        cart_total: Cow::Owned(n.cart_total.decimal_string()),
        cart_currency: Cow::Owned(n.cart_total.currency.to_string()),
        recipient_local_time: Cow::Borrowed(""),
        consent_at: Cow::Borrowed(""),
        message: shown(n.text.as_deref()),
    }
}
