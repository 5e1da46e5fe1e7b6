//! An index of orders by cart, customer, phone and email, holding the times of each key's orders,
//! for the `ordered_since` rule. Built once per run from the optional orders source.

use super::phone;
use crate::model::{E164, MatchKey, Order};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

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

#[derive(Default, Debug)]
pub struct OrderIndex {
    /// Each key → the times of its orders.
    by_key: HashMap<MatchKey, Vec<DateTime<Utc>>>,
    /// Orders read, indexed or not (0: no orders source, or an empty one).
    pub len: usize,
}

impl OrderIndex {
    pub fn add(&mut self, order: &Order, default_region: &str) {
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
        for k in keys {
            self.by_key.entry(k).or_default().push(order.created_at);
        }
        self.len += 1;
    }

    /// The first order by any of the keys placed in `[from, until]`, with the key that matched.
    pub fn first_between(
        &self,
        keys: &[MatchKey],
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Option<(DateTime<Utc>, &'static str)> {
        keys.iter()
            .filter_map(|k| {
                let times = self.by_key.get(k)?;
                let t = times.iter().filter(|t| **t >= from && **t <= until).min()?;
                Some((*t, k.kind()))
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
}
