//! `cartnudge send` end to end against a loopback Twilio (and SMS.ru): what each answer class does
//! to the ledger, the opt-out list, the audit CSV, the exit code and the rest of the batch, and that
//! nothing is sent twice on the next run.

use crate::loopback::{Act, Request, Server, json, with_header};
use crate::util::{Env, csv_rows};
use std::time::{Duration, Instant};

const NOW: &str = "2026-11-22T10:00:00Z";
const SID: &str = "AC0123456789secretsid";
const TOKEN: &str = "tok-s3cr3t-twilio";

/// Three carts in Moscow, highest value first, all eligible at `NOW`.
const CARTS: &str = "\
cart_id,first_name,phone,total,currency,updated_at,sms_consent,tz
c-1,Anna,+79251234567,9000,RUB,2026-11-22T07:00:00Z,1,Europe/Moscow
c-2,Boris,+79251234568,8000,RUB,2026-11-22T07:00:00Z,1,Europe/Moscow
c-3,Vera,+79251234569,7000,RUB,2026-11-22T07:00:00Z,1,Europe/Moscow
";

fn config(gateway: &str) -> String {
    format!(
        r#"[store]
name = "Test Shop"
timezone = "Europe/Moscow"
default_region = "RU"

[source]
kind = "csv"
path = "carts.csv"
[source.columns]
cart_id = "cart_id"
name = "first_name"
phone = "phone"
total = "total"
currency = "currency"
updated_at = "updated_at"
consent = "sms_consent"
timezone = "tz"

[rules.min_cart_value]
RUB = "1000"

[message]
template = "{{name}}, your cart is waiting: {{link}}"
link = "https://shop.example/c/{{cart_id}}"
optout_suffix = ""

[gateway]
{gateway}
rate_per_second = 0
max_tries = 3
"#
    )
}

fn twilio_env(server: &Server, timeout: &str, carts: &str) -> Env {
    let mut env = Env::new();
    let gw = format!(
        "kind = \"twilio\"\nbase_url = \"{}\"\naccount_sid_env = \"TW_SID\"\nauth_token_env = \"TW_TOKEN\"\nfrom = \"+15550001111\"\ntimeout = \"{timeout}\"",
        server.url
    );
    env.write("cartnudge.toml", config(&gw))
        .write("carts.csv", carts);
    env.var("TW_SID", SID).var("TW_TOKEN", TOKEN);
    env
}

fn sent(sid: &str) -> Act {
    json(
        201,
        &format!(
            r#"{{"sid":"{sid}","status":"queued","num_segments":"1","price":"-0.00790","price_unit":"USD"}}"#
        ),
    )
}

