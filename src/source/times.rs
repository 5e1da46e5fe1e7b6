//! Timestamps as exports write them: RFC 3339, `YYYY-MM-DD HH:MM:SS`, `DD.MM.YYYY HH:MM:SS` as
//! 1C-Bitrix writes them, Unix seconds; naive ones read in the source's zone, DST gaps and overlaps
//! resolved. The common shapes take a fast path that a unit test holds to chrono's parsers.

use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;

const NAIVE_FORMATS: &[&str] = &[
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
];

/// Parses an instant. Naive forms are local times in `tz`: a time inside a DST gap moves forward
/// by the gap (02:30 on a spring-forward night is 03:30), an ambiguous one takes the earlier instant.
pub fn parse_time(text: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    let t = crate::model::trim(text);
    match quick_time(t.as_bytes()) {
        Some(Quick::Instant(u)) => return Ok(u),
        Some(Quick::Naive(naive)) => return Ok(local_to_utc(naive, tz)),
        None => {}
    }
    parse_time_general(t, tz)
}

enum Quick {
    Instant(DateTime<Utc>),
    Naive(NaiveDateTime),
}

/// The shapes exports use nearly always, read without chrono's format interpreter (a fifth of a
/// large run's time): `YYYY-MM-DD[ T]HH:MM[:SS[.f]]` with an optional `Z` or `±HH:MM`, and
/// `DD.MM.YYYY HH:MM[:SS]`. None means "not one of these": the general parser decides, so this
/// only ever agrees with it (a unit test compares the two).
fn quick_time(b: &[u8]) -> Option<Quick> {
    let num = |s: &[u8]| -> Option<u32> {
        s.iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let (date, rest) = match b.get(..10)? {
        [y @ .., b'-', _, _, b'-', _, _] if y.len() == 4 => (
            chrono::NaiveDate::from_ymd_opt(num(&b[..4])? as i32, num(&b[5..7])?, num(&b[8..10])?)?,
            &b[10..],
        ),
        [_, _, b'.', _, _, b'.', ..] => {
            let date = chrono::NaiveDate::from_ymd_opt(
                num(&b[6..10])? as i32,
                num(&b[3..5])?,
                num(&b[..2])?,
            )?;
            // 1C-Bitrix: no fraction, no offset.
            let time = match &b[10..] {
                [b' ', h1, h2, b':', m1, m2] => (num(&[*h1, *h2])?, num(&[*m1, *m2])?, 0),
                [b' ', h1, h2, b':', m1, m2, b':', s1, s2] => {
                    (num(&[*h1, *h2])?, num(&[*m1, *m2])?, num(&[*s1, *s2])?)
                }
                _ => return None,
            };
            let t = chrono::NaiveTime::from_hms_opt(time.0, time.1, time.2)?;
            return Some(Quick::Naive(date.and_time(t)));
        }
        _ => return None,
    };
    let [sep, h1, h2, b':', m1, m2, rest @ ..] = rest else {
        return None;
    };
    if *sep != b' ' && *sep != b'T' {
        return None;
    }
    let (hour, minute) = (num(&[*h1, *h2])?, num(&[*m1, *m2])?);
    let (second, nano, rest) = match rest {
        [b':', s1, s2, rest @ ..] => {
            let second = num(&[*s1, *s2])?;
            match rest {
                [b'.', rest @ ..] => {
                    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
                    if digits == 0 || digits > 9 {
                        return None;
                    }
                    let nano = num(&rest[..digits])? * 10u32.pow(9 - digits as u32);
                    (second, nano, &rest[digits..])
                }
                _ => (second, 0, rest),
            }
        }
        // `HH:MM` with nothing after it is naive only.
        [] => (0, 0, rest),
        _ => return None,
    };
    let naive = date.and_time(chrono::NaiveTime::from_hms_nano_opt(
        hour, minute, second, nano,
    )?);
    match rest {
        [] => Some(Quick::Naive(naive)),
        [b'Z'] if b.len() >= 20 => Some(Quick::Instant(naive.and_utc())),
        [sign @ (b'+' | b'-'), oh1, oh2, b':', om1, om2] if b.len() >= 25 => {
            let (oh, om) = (num(&[*oh1, *oh2])?, num(&[*om1, *om2])?);
            if oh > 23 || om > 59 {
                return None;
            }
            let secs = i64::from(oh * 3600 + om * 60);
            let offset = if *sign == b'+' { secs } else { -secs };
            Some(Quick::Instant(
                (naive - chrono::Duration::seconds(offset)).and_utc(),
            ))
        }
        _ => None,
    }
}

/// Every accepted form, through chrono's parsers.
fn parse_time_general(t: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(dt.with_timezone(&Utc));
    }
    if let Ok(dt) = DateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f%:z") {
        return Ok(dt.with_timezone(&Utc));
    }
    if t.len() >= 9 && t.len() <= 11 && t.bytes().all(|b| b.is_ascii_digit()) {
        let secs: i64 = t.parse().map_err(|_| format!("`{t}` is not a time"))?;
        return DateTime::from_timestamp(secs, 0).ok_or_else(|| format!("`{t}` is out of range"));
    }
    for f in NAIVE_FORMATS {
        if let Ok(naive) = NaiveDateTime::parse_from_str(t, f) {
            return Ok(local_to_utc(naive, tz));
        }
    }
    Err(format!(
        "`{t}` is not a time; use RFC 3339, YYYY-MM-DD HH:MM:SS or DD.MM.YYYY HH:MM:SS"
    ))
}

