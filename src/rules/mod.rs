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

/// The rules' window as a source tests it for every row: `outside` gives the reason `evaluate`
/// would give a cart for failing the window rules (`not_abandoned`, then `too_old`), from the
/// fields they read, and lets a source skip building carts nobody will look at.
#[derive(Clone, Copy)]
pub struct Window {
    now: DateTime<Utc>,
    max_age: chrono::Duration,
    /// `now - max_age`: a cart last active before it is too old. Comparing with it costs less
    /// than working out each cart's age (chrono's date arithmetic, a million times).
    oldest: Option<DateTime<Utc>>,
}

impl Window {
    pub fn new(now: DateTime<Utc>, max_age: chrono::Duration) -> Window {
        Window {
            now,
            max_age,
            // A leap second (nanoseconds of 1e9 and more) is left to chrono's own arithmetic.
            oldest: (now.timestamp_subsec_nanos() < 1_000_000_000)
                .then(|| now.checked_sub_signed(max_age))
                .flatten(),
        }
    }

    pub fn outside(&self, head: &crate::model::CartHead<'_>) -> Option<Reason> {
        if judge::not_abandoned::fails(head.status, head.items_count, head.total.minor) {
            Some(Reason::NotAbandoned)
        } else if self.too_old(head.updated_at) {
            Some(Reason::TooOld)
        } else {
            None
        }
    }

    /// `now - at > max_age`, as `too_old` judges it.
    fn too_old(&self, at: DateTime<Utc>) -> bool {
        match self.oldest {
            Some(oldest) if at.timestamp_subsec_nanos() < 1_000_000_000 => at < oldest,
            _ => self.now - at > self.max_age,
        }
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

#[cfg(test)]
mod window_tests {
    use super::Window;
    use chrono::{DateTime, Duration, NaiveDate, Utc};

    /// Comparing with `now - max_age` gives what working out each age gives: at the boundary
    /// to the nanosecond, for leap seconds (nanoseconds of 1e9 and more) on either side, and on
    /// 20,000 random times around the window.
    #[test]
    fn too_old_by_the_cutoff_is_too_old_by_the_age() {
        let leap = |h, m, nano| {
            NaiveDate::from_ymd_opt(2026, 11, 20)
                .unwrap()
                .and_hms_nano_opt(h, m, 59, nano)
                .unwrap()
                .and_utc()
        };
        let base: DateTime<Utc> = "2026-11-22T12:00:00Z".parse().unwrap();
        let nows = [
            base,
            base + Duration::nanoseconds(123),
            leap(12, 0, 1_500_000_000),
        ];
        let ages = [
            Duration::hours(48),
            Duration::minutes(90),
            Duration::zero(),
            Duration::nanoseconds(1),
            Duration::days(100_000_000),
        ];
        let mut seed = 17u64;
        for now in nows {
            for max_age in ages {
                let w = Window::new(now, max_age);
                let mut times = vec![now, leap(11, 59, 1_999_999_999), leap(12, 0, 1_000_000_000)];
                if let Some(o) = now.checked_sub_signed(max_age) {
                    for d in [-2, -1, 0, 1, 2] {
                        times.push(o + Duration::nanoseconds(d));
                        times.push(o + Duration::seconds(d));
                    }
                }
                for _ in 0..20_000 / (nows.len() * ages.len()) {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let back = (seed >> 20) as i64 % (4 * 86_400_000_000_000);
                    times.push(now - Duration::nanoseconds(back - 86_400_000_000_000));
                }
                for at in times {
                    assert_eq!(
                        w.too_old(at),
                        now - at > max_age,
                        "{at} at {now}, {max_age}"
                    );
                }
            }
        }
    }
}
