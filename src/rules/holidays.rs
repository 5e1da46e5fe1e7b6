//! Public-holiday calendars as data: `data/holidays.tsv`, national public holidays of 51
//! countries for 2024–2035, generated from the `holidays` package
//! (`scripts/reference/gen_holidays.py`, version pinned in `scripts/reference/requirements.txt`).
//! Parsed once, on first use.

use chrono::{Datelike, NaiveDate};
use std::collections::HashMap;
use std::sync::OnceLock;

static DATA: &str = include_str!("../../data/holidays.tsv");

/// The years the calendars cover.
pub const YEARS: std::ops::RangeInclusive<i32> = 2024..=2035;

type Calendar = Vec<(NaiveDate, &'static str)>;

fn calendars() -> &'static HashMap<&'static str, Calendar> {
    static CALENDARS: OnceLock<HashMap<&'static str, Calendar>> = OnceLock::new();
    CALENDARS.get_or_init(|| {
        let mut m: HashMap<&'static str, Calendar> = HashMap::new();
        for line in DATA.lines().filter(|l| !l.starts_with('#')) {
            let mut cols = line.splitn(3, '\t');
            let (Some(cc), Some(date), Some(name)) = (cols.next(), cols.next(), cols.next()) else {
                continue;
            };
            let Ok(date) = NaiveDate::parse_from_str(date, "%Y-%m-%d") else {
                continue;
            };
            m.entry(cc).or_default().push((date, name));
        }
        for days in m.values_mut() {
            days.sort();
        }
        m
    })
}

/// Whether a calendar ships for the country (ISO 3166 alpha-2; a US state uses the US's).
pub fn has_calendar(country: &str) -> bool {
    calendars().contains_key(national(country))
}

/// Countries with a calendar, sorted.
pub fn countries() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = calendars().keys().copied().collect();
    v.sort_unstable();
    v
}

/// The holiday's name when `date` is a public holiday in `country`.
pub fn holiday(country: &str, date: NaiveDate) -> Option<&'static str> {
    let days = calendars().get(national(country))?;
    days.binary_search_by_key(&date, |(d, _)| *d)
        .ok()
        .map(|i| days[i].1)
}

/// Whether the shipped calendar covers `date`'s year.
pub fn covers(date: NaiveDate) -> bool {
    YEARS.contains(&date.year())
}

fn national(key: &str) -> &str {
    key.split('-').next().unwrap_or(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn well_known_dates() {
        assert!(holiday("DE", d(2026, 5, 1)).is_some());
        assert!(holiday("DE", d(2026, 12, 25)).is_some());
        assert!(holiday("DE", d(2026, 10, 3)).is_some());
        assert!(holiday("DE", d(2026, 10, 4)).is_none());
        assert_eq!(holiday("US", d(2026, 11, 26)), Some("Thanksgiving Day"));
        assert_eq!(holiday("US-TX", d(2026, 11, 26)), Some("Thanksgiving Day"));
        assert!(holiday("FR", d(2026, 4, 6)).is_some()); // Easter Monday
        assert!(holiday("FR", d(2027, 3, 29)).is_some()); // Easter Monday 2027
        assert!(holiday("RU", d(2026, 1, 7)).is_some()); // Orthodox Christmas
        assert!(!has_calendar("ZZ") && has_calendar("BR"));
    }

    #[test]
    fn every_country_is_covered_through_2035() {
        assert!(countries().len() >= 30, "{}", countries().len());
        for cc in countries() {
            for year in YEARS {
                assert!(
                    calendars()[cc].iter().any(|(day, _)| day.year() == year),
                    "{cc} has no holiday in {year}"
                );
            }
        }
    }
}
