//! Attribution, as a pure function: which order (if any) each reminder brought back. A `sent` or
//! `unknown` nudge is recovered by the first order matching its cart, customer, phone or email
//! within the attribution window after the send; an order between the cart's last activity and the
//! send means the cart converted on its own. Holdout rows are matched the same way, from the time
//! they were set aside, which gives the control group's conversions. Nudges are taken in order of
//! their reference time, so an order that two nudges could claim goes to the earliest one, and an
//! order already in the ledger is never attributed again.

pub use crate::ledger::{OpenNudge, Recovery};
use crate::model::{MatchKey, Money, Order};
use crate::rules::orders::{key_hash, match_keys};
use crate::rules::phone;
use chrono::{DateTime, Duration, Utc};
use std::collections::{HashMap, HashSet};

/// One order, reduced to what matching needs.
#[derive(Debug, Clone)]
pub struct OrderRef {
    pub order_id: String,
    pub total: Money,
    pub created_at: DateTime<Utc>,
    /// The order's match keys as 128-bit hashes (`key_hash`): many orders wait here for the
    /// matching, so they are kept small.
    pub keys: Vec<(u64, u64)>,
}

impl OrderRef {
    fn build(o: &Order, default_region: &str, with_phone: bool) -> OrderRef {
        let phone = o
            .phone
            .as_deref()
            .filter(|_| with_phone)
            .and_then(|p| phone::normalize(p, default_region).ok());
        let keys = match_keys(
            o.cart_id.as_deref(),
            o.customer_id.as_deref(),
            phone.as_ref().map(|p| &p.e164),
            o.email.as_deref(),
        );
        OrderRef {
            order_id: o.order_id.clone(),
            total: o.total,
            created_at: o.created_at,
            keys: keys.iter().map(key_hash).collect(),
        }
    }
}

/// What the waiting reminders could match. Orders that match none of it are dropped while the
/// source streams, so memory grows with the reminders waiting, not with the shop's order history,
/// and only phones whose last digits look familiar pay for libphonenumber.
/// Keys are held as their 128-bit hashes (`key_hash`), as in `OrderRef`: two different keys
/// share one with odds near 2^-128 per pair. Phone tails are numbers (a tail that matches by
/// chance only costs a phone parse).
pub struct Wanted {
    /// Sorted: a third of a hash set's memory, and no rehash that holds two tables at once.
    keys: Vec<(u64, u64)>,
    phone_tails: HashSet<u32>,
    since: Option<DateTime<Utc>>,
}

const TAIL: usize = 7;

/// The last seven digits as a number; None for a shorter number (no order's tail matches it).
fn tail(digits: &str) -> Option<u32> {
    let t = digits.get(digits.len().checked_sub(TAIL)?..)?;
    t.parse().ok()
}

impl Wanted {
    pub fn new(candidates: &[OpenNudge]) -> Wanted {
        let mut keys = Vec::with_capacity(candidates.len() * 4);
        let mut phone_tails = HashSet::new();
        for c in candidates {
            keys.extend(nudge_keys(c).iter().map(key_hash));
            phone_tails.extend(tail(c.phone.digits()));
        }
        keys.sort_unstable();
        keys.dedup();
        keys.shrink_to_fit();
        let since = candidates.iter().map(|c| c.cart_updated_at).min();
        Wanted {
            keys,
            phone_tails,
            since,
        }
    }

    /// The order reduced for matching, or `None` when no waiting reminder could claim it.
    /// The oldest waiting reminder's cart activity: no earlier order can match (`order_ref`
    /// drops it); None when no reminder waits.
    pub fn since(&self) -> Option<DateTime<Utc>> {
        self.since
    }

    pub fn order_ref(&self, o: &Order, default_region: &str) -> Option<OrderRef> {
        self.order_ref_with(o, default_region, self.phone_may_match(o))
    }

    /// Whether the order's phone ends in the last digits of a waiting reminder's (only then is
    /// it read with libphonenumber).
    pub fn phone_may_match(&self, o: &Order) -> bool {
        let digits: Option<String> = o
            .phone
            .as_deref()
            .map(|p| p.chars().filter(char::is_ascii_digit).collect());
        digits
            .as_deref()
            .and_then(tail)
            .is_some_and(|t| self.phone_tails.contains(&t))
    }

