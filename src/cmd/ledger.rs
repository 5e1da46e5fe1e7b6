//! `cartnudge ledger`: look after the ledger without `sqlite3`. Reads and writes the ledger under
//! the same lock as `send`; `requeue` also writes an audit row saying who did what.
//!   ledger list [--status unknown] [--since 2026-11-01]   rows with their error text
//!   ledger show CART_ID                                   every row and event for one cart
//!   ledger requeue CART_ID... --yes                       make unknown/failed carts eligible again
//!   ledger optout list | add PHONE | remove PHONE         the opt-out list

use super::Global;
use crate::audit::{Audit, Row};
use crate::ledger::{self, Ledger};
use crate::model::{Decision, Exit, Mode, NudgeStatus, utc_string};
use crate::settings::Settings;
use anyhow::{Result, bail};
use chrono::{DateTime, NaiveDate, Utc};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(clap::Subcommand, Debug)]
pub enum Action {
    /// List rows, newest first, with their error text.
    List {
        /// Only rows with this status: claimed, sent, failed, unknown, holdout.
        #[arg(long, value_parser = parse_status)]
        status: Option<NudgeStatus>,
        /// Only rows claimed since this day (YYYY-MM-DD, UTC) or instant (RFC 3339).
        #[arg(long, value_parser = parse_since)]
        since: Option<DateTime<Utc>>,
    },
    /// Every row and event the ledger holds for one cart.
    Show { cart_id: String },
    /// Make `unknown` or `failed` carts eligible again, after verifying with the provider that
    /// nothing went out. Writes an audit row per cart.
    Requeue {
        #[arg(required = true)]
        cart_ids: Vec<String>,
        /// Confirm: a re-queued cart may be messaged by the next send.
        #[arg(long)]
        yes: bool,
    },
    /// The opt-out list.
    Optout {
        #[command(subcommand)]
        action: OptoutAction,
    },
}

#[derive(clap::Subcommand, Debug)]
pub enum OptoutAction {
    /// Every opted-out number with when and where it came from.
    List,
    /// Add a number (read in store.default_region when it has no country code).
    Add { phone: String },
    /// Remove a number entered by mistake.
    Remove { phone: String },
}

fn parse_status(s: &str) -> Result<NudgeStatus, String> {
    NudgeStatus::parse(s).ok_or_else(|| {
        format!("`{s}` is not a status; use claimed, sent, failed, unknown or holdout")
    })
}

fn parse_since(s: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight").and_utc());
    }
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.to_utc())
        .map_err(|_| format!("`{s}` is not a day (2026-11-01) or an RFC 3339 instant"))
}

pub fn run(args: &Args, g: &Global) -> Result<Exit> {
    let settings = g.settings()?;
    let _lock = ledger::lock(&settings.ledger_path)?;
    if !settings.ledger_path.exists() {
        bail!(
            "no ledger at {} yet; the first `cartnudge send` creates it",
            settings.ledger_path.display()
        );
    }
    let ledger = Ledger::open_locked(&settings.ledger_path, &_lock)?;
    match &args.action {
        Action::List { status, since } => list(&ledger, &settings, *status, *since),
        Action::Show { cart_id } => show(&ledger, cart_id),
        Action::Requeue { cart_ids, yes } => requeue(&ledger, &settings, g, cart_ids, *yes),
        Action::Optout { action } => optout(&ledger, &settings, g, action),
    }
}

fn phone_shown(settings: &Settings, phone: &str) -> String {
    if settings.mask_phones {
        crate::model::mask_phone(phone)
    } else {
        phone.to_string()
    }
}

fn list(
    ledger: &Ledger,
    settings: &Settings,
    status: Option<NudgeStatus>,
    since: Option<DateTime<Utc>>,
) -> Result<Exit> {
    let rows = ledger.list(status, since)?;
    crate::outln!(
        "{:<20} {:<8} {:<16} {:<20} {:<20} ERROR",
        "CART",
        "STATUS",
        "PHONE",
        "CLAIMED",
        "SENT"
    )?;
    for r in &rows {
        let error = match (&r.error_code, &r.error_text) {
            (Some(c), Some(t)) => format!("{c}: {t}"),
            (Some(c), None) => c.clone(),
            _ => String::new(),
        };
        crate::outln!(
            "{:<20} {:<8} {:<16} {:<20} {:<20} {}",
            r.cart_id,
            r.status,
            phone_shown(settings, &r.phone),
            r.claimed_at,
            r.sent_at.as_deref().unwrap_or("-"),
            error
        )?;
    }
    crate::outln!("{} row(s)", rows.len())?;
    Ok(Exit::Ok)
}

