//! `[source]` and `[orders]`: the table as written (`RawSource`, unknown keys are errors) and the
//! validated `Config` every reader takes. Keys that belong to other source kinds are refused with
//! the kinds they apply to.

use crate::model::{Currency, SourceKind, key_applies, parse_std_duration, parse_tz};
use anyhow::{Context, Result, anyhow, bail};
use chrono_tz::Tz;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// `[source]` and `[orders]`: where rows come from. Keys beyond DESIGN.md §11 serve the SQL
/// engines and Shopify (`url_env`, `preset`, `table_prefix`, `shop`, `access_token_env`, ...).
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(deny_unknown_fields, default)]
pub struct RawSource {
    pub kind: Option<String>,
    pub path: Option<String>,
    pub query: Option<String>,
    pub timezone: Option<String>,
    pub delimiter: Option<String>,
    pub decimal_separator: Option<String>,
    /// Currency of every row when the source has no currency column.
    pub currency: Option<String>,
    pub columns: BTreeMap<String, String>,
    pub preset: Option<String>,
    pub url_env: Option<String>,
    pub table_prefix: Option<String>,
    pub query_timeout: Option<String>,
    pub base_url: Option<String>,
    pub shop: Option<String>,
    pub api_version: Option<String>,
    pub access_token_env: Option<String>,
    pub consent_column: Option<String>,
    /// A column that, when true, withdraws consent (CartFlows' `unsubscribed`).
    pub consent_veto: Option<String>,
    /// WooCommerce orders: "hpos" (wc_orders, the default) or "posts" (legacy posts/postmeta).
    pub order_storage: Option<String>,
    /// Most malformed rows a run accepts before it stops as a data error (exit 65): a share
    /// ("10%", the default) or a count ("50").
    pub max_invalid: Option<String>,
    /// Shopify: how far back to ask for checkouts ("7d") or orders ("30d"), from the real clock.
    pub lookback: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// "[source]" or "[orders]", for messages.
    pub table: &'static str,
    pub kind: SourceKind,
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
    pub max_invalid: MaxInvalid,
    /// The run's "now" (`--now` or the clock), for sources that ask for "changed since".
    pub now: chrono::DateTime<chrono::Utc>,
    /// The table as written, for source kinds that need more keys (SQL engines, Shopify, presets).
    pub raw: RawSource,
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

pub fn from_raw(
    raw: RawSource,
    table: &'static str,
    fields: &[&str],
    resolve: &dyn Fn(&str) -> PathBuf,
) -> Result<Config> {
    let name = raw.kind.clone().unwrap_or_else(|| "csv".into());
    let kind = SourceKind::parse(&name).ok_or_else(|| {
        let all: Vec<&str> = SourceKind::ALL.iter().map(|k| k.as_str()).collect();
        anyhow!("kind `{name}` is unknown; use one of: {}", all.join(", "))
    })?;
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
    let mut settings = Config {
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
        max_invalid: MaxInvalid::parse(raw.max_invalid.as_deref().unwrap_or("10%"))
            .context("max_invalid")?,
        kind,
        now: chrono::Utc::now(),
        raw,
    };
    super::presets::expand(&mut settings)?;
    check_kind_keys(&settings.raw, settings.kind.as_str())?;
    Ok(settings)
}

/// How many malformed rows a run tolerates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MaxInvalid {
    /// Percent of all rows read.
    Share(f64),
    Count(u64),
}

impl MaxInvalid {
    fn parse(s: &str) -> Result<MaxInvalid> {
        let bad = || anyhow!("`{s}` is not a share or a count; write e.g. \"10%\" or \"50\"");
        let t = s.trim();
        match t.strip_suffix('%') {
            Some(p) => {
                let v: f64 = p.trim().parse().map_err(|_| bad())?;
                if !(0.0..=100.0).contains(&v) {
                    return Err(bad());
                }
                Ok(MaxInvalid::Share(v))
            }
            None => Ok(MaxInvalid::Count(t.parse().map_err(|_| bad())?)),
        }
    }

    /// Whether `invalid` of `invalid + readable` rows is more than this tolerates.
    pub fn exceeded(&self, readable: u64, invalid: u64) -> bool {
        match *self {
            MaxInvalid::Count(n) => invalid > n,
            MaxInvalid::Share(p) => {
                let total = readable + invalid;
                total > 0 && (invalid as f64) * 100.0 > p * total as f64
            }
        }
    }
}

/// Keys that only some source kinds read (checked after a preset has set the kind).
fn check_kind_keys(r: &RawSource, kind: &str) -> Result<()> {
    const FILES: &[&str] = &["csv", "json", "jsonl", "sqlite"];
    const SQL: &[&str] = &["sqlite", "mysql", "postgres"];
    const SERVERS: &[&str] = &["mysql", "postgres"];
    const PRESETS: &[&str] = &["mysql", "postgres", "shopify"];
    const SHOPIFY: &[&str] = &["shopify"];
    let keys: [(&str, bool, &[&str]); 15] = [
        ("path", r.path.is_some(), FILES),
        ("query", r.query.is_some(), SQL),
        ("delimiter", r.delimiter.is_some(), &["csv"]),
        ("url_env", r.url_env.is_some(), SERVERS),
        ("table_prefix", r.table_prefix.is_some(), SERVERS),
        ("query_timeout", r.query_timeout.is_some(), SERVERS),
        ("preset", r.preset.is_some(), PRESETS),
        ("consent_column", r.consent_column.is_some(), SERVERS),
        ("consent_veto", r.consent_veto.is_some(), SQL),
        ("order_storage", r.order_storage.is_some(), SERVERS),
        ("base_url", r.base_url.is_some(), SHOPIFY),
        ("shop", r.shop.is_some(), SHOPIFY),
        ("api_version", r.api_version.is_some(), SHOPIFY),
        ("access_token_env", r.access_token_env.is_some(), SHOPIFY),
        ("lookback", r.lookback.is_some(), SHOPIFY),
    ];
    for (key, set, kinds) in keys {
        key_applies(key, set, kind, kinds)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(toml_text: &str) -> Result<Config> {
        let raw: RawSource = toml::from_str(toml_text).unwrap();
        from_raw(raw, "source", CART_FIELDS, &|p| PathBuf::from(p))
    }

    #[test]
    fn consent_veto_on_a_csv_source_is_an_error_not_ignored() {
        let e = source("kind = \"csv\"\npath = \"c.csv\"\nconsent_veto = \"unsubscribed\"")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`consent_veto`") && e.contains("\"csv\"") && e.contains("sqlite"),
            "{e}"
        );
        let e = source("path = \"c.csv\"\nquery = \"SELECT 1\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("`query`"), "{e}");
        assert!(
            source(
                "kind = \"sqlite\"\npath = \"s.db\"\nquery = \"SELECT 1\"\nconsent_veto = \"u\""
            )
            .is_ok()
        );
    }
}
