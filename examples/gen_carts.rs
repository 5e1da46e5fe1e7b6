//! Deterministic exports for benchmarks (`bench/run.sh`) and behaviour snapshots
//! (`scripts/golden.sh`), shaped like the ones shops produce:
//!
//! ```text
//! gen_carts N [csv|jsonl|json] [--dates naive|bitrix|rfc3339] > carts.csv   (default: csv, naive)
//! ... [--recent P]: P% of carts active in the last 48 hours (default 10)
//! ... [--quote]: CSV quoted as PHP's fputcsv quotes it (WooCommerce, Magento): every field
//!                with a space, comma, quote, tab or line end, so every time
//! gen_carts N sqlite FILE [--dates ...]   a SQLite database with a `carts` table (FILE replaced)
//! gen_carts N orders [--dates ...]        an orders CSV of N orders, some for the carts
//! gen_carts N ledger FILE                 N past nudges (and their recoveries) added to an
//!                                         existing cartnudge ledger
//! ```
//!
//! Cart `i` (`q{i}`) is drawn from its own seeded generator, so the orders and the ledger can name
//! the same carts, phones and customers without holding the export in memory. Carts: customers in
//! twelve countries with that country's mobile numbers (written E.164, spaced, or in the national
//! `8 (9xx) …` form for Russia), currency and zones (the `timezone` column is filled for about 40%
//! of rows); about 2% of phones malformed; log-normal totals around a typical basket per currency;
//! last activity over the 14 days before 2026-11-22T07:30:00Z ("now" in bench/run.sh), about 10%
//! of it in the last 48 hours; about 30% with consent; 5% already ordered. Timestamps are
//! written in Europe/Moscow local time (UTC+3) unless `--dates rfc3339`:
//! `naive` = `2026-11-21 14:05:09` (Magento, WooCommerce), `bitrix` = `21.11.2026 14:05:09`
//! (1C-Bitrix), `rfc3339` = `2026-11-21T14:05:09+03:00`. The configuration that reads them is in
//! bench/run.sh (`source.timezone = "Europe/Moscow"` and a `min_cart_value` per currency).
//!
//! The ledger mode does not write cartnudge's schema: create the ledger with the real binary first
//! (`cartnudge send --limit 0`), then this inserts rows matching `src/ledger/migrations.rs`.
//! No dependencies beyond std and rusqlite: a splitmix64 generator makes every run identical.

use rusqlite::{Connection, params};
use std::io::{BufWriter, Write};

/// 2026-11-22T07:30:00Z, the `--now` of bench/run.sh and scripts/golden.sh.
const NOW: i64 = 1_795_332_600;
/// Local timestamps are written in Europe/Moscow (UTC+3 all year).
const LOCAL_OFFSET: i64 = 3 * 3600;
const SEED: u64 = 0x2545_f491_4f6c_dd1d;
const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;

#[derive(Clone, Copy, PartialEq)]
enum Dates {
    Naive,
    Bitrix,
    Rfc3339,
}

struct Country {
    code: &'static str,
    currency: &'static str,
    /// Relative share of carts.
    weight: u64,
    /// Median basket, in the currency's units.
    median: f64,
    /// Whether the currency has minor units (JPY has none).
    cents: bool,
    zones: &'static [&'static str],
    names: &'static [&'static str],
}

