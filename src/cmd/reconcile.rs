//! `cartnudge reconcile`: reads the orders source, the ledger, the gateway's status API and opt-out
//! exports; writes recoveries, delivery states and opt-outs to the ledger. Runs under the same lock
//! as `send`; running it twice with the same inputs changes nothing the second time.

use super::Global;
use crate::gateway::{self, Gateway};
use crate::ledger::{self, Ledger, PendingDelivery};
use crate::model::Exit;
use crate::model::parse_duration;
use crate::model::{Currency, Money};
use crate::reconcile::attribution::{self, OrderRef, Wanted};
use crate::reconcile::{delivery, optouts};
use crate::settings::Settings;
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Match sends to later orders, fetch delivery statuses, import opt-outs.
///
/// Orders come from the config's [orders] source; a reminder is recovered by the first order of the
/// same cart, customer, phone or email within reconcile.attribution_window after it was sent.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// CSV of STOP replies (phone and time columns) to add to the opt-out list; repeatable.
    #[arg(long = "optouts", value_name = "FILE")]
    pub optouts: Vec<PathBuf>,

    /// Do not ask the gateway for delivery statuses.
    #[arg(long)]
    pub no_delivery: bool,

    /// Ask about sends no older than this.
    #[arg(long, value_name = "DURATION", default_value = "7d")]
    pub delivery_max_age: String,

    /// The summary as a line of text, or one JSON object for wrappers.
    #[arg(long, value_enum, default_value = "table")]
    pub format: crate::output::Format,
}

/// Order statuses that never count as a purchase.
const VOID_STATUSES: &[&str] = &[
    "cancelled",
    "canceled",
    "refunded",
    "failed",
    "voided",
    "void",
    "rejected",
];

#[derive(Default)]
struct Summary {
    recovered: u64,
    revenue: BTreeMap<Currency, i64>,
    converted_before: u64,
    holdout_conversions: u64,
    delivery_updated: usize,
    optouts_added: u64,
    claims_recovered: usize,
    problems: u64,
}

pub fn run(args: &Args, g: &Global) -> Result<Exit> {
    let settings = g.settings()?;
    let max_age = parse_duration(&args.delivery_max_age).context("--delivery-max-age")?;
    let lock = ledger::lock(&settings.ledger_path)?;
    let ledger = Ledger::open_locked(&settings.ledger_path, &lock)?;
    // Under the lock, a claim can only be a crashed run's: it may have gone out (DESIGN.md §6).
    let mut summary = Summary {
        claims_recovered: ledger.recover_claims(g.now)?,
        ..Summary::default()
    };
    let candidates = ledger.attribution_candidates()?;
    // Read every input before writing anything: a bad file stops the run with nothing changed.
    let orders = read_orders(&settings, g, Wanted::new(&candidates), &mut summary)?;
    let imports = read_optouts(args, &settings, g, &mut summary)?;

    // The gateway is built (secrets looked up) before anything is written, too.
    let lookups = match args.no_delivery {
        true => None,
        false => delivery_lookups(&ledger, &settings, g, max_age)?,
    };

    // One transaction: a crash leaves either all of this run's matches and opt-outs or none.
    ledger.transaction(|ledger| {
        record(
            ledger,
            &settings,
            &candidates,
            orders.as_deref(),
            &imports,
            g,
            &mut summary,
        )
    })?;

    let mut code = Exit::Ok;
    if let Some((mut gw, pending)) = lookups {
        code = poll_delivery(&ledger, gw.as_mut(), &pending, &settings, g, &mut summary)?;
    }
    if code == Exit::Ok && summary.problems > 0 {
        code = Exit::SomeFailed;
    }
    drop(ledger);
    lock.seal(&settings.ledger_path);
    if args.format == crate::output::Format::Json {
        crate::outln!("{}", summary_json(&summary, code))?;
    } else if !g.quiet {
        crate::outln!("{}", summary_line(&summary))?;
    }
    Ok(code)
}

