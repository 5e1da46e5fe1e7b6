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

fn malformed_shop(bad: usize, good: usize) -> Shop {
    let mut carts: Vec<_> = (0..bad)
        .map(|i| cart(&format!("bad{i}")).set("total", "$30.00"))
        .collect();
    carts.extend(
        (0..good).map(|i| cart(&format!("ok{i}")).set("phone", &format!("+7912000{i:04}"))),
    );
    Shop::new(&carts)
}

#[test]
fn a_source_with_no_readable_row_is_a_data_error_before_anything_is_sent() {
    let shop = malformed_shop(2, 0);
    for args in [vec!["-q", "send"], vec!["scan"], vec!["send", "--dry-run"]] {
        let r = shop.run(NOW, &args);
        r.expect_code(65);
        assert!(
            r.stderr().contains("2 of 2 rows are malformed")
                && r.stderr().contains("carts.csv")
                && r.stderr().contains("nothing was sent"),
            "{args:?}: {}",
            r.show()
        );
    }
    assert!(shop.calls().is_empty());
    let r = shop.run(NOW, &["check"]);
    r.expect_code(2);
    assert!(r.stdout().contains("FAIL  carts"), "{}", r.show());
}

#[test]
fn malformed_rows_over_max_invalid_stop_the_run_and_under_it_are_skipped() {
    // 2 bad of 12 rows is 16.7%: over the default 10%.
    let shop = malformed_shop(2, 10);
    shop.run(NOW, &["send"]).expect_code(65);
    assert!(shop.calls().is_empty());
    // 2 bad of 22 rows is 9.1%: the good carts go out.
    let shop = malformed_shop(2, 20);
    let r = shop.run(NOW, &["send"]);
    r.expect_code(0);
    assert_eq!(shop.calls().len(), 20);
    // A count works too.
    let shop = Shop::with(&[cart("bad").set("total", "x"), cart("ok")], "", "", "");
    shop.env.write(
        "cartnudge.toml",
        shop.env.read("cartnudge.toml").replace(
            "path = \"carts.csv\"",
            "path = \"carts.csv\"\nmax_invalid = \"1\"",
        ),
    );
    shop.run(NOW, &["send"]).expect_code(0);
}

#[test]
fn quiet_send_still_reports_failed_and_unknown_sends() {
    let shop = Shop::with(
        &[
            cart("a").set("phone", "+79120000001"),
            cart("b").set("phone", "+79120000002"),
        ],
        "",
        "[gateway.outcomes]\n\"+79120000002\" = \"unknown\"",
        "",
    );
    let r = shop.run(NOW, &["-q", "send"]);
    r.expect_code(1);
    assert_eq!(r.stdout(), "");
    assert!(
        r.stderr().contains("sent 1, failed 0, unknown 1"),
        "{}",
        r.show()
    );
    // A clean quiet run prints nothing at all.
    let shop = Shop::new(&[cart("c").set("phone", "+79120000003")]);
    let r = shop.run(NOW, &["-q", "send"]);
    r.expect_code(0);
    assert_eq!((r.stdout(), r.stderr()), (String::new(), String::new()));
}

#[test]
fn check_renders_the_carts_and_says_how_many_messages_are_too_long() {
    let shop = Shop::with(
        &[cart("a"), cart("b").set("name", "Bartholomew")],
        "",
        "",
        "",
    );
    shop.env.write(
        "cartnudge.toml",
        shop.env.read("cartnudge.toml").replace(
            "template = \"{name}, cart {total}: {link}\"",
            "template = \"{name}, your cart of {total} is still waiting for you in our store, with everything you picked, and we saved it for you so you can come back whenever you like and finish: {link}\"",
        ),
    );
    let r = shop.run(NOW, &["check"]);
    r.expect_code(0);
    let out = r.stdout();
    assert!(
        out.contains("warn  message    the template has no {store}"),
        "{}",
        r.show()
    );
    assert!(
        out.contains("2 of 2 sampled carts exceed max_segments = 1")
            && out.contains("characters over (cart b)")
            && out.contains("shorten the template"),
        "{}",
        r.show()
    );
}

