//! Damaged ledgers: after a run has sent part of the batch, the ledger is truncated, corrupted,
//! swapped for a database without cartnudge's schema, or given a future schema version. Starting
//! afresh would resend every cart the lost ledger remembered, so each must be refused before
//! anything is sent: exit 2, a message naming the file, no request.

use crate::harness::{
    self, Done, Site, cart_row, carts_csv, config, figure, now_plus, phone, webhook_gateway,
};
use crate::invariants::{Check, Violation, assert_none, violation};
use crate::server::{Server, json};
use std::io::{Seek, SeekFrom, Write};
use std::sync::OnceLock;
use std::time::Duration;

/// Damage done to the ledger file between two runs.
#[derive(Clone, Copy, Debug)]
pub enum Damage {
    Empty,
    HeaderOnly,
    HalfCut,
    GarbageHeader,
    GarbagePage,
    ForeignDatabase,
    FutureSchema,
}

fn damage(path: &std::path::Path, how: Damage) {
    for suffix in ["-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
    let len = std::fs::metadata(path).unwrap().len();
    let open = || std::fs::OpenOptions::new().write(true).open(path).unwrap();
    match how {
        Damage::Empty => open().set_len(0).unwrap(),
        Damage::HeaderOnly => open().set_len(100).unwrap(),
        Damage::HalfCut => open().set_len(len / 2).unwrap(),
        Damage::GarbageHeader => open().write_all(&[0x5Au8; 64]).unwrap(),
        Damage::GarbagePage => {
            // Every page after the schema page: the nudges' rows and indexes.
            let mut f = open();
            let mut x = 0x1234_5678u32;
            let junk: Vec<u8> = (0..len.saturating_sub(4096))
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    x as u8
                })
                .collect();
            f.seek(SeekFrom::Start(4096)).unwrap();
            f.write_all(&junk).unwrap();
        }
        Damage::ForeignDatabase => {
            std::fs::remove_file(path).unwrap();
            let c = rusqlite::Connection::open(path).unwrap();
            c.execute_batch("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('not a ledger');")
                .unwrap();
        }
        Damage::FutureSchema => {
            let c = rusqlite::Connection::open(path).unwrap();
            c.pragma_update(None, "user_version", 99).unwrap();
        }
    }
}

const ALL: &[Damage] = &[
    Damage::Empty,
    Damage::HeaderOnly,
    Damage::HalfCut,
    Damage::GarbageHeader,
    Damage::GarbagePage,
    Damage::ForeignDatabase,
    Damage::FutureSchema,
];

/// A run sends 3 of 8 carts, the ledger is damaged, and the next run must refuse it: exit 2,
/// nothing sent, the message naming the ledger.
fn refused(how: Damage) -> Vec<Violation> {
    let site = Site::new();
    let server = Server::respond(|_, n| json(200, &format!(r#"{{"id":"wh{n}"}}"#)));
    site.write(
        "cartnudge.toml",
        config("", &webhook_gateway(&server.url), ""),
    );
    let rows: Vec<String> = (0..8)
        .map(|i| {
            cart_row(
                &format!("l{i}"),
                &phone(5_000_000 + i),
                9_000 - i * 100,
                true,
            )
        })
        .collect();
    site.write("carts.csv", carts_csv(&rows));
    let run = |minutes: i64| -> Done {
        site.send(&now_plus(minutes), &["--limit", "3"])
            .env(harness::HOOK_SECRET.0, harness::HOOK_SECRET.1)
            .run(Duration::from_secs(60))
    };
    let label = format!("{how:?} ledger");
    let mut v = Vec::new();
    let first = run(0);
    assert_eq!(first.code(), 0, "{}", first.show());
    damage(&site.path("cartnudge.db"), how);
    let before = server.count();
    let second = run(15);
    let sent = server.count() - before;
    if sent > 0 {
        v.push(violation(
            Check::Duplicate,
            format!(
                "{label}: {sent} message(s) went out, {} of them a second time{}",
                count_again(&server),
                second.show()
            ),
        ));
    }
    if second.code() != 2 {
        v.push(violation(
            Check::ExitCode,
            format!(
                "{label}: must be refused with exit 2 before anything is sent{}",
                second.show()
            ),
        ));
    } else if !second.stderr.contains("cartnudge.db") {
        v.push(violation(
            Check::Names,
            format!(
                "{label}: the refusal must name the ledger file{}",
                second.show()
            ),
        ));
    }
    v
}

/// Carts received more than once.
fn count_again(server: &Server) -> usize {
    let mut seen = std::collections::HashMap::new();
    for r in server.requests() {
        *seen.entry(r.cart_id().unwrap_or_default()).or_insert(0) += 1;
    }
    seen.values().filter(|n| **n > 1).count()
}

fn results() -> &'static [(Damage, Vec<Violation>)] {
    static R: OnceLock<Vec<(Damage, Vec<Violation>)>> = OnceLock::new();
    R.get_or_init(|| {
        let r: Vec<_> = ALL.iter().map(|d| (*d, refused(*d))).collect();
        figure("storage", "damaged_ledger_cases", r.len().into());
        r
    })
}

fn check(cases: &[Damage], checks: &[Check]) {
    let v: Vec<Violation> = results()
        .iter()
        .filter(|(d, _)| {
            cases
                .iter()
                .any(|c| std::mem::discriminant(c) == std::mem::discriminant(d))
        })
        .flat_map(|(_, v)| v.clone())
        .collect();
    assert_none("damaged ledger", &v, checks);
}

const REFUSED: &[Check] = &[Check::Duplicate, Check::ExitCode];

#[test]
fn truncated_ledger_is_refused_naming_it_and_nothing_is_resent() {
    check(
        &[Damage::Empty, Damage::HeaderOnly, Damage::HalfCut],
        &[Check::Duplicate, Check::ExitCode, Check::Names],
    );
}

#[test]
fn ledger_without_cartnudges_schema_is_refused_and_nothing_is_resent() {
    check(
        &[Damage::ForeignDatabase],
        &[Check::Duplicate, Check::ExitCode, Check::Names],
    );
}

#[test]
fn cut_or_corrupted_ledger_is_refused_before_anything_is_sent() {
    check(
        &[
            Damage::HeaderOnly,
            Damage::HalfCut,
            Damage::GarbageHeader,
            Damage::GarbagePage,
        ],
        REFUSED,
    );
}

#[test]
fn corrupted_ledger_refusal_names_the_ledger() {
    check(
        &[Damage::GarbageHeader, Damage::GarbagePage],
        &[Check::Names],
    );
}

#[test]
fn ledger_from_a_newer_cartnudge_is_refused_naming_it() {
    check(
        &[Damage::FutureSchema],
        &[Check::Duplicate, Check::ExitCode, Check::Names],
    );
}
