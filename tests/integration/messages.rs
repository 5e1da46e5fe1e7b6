//! Bad input that reaches a message: an empty template is a config error, a template that renders
//! to nothing skips the cart, and control characters never reach the gateway.

use crate::shop::{NOW, Shop, cart};

fn with_message(carts: &[crate::shop::Cart], message: &str) -> Shop {
    let shop = Shop::new(carts);
    let config = shop.env.read("cartnudge.toml");
    let start = config.find("[message]").unwrap();
    let end = config[start..].find("[message.cost_per_segment]").unwrap() + start;
    shop.env.write(
        "cartnudge.toml",
        format!(
            "{}[message]\n{message}\n{}",
            &config[..start],
            &config[end..]
        ),
    );
    shop
}

#[test]
fn an_empty_template_is_a_config_error_and_nothing_is_sent() {
    let shop = with_message(&[cart("a")], "template = \"  \"");
    for cmd in ["send", "check", "scan"] {
        let r = shop.run(NOW, &[cmd]);
        r.expect_code(2);
        assert!(r.stderr().contains("template is empty"), "{}", r.show());
    }
    assert!(shop.calls().is_empty());
}

#[test]
fn a_template_that_renders_to_nothing_skips_the_cart() {
    let shop = with_message(
        &[
            cart("nameless")
                .set("name", "")
                .set("phone", "+79120000001"),
            cart("named")
                .set("name", "Anna")
                .set("phone", "+79120000002"),
        ],
        "template = \"{name}\"\nfallback_name = \"\"\noptout_suffix = \" STOP\"",
    );
    shop.run(NOW, &["send"]).expect_code(0);
    assert_eq!(shop.called_carts(), vec!["named"]);
    assert_eq!(
        shop.decision_of(NOW, "nameless"),
        ("skipped".to_string(), "empty_message".to_string())
    );
}

#[test]
fn control_characters_are_removed_before_the_gateway() {
    let shop = Shop::new(&[cart("a")
        .set("name", "An\u{0}na\u{7}\u{1b}")
        .set("phone", "+79120000001")]);
    shop.run(NOW, &["send"]).expect_code(0);
    let calls = shop.calls();
    let text = calls[0]["text"].as_str().unwrap();
    assert!(text.starts_with("Anna, cart"), "{text:?}");
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "{text:?}"
    );
    let audit = shop.audit("2026-11-22");
    let row = audit.iter().find(|r| r[3] == "a").unwrap();
    assert_eq!(
        (row[6].as_str(), row[10].as_str()),
        ("sent", "GSM-7"),
        "{row:?}"
    );
}

#[test]
fn absurd_config_values_are_config_errors_never_panics() {
    for (rules, gateway, extra, expect) in [
        ("min_delay = \"99999999d\"", "", "", "longer than ten years"),
        ("cooldown = \"99999999d\"", "", "", "longer than ten years"),
        ("", "max_tries = 0", "", "max_tries = 0"),
        ("", "", "", "negative"),
    ] {
        let shop = crate::shop::Shop::with(&[cart("a")], rules, gateway, extra);
        if expect == "negative" {
            let config = shop
                .env
                .read("cartnudge.toml")
                .replace("USD = \"60\"", "USD = \"-5\"");
            shop.env.write("cartnudge.toml", config);
        }
        for cmd in ["send", "check", "scan"] {
            let r = shop.run(NOW, &[cmd]);
            r.expect_code(2);
            assert!(r.stderr().contains(expect), "{cmd}: {}", r.show());
        }
    }
    let shop = crate::shop::Shop::new(&[cart("a")]);
    shop.env.write(
        "cartnudge.toml",
        shop.env
            .read("cartnudge.toml")
            .replace("default_region = \"RU\"", "default_region = \"ZZ\""),
    );
    let r = shop.run(NOW, &["check"]);
    r.expect_code(2);
    assert!(r.stderr().contains("store.default_region"), "{}", r.show());
    let r = shop.run(NOW, &["send", "--deadline", "99999999d"]);
    r.expect_code(2);
}
