//! Too old: last activity more than `max_age` ago (permanent; outside the rules' window).

use super::{Why, fail, pass};
use crate::model::Cart;
use crate::rules::{Ctx, Verdict};

pub(crate) fn age(cart: &Cart, ctx: &Ctx<'_>) -> chrono::Duration {
    ctx.now - cart.updated_at
}

pub(crate) fn too_old(cart: &Cart, ctx: &Ctx<'_>) -> Verdict {
    let max = ctx.rules.max_age;
    if age(cart, ctx) > max {
        fail(Why::TooOld {
            at: cart.updated_at,
            max,
        })
    } else {
        pass(Why::Within(max))
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Reason;
    use crate::rules::testing::{World, cart};

    #[test]
    fn exactly_max_age_passes_one_second_more_fails() {
        let w = World::new("2026-11-22T12:00:00Z", "max_age = \"48h\"");
        let mut c = cart("a");
        c.updated_at = w.now - chrono::Duration::hours(48);
        assert!(w.passes(Reason::TooOld, &c));
        c.updated_at -= chrono::Duration::seconds(1);
        let v = w.verdict(Reason::TooOld, &c);
        assert_eq!(
            v.to_string(),
            "fail: last activity 2026-11-20T11:59:59Z is more than 2d ago"
        );
    }
}
