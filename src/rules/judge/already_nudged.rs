//! Already nudged: the ledger has a row for this cart (permanent).

use super::{fail, pass};
use crate::model::Cart;
use crate::rules::{Ctx, Verdict};

pub(crate) fn already_nudged(cart: &Cart, ctx: &Ctx<'_>) -> Verdict {
    match ctx.ledger.nudge_status(&cart.cart_id) {
        Some(status) => fail(format!("ledger already has this cart as `{status}`")),
        None => pass("not in the ledger"),
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Reason;
    use crate::rules::testing::{World, cart};

    #[test]
    fn a_cart_with_any_ledger_row_fails() {
        let mut w = World::new("2026-11-22T12:00:00Z", "");
        assert!(w.passes(Reason::AlreadyNudged, &cart("a")));
        w.ledger.insert_nudged("a", "failed");
        assert!(!w.passes(Reason::AlreadyNudged, &cart("a")));
        assert!(w.passes(Reason::AlreadyNudged, &cart("b")));
    }
}
