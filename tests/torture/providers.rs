//! Each provider as GATEWAYS.md documents it: its config, its secrets, its "accepted" answer, and
//! every fault it can send, with the class DESIGN.md §6 gives it (retry, failed, opted out,
//! fatal, unknown).

#![allow(dead_code)]

use crate::server::{Act, Request, html, json, with_header};
use std::time::Duration;

pub const KINDS: &[&str] = &[
    "twilio",
    "smsru",
    "smsc",
    "messagebird",
    "vonage",
    "webhook",
];

/// The request timeout the fault runs configure; a "slow" answer comes well after it.
pub const TIMEOUT: Duration = Duration::from_secs(1);
pub const MAX_TRIES: usize = 2;

/// Environment variables holding each provider's secrets; values chosen so every encoding of
/// them differs from the raw text (`/`, `+`, `=` and a space).
pub fn secrets(kind: &str) -> Vec<(&'static str, &'static str)> {
    match kind {
        "twilio" => vec![
            ("TT_SID", "ACt0rtur3s1d5ecret0000000000000a"),
            ("TT_TOKEN", "tw/t0ken+s3cret=x"),
        ],
        "smsru" => vec![("RU_API_ID", "ru-ap1/s3cret+id")],
        "smsc" => vec![
            ("SMSC_LOGIN", "smsc-l0gin-s3cret"),
            ("SMSC_PSW", "smsc p@ss/w0rd+s3cret"),
        ],
        "messagebird" => vec![("MB_KEY", "mb_live_s3cret/key+1")],
        "vonage" => vec![
            ("VG_KEY", "vgkey0s3cret"),
            ("VG_SECRET", "vg/secret+s3cret="),
        ],
        "webhook" => vec![("HOOK_SECRET", "hook s3cret/hmac+key")],
        _ => Vec::new(),
    }
}

/// `user:secret` pairs the program itself encodes (HTTP Basic auth).
pub fn basic_pairs(kind: &str) -> Vec<String> {
    match kind {
        "twilio" => vec![format!("{}:{}", secrets(kind)[0].1, secrets(kind)[1].1)],
        _ => Vec::new(),
    }
}

