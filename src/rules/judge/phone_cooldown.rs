//! Phone cooldown: a reminder to this number within `cooldown`, or the state's daily cap (permanent).

use super::quiet_hours::country_rule;
use super::{fail, human, pass};
use crate::model::utc_string;
use crate::rules::{Ctx, Facts, Verdict};

pub(crate) fn phone_cooldown(ctx: &Ctx<'_>, facts: &Facts) -> Verdict {
    let Some(p) = facts.valid_phone() else {
        return Verdict::NotApplicable("no valid phone".into());
    };
    let sends = ctx.ledger.phone_sends(p.e164.as_str(), ctx.now);
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

#[cfg(test)]
mod tests {
    use crate::model::Reason;
    use crate::rules::testing::{World, cart, minutes};

    #[test]
    fn exactly_the_cooldown_ago_passes_a_minute_less_fails() {
        let mut w = World::new("2026-11-22T12:00:00Z", "cooldown = \"7d\"");
        let phone = "+79123456789".to_string();
        w.ledger
            .insert_send(&phone, w.now - chrono::Duration::days(7));
        assert!(w.passes(Reason::PhoneCooldown, &cart("a")));
        w.ledger
            .insert_send(&phone, w.now - chrono::Duration::days(7) + minutes(1));
        assert!(!w.passes(Reason::PhoneCooldown, &cart("a")));
    }

    #[test]
    fn florida_numbers_get_three_a_day() {
        let mut w = World::new("2026-11-22T17:00:00Z", "cooldown = \"1m\"");
        let mut c = cart("fl");
        c.phone = Some("+13055550123".into());
        c.total.currency = crate::model::Currency::parse("USD").unwrap();
        c.total.minor = 10_000;
        let sends: Vec<_> = (1..=3)
            .map(|h| w.now - chrono::Duration::hours(h))
            .collect();
        for t in &sends[..2] {
            w.ledger.insert_send("+13055550123", *t);
        }
        assert!(w.passes(Reason::PhoneCooldown, &c));
        w.ledger.insert_send("+13055550123", sends[2]);
        assert!(!w.passes(Reason::PhoneCooldown, &c));
    }
}
