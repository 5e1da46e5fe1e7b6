//! `cartnudge send`: one capped batch. Reads config, carts, orders and the ledger; writes the ledger,
//! the audit CSV and, through the gateway, text messages. Under the run lock it first turns claims
//! left by a crashed run into `unknown` and writes the audit rows an earlier run could not, then
//! commits a `claimed` row before every gateway call, so a cart is never messaged twice.
//! `--dry-run` renders and audits but touches neither ledger nor gateway.

mod backlog;
mod dry_run;
mod sender;

use super::Global;
use crate::audit::Audit;
use crate::gateway;
use crate::ledger::{self, Ledger, RunCounts};
use crate::model::{Exit, Mode};
use crate::output::Format;
use crate::output::{Outputs, summary};
use crate::pipeline::{self, Batch};
use crate::settings::Settings;
use anyhow::Result;
use sender::Sender;
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Most messages to send in this run (default: gateway.limit from config, 20).
    #[arg(long)]
    pub limit: Option<usize>,
    /// Render and audit (`would_send`) without touching the ledger or the gateway.
    #[arg(long)]
    pub dry_run: bool,
    /// The --dry-run preview's format; for a live run, `json` prints the summary as one JSON
    /// object (counts, reasons, exit code) for wrappers.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Stop sending after this long (e.g. "5m"; default gateway.deadline, 10m); unsent carts are
    /// deferred, so cron runs never pile up.
    #[arg(long, value_parser = parse_deadline)]
    pub deadline: Option<Duration>,
    /// Ask the provider to validate without sending, where it can (SMS.ru `test=1`).
    #[arg(long)]
    pub gateway_test: bool,
    /// --dry-run: list every cart, also those outside the rules' window.
    #[arg(long)]
    pub all: bool,
    /// --dry-run: list only these decisions; repeatable or comma-separated.
    #[arg(long, value_delimiter = ',', value_parser = crate::output::parse_decision)]
    pub decision: Vec<crate::model::Decision>,
}

fn parse_deadline(s: &str) -> Result<Duration, String> {
    crate::model::parse_std_duration(s).map_err(|e| e.to_string())
}

pub fn run(args: &Args, g: &Global) -> Result<Exit> {
    let started = Instant::now();
    let mut settings = g.settings()?;
    settings.gateway.test_mode = args.gateway_test;
    let limit = args.limit.unwrap_or(settings.gateway.limit);
    if args.dry_run {
        return dry_run::dry_run(args, &settings, g, limit);
    }
    let lock = ledger::lock(&settings.ledger_path)?;
    let ledger = open_ledger(&settings, args.gateway_test, &lock, g)?;
    let mut gw = gateway_for(&settings)?;
    let (run_id, mode) = match &ledger {
        Some(l) => (l.begin_run("send", g.now)?, Mode::Live),
        None => (
            format!("{}-gwtest", g.now.format("%Y%m%dT%H%M%SZ")),
            Mode::GatewayTest,
        ),
    };
    let mut audit = Audit::open(
        &settings.audit_dir,
        g.now,
        &run_id,
        mode,
        settings.mask_phones,
    )?;
    if let Some(l) = &ledger {
        backlog::write(l, &mut audit, &settings)?;
    }
    let batch = match read_batch(&settings, ledger.as_ref(), &mut audit, gw.name(), g, limit) {
        Ok(b) => b,
        Err(e) => {
            audit.sync()?;
            if let Some(l) = &ledger {
                l.finish_run(&run_id, &RunCounts::default(), crate::exit_code_for(&e))?;
            }
            return Err(e);
        }
    };
    let deadline = started + args.deadline.unwrap_or(settings.gateway.deadline);
    let mut counts = batch.counts.clone();
    let mut sender = Sender {
        settings: &settings,
        ledger: ledger.as_ref(),
        audit: &mut audit,
        gateway_name: gw.name().to_string(),
        gateway: gw.as_mut(),
        run_id: &run_id,
        now: g.now,
        counts: &mut counts,
        deadline,
        aborted: None,
        last_call: None,
        unsynced: Vec::new(),
        requests: 0,
    };
    let outcome = send_batch(&mut sender, &batch, g);
    let requests = sender.requests;
    let aborted = sender.aborted.take();
    drop(sender);
    let code = exit_code(&outcome, requests, aborted.is_some(), &counts);
    if let Some(l) = &ledger {
        let finished = l.finish_run(&run_id, &counts, code);
        if outcome.is_ok() {
            finished?;
        }
    }
    let live = ledger.is_some();
    drop(ledger);
    if live && outcome.is_ok() {
        lock.seal(&settings.ledger_path);
    }
    let json = args.format == Format::Json;
    report(
        g,
        &counts,
        live,
        aborted.as_ref(),
        outcome,
        code,
        json,
        &run_id,
    )
}

/// The gateway, built before any cart is read: a missing secret stops the run before anything
/// is sent.
fn gateway_for(settings: &Settings) -> Result<Box<dyn gateway::Gateway>> {
    if let Some(missing) = gateway::missing_env(&settings.gateway, &gateway::process_env) {
        anyhow::bail!(
            "{} gateway: environment variable(s) not set: {missing}; nothing was sent",
            settings.gateway.kind
        );
    }
    gateway::build(&settings.gateway, &gateway::process_env)
}

/// The ledger, with claims left by a crashed run turned into `unknown`; None for a
/// --gateway-test run, which asks the provider to validate, sends nothing and records nothing.
fn open_ledger(
    settings: &Settings,
    gateway_test: bool,
    lock: &ledger::RunLock,
    g: &Global,
) -> Result<Option<Ledger>> {
    if gateway_test {
        return Ok(None);
    }
    let l = Ledger::open_locked(&settings.ledger_path, lock)?;
    let recovered = l.recover_claims(g.now)?;
    if recovered > 0 {
        eprintln!(
            "cartnudge: {recovered} claim(s) left by an interrupted run are now `unknown` and will not be resent"
        );
    }
    Ok(Some(l))
}

