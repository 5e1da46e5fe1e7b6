//! Crash torture: `send` is SIGKILLed at a random moment of its run (start-up, ledger migration,
//! the streaming audit, a claim, a request in flight, the final bookkeeping), once or twice per
//! trial, against a loopback webhook with random latency or the file gateway; then a clean rerun,
//! and every invariant is checked. Trials run until `CARTNUDGE_TORTURE_KILLS` kills (default
//! 200) have landed on a live process; kills that find it already exited are not counted.

use crate::harness::{
    self, Cmd, Kill, Rng, Site, cart_row, carts_csv, config, figure, knob, now_plus, phone,
    webhook_gateway,
};
use crate::invariants::{Check, Violation, World, assert_none, check_exit, check_world, violation};
use crate::server::{Act, Server, json};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

struct Report {
    target: usize,
    trials: usize,
    kills: usize,
    too_late: usize,
    /// Kills by how much of its batch the killed run had got out.
    phases: BTreeMap<&'static str, usize>,
    /// Kills by when they came: milliseconds after the start, in 250 ms buckets.
    timing: BTreeMap<u64, usize>,
    received: usize,
    violations: Vec<Violation>,
}

fn report() -> &'static Report {
    static REPORT: OnceLock<Report> = OnceLock::new();
    REPORT.get_or_init(torture)
}

#[derive(Clone, Copy, PartialEq)]
enum Gw {
    Webhook,
    File,
}

/// A trial's shop: the site, its gateway, and what the gateway received.
struct Trial {
    site: Site,
    gw: Gw,
    server: Option<Server>,
    eligible_phones: usize,
    limit: u64,
}

impl Trial {
    fn new(rng: &mut Rng, n: u64) -> Trial {
        let site = Site::new();
        let gw = if rng.chance(0.3) {
            Gw::File
        } else {
            Gw::Webhook
        };
        let lat_seed = rng.next_u64();
        let server = (gw == Gw::Webhook).then(|| {
            Server::respond(move |_, i| {
                let mut r = Rng::new(lat_seed ^ i as u64);
                let wait = Duration::from_millis(r.range(2, 60));
                Act::After(wait, Box::new(json(200, &format!("{{\"id\":\"wh-{i}\"}}"))))
            })
        });
        let gateway = match &server {
            Some(s) => webhook_gateway(&s.url),
            None => "kind = \"file\"\npath = \"outbox.jsonl\"\n".to_string(),
        };
        let rules = if rng.chance(0.3) {
            "holdout_percent = 20\nholdout_salt = \"torture\""
        } else {
            ""
        };
        site.write("cartnudge.toml", config(rules, &gateway, ""));
        // Eligible carts (a few pairs share a phone, one written in a local form), and many
        // no-consent carts whose audit rows stream out while the run reads the export.
        let base = n * 1000;
        let eligible = rng.range(10, 24);
        let mut rows = Vec::new();
        let mut phones = std::collections::BTreeSet::new();
        for i in 0..eligible {
            let shared = i % 5 == 4 && rng.chance(0.6);
            let p = if shared {
                phone(base + i - 1)
            } else {
                phone(base + i)
            };
            let written = if shared && rng.chance(0.5) {
                format!("8{}", &p[2..])
            } else {
                p.clone()
            };
            phones.insert(p);
            rows.push(cart_row(
                &format!("t{n}-e{i:02}"),
                &written,
                4000 + i * 100,
                true,
            ));
        }
        for i in 0..rng.range(100, 700) {
            rows.push(cart_row(
                &format!("t{n}-nc{i:03}"),
                &phone(base + 500 + i),
                5000,
                false,
            ));
        }
        site.write("carts.csv", carts_csv(&rows));
        Trial {
            site,
            gw,
            server,
            eligible_phones: phones.len(),
            limit: rng.range(3, 8),
        }
    }

    /// Every message the gateway received: (cart_id, phone).
    fn received(&self) -> Vec<(String, String)> {
        match &self.server {
            Some(s) => s
                .requests()
                .iter()
                .map(|r| (r.cart_id().unwrap_or_default(), r.phone_digits()))
                .collect(),
            None => crate::invariants::outbox(&self.site.path("outbox.jsonl"))
                .0
                .into_iter()
                .map(|m| (m.cart_id, m.to))
                .collect(),
        }
    }

    fn send(&self, minutes: i64) -> Cmd {
        let now = now_plus(minutes);
        let limit = self.limit.to_string();
        self.site
            .send(&now, &["--limit", &limit])
            .env(harness::HOOK_SECRET.0, harness::HOOK_SECRET.1)
    }

    /// Phones that have a ledger row already (they will not be messaged again).
    fn touched_phones(&self) -> usize {
        crate::invariants::nudges(&self.site.path("cartnudge.db"))
            .map(|n| {
                n.iter()
                    .map(|x| x.phone.clone())
                    .collect::<std::collections::BTreeSet<_>>()
                    .len()
            })
            .unwrap_or(0)
    }
}

