//! Ordered since: an order by the same cart, customer, phone or email since the cart's last activity (permanent).

use super::{fail, pass};
use crate::model::{Cart, utc_string};
use crate::rules::{Ctx, Facts, Verdict};

pub(crate) fn ordered_since(cart: &Cart, ctx: &Ctx<'_>, facts: &Facts) -> Verdict {
    let none = || match ctx.orders.len {
        0 => pass("no orders source"),
        _ => pass("no order since last activity"),
    };
    if ctx.orders.is_empty() {
        // Nothing to look up: the cart's keys are not worth building.
        return none();
    }
    let keys = crate::rules::orders::match_keys(
        Some(&cart.cart_id),
        cart.customer_id.as_deref(),
        facts.valid_phone().map(|p| &p.e164),
        cart.email.as_deref(),
    );
    match ctx.orders.first_between(&keys, cart.updated_at, ctx.now) {
        Some((t, key)) => fail(format!("order by the same {key} at {}", utc_string(t))),
        None => none(),
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Reason;
    use crate::rules::testing::{World, cart};

    #[test]
    fn an_order_after_last_activity_fails_one_before_passes() {
        let mut w = World::new("2026-11-22T12:00:00Z", "");
        let order = |at: &str| crate::model::Order {
            loc: cart("x").loc,
            order_id: "o1".into(),
            cart_id: None,
            customer_id: None,
            phone: Some("+79123456789".into()),
            email: None,
            total: cart("x").total,
            created_at: crate::rules::testing::at(at),
            status: None,
        };
        w.orders.add(&order("2026-11-22T08:59:59Z"), "RU");
        w.orders.finish();
        assert!(w.passes(Reason::OrderedSince, &cart("a")));
        w.orders.add(&order("2026-11-22T09:00:01Z"), "RU");
        w.orders.finish();
        assert!(!w.passes(Reason::OrderedSince, &cart("a")));
    }
}
