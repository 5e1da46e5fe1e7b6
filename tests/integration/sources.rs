//! Source kinds and platform presets against real data: JSON exports, MariaDB and PostgreSQL
//! started by `scripts/test-servers.sh` (their URLs come from CARTNUDGE_TEST_MYSQL_URL /
//! CARTNUDGE_TEST_PG_URL or target/test-servers.env; without them these tests print SKIP and
//! pass), and a loopback Shopify. Every test checks `scan --format json` decisions per cart.

use crate::util::{Env, Run};
use std::collections::BTreeMap;

/// 10:30 in Moscow and 19:30 in Kamchatka (so inside 09:00-20:00 in every Russian zone, which is
/// what a Russian number with no known zone needs), 02:30 in New York.
pub const NOW: &str = "2026-11-21T07:30:00Z";

const CONFIG: &str = r#"
[store]
name = "Test Shop"
timezone = "Europe/Moscow"
default_region = "RU"

[rules.min_cart_value]
RUB = "3000"
USD = "60"

[message]
template = "{name}, cart {total}: {link}"
link = "https://s.example/c/{cart_id}"
optout_suffix = " STOP"

[gateway]
kind = "file"
path = "outbox.jsonl"
"#;

pub fn env_with(source: &str) -> Env {
    let env = Env::new();
    env.write("cartnudge.toml", format!("{CONFIG}\n{source}\n"));
    env
}

pub fn scan(env: &Env) -> Run {
    env.run(&["--now", NOW, "scan", "--all", "--format", "json"])
}

/// cart_id → "decision reason" (or just "would_send").
pub fn decisions(r: &Run) -> BTreeMap<String, String> {
    r.stdout()
        .lines()
        .map(|l| {
            let v: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}{}", r.show()));
            let d = v["decision"].as_str().unwrap().to_string();
            let d = match v["reason"].as_str() {
                Some(reason) => format!("{d} {reason}"),
                None => d,
            };
            (v["cart_id"].as_str().unwrap().to_string(), d)
        })
        .collect()
}

#[track_caller]
pub fn expect(r: &Run, want: &[(&str, &str)]) {
    let got = decisions(r);
    let want: BTreeMap<String, String> = want
        .iter()
        .map(|(c, d)| (c.to_string(), d.to_string()))
        .collect();
    assert_eq!(got, want, "decisions differ{}", r.show());
}

/// A variable from the environment, else from the file `scripts/test-servers.sh start` writes.
pub fn test_var(var: &str) -> Option<String> {
    let from_file = || {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-servers.env");
        let text = std::fs::read_to_string(path).ok()?;
        text.lines().find_map(|l| {
            l.trim()
                .strip_prefix("export ")?
                .strip_prefix(var)?
                .strip_prefix('=')
                .map(str::to_string)
        })
    };
    std::env::var(var)
        .ok()
        .filter(|v| !v.is_empty())
        .or_else(from_file)
}

/// Written straight to the process's stderr: the test harness captures `eprintln!`, and a skip must
/// show in a plain `cargo test`.
/// With CARTNUDGE_REQUIRE_DB_TESTS=1 (as `.ci/run` sets it) a missing server fails the test instead.
fn skip(msg: String) {
    use std::io::Write;
    if std::env::var("CARTNUDGE_REQUIRE_DB_TESTS").is_ok_and(|v| v == "1") {
        panic!("{msg} (CARTNUDGE_REQUIRE_DB_TESTS=1: the servers must be running)");
    }
    let _ = writeln!(std::io::stderr(), "{msg}");
}

/// A server's URL (with `/db` appended), or None after printing why the test is skipped.
pub fn server(var: &str, db: &str, test: &str) -> Option<String> {
    match test_var(var) {
        Some(url) => Some(format!("{}/{db}", url.trim_end_matches('/'))),
        None => {
            skip(format!(
                "SKIP: {test}: no {var} (start the servers with `scripts/test-servers.sh start`)"
            ));
            None
        }
    }
}

const JSON_COLUMNS: &str = r#"
[source.columns]
cart_id = "id"
customer_id = "customer.id"
name = "customer.first_name"
phone = "customer.phone"
consent = "customer.sms.consent"
consent_at = "customer.sms.at"
total = "totals.amount"
currency = "totals.currency"
items_count = "item_count"
updated_at = "updated"
country = "address.country"
"#;

const JSON_EXPECTED: &[(&str, &str)] = &[
    ("j1", "would_send"),
    ("j2", "would_send"),
    ("j3", "skipped no_consent"),
    ("j4", "deferred too_fresh"),
    ("j5", "deferred quiet_hours"),
    ("j6", "skipped bad_phone"),
    ("j8", "skipped below_min_value"),
];

