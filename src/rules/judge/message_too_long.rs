//! Message too long: the rendered text needs more than `max_segments` (permanent).

use super::{fail, pass_with};
use crate::model::Cart;
use crate::rules::{Ctx, Facts, Verdict};

pub(crate) fn message_too_long(cart: &Cart, ctx: &Ctx<'_>, facts: &mut Facts) -> Verdict {
    let rendered = facts
        .message
        .get_or_insert_with(|| crate::message::render(cart, ctx.message, &ctx.store.name));
    let max = ctx.rules.max_segments;
    let c = rendered.count;
    if c.segments > max {
        let over = c
            .units
            .saturating_sub(crate::message::capacity(c.encoding, max));
        fail(format!(
            "{} {} units = {} segments, max {max}: {over} characters over; shorten the template, the link or optout_suffix, or raise rules.max_segments",
            c.encoding, c.units, c.segments
        ))
    } else {
        pass_with(ctx, || {
            format!(
                "{} {} units = {} segment(s)",
                c.encoding, c.units, c.segments
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Reason;
    use crate::rules::testing::{World, cart};

    #[test]
    fn exactly_160_septets_is_one_segment_161_is_too_long() {
        let mut w = World::new("2026-11-22T12:00:00Z", "max_segments = 1");
        w.message.optout_suffix = String::new();
        w.message.template = "x".repeat(160);
        assert!(w.passes(Reason::MessageTooLong, &cart("a")));
        w.message.template = "x".repeat(161);
        let v = w.verdict(Reason::MessageTooLong, &cart("a")).to_string();
        assert!(v.contains("1 characters over"), "{v}");
    }
}
