//! What must hold after any fault, once a clean run has followed it: each a `Check`, so a section
//! can report every violation it saw and each test asserts the checks it is about.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Check {
    /// A cart or a phone received a second message.
    Duplicate,
    /// A received message has no `sent`/`unknown` ledger row, a claim was left, or the ledger
    /// says `sent` for a message the gateway never got.
    LedgerRow,
    /// A message (a ledger row `sent`/`unknown`/`failed`) has no audit row, or more than one, or
    /// one that disagrees with the ledger.
    AuditOnce,
    /// An audit CSV or the outbox does not parse: a torn row, a glued line, a repeated header.
    Parse,
    /// `PRAGMA integrity_check` is not `ok`.
    Integrity,
    /// A run exited with a code the README does not document, panicked, or said 2 ("nothing was
    /// sent") after requests went out, or 0 after a failure.
    ExitCode,
    /// An error that stopped the run does not name the file to fix.
    Names,
}

#[derive(Debug, Clone)]
pub struct Violation {
    pub check: Check,
    pub detail: String,
}

pub fn violation(check: Check, detail: impl Into<String>) -> Violation {
    Violation {
        check,
        detail: detail.into(),
    }
}

/// Panics listing the violations of these checks (at most 12 shown).
#[track_caller]
pub fn assert_none(what: &str, all: &[Violation], checks: &[Check]) {
    let hits: Vec<&Violation> = all.iter().filter(|v| checks.contains(&v.check)).collect();
    if !hits.is_empty() {
        let shown: Vec<String> = hits
            .iter()
            .take(12)
            .map(|v| format!("  [{:?}] {}", v.check, v.detail))
            .collect();
        panic!(
            "{what}: {} violation(s) of {checks:?} (seed {}):\n{}",
            hits.len(),
            crate::harness::seed(),
            shown.join("\n")
        );
    }
}

/// One `nudges` row.
#[derive(Debug, Clone)]
pub struct Nudge {
    pub cart_id: String,
    pub phone: String,
    pub status: String,
    pub error_code: String,
}

fn text(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<String> {
    Ok(match r.get_ref(i)? {
        rusqlite::types::ValueRef::Null => String::new(),
        rusqlite::types::ValueRef::Integer(v) => v.to_string(),
        rusqlite::types::ValueRef::Real(v) => v.to_string(),
        rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => {
            String::from_utf8_lossy(t).into_owned()
        }
    })
}

/// Rows of any query, every column as text.
pub fn query(db: &Path, sql: &str) -> Result<Vec<Vec<String>>, String> {
    let conn = rusqlite::Connection::open(db).map_err(|e| e.to_string())?;
    let mut stmt = conn.prepare(sql).map_err(|e| e.to_string())?;
    let n = stmt.column_count();
    let rows = stmt
        .query_map([], |r| (0..n).map(|i| text(r, i)).collect())
        .map_err(|e| e.to_string())?;
    rows.collect::<rusqlite::Result<Vec<Vec<String>>>>()
        .map_err(|e| e.to_string())
}

pub fn nudges(db: &Path) -> Result<Vec<Nudge>, String> {
    if !db.exists() {
        return Ok(Vec::new());
    }
    Ok(query(
        db,
        "SELECT cart_id, phone, status, COALESCE(error_code, '') FROM nudges ORDER BY id",
    )?
    .into_iter()
    .map(|r| Nudge {
        cart_id: r[0].clone(),
        phone: r[1].clone(),
        status: r[2].clone(),
        error_code: r[3].clone(),
    })
    .collect())
}

pub fn integrity(db: &Path) -> String {
    match query(db, "PRAGMA integrity_check") {
        Ok(rows) => rows
            .iter()
            .map(|r| r.join(" "))
            .collect::<Vec<_>>()
            .join("; "),
        Err(e) => format!("cannot check: {e}"),
    }
}

pub const AUDIT_COLUMNS: usize = 19;
const DECISIONS: &[&str] = &[
    "sent",
    "failed",
    "unknown",
    "skipped",
    "deferred",
    "holdout",
    "would_send",
];

/// One parsed audit row, by column name.
#[derive(Debug, Clone)]
pub struct AuditRow {
    pub file: String,
    pub cart_id: String,
    pub decision: String,
    pub reason: String,
    pub mode: String,
}

/// Every audit file in `dir`: the rows, and what does not parse.
pub fn audit(dir: &Path) -> (Vec<AuditRow>, Vec<String>) {
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (rows, problems);
    };
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    files.sort();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap_or_default();
        if bytes.is_empty() {
            continue;
        }
        if !bytes.ends_with(b"\n") {
            problems.push(format!("{name}: ends in a partial row"));
        }
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(&bytes[..]);
        for (i, rec) in rdr.records().enumerate() {
            let line = i + 1;
            let rec = match rec {
                Ok(r) => r,
                Err(e) => {
                    problems.push(format!("{name} record {line}: {e}"));
                    break;
                }
            };
            let cells: Vec<&str> = rec.iter().collect();
            if i == 0 {
                if cells.first() != Some(&"run_id") || cells.len() != AUDIT_COLUMNS {
                    problems.push(format!("{name}: first line is not the header: {cells:?}"));
                }
                continue;
            }
            if cells.first() == Some(&"run_id") {
                problems.push(format!("{name} record {line}: the header again"));
                continue;
            }
            if let Some(why) = bad_row(&cells) {
                problems.push(format!("{name} record {line}: {why}: {cells:?}"));
                continue;
            }
            rows.push(AuditRow {
                file: name.clone(),
                cart_id: cells[3].to_string(),
                decision: cells[6].to_string(),
                reason: cells[7].to_string(),
                mode: cells[2].to_string(),
            });
        }
    }
    (rows, problems)
}

