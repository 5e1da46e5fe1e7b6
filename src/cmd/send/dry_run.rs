//! `send --dry-run`: the same pipeline and audit as a live run (mode `dry_run`, decision
//! `would_send`), with a preview on stdout; the ledger is read, never written, and no gateway is
//! built.

use super::Args;
use crate::audit::Audit;
use crate::cmd::Global;
use crate::model::Exit;
use crate::output::Format;
use crate::output::{Outputs, Printer, summary};
use crate::pipeline;
use crate::settings::Settings;
use anyhow::Result;

pub(super) fn dry_run(args: &Args, settings: &Settings, g: &Global, limit: usize) -> Result<Exit> {
    let view = crate::pipeline::read_only_view(settings, g.now)?;
    let orders = pipeline::load_orders(settings, g.now, g.quiet)?;
    let run_id = format!("{}-dry", g.now.format("%Y%m%dT%H%M%SZ"));
    let mut audit = Audit::open(
        &settings.audit_dir,
        g.now,
        &run_id,
        crate::model::Mode::DryRun,
        settings.mask_phones,
    )?;
    let mut printer = Printer::new(args.format);
    printer.filter = crate::output::Filter {
        all: args.all,
        decisions: args.decision.clone(),
    };
    let opts = pipeline::Options {
        now: g.now,
        limit,
        quiet: g.quiet,
        verbose: g.verbose,
    };
    let mut outputs = Outputs {
        printer: (!g.quiet).then_some(&mut printer),
        audit: Some(&mut audit),
        gateway: settings.gateway.kind.as_str().to_string(),
    };
    let mut batch = pipeline::run(settings, &view, &orders, &opts, &mut outputs)?;
    if let Some(err) = batch.data_error(&settings.source) {
        outputs.audit.as_deref_mut().expect("audit").sync()?;
        return Err(err.into());
    }
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
            crate::outln!("{line}")?
        } else {
            eprintln!("{line}")
        }
    }
    Ok(Exit::Ok)
}