fn twilio_error(status: u16, code: u32) -> Act {
    json(
        status,
        &format!(r#"{{"code":{code},"message":"error {code}","status":{status}}}"#),
    )
}

fn to(req: &Request) -> String {
    req.form().get("To").cloned().unwrap_or_default()
}

fn nudges(env: &Env) -> Vec<Vec<String>> {
    env.ledger_rows(
        "cartnudge.db",
        "SELECT cart_id, status, ifnull(provider_id, '') FROM nudges ORDER BY cart_id",
    )
}

/// (cart_id, decision, reason, provider_message_id) of every audit row.
fn audit(env: &Env) -> Vec<Vec<String>> {
    let rows = csv_rows(&env.read("audit/2026-11-22.csv"));
    let head = &rows[0];
    let col = |name: &str| head.iter().position(|h| h == name).unwrap();
    let cols = [
        col("cart_id"),
        col("decision"),
        col("reason"),
        col("provider_message_id"),
    ];
    rows[1..]
        .iter()
        .map(|r| cols.iter().map(|&i| r[i].clone()).collect())
        .collect()
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

#[track_caller]
fn assert_no_secrets(env: &Env, text: &str) {
    for secret in [SID, TOKEN] {
        assert!(!text.contains(secret), "secret leaked into output: {text}");
        assert!(
            !env.read("audit/2026-11-22.csv").contains(secret),
            "secret leaked into the audit"
        );
        let dump = env
            .ledger_rows("cartnudge.db", "SELECT * FROM nudges")
            .concat()
            .join(" ");
        assert!(
            !dump.contains(secret),
            "secret leaked into the ledger: {dump}"
        );
    }
}

#[test]
fn twilio_send_records_sent_failed_and_optout() {
    let server = Server::respond(|req, _| match to(req).as_str() {
        "+79251234567" => sent("SM0001"),
        "+79251234568" => twilio_error(400, 21610),
        _ => twilio_error(400, 21211),
    });
    let env = twilio_env(&server, "2s", CARTS);
    let run = env.run(&["--now", NOW, "send"]);
    run.expect_code(1);
    assert_eq!(
        nudges(&env),
        vec![
            row(&["c-1", "sent", "SM0001"]),
            row(&["c-2", "failed", ""]),
            row(&["c-3", "failed", ""])
        ]
    );
    assert_eq!(
        env.ledger_rows(
            "cartnudge.db",
            "SELECT segments, actual_cost_micros, actual_cost_currency FROM nudges WHERE cart_id = 'c-1'"
        ),
        vec![row(&["1", "7900", "USD"])]
    );
    assert_eq!(
        env.ledger_rows("cartnudge.db", "SELECT phone, source FROM optouts"),
        vec![row(&["+79251234568", "gateway:21610"])]
    );
    assert_eq!(
        audit(&env),
        vec![
            row(&["c-1", "sent", "", "SM0001"]),
            row(&["c-2", "failed", "gateway:21610", ""]),
            row(&["c-3", "failed", "gateway:21211", ""]),
        ]
    );
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    assert!(
        reqs.iter()
            .all(|r| r.path() == format!("/2010-04-01/Accounts/{SID}/Messages.json"))
    );
    assert_eq!(
        reqs[0].form().get("Body").map(String::as_str),
        Some("Anna, your cart is waiting: https://shop.example/c/c-1")
    );
    assert_no_secrets(&env, &(run.stdout() + &run.stderr()));
}

#[test]
fn twilio_fatal_stops_the_batch_with_exit_3_and_defers_the_rest() {
    let server = Server::start(vec![twilio_error(401, 20003)]);
    let env = twilio_env(&server, "2s", CARTS);
    let run = env.run(&["--now", NOW, "send"]);
    run.expect_code(3);
    assert_eq!(server.requests().len(), 1, "nothing after a fatal answer");
    assert!(
        nudges(&env).is_empty(),
        "deferred carts keep no claim: {:?}",
        nudges(&env)
    );
    assert_eq!(
        audit(&env),
        vec![
            row(&["c-1", "deferred", "gateway_aborted", ""]),
            row(&["c-2", "deferred", "gateway_aborted", ""]),
            row(&["c-3", "deferred", "gateway_aborted", ""]),
        ]
    );
    assert_no_secrets(&env, &(run.stdout() + &run.stderr()));

    // Fixed credentials: the next run sends every deferred cart.
    let fixed = Server::respond(|_, n| sent(&format!("SM{n}")));
    let mut env = env;
    env.write(
        "cartnudge.toml",
        env.read("cartnudge.toml").replace(&server.url, &fixed.url),
    );
    env.var("TW_SID", SID);
    env.run(&["--now", NOW, "send"]).expect_code(0);
    assert_eq!(fixed.requests().len(), 3);
    assert_eq!(nudges(&env).iter().filter(|r| r[1] == "sent").count(), 3);
}

#[test]
fn twilio_429_with_retry_after_then_201_sends_exactly_once() {
    let server = Server::start(vec![
        with_header(twilio_error(429, 20429), "Retry-After", "1"),
        sent("SM0429"),
    ]);
    let env = twilio_env(
        &server,
        "2s",
        &CARTS
            .lines()
            .take(2)
            .map(|l| format!("{l}\n"))
            .collect::<String>(),
    );
    let started = Instant::now();
    env.run(&["--now", NOW, "send"]).expect_code(0);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was not honoured: {:?}",
        started.elapsed()
    );
    assert_eq!(server.requests().len(), 2);
    assert_eq!(nudges(&env), vec![row(&["c-1", "sent", "SM0429"])]);
    assert_eq!(audit(&env), vec![row(&["c-1", "sent", "", "SM0429"])]);
}

#[test]
fn unknown_outcome_is_never_resent() {
    let one_cart: String = CARTS.lines().take(2).map(|l| format!("{l}\n")).collect();
    let answers = [
        Act::Slow(Duration::from_secs(2), 201, r#"{"sid":"SMlate"}"#.into()),
        Act::Cut(
            201,
            r#"{"sid":"SM0001","status":"queued","num_segments":"1"}"#.into(),
        ),
        Act::Reply(502, vec![], "<html>bad gateway</html>".into()),
    ];
    for answer in answers {
        let server = Server::start(vec![answer.clone()]);
        let env = twilio_env(&server, "300ms", &one_cart);
        env.run(&["--now", NOW, "send"]).expect_code(1);
        assert_eq!(
            nudges(&env),
            vec![row(&["c-1", "unknown", ""])],
            "{answer:?}"
        );
        assert_eq!(audit(&env)[0][1], "unknown", "{answer:?}");
        // The next run, an hour later, must not try the cart again.
        env.run(&["--now", "2026-11-22T11:00:00Z", "send"]);
        assert_eq!(server.requests().len(), 1, "resent after {answer:?}");
        assert_eq!(nudges(&env), vec![row(&["c-1", "unknown", ""])]);
    }
}

#[test]
fn missing_secret_fails_before_any_send_naming_the_variable() {
    let server = Server::start(vec![sent("SM1")]);
    let mut env = twilio_env(&server, "2s", CARTS);
    env.vars.retain(|(k, _)| k != "TW_TOKEN");
    let run = env.run(&["--now", NOW, "send"]);
    run.expect_code(2);
    assert!(run.stderr().contains("TW_TOKEN"), "{}", run.show());
    assert!(server.requests().is_empty());
    let check = env.run(&["check"]);
    assert!(
        check.stdout().contains("TW_TOKEN") || check.stderr().contains("TW_TOKEN"),
        "{}",
        check.show()
    );
}

#[test]
fn smsru_gateway_test_flag_sends_test_1() {
    let server = Server::respond(|req, _| {
        let to = req.form().get("to").cloned().unwrap_or_default();
        json(
            200,
            &format!(
                r#"{{"status":"OK","status_code":100,"sms":{{"{to}":{{"status":"OK","status_code":100,"sms_id":"0-1"}}}},"balance":1}}"#
            ),
        )
    });
    let mut env = Env::new();
    let gw = format!(
        "kind = \"smsru\"\nbase_url = \"{}\"\napi_id_env = \"RU_API\"",
        server.url
    );
    env.write("cartnudge.toml", config(&gw)).write(
        "carts.csv",
        CARTS
            .lines()
            .take(2)
            .map(|l| format!("{l}\n"))
            .collect::<String>(),
    );
    env.var("RU_API", "ru-api-s3cr3t");
    let run = env.run(&["--now", NOW, "send", "--gateway-test"]);
    run.expect_code(0);
    assert!(
        run.stdout()
            .contains("gateway test: nothing was sent or recorded"),
        "{}",
        run.show()
    );
    assert!(run.stdout().contains("would send 1"), "{}", run.show());
    let form = server.one().form();
    assert_eq!(form.get("test").map(String::as_str), Some("1"));
    assert_eq!(form.get("to").map(String::as_str), Some("79251234567"));
    // A validate-only run records nothing: no ledger, an audit row in mode gateway_test.
    assert!(
        !env.exists("cartnudge.db"),
        "a gateway test created the ledger"
    );
    let audit = crate::util::csv_rows(&env.read("audit/2026-11-22.csv"));
    assert_eq!(
        (audit[1][2].as_str(), audit[1][6].as_str()),
        ("gateway_test", "would_send")
    );
    // So the real run afterwards still sends the cart, without test=1.
    env.run(&["--now", NOW, "send"]).expect_code(0);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].form().get("test"), None);
}