pub fn env(kind: &str) -> Vec<(String, String)> {
    secrets(kind)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The `[gateway]` body for `kind` at `url`.
pub fn gateway(kind: &str, url: &str) -> String {
    let common = format!(
        "timeout = \"{}ms\"\nconnect_timeout = \"1s\"\nrate_per_second = 0\nmax_tries = {MAX_TRIES}\n",
        TIMEOUT.as_millis()
    );
    let own = match kind {
        "twilio" => format!(
            "kind = \"twilio\"\nbase_url = \"{url}\"\naccount_sid_env = \"TT_SID\"\nauth_token_env = \"TT_TOKEN\"\nfrom = \"+15550001111\"\n"
        ),
        "smsru" => format!("kind = \"smsru\"\nbase_url = \"{url}\"\napi_id_env = \"RU_API_ID\"\n"),
        "smsc" => format!(
            "kind = \"smsc\"\nbase_url = \"{url}\"\nlogin_env = \"SMSC_LOGIN\"\npassword_env = \"SMSC_PSW\"\n"
        ),
        "messagebird" => format!(
            "kind = \"messagebird\"\nbase_url = \"{url}\"\naccess_key_env = \"MB_KEY\"\nfrom = \"Torture\"\n"
        ),
        "vonage" => format!(
            "kind = \"vonage\"\nbase_url = \"{url}\"\napi_key_env = \"VG_KEY\"\napi_secret_env = \"VG_SECRET\"\nfrom = \"Torture\"\n"
        ),
        "webhook" => {
            format!("kind = \"webhook\"\nurl = \"{url}/sms\"\nsecret_env = \"HOOK_SECRET\"\n")
        }
        other => panic!("no provider {other}"),
    };
    own + &common
}

/// The provider's "accepted" answer to `req` (the `n`-th request the server saw).
pub fn ok(kind: &str, req: &Request, n: usize) -> Act {
    let d = req.phone_digits();
    match kind {
        "twilio" => json(
            201,
            &format!(
                r#"{{"sid":"SM{n:032}","status":"queued","num_segments":"1","price":null,"price_unit":"USD"}}"#
            ),
        ),
        "smsru" => json(
            200,
            &format!(
                r#"{{"status":"OK","status_code":100,"sms":{{"{d}":{{"status":"OK","status_code":100,"sms_id":"0000-{n}","cost":"3.50","sms":1}}}},"balance":100.5}}"#
            ),
        ),
        "smsc" => json(
            200,
            &format!(
                r#"{{"id":{},"cnt":1,"cost":"3.50","balance":"100.00"}}"#,
                n + 1
            ),
        ),
        "messagebird" => json(
            201,
            &format!(
                r#"{{"id":"mb{n}","recipients":{{"totalCount":1,"items":[{{"recipient":{d},"status":"sent"}}]}},"messagePartCount":1}}"#
            ),
        ),
        "vonage" => json(
            200,
            &format!(
                r#"{{"message-count":"1","messages":[{{"to":"{d}","message-id":"vg{n}","status":"0","remaining-balance":"10.0","message-price":"0.03","network":"25001"}}]}}"#
            ),
        ),
        "webhook" => json(200, &format!(r#"{{"id":"wh{n}"}}"#)),
        other => panic!("no provider {other}"),
    }
}

/// What DESIGN.md §6 says an answer does to the cart.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    Sent,
    /// `failed`, with this provider code in the ledger.
    Failed(String),
    /// `failed`, and the phone on the opt-out list.
    OptOut(String),
    /// Not processed: retried `max_tries` times, then deferred (`gateway_retry`); sent later.
    Retry,
    /// Stops the batch (exit 3): this cart and the rest deferred (`gateway_aborted`).
    Fatal,
    /// May have been delivered: `unknown`, never resent.
    Unknown,
}

pub struct Fault {
    pub name: String,
    pub act: Act,
    pub expect: Expect,
}

fn fault(name: &str, act: Act, expect: Expect) -> Fault {
    Fault {
        name: name.to_string(),
        act,
        expect,
    }
}

fn failed(code: &str) -> Expect {
    Expect::Failed(code.into())
}

/// An answer that arrives after the client gave up.
fn slow(kind: &str) -> Act {
    let placeholder = Request {
        method: String::new(),
        target: String::new(),
        headers: Vec::new(),
        body: Vec::new(),
        at: std::time::Instant::now(),
    };
    Act::After(
        TIMEOUT * 2 + Duration::from_millis(500),
        Box::new(ok(kind, &placeholder, 0)),
    )
}

/// Every non-fatal fault of `kind`, in sending order.
pub fn faults(kind: &str) -> Vec<Fault> {
    let page = "<html><body>Service trouble</body></html>";
    let webhook = kind == "webhook";
    let mut v = vec![
        fault("http500", html(500, page), Expect::Unknown),
        fault(
            "http503",
            html(503, page),
            if webhook {
                Expect::Retry
            } else {
                Expect::Unknown
            },
        ),
        fault("http429", html(429, "slow down"), Expect::Retry),
        fault(
            "http429_retry_after_1s",
            with_header(html(429, "slow down"), "Retry-After", "1"),
            Expect::Retry,
        ),
        fault(
            "not_json",
            html(200, page),
            if webhook {
                Expect::Sent
            } else {
                Expect::Unknown
            },
        ),
        fault(
            "empty_body",
            Act::Reply(200, Vec::new(), String::new()),
            if webhook {
                Expect::Sent
            } else {
                Expect::Unknown
            },
        ),
        fault(
            "truncated_body",
            Act::Cut(
                200,
                r#"{"id":"cut-short","status":"queued","padding":"xxxxxxxx"}"#.into(),
            ),
            Expect::Unknown,
        ),
        fault("slow_past_timeout", slow(kind), Expect::Unknown),
        fault("close_after_request", Act::Hangup, Expect::Unknown),
        fault("reset_after_request", Act::Reset, Expect::Unknown),
    ];
    v.extend(own_faults(kind));
    v
}

/// Documented codes: permanent, opt-out, "retry" and unknown ones (fatal ones are in `fatal`).
fn own_faults(kind: &str) -> Vec<Fault> {
    let twilio = |code: u32, status: u16| {
        json(
            status,
            &format!(
                r#"{{"code":{code},"message":"twilio says {code}","more_info":"https://www.twilio.com/docs/errors/{code}","status":{status}}}"#
            ),
        )
    };
    let smsru_number = |code: u32| Act::Reply(200, Vec::new(), format!("PER_NUMBER:{code}"));
    let smsru_top = |code: u32| {
        json(
            200,
            &format!(
                r#"{{"status":"ERROR","status_code":{code},"status_text":"sms.ru says {code}"}}"#
            ),
        )
    };
    let smsc = |code: u32| {
        json(
            200,
            &format!(r#"{{"error":"smsc says {code}","error_code":{code},"id":1}}"#),
        )
    };
    let vonage = |code: u32| Act::Reply(200, Vec::new(), format!("VONAGE:{code}"));
    match kind {
        "twilio" => vec![
            fault("21211_invalid_to", twilio(21211, 400), failed("21211")),
            fault("21408_region", twilio(21408, 400), failed("21408")),
            fault("21614_not_mobile", twilio(21614, 400), failed("21614")),
            fault(
                "21610_stop",
                twilio(21610, 400),
                Expect::OptOut("21610".into()),
            ),
            fault("20429_too_many", twilio(20429, 429), Expect::Retry),
            fault("20500_internal", twilio(20500, 500), Expect::Unknown),
        ],
        "smsru" => {
            let mut v: Vec<Fault> = [202, 207, 203, 205, 212, 230]
                .iter()
                .map(|c| {
                    fault(
                        &format!("{c}_permanent"),
                        smsru_number(*c),
                        failed(&c.to_string()),
                    )
                })
                .collect();
            v.push(fault(
                "209_stoplist",
                smsru_number(209),
                Expect::OptOut("209".into()),
            ));
            v.push(fault(
                "215_global_stoplist",
                smsru_number(215),
                Expect::OptOut("215".into()),
            ));
            v.push(fault("220_unavailable", smsru_top(220), Expect::Retry));
            v.push(fault("500_retry_code", smsru_top(500), Expect::Retry));
            v
        }
        "smsc" => vec![
            fault("1_bad_parameters", smsc(1), failed("1")),
            fault("6_forbidden", smsc(6), failed("6")),
            fault("7_bad_number", smsc(7), failed("7")),
            fault("8_undeliverable", smsc(8), failed("8")),
            fault("9_duplicate", smsc(9), Expect::Unknown),
        ],
        "messagebird" => vec![
            fault(
                "9_no_recipients",
                json(
                    422,
                    r#"{"errors":[{"code":9,"description":"no (correct) recipients found","parameter":"recipients"}]}"#,
                ),
                failed("9"),
            ),
            fault(
                "429_errors_body",
                json(
                    429,
                    r#"{"errors":[{"code":429,"description":"Too many requests"}]}"#,
                ),
                Expect::Retry,
            ),
        ],
        "vonage" => {
            let mut v: Vec<Fault> = [2, 3, 6, 7, 29]
                .iter()
                .map(|c| {
                    fault(
                        &format!("{c}_permanent"),
                        vonage(*c),
                        failed(&c.to_string()),
                    )
                })
                .collect();
            v.push(fault("1_throttled", vonage(1), Expect::Retry));
            v
        }
        "webhook" => vec![
            fault("400", html(400, "bad"), failed("400")),
            fault("404", html(404, "no such"), failed("404")),
            fault("422", html(422, "bad number"), failed("422")),
            fault("502", html(502, "gateway"), Expect::Unknown),
        ],
        _ => Vec::new(),
    }
}

/// Fatal answers (bad credentials, no balance): each stops the batch.
pub fn fatal(kind: &str) -> Vec<Fault> {
    let f = |name: &str, act: Act| fault(name, act, Expect::Fatal);
    match kind {
        "twilio" => vec![f(
            "20003_auth",
            json(
                401,
                r#"{"code":20003,"message":"Authenticate","status":401}"#,
            ),
        )],
        "smsru" => vec![
            f("http401", html(401, "no")),
            f(
                "200_bad_api_id",
                Act::Reply(200, Vec::new(), "TOP:200".into()),
            ),
            f(
                "201_no_funds",
                Act::Reply(200, Vec::new(), "TOP:201".into()),
            ),
            f("204_sender", Act::Reply(200, Vec::new(), "TOP:204".into())),
            f(
                "206_daily_limit",
                Act::Reply(200, Vec::new(), "TOP:206".into()),
            ),
        ],
        "smsc" => vec![
            f(
                "2_bad_login",
                json(200, r#"{"error":"bad login","error_code":2}"#),
            ),
            f(
                "3_no_funds",
                json(200, r#"{"error":"no funds","error_code":3,"id":1}"#),
            ),
            f(
                "4_ip_blocked",
                json(200, r#"{"error":"blocked","error_code":4}"#),
            ),
        ],
        "messagebird" => vec![f(
            "2_access_key",
            json(
                401,
                r#"{"errors":[{"code":2,"description":"Request not allowed (incorrect access_key)","parameter":"access_key"}]}"#,
            ),
        )],
        "vonage" => vec![
            f(
                "4_credentials",
                Act::Reply(200, Vec::new(), "VONAGE:4".into()),
            ),
            f("9_quota", Act::Reply(200, Vec::new(), "VONAGE:9".into())),
            f("15_sender", Act::Reply(200, Vec::new(), "VONAGE:15".into())),
        ],
        "webhook" => vec![
            f("401", html(401, "signature")),
            f("403", html(403, "forbidden")),
        ],
        _ => Vec::new(),
    }
}

/// Fills the placeholders that need the request (SMS.ru and Vonage name the number in the
/// answer): `PER_NUMBER:c`, `TOP:c`, `VONAGE:c`.
pub fn render(act: &Act, req: &Request) -> Act {
    let d = req.phone_digits();
    match act {
        Act::Reply(200, h, body) if h.is_empty() => {
            if let Some(c) = body.strip_prefix("PER_NUMBER:") {
                return json(
                    200,
                    &format!(
                        r#"{{"status":"OK","status_code":100,"sms":{{"{d}":{{"status":"ERROR","status_code":{c},"status_text":"sms.ru says {c}"}}}},"balance":1.0}}"#
                    ),
                );
            }
            if let Some(c) = body.strip_prefix("TOP:") {
                return json(
                    200,
                    &format!(
                        r#"{{"status":"ERROR","status_code":{c},"status_text":"sms.ru says {c}"}}"#
                    ),
                );
            }
            if let Some(c) = body.strip_prefix("VONAGE:") {
                return json(
                    200,
                    &format!(
                        r#"{{"message-count":"1","messages":[{{"to":"{d}","status":"{c}","error-text":"vonage says {c}"}}]}}"#
                    ),
                );
            }
            act.clone()
        }
        other => other.clone(),
    }
}
