//! Each rule: one cart that fails for exactly that reason next to one that passes, so a test breaks
//! if the rule is removed (the failing cart would otherwise be sent).

use crate::shop::{NOW, Shop, cart, nudge_sql};

fn expect(shop: &Shop, now: &str, expected: &[(&str, &str, &str)]) {
    let got = shop.scan(now);
    for (id, decision, reason) in expected {
        let found = got
            .iter()
            .find(|(c, _, _)| c == id)
            .unwrap_or_else(|| panic!("cart {id} missing from scan: {got:?}"));
        assert_eq!(
            (found.1.as_str(), found.2.as_str()),
            (*decision, *reason),
            "cart {id}; all: {got:?}"
        );
    }
}

#[test]
fn each_cheap_rule_fails_its_cart_and_passes_the_control() {
    let shop = Shop::new(&[
        cart("ok").set("phone", "+79120000001"),
        cart("ordered")
            .set("phone", "+79120000002")
            .set("status", "ordered"),
        cart("empty")
            .set("phone", "+79120000003")
            .set("items_count", "0"),
        cart("zero").set("phone", "+79120000004").set("total", "0"),
        cart("fresh")
            .set("phone", "+79120000005")
            .set("updated_at", "2026-11-22T11:01:00Z"),
        cart("old")
            .set("phone", "+79120000006")
            .set("updated_at", "2026-11-20T11:59:00Z"),
        cart("noconsent")
            .set("phone", "+79120000007")
            .set("consent", "0"),
        cart("cheap")
            .set("phone", "+79120000008")
            .set("total", "2999.99"),
        cart("badphone").set("phone", "12345"),
        cart("long")
            .set("phone", "+79120000009")
            .set("name", &"Anna".repeat(40)),
    ]);
    expect(
        &shop,
        NOW,
        &[
            ("ok", "would_send", ""),
            ("ordered", "skipped", "not_abandoned"),
            ("empty", "skipped", "not_abandoned"),
            ("zero", "skipped", "not_abandoned"),
            ("fresh", "deferred", "too_fresh"),
            ("old", "skipped", "too_old"),
            ("noconsent", "skipped", "no_consent"),
            ("cheap", "skipped", "below_min_value"),
            ("badphone", "skipped", "bad_phone"),
            ("long", "skipped", "message_too_long"),
        ],
    );
}

#[test]
fn window_edges_are_exact() {
    // min_delay 60m and max_age 48h, measured from last activity to --now.
    let shop = Shop::new(&[
        cart("sixty")
            .set("phone", "+79120000001")
            .set("updated_at", "2026-11-22T11:00:00Z"),
        cart("fiftynine")
            .set("phone", "+79120000002")
            .set("updated_at", "2026-11-22T11:00:01Z"),
        cart("fortyeight")
            .set("phone", "+79120000003")
            .set("updated_at", "2026-11-20T12:00:00Z"),
    ]);
    expect(
        &shop,
        NOW,
        &[
            ("sixty", "would_send", ""),
            ("fiftynine", "deferred", "too_fresh"),
            ("fortyeight", "would_send", ""),
        ],
    );
}

#[test]
fn ledger_rules_opted_out_already_nudged_and_cooldown() {
    let shop = Shop::new(&[
        cart("ok").set("phone", "+79120000001"),
        cart("optout").set("phone", "+79120000002"),
        cart("nudged").set("phone", "+79120000003"),
        cart("cool").set("phone", "+79120000004"),
        cart("warm").set("phone", "+79120000005"),
    ]);
    shop.seed_ledger(&format!(
        "INSERT INTO optouts (phone, at, source) VALUES ('+79120000002', '2026-11-01T00:00:00Z', 'import:test');\n{}\n{}\n{}",
        nudge_sql("nudged", "+79990000000", "failed", "2026-11-21T10:00:00Z"),
        nudge_sql("other-cart", "+79120000004", "sent", "2026-11-18T12:00:00Z"),
        nudge_sql("older-cart", "+79120000005", "sent", "2026-11-15T11:59:00Z"),
    ));
    expect(
        &shop,
        NOW,
        &[
            ("ok", "would_send", ""),
            ("optout", "skipped", "opted_out"),
            ("nudged", "skipped", "already_nudged"),
            ("cool", "skipped", "phone_cooldown"),
            ("warm", "would_send", ""),
        ],
    );
}

