//! `reconcile` asking providers about delivery: loopback servers that answer like Twilio's
//! `GET /2010-04-01/Accounts/{Sid}/Messages/{Sid}.json` and SMS.ru's `GET /sms/status`.

use crate::loopback::{Server, json};
use crate::util::Env;

const NOW: &str = "2026-11-08T00:00:00Z";

/// A ledger with `sent` messages of `gateway`: (provider id, sent_at, delivery_status).
fn env_with(gateway_toml: &str, gateway: &str, sends: &[(&str, &str, Option<&str>)]) -> Env {
    let env = Env::new();
    env.write(
        "cartnudge.toml",
        format!(
            "[store]\ntimezone = \"UTC\"\ndefault_region = \"US\"\n[source]\npath = \"carts.csv\"\n\
             [gateway]\n{gateway_toml}\n[ledger]\npath = \"cartnudge.db\"\n"
        ),
    );
    let mut ledger = cartnudge::ledger::Ledger::open(&env.path("cartnudge.db")).unwrap();
    for (i, (pid, sent_at, delivery)) in sends.iter().enumerate() {
        ledger
            .connection()
            .execute(
                "INSERT INTO nudges (run_id, cart_id, phone, status, gateway, provider_id, segments, est_cost_micros, cost_currency, \
                 cart_total_minor, cart_currency, cart_updated_at, claimed_at, sent_at, delivery_status) \
                 VALUES ('r', ?1, '+14155550100', 'sent', ?2, ?3, 1, 20000, 'USD', 8000, 'USD', ?4, ?4, ?4, ?5)",
                rusqlite::params![format!("c{i}"), gateway, pid, sent_at, delivery],
            )
            .unwrap();
    }
    env
}

fn dump(env: &Env) -> Vec<Vec<String>> {
    env.ledger_rows("cartnudge.db", "SELECT * FROM nudges ORDER BY id")
}

fn delivery(env: &Env) -> Vec<Vec<String>> {
    env.ledger_rows(
        "cartnudge.db",
        "SELECT provider_id, COALESCE(delivery_status, ''), COALESCE(delivery_code, ''), COALESCE(actual_cost_micros, ''), \
         COALESCE(actual_cost_currency, ''), COALESCE(delivery_checked_at, '') FROM nudges ORDER BY id",
    )
}

fn rows(expected: &[&[&str]]) -> Vec<Vec<String>> {
    expected
        .iter()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

fn twilio(url: &str) -> String {
    format!(
        "kind = \"twilio\"\nbase_url = \"{url}\"\naccount_sid_env = \"TW_SID\"\nauth_token_env = \"TW_TOKEN\"\nfrom = \"+15550001111\"\nrate_per_second = 0"
    )
}

fn twilio_message(sid: &str, status: &str, price: Option<&str>, error: Option<i64>) -> String {
    serde_json::json!({
        "sid": sid, "status": status, "num_segments": "1",
        "price": price, "price_unit": "USD", "error_code": error, "error_message": null,
    })
    .to_string()
}

#[test]
fn twilio_statuses_and_prices_are_recorded_once() {
    let server = Server::respond(|req, _| {
        let sid = req
            .path()
            .rsplit('/')
            .next()
            .unwrap_or("")
            .trim_end_matches(".json")
            .to_string();
        match sid.as_str() {
            "SM1" => json(
                200,
                &twilio_message("SM1", "delivered", Some("-0.00790"), None),
            ),
            "SM2" => json(
                200,
                &twilio_message("SM2", "undelivered", Some("-0.00790"), Some(30003)),
            ),
            "SM3" => json(200, &twilio_message("SM3", "sent", None, None)),
            "SM5" => json(
                200,
                &twilio_message("SM5", "delivered", Some("-0.00790"), None),
            ),
            _ => json(
                404,
                r#"{"code": 20404, "message": "not found", "status": 404}"#,
            ),
        }
    });
    let mut env = env_with(
        &twilio(&server.url),
        "twilio",
        &[
            ("SM1", "2026-11-07T10:00:00Z", None),
            ("SM2", "2026-11-07T10:00:00Z", None),
            ("SM3", "2026-11-07T10:00:00Z", Some("pending")),
            ("SM4", "2026-10-20T10:00:00Z", None), // older than 7 days: not asked
            // Final, but the price came later: asked again, and the price is recorded.
            ("SM5", "2026-11-07T10:00:00Z", Some("delivered")),
        ],
    );
    env.var("TW_SID", "AC123").var("TW_TOKEN", "secret-token");
    let run = env.run(&["--now", NOW, "reconcile"]);
    run.expect_code(0);
    assert!(
        run.stdout().contains("delivery updated 4"),
        "{}",
        run.show()
    );
    assert_eq!(
        delivery(&env),
        rows(&[
            &["SM1", "delivered", "delivered", "7900", "USD", NOW],
            &["SM2", "undelivered", "30003", "7900", "USD", NOW],
            &["SM3", "pending", "sent", "", "", NOW],
            &["SM4", "", "", "", "", ""],
            &["SM5", "delivered", "delivered", "7900", "USD", NOW],
        ])
    );
    let asked: Vec<String> = server
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.target))
        .collect();
    assert_eq!(
        asked,
        [
            "GET /2010-04-01/Accounts/AC123/Messages/SM1.json",
            "GET /2010-04-01/Accounts/AC123/Messages/SM2.json",
            "GET /2010-04-01/Accounts/AC123/Messages/SM3.json",
            "GET /2010-04-01/Accounts/AC123/Messages/SM5.json",
        ]
    );
    assert!(
        server.requests()[0]
            .header("authorization")
            .is_some_and(|a| a.starts_with("Basic "))
    );
    assert!(!run.stdout().contains("secret-token") && !run.stderr().contains("secret-token"));

    // Nothing new from the provider: the second run asks about SM3 again and writes nothing.
    let before = dump(&env);
    let again = env.run(&["--now", "2026-11-08T01:00:00Z", "reconcile"]);
    again.expect_code(0);
    assert!(
        again.stdout().contains("delivery updated 0"),
        "{}",
        again.show()
    );
    assert_eq!(dump(&env), before);
    assert_eq!(server.requests().len(), 5, "only SM3 is asked again");

    // The report counts the delivery and uses the actual price where Twilio gave one.
    let report = env.run(&["--now", NOW, "report", "--format", "json"]);
    let j: serde_json::Value = serde_json::from_str(&report.stdout()).unwrap();
    let usd = &j["currencies"][0];
    assert_eq!(
        (usd["delivered"].as_u64(), usd["undelivered"].as_u64()),
        (Some(2), Some(1))
    );
    // 3 × 0.0079 actual (SM1, SM2, SM5) + 2 × 0.02 estimated (SM3, SM4).
    assert_eq!(usd["cost"], "0.0637");
    assert_eq!(usd["cost_is_estimate"], true);
}

