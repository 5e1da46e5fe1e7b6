//! `report` says what its figures rest on: skipped carts counted once each (from the audit CSVs),
//! warnings when revenue was never measured, a total converted at the user's rates (and an ROI for
//! cost and revenue in different currencies), and `[report]` config errors that name the key.

use super::reconcile::{NOW, ledger_fixture, reconcile};
use crate::util::{Env, Run};
use serde_json::{Value, json};

fn report(env: &Env, extra: &[&str]) -> Run {
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

fn json_of(run: &Run) -> Value {
    serde_json::from_str(&run.stdout()).unwrap_or_else(|e| panic!("{e}{}", run.show()))
}

fn add_config(env: &Env, extra: &str) {
    let config = env.read("cartnudge.toml");
    env.write("cartnudge.toml", format!("{config}\n{extra}\n"));
}

/// An audit row with the columns of DESIGN.md §7 (only the ones `report` reads are filled in).
fn audit_row(run: &str, at: &str, mode: &str, cart: &str, decision: &str, reason: &str) -> String {
    format!("{run},{at},{mode},{cart},,+1415*****00,{decision},{reason},,,,,,,,,,,\n")
}

const AUDIT_HEADER: &str = "run_id,at,mode,cart_id,customer_id,phone,decision,reason,gateway,provider_message_id,encoding,segments,est_cost,cost_currency,cart_total,cart_currency,recipient_local_time,consent_at,message\n";

/// Three send runs over two days see the same carts again and again: per run that is 7
/// quiet_hours, 9 no_consent, 1 ordered_since and 1 too_fresh; per cart it is 3 no_consent
/// (N1–N3), 1 quiet_hours (Q2), 1 ordered_since (Q1) and 1 too_fresh (F1), while Q3–Q5 were sent
/// in the second run and so are not "not messaged" at all.
fn three_runs_with_audit() -> Env {
    let env = ledger_fixture();
    reconcile(&env).expect_code(0);
    let mut ledger = cartnudge::ledger::Ledger::open(&env.path("cartnudge.db")).unwrap();
    ledger
        .connection()
        .execute_batch(
            "INSERT INTO runs (run_id, command, started_at, now, carts_read, reasons) VALUES \
             ('r2', 'send', '2026-11-01T12:00:00Z', '2026-11-01T12:00:00Z', 120, '{\"quiet_hours\": 2, \"no_consent\": 3, \"too_old\": 40}'), \
             ('r3', 'send', '2026-11-02T10:00:00Z', '2026-11-02T10:00:00Z', 120, '{\"no_consent\": 3, \"ordered_since\": 1, \"too_fresh\": 1, \"too_old\": 40}');",
        )
        .unwrap();
    drop(ledger);
    let mut day1 = String::from(AUDIT_HEADER);
    let (t1, t2) = ("2026-11-01T10:00:00Z", "2026-11-01T12:00:00Z");
    for q in ["Q1", "Q2", "Q3", "Q4", "Q5"] {
        day1.push_str(&audit_row("r1", t1, "live", q, "deferred", "quiet_hours"));
    }
    for n in ["N1", "N2", "N3"] {
        day1.push_str(&audit_row("r1", t1, "live", n, "skipped", "no_consent"));
        day1.push_str(&audit_row("r2", t2, "live", n, "skipped", "no_consent"));
    }
    day1.push_str(&audit_row(
        "r2",
        t2,
        "live",
        "Q1",
        "deferred",
        "quiet_hours",
    ));
    day1.push_str(&audit_row(
        "r2",
        t2,
        "live",
        "Q2",
        "deferred",
        "quiet_hours",
    ));
    for q in ["Q3", "Q4", "Q5"] {
        day1.push_str(&audit_row("r2", t2, "live", q, "sent", ""));
    }
    // A dry run's rows do not count.
    day1.push_str(&audit_row(
        "dry",
        t2,
        "dry_run",
        "D1",
        "skipped",
        "no_consent",
    ));
    let mut day2 = String::from(AUDIT_HEADER);
    let t3 = "2026-11-02T10:00:00Z";
    for n in ["N1", "N2", "N3"] {
        day2.push_str(&audit_row("r3", t3, "live", n, "skipped", "no_consent"));
    }
    day2.push_str(&audit_row(
        "r3",
        t3,
        "live",
        "Q1",
        "skipped",
        "ordered_since",
    ));
    day2.push_str(&audit_row("r3", t3, "live", "F1", "deferred", "too_fresh"));
    env.write("audit/2026-11-01.csv", day1);
    env.write("audit/2026-11-02.csv", day2);
    env
}

#[test]
fn skipped_carts_are_counted_once_each_from_the_audit() {
    let env = three_runs_with_audit();
    let out = report(&env, &[]).stdout();
    let tail = &out[out.find("why carts were not messaged").expect("section")..];
    assert_eq!(
        tail,
        "why carts were not messaged (distinct carts, each under its last reason in the period)
  no_consent      3
  ordered_since   1
  quiet_hours     1  still waiting
  too_fresh       1  still waiting
  too_old        80  cart-runs*
  * outside the rules' window (older than rules.max_age, or not abandoned): never audited, so counted once per run, not per cart
"
    );
    let j = json_of(&report(&env, &["--format", "json"]));
    assert_eq!(
        j["not_messaged"],
        json!({"basis": "distinct_carts", "why_not_distinct": null,
               "reasons": {"no_consent": 3, "ordered_since": 1, "quiet_hours": 1, "too_fresh": 1},
               "outside_window_cart_runs": {"too_old": 80}})
    );
    // The per-run sums stay where they always were.
    assert_eq!(
        j["skip_reasons"],
        json!({"no_consent": 9, "ordered_since": 1, "quiet_hours": 7, "too_fresh": 1, "too_old": 80})
    );
}

#[test]
fn a_lost_audit_file_falls_back_to_cart_runs_and_says_so() {
    let env = three_runs_with_audit();
    std::fs::remove_file(env.path("audit/2026-11-02.csv")).unwrap();
    let out = report(&env, &[]).stdout();
    let tail = &out[out.find("why carts were not messaged").expect("section")..];
    assert!(
        tail.starts_with(
            "why carts were not messaged (cart-runs: a cart is counted once per send run)
  not distinct carts because the audit files in ./audit lack rows of 1 of 3 send runs (first: r3)
  no_consent      9
  quiet_hours     7  still waiting
"
        ),
        "{tail}"
    );
    let j = json_of(&report(&env, &["--format", "json"]));
    assert_eq!(j["not_messaged"]["basis"], "cart_runs");
    assert_eq!(j["not_messaged"]["reasons"]["no_consent"], 9);
}

#[test]
fn no_orders_source_means_revenue_not_measured() {
    let env = ledger_fixture();
    let config = env.read("cartnudge.toml");
    let without = config.replace("[orders]\nkind = \"csv\"\npath = \"orders.csv\"\n", "");
    assert_ne!(config, without);
    env.write("cartnudge.toml", without);
    let out = report(&env, &[]).stdout();
    for needle in [
        "warning: no [orders] source is configured, so no order can be matched to a text: recovered revenue",
        "USD: 9 texts that cost 0.17 USD; revenue not measured (see the warning).",
        "  recovered revenue            not measured (no [orders] source)\n",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in\n{out}");
    }
    assert!(
        !out.lines().any(|l| l.trim_start().starts_with("ROI")),
        "no ROI line without revenue:\n{out}"
    );
    let j = json_of(&report(&env, &["--format", "json"]));
    assert!(
        j["warnings"][0]
            .as_str()
            .unwrap()
            .starts_with("no [orders] source is configured"),
        "{j:#}"
    );
}

#[test]
fn reconcile_never_run_is_a_warning_not_a_minus_100_percent_roi() {
    let env = ledger_fixture();
    let out = report(&env, &[]).stdout();
    assert!(
        out.contains(
            "warning: `cartnudge reconcile` has not matched a single order or delivery report in this ledger"
        ),
        "{out}"
    );
    reconcile(&env).expect_code(0);
    let out = report(&env, &[]).stdout();
    assert!(!out.contains("has not matched"), "{out}");
    assert_eq!(
        json_of(&report(&env, &["--format", "json"]))["warnings"],
        json!([])
    );
}

#[test]
fn converted_total_at_the_users_rates() {
    let env = ledger_fixture();
    reconcile(&env).expect_code(0);
    add_config(
        &env,
        "[report]\ncurrency = \"EUR\"\n[report.rates]\nUSD = \"0.92\"\nRUB = \"0.0105\"",
    );
    let out = report(&env, &[]).stdout();
    // 1,240 RUB = 13.02 EUR against 0.05 USD = 0.046 EUR: an ROI for the rouble block at last.
    for needle in [
        "RUB: 1,240.00 RUB recovered from 1 text that cost 0.05 USD: ROI 28,204% at your exchange rates.",
        "  ROI (revenue − cost) / cost  28,204% (revenue 283× the cost) at your exchange rates\n",
        "warning: cost is billed in USD but revenue is in RUB: the ROI shown is converted at your rates in",
        "\nAll currencies converted to EUR at your rates (1 RUB = 0.0105 EUR, 1 USD = 0.92 EUR; [report.rates], not market rates)
  texts sent                   10
  cost                         0.20 EUR
  recovered orders             7
  recovered revenue            243.02 EUR
  ROI (revenue − cost) / cost  121,126% (revenue 1,212× the cost)
",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in\n{out}");
    }
    let j = json_of(&report(&env, &["--format", "json"]));
    let rub = &j["currencies"][0];
    assert!(rub["roi"].is_null(), "the exact block keeps no ROI");
    let x = rub["roi_converted"].as_f64().unwrap();
    assert!((x - (13.02 - 0.046) / 0.046).abs() < 1e-9, "{x}");
    let c = &j["converted"];
    assert_eq!(
        (&c["currency"], &c["cost"], &c["recovered_revenue"]),
        (&json!("EUR"), &json!("0.20"), &json!("243.02"))
    );
    assert_eq!(c["rates"], json!({"RUB": "0.0105", "USD": "0.92"}));
    // Cost 0.2179 USD = 0.200468 EUR; revenue 13.02 + 230.00 EUR.
    let roi = (243.02 - 0.200468) / 0.200468;
    assert!((c["roi"].as_f64().unwrap() - roi).abs() < 1e-9, "{c:#}");
}

