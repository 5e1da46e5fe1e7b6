//! A small shop for the core tests: a config (stub gateway that logs its calls, CSV carts) and
//! helpers to write carts, read the audit, the ledger and the gateway's calls.

#![allow(dead_code)]

use crate::util::{Env, Run};

pub const HEADER: &str = "cart_id,customer_id,name,email,phone,total,currency,items_count,updated_at,consent,consent_at,country,timezone,status";

pub const BASE_CONFIG: &str = r#"
[store]
name = "Test Shop"
timezone = "Europe/Moscow"
default_region = "RU"

[source]
kind = "csv"
path = "carts.csv"

[rules]
allowed_hours = "09:00-20:00"
{rules}

[rules.min_cart_value]
RUB = "3000"
EUR = "60"
USD = "60"

[message]
template = "{name}, cart {total}: {link}"
link = "https://s.example/c/{cart_id}"
optout_suffix = " STOP"
[message.cost_per_segment]
RUB = "4.50"

[gateway]
kind = "stub"
path = "calls.jsonl"
{gateway}

{extra}
"#;

/// A cart row with sensible defaults; `f` overrides fields by name.
pub struct Cart {
    pub fields: Vec<(&'static str, String)>,
}

pub fn cart(id: &str) -> Cart {
    let mut c = Cart { fields: Vec::new() };
    for (k, v) in [
        ("cart_id", id),
        ("customer_id", ""),
        ("name", "Anna"),
        ("email", ""),
        ("phone", "+79123456789"),
        ("total", "5000"),
        ("currency", "RUB"),
        ("items_count", "2"),
        ("updated_at", "2026-11-22T09:00:00Z"),
        ("consent", "1"),
        ("consent_at", "2026-01-10T08:00:00Z"),
        ("country", ""),
        ("timezone", "Europe/Moscow"),
        ("status", ""),
    ] {
        c.fields.push((k, v.to_string()));
    }
    c
}

impl Cart {
    pub fn set(mut self, k: &'static str, v: &str) -> Cart {
        let slot = self
            .fields
            .iter_mut()
            .find(|(n, _)| *n == k)
            .unwrap_or_else(|| panic!("no field {k}"));
        slot.1 = v.to_string();
        self
    }
    pub fn line(&self) -> String {
        self.fields
            .iter()
            .map(|(_, v)| csv_cell(v))
            .collect::<Vec<_>>()
            .join(",")
    }
}

fn csv_cell(v: &str) -> String {
    if v.contains([',', '"', '\n']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_string()
    }
}

pub fn carts_csv(carts: &[Cart]) -> String {
    let mut s = String::from(HEADER);
    s.push('\n');
    for c in carts {
        s.push_str(&c.line());
        s.push('\n');
    }
    s
}

pub struct Shop {
    pub env: Env,
}

/// Noon in Moscow, a Sunday: carts updated at 09:00Z are 3 hours idle.
pub const NOW: &str = "2026-11-22T12:00:00Z";

impl Shop {
    pub fn new(carts: &[Cart]) -> Shop {
        Shop::with(carts, "", "", "")
    }

    /// `rules` lines go under [rules], `gateway` under [gateway], `extra` at the end.
    pub fn with(carts: &[Cart], rules: &str, gateway: &str, extra: &str) -> Shop {
        let env = Env::new();
        let config = BASE_CONFIG
            .replace("{rules}", rules)
            .replace("{gateway}", gateway)
            .replace("{extra}", extra);
        env.write("cartnudge.toml", config);
        env.write("carts.csv", carts_csv(carts));
        Shop { env }
    }

    pub fn run(&self, now: &str, args: &[&str]) -> Run {
        let mut all = vec!["--now", now];
        all.extend_from_slice(args);
        self.env.run(&all)
    }

    /// `scan --format json` → (cart_id, decision, reason) per cart, in output order.
    pub fn scan(&self, now: &str) -> Vec<(String, String, String)> {
        let r = self.run(now, &["scan", "--all", "--format", "json"]);
        r.expect_code(0);
        self.decisions(&r)
    }

    pub fn decisions(&self, r: &Run) -> Vec<(String, String, String)> {
        r.stdout()
            .lines()
            .map(|l| {
                let v: serde_json::Value =
                    serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}{}", r.show()));
                (
                    v["cart_id"].as_str().unwrap().to_string(),
                    v["decision"].as_str().unwrap().to_string(),
                    v["reason"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    }

    pub fn decision_of(&self, now: &str, cart_id: &str) -> (String, String) {
        let all = self.scan(now);
        let (_, d, r) = all
            .into_iter()
            .find(|(c, _, _)| c == cart_id)
            .unwrap_or_else(|| panic!("no {cart_id} in scan"));
        (d, r)
    }

    /// Carts the stub gateway was asked to send, in order.
    pub fn calls(&self) -> Vec<serde_json::Value> {
        if !self.env.exists("calls.jsonl") {
            return Vec::new();
        }
        self.env
            .read("calls.jsonl")
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    pub fn called_carts(&self) -> Vec<String> {
        self.calls()
            .iter()
            .map(|c| c["cart_id"].as_str().unwrap().to_string())
            .collect()
    }

    pub fn ledger(&self, sql: &str) -> Vec<Vec<String>> {
        self.env.ledger_rows("cartnudge.db", sql)
    }

    pub fn audit(&self, day: &str) -> Vec<Vec<String>> {
        crate::util::csv_rows(&self.env.read(&format!("audit/{day}.csv")))
    }

    /// Creates the ledger (a send with nothing to send) and runs SQL on it.
    pub fn seed_ledger(&self, sql: &str) {
        if !self.env.exists("cartnudge.db") {
            let r = self
                .env
                .run(&["--now", "2020-01-01T00:00:00Z", "send", "--limit", "0"]);
            assert!(r.code() == 0, "seeding ledger{}", r.show());
        }
        let conn = rusqlite::Connection::open(self.env.path("cartnudge.db")).unwrap();
        conn.execute_batch(sql).unwrap();
    }
}

/// A nudge row as a pre-seeded ledger would hold it.
pub fn nudge_sql(cart_id: &str, phone: &str, status: &str, at: &str) -> String {
    format!(
        "INSERT INTO nudges (run_id, cart_id, phone, status, gateway, cart_total_minor, cart_currency, cart_updated_at, claimed_at) \
         VALUES ('seed', '{cart_id}', '{phone}', '{status}', 'stub', 500000, 'RUB', '{at}', '{at}');"
    )
}
