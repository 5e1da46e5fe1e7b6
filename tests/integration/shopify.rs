//! The Shopify source against a loopback server that behaves like the Admin API: it checks the
//! `X-Shopify-Access-Token` header, answers 250-per-page checkouts with cursor pagination in the
//! `Link` header (absolute URLs on the shop's own domain, as Shopify writes them), rate-limits one
//! request with 429 + Retry-After, and serves orders.json for the orders side.

use crate::sources::{NOW, env_with, expect, scan};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

const TOKEN: &str = "shpat_test_0123456789";

/// Request lines ("GET /path?query") and whether each carried the right token.
type Log = Arc<Mutex<Vec<(String, bool)>>>;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/shopify")
            .join(name),
    )
    .unwrap()
}

/// Serves at most `max` requests, then stops.
fn serve(max: usize) -> (String, Log) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let log: Log = Arc::default();
    let seen = log.clone();
    std::thread::spawn(move || {
        let mut limited_once = false;
        for stream in listener.incoming().take(max) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let target = line.split_whitespace().nth(1).unwrap_or("").to_string();
            let mut token_ok = false;
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                    break;
                }
                if let Some((k, v)) = h.split_once(':')
                    && k.eq_ignore_ascii_case("x-shopify-access-token")
                {
                    token_ok = v.trim() == TOKEN;
                }
            }
            seen.lock().unwrap().push((target.clone(), token_ok));
            let shop = "https://test-shop.myshopify.com/admin/api/2025-01";
            let (status, link, body) = if !token_ok {
                (
                    "401 Unauthorized",
                    String::new(),
                    r#"{"errors":"[API] Invalid API key or access token"}"#.to_string(),
                )
            } else if target.contains("checkouts.json")
                && target.contains("page_info=p2")
                && !limited_once
            {
                limited_once = true;
                (
                    "429 Too Many Requests",
                    String::new(),
                    r#"{"errors":"Exceeded 2 calls per second"}"#.to_string(),
                )
            } else if target.contains("checkouts.json") && target.contains("page_info=p2") {
                let link = format!(
                    "<{shop}/checkouts.json?limit=250&page_info=p1>; rel=\"previous\", <{shop}/checkouts.json?limit=250&page_info=p3>; rel=\"next\""
                );
                ("200 OK", link, fixture("checkouts-2.json"))
            } else if target.contains("checkouts.json") && target.contains("page_info=p3") {
                (
                    "200 OK",
                    format!("<{shop}/checkouts.json?limit=250&page_info=p2>; rel=\"previous\""),
                    fixture("checkouts-3.json"),
                )
            } else if target.contains("checkouts.json") {
                (
                    "200 OK",
                    format!("<{shop}/checkouts.json?limit=250&page_info=p2>; rel=\"next\""),
                    fixture("checkouts-1.json"),
                )
            } else if target.contains("orders.json") {
                ("200 OK", String::new(), fixture("orders-1.json"))
            } else {
                (
                    "404 Not Found",
                    String::new(),
                    r#"{"errors":"Not Found"}"#.to_string(),
                )
            };
            let mut head = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            if !link.is_empty() {
                head.push_str(&format!("Link: {link}\r\n"));
            }
            if status.starts_with("429") {
                head.push_str("Retry-After: 0.2\r\n");
            }
            let _ = stream.write_all(format!("{head}\r\n{body}").as_bytes());
        }
    });
    (base, log)
}

fn config(base: &str) -> String {
    format!(
        "[source]\npreset = \"shopify\"\nbase_url = \"{base}\"\naccess_token_env = \"SHOPIFY_TOKEN\"\n"
    )
}

#[test]
fn shopify_checkouts_follow_link_pagination_and_map_every_field() {
    let (base, log) = serve(20);
    let mut env = env_with(&config(&base));
    env.var("SHOPIFY_TOKEN", TOKEN);
    let r = scan(&env);
    r.expect_code(0);
    expect(
        &r,
        &[
            ("1001", "would_send"),
            ("1002", "would_send"),
            ("1003", "skipped no_consent"),
            ("1004", "skipped not_abandoned"),
            ("1005", "deferred quiet_hours"),
            ("1006", "skipped no_consent"),
            ("1007", "deferred too_fresh"),
            ("1008", "skipped ordered_since"),
            ("1009", "skipped below_min_value"),
        ],
    );
    let log = log.lock().unwrap().clone();
    assert!(
        log.iter().all(|(_, ok)| *ok),
        "every request carries the token: {log:?}"
    );
    let targets: Vec<&str> = log.iter().map(|(t, _)| t.as_str()).collect();
    assert!(
        targets.iter().any(|t| t
            .starts_with("/admin/api/2025-01/orders.json?status=any&limit=250&created_at_min=2026-10-22T07:30:00Z")),
        "{targets:?}"
    );
    let checkouts: Vec<&&str> = targets
        .iter()
        .filter(|t| t.contains("checkouts.json"))
        .collect();
    assert!(
        // --now minus the 7-day lookback, not the wall clock.
        checkouts[0].starts_with(
            "/admin/api/2025-01/checkouts.json?limit=250&updated_at_min=2026-11-14T07:30:00Z"
        ),
        "{targets:?}"
    );
    // page 2 was rate-limited once and asked again; the Link's shop domain was re-based onto base_url
    let rest: Vec<&str> = checkouts[1..].iter().map(|t| **t).collect();
    assert_eq!(
        rest,
        [
            "/admin/api/2025-01/checkouts.json?limit=250&page_info=p2",
            "/admin/api/2025-01/checkouts.json?limit=250&page_info=p2",
            "/admin/api/2025-01/checkouts.json?limit=250&page_info=p3"
        ]
    );
}

#[test]
fn shopify_send_uses_the_checkout_phone_fallbacks() {
    let (base, _log) = serve(40);
    let mut env = env_with(&config(&base));
    env.var("SHOPIFY_TOKEN", TOKEN);
    env.run(&["--now", NOW, "send"]).expect_code(0);
    let rows = env.ledger_rows(
        "cartnudge.db",
        "SELECT cart_id, phone, status, cart_total_minor FROM nudges ORDER BY cart_id",
    );
    assert_eq!(
        rows,
        vec![
            vec![
                "1001".to_string(),
                "+79167770001".into(),
                "sent".into(),
                "500000".into()
            ],
            vec![
                "1002".to_string(),
                "+79167770002".into(),
                "sent".into(),
                "730050".into()
            ],
        ]
    );
    // orders.json: checkout 1001 became order 450789471 after the reminder.
    let rec = crate::presets::reconcile(&env);
    assert_eq!(
        rec,
        vec![crate::presets::row(&[
            "1001",
            "450789471",
            "500000",
            "RUB",
            "cart",
            "1"
        ])]
    );
}

#[test]
fn shopify_refused_token_stops_with_a_message_that_names_the_variable() {
    let (base, _log) = serve(5);
    let mut env = env_with(&config(&base));
    env.var("SHOPIFY_TOKEN", "shpat_wrong");
    let r = scan(&env);
    r.expect_code(2);
    assert!(
        r.stderr().contains("HTTP 401") && r.stderr().contains("SHOPIFY_TOKEN"),
        "{}",
        r.show()
    );
    assert!(
        !r.stderr().contains("shpat_wrong"),
        "the token is never printed{}",
        r.show()
    );
}
