//! `cartnudge reconcile`: attribution of every case in one fixture, opt-out import, idempotence,
//! the run lock, and orders from SQLite.

use crate::util::Env;

/// T0 = 2026-11-01T10:00:00Z; every cart's last activity is two hours before its claim.
/// (cart, customer, phone, email, status, claimed_at, sent_at, est µUSD, actual µUSD, total minor, currency, gateway)
type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    i64,
    Option<i64>,
    i64,
    &'static str,
    &'static str,
);

pub const NUDGES: &[Row] = &[
    // Recovered by cart, within the window; an older order of the same cart (O0) predates the cart.
    (
        "C1",
        "",
        "+14155550101",
        "",
        "sent",
        "2026-11-01T10:00:00Z",
        "2026-11-01T10:00:05Z",
        20000,
        Some(7900),
        10000,
        "USD",
        "file",
    ),
    // Recovered by customer id.
    (
        "C2",
        "K2",
        "+14155550102",
        "",
        "sent",
        "2026-11-01T10:00:00Z",
        "2026-11-01T10:00:05Z",
        20000,
        None,
        10000,
        "USD",
        "twilio",
    ),
    // Recovered by phone, written differently in the order.
    (
        "C3",
        "",
        "+14155550103",
        "",
        "sent",
        "2026-11-01T10:00:00Z",
        "2026-11-01T10:00:05Z",
        20000,
        None,
        10000,
        "USD",
        "file",
    ),
    // Recovered by email, case-insensitive, 71 h after the send.
    (
        "C4",
        "",
        "+14155550104",
        "Ann@Example.com",
        "sent",
        "2026-11-01T10:00:00Z",
        "2026-11-01T10:00:05Z",
        20000,
        None,
        10000,
        "USD",
        "file",
    ),
    // Order 73 h after the send: outside the 72 h window.
    (
        "C5",
        "",
        "+14155550105",
        "",
        "sent",
        "2026-11-01T10:00:00Z",
        "2026-11-01T10:00:05Z",
        20000,
        None,
        10000,
        "USD",
        "file",
    ),
    // Order an hour before the send, after the cart's last activity: converted before the reminder.
    (
        "C6",
        "",
        "+14155550106",
        "",
        "sent",
        "2026-11-01T10:00:00Z",
        "2026-11-01T10:00:05Z",
        20000,
        None,
        10000,
        "USD",
        "file",
    ),
    // C7 and C8 share a phone; one order (O78) is eligible for both and goes to the earlier, C7.
    (
        "C7",
        "",
        "+14155550178",
        "",
        "sent",
        "2026-11-01T10:00:00Z",
        "2026-11-01T10:00:05Z",
        20000,
        None,
        10000,
        "USD",
        "file",
    ),
    (
        "C8",
        "",
        "+14155550178",
        "",
        "sent",
        "2026-11-01T11:00:00Z",
        "2026-11-01T11:00:05Z",
        20000,
        None,
        10000,
        "USD",
        "file",
    ),
    // Unknown outcome (no sent_at): matched from its claim time.
    (
        "C9",
        "",
        "+14155550109",
        "",
        "unknown",
        "2026-11-01T10:00:00Z",
        "",
        20000,
        None,
        10000,
        "USD",
        "file",
    ),
    // Refused by the gateway: never matched, costs nothing.
    (
        "C10",
        "",
        "+14155550110",
        "",
        "failed",
        "2026-11-01T10:00:00Z",
        "",
        20000,
        None,
        10000,
        "USD",
        "file",
    ),
    // Holdout: converted in the window, not converted, converted too late.
    (
        "H1",
        "",
        "+14155550111",
        "",
        "holdout",
        "2026-11-01T10:00:00Z",
        "",
        0,
        None,
        10000,
        "USD",
        "file",
    ),
    (
        "H2",
        "",
        "+14155550112",
        "",
        "holdout",
        "2026-11-01T10:00:00Z",
        "",
        0,
        None,
        10000,
        "USD",
        "file",
    ),
    (
        "H3",
        "",
        "+14155550113",
        "",
        "holdout",
        "2026-11-01T10:00:00Z",
        "",
        0,
        None,
        10000,
        "USD",
        "file",
    ),
    // A rouble cart billed in dollars: its ROI cannot be computed.
    (
        "R1",
        "",
        "+79123456789",
        "",
        "sent",
        "2026-11-01T10:00:00Z",
        "2026-11-01T10:00:05Z",
        50000,
        None,
        500000,
        "RUB",
        "file",
    ),
];