#[test]
fn twilio_bad_credentials_stop_polling_with_exit_3() {
    let server = Server::start(vec![json(
        401,
        r#"{"code": 20003, "message": "Authenticate", "status": 401}"#,
    )]);
    let mut env = env_with(
        &twilio(&server.url),
        "twilio",
        &[
            ("SM1", "2026-11-07T10:00:00Z", None),
            ("SM2", "2026-11-07T10:00:00Z", None),
        ],
    );
    env.var("TW_SID", "AC123").var("TW_TOKEN", "wrong");
    let before = dump(&env);
    let run = env.run(&["--now", NOW, "reconcile"]);
    run.expect_code(3);
    assert!(
        run.stderr().contains("delivery polling stopped"),
        "{}",
        run.show()
    );
    assert_eq!(
        server.requests().len(),
        1,
        "no more lookups after a fatal answer"
    );
    assert_eq!(dump(&env), before);
}

#[test]
fn smsru_statuses_and_costs_are_recorded() {
    let server = Server::respond(|req, _| {
        let q = req.query();
        let id = q.get("sms_id").cloned().unwrap_or_default();
        let (code, cost) = match id.as_str() {
            "000000-1" => (103, 3.5),
            "000000-2" => (104, 3.5),
            _ => (102, 3.5),
        };
        json(
            200,
            &format!(
                r#"{{"status":"OK","status_code":100,"sms":{{"{id}":{{"status":"OK","status_code":{code},"cost":{cost},"status_text":"x"}}}},"balance":100}}"#
            ),
        )
    });
    let mut env = env_with(
        &format!(
            "kind = \"smsru\"\nbase_url = \"{}\"\napi_id_env = \"SMSRU_API_ID\"\nrate_per_second = 0",
            server.url
        ),
        "smsru",
        &[
            ("000000-1", "2026-11-07T10:00:00Z", None),
            ("000000-2", "2026-11-07T10:00:00Z", None),
            ("000000-3", "2026-11-07T10:00:00Z", None),
        ],
    );
    env.var("SMSRU_API_ID", "KEY-1");
    let run = env.run(&["--now", NOW, "reconcile"]);
    run.expect_code(0);
    assert!(
        run.stdout().contains("delivery updated 3"),
        "{}",
        run.show()
    );
    assert_eq!(
        delivery(&env),
        rows(&[
            &["000000-1", "delivered", "103", "3500000", "RUB", NOW],
            &["000000-2", "undelivered", "104", "3500000", "RUB", NOW],
            &["000000-3", "pending", "102", "3500000", "RUB", NOW],
        ])
    );
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    let q = reqs[0].query();
    assert_eq!(reqs[0].path(), "/sms/status");
    assert_eq!(
        (
            q["api_id"].as_str(),
            q["sms_id"].as_str(),
            q["json"].as_str()
        ),
        ("KEY-1", "000000-1", "1")
    );
    let before = dump(&env);
    env.run(&["--now", NOW, "reconcile"]).expect_code(0);
    assert_eq!(dump(&env), before, "same answers, same ledger");
}

#[test]
fn missing_secret_stops_before_anything_is_written() {
    let server = Server::start(vec![json(200, "{}")]);
    let env = env_with(
        &twilio(&server.url),
        "twilio",
        &[("SM1", "2026-11-07T10:00:00Z", None)],
    );
    let before = dump(&env);
    let run = env.run(&["--now", NOW, "reconcile"]);
    run.expect_code(2);
    assert!(run.stderr().contains("TW_SID"), "{}", run.show());
    assert!(run.stderr().contains("--no-delivery"), "{}", run.show());
    assert_eq!(dump(&env), before);
    assert!(server.requests().is_empty());
    // --no-delivery needs no gateway at all.
    env.run(&["--now", NOW, "reconcile", "--no-delivery"])
        .expect_code(0);
    assert!(server.requests().is_empty());
}
