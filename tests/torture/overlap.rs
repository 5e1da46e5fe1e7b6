//! Overlapping cron runs: eight `send` processes started together, several rounds on one shop.
//! The provider holds the first request of each round until the other seven have exited, so the
//! lock is provably held while they try it: exactly one sends (its `--limit`), seven exit 75
//! naming the lock, and nothing is received twice.

use crate::harness::{
    self, Site, cart_row, carts_csv, config, figure, knob, now_plus, phone, webhook_gateway,
};
use crate::invariants::{Check, World, assert_none, check_world, violation};
use crate::server::{Act, Server, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const PROCS: usize = 8;
const LIMIT: usize = 3;

#[test]
fn eight_sends_started_together_one_sends_and_seven_exit_75() {
    let rounds = knob("ROUNDS", 5);
    let gate = Arc::new(AtomicBool::new(false));
    let g = gate.clone();
    let server = Server::respond(move |_, n| {
        let started = Instant::now();
        while !g.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_millis(2));
        }
        Act::After(
            Duration::from_millis(20),
            Box::new(json(200, &format!(r#"{{"id":"wh{n}"}}"#))),
        )
    });
    let site = Site::new();
    site.write(
        "cartnudge.toml",
        config("", &webhook_gateway(&server.url), ""),
    );
    // More eligible carts than the rounds will send: a second sender would find work.
    let rows: Vec<String> = (0..(rounds * LIMIT + 10) as u64)
        .map(|i| {
            cart_row(
                &format!("o{i:03}"),
                &phone(8_000_000 + i),
                90_000 - i * 10,
                true,
            )
        })
        .collect();
    site.write("carts.csv", carts_csv(&rows));
    let mut v = Vec::new();
    let mut spawned = 0;
    for round in 0..rounds {
        gate.store(false, Ordering::SeqCst);
        let before = server.count();
        let now = now_plus(round as i64 * 2);
        let limit = LIMIT.to_string();
        let mut procs: Vec<harness::Proc> = (0..PROCS)
            .map(|_| {
                site.send(&now, &["--limit", &limit])
                    .env(harness::HOOK_SECRET.0, harness::HOOK_SECRET.1)
                    .spawn()
            })
            .collect();
        spawned += PROCS;
        let started = Instant::now();
        while procs.iter_mut().map(|p| p.exited()).filter(|e| *e).count() < PROCS - 1
            && started.elapsed() < Duration::from_secs(30)
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        gate.store(true, Ordering::SeqCst);
        let done = harness::wait_all(procs, Duration::from_secs(60));
        let mut codes: Vec<i32> = done.iter().map(|d| d.code()).collect();
        codes.sort();
        let mut want = vec![75; PROCS - 1];
        want.insert(0, 0);
        let got = server.count() - before;
        if codes != want || got != LIMIT {
            let shown: String = done.iter().map(|d| d.show()).collect();
            v.push(violation(
                Check::ExitCode,
                format!(
                    "round {round}: exit codes {codes:?}, {got} received (limit {LIMIT}){shown}"
                ),
            ));
        }
        for d in done.iter().filter(|d| d.code() == 75) {
            if !d.stderr.contains("cartnudge.db.lock") {
                v.push(violation(
                    Check::ExitCode,
                    format!("round {round}: exit 75 must name the lock{}", d.show()),
                ));
            }
        }
    }
    gate.store(true, Ordering::SeqCst);
    let received: Vec<(String, String)> = server
        .requests()
        .iter()
        .map(|r| (r.cart_id().unwrap_or_default(), r.phone_digits()))
        .collect();
    if received.len() != rounds * LIMIT {
        v.push(violation(
            Check::Duplicate,
            format!(
                "{} received in {rounds} rounds of limit {LIMIT}",
                received.len()
            ),
        ));
    }
    v.extend(check_world(&World {
        received: &received,
        ledger: &site.path("cartnudge.db"),
        audit_dir: &site.path("audit"),
        outbox: None,
        label: "overlap",
    }));
    figure("overlap", "rounds", rounds.into());
    figure("overlap", "processes", spawned.into());
    figure("overlap", "messages_received", received.len().into());
    figure("overlap", "violations", v.len().into());
    assert_none(
        "overlap",
        &v,
        &[
            Check::ExitCode,
            Check::Duplicate,
            Check::LedgerRow,
            Check::AuditOnce,
            Check::Parse,
            Check::Integrity,
        ],
    );
}
