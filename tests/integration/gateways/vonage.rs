//! Vonage against a loopback server: the exact form POST, `type=unicode`, per-part `status` → classes
//! (HTTP 200 even on failure), part prices summed.

use super::*;

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
