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

/// Whether a cart with this status (any case) was already bought.
pub(crate) fn is_ordered_status(status: &str) -> bool {
    ORDERED_STATUSES
        .iter()
        .any(|s| s.eq_ignore_ascii_case(status))
}

/// The rule on the fields it reads, for carts not yet built (`crate::rules::outside_window`).
pub(crate) fn fails(status: Option<&str>, items_count: Option<i64>, total_minor: i64) -> bool {
    status.is_some_and(is_ordered_status) || items_count == Some(0) || total_minor <= 0
}

pub(crate) fn not_abandoned(cart: &Cart) -> Verdict {
    if let Some(s) = cart.status.as_deref().filter(|s| is_ordered_status(s)) {
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

    /// `outside_window` (what a source uses to skip building carts) says what `evaluate` says
    /// for the two window rules, on every mix of status, items, total and age.
    #[test]
    fn outside_window_agrees_with_evaluate() {
        let w = World::new("2026-11-22T12:00:00Z", "");
        let ctx = w.ctx();
        for status in [
            None,
            Some("Completed"),
            Some("abandoned"),
            Some("PAID"),
            Some(""),
        ] {
            for items in [None, Some(0), Some(2)] {
                for total in [0, 1, 500_000] {
                    for hours in [0, 1, 47, 48, 49, 24 * 30] {
                        let mut c = cart("x");
                        c.status = status.map(str::to_ascii_lowercase);
                        c.items_count = items;
                        c.total.minor = total;
                        c.updated_at = w.now - chrono::Duration::hours(hours);
                        let head = crate::model::CartHead {
                            status,
                            items_count: items,
                            total: c.total,
                            updated_at: c.updated_at,
                        };
                        let want = crate::rules::evaluate(&c, &ctx)
                            .reason
                            .filter(|r| r.is_out_of_window());
                        assert_eq!(
                            crate::rules::Window::new(w.now, w.rules.max_age).outside(&head),
                            want,
                            "{status:?} {items:?} {total} {hours}h"
                        );
                    }
                }
            }
        }
    }
}