/// Why a data row is not a whole audit row, if it is not.
fn bad_row(cells: &[&str]) -> Option<String> {
    if cells.len() != AUDIT_COLUMNS {
        return Some(format!("{} cells, not {AUDIT_COLUMNS}", cells.len()));
    }
    let run_id = cells[0];
    let ok_run = run_id.len() > 17
        && run_id.as_bytes()[8] == b'T'
        && run_id[..8].bytes().all(|b| b.is_ascii_digit());
    if !ok_run {
        return Some(format!("run_id `{run_id}`"));
    }
    if chrono::DateTime::parse_from_rfc3339(cells[1]).is_err() {
        return Some(format!("at `{}`", cells[1]));
    }
    if !["live", "dry_run", "gateway_test"].contains(&cells[2]) {
        return Some(format!("mode `{}`", cells[2]));
    }
    if !DECISIONS.contains(&cells[6]) {
        return Some(format!("decision `{}`", cells[6]));
    }
    None
}

/// One outbox line.
#[derive(Debug, Clone)]
pub struct Message {
    pub cart_id: String,
    pub to: String,
}

/// The file gateway's outbox: whole JSON objects with `to`, `text`, `cart_id`, `at`.
pub fn outbox(path: &Path) -> (Vec<Message>, Vec<String>) {
    let mut msgs = Vec::new();
    let mut problems = Vec::new();
    let Ok(bytes) = std::fs::read(path) else {
        return (msgs, problems);
    };
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        problems.push("outbox ends in a partial line".to_string());
    }
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        let v: Option<serde_json::Value> = serde_json::from_slice(line).ok();
        let field = |k: &str| {
            v.as_ref()
                .and_then(|v| v.get(k))
                .and_then(|x| x.as_str())
                .map(str::to_string)
        };
        match (field("to"), field("cart_id"), field("text"), field("at")) {
            (Some(to), Some(cart_id), Some(_), Some(_)) => msgs.push(Message { cart_id, to }),
            _ => problems.push(format!(
                "outbox line {}: not a whole message: {}",
                i + 1,
                String::from_utf8_lossy(line)
            )),
        }
    }
    (msgs, problems)
}

