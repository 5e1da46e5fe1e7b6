//! The one path from a cart source to decisions, shared by `scan` and `send`: stream carts, judge
//! each with the rules, and keep only the best `limit` eligible carts (a bounded ordered set) while
//! everything else is reported to a `Sink` as it streams by. What grows with the eligible carts in
//! the rules' window (each phone's best rank, the holdout group) stays in memory up to `Memory`'s
//! counts and goes to a temporary database past them, so memory follows neither the export's size
//! nor the window's.

mod errors;
mod inputs;
mod rivals;
mod spill;
#[cfg(test)]
mod tests;

pub use errors::{DataError, data_error, missing_threshold_error};
pub use inputs::{load_orders, read_only_view};
pub use spill::Holdouts;
pub(crate) use spill::Memory;

use crate::ledger::{LedgerView, RunCounts};
use crate::model::{Cart, Currency, Decision, Reason};
use crate::rules::config::OrderBy;
use crate::rules::{self, Ctx, Evaluation, Facts, OrderIndex};
use crate::settings::Settings;
use crate::source::fields::Parsed;
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// One cart's decision as it leaves the pipeline (or the send loop).
pub struct Decided<'a> {
    pub cart: &'a Cart,
    pub decision: Decision,
    pub reason: Option<Reason>,
    /// The provider's error code when the reason is `Reason::Gateway` ("21610").
    pub gateway_code: Option<&'a str>,
    /// Formatted only when something prints or audits it.
    pub detail: &'a dyn std::fmt::Display,
    pub facts: &'a Facts,
    pub provider_id: Option<&'a str>,
}

