//! How decisions are shown: the `scan` / dry-run preview (table, CSV, JSON Lines with the keys of
//! DESIGN.md §12), the audit sink, and the one-line run summary.

use crate::audit::{self, Audit};
use crate::ledger::RunCounts;
use crate::model::{Decision, Reason, utc_string};
use crate::pipeline::{Decided, Sink};
use anyhow::Result;
use std::borrow::Cow;
use std::io::Write;
use table::Table;

mod table;

/// `println!` that returns the write error instead of panicking, so a closed stdout (`| head`)
/// ends the run quietly: `main` turns a broken pipe into exit 0.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*)
    }};
}

/// How a preview or summary is printed.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Json,
}

/// The printable facts of one decision.
pub struct Line {
    pub cart_id: String,
    pub customer_id: String,
    pub decision: Decision,
    pub reason: Option<Reason>,
    /// The provider's code when `reason` is `Reason::Gateway`.
    pub gateway_code: Option<String>,
    pub detail: String,
    pub phone_e164: Option<String>,
    pub phone_raw: String,
    pub zone: Option<String>,
    pub local_time: Option<crate::model::LocalTime>,
    pub encoding: Option<&'static str>,
    pub segments: Option<u32>,
    pub est_cost: Option<crate::model::Price>,
    pub message: Option<String>,
    pub cart_total: String,
    pub cart_currency: String,
    pub consent_at: String,
    pub provider_id: Option<String>,
}

impl Line {
    pub fn from(d: &Decided<'_>) -> Line {
        let f = d.facts;
        let shows_message = d.decision.carries_message();
        Line {
            cart_id: d.cart.cart_id.clone(),
            customer_id: d.cart.customer_id.clone().unwrap_or_default(),
            decision: d.decision,
            reason: d.reason,
            gateway_code: d.gateway_code.map(str::to_string),
            detail: d.detail.to_string(),
            phone_e164: f.valid_phone().map(|p| p.e164.to_string()),
            phone_raw: d.cart.phone.clone().unwrap_or_default(),
            zone: f.zone.as_ref().map(|z| z.label()),
            local_time: f.local_time.clone(),
            encoding: f.message.as_ref().map(|m| m.count.encoding.as_str()),
            segments: f.message.as_ref().map(|m| m.count.segments),
            est_cost: f.message.as_ref().and_then(|m| m.est_cost),
            message: if shows_message {
                f.message.as_ref().map(|m| m.text.clone())
            } else {
                None
            },
            cart_total: d.cart.total.decimal_string(),
            cart_currency: d.cart.total.currency.to_string(),
            consent_at: d.cart.consent_at.map(utc_string).unwrap_or_default(),
            provider_id: d.provider_id.map(str::to_string),
        }
    }

    /// `quiet_hours`, `gateway:21610`; None when the cart would be (or was) sent.
    pub fn reason_text(&self) -> Option<String> {
        self.reason
            .map(|r| r.text(self.gateway_code.as_deref()).into_owned())
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "cart_id": self.cart_id,
            "decision": self.decision.as_str(),
            "reason": self.reason_text(),
            "detail": self.detail,
            "phone_e164": self.phone_e164,
            "recipient_zone": self.zone,
            "recipient_local_time": self.local_time.as_ref().map(|t| t.to_string()),
            "segments": self.segments,
            "encoding": self.encoding,
            "message": self.message,
            "est_cost": self.est_cost.map(|p| p.decimal_string()),
            "cost_currency": self.est_cost.map(|p| p.currency.to_string()),
            "cart_total": self.cart_total,
            "cart_currency": self.cart_currency,
            "provider_message_id": self.provider_id,
        })
    }
}