#[test]
fn json_array_with_dotted_paths() {
    let env = env_with(&format!(
        "[source]\nkind = \"json\"\npath = \"carts.json\"\ntimezone = \"Europe/Moscow\"\nmax_invalid = \"100%\"\n{JSON_COLUMNS}"
    ));
    env.fixture("sources/carts.json", "carts.json");
    let r = scan(&env);
    r.expect_code(0);
    expect(&r, JSON_EXPECTED);
    // j7's amount is a row error naming the file, the record's index, the line it ends on, and
    // the field.
    assert!(
        r.stderr().contains("carts.json: record 7 (line 16)")
            && r.stderr().contains("five thousand"),
        "{}",
        r.show()
    );
}

#[test]
fn jsonl_bad_lines_are_row_errors_and_the_rest_is_read() {
    let env = env_with(&format!(
        "[source]\nkind = \"jsonl\"\npath = \"carts.jsonl\"\ntimezone = \"Europe/Moscow\"\nmax_invalid = \"100%\"\n{JSON_COLUMNS}"
    ));
    env.fixture("sources/carts.jsonl", "carts.jsonl");
    let r = scan(&env);
    r.expect_code(0);
    expect(&r, JSON_EXPECTED);
    let err = r.stderr();
    assert!(
        err.contains("carts.jsonl:4") && err.contains("not valid JSON"),
        "{}",
        r.show()
    );
    assert!(
        err.contains("carts.jsonl:7") && err.contains("not a JSON object"),
        "{}",
        r.show()
    );
    assert!(err.contains("carts.jsonl:10"), "{}", r.show());
}

#[test]
fn json_from_stdin() {
    let env = env_with(&format!(
        "[source]\nkind = \"jsonl\"\npath = \"-\"\ntimezone = \"Europe/Moscow\"\nmax_invalid = \"100%\"\n{JSON_COLUMNS}"
    ));
    let input = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sources/carts.jsonl"),
    )
    .unwrap();
    let r = env.run_stdin(
        &["--now", NOW, "scan", "--all", "--format", "json"],
        Some(&input),
    );
    r.expect_code(0);
    expect(&r, JSON_EXPECTED);
}

#[test]
fn json_mapping_to_a_missing_path_stops_before_anything() {
    let env = env_with(&format!(
        "[source]\nkind = \"json\"\npath = \"carts.json\"\n{}",
        JSON_COLUMNS.replace("customer.phone", "customer.mobile")
    ));
    env.fixture("sources/carts.json", "carts.json");
    let r = scan(&env);
    r.expect_code(2);
    assert!(
        r.stderr().contains("`customer.mobile`") && r.stderr().contains("source.columns.phone"),
        "{}",
        r.show()
    );
}

#[test]
fn json_that_is_not_an_array_stops_with_exit_2() {
    let env = env_with(&format!(
        "[source]\nkind = \"json\"\npath = \"carts.json\"\n{JSON_COLUMNS}"
    ));
    env.write("carts.json", "{\"carts\": []}");
    let r = scan(&env);
    r.expect_code(2);
    assert!(
        r.stderr().contains("expected an array of objects"),
        "{}",
        r.show()
    );
}

/// A big JSON array reads through (a sequence visitor feeding a bounded channel, so the export is
/// never held whole).
#[test]
fn large_json_array_yields_every_record() {
    let env = env_with(
        "[source]\nkind = \"json\"\npath = \"big.json\"\ncurrency = \"RUB\"\n[source.columns]\ncart_id = \"id\"\nconsent = \"ok\"\nupdated_at = \"t\"\ntotal = \"sum\"\nphone = \"p\"",
    );
    let mut input = String::from("[");
    for i in 0..20_000 {
        if i > 0 {
            input.push(',');
        }
        input.push_str(&format!(
            r#"{{"id":"c{i}","ok":0,"t":"2026-11-20T09:00:00Z","sum":"4000","p":"+7916{i:07}"}}"#
        ));
    }
    input.push(']');
    env.write("big.json", input);
    let r = scan(&env);
    r.expect_code(0);
    assert_eq!(r.stdout().lines().count(), 20_000, "{}", r.stderr());
}

// ---- MariaDB / PostgreSQL: a shop's own table with a hand-written query

const SHOP_QUERY: &str = "SELECT id AS cart_id, first_name AS name, phone, amount AS total, currency, items AS items_count, \
     last_seen AS updated_at, sms_ok AS consent, country FROM abandoned_carts";

const SHOP_EXPECTED: &[(&str, &str)] = &[
    ("s1", "would_send"),
    ("s2", "would_send"),
    ("s3", "skipped no_consent"),
    ("s4", "deferred too_fresh"),
    ("s5", "skipped below_min_value"),
    ("s7", "skipped no_consent"),
];

