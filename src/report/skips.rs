//! "Why carts were not messaged", counted per cart. The ledger keeps only per-run sums of reasons
//! (`runs.reasons`: a cart read by 96 runs a day is counted 96 times), so the distinct counts come
//! from the audit CSVs, which hold one row per cart decision per run: each cart counts once, under
//! the last reason it got in the period, and not at all if it was sent (or held out) meanwhile.
//! The audit is checked against the ledger run by run; when rows are missing (files deleted or
//! rotated) the report falls back to the per-run sums and says so. Carts outside the rules' window
//! (`too_old`, `not_abandoned`) are never audited, so they can only ever be counted per run.

use crate::ledger::report_queries::SendRun;
use crate::model::{Decision, Mode, Reason};
use anyhow::{Context, Result};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

/// How the counts in `NotMessaged::counts` were made.
#[derive(Debug, Clone, PartialEq)]
pub enum Basis {
    /// One per cart, by its last reason in the period.
    DistinctCarts,
    /// Summed over runs; the sentence says why distinct counts were not possible.
    CartRuns(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct NotMessaged {
    pub basis: Basis,
    /// Reason → carts (or cart-runs), for carts inside the rules' window.
    pub counts: BTreeMap<String, u64>,
    /// Reasons for carts outside the window: always per-run sums.
    pub outside_window: BTreeMap<String, u64>,
}

impl NotMessaged {
    /// The per-run sums from the ledger alone.
    pub fn per_run(runs: &[SendRun], why: &str) -> NotMessaged {
        let mut counts = BTreeMap::new();
        let mut outside_window = BTreeMap::new();
        for (reason, n) in runs.iter().flat_map(|r| &r.run.reasons) {
            let into = match out_of_window(reason) {
                true => &mut outside_window,
                false => &mut counts,
            };
            *into.entry(reason.clone()).or_insert(0) += n;
        }
        counts.retain(|_, n| *n > 0);
        outside_window.retain(|_, n| *n > 0);
        NotMessaged {
            basis: Basis::CartRuns(why.into()),
            counts,
            outside_window,
        }
    }

    /// Distinct carts from the audit files of these runs, or the per-run sums when the audit is
    /// incomplete.
    pub fn from_audit(dir: &Path, runs: &[SendRun]) -> Result<NotMessaged> {
        let mut tally = Tally::default();
        let days: BTreeSet<_> = runs
            .iter()
            .map(|r| crate::audit::path_for(dir, r.run.now))
            .collect();
        let ids: BTreeSet<&str> = runs.iter().map(|r| r.run_id.as_str()).collect();
        for path in days.iter().filter(|p| p.exists()) {
            read_file(path, &ids, &mut tally)
                .with_context(|| format!("cannot read audit {}", path.display()))?;
        }
        Ok(tally.finish(runs, dir))
    }
}

fn out_of_window(reason: &str) -> bool {
    Reason::parse(reason).is_some_and(|r| r.is_out_of_window())
}

fn read_file(path: &Path, ids: &BTreeSet<&str>, tally: &mut Tally) -> Result<()> {
    let mut rd = csv::ReaderBuilder::new().flexible(true).from_path(path)?;
    let head = rd.headers()?.clone();
    let col = |name: &str| head.iter().position(|h| h == name);
    let (Some(run), Some(mode), Some(cart), Some(decision), Some(reason)) = (
        col("run_id"),
        col("mode"),
        col("cart_id"),
        col("decision"),
        col("reason"),
    ) else {
        anyhow::bail!(
            "not an audit file: its header lacks run_id, mode, cart_id, decision or reason"
        );
    };
    let mut record = csv::StringRecord::new();
    // A line cut short by a crash is skipped; the check against the ledger notices what it lost.
    while rd.read_record(&mut record).unwrap_or(false) {
        let get = |i: usize| record.get(i).unwrap_or("");
        if get(mode) != Mode::Live.as_str() || !ids.contains(get(run)) {
            continue;
        }
        if let Some(d) = Decision::parse(get(decision)) {
            tally.add(get(run), get(cart), d, get(reason));
        }
    }
    Ok(())
}

/// A cart sent (or failed, unknown, held out) in the period is done; else the last reason counts.
enum Standing {
    Messaged,
    PassedOver(String),
}

/// Audit rows folded into one standing per cart.
#[derive(Default)]
pub struct Tally {
    carts: HashMap<String, Standing>,
    /// run id → skipped and deferred rows seen, to check against the ledger's sums.
    rows: HashMap<String, u64>,
}

impl Tally {
    /// One audit row, in the order written.
    pub fn add(&mut self, run_id: &str, cart_id: &str, decision: Decision, reason: &str) {
        match decision {
            Decision::Skipped | Decision::Deferred => {
                *self.rows.entry(run_id.to_string()).or_default() += 1;
                let standing = self
                    .carts
                    .entry(cart_id.to_string())
                    .or_insert_with(|| Standing::PassedOver(String::new()));
                if let Standing::PassedOver(last) = standing {
                    *last = reason.to_string();
                }
            }
            Decision::WouldSend => {}
            _ => {
                self.carts.insert(cart_id.to_string(), Standing::Messaged);
            }
        }
    }

    pub fn finish(self, runs: &[SendRun], dir: &Path) -> NotMessaged {
        let short: Vec<&str> = runs
            .iter()
            .filter(|r| {
                let expected: u64 = r
                    .run
                    .reasons
                    .iter()
                    .filter(|(k, _)| !out_of_window(k))
                    .map(|(_, n)| n)
                    .sum();
                self.rows.get(&r.run_id).copied().unwrap_or(0) < expected
            })
            .map(|r| r.run_id.as_str())
            .collect();
        if !short.is_empty() {
            let why = match self.rows.is_empty() {
                true => format!("{} has no audit rows of these runs", dir.display()),
                false => format!(
                    "the audit files in {} lack rows of {} of {} send runs (first: {})",
                    dir.display(),
                    short.len(),
                    runs.len(),
                    short[0]
                ),
            };
            return NotMessaged::per_run(runs, &why);
        }
        let mut counts = BTreeMap::new();
        for standing in self.carts.into_values() {
            if let Standing::PassedOver(reason) = standing {
                *counts.entry(reason).or_insert(0) += 1;
            }
        }
        NotMessaged {
            basis: Basis::DistinctCarts,
            counts,
            outside_window: NotMessaged::per_run(runs, "").outside_window,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::RunRow;

    fn run(id: &str, reasons: &[(&str, u64)]) -> SendRun {
        SendRun {
            run_id: id.into(),
            run: RunRow {
                now: chrono::DateTime::parse_from_rfc3339("2026-11-01T10:00:00Z")
                    .unwrap()
                    .into(),
                carts_read: 10,
                reasons: reasons.iter().map(|(k, n)| (k.to_string(), *n)).collect(),
            },
        }
    }

    /// Three runs see the same carts: A waits twice then is sent, B waits then lacks consent,
    /// C waits every time. Per run that is 6 deferrals; per cart, 1 no_consent and 1 too_fresh.
    #[test]
    fn each_cart_counts_once_under_its_last_reason() {
        use Decision::*;
        let runs = [
            run("r1", &[("too_fresh", 3), ("too_old", 50)]),
            run("r2", &[("too_fresh", 3), ("too_old", 50)]),
            run(
                "r3",
                &[("no_consent", 1), ("too_fresh", 1), ("too_old", 50)],
            ),
        ];
        let mut t = Tally::default();
        for r in ["r1", "r2"] {
            t.add(r, "A", Deferred, "too_fresh");
            t.add(r, "B", Deferred, "too_fresh");
            t.add(r, "C", Deferred, "too_fresh");
        }
        t.add("r3", "A", Sent, "");
        t.add("r3", "B", Skipped, "no_consent");
        t.add("r3", "C", Deferred, "too_fresh");
        t.add("r3", "D", WouldSend, "");
        let n = t.finish(&runs, Path::new("audit"));
        assert_eq!(n.basis, Basis::DistinctCarts);
        let want = |v: &[(&str, u64)]| v.iter().map(|(k, n)| (k.to_string(), *n)).collect();
        assert_eq!(n.counts, want(&[("no_consent", 1), ("too_fresh", 1)]));
        assert_eq!(n.outside_window, want(&[("too_old", 150)]));
    }

    #[test]
    fn missing_audit_rows_fall_back_to_cart_runs() {
        let runs = [
            run("r1", &[("too_fresh", 2)]),
            run("r2", &[("too_fresh", 2)]),
        ];
        let n = Tally::default().finish(&runs, Path::new("audit"));
        let why = "audit has no audit rows of these runs";
        assert_eq!(n.basis, Basis::CartRuns(why.into()));
        let mut t = Tally::default();
        t.add("r1", "A", Decision::Deferred, "too_fresh");
        t.add("r1", "B", Decision::Deferred, "too_fresh");
        let n = t.finish(&runs, Path::new("audit"));
        assert_eq!(
            n.basis,
            Basis::CartRuns(
                "the audit files in audit lack rows of 1 of 2 send runs (first: r2)".into()
            )
        );
        assert_eq!(n.counts["too_fresh"], 4);
    }
}
