//! A world for rule unit tests: the default config (as an empty cartnudge.toml gives it), a
//! store in Moscow, an empty ledger and no orders, with setters for what a test changes, and a
//! cart builder. No files, no binary.

use super::{Ctx, Facts, OrderIndex, Verdict, judge::judge};
use crate::ledger::LedgerView;
use crate::model::{Cart, Currency, Location, Money, Reason, Store};
use chrono::{DateTime, Duration, Utc};

pub struct World {
    pub now: DateTime<Utc>,
    pub rules: crate::rules::Config,
    pub message: crate::message::Config,
    pub store: Store,
    pub ledger: LedgerView,
    pub orders: OrderIndex,
}

pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

impl World {
    /// Defaults plus `[rules]` lines (TOML), e.g. `min_delay = "2h"`.
    pub fn new(now: &str, rules_toml: &str) -> World {
        let mut raw: crate::rules::config::RawRules = toml::from_str(&format!(
            "{rules_toml}\n[min_cart_value]\nRUB = \"3000\"\nUSD = \"60\"\nEUR = \"60\"\n"
        ))
        .expect("rules toml");
        if raw.min_cart_value.is_empty() {
            raw.min_cart_value.insert("RUB".into(), "3000".into());
        }
        World {
            now: at(now),
            rules: crate::rules::config::from_raw(raw).expect("rules config"),
            message: crate::message::config::from_raw(Default::default()).expect("message config"),
            store: Store {
                name: "Shop".into(),
                timezone: chrono_tz::Europe::Moscow,
                default_region: "RU".into(),
            },
            ledger: LedgerView::default(),
            orders: OrderIndex::default(),
        }
    }

    pub fn ctx(&self) -> Ctx<'_> {
        Ctx {
            now: self.now,
            rules: &self.rules,
            message: &self.message,
            store: &self.store,
            ledger: &self.ledger,
            orders: &self.orders,
            explain: true,
        }
    }

    /// One rule's verdict, with the facts the rules before it would have worked out.
    pub fn verdict(&self, rule: Reason, cart: &Cart) -> Verdict {
        let ctx = self.ctx();
        let mut facts = Facts::default();
        for &r in super::ORDER {
            if r == rule {
                break;
            }
            judge(r, cart, &ctx, &mut facts);
        }
        judge(rule, cart, &ctx, &mut facts)
    }

    pub fn passes(&self, rule: Reason, cart: &Cart) -> bool {
        matches!(self.verdict(rule, cart), Verdict::Pass(_))
    }
}

/// A cart that passes every rule at 2026-11-22T12:00:00Z with the defaults: Moscow, 3 h idle,
/// consent, 5000 RUB, a Russian mobile.
pub fn cart(id: &str) -> Cart {
    Cart {
        loc: Location {
            source: "test".into(),
            line: 1,
            record: None,
        },
        cart_id: id.into(),
        customer_id: None,
        name: Some("Anna".into()),
        email: None,
        phone: Some("+79123456789".into()),
        total: Money::new(500_000, Currency::parse("RUB").unwrap()),
        items_count: Some(2),
        updated_at: at("2026-11-22T09:00:00Z"),
        consent: true,
        consent_at: None,
        country: None,
        timezone: None,
        status: None,
        link: None,
        email_sent_at: None,
        email_opened_at: None,
    }
}

pub fn minutes(n: i64) -> Duration {
    Duration::minutes(n)
}
