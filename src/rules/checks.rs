//! The rules themselves, one function each, in the order of `super::ORDER`.

use super::hours::{CountryRule, Hours, is_holiday, is_sunday, window_on};
use super::phone::{self, strict_us_state};
use super::zones::{RecipientZone, recipient_zone};
use super::{Ctx, Facts, Reason, Verdict};
use crate::model::{Cart, utc_string};
use crate::rules::config::MultiZone;
use chrono::{DateTime, Datelike, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use sha2::{Digest, Sha256};

const ORDERED_STATUSES: &[&str] = &[
    "ordered",
    "converted",
    "completed",
    "complete",
    "paid",
    "closed",
    "purchased",
    "recovered",
    "processing",
];

pub fn check(rule: Reason, cart: &Cart, ctx: &Ctx<'_>, facts: &mut Facts) -> Verdict {
    match rule {
        Reason::NotAbandoned => not_abandoned(cart),
        Reason::TooOld => too_old(cart, ctx),
        Reason::TooFresh => too_fresh(cart, ctx),
        Reason::NoConsent => no_consent(cart),
        Reason::BelowMinValue => below_min_value(cart, ctx, facts),
        Reason::AlreadyNudged => already_nudged(cart, ctx),
        Reason::BadPhone => bad_phone(cart, ctx, facts),
        Reason::OptedOut => opted_out(ctx, facts),
        Reason::OrderedSince => ordered_since(cart, ctx, facts),
        Reason::EmailFirst => email_first(cart, ctx),
        Reason::PhoneCooldown => phone_cooldown(ctx, facts),
        Reason::QuietHours => quiet_hours(cart, ctx, facts),
        Reason::EmptyMessage => empty_message(cart, ctx, facts),
        Reason::MessageTooLong => message_too_long(cart, ctx, facts),
        Reason::Holdout => holdout(cart, ctx),
        Reason::OverLimit
        | Reason::GatewayRetry
        | Reason::GatewayAborted
        | Reason::Deadline
        | Reason::Gateway
        | Reason::Interrupted => Verdict::Pass("decided by the batch, not per cart".into()),
    }
}

fn pass(s: impl Into<String>) -> Verdict {
    Verdict::Pass(s.into())
}
fn fail(s: impl Into<String>) -> Verdict {
    Verdict::Fail(s.into())
}

fn not_abandoned(cart: &Cart) -> Verdict {
    if let Some(s) = cart
        .status
        .as_deref()
        .filter(|s| ORDERED_STATUSES.contains(s))
    {
        return fail(format!("status is `{s}`"));
    }
    if cart.items_count == Some(0) {
        return fail("cart has no items");
    }
    if cart.total.minor <= 0 {
        return fail(format!("total is {}", cart.total));
    }
    pass("open cart with items")
}

fn age(cart: &Cart, ctx: &Ctx<'_>) -> chrono::Duration {
    ctx.now - cart.updated_at
}

fn too_old(cart: &Cart, ctx: &Ctx<'_>) -> Verdict {
    let max = ctx.rules.max_age;
    if age(cart, ctx) > max {
        fail(format!(
            "last activity {} is more than {} ago",
            utc_string(cart.updated_at),
            human(max)
        ))
    } else {
        pass(format!("within {}", human(max)))
    }
}

fn too_fresh(cart: &Cart, ctx: &Ctx<'_>) -> Verdict {
    let min = ctx.rules.min_delay;
    if age(cart, ctx) < min {
        fail(format!(
            "last activity {}; eligible from {}",
            utc_string(cart.updated_at),
            utc_string(cart.updated_at + min)
        ))
    } else {
        pass(format!("idle for at least {}", human(min)))
    }
}

fn no_consent(cart: &Cart) -> Verdict {
    if cart.consent {
        pass(match cart.consent_at {
            Some(t) => format!("SMS consent given {}", utc_string(t)),
            None => "SMS consent given".into(),
        })
    } else {
        fail("no explicit SMS consent")
    }
}

fn below_min_value(cart: &Cart, ctx: &Ctx<'_>, facts: &mut Facts) -> Verdict {
    match ctx.rules.min_cart_value.get(&cart.total.currency) {
        None => {
            facts.missing_threshold = Some(cart.total.currency);
            fail(format!(
                "no rules.min_cart_value.{} configured (config error)",
                cart.total.currency
            ))
        }
        Some(min) if cart.total.minor < min.minor => {
            fail(format!("{} is below {}", cart.total, min))
        }
        Some(min) => pass(format!("{} ≥ {}", cart.total, min)),
    }
}

fn already_nudged(cart: &Cart, ctx: &Ctx<'_>) -> Verdict {
    match ctx.ledger.nudged_carts.get(&cart.cart_id) {
        Some(status) => fail(format!("ledger already has this cart as `{status}`")),
        None => pass("not in the ledger"),
    }
}

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

fn bad_phone(cart: &Cart, ctx: &Ctx<'_>, facts: &mut Facts) -> Verdict {
    match parse_phone(cart, ctx, facts) {
        Ok(p) => pass(format!(
            "{} ({})",
            p.e164.masked(),
            p.region.as_deref().unwrap_or("?")
        )),
        Err(e) => fail(e.clone()),
    }
}

fn opted_out(ctx: &Ctx<'_>, facts: &Facts) -> Verdict {
    let Some(p) = facts.valid_phone() else {
        return Verdict::NotApplicable("no valid phone".into());
    };
    if ctx.ledger.optouts.contains(p.e164.as_str()) {
        fail("phone is on the opt-out list")
    } else {
        pass("not opted out")
    }
}

fn ordered_since(cart: &Cart, ctx: &Ctx<'_>, facts: &Facts) -> Verdict {
    let keys = super::orders::match_keys(
        Some(&cart.cart_id),
        cart.customer_id.as_deref(),
        facts.valid_phone().map(|p| &p.e164),
        cart.email.as_deref(),
    );
    match ctx.orders.first_between(&keys, cart.updated_at, ctx.now) {
        Some((t, key)) => fail(format!("order by the same {key} at {}", utc_string(t))),
        None if ctx.orders.len == 0 => pass("no orders source"),
        None => pass("no order since last activity"),
    }
}

fn email_first(cart: &Cart, ctx: &Ctx<'_>) -> Verdict {
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

fn country_key(facts: &Facts, cart: &Cart) -> Option<String> {
    cart.country
        .clone()
        .or_else(|| facts.valid_phone().and_then(|p| p.region.clone()))
}

/// The state rule for a US number in a stricter state, else the country's rule.
fn country_rule<'s>(
    ctx: &'s Ctx<'_>,
    country: Option<&str>,
    facts: &Facts,
) -> (Option<&'s CountryRule>, Option<&'s CountryRule>) {
    let rules = &ctx.rules.country;
    let Some(c) = country else {
        return (None, None);
    };
    let state = (c == "US")
        .then(|| {
            facts
                .valid_phone()
                .and_then(|p| p.area_code)
                .and_then(strict_us_state)
        })
        .flatten()
        .and_then(|s| rules.get(&format!("US-{s}")));
    (state, rules.get(c))
}

fn phone_cooldown(ctx: &Ctx<'_>, facts: &Facts) -> Verdict {
    let Some(p) = facts.valid_phone() else {
        return Verdict::NotApplicable("no valid phone".into());
    };
    let sends = ctx
        .ledger
        .phone_sends
        .get(p.e164.as_str())
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let cooldown = ctx.rules.cooldown;
    if let Some(last) = sends.iter().filter(|t| **t <= ctx.now).max()
        && ctx.now - *last < cooldown
    {
        return fail(format!(
            "this phone got a reminder {}; cooldown {}",
            utc_string(*last),
            human(cooldown)
        ));
    }
    let (state, _) = country_rule(ctx, p.region.as_deref(), facts);
    if let Some(cap) = state.and_then(|r| r.max_per_day) {
        let day = sends
            .iter()
            .filter(|t| **t <= ctx.now && ctx.now - **t < chrono::Duration::hours(24))
            .count();
        if day as u32 >= cap {
            return fail(format!(
                "{day} reminders to this number in 24 h; state limit {cap}"
            ));
        }
    }
    pass("no recent reminder to this phone")
}

/// Checks one zone; returns the local time and why it is not allowed, if it is not.
fn allowed_in(
    zone: Tz,
    now: DateTime<Utc>,
    window: &dyn Fn(Weekday) -> Option<Hours>,
    rule: Option<&CountryRule>,
    country: Option<&str>,
) -> (String, Option<String>) {
    let local = crate::tzdb::db().at(zone, now);
    let stamp = local.to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
    let date = local.date_naive();
    let Some(hours) = window(local.weekday()) else {
        return (
            stamp,
            Some(format!(
                "no sending on {} in {}",
                local.weekday(),
                zone.name()
            )),
        );
    };
    if let Some(r) = rule {
        if r.no_sundays && is_sunday(date) {
            return (stamp, Some(format!("Sunday in {}", zone.name())));
        }
        if r.no_public_holidays && is_holiday(country.unwrap_or(""), date, &r.extra_holidays) {
            return (
                stamp,
                Some(format!("public holiday {date} in {}", zone.name())),
            );
        }
        if !r.no_public_holidays && r.extra_holidays.contains(&date) {
            return (stamp, Some(format!("holiday {date} in {}", zone.name())));
        }
    }
    let minute = local.hour() * 60 + local.minute();
    if hours.contains(minute) {
        (stamp, None)
    } else {
        (
            stamp,
            Some(format!(
                "{:02}:{:02} in {} is outside {hours}",
                local.hour(),
                local.minute(),
                zone.name()
            )),
        )
    }
}

/// Checks every zone in `zones`; the verdict when all allow it, else the first problem.
fn every_zone(
    ctx: &Ctx<'_>,
    window: &dyn Fn(Weekday) -> Option<Hours>,
    day_rule: Option<&CountryRule>,
    country: &str,
    zones: &[Tz],
    facts: &mut Facts,
) -> Result<Verdict, String> {
    let checks: Vec<(String, Option<String>)> = zones
        .iter()
        .map(|z| allowed_in(*z, ctx.now, window, day_rule, Some(country)))
        .collect();
    let mut stamps: Vec<&String> = checks.iter().map(|(s, _)| s).collect();
    stamps.sort_by_key(|s| s[..19].to_string());
    facts.local_time = Some(format!("{}..{}", stamps[0], stamps[stamps.len() - 1]));
    match checks.iter().find_map(|(_, p)| p.clone()) {
        Some(p) => Err(p),
        None => Ok(pass(format!(
            "inside {} in all {} zones of {country}",
            window_of(window, zones[0], ctx.now),
            zones.len()
        ))),
    }
}

/// The window that applies now in `zone`, for messages.
fn window_of(window: &dyn Fn(Weekday) -> Option<Hours>, zone: Tz, now: DateTime<Utc>) -> String {
    match window(crate::tzdb::db().at(zone, now).weekday()) {
        Some(h) => h.to_string(),
        None => "no window".into(),
    }
}

fn quiet_hours(cart: &Cart, ctx: &Ctx<'_>, facts: &mut Facts) -> Verdict {
    let all = ctx.rules.multi_zone == MultiZone::All;
    let zone = recipient_zone(
        cart.timezone,
        cart.country.as_deref(),
        facts.valid_phone(),
        ctx.store.timezone,
        all,
    );
    let country = country_key(facts, cart);
    let (state_rule, country_rule) = country_rule(ctx, country.as_deref(), facts);
    let window = |day: Weekday| window_on(state_rule, country_rule, ctx.rules.hours, day);
    let day_rule = country_rule.or(state_rule);
    let verdict = match &zone {
        RecipientZone::One { zone: tz, why } => {
            let (stamp, problem) = allowed_in(*tz, ctx.now, &window, day_rule, country.as_deref());
            facts.local_time = Some(stamp.clone());
            match problem {
                Some(p) => fail(format!("{p} ({why})")),
                None => pass(format!(
                    "{stamp} in {} is inside {} ({why})",
                    tz.name(),
                    window_of(&window, *tz, ctx.now)
                )),
            }
        }
        RecipientZone::All { country: c, zones } => every_zone(
            ctx, &window, day_rule, c, zones, facts,
        )
        .unwrap_or_else(|p| {
            fail(format!(
                "{p}; no zone known for this {c} number, so every {} zones of {c} must allow it",
                zones.len()
            ))
        }),
        RecipientZone::Prefix { country: c, zones } => every_zone(
            ctx, &window, day_rule, c, zones, facts,
        )
        .unwrap_or_else(|p| {
            fail(format!(
                "{p}; the number's prefix places it in {}, and each must allow it (phone prefix)",
                zones
                    .iter()
                    .map(|z| z.name())
                    .collect::<Vec<_>>()
                    .join(" or ")
            ))
        }),
    };
    facts.zone = Some(zone);
    verdict
}

fn empty_message(cart: &Cart, ctx: &Ctx<'_>, facts: &mut Facts) -> Verdict {
    let rendered = facts
        .message
        .get_or_insert_with(|| crate::message::render(cart, ctx.message, &ctx.store.name));
    if rendered.blank {
        fail("the template renders to nothing for this cart; give it text besides variables")
    } else {
        pass("the template renders to text")
    }
}

fn message_too_long(cart: &Cart, ctx: &Ctx<'_>, facts: &mut Facts) -> Verdict {
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
        pass(format!(
            "{} {} units = {} segment(s)",
            c.encoding, c.units, c.segments
        ))
    }
}

/// Deterministic: the same cart is in or out of the control group on every run and machine.
pub fn holdout_bucket(salt: &str, cart_id: &str) -> u32 {
    let digest = Sha256::digest(format!("{salt}:{cart_id}").as_bytes());
    let n = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
    (n % 10_000) as u32
}

fn holdout(cart: &Cart, ctx: &Ctx<'_>) -> Verdict {
    let pct = ctx.rules.holdout_percent;
    if pct == 0 {
        return pass("no holdout group");
    }
    let bucket = holdout_bucket(&ctx.rules.holdout_salt, &cart.cart_id);
    if bucket < pct * 100 {
        fail(format!(
            "in the {pct}% control group (bucket {bucket}/10000)"
        ))
    } else {
        pass(format!("not in the {pct}% control group"))
    }
}

fn human(d: chrono::Duration) -> String {
    let m = d.num_minutes();
    if m % (24 * 60) == 0 {
        format!("{}d", m / (24 * 60))
    } else if m % 60 == 0 {
        format!("{}h", m / 60)
    } else {
        format!("{m}m")
    }
}
