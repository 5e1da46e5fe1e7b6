//! After a crash or a full audit disk: every message that may have reached the gateway gets
//! exactly one audit row, written by the run that finds it missing, and never twice.

use crate::shop::{NOW, Shop, cart, nudge_sql};

/// The rows of `day`'s audit for one cart: (run_id, decision, reason).
fn audit_of(shop: &Shop, day: &str, cart_id: &str) -> Vec<(String, String, String)> {
    shop.audit(day)
        .into_iter()
        .filter(|r| r[3] == cart_id)
        .map(|r| (r[0].clone(), r[6].clone(), r[7].clone()))
        .collect()
}

#[test]
fn a_recovered_claim_gets_one_unknown_audit_row_from_the_next_run() {
    let shop = Shop::new(&[cart("fresh").set("phone", "+79120000002")]);
    // A run claimed `crashed`, called the gateway and was killed before recording the answer.
    shop.seed_ledger(&format!(
        "{} UPDATE nudges SET audited = 0, run_id = 'killed-run' WHERE cart_id = 'crashed';",
        nudge_sql("crashed", "+79120000001", "claimed", "2026-11-22T11:50:00Z")
    ));
    let r = shop.run(NOW, &["send"]);
    r.expect_code(0);
    assert!(
        r.stderr()
            .contains("wrote 1 audit row(s) an interrupted run owed"),
        "{}",
        r.show()
    );
    assert_eq!(
        audit_of(&shop, "2026-11-22", "crashed"),
        vec![(
            "killed-run".to_string(),
            "unknown".to_string(),
            "interrupted_run".to_string()
        )]
    );
    assert_eq!(
        shop.ledger("SELECT status, audited FROM nudges WHERE cart_id = 'crashed'"),
        vec![vec!["unknown".to_string(), "1".into()]]
    );
    // The next run owes nothing and writes nothing more for it.
    let r = shop.run("2026-11-22T12:10:00Z", &["send"]);
    r.expect_code(0);
    assert!(!r.stderr().contains("owed"), "{}", r.show());
    assert_eq!(audit_of(&shop, "2026-11-22", "crashed").len(), 1);
}

#[test]
fn a_sent_message_whose_audit_row_was_lost_is_audited_by_the_next_run() {
    let shop = Shop::new(&[]);
    shop.seed_ledger(&format!(
        "{} UPDATE nudges SET audited = 0, run_id = 'full-disk', provider_id = 'SM1', \
         sent_at = '2026-11-22T11:50:01Z', text = 'Anna, your cart', segments = 1, encoding = 'GSM-7' \
         WHERE cart_id = 'sent-unaudited';",
        nudge_sql(
            "sent-unaudited",
            "+79120000003",
            "sent",
            "2026-11-22T11:50:00Z"
        )
    ));
    shop.run(NOW, &["send"]).expect_code(0);
    let rows: Vec<Vec<String>> = shop
        .audit("2026-11-22")
        .into_iter()
        .filter(|r| r[3] == "sent-unaudited")
        .collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    let r = &rows[0];
    assert_eq!(
        (
            r[0].as_str(),
            r[1].as_str(),
            r[6].as_str(),
            r[7].as_str(),
            r[9].as_str(),
            r[18].as_str()
        ),
        (
            "full-disk",
            "2026-11-22T11:50:01Z",
            "sent",
            "",
            "SM1",
            "Anna, your cart"
        )
    );
}

#[test]
fn a_row_already_in_the_audit_is_not_written_twice() {
    let shop = Shop::new(&[]);
    // Killed after the audit fsync, before the ledger marked the row audited.
    shop.seed_ledger(&format!(
        "{} UPDATE nudges SET audited = 0, run_id = 'r1', sent_at = '2026-11-22T11:50:01Z' WHERE cart_id = 'c1';",
        nudge_sql("c1", "+79120000004", "sent", "2026-11-22T11:50:00Z")
    ));
    let header = "run_id,at,mode,cart_id,customer_id,phone,decision,reason,gateway,provider_message_id,encoding,segments,est_cost,cost_currency,cart_total,cart_currency,recipient_local_time,consent_at,message\n";
    shop.env.write(
        "audit/2026-11-22.csv",
        format!("{header}r1,2026-11-22T11:50:01Z,live,c1,,+7912*****04,sent,,stub,,,,,,5000.00,RUB,,,hi\n"),
    );
    let r = shop.run(NOW, &["send"]);
    r.expect_code(0);
    assert_eq!(audit_of(&shop, "2026-11-22", "c1").len(), 1, "{}", r.show());
    assert_eq!(
        shop.ledger("SELECT audited FROM nudges WHERE cart_id = 'c1'"),
        vec![vec!["1".to_string()]]
    );
}

#[test]
fn a_run_killed_while_creating_the_ledger_leaves_none_and_the_next_run_creates_it() {
    let shop = Shop::new(&[cart("fresh").set("phone", "+79120000002")]);
    // What a kill during the first run's schema creation leaves: a half-made `.new` file with
    // its journal, and no ledger (never an empty `cartnudge.db`, which is refused as truncated).
    shop.env.write("cartnudge.db.new", "");
    shop.env.write("cartnudge.db.new-journal", "torn");
    let r = shop.run(NOW, &["send"]);
    r.expect_code(0);
    assert_eq!(shop.called_carts(), vec!["fresh".to_string()]);
    assert_eq!(
        shop.ledger("SELECT cart_id, status FROM nudges"),
        vec![vec!["fresh".to_string(), "sent".to_string()]]
    );
    assert!(
        !shop.env.exists("cartnudge.db.new"),
        "the half-made ledger is removed"
    );
    assert!(!shop.env.exists("cartnudge.db.new-journal"));
}
