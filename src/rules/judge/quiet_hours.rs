//! Quiet hours: the recipient's local time must be inside the allowed window, per country, US state and weekday, with Sundays and public holidays (a deferral).

use super::{fail, pass_with};
use crate::model::{Cart, LocalTime};
use crate::rules::config::MultiZone;
use crate::rules::hours::{CountryRule, Hours, is_holiday, is_sunday, window_on};
use crate::rules::phone::strict_us_state;
use crate::rules::zones::{RecipientZone, recipient_zone};
use crate::rules::{Ctx, Facts, Verdict};
use chrono::{DateTime, Datelike, FixedOffset, Timelike, Utc, Weekday};
use chrono_tz::Tz;

pub(crate) fn country_key(facts: &Facts, cart: &Cart) -> Option<String> {
    cart.country
        .clone()
        .or_else(|| facts.valid_phone().and_then(|p| p.region.clone()))
}

/// The state rule for a US number in a stricter state, else the country's rule.
pub(crate) fn country_rule<'s>(
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

/// Checks one zone; returns the local time and why it is not allowed, if it is not.
pub(crate) fn allowed_in(
    zone: Tz,
    now: DateTime<Utc>,
    window: &dyn Fn(Weekday) -> Option<Hours>,
    rule: Option<&CountryRule>,
    country: Option<&str>,
) -> (DateTime<FixedOffset>, Option<String>) {
    let local = crate::tzdb::db().at(zone, now);
    let stamp = local;
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
pub(crate) fn every_zone(
    ctx: &Ctx<'_>,
    window: &dyn Fn(Weekday) -> Option<Hours>,
    day_rule: Option<&CountryRule>,
    country: &str,
    zones: &[Tz],
    facts: &mut Facts,
) -> Result<Verdict, String> {
    let checks: Vec<(DateTime<FixedOffset>, Option<String>)> = zones
        .iter()
        .map(|z| allowed_in(*z, ctx.now, window, day_rule, Some(country)))
        .collect();
    facts.local_time = LocalTime::range(checks.iter().map(|(t, _)| *t).collect());
    match checks.iter().find_map(|(_, p)| p.clone()) {
        Some(p) => Err(p),
        None => Ok(pass_with(ctx, || {
            format!(
                "inside {} in all {} zones of {country}",
                window_of(window, zones[0], ctx.now),
                zones.len()
            )
        })),
    }
}

/// The window that applies now in `zone`, for messages.
pub(crate) fn window_of(
    window: &dyn Fn(Weekday) -> Option<Hours>,
    zone: Tz,
    now: DateTime<Utc>,
) -> String {
    match window(crate::tzdb::db().at(zone, now).weekday()) {
        Some(h) => h.to_string(),
        None => "no window".into(),
    }
}

pub(crate) fn quiet_hours(cart: &Cart, ctx: &Ctx<'_>, facts: &mut Facts) -> Verdict {
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
            facts.local_time = Some(LocalTime::At(stamp));
            match problem {
                Some(p) => fail(format!("{p} ({why})")),
                None => pass_with(ctx, || {
                    format!(
                        "{} in {} is inside {} ({why})",
                        LocalTime::At(stamp),
                        tz.name(),
                        window_of(&window, *tz, ctx.now)
                    )
                }),
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

#[cfg(test)]
mod tests {
    use crate::model::{Currency, Reason};
    use crate::rules::testing::{World, cart};

    /// Whether a cart (last active 3 h before `now`) may be texted at `now`.
    fn allowed(zone: &str, country: &str, phone: &str, cur: &str, now: &str) -> bool {
        let w = World::new(now, "");
        let mut c = cart("c");
        c.timezone = (!zone.is_empty()).then(|| zone.parse().unwrap());
        c.country = (!country.is_empty()).then(|| country.to_string());
        c.phone = Some(phone.into());
        c.total.currency = Currency::parse(cur).unwrap();
        c.updated_at = w.now - chrono::Duration::hours(3);
        w.passes(Reason::QuietHours, &c)
    }

    const NY: &str = "+12125550100";
    const FR: &str = "+33612345678";
    const RU: &str = "+79123456789";

    #[test]
    fn new_york_across_spring_forward_and_fall_back() {
        let ny = |now| allowed("America/New_York", "", NY, "USD", now);
        // Saturday 2026-03-07, EST (UTC−5): 08:00 local = 13:00Z.
        assert!(!ny("2026-03-07T12:59:00Z"));
        assert!(ny("2026-03-07T13:00:00Z"));
        // Monday 2026-03-09, EDT (UTC−4): 08:00 local = 12:00Z.
        assert!(!ny("2026-03-09T11:59:00Z"));
        assert!(ny("2026-03-09T12:00:00Z"));
        // 21:00 is exclusive: 00:59Z / 01:00Z the next day in EDT.
        assert!(ny("2026-03-10T00:59:00Z"));
        assert!(!ny("2026-03-10T01:00:00Z"));
        // Saturday 2026-10-31, EDT: 08:00 = 12:00Z; Monday 2026-11-02, EST: 08:00 = 13:00Z.
        assert!(ny("2026-10-31T12:00:00Z"));
        assert!(!ny("2026-11-02T12:00:00Z"));
        assert!(ny("2026-11-02T13:00:00Z"));
        assert!(ny("2026-11-03T01:59:00Z"));
        assert!(!ny("2026-11-03T02:00:00Z"));
    }

    #[test]
    fn paris_across_both_changes_and_sundays_and_holidays() {
        let paris = |now| allowed("Europe/Paris", "FR", FR, "EUR", now);
        // Saturday 2026-03-28, CET (UTC+1): 08:00 = 07:00Z.
        assert!(!paris("2026-03-28T06:59:00Z"));
        assert!(paris("2026-03-28T07:00:00Z"));
        // Sunday 2026-03-29, the change itself: no Sunday texts in France.
        assert!(!paris("2026-03-29T10:00:00Z"));
        // Monday 2026-03-30, CEST (UTC+2): 08:00 = 06:00Z; 20:00 = 18:00Z (exclusive).
        assert!(!paris("2026-03-30T05:59:00Z"));
        assert!(paris("2026-03-30T06:00:00Z"));
        assert!(paris("2026-03-30T17:59:00Z"));
        assert!(!paris("2026-03-30T18:00:00Z"));
        // Saturday 2026-10-24 CEST, Monday 2026-10-26 CET: 19:59 local.
        assert!(paris("2026-10-24T17:59:00Z"));
        assert!(!paris("2026-10-24T18:00:00Z"));
        assert!(paris("2026-10-26T18:59:00Z"));
        assert!(!paris("2026-10-26T19:00:00Z"));
        // Armistice Day, Wednesday 2026-11-11; the Thursday after is fine.
        assert!(!paris("2026-11-11T10:00:00Z"));
        assert!(paris("2026-11-12T10:00:00Z"));
    }

    #[test]
    fn a_us_number_without_zone_is_judged_where_its_area_code_is() {
        let ny = |now| allowed("", "", NY, "USD", now);
        // 09:00 in New York is allowed, though it is 04:00 in Honolulu.
        assert!(ny("2026-11-23T14:00:00Z"));
        assert!(!ny("2026-11-23T12:59:00Z"));
        assert!(ny("2026-11-24T01:59:00Z"));
        assert!(!ny("2026-11-24T02:00:00Z"));
        // Alaska (907): Anchorage and Adak must both allow it.
        let ak = |now| allowed("", "", "+19072345678", "USD", now);
        assert!(ak("2026-11-23T18:00:00Z"));
        assert!(!ak("2026-11-23T17:30:00Z"));
    }

    #[test]
    fn russia_without_zone_has_only_the_hour_all_its_zones_share() {
        // 08:00 in Kamchatka (UTC+12) is 20:00Z; 20:00 in Kaliningrad (UTC+2) is 18:00Z: the
        // window every zone allows is 07:00Z-08:00Z (09:00-20:00 local everywhere).
        let ru = |now| allowed("", "", RU, "RUB", now);
        assert!(!ru("2026-11-23T06:59:00Z"));
        assert!(ru("2026-11-23T07:00:00Z"));
        assert!(ru("2026-11-23T07:59:00Z"));
        assert!(!ru("2026-11-23T08:00:00Z"));
        let yekb = |now| allowed("Asia/Yekaterinburg", "RU", RU, "RUB", now);
        assert!(yekb("2026-11-23T04:00:00Z"));
        assert!(yekb("2026-11-23T14:59:00Z"));
        assert!(!yekb("2026-11-23T15:00:00Z"));
    }

    #[test]
    fn texas_sundays_start_at_noon_and_connecticut_days_at_nine() {
        let tx = |now| allowed("", "", "+12142345678", "USD", now);
        assert!(!tx("2026-11-22T17:59:00Z")); // Sunday 11:59 in Dallas
        assert!(tx("2026-11-22T18:00:00Z")); // 12:00
        assert!(tx("2026-11-21T15:00:00Z")); // Saturday 09:00
        let ct = |now| allowed("", "", "+12032345678", "USD", now);
        assert!(!ct("2026-11-23T13:59:00Z")); // Monday 08:59 in New Haven
        assert!(ct("2026-11-23T14:00:00Z"));
        assert!(!ct("2026-11-24T01:00:00Z")); // 20:00
    }
}
