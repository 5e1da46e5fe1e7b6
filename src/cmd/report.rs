//! `cartnudge report`: reads the ledger (read-only, no lock needed) and writes what SMS cost and
//! what it brought back, per currency, as a table, CSV, JSON (DESIGN.md §12) or an HTML page.

use super::Global;
use crate::ledger::Ledger;
use crate::model::{Currency, Exit, Price};
use crate::report::skips::NotMessaged;
use crate::report::{By, Context, Report, Tally, csv_out, html, json, table};
use crate::settings::Settings;
use crate::source::fields::local_to_utc;
use anyhow::{Context as _, Result, anyhow, bail};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use std::path::PathBuf;

/// Report what SMS cost and what it brought back, per currency (never summed across currencies).
///
/// Reminders are counted by the time they were claimed; their recoveries (orders matched by
/// `reconcile`) go with them, whenever the order came in.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Include revenue, ROI and holdout lift (the ledger must have been reconciled).
    #[arg(long)]
    pub roi: bool,

    /// Start of the period: a date (in the store's time zone) or RFC 3339. Default: the beginning.
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,

    /// End of the period: a date (that whole day is included) or RFC 3339. Default: now.
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,

    /// Also break the figures down by this.
    #[arg(long, value_enum)]
    pub by: Option<ByArg>,

    #[arg(long, value_enum, default_value = "table")]
    pub format: ReportFormat,

    /// Write here instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Gross margin in percent (e.g. 30): adds profit ROI = (revenue × margin − cost) / cost.
    #[arg(long, value_name = "PERCENT")]
    pub margin: Option<String>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ByArg {
    Day,
    Week,
    Month,
    Gateway,
    Country,
}

impl From<ByArg> for By {
    fn from(b: ByArg) -> By {
        match b {
            ByArg::Day => By::Day,
            ByArg::Week => By::Week,
            ByArg::Month => By::Month,
            ByArg::Gateway => By::Gateway,
            ByArg::Country => By::Country,
        }
    }
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    Table,
    Csv,
    Json,
    Html,
}

pub fn run(args: &Args, g: &Global) -> Result<Exit> {
    let settings = g.settings()?;
    let ctx = context(args, g, &settings)?;
    let report = build(args, g, &settings, ctx)?;
    let text = match args.format {
        ReportFormat::Table => table::table(&report, args.roi),
        ReportFormat::Csv => csv_out::csv(&report)?,
        ReportFormat::Json => format!("{}\n", serde_json::to_string_pretty(&json::json(&report))?),
        ReportFormat::Html => html::render(&report, args.roi),
    };
    match &args.output {
        Some(path) => {
            write_atomically(path, &text)?;
            if !g.quiet {
                eprintln!("cartnudge: report written to {}", path.display());
            }
        }
        None => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error.
            if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush())
                && e.kind() != std::io::ErrorKind::BrokenPipe
            {
                return Err(e).context("cannot write the report to stdout");
            }
        }
    }
    Ok(Exit::Ok)
}

/// The period, margin and settings the report needs besides the ledger rows.
fn context(args: &Args, g: &Global, settings: &Settings) -> Result<Context> {
    let tz = settings.store.timezone;
    let bound = |arg: &Option<String>, end, name| {
        arg.as_deref()
            .map(|s| parse_bound(s, tz, end))
            .transpose()
            .context(name)
    };
    let since = bound(&args.since, false, "--since")?;
    let until = bound(&args.until, true, "--until")?.unwrap_or(g.now);
    if since.is_some_and(|s| s >= until) {
        bail!("--since must be before --until");
    }
    let margin_bp = args
        .margin
        .as_deref()
        .map(parse_margin)
        .transpose()
        .map_err(|e| anyhow!(e))?;
    Ok(Context {
        shop: settings.store.name.clone(),
        since,
        until,
        timezone: tz,
        margin_bp,
        rates: settings.report.clone(),
        orders_source: settings.orders.is_some(),
        reconciled: Default::default(),
    })
}