const COUNTRIES: &[Country] = &[
    Country {
        code: "RU",
        currency: "RUB",
        weight: 40,
        median: 3500.0,
        cents: true,
        zones: &[
            "Europe/Moscow",
            "Europe/Moscow",
            "Europe/Moscow",
            "Europe/Samara",
            "Asia/Yekaterinburg",
            "Asia/Novosibirsk",
            "Europe/Kaliningrad",
            "Asia/Vladivostok",
        ],
        names: &[
            "Anna",
            "Boris",
            "Olga",
            "Ivan",
            "Мария",
            "Павел",
            "Ёжик",
            "",
        ],
    },
    Country {
        code: "US",
        currency: "USD",
        weight: 15,
        median: 60.0,
        cents: true,
        zones: &[], // from the area code, below
        names: &["John", "Mary", "Jos\u{e9}", "Ashley", "Tyler", ""],
    },
    Country {
        code: "GB",
        currency: "GBP",
        weight: 7,
        median: 45.0,
        cents: true,
        zones: &["Europe/London"],
        names: &["Oliver", "Amelia", "Siobhan", "Harry"],
    },
    Country {
        code: "DE",
        currency: "EUR",
        weight: 8,
        median: 55.0,
        cents: true,
        zones: &["Europe/Berlin"],
        names: &["J\u{fc}rgen", "Anke", "Lukas", "Zo\u{eb}"],
    },
    Country {
        code: "FR",
        currency: "EUR",
        weight: 6,
        median: 55.0,
        cents: true,
        zones: &["Europe/Paris"],
        names: &["Camille", "L\u{e9}a", "Hugo", "Anne-Marie"],
    },
    Country {
        code: "ES",
        currency: "EUR",
        weight: 4,
        median: 50.0,
        cents: true,
        zones: &["Europe/Madrid"],
        names: &["Luc\u{ed}a", "Mart\u{ed}n", "Pilar"],
    },
    Country {
        code: "PL",
        currency: "PLN",
        weight: 4,
        median: 220.0,
        cents: true,
        zones: &["Europe/Warsaw"],
        names: &["Zofia", "Jakub", "Ma\u{142}gorzata"],
    },
    Country {
        code: "KZ",
        currency: "KZT",
        weight: 4,
        median: 20000.0,
        cents: true,
        zones: &["Asia/Almaty"],
        names: &["Aigerim", "Nurlan", "Дана"],
    },
    Country {
        code: "IN",
        currency: "INR",
        weight: 4,
        median: 2500.0,
        cents: true,
        zones: &["Asia/Kolkata"],
        names: &["Priya", "Arjun", "Ananya"],
    },
    Country {
        code: "BR",
        currency: "BRL",
        weight: 3,
        median: 250.0,
        cents: true,
        zones: &["America/Sao_Paulo"],
        names: &["Jo\u{e3}o", "Ana", "Gabriel"],
    },
    Country {
        code: "AU",
        currency: "AUD",
        weight: 3,
        median: 90.0,
        cents: true,
        zones: &[
            "Australia/Sydney",
            "Australia/Melbourne",
            "Australia/Brisbane",
        ],
        names: &["Jack", "Charlotte", "Mia"],
    },
    Country {
        code: "JP",
        currency: "JPY",
        weight: 2,
        median: 6000.0,
        cents: false,
        zones: &["Asia/Tokyo"],
        names: &["Yuki", "Haruto", "Sakura"],
    },
];

/// US area codes with the zone each lies in.
const US_AREAS: &[(u32, &str)] = &[
    (212, "America/New_York"),
    (646, "America/New_York"),
    (305, "America/New_York"),
    (617, "America/New_York"),
    (312, "America/Chicago"),
    (713, "America/Chicago"),
    (512, "America/Chicago"),
    (303, "America/Denver"),
    (602, "America/Phoenix"),
    (415, "America/Los_Angeles"),
    (206, "America/Los_Angeles"),
    (702, "America/Los_Angeles"),
];

const BAD_PHONES: &[&str] = &[
    "12345",
    "+7 916",
    "n/a",
    "",
    "+1 (000) 000-0000",
    "8-800",
    "+44 1234",
    "phone",
    "+7 (999) 000-00-0",
    "0000000000",
];

/// splitmix64: small, fast, and good enough for synthetic data.
struct Rng(u64);