/// When a first run here gets its first message out, and when it ends, per gateway: the kill
/// moments spread over the whole run, with more of them where the messages go out.
#[derive(Clone, Copy)]
struct Span {
    first: Duration,
    end: Duration,
}

fn calibrate(gw: Gw, seed: u64) -> Span {
    let mut span = Span {
        first: Duration::from_millis(50),
        end: Duration::from_millis(100),
    };
    for i in 0..2 {
        let mut rng = Rng::new(seed ^ (0xCA11 + i));
        let trial = loop {
            let t = Trial::new(&mut rng, 9000 + i);
            if t.gw == gw {
                break t;
            }
        };
        let mut p = trial.send(0).spawn();
        let mut first = None;
        while !p.exited() && p.started.elapsed() < Duration::from_secs(60) {
            if first.is_none() && !trial.received().is_empty() {
                first = Some(p.started.elapsed());
            }
            std::thread::sleep(Duration::from_micros(500));
        }
        let end = p.started.elapsed();
        drop(p);
        span.end = span.end.max(end);
        span.first = span.first.max(first.unwrap_or(end / 2));
    }
    span
}

/// When to kill a run.
#[derive(Clone, Copy)]
enum Plan {
    /// At this moment after the start (anywhere in the run, start-up and export included).
    At(Duration),
    /// This long after the run's m-th message reached the gateway (a request in flight, the
    /// ledger update, the audit fsync, the next claim, the end of the run).
    AfterMessage(usize, Duration),
}

impl Plan {
    fn pick(rng: &mut Rng, span: &Span, can_send: usize) -> Plan {
        if can_send == 0 || rng.chance(0.3) {
            let end = span.end.as_micros() as u64;
            return Plan::At(Duration::from_micros(rng.range(0, end * 11 / 10)));
        }
        let m = if rng.chance(0.2) {
            can_send
        } else {
            rng.range(1, can_send as u64) as usize
        };
        Plan::AfterMessage(m, Duration::from_micros(rng.range(0, 60_000)))
    }
}

fn torture() -> Report {
    let started = Instant::now();
    let seed = harness::seed();
    let target = knob("KILLS", 200);
    let jobs = knob("JOBS", 3).max(1);
    let span = [calibrate(Gw::Webhook, seed), calibrate(Gw::File, seed)];
    let documented = harness::documented_exit_codes();
    let next = AtomicUsize::new(0);
    let kills = AtomicUsize::new(0);
    let shared = Mutex::new(Report {
        target,
        trials: 0,
        kills: 0,
        too_late: 0,
        phases: BTreeMap::new(),
        timing: BTreeMap::new(),
        received: 0,
        violations: Vec::new(),
    });
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| {
                loop {
                    let n = next.fetch_add(1, Ordering::SeqCst);
                    if kills.load(Ordering::SeqCst) >= target || n >= target * 3 {
                        break;
                    }
                    let mut rng = Rng::new(seed.wrapping_add(n as u64 * 7919));
                    let t = trial(n as u64, &mut rng, &span, &documented);
                    kills.fetch_add(t.kills, Ordering::SeqCst);
                    let mut r = shared.lock().unwrap();
                    r.trials += 1;
                    r.kills += t.kills;
                    r.too_late += t.too_late;
                    r.received += t.received;
                    for p in t.phases {
                        *r.phases.entry(p).or_default() += 1;
                    }
                    for b in t.timing {
                        *r.timing.entry(b).or_default() += 1;
                    }
                    r.violations.extend(t.violations);
                }
            });
        }
    });
    let r = shared.into_inner().unwrap();
    let mut by_check: BTreeMap<String, usize> = BTreeMap::new();
    for v in &r.violations {
        *by_check.entry(format!("{:?}", v.check)).or_default() += 1;
    }
    let fig = |k: &str, v: serde_json::Value| figure("crash", k, v);
    fig("seed", seed.into());
    fig("trials", r.trials.into());
    fig("kills_delivered", r.kills.into());
    fig("kills_after_exit_not_counted", r.too_late.into());
    fig(
        "kills_by_messages_out",
        serde_json::to_value(&r.phases).unwrap(),
    );
    fig(
        "kills_by_ms_after_start",
        serde_json::to_value(
            r.timing
                .iter()
                .map(|(k, v)| (format!("{:04}-{:04}", k * 250, k * 250 + 249), *v))
                .collect::<BTreeMap<_, _>>(),
        )
        .unwrap(),
    );
    fig(
        "typical_run_ms",
        serde_json::json!({
            "webhook": {"first_message": span[0].first.as_millis() as u64, "end": span[0].end.as_millis() as u64},
            "file": {"first_message": span[1].first.as_millis() as u64, "end": span[1].end.as_millis() as u64},
        }),
    );
    fig("messages_received", r.received.into());
    fig(
        "violations_by_check",
        serde_json::to_value(&by_check).unwrap(),
    );
    fig("seconds", started.elapsed().as_secs().into());
    r
}

