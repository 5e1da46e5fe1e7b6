//! `cartnudge send`: one capped batch. Reads config, carts, orders and the ledger; writes the ledger,
//! the audit CSV and, through the gateway, text messages. Under the run lock it first turns claims
//! left by a crashed run into `unknown`, then commits a `claimed` row before every gateway call, so
//! a cart is never messaged twice. `--dry-run` renders and audits but touches neither ledger nor
//! gateway.

use super::{EXIT_FATAL_GATEWAY, EXIT_INPUT, EXIT_OK, EXIT_SOME_FAILED, Global};
use crate::audit::Audit;
use crate::cli::Format;
use crate::gateway::{self, Gateway, GatewayError, Receipt, Sms};
use crate::ledger::{self, Ledger, NewNudge, RunCounts};
use crate::output::{Line, Outputs, Printer, summary};
use crate::pipeline::{self, Candidate, Decided};
use crate::settings::Settings;
use anyhow::Result;
use sha2::{Digest, Sha256};
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
    crate::settings::parse_std_duration(s).map_err(|e| e.to_string())
}

pub fn run(args: &Args, g: &Global) -> Result<i32> {
    let started = Instant::now();
    let mut settings = g.settings()?;
    settings.gateway.test_mode = args.gateway_test;
    let limit = args.limit.unwrap_or(settings.gateway.limit);
    if args.dry_run {
        return dry_run(args, &settings, g, limit);
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
        Some(l) => l.view()?,
        None => super::scan::read_only_view(&settings)?,
    };
    let orders = pipeline::load_orders(&settings, g.quiet)?;
    let run_id = match &ledger {
        Some(l) => l.begin_run("send", g.now)?,
        None => format!("{}-gwtest", g.now.format("%Y%m%dT%H%M%SZ")),
    };
    let mode = if test { "gateway_test" } else { "live" };
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
                l.finish_run(&run_id, &RunCounts::default(), EXIT_INPUT)?;
            }
            return Err(e);
        }
    };
    let mut counts = batch.counts;
    if let Some(err) = pipeline::missing_threshold_error(&batch.missing_thresholds) {
        audit.sync()?;
        if let Some(l) = &ledger {
            l.finish_run(&run_id, &counts, EXIT_INPUT)?;
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
        EXIT_FATAL_GATEWAY
    } else if counts.failed > 0 || counts.unknown > 0 {
        EXIT_SOME_FAILED
    } else {
        EXIT_OK
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

struct Sender<'a> {
    settings: &'a Settings,
    /// None in a --gateway-test run, which records nothing.
    ledger: Option<&'a Ledger>,
    audit: &'a mut Audit,
    gateway: &'a mut dyn Gateway,
    gateway_name: String,
    run_id: &'a str,
    now: chrono::DateTime<chrono::Utc>,
    counts: &'a mut RunCounts,
    deadline: Option<Instant>,
    aborted: Option<GatewayError>,
    last_call: Option<Instant>,
}

impl Sender<'_> {
    fn record(
        &mut self,
        c: &Candidate,
        decision: &str,
        reason: Option<&str>,
        detail: &str,
        provider_id: Option<&str>,
    ) -> Result<()> {
        let d = Decided {
            cart: &c.cart,
            decision,
            reason,
            detail,
            facts: &c.eval.facts,
            provider_id,
        };
        self.audit
            .write(&Line::from(&d).audit_row(&self.gateway_name))
    }

    fn holdout(&mut self, c: &Candidate) -> Result<()> {
        let gateway = self.gateway_name.clone();
        if let Some(l) = self.ledger {
            l.insert_nudge(&nudge(c, self.run_id, &gateway, self.now), "holdout")?;
        }
        self.counts.holdout += 1;
        self.record(c, "holdout", Some("holdout"), &c.eval.detail, None)
    }

    fn defer(&mut self, c: &Candidate, reason: &str, detail: &str) -> Result<()> {
        self.counts.deferred += 1;
        *self.counts.reasons.entry(reason.to_string()).or_default() += 1;
        self.record(c, "deferred", Some(reason), detail, None)
    }

    fn send(&mut self, c: &Candidate) -> Result<()> {
        if let Some(e) = &self.aborted {
            let detail = format!("batch aborted: {e}");
            return self.defer(c, "gateway_aborted", &detail);
        }
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return self.defer(
                c,
                "deadline",
                "the run's --deadline passed before this cart's turn",
            );
        }
        let gateway = self.gateway_name.clone();
        let n = nudge(c, self.run_id, &gateway, self.now);
        let id = match self.ledger {
            Some(l) => l.insert_nudge(&n, "claimed")?,
            None => 0,
        };
        let ledger = self.ledger;
        let key = idempotency_key(&c.cart.cart_id);
        let sms = Sms {
            to: n.phone,
            text: n.text,
            encoding: c
                .eval
                .facts
                .message
                .as_ref()
                .expect("rendered")
                .count
                .encoding,
            segments: n.segments,
            cart_id: &c.cart.cart_id,
            idempotency_key: &key,
            at: self.now,
        };
        let phone = n.phone.clone();
        match self.call(&sms) {
            Ok(receipt) if ledger.is_none() => {
                self.counts.would_send += 1;
                let detail = "validated by the provider's test mode; nothing sent";
                self.record(
                    c,
                    "would_send",
                    None,
                    detail,
                    receipt.provider_id.as_deref(),
                )
            }
            Ok(receipt) => {
                ledger.expect("live").mark_sent(id, &receipt, self.now)?;
                self.counts.sent += 1;
                self.record(c, "sent", None, "", receipt.provider_id.as_deref())?;
                // Every sent message has its audit row on disk before the next one goes out.
                self.audit.sync()
            }
            Err(e @ GatewayError::Permanent { .. }) => {
                if let Some(l) = ledger {
                    l.mark_error(id, "failed", e.code(), e.message())?;
                    if let GatewayError::Permanent {
                        opt_out: true,
                        code,
                        ..
                    } = &e
                    {
                        l.add_optout(&phone, self.now, &format!("gateway:{code}"))?;
                    }
                }
                self.counts.failed += 1;
                self.record(
                    c,
                    "failed",
                    Some(&format!("gateway:{}", e.code())),
                    e.message(),
                    None,
                )
            }
            Err(e @ GatewayError::Unknown { .. }) => {
                if let Some(l) = ledger {
                    l.mark_error(id, "unknown", e.code(), e.message())?;
                }
                self.counts.unknown += 1;
                self.record(
                    c,
                    "unknown",
                    Some(&format!("gateway:{}", e.code())),
                    e.message(),
                    None,
                )?;
                self.audit.sync()
            }
            Err(e @ GatewayError::Transient { .. }) => {
                if let Some(l) = ledger {
                    l.release(id)?;
                }
                let detail = format!(
                    "not processed after {} tries: {e}",
                    self.settings.gateway.max_tries
                );
                self.defer(c, "gateway_retry", &detail)
            }
            Err(e @ GatewayError::Fatal { .. }) => {
                if let Some(l) = ledger {
                    l.release(id)?;
                }
                let detail = format!("batch aborted: {e}");
                self.aborted = Some(e);
                self.defer(c, "gateway_aborted", &detail)
            }
        }
    }

    /// One message, with retries for answers documented as "not processed", and the rate limit.
    fn call(&mut self, sms: &Sms<'_>) -> Result<Receipt, GatewayError> {
        let cfg = &self.settings.gateway;
        let mut attempt = 1;
        loop {
            self.pace();
            match self.gateway.send(sms) {
                Err(GatewayError::Transient {
                    retry_after,
                    code,
                    message,
                }) if attempt < cfg.max_tries => {
                    let wait = retry_after.unwrap_or_else(|| backoff(attempt));
                    if self.deadline.is_some_and(|d| Instant::now() + wait >= d) {
                        return Err(GatewayError::Transient {
                            retry_after,
                            code,
                            message,
                        });
                    }
                    std::thread::sleep(wait);
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// Waits so that calls stay under `gateway.rate_per_second` (local gateways are not paced).
    fn pace(&mut self) {
        let rate = self.settings.gateway.rate_per_second;
        if rate > 0.0 && !matches!(self.gateway.name(), "file" | "stub") {
            let gap = Duration::from_secs_f64(1.0 / rate);
            if let Some(last) = self.last_call {
                let next = last + gap;
                let now = Instant::now();
                if next > now {
                    std::thread::sleep(next - now);
                }
            }
        }
        self.last_call = Some(Instant::now());
    }
}

/// The ledger row for an eligible cart.
fn nudge<'c>(
    c: &'c Candidate,
    run_id: &'c str,
    gateway: &'c str,
    now: chrono::DateTime<chrono::Utc>,
) -> NewNudge<'c> {
    let phone = c
        .eval
        .facts
        .valid_phone()
        .expect("eligible carts have a phone");
    let m = c
        .eval
        .facts
        .message
        .as_ref()
        .expect("eligible carts have a message");
    NewNudge {
        run_id,
        cart_id: &c.cart.cart_id,
        customer_id: c.cart.customer_id.as_deref(),
        phone: &phone.e164,
        email: c.cart.email.as_deref(),
        country: phone.region.as_deref(),
        gateway,
        encoding: m.count.encoding.as_str(),
        segments: m.count.segments,
        est_cost: m.est_cost,
        cart_total: c.cart.total,
        cart_updated_at: c.cart.updated_at,
        text: &m.text,
        at: now,
    }
}

/// Exponential backoff with "equal jitter": half fixed, half random, 0.5 s doubling, at most 30 s.
fn backoff(attempt: u32) -> Duration {
    let base = Duration::from_millis(500)
        .saturating_mul(1 << (attempt - 1).min(6))
        .min(Duration::from_secs(30));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let half = base / 2;
    half + half.mul_f64((nanos % 1000) as f64 / 1000.0)
}

/// Stable per cart, so a provider that deduplicates by key drops a repeat.
fn idempotency_key(cart_id: &str) -> String {
    let d = Sha256::digest(cart_id.as_bytes());
    let hex: String = d[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("cn-{hex}")
}

fn dry_run(args: &Args, settings: &Settings, g: &Global, limit: usize) -> Result<i32> {
    let view = super::scan::read_only_view(settings)?;
    let orders = pipeline::load_orders(settings, g.quiet)?;
    let run_id = format!("{}-dry", g.now.format("%Y%m%dT%H%M%SZ"));
    let mut audit = Audit::open(
        &settings.audit_dir,
        g.now,
        &run_id,
        "dry_run",
        settings.mask_phones,
    )?;
    let mut printer = Printer::new(args.format);
    let opts = pipeline::Options {
        now: g.now,
        limit,
        quiet: g.quiet,
        verbose: g.verbose,
    };
    let mut outputs = Outputs {
        printer: (!g.quiet).then_some(&mut printer),
        audit: Some(&mut audit),
        gateway: settings.gateway.kind.clone(),
    };
    let mut batch = pipeline::run(settings, &view, &orders, &opts, &mut outputs)?;
    if let Some(err) = pipeline::missing_threshold_error(&batch.missing_thresholds) {
        outputs.audit.as_deref_mut().expect("audit").sync()?;
        return Err(err);
    }
    batch.preview(&mut outputs)?;
    audit.sync()?;
    printer.flush()?;
    if !g.quiet {
        let line = format!(
            "dry run {}: {}; audit {}",
            run_id,
            summary(&batch.counts, false),
            audit.path().display()
        );
        if args.format == Format::Table {
            println!("{line}")
        } else {
            eprintln!("{line}")
        }
    }
    Ok(EXIT_OK)
}
