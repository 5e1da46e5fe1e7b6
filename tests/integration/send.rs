//! `send`: at most once across runs and crashes, one run at a time, dry runs that change nothing,
//! exact audit rows, and what each class of gateway answer does to the cart and the batch.

use crate::shop::{NOW, Shop, cart, nudge_sql};
use std::collections::HashSet;

fn dump(shop: &Shop) -> Vec<Vec<String>> {
    let mut rows = shop.ledger("SELECT id, cart_id, phone, status, provider_id, error_code, claimed_at FROM nudges ORDER BY id");
    rows.extend(
        shop.ledger("SELECT phone, at, source, '', '', '', '' FROM optouts ORDER BY phone"),
    );
    rows.extend(shop.ledger(
        "SELECT run_id, command, sent, failed, deferred, skipped, exit_code FROM runs ORDER BY id",
    ));
    rows
}

#[test]
fn two_runs_of_five_send_ten_distinct_carts_and_phones() {
    // 14 eligible carts; two pairs share a phone (one written in a local form).
    let mut carts = Vec::new();
    for i in 0..12 {
        carts.push(
            cart(&format!("c{i:02}"))
                .set("phone", &format!("+7912000{:04}", i))
                .set("total", &format!("{}", 4000 + i * 100)),
        );
    }
    carts.push(
        cart("dup-a")
            .set("phone", "8 912 000-00-01")
            .set("total", "3500"),
    );
    carts.push(
        cart("dup-b")
            .set("phone", "9120000002")
            .set("total", "3600"),
    );
    let shop = Shop::new(&carts);
    let first = shop.run(NOW, &["send", "--limit", "5"]);
    first.expect_code(0);
    assert!(
        first.stdout().starts_with(
            "sent 5, failed 0, deferred 7 (over_limit 7), skipped 2 (phone_cooldown 2)"
        ),
        "{}",
        first.show()
    );
    let second = shop.run("2026-11-22T12:15:00Z", &["send", "--limit", "5"]);
    second.expect_code(0);
    let called = shop.called_carts();
    assert_eq!(called.len(), 10, "{called:?}");
    assert_eq!(
        called.iter().collect::<HashSet<_>>().len(),
        10,
        "a cart was sent twice: {called:?}"
    );
    let phones: Vec<String> = shop
        .calls()
        .iter()
        .map(|c| c["to"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        phones.iter().collect::<HashSet<_>>().len(),
        10,
        "a phone got two texts: {phones:?}"
    );
    // Highest value first: c11..c07 in run 1, c06..c02 in run 2.
    let want: Vec<String> = (2..12).rev().map(|i| format!("c{i:02}")).collect();
    assert_eq!(called, want);
    let sent =
        shop.ledger("SELECT COUNT(*), COUNT(DISTINCT phone) FROM nudges WHERE status = 'sent'");
    assert_eq!(sent, vec![vec!["10".to_string(), "10".to_string()]]);
    let third = shop.run("2026-11-22T12:30:00Z", &["send", "--limit", "5"]);
    third.expect_code(0);
    assert!(third.stdout().starts_with("sent 2,"), "{}", third.show());
    assert_eq!(shop.called_carts().len(), 12);
}

#[test]
fn sends_nothing_twice_after_crash() {
    let shop = Shop::new(&[
        cart("crashed").set("phone", "+79120000001"),
        cart("fresh").set("phone", "+79120000002"),
    ]);
    shop.seed_ledger(&nudge_sql(
        "crashed",
        "+79120000001",
        "claimed",
        "2026-11-22T11:50:00Z",
    ));
    let r = shop.run(NOW, &["send"]);
    r.expect_code(0);
    assert!(
        r.stderr()
            .contains("1 claim(s) left by an interrupted run are now `unknown`"),
        "{}",
        r.show()
    );
    assert_eq!(shop.called_carts(), vec!["fresh"]);
    let rows = shop.ledger("SELECT cart_id, status, error_code FROM nudges ORDER BY cart_id");
    assert_eq!(
        rows,
        vec![
            vec!["crashed".to_string(), "unknown".into(), "crash".into()],
            vec!["fresh".into(), "sent".into(), "".into()]
        ]
    );
    let audit = shop.audit("2026-11-22");
    let crashed = audit
        .iter()
        .find(|r| r[3] == "crashed")
        .expect("audit row for crashed");
    assert_eq!(
        (crashed[6].as_str(), crashed[7].as_str()),
        ("skipped", "already_nudged")
    );
}

#[test]
fn second_run_while_locked_exits_75_and_sends_nothing() {
    let shop = Shop::new(&[cart("a").set("phone", "+79120000001")]);
    let lock = std::fs::File::create(shop.env.path("cartnudge.db.lock")).unwrap();
    lock.try_lock().expect("test takes the lock");
    let r = shop.run(NOW, &["send"]);
    r.expect_code(75);
    assert!(
        r.stderr().contains("another cartnudge run holds the lock"),
        "{}",
        r.show()
    );
    assert!(r.stderr().contains("cartnudge.db.lock"), "{}", r.show());
    assert!(shop.calls().is_empty());
    assert!(
        !shop.env.exists("cartnudge.db"),
        "a locked-out run touched the ledger"
    );
    drop(lock);
    shop.run(NOW, &["send"]).expect_code(0);
    assert_eq!(shop.called_carts(), vec!["a"]);
}

#[test]
fn dry_run_and_scan_change_nothing() {
    let shop = Shop::new(&[
        cart("a").set("phone", "+79120000001"),
        cart("b").set("phone", "+79120000002"),
    ]);
    // With no ledger: none is created.
    shop.run(NOW, &["scan"]).expect_code(0);
    let dry = shop.run(NOW, &["send", "--dry-run"]);
    dry.expect_code(0);
    assert!(
        !shop.env.exists("cartnudge.db"),
        "scan or dry run created a ledger"
    );
    assert!(shop.calls().is_empty(), "dry run called the gateway");
    assert!(dry.stdout().contains("would send 2"), "{}", dry.show());
    let audit = shop.audit("2026-11-22");
    assert_eq!(audit.len(), 3, "{audit:?}");
    assert!(
        audit[1..]
            .iter()
            .all(|r| r[2] == "dry_run" && r[6] == "would_send"),
        "{audit:?}"
    );
    // With a ledger: its bytes do not change.
    shop.seed_ledger(&nudge_sql(
        "x",
        "+79990000000",
        "sent",
        "2026-11-20T10:00:00Z",
    ));
    let before = std::fs::read(shop.env.path("cartnudge.db")).unwrap();
    let before_dump = dump(&shop);
    shop.run(NOW, &["scan", "--format", "csv"]).expect_code(0);
    shop.run(NOW, &["send", "--dry-run", "--format", "json"])
        .expect_code(0);
    assert_eq!(
        std::fs::read(shop.env.path("cartnudge.db")).unwrap(),
        before
    );
    assert_eq!(dump(&shop), before_dump);
    assert!(shop.calls().is_empty());
}

#[test]
fn exact_audit_rows_with_masking_and_formula_neutralizing() {
    let shop = Shop::new(&[
        cart("A-1")
            .set("name", "=HYPERLINK(\"http://evil\")")
            .set("customer_id", "cu-1"),
        cart("A-2").set("phone", "+79120000002").set("consent", "0"),
        cart("A-3")
            .set("phone", "+79120000003")
            .set("updated_at", "2026-11-10T00:00:00Z"),
        cart("A-4")
            .set("phone", "+79120000004")
            .set("timezone", "Asia/Kamchatka"),
    ]);
    shop.run(NOW, &["send"]).expect_code(0);
    let audit = shop.env.read("audit/2026-11-22.csv");
    let expected = "\
run_id,at,mode,cart_id,customer_id,phone,decision,reason,gateway,provider_message_id,encoding,segments,est_cost,cost_currency,cart_total,cart_currency,recipient_local_time,consent_at,message
20261122T120000Z-1,2026-11-22T12:00:00Z,live,A-2,,+7912*****02,skipped,no_consent,,,,,,,5000.00,RUB,,2026-01-10T08:00:00Z,
20261122T120000Z-1,2026-11-22T12:00:00Z,live,A-4,,+7912*****04,deferred,quiet_hours,,,,,,,5000.00,RUB,2026-11-23T00:00:00+12:00,2026-01-10T08:00:00Z,
20261122T120000Z-1,2026-11-22T12:00:00Z,live,A-1,cu-1,+7912*****89,sent,,stub,stub-1,GSM-7,1,4.50,RUB,5000.00,RUB,2026-11-22T15:00:00+03:00,2026-01-10T08:00:00Z,\"'=HYPERLINK(\"\"http://evil\"\"), cart 5000 RUB: https://s.example/c/A-1 STOP\"
";
    assert_eq!(audit, expected);
    // The too-old cart is counted, not audited; the gateway got the real number.
    assert_eq!(shop.calls()[0]["to"], "+79123456789");
    let runs = shop.ledger("SELECT run_id, sent, skipped, deferred, reasons, exit_code FROM runs");
    assert_eq!(
        runs,
        vec![vec![
            "20261122T120000Z-1".to_string(),
            "1".into(),
            "2".into(),
            "1".into(),
            r#"{"no_consent":1,"quiet_hours":1,"too_old":1}"#.into(),
            "0".into()
        ]]
    );
}

#[test]
fn unmasked_audit_keeps_e164_numbers_as_they_are() {
    let shop = Shop::with(&[cart("a")], "", "", "[audit]\nmask_phones = false\n");
    shop.run(NOW, &["send"]).expect_code(0);
    let audit = shop.audit("2026-11-22");
    assert_eq!(audit[1][5], "+79123456789");
}

#[test]
fn gateway_answer_classes_decide_the_cart_and_the_exit_code() {
    let carts = [
        cart("ok").set("phone", "+79120000001").set("total", "9000"),
        cart("invalid")
            .set("phone", "+79120000002")
            .set("total", "8000"),
        cart("stop")
            .set("phone", "+79120000003")
            .set("total", "7000"),
        cart("timeout")
            .set("phone", "+79120000004")
            .set("total", "6000"),
    ];
    let gw = "[gateway.outcomes]\n\"+79120000002\" = \"permanent\"\n\"+79120000003\" = \"optout\"\n\"+79120000004\" = \"unknown\"\n";
    let shop = Shop::with(&carts, "", gw, "");
    let r = shop.run(NOW, &["send"]);
    r.expect_code(1);
    assert!(
        r.stdout().starts_with("sent 1, failed 2, unknown 1"),
        "{}",
        r.show()
    );
    let rows = shop.ledger("SELECT cart_id, status, error_code FROM nudges ORDER BY cart_id");
    assert_eq!(
        rows,
        vec![
            vec![
                "invalid".to_string(),
                "failed".into(),
                "stub-invalid".into()
            ],
            vec!["ok".into(), "sent".into(), "".into()],
            vec!["stop".into(), "failed".into(), "stub-stop".into()],
            vec!["timeout".into(), "unknown".into(), "stub-timeout".into()],
        ]
    );
    assert_eq!(
        shop.ledger("SELECT phone, source FROM optouts"),
        vec![vec!["+79120000003".to_string(), "gateway:stub-stop".into()]]
    );
    let audit = shop.audit("2026-11-22");
    let decisions: Vec<(&str, &str)> = audit[1..]
        .iter()
        .map(|r| (r[3].as_str(), r[6].as_str()))
        .collect();
    assert_eq!(
        decisions,
        vec![
            ("ok", "sent"),
            ("invalid", "failed"),
            ("stop", "failed"),
            ("timeout", "unknown")
        ]
    );
    assert_eq!(audit[2][7], "gateway:stub-invalid");
    // Nothing is resent: the next run finds every cart in the ledger.
    shop.run("2026-11-22T12:15:00Z", &["send"]).expect_code(0);
    assert_eq!(shop.called_carts().len(), 4);
}

#[test]
fn fatal_answer_aborts_the_batch_and_defers_the_rest() {
    let carts = [
        cart("first")
            .set("phone", "+79120000001")
            .set("total", "9000"),
        cart("fatal")
            .set("phone", "+79120000002")
            .set("total", "8000"),
        cart("later")
            .set("phone", "+79120000003")
            .set("total", "7000"),
    ];
    let shop = Shop::with(
        &carts,
        "",
        "[gateway.outcomes]\n\"+79120000002\" = \"fatal\"\n",
        "",
    );
    let r = shop.run(NOW, &["send"]);
    r.expect_code(3);
    assert!(
        r.stderr()
            .contains("batch aborted by the gateway: fatal gateway error stub-auth"),
        "{}",
        r.show()
    );
    assert_eq!(shop.called_carts(), vec!["first", "fatal"]);
    // Only the sent cart is in the ledger: the others stay eligible for the next run.
    assert_eq!(
        shop.ledger("SELECT cart_id, status FROM nudges"),
        vec![vec!["first".to_string(), "sent".into()]]
    );
    let audit = shop.audit("2026-11-22");
    let rest: Vec<(&str, &str, &str)> = audit[2..]
        .iter()
        .map(|r| (r[3].as_str(), r[6].as_str(), r[7].as_str()))
        .collect();
    assert_eq!(
        rest,
        vec![
            ("fatal", "deferred", "gateway_aborted"),
            ("later", "deferred", "gateway_aborted")
        ]
    );
    assert_eq!(
        shop.ledger("SELECT exit_code FROM runs"),
        vec![vec!["3".to_string()]]
    );
}

#[test]
fn transient_answers_are_retried_then_deferred_and_tried_again_next_run() {
    let shop = Shop::with(
        &[cart("busy").set("phone", "+79120000001")],
        "",
        "max_tries = 3\n[gateway.outcomes]\n\"+79120000001\" = \"transient\"\n",
        "",
    );
    let r = shop.run(NOW, &["send"]);
    r.expect_code(0);
    assert!(
        r.stdout().contains("deferred 1 (gateway_retry 1)"),
        "{}",
        r.show()
    );
    assert_eq!(shop.called_carts(), vec!["busy", "busy", "busy"]);
    assert!(
        shop.ledger("SELECT * FROM nudges").is_empty(),
        "a not-processed claim must be released"
    );
    shop.run("2026-11-22T12:15:00Z", &["send"]).expect_code(0);
    assert_eq!(shop.called_carts().len(), 6);
}

#[test]
fn file_gateway_writes_a_json_lines_outbox() {
    let shop = Shop::with(&[cart("a")], "", "", "");
    let cfg = shop.env.read("cartnudge.toml").replace(
        "kind = \"stub\"\npath = \"calls.jsonl\"",
        "kind = \"file\"\npath = \"out/outbox.jsonl\"",
    );
    shop.env.write("cartnudge.toml", cfg);
    shop.run(NOW, &["send"]).expect_code(0);
    let line: serde_json::Value =
        serde_json::from_str(shop.env.read("out/outbox.jsonl").trim()).unwrap();
    assert_eq!(line["to"], "+79123456789");
    assert_eq!(line["cart_id"], "a");
    assert_eq!(line["at"], "2026-11-22T12:00:00Z");
    assert_eq!(
        line["text"],
        "Anna, cart 5000 RUB: https://s.example/c/a STOP"
    );
    assert_eq!(
        shop.ledger("SELECT provider_id, gateway FROM nudges")[0][1],
        "file"
    );
}

/// A holdout group larger than a run keeps in memory (1,024 carts; the rest wait in a temporary
/// database) is recorded whole, in the export's order, with each cart's phone, text and total,
/// and every row is marked audited:
/// the group is worked out here from DESIGN.md's definition (SHA-256 of `salt:cart_id`, the
/// first 8 bytes big-endian mod 10,000, below `holdout_percent` × 100).
#[test]
fn a_holdout_group_past_memory_is_recorded_whole_in_order() {
    use sha2::{Digest, Sha256};
    let carts: Vec<_> = (0..2_600)
        .map(|i| {
            cart(&format!("h{i}"))
                .set("phone", &format!("+7912{:07}", 1_000_000 + i))
                .set("total", &format!("{}", 3_000 + i))
        })
        .collect();
    let shop = Shop::with(&carts, "holdout_percent = 50", "", "");
    let r = shop.run(NOW, &["send", "--limit", "5"]);
    r.expect_code(0);
    let held: Vec<String> = (0..2_600)
        .map(|i| format!("h{i}"))
        .filter(|id| {
            let d = Sha256::digest(format!("change-me:{id}").as_bytes());
            u64::from_be_bytes(d[..8].try_into().unwrap()) % 10_000 < 5_000
        })
        .collect();
    assert!(held.len() > 1_200, "{} holdouts", held.len());
    let rows = shop.ledger(
        "SELECT cart_id, phone, cart_total_minor, text FROM nudges WHERE status = 'holdout' \
         ORDER BY id",
    );
    let ids: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids, held);
    // Recorded in one commit, and marked audited in one more once the audit was fsynced.
    assert_eq!(
        shop.ledger("SELECT audited, COUNT(*) FROM nudges GROUP BY audited"),
        [["1".to_string(), (held.len() + 5).to_string()]]
    );
    for r in &rows {
        let i: u32 = r[0][1..].parse().unwrap();
        assert_eq!(r[1], format!("+7912{:07}", 1_000_000 + i));
        assert_eq!(r[2], format!("{}", (3_000 + i) * 100));
        assert_eq!(
            r[3],
            format!(
                "Anna, cart {} RUB: https://s.example/c/h{i} STOP",
                3_000 + i
            )
        );
    }
    let audit = shop.audit("2026-11-22");
    let audited: Vec<&str> = audit
        .iter()
        .filter(|row| row[6] == "holdout")
        .map(|row| row[3].as_str())
        .collect();
    assert_eq!(audited, held);
    let sent = shop.called_carts();
    assert_eq!(sent.len(), 5);
    assert!(sent.iter().all(|id| !held.contains(id)), "{sent:?}");
    assert!(
        r.stdout().contains(&format!("holdout {}", held.len())),
        "{}",
        r.show()
    );
}
