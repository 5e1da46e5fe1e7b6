//! `cartnudge scan`: reads config, carts, orders and the ledger (read-only, never created) and
//! prints every cart's decision and reason, the batch that `send` would make now, and counts per
//! reason. `--explain CART_ID` shows every rule's verdict for one cart. Writes nothing.

use super::Global;
use crate::ledger::LedgerView;
use crate::model::Exit;
use crate::output::Format;
use crate::output::{Outputs, Printer, summary};
use crate::pipeline;
use crate::rules::{self, Ctx, Verdict};
use crate::settings::Settings;
use anyhow::{Context, Result, bail};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Show each rule's verdict for this one cart.
    #[arg(long, value_name = "CART_ID")]
    pub explain: Option<String>,
    /// Batch size to preview (default: gateway.limit from config).
    #[arg(long)]
    pub limit: Option<usize>,
    /// List every cart, also those outside the rules' window (too old, not abandoned).
    #[arg(long)]
    pub all: bool,
    /// List only these decisions (would_send, skipped, deferred, holdout); repeatable or
    /// comma-separated.
    #[arg(long, value_delimiter = ',', value_parser = crate::output::parse_decision)]
    pub decision: Vec<crate::model::Decision>,
}

pub fn run(args: &Args, g: &Global) -> Result<Exit> {
    let settings = g.settings()?;
    let view = pipeline::read_only_view(&settings, g.now)?;
    let orders = pipeline::load_orders(&settings, g.now, g.quiet)?;
    if let Some(id) = &args.explain {
        return explain(&settings, &view, &orders, id, g);
    }
    let mut printer = Printer::new(args.format);
    printer.filter = crate::output::Filter {
        all: args.all,
        decisions: args.decision.clone(),
    };
    let opts = pipeline::Options {
        now: g.now,
        limit: args.limit.unwrap_or(settings.gateway.limit),
        quiet: g.quiet,
        verbose: g.verbose,
    };
    let mut outputs = Outputs {
        printer: Some(&mut printer),
        audit: None,
        gateway: settings.gateway.kind.as_str().to_string(),
    };
    let mut batch = pipeline::run(&settings, &view, &orders, &opts, &mut outputs)?;
    batch.preview(&mut outputs)?;
    printer.flush()?;
    let line = format!("summary: {}", summary(&batch.counts, false));
    if !g.quiet {
        if args.format == Format::Table {
            crate::outln!("{line}")?
        } else {
            eprintln!("{line}")
        }
    }
    if let Some(err) = batch.data_error(&settings.source) {
        return Err(err.into());
    }
    if let Some(err) = pipeline::missing_threshold_error(&batch.missing_thresholds) {
        eprintln!("cartnudge: {err:#}");
        return Ok(Exit::Input);
    }
    Ok(Exit::Ok)
}

fn explain(
    settings: &Settings,
    view: &LedgerView,
    orders: &rules::OrderIndex,
    id: &str,
    g: &Global,
) -> Result<Exit> {
    let ctx = Ctx {
        now: g.now,
        rules: &settings.rules,
        message: &settings.message,
        store: &settings.store,
        ledger: view,
        orders,
        explain: true,
    };
    for item in crate::source::carts(&settings.source).context("cannot read carts")? {
        let cart = match item {
            Ok(c) if c.cart_id == id => c,
            Ok(_) => continue,
            Err(e) => {
                if g.verbose {
                    eprintln!("cartnudge: skipped {e}");
                }
                continue;
            }
        };
        let (verdicts, facts) = rules::explain(&cart, &ctx);
        crate::outln!(
            "cart {} ({}), now {}",
            cart.cart_id,
            cart.loc,
            crate::model::utc_string(g.now)
        )?;
        let mut first = None;
        for (rule, v) in &verdicts {
            let (word, text) = match v {
                Verdict::Pass(t) => ("pass", t),
                Verdict::Fail(t) => {
                    first.get_or_insert(*rule);
                    (if rule.is_deferral() { "DEFER" } else { "FAIL" }, t)
                }
                Verdict::NotApplicable(t) => ("n/a", t),
            };
            crate::outln!("  {:<17} {:<5} {}", rule.as_str(), word, text)?;
        }
        if let Some(m) = &facts.message {
            crate::outln!(
                "  message ({}, {} segment(s)): {}",
                m.count.encoding,
                m.count.segments,
                m.text
            )?;
        }
        match first {
            Some(r) => crate::outln!(
                "decision: {} ({})",
                if r.is_deferral() {
                    "deferred"
                } else if r == rules::Reason::Holdout {
                    "holdout"
                } else {
                    "skipped"
                },
                r.as_str()
            )?,
            None => crate::outln!(
                "decision: eligible (a batch still applies the limit and one reminder per phone per run)"
            )?,
        }
        return Ok(Exit::Ok);
    }
    bail!(
        "cart `{id}` not found in {}",
        crate::source::display_name(&settings.source)
    )
}