impl Rng {
    /// The generator for item `i` of a stream: independent of every other item.
    fn item(stream: u64, i: u64) -> Rng {
        let mut r = Rng(SEED
            ^ stream.wrapping_mul(0xd1b5_4a32_d192_ed03)
            ^ i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        r.next();
        r
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }
    fn digits(&mut self, n: u32) -> u64 {
        self.below(10u64.pow(n))
    }
    /// A standard normal variate (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u1 = self.unit().max(1e-12);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

struct Cart {
    i: u64,
    country: &'static Country,
    customer: Option<u64>,
    name: &'static str,
    /// As the shop wrote it.
    phone: String,
    /// The number in E.164, or None when `phone` is malformed.
    e164: Option<String>,
    /// In minor units (whole units for JPY).
    total_minor: i64,
    items: u64,
    updated: i64,
    consent: bool,
    zone: &'static str,
    zone_column: bool,
    ordered: bool,
}

fn cart(i: u64) -> Cart {
    let mut r = Rng::item(1, i);
    let total_weight: u64 = COUNTRIES.iter().map(|c| c.weight).sum();
    let mut w = r.below(total_weight);
    let country = COUNTRIES
        .iter()
        .find(|c| {
            if w < c.weight {
                true
            } else {
                w -= c.weight;
                false
            }
        })
        .unwrap();
    let (e164, mut phone, mut zone) = phone_for(country, &mut r);
    let mut e164 = Some(e164);
    if r.chance(2) {
        phone = r.pick(BAD_PHONES).to_string();
        e164 = None;
    }
    if !country.zones.is_empty() {
        zone = r.pick(country.zones);
    }
    // Log-normal around the country's typical basket (sigma 0.8: most carts within 0.2×–5×).
    let units = (country.median.ln() + 0.8 * r.normal())
        .exp()
        .clamp(1.0, 1e7);
    let total_minor = if country.cents {
        (units * 100.0).round() as i64
    } else {
        units.round() as i64
    };
    // 10% of carts in the last 48 hours (`--recent`), the rest over the 12 days before.
    let idle = if r.chance(RECENT.load(std::sync::atomic::Ordering::Relaxed)) {
        r.below(2 * DAY as u64) as i64
    } else {
        2 * DAY + r.below(12 * DAY as u64) as i64
    };
    let customer = if r.chance(80) { Some(i / 2) } else { None };
    Cart {
        i,
        country,
        customer,
        name: r.pick(country.names),
        phone,
        e164,
        total_minor,
        items: 1 + r.below(5),
        updated: NOW - idle,
        consent: r.chance(30),
        zone,
        zone_column: r.chance(40),
        ordered: r.chance(5),
    }
}

/// A valid mobile number for the country: (E.164, as written, zone).
fn phone_for(c: &Country, r: &mut Rng) -> (String, String, &'static str) {
    let (e164, written) = match c.code {
        "RU" => {
            let (def, rest) = (r.pick(&[910, 920, 960, 980]) + r.below(10), r.digits(7));
            let e = format!("+7{def}{rest:07}");
            let w = match r.below(4) {
                0 => e.clone(),
                1 => format!(
                    "+7 {def} {:03}-{:02}-{:02}",
                    rest / 10_000,
                    rest / 100 % 100,
                    rest % 100
                ),
                2 => format!("8{def}{rest:07}"),
                _ => format!(
                    "8 ({def}) {:03}-{:02}-{:02}",
                    rest / 10_000,
                    rest / 100 % 100,
                    rest % 100
                ),
            };
            (e, w)
        }
        "US" => {
            let (area, zone) = r.pick(US_AREAS);
            let exchange = 200 + r.below(800);
            let exchange = if exchange % 100 == 11 {
                exchange + 1
            } else {
                exchange
            };
            let line = r.digits(4);
            let e = format!("+1{area}{exchange}{line:04}");
            let w = if r.chance(50) {
                e.clone()
            } else {
                format!("+1 ({area}) {exchange}-{line:04}")
            };
            return (e, w, zone);
        }
        "GB" => {
            let n = format!("7{}{:08}", 1 + r.below(3), r.digits(8));
            (format!("+44{n}"), format!("+44 {} {}", &n[..4], &n[4..]))
        }
        "DE" => {
            let n = format!("17{:08}", r.digits(8));
            (format!("+49{n}"), format!("+49 {} {}", &n[..3], &n[3..]))
        }
        "FR" => {
            let n = format!("6{}{:07}", r.below(3), r.digits(7));
            (
                format!("+33{n}"),
                format!(
                    "+33 {} {} {} {} {}",
                    &n[..1],
                    &n[1..3],
                    &n[3..5],
                    &n[5..7],
                    &n[7..]
                ),
            )
        }
        "ES" => {
            let n = format!("6{:08}", r.digits(8));
            (
                format!("+34{n}"),
                format!("+34 {} {} {}", &n[..3], &n[3..6], &n[6..]),
            )
        }
        "PL" => {
            let n = format!("5{}{:07}", r.pick(&[0, 1, 3]), r.digits(7));
            (
                format!("+48{n}"),
                format!("+48 {} {} {}", &n[..3], &n[3..6], &n[6..]),
            )
        }
        "KZ" => {
            let n = format!("7{}{:07}", r.pick(&["01", "05", "07", "77"]), r.digits(7));
            (format!("+7{n}"), format!("+7 {} {}", &n[..3], &n[3..]))
        }
        "IN" => {
            let n = format!("98{:08}", r.digits(8));
            (format!("+91{n}"), format!("+91 {} {}", &n[..5], &n[5..]))
        }
        "BR" => {
            let n = format!("119{}{:07}", 6 + r.below(4), r.digits(7));
            (
                format!("+55{n}"),
                format!("+55 ({}) {}-{}", &n[..2], &n[2..7], &n[7..]),
            )
        }
        "AU" => {
            let n = format!("4{}{:07}", r.below(4), r.digits(7));
            (
                format!("+61{n}"),
                format!("+61 {} {} {}", &n[..3], &n[3..6], &n[6..]),
            )
        }
        "JP" => {
            let n = format!("90{}{:07}", 1 + r.below(9), r.digits(7));
            (
                format!("+81{n}"),
                format!("+81 {}-{}-{}", &n[..2], &n[2..6], &n[6..]),
            )
        }
        other => unreachable!("no phone plan for {other}"),
    };
    (e164, written, "")
}

fn money(minor: i64, cents: bool) -> String {
    if cents {
        format!("{}.{:02}", minor / 100, minor % 100)
    } else {
        minor.to_string()
    }
}

/// Percent of carts active in the last 48 hours (`--recent P`, default 10): a large export of
/// mostly old carts (Magento never deletes quotes) is `--recent 1` at ten times the size.
static RECENT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(10);

/// `--quote`: CSV fields quoted as fputcsv quotes them.
static QUOTE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `field` as PHP's fputcsv writes it: in quotes (quotes in it doubled) when it holds a space,
/// the delimiter, a quote, a tab or a line end.
fn fputcsv(field: &str) -> std::borrow::Cow<'_, str> {
    if field.contains([' ', ',', '"', '\t', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\"")).into()
    } else {
        field.into()
    }
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(at) = args.iter().position(|a| a == "--recent") {
        match args.get(at + 1).map(|p| p.parse::<u64>()) {
            Some(Ok(p)) if p <= 100 => RECENT.store(p, std::sync::atomic::Ordering::Relaxed),
            _ => usage(),
        }
        args.drain(at..at + 2);
    }
    if let Some(at) = args.iter().position(|a| a == "--quote") {
        QUOTE.store(true, std::sync::atomic::Ordering::Relaxed);
        args.remove(at);
    }
    let mut dates = Dates::Naive;
    if let Some(at) = args.iter().position(|a| a == "--dates") {
        dates = match args.get(at + 1).map(String::as_str) {
            Some("naive") => Dates::Naive,
            Some("bitrix") => Dates::Bitrix,
            Some("rfc3339") => Dates::Rfc3339,
            _ => usage(),
        };
        args.drain(at..at + 2);
    }
    let n: u64 = match args.first().map(|s| s.parse()) {
        Some(Ok(n)) => n,
        None => 100_000,
        Some(Err(_)) => usage(),
    };
    let mode = args.get(1).map(String::as_str).unwrap_or("csv");
    let file = args.get(2);
    let stdout = std::io::stdout();
    let mut w = BufWriter::with_capacity(1 << 20, stdout.lock());
    match (mode, file) {
        ("csv", None) => write_carts(&mut w, n, dates, Shape::Csv),
        ("jsonl", None) => write_carts(&mut w, n, dates, Shape::Jsonl),
        ("json", None) => write_carts(&mut w, n, dates, Shape::JsonArray),
        ("orders", None) => write_orders(&mut w, n, dates),
        ("sqlite", Some(path)) => write_sqlite(path, n, dates),
        ("ledger", Some(path)) => write_ledger(path, n),
        _ => usage(),
    }
    w.flush().unwrap();
}

