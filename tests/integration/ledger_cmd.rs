//! `cartnudge ledger`: see why a send is unknown, re-queue a cart a person verified never went
//! out (with an audit row), and edit the opt-out list — without sqlite3.

use crate::shop::{NOW, Shop, cart, nudge_sql};

fn seeded() -> Shop {
    let shop = Shop::new(&[cart("lost").set("phone", "+79120000001")]);
    shop.seed_ledger(&format!(
        "{} UPDATE nudges SET status = 'unknown', error_code = 'timeout', error_text = 'timed out after the request was sent' WHERE cart_id = 'lost';",
        nudge_sql("lost", "+79120000001", "claimed", "2026-11-22T10:00:00Z")
    ));
    shop
}

#[test]
fn list_and_show_explain_an_unknown_send() {
    let shop = seeded();
    let r = shop.run(NOW, &["ledger", "list", "--status", "unknown"]);
    r.expect_code(0);
    assert!(
        r.stdout().contains("lost")
            && r.stdout().contains("unknown")
            && r.stdout()
                .contains("timeout: timed out after the request was sent")
            && r.stdout().contains("+7912*****01")
            && r.stdout().contains("1 row(s)"),
        "{}",
        r.show()
    );
    let r = shop.run(NOW, &["ledger", "list", "--status", "sent"]);
    assert!(r.stdout().contains("0 row(s)"), "{}", r.show());
    let r = shop.run(NOW, &["ledger", "show", "lost"]);
    r.expect_code(0);
    assert!(
        r.stdout().contains("error_text") && r.stdout().contains("phone not opted out"),
        "{}",
        r.show()
    );
    shop.run(NOW, &["ledger", "show", "nope"]).expect_code(2);
}

#[test]
fn requeue_needs_yes_writes_an_audit_row_and_makes_the_cart_eligible() {
    let mut shop = seeded();
    shop.env.var("USER", "alice");
    let r = shop.run(NOW, &["ledger", "requeue", "lost"]);
    r.expect_code(2);
    assert!(r.stderr().contains("--yes"), "{}", r.show());
    assert_eq!(shop.ledger("SELECT status FROM nudges").len(), 1);
    shop.run(NOW, &["ledger", "requeue", "lost", "--yes"])
        .expect_code(0);
    assert!(shop.ledger("SELECT status FROM nudges").is_empty());
    let audit = shop.audit("2026-11-22");
    let row = audit.iter().find(|r| r[3] == "lost").expect("audit row");
    assert_eq!(
        (row[2].as_str(), row[6].as_str(), row[7].as_str()),
        (
            "manual",
            "requeued",
            "requeued by alice (was unknown, timeout)"
        )
    );
    shop.run(NOW, &["send"]).expect_code(0);
    assert_eq!(shop.called_carts(), vec!["lost"]);
    // A sent cart is never re-queued.
    let r = shop.run(NOW, &["ledger", "requeue", "lost", "--yes"]);
    r.expect_code(2);
    assert!(r.stderr().contains("is `sent`"), "{}", r.show());
}

#[test]
fn optouts_are_added_listed_and_removed() {
    let shop = seeded();
    shop.run(NOW, &["ledger", "optout", "add", "8 912 000-00-02"])
        .expect_code(0);
    let r = shop.run(NOW, &["ledger", "optout", "list"]);
    assert!(
        r.stdout().contains("+7912*****02") && r.stdout().contains("1 opted-out number(s)"),
        "{}",
        r.show()
    );
    shop.run(NOW, &["ledger", "optout", "remove", "+79120000002"])
        .expect_code(0);
    let r = shop.run(NOW, &["ledger", "optout", "remove", "+79120000002"]);
    r.expect_code(2);
    let r = shop.run(NOW, &["ledger", "optout", "list"]);
    assert!(r.stdout().contains("0 opted-out"), "{}", r.show());
}

#[test]
fn ledger_commands_wait_for_no_one_but_respect_the_lock() {
    let shop = seeded();
    let lock = std::fs::File::create(shop.env.path("cartnudge.db.lock")).unwrap();
    lock.try_lock().unwrap();
    shop.run(NOW, &["ledger", "list"]).expect_code(75);
}