/// Every opt-out export, read before anything is written (a bad file stops the run unchanged).
fn read_optouts<'a>(
    args: &'a Args,
    settings: &Settings,
    g: &Global,
    summary: &mut Summary,
) -> Result<Vec<(&'a PathBuf, optouts::Import)>> {
    let mut imports = Vec::new();
    for path in &args.optouts {
        let imp = optouts::read(
            path,
            &settings.store.default_region,
            settings.store.timezone,
            g.now,
        )?;
        for e in &imp.errors {
            warn(g, e);
        }
        summary.problems += imp.errors.len() as u64;
        imports.push((path, imp));
    }
    Ok(imports)
}

/// Records this run's recoveries and imported opt-outs (inside the caller's transaction).
fn record(
    ledger: &Ledger,
    settings: &Settings,
    candidates: &[crate::ledger::OpenNudge],
    orders: Option<&[OrderRef]>,
    imports: &[(&PathBuf, optouts::Import)],
    g: &Global,
    summary: &mut Summary,
) -> Result<()> {
    if let Some(orders) = orders {
        let holdout = ledger.holdout_ids()?;
        let taken = ledger.recovered_order_ids()?;
        for m in attribution::attribute(candidates, orders, settings.attribution_window, &taken) {
            if !ledger.insert_recovery(&m, g.now)? {
                continue;
            }
            match (m.attributed, holdout.contains(&m.nudge_id)) {
                (false, _) => summary.converted_before += 1,
                (true, true) => summary.holdout_conversions += 1,
                (true, false) => {
                    summary.recovered += 1;
                    *summary.revenue.entry(m.amount.currency).or_default() += m.amount.minor;
                }
            }
        }
    }
    for (path, imp) in imports {
        let source = format!(
            "import:{}",
            path.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
        );
        for (phone, at) in &imp.optouts {
            summary.optouts_added += ledger.add_optout(phone, *at, &source)? as u64;
        }
    }
    Ok(())
}

/// The orders that could match a waiting reminder; `None` when the config has no [orders] source.
fn read_orders(
    settings: &Settings,
    g: &Global,
    wanted: Wanted,
    summary: &mut Summary,
) -> Result<Option<Vec<OrderRef>>> {
    let Some(src) = &settings.orders else {
        if !g.quiet {
            eprintln!(
                "cartnudge: no [orders] source in the config; skipping attribution (add [orders] to match sends to orders)"
            );
        }
        return Ok(None);
    };
    let mut out = Vec::new();
    // An order older than every waiting reminder's cart is checked but never built; the others
    // are matched against what the reminders could match on the thread that read them.
    let since = wanted.since();
    let keep = move |at| since.is_some_and(|s| at >= s);
    let region = settings.store.default_region.clone();
    let wanted = std::sync::Arc::new(wanted);
    let screen = {
        let (wanted, region) = (wanted.clone(), region.clone());
        move |o: crate::model::Order| {
            let void = o
                .status
                .as_deref()
                .is_some_and(|s| VOID_STATUSES.contains(&s));
            if void {
                None
            } else if wanted.phone_may_match(&o) {
                // Its phone is read below, on one thread (rare: its last digits are a
                // reminder's). Boxed: the blocks in flight hold a slot per order.
                Some(Err(Box::new(o)))
            } else {
                wanted.order_ref_with(&o, &region, false).map(Ok)
            }
        }
    };
    for row in crate::source::orders_then(src, keep, screen)? {
        match row.map(Option::flatten) {
            Ok(Some(Ok(r))) => out.push(r),
            Ok(Some(Err(o))) => out.extend(wanted.order_ref(&o, &region)),
            Ok(None) => {}
            Err(e) => {
                warn(g, &format!("skipped order row: {e}"));
                summary.problems += 1;
            }
        }
    }
    Ok(Some(out))
}

/// A gateway with a status API and the messages to ask it about.
type Lookups = (Box<dyn Gateway>, Vec<PendingDelivery>);