fn sql_env(kind: &str, url: &str, query: &str, extra: &str) -> Env {
    let mut env = env_with(&format!(
        "[source]\nkind = \"{kind}\"\nurl_env = \"SHOP_DB_URL\"\nquery = \"{query}\"\n{extra}"
    ));
    env.var("SHOP_DB_URL", url);
    env
}

#[test]
#[ignore = "needs the database servers: scripts/test-servers.sh start, then cargo test -- --include-ignored"]
fn mariadb_query_source() {
    let Some(url) = server("CARTNUDGE_TEST_MYSQL_URL", "shop", "mariadb_query_source") else {
        return;
    };
    let env = sql_env("mysql", &url, SHOP_QUERY, "");
    let r = scan(&env);
    r.expect_code(0);
    expect(&r, SHOP_EXPECTED);
    assert!(
        !r.stderr().contains("cartnudge@") && !r.stdout().contains(":cartnudge@"),
        "URL printed{}",
        r.show()
    );
}

#[test]
#[ignore = "needs the database servers: scripts/test-servers.sh start, then cargo test -- --include-ignored"]
fn postgres_query_source() {
    let Some(url) = server("CARTNUDGE_TEST_PG_URL", "shop", "postgres_query_source") else {
        return;
    };
    let env = sql_env("postgres", &url, SHOP_QUERY, "");
    let r = scan(&env);
    r.expect_code(0);
    expect(&r, SHOP_EXPECTED);
}

#[test]
#[ignore = "needs the database servers: scripts/test-servers.sh start, then cargo test -- --include-ignored"]
fn mariadb_query_runs_read_only() {
    let Some(url) = server(
        "CARTNUDGE_TEST_MYSQL_URL",
        "shop",
        "mariadb_query_runs_read_only",
    ) else {
        return;
    };
    let env = sql_env(
        "mysql",
        &url,
        &format!("{SHOP_QUERY} WHERE touch() = 1"),
        "",
    );
    let r = scan(&env);
    r.expect_code(2);
    assert!(
        r.stderr().to_ascii_uppercase().contains("READ ONLY"),
        "{}",
        r.show()
    );
}

#[test]
#[ignore = "needs the database servers: scripts/test-servers.sh start, then cargo test -- --include-ignored"]
fn postgres_query_runs_read_only() {
    let Some(url) = server(
        "CARTNUDGE_TEST_PG_URL",
        "shop",
        "postgres_query_runs_read_only",
    ) else {
        return;
    };
    let env = sql_env(
        "postgres",
        &url,
        &format!("{SHOP_QUERY} WHERE touch() = 1"),
        "",
    );
    let r = scan(&env);
    r.expect_code(2);
    assert!(r.stderr().contains("read-only transaction"), "{}", r.show());
}

#[test]
#[ignore = "needs the database servers: scripts/test-servers.sh start, then cargo test -- --include-ignored"]
fn mariadb_query_timeout_stops_a_slow_query() {
    let Some(url) = server("CARTNUDGE_TEST_MYSQL_URL", "shop", "mariadb_query_timeout") else {
        return;
    };
    let q = "SELECT id AS cart_id, phone, amount AS total, currency, last_seen AS updated_at, sms_ok AS consent, SLEEP(3) AS z FROM abandoned_carts";
    let env = sql_env("mysql", &url, q, "query_timeout = \"500ms\"");
    let t = std::time::Instant::now();
    let r = scan(&env);
    r.expect_code(2);
    assert!(
        t.elapsed() < std::time::Duration::from_secs(10),
        "{}",
        r.show()
    );
    assert!(
        r.stderr().contains("max_statement_time") || r.stderr().contains("interrupted"),
        "{}",
        r.show()
    );
}

#[test]
#[ignore = "needs the database servers: scripts/test-servers.sh start, then cargo test -- --include-ignored"]
fn postgres_query_timeout_stops_a_slow_query() {
    let Some(url) = server("CARTNUDGE_TEST_PG_URL", "shop", "postgres_query_timeout") else {
        return;
    };
    let q = "SELECT id AS cart_id, phone, amount AS total, currency, last_seen AS updated_at, sms_ok AS consent, pg_sleep(3) AS z FROM abandoned_carts";
    let env = sql_env("postgres", &url, q, "query_timeout = \"500ms\"");
    let r = scan(&env);
    r.expect_code(2);
    assert!(r.stderr().contains("statement timeout"), "{}", r.show());
}

