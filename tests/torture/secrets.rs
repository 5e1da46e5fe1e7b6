//! Secrets: every provider is driven down every error path (permanent, opt-out, retry, unknown,
//! unreadable, redirect, timeout, hang-up, reset, fatal, status lookups, `check`, the test mode)
//! by a loopback provider that echoes the credentials back in every encoding: raw, URL- and
//! form-encoded, base64 of the secret and of `user:secret` (standard and URL-safe, with and
//! without padding), hex. Then stdout, stderr, audit, ledger (file bytes and rows) and outbox are
//! searched for each of them.

use crate::harness::{self, Done, Site, cart_row, carts_csv, config, figure, now_plus, phone};
use crate::providers;
use crate::server::{Act, Request, Server, html, json, with_header};
use std::sync::OnceLock;
use std::time::Duration;

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64(s: &str) -> String {
    let mut out = String::new();
    for c in s.as_bytes().chunks(3) {
        let n = c
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            out.push(if i <= c.len() {
                B64[(n >> (18 - 6 * i) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

fn percent(s: &str, space_plus: bool) -> String {
    s.bytes()
        .map(|b| match b {
            b' ' if space_plus => "+".to_string(),
            b if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) => (b as char).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

/// (encoding name, text, plain) for one secret; `plain` ones are the raw text and its
/// percent-encoding, which the scrubber has always removed.
fn encodings(s: &str, pair: bool) -> Vec<(&'static str, String, bool)> {
    let b = base64(s);
    let url_safe = b.replace('+', "-").replace('/', "_");
    let hex: String = s.bytes().map(|b| format!("{b:02x}")).collect();
    let mut v = Vec::new();
    if !pair {
        v.push(("raw", s.to_string(), true));
        v.push(("url-encoded", percent(s, false), true));
        v.push(("form-encoded", percent(s, true), false));
        v.push(("hex", hex.clone(), false));
        v.push(("HEX", hex.to_uppercase(), false));
    }
    v.push(("base64", b.clone(), false));
    v.push((
        "base64 unpadded",
        b.trim_end_matches('=').to_string(),
        false,
    ));
    v.push(("base64url", url_safe.clone(), false));
    v.push((
        "base64url unpadded",
        url_safe.trim_end_matches('=').to_string(),
        false,
    ));
    v.dedup_by(|a, b| a.1 == b.1);
    v
}

/// Every encoding of every secret of `kind`: (what, text, plain).
fn needles(kind: &str) -> Vec<(String, String, bool)> {
    let mut v = Vec::new();
    for (var, s) in providers::secrets(kind) {
        for (how, text, plain) in encodings(s, false) {
            v.push((format!("{var} {how}"), text, plain));
        }
    }
    for p in providers::basic_pairs(kind) {
        for (how, text, plain) in encodings(&p, true) {
            v.push((format!("user:secret {how}"), text, plain));
        }
    }
    v
}

/// The provider's error answers, each carrying `echo` where the client reads its message.
fn echo_errors(kind: &str, echo: &str, req: &Request) -> Vec<Act> {
    let e = serde_json::to_string(echo).unwrap();
    let d = req.phone_digits();
    match kind {
        "twilio" => vec![
            json(400, &format!(r#"{{"code":21211,"message":{e},"status":400}}"#)),
            json(400, &format!(r#"{{"code":21610,"message":{e},"status":400}}"#)),
            json(429, &format!(r#"{{"code":20429,"message":{e},"status":429}}"#)),
            json(500, &format!(r#"{{"code":20500,"message":{e},"status":500}}"#)),
        ],
        "smsru" => vec![
            json(200, &format!(r#"{{"status":"OK","status_code":100,"sms":{{"{d}":{{"status":"ERROR","status_code":207,"status_text":{e}}}}}}}"#)),
            json(200, &format!(r#"{{"status":"OK","status_code":100,"sms":{{"{d}":{{"status":"ERROR","status_code":209,"status_text":{e}}}}}}}"#)),
            json(200, &format!(r#"{{"status":"ERROR","status_code":220,"status_text":{e}}}"#)),
        ],
        "smsc" => vec![
            json(200, &format!(r#"{{"error":{e},"error_code":7,"id":1}}"#)),
            json(200, &format!(r#"{{"error":{e},"error_code":9,"id":1}}"#)),
        ],
        "messagebird" => vec![
            json(422, &format!(r#"{{"errors":[{{"code":9,"description":{e},"parameter":"recipients"}}]}}"#)),
            json(500, &format!(r#"{{"errors":[{{"code":1,"description":{e}}}]}}"#)),
            json(429, &format!(r#"{{"errors":[{{"code":429,"description":{e}}}]}}"#)),
        ],
        "vonage" => ["7", "5", "1"]
            .iter()
            .map(|c| json(200, &format!(r#"{{"message-count":"1","messages":[{{"to":"{d}","status":"{c}","error-text":{e}}}]}}"#)))
            .collect(),
        _ => vec![html(400, echo), html(500, echo), html(429, echo)],
    }
}

fn fatal_echo(kind: &str, echo: &str) -> Act {
    let e = serde_json::to_string(echo).unwrap();
    match kind {
        "twilio" => json(
            401,
            &format!(r#"{{"code":20003,"message":{e},"status":401}}"#),
        ),
        "smsru" => json(
            200,
            &format!(r#"{{"status":"ERROR","status_code":200,"status_text":{e}}}"#),
        ),
        "smsc" => json(200, &format!(r#"{{"error":{e},"error_code":2}}"#)),
        "messagebird" => json(
            401,
            &format!(r#"{{"errors":[{{"code":2,"description":{e}}}]}}"#),
        ),
        "vonage" => json(
            200,
            &format!(r#"{{"message-count":"1","messages":[{{"status":"4","error-text":{e}}}]}}"#),
        ),
        _ => html(401, echo),
    }
}

/// The request as the provider saw it, then every encoding of every secret.
fn echo_of(kind: &str, req: &Request) -> String {
    let mut s = format!(
        "you sent {} {} auth={} body={}",
        req.method,
        req.target,
        req.header("authorization").unwrap_or(""),
        req.body_text()
    );
    for (_, text, _) in needles(kind) {
        s.push(' ');
        s.push_str(&text);
    }
    s
}

struct Leaks {
    runs: usize,
    paths: usize,
    /// (what leaked, where, plain?)
    hits: Vec<(String, String, bool)>,
}

fn leaks() -> &'static Leaks {
    static L: OnceLock<Leaks> = OnceLock::new();
    L.get_or_init(|| {
        let mut all = Leaks {
            runs: 0,
            paths: 0,
            hits: Vec::new(),
        };
        for kind in providers::KINDS {
            let (runs, paths, hits) = provider(kind);
            all.runs += runs;
            all.paths += paths;
            all.hits.extend(hits);
        }
        figure("secrets", "runs", all.runs.into());
        figure("secrets", "error_paths", all.paths.into());
        figure(
            "secrets",
            "needles_per_provider",
            providers::KINDS
                .iter()
                .map(|k| (k.to_string(), needles(k).len().into()))
                .collect::<serde_json::Map<_, _>>()
                .into(),
        );
        figure(
            "secrets",
            "leaks_plain",
            all.hits.iter().filter(|h| h.2).count().into(),
        );
        figure(
            "secrets",
            "leaks_encoded",
            all.hits.iter().filter(|h| !h.2).count().into(),
        );
        all
    })
}

/// Drives one provider down every path; returns (runs, paths, leaks).
fn provider(kind: &'static str) -> (usize, usize, Vec<(String, String, bool)>) {
    let site = Site::new();
    // Carts by phone: 0 accepted; 1..=k the JSON errors (echo), then one unreadable answer per
    // needle (snippet path), then the transport faults.
    let n_json = echo_errors(kind, "", &dummy()).len() as u64;
    let needles = needles(kind);
    let n_snip = needles.len() as u64;
    let server = Server::respond(move |req: &Request, n| {
        let echo = echo_of(kind, req);
        if req.method == "GET" {
            // Status lookups (reconcile): errors that echo, then a fatal one.
            return match n % 3 {
                0 => html(500, &echo),
                1 => json(
                    400,
                    &format!(
                        r#"{{"code":20404,"message":{},"status":"ERROR","status_code":-1,"status_text":{0}}}"#,
                        serde_json::to_string(&echo).unwrap()
                    ),
                ),
                _ => fatal_echo(kind, &echo),
            };
        }
        let d: u64 = req.phone_digits().parse().unwrap_or(0);
        let i = d % 1000;
        let base = 1 + n_json;
        let needles = crate::secrets::needles(kind);
        match i {
            0 => providers::ok(kind, req, n),
            i if i < base => echo_errors(kind, &echo, req).swap_remove((i - 1) as usize),
            i if i < base + n_snip => html(
                400,
                &format!("{} <- {}", needles[(i - base) as usize].1, echo),
            ),
            i if i == base + n_snip => {
                Act::After(providers::TIMEOUT * 2, Box::new(html(200, &echo)))
            }
            i if i == base + n_snip + 1 => Act::Hangup,
            i if i == base + n_snip + 2 => Act::Reset,
            i if i == base + n_snip + 3 => with_header(
                html(302, &echo),
                "Location",
                &format!("https://x.example/?{}", echo.replace(' ', "&")),
            ),
            _ => fatal_echo(kind, &echo),
        }
    });
    site.write(
        "cartnudge.toml",
        config("", &providers::gateway(kind, &server.url), ""),
    );
    let total = 1 + n_json + n_snip + 3;
    let cart = |i: u64| {
        cart_row(
            &format!("{kind}-{i}"),
            &phone(7_000_000 + i),
            90_000 - i * 10,
            true,
        )
    };
    let mut outputs: Vec<Done> = Vec::new();
    let send = |minutes: i64, args: &[&str], rows: Vec<String>| -> Done {
        site.write("carts.csv", carts_csv(&rows));
        let mut a = vec!["-v"];
        let now = now_plus(minutes);
        a.extend_from_slice(&["--now", &now]);
        a.extend_from_slice(args);
        site.cmd()
            .args(&a)
            .envs(&providers::env(kind))
            .run(Duration::from_secs(120))
    };
    // Every non-fatal path in one batch, then the redirect and the fatal answer (each stops a batch).
    let mut rows: Vec<String> = (0..total).map(cart).collect();
    outputs.push(send(0, &["send", "--limit", "200"], rows.clone()));
    rows.push(cart(total));
    outputs.push(send(15, &["send", "--limit", "200"], rows.clone()));
    rows.push(cart(total + 1));
    outputs.push(send(30, &["send", "--limit", "200"], rows.clone()));
    outputs.push(send(45, &["check"], rows.clone()));
    outputs.push(send(45, &["scan"], rows.clone()));
    outputs.push(send(45, &["report"], rows.clone()));
    if kind == "twilio" || kind == "smsru" {
        for m in [60, 61, 62] {
            outputs.push(send(m, &["reconcile"], rows.clone()));
        }
    }
    if kind == "smsru" || kind == "smsc" {
        rows.push(cart(total + 2));
        outputs.push(send(
            75,
            &["send", "--gateway-test", "--limit", "1"],
            rows.clone(),
        ));
    }
    let mut texts: Vec<(String, Vec<u8>)> = Vec::new();
    for (i, d) in outputs.iter().enumerate() {
        texts.push((
            format!("run {i} stdout ({})", d.args.join(" ")),
            d.stdout.clone().into_bytes(),
        ));
        texts.push((
            format!("run {i} stderr ({})", d.args.join(" ")),
            d.stderr.clone().into_bytes(),
        ));
    }
    collect_files(site.dir.path(), &mut texts);
    let db = site.path("cartnudge.db");
    for table in ["runs", "nudges", "optouts", "recoveries"] {
        if let Ok(rows) = crate::invariants::query(&db, &format!("SELECT * FROM {table}")) {
            let dump: Vec<String> = rows.iter().map(|r| r.join("|")).collect();
            texts.push((
                format!("ledger table {table}"),
                dump.join("\n").into_bytes(),
            ));
        }
    }
    let mut hits = Vec::new();
    for (what, needle, plain) in &needles {
        for (place, bytes) in &texts {
            if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                hits.push((format!("{kind}: {what} `{needle}`"), place.clone(), *plain));
            }
        }
    }
    let paths = total as usize + 2 + 3;
    (outputs.len(), paths, hits)
}

fn dummy() -> Request {
    Request {
        method: String::new(),
        target: String::new(),
        headers: Vec::new(),
        body: Vec::new(),
        at: std::time::Instant::now(),
    }
}

/// Every file the runs wrote (audit, ledger and its WAL, outbox, lock), config and carts aside.
fn collect_files(dir: &std::path::Path, out: &mut Vec<(String, Vec<u8>)>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if p.is_dir() {
            collect_files(&p, out);
        } else if name != "cartnudge.toml" && name != "carts.csv" {
            out.push((
                p.display().to_string(),
                std::fs::read(&p).unwrap_or_default(),
            ));
        }
    }
}

fn assert_no_leaks(plain_only: bool) {
    let l = leaks();
    let hits: Vec<String> = l
        .hits
        .iter()
        .filter(|h| h.2 || !plain_only)
        .map(|(what, place, _)| format!("  {what} in {place}"))
        .collect();
    assert!(
        hits.is_empty(),
        "{} secret leak(s) after {} runs:\n{}",
        hits.len(),
        l.runs,
        hits.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn secrets_never_leak_raw_or_url_encoded() {
    assert_no_leaks(true);
}

#[test]
fn secrets_never_leak_in_any_encoding() {
    assert_no_leaks(false);
}

#[test]
fn base64_helper_matches_rfc_4648() {
    for (plain, enc) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
    ] {
        assert_eq!(base64(plain), enc);
    }
    let _ = harness::NOW;
}
