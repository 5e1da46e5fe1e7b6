//! Every provider against a loopback server that answers as the provider documents (GATEWAYS.md):
//! the exact request, one test per response class, and a server that is slow, hangs up, or answers
//! HTML. Secrets are distinctive strings so a leak into an error or `Debug` is caught.

mod messagebird;
mod send;
mod smsc;
mod smsru;
mod twilio;
mod vonage;
mod webhook;

use crate::loopback::{Act, Server, json, with_header};
use cartnudge::gateway::Config as GatewaySettings;
use cartnudge::gateway::config::RawGateway;
use cartnudge::gateway::{self, DeliveryState, Gateway, GatewayError, Receipt, Sms};
use cartnudge::message::Encoding;
use cartnudge::model::E164;
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
        kind: cartnudge::model::GatewayKind::parse(kind).expect("gateway kind"),
        deadline: Duration::from_secs(600),
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
        deadline: None,
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
    let cfg = if cfg.kind == cartnudge::model::GatewayKind::Webhook {
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