#[test]
fn database_url_with_password_is_never_printed() {
    for kind in ["mysql", "postgres"] {
        let env = sql_env(
            kind,
            &format!("{kind}://shop:Sup3r-Secret-pw@127.0.0.1:9/shop"),
            SHOP_QUERY,
            "",
        );
        let r = scan(&env);
        r.expect_code(2);
        assert!(r.stderr().contains("SHOP_DB_URL"), "{}", r.show());
        assert!(
            !r.stderr().contains("Sup3r-Secret-pw") && !r.stdout().contains("Sup3r-Secret-pw"),
            "{}",
            r.show()
        );
    }
}

#[test]
#[ignore = "needs the database servers: scripts/test-servers.sh start, then cargo test -- --include-ignored"]
fn missing_url_env_says_what_to_set() {
    let env = env_with(&format!(
        "[source]\nkind = \"mysql\"\nurl_env = \"NO_SUCH_URL_VAR\"\nquery = \"{SHOP_QUERY}\""
    ));
    let r = scan(&env);
    r.expect_code(2);
    assert!(
        r.stderr().contains("NO_SUCH_URL_VAR") && r.stderr().contains("not set"),
        "{}",
        r.show()
    );
}

// ---- TLS: the test servers use a certificate from their own throwaway CA

fn tls(var: &str, test: &str) -> Option<(String, String)> {
    let url = server(var, "shop", test)?;
    match test_var("CARTNUDGE_TEST_TLS_CA") {
        Some(ca) => Some((url, ca)),
        None => {
            skip(format!(
                "SKIP: {test}: no CARTNUDGE_TEST_TLS_CA (start the servers with `scripts/test-servers.sh start`)"
            ));
            None
        }
    }
}

#[test]
#[ignore = "needs the database servers: scripts/test-servers.sh start, then cargo test -- --include-ignored"]
fn postgres_tls_verify_full() {
    let Some((url, ca)) = tls("CARTNUDGE_TEST_PG_URL", "postgres_tls_verify_full") else {
        return;
    };
    // Rows come back only over an encrypted connection.
    let q =
        format!("{SHOP_QUERY} WHERE (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())");
    let env = sql_env(
        "postgres",
        &format!("{url}?sslmode=verify-full&sslrootcert={ca}"),
        &q,
        "",
    );
    let r = scan(&env);
    r.expect_code(0);
    expect(&r, SHOP_EXPECTED);
    // Without the CA the certificate is not trusted, and nothing is read.
    let env = sql_env("postgres", &format!("{url}?sslmode=verify-full"), &q, "");
    let r = scan(&env);
    r.expect_code(2);
    assert!(
        r.stderr().contains("certificate") || r.stderr().contains("UnknownIssuer"),
        "{}",
        r.show()
    );
}

#[test]
#[ignore = "needs the database servers: scripts/test-servers.sh start, then cargo test -- --include-ignored"]
fn mariadb_tls_verify_identity() {
    let Some((url, ca)) = tls("CARTNUDGE_TEST_MYSQL_URL", "mariadb_tls_verify_identity") else {
        return;
    };
    let q = format!(
        "{SHOP_QUERY} WHERE (SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'Ssl_cipher') <> ''"
    );
    let env = sql_env(
        "mysql",
        &format!("{url}?ssl-mode=VERIFY_IDENTITY&ssl-ca={ca}"),
        &q,
        "",
    );
    let r = scan(&env);
    r.expect_code(0);
    expect(&r, SHOP_EXPECTED);
    let env = sql_env("mysql", &format!("{url}?ssl-mode=VERIFY_IDENTITY"), &q, "");
    let r = scan(&env);
    r.expect_code(2);
    assert!(r.stderr().contains("cannot connect"), "{}", r.show());
}

#[test]
fn a_one_line_json_array_names_each_bad_record_by_its_index() {
    let env = env_with(&format!(
        "[source]\nkind = \"json\"\npath = \"carts.json\"\nmax_invalid = \"100%\"\n{JSON_COLUMNS}"
    ));
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sources/carts.json"),
    )
    .unwrap();
    let one_line: String = text.lines().map(str::trim).collect();
    env.write("carts.json", one_line);
    let r = scan(&env);
    r.expect_code(0);
    assert!(
        r.stderr().contains("carts.json: record 7 (line 1)"),
        "{}",
        r.show()
    );
}

#[test]
fn a_postgres_url_on_a_mysql_source_says_to_set_kind_postgres() {
    let mut env = env_with(
        "[source]\npreset = \"magento2\"\nurl_env = \"SHOP_DB\"\nconsent_column = \"quote.sms\"",
    );
    env.var("SHOP_DB", "postgresql://ro:pw@127.0.0.1:1/shop");
    let r = scan(&env);
    r.expect_code(2);
    assert!(
        r.stderr().contains("holds a PostgreSQL URL") && r.stderr().contains("set kind ="),
        "{}",
        r.show()
    );
    assert!(!r.stderr().contains("pw@"), "the URL leaked: {}", r.show());
}