/// A wall-clock time in `tz` as an instant, resolving DST gaps forward and overlaps to the
/// earlier, with the tz database in use (the host's when it is newer, `crate::tzdb`).
pub fn local_to_utc(naive: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    crate::tzdb::db().to_utc(tz, naive)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn reads_every_timestamp_form() {
        let msk: Tz = "Europe/Moscow".parse().unwrap();
        assert_eq!(
            parse_time("2026-11-22T10:00:00+03:00", msk).unwrap(),
            utc("2026-11-22T07:00:00Z")
        );
        assert_eq!(
            parse_time("2026-11-22 10:00:00", msk).unwrap(),
            utc("2026-11-22T07:00:00Z")
        );
        assert_eq!(
            parse_time("22.11.2026 10:00:00", msk).unwrap(),
            utc("2026-11-22T07:00:00Z")
        );
        assert_eq!(
            parse_time("2026-11-22T10:00", chrono_tz::UTC).unwrap(),
            utc("2026-11-22T10:00:00Z")
        );
        assert_eq!(
            parse_time("1795341600", msk).unwrap(),
            DateTime::from_timestamp(1795341600, 0).unwrap()
        );
        assert!(parse_time("22/11/2026", msk).is_err());
    }

    #[test]
    fn naive_times_in_dst_gap_and_overlap() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        // 2026-03-29 02:30 does not exist in Paris (02:00 → 03:00): read as 03:30 CEST = 01:30Z.
        assert_eq!(
            parse_time("2026-03-29 02:30:00", paris).unwrap(),
            utc("2026-03-29T01:30:00Z")
        );
        // 2026-10-25 02:30 happens twice: the earlier (CEST, +02:00) is taken.
        assert_eq!(
            parse_time("2026-10-25 02:30:00", paris).unwrap(),
            utc("2026-10-25T00:30:00Z")
        );
        let ny: Tz = "America/New_York".parse().unwrap();
        assert_eq!(
            parse_time("2026-03-08 02:15:00", ny).unwrap(),
            utc("2026-03-08T07:15:00Z")
        );
    }

    /// The quick reader agrees with chrono's parsers on every string it accepts, and hands every
    /// other to them: 60,000 strings near the accepted shapes, valid and not (month 13, Feb 30,
    /// hour 24, second 60, 10-digit fractions, odd separators and offsets), in DST-changing zones.
    #[test]
    fn quick_times_agree_with_the_general_parser() {
        let zones: Vec<Tz> = [
            "Europe/Paris",
            "America/New_York",
            "Australia/Lord_Howe",
            "UTC",
        ]
        .iter()
        .map(|z| z.parse().unwrap())
        .collect();
        let mut next = crate::testing::random(0x9e37_79b9_7f4a_7c15u64);
        let pick = |i: u64, xs: &[&'static str]| xs[i as usize % xs.len()];
        let mut quick = 0;
        for _ in 0..60_000 {
            let (y, mo, d) = (1969 + next(80), next(14), next(33));
            let (h, mi, s) = (next(26), next(61), next(62));
            let frac = pick(
                next(6),
                &["", ".5", ".123456", ".123456789", ".1234567891", "."],
            );
            let off = pick(
                next(10),
                &[
                    "", "", "Z", "+03:00", "-05:30", "+14:00", "-24:00", "+0300", "z", " Z",
                ],
            );
            let sep = pick(next(5), &[" ", "T", " ", "t", "  "]);
            let text = match next(6) {
                0 => format!("{d:02}.{mo:02}.{y:04} {h:02}:{mi:02}:{s:02}"),
                1 => format!("{d:02}.{mo:02}.{y:04} {h:02}:{mi:02}"),
                2 => format!("{y:04}-{mo:02}-{d:02}{sep}{h:02}:{mi:02}{off}"),
                3 => format!("{y:04}-{mo}-{d}{sep}{h}:{mi:02}:{s:02}"),
                _ => format!("{y:04}-{mo:02}-{d:02}{sep}{h:02}:{mi:02}:{s:02}{frac}{off}"),
            };
            let tz = zones[next(zones.len() as u64) as usize];
            quick += usize::from(quick_time(text.as_bytes()).is_some());
            assert_eq!(
                parse_time(&text, tz),
                parse_time_general(&text, tz),
                "{text} in {tz}"
            );
        }
        assert!(quick > 15_000, "the quick path took only {quick} strings");
    }
}