/// The exit code of a run: never 2 once a request may have left.
fn exit_code(outcome: &Result<()>, requests: u64, aborted: bool, counts: &RunCounts) -> Exit {
    match outcome {
        Err(_) if requests > 0 => Exit::Partial,
        Err(_) => Exit::Input,
        Ok(()) if aborted => Exit::FatalGateway,
        Ok(()) if counts.failed > 0 || counts.unknown > 0 => Exit::SomeFailed,
        Ok(()) => Exit::Ok,
    }
}

/// Streams the carts through the rules, auditing every decision outside the batch, and checks
/// the config errors only the data can reveal before anything is sent.
fn read_batch(
    settings: &Settings,
    ledger: Option<&Ledger>,
    audit: &mut Audit,
    gateway_name: &str,
    g: &Global,
    limit: usize,
) -> Result<Batch> {
    let view = match ledger {
        Some(l) => l.view(settings.rules.history_since(g.now))?,
        None => pipeline::read_only_view(settings, g.now)?,
    };
    let orders = pipeline::load_orders(settings, g.now, g.quiet)?;
    let opts = pipeline::Options {
        now: g.now,
        limit,
        quiet: g.quiet,
        verbose: g.verbose,
    };
    let mut outputs = Outputs {
        printer: None,
        audit: Some(audit),
        gateway: gateway_name.to_string(),
    };
    let batch = pipeline::run(settings, &view, &orders, &opts, &mut outputs)?;
    if let Some(err) = batch.data_error(&settings.source) {
        return Err(err.into());
    }
    if let Some(err) = pipeline::missing_threshold_error(&batch.missing_thresholds) {
        return Err(err);
    }
    Ok(batch)
}

/// The holdout rows, then the batch, best first; the audit is fsynced at the end.
///
/// The holdout rows go in one transaction (one fsync, not one per row: 3,000 rows took 1.4 s).
/// A holdout row is never sent, so it needs no commit of its own before anything else happens:
/// a run that dies before the commit leaves those carts to the next run, which puts them in the
/// same group (it is a hash of the cart id).
fn send_batch(sender: &mut Sender<'_>, batch: &Batch, g: &Global) -> Result<()> {
    match sender.ledger {
        Some(l) if !batch.holdout.is_empty() => {
            l.transaction(|_| batch.holdout.for_each(|c| sender.holdout(c)))?
        }
        _ => batch.holdout.for_each(|c| sender.holdout(c))?,
    }
    let progress = crate::progress::Progress::sends(g.quiet, batch.send.len() as u64);
    for c in &batch.send {
        sender.send(c)?;
        progress.tick();
    }
    progress.finish();
    sender.sync()
}

/// Prints the summary and what a person must act on, and turns a failure after requests may
/// have left into "stopped partway" (never exit 2 once something may have been sent).
#[allow(clippy::too_many_arguments)]
fn report(
    g: &Global,
    counts: &RunCounts,
    live: bool,
    aborted: Option<&gateway::GatewayError>,
    outcome: Result<()>,
    code: Exit,
    json: bool,
    run_id: &str,
) -> Result<Exit> {
    if json {
        let error = match &outcome {
            Err(e) => Some(format!("{e:#}")),
            Ok(()) => aborted.map(|e| format!("batch aborted by the gateway: {e}")),
        };
        crate::outln!("{}", summary_json(counts, run_id, code, error.as_deref()))?;
        return match outcome {
            Err(e) if code != Exit::Partial => Err(e),
            _ => Ok(code),
        };
    }
    if !live && !g.quiet {
        crate::outln!("gateway test: nothing was sent or recorded")?;
    }
    match outcome {
        Err(e) if code == Exit::Partial => {
            eprintln!(
                "cartnudge: stopped partway: {} sent, {} failed, {} unknown before: {e:#}",
                counts.sent, counts.failed, counts.unknown
            );
            eprintln!(
                "cartnudge: the ledger keeps every message that went out; fix the cause and run again"
            );
        }
        Err(e) => return Err(e),
        Ok(()) => {
            let line = summary(counts, live);
            if !g.quiet {
                crate::outln!("{line}")?;
            } else if needs_a_person(counts) {
                // Under -q only what a person must act on reaches cron mail.
                eprintln!("cartnudge: {line}");
            }
        }
    }
    if let Some(e) = aborted {
        eprintln!(
            "cartnudge: batch aborted by the gateway: {e}; the remaining carts were deferred"
        );
    }
    Ok(code)
}

/// Failed or unknown sends, or a gateway that processed nothing it was asked: worth a mail.
fn needs_a_person(c: &RunCounts) -> bool {
    let retried = c.reasons.get("gateway_retry").copied().unwrap_or(0);
    c.failed > 0 || c.unknown > 0 || (retried > 0 && c.sent == 0)
}

/// A run's summary for `--format json`.
fn summary_json(c: &RunCounts, run_id: &str, code: Exit, error: Option<&str>) -> serde_json::Value {
    serde_json::json!({
        "run_id": run_id,
        "sent": c.sent,
        "failed": c.failed,
        "unknown": c.unknown,
        "would_send": c.would_send,
        "holdout": c.holdout,
        "deferred": c.deferred,
        "skipped": c.skipped,
        "carts_read": c.carts_read,
        "invalid": c.invalid,
        "reasons": c.reasons,
        "exit_code": code.code(),
        "error": error,
    })
}
