//! Email first: an email reminder must have gone out `email_first` ago and stayed unopened (a deferral).

use super::{fail, pass};
use crate::model::{Cart, utc_string};
use crate::rules::{Ctx, Verdict};

pub(crate) fn email_first(cart: &Cart, ctx: &Ctx<'_>) -> Verdict {
    let Some(wait) = ctx.rules.email_first else {
        return pass("off");
    };
    match (cart.email_sent_at, cart.email_opened_at) {
        (None, _) => fail("no email reminder sent yet"),
        (Some(_), Some(opened)) => fail(format!("email reminder opened {}", utc_string(opened))),
        (Some(sent), None) if ctx.now - sent < wait => fail(format!(
            "email reminder sent {}; SMS from {}",
            utc_string(sent),
            utc_string(sent + wait)
        )),
        (Some(sent), None) => pass(format!("email sent {} and not opened", utc_string(sent))),
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Reason;
    use crate::rules::testing::{World, cart, minutes};

    #[test]
    fn waits_for_an_unopened_email_of_the_right_age() {
        let w = World::new("2026-11-22T12:00:00Z", "email_first = \"3h\"");
        let mut c = cart("a");
        assert!(!w.passes(Reason::EmailFirst, &c));
        c.email_sent_at = Some(w.now - chrono::Duration::hours(3));
        assert!(w.passes(Reason::EmailFirst, &c));
        c.email_sent_at = Some(w.now - chrono::Duration::hours(3) + minutes(1));
        assert!(!w.passes(Reason::EmailFirst, &c));
        c.email_sent_at = Some(w.now - chrono::Duration::hours(5));
        c.email_opened_at = Some(w.now - chrono::Duration::hours(4));
        assert!(!w.passes(Reason::EmailFirst, &c));
        let off = World::new("2026-11-22T12:00:00Z", "");
        assert!(off.passes(Reason::EmailFirst, &cart("b")));
    }
}
