//! Quiet hours end to end through the binary: New York across the fall-back, and the zone and
//! local time `scan` shows. The instant-by-instant matrix (both DST changes in New York and Paris,
//! Sundays and holidays, zones from phone prefixes, Russia's shared hour, Texas and Connecticut)
//! is in the unit tests of `src/rules/check/quiet_hours.rs`.

use crate::shop::{Shop, cart};

fn verdict(tz: &str, country: &str, phone: &str, currency: &str, now: &str) -> (String, String) {
    // Last activity 3 hours before `now`, so only the clock decides.
    let t = chrono::DateTime::parse_from_rfc3339(now).unwrap() - chrono::Duration::hours(3);
    let updated = t.to_rfc3339();
    let shop = Shop::new(&[cart("c")
        .set("timezone", tz)
        .set("country", country)
        .set("phone", phone)
        .set("currency", currency)
        .set("total", if currency == "RUB" { "5000" } else { "500" })
        .set("updated_at", &updated)]);
    shop.decision_of(now, "c")
}

fn allowed(tz: &str, country: &str, phone: &str, cur: &str, now: &str) -> bool {
    let (d, r) = verdict(tz, country, phone, cur, now);
    match (d.as_str(), r.as_str()) {
        ("would_send", _) => true,
        ("deferred", "quiet_hours") => false,
        other => panic!("unexpected {other:?} at {now}"),
    }
}

const NY: &str = "+12125550100";

#[test]
fn new_york_across_fall_back() {
    let ny = |now| allowed("America/New_York", "", NY, "USD", now);
    // Saturday 2026-10-31, EDT: 08:00 = 12:00Z.
    assert!(ny("2026-10-31T12:00:00Z"));
    // Monday 2026-11-02, EST: 12:00Z is 07:00 local, 13:00Z is 08:00.
    assert!(!ny("2026-11-02T12:00:00Z"));
    assert!(ny("2026-11-02T13:00:00Z"));
    assert!(ny("2026-11-03T01:59:00Z"));
    assert!(!ny("2026-11-03T02:00:00Z"));
}

#[test]
fn scan_shows_the_recipient_zone_and_local_time() {
    let shop = Shop::new(&[cart("c")
        .set("timezone", "America/New_York")
        .set("phone", NY)
        .set("currency", "USD")
        .set("total", "80")]);
    let r = shop.run("2026-11-22T16:00:00Z", &["scan", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(r.stdout().lines().next().unwrap()).unwrap();
    assert_eq!(v["recipient_zone"], "America/New_York");
    assert_eq!(v["recipient_local_time"], "2026-11-22T11:00:00-05:00");
    assert_eq!(v["phone_e164"], NY);
    assert_eq!(v["decision"], "would_send");
    assert_eq!(v["encoding"], "GSM-7");
    assert_eq!(v["segments"], 1);
    assert_eq!(v["message"], "Anna, cart $80: https://s.example/c/c STOP");
    assert!(v["reason"].is_null());
}
