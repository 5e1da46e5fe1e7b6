//! Field parsers shared by every source: timestamps (`times`), money, booleans, and the
//! RawRow → Cart/Order step.

use super::{RawRow, RowError};
use crate::model::{Cart, Currency, Money, Order};
use crate::source::Config;
use chrono::{DateTime, Utc};
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

pub use super::times::{local_to_utc, parse_time};

pub fn parse_bool(text: &str) -> Result<bool, String> {
    match text.trim() {
        "1" => return Ok(true),
        "0" | "" => return Ok(false),
        _ => {}
    }
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
        self.raw.get(i).map(str::trim).filter(|v| !v.is_empty())
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

/// A row that passed every check: a cart, or only the reason it is outside the rules' window
/// when nobody will look at it (no allocation for two thirds of a typical export).
pub enum Parsed {
    Cart(Box<Cart>),
    Outside(crate::model::Reason),
}

/// A window test: the reason a row is outside the rules' window, if it is.
pub type Outside<'f> = &'f dyn Fn(&crate::model::CartHead<'_>) -> Option<crate::model::Reason>;

pub fn cart(raw: &RawRow, opts: &ParseOpts) -> Result<Cart, RowError> {
    match cart_unless(raw, opts, &|_| None)? {
        Parsed::Cart(c) => Ok(*c),
        Parsed::Outside(_) => unreachable!("nothing is outside a window that takes everything"),
    }
}

/// Checks every field of the row (so a malformed row is reported whatever its age), then builds
/// the cart unless `outside` says it is outside the window.
pub fn cart_unless(
    raw: &RawRow,
    opts: &ParseOpts,
    outside: Outside<'_>,
) -> Result<Parsed, RowError> {
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
        .map(|c| crate::model::iso_country(c).map_err(|e| row.err("country", e)))
        .transpose()?;
    let cart_id = row.required("cart_id")?;
    let total = row.money(opts)?;
    let items_count = row
        .get("items_count")
        .map(|v| {
            v.parse::<f64>()
                .ok()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                .map(|f| f as i64)
                .ok_or_else(|| row.err("items_count", format!("`{v}` is not a whole number")))
        })
        .transpose()?;
    let updated_at = row
        .time("updated_at", tz)?
        .ok_or_else(|| row.err("updated_at", "is empty".into()))?;
    let consent = row
        .get("consent")
        .map(parse_bool)
        .transpose()
        .map_err(|e| row.err("consent", e))?
        .unwrap_or(false);
    let consent_at = row.time("consent_at", tz)?;
    let email_sent_at = row.time("email_sent_at", tz)?;
    let email_opened_at = row.time("email_opened_at", tz)?;
    let status = row.get("status");
    let head = crate::model::CartHead {
        status,
        items_count,
        total,
        updated_at,
    };
    if let Some(reason) = outside(&head) {
        return Ok(Parsed::Outside(reason));
    }
    Ok(Parsed::Cart(Box::new(Cart {
        loc: raw.loc.clone(),
        cart_id: cart_id.to_string(),
        customer_id: row.get("customer_id").map(str::to_string),
        name: row.get("name").map(str::to_string),
        email: row.get("email").map(str::to_string),
        phone: row.get("phone").map(str::to_string),
        total,
        items_count,
        updated_at,
        consent,
        consent_at,
        country: country.map(str::to_string),
        timezone,
        status: status.map(|s| s.to_ascii_lowercase()),
        link: row.get("link").map(str::to_string),
        email_sent_at,
        email_opened_at,
    })))
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
#[cfg(test)]
mod tests {
    use super::*;

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
