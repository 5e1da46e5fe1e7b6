//! Empty message: the template renders to nothing for this cart (permanent).

use super::{fail, pass};
use crate::model::Cart;
use crate::rules::{Ctx, Facts, Verdict};

pub(crate) fn empty_message(cart: &Cart, ctx: &Ctx<'_>, facts: &mut Facts) -> Verdict {
    let rendered = facts
        .message
        .get_or_insert_with(|| crate::message::render(cart, ctx.message, &ctx.store.name));
    if rendered.blank {
        fail("the template renders to nothing for this cart; give it text besides variables")
    } else {
        pass("the template renders to text")
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Reason;
    use crate::rules::testing::{World, cart};

    #[test]
    fn a_template_that_renders_to_nothing_fails() {
        let mut w = World::new("2026-11-22T12:00:00Z", "");
        assert!(w.passes(Reason::EmptyMessage, &cart("a")));
        w.message.template = "{name}".into();
        w.message.fallback_name = String::new();
        let mut c = cart("b");
        c.name = None;
        assert!(!w.passes(Reason::EmptyMessage, &c));
    }
}
