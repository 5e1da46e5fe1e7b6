//! The signed webhook against a loopback server: exact JSON body, HMAC over the exact bytes,
//! idempotency key, and HTTP status → classes.

use super::*;

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
