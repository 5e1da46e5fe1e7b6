//! `cartnudge report`: the figures of the reconcile fixture computed by hand, every format, the
//! period filter, and the worked ROI example end to end.

use super::reconcile::{NOW, ledger_fixture, reconcile};
use crate::util::Env;
use serde_json::Value;

fn reconciled() -> Env {
    let env = ledger_fixture();
    reconcile(&env).expect_code(0);
    env
}

fn report(env: &Env, extra: &[&str]) -> crate::util::Run {
    let mut args = vec![
        "--now",
        NOW,
        "report",
        "--roi",
        "--since",
        "2026-11-01",
        "--until",
        "2026-11-30",
    ];
    args.extend_from_slice(extra);
    let run = env.run(&args);
    run.expect_code(0);
    run
}

fn close(v: &Value, expected: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - expected).abs() < 1e-9)
}

#[test]
fn roi_json_matches_hand_computed_figures() {
    let env = reconciled();
    let run = report(&env, &["--format", "json", "--margin", "50"]);
    let j: Value =
        serde_json::from_str(&run.stdout()).unwrap_or_else(|e| panic!("{e}{}", run.show()));
    assert_eq!(j["since"], "2026-11-01T00:00:00Z");
    assert_eq!(j["until"], "2026-12-01T00:00:00Z", "--until is a whole day");
    assert_eq!(
        j["carts_considered"], 120,
        "the October run is outside the period"
    );
    assert_eq!(
        j["skip_reasons"],
        serde_json::json!({"no_consent": 3, "quiet_hours": 5})
    );
    let cur = j["currencies"].as_array().unwrap();
    assert_eq!(cur.len(), 2, "one block per currency: {j:#}");

    // RUB: one message billed in USD, one order of 1,240.00 RUB.
    let rub = &cur[0];
    assert_eq!(rub["currency"], "RUB");
    assert_eq!(
        (rub["sent"].as_u64(), rub["recovered_orders"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(rub["recovered_revenue"], "1240.00");
    assert_eq!(rub["cost"], "0.05");
    assert_eq!(rub["cost_currency"], "USD");
    assert!(rub["roi"].is_null(), "cost in USD, revenue in RUB: no ROI");
    assert!(rub["holdout"].is_null() && rub["lift"].is_null());
    assert!(
        rub["warnings"][0]
            .as_str()
            .unwrap()
            .contains("cannot be computed"),
        "{rub:#}"
    );

    // USD: C1–C8 sent, C9 unknown, C10 failed; H1–H3 holdout.
    let usd = &cur[1];
    assert_eq!(usd["currency"], "USD");
    for (k, v) in [
        ("sent", 8),
        ("delivered", 2),
        ("failed", 1),
        ("unknown", 1),
        ("segments", 9),
        ("recovered_orders", 6),
    ] {
        assert_eq!(usd[k].as_u64(), Some(v), "{k}: {usd:#}");
    }
    // C1's actual price 0.0079 + 8 estimates of 0.02 (C2–C8, C9); C10 was refused, so not billed.
    assert_eq!(usd["cost"], "0.1679");
    assert_eq!(usd["cost_is_estimate"], true);
    // O1 100 + O2 50 + O3 30 + O4 20 + O78 10 + O9 40.
    assert_eq!(usd["recovered_revenue"], "250.00");
    assert!(close(&usd["recovery_rate"], 6.0 / 9.0));
    assert!(
        close(&usd["roi"], (250.0 - 0.1679) / 0.1679),
        "{}",
        usd["roi"]
    );
    assert!(
        close(&usd["profit_roi"], (125.0 - 0.1679) / 0.1679),
        "{}",
        usd["profit_roi"]
    );
    assert_eq!(usd["cost_per_recovery"], "0.027983", "0.1679 / 6");
    assert_eq!(
        usd["revenue_per_message"], "27.78",
        "250 / 9, rounded to cents"
    );
    assert_eq!(usd["converted_before_reminder"], 1);
    assert_eq!(usd["holdout"]["carts"], 3);
    assert_eq!(usd["holdout"]["converted"], 1);
    assert!(close(&usd["holdout"]["rate"], 1.0 / 3.0));
    // Lift 6/9 − 1/3 with Newcombe's hybrid score interval (computed separately).
    assert!(close(&usd["lift"]["value"], 1.0 / 3.0));
    assert!(
        (usd["lift"]["ci_low"].as_f64().unwrap() - -0.221934).abs() < 1e-6,
        "{usd:#}"
    );
    assert!(
        (usd["lift"]["ci_high"].as_f64().unwrap() - 0.678529).abs() < 1e-6,
        "{usd:#}"
    );
    // Control revenue per cart 60 / 3 = 20; 9 messaged carts would have brought 180 anyway.
    assert_eq!(usd["incremental_revenue"], "70.00");
    assert!(close(&usd["incremental_roi"], (70.0 - 0.1679) / 0.1679));
    let warnings = usd["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().starts_with("too few carts to tell")),
        "{usd:#}"
    );
    assert_eq!(usd["daily"][0]["date"], "2026-11-01");
    assert_eq!(usd["daily"][0]["sent"], 9);
}

/// The seeded ledger as a marketer reads it: headline per currency, every number grouped, money
/// to the currency's decimals, ROI as a percentage and a multiple, the holdout next to the reminded
/// carts, and the warnings (estimates, different currencies, no or too small a holdout).
#[test]
fn table_reads_like_a_report_for_people() {
    let env = reconciled();
    let out = report(&env, &[]).stdout();
    assert_eq!(out, TABLE, "\n{out}");
    let plain = env.run(&["--now", NOW, "report", "--since", "2026-11-01"]);
    assert!(
        !plain.stdout().contains("recovered revenue"),
        "revenue only with --roi:\n{}",
        plain.stdout()
    );
    assert!(
        plain.stdout().contains("RUB: 1 text sent for 0.05 USD."),
        "{}",
        plain.stdout()
    );
}

const TABLE: &str = "\
Test Shop: SMS reminders, 1–30 Nov 2026
days in UTC · 1 send run (120 cart reads)

RUB: 1,240.00 RUB recovered from 1 text that cost 0.05 USD.
  texts sent                   1
  delivered                    0
  undelivered                  0
  failed (refused by gateway)  0
  unknown (may have gone out)  0
  segments                     1
  cost                         0.05 USD (estimate)
  recovered orders             1
  converted before reminder    0
  recovery rate                100.0% of texts
  recovered revenue            1,240.00 RUB
  ROI (revenue − cost) / cost  n/a
  cost per recovered order     0.05 USD
  revenue per text             1,240.00 RUB
  warning: cost is billed in USD but revenue is in RUB: ROI cannot be computed without an exchange
           rate; set [report] currency and [report.rates] to get one
  warning: cost is an estimate only (message.cost_per_segment × segments): the gateway has reported
           no prices; for Twilio and SMS.ru `cartnudge reconcile` fetches the actual ones
  warning: no holdout group: every recovered order is credited to SMS, including orders that would
           have come anyway; set rules.holdout_percent (e.g. 10) to measure what SMS adds

USD: 250.00 USD recovered from 9 texts that cost 0.17 USD: ROI 148,798%.
  texts sent                   8
  delivered                    2
  undelivered                  0
  failed (refused by gateway)  1
  unknown (may have gone out)  1
  segments                     9
  cost                         0.17 USD (partly estimated)
  recovered orders             6
  converted before reminder    1
  recovery rate                66.7% of texts
  recovered revenue            250.00 USD
  ROI (revenue − cost) / cost  148,798% (revenue 1,489× the cost)
  cost per recovered order     0.03 USD
  revenue per text             27.78 USD

  holdout vs reminded   reminded    holdout
  carts                        9          3
  ordered                      6          1
  conversion rate          66.7%      33.3%
  revenue per cart     27.78 USD  20.00 USD
  lift (95% interval)  +33.3 points (-22.2 to +67.9)
  incremental revenue  70.00 USD
  incremental ROI      41,591% (revenue 417× the cost)
  warning: cost is partly an estimate: 8 of 9 messages have no price from the gateway yet
  warning: too few carts to tell whether SMS adds orders: the 95% interval for lift (-22.2 to +67.9
           percentage points) includes zero (9 messaged, 3 in the holdout); keep the holdout running
           before deciding

why carts were not messaged (cart-runs: a cart is counted once per send run)
  not distinct carts because ./audit has no audit rows of these runs
  quiet_hours  5  still waiting
  no_consent   3
";

#[test]
fn csv_has_a_row_per_currency_and_group() {
    let env = reconciled();
    let rows =
        crate::util::csv_rows(&report(&env, &["--format", "csv", "--by", "gateway"]).stdout());
    let col = |name: &str| rows[0].iter().position(|h| h == name).unwrap();
    let j: Value =
        serde_json::from_str(&report(&env, &["--format", "json", "--by", "gateway"]).stdout())
            .unwrap();
    let twilio = &j["currencies"][1]["by"][1];
    assert_eq!(
        (twilio["key"].as_str(), twilio["currency"].as_str()),
        (Some("twilio"), Some("USD"))
    );
    assert_eq!(
        (
            twilio["sent"].as_u64(),
            twilio["recovered_revenue"].as_str()
        ),
        (Some(1), Some("50.00"))
    );
    assert_eq!(twilio["roi"].as_f64(), Some(2499.0));
    let pick: Vec<Vec<&str>> = rows[1..]
        .iter()
        .map(|r| {
            vec![
                r[col("currency")].as_str(),
                &r[col("group")],
                &r[col("sent")],
                &r[col("recovered_orders")],
                &r[col("recovered_revenue")],
                &r[col("roi")],
            ]
        })
        .collect();
    assert_eq!(
        pick,
        vec![
            vec!["RUB", "all", "1", "1", "1240.00", ""],
            vec!["RUB", "file", "1", "1", "1240.00", ""],
            vec!["USD", "all", "8", "6", "250.00", "1487.981537"],
            // (200 − 0.1479) / 0.1479 and (50 − 0.02) / 0.02.
            vec!["USD", "file", "7", "5", "200.00", "1351.265044"],
            vec!["USD", "twilio", "1", "1", "50.00", "2499"],
        ]
    );
}

#[test]
fn period_excludes_other_days() {
    let env = reconciled();
    let run = env.run(&[
        "--now",
        NOW,
        "report",
        "--roi",
        "--since",
        "2026-11-02",
        "--format",
        "json",
    ]);
    run.expect_code(0);
    let j: Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(j["currencies"], serde_json::json!([]));
    assert_eq!(j["carts_considered"], 0);
    let table = env.run(&["--now", NOW, "report", "--roi", "--since", "2026-11-02"]);
    assert!(
        table.stdout().contains("no reminders in this period"),
        "{}",
        table.show()
    );
    let bad = env.run(&["--now", NOW, "report", "--since", "yesterday"]);
    bad.expect_code(2);
    assert!(bad.stderr().contains("neither a date"), "{}", bad.show());
}

/// 10,000 messages at 0.02 USD, 100 recovered orders of 80 USD → revenue 8,000, cost 200, ROI 39.0.
#[test]
fn worked_example_roi_is_39_not_38() {
    let env = Env::new();
    env.fixture("reconcile/cartnudge.toml", "cartnudge.toml");
    let mut ledger = cartnudge::ledger::Ledger::open(&env.path("cartnudge.db")).unwrap();
    let tx = ledger.connection().transaction().unwrap();
    for i in 0..10_000 {
        tx.execute(
            "INSERT INTO nudges (run_id, cart_id, phone, status, gateway, segments, est_cost_micros, cost_currency, actual_cost_micros, \
             actual_cost_currency, cart_total_minor, cart_currency, cart_updated_at, claimed_at, sent_at) \
             VALUES ('r', ?1, '+14155550100', 'sent', 'twilio', 1, 20000, 'USD', 20000, 'USD', 8000, 'USD', '2026-11-01T08:00:00Z', '2026-11-01T10:00:00Z', '2026-11-01T10:00:00Z')",
            [format!("c{i}")],
        )
        .unwrap();
        if i < 100 {
            tx.execute(
                "INSERT INTO recoveries (nudge_id, order_id, amount_minor, currency, ordered_at, match_key, attributed, recorded_at) \
                 VALUES (last_insert_rowid(), ?1, 8000, 'USD', '2026-11-02T10:00:00Z', 'cart', 1, '2026-11-03T00:00:00Z')",
                [format!("o{i}")],
            )
            .unwrap();
        }
    }
    tx.commit().unwrap();
    drop(ledger);
    let run = env.run(&["--now", NOW, "report", "--roi", "--format", "json"]);
    run.expect_code(0);
    let j: Value = serde_json::from_str(&run.stdout()).unwrap();
    let usd = &j["currencies"][0];
    assert_eq!(usd["sent"], 10_000);
    assert_eq!(usd["cost"], "200.00");
    assert_eq!(usd["cost_is_estimate"], false);
    assert_eq!(usd["recovered_orders"], 100);
    assert_eq!(usd["recovered_revenue"], "8000.00");
    assert_eq!(usd["roi"].as_f64(), Some(39.0));
    assert_eq!(usd["cost_per_recovery"], "2.00");
    assert!(j["since"].is_null());
}

/// The real `send` (stub gateway, a 50% holdout), then `reconcile` with an order for every cart,
/// then `report`: every sent cart is recovered, every holdout cart converted, costs are estimates.
#[test]
fn send_then_reconcile_then_report() {
    use crate::shop::{NOW, Shop, cart};
    let carts: Vec<_> = (0..12)
        .map(|i| {
            cart(&format!("e{i:02}"))
                .set("phone", &format!("+7912100{i:04}"))
                .set("total", "5000")
        })
        .collect();
    let shop = Shop::with(
        &carts,
        "holdout_percent = 50\nholdout_salt = \"e2e\"",
        "",
        "[orders]\nkind = \"csv\"\npath = \"orders.csv\"",
    );
    shop.env
        .write("orders.csv", "order_id,phone,total,currency,created_at\n");
    shop.run(NOW, &["send", "--limit", "20"]).expect_code(0);
    let statuses = shop.ledger("SELECT cart_id, status, segments FROM nudges ORDER BY cart_id");
    let sent = statuses.iter().filter(|r| r[1] == "sent").count();
    let holdout = statuses.iter().filter(|r| r[1] == "holdout").count();
    assert_eq!(sent + holdout, 12, "{statuses:?}");
    assert!(sent > 0 && holdout > 0, "{statuses:?}");
    let segments: u64 = statuses
        .iter()
        .filter(|r| r[1] == "sent")
        .map(|r| r[2].parse::<u64>().unwrap())
        .sum();
    // Every shopper orders by phone (written the Russian local way) two hours later.
    let mut orders = String::from("order_id,phone,total,currency,created_at\n");
    for i in 0..12 {
        orders.push_str(&format!(
            "o{i},8912100{i:04},5000.00,RUB,2026-11-22T14:00:00Z\n"
        ));
    }
    shop.env.write("orders.csv", orders);
    let rec = shop.run("2026-11-23T12:00:00Z", &["reconcile"]);
    rec.expect_code(0);
    assert!(
        rec.stdout().starts_with(&format!(
            "recovered {sent} ({} RUB), converted before reminder 0, holdout conversions {holdout}",
            grouped_thousands(sent as u64 * 5000)
        )),
        "{}",
        rec.show()
    );
    let run = shop.run(
        "2026-11-23T12:00:00Z",
        &["report", "--roi", "--format", "json"],
    );
    run.expect_code(0);
    let j: Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(j["carts_considered"], 12);
    let rub = &j["currencies"][0];
    assert_eq!(rub["currency"], "RUB");
    assert_eq!(rub["sent"].as_u64(), Some(sent as u64));
    assert_eq!(rub["recovered_orders"].as_u64(), Some(sent as u64));
    assert_eq!(rub["recovered_revenue"], format!("{}.00", sent * 5000));
    assert_eq!(rub["cost"], format!("{:.2}", segments as f64 * 4.5));
    assert_eq!(rub["cost_is_estimate"], true);
    assert_eq!(rub["holdout"]["carts"].as_u64(), Some(holdout as u64));
    assert_eq!(rub["holdout"]["converted"].as_u64(), Some(holdout as u64));
    assert!(
        close(&rub["lift"]["value"], 0.0),
        "both groups converted fully"
    );
    let by_key: Vec<&str> = statuses.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(by_key.len(), 12);
    assert_eq!(
        shop.ledger("SELECT DISTINCT match_key FROM recoveries"),
        vec![vec!["phone".to_string()]]
    );
}

/// "40000" → "40,000.00" for the summary line's RUB amounts.
pub fn grouped_thousands(units: u64) -> String {
    cartnudge::model::grouped(&format!("{units}.00"))
}
