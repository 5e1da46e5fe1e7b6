//! Behaving like a well-made CLI: a closed stdout ends the run quietly with exit 0, and the
//! routine "another run holds the lock" is silent under `-q`.

use crate::shop::{NOW, Shop, cart};
use std::process::{Command, Stdio};

/// Runs `args` with stdout closed before anything is written (as `| head -0`; `| head -1` closes
/// it a little later, which is the same error for the writer).
fn closed_stdout(shop: &Shop, args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cartnudge"))
        .current_dir(shop.env.path(""))
        .args(args)
        .env_remove("CARTNUDGE_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn cartnudge");
    drop(child.stdout.take()); // the read end closes here
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn many_carts() -> Shop {
    let carts: Vec<_> = (0..3000)
        .map(|i| cart(&format!("c{i}")).set("phone", &format!("+7912{i:07}")))
        .collect();
    Shop::new(&carts)
}

#[test]
fn a_closed_stdout_ends_scan_explain_and_check_quietly_with_exit_0() {
    let shop = many_carts();
    for args in [
        vec!["--now", NOW, "scan"],
        vec!["--now", NOW, "scan", "--format", "json"],
        vec!["--now", NOW, "scan", "--format", "csv"],
        vec!["--now", NOW, "scan", "--explain", "c1"],
        vec!["--now", NOW, "check"],
    ] {
        let (code, stderr) = closed_stdout(&shop, &args);
        assert_eq!(code, Some(0), "{args:?}: stderr {stderr}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn a_busy_lock_is_silent_under_quiet_and_named_otherwise() {
    let shop = Shop::new(&[cart("a").set("phone", "+79120000001")]);
    let lock = std::fs::File::create(shop.env.path("cartnudge.db.lock")).unwrap();
    lock.try_lock().expect("test takes the lock");
    let r = shop.run(NOW, &["-q", "send"]);
    r.expect_code(75);
    assert_eq!(r.stderr(), "", "{}", r.show());
    assert_eq!(r.stdout(), "");
    let r = shop.run(NOW, &["send"]);
    r.expect_code(75);
    assert!(r.stderr().contains("holds the lock"), "{}", r.show());
}