#[test]
fn ordered_since_matches_cart_customer_phone_and_email() {
    let shop = Shop::with(
        &[
            cart("ok")
                .set("phone", "+79120000001")
                .set("customer_id", "c-ok")
                .set("email", "ok@example.com"),
            cart("by-cart").set("phone", "+79120000002"),
            cart("by-customer")
                .set("phone", "+79120000003")
                .set("customer_id", "c-7"),
            cart("by-phone").set("phone", "8 912 000-00-04"),
            cart("by-email")
                .set("phone", "+79120000005")
                .set("email", "Bea@Example.com"),
            cart("before")
                .set("phone", "+79120000006")
                .set("customer_id", "c-8"),
        ],
        "",
        "",
        "[orders]\nkind = \"csv\"\npath = \"orders.csv\"\n",
    );
    shop.env.write(
        "orders.csv",
        "order_id,cart_id,customer_id,phone,email,total,currency,created_at\n\
         o1,by-cart,,,,5000,RUB,2026-11-22T10:00:00Z\n\
         o2,,c-7,,,5000,RUB,2026-11-22T09:30:00Z\n\
         o3,,,+79120000004,,5000,RUB,2026-11-22T11:00:00Z\n\
         o4,,,,bea@example.com,5000,RUB,2026-11-22T11:30:00Z\n\
         o5,,c-8,,,5000,RUB,2026-11-21T09:00:00Z\n",
    );
    expect(
        &shop,
        NOW,
        &[
            ("ok", "would_send", ""),
            ("by-cart", "skipped", "ordered_since"),
            ("by-customer", "skipped", "ordered_since"),
            ("by-phone", "skipped", "ordered_since"),
            ("by-email", "skipped", "ordered_since"),
            ("before", "would_send", ""),
        ],
    );
}

#[test]
fn email_first_waits_for_an_unopened_email() {
    let shop = Shop::with(
        &[
            cart("waited").set("phone", "+79120000001"),
            cart("no-email").set("phone", "+79120000002"),
            cart("recent").set("phone", "+79120000003"),
            cart("opened").set("phone", "+79120000004"),
        ],
        "email_first = \"2h\"",
        "",
        "",
    );
    let mut csv = shop
        .env
        .read("carts.csv")
        .replace(",status\n", ",status,email_sent_at,email_opened_at\n");
    csv = csv
        .lines()
        .map(|l| {
            let extra = if l.starts_with("waited") {
                ",2026-11-22T09:30:00Z,"
            } else if l.starts_with("recent") {
                ",2026-11-22T10:30:00Z,"
            } else if l.starts_with("opened") {
                ",2026-11-22T09:30:00Z,2026-11-22T09:40:00Z"
            } else if l.starts_with("cart_id") {
                ""
            } else {
                ",,"
            };
            format!("{l}{extra}\n")
        })
        .collect();
    shop.env.write("carts.csv", csv);
    expect(
        &shop,
        NOW,
        &[
            ("waited", "would_send", ""),
            ("no-email", "deferred", "email_first"),
            ("recent", "deferred", "email_first"),
            ("opened", "deferred", "email_first"),
        ],
    );
}

#[test]
fn phone_cooldown_within_one_run_keeps_the_best_cart() {
    let shop = Shop::new(&[
        cart("small")
            .set("phone", "+79120000001")
            .set("total", "4000"),
        cart("big")
            .set("phone", "8 (912) 000-00-01")
            .set("total", "9000"),
        cart("other").set("phone", "+79120000002"),
    ]);
    expect(
        &shop,
        NOW,
        &[
            ("small", "skipped", "phone_cooldown"),
            ("big", "would_send", ""),
            ("other", "would_send", ""),
        ],
    );
}

#[test]
fn us_florida_numbers_get_at_most_three_a_day() {
    let shop = Shop::with(
        &[
            cart("fl")
                .set("phone", "+13055550100")
                .set("currency", "USD")
                .set("total", "100")
                .set("timezone", "America/New_York"),
            cart("ny")
                .set("phone", "+12125550100")
                .set("currency", "USD")
                .set("total", "100")
                .set("timezone", "America/New_York"),
        ],
        "cooldown = \"1h\"",
        "",
        "",
    );
    let mut seed = String::new();
    for (i, phone) in ["+13055550100", "+12125550100"].iter().enumerate() {
        for h in ["01", "03", "05"] {
            seed.push_str(&nudge_sql(
                &format!("seed-{i}-{h}"),
                phone,
                "sent",
                &format!("2026-11-22T{h}:00:00Z"),
            ));
        }
    }
    shop.seed_ledger(&seed);
    // 15:00Z = 10:00 in New York.
    expect(
        &shop,
        "2026-11-22T15:00:00Z",
        &[
            ("fl", "skipped", "phone_cooldown"),
            ("ny", "would_send", ""),
        ],
    );
}

