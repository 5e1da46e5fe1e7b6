//! `[rules]`: the table as written and the validated `Config` the rules read: windows, thresholds
//! per currency, country and US-state overrides.

use super::hours::{CountryRule, Hours};
use crate::model::{Currency, Money, parse_duration};
use anyhow::{Context, Result, anyhow, bail};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawRules {
    pub min_delay: String,
    pub max_age: String,
    pub cooldown: String,
    pub allowed_hours: String,
    pub max_segments: u32,
    pub holdout_percent: u32,
    pub holdout_salt: String,
    pub order_by: String,
    pub email_first: String,
    pub multi_zone: String,
    pub min_cart_value: BTreeMap<String, String>,
    pub country: BTreeMap<String, RawCountryRule>,
}
impl Default for RawRules {
    fn default() -> Self {
        RawRules {
            min_delay: "60m".into(),
            max_age: "48h".into(),
            cooldown: "7d".into(),
            allowed_hours: "09:00-20:00".into(),
            max_segments: 1,
            holdout_percent: 0,
            holdout_salt: "change-me".into(),
            order_by: "value".into(),
            email_first: String::new(),
            multi_zone: "all".into(),
            min_cart_value: BTreeMap::new(),
            country: BTreeMap::new(),
        }
    }
}

#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields, default)]
pub struct RawCountryRule {
    pub allowed_hours: Option<String>,
    pub no_sundays: Option<bool>,
    pub no_public_holidays: Option<bool>,
    pub holidays: Option<Vec<String>>,
    pub max_per_day: Option<u32>,
    /// Windows for particular weekdays, e.g. `hours_by_weekday = { sun = "12:00-21:00" }`;
    /// "closed" means no sending that day.
    pub hours_by_weekday: BTreeMap<String, String>,
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
pub struct Config {
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
impl Config {
    /// How far back a phone's reminders can still matter: the cooldown, or a day for the
    /// per-24-hour state limits, whichever is longer.
    pub fn history_since(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> chrono::DateTime<chrono::Utc> {
        now - self.cooldown.max(chrono::Duration::hours(24))
    }
}

pub fn from_raw(raw: RawRules) -> Result<Config> {
    let mut min_cart_value = BTreeMap::new();
    for (code, amount) in &raw.min_cart_value {
        let currency = Currency::parse(code).map_err(|e| anyhow!("min_cart_value.{code}: {e}"))?;
        let money = Money::parse(amount, currency, '.')
            .map_err(|e| anyhow!("min_cart_value.{code}: {e}"))?;
        if money.minor < 0 {
            bail!("min_cart_value.{code} = \"{amount}\" is negative; use 0 or more");
        }
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
    let country = country_rules(raw.country)?;
    Ok(Config {
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

/// The built-in country and US-state rules with `[rules.country.XX]` applied key by key.
fn country_rules(
    raw_rules: BTreeMap<String, RawCountryRule>,
) -> Result<BTreeMap<String, CountryRule>> {
    let mut country = super::hours::builtin_country_rules();
    for (key, r) in raw_rules {
        let key = key.to_ascii_uppercase();
        let valid = key.len() == 2 || (key.len() == 5 && key.as_bytes()[2] == b'-');
        if !valid || !key.chars().all(|c| c.is_ascii_alphabetic() || c == '-') {
            bail!("country.{key}: use an ISO 3166 alpha-2 code (\"US\") or a US state (\"US-FL\")");
        }
        if super::zones::country_zones(&key[..2]).is_empty() {
            let hint = match &key[..2] {
                "UK" => "; the United Kingdom is GB",
                "EL" => "; Greece is GR",
                _ => "",
            };
            bail!(
                "country.{key}: `{}` is not an ISO 3166 alpha-2 country{hint}",
                &key[..2]
            );
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
        for (day, window) in &r.hours_by_weekday {
            let d = super::hours::parse_weekday(day)
                .with_context(|| format!("country.{key}.hours_by_weekday"))?;
            let w = super::hours::parse_day_window(window)
                .with_context(|| format!("country.{key}.hours_by_weekday.{day}"))?;
            entry.by_weekday.insert(d.num_days_from_monday(), w);
        }
    }
    for (key, rule) in &country {
        if rule.no_public_holidays
            && rule.extra_holidays.is_empty()
            && !super::holidays::has_calendar(key)
        {
            bail!(
                "country.{key}: no_public_holidays = true, but cartnudge ships no holiday calendar for {key}; list the dates with holidays = [\"2026-12-24\", …], or use a country with a calendar ({})",
                super::holidays::countries().join(", ")
            );
        }
    }
    Ok(country)
}