#[test]
fn a_missing_rate_leaves_the_total_out_and_says_which() {
    let env = ledger_fixture();
    reconcile(&env).expect_code(0);
    add_config(
        &env,
        "[report]\ncurrency = \"EUR\"\n[report.rates]\nUSD = \"0.92\"",
    );
    let out = report(&env, &[]).stdout();
    assert!(
        out.contains("  cost                         n/a\n")
            && out.contains(
                "warning: no rate for RUB in [report.rates]: the total in EUR is left out"
            ),
        "{out}"
    );
    let j = json_of(&report(&env, &["--format", "json"]));
    assert_eq!(j["converted"]["missing_rates"], json!(["RUB"]));
    assert!(j["converted"]["roi"].is_null());
    assert!(j["currencies"][0]["roi_converted"].is_null());
}

#[test]
fn report_config_errors_name_the_key() {
    for (table, needle) in [
        (
            "[report]\ncurrency = \"EUR\"\n[report.rates]\nUSD = \"0,92\"",
            "report.rates.USD = \"0,92\"",
        ),
        ("[report.rates]\nUSD = \"0.92\"", "report.currency is not"),
        ("[report]\ncolour = \"EUR\"", "unknown field `colour`"),
    ] {
        let env = ledger_fixture();
        add_config(&env, table);
        let run = env.run(&["--now", NOW, "report", "--roi"]);
        run.expect_code(2);
        assert!(run.stderr().contains(needle), "{needle}{}", run.show());
    }
}
