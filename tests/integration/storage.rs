//! What the program writes to disk: a lost or damaged ledger is refused before anything is sent,
//! files holding phone numbers are private and never written through a symlink, torn lines left
//! by a crash are cut before appending, and one lock guards a ledger however it is reached.

use crate::shop::{NOW, Shop, cart};
use std::os::unix::fs::PermissionsExt;

fn mode(shop: &Shop, rel: &str) -> u32 {
    std::fs::metadata(shop.env.path(rel))
        .unwrap()
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn an_emptied_ledger_is_refused_and_nothing_is_resent() {
    let shop = Shop::new(&[cart("a").set("phone", "+79120000001")]);
    shop.run(NOW, &["send"]).expect_code(0);
    assert_eq!(shop.called_carts(), vec!["a"]);
    // Truncated to 0 bytes (a bad backup restore, a full disk, a careless `>`).
    std::fs::write(shop.env.path("cartnudge.db"), "").unwrap();
    let _ = std::fs::remove_file(shop.env.path("cartnudge.db-wal"));
    let r = shop.run("2026-11-22T12:10:00Z", &["send"]);
    r.expect_code(2);
    assert!(
        r.stderr()
            .contains("cartnudge.db exists but holds no cartnudge schema")
            && r.stderr().contains("nothing was sent"),
        "{}",
        r.show()
    );
    assert_eq!(shop.called_carts(), vec!["a"], "a cart was resent");
}

#[test]
fn a_damaged_ledger_is_refused_before_anything_is_sent() {
    let shop = Shop::new(&[cart("a").set("phone", "+79120000001")]);
    shop.seed_ledger("VACUUM;");
    let path = shop.env.path("cartnudge.db");
    let _ = std::fs::remove_file(shop.env.path("cartnudge.db-wal"));
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() >= 4096 * 3, "{} bytes", bytes.len());
    // Scribble over the second page (a table's b-tree page).
    for b in &mut bytes[4096 + 8..4096 + 512] {
        *b = 0xA5;
    }
    std::fs::write(&path, bytes).unwrap();
    let r = shop.run(NOW, &["send"]);
    r.expect_code(2);
    assert!(
        r.stderr().contains("cartnudge.db") && r.stderr().contains("nothing was sent"),
        "{}",
        r.show()
    );
    assert!(shop.calls().is_empty());
}

#[test]
fn ledger_lock_audit_and_outbox_are_private() {
    let shop = Shop::with(&[cart("a").set("phone", "+79120000001")], "", "", "");
    shop.env.write(
        "cartnudge.toml",
        shop.env.read("cartnudge.toml").replace(
            "kind = \"stub\"\npath = \"calls.jsonl\"",
            "kind = \"file\"\npath = \"outbox.jsonl\"",
        ),
    );
    shop.run(NOW, &["send"]).expect_code(0);
    for f in [
        "cartnudge.db",
        "cartnudge.db.lock",
        "audit/2026-11-22.csv",
        "outbox.jsonl",
    ] {
        assert_eq!(mode(&shop, f), 0o600, "{f}");
    }
}

#[test]
fn audit_and_outbox_are_not_written_through_symlinks() {
    let shop = Shop::new(&[cart("a").set("phone", "+79120000001")]);
    let victim = shop.env.path("victim.txt");
    std::fs::write(&victim, "precious\n").unwrap();
    std::fs::create_dir_all(shop.env.path("audit")).unwrap();
    std::os::unix::fs::symlink(&victim, shop.env.path("audit/2026-11-22.csv")).unwrap();
    let r = shop.run(NOW, &["send"]);
    r.expect_code(2);
    assert!(r.stderr().contains("symbolic link"), "{}", r.show());
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert!(
        shop.calls().is_empty(),
        "nothing may be sent without an audit"
    );
}