#[test]
fn gateway_test_is_refused_for_twilio_instead_of_sending_for_real() {
    let server = Server::start(vec![sent("SM1")]);
    let env = twilio_env(&server, "2s", CARTS);
    let run = env.run(&["--now", NOW, "send", "--gateway-test"]);
    run.expect_code(2);
    assert!(run.stderr().contains("validate-only"), "{}", run.show());
    assert!(server.requests().is_empty());
}

#[test]
fn a_passed_deadline_defers_every_cart_without_a_request() {
    let server = Server::start(vec![sent("SM1")]);
    let env = twilio_env(&server, "2s", CARTS);
    let run = env.run(&["--now", NOW, "send", "--deadline", "0s"]);
    run.expect_code(0);
    assert!(
        run.stdout()
            .contains("sent 0, failed 0, deferred 3 (deadline 3)"),
        "{}",
        run.show()
    );
    assert!(server.requests().is_empty());
    let audit = csv_rows(&env.read("audit/2026-11-22.csv"));
    let reasons: Vec<(&str, &str)> = audit[1..]
        .iter()
        .map(|r| (r[6].as_str(), r[7].as_str()))
        .collect();
    assert_eq!(reasons, vec![("deferred", "deadline"); 3]);
    assert!(
        env.ledger_rows("cartnudge.db", "SELECT * FROM nudges")
            .is_empty(),
        "deferred carts hold no claim"
    );
}

