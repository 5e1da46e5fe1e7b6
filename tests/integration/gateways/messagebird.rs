//! MessageBird against a loopback server: the exact JSON POST with `AccessKey` auth, UCS-2 datacoding,
//! and `errors[].code` → classes.

use super::*;

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