    /// `order_ref`, given `phone_may_match`: without the phone it involves no phone library,
    /// so a reading thread can run it (the library keeps a regex cache per thread).
    pub fn order_ref_with(
        &self,
        o: &Order,
        default_region: &str,
        phone_may_match: bool,
    ) -> Option<OrderRef> {
        if self.since.is_none_or(|s| o.created_at < s) {
            return None;
        }
        let r = OrderRef::build(o, default_region, phone_may_match);
        r.keys
            .iter()
            .any(|k| self.keys.binary_search(k).is_ok())
            .then_some(r)
    }
}

fn nudge_keys(c: &OpenNudge) -> Vec<MatchKey> {
    match_keys(
        Some(&*c.cart_id),
        c.customer_id.as_deref(),
        Some(&c.phone),
        c.email.as_deref(),
    )
}

/// Matches candidates to orders. `taken` holds order ids the ledger already attributed.
pub fn attribute(
    candidates: &[OpenNudge],
    orders: &[OrderRef],
    window: Duration,
    taken: &HashSet<String>,
) -> Vec<Recovery> {
    let mut by_key: HashMap<(u64, u64), Vec<usize>> = HashMap::new();
    for (i, o) in orders.iter().enumerate() {
        for k in &o.keys {
            by_key.entry(*k).or_default().push(i);
        }
    }
    let mut used: HashSet<&str> = taken.iter().map(String::as_str).collect();
    let mut order: Vec<&OpenNudge> = candidates.iter().collect();
    order.sort_by(|a, b| a.at.cmp(&b.at).then(a.nudge_id.cmp(&b.nudge_id)));
    let mut out = Vec::new();
    for c in order {
        let keys = nudge_keys(c);
        // Every order this nudge could claim, with the best key it matches by (the keys come
        // most specific first).
        let mut found: HashMap<usize, &'static str> = HashMap::new();
        for k in &keys {
            for &i in by_key.get(&key_hash(k)).into_iter().flatten() {
                found.entry(i).or_insert(k.kind());
            }
        }
        let mut eligible: Vec<(usize, &'static str)> = found
            .into_iter()
            .filter(|(i, _)| !used.contains(orders[*i].order_id.as_str()))
            .collect();
        eligible.sort_by(|a, b| {
            let (oa, ob) = (&orders[a.0], &orders[b.0]);
            oa.created_at
                .cmp(&ob.created_at)
                .then_with(|| oa.order_id.cmp(&ob.order_id))
        });
        // An order before the reminder (after the cart's last activity) says the cart converted on
        // its own; only if there is none does an order inside the window count as recovered.
        let before = eligible.iter().find(|(i, _)| {
            let t = orders[*i].created_at;
            t >= c.cart_updated_at && t < c.at
        });
        let after = eligible.iter().find(|(i, _)| {
            let t = orders[*i].created_at;
            t >= c.at && t <= c.at + window
        });
        let (hit, attributed) = match (before, after) {
            (Some(b), _) => (b, false),
            (None, Some(a)) => (a, true),
            (None, None) => continue,
        };
        let o = &orders[hit.0];
        used.insert(o.order_id.as_str());
        out.push(Recovery {
            nudge_id: c.nudge_id,
            order_id: o.order_id.clone(),
            amount: o.total,
            ordered_at: o.created_at,
            key: hit.1,
            attributed,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Currency, E164};

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn cand(id: i64, cart: &str, phone: &str, at: &str) -> OpenNudge {
        OpenNudge {
            nudge_id: id,
            cart_id: cart.into(),
            customer_id: None,
            phone: E164::from_normalized(phone),
            email: None,
            at: t(at),
            cart_updated_at: t(at) - Duration::hours(2),
        }
    }

    fn order(id: &str, keys: &[&str], at: &str) -> OrderRef {
        let usd = Currency::parse("USD").unwrap();
        OrderRef {
            order_id: id.into(),
            total: Money::new(8000, usd),
            created_at: t(at),
            keys: keys
                .iter()
                .map(|k| match k.split_once(':') {
                    Some(("cart", v)) => MatchKey::Cart(v.into()),
                    Some(("customer", v)) => MatchKey::Customer(v.into()),
                    Some(("phone", v)) => MatchKey::Phone(v.into()),
                    Some(("email", v)) => MatchKey::Email(v.into()),
                    _ => panic!("test key {k}"),
                })
                .map(|k| key_hash(&k))
                .collect(),
        }
    }

    #[test]
    fn one_order_two_nudges_goes_to_the_earliest() {
        let a = cand(2, "A", "+15550000001", "2026-11-01T10:00:00Z");
        let b = cand(1, "B", "+15550000001", "2026-11-01T09:00:00Z");
        let o = order("O1", &["phone:+15550000001"], "2026-11-01T12:00:00Z");
        let m = attribute(&[a, b], &[o], Duration::hours(72), &HashSet::new());
        assert_eq!(m.len(), 1);
        assert_eq!(
            (m[0].nudge_id, m[0].key, m[0].attributed),
            (1, "phone", true)
        );
    }

    #[test]
    fn window_edges_and_before_send() {
        let c = cand(1, "A", "+15550000001", "2026-11-01T10:00:00Z");
        let late = order("late", &["cart:A"], "2026-11-04T10:00:01Z");
        let m = attribute(
            std::slice::from_ref(&c),
            &[late],
            Duration::hours(72),
            &HashSet::new(),
        );
        assert!(m.is_empty(), "one second past the window");
        let edge = order("edge", &["cart:A"], "2026-11-04T10:00:00Z");
        let m = attribute(
            std::slice::from_ref(&c),
            &[edge],
            Duration::hours(72),
            &HashSet::new(),
        );
        assert!(m[0].attributed);
        let before = order("before", &["cart:A"], "2026-11-01T09:00:00Z");
        let stale = order("stale", &["cart:A"], "2026-11-01T07:00:00Z");
        let after = order("after", &["cart:A"], "2026-11-01T11:00:00Z");
        let m = attribute(
            std::slice::from_ref(&c),
            &[after, before, stale],
            Duration::hours(72),
            &HashSet::new(),
        );
        assert_eq!((m[0].order_id.as_str(), m[0].attributed), ("before", false));
    }

    #[test]
    fn taken_orders_are_not_reused() {
        let c = cand(1, "A", "+15550000001", "2026-11-01T10:00:00Z");
        let o = order("O1", &["cart:A"], "2026-11-01T12:00:00Z");
        let taken: HashSet<String> = ["O1".to_string()].into();
        assert!(attribute(&[c], &[o], Duration::hours(72), &taken).is_empty());
    }

    #[test]
    fn wanted_keeps_only_orders_a_waiting_nudge_could_claim() {
        let mut c = cand(1, "A", "+14155550101", "2026-11-01T10:00:00Z");
        c.email = Some("Ann@Example.com".into());
        let w = Wanted::new(&[c]);
        let usd = Currency::parse("USD").unwrap();
        let o = |cart: Option<&str>, phone: Option<&str>, email: Option<&str>, at: &str| Order {
            loc: crate::model::Location {
                source: "o.csv".into(),
                line: 2,
                record: None,
            },
            order_id: "O".into(),
            cart_id: cart.map(Into::into),
            customer_id: None,
            phone: phone.map(Into::into),
            email: email.map(Into::into),
            total: Money::new(100, usd),
            created_at: t(at),
            status: None,
        };
        let region = "US";
        assert!(
            w.order_ref(&o(Some("A"), None, None, "2026-11-01T12:00:00Z"), region)
                .is_some()
        );
        assert!(
            w.order_ref(&o(Some("B"), None, None, "2026-11-01T12:00:00Z"), region)
                .is_none()
        );
        assert!(
            w.order_ref(
                &o(None, Some("(415) 555-0101"), None, "2026-11-01T12:00:00Z"),
                region
            )
            .is_some()
        );
        assert!(
            w.order_ref(
                &o(None, Some("(415) 555-0199"), None, "2026-11-01T12:00:00Z"),
                region
            )
            .is_none()
        );
        assert!(
            w.order_ref(
                &o(None, None, Some(" ANN@example.com"), "2026-11-01T12:00:00Z"),
                region
            )
            .is_some()
        );
        assert!(
            w.order_ref(&o(Some("A"), None, None, "2026-10-01T12:00:00Z"), region)
                .is_none(),
            "before the cart"
        );
        assert!(
            Wanted::new(&[])
                .order_ref(&o(Some("A"), None, None, "2026-11-01T12:00:00Z"), region)
                .is_none()
        );
    }
}