#[test]
fn completions_and_man_page_come_from_the_command_definitions() {
    let env = crate::util::Env::new();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let r = env.run(&["completions", shell]);
        r.expect_code(0);
        for word in ["cartnudge", "send", "reconcile", "requeue", "--dry-run"] {
            assert!(r.stdout().contains(word), "{shell}: no `{word}`");
        }
    }
    let r = env.run(&["man"]);
    r.expect_code(0);
    assert!(r.stdout().starts_with(".ie") && r.stdout().contains(".TH cartnudge 1"));
    assert!(r.stdout().contains("send"));
    let r = env.run(&["--version"]);
    r.expect_code(0);
    assert!(
        r.stdout().contains("features: mysql, postgres") && r.stdout().contains("tzdata: "),
        "{}",
        r.show()
    );
}

#[test]
fn send_check_and_reconcile_summaries_as_json_and_errors_too() {
    let shop = Shop::new(&[cart("a").set("phone", "+79120000001")]);
    let r = shop.run(NOW, &["send", "--format", "json"]);
    r.expect_code(0);
    let v: serde_json::Value = serde_json::from_str(r.stdout().trim()).expect("one JSON object");
    assert_eq!(
        (v["sent"].as_u64(), v["exit_code"].as_i64()),
        (Some(1), Some(0)),
        "{v}"
    );
    assert!(
        v["run_id"].as_str().is_some() && v["error"].is_null(),
        "{v}"
    );

    let r = shop.run(NOW, &["check", "--format", "json"]);
    r.expect_code(0);
    let v: serde_json::Value = serde_json::from_str(r.stdout().trim()).expect("one JSON object");
    assert_eq!(v["ok"], true, "{v}");
    assert!(
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["check"] == "gateway")
    );

    let r = shop.run(NOW, &["reconcile", "--format", "json", "--no-delivery"]);
    r.expect_code(0);
    let v: serde_json::Value = serde_json::from_str(r.stdout().trim()).expect("one JSON object");
    assert_eq!(v["recovered"], 0, "{v}");

    // An error under --format json is one JSON object on stderr.
    let r = shop.run(
        NOW,
        &["--config", "missing.toml", "send", "--format", "json"],
    );
    r.expect_code(2);
    let v: serde_json::Value = serde_json::from_str(r.stderr().trim()).expect("JSON error");
    assert_eq!(v["exit_code"], 2);
    assert!(v["error"].as_str().unwrap().contains("missing.toml"), "{v}");
}

#[test]
fn previews_list_the_carts_inside_the_window_unless_asked_for_all() {
    let shop = Shop::new(&[
        cart("fresh-enough").set("phone", "+79120000001"),
        cart("long-gone")
            .set("phone", "+79120000002")
            .set("updated_at", "2026-10-01T09:00:00Z"),
        cart("ordered")
            .set("phone", "+79120000003")
            .set("status", "completed"),
        cart("no-consent")
            .set("phone", "+79120000004")
            .set("consent", "0"),
    ]);
    let ids = |args: &[&str]| -> Vec<String> {
        let r = shop.run(NOW, args);
        r.expect_code(0);
        r.stdout()
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["cart_id"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    assert_eq!(
        ids(&["scan", "--format", "json"]),
        vec!["no-consent", "fresh-enough"]
    );
    assert_eq!(ids(&["scan", "--all", "--format", "json"]).len(), 4);
    assert_eq!(
        ids(&["scan", "--format", "json", "--decision", "would_send"]),
        vec!["fresh-enough"]
    );
    assert_eq!(
        ids(&[
            "send",
            "--dry-run",
            "--format",
            "json",
            "--decision",
            "skipped,would_send"
        ]),
        vec!["no-consent", "fresh-enough"]
    );
    // The summary still counts every cart.
    let r = shop.run(NOW, &["scan"]);
    assert!(
        r.stdout().contains("not_abandoned 1") && r.stdout().contains("too_old 1"),
        "{}",
        r.show()
    );
    let r = shop.run(NOW, &["scan", "--decision", "maybe"]);
    r.expect_code(2);
}
