//! The send loop: for each cart of the batch, commit a claim, call the gateway with retries and
//! pacing, and record what the provider said in the ledger and the audit.

use crate::audit::Audit;
use crate::gateway::{Gateway, GatewayError, Receipt, Sms};
use crate::ledger::{Ledger, NewNudge, RunCounts};
use crate::model::{Decision, NudgeStatus, Reason};
use crate::output::Line;
use crate::pipeline::{Candidate, Decided};
use crate::settings::Settings;
use anyhow::Result;
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};

pub(super) struct Sender<'a> {
    pub(super) settings: &'a Settings,
    /// None in a --gateway-test run, which records nothing.
    pub(super) ledger: Option<&'a Ledger>,
    pub(super) audit: &'a mut Audit,
    pub(super) gateway: &'a mut dyn Gateway,
    pub(super) gateway_name: String,
    pub(super) run_id: &'a str,
    pub(super) now: chrono::DateTime<chrono::Utc>,
    pub(super) counts: &'a mut RunCounts,
    pub(super) deadline: Option<Instant>,
    pub(super) aborted: Option<GatewayError>,
    pub(super) last_call: Option<Instant>,
}

impl Sender<'_> {
    fn record(
        &mut self,
        c: &Candidate,
        decision: Decision,
        reason: Option<(Reason, Option<&str>)>,
        detail: &dyn std::fmt::Display,
        provider_id: Option<&str>,
    ) -> Result<()> {
        let d = Decided {
            cart: &c.cart,
            decision,
            reason: reason.map(|r| r.0),
            gateway_code: reason.and_then(|r| r.1),
            detail,
            facts: &c.eval.facts,
            provider_id,
        };
        self.audit
            .write(&Line::from(&d).audit_row(&self.gateway_name))
    }

    pub(super) fn holdout(&mut self, c: &Candidate) -> Result<()> {
        let gateway = self.gateway_name.clone();
        if let Some(l) = self.ledger {
            l.insert_nudge(
                &nudge(c, self.run_id, &gateway, self.now),
                NudgeStatus::Holdout,
            )?;
        }
        self.counts.holdout += 1;
        self.record(
            c,
            Decision::Holdout,
            Some((Reason::Holdout, None)),
            &c.eval.detail,
            None,
        )
    }

    fn defer(
        &mut self,
        c: &Candidate,
        reason: Reason,
        detail: &dyn std::fmt::Display,
    ) -> Result<()> {
        self.counts.deferred += 1;
        *self
            .counts
            .reasons
            .entry(reason.as_str().to_string())
            .or_default() += 1;
        self.record(c, Decision::Deferred, Some((reason, None)), detail, None)
    }

    pub(super) fn send(&mut self, c: &Candidate) -> Result<()> {
        if let Some(e) = &self.aborted {
            let detail = format!("batch aborted: {e}");
            return self.defer(c, Reason::GatewayAborted, &detail);
        }
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return self.defer(
                c,
                Reason::Deadline,
                &"the run's --deadline passed before this cart's turn",
            );
        }
        let gateway = self.gateway_name.clone();
        let n = nudge(c, self.run_id, &gateway, self.now);
        let id = match self.ledger {
            Some(l) => l.insert_nudge(&n, NudgeStatus::Claimed)?,
            None => 0,
        };
        let ledger = self.ledger;
        let key = idempotency_key(&c.cart.cart_id);
        let sms = Sms {
            to: n.phone,
            text: n.text,
            encoding: c
                .eval
                .facts
                .message
                .as_ref()
                .expect("rendered")
                .count
                .encoding,
            segments: n.segments,
            cart_id: &c.cart.cart_id,
            idempotency_key: &key,
            at: self.now,
        };
        let phone = n.phone.clone();
        match self.call(&sms) {
            Ok(receipt) if ledger.is_none() => {
                self.counts.would_send += 1;
                let detail = "validated by the provider's test mode; nothing sent";
                self.record(
                    c,
                    Decision::WouldSend,
                    None,
                    &detail,
                    receipt.provider_id.as_deref(),
                )
            }
            Ok(receipt) => {
                ledger.expect("live").mark_sent(id, &receipt, self.now)?;
                self.counts.sent += 1;
                self.record(c, Decision::Sent, None, &"", receipt.provider_id.as_deref())?;
                // Every sent message has its audit row on disk before the next one goes out.
                self.audit.sync()
            }
            Err(e @ GatewayError::Permanent { .. }) => {
                if let Some(l) = ledger {
                    l.mark_error(id, NudgeStatus::Failed, e.code(), e.message())?;
                    if let GatewayError::Permanent {
                        opt_out: true,
                        code,
                        ..
                    } = &e
                    {
                        l.add_optout(&phone, self.now, &format!("gateway:{code}"))?;
                    }
                }
                self.counts.failed += 1;
                self.record(
                    c,
                    Decision::Failed,
                    Some((Reason::Gateway, Some(e.code()))),
                    &e.message(),
                    None,
                )
            }
            Err(e @ GatewayError::Unknown { .. }) => {
                if let Some(l) = ledger {
                    l.mark_error(id, NudgeStatus::Unknown, e.code(), e.message())?;
                }
                self.counts.unknown += 1;
                self.record(
                    c,
                    Decision::Unknown,
                    Some((Reason::Gateway, Some(e.code()))),
                    &e.message(),
                    None,
                )?;
                self.audit.sync()
            }
            Err(e @ GatewayError::Transient { .. }) => {
                if let Some(l) = ledger {
                    l.release(id)?;
                }
                let detail = format!(
                    "not processed after {} tries: {e}",
                    self.settings.gateway.max_tries
                );
                self.defer(c, Reason::GatewayRetry, &detail)
            }
            Err(e @ GatewayError::Fatal { .. }) => {
                if let Some(l) = ledger {
                    l.release(id)?;
                }
                let detail = format!("batch aborted: {e}");
                self.aborted = Some(e);
                self.defer(c, Reason::GatewayAborted, &detail)
            }
        }
    }

    /// One message, with retries for answers documented as "not processed", and the rate limit.
    fn call(&mut self, sms: &Sms<'_>) -> Result<Receipt, GatewayError> {
        let cfg = &self.settings.gateway;
        let mut attempt = 1;
        loop {
            self.pace();
            match self.gateway.send(sms) {
                Err(GatewayError::Transient {
                    retry_after,
                    code,
                    message,
                }) if attempt < cfg.max_tries => {
                    let wait = retry_after.unwrap_or_else(|| backoff(attempt));
                    if self.deadline.is_some_and(|d| Instant::now() + wait >= d) {
                        return Err(GatewayError::Transient {
                            retry_after,
                            code,
                            message,
                        });
                    }
                    std::thread::sleep(wait);
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// Waits so that calls stay under `gateway.rate_per_second` (for gateways that are paced).
    fn pace(&mut self) {
        let rate = self.settings.gateway.rate_per_second;
        if rate > 0.0 && self.gateway.paced() {
            let gap = Duration::from_secs_f64(1.0 / rate);
            if let Some(last) = self.last_call {
                let next = last + gap;
                let now = Instant::now();
                if next > now {
                    std::thread::sleep(next - now);
                }
            }
        }
        self.last_call = Some(Instant::now());
    }
}

/// The ledger row for an eligible cart.
fn nudge<'c>(
    c: &'c Candidate,
    run_id: &'c str,
    gateway: &'c str,
    now: chrono::DateTime<chrono::Utc>,
) -> NewNudge<'c> {
    let phone = c
        .eval
        .facts
        .valid_phone()
        .expect("eligible carts have a phone");
    let m = c
        .eval
        .facts
        .message
        .as_ref()
        .expect("eligible carts have a message");
    NewNudge {
        run_id,
        cart_id: &c.cart.cart_id,
        customer_id: c.cart.customer_id.as_deref(),
        phone: &phone.e164,
        email: c.cart.email.as_deref(),
        country: phone.region.as_deref(),
        gateway,
        encoding: m.count.encoding.as_str(),
        segments: m.count.segments,
        est_cost: m.est_cost,
        cart_total: c.cart.total,
        cart_updated_at: c.cart.updated_at,
        text: &m.text,
        at: now,
    }
}

/// Exponential backoff with "equal jitter": half fixed, half random, 0.5 s doubling, at most 30 s.
fn backoff(attempt: u32) -> Duration {
    let base = Duration::from_millis(500)
        .saturating_mul(1 << (attempt - 1).min(6))
        .min(Duration::from_secs(30));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let half = base / 2;
    half + half.mul_f64((nanos % 1000) as f64 / 1000.0)
}

/// Stable per cart, so a provider that deduplicates by key drops a repeat.
fn idempotency_key(cart_id: &str) -> String {
    let d = Sha256::digest(cart_id.as_bytes());
    let hex: String = d[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("cn-{hex}")
}