#[test]
fn a_torn_audit_row_is_cut_before_the_next_run_appends() {
    let shop = Shop::new(&[cart("a").set("phone", "+79120000001")]);
    let header = "run_id,at,mode,cart_id,customer_id,phone,decision,reason,gateway,provider_message_id,encoding,segments,est_cost,cost_currency,cart_total,cart_currency,recipient_local_time,consent_at,message\n";
    shop.env.write(
        "audit/2026-11-22.csv",
        format!("{header}r0,2026-11-22T11:00:00Z,live,old,,+7912*****00,skipped,no_cons"),
    );
    let r = shop.run(NOW, &["send"]);
    r.expect_code(0);
    assert!(
        r.stderr().contains("cut a partial last row"),
        "{}",
        r.show()
    );
    let rows = shop.audit("2026-11-22");
    assert!(rows.iter().all(|r| r.len() == 19), "{rows:?}");
    assert_eq!(rows.len(), 2, "header and the new row: {rows:?}");
}

#[test]
fn two_paths_to_one_ledger_share_one_lock() {
    let shop = Shop::new(&[cart("a").set("phone", "+79120000001")]);
    shop.run(NOW, &["send", "--limit", "0"]).expect_code(0);
    std::fs::create_dir(shop.env.path("other")).unwrap();
    std::os::unix::fs::symlink(
        shop.env.path("cartnudge.db"),
        shop.env.path("other/alias.db"),
    )
    .unwrap();
    assert_eq!(
        cartnudge::ledger::lock_path(&shop.env.path("other/alias.db")),
        cartnudge::ledger::lock_path(&shop.env.path("cartnudge.db"))
    );
    let lock = std::fs::File::create(shop.env.path("cartnudge.db.lock")).unwrap();
    lock.try_lock().unwrap();
    shop.env.write(
        "cartnudge.toml",
        shop.env.read("cartnudge.toml") + "\n[ledger]\npath = \"other/alias.db\"\n",
    );
    shop.run(NOW, &["send"]).expect_code(75);
}

/// Mounts a tmpfs of `size` at `dir`; None (and a printed SKIP) where mounting is not allowed,
/// a failure when CARTNUDGE_REQUIRE_ROOT_TESTS=1 (as `.ci/run` sets it).
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn mount(dir: &std::path::Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        if !ok && std::env::var("CARTNUDGE_REQUIRE_ROOT_TESTS").is_ok_and(|v| v == "1") {
            panic!("cannot mount a tmpfs (CARTNUDGE_REQUIRE_ROOT_TESTS=1: run as root)");
        }
        if !ok {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIP: cannot mount a tmpfs (needs root) for the full-disk test"
            );
        }
        ok.then(|| Tmpfs(dir.to_path_buf()))
    }

    fn resize(&self, size: &str) {
        let ok = std::process::Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(ok.success());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_audit_disk_after_a_send_exits_4_and_the_row_is_written_when_space_returns() {
    // One eligible cart and enough skipped ones that their rows overflow a 12 KiB disk.
    let mut carts = vec![cart("send-me").set("phone", "+79120000001")];
    for i in 0..150 {
        carts.push(
            cart(&format!("no-consent-{i:03}-{}", "x".repeat(60)))
                .set("consent", "0")
                .set("phone", &format!("+7912100{i:04}")),
        );
    }
    let shop = Shop::new(&carts);
    let Some(disk) = Tmpfs::mount(&shop.env.path("audit"), "12k") else {
        return;
    };
    let r = shop.run(NOW, &["send"]);
    r.expect_code(4);
    assert!(
        r.stderr()
            .contains("stopped partway: 1 sent, 0 failed, 0 unknown")
            && r.stderr().contains("audit/2026-11-22.csv"),
        "{}",
        r.show()
    );
    assert_eq!(shop.called_carts(), vec!["send-me"]);
    assert_eq!(
        shop.ledger("SELECT cart_id, status, audited FROM nudges"),
        vec![vec!["send-me".to_string(), "sent".into(), "0".into()]]
    );
    let exit: Vec<Vec<String>> = shop.ledger("SELECT exit_code FROM runs ORDER BY id DESC LIMIT 1");
    assert_eq!(exit, vec![vec!["4".to_string()]]);
    // Space returns: the next run writes the missing row first and sends nothing again.
    disk.resize("4m");
    let r = shop.run("2026-11-22T12:10:00Z", &["send"]);
    r.expect_code(0);
    assert_eq!(shop.called_carts(), vec!["send-me"]);
    let rows: Vec<Vec<String>> = shop
        .audit("2026-11-22")
        .into_iter()
        .filter(|r| r[3] == "send-me" && r[6] == "sent")
        .collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(shop.audit("2026-11-22").iter().all(|r| r.len() == 19));
}