/// The gateway and the messages to ask it about; `None` when there is nothing to ask.
fn delivery_lookups(
    ledger: &Ledger,
    settings: &Settings,
    g: &Global,
    max_age: chrono::Duration,
) -> Result<Option<Lookups>> {
    // The file gateway is an outbox: there is nothing to ask, so it is not even opened.
    if settings.gateway.kind == crate::model::GatewayKind::File {
        return Ok(None);
    }
    let pending = ledger.pending_deliveries(settings.gateway.kind.as_str(), g.now - max_age)?;
    if pending.is_empty() {
        return Ok(None);
    }
    let gw = gateway::build(&settings.gateway, &gateway::process_env)
        .context("cannot ask the gateway for delivery statuses (or pass --no-delivery)")?;
    if !gw.has_status() {
        if g.verbose {
            eprintln!(
                "cartnudge: gateway {} has no status API; delivery not checked",
                gw.name()
            );
        }
        return Ok(None);
    }
    Ok(Some((gw, pending)))
}

fn poll_delivery(
    ledger: &Ledger,
    gw: &mut dyn Gateway,
    pending: &[PendingDelivery],
    settings: &Settings,
    g: &Global,
    summary: &mut Summary,
) -> Result<Exit> {
    // Status lookups count against the provider's rate limit like sends do.
    let rate = settings.gateway.rate_per_second;
    let pace = (rate > 0.0).then(|| std::time::Duration::from_secs_f64(1.0 / rate));
    let polled = delivery::poll(gw, pending, pace);
    for u in &polled.updates {
        ledger.record_delivery(u.nudge_id, u.state, u.code.as_deref(), u.price, g.now)?;
    }
    summary.delivery_updated = polled.updates.len();
    for (id, e) in &polled.errors {
        warn(g, &format!("delivery status of message {id}: {e}"));
    }
    summary.problems += polled.errors.len() as u64;
    if let Some(e) = polled.fatal {
        eprintln!("cartnudge: delivery polling stopped: {e}; check the gateway credentials");
        return Ok(Exit::FatalGateway);
    }
    Ok(Exit::Ok)
}

fn warn(g: &Global, msg: &str) {
    if !g.quiet {
        eprintln!("cartnudge: {msg}");
    }
}

fn summary_line(s: &Summary) -> String {
    let revenue: Vec<String> = s
        .revenue
        .iter()
        .map(|(c, minor)| {
            format!(
                "{} {c}",
                crate::model::grouped(&Money::new(*minor, *c).decimal_string())
            )
        })
        .collect();
    let mut line = format!("recovered {}", s.recovered);
    if !revenue.is_empty() {
        line.push_str(&format!(" ({})", revenue.join("; ")));
    }
    line.push_str(&format!(
        ", converted before reminder {}, holdout conversions {}, delivery updated {}, opt-outs added {}",
        s.converted_before, s.holdout_conversions, s.delivery_updated, s.optouts_added
    ));
    if s.claims_recovered > 0 {
        line.push_str(&format!(
            ", unfinished claims marked unknown {}",
            s.claims_recovered
        ));
    }
    if s.problems > 0 {
        line.push_str(&format!(", problems {} (see above)", s.problems));
    }
    line
}

/// The summary for `--format json`: counts, revenue per currency as decimal strings, the exit code.
fn summary_json(s: &Summary, code: Exit) -> serde_json::Value {
    let revenue: serde_json::Map<String, serde_json::Value> = s
        .revenue
        .iter()
        .map(|(c, minor)| {
            (
                c.to_string(),
                Money::new(*minor, *c).decimal_string().into(),
            )
        })
        .collect();
    serde_json::json!({
        "recovered": s.recovered,
        "recovered_revenue": revenue,
        "converted_before": s.converted_before,
        "holdout_conversions": s.holdout_conversions,
        "delivery_updated": s.delivery_updated,
        "optouts_added": s.optouts_added,
        "claims_recovered": s.claims_recovered,
        "problems": s.problems,
        "exit_code": code.code(),
    })
}