#[test]
fn holdout_is_deterministic_and_recorded_not_sent() {
    let ids: Vec<String> = (0..40).map(|i| format!("h{i}")).collect();
    let in_group: Vec<&String> = ids
        .iter()
        .filter(|id| cartnudge::rules::judge::holdout_bucket("salt-1", id) < 2000)
        .collect();
    assert!(!in_group.is_empty() && in_group.len() < ids.len());
    let carts: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| cart(id).set("phone", &format!("+7912{:07}", i + 1)))
        .collect();
    let shop = Shop::with(
        &carts,
        "holdout_percent = 20\nholdout_salt = \"salt-1\"",
        "limit = 100",
        "",
    );
    let got = shop.scan(NOW);
    for (id, decision, _) in &got {
        let expected = if in_group.contains(&id) {
            "holdout"
        } else {
            "would_send"
        };
        assert_eq!(decision, expected, "{id}");
    }
    shop.run(NOW, &["send"]).expect_code(0);
    let holdouts =
        shop.ledger("SELECT cart_id FROM nudges WHERE status = 'holdout' ORDER BY cart_id");
    let mut want: Vec<String> = in_group.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(
        holdouts
            .into_iter()
            .map(|r| r[0].clone())
            .collect::<Vec<_>>(),
        want
    );
    let called = shop.called_carts();
    assert!(
        called.iter().all(|c| !in_group.contains(&c)),
        "a holdout cart was sent"
    );
    assert_eq!(called.len(), ids.len() - in_group.len());
}

#[test]
fn over_limit_defers_the_lower_value_carts() {
    let shop = Shop::new(&[
        cart("a").set("phone", "+79120000001").set("total", "4000"),
        cart("b").set("phone", "+79120000002").set("total", "9000"),
        cart("c").set("phone", "+79120000003").set("total", "6000"),
    ]);
    let r = shop.run(NOW, &["scan", "--format", "json", "--limit", "2"]);
    let got = shop.decisions(&r);
    assert_eq!(
        got,
        vec![
            ("a".into(), "deferred".into(), "over_limit".into()),
            ("b".into(), "would_send".into(), "".into()),
            ("c".into(), "would_send".into(), "".into()),
        ]
    );
}

#[test]
fn value_order_compares_currencies_by_their_thresholds_and_oldest_first_is_configurable() {
    // 9000 RUB is 3× its minimum; 150 EUR is 2.5×: RUB first by value, EUR first when older.
    let carts = [
        cart("rub")
            .set("phone", "+79120000001")
            .set("total", "9000")
            .set("updated_at", "2026-11-22T10:00:00Z"),
        cart("eur")
            .set("phone", "+79120000002")
            .set("currency", "EUR")
            .set("total", "150")
            .set("updated_at", "2026-11-22T09:00:00Z"),
    ];
    let shop = Shop::new(&carts);
    shop.run(NOW, &["send"]).expect_code(0);
    assert_eq!(shop.called_carts(), vec!["rub", "eur"]);
    let oldest = Shop::with(&carts, "order_by = \"oldest\"", "", "");
    oldest.run(NOW, &["send"]).expect_code(0);
    assert_eq!(oldest.called_carts(), vec!["eur", "rub"]);
}

#[test]
fn a_currency_without_threshold_stops_before_sending() {
    let shop = Shop::new(&[
        cart("ok").set("phone", "+79120000001"),
        cart("yen")
            .set("phone", "+79120000002")
            .set("currency", "JPY"),
    ]);
    let r = shop.run(NOW, &["send"]);
    r.expect_code(2);
    assert!(
        r.stderr()
            .contains("no minimum cart value for JPY (1 carts)"),
        "{}",
        r.show()
    );
    assert!(shop.calls().is_empty(), "sent despite a config error");
    assert!(shop.ledger("SELECT * FROM nudges").is_empty());
    let check = shop.run(NOW, &["check"]);
    check.expect_code(2);
    assert!(
        check
            .stdout()
            .contains("FAIL  threshold  JPY: 1 carts but no minimum"),
        "{}",
        check.show()
    );
    shop.run(NOW, &["scan"]).expect_code(2);
}