pub trait Sink {
    fn decided(&mut self, d: &Decided<'_>) -> Result<()>;

    /// Whether carts outside the rules' window (`not_abandoned`, `too_old`) are printed or
    /// written; when not, they are only counted and never built.
    fn wants_out_of_window(&self) -> bool;
}

/// An eligible cart waiting for the batch.
pub struct Candidate {
    pub cart: Cart,
    pub eval: Evaluation,
}

/// Sort key: best first. By value, carts compare by total ÷ their currency's threshold, so a
/// 6000 RUB cart and a 120 EUR cart (both twice their minimum) rank alike without exchange rates.
#[derive(Clone, Debug, PartialEq, Eq)]
struct RankKey {
    order_by: OrderBy,
    value: i64,
    scale: i64,
    updated_at: DateTime<Utc>,
    /// The last tie-break. Kept only for the best `limit` carts; the per-phone ranks are stored
    /// apart (`rivals`).
    cart_id: Box<str>,
}

impl Ord for RankKey {
    fn cmp(&self, other: &Self) -> Ordering {
        let by_value = || {
            (other.value as i128 * self.scale as i128)
                .cmp(&(self.value as i128 * other.scale as i128))
        };
        let primary = match self.order_by {
            OrderBy::Value => by_value(),
            OrderBy::Oldest => Ordering::Equal,
        };
        primary
            .then(self.updated_at.cmp(&other.updated_at))
            .then_with(|| self.cart_id.cmp(&other.cart_id))
    }
}

impl PartialOrd for RankKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// What the stream left for the caller to act on.
pub struct Batch {
    /// Best first, at most `limit`.
    pub send: Vec<Candidate>,
    /// In the order met; past `Memory::holdouts` of them, in a temporary database.
    pub holdout: Holdouts,
    pub counts: RunCounts,
    /// Currencies met in the carts with no `min_cart_value`: a config error, raised before sending.
    pub missing_thresholds: BTreeMap<Currency, u64>,
    /// The first malformed rows' messages, for the data error.
    pub invalid_examples: Vec<String>,
}

impl Batch {
    /// Shows the batch as a preview does: the holdout group, then the carts that would be sent,
    /// best first; and counts them.
    pub fn preview(&mut self, sink: &mut dyn Sink) -> Result<()> {
        let mut show = |c: &Candidate, decision: Decision| {
            let reason = (decision == Decision::Holdout).then_some(Reason::Holdout);
            sink.decided(&Decided {
                cart: &c.cart,
                decision,
                reason,
                gateway_code: None,
                detail: &c.eval.detail,
                facts: &c.eval.facts,
                provider_id: None,
            })
        };
        self.holdout.for_each(|c| show(c, Decision::Holdout))?;
        for c in &self.send {
            show(c, Decision::WouldSend)?;
        }
        self.counts.would_send = self.send.len() as u64;
        self.counts.holdout = self.holdout.len();
        Ok(())
    }
}

pub struct Options {
    pub now: DateTime<Utc>,
    pub limit: usize,
    pub quiet: bool,
    pub verbose: bool,
}

/// Streams the carts through the rules. Skipped and deferred carts go to `sink` at once; the best
/// `limit` eligible carts and the holdout group come back in the `Batch`.
pub fn run(
    settings: &Settings,
    view: &LedgerView,
    orders: &OrderIndex,
    opts: &Options,
    sink: &mut dyn Sink,
) -> Result<Batch> {
    run_within(settings, view, orders, opts, sink, Memory::DEFAULT)
}

/// `run`, keeping at most `memory`'s phones and holdout carts in memory.
pub(crate) fn run_within(
    settings: &Settings,
    view: &LedgerView,
    orders: &OrderIndex,
    opts: &Options,
    sink: &mut dyn Sink,
    memory: Memory,
) -> Result<Batch> {
    let ctx = Ctx {
        now: opts.now,
        rules: &settings.rules,
        message: &settings.message,
        store: &settings.store,
        ledger: view,
        orders,
        explain: false,
    };
    let mut state = State {
        sink,
        counts: RunCounts::default(),
        best: BTreeMap::new(),
        by_phone: rivals::Rivals::new(settings.rules.order_by, memory.phones),
        holdout: Holdouts::new(memory.holdouts),
        missing: BTreeMap::new(),
        examples: Vec::new(),
        by_reason: [0; Reason::ALL.len()],
    };
    let progress = crate::progress::Progress::rows(opts.quiet);
    let window = rules::Window::new(opts.now, settings.rules.max_age);
    let skip_outside = !state.sink.wants_out_of_window();
    let outside = move |head: &crate::model::CartHead<'_>| {
        skip_outside.then(|| window.outside(head)).flatten()
    };
    let mut pool = crate::source::fields::CartPool::new();
    let carts = crate::source::carts_unless(&settings.source, outside, &pool);
    for item in carts.context("cannot read carts")? {
        progress.tick();
        let cart = match item {
            Ok(Parsed::Cart(c)) => c,
            Ok(Parsed::Outside(reason, rows)) => {
                // A run of rows with this reason (the first is ticked above).
                progress.advance(u64::from(rows) - 1);
                state.counts.carts_read += u64::from(rows);
                state.count_rows(Decision::Skipped, reason, u64::from(rows));
                continue;
            }
            Err(e) => {
                state.counts.invalid += 1;
                if state.examples.len() < 3 {
                    state.examples.push(e.to_string());
                }
                if !opts.quiet && (opts.verbose || state.counts.invalid <= 20) {
                    eprintln!("cartnudge: skipped {e}");
                }
                continue;
            }
        };
        state.counts.carts_read += 1;
        let eval = rules::evaluate(&cart, &ctx);
        if let Some(c) = eval.facts.missing_threshold {
            *state.missing.entry(c).or_default() += 1;
        }
        match eval.decision {
            Decision::WouldSend => state.offer(*cart, eval, settings, opts.limit)?,
            Decision::Holdout => state.holdout.push(Candidate { cart: *cart, eval })?,
            _ => {
                let reason = eval.reason.expect("failed rule has a reason");
                state.emit(&cart, eval.decision, reason, &eval.detail, &eval.facts)?;
                pool.put(cart);
            }
        }
    }
    progress.finish();
    for (reason, n) in Reason::ALL.iter().zip(state.by_reason) {
        if n > 0 {
            *state
                .counts
                .reasons
                .entry(reason.as_str().to_string())
                .or_default() += n;
        }
    }
    if state.counts.invalid > 20 && !opts.quiet && !opts.verbose {
        eprintln!(
            "cartnudge: skipped {} malformed rows in all (-v lists each)",
            state.counts.invalid
        );
    }
    Ok(Batch {
        send: state.best.into_values().collect(),
        holdout: state.holdout,
        counts: state.counts,
        missing_thresholds: state.missing,
        invalid_examples: state.examples,
    })
}

