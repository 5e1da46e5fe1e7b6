//! Every provider against a loopback server that answers as the provider documents (GATEWAYS.md):
//! the exact request, one test per response class, and a server that is slow, hangs up, or answers
//! HTML. Secrets are distinctive strings so a leak into an error or `Debug` is caught.

mod send;

use crate::loopback::{Act, Server, json, with_header};
use cartnudge::gateway::{self, DeliveryState, Gateway, GatewayError, Receipt, Sms};
use cartnudge::message::Encoding;
use cartnudge::model::E164;
use cartnudge::settings::{GatewaySettings, RawGateway};
use std::time::{Duration, Instant};

const SECRETS: &[(&str, &str)] = &[
    ("TW_SID", "AC0123456789secretsid"),
    ("TW_TOKEN", "tok-s3cr3t-twilio"),
    ("TW_KEY", "SKkey0000secret"),
    ("RU_API", "ru-api-s3cr3t-7788"),
    ("SMSC_LOGIN", "shoplogin-s3cr3t"),
    ("SMSC_PSW", "psw-s3cr3t-smsc"),
    ("MB_KEY", "live_mb_s3cr3t_key"),
    ("VG_KEY", "vgkey-s3cr3t"),
    ("VG_SECRET", "vgsecret-s3cr3t"),
    ("HOOK_SECRET", "hook-s3cr3t-hmac"),
];