/// The config, orders and opt-out exports, and a ledger holding `NUDGES`, two send runs and one
/// earlier opt-out.
pub fn ledger_fixture() -> Env {
    let env = Env::new();
    for f in ["cartnudge.toml", "orders.csv", "stop.csv", "stop2.csv"] {
        env.fixture(&format!("reconcile/{f}"), f);
    }
    let mut ledger =
        cartnudge::ledger::Ledger::open(&env.path("cartnudge.db")).expect("create ledger");
    let conn = ledger.connection();
    for (i, n) in NUDGES.iter().enumerate() {
        let (cart, customer, phone, email, status, claimed, sent, est, actual, total, cur, gw) = *n;
        let updated =
            chrono::DateTime::parse_from_rfc3339(claimed).unwrap() - chrono::Duration::hours(2);
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
        conn.execute(
            "INSERT INTO nudges (run_id, cart_id, customer_id, phone, email, country, status, gateway, provider_id, encoding, segments, \
             est_cost_micros, cost_currency, actual_cost_micros, actual_cost_currency, cart_total_minor, cart_currency, cart_updated_at, \
             text, claimed_at, sent_at) VALUES ('r1', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'GSM-7', 1, ?9, 'USD', ?10, ?11, ?12, ?13, ?14, 'hi', ?15, ?16)",
            rusqlite::params![
                cart,
                opt(customer),
                phone,
                opt(email),
                if phone.starts_with("+7") { "RU" } else { "US" },
                status,
                gw,
                (status == "sent").then(|| format!("msg-{i}")),
                (est > 0).then_some(est),
                actual,
                actual.map(|_| "USD"),
                total,
                cur,
                updated.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                claimed,
                opt(sent),
            ],
        )
        .unwrap();
    }
    conn.execute_batch(
        "UPDATE nudges SET delivery_status = 'delivered' WHERE cart_id IN ('C1', 'C2');
         INSERT INTO runs (run_id, command, started_at, now, carts_read, reasons) VALUES
           ('r0', 'send', '2026-10-01T10:00:00Z', '2026-10-01T10:00:00Z', 999, '{\"quiet_hours\": 100}'),
           ('r1', 'send', '2026-11-01T10:00:00Z', '2026-11-01T10:00:00Z', 120, '{\"quiet_hours\": 5, \"no_consent\": 3}');
         INSERT INTO optouts (phone, at, source) VALUES ('+14155550198', '2026-10-01T00:00:00Z', 'manual');",
    )
    .unwrap();
    env
}

/// Every table, every column, in a stable order: "changes nothing" means this is equal.
pub fn dump(env: &Env) -> Vec<Vec<String>> {
    let mut all = Vec::new();
    for t in ["runs", "nudges", "recoveries", "optouts"] {
        all.push(vec![format!("-- {t}")]);
        all.extend(env.ledger_rows("cartnudge.db", &format!("SELECT * FROM {t} ORDER BY 1")));
    }
    all
}

pub const NOW: &str = "2026-11-08T00:00:00Z";

pub fn reconcile(env: &Env) -> crate::util::Run {
    env.run(&[
        "--now",
        NOW,
        "reconcile",
        "--optouts",
        "stop.csv",
        "--optouts",
        "stop2.csv",
    ])
}

fn recoveries(env: &Env) -> Vec<Vec<String>> {
    env.ledger_rows(
        "cartnudge.db",
        "SELECT n.cart_id, r.order_id, r.match_key, r.attributed, r.amount_minor, r.currency, r.ordered_at \
         FROM recoveries r JOIN nudges n ON n.id = r.nudge_id ORDER BY n.cart_id",
    )
}