/// A decision's audit row, its texts borrowed from the decision where they can be (this runs for
/// every cart inside the rules' window, printed or not).
pub fn audit_row<'a>(d: &'a Decided<'a>, gateway: &'a str) -> audit::Row<'a> {
    let f = d.facts;
    let sent_like = d.decision.carries_message();
    let message = f.message.as_ref();
    let est_cost = message.and_then(|m| m.est_cost);
    let text = |s: Option<String>| s.map_or(Cow::Borrowed(""), Cow::Owned);
    audit::Row {
        cart_id: Cow::Borrowed(&d.cart.cart_id),
        customer_id: Cow::Borrowed(d.cart.customer_id.as_deref().unwrap_or_default()),
        phone: Cow::Borrowed(match f.valid_phone() {
            Some(p) => p.e164.as_str(),
            None => d.cart.phone.as_deref().unwrap_or_default(),
        }),
        decision: d.decision,
        reason: d
            .reason
            .map_or(Cow::Borrowed(""), |r| r.text(d.gateway_code)),
        gateway: Cow::Borrowed(if sent_like { gateway } else { "" }),
        provider_message_id: Cow::Borrowed(d.provider_id.unwrap_or_default()),
        encoding: Cow::Borrowed(message.map_or("", |m| m.count.encoding.as_str())),
        segments: text(message.map(|m| m.count.segments.to_string())),
        est_cost: text(est_cost.map(|p| p.decimal_string())),
        cost_currency: text(est_cost.map(|p| p.currency.to_string())),
        cart_total: Cow::Owned(d.cart.total.decimal_string()),
        cart_currency: Cow::Borrowed(d.cart.total.currency.code()),
        recipient_local_time: text(f.local_time.as_ref().map(|t| t.to_string())),
        consent_at: text(d.cart.consent_at.map(utc_string)),
        message: Cow::Borrowed(match message {
            Some(m) if sent_like => m.text.as_str(),
            _ => "",
        }),
    }
}

pub const PREVIEW_COLUMNS: &[&str] = &[
    "cart_id",
    "decision",
    "reason",
    "detail",
    "phone_e164",
    "recipient_zone",
    "recipient_local_time",
    "segments",
    "encoding",
    "est_cost",
    "cost_currency",
    "cart_total",
    "cart_currency",
    "message",
];

/// Which carts a preview lists: by default those inside the rules' window (the audit's rule:
/// active within `max_age` and not `not_abandoned`); `--all` lists every cart; `--decision`
/// keeps only the decisions named. Carts not listed are still counted in the summary.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub all: bool,
    pub decisions: Vec<Decision>,
}

impl Filter {
    pub fn wants(&self, decision: Decision, reason: Option<Reason>) -> bool {
        (self.all || !reason.is_some_and(|r| r.is_out_of_window()))
            && (self.decisions.is_empty() || self.decisions.contains(&decision))
    }
}

/// `--decision would_send,deferred`: a decision name, for clap.
pub fn parse_decision(s: &str) -> Result<Decision, String> {
    Decision::parse(s.trim()).ok_or_else(|| {
        format!("`{s}` is not a decision; use would_send, skipped, deferred or holdout")
    })
}

/// Writes the preview to stdout in the chosen format, one cart at a time.
pub struct Printer {
    pub filter: Filter,
    format: Format,
    out: std::io::BufWriter<std::io::Stdout>,
    csv: Option<csv::Writer<std::io::Stdout>>,
    /// Laid out for the terminal's width at the first row (`table::width`).
    table: Option<Table>,
    header_done: bool,
}

impl Printer {
    pub fn new(format: Format) -> Printer {
        Printer {
            filter: Filter::default(),
            format,
            out: std::io::BufWriter::new(std::io::stdout()),
            csv: None,
            table: None,
            header_done: false,
        }
    }

