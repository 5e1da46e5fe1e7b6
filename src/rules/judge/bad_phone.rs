//! Bad phone: missing or not a number a reminder can go to (permanent).

use super::{fail, pass_with};
use crate::model::Cart;
use crate::rules::phone;
use crate::rules::{Ctx, Facts, Verdict};

pub fn parse_phone<'f>(
    cart: &Cart,
    ctx: &Ctx<'_>,
    facts: &'f mut Facts,
) -> &'f Result<phone::Phone, String> {
    facts.phone.get_or_insert_with(|| {
        let region = cart.country.as_deref().unwrap_or(&ctx.store.default_region);
        phone::normalize(cart.phone.as_deref().unwrap_or(""), region)
    })
}

pub(crate) fn bad_phone(cart: &Cart, ctx: &Ctx<'_>, facts: &mut Facts) -> Verdict {
    match parse_phone(cart, ctx, facts) {
        Ok(p) => pass_with(ctx, || {
            format!(
                "{} ({})",
                p.e164.masked(),
                p.region.as_deref().unwrap_or("?")
            )
        }),
        Err(e) => fail(e.clone()),
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Reason;
    use crate::rules::testing::{World, cart};

    #[test]
    fn a_mobile_passes_a_landline_or_garbage_fails() {
        let w = World::new("2026-11-22T12:00:00Z", "");
        let mut c = cart("a");
        assert!(w.passes(Reason::BadPhone, &c));
        c.phone = Some("8 912 345-67-89".into()); // RU local form
        assert!(w.passes(Reason::BadPhone, &c));
        c.phone = Some("+7 495 123-45-67".into()); // a Moscow landline
        assert!(!w.passes(Reason::BadPhone, &c));
        c.phone = Some("77783abc151961".into());
        assert!(!w.passes(Reason::BadPhone, &c));
        c.phone = None;
        assert!(!w.passes(Reason::BadPhone, &c));
    }
}
