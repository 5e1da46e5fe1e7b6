//! An index of orders by cart, customer, phone and email, holding the times of each key's orders,
//! for the `ordered_since` rule. Built once per run from the optional orders source.

use super::phone;
use crate::model::{E164, MatchKey, Order};
use chrono::{DateTime, Utc};

/// The keys by which an order and a cart (or a reminder) belong to the same shopper, most specific
/// first: cart, customer, phone (E.164), email (trimmed, case-insensitive). `send`'s
/// `ordered_since` and `reconcile`'s attribution both use these, so they agree on who ordered.
pub fn match_keys(
    cart_id: Option<&str>,
    customer_id: Option<&str>,
    phone: Option<&E164>,
    email: Option<&str>,
) -> Vec<MatchKey> {
    let present = |v: Option<&str>| {
        v.map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let mut keys = Vec::with_capacity(4);
    keys.extend(present(cart_id).map(MatchKey::Cart));
    keys.extend(present(customer_id).map(MatchKey::Customer));
    keys.extend(phone.map(|p| MatchKey::Phone(p.to_string())));
    keys.extend(present(email).map(|e| MatchKey::Email(e.to_lowercase())));
    keys
}

/// One order's entries in an `OrderIndex` (`OrderIndex::entries`).
pub struct OrderEntries(Vec<(u64, u64, i64)>);

/// Each key's orders as (the key's 128-bit hash in two halves, order time in nanoseconds),
/// sorted by `finish`: 24 bytes per key of a recent order, where a map of key strings to time
/// lists took over 100. Two different keys share a hash with odds near 2^-128 per pair, and even
/// then the error is a text not sent.
#[derive(Default, Debug)]
pub struct OrderIndex {
    entries: Vec<(u64, u64, i64)>,
    /// Orders added since the last `finish`.
    unsorted: bool,
    /// Orders read, indexed or not (0: no orders source, or an empty one).
    pub len: usize,
}

/// A key's 128-bit hash, in two halves: how the indexes here and in `reconcile` hold keys.
pub fn key_hash(key: &MatchKey) -> (u64, u64) {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let half = |salt: u8| {
        let mut h = DefaultHasher::new();
        salt.hash(&mut h);
        key.hash(&mut h);
        h.finish()
    };
    (half(0), half(1))
}

/// An instant as nanoseconds since 1970; every order `load_orders` indexes (placed within
/// `max_age` of now) is in the range this covers, 1677 to 2262.
fn nanos(t: DateTime<Utc>) -> i64 {
    t.timestamp_nanos_opt().unwrap_or(if t.timestamp() < 0 {
        i64::MIN
    } else {
        i64::MAX
    })
}

impl OrderIndex {
    pub fn add(&mut self, order: &Order, default_region: &str) {
        self.add_entries(Self::entries(order, default_region));
    }

    /// An order's entries: each of its keys' hash with its time (`add` = `entries`, then
    /// `add_entries`; the first can run on any thread).
    pub fn entries(order: &Order, default_region: &str) -> OrderEntries {
        let phone = order
            .phone
            .as_deref()
            .and_then(|p| phone::normalize(p, default_region).ok());
        let keys = match_keys(
            order.cart_id.as_deref(),
            order.customer_id.as_deref(),
            phone.as_ref().map(|p| &p.e164),
            order.email.as_deref(),
        );
        let at = nanos(order.created_at);
        OrderEntries(
            keys.iter()
                .map(|k| {
                    let (a, b) = key_hash(k);
                    (a, b, at)
                })
                .collect(),
        )
    }

    pub fn add_entries(&mut self, entries: OrderEntries) {
        self.entries.extend(entries.0);
        self.unsorted = true;
        self.len += 1;
    }

    /// No order to find: no orders source, or none placed within the rules' window.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Makes the orders added so far searchable.
    pub fn finish(&mut self) {
        self.entries.sort_unstable();
        self.entries.shrink_to_fit();
        self.unsorted = false;
    }

    /// The first order by any of the keys placed in `[from, until]`, with the key that matched.
    pub fn first_between(
        &self,
        keys: &[MatchKey],
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Option<(DateTime<Utc>, &'static str)> {
        assert!(!self.unsorted, "OrderIndex::finish was not called");
        keys.iter()
            .filter_map(|k| {
                let (a, b) = key_hash(k);
                let (from, until) = (nanos(from), nanos(until));
                // The key's earliest order at or after `from`.
                let i = self.entries.partition_point(|&e| e < (a, b, from));
                let &(ea, eb, t) = self.entries.get(i)?;
                (ea == a && eb == b && t <= until)
                    .then(|| (DateTime::from_timestamp_nanos(t), k.kind()))
            })
            .min_by_key(|(t, _)| *t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_keys_skip_blanks_and_fold_email_case() {
        let phone = E164::from_normalized("+79120000001");
        assert_eq!(
            match_keys(
                Some("c1"),
                Some(" "),
                Some(&phone),
                Some(" Ann@Example.COM ")
            ),
            vec![
                MatchKey::Cart("c1".into()),
                MatchKey::Phone("+79120000001".into()),
                MatchKey::Email("ann@example.com".into())
            ]
        );
        assert!(match_keys(None, None, None, Some("")).is_empty());
    }

    /// The sorted hash index answers as a scan of every order would, on random orders that
    /// share keys and times, and windows that start and end on an order's second.
    #[test]
    fn finds_the_first_order_a_scan_finds() {
        let mut next = crate::testing::random(7);
        let base = DateTime::parse_from_rfc3339("2026-11-20T00:00:00Z")
            .unwrap()
            .to_utc();
        let pick = |n: u64, p: &str| (n < 8).then(|| format!("{p}{n}"));
        let mut orders = Vec::new();
        for i in 0..600 {
            orders.push(Order {
                loc: crate::model::Location {
                    source: "orders.csv".into(),
                    line: i + 2,
                    record: None,
                },
                order_id: format!("o{i}"),
                cart_id: pick(next(12), "c"),
                customer_id: pick(next(12), "u"),
                phone: (next(3) == 0).then(|| format!("+7912000000{}", next(10))),
                email: pick(next(12), "Ann").map(|e| format!("{e}@Example.com")),
                total: crate::model::Money::parse(
                    "1",
                    crate::model::Currency::parse("RUB").unwrap(),
                    '.',
                )
                .unwrap(),
                created_at: base + chrono::Duration::minutes(next(3000) as i64),
                status: None,
            });
        }
        let mut index = OrderIndex::default();
        for o in &orders {
            index.add(o, "RU");
        }
        index.finish();
        let keyed: Vec<(Vec<MatchKey>, DateTime<Utc>)> = orders
            .iter()
            .map(|o| {
                let phone = o
                    .phone
                    .as_deref()
                    .and_then(|p| phone::normalize(p, "RU").ok());
                let keys = match_keys(
                    o.cart_id.as_deref(),
                    o.customer_id.as_deref(),
                    phone.as_ref().map(|p| &p.e164),
                    o.email.as_deref(),
                );
                (keys, o.created_at)
            })
            .collect();
        let mut found = 0;
        for q in 0..2000 {
            let probe = &orders[next(600) as usize];
            let keys = match_keys(
                pick(next(12), "c").as_deref(),
                pick(next(12), "u").as_deref(),
                None,
                if q % 2 == 0 {
                    probe.email.as_deref()
                } else {
                    None
                },
            );
            let from = if q % 3 == 0 {
                probe.created_at
            } else {
                base + chrono::Duration::minutes(next(3000) as i64)
            };
            let until = from + chrono::Duration::minutes(next(600) as i64);
            let scan = keys
                .iter()
                .filter_map(|k| {
                    let t = keyed
                        .iter()
                        .filter(|(ks, t)| ks.contains(k) && *t >= from && *t <= until)
                        .map(|(_, t)| *t)
                        .min()?;
                    Some((t, k.kind()))
                })
                .min_by_key(|(t, _)| *t);
            let got = index.first_between(&keys, from, until);
            assert_eq!(got, scan, "{keys:?} {from} {until}");
            found += usize::from(got.is_some());
        }
        assert!(found > 300, "{found}");
    }
}