fn usage() -> ! {
    eprintln!(
        "usage: gen_carts N [csv|jsonl|json|orders|sqlite FILE|ledger FILE] [--dates naive|bitrix|rfc3339] [--recent PERCENT] [--quote]"
    );
    std::process::exit(2)
}

#[derive(PartialEq)]
enum Shape {
    Csv,
    Jsonl,
    JsonArray,
}

fn write_carts(w: &mut impl Write, n: u64, dates: Dates, shape: Shape) {
    match shape {
        Shape::Csv => writeln!(
            w,
            "cart_id,customer_id,name,email,phone,total,currency,items_count,updated_at,consent,country,timezone,status"
        ),
        Shape::JsonArray => writeln!(w, "["),
        Shape::Jsonl => Ok(()),
    }
    .unwrap();
    for i in 0..n {
        let c = cart(i);
        let customer = c.customer.map(|k| format!("c{k}")).unwrap_or_default();
        let email = format!("{}{}@example.com", c.name.to_lowercase(), c.i);
        let total = money(c.total_minor, c.country.cents);
        let updated = timestamp(c.updated, dates);
        let zone = if c.zone_column { c.zone } else { "" };
        let status = if c.ordered { "ordered" } else { "" };
        if shape == Shape::Csv && QUOTE.load(std::sync::atomic::Ordering::Relaxed) {
            let (items, consent) = (c.items.to_string(), u8::from(c.consent).to_string());
            let fields = [
                format!("q{i}").as_str(),
                &customer,
                c.name,
                &email,
                &c.phone,
                &total,
                c.country.currency,
                &items,
                &updated,
                &consent,
                c.country.code,
                zone,
                status,
            ]
            .map(|f| fputcsv(f).into_owned());
            writeln!(w, "{}", fields.join(",")).unwrap();
            continue;
        }
        if shape == Shape::Csv {
            writeln!(
                w,
                "q{i},{customer},{},{email},{},{total},{},{},{updated},{},{},{zone},{status}",
                c.name,
                c.phone,
                c.country.currency,
                c.items,
                u8::from(c.consent),
                c.country.code,
            )
            .unwrap();
            continue;
        }
        // JSON: numbers where shops write numbers, null for a missing zone (every record has
        // every key: the first record's keys check the mapping).
        let zone = if zone.is_empty() {
            "null".to_string()
        } else {
            format!("\"{zone}\"")
        };
        let sep = if shape == Shape::JsonArray && i + 1 < n {
            ","
        } else {
            ""
        };
        writeln!(
            w,
            r#"{{"cart_id":"q{i}","customer_id":"{customer}","name":"{}","email":"{email}","phone":"{}","total":"{total}","currency":"{}","items_count":{},"updated_at":"{updated}","consent":{},"country":"{}","timezone":{zone},"status":"{status}"}}{sep}"#,
            c.name, c.phone, c.country.currency, c.items, c.consent, c.country.code,
        )
        .unwrap();
    }
    if shape == Shape::JsonArray {
        writeln!(w, "]").unwrap();
    }
}

