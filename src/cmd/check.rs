//! `cartnudge check`: validates the config, each source's column mapping (reading the header, or
//! preparing the query), the cart-value threshold of every currency present, and that the gateway's
//! secret env vars are set — without sending, and without printing any secret.

use super::Global;
use crate::model::Exit;
use crate::settings::Settings;
use crate::source;
use crate::source::config::{CART_FIELDS, ORDER_FIELDS};
use anyhow::Result;
use std::collections::BTreeMap;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// `table` prints one line per check; `json` one object with every check, for wrappers.
    #[arg(long, value_enum, default_value = "table")]
    pub format: crate::output::Format,
}

struct Report {
    problems: u32,
    quiet: bool,
    json: bool,
    /// (status, what, text) of every check, for --format json.
    checks: Vec<(&'static str, String, String)>,
}

impl Report {
    fn line(&mut self, status: &'static str, what: &str, text: &str) {
        if self.json {
            self.checks
                .push((status, what.to_string(), text.to_string()));
        } else if status != "ok" || !self.quiet {
            let word = match status {
                "ok" => "ok  ",
                "warn" => "warn",
                _ => "FAIL",
            };
            let _ = crate::outln!("{word}  {what:<10} {text}");
        }
    }
    fn ok(&mut self, what: &str, text: impl AsRef<str>) {
        self.line("ok", what, text.as_ref());
    }
    fn warn(&mut self, what: &str, text: impl AsRef<str>) {
        self.line("warn", what, text.as_ref());
    }
    fn fail(&mut self, what: &str, text: impl AsRef<str>) {
        self.problems += 1;
        self.line("fail", what, text.as_ref());
    }
}

pub fn run(args: &Args, g: &Global) -> Result<Exit> {
    let settings = g.settings()?;
    let mut r = Report {
        problems: 0,
        quiet: g.quiet,
        json: args.format == crate::output::Format::Json,
        checks: Vec::new(),
    };
    r.ok("config", g.config_file().display().to_string());
    r.ok("tzdata", crate::tzdb::db().describe());
    check_carts(&settings, &mut r);
    if let Some(o) = &settings.orders {
        check_orders(o, &mut r);
    }
    check_gateway(&settings, &mut r);
    match crate::ledger::Ledger::open_read_only(&settings.ledger_path) {
        Ok(Some(l)) => match l
            .view(settings.rules.history_since(g.now))
            .and_then(|v| v.counts())
        {
            Ok((carts, optouts)) => r.ok(
                "ledger",
                format!(
                    "{}: {carts} carts, {optouts} opt-outs",
                    settings.ledger_path.display(),
                ),
            ),
            Err(e) => r.fail("ledger", format!("{e:#}")),
        },
        Ok(None) => r.ok(
            "ledger",
            format!(
                "{} will be created by the first send",
                settings.ledger_path.display()
            ),
        ),
        Err(e) => r.fail("ledger", format!("{e:#}")),
    }
    if r.json {
        let checks: Vec<serde_json::Value> = r
            .checks
            .iter()
            .map(|(status, what, text)| serde_json::json!({"check": what, "status": status, "text": text}))
            .collect();
        crate::outln!(
            "{}",
            serde_json::json!({"ok": r.problems == 0, "problems": r.problems, "checks": checks})
        )?;
    } else if r.problems > 0 {
        crate::outln!("{} problem(s); nothing was sent", r.problems)?;
    }
    Ok(if r.problems > 0 {
        Exit::Input
    } else {
        Exit::Ok
    })
}

/// "carts.csv (csv)" for files; SQL and API sources already say their kind.
fn labelled(s: &crate::source::Config) -> String {
    match &s.path {
        Some(_) => format!("{} ({})", source::display_name(s), s.kind),
        None => source::display_name(s),
    }
}

fn mapping(s: &crate::source::Config, fields: &[&str]) -> String {
    let mapped: Vec<String> = fields
        .iter()
        .filter_map(|f| {
            s.columns.get(*f).map(|c| {
                if c == f {
                    f.to_string()
                } else {
                    format!("{f}←{c}")
                }
            })
        })
        .collect();
    if mapped.is_empty() {
        "columns named like the fields".into()
    } else {
        mapped.join(", ")
    }
}

fn check_carts(settings: &Settings, r: &mut Report) {
    let s = &settings.source;
    let carts = match source::carts(s) {
        Ok(c) => c,
        Err(e) => return r.fail("source", format!("{e:#}")),
    };
    r.ok(
        "source",
        format!("{}: {}", labelled(s), mapping(s, CART_FIELDS)),
    );
    let (mut rows, mut bad) = (0u64, 0u64);
    let mut examples = Vec::new();
    let mut currencies: BTreeMap<String, u64> = BTreeMap::new();
    let mut lengths = Lengths::default();
    for c in carts {
        match c {
            Ok(c) => {
                rows += 1;
                *currencies.entry(c.total.currency.to_string()).or_default() += 1;
                lengths.sample(&c, settings);
            }
            Err(e) => {
                bad += 1;
                if examples.len() < 3 {
                    examples.push(e.to_string());
                }
                if bad <= 5 {
                    let _ = crate::outln!("warn  {:<10} {e}", "row");
                }
            }
        }
    }
    let note = if bad > 0 {
        format!(", {bad} malformed (skipped by send)")
    } else {
        String::new()
    };
    lengths.report(settings, r);
    match crate::pipeline::data_error(s, rows, bad, &examples) {
        Some(e) => r.fail("carts", e.to_string()),
        None => r.ok("carts", format!("{rows} readable{note}")),
    }
    for (cur, n) in currencies {
        let known = settings
            .rules
            .min_cart_value
            .keys()
            .any(|c| c.code() == cur);
        if known {
            r.ok(
                "threshold",
                format!(
                    "{cur}: {n} carts, minimum {}",
                    settings
                        .rules
                        .min_cart_value
                        .iter()
                        .find(|(c, _)| c.code() == cur)
                        .map(|(_, m)| m.to_string())
                        .unwrap_or_default()
                ),
            );
        } else {
            r.fail("threshold", format!("{cur}: {n} carts but no minimum; add `{cur} = \"…\"` under [rules.min_cart_value]"));
        }
    }
}

fn check_orders(s: &crate::source::Config, r: &mut Report) {
    match source::orders(s) {
        Ok(orders) => {
            let (ok, bad) = orders.fold((0u64, 0u64), |(a, b), o| {
                if o.is_ok() { (a + 1, b) } else { (a, b + 1) }
            });
            r.ok(
                "orders",
                format!(
                    "{}: {}; {ok} readable, {bad} malformed",
                    labelled(s),
                    mapping(s, ORDER_FIELDS)
                ),
            );
        }
        Err(e) => r.fail("orders", format!("{e:#}")),
    }
}

fn check_gateway(settings: &Settings, r: &mut Report) {
    let g = &settings.gateway;
    let needed = crate::gateway::required_env(g);
    let mut missing = Vec::new();
    for (what, var) in &needed {
        if crate::gateway::process_env(var).is_none() {
            missing.push(format!("{var} ({what})"));
        }
    }
    if !missing.is_empty() {
        return r.fail(
            "gateway",
            format!(
                "{}: environment variable(s) not set: {}",
                g.kind,
                missing.join(", ")
            ),
        );
    }
    // HTTP gateways are built (no request is made) so a missing sender or a bad base_url shows
    // here; the file gateway would create its outbox, so it is only checked for a path.
    use crate::model::GatewayKind as K;
    if !matches!(g.kind, K::File | K::Stub) {
        if let Err(e) = crate::gateway::build(g, &crate::gateway::process_env) {
            return r.fail("gateway", format!("{e:#}"));
        }
    } else if g.kind == K::File && g.path.is_none() {
        return r.fail(
            "gateway",
            "the file gateway needs gateway.path (the outbox file)",
        );
    }
    let vars: Vec<&str> = needed.iter().map(|(_, v)| v.as_str()).collect();
    let set = if vars.is_empty() {
        String::new()
    } else {
        format!("; set: {}", vars.join(", "))
    };
    r.ok("gateway", format!("{}{set}", g.kind));
}

/// How the message renders for the export's carts: how many would exceed `max_segments`.
#[derive(Default)]
struct Lengths {
    sampled: u64,
    too_long: u64,
    ucs2: u64,
    worst_over: usize,
    worst: Option<String>,
}

/// Carts rendered by `check`: enough to see the shape of the export, quick on any size.
const SAMPLE: u64 = 1000;

impl Lengths {
    fn sample(&mut self, cart: &crate::model::Cart, settings: &Settings) {
        if self.sampled >= SAMPLE {
            return;
        }
        self.sampled += 1;
        let m = crate::message::render(cart, &settings.message, &settings.store.name);
        let max = settings.rules.max_segments;
        if m.count.encoding == crate::message::Encoding::Ucs2 {
            self.ucs2 += 1;
        }
        if m.count.segments > max {
            self.too_long += 1;
            let limit = crate::message::capacity(m.count.encoding, max);
            let over = m.count.units.saturating_sub(limit);
            if over > self.worst_over {
                self.worst_over = over;
                self.worst = Some(cart.cart_id.clone());
            }
        }
    }

    fn report(&self, settings: &Settings, r: &mut Report) {
        if !settings.message.template.contains("{store}") {
            r.warn(
                "message",
                "the template has no {store}: carriers require the brand name in the text (CTIA; mandatory in France)",
            );
        }
        if self.sampled == 0 {
            return;
        }
        let max = settings.rules.max_segments;
        if self.too_long == 0 {
            return r.ok(
                "message",
                format!(
                    "{} sampled carts render within max_segments = {max}",
                    self.sampled
                ),
            );
        }
        let why = if self.ucs2 > 0 {
            format!(
                "; {} are UCS-2 (a character outside GSM-7, e.g. Cyrillic or an emoji, cuts a segment to 70)",
                self.ucs2
            )
        } else {
            String::new()
        };
        r.warn(
            "message",
            format!(
                "{} of {} sampled carts exceed max_segments = {max} and would be skipped as message_too_long, up to {} characters over (cart {}){why}; shorten the template, the link or optout_suffix, or raise rules.max_segments",
                self.too_long,
                self.sampled,
                self.worst_over,
                self.worst.as_deref().unwrap_or("-")
            ),
        );
    }
}
