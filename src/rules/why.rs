//! A rule's verdict detail, kept as values and formatted only when something prints, explains or
//! audits it: two thirds of a typical export are too old, and their detail is never shown.

use crate::model::{Currency, Money, utc_string};
use chrono::{DateTime, Duration, Utc};
use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Why {
    Text(&'static str),
    Owned(String),
    /// "total is 0 RUB"
    Total(Money),
    /// "last activity … is more than 48h ago"
    TooOld {
        at: DateTime<Utc>,
        max: Duration,
    },
    /// "within 48h"
    Within(Duration),
    /// "last activity …; eligible from …"
    TooFresh {
        at: DateTime<Utc>,
        from: DateTime<Utc>,
    },
    /// "idle for at least 60m"
    IdleAtLeast(Duration),
    /// "SMS consent given …"
    ConsentAt(DateTime<Utc>),
    /// "no rules.min_cart_value.XXX configured (config error)"
    NoThreshold(Currency),
    /// "… is below …"
    Below {
        total: Money,
        min: Money,
    },
    /// "… ≥ …"
    AtLeast {
        total: Money,
        min: Money,
    },
}

impl From<&'static str> for Why {
    fn from(s: &'static str) -> Why {
        Why::Text(s)
    }
}

impl From<String> for Why {
    fn from(s: String) -> Why {
        Why::Owned(s)
    }
}

impl fmt::Display for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Why::Text(s) => f.write_str(s),
            Why::Owned(s) => f.write_str(s),
            Why::Total(m) => write!(f, "total is {m}"),
            Why::TooOld { at, max } => write!(
                f,
                "last activity {} is more than {} ago",
                utc_string(*at),
                human(*max)
            ),
            Why::Within(d) => write!(f, "within {}", human(*d)),
            Why::TooFresh { at, from } => write!(
                f,
                "last activity {}; eligible from {}",
                utc_string(*at),
                utc_string(*from)
            ),
            Why::IdleAtLeast(d) => write!(f, "idle for at least {}", human(*d)),
            Why::ConsentAt(t) => write!(f, "SMS consent given {}", utc_string(*t)),
            Why::NoThreshold(c) => {
                write!(f, "no rules.min_cart_value.{c} configured (config error)")
            }
            Why::Below { total, min } => write!(f, "{total} is below {min}"),
            Why::AtLeast { total, min } => write!(f, "{total} ≥ {min}"),
        }
    }
}

/// "7d", "48h", "90m".
pub fn human(d: Duration) -> String {
    let m = d.num_minutes();
    if m % (24 * 60) == 0 {
        format!("{}d", m / (24 * 60))
    } else if m % 60 == 0 {
        format!("{}h", m / 60)
    } else {
        format!("{m}m")
    }
}