fn show(ledger: &Ledger, cart_id: &str) -> Result<Exit> {
    let Some(h) = ledger.history(cart_id)? else {
        bail!("cart `{cart_id}` has no row in the ledger (never claimed, sent or held out)");
    };
    crate::outln!("cart {cart_id}")?;
    for (k, v) in &h.nudge {
        if !v.is_empty() {
            crate::outln!("  {k:<21} {v}")?;
        }
    }
    for r in &h.recoveries {
        let what = if r[5] == "1" {
            "recovered by"
        } else {
            "converted before the reminder:"
        };
        crate::outln!(
            "  {what} order {} ({} minor units {}) at {}, matched by {}",
            r[0],
            r[1],
            r[2],
            r[3],
            r[4]
        )?;
    }
    match &h.optout {
        Some((at, source)) => crate::outln!("  phone opted out at {at} ({source})")?,
        None => crate::outln!("  phone not opted out")?,
    }
    Ok(Exit::Ok)
}

/// Who is doing this, for the audit.
fn who() -> String {
    ["SUDO_USER", "USER", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "an unknown user".into())
}

fn requeue(
    ledger: &Ledger,
    settings: &Settings,
    g: &Global,
    cart_ids: &[String],
    yes: bool,
) -> Result<Exit> {
    if !yes {
        bail!(
            "re-queueing makes {} eligible for the next send; verify with the provider that nothing went out, then pass --yes",
            cart_ids.join(", ")
        );
    }
    let run_id = format!("{}-ledger", g.now.format("%Y%m%dT%H%M%SZ"));
    let mut audit = Audit::open(
        &settings.audit_dir,
        g.now,
        &run_id,
        Mode::Manual,
        settings.mask_phones,
    )?;
    let who = who();
    let mut done = 0;
    for id in cart_ids {
        let was = ledger.transaction(|l| l.requeue(id))?;
        let error = was.error_code.as_deref().unwrap_or("-");
        audit.write(&Row {
            cart_id: id.as_str().into(),
            customer_id: "".into(),
            phone: was.phone.as_str().into(),
            decision: Decision::Requeued,
            reason: format!("requeued by {who} (was {}, {error})", was.status).into(),
            gateway: "".into(),
            provider_message_id: "".into(),
            encoding: "".into(),
            segments: "".into(),
            est_cost: "".into(),
            cost_currency: "".into(),
            cart_total: "".into(),
            cart_currency: "".into(),
            recipient_local_time: "".into(),
            consent_at: "".into(),
            message: "".into(),
        })?;
        audit.sync()?;
        done += 1;
        if !g.quiet {
            crate::outln!(
                "requeued {id} (was {}, claimed {}); the next send may message it",
                was.status,
                was.claimed_at
            )?;
        }
    }
    if !g.quiet {
        crate::outln!("{done} cart(s) requeued; audit {}", audit.path().display())?;
    }
    Ok(Exit::Ok)
}

fn optout(ledger: &Ledger, settings: &Settings, g: &Global, action: &OptoutAction) -> Result<Exit> {
    let normalize = |raw: &str| {
        crate::rules::phone::normalize(raw, &settings.store.default_region)
            .map(|p| p.e164)
            .map_err(|e| anyhow::anyhow!("`{raw}`: {e}"))
    };
    match action {
        OptoutAction::List => {
            let all = ledger.optouts()?;
            for (phone, at, source) in &all {
                crate::outln!(
                    "{:<16} {} {source}",
                    phone_shown(settings, phone),
                    utc_string(*at)
                )?;
            }
            crate::outln!("{} opted-out number(s)", all.len())?;
        }
        OptoutAction::Add { phone } => {
            let e164 = normalize(phone)?;
            let added = ledger.add_optout(&e164, g.now, &format!("manual:{}", who()))?;
            if !g.quiet {
                match added {
                    true => crate::outln!("{e164} opted out")?,
                    false => crate::outln!("{e164} was already opted out")?,
                }
            }
        }
        OptoutAction::Remove { phone } => {
            let e164 = normalize(phone)?;
            if !ledger.remove_optout(&e164)? {
                bail!("{e164} is not on the opt-out list");
            }
            if !g.quiet {
                crate::outln!("{e164} removed from the opt-out list; it may be messaged again")?;
            }
        }
    }
    Ok(Exit::Ok)
}
