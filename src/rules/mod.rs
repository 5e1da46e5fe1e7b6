//! Whether a cart may get a reminder now. Each rule is a pure function of the cart and a `Ctx` (now,
//! settings, the ledger's view, an index of orders); nothing here reads a clock, a file or the
//! network. `evaluate` stops at the first failing rule, cheapest first, so phone parsing and message
//! rendering happen only for carts that survive the cheap checks; `explain` runs every rule.

pub mod config;
pub mod judge;
pub use config::Config;
pub mod holidays;
pub mod hours;
pub mod orders;
pub mod phone;
pub mod phone_zones;
#[cfg(test)]
pub mod testing;
pub mod why;
pub mod zones;

use crate::ledger::LedgerView;
use crate::message::Rendered;
use crate::model::{Cart, Currency, Store};
pub use crate::model::{Decision, Reason};
use chrono::{DateTime, Utc};
pub use orders::OrderIndex;
use phone::Phone;
pub use why::Why;
use zones::RecipientZone;

/// The order rules run in. Cheap checks first; the reason of a cart is its first failure.
pub const ORDER: &[Reason] = &[
    Reason::NotAbandoned,
    Reason::TooOld,
    Reason::TooFresh,
    Reason::NoConsent,
    Reason::BelowMinValue,
    Reason::AlreadyNudged,
    Reason::BadPhone,
    Reason::OptedOut,
    Reason::OrderedSince,
    Reason::EmailFirst,
    Reason::PhoneCooldown,
    Reason::QuietHours,
    Reason::EmptyMessage,
    Reason::MessageTooLong,
    Reason::Holdout,
];

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Verdict::Pass(w) => write!(f, "pass: {w}"),
            Verdict::Fail(w) => write!(f, "fail: {w}"),
            Verdict::NotApplicable(w) => write!(f, "n/a: {w}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Pass(Why),
    Fail(Why),
    /// The rule could not be judged because an earlier fact is missing (e.g. no valid phone).
    NotApplicable(Why),
}

/// Everything a rule may look at besides the cart.
pub struct Ctx<'a> {
    pub now: DateTime<Utc>,
    pub rules: &'a Config,
    pub message: &'a crate::message::Config,
    pub store: &'a Store,
    pub ledger: &'a LedgerView,
    pub orders: &'a OrderIndex,
    /// Whether a rule that passes says why (`explain` shows it); `evaluate` keeps only why a rule
    /// failed, so the rules skip formatting what nobody reads.
    pub explain: bool,
}

/// Facts worked out on the way, each at most once per cart.
#[derive(Default, Debug, Clone)]
pub struct Facts {
    pub phone: Option<Result<Phone, String>>,
    pub zone: Option<RecipientZone>,
    pub local_time: Option<crate::model::LocalTime>,
    pub message: Option<Rendered>,
    /// The cart's currency has no `min_cart_value`: a config error, not a silent pass.
    pub missing_threshold: Option<Currency>,
}

impl Facts {
    pub fn valid_phone(&self) -> Option<&Phone> {
        self.phone.as_ref().and_then(|p| p.as_ref().ok())
    }
}

#[derive(Debug, Clone)]
pub struct Evaluation {
    pub decision: Decision,
    pub reason: Option<Reason>,
    /// Formatted only when printed or audited.
    pub detail: Why,
    pub facts: Facts,
}

pub fn evaluate(cart: &Cart, ctx: &Ctx<'_>) -> Evaluation {
    let mut facts = Facts::default();
    for &rule in ORDER {
        if let Verdict::Fail(detail) | Verdict::NotApplicable(detail) =
            judge::judge(rule, cart, ctx, &mut facts)
        {
            let decision = match rule {
                Reason::Holdout => Decision::Holdout,
                r if r.is_deferral() => Decision::Deferred,
                _ => Decision::Skipped,
            };
            return Evaluation {
                decision,
                reason: Some(rule),
                detail,
                facts,
            };
        }
    }
    Evaluation {
        decision: Decision::WouldSend,
        reason: None,
        detail: Why::Text(""),
        facts,
    }
}

/// The reason `evaluate` would give a cart for failing the window rules (`not_abandoned`, then
/// `too_old`), from the fields they read: lets a source skip building carts nobody will look at.
pub fn outside_window(
    head: &crate::model::CartHead<'_>,
    now: DateTime<Utc>,
    max_age: chrono::Duration,
) -> Option<Reason> {
    if judge::not_abandoned::fails(head.status, head.items_count, head.total.minor) {
        Some(Reason::NotAbandoned)
    } else if now - head.updated_at > max_age {
        Some(Reason::TooOld)
    } else {
        None
    }
}

/// Every rule's verdict for one cart, in rule order.
pub fn explain(cart: &Cart, ctx: &Ctx<'_>) -> (Vec<(Reason, Verdict)>, Facts) {
    let mut facts = Facts::default();
    let verdicts = ORDER
        .iter()
        .map(|&rule| (rule, judge::judge(rule, cart, ctx, &mut facts)))
        .collect();
    (verdicts, facts)
}
