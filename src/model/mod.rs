//! Plain data shared by every stage: money in integer minor units, E.164 phones, carts, orders,
//! where a row came from, the outcome enums every stage reports in, and the parsers for config
//! values (durations, zones, regions). Imports nothing from the crate; no I/O here. Parsing helpers
//! return `String` errors that callers wrap with the file, line and field they came from.

mod config;
mod country;
mod money;
mod outcome;
mod phone;

pub use config::*;
pub use country::iso_country;
pub use money::*;
pub use outcome::*;
pub use phone::*;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::fmt;

/// Where a row came from, for error messages: "carts.csv:17".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Location {
    /// Shared by every row of a source: cloning a location costs no allocation.
    pub source: std::sync::Arc<str>,
    pub line: u64,
    /// The element's index in a JSON array (1-based), where lines say little (one-line arrays).
    pub record: Option<u64>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.record {
            Some(n) => write!(f, "{}: record {n} (line {})", self.source, self.line),
            None => write!(f, "{}:{}", self.source, self.line),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Cart {
    pub loc: Location,
    pub cart_id: String,
    pub customer_id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub total: Money,
    pub items_count: Option<i64>,
    pub updated_at: DateTime<Utc>,
    pub consent: bool,
    pub consent_at: Option<DateTime<Utc>>,
    /// ISO 3166 alpha-2, upper case.
    pub country: Option<String>,
    pub timezone: Option<Tz>,
    pub status: Option<String>,
    /// Recovery URL, or a token for `{token}` in the link template.
    pub link: Option<String>,
    pub email_sent_at: Option<DateTime<Utc>>,
    pub email_opened_at: Option<DateTime<Utc>>,
}

/// What the rules' window (`not_abandoned`, `too_old`) looks at, read before a cart is built.
pub struct CartHead<'a> {
    /// As the source wrote it (any case).
    pub status: Option<&'a str>,
    pub items_count: Option<i64>,
    pub total: Money,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct Order {
    pub loc: Location,
    pub order_id: String,
    pub cart_id: Option<String>,
    pub customer_id: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub total: Money,
    pub created_at: DateTime<Utc>,
    pub status: Option<String>,
}

/// The recipient's local time: one zone's clock, or the earliest and latest of several zones'.
#[derive(Clone, Debug, PartialEq)]
pub enum LocalTime {
    At(DateTime<chrono::FixedOffset>),
    Range(DateTime<chrono::FixedOffset>, DateTime<chrono::FixedOffset>),
}

impl LocalTime {
    /// Several zones' clocks as the range from the earliest to the latest local time.
    pub fn range(mut times: Vec<DateTime<chrono::FixedOffset>>) -> Option<LocalTime> {
        times.sort_by_key(|t| t.naive_local());
        match (times.first(), times.last()) {
            (Some(a), Some(b)) if times.len() > 1 => Some(LocalTime::Range(*a, *b)),
            (Some(a), _) => Some(LocalTime::At(*a)),
            _ => None,
        }
    }

    /// For the table: the full time for one zone, "05:46..13:46" for a range.
    pub fn short(&self) -> String {
        match self {
            LocalTime::At(_) => self.to_string(),
            LocalTime::Range(a, b) => format!("{}..{}", a.format("%H:%M"), b.format("%H:%M")),
        }
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rfc = |t: &DateTime<chrono::FixedOffset>| {
            t.to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
        };
        match self {
            LocalTime::At(t) => f.write_str(&rfc(t)),
            LocalTime::Range(a, b) => write!(f, "{}..{}", rfc(a), rfc(b)),
        }
    }
}

/// One way an order and a cart (or a reminder) belong to the same shopper. Ordered most
/// specific first (cart, customer, phone, email), which is the order a match is recorded by.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MatchKey {
    Cart(String),
    Customer(String),
    /// E.164.
    Phone(String),
    /// Trimmed and lower-cased.
    Email(String),
}

impl MatchKey {
    /// "cart", "customer", "phone" or "email": how a recovery was matched.
    pub fn kind(&self) -> &'static str {
        match self {
            MatchKey::Cart(_) => "cart",
            MatchKey::Customer(_) => "customer",
            MatchKey::Phone(_) => "phone",
            MatchKey::Email(_) => "email",
        }
    }
}

impl fmt::Display for MatchKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (MatchKey::Cart(v) | MatchKey::Customer(v) | MatchKey::Phone(v) | MatchKey::Email(v)) =
            self;
        write!(f, "{}:{v}", self.kind())
    }
}

/// `str::trim`, with a shortcut for the usual field that starts and ends with a visible ASCII
/// character (nothing to trim): every field of every row is trimmed, some twice.
pub fn trim(v: &str) -> &str {
    match v.as_bytes() {
        [] => v,
        [first, .., last] if first.is_ascii_graphic() && last.is_ascii_graphic() => v,
        [only] if only.is_ascii_graphic() => v,
        // A name in Cyrillic, say: nothing to trim unless an end is white space.
        _ if !v.starts_with(char::is_whitespace) && !v.ends_with(char::is_whitespace) => v,
        _ => v.trim(),
    }
}

/// RFC 3339 in UTC with whole seconds: the one text form of an instant in the ledger and audit.
pub fn utc_string(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