fn rank(cart: &Cart, settings: &Settings) -> RankKey {
    let scale = settings
        .rules
        .min_cart_value
        .get(&cart.total.currency)
        .map(|m| m.minor)
        .unwrap_or(1)
        .max(1);
    RankKey {
        order_by: settings.rules.order_by,
        value: cart.total.minor,
        scale,
        updated_at: cart.updated_at,
        cart_id: cart.cart_id.as_str().into(),
    }
}

struct State<'s> {
    sink: &'s mut dyn Sink,
    counts: RunCounts,
    best: BTreeMap<RankKey, Candidate>,
    /// The key of the best eligible cart with each phone in this run.
    by_phone: rivals::Rivals,
    holdout: Holdouts,
    missing: BTreeMap<Currency, u64>,
    examples: Vec<String>,
    /// Deferred and skipped carts by reason, for `counts.reasons` at the end (a string-keyed map
    /// is too slow for a million rows).
    by_reason: [u64; Reason::ALL.len()],
}

impl State<'_> {
    fn count(&mut self, decision: Decision, reason: Reason) {
        self.count_rows(decision, reason, 1);
    }

    fn count_rows(&mut self, decision: Decision, reason: Reason, rows: u64) {
        match decision {
            Decision::Deferred => self.counts.deferred += rows,
            _ => self.counts.skipped += rows,
        }
        self.by_reason[reason as usize] += rows;
    }

    fn emit(
        &mut self,
        cart: &Cart,
        decision: Decision,
        reason: Reason,
        detail: &dyn std::fmt::Display,
        facts: &Facts,
    ) -> Result<()> {
        self.count(decision, reason);
        self.sink.decided(&Decided {
            cart,
            decision,
            reason: Some(reason),
            gateway_code: None,
            detail,
            facts,
            provider_id: None,
        })
    }

    /// An eligible cart: one per phone per run (the best one), then the best `limit` overall.
    fn offer(
        &mut self,
        cart: Cart,
        eval: Evaluation,
        settings: &Settings,
        limit: usize,
    ) -> Result<()> {
        let key = rank(&cart, settings);
        let phone = rivals::phone_key(
            &eval
                .facts
                .valid_phone()
                .expect("eligible carts have a phone")
                .e164,
        );
        if let Some(rival) = self.by_phone.get(phone)? {
            if rival < key {
                let detail = format!(
                    "same phone as cart {} in this run, which ranks higher",
                    rival.cart_id
                );
                return self.emit(
                    &cart,
                    Decision::Skipped,
                    Reason::PhoneCooldown,
                    &detail,
                    &eval.facts,
                );
            }
            if let Some(loser) = self.best.remove(&rival) {
                let detail = format!(
                    "same phone as cart {} in this run, which ranks higher",
                    cart.cart_id
                );
                self.emit(
                    &loser.cart,
                    Decision::Skipped,
                    Reason::PhoneCooldown,
                    &detail,
                    &loser.eval.facts,
                )?;
            }
        }
        self.by_phone.set(phone, &key)?;
        self.best.insert(key, Candidate { cart, eval });
        if self.best.len() > limit {
            let (_, out) = self.best.pop_last().expect("non-empty");
            let detail = format!("eligible, but beyond this run's limit of {limit}");
            self.emit(
                &out.cart,
                Decision::Deferred,
                Reason::OverLimit,
                &detail,
                &out.eval.facts,
            )?;
        }
        Ok(())
    }
}