#[test]
fn rate_per_second_spaces_the_requests() {
    let arrivals = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = arrivals.clone();
    let server = Server::respond(move |_, i| {
        seen.lock().unwrap().push(Instant::now());
        sent(&format!("SM{i}"))
    });
    let env = twilio_env(&server, "2s", CARTS);
    let cfg = env
        .read("cartnudge.toml")
        .replace("rate_per_second = 0", "rate_per_second = 4");
    env.write("cartnudge.toml", cfg);
    env.run(&["--now", NOW, "send"]).expect_code(0);
    let times = arrivals.lock().unwrap().clone();
    assert_eq!(times.len(), 3);
    // 4 per second: at least 250 ms apart (a lower bound, so a slow machine cannot fail it).
    for w in times.windows(2) {
        assert!(
            w[1] - w[0] >= Duration::from_millis(230),
            "requests {:?} apart",
            w[1] - w[0]
        );
    }
}

#[test]
fn a_huge_retry_after_defers_the_cart_at_once_instead_of_holding_the_lock() {
    let server = Server::start(vec![
        with_header(twilio_error(429, 20429), "Retry-After", "3600"),
        sent("SM2"),
    ]);
    let one_cart: String = CARTS.lines().take(2).map(|l| format!("{l}\n")).collect();
    let env = twilio_env(&server, "2s", &one_cart);
    let started = Instant::now();
    let run = env.run(&["--now", NOW, "send"]);
    run.expect_code(0);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the run slept on a 1-hour Retry-After: {:?}",
        started.elapsed()
    );
    assert_eq!(server.requests().len(), 1);
    let audit = csv_rows(&env.read("audit/2026-11-22.csv"));
    assert_eq!(
        (audit[1][6].as_str(), audit[1][7].as_str()),
        ("deferred", "gateway_retry"),
        "{}",
        run.show()
    );
    // No claim is left behind, so the next run tries the cart again.
    assert!(nudges(&env).is_empty());
    env.run(&["--now", "2026-11-22T13:00:00Z", "send"])
        .expect_code(0);
    assert_eq!(server.requests().len(), 2);
    assert_eq!(nudges(&env), vec![row(&["c-1", "sent", "SM2"])]);
}

