//! `cartnudge send`: one capped batch. Reads config, carts, orders and the ledger; writes the ledger,
//! the audit CSV and, through the gateway, text messages. Under the run lock it first turns claims
//! left by a crashed run into `unknown`, then commits a `claimed` row before every gateway call, so
//! a cart is never messaged twice. `--dry-run` renders and audits but touches neither ledger nor
//! gateway.

mod dry_run;
mod sender;

use super::Global;
use crate::audit::Audit;
use crate::gateway;
use crate::ledger::{self, Ledger, RunCounts};
use crate::model::{Exit, Mode};
use crate::output::Format;
use crate::output::{Outputs, summary};
use crate::pipeline;
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
    /// Preview format for --dry-run.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Stop sending after this long (e.g. "5m"); unsent carts are deferred, so cron runs never pile up.
    #[arg(long, value_parser = parse_deadline)]
    pub deadline: Option<Duration>,
    /// Ask the provider to validate without sending, where it can (SMS.ru `test=1`).
    #[arg(long)]
    pub gateway_test: bool,
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
    let _lock = ledger::lock(&settings.ledger_path)?;
    // A --gateway-test run asks the provider to validate, sends nothing, and so records nothing.
    let test = args.gateway_test;
    let ledger = if test {
        None
    } else {
        Some(Ledger::open(&settings.ledger_path)?)
    };
    if let Some(l) = &ledger {
        let recovered = l.recover_claims(g.now)?;
        if recovered > 0 && !g.quiet {
            eprintln!(
                "cartnudge: {recovered} claim(s) left by an interrupted run are now `unknown` and will not be resent"
            );
        }
    }
    // Built before any cart is read: a missing secret stops the run before anything is sent.
    let mut gw = gateway::build(&settings.gateway, &gateway::process_env)?;
    let view = match &ledger {
        Some(l) => l.view(settings.rules.history_since(g.now))?,
        None => crate::pipeline::read_only_view(&settings, g.now)?,
    };
    let orders = pipeline::load_orders(&settings, g.now, g.quiet)?;
    let run_id = match &ledger {
        Some(l) => l.begin_run("send", g.now)?,
        None => format!("{}-gwtest", g.now.format("%Y%m%dT%H%M%SZ")),
    };
    let mode = if test { Mode::GatewayTest } else { Mode::Live };
    let mut audit = Audit::open(
        &settings.audit_dir,
        g.now,
        &run_id,
        mode,
        settings.mask_phones,
    )?;
    let opts = pipeline::Options {
        now: g.now,
        limit,
        quiet: g.quiet,
        verbose: g.verbose,
    };
    let gateway_name = gw.name().to_string();
    let streamed = {
        let mut outputs = Outputs {
            printer: None,
            audit: Some(&mut audit),
            gateway: gateway_name.clone(),
        };
        pipeline::run(&settings, &view, &orders, &opts, &mut outputs)
    };
    let batch = match streamed {
        Ok(b) => b,
        Err(e) => {
            audit.sync()?;
            if let Some(l) = &ledger {
                l.finish_run(&run_id, &RunCounts::default(), Exit::Input)?;
            }
            return Err(e);
        }
    };
    let mut counts = batch.counts;
    if let Some(err) = pipeline::missing_threshold_error(&batch.missing_thresholds) {
        audit.sync()?;
        if let Some(l) = &ledger {
            l.finish_run(&run_id, &counts, Exit::Input)?;
        }
        return Err(err);
    }
    let mut sender = Sender {
        settings: &settings,
        ledger: ledger.as_ref(),
        audit: &mut audit,
        gateway: gw.as_mut(),
        gateway_name,
        run_id: &run_id,
        now: g.now,
        counts: &mut counts,
        deadline: args.deadline.map(|d| started + d),
        aborted: None,
        last_call: None,
    };
    for c in &batch.holdout {
        sender.holdout(c)?;
    }
    let progress = crate::progress::Progress::sends(g.quiet, batch.send.len() as u64);
    for c in &batch.send {
        sender.send(c)?;
        progress.tick();
    }
    progress.finish();
    let aborted = sender.aborted.take();
    audit.sync()?;
    let code = if aborted.is_some() {
        Exit::FatalGateway
    } else if counts.failed > 0 || counts.unknown > 0 {
        Exit::SomeFailed
    } else {
        Exit::Ok
    };
    match &ledger {
        Some(l) => l.finish_run(&run_id, &counts, code)?,
        None if !g.quiet => println!("gateway test: nothing was sent or recorded"),
        None => {}
    }
    if !g.quiet {
        println!("{}", summary(&counts, ledger.is_some()));
    }
    if let Some(e) = aborted {
        eprintln!(
            "cartnudge: batch aborted by the gateway: {e}; the remaining carts were deferred"
        );
    }
    Ok(code)
}