/// N orders over the 14 days before now: about 6% for a cart of the export (its id, customer and
/// phone, placed within four days of its last activity), 3% matched only by the phone (in E.164),
/// 2% only by e-mail (upper case), the rest from other shoppers; 3% cancelled, refunded or pending.
fn write_orders(w: &mut impl Write, n: u64, dates: Dates) {
    writeln!(
        w,
        "order_id,cart_id,customer_id,phone,email,total,currency,created_at,status"
    )
    .unwrap();
    for i in 0..n {
        let mut r = Rng::item(2, i);
        let status = match r.below(100) {
            0 => "cancelled",
            1 => "refunded",
            2 => "pending",
            _ => "complete",
        };
        let kind = r.below(100);
        let c = cart(r.below(n));
        let after = c.updated + 600 + r.below(4 * DAY as u64) as i64;
        let email = format!("{}{}@example.com", c.name.to_lowercase(), c.i);
        let customer = c.customer.map(|k| format!("c{k}")).unwrap_or_default();
        let (cart_id, customer, phone, email, created, c) = match kind {
            0..=5 if after < NOW => (
                format!("q{}", c.i),
                customer,
                c.phone.clone(),
                email,
                after,
                c,
            ),
            6..=8 if after < NOW => {
                let phone = c.e164.clone().unwrap_or_default();
                (String::new(), String::new(), phone, String::new(), after, c)
            }
            9..=10 if after < NOW => (
                String::new(),
                String::new(),
                String::new(),
                email.to_uppercase(),
                after,
                c,
            ),
            _ => {
                // Another shopper, same mix of countries.
                let other = cart(n + i);
                let created = NOW - r.below(14 * DAY as u64) as i64;
                let email = format!("buyer{i}@example.net");
                (
                    String::new(),
                    format!("g{i}"),
                    other.phone.clone(),
                    email,
                    created,
                    other,
                )
            }
        };
        writeln!(
            w,
            "o{i},{cart_id},{customer},{phone},{email},{},{},{},{status}",
            money(c.total_minor, c.country.cents),
            c.country.currency,
            timestamp(created, dates)
        )
        .unwrap();
    }
}

