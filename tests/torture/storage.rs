//! Storage faults: ledger, audit and outbox on a tmpfs that fills mid-batch (a filler file leaves
//! a swept number of bytes free), read-only files and folders (the run is a non-root user, as
//! root ignores modes), truncated, corrupted, foreign and future ledgers, file modes and
//! symlinks. Each: no resend, no lost audit row, a documented exit code that tells the truth.

use crate::harness::{
    self, Done, Site, cart_row, carts_csv, config, figure, knob, now_plus, phone, webhook_gateway,
};
use crate::invariants::{
    self, Check, Violation, World, assert_none, check_exit, check_world, violation,
};
use crate::server::{Server, json};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(60);

/// A small tmpfs, unmounted (lazily) on drop.
struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Result<Tmpfs, String> {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        let d = dir.to_string_lossy();
        harness::sh(
            "mount",
            &[
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0777"),
                "tmpfs",
                &d,
            ],
        )?;
        Ok(Tmpfs {
            dir: dir.to_path_buf(),
        })
    }

    /// Fills the file system, then frees `free` bytes (rounded to pages).
    fn fill_leaving(&self, free: u64) {
        let path = self.dir.join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        let chunk = vec![0xA5u8; 4096];
        while f.write_all(&chunk).is_ok() {}
        let len = f.seek(SeekFrom::End(0)).unwrap();
        f.set_len(len.saturating_sub(free)).unwrap();
    }

    fn unfill(&self) {
        let _ = std::fs::remove_file(self.dir.join("filler"));
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = harness::sh("umount", &["-l", &self.dir.to_string_lossy()]);
    }
}

fn can_mount() -> bool {
    static OK: OnceLock<bool> = OnceLock::new();
    *OK.get_or_init(|| {
        let probe = Site::new();
        let ok = harness::is_root() && Tmpfs::mount(&probe.path("fs"), "64k").is_ok();
        if !ok && std::env::var("CARTNUDGE_REQUIRE_ROOT_TESTS").is_ok_and(|v| v == "1") {
            panic!("cannot mount a tmpfs (CARTNUDGE_REQUIRE_ROOT_TESTS=1: run as root)");
        }
        if !ok {
            eprintln!("SKIP full disk: this machine cannot mount a tmpfs (needs root)");
        }
        ok
    })
}

#[derive(Clone, Copy, Debug)]
enum Placement {
    /// Ledger and audit on the small disk, a loopback webhook.
    LedgerAndAudit,
    /// The file gateway's outbox on the small disk.
    Outbox,
    /// Ledger, audit and outbox on the small disk.
    Everything,
}

struct DiskReport {
    trials: usize,
    failed_runs: usize,
    violations: Vec<Violation>,
}

fn disk_report() -> &'static DiskReport {
    static R: OnceLock<DiskReport> = OnceLock::new();
    R.get_or_init(full_disk_sweep)
}

fn full_disk_sweep() -> DiskReport {
    let mut r = DiskReport {
        trials: 0,
        failed_runs: 0,
        violations: Vec::new(),
    };
    if !can_mount() {
        return r;
    }
    let steps = knob("DISK_STEPS", 8) as u64;
    let documented = harness::documented_exit_codes();
    for placement in [
        Placement::LedgerAndAudit,
        Placement::Outbox,
        Placement::Everything,
    ] {
        for i in 0..steps {
            let free = i * i * 3_000;
            let (v, failed) = full_disk_trial(placement, free, &documented);
            r.trials += 1;
            r.failed_runs += failed as usize;
            r.violations.extend(v);
        }
    }
    figure("storage", "full_disk_trials", r.trials.into());
    figure(
        "storage",
        "full_disk_runs_that_hit_the_full_disk",
        r.failed_runs.into(),
    );
    r
}