fn env(name: &str) -> Option<String> {
    SECRETS
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn settings(kind: &str, base: &str, set: impl FnOnce(&mut RawGateway)) -> GatewaySettings {
    let mut raw = RawGateway {
        kind: Some(kind.into()),
        base_url: Some(base.into()),
        ..RawGateway::default()
    };
    set(&mut raw);
    GatewaySettings {
        kind: kind.into(),
        path: None,
        timeout: Duration::from_secs(3),
        connect_timeout: Duration::from_secs(1),
        rate_per_second: 0.0,
        limit: 20,
        max_tries: 3,
        test_mode: false,
        raw,
    }
}

fn twilio_cfg(base: &str) -> GatewaySettings {
    settings("twilio", base, |r| {
        r.account_sid_env = Some("TW_SID".into());
        r.auth_token_env = Some("TW_TOKEN".into());
        r.from = Some("+15550001111".into());
        r.status_callback = Some("https://shop.example/cb".into());
    })
}

fn smsru_cfg(base: &str) -> GatewaySettings {
    settings("smsru", base, |r| {
        r.api_id_env = Some("RU_API".into());
        r.from = Some("DemoShop".into());
    })
}

fn smsc_cfg(base: &str) -> GatewaySettings {
    settings("smsc", base, |r| {
        r.login_env = Some("SMSC_LOGIN".into());
        r.password_env = Some("SMSC_PSW".into());
        r.from = Some("DemoShop".into());
    })
}

fn mb_cfg(base: &str) -> GatewaySettings {
    settings("messagebird", base, |r| {
        r.access_key_env = Some("MB_KEY".into());
        r.from = Some("DemoShop".into());
    })
}

fn vonage_cfg(base: &str) -> GatewaySettings {
    settings("vonage", base, |r| {
        r.api_key_env = Some("VG_KEY".into());
        r.api_secret_env = Some("VG_SECRET".into());
        r.from = Some("DemoShop".into());
    })
}

fn webhook_cfg(url: &str) -> GatewaySettings {
    settings("webhook", "", |r| {
        r.base_url = None;
        r.url = Some(format!("{url}/sms"));
        r.secret_env = Some("HOOK_SECRET".into());
    })
}

fn build(cfg: &GatewaySettings) -> Box<dyn Gateway> {
    gateway::build(cfg, &env).unwrap_or_else(|e| panic!("build {}: {e:#}", cfg.kind))
}

const TO: &str = "+79251234567";

fn send_text(
    gw: &mut dyn Gateway,
    text: &str,
    encoding: Encoding,
) -> Result<Receipt, GatewayError> {
    let to = E164::from_normalized(TO);
    let sms = Sms {
        to: &to,
        text,
        encoding,
        segments: 1,
        cart_id: "cart-42",
        idempotency_key: "cn-cart-42-1",
        at: chrono::DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z")
            .unwrap()
            .to_utc(),
    };
    let result = gw.send(&sms);
    if let Err(e) = &result {
        assert_no_secret(&format!("{e} {e:?}"));
    }
    result
}

fn send(gw: &mut dyn Gateway) -> Result<Receipt, GatewayError> {
    send_text(gw, "Anna, your cart is waiting", Encoding::Gsm7)
}

#[track_caller]
fn assert_no_secret(text: &str) {
    for (var, value) in SECRETS {
        assert!(!text.contains(value), "secret from {var} leaked: {text}");
    }
}

/// One answer, one send: the error's class, code and opt-out flag.
fn class_of(cfg: &GatewaySettings, act: Act) -> (String, String, bool, Option<Duration>) {
    let server = Server::start(vec![act]);
    let cfg = GatewaySettings {
        raw: RawGateway {
            base_url: Some(server.url.clone()),
            ..cfg.raw.clone()
        },
        ..cfg.clone()
    };
    let cfg = if cfg.kind == "webhook" {
        webhook_cfg(&server.url)
    } else {
        cfg
    };
    let err = send(build(&cfg).as_mut()).expect_err("an error");
    let (opt_out, retry) = match &err {
        GatewayError::Permanent { opt_out, .. } => (*opt_out, None),
        GatewayError::Transient { retry_after, .. } => (false, *retry_after),
        _ => (false, None),
    };
    (
        err.class().to_string(),
        err.code().to_string(),
        opt_out,
        retry,
    )
}

#[track_caller]
fn expect(cfg: &GatewaySettings, act: Act, class: &str, code: &str, opt_out: bool) {
    let got = class_of(cfg, act.clone());
    assert_eq!(
        (got.0.as_str(), got.1.as_str(), got.2),
        (class, code, opt_out),
        "answer {act:?}"
    );
}

// ---------------------------------------------------------------- twilio

#[test]
fn twilio_send_request_is_exact_and_receipt_has_sid_segments_price() {
    let server = Server::start(vec![json(
        201,
        r#"{"sid":"SM0001","status":"queued","num_segments":"2","price":"-0.01580","price_unit":"USD","error_code":null}"#,
    )]);
    let receipt = send(build(&twilio_cfg(&server.url)).as_mut()).unwrap();
    let req = server.one();
    assert_eq!(req.method, "POST");
    assert_eq!(
        req.target,
        "/2010-04-01/Accounts/AC0123456789secretsid/Messages.json"
    );
    let expected_auth = format!("Basic {}", b64("AC0123456789secretsid:tok-s3cr3t-twilio"));
    assert_eq!(req.header("authorization"), Some(expected_auth.as_str()));
    assert_eq!(
        req.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let form = req.form();
    let expected: Vec<(&str, &str)> = vec![
        ("Body", "Anna, your cart is waiting"),
        ("From", "+15550001111"),
        ("StatusCallback", "https://shop.example/cb"),
        ("To", TO),
    ];
    assert_eq!(
        form.iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected
    );
    assert_eq!(receipt.provider_id.as_deref(), Some("SM0001"));
    assert_eq!(receipt.segments, Some(2));
    assert_eq!(
        receipt.price.map(|p| p.to_string()).as_deref(),
        Some("0.0158 USD")
    );
}

#[test]
fn twilio_api_key_auth_keeps_account_in_path_and_uses_messaging_service() {
    let server = Server::start(vec![json(
        201,
        r#"{"sid":"SM0002","num_segments":"0","price":null,"price_unit":"USD"}"#,
    )]);
    let mut cfg = twilio_cfg(&server.url);
    cfg.raw.api_key_sid_env = Some("TW_KEY".into());
    cfg.raw.from = None;
    cfg.raw.status_callback = None;
    cfg.raw.messaging_service_sid = Some("MG123".into());
    let receipt = send(build(&cfg).as_mut()).unwrap();
    let req = server.one();
    assert_eq!(
        req.path(),
        "/2010-04-01/Accounts/AC0123456789secretsid/Messages.json"
    );
    let expected_auth = format!("Basic {}", b64("SKkey0000secret:tok-s3cr3t-twilio"));
    assert_eq!(req.header("authorization"), Some(expected_auth.as_str()));
    let form = req.form();
    assert_eq!(
        form.get("MessagingServiceSid").map(String::as_str),
        Some("MG123")
    );
    assert!(!form.contains_key("From"), "{form:?}");
    // "0" segments means "not split yet"; a null price is not known yet.
    assert_eq!(
        receipt,
        Receipt {
            provider_id: Some("SM0002".into()),
            segments: None,
            price: None
        }
    );
}

fn twilio_error(status: u16, code: u32) -> Act {
    json(
        status,
        &format!(
            r#"{{"code":{code},"message":"error {code}","more_info":"https://www.twilio.com/docs/errors/{code}","status":{status}}}"#
        ),
    )
}

#[test]
fn twilio_error_codes_map_to_classes() {
    let cfg = twilio_cfg("http://unused");
    expect(&cfg, twilio_error(400, 21211), "permanent", "21211", false);
    expect(&cfg, twilio_error(400, 21408), "permanent", "21408", false);
    expect(&cfg, twilio_error(400, 21614), "permanent", "21614", false);
    expect(&cfg, twilio_error(400, 21610), "permanent", "21610", true);
    expect(&cfg, twilio_error(401, 20003), "fatal", "20003", false);
    expect(&cfg, twilio_error(400, 21606), "fatal", "21606", false);
    expect(&cfg, twilio_error(500, 20500), "unknown", "20500", false);
    expect(
        &cfg,
        Act::Reply(502, vec![], "<html>Bad gateway</html>".into()),
        "unknown",
        "502",
        false,
    );
    let (class, code, _, retry) = class_of(
        &cfg,
        with_header(twilio_error(429, 20429), "Retry-After", "7"),
    );
    assert_eq!(
        (class.as_str(), code.as_str(), retry),
        ("transient", "20429", Some(Duration::from_secs(7)))
    );
}

#[test]
fn twilio_error_echoing_the_account_sid_is_scrubbed() {
    let body = r#"{"code":20404,"message":"The requested resource /2010-04-01/Accounts/AC0123456789secretsid/Messages.json was not found","status":404}"#;
    let server = Server::start(vec![json(404, body)]);
    let err = send(build(&twilio_cfg(&server.url)).as_mut()).unwrap_err();
    assert!(err.is_fatal(), "{err}");
    assert!(err.message().contains("[redacted]"), "{err}");
}

#[test]
fn twilio_status_maps_states_and_price() {
    let server = Server::start(vec![
        json(
            200,
            r#"{"sid":"SM0001","status":"delivered","price":"-0.00790","price_unit":"USD","error_code":null}"#,
        ),
        json(
            200,
            r#"{"sid":"SM0001","status":"undelivered","price":null,"price_unit":"USD","error_code":30007}"#,
        ),
        json(
            200,
            r#"{"sid":"SM0001","status":"sent","price":null,"price_unit":"USD","error_code":null}"#,
        ),
    ]);
    let mut gw = build(&twilio_cfg(&server.url));
    assert!(gw.has_status());
    let st = gw.status("SM0001").unwrap();
    assert_eq!(st.state, DeliveryState::Delivered);
    assert_eq!(
        st.price.map(|p| p.to_string()).as_deref(),
        Some("0.0079 USD")
    );
    let st = gw.status("SM0001").unwrap();
    assert_eq!(
        (st.state, st.code.as_deref()),
        (DeliveryState::Undelivered, Some("30007"))
    );
    assert_eq!(gw.status("SM0001").unwrap().state, DeliveryState::Pending);
    let reqs = server.requests();
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(
        reqs[0].target,
        "/2010-04-01/Accounts/AC0123456789secretsid/Messages/SM0001.json"
    );
    assert!(
        reqs[0]
            .header("authorization")
            .is_some_and(|a| a.starts_with("Basic "))
    );
    assert!(gw.status("../x").unwrap_err().is_permanent());
}

// ---------------------------------------------------------------- sms.ru

fn smsru_number(status: &str, code: u32, extra: &str) -> Act {
    json(
        200,
        &format!(
            r#"{{"status":"OK","status_code":100,"sms":{{"79251234567":{{"status":"{status}","status_code":{code}{extra}}}}},"balance":4122.56}}"#
        ),
    )
}

fn smsru_top(code: u32) -> Act {
    json(
        200,
        &format!(r#"{{"status":"ERROR","status_code":{code},"status_text":"error {code}"}}"#),
    )
}

#[test]
fn smsru_send_request_is_exact() {
    let server = Server::start(vec![smsru_number(
        "OK",
        100,
        r#","sms_id":"000000-10000000""#,
    )]);
    let receipt = send_text(
        build(&smsru_cfg(&server.url)).as_mut(),
        "Анна, корзина ждёт",
        Encoding::Ucs2,
    )
    .unwrap();
    let req = server.one();
    assert_eq!(
        (req.method.as_str(), req.target.as_str()),
        ("POST", "/sms/send")
    );
    assert_eq!(
        req.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let form = req.form();
    let expected: Vec<(&str, &str)> = vec![
        ("api_id", "ru-api-s3cr3t-7788"),
        ("from", "DemoShop"),
        ("json", "1"),
        ("msg", "Анна, корзина ждёт"),
        ("to", "79251234567"),
    ];
    assert_eq!(
        form.iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected
    );
    assert_eq!(receipt.provider_id.as_deref(), Some("000000-10000000"));
}

#[test]
fn smsru_gateway_test_sends_test_1() {
    let server = Server::start(vec![smsru_number("OK", 100, r#","sms_id":"000000-1""#)]);
    let mut cfg = smsru_cfg(&server.url);
    cfg.test_mode = true;
    send(build(&cfg).as_mut()).unwrap();
    assert_eq!(
        server.one().form().get("test").map(String::as_str),
        Some("1")
    );
}

#[test]
fn smsru_codes_map_to_classes() {
    let cfg = smsru_cfg("http://unused");
    expect(
        &cfg,
        smsru_number("ERROR", 207, r#","status_text":"no route""#),
        "permanent",
        "207",
        false,
    );
    expect(
        &cfg,
        smsru_number("ERROR", 202, ""),
        "permanent",
        "202",
        false,
    );
    expect(
        &cfg,
        smsru_number("ERROR", 209, ""),
        "permanent",
        "209",
        true,
    );
    expect(
        &cfg,
        smsru_number("ERROR", 215, ""),
        "permanent",
        "215",
        true,
    );
    expect(
        &cfg,
        smsru_number("ERROR", 231, ""),
        "permanent",
        "231",
        false,
    );
    expect(&cfg, smsru_top(200), "fatal", "200", false);
    expect(&cfg, smsru_top(201), "fatal", "201", false);
    expect(&cfg, smsru_top(204), "fatal", "204", false);
    expect(&cfg, smsru_top(206), "fatal", "206", false);
    expect(&cfg, smsru_top(220), "transient", "220", false);
    expect(&cfg, smsru_top(500), "transient", "500", false);
    expect(
        &cfg,
        json(200, r#"{"status":"OK","status_code":100,"sms":{}}"#),
        "unknown",
        "no-entry",
        false,
    );
    expect(
        &cfg,
        Act::Reply(200, vec![], "<html>maintenance</html>".into()),
        "unknown",
        "200",
        false,
    );
}

#[test]
fn smsru_status_maps_codes_and_cost_without_leaking_api_id() {
    let server = Server::start(vec![
        json(
            200,
            r#"{"status":"OK","status_code":100,"sms":{"000000-1":{"status":"OK","status_code":103,"cost":3.5,"status_text":"delivered"}}}"#,
        ),
        json(
            200,
            r#"{"status":"OK","status_code":100,"sms":{"000000-1":{"status":"OK","status_code":150,"status_text":"no route"}}}"#,
        ),
        json(
            200,
            r#"{"status":"OK","status_code":100,"sms":{"000000-1":{"status":"OK","status_code":102}}}"#,
        ),
        Act::Hangup,
    ]);
    let mut gw = build(&smsru_cfg(&server.url));
    let st = gw.status("000000-1").unwrap();
    assert_eq!(st.state, DeliveryState::Delivered);
    assert_eq!(st.price.map(|p| p.to_string()).as_deref(), Some("3.50 RUB"));
    assert_eq!(gw.status("000000-1").unwrap().state, DeliveryState::Failed);
    assert_eq!(gw.status("000000-1").unwrap().state, DeliveryState::Pending);
    let err = gw.status("000000-1").unwrap_err();
    assert_no_secret(&format!("{err} {err:?}"));
    let req = &server.requests()[0];
    assert_eq!((req.method.as_str(), req.path()), ("GET", "/sms/status"));
    let q = req.query();
    assert_eq!(
        q.get("api_id").map(String::as_str),
        Some("ru-api-s3cr3t-7788")
    );
    assert_eq!(q.get("sms_id").map(String::as_str), Some("000000-1"));
    assert_eq!(q.get("json").map(String::as_str), Some("1"));
}

// ---------------------------------------------------------------- smsc

#[test]
fn smsc_send_request_is_exact_and_receipt_has_cost() {
    let server = Server::start(vec![json(
        200,
        r#"{"id": 123, "cnt": 2, "cost": "7.00", "balance": "100.00"}"#,
    )]);
    let receipt = send_text(
        build(&smsc_cfg(&server.url)).as_mut(),
        "Корзина ждёт",
        Encoding::Ucs2,
    )
    .unwrap();
    let req = server.one();
    assert_eq!(
        (req.method.as_str(), req.target.as_str()),
        ("POST", "/sys/send.php")
    );
    let form = req.form();
    let expected: Vec<(&str, &str)> = vec![
        ("charset", "utf-8"),
        ("cost", "3"),
        ("fmt", "3"),
        ("login", "shoplogin-s3cr3t"),
        ("mes", "Корзина ждёт"),
        ("phones", "79251234567"),
        ("psw", "psw-s3cr3t-smsc"),
        ("sender", "DemoShop"),
    ];
    assert_eq!(
        form.iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected
    );
    assert_eq!(receipt.provider_id.as_deref(), Some("123"));
    assert_eq!(receipt.segments, Some(2));
    assert_eq!(
        receipt.price.map(|p| p.to_string()).as_deref(),
        Some("7.00 RUB")
    );
}

#[test]
fn smsc_gateway_test_asks_for_the_cost_only() {
    let server = Server::start(vec![json(200, r#"{"cnt": 1, "cost": "3.50"}"#)]);
    let mut cfg = smsc_cfg(&server.url);
    cfg.test_mode = true;
    let receipt = send(build(&cfg).as_mut()).unwrap();
    assert_eq!(
        server.one().form().get("cost").map(String::as_str),
        Some("1")
    );
    assert_eq!(receipt.provider_id, None);
}

#[test]
fn smsc_error_codes_map_to_classes() {
    let cfg = smsc_cfg("http://unused");
    let err = |code: u32| {
        json(
            200,
            &format!(r#"{{"error": "error {code}", "error_code": {code}}}"#),
        )
    };
    expect(&cfg, err(1), "permanent", "1", false);
    expect(&cfg, err(2), "fatal", "2", false);
    expect(&cfg, err(3), "fatal", "3", false);
    expect(&cfg, err(4), "fatal", "4", false);
    expect(&cfg, err(6), "permanent", "6", false);
    expect(&cfg, err(7), "permanent", "7", false);
    expect(&cfg, err(8), "permanent", "8", false);
    expect(&cfg, err(9), "unknown", "9", false);
    expect(&cfg, json(200, "{\"id\": 12"), "unknown", "200", false);
}

// ---------------------------------------------------------------- messagebird

#[test]
fn messagebird_send_request_is_exact() {
    let server = Server::start(vec![json(
        201,
        r#"{"id":"e8077d803532c0b5937c639b60216938","messagePartCount":1,"recipients":{"items":[{"recipient":79251234567,"status":"sent"}]}}"#,
    )]);
    let receipt = send_text(
        build(&mb_cfg(&server.url)).as_mut(),
        "Корзина ждёт",
        Encoding::Ucs2,
    )
    .unwrap();
    let req = server.one();
    assert_eq!(
        (req.method.as_str(), req.target.as_str()),
        ("POST", "/messages")
    );
    assert_eq!(
        req.header("authorization"),
        Some("AccessKey live_mb_s3cr3t_key")
    );
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert_eq!(
        req.json(),
        serde_json::json!({"originator": "DemoShop", "recipients": ["79251234567"], "body": "Корзина ждёт",
                           "reference": "cart-42", "datacoding": "unicode"})
    );
    assert_eq!(
        receipt.provider_id.as_deref(),
        Some("e8077d803532c0b5937c639b60216938")
    );
    assert_eq!(receipt.segments, Some(1));
}

#[test]
fn messagebird_errors_map_to_classes() {
    let cfg = mb_cfg("http://unused");
    let err = |status: u16, code: u32| {
        json(
            status,
            &format!(
                r#"{{"errors":[{{"code":{code},"description":"error {code}","parameter":"x"}}]}}"#
            ),
        )
    };
    expect(&cfg, err(401, 2), "fatal", "2", false);
    expect(&cfg, err(422, 9), "permanent", "9", false);
    expect(&cfg, err(422, 25), "fatal", "25", false);
    expect(&cfg, err(500, 99), "unknown", "99", false);
    let (class, _, _, retry) = class_of(&cfg, with_header(json(429, "{}"), "Retry-After", "3"));
    assert_eq!(
        (class.as_str(), retry),
        ("transient", Some(Duration::from_secs(3)))
    );
}

// ---------------------------------------------------------------- vonage

fn vonage(parts: &[(&str, &str)]) -> Act {
    let msgs: Vec<String> = parts
        .iter()
        .enumerate()
        .map(|(i, (status, extra))| {
            format!(r#"{{"to":"79251234567","message-id":"vg-{i}","status":"{status}","remaining-balance":"10.0","message-price":"0.0333","network":"25001"{extra}}}"#)
        })
        .collect();
    json(
        200,
        &format!(
            r#"{{"message-count":"{}","messages":[{}]}}"#,
            parts.len(),
            msgs.join(",")
        ),
    )
}

#[test]
fn vonage_send_request_is_exact_and_sums_part_prices() {
    let server = Server::start(vec![vonage(&[("0", ""), ("0", "")])]);
    let receipt = send_text(
        build(&vonage_cfg(&server.url)).as_mut(),
        "Корзина ждёт",
        Encoding::Ucs2,
    )
    .unwrap();
    let req = server.one();
    assert_eq!(
        (req.method.as_str(), req.target.as_str()),
        ("POST", "/sms/json")
    );
    assert_eq!(
        req.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let form = req.form();
    let expected: Vec<(&str, &str)> = vec![
        ("api_key", "vgkey-s3cr3t"),
        ("api_secret", "vgsecret-s3cr3t"),
        ("from", "DemoShop"),
        ("text", "Корзина ждёт"),
        ("to", "79251234567"),
        ("type", "unicode"),
    ];
    assert_eq!(
        form.iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected
    );
    assert_eq!(receipt.provider_id.as_deref(), Some("vg-0"));
    assert_eq!(receipt.segments, Some(2));
    assert_eq!(
        receipt.price.map(|p| p.to_string()).as_deref(),
        Some("0.0666 EUR")
    );
}

#[test]
fn vonage_gsm_text_has_no_type() {
    let server = Server::start(vec![vonage(&[("0", "")])]);
    send(build(&vonage_cfg(&server.url)).as_mut()).unwrap();
    assert!(!server.one().form().contains_key("type"));
}

#[test]
fn vonage_statuses_map_to_classes() {
    let cfg = vonage_cfg("http://unused");
    let fail = |s: &'static str| vonage(&[(s, r#","error-text":"nope""#)]);
    expect(&cfg, fail("1"), "transient", "1", false);
    for s in ["2", "3", "6", "7", "29"] {
        expect(&cfg, fail(s), "permanent", s, false);
    }
    for s in ["4", "9", "15"] {
        expect(&cfg, fail(s), "fatal", s, false);
    }
    // One part out, one refused: resending would repeat the first part.
    expect(&cfg, vonage(&[("0", ""), ("1", "")]), "unknown", "1", false);
}

// ---------------------------------------------------------------- webhook

#[test]
fn webhook_request_is_signed_over_the_exact_body() {
    let server = Server::start(vec![json(200, r#"{"id":"hook-1"}"#)]);
    let receipt = send(build(&webhook_cfg(&server.url)).as_mut()).unwrap();
    let req = server.one();
    assert_eq!((req.method.as_str(), req.target.as_str()), ("POST", "/sms"));
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert_eq!(req.header("idempotency-key"), Some("cn-cart-42-1"));
    assert_eq!(
        req.json(),
        serde_json::json!({"to": TO, "text": "Anna, your cart is waiting", "cart_id": "cart-42", "idempotency_key": "cn-cart-42-1"})
    );
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"hook-s3cr3t-hmac").unwrap();
    mac.update(&req.body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        req.header("x-cartnudge-signature"),
        Some(format!("sha256={hex}").as_str())
    );
    assert_eq!(receipt.provider_id.as_deref(), Some("hook-1"));
}

#[test]
fn webhook_signature_matches_a_known_hmac_vector() {
    let sig = gateway::webhook::signature(b"key", b"The quick brown fox jumps over the lazy dog");
    assert_eq!(
        sig,
        "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
    );
}

#[test]
fn webhook_statuses_map_to_classes() {
    let cfg = webhook_cfg("http://unused");
    let plain = |s: u16| Act::Reply(s, vec![], "nope".into());
    expect(&cfg, plain(401), "fatal", "401", false);
    expect(&cfg, plain(403), "fatal", "403", false);
    expect(&cfg, plain(503), "transient", "503", false);
    expect(&cfg, plain(400), "permanent", "400", false);
    expect(&cfg, plain(422), "permanent", "422", false);
    expect(&cfg, plain(500), "unknown", "500", false);
    expect(&cfg, plain(502), "unknown", "502", false);
    let (class, _, _, retry) = class_of(&cfg, with_header(plain(429), "Retry-After", "2"));
    assert_eq!(
        (class.as_str(), retry),
        ("transient", Some(Duration::from_secs(2)))
    );
    // Any 2xx is sent, with or without a body.
    let server = Server::start(vec![Act::Reply(204, vec![], String::new())]);
    let receipt = send(build(&webhook_cfg(&server.url)).as_mut()).unwrap();
    assert_eq!(receipt.provider_id, None);
}

// ---------------------------------------------------------------- transport failures

#[test]
fn server_sleeping_past_the_timeout_is_unknown_and_does_not_wait_for_it() {
    let server = Server::start(vec![Act::Slow(
        Duration::from_secs(3),
        201,
        r#"{"sid":"SMlate"}"#.into(),
    )]);
    let mut cfg = twilio_cfg(&server.url);
    cfg.timeout = Duration::from_millis(300);
    let started = Instant::now();
    let err = send(build(&cfg).as_mut()).unwrap_err();
    assert!(err.is_unknown(), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn connection_cut_mid_response_is_unknown() {
    let server = Server::start(vec![Act::Cut(
        201,
        r#"{"sid":"SM0001","status":"queued","num_segments":"1"}"#.into(),
    )]);
    let err = send(build(&twilio_cfg(&server.url)).as_mut()).unwrap_err();
    assert!(err.is_unknown(), "{err}");
}

#[test]
fn hangup_after_the_request_is_unknown() {
    let server = Server::start(vec![Act::Hangup]);
    let err = send(build(&smsru_cfg(&server.url)).as_mut()).unwrap_err();
    assert!(err.is_unknown(), "{err}");
}

#[test]
fn connection_refused_is_transient() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = send(build(&twilio_cfg(&format!("http://127.0.0.1:{port}"))).as_mut()).unwrap_err();
    assert!(err.is_transient(), "{err}");
}

#[test]
fn html_and_garbage_answers_are_classified_by_status() {
    let html = |s: u16| {
        Act::Reply(
            s,
            vec![("Content-Type".into(), "text/html".into())],
            "<html><body>Oops</body></html>".into(),
        )
    };
    let cfg = twilio_cfg("http://unused");
    expect(&cfg, html(200), "unknown", "200", false);
    expect(&cfg, json(201, r#"{"sid": "SM"#), "unknown", "201", false);
    expect(&cfg, html(400), "permanent", "400", false);
    expect(&cfg, html(401), "fatal", "401", false);
    expect(&cfg, html(503), "unknown", "503", false);
    expect(
        &cfg,
        with_header(html(429), "Retry-After", "1"),
        "transient",
        "429",
        false,
    );
    let mb = mb_cfg("http://unused");
    expect(&mb, json(201, "[1,2"), "unknown", "201", false);
    let vg = vonage_cfg("http://unused");
    expect(
        &vg,
        json(200, r#"{"messages": "no"}"#),
        "unknown",
        "200",
        false,
    );
}

#[test]
fn redirect_is_fatal_not_followed() {
    let server = Server::start(vec![Act::Reply(
        301,
        vec![("Location".into(), "https://elsewhere.example/".into())],
        String::new(),
    )]);
    let err = send(build(&smsru_cfg(&server.url)).as_mut()).unwrap_err();
    assert!(err.is_fatal(), "{err}");
    assert_eq!(server.requests().len(), 1);
}

// ---------------------------------------------------------------- config and secrets

#[test]
fn missing_secret_names_the_variable() {
    let cfg = twilio_cfg("http://unused");
    let err = gateway::build(&cfg, &|name| {
        if name == "TW_SID" { env(name) } else { None }
    })
    .err()
    .expect("an error");
    let text = format!("{err:#}");
    assert!(
        text.contains("TW_TOKEN") && text.contains("auth_token_env"),
        "{text}"
    );
    assert_no_secret(&text);
    let mut cfg = vonage_cfg("http://unused");
    cfg.raw.api_secret_env = None;
    let text = format!("{:#}", gateway::build(&cfg, &env).err().expect("an error"));
    assert!(text.contains("api_secret_env"), "{text}");
}

#[test]
fn debug_output_never_shows_secrets() {
    let outputs = [
        format!(
            "{:?}",
            gateway::twilio::Twilio::new(&twilio_cfg("http://x"), &env).unwrap()
        ),
        format!(
            "{:?}",
            gateway::smsru::SmsRu::new(&smsru_cfg("http://x"), &env).unwrap()
        ),
        format!(
            "{:?}",
            gateway::smsc::Smsc::new(&smsc_cfg("http://x"), &env).unwrap()
        ),
        format!(
            "{:?}",
            gateway::messagebird::MessageBird::new(&mb_cfg("http://x"), &env).unwrap()
        ),
        format!(
            "{:?}",
            gateway::vonage::Vonage::new(&vonage_cfg("http://x"), &env).unwrap()
        ),
        format!(
            "{:?}",
            gateway::webhook::Webhook::new(&webhook_cfg("http://x"), &env).unwrap()
        ),
    ];
    for out in outputs {
        assert!(out.contains("[redacted]"), "{out}");
        assert_no_secret(&out);
    }
}

#[test]
fn required_env_lists_configured_secret_variables() {
    let got = gateway::required_env(&twilio_cfg("http://x"));
    assert_eq!(
        got,
        vec![
            ("account_sid_env", "TW_SID".to_string()),
            ("auth_token_env", "TW_TOKEN".to_string())
        ]
    );
    assert_eq!(
        gateway::required_env(&webhook_cfg("http://x")),
        vec![("secret_env", "HOOK_SECRET".to_string())]
    );
}

#[test]
fn gateway_test_is_refused_where_the_provider_has_no_validate_only_mode() {
    for mut cfg in [
        twilio_cfg("http://x"),
        mb_cfg("http://x"),
        vonage_cfg("http://x"),
        webhook_cfg("http://x"),
    ] {
        cfg.test_mode = true;
        let err = gateway::build(&cfg, &env).err().expect("refused");
        assert!(format!("{err:#}").contains("validate-only"), "{err:#}");
    }
}

fn b64(s: &str) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = s.as_bytes();
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = c
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            out.push(if i <= c.len() {
                A[(n >> (18 - 6 * i) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

#[test]
fn base_url_that_is_not_http_is_a_config_error() {
    for bad in ["ftp://x", "api.twilio.com", "https://"] {
        let err = gateway::build(&twilio_cfg(bad), &env)
            .err()
            .expect("refused");
        assert!(format!("{err:#}").contains("base_url"), "{err:#}");
    }
}
