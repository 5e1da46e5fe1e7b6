//! The TOML config (DESIGN.md §11) read once into a validated `Settings`: durations parsed, zones
//! looked up, paths made relative to the config file's folder, thresholds per currency. Unknown keys
//! are errors that name the key; secrets are only ever names of environment variables.

use crate::model::{Currency, Money, Price};
use crate::rules::hours::{CountryRule, Hours};
use anyhow::{Context, Result, anyhow, bail};
use chrono_tz::Tz;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod raw;

use raw::{RawConfig, RawMessage, RawRules};
pub use raw::{RawGateway, RawSource};

/// Everything a command needs, validated.
#[derive(Debug, Clone)]
pub struct Settings {
    pub config_path: PathBuf,
    pub store: StoreSettings,
    pub source: SourceSettings,
    pub orders: Option<SourceSettings>,
    pub rules: RuleSettings,
    pub message: MessageSettings,
    pub gateway: GatewaySettings,
    pub ledger_path: PathBuf,
    pub audit_dir: PathBuf,
    pub mask_phones: bool,
    pub attribution_window: chrono::Duration,
}

#[derive(Debug, Clone)]
pub struct StoreSettings {
    pub name: String,
    pub timezone: Tz,
    pub default_region: String,
}

#[derive(Debug, Clone)]
pub struct SourceSettings {
    /// "[source]" or "[orders]", for messages.
    pub table: &'static str,
    pub kind: String,
    /// Resolved against the config folder; `-` stays `-` (stdin).
    pub path: Option<PathBuf>,
    pub query: Option<String>,
    pub timezone: Tz,
    pub delimiter: u8,
    pub decimal: char,
    pub currency: Option<Currency>,
    /// field → column, only the ones the config names.
    pub columns: BTreeMap<String, String>,
    pub query_timeout: Duration,
    /// The run's "now" (`--now` or the clock), for sources that ask for "changed since".
    pub now: chrono::DateTime<chrono::Utc>,
    /// The table as written, for source kinds that need more keys (SQL engines, Shopify, presets).
    pub raw: RawSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderBy {
    Value,
    Oldest,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MultiZone {
    /// Send only when the time is allowed in every zone of the country (DESIGN.md §4).
    All,
    /// Use the store's zone instead.
    Store,
}

#[derive(Debug, Clone)]
pub struct RuleSettings {
    pub min_delay: chrono::Duration,
    pub max_age: chrono::Duration,
    pub cooldown: chrono::Duration,
    pub hours: Hours,
    pub max_segments: u32,
    pub holdout_percent: u32,
    pub holdout_salt: String,
    pub order_by: OrderBy,
    pub email_first: Option<chrono::Duration>,
    pub multi_zone: MultiZone,
    pub min_cart_value: BTreeMap<Currency, Money>,
    /// Keyed "US", "FR", or "US-FL" for a US state.
    pub country: BTreeMap<String, CountryRule>,
}

impl RuleSettings {
    /// How far back a phone's reminders can still matter: the cooldown, or a day for the
    /// per-24-hour state limits, whichever is longer.
    pub fn history_since(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> chrono::DateTime<chrono::Utc> {
        now - self.cooldown.max(chrono::Duration::hours(24))
    }
}

#[derive(Debug, Clone)]
pub struct MessageSettings {
    pub template: String,
    pub fallback_name: String,
    pub link: String,
    pub campaign: String,
    pub optout_suffix: String,
    pub gsm_normalize: bool,
    /// Estimated price of one segment, in the currency the gateway bills in.
    pub cost_per_segment: Option<Price>,
}

#[derive(Debug, Clone)]
pub struct GatewaySettings {
    pub kind: String,
    pub path: Option<PathBuf>,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub rate_per_second: f64,
    pub limit: usize,
    pub max_tries: u32,
    /// `send --gateway-test`: providers' validate-only mode.
    pub test_mode: bool,
    pub raw: RawGateway,
}

pub const CART_FIELDS: &[&str] = &[
    "cart_id",
    "customer_id",
    "name",
    "email",
    "phone",
    "total",
    "currency",
    "items_count",
    "updated_at",
    "consent",
    "consent_at",
    "country",
    "timezone",
    "status",
    "link",
    "email_sent_at",
    "email_opened_at",
];
pub const ORDER_FIELDS: &[&str] = &[
    "order_id",
    "cart_id",
    "customer_id",
    "phone",
    "email",
    "total",
    "currency",
    "created_at",
    "status",
];
pub const SOURCE_KINDS: &[&str] = &[
    "csv", "json", "jsonl", "sqlite", "mysql", "postgres", "shopify",
];

impl Settings {
    /// Sets the run's "now" wherever a setting needs it (sources that ask for "changed since").
    pub fn at(mut self, now: chrono::DateTime<chrono::Utc>) -> Settings {
        self.source.now = now;
        if let Some(o) = &mut self.orders {
            o.now = now;
        }
        self
    }

    pub fn load(path: &Path) -> Result<Settings> {
        let text = std::fs::read_to_string(path).with_context(|| {
            format!(
                "cannot read config {}; create one with `cartnudge init` or pass --config",
                path.display()
            )
        })?;
        Settings::from_toml(&text, path)
    }

    pub fn from_toml(text: &str, path: &Path) -> Result<Settings> {
        let raw: RawConfig = toml::from_str(text)
            .map_err(|e| anyhow!("config {}: {}", path.display(), e.to_string().trim_end()))?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let base = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        let at = |key: &str| format!("config {}: {key}", path.display());
        let resolve = |p: &str| {
            if p == "-" {
                PathBuf::from("-")
            } else {
                base.join(p)
            }
        };

        let store = StoreSettings {
            name: raw.store.name,
            timezone: parse_tz(&raw.store.timezone).with_context(|| at("store.timezone"))?,
            default_region: parse_region(&raw.store.default_region)
                .with_context(|| at("store.default_region"))?,
        };
        let source_raw = raw.source.ok_or_else(|| {
            anyhow!(
                "{}: no [source] table; say where carts come from (see `cartnudge init`)",
                at("source")
            )
        })?;
        let source = source_settings(source_raw, "source", CART_FIELDS, &resolve)
            .with_context(|| at("[source]"))?;
        // A platform preset reads orders from the same database unless [orders] says otherwise.
        let orders_raw = raw
            .orders
            .or_else(|| crate::source::presets::orders_from(&source.raw));
        let orders = orders_raw
            .map(|o| {
                source_settings(o, "orders", ORDER_FIELDS, &resolve).with_context(|| at("[orders]"))
            })
            .transpose()?;
        let rules = rule_settings(raw.rules).with_context(|| at("[rules]"))?;
        let message = message_settings(raw.message).with_context(|| at("[message]"))?;
        let gw_raw = raw.gateway.ok_or_else(|| {
            anyhow!(
                "{}: no [gateway] table; for a first run use kind = \"file\"",
                at("gateway")
            )
        })?;
        let gateway = gateway_settings(gw_raw, &resolve).with_context(|| at("[gateway]"))?;
        Ok(Settings {
            config_path: path.to_path_buf(),
            store,
            source,
            orders,
            rules,
            message,
            gateway,
            ledger_path: resolve(&raw.ledger.path),
            audit_dir: resolve(&raw.audit.dir),
            mask_phones: raw.audit.mask_phones,
            attribution_window: parse_duration(&raw.reconcile.attribution_window)
                .with_context(|| at("reconcile.attribution_window"))?,
        })
    }
}

fn source_settings(
    raw: RawSource,
    table: &'static str,
    fields: &[&str],
    resolve: &dyn Fn(&str) -> PathBuf,
) -> Result<SourceSettings> {
    let kind = raw.kind.clone().unwrap_or_else(|| "csv".into());
    if !SOURCE_KINDS.contains(&kind.as_str()) {
        bail!(
            "kind `{kind}` is unknown; use one of: {}",
            SOURCE_KINDS.join(", ")
        );
    }
    for key in raw.columns.keys() {
        if !fields.contains(&key.as_str()) {
            bail!(
                "columns.{key}: unknown field `{key}`; the fields are: {}",
                fields.join(", ")
            );
        }
    }
    let delimiter = match raw.delimiter.as_deref() {
        None => b',',
        Some("\\t") | Some("tab") | Some("\t") => b'\t',
        Some(d) if d.len() == 1 => d.as_bytes()[0],
        Some(d) => bail!("delimiter `{d}` must be one character (or \"tab\")"),
    };
    let decimal = match raw.decimal_separator.as_deref() {
        None | Some(".") => '.',
        Some(",") => ',',
        Some(d) => bail!("decimal_separator `{d}` must be \".\" or \",\""),
    };
    let currency = raw
        .currency
        .as_deref()
        .map(Currency::parse)
        .transpose()
        .map_err(|e| anyhow!("currency: {e}"))?;
    let mut settings = SourceSettings {
        table: if table == "source" {
            "[source]"
        } else {
            "[orders]"
        },
        path: raw.path.as_deref().map(resolve),
        query: raw.query.clone(),
        timezone: parse_tz(raw.timezone.as_deref().unwrap_or("UTC")).context("timezone")?,
        delimiter,
        decimal,
        currency,
        columns: raw.columns.clone(),
        query_timeout: parse_std_duration(raw.query_timeout.as_deref().unwrap_or("30s"))
            .context("query_timeout")?,
        kind,
        now: chrono::Utc::now(),
        raw,
    };
    crate::source::presets::expand(&mut settings)?;
    Ok(settings)
}

fn rule_settings(raw: RawRules) -> Result<RuleSettings> {
    let mut min_cart_value = BTreeMap::new();
    for (code, amount) in &raw.min_cart_value {
        let currency = Currency::parse(code).map_err(|e| anyhow!("min_cart_value.{code}: {e}"))?;
        let money = Money::parse(amount, currency, '.')
            .map_err(|e| anyhow!("min_cart_value.{code}: {e}"))?;
        min_cart_value.insert(currency, money);
    }
    if raw.holdout_percent > 50 {
        bail!(
            "holdout_percent = {} is out of range; use 0..=50",
            raw.holdout_percent
        );
    }
    if raw.max_segments == 0 {
        bail!("max_segments must be at least 1");
    }
    let mut country = crate::rules::hours::builtin_country_rules();
    for (key, r) in raw.country {
        let key = key.to_ascii_uppercase();
        let valid = key.len() == 2 || (key.len() == 5 && key.as_bytes()[2] == b'-');
        if !valid || !key.chars().all(|c| c.is_ascii_alphabetic() || c == '-') {
            bail!("country.{key}: use an ISO 3166 alpha-2 code (\"US\") or a US state (\"US-FL\")");
        }
        let entry = country.entry(key.clone()).or_default();
        if let Some(h) = r.allowed_hours {
            entry.hours =
                Some(Hours::parse(&h).with_context(|| format!("country.{key}.allowed_hours"))?);
        }
        if let Some(v) = r.no_sundays {
            entry.no_sundays = v;
        }
        if let Some(v) = r.no_public_holidays {
            entry.no_public_holidays = v;
        }
        if let Some(days) = r.holidays {
            entry.extra_holidays = days
                .iter()
                .map(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d"))
                .collect::<Result<_, _>>()
                .with_context(|| {
                    format!("country.{key}.holidays: use dates like \"2026-12-24\"")
                })?;
        }
        if let Some(n) = r.max_per_day {
            entry.max_per_day = Some(n);
        }
    }
    Ok(RuleSettings {
        min_delay: parse_duration(&raw.min_delay).context("min_delay")?,
        max_age: parse_duration(&raw.max_age).context("max_age")?,
        cooldown: parse_duration(&raw.cooldown).context("cooldown")?,
        hours: Hours::parse(&raw.allowed_hours).context("allowed_hours")?,
        max_segments: raw.max_segments,
        holdout_percent: raw.holdout_percent,
        holdout_salt: raw.holdout_salt,
        order_by: match raw.order_by.as_str() {
            "value" => OrderBy::Value,
            "oldest" => OrderBy::Oldest,
            o => bail!("order_by = \"{o}\"; use \"value\" or \"oldest\""),
        },
        email_first: match raw.email_first.trim() {
            "" => None,
            d => Some(parse_duration(d).context("email_first")?),
        },
        multi_zone: match raw.multi_zone.as_str() {
            "all" => MultiZone::All,
            "store" => MultiZone::Store,
            o => bail!("multi_zone = \"{o}\"; use \"all\" or \"store\""),
        },
        min_cart_value,
        country,
    })
}

fn message_settings(raw: RawMessage) -> Result<MessageSettings> {
    crate::message::template::validate(&raw.template, crate::message::template::MESSAGE_VARS)
        .context("template")?;
    crate::message::template::validate(&raw.link, crate::message::template::LINK_VARS)
        .context("link")?;
    let mut prices = Vec::new();
    for (code, amount) in &raw.cost_per_segment {
        let currency =
            Currency::parse(code).map_err(|e| anyhow!("cost_per_segment.{code}: {e}"))?;
        let price =
            Price::parse(amount, currency).map_err(|e| anyhow!("cost_per_segment.{code}: {e}"))?;
        prices.push(price);
    }
    let cost_per_segment = match (&raw.cost_currency, prices.len()) {
        (_, 0) => None,
        (None, 1) => Some(prices[0]),
        (None, _) => bail!(
            "cost_per_segment lists several currencies; set cost_currency to the one your gateway bills in"
        ),
        (Some(c), _) => {
            let cur = Currency::parse(c).map_err(|e| anyhow!("cost_currency: {e}"))?;
            Some(
                *prices.iter().find(|m| m.currency == cur).ok_or_else(|| {
                    anyhow!("cost_currency = \"{c}\" has no cost_per_segment.{c}")
                })?,
            )
        }
    };
    Ok(MessageSettings {
        template: raw.template,
        fallback_name: raw.fallback_name,
        link: raw.link,
        campaign: raw.campaign,
        optout_suffix: raw.optout_suffix,
        gsm_normalize: raw.gsm_normalize,
        cost_per_segment,
    })
}

fn gateway_settings(raw: RawGateway, resolve: &dyn Fn(&str) -> PathBuf) -> Result<GatewaySettings> {
    let kind = raw
        .kind
        .clone()
        .ok_or_else(|| anyhow!("kind is missing; e.g. kind = \"file\""))?;
    if !crate::gateway::KINDS.contains(&kind.as_str()) {
        bail!(
            "kind `{kind}` is unknown; use one of: {}",
            crate::gateway::KINDS.join(", ")
        );
    }
    let rate = raw.rate_per_second.unwrap_or(10.0);
    if !(rate >= 0.0 && rate.is_finite()) {
        bail!("rate_per_second must be 0 (unlimited) or more");
    }
    Ok(GatewaySettings {
        path: raw.path.as_deref().map(resolve),
        timeout: parse_std_duration(raw.timeout.as_deref().unwrap_or("10s")).context("timeout")?,
        connect_timeout: parse_std_duration(raw.connect_timeout.as_deref().unwrap_or("5s"))
            .context("connect_timeout")?,
        rate_per_second: rate,
        limit: raw.limit.unwrap_or(20),
        max_tries: raw.max_tries.unwrap_or(3).max(1),
        test_mode: false,
        kind,
        raw,
    })
}

pub fn parse_tz(s: &str) -> Result<Tz> {
    s.trim().parse::<Tz>().map_err(|_| {
        anyhow!("`{s}` is not an IANA time zone (e.g. Europe/Moscow, America/New_York)")
    })
}

fn parse_region(s: &str) -> Result<String> {
    let r = s.trim().to_ascii_uppercase();
    if r.len() != 2 || !r.chars().all(|c| c.is_ascii_alphabetic()) {
        bail!("`{s}` is not an ISO 3166 alpha-2 region (e.g. RU, US)");
    }
    Ok(r)
}

/// "90m", "48h", "7d", "10s", "500ms", or combinations like "1h30m".
pub fn parse_std_duration(s: &str) -> Result<Duration> {
    let t = s.trim();
    let bad = || anyhow!("`{s}` is not a duration; write e.g. \"90m\", \"48h\", \"7d\", \"10s\"");
    if t.is_empty() {
        return Err(bad());
    }
    let mut total_ms: u64 = 0;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(bad());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let ms = match &rest[..unit_len] {
            "ms" => 1,
            "s" => 1000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 604_800_000,
            _ => return Err(bad()),
        };
        total_ms = total_ms
            .checked_add(n.checked_mul(ms).ok_or_else(bad)?)
            .ok_or_else(bad)?;
        rest = &rest[unit_len..];
    }
    Ok(Duration::from_millis(total_ms))
}

pub fn parse_duration(s: &str) -> Result<chrono::Duration> {
    Ok(chrono::Duration::from_std(parse_std_duration(s)?)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(
            parse_std_duration("90m").unwrap(),
            Duration::from_secs(5400)
        );
        assert_eq!(
            parse_std_duration("7d").unwrap(),
            Duration::from_secs(7 * 86400)
        );
        assert_eq!(
            parse_std_duration("1h30m").unwrap(),
            Duration::from_secs(5400)
        );
        assert_eq!(
            parse_std_duration("500ms").unwrap(),
            Duration::from_millis(500)
        );
        assert!(parse_std_duration("90").is_err());
        assert!(parse_std_duration("m").is_err());
        assert!(parse_std_duration("5 parsecs").is_err());
    }

    #[test]
    fn unknown_key_is_named() {
        let err = Settings::from_toml(
            "[source]\npath='a.csv'\n[gateway]\nkind='file'\n[rules]\nquiet='x'\n",
            Path::new("c.toml"),
        )
        .unwrap_err();
        assert!(
            format!("{err:#}").contains("unknown field `quiet`"),
            "{err:#}"
        );
    }
}
