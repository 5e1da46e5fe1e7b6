//! Opted out: the phone is on the ledger's opt-out list (permanent).

use super::{fail, pass};
use crate::rules::{Ctx, Facts, Verdict};

pub(crate) fn opted_out(ctx: &Ctx<'_>, facts: &Facts) -> Verdict {
    let Some(p) = facts.valid_phone() else {
        return Verdict::NotApplicable("no valid phone".into());
    };
    if ctx.ledger.is_opted_out(p.e164.as_str()) {
        fail("phone is on the opt-out list")
    } else {
        pass("not opted out")
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Reason;
    use crate::rules::testing::{World, cart};

    #[test]
    fn an_opted_out_phone_fails() {
        let mut w = World::new("2026-11-22T12:00:00Z", "");
        assert!(w.passes(Reason::OptedOut, &cart("a")));
        w.ledger.insert_optout("+79123456789");
        assert!(!w.passes(Reason::OptedOut, &cart("a")));
    }
}
