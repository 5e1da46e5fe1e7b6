//! Below the minimum cart value of its currency (permanent); a currency with no minimum is a config error.

use super::{Why, fail, pass};
use crate::model::Cart;
use crate::rules::{Ctx, Facts, Verdict};

pub(crate) fn below_min_value(cart: &Cart, ctx: &Ctx<'_>, facts: &mut Facts) -> Verdict {
    match ctx.rules.min_cart_value.get(&cart.total.currency) {
        None => {
            facts.missing_threshold = Some(cart.total.currency);
            fail(Why::NoThreshold(cart.total.currency))
        }
        Some(min) if cart.total.minor < min.minor => fail(Why::Below {
            total: cart.total,
            min: *min,
        }),
        Some(min) => pass(Why::AtLeast {
            total: cart.total,
            min: *min,
        }),
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Reason;
    use crate::rules::testing::{World, cart};

    #[test]
    fn the_minimum_itself_passes_one_minor_unit_less_fails() {
        let w = World::new("2026-11-22T12:00:00Z", "");
        let mut c = cart("a");
        c.total.minor = 300_000;
        assert!(w.passes(Reason::BelowMinValue, &c));
        c.total.minor = 299_999;
        assert_eq!(
            w.verdict(Reason::BelowMinValue, &c).to_string(),
            "fail: 2999.99 RUB is below 3000.00 RUB"
        );
        // A currency with no minimum is a config error, never a silent pass.
        c.total.currency = crate::model::Currency::parse("KZT").unwrap();
        assert!(!w.passes(Reason::BelowMinValue, &c));
    }
}
