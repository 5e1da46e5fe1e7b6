//! Numbers and dates as the table and the HTML page show them to a person: thousands separators on
//! every number, money to the currency's decimals, ROI as a percentage and a multiple, and the
//! period as days in the store's zone. JSON and CSV keep the plain, exact forms.

use crate::model::{Money, Price, grouped};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

/// 1234567 → "1,234,567".
pub fn count(n: u64) -> String {
    grouped(&n.to_string())
}

/// "2,985,431.00 RUB".
pub fn money(m: Money) -> String {
    format!("{} {}", grouped(&m.decimal_string()), m.currency)
}

/// A cost kept in micro-units, shown to the currency's decimals: 0.037302 USD → "0.04 USD".
pub fn cost(p: Price) -> String {
    money(to_money(p))
}

/// A price rounded half away from zero to the currency's minor unit.
pub fn to_money(p: Price) -> Money {
    let scale = 10i128.pow(6 - p.currency.exponent());
    let (q, r) = (p.micros as i128 / scale, p.micros as i128 % scale);
    let q = if 2 * r.abs() >= scale {
        q + r.signum()
    } else {
        q
    };
    Money::new(q as i64, p.currency)
}

/// A share as a percentage: 0.234 → "23.4%", 816.03 → "81,603%".
pub fn percent(x: f64) -> String {
    let p = x * 100.0;
    if p.abs() >= 1000.0 {
        format!("{}%", grouped(&format!("{p:.0}")))
    } else {
        format!("{p:.1}%")
    }
}

/// ROI both ways: 816.03 → "81,603% (revenue 817× the cost)"; a loss beyond the whole cost
/// (negative incremental revenue) has no sensible multiple.
pub fn roi(x: f64) -> String {
    match x + 1.0 >= 0.0 {
        true => format!("{} (revenue {} the cost)", percent(x), multiple(x + 1.0)),
        false => percent(x),
    }
}

/// 817.03 → "817×", 12.34 → "12.3×", 1.5 → "1.50×".
pub fn multiple(x: f64) -> String {
    let digits = match x.abs() {
        a if a >= 100.0 => 0,
        a if a >= 10.0 => 1,
        _ => 2,
    };
    format!("{}×", grouped(&format!("{x:.digits$}")))
}

/// A difference of two rates in percentage points, signed: 0.0333 → "+3.3".
pub fn points(x: f64) -> String {
    format!("{:+.1}", x * 100.0)
}

/// "1 text" / "628 texts".
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

/// The period in the store's zone: "1–30 Nov 2026", "28 Oct – 3 Nov 2026", "all reminders up to
/// 7 Nov 2026". `until` is exclusive: a local midnight ends the day before it.
pub fn period(since: Option<DateTime<Utc>>, until: DateTime<Utc>, tz: Tz) -> String {
    let end = crate::tzdb::db().at(tz, until).naive_local();
    let (end_day, end_time) = if end.time() == NaiveTime::MIN {
        ((end - Duration::days(1)).date(), None)
    } else {
        (end.date(), Some(end.time()))
    };
    let Some(since) = since else {
        return format!("all reminders up to {}", day_time(end_day, end_time));
    };
    let start = crate::tzdb::db().at(tz, since).naive_local();
    let start_time = (start.time() != NaiveTime::MIN).then(|| start.time());
    let (a, b) = (start.date(), end_day);
    if start_time.is_some() || end_time.is_some() || b < a {
        return format!(
            "{} – {}",
            day_time(a, start_time),
            day_time(end.date(), end_time)
        );
    }
    let f = |d: NaiveDate, fmt: &str| d.format(fmt).to_string();
    if a == b {
        f(a, "%-d %b %Y")
    } else if f(a, "%Y-%m") == f(b, "%Y-%m") {
        format!("{}–{}", f(a, "%-d"), f(b, "%-d %b %Y"))
    } else if f(a, "%Y") == f(b, "%Y") {
        format!("{} – {}", f(a, "%-d %b"), f(b, "%-d %b %Y"))
    } else {
        format!("{} – {}", f(a, "%-d %b %Y"), f(b, "%-d %b %Y"))
    }
}

fn day_time(d: NaiveDate, t: Option<NaiveTime>) -> String {
    match t {
        Some(t) => format!("{} {}", d.format("%-d %b %Y"), t.format("%H:%M")),
        None => d.format("%-d %b %Y").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Currency;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn numbers_for_people() {
        let usd = Currency::parse("USD").unwrap();
        assert_eq!(count(1_358_426), "1,358,426");
        assert_eq!(count(7), "7");
        assert_eq!(cost(Price::new(37_302, usd)), "0.04 USD");
        assert_eq!(cost(Price::new(4_955_000, usd)), "4.96 USD");
        assert_eq!(cost(Price::new(1_234_567_000_000, usd)), "1,234,567.00 USD");
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(cost(Price::new(2_500_000, jpy)), "3 JPY");
        assert_eq!(money(Money::new(1_682_901, usd)), "16,829.01 USD");
        assert_eq!(percent(0.234), "23.4%");
        assert_eq!(percent(-1.0), "-100.0%");
        assert_eq!(roi(816.03), "81,603% (revenue 817× the cost)");
        assert_eq!(roi(1.5), "150.0% (revenue 2.50× the cost)");
        assert_eq!(multiple(12.34), "12.3×");
        assert_eq!(points(-0.0389), "-3.9");
        assert_eq!(plural(1, "text", "texts"), "1 text");
        assert_eq!(plural(1628, "text", "texts"), "1,628 texts");
    }

    #[test]
    fn periods_are_days_in_the_store_zone() {
        let msk: Tz = "Europe/Moscow".parse().unwrap();
        let p = |s: Option<&str>, u: &str| period(s.map(at), at(u), msk);
        // --since 2026-11-01 --until 2026-11-30 in Moscow.
        assert_eq!(
            p(Some("2026-10-31T21:00:00Z"), "2026-11-30T21:00:00Z"),
            "1–30 Nov 2026"
        );
        assert_eq!(
            p(Some("2026-10-27T21:00:00Z"), "2026-11-03T21:00:00Z"),
            "28 Oct – 3 Nov 2026"
        );
        assert_eq!(
            p(Some("2026-12-27T21:00:00Z"), "2027-01-03T21:00:00Z"),
            "28 Dec 2026 – 3 Jan 2027"
        );
        assert_eq!(
            p(Some("2026-10-31T21:00:00Z"), "2026-11-01T21:00:00Z"),
            "1 Nov 2026"
        );
        assert_eq!(
            p(None, "2026-11-07T21:00:00Z"),
            "all reminders up to 7 Nov 2026"
        );
        assert_eq!(
            p(Some("2026-11-01T07:00:00Z"), "2026-11-08T09:30:00Z"),
            "1 Nov 2026 10:00 – 8 Nov 2026 12:30"
        );
    }
}
