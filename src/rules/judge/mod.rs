//! The rules, one file each, in the order of `super::ORDER`. Each is a pure function of the cart
//! and the `Ctx`; `judge` dispatches by reason. (`cmd::check` is the command that checks a config.)

mod already_nudged;
mod bad_phone;
mod below_min_value;
mod email_first;
mod empty_message;
mod holdout;
mod message_too_long;
mod no_consent;
pub(crate) mod not_abandoned;
mod opted_out;
mod ordered_since;
mod phone_cooldown;
mod quiet_hours;
mod too_fresh;
mod too_old;

pub use bad_phone::parse_phone;
pub use holdout::holdout_bucket;

use super::why::Why;
pub(crate) use super::why::human;
use super::{Ctx, Facts, Reason, Verdict};
use crate::model::Cart;

pub fn judge(rule: Reason, cart: &Cart, ctx: &Ctx<'_>, facts: &mut Facts) -> Verdict {
    match rule {
        Reason::NotAbandoned => not_abandoned::not_abandoned(cart),
        Reason::TooOld => too_old::too_old(cart, ctx),
        Reason::TooFresh => too_fresh::too_fresh(cart, ctx),
        Reason::NoConsent => no_consent::no_consent(cart),
        Reason::BelowMinValue => below_min_value::below_min_value(cart, ctx, facts),
        Reason::AlreadyNudged => already_nudged::already_nudged(cart, ctx),
        Reason::BadPhone => bad_phone::bad_phone(cart, ctx, facts),
        Reason::OptedOut => opted_out::opted_out(ctx, facts),
        Reason::OrderedSince => ordered_since::ordered_since(cart, ctx, facts),
        Reason::EmailFirst => email_first::email_first(cart, ctx),
        Reason::PhoneCooldown => phone_cooldown::phone_cooldown(ctx, facts),
        Reason::QuietHours => quiet_hours::quiet_hours(cart, ctx, facts),
        Reason::EmptyMessage => empty_message::empty_message(cart, ctx, facts),
        Reason::MessageTooLong => message_too_long::message_too_long(cart, ctx, facts),
        Reason::Holdout => holdout::holdout(cart, ctx),
        Reason::OverLimit
        | Reason::GatewayRetry
        | Reason::GatewayAborted
        | Reason::Deadline
        | Reason::Gateway
        | Reason::Interrupted => Verdict::Pass("decided by the batch, not per cart".into()),
    }
}

fn pass(why: impl Into<Why>) -> Verdict {
    Verdict::Pass(why.into())
}

/// A pass whose reason costs something to work out: worked out only when `ctx.explain`.
fn pass_with<W: Into<Why>>(ctx: &Ctx<'_>, why: impl FnOnce() -> W) -> Verdict {
    if ctx.explain { pass(why()) } else { pass("") }
}

fn fail(why: impl Into<Why>) -> Verdict {
    Verdict::Fail(why.into())
}
