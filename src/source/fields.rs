//! Field parsers shared by every source: timestamps (RFC 3339, `YYYY-MM-DD HH:MM:SS`,
//! `DD.MM.YYYY HH:MM:SS` as 1C-Bitrix writes them; naive ones read in the source's zone, DST gaps
//! and overlaps resolved), money, booleans, and the RawRow → Cart/Order step.

use super::{RawRow, RowError};
use crate::model::{Cart, Currency, Money, Order};
use crate::source::Config;
use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;

#[derive(Debug, Clone)]
pub struct ParseOpts {
    pub timezone: Tz,
    pub decimal: char,
    pub currency: Option<Currency>,
    /// Column names, for error messages (parallel to the field list).
    pub columns: Vec<String>,
}

impl ParseOpts {
    pub fn from(s: &Config) -> ParseOpts {
        ParseOpts {
            timezone: s.timezone,
            decimal: s.decimal,
            currency: s.currency,
            columns: Vec::new(),
        }
    }
}

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
    let t = text.trim();
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

pub fn parse_bool(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "y" | "yes" | "true" | "t" | "on" => Ok(true),
        "0" | "n" | "no" | "false" | "f" | "off" | "" => Ok(false),
        other => Err(format!(
            "`{other}` is not a boolean; use 1/0, Y/N, true/false or yes/no"
        )),
    }
}

struct Row<'a> {
    raw: &'a RawRow,
    fields: &'static [&'static str],
}

impl<'a> Row<'a> {
    fn get(&self, field: &str) -> Option<&'a str> {
        let i = self.fields.iter().position(|f| *f == field)?;
        self.raw
            .values
            .get(i)?
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }

    fn err(&self, field: &str, message: String) -> RowError {
        RowError {
            loc: self.raw.loc.clone(),
            column: Some(field.to_string()),
            message,
        }
    }

    fn required(&self, field: &str) -> Result<&'a str, RowError> {
        self.get(field)
            .ok_or_else(|| self.err(field, "is empty".into()))
    }

    fn time(&self, field: &str, tz: Tz) -> Result<Option<DateTime<Utc>>, RowError> {
        self.get(field)
            .map(|v| parse_time(v, tz).map_err(|e| self.err(field, e)))
            .transpose()
    }

    fn money(&self, opts: &ParseOpts) -> Result<Money, RowError> {
        let currency = match self.get("currency") {
            Some(c) => Currency::parse(c).map_err(|e| self.err("currency", e))?,
            None => opts.currency.ok_or_else(|| {
                self.err("currency", "is empty and source.currency is not set".into())
            })?,
        };
        Money::parse(self.required("total")?, currency, opts.decimal)
            .map_err(|e| self.err("total", e))
    }
}

pub fn cart(raw: &RawRow, opts: &ParseOpts) -> Result<Cart, RowError> {
    let row = Row {
        raw,
        fields: crate::source::config::CART_FIELDS,
    };
    let tz = opts.timezone;
    let timezone = row
        .get("timezone")
        .map(|z| {
            z.parse::<Tz>()
                .map_err(|_| row.err("timezone", format!("`{z}` is not an IANA time zone")))
        })
        .transpose()?;
    let country = row
        .get("country")
        .map(|c| {
            crate::model::iso_country(c)
                .map(str::to_string)
                .map_err(|e| row.err("country", e))
        })
        .transpose()?;
    Ok(Cart {
        loc: raw.loc.clone(),
        cart_id: row.required("cart_id")?.to_string(),
        customer_id: row.get("customer_id").map(str::to_string),
        name: row.get("name").map(str::to_string),
        email: row.get("email").map(str::to_string),
        phone: row.get("phone").map(str::to_string),
        total: row.money(opts)?,
        items_count: row
            .get("items_count")
            .map(|v| {
                v.parse::<f64>()
                    .ok()
                    .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                    .map(|f| f as i64)
                    .ok_or_else(|| row.err("items_count", format!("`{v}` is not a whole number")))
            })
            .transpose()?,
        updated_at: row
            .time("updated_at", tz)?
            .ok_or_else(|| row.err("updated_at", "is empty".into()))?,
        consent: row
            .get("consent")
            .map(parse_bool)
            .transpose()
            .map_err(|e| row.err("consent", e))?
            .unwrap_or(false),
        consent_at: row.time("consent_at", tz)?,
        country,
        timezone,
        status: row.get("status").map(|s| s.to_ascii_lowercase()),
        link: row.get("link").map(str::to_string),
        email_sent_at: row.time("email_sent_at", tz)?,
        email_opened_at: row.time("email_opened_at", tz)?,
    })
}

pub fn order(raw: &RawRow, opts: &ParseOpts) -> Result<Order, RowError> {
    let row = Row {
        raw,
        fields: crate::source::config::ORDER_FIELDS,
    };
    Ok(Order {
        loc: raw.loc.clone(),
        order_id: row.required("order_id")?.to_string(),
        cart_id: row.get("cart_id").map(str::to_string),
        customer_id: row.get("customer_id").map(str::to_string),
        phone: row.get("phone").map(str::to_string),
        email: row.get("email").map(str::to_string),
        total: row.money(opts)?,
        created_at: row
            .time("created_at", opts.timezone)?
            .ok_or_else(|| row.err("created_at", "is empty".into()))?,
        status: row.get("status").map(|s| s.to_ascii_lowercase()),
    })
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

    #[test]
    fn booleans() {
        for t in ["1", "Y", "yes", "TRUE", "true"] {
            assert_eq!(parse_bool(t), Ok(true), "{t}");
        }
        for f in ["0", "N", "no", "false", ""] {
            assert_eq!(parse_bool(f), Ok(false), "{f}");
        }
        assert!(parse_bool("maybe").is_err());
    }
}
