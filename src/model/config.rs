//! Parsers for config values every stage needs (durations, zones, regions) and the store's
//! identity. Each stage validates its own table with these; `settings` only composes the tables.

use anyhow::{Result, anyhow, bail};
use chrono_tz::Tz;
use std::time::Duration;

/// `[store]`: who sends, the fallback recipient zone, and the region of numbers written without a
/// country code.
#[derive(Debug, Clone)]
pub struct Store {
    pub name: String,
    pub timezone: Tz,
    pub default_region: String,
}

/// A key that only some kinds read, set on a table of another kind: an error naming the key and
/// the kinds it applies to, as an unknown key is (a silently ignored key is a trap: a
/// `consent_veto` that is not applied texts customers who withdrew consent).
pub fn key_applies(key: &str, is_set: bool, kind: &str, applies_to: &[&str]) -> Result<()> {
    if is_set && !applies_to.contains(&kind) {
        bail!(
            "key `{key}` does not apply to kind = \"{kind}\" (it applies to: {}); remove it or change `kind`",
            applies_to.join(", ")
        );
    }
    Ok(())
}

pub fn parse_tz(s: &str) -> Result<Tz> {
    s.trim().parse::<Tz>().map_err(|_| {
        anyhow!("`{s}` is not an IANA time zone (e.g. Europe/Moscow, America/New_York)")
    })
}

/// An ISO 3166 alpha-2 region; well-known aliases (`UK`, `EL`, `USA`, `Russia`) are mapped.
pub fn parse_region(s: &str) -> Result<String> {
    super::iso_country(s)
        .map(str::to_string)
        .map_err(|e| anyhow!(e))
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
    let d = Duration::from_millis(total_ms);
    if d > MAX_DURATION {
        bail!("`{s}` is longer than ten years; use a duration like \"48h\" or \"7d\"");
    }
    Ok(d)
}

/// The longest duration a config value may hold: date arithmetic on anything longer could leave
/// the calendar (a panic), and no cooldown or window is meant to be longer.
pub const MAX_DURATION: Duration = Duration::from_secs(10 * 366 * 86_400);

/// A duration for date arithmetic: at most ten years.
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
        assert!(parse_duration("99999999d").is_err());
        assert!(parse_std_duration("99999999999999999999d").is_err());
        assert_eq!(
            parse_duration("3650d").unwrap(),
            chrono::Duration::days(3650)
        );
    }
}
