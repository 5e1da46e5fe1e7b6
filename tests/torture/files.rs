//! Files cartnudge may not write: read-only ledger, audit and outbox files and folders (the runs
//! are user `nobody` when the harness is root, since root ignores modes) stop the run before
//! anything is sent, naming the file, and once fixed the next run sends each cart once. The files
//! it creates hold phone numbers, so they are 0600, and it never writes through a symlink.

use crate::harness::{
    self, Done, Site, cart_row, carts_csv, config, figure, now_plus, phone, webhook_gateway,
};
use crate::invariants::{self, Check, Violation, World, assert_none, check_world, violation};
use crate::server::{Server, json};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

const NOBODY: u32 = 65534;

/// A shop run as `nobody` (when root), with its gateway.
struct Shop {
    site: Site,
    server: Server,
    file_gateway: bool,
}

impl Shop {
    fn new(file_gateway: bool, extra: &str) -> Shop {
        let site = Site::new();
        let server = Server::respond(|_, n| json(200, &format!(r#"{{"id":"wh{n}"}}"#)));
        let gw = if file_gateway {
            "kind = \"file\"\npath = \"outbox.jsonl\"\n".to_string()
        } else {
            webhook_gateway(&server.url)
        };
        site.write("cartnudge.toml", config("", &gw, extra));
        let rows: Vec<String> = (0..9)
            .map(|i| {
                cart_row(
                    &format!("r{i}"),
                    &phone(6_000_000 + i),
                    9_000 - i * 100,
                    true,
                )
            })
            .collect();
        site.write("carts.csv", carts_csv(&rows));
        if harness::is_root() {
            chown_all(site.dir.path());
        }
        Shop {
            site,
            server,
            file_gateway,
        }
    }

    fn run(&self, minutes: i64) -> Done {
        let mut cmd = self
            .site
            .send(&now_plus(minutes), &["--limit", "3"])
            .env(harness::HOOK_SECRET.0, harness::HOOK_SECRET.1);
        if harness::is_root() {
            cmd = cmd.user(NOBODY);
        }
        cmd.run(Duration::from_secs(60))
    }

    fn received(&self) -> Vec<(String, String)> {
        if self.file_gateway {
            invariants::outbox(&self.site.path("outbox.jsonl"))
                .0
                .into_iter()
                .map(|m| (m.cart_id, m.to))
                .collect()
        } else {
            self.server
                .requests()
                .iter()
                .map(|r| (r.cart_id().unwrap_or_default(), r.phone_digits()))
                .collect()
        }
    }
}

fn chown_all(dir: &Path) {
    let _ = std::os::unix::fs::chown(dir, Some(NOBODY), Some(NOBODY));
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            chown_all(&p);
        } else {
            let _ = std::os::unix::fs::chown(&p, Some(NOBODY), Some(NOBODY));
        }
    }
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// What is made read-only between two runs (relative path, mode).
const READ_ONLY: &[(&str, bool, &str, u32)] = &[
    ("ledger file", false, "cartnudge.db", 0o444),
    ("ledger folder", false, "state", 0o555),
    ("audit file", false, "audit/2026-11-22.csv", 0o444),
    ("audit folder", false, "audit", 0o555),
    ("outbox file", true, "outbox.jsonl", 0o444),
];

fn read_only() -> &'static [Violation] {
    static R: OnceLock<Vec<Violation>> = OnceLock::new();
    R.get_or_init(read_only_cases)
}

#[test]
fn read_only_files_stop_the_run_before_anything_is_sent() {
    assert_none(
        "read-only files",
        read_only(),
        &[
            Check::ExitCode,
            Check::Duplicate,
            Check::LedgerRow,
            Check::AuditOnce,
            Check::Parse,
        ],
    );
}

#[test]
fn read_only_files_are_named_in_the_error() {
    assert_none("read-only files", read_only(), &[Check::Names]);
}

fn read_only_cases() -> Vec<Violation> {
    let mut v = Vec::new();
    for (what, file_gw, rel, mode) in READ_ONLY {
        let extra = if *rel == "state" {
            "[ledger]\npath = \"state/cartnudge.db\"\n"
        } else {
            ""
        };
        let shop = Shop::new(*file_gw, extra);
        let first = shop.run(0);
        assert_eq!(first.code(), 0, "{what}: first run{}", first.show());
        let target = shop.site.path(rel);
        let old = std::fs::metadata(&target).unwrap().permissions().mode();
        chmod(&target, *mode);
        let before = shop.received().len();
        // Another UTC day for the audit folder, so the run must create a new file in it.
        let when = if *rel == "audit" { 24 * 60 } else { 15 };
        let second = shop.run(when);
        let out = shop.received().len() - before;
        let name = Path::new(rel)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if second.code() != 2 || out > 0 {
            v.push(violation(
                Check::ExitCode,
                format!(
                    "read-only {what}: must stop with exit 2 before sending; {out} sent{}",
                    second.show()
                ),
            ));
        } else if !second.stderr.contains(&name) {
            v.push(violation(
                Check::Names,
                format!(
                    "read-only {what}: the error must name {name}{}",
                    second.show()
                ),
            ));
        }
        chmod(&target, old);
        // SQLite gave the -wal and -shm it made for the read-only ledger that ledger's mode.
        for suffix in ["-wal", "-shm"] {
            let side = shop.site.path(&format!("{rel}{suffix}"));
            if side.exists() {
                chmod(&side, 0o644);
            }
        }
        let third = shop.run(30);
        if third.code() != 0 {
            v.push(violation(
                Check::ExitCode,
                format!("{what}: after the fix{}", third.show()),
            ));
        }
        let outbox = shop.site.path("outbox.jsonl");
        let ledger = if *rel == "state" {
            "state/cartnudge.db"
        } else {
            "cartnudge.db"
        };
        v.extend(check_world(&World {
            received: &shop.received(),
            ledger: &shop.site.path(ledger),
            audit_dir: &shop.site.path("audit"),
            outbox: file_gw.then_some(outbox.as_path()),
            label: what,
        }));
    }
    figure("storage", "read_only_cases", READ_ONLY.len().into());
    figure(
        "storage",
        "read_only_runs_as",
        (if harness::is_root() {
            "nobody"
        } else {
            "this user"
        })
        .into(),
    );
    v
}

#[test]
fn ledger_lock_audit_and_outbox_are_created_0600() {
    let site = Site::new();
    site.write(
        "cartnudge.toml",
        config("", "kind = \"file\"\npath = \"outbox.jsonl\"\n", ""),
    );
    site.write(
        "carts.csv",
        carts_csv(&[cart_row("m1", &phone(6_100_000), 9_000, true)]),
    );
    let done = site.send(harness::NOW, &[]).run(Duration::from_secs(60));
    assert_eq!(done.code(), 0, "{}", done.show());
    let mut wrong = Vec::new();
    for rel in [
        "cartnudge.db",
        "cartnudge.db.lock",
        "audit/2026-11-22.csv",
        "outbox.jsonl",
    ] {
        match std::fs::metadata(site.path(rel)).map(|m| m.permissions().mode() & 0o777) {
            Ok(0o600) => {}
            Ok(mode) => wrong.push(format!("{rel}: {mode:o}")),
            Err(e) => wrong.push(format!("{rel}: {e}")),
        }
    }
    assert!(
        wrong.is_empty(),
        "files holding phone numbers must be 0600: {wrong:?}"
    );
}

#[test]
fn audit_outbox_and_lock_are_never_written_through_a_symlink() {
    let mut wrong = Vec::new();
    let documented = harness::documented_exit_codes();
    for rel in ["audit/2026-11-22.csv", "outbox.jsonl", "cartnudge.db.lock"] {
        let site = Site::new();
        site.write(
            "cartnudge.toml",
            config("", "kind = \"file\"\npath = \"outbox.jsonl\"\n", ""),
        );
        site.write(
            "carts.csv",
            carts_csv(&[cart_row("s1", &phone(6_200_000), 9_000, true)]),
        );
        std::fs::create_dir_all(site.path("audit")).unwrap();
        let victim = site.path("victim.txt");
        // The lock link dangles: opening through it would create the victim.
        if rel != "cartnudge.db.lock" {
            std::fs::write(&victim, "precious\n").unwrap();
        }
        std::os::unix::fs::symlink(&victim, site.path(rel)).unwrap();
        let done = site.send(harness::NOW, &[]).run(Duration::from_secs(60));
        let after = std::fs::read_to_string(&victim).ok();
        let want = (rel != "cartnudge.db.lock").then(|| "precious\n".to_string());
        if after != want {
            wrong.push(format!(
                "{rel}: the symlink's target became {after:?}{}",
                done.show()
            ));
        }
        if !documented.contains(&done.code()) {
            wrong.push(format!("{rel}: undocumented exit{}", done.show()));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
