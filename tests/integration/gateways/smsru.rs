//! SMS.ru against a loopback server: the exact form POST, top-level and per-number codes → classes,
//! `test=1`, and the status API (whose query holds the api_id, so errors must not).

use super::*;

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
