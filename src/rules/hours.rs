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
    /// Windows for particular weekdays (index: days from Monday); `None` = no sending that day.
    pub by_weekday: BTreeMap<u32, Option<Hours>>,
    pub no_sundays: bool,
    pub no_public_holidays: bool,
    pub extra_holidays: Vec<NaiveDate>,
    /// At most this many reminders to one number per 24 h (FL, OK, MD).
    pub max_per_day: Option<u32>,
}

/// The sending window on a local weekday: a US state's rule first, then the country's, then
/// `[rules] allowed_hours`; a weekday's own window wins over the rule's daily one. `None` means
/// no sending that day.
pub fn window_on(
    state: Option<&CountryRule>,
    country: Option<&CountryRule>,
    default: Hours,
    day: Weekday,
) -> Option<Hours> {
    for r in [state, country].into_iter().flatten() {
        if let Some(w) = r.by_weekday.get(&day.num_days_from_monday()) {
            return *w;
        }
        if let Some(h) = r.hours {
            return Some(h);
        }
    }
    Some(default)
}

/// `mon`..`sun` (or full English names) to a weekday.
pub fn parse_weekday(s: &str) -> Result<Weekday> {
    let t = s.trim().to_ascii_lowercase();
    let day = match t.get(..3).unwrap_or("") {
        "mon" => Weekday::Mon,
        "tue" => Weekday::Tue,
        "wed" => Weekday::Wed,
        "thu" => Weekday::Thu,
        "fri" => Weekday::Fri,
        "sat" => Weekday::Sat,
        "sun" => Weekday::Sun,
        _ => bail!("`{s}` is not a weekday; use mon, tue, wed, thu, fri, sat or sun"),
    };
    Ok(day)
}

/// A weekday's window as written in config: "12:00-21:00", or "closed" for no sending.
pub fn parse_day_window(s: &str) -> Result<Option<Hours>> {
    match s.trim() {
        "closed" | "none" | "" => Ok(None),
        w => Hours::parse(w).map(Some),
    }
}

/// US states whose telemarketing laws are stricter than the federal 08:00–21:00.
pub const STRICT_US_STATES: &[&str] = &["FL", "OK", "MD", "CT", "WA", "TX"];

/// The rules as the law stands (checked 2026-11); `[rules.country.XX]` overrides any of them.
pub fn builtin_country_rules() -> BTreeMap<String, CountryRule> {
    let mut m = BTreeMap::new();
    let h = |s: &str| Some(Hours::parse(s).expect("built-in"));
    // TCPA: no telephone solicitation before 8 a.m. or after 9 p.m. local time at the called
    // party's location (47 CFR § 64.1200(c)(1)); the FCC applies it to marketing texts.
    m.insert(
        "US".into(),
        CountryRule {
            hours: h("08:00-21:00"),
            ..Default::default()
        },
    );
    let state = |hours: &str, cap: Option<u32>| CountryRule {
        hours: h(hours),
        max_per_day: cap,
        ..Default::default()
    };
    // Florida Telephone Solicitation Act: 8 a.m.–8 p.m., at most 3 calls or texts on the same
    // subject per 24 h (Fla. Stat. § 501.059(8), and § 501.616(6) of the Telemarketing Act).
    m.insert("US-FL".into(), state("08:00-20:00", Some(3)));
    // Oklahoma Telephone Solicitation Act of 2022: same window and cap (Okla. Stat. tit. 15,
    // § 775C.4).
    m.insert("US-OK".into(), state("08:00-20:00", Some(3)));
    // Maryland Stop the Spam Calls Act of 2023: same window and cap (Md. Code, Com. Law
    // § 14-4502).
    m.insert("US-MD".into(), state("08:00-20:00", Some(3)));
    // Connecticut, Public Act 23-98: 9 a.m.–8 p.m. (Conn. Gen. Stat. § 42-288a(c)).
    m.insert("US-CT".into(), state("09:00-20:00", None));
    // Washington: 8 a.m.–8 p.m. (RCW 80.36.390(2)).
    m.insert("US-WA".into(), state("08:00-20:00", None));
    // Texas, SB 140 (effective 2025-09-01) brings texts under Tex. Bus. & Com. Code § 301.051:
    // 9 a.m.–9 p.m. Monday to Saturday, noon–9 p.m. on Sunday.
    let mut tx = state("09:00-21:00", None);
    tx.by_weekday
        .insert(Weekday::Sun.num_days_from_monday(), h("12:00-21:00"));
    m.insert("US-TX".into(), tx);
    // France: the SMS marketing code of conduct of the operators' federation (FFT/AF2M) and the
    // CNIL's guidance: 8 a.m.–8 p.m., never on Sundays or public holidays.
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

/// Whether `date` is a public holiday in `country` (the shipped calendars, `super::holidays`), or
/// listed in config.
pub fn is_holiday(country: &str, date: NaiveDate, extra: &[NaiveDate]) -> bool {
    extra.contains(&date) || super::holidays::holiday(country, date).is_some()
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
    fn holidays_come_from_the_calendars_and_config() {
        let d = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        assert!(is_holiday("FR", d(4, 6), &[])); // Easter Monday
        assert!(is_holiday("FR", d(5, 14), &[])); // Ascension
        assert!(is_holiday("FR", d(7, 14), &[]));
        assert!(!is_holiday("FR", d(7, 15), &[]));
        assert!(is_holiday("DE", d(5, 1), &[]));
        assert!(is_holiday("DE", d(12, 25), &[]));
        assert!(!is_holiday("DE", d(7, 14), &[]));
        assert!(is_holiday("DE", d(12, 24), &[d(12, 24)]));
    }

    #[test]
    fn texas_sundays_start_at_noon() {
        let rules = builtin_country_rules();
        let (tx, us) = (rules.get("US-TX"), rules.get("US"));
        let default = Hours::parse("09:00-20:00").unwrap();
        let sun = window_on(tx, us, default, Weekday::Sun).unwrap();
        let sat = window_on(tx, us, default, Weekday::Sat).unwrap();
        assert_eq!(
            (sun.to_string(), sat.to_string()),
            ("12:00-21:00".into(), "09:00-21:00".into())
        );
        let ct = window_on(rules.get("US-CT"), us, default, Weekday::Mon).unwrap();
        assert_eq!(ct.to_string(), "09:00-20:00");
        assert_eq!(
            window_on(None, us, default, Weekday::Sun)
                .unwrap()
                .to_string(),
            "08:00-21:00"
        );
        let mut closed = CountryRule::default();
        closed.by_weekday.insert(6, None);
        assert_eq!(window_on(Some(&closed), us, default, Weekday::Sun), None);
    }
}
