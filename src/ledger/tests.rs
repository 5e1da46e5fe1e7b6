//! The ledger's own tests: claims, recovery, opt-outs, runs.

use super::*;
use crate::model::{Currency, Money};

fn nudge<'a>(cart: &'a str, phone: &'a E164, at: DateTime<Utc>) -> NewNudge<'a> {
    NewNudge {
        run_id: "r1",
        cart_id: cart,
        customer_id: None,
        phone,
        email: None,
        country: Some("RU"),
        gateway: "stub",
        encoding: "GSM-7",
        segments: 1,
        est_cost: None,
        cart_total: Money::new(500000, Currency::parse("RUB").unwrap()),
        cart_updated_at: at,
        text: "hi",
        at,
    }
}

#[test]
fn migrates_once_and_refuses_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.db");
    drop(Ledger::open(&path).unwrap());
    let l = Ledger::open(&path).unwrap();
    let v: i64 = l
        .conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v as usize, migrations::MIGRATIONS.len());
    let mode: String = l
        .conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    l.conn.pragma_update(None, "user_version", 99).unwrap();
    drop(l);
    let err = Ledger::open(&path).err().unwrap().to_string();
    assert!(
        err.contains("schema version 99, newer than this cartnudge knows"),
        "{err}"
    );
}

#[test]
fn claims_left_behind_become_unknown_and_a_cart_has_one_row() {
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::open(&dir.path().join("l.db")).unwrap();
    let now = parse_utc("2026-11-22T12:00:00Z").unwrap();
    let phone = E164::from_normalized("+79120000001");
    let id = l
        .insert_nudge(&nudge("c1", &phone, now), NudgeStatus::Claimed)
        .unwrap();
    assert!(
        l.insert_nudge(&nudge("c1", &phone, now), NudgeStatus::Claimed)
            .is_err(),
        "second row for one cart"
    );
    assert_eq!(l.recover_claims(now).unwrap(), 1);
    assert_eq!(l.nudge_status("c1").unwrap().as_deref(), Some("unknown"));
    // A released claim is only a claim: an unknown row stays.
    l.release(id).unwrap();
    assert_eq!(l.nudge_status("c1").unwrap().as_deref(), Some("unknown"));
    let view = l.view(now - chrono::Duration::days(7)).unwrap();
    assert_eq!(view.phone_sends("+79120000001", now), vec![now]);
    assert_eq!(view.nudge_status("c1").as_deref(), Some("unknown"));
    assert_eq!(view.nudge_status("c2"), None);
    assert!(!view.is_opted_out("+79120000001"));
    // Sends before the horizon do not count.
    let later = l.view(now + chrono::Duration::seconds(1)).unwrap();
    assert!(later.phone_sends("+79120000001", now).is_empty());
}

#[test]
fn a_view_judges_against_one_state_of_the_ledger_and_never_blocks_a_writer() {
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::open(&dir.path().join("l.db")).unwrap();
    let now = parse_utc("2026-11-22T12:00:00Z").unwrap();
    let phone = E164::from_normalized("+79120000001");
    let view = l.view(now - chrono::Duration::days(7)).unwrap();
    assert_eq!(view.nudge_status("c1"), None);
    // The view's read transaction is open; the writer still commits (WAL).
    l.insert_nudge(&nudge("c1", &phone, now), NudgeStatus::Claimed)
        .unwrap();
    // A view of a ledger with nudges but no opt-out yet.
    let between = l.view(now - chrono::Duration::days(7)).unwrap();
    l.add_optout(&phone, now, "test").unwrap();
    assert_eq!(
        view.nudge_status("c1"),
        None,
        "one snapshot for the view's life"
    );
    assert!(view.phone_sends("+79120000001", now).is_empty());
    assert!(!view.is_opted_out("+79120000001"));
    assert_eq!(between.nudge_status("c1").as_deref(), Some("claimed"));
    assert_eq!(between.phone_sends("+79120000001", now), vec![now]);
    assert!(!between.is_opted_out("+79120000001"));
    drop((view, between));
    let fresh = l.view(now - chrono::Duration::days(7)).unwrap();
    assert_eq!(fresh.nudge_status("c1").as_deref(), Some("claimed"));
    assert!(fresh.is_opted_out("+79120000001"));
    // Opt-outs but no nudges (a shop that imported its STOP list before the first run).
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::open(&dir.path().join("l.db")).unwrap();
    l.add_optout(&phone, now, "import").unwrap();
    let view = l.view(now - chrono::Duration::days(7)).unwrap();
    assert!(view.is_opted_out("+79120000001"));
    assert_eq!(view.nudge_status("c1"), None);
}

#[test]
fn an_opt_out_keeps_its_first_time_and_source() {
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::open(&dir.path().join("l.db")).unwrap();
    let phone = E164::from_normalized("+79120000001");
    let t1 = parse_utc("2026-11-01T00:00:00Z").unwrap();
    assert!(l.add_optout(&phone, t1, "gateway:21610").unwrap());
    assert!(
        !l.add_optout(
            &phone,
            parse_utc("2026-11-02T00:00:00Z").unwrap(),
            "import:x"
        )
        .unwrap()
    );
    let row: (String, String) = l
        .conn
        .query_row("SELECT at, source FROM optouts", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(row, ("2026-11-01T00:00:00Z".into(), "gateway:21610".into()));
}

#[test]
fn lock_is_exclusive_while_held() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.db");
    let held = lock(&path).unwrap();
    let err = lock(&path).err().unwrap();
    assert!(err.is::<Locked>(), "{err}");
    drop(held);
    assert!(lock(&path).is_ok());
}

#[test]
fn a_views_lookups_are_not_prepared_again_for_each_value() {
    // The rules look up carts and phones by the thousand, each with new values: SQLite must
    // not parse and plan the statement again for each (`stable_plans`).
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::open(&dir.path().join("l.db")).unwrap();
    let now = parse_utc("2026-11-22T12:00:00Z").unwrap();
    for k in 0..20 {
        let phone = E164::from_normalized(format!("+7912000{k:04}"));
        l.insert_nudge(&nudge(&format!("c{k}"), &phone, now), NudgeStatus::Sent)
            .unwrap();
        l.add_optout(&phone, now, "test").unwrap();
    }
    let view = l.view(now - chrono::Duration::days(7)).unwrap();
    for k in 0..40 {
        view.nudge_status(&format!("c{k}"));
        view.phone_sends(&format!("+7912000{k:04}"), now);
        view.is_opted_out(&format!("+7912000{k:04}"));
    }
    assert_eq!(view.reprepared(), 0);
}