    pub fn print(&mut self, line: &Line) -> Result<()> {
        match self.format {
            Format::Json => writeln!(self.out, "{}", line.json())?,
            Format::Csv => {
                let w = self
                    .csv
                    .get_or_insert_with(|| csv::Writer::from_writer(std::io::stdout()));
                if !self.header_done {
                    w.write_record(PREVIEW_COLUMNS)?;
                    self.header_done = true;
                }
                fn opt(v: &Option<String>) -> Cow<'_, str> {
                    Cow::from(v.as_deref().unwrap_or_default())
                }
                let owned = |v: Option<String>| Cow::from(v.unwrap_or_default());
                w.write_record(
                    [
                        audit::neutralize(&line.cart_id),
                        line.decision.as_str().into(),
                        owned(line.reason_text()),
                        audit::neutralize(&line.detail),
                        opt(&line.phone_e164),
                        opt(&line.zone),
                        owned(line.local_time.as_ref().map(|t| t.to_string())),
                        owned(line.segments.map(|s| s.to_string())),
                        line.encoding.unwrap_or_default().into(),
                        owned(line.est_cost.map(|p| p.decimal_string())),
                        owned(line.est_cost.map(|p| p.currency.to_string())),
                        line.cart_total.as_str().into(),
                        line.cart_currency.as_str().into(),
                        audit::neutralize(line.message.as_deref().unwrap_or_default()),
                    ]
                    .iter()
                    .map(|c| c.as_bytes()),
                )?;
            }
            Format::Table => {
                let table = self.table.get_or_insert_with(|| Table::new(table::width()));
                if !self.header_done {
                    writeln!(self.out, "{}", table.header())?;
                    self.header_done = true;
                }
                writeln!(self.out, "{}", table.row(line))?;
            }
        }
        Ok(())
    }

    pub fn flush(&mut self) -> Result<()> {
        let csv = self.csv.as_mut().map(|w| w.flush()).unwrap_or(Ok(()));
        match csv.and_then(|_| self.out.flush()) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            r => Ok(r?),
        }
    }
}

/// Sends each decision to an optional preview printer and an optional audit file. Carts outside
/// the rules' window (not abandoned, too old) are counted only, never audited (DESIGN.md §7).
pub struct Outputs<'a> {
    pub printer: Option<&'a mut Printer>,
    pub audit: Option<&'a mut Audit>,
    pub gateway: String,
}

impl Outputs<'_> {
    pub fn line(&mut self, d: &Decided<'_>) -> Result<()> {
        if let Some(p) = self.printer.as_deref_mut()
            && p.filter.wants(d.decision, d.reason)
        {
            p.print(&Line::from(d))?;
        }
        let out_of_window = d.reason.is_some_and(|r| r.is_out_of_window());
        if let Some(a) = self.audit.as_deref_mut()
            && !out_of_window
        {
            a.write(&audit_row(d, &self.gateway))?;
        }
        Ok(())
    }
}

impl Sink for Outputs<'_> {
    fn decided(&mut self, d: &Decided<'_>) -> Result<()> {
        // A cart neither printed nor audited is only counted: no line is built for it (carts
        // outside the rules' window are two thirds of a typical export).
        let printed = self
            .printer
            .as_ref()
            .is_some_and(|p| p.filter.wants(d.decision, d.reason));
        let audited = self.audit.is_some() && !d.reason.is_some_and(|r| r.is_out_of_window());
        if !printed && !audited {
            return Ok(());
        }
        self.line(d)
    }

    fn wants_out_of_window(&self) -> bool {
        self.printer.as_ref().is_some_and(|p| {
            p.filter.wants(Decision::Skipped, Some(Reason::TooOld))
                || p.filter
                    .wants(Decision::Skipped, Some(Reason::NotAbandoned))
        })
    }
}

/// Whether a counted reason means "maybe later" (counted under deferred).
fn is_deferral_reason(reason: &str) -> bool {
    Reason::parse(reason).is_some_and(|r| r.is_deferral())
}

/// `sent 20, failed 0, deferred 143 (quiet_hours 120, over_limit 23), skipped 812 (...)`.
pub fn summary(c: &RunCounts, live: bool) -> String {
    let group = |deferral: bool| {
        let parts: Vec<String> = c
            .reasons
            .iter()
            .filter(|(r, n)| is_deferral_reason(r) == deferral && **n > 0)
            .map(|(r, n)| format!("{r} {n}"))
            .collect();
        if parts.is_empty() {
            String::new()
        } else {
            format!(" ({})", parts.join(", "))
        }
    };
    let mut s = if live {
        format!("sent {}, failed {}", c.sent, c.failed)
    } else {
        format!("would send {}", c.would_send)
    };
    if c.unknown > 0 {
        s.push_str(&format!(", unknown {}", c.unknown));
    }
    if c.holdout > 0 {
        s.push_str(&format!(", holdout {}", c.holdout));
    }
    s.push_str(&format!(
        ", deferred {}{}, skipped {}{}",
        c.deferred,
        group(true),
        c.skipped,
        group(false)
    ));
    if c.invalid > 0 {
        s.push_str(&format!(", invalid rows {}", c.invalid));
    }
    s
}
