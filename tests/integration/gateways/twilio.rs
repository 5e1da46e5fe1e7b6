//! Twilio against a loopback server: the exact form POST and Basic auth, error codes → classes,
//! the status API, and an error that echoes the account SID.

use super::*;

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
        json(404, r#"{"code":20404,"message":"not found","status":404}"#),
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
    assert!(gw.status("SM0404").unwrap_err().is_permanent());
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