/// Reads the ledger (read-only) and the audit files of the period's runs.
fn build(args: &Args, g: &Global, settings: &Settings, ctx: Context) -> Result<Report> {
    let Some(l) = Ledger::open_read_only(&settings.ledger_path)? else {
        if !g.quiet {
            eprintln!(
                "cartnudge: no ledger at {} yet; nothing has been sent",
                settings.ledger_path.display()
            );
        }
        let none = NotMessaged::per_run(&[], "");
        return Ok(Report::build(
            Tally::new(None, ctx.timezone),
            &[],
            none,
            ctx,
        ));
    };
    let runs = l.send_runs_with_ids(ctx.since, ctx.until)?;
    let skipped = NotMessaged::from_audit(&settings.audit_dir, &runs)?;
    let mut tally = Tally::new(args.by.map(By::from), ctx.timezone);
    l.each_nudge_between(ctx.since, ctx.until, |n| tally.add(&n))?;
    let ctx = Context {
        reconciled: l.reconcile_evidence()?,
        ..ctx
    };
    Ok(Report::build(tally, &runs, skipped, ctx))
}

/// "2026-11-01" (a local day in the store's zone: its start, or for `--until` its end) or RFC 3339.
pub fn parse_bound(s: &str, tz: Tz, end_of_day: bool) -> Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s.trim()) {
        return Ok(t.with_timezone(&Utc));
    }
    let day = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        anyhow!("`{s}` is neither a date (2026-11-01) nor RFC 3339 (2026-11-01T00:00:00Z)")
    })?;
    let day = if end_of_day {
        day.succ_opt()
            .ok_or_else(|| anyhow!("`{s}` is out of range"))?
    } else {
        day
    };
    Ok(local_to_utc(
        day.and_hms_opt(0, 0, 0).expect("midnight exists"),
        tz,
    ))
}

/// "30", "30.5", "30%" → hundredths of a percent; 0..=100.
pub fn parse_margin(s: &str) -> Result<i64, String> {
    let t = s.trim().trim_end_matches('%');
    let p = Price::parse(t, Currency::parse("XXX").expect("valid code"))
        .map_err(|_| format!("--margin `{s}` is not a percentage (e.g. 30 or 27.5)"))?;
    if p.micros % 10_000 != 0 {
        return Err(format!("--margin `{s}`: use at most two decimals"));
    }
    let bp = p.micros / 10_000;
    if !(0..=10_000).contains(&bp) {
        return Err(format!("--margin `{s}` must be between 0 and 100"));
    }
    Ok(bp)
}

fn write_atomically(path: &std::path::Path, text: &str) -> Result<()> {
    let tmp = path.with_extension("tmp-cartnudge");
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_whole_days_in_the_store_zone() {
        let msk: Tz = "Europe/Moscow".parse().unwrap();
        let s = |t: DateTime<Utc>| crate::model::utc_string(t);
        assert_eq!(
            s(parse_bound("2026-11-01", msk, false).unwrap()),
            "2026-10-31T21:00:00Z"
        );
        assert_eq!(
            s(parse_bound("2026-11-01", msk, true).unwrap()),
            "2026-11-01T21:00:00Z"
        );
        assert_eq!(
            s(parse_bound("2026-11-01T10:00:00+03:00", msk, true).unwrap()),
            "2026-11-01T07:00:00Z"
        );
        assert!(parse_bound("01.11.2026", msk, false).is_err());
    }

    #[test]
    fn margins_are_percentages() {
        assert_eq!(parse_margin("30").unwrap(), 3000);
        assert_eq!(parse_margin("27.5%").unwrap(), 2750);
        assert!(parse_margin("101").is_err());
        assert!(parse_margin("abc").is_err());
        assert!(parse_margin("27.555").is_err());
    }
}
