//! Too fresh: less than `min_delay` since last activity (a deferral).

use super::too_old::age;
use super::{Why, fail, pass};
use crate::model::Cart;
use crate::rules::{Ctx, Verdict};

pub(crate) fn too_fresh(cart: &Cart, ctx: &Ctx<'_>) -> Verdict {
    let min = ctx.rules.min_delay;
    if age(cart, ctx) < min {
        fail(Why::TooFresh {
            at: cart.updated_at,
            from: cart.updated_at + min,
        })
    } else {
        pass(Why::IdleAtLeast(min))
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Reason;
    use crate::rules::testing::{World, cart, minutes};

    #[test]
    fn exactly_min_delay_passes_one_second_less_defers() {
        let w = World::new("2026-11-22T12:00:00Z", "min_delay = \"60m\"");
        let mut c = cart("a");
        c.updated_at = w.now - minutes(60);
        assert!(w.passes(Reason::TooFresh, &c));
        c.updated_at += chrono::Duration::seconds(1);
        assert_eq!(
            w.verdict(Reason::TooFresh, &c).to_string(),
            "fail: last activity 2026-11-22T11:00:01Z; eligible from 2026-11-22T12:00:01Z"
        );
    }
}
