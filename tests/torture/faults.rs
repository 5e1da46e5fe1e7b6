//! Gateway faults, end to end through the binary: for each provider one run meets every
//! documented answer class at once (one cart per fault, ending with a fatal answer), then a run
//! against a healthy provider shows that only what was "not processed" is sent again. Refused
//! connections, DNS failure (a mount namespace whose resolver is a closed loopback port), huge
//! `Retry-After` values and `--deadline` each get their own runs.

use crate::harness::{self, Done, Site, cart_row, carts_csv, config, figure, now_plus, phone};
use crate::invariants::{self, Check, Violation, World, assert_none, check_world, violation};
use crate::providers::{self, Expect, Fault};
use crate::server::{Act, Request, Server, closed_port, json, with_header};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(90);

/// A shop whose carts each meet one scripted answer, keyed by phone digits.
struct Rig {
    site: Site,
    kind: &'static str,
    server: Server,
    /// Once set, every answer is "accepted".
    healthy: Arc<AtomicBool>,
    /// Digits → cart id, for reading the server's log.
    carts: Arc<Mutex<HashMap<String, String>>>,
}

impl Rig {
    fn new(kind: &'static str, script: Vec<(String, Act)>) -> Rig {
        let healthy = Arc::new(AtomicBool::new(false));
        let map: HashMap<String, Act> = script
            .into_iter()
            .map(|(p, a)| (p.trim_start_matches('+').to_string(), a))
            .collect();
        let h = healthy.clone();
        let server = Server::respond(move |req: &Request, n| {
            let scripted = map
                .get(&req.phone_digits())
                .filter(|_| !h.load(Ordering::SeqCst));
            match scripted {
                Some(act) => providers::render(act, req),
                None => providers::ok(kind, req, n),
            }
        });
        let site = Site::new();
        site.write(
            "cartnudge.toml",
            config("", &providers::gateway(kind, &server.url), ""),
        );
        Rig {
            site,
            kind,
            server,
            healthy,
            carts: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Writes the carts: (id, phone, total).
    fn carts(&self, carts: &[(String, String, u64)]) {
        let mut map = self.carts.lock().unwrap();
        for (id, p, _) in carts {
            map.insert(p.trim_start_matches('+').to_string(), id.clone());
        }
        let rows: Vec<String> = carts
            .iter()
            .map(|(id, p, total)| cart_row(id, p, *total, true))
            .collect();
        self.site.write("carts.csv", carts_csv(&rows));
    }

    fn send(&self, minutes: i64, extra: &[&str]) -> Done {
        let mut args = vec!["--limit", "100"];
        args.extend_from_slice(extra);
        self.site
            .send(&now_plus(minutes), &args)
            .envs(&providers::env(self.kind))
            .run(LIMIT)
    }

    /// Requests per cart id.
    fn requests(&self) -> BTreeMap<String, Vec<Request>> {
        let carts = self.carts.lock().unwrap();
        let mut out: BTreeMap<String, Vec<Request>> = BTreeMap::new();
        for r in self.server.requests() {
            let id = carts
                .get(&r.phone_digits())
                .cloned()
                .unwrap_or_else(|| format!("?{}", r.phone_digits()));
            out.entry(id).or_default().push(r);
        }
        out
    }

    fn ledger(&self) -> HashMap<String, invariants::Nudge> {
        invariants::nudges(&self.site.path("cartnudge.db"))
            .unwrap_or_default()
            .into_iter()
            .map(|n| (n.cart_id.clone(), n))
            .collect()
    }

    fn audit(&self) -> HashMap<String, (String, String)> {
        invariants::audit(&self.site.path("audit"))
            .0
            .into_iter()
            .map(|r| (r.cart_id, (r.decision, r.reason)))
            .collect()
    }
}

/// One provider: every fault in one run, a fatal answer last, then a healthy run.
fn provider_faults(kind: &'static str) -> Vec<Violation> {
    let mut v = Vec::new();
    let faults = providers::faults(kind);
    let fatal = providers::fatal(kind);
    let mut script = Vec::new();
    let mut carts = Vec::new();
    let mut expect: Vec<(String, Expect, String)> = Vec::new();
    let mut push = |i: usize, f: &Fault, script: &mut Vec<(String, Act)>| {
        let (id, p) = (format!("{kind}-{}", f.name), phone(3_000_000 + i as u64));
        script.push((p.clone(), f.act.clone()));
        carts.push((id.clone(), p.clone(), 90_000 - i as u64 * 100));
        expect.push((id, f.expect.clone(), p));
    };
    for (i, f) in faults.iter().chain(fatal.iter().take(1)).enumerate() {
        push(i, f, &mut script);
    }
    let after = ("after-fatal".to_string(), phone(3_000_099), 1_000 * 4);
    carts.push((format!("{kind}-{}", after.0), after.1.clone(), after.2));
    let rig = Rig::new(kind, script);
    rig.carts(&carts);
    let first = rig.send(0, &[]);
    let label = format!("{kind} faults");
    if first.code() != 3 {
        v.push(violation(
            Check::ExitCode,
            format!(
                "{label}: a fatal answer must end the run with 3{}",
                first.show()
            ),
        ));
    }
    let reqs = rig.requests();
    let ledger = rig.ledger();
    let audit = rig.audit();
    let mut table = BTreeMap::new();
    for (id, want, _) in &expect {
        let got_reqs = reqs.get(id).map(Vec::len).unwrap_or(0);
        let row = ledger.get(id);
        let (status, code) = row
            .map(|n| (n.status.as_str(), n.error_code.as_str()))
            .unwrap_or(("", ""));
        let (decision, reason) = audit
            .get(id)
            .map(|(d, r)| (d.as_str(), r.as_str()))
            .unwrap_or(("", ""));
        let ok = match want {
            Expect::Sent => status == "sent" && decision == "sent" && got_reqs == 1,
            Expect::Failed(c) => {
                status == "failed" && code == c && decision == "failed" && got_reqs == 1
            }
            Expect::OptOut(c) => {
                status == "failed" && code == c && decision == "failed" && got_reqs == 1
            }
            Expect::Unknown => status == "unknown" && decision == "unknown" && got_reqs == 1,
            Expect::Retry => {
                row.is_none()
                    && (decision, reason) == ("deferred", "gateway_retry")
                    && got_reqs == providers::MAX_TRIES
            }
            Expect::Fatal => {
                row.is_none()
                    && (decision, reason) == ("deferred", "gateway_aborted")
                    && got_reqs == 1
            }
        };
        table.insert(
            id.clone(),
            format!("{want:?} -> {status}/{decision}/{reason} x{got_reqs}"),
        );
        if !ok {
            v.push(violation(
                Check::LedgerRow,
                format!(
                    "{label}: {id} should be {want:?}; ledger `{status}` code `{code}`, audit `{decision}` `{reason}`, {got_reqs} request(s){}",
                    first.show()
                ),
            ));
        }
    }
    // Retry-After: 1 is honoured between the two tries.
    if let Some(r) = reqs.get(&format!("{kind}-http429_retry_after_1s"))
        && r.len() == 2
        && r[1].at.duration_since(r[0].at) < Duration::from_millis(900)
    {
        v.push(violation(
            Check::LedgerRow,
            format!(
                "{label}: Retry-After: 1 not honoured ({:?} between tries)",
                r[1].at.duration_since(r[0].at)
            ),
        ));
    }
    let after_id = format!("{kind}-after-fatal");
    if reqs.contains_key(&after_id)
        || rig.audit().get(&after_id).map(|x| x.1.as_str()) != Some("gateway_aborted")
    {
        v.push(violation(
            Check::LedgerRow,
            format!(
                "{label}: the cart after the fatal answer must be deferred unsent{}",
                first.show()
            ),
        ));
    }
    // Opt-outs hold: a new cart with an opted-out phone is skipped.
    let optouts: Vec<(String, String)> = expect
        .iter()
        .filter(|(_, e, _)| matches!(e, Expect::OptOut(_)))
        .map(|(id, _, p)| (format!("{id}-again"), p.clone()))
        .collect();
    for (id, p) in &optouts {
        carts.push((id.clone(), p.clone(), 95_000));
    }
    rig.carts(&carts);
    rig.healthy.store(true, Ordering::SeqCst);
    let before: BTreeMap<String, usize> = rig
        .requests()
        .iter()
        .map(|(k, r)| (k.clone(), r.len()))
        .collect();
    let second = rig.send(15, &[]);
    if second.code() != 0 {
        v.push(violation(
            Check::ExitCode,
            format!("{label}: healthy rerun{}", second.show()),
        ));
    }
    let again: Vec<String> = rig
        .requests()
        .into_iter()
        .filter(|(k, r)| r.len() > before.get(k).copied().unwrap_or(0))
        .map(|(k, _)| k)
        .collect();
    let mut want_again: Vec<String> = expect
        .iter()
        .filter(|(_, e, _)| matches!(e, Expect::Retry | Expect::Fatal))
        .map(|(id, _, _)| id.clone())
        .collect();
    want_again.push(after_id);
    want_again.sort();
    if again != want_again {
        v.push(violation(
            Check::Duplicate,
            format!("{label}: the healthy rerun sent {again:?}; only {want_again:?} were never processed{}", second.show()),
        ));
    }
    // Every further fatal code aborts a one-cart batch the same way.
    for f in fatal.iter().skip(1) {
        let p = phone(3_000_200);
        let rig = Rig::new(kind, vec![(p.clone(), f.act.clone())]);
        rig.carts(&[(format!("{kind}-{}", f.name), p, 9_000)]);
        let done = rig.send(0, &[]);
        let audit = rig.audit();
        let ok = done.code() == 3
            && rig.ledger().is_empty()
            && audit
                .values()
                .all(|(d, r)| (d.as_str(), r.as_str()) == ("deferred", "gateway_aborted"));
        table.insert(
            format!("{kind}-{}", f.name),
            format!("Fatal -> exit {}", done.code()),
        );
        if !ok {
            v.push(violation(
                Check::LedgerRow,
                format!(
                    "{label}: fatal {} must stop the batch with exit 3{}",
                    f.name,
                    done.show()
                ),
            ));
        }
    }
    figure(
        "gateway_faults",
        kind,
        serde_json::to_value(&table).unwrap(),
    );
    v
}

macro_rules! provider_test {
    ($name:ident, $kind:literal) => {
        #[test]
        fn $name() {
            let v = provider_faults($kind);
            assert_none(
                $kind,
                &v,
                &[Check::LedgerRow, Check::ExitCode, Check::Duplicate],
            );
        }
    };
}

provider_test!(
    twilio_answers_are_classified_and_only_unprocessed_carts_are_sent_again,
    "twilio"
);
provider_test!(
    smsru_answers_are_classified_and_only_unprocessed_carts_are_sent_again,
    "smsru"
);
provider_test!(
    smsc_answers_are_classified_and_only_unprocessed_carts_are_sent_again,
    "smsc"
);
provider_test!(
    messagebird_answers_are_classified_and_only_unprocessed_carts_are_sent_again,
    "messagebird"
);
provider_test!(
    vonage_answers_are_classified_and_only_unprocessed_carts_are_sent_again,
    "vonage"
);
provider_test!(
    webhook_answers_are_classified_and_only_unprocessed_carts_are_sent_again,
    "webhook"
);

/// "Nothing was sent" transport failures: the cart is deferred with no ledger row, and the next
/// run (healthy provider) sends it once. `wrap` runs the first send in another setting.
fn not_sent_then_sent(kind: &'static str, base: &str, wrap: &[String]) -> Vec<Violation> {
    let mut v = Vec::new();
    let rig = Rig::new(kind, Vec::new());
    let p = phone(3_100_000);
    rig.carts(&[(format!("{kind}-net"), p.clone(), 9_000)]);
    let good = rig.site.path("cartnudge.toml");
    let good_cfg = std::fs::read_to_string(&good).unwrap();
    rig.site
        .write("cartnudge.toml", good_cfg.replace(&rig.server.url, base));
    let first = rig
        .site
        .send(NOW_, &["--limit", "5"])
        .envs(&providers::env(kind))
        .prefix(wrap)
        .run(LIMIT);
    let audit = rig.audit();
    let deferred = audit
        .get(&format!("{kind}-net"))
        .map(|(d, r)| (d.as_str(), r.as_str()));
    if first.code() != 0
        || !rig.ledger().is_empty()
        || deferred != Some(("deferred", "gateway_retry"))
    {
        v.push(violation(
            Check::LedgerRow,
            format!(
                "{kind} at {base}: nothing was sent, so the cart must be deferred (gateway_retry) with no ledger row; audit {deferred:?}, ledger {:?}{}",
                rig.ledger().values().map(|n| (&n.status, &n.error_code)).collect::<Vec<_>>(),
                first.show()
            ),
        ));
    }
    rig.site.write("cartnudge.toml", good_cfg);
    let second = rig.send(15, &[]);
    let sent = rig
        .requests()
        .get(&format!("{kind}-net"))
        .map(Vec::len)
        .unwrap_or(0);
    if sent != 1 || second.code() != 0 {
        v.push(violation(
            Check::Duplicate,
            format!(
                "{kind}: after the outage the cart must be sent exactly once (got {sent}){}",
                second.show()
            ),
        ));
    }
    v
}

const NOW_: &str = harness::NOW;

#[test]
fn refused_connection_defers_and_the_next_run_sends_once() {
    let mut v = Vec::new();
    for kind in providers::KINDS {
        v.extend(not_sent_then_sent(
            kind,
            &format!("http://127.0.0.1:{}", closed_port()),
            &[],
        ));
    }
    figure(
        "gateway_faults",
        "refused_connection_runs",
        (providers::KINDS.len() * 2).into(),
    );
    assert_none(
        "refused connection",
        &v,
        &[Check::LedgerRow, Check::Duplicate],
    );
}

/// `unshare -m` with /etc/resolv.conf pointing at a loopback port nobody answers: every lookup
/// fails at once, and no packet leaves the machine.
fn dns_failure_prefix(site: &Site) -> Option<Vec<String>> {
    if !harness::is_root() || harness::sh("unshare", &["-m", "true"]).is_err() {
        eprintln!(
            "SKIP dns failure: needs root and unshare(1) to give cartnudge its own resolv.conf"
        );
        return None;
    }
    let resolv = site.path("resolv.conf");
    std::fs::write(
        &resolv,
        "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
    )
    .unwrap();
    Some(vec![
        "unshare".into(),
        "-m".into(),
        "sh".into(),
        "-c".into(),
        "mount --bind \"$0\" /etc/resolv.conf && exec \"$@\"".into(),
        resolv.to_string_lossy().into_owned(),
    ])
}

#[test]
fn dns_failure_defers_and_the_next_run_sends_once() {
    let probe = Site::new();
    let Some(wrap) = dns_failure_prefix(&probe) else {
        return;
    };
    let mut v = Vec::new();
    for kind in providers::KINDS {
        v.extend(not_sent_then_sent(
            kind,
            "https://sms.cartnudge-torture.invalid",
            &wrap,
        ));
    }
    figure(
        "gateway_faults",
        "dns_failure_runs",
        (providers::KINDS.len() * 2).into(),
    );
    assert_none("dns failure", &v, &[Check::LedgerRow, Check::Duplicate]);
}

/// A webhook that answers cart `slow-*` after `wait`, `ra-*` with 429 + this Retry-After, and the
/// rest at once; returns the run.
fn webhook_run(
    carts: &[(&str, u64)],
    wait: Duration,
    retry_after: &str,
    extra: &[&str],
) -> (Done, Site, Server) {
    let ra = retry_after.to_string();
    let server = Server::respond(move |req: &Request, n| {
        let id = req.cart_id().unwrap_or_default();
        let ok = json(200, &format!(r#"{{"id":"wh{n}"}}"#));
        if id.starts_with("slow") {
            Act::After(wait, Box::new(ok))
        } else if id.starts_with("ra") {
            with_header(json(429, r#"{"error":"slow down"}"#), "Retry-After", &ra)
        } else {
            ok
        }
    });
    let site = Site::new();
    let gw = format!(
        "kind = \"webhook\"\nurl = \"{}/sms\"\nsecret_env = \"HOOK_SECRET\"\ntimeout = \"10s\"\nrate_per_second = 0\nmax_tries = 3\n",
        server.url
    );
    site.write("cartnudge.toml", config("", &gw, ""));
    let rows: Vec<String> = carts
        .iter()
        .enumerate()
        .map(|(i, (id, total))| cart_row(id, &phone(3_200_000 + i as u64), *total, true))
        .collect();
    site.write("carts.csv", carts_csv(&rows));
    let mut args = vec!["--limit", "100"];
    args.extend_from_slice(extra);
    let done = site
        .send(harness::NOW, &args)
        .envs(&providers::env("webhook"))
        .run(Duration::from_secs(15));
    (done, site, server)
}

fn audit_of(site: &Site) -> HashMap<String, (String, String)> {
    invariants::audit(&site.path("audit"))
        .0
        .into_iter()
        .map(|r| (r.cart_id, (r.decision, r.reason)))
        .collect()
}

#[test]
fn huge_retry_after_never_stalls_a_run() {
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1))
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    for ra in ["86400", tomorrow.as_str()] {
        let (done, site, _server) = webhook_run(
            &[("ra-busy", 9_000), ("fine", 5_000)],
            Duration::ZERO,
            ra,
            &[],
        );
        let audit = audit_of(&site);
        assert!(
            !done.timed_out && done.elapsed < Duration::from_secs(10),
            "Retry-After: {ra} held the run {:?}{}",
            done.elapsed,
            done.show()
        );
        assert_eq!(
            audit.get("ra-busy").map(|(d, r)| (d.as_str(), r.as_str())),
            Some(("deferred", "gateway_retry")),
            "{}",
            done.show()
        );
        assert_eq!(
            audit.get("fine").map(|x| x.0.as_str()),
            Some("sent"),
            "{}",
            done.show()
        );
    }
    figure("gateway_faults", "huge_retry_after_runs", 2.into());
}

#[test]
fn huge_retry_after_with_a_deadline_ends_within_a_second_of_it() {
    let (done, site, _server) = webhook_run(
        &[("ra-busy", 9_000), ("fine", 5_000)],
        Duration::ZERO,
        "86400",
        &["--deadline", "2s"],
    );
    assert!(
        done.elapsed < Duration::from_secs(3),
        "took {:?}{}",
        done.elapsed,
        done.show()
    );
    let audit = audit_of(&site);
    assert_eq!(
        audit.get("ra-busy").map(|x| x.1.as_str()),
        Some("gateway_retry"),
        "{}",
        done.show()
    );
}

#[test]
fn deadline_holds_within_a_second_when_every_answer_is_slow() {
    let carts: Vec<(String, u64)> = (0..10)
        .map(|i| (format!("slow-{i}"), 9_000 - i * 100))
        .collect();
    let refs: Vec<(&str, u64)> = carts.iter().map(|(a, b)| (a.as_str(), *b)).collect();
    let (done, site, server) = webhook_run(
        &refs,
        Duration::from_millis(400),
        "1",
        &["--deadline", "2s"],
    );
    assert!(
        done.elapsed < Duration::from_secs(3),
        "took {:?}{}",
        done.elapsed,
        done.show()
    );
    let audit = audit_of(&site);
    let deadline = audit.values().filter(|(_, r)| r == "deadline").count();
    assert!(
        deadline > 0 && server.count() < 10,
        "{audit:?}{}",
        done.show()
    );
    check_no_resend_after(&site, &server, "deadline");
    figure("gateway_faults", "deadline_runs", 2.into());
}

#[test]
fn deadline_holds_within_a_second_for_a_request_in_flight() {
    let (done, site, server) = webhook_run(
        &[("slow-0", 9_000), ("slow-1", 8_000)],
        Duration::from_secs(8),
        "1",
        &["--deadline", "1500ms"],
    );
    assert!(
        done.elapsed < Duration::from_millis(2500),
        "took {:?}{}",
        done.elapsed,
        done.show()
    );
    check_no_resend_after(&site, &server, "in flight");
}

/// A healthy rerun after a deadline: what may have gone out is not sent again.
fn check_no_resend_after(site: &Site, server: &Server, label: &str) {
    let rerun = site
        .send(&now_plus(15), &["--limit", "100", "--deadline", "30s"])
        .envs(&providers::env("webhook"))
        .run(Duration::from_secs(60));
    let received: Vec<(String, String)> = server
        .requests()
        .iter()
        .map(|r| (r.cart_id().unwrap_or_default(), r.phone_digits()))
        .collect();
    let v = check_world(&World {
        received: &received,
        ledger: &site.path("cartnudge.db"),
        audit_dir: &site.path("audit"),
        outbox: None,
        label,
    });
    assert_none(
        &format!("{label}{}", rerun.show()),
        &v,
        &[Check::Duplicate, Check::LedgerRow],
    );
}
