//! Local rules as they stand: holiday calendars for every country that asks for them, Texas's
//! Sunday window, Connecticut's 9 a.m., and config errors instead of silently ignored options.

use crate::shop::{Shop, cart};

fn de_cart() -> crate::shop::Cart {
    cart("de")
        .set("phone", "+4915123460216")
        .set("country", "DE")
        .set("timezone", "Europe/Berlin")
        .set("currency", "EUR")
        .set("total", "100")
        .set("updated_at", "2026-04-30T20:00:00Z")
}

#[test]
fn a_german_cart_is_deferred_on_labour_day_when_holidays_are_off() {
    let shop = Shop::with(
        &[de_cart()],
        "",
        "",
        "[rules.country.DE]\nno_public_holidays = true",
    );
    // Friday 1 May 2026, 12:00 in Berlin.
    let (decision, reason) = shop.decision_of("2026-05-01T10:00:00Z", "de");
    assert_eq!(
        (decision.as_str(), reason.as_str()),
        ("deferred", "quiet_hours")
    );
    let r = shop.run("2026-05-01T10:00:00Z", &["scan", "--explain", "de"]);
    assert!(
        r.stdout().contains("public holiday 2026-05-01"),
        "{}",
        r.show()
    );
    // The next day is an ordinary Saturday.
    let shop2 = Shop::with(
        &[de_cart().set("updated_at", "2026-05-01T20:00:00Z")],
        "",
        "",
        "[rules.country.DE]\nno_public_holidays = true",
    );
    assert_eq!(
        shop2.decision_of("2026-05-02T10:00:00Z", "de").0,
        "would_send"
    );
}

#[test]
fn no_public_holidays_for_a_country_without_a_calendar_is_a_config_error() {
    let shop = Shop::with(
        &[cart("a")],
        "",
        "",
        "[rules.country.MN]\nno_public_holidays = true",
    );
    let r = shop.run("2026-05-01T10:00:00Z", &["check"]);
    r.expect_code(2);
    assert!(
        r.stderr().contains("country.MN") && r.stderr().contains("no holiday calendar"),
        "{}",
        r.show()
    );
    // Listing the dates makes it work.
    let shop = Shop::with(
        &[cart("a")],
        "",
        "",
        "[rules.country.MN]\nno_public_holidays = true\nholidays = [\"2026-07-11\"]",
    );
    shop.run("2026-05-01T10:00:00Z", &["check"]).expect_code(0);
    let shop = Shop::with(
        &[cart("a")],
        "",
        "",
        "[rules.country.UK]\nno_sundays = true",
    );
    let r = shop.run("2026-05-01T10:00:00Z", &["check"]);
    r.expect_code(2);
    assert!(
        r.stderr().contains("the United Kingdom is GB"),
        "{}",
        r.show()
    );
}

fn us_cart(id: &str, phone: &str, zone: &str) -> crate::shop::Cart {
    cart(id)
        .set("phone", phone)
        .set("timezone", zone)
        .set("currency", "USD")
        .set("total", "100")
        .set("updated_at", "2026-11-22T16:00:00Z")
}

#[test]
fn texas_numbers_wait_for_noon_on_sunday_and_connecticut_for_nine() {
    // A Dallas number (area code 214) and a New Haven one (203).
    let carts = [
        us_cart("tx", "+12142345678", "America/Chicago"),
        us_cart("ct", "+12032345678", "America/New_York"),
        us_cart("ny", "+12122345678", "America/New_York"),
    ];
    let shop = Shop::new(&carts);
    // Sunday 22 Nov 2026, 11:30 in Dallas (17:30Z), 12:30 in New York.
    let at = "2026-11-22T17:30:00Z";
    assert_eq!(
        shop.decision_of(at, "tx"),
        ("deferred".into(), "quiet_hours".into())
    );
    assert_eq!(shop.decision_of(at, "ny").0, "would_send");
    // 12:05 in Dallas.
    assert_eq!(
        shop.decision_of("2026-11-22T18:05:00Z", "tx").0,
        "would_send"
    );
    // Monday 23 Nov, 08:30 in New Haven: federal law allows it, Connecticut does not.
    let at = "2026-11-23T13:30:00Z";
    assert_eq!(
        shop.decision_of(at, "ct"),
        ("deferred".into(), "quiet_hours".into())
    );
    assert_eq!(shop.decision_of(at, "ny").0, "would_send");
    assert_eq!(
        shop.decision_of("2026-11-23T14:00:00Z", "ct").0,
        "would_send"
    );
}

#[test]
fn per_weekday_windows_can_be_configured() {
    let carts = [cart("fr")
        .set("phone", "+33612345678")
        .set("country", "FR")
        .set("timezone", "Europe/Paris")
        .set("currency", "EUR")
        .set("total", "100")
        .set("updated_at", "2026-11-20T08:00:00Z")];
    let shop = Shop::with(
        &carts,
        "",
        "",
        "[rules.country.FR]\nhours_by_weekday = { sat = \"10:00-12:00\" }",
    );
    // Saturday 21 Nov 2026: 11:00 in Paris is inside, 13:00 outside.
    assert_eq!(
        shop.decision_of("2026-11-21T10:00:00Z", "fr").0,
        "would_send"
    );
    assert_eq!(shop.decision_of("2026-11-21T12:00:00Z", "fr").0, "deferred");
}

#[test]
fn a_newer_host_tz_database_is_used_for_local_time() {
    let vancouver = cart("bc")
        .set("phone", "+16045550123")
        .set("timezone", "America/Vancouver")
        .set("currency", "USD")
        .set("total", "100")
        .set("updated_at", "2026-11-23T12:00:00Z");
    let mut shop = Shop::new(&[vancouver]);
    // tzdata 2026f (the fixture): Vancouver stays on UTC-7, so 16:30Z is 09:30 there.
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/zoneinfo");
    shop.env.var("TZDIR", fixture.to_str().unwrap());
    let r = shop.run("2026-11-23T16:30:00Z", &["scan", "--format", "json"]);
    assert!(
        r.stdout()
            .contains("\"recipient_local_time\":\"2026-11-23T09:30:00-07:00\""),
        "{}",
        r.show()
    );
    let r = shop.run("2026-11-23T16:30:00Z", &["check"]);
    assert!(
        r.stdout().contains("tzdata     2026f (host"),
        "{}",
        r.show()
    );
    // An older host database is ignored: the compiled data says 08:30 PST, outside 09:00-20:00.
    let old = tempfile::tempdir().unwrap();
    std::fs::write(old.path().join("tzdata.zi"), "# version 2019a\n").unwrap();
    shop.env.var("TZDIR", old.path().to_str().unwrap());
    let r = shop.run("2026-11-23T16:30:00Z", &["scan", "--format", "json"]);
    assert!(
        r.stdout()
            .contains("\"recipient_local_time\":\"2026-11-23T08:30:00-08:00\""),
        "{}",
        r.show()
    );
}