struct TrialResult {
    kills: usize,
    too_late: usize,
    phases: Vec<&'static str>,
    timing: Vec<u64>,
    received: usize,
    violations: Vec<Violation>,
}

fn trial(
    n: u64,
    rng: &mut Rng,
    span: &[Span; 2],
    documented: &std::collections::BTreeSet<i32>,
) -> TrialResult {
    let t = Trial::new(rng, n);
    let span = span[if t.gw == Gw::Webhook { 0 } else { 1 }];
    let label = format!(
        "trial {n} ({})",
        if t.gw == Gw::Webhook {
            "webhook"
        } else {
            "file"
        }
    );
    let mut res = TrialResult {
        kills: 0,
        too_late: 0,
        phases: Vec::new(),
        timing: Vec::new(),
        received: 0,
        violations: Vec::new(),
    };
    let killed_runs = rng.range(1, 4) as i64;
    for k in 0..killed_runs {
        let before = t.received().len();
        let can_send =
            (t.eligible_phones.saturating_sub(t.touched_phones()) as u64).min(t.limit) as usize;
        let plan = Plan::pick(rng, &span, can_send);
        let mut p = t.send(k * 3).spawn();
        let mut due: Option<Instant> = match plan {
            Plan::At(at) => Some(p.started + at),
            _ => None,
        };
        loop {
            if p.exited() || p.started.elapsed() > Duration::from_secs(30) {
                break;
            }
            let now = Instant::now();
            if due.is_some_and(|d| now >= d) {
                break;
            }
            if due.is_none()
                && let Plan::AfterMessage(m, delay) = plan
                && t.received().len() - before >= m
            {
                due = Some(now + delay);
            }
            std::thread::sleep(Duration::from_micros(300));
        }
        let bucket = p.started.elapsed().as_millis() as u64 / 250;
        let (kill, done) = p.kill();
        let out = t.received().len() - before;
        match kill {
            Kill::Delivered => {
                res.kills += 1;
                res.timing.push(bucket);
                res.phases.push(if out == 0 {
                    "before_first_message"
                } else if out < can_send {
                    "between_messages"
                } else {
                    "after_last_message"
                });
            }
            Kill::TooLate => {
                res.too_late += 1;
                res.violations.extend(check_exit(
                    &format!("{label} run {k}"),
                    &done,
                    documented,
                    out,
                ));
            }
        }
    }
    let before = t.received().len();
    let done = t.send(15).run(Duration::from_secs(60));
    let out = t.received().len() - before;
    if !matches!(done.code(), 0 | 1) {
        res.violations.push(violation(
            Check::ExitCode,
            format!("{label}: the clean rerun failed{}", done.show()),
        ));
    }
    res.violations.extend(check_exit(
        &format!("{label} rerun"),
        &done,
        documented,
        out,
    ));
    let received = t.received();
    res.received = received.len();
    let outbox = t.site.path("outbox.jsonl");
    res.violations.extend(check_world(&World {
        received: &received,
        ledger: &t.site.path("cartnudge.db"),
        audit_dir: &t.site.path("audit"),
        outbox: (t.gw == Gw::File).then_some(outbox.as_path()),
        label: &label,
    }));
    res
}

#[test]
fn sigkill_anywhere_never_sends_a_cart_or_a_phone_twice() {
    assert_none("crash torture", &report().violations, &[Check::Duplicate]);
}

#[test]
fn sigkill_anywhere_leaves_every_message_in_the_ledger() {
    assert_none("crash torture", &report().violations, &[Check::LedgerRow]);
}

#[test]
fn sigkill_anywhere_leaves_a_ledger_that_passes_integrity_check() {
    assert_none("crash torture", &report().violations, &[Check::Integrity]);
}

#[test]
fn sigkill_anywhere_then_a_clean_rerun_exits_as_documented() {
    assert_none("crash torture", &report().violations, &[Check::ExitCode]);
}

#[test]
fn sigkill_lands_often_enough_and_all_over_the_run() {
    let r = report();
    assert!(
        r.kills >= r.target,
        "only {} of {} kills landed on a running process in {} trials",
        r.kills,
        r.target,
        r.trials
    );
    if r.target >= 50 {
        for phase in [
            "before_first_message",
            "between_messages",
            "after_last_message",
        ] {
            assert!(
                r.phases.get(phase).copied().unwrap_or(0) > 0,
                "no kill with `{phase}` of the batch out: {:?}",
                r.phases
            );
        }
    }
}

#[test]
fn sigkill_anywhere_leaves_exactly_one_audit_row_per_message() {
    assert_none("crash torture", &report().violations, &[Check::AuditOnce]);
}

#[test]
fn sigkill_anywhere_leaves_audit_and_outbox_files_that_parse() {
    assert_none("crash torture", &report().violations, &[Check::Parse]);
}
