//! Writes a large, deterministic cart export to stdout for benchmarks:
//!   cargo run --release --example gen_carts -- 1000000 > /tmp/carts.csv
//!   cargo run --release --example gen_carts -- 1000000 orders > /tmp/orders.csv  (a year of orders)
//!   cargo run --release --example gen_carts -- 1000000 json > /tmp/carts.json     (one JSON array)
//! Carts spread their last activity over the 90 days before 2026-11-22T12:00:00Z (so, as in a
//! real export, most are too old), 60% with consent, phones unique per cart, customers in a few
//! zones. Pure std: a fixed linear congruential generator makes every run identical.

use std::io::{BufWriter, Write};

const ZONES: &[&str] = &[
    "Europe/Moscow",
    "Asia/Yekaterinburg",
    "Asia/Novosibirsk",
    "Europe/Kaliningrad",
    "Asia/Vladivostok",
];
const NAMES: &[&str] = &[
    "Anna", "Boris", "Olga", "Ivan", "Maria", "Pavel", "Elena", "Dmitry",
];

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let now = 1_795_348_800i64; // 2026-11-22T12:00:00Z
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        seed >> 33
    };
    let out = std::io::stdout();
    let mut w = BufWriter::with_capacity(1 << 20, out.lock());
    if std::env::args().nth(2).as_deref() == Some("orders") {
        writeln!(
            w,
            "order_id,cart_id,customer_id,email,total,currency,created_at"
        )
        .unwrap();
        for i in 0..n {
            let t = chrono_like(now - (next() % (365 * 24 * 3600)) as i64);
            let cart = next() % n.max(1);
            writeln!(
                w,
                "o{i},q{cart},c{},x{i}@example.ru,{}.00,RUB,{t}",
                cart / 2,
                500 + next() % 19_500
            )
            .unwrap();
        }
        w.flush().unwrap();
        return;
    }
    let json = std::env::args().nth(2).as_deref() == Some("json");
    if json {
        writeln!(w, "[").unwrap();
    } else {
        writeln!(w, "cart_id,customer_id,name,email,phone,total,currency,items_count,updated_at,consent,timezone,status").unwrap();
    }
    for i in 0..n {
        let idle = (next() % (90 * 24 * 3600)) as i64;
        let t = chrono_like(now - idle);
        let total = 500 + next() % 19_500;
        let kopecks = next() % 100;
        let consent = u8::from(next() % 10 < 6);
        let zone = ZONES[(next() % ZONES.len() as u64) as usize];
        let name = NAMES[(next() % NAMES.len() as u64) as usize];
        let status = if next() % 20 == 0 { "ordered" } else { "" };
        let (customer, phone, items) = (i / 2, i % 10_000_000, 1 + next() % 5);
        if json {
            let sep = if i + 1 < n { "," } else { "" };
            writeln!(
                w,
                r#"{{"cart_id":"q{i}","customer_id":"c{customer}","name":"{name}","email":"{name}{i}@example.ru","phone":"+7912{phone:07}","total":"{total}.{kopecks:02}","currency":"RUB","items_count":{items},"updated_at":"{t}","consent":{consent},"timezone":"{zone}","status":"{status}"}}{sep}"#
            )
            .unwrap();
            continue;
        }
        writeln!(
            w,
            "q{i},c{customer},{name},{name}{i}@example.ru,+7912{phone:07},{total}.{kopecks:02},RUB,{items},{t},{consent},{zone},{status}"
        )
        .unwrap();
    }
    if json {
        writeln!(w, "]").unwrap();
    }
    w.flush().unwrap();
}

/// Seconds since the epoch → "YYYY-MM-DDTHH:MM:SSZ" (civil-from-days, no dependencies).
fn chrono_like(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
