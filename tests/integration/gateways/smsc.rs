//! SMSC.ru against a loopback server: the exact form POST, `error_code` → classes, `cost=1` for
//! --gateway-test.

use super::*;

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
