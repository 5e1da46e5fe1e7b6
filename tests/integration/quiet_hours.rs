//! Quiet hours in the recipient's local time: New York (US 08:00–21:00) and Paris (FR 08:00–20:00,
//! no Sundays or public holidays) on both sides of both DST changes, a US number with no zone (every
//! US zone must allow it), and Russia (eleven zones).

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
const FR: &str = "+33612345678";

#[test]
fn new_york_across_spring_forward() {
    let ny = |now| allowed("America/New_York", "", NY, "USD", now);
    // Saturday 2026-03-07, EST (UTC−5): 08:00 local = 13:00Z.
    assert!(!ny("2026-03-07T12:59:00Z"));
    assert!(ny("2026-03-07T13:00:00Z"));
    // Monday 2026-03-09, EDT (UTC−4): 08:00 local = 12:00Z; the same 12:00Z was 07:00 on Saturday.
    assert!(!ny("2026-03-09T11:59:00Z"));
    assert!(ny("2026-03-09T12:00:00Z"));
    // Evening edge, 21:00 exclusive: 00:59Z / 01:00Z next day in EDT.
    assert!(ny("2026-03-10T00:59:00Z"));
    assert!(!ny("2026-03-10T01:00:00Z"));
}

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
    // Saturday 2026-10-24, CEST: 19:59 local = 17:59Z.
    assert!(paris("2026-10-24T17:59:00Z"));
    assert!(!paris("2026-10-24T18:00:00Z"));
    // Monday 2026-10-26, CET: 19:59 local = 18:59Z.
    assert!(paris("2026-10-26T18:59:00Z"));
    assert!(!paris("2026-10-26T19:00:00Z"));
    // Armistice Day, Wednesday 2026-11-11, at 11:00 local; the Thursday after is fine.
    assert!(!paris("2026-11-11T10:00:00Z"));
    assert!(paris("2026-11-12T10:00:00Z"));
}

#[test]
fn a_us_number_without_zone_is_judged_where_its_area_code_is() {
    // A New York area code: 09:00 in New York is allowed, though it is 04:00 in Honolulu.
    let ny = |now| allowed("", "", NY, "USD", now);
    assert!(ny("2026-11-23T14:00:00Z"));
    assert!(!ny("2026-11-23T12:59:00Z"));
    // 01:59Z: 20:59 in New York, still allowed; 02:00Z is 21:00 there.
    assert!(ny("2026-11-24T01:59:00Z"));
    assert!(!ny("2026-11-24T02:00:00Z"));
    // An Alaska number (907) must fit both zones its prefix names, Anchorage and Adak:
    // 18:00Z is 09:00 in Anchorage but 08:00 in Adak, both allowed; 17:30Z is 07:30 in Adak.
    let ak = |now| allowed("", "", "+19072345678", "USD", now);
    assert!(ak("2026-11-23T18:00:00Z"));
    assert!(!ak("2026-11-23T17:30:00Z"));
    // A zone column always wins over the prefix.
    assert!(allowed(
        "America/Los_Angeles",
        "",
        NY,
        "USD",
        "2026-11-23T17:00:00Z"
    ));
    assert!(!allowed(
        "America/Los_Angeles",
        "",
        NY,
        "USD",
        "2026-11-23T14:00:00Z"
    ));
}

#[test]
fn russia_without_zone_has_only_the_hour_all_eleven_zones_share() {
    let ru = |now| allowed("", "", "+79123456789", "RUB", now);
    // Kaliningrad (UTC+2) reaches 09:00 at 07:00Z; Kamchatka (UTC+12) reaches 20:00 at 08:00Z.
    assert!(!ru("2026-11-23T06:59:00Z"));
    assert!(ru("2026-11-23T07:00:00Z"));
    assert!(ru("2026-11-23T07:59:00Z"));
    assert!(!ru("2026-11-23T08:00:00Z"));
    // With the customer's zone, the normal window: Yekaterinburg is UTC+5.
    let yekb = |now| allowed("Asia/Yekaterinburg", "RU", "+79123456789", "RUB", now);
    assert!(yekb("2026-11-23T04:00:00Z"));
    assert!(yekb("2026-11-23T14:59:00Z"));
    assert!(!yekb("2026-11-23T15:00:00Z"));
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