/// Everything a section knows after its last (clean) run.
pub struct World<'a> {
    /// (cart_id, phone as the gateway got it) for every message a gateway received.
    pub received: &'a [(String, String)],
    pub ledger: &'a Path,
    pub audit_dir: &'a Path,
    pub outbox: Option<&'a Path>,
    /// Label for violation details.
    pub label: &'a str,
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// Checks every invariant but exit codes.
pub fn check_world(w: &World<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    let label = w.label;
    let mut per_cart: HashMap<&str, usize> = HashMap::new();
    let mut per_phone: HashMap<String, Vec<&str>> = HashMap::new();
    for (cart, phone) in w.received {
        *per_cart.entry(cart).or_default() += 1;
        per_phone.entry(digits(phone)).or_default().push(cart);
    }
    for (cart, n) in &per_cart {
        if *n > 1 {
            out.push(violation(
                Check::Duplicate,
                format!("{label}: cart {cart} received {n} times"),
            ));
        }
    }
    for (phone, carts) in &per_phone {
        if carts.len() > 1 {
            out.push(violation(
                Check::Duplicate,
                format!(
                    "{label}: phone {phone} received {} messages ({carts:?})",
                    carts.len()
                ),
            ));
        }
    }
    let nudges = match nudges(w.ledger) {
        Ok(n) => n,
        Err(e) => {
            out.push(violation(
                Check::Integrity,
                format!("{label}: ledger unreadable: {e}"),
            ));
            Vec::new()
        }
    };
    let status: HashMap<&str, &str> = nudges
        .iter()
        .map(|n| (n.cart_id.as_str(), n.status.as_str()))
        .collect();
    for cart in per_cart.keys() {
        match status.get(cart) {
            Some(&"sent") | Some(&"unknown") => {}
            other => out.push(violation(
                Check::LedgerRow,
                format!("{label}: cart {cart} was received but its ledger row is {other:?}"),
            )),
        }
    }
    for n in &nudges {
        if n.status == "claimed" {
            out.push(violation(
                Check::LedgerRow,
                format!(
                    "{label}: cart {} still `claimed` after a clean run",
                    n.cart_id
                ),
            ));
        }
        if n.status == "sent" && !per_cart.contains_key(n.cart_id.as_str()) {
            out.push(violation(
                Check::LedgerRow,
                format!(
                    "{label}: ledger says cart {} was sent; the gateway never got it",
                    n.cart_id
                ),
            ));
        }
    }
    let integrity = integrity(w.ledger);
    if w.ledger.exists() && integrity != "ok" {
        out.push(violation(
            Check::Integrity,
            format!("{label}: integrity_check: {integrity}"),
        ));
    }
    let (rows, problems) = audit(w.audit_dir);
    for p in problems {
        out.push(violation(Check::Parse, format!("{label}: audit {p}")));
    }
    if let Some(path) = w.outbox {
        for p in outbox(path).1 {
            out.push(violation(Check::Parse, format!("{label}: {p}")));
        }
    }
    let mut message_rows: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.mode == "live") {
        if ["sent", "unknown", "failed"].contains(&r.decision.as_str()) {
            message_rows
                .entry(&r.cart_id)
                .or_default()
                .push(&r.decision);
        }
    }
    for n in nudges
        .iter()
        .filter(|n| ["sent", "unknown", "failed"].contains(&n.status.as_str()))
    {
        let got = message_rows
            .get(n.cart_id.as_str())
            .cloned()
            .unwrap_or_default();
        if got.len() != 1 {
            out.push(violation(
                Check::AuditOnce,
                format!(
                    "{label}: cart {} is `{}` in the ledger and has {} audit row(s) {got:?}",
                    n.cart_id,
                    n.status,
                    got.len()
                ),
            ));
        } else if got[0] != n.status {
            out.push(violation(
                Check::AuditOnce,
                format!(
                    "{label}: cart {} is `{}` in the ledger but `{}` in the audit",
                    n.cart_id, n.status, got[0]
                ),
            ));
        }
    }
    for (cart, got) in &message_rows {
        if !status.contains_key(cart) {
            out.push(violation(
                Check::AuditOnce,
                format!("{label}: audit rows {got:?} for cart {cart}, which has no ledger row"),
            ));
        }
    }
    out
}

/// Exit-code rules for a run that may have been hit by a fault.
pub fn check_exit(
    label: &str,
    done: &crate::harness::Done,
    documented: &std::collections::BTreeSet<i32>,
    received_by_run: usize,
) -> Vec<Violation> {
    let mut out = Vec::new();
    let code = done.code();
    if done.timed_out {
        out.push(violation(
            Check::ExitCode,
            format!("{label}: run did not finish{}", done.show()),
        ));
    } else if code == 101 || done.stderr.contains("panicked") {
        out.push(violation(
            Check::ExitCode,
            format!("{label}: panic{}", done.show()),
        ));
    } else if !documented.contains(&code) {
        out.push(violation(
            Check::ExitCode,
            format!("{label}: exit {code} is not in the README{}", done.show()),
        ));
    } else if code == 2 && received_by_run > 0 {
        out.push(violation(
            Check::ExitCode,
            format!(
                "{label}: exit 2 means nothing was sent, but {received_by_run} message(s) went out{}",
                done.show()
            ),
        ));
    } else if code == 0
        && done
            .stderr
            .lines()
            .any(|l| l.starts_with("cartnudge: ") && is_failure(l))
    {
        out.push(violation(
            Check::ExitCode,
            format!("{label}: exit 0 after a failure{}", done.show()),
        ));
    }
    out
}

fn is_failure(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    [
        "no space",
        "disk is full",
        "read-only",
        "permission denied",
        "cannot write",
        "cannot fsync",
    ]
    .iter()
    .any(|w| l.contains(w))
}