fn rows(expected: &[&[&str]]) -> Vec<Vec<String>> {
    expected
        .iter()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

#[test]
fn attributes_every_case_once() {
    let env = ledger_fixture();
    let run = reconcile(&env);
    run.expect_code(0);
    assert_eq!(
        run.stdout().trim(),
        "recovered 7 (1,240.00 RUB; 250.00 USD), converted before reminder 1, holdout conversions 1, delivery updated 0, opt-outs added 2",
        "{}",
        run.show()
    );
    assert_eq!(
        recoveries(&env),
        rows(&[
            &[
                "C1",
                "O1",
                "cart",
                "1",
                "10000",
                "USD",
                "2026-11-01T15:00:00Z"
            ],
            &[
                "C2",
                "O2",
                "customer",
                "1",
                "5000",
                "USD",
                "2026-11-02T10:00:00Z"
            ],
            &[
                "C3",
                "O3",
                "phone",
                "1",
                "3000",
                "USD",
                "2026-11-03T10:00:00Z"
            ],
            &[
                "C4",
                "O4",
                "email",
                "1",
                "2000",
                "USD",
                "2026-11-04T09:00:00Z"
            ],
            &[
                "C6",
                "O6",
                "cart",
                "0",
                "5500",
                "USD",
                "2026-11-01T09:00:00Z"
            ],
            &[
                "C7",
                "O78",
                "phone",
                "1",
                "1000",
                "USD",
                "2026-11-01T13:00:00Z"
            ],
            &[
                "C9",
                "O9",
                "cart",
                "1",
                "4000",
                "USD",
                "2026-11-01T20:00:00Z"
            ],
            &[
                "H1",
                "OH1",
                "cart",
                "1",
                "6000",
                "USD",
                "2026-11-02T06:00:00Z"
            ],
            &[
                "R1",
                "OR1",
                "cart",
                "1",
                "124000",
                "RUB",
                "2026-11-01T11:00:00Z"
            ],
        ]),
        "{}",
        run.show()
    );
    // The earlier opt-out keeps its time and source; duplicates and non-STOP replies add nothing.
    assert_eq!(
        env.ledger_rows(
            "cartnudge.db",
            "SELECT phone, at, source FROM optouts ORDER BY phone"
        ),
        rows(&[
            &["+14155550196", "2026-11-02T11:00:00Z", "import:stop2.csv"],
            &["+14155550198", "2026-10-01T00:00:00Z", "manual"],
            &["+14155550199", "2026-11-02T08:00:00Z", "import:stop.csv"],
        ])
    );
}

#[test]
fn second_run_changes_nothing() {
    let env = ledger_fixture();
    reconcile(&env).expect_code(0);
    let before = dump(&env);
    let again = env.run(&[
        "--now",
        "2026-11-09T00:00:00Z",
        "reconcile",
        "--optouts",
        "stop.csv",
        "--optouts",
        "stop2.csv",
    ]);
    again.expect_code(0);
    assert_eq!(dump(&env), before, "{}", again.show());
    assert!(
        again
            .stdout()
            .starts_with("recovered 0, converted before reminder 0, holdout conversions 0"),
        "{}",
        again.show()
    );
}

#[test]
fn later_orders_are_matched_by_a_later_run() {
    let env = ledger_fixture();
    reconcile(&env).expect_code(0);
    // C8 had no order of its own (O78 went to C7); a new one inside its window is recovered now.
    let mut orders = env.read("orders.csv");
    orders.push_str("O8,C8,,,,15.00,USD,2026-11-02T11:00:00Z,complete\n");
    env.write("orders.csv", orders);
    let run = env.run(&["--now", NOW, "reconcile"]);
    run.expect_code(0);
    assert!(
        run.stdout().starts_with("recovered 1 (15.00 USD)"),
        "{}",
        run.show()
    );
    assert_eq!(recoveries(&env).len(), 10);
}

#[test]
fn refuses_to_run_while_send_holds_the_lock() {
    let env = ledger_fixture();
    let before = dump(&env);
    let _held = cartnudge::ledger::lock(&env.path("cartnudge.db")).unwrap();
    let run = reconcile(&env);
    run.expect_code(75);
    assert!(run.stderr().contains("cartnudge.db.lock"), "{}", run.show());
    assert_eq!(dump(&env), before);
}

#[test]
fn bad_order_rows_are_reported_and_skipped() {
    let env = ledger_fixture();
    let mut orders = env.read("orders.csv");
    orders.push_str("OBAD,C5,,,,lots,USD,2026-11-02T11:00:00Z,complete\n");
    env.write("orders.csv", orders);
    let run = env.run(&["--now", NOW, "reconcile"]);
    run.expect_code(1);
    assert!(
        run.stderr().contains("orders.csv:16: column `total`"),
        "{}",
        run.show()
    );
    assert_eq!(recoveries(&env).len(), 9, "the good rows still count");
}

#[test]
fn missing_phone_column_in_optouts_is_an_input_error() {
    let env = ledger_fixture();
    env.write("bad.csv", "who,when\nx,y\n");
    let before = dump(&env);
    let run = env.run(&["--now", NOW, "reconcile", "--optouts", "bad.csv"]);
    run.expect_code(2);
    assert!(run.stderr().contains("no phone column"), "{}", run.show());
    assert_eq!(dump(&env), before, "nothing written");
}

#[test]
fn orders_from_sqlite_match_the_same_way() {
    let env = ledger_fixture();
    let csv = crate::util::csv_rows(&env.read("orders.csv"));
    let db = rusqlite::Connection::open(env.path("shop.db")).unwrap();
    db.execute_batch("CREATE TABLE sales_order (entity_id TEXT, quote_id TEXT, customer_id TEXT, telephone TEXT, customer_email TEXT, grand_total REAL, currency TEXT, created_at TEXT, state TEXT)").unwrap();
    for r in &csv[1..] {
        db.execute(
            "INSERT INTO sales_order VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            rusqlite::params_from_iter(r.iter().enumerate().map(|(i, c)| {
                if c.is_empty() {
                    rusqlite::types::Value::Null
                } else if i == 5 {
                    rusqlite::types::Value::Real(c.parse().unwrap())
                } else {
                    rusqlite::types::Value::Text(c.clone())
                }
            })),
        )
        .unwrap();
    }
    drop(db);
    let config = env.read("cartnudge.toml").replace(
        "[orders]\nkind = \"csv\"\npath = \"orders.csv\"",
        "[orders]\nkind = \"sqlite\"\npath = \"shop.db\"\nquery = \"SELECT entity_id AS order_id, quote_id AS cart_id, customer_id, telephone AS phone, customer_email AS email, grand_total AS total, currency, created_at, state AS status FROM sales_order\"",
    );
    env.write("cartnudge.toml", config);
    let run = env.run(&["--now", NOW, "reconcile"]);
    run.expect_code(0);
    assert!(run.stdout().starts_with("recovered 7 (1,240.00 RUB; 250.00 USD), converted before reminder 1, holdout conversions 1"), "{}", run.show());
    assert_eq!(recoveries(&env).len(), 9);
}