/// Every form of the Twilio credentials a provider could echo back.
fn credential_forms() -> Vec<String> {
    let mut forms = vec![SID.to_string(), TOKEN.to_string()];
    let b64 = cartnudge::net::base64(format!("{SID}:{TOKEN}").as_bytes());
    forms.push(b64.trim_end_matches('=').to_string());
    forms.push(
        b64.replace('+', "-")
            .replace('/', "_")
            .trim_end_matches('=')
            .to_string(),
    );
    forms
}

#[test]
fn credentials_echoed_by_the_provider_never_reach_stderr_audit_or_ledger() {
    let auth = cartnudge::net::basic_auth(SID, TOKEN);
    let echo = |status: u16| {
        json(
            status,
            &format!(r#"{{"code":20003,"message":"Authenticate: got {auth}","status":{status}}}"#),
        )
    };
    // 401 stops the batch (stderr); 400 fails one cart (ledger error_text, audit).
    for status in [401, 400] {
        let server = Server::start(vec![echo(status)]);
        let one_cart: String = CARTS.lines().take(2).map(|l| format!("{l}\n")).collect();
        let env = twilio_env(&server, "2s", &one_cart);
        let run = env.run(&["--now", NOW, "send"]);
        let all = format!("{}{}", run.stdout(), run.stderr());
        let dump = env
            .ledger_rows("cartnudge.db", "SELECT * FROM nudges")
            .concat()
            .join(" ");
        let audit_text = env.read("audit/2026-11-22.csv");
        for form in credential_forms() {
            for (place, text) in [("output", &all), ("ledger", &dump), ("audit", &audit_text)] {
                assert!(
                    !text.contains(&form),
                    "HTTP {status}: `{form}` leaked into the {place}: {text}"
                );
            }
        }
        assert!(
            all.contains("[redacted]") || dump.contains("[redacted]"),
            "{}",
            run.show()
        );
    }
}

#[test]
fn an_unresolvable_gateway_host_defers_every_cart_and_burns_none() {
    let mut env = Env::new();
    let gw = "kind = \"twilio\"\nbase_url = \"https://cartnudge-test.invalid\"\naccount_sid_env = \"TW_SID\"\nauth_token_env = \"TW_TOKEN\"\nfrom = \"+15550001111\"";
    // One try per cart: the classification is the point, not the backoff.
    env.write(
        "cartnudge.toml",
        config(gw).replace("max_tries = 3", "max_tries = 1"),
    )
    .write("carts.csv", CARTS);
    env.var("TW_SID", SID).var("TW_TOKEN", TOKEN);
    let run = env.run(&["--now", NOW, "-q", "send"]);
    run.expect_code(0);
    // Nothing left the machine: no claim stays behind, so the next run tries again.
    assert!(nudges(&env).is_empty(), "{}", run.show());
    let reasons: Vec<Vec<String>> = audit(&env).into_iter().map(|r| r[1..3].to_vec()).collect();
    assert_eq!(reasons, vec![row(&["deferred", "gateway_retry"]); 3]);
    // A person is told, even under -q: nothing could be sent.
    assert!(
        run.stderr().contains("deferred 3 (gateway_retry 3)"),
        "{}",
        run.show()
    );
}

#[test]
fn the_deadline_bounds_a_request_in_flight() {
    let one_cart: String = CARTS.lines().take(2).map(|l| format!("{l}\n")).collect();
    let server = Server::start(vec![Act::Slow(
        Duration::from_secs(6),
        201,
        r#"{"sid":"SMslow"}"#.into(),
    )]);
    // The gateway would wait 10 s for an answer; the run's deadline is 2 s.
    let env = twilio_env(&server, "10s", &one_cart);
    let started = Instant::now();
    let run = env.run(&["--now", NOW, "send", "--deadline", "2s"]);
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(3500),
        "the request outlived the deadline: {took:?}"
    );
    // It was sent and not answered in time: unknown, never resent.
    run.expect_code(1);
    assert_eq!(nudges(&env), vec![row(&["c-1", "unknown", ""])]);
}
