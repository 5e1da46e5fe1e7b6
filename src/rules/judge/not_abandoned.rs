//! Not abandoned: an ordered status, no items or no total (permanent).

use super::{Why, fail, pass};
use crate::model::Cart;
use crate::rules::Verdict;

const ORDERED_STATUSES: &[&str] = &[
    "ordered",
    "converted",
    "completed",
    "complete",
    "paid",
    "closed",
    "purchased",
    "recovered",
    "processing",
];

pub(crate) fn not_abandoned(cart: &Cart) -> Verdict {
    if let Some(s) = cart
        .status
        .as_deref()
        .filter(|s| ORDERED_STATUSES.contains(s))
    {
        return fail(format!("status is `{s}`"));
    }
    if cart.items_count == Some(0) {
        return fail("cart has no items");
    }
    if cart.total.minor <= 0 {
        return fail(Why::Total(cart.total));
    }
    pass("open cart with items")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Reason;
    use crate::rules::testing::{World, cart};

    #[test]
    fn open_carts_pass_ordered_empty_or_zero_carts_fail() {
        let w = World::new("2026-11-22T12:00:00Z", "");
        assert!(w.passes(Reason::NotAbandoned, &cart("a")));
        let mut c = cart("b");
        c.status = Some("completed".into());
        assert!(!w.passes(Reason::NotAbandoned, &c));
        c.status = Some("abandoned".into());
        assert!(w.passes(Reason::NotAbandoned, &c));
        let mut c = cart("c");
        c.items_count = Some(0);
        assert!(!w.passes(Reason::NotAbandoned, &c));
        let mut c = cart("d");
        c.total.minor = 0;
        assert_eq!(
            w.verdict(Reason::NotAbandoned, &c),
            Verdict::Fail(Why::Total(c.total))
        );
        c.total.minor = 1;
        assert!(w.passes(Reason::NotAbandoned, &c));
    }
}