fn write_sqlite(path: &str, n: u64, dates: Dates) {
    let _ = std::fs::remove_file(path);
    let mut db = Connection::open(path).expect("create the SQLite file");
    db.execute_batch(
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
         CREATE TABLE carts (
             cart_id TEXT PRIMARY KEY, customer_id TEXT, name TEXT, email TEXT, phone TEXT,
             total NUMERIC, currency TEXT, items_count INTEGER, updated_at TEXT, consent INTEGER,
             country TEXT, timezone TEXT, status TEXT);",
    )
    .unwrap();
    let tx = db.transaction().unwrap();
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO carts VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )
            .unwrap();
        for i in 0..n {
            let c = cart(i);
            insert
                .execute(params![
                    format!("q{i}"),
                    c.customer.map(|k| format!("c{k}")),
                    c.name,
                    format!("{}{}@example.com", c.name.to_lowercase(), c.i),
                    c.phone,
                    money(c.total_minor, c.country.cents),
                    c.country.currency,
                    c.items as i64,
                    timestamp(c.updated, dates),
                    c.consent,
                    c.country.code,
                    c.zone_column.then_some(c.zone),
                    c.ordered.then_some("ordered"),
                ])
                .unwrap();
        }
    }
    tx.commit().unwrap();
}

/// N nudges for carts `q0`..: each claimed by an hourly run one to three hours after the cart's
/// last activity: 88% sent, 5% holdout, 4% failed, 3% unknown; 4% of the sent ones recovered.
fn write_ledger(path: &str, n: u64) {
    let mut db = Connection::open(path).expect("open the ledger");
    let has_nudges: bool = db
        .query_row(
            "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'nudges'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    if !has_nudges {
        eprintln!("{path} has no nudges table: create it with `cartnudge send --limit 0` first");
        std::process::exit(2);
    }
    let tx = db.transaction().unwrap();
    {
        let mut nudge = tx
            .prepare(
                "INSERT INTO nudges (run_id, cart_id, customer_id, phone, email, country, status, gateway, provider_id, \
                 encoding, segments, est_cost_micros, cost_currency, cart_total_minor, cart_currency, cart_updated_at, \
                 text, claimed_at, sent_at, error_code, error_text, audited) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'file', ?8, 'GSM-7', ?9, ?10, 'RUB', ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, 1)",
            )
            .unwrap();
        let mut recovery = tx
            .prepare(
                "INSERT INTO recoveries (nudge_id, order_id, amount_minor, currency, ordered_at, match_key, attributed, recorded_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7)",
            )
            .unwrap();
        let mut runs = std::collections::BTreeSet::new();
        for j in 0..n {
            let c = cart(j);
            let mut r = Rng::item(3, j);
            // The hourly run after the cart was an hour idle, never after now.
            let claimed = ((c.updated + HOUR + r.below(2 * HOUR as u64) as i64) / HOUR * HOUR)
                .min(NOW - HOUR);
            let run_id = format!("{}-1", compact(claimed));
            runs.insert(claimed);
            let status = match r.below(100) {
                0..=87 => "sent",
                88..=92 => "holdout",
                93..=96 => "failed",
                _ => "unknown",
            };
            let sent = status == "sent";
            let phone = c
                .e164
                .clone()
                .unwrap_or_else(|| format!("+7916{:07}", j % 10_000_000));
            let text = (status != "holdout").then(|| {
                format!(
                    "Bench shop: {}, your cart awaits: https://shop.example/cart/q{j}",
                    c.name
                )
            });
            let (code, error) = match status {
                "failed" => (Some("21610"), Some("unsubscribed recipient")),
                "unknown" => (Some("timeout"), Some("no answer within 10s")),
                _ => (None, None),
            };
            nudge
                .execute(params![
                    run_id,
                    format!("q{j}"),
                    c.customer.map(|k| format!("c{k}")),
                    phone,
                    format!("{}{}@example.com", c.name.to_lowercase(), c.i),
                    c.country.code,
                    status,
                    sent.then(|| format!("file-{j}")),
                    text.as_ref().map(|_| 1),
                    text.as_ref().map(|_| 4_500_000),
                    c.total_minor,
                    c.country.currency,
                    utc(c.updated),
                    text,
                    utc(claimed),
                    sent.then(|| utc(claimed + 1)),
                    code,
                    error,
                ])
                .unwrap();
            if sent && r.chance(4) {
                let id = tx.last_insert_rowid();
                let ordered = claimed + 600 + r.below(3 * DAY as u64) as i64;
                recovery
                    .execute(params![
                        id,
                        format!("past-o{j}"),
                        c.total_minor,
                        c.country.currency,
                        utc(ordered),
                        r.pick(&["cart", "cart", "customer", "phone", "email"]),
                        utc(ordered.max(NOW - HOUR)),
                    ])
                    .unwrap();
            }
        }
        let mut run = tx
            .prepare(
                "INSERT OR IGNORE INTO runs (run_id, command, started_at, now, finished_at, carts_read, exit_code) \
                 VALUES (?1, 'send', ?2, ?2, ?3, ?4, 0)",
            )
            .unwrap();
        for at in runs {
            run.execute(params![
                format!("{}-1", compact(at)),
                utc(at),
                utc(at + 5),
                (n / 100) as i64
            ])
            .unwrap();
        }
    }
    tx.commit().unwrap();
}

fn timestamp(secs: i64, dates: Dates) -> String {
    let (y, m, d, hh, mm, ss) = civil(secs + LOCAL_OFFSET);
    match dates {
        Dates::Naive => format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}"),
        Dates::Bitrix => format!("{d:02}.{m:02}.{y:04} {hh:02}:{mm:02}:{ss:02}"),
        Dates::Rfc3339 => format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}+03:00"),
    }
}

/// The ledger's form: RFC 3339 in UTC, whole seconds.
fn utc(secs: i64) -> String {
    let (y, m, d, hh, mm, ss) = civil(secs);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
}

/// A run id's time: `20261122T073000Z`.
fn compact(secs: i64) -> String {
    let (y, m, d, hh, mm, ss) = civil(secs);
    format!("{y:04}{m:02}{d:02}T{hh:02}{mm:02}{ss:02}Z")
}

/// Seconds since the epoch → (year, month, day, hour, minute, second), civil-from-days.
fn civil(secs: i64) -> (i64, i64, i64, i64, i64, i64) {
    let days = secs.div_euclid(DAY);
    let rem = secs.rem_euclid(DAY);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, rem / 3600, rem % 3600 / 60, rem % 60)
}
