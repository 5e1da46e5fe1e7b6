//! No consent: no explicit SMS consent (permanent).

use super::{Why, fail, pass};
use crate::model::Cart;
use crate::rules::Verdict;

pub(crate) fn no_consent(cart: &Cart) -> Verdict {
    if cart.consent {
        pass(match cart.consent_at {
            Some(t) => Why::ConsentAt(t),
            None => Why::Text("SMS consent given"),
        })
    } else {
        fail("no explicit SMS consent")
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Reason;
    use crate::rules::testing::{World, cart};

    #[test]
    fn only_explicit_consent_passes() {
        let w = World::new("2026-11-22T12:00:00Z", "");
        let mut c = cart("a");
        assert!(w.passes(Reason::NoConsent, &c));
        c.consent = false;
        assert!(!w.passes(Reason::NoConsent, &c));
    }
}