/// One trial: a clean run, the disk filled to `free` bytes, a run into it, the disk freed, a
/// clean run; returns the violations and whether the middle run failed.
fn full_disk_trial(
    placement: Placement,
    free: u64,
    documented: &std::collections::BTreeSet<i32>,
) -> (Vec<Violation>, bool) {
    let site = Site::new();
    let fs = Tmpfs::mount(&site.path("fs"), "1m").expect("mount tmpfs");
    let server = Server::respond(|_, n| json(200, &format!(r#"{{"id":"wh{n}"}}"#)));
    let (gateway, ledger, audit, outbox) = match placement {
        Placement::LedgerAndAudit => (
            webhook_gateway(&server.url),
            "fs/cartnudge.db",
            "fs/audit",
            None,
        ),
        Placement::Outbox => (
            "kind = \"file\"\npath = \"fs/outbox.jsonl\"\n".to_string(),
            "cartnudge.db",
            "audit",
            Some("fs/outbox.jsonl"),
        ),
        Placement::Everything => (
            "kind = \"file\"\npath = \"fs/outbox.jsonl\"\n".to_string(),
            "fs/cartnudge.db",
            "fs/audit",
            Some("fs/outbox.jsonl"),
        ),
    };
    let extra = format!("[ledger]\npath = \"{ledger}\"\n[audit]\ndir = \"{audit}\"\n");
    site.write("cartnudge.toml", config("", &gateway, &extra));
    let mut rows: Vec<String> = (0..16)
        .map(|i| {
            cart_row(
                &format!("d{i:02}"),
                &phone(4_000_000 + i),
                9_000 - i * 100,
                true,
            )
        })
        .collect();
    rows.extend(
        (0..40).map(|i| cart_row(&format!("nc{i:02}"), &phone(4_000_100 + i), 5_000, false)),
    );
    site.write("carts.csv", carts_csv(&rows));
    let received = || -> Vec<(String, String)> {
        match outbox {
            Some(p) => invariants::outbox(&site.path(p))
                .0
                .into_iter()
                .map(|m| (m.cart_id, m.to))
                .collect(),
            None => server
                .requests()
                .iter()
                .map(|r| (r.cart_id().unwrap_or_default(), r.phone_digits()))
                .collect(),
        }
    };
    let run = |minutes: i64, limit: &str| -> Done {
        site.send(&now_plus(minutes), &["--limit", limit])
            .env(harness::HOOK_SECRET.0, harness::HOOK_SECRET.1)
            .run(LIMIT)
    };
    let label = format!("{placement:?} with {free} bytes free");
    let mut v = Vec::new();
    let first = run(0, "3");
    if first.code() != 0 {
        v.push(violation(
            Check::ExitCode,
            format!("{label}: the first run, with room{}", first.show()),
        ));
    }
    fs.fill_leaving(free);
    let before = received().len();
    let middle = run(5, "10");
    let out = received().len() - before;
    v.extend(check_exit(
        &format!("{label}: run into the full disk"),
        &middle,
        documented,
        out,
    ));
    fs.unfill();
    let before = received().len();
    let last = run(15, "10");
    let out = received().len() - before;
    if !matches!(last.code(), 0 | 1) {
        v.push(violation(
            Check::ExitCode,
            format!("{label}: the run after the disk was freed{}", last.show()),
        ));
    }
    v.extend(check_exit(
        &format!("{label}: run after"),
        &last,
        documented,
        out,
    ));
    let outbox_path = outbox.map(|p| site.path(p));
    v.extend(check_world(&World {
        received: &received(),
        ledger: &site.path(ledger),
        audit_dir: &site.path(audit),
        outbox: outbox_path.as_deref(),
        label: &label,
    }));
    (v, middle.code() != 0)
}

#[test]
fn full_disk_mid_batch_never_resends() {
    assert_none("full disk", &disk_report().violations, &[Check::Duplicate]);
}

#[test]
fn full_disk_mid_batch_keeps_every_message_in_the_ledger() {
    assert_none(
        "full disk",
        &disk_report().violations,
        &[Check::LedgerRow, Check::Integrity],
    );
}

#[test]
fn full_disk_mid_batch_loses_no_audit_row() {
    assert_none("full disk", &disk_report().violations, &[Check::AuditOnce]);
}

#[test]
fn full_disk_mid_batch_leaves_files_that_parse() {
    assert_none("full disk", &disk_report().violations, &[Check::Parse]);
}

#[test]
fn full_disk_mid_batch_exit_code_tells_what_happened() {
    assert_none("full disk", &disk_report().violations, &[Check::ExitCode]);
}

/// What a run holds past its memory (here the holdout carts past the first 1,024) goes to a
/// temporary SQLite database in $SQLITE_TMPDIR. When that directory is full, the run stops before
/// anything is sent or recorded, exit 2, saying where the database was and what to do; with room
/// again, the next run sends and records the whole holdout group (worked out here as DESIGN.md
/// defines it: SHA-256 of `salt:cart_id`, the first 8 bytes big-endian mod 10,000).
#[test]
fn a_full_temporary_directory_stops_the_run_before_anything_is_sent() {
    use sha2::{Digest, Sha256};
    if !can_mount() {
        return;
    }
    let site = Site::new();
    let tmp = Tmpfs::mount(&site.path("tmp"), "64k").expect("mount tmpfs");
    tmp.fill_leaving(0);
    let server = Server::respond(|_, n| json(200, &format!(r#"{{"id":"wh{n}"}}"#)));
    site.write(
        "cartnudge.toml",
        config("holdout_percent = 50", &webhook_gateway(&server.url), ""),
    );
    // ~3,500 held out: ~2,500 past memory, ~2.5 MB of JSON, past SQLite's 1 MiB cache.
    let ids: Vec<String> = (0..7_000).map(|i| format!("t{i:04}")).collect();
    let rows: Vec<String> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| cart_row(id, &phone(5_000_000 + i as u64), 9_000, true))
        .collect();
    site.write("carts.csv", carts_csv(&rows));
    let held: Vec<&String> = ids
        .iter()
        .filter(|id| {
            let d = Sha256::digest(format!("change-me:{id}").as_bytes());
            u64::from_be_bytes(d[..8].try_into().unwrap()) % 10_000 < 5_000
        })
        .collect();
    let run = |tmpdir: &Path| {
        site.send(&now_plus(0), &["--limit", "5"])
            .env(harness::HOOK_SECRET.0, harness::HOOK_SECRET.1)
            .env("SQLITE_TMPDIR", &tmpdir.to_string_lossy())
            .run(LIMIT)
    };
    let full = run(&tmp.dir);
    assert_eq!(full.code(), 2, "{}", full.show());
    assert!(
        full.stderr.contains(
            "cannot write a holdout cart to the temporary database; it lives in $SQLITE_TMPDIR"
        ) && full.stderr.contains("database or disk is full"),
        "{}",
        full.show()
    );
    assert!(server.requests().is_empty(), "{}", full.show());
    let ledger = site.path("cartnudge.db");
    assert_eq!(invariants::nudges(&ledger).unwrap().len(), 0);

    let roomy = site.path("roomy");
    std::fs::create_dir_all(&roomy).unwrap();
    let ok = run(&roomy);
    assert_eq!(ok.code(), 0, "{}", ok.show());
    assert_eq!(server.requests().len(), 5, "{}", ok.show());
    let nudges = invariants::nudges(&ledger).unwrap();
    let recorded: Vec<&String> = nudges
        .iter()
        .filter(|n| n.status == "holdout")
        .map(|n| &n.cart_id)
        .collect();
    assert_eq!(recorded, held);
    // SQLite unlinked its file as it made it: nothing is left behind.
    assert_eq!(std::fs::read_dir(&roomy).unwrap().count(), 0);
}
