//! An index of orders by cart, customer, phone and email, holding the times of each key's orders,
//! for the `ordered_since` rule. Built once per run from the optional orders source.

use super::phone;
use crate::model::Order;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

#[derive(Default, Debug)]
pub struct OrderIndex {
    /// "cart:ID", "customer:ID", "phone:+7…", "email:lower@case" → order times.
    by_key: HashMap<String, Vec<DateTime<Utc>>>,
    /// Orders read, indexed or not (0: no orders source, or an empty one).
    pub len: usize,
}

impl OrderIndex {
    pub fn add(&mut self, order: &Order, default_region: &str) {
        let mut keys = Vec::with_capacity(4);
        if let Some(c) = &order.cart_id {
            keys.push(format!("cart:{c}"));
        }
        if let Some(c) = &order.customer_id {
            keys.push(format!("customer:{c}"));
        }
        if let Some(p) = order
            .phone
            .as_deref()
            .and_then(|p| phone::normalize(p, default_region).ok())
        {
            keys.push(format!("phone:{}", p.e164));
        }
        if let Some(e) = &order.email {
            keys.push(format!("email:{}", e.trim().to_lowercase()));
        }
        for k in keys {
            self.by_key.entry(k).or_default().push(order.created_at);
        }
        self.len += 1;
    }

    /// The first order by any of the keys placed in `[from, until]`, with the key that matched.
    pub fn first_between<'k>(
        &self,
        keys: &'k [String],
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Option<(DateTime<Utc>, &'k str)> {
        keys.iter()
            .filter_map(|k| {
                let times = self.by_key.get(k)?;
                let t = times.iter().filter(|t| **t >= from && **t <= until).min()?;
                Some((*t, k.split(':').next().unwrap_or("")))
            })
            .min_by_key(|(t, _)| *t)
    }
}
