//! Allowed sending hours in the recipient's local time, per country (and per US state where state
//! law is stricter), with no-Sunday and public-holiday rules. Built-in defaults follow the DESIGN
//! table; `[rules.country.XX]` overrides any of them key by key.

use anyhow::{Result, bail};
use chrono::{Datelike, NaiveDate, NaiveTime, Weekday};
use std::collections::BTreeMap;

/// A daily window, start inclusive, end exclusive, in local wall-clock minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hours {
    pub start: u32,
    pub end: u32,
}

impl Hours {
    /// "09:00-20:00".
    pub fn parse(s: &str) -> Result<Hours> {
        let bad = || {
            anyhow::anyhow!(
                "`{s}` is not an hour window; write \"09:00-20:00\" (start inclusive, end exclusive)"
            )
        };
        let (a, b) = s.split_once('-').ok_or_else(bad)?;
        let parse = |t: &str| -> Result<u32> {
            let t = t.trim();
            if t == "24:00" {
                return Ok(24 * 60);
            }
            let time = NaiveTime::parse_from_str(t, "%H:%M").map_err(|_| bad())?;
            Ok(chrono::Timelike::hour(&time) * 60 + chrono::Timelike::minute(&time))
        };
        let (start, end) = (parse(a)?, parse(b)?);
        if start >= end {
            bail!("`{s}`: the window must start before it ends, within one local day");
        }
        Ok(Hours { start, end })
    }

    pub fn contains(&self, minute_of_day: u32) -> bool {
        (self.start..self.end).contains(&minute_of_day)
    }
}

impl std::fmt::Display for Hours {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:02}:{:02}-{:02}:{:02}",
            self.start / 60,
            self.start % 60,
            self.end / 60,
            self.end % 60
        )
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CountryRule {
    pub hours: Option<Hours>,
    pub no_sundays: bool,
    pub no_public_holidays: bool,
    pub extra_holidays: Vec<NaiveDate>,
    /// At most this many reminders to one number per 24 h (FL, OK, MD).
    pub max_per_day: Option<u32>,
}

/// US states whose telemarketing laws are stricter than the federal 08:00–21:00 (FTSA and friends).
pub const STRICT_US_STATES: &[&str] = &["FL", "OK", "MD", "CT", "WA"];

pub fn builtin_country_rules() -> BTreeMap<String, CountryRule> {
    let mut m = BTreeMap::new();
    let h = |s: &str| Some(Hours::parse(s).expect("built-in"));
    m.insert(
        "US".into(),
        CountryRule {
            hours: h("08:00-21:00"),
            ..Default::default()
        },
    );
    for state in STRICT_US_STATES {
        let cap = matches!(*state, "FL" | "OK" | "MD").then_some(3);
        m.insert(
            format!("US-{state}"),
            CountryRule {
                hours: h("08:00-20:00"),
                max_per_day: cap,
                ..Default::default()
            },
        );
    }
    m.insert(
        "FR".into(),
        CountryRule {
            hours: h("08:00-20:00"),
            no_sundays: true,
            no_public_holidays: true,
            ..Default::default()
        },
    );
    m
}

/// Whether `date` is a public holiday in `country` (built-in calendars: FR), or listed in config.
pub fn is_holiday(country: &str, date: NaiveDate, extra: &[NaiveDate]) -> bool {
    if extra.contains(&date) {
        return true;
    }
    match country {
        "FR" => french_holiday(date),
        _ => false,
    }
}

fn french_holiday(date: NaiveDate) -> bool {
    let fixed = [
        (1, 1),
        (5, 1),
        (5, 8),
        (7, 14),
        (8, 15),
        (11, 1),
        (11, 11),
        (12, 25),
    ];
    if fixed.contains(&(date.month(), date.day())) {
        return true;
    }
    let easter = easter_sunday(date.year());
    [1, 39, 50]
        .iter()
        .any(|d| easter + chrono::Duration::days(*d) == date)
}

/// Gregorian Easter Sunday (the anonymous "Meeus/Jones/Butcher" computus).
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).expect("valid Easter date")
}

pub fn is_sunday(date: NaiveDate) -> bool {
    date.weekday() == Weekday::Sun
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_windows() {
        let h = Hours::parse("09:00-20:00").unwrap();
        assert!(
            h.contains(9 * 60)
                && h.contains(20 * 60 - 1)
                && !h.contains(20 * 60)
                && !h.contains(8 * 60 + 59)
        );
        assert!(Hours::parse("20:00-09:00").is_err());
        assert!(Hours::parse("9-20").is_err());
    }

    #[test]
    fn easter_and_french_holidays() {
        assert_eq!(
            easter_sunday(2026),
            NaiveDate::from_ymd_opt(2026, 4, 5).unwrap()
        );
        assert_eq!(
            easter_sunday(2027),
            NaiveDate::from_ymd_opt(2027, 3, 28).unwrap()
        );
        let d = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        assert!(is_holiday("FR", d(4, 6), &[])); // Easter Monday
        assert!(is_holiday("FR", d(5, 14), &[])); // Ascension
        assert!(is_holiday("FR", d(5, 25), &[])); // Whit Monday
        assert!(is_holiday("FR", d(7, 14), &[]));
        assert!(!is_holiday("FR", d(7, 15), &[]));
        assert!(!is_holiday("DE", d(7, 14), &[]));
        assert!(is_holiday("DE", d(10, 3), &[d(10, 3)]));
    }
}
