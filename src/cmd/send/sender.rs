//! The send loop: for each cart of the batch, commit a claim, call the gateway with pacing and
//! retries, and record what the provider said in the ledger and the audit. A claim is never held
//! across a sleep: an answer documented as "not processed" releases it before waiting, so a kill
//! during the wait cannot turn an unsent cart into `unknown`. Every honoured wait is capped
//! (`MAX_WAIT` and the run's deadline); a provider asking for longer gets the cart deferred.

use crate::audit::Audit;
use crate::gateway::{Gateway, GatewayError, Receipt, Sms};
use crate::ledger::{Ledger, NewNudge, RunCounts};
use crate::model::{Decision, NudgeStatus, Reason};
use crate::pipeline::{Candidate, Decided};
use crate::settings::Settings;
use anyhow::Result;
use sha2::{Digest, Sha256};
use std::fmt::Display;
use std::time::{Duration, Instant};

/// The longest wait honoured between two tries of one message; a provider asking for more gets
/// the cart deferred to the next run instead of holding the lock.
pub(super) const MAX_WAIT: Duration = Duration::from_secs(60);

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
    pub(super) deadline: Instant,
    pub(super) aborted: Option<GatewayError>,
    pub(super) last_call: Option<Instant>,
    /// Ledger rows whose audit rows are written but not yet fsynced.
    pub(super) unsynced: Vec<i64>,
    /// Requests handed to the gateway: once one may have left, the run never exits 2.
    pub(super) requests: u64,
}

/// How one try ended, for the loop in `send`.
enum Try {
    Done,
    Again(Duration),
}

impl Sender<'_> {
    fn record(
        &mut self,
        c: &Candidate,
        decision: Decision,
        reason: Option<(Reason, Option<&str>)>,
        detail: &dyn Display,
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
            .write(&crate::output::audit_row(&d, &self.gateway_name))
    }

    /// Fsyncs the audit, then marks the rows it now holds as audited in the ledger.
    pub(super) fn sync(&mut self) -> Result<()> {
        self.audit.sync()?;
        if let Some(l) = self.ledger {
            l.mark_audited(&self.unsynced)?;
        }
        self.unsynced.clear();
        Ok(())
    }

    pub(super) fn holdout(&mut self, c: &Candidate) -> Result<()> {
        let gateway = self.gateway_name.clone();
        if let Some(l) = self.ledger {
            let id = l.insert_nudge(
                &nudge(c, self.run_id, &gateway, self.now),
                NudgeStatus::Holdout,
            )?;
            self.unsynced.push(id);
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

    fn defer(&mut self, c: &Candidate, reason: Reason, detail: &dyn Display) -> Result<()> {
        self.counts.deferred += 1;
        *self
            .counts
            .reasons
            .entry(reason.as_str().to_string())
            .or_default() += 1;
        self.record(c, Decision::Deferred, Some((reason, None)), detail, None)
    }

    fn past_deadline(&self) -> bool {
        Instant::now() >= self.deadline
    }

    pub(super) fn send(&mut self, c: &Candidate) -> Result<()> {
        if let Some(e) = &self.aborted {
            let detail = format!("batch aborted: {e}");
            return self.defer(c, Reason::GatewayAborted, &detail);
        }
        let mut attempt = 1;
        loop {
            if !self.past_deadline() {
                self.pace();
            }
            if self.past_deadline() {
                return self.defer(
                    c,
                    Reason::Deadline,
                    &"the run's deadline passed before this cart's turn",
                );
            }
            match self.try_once(c, attempt)? {
                Try::Done => return Ok(()),
                Try::Again(wait) => {
                    std::thread::sleep(wait);
                    attempt += 1;
                }
            }
        }
    }

    /// Claims the cart, makes one request and records the answer; a "not processed" answer
    /// releases the claim and says how long to wait before the next try, if one is due.
    fn try_once(&mut self, c: &Candidate, attempt: u32) -> Result<Try> {
        let gateway = self.gateway_name.clone();
        let n = nudge(c, self.run_id, &gateway, self.now);
        let ledger = self.ledger;
        let id = match ledger {
            Some(l) => l.insert_nudge(&n, NudgeStatus::Claimed)?,
            None => 0,
        };
        let key = idempotency_key(&c.cart.cart_id);
        let sms = Sms {
            to: n.phone,
            text: n.text,
            encoding: message(c).count.encoding,
            segments: n.segments,
            cart_id: &c.cart.cart_id,
            idempotency_key: &key,
            at: self.now,
            deadline: Some(self.deadline),
        };
        self.requests += 1;
        let answer = self.gateway.send(&sms);
        // Spacing counts from the answer, so requests never arrive closer than the rate allows.
        self.last_call = Some(Instant::now());
        match answer {
            Ok(receipt) => self.accepted(c, id, &receipt)?,
            Err(GatewayError::Transient {
                retry_after,
                code,
                message,
            }) => {
                if let Some(l) = ledger {
                    l.release(id)?;
                }
                let e = GatewayError::Transient {
                    retry_after,
                    code,
                    message,
                };
                return self.not_processed(c, attempt, &e, retry_after);
            }
            Err(e @ GatewayError::Fatal { .. }) => {
                if let Some(l) = ledger {
                    l.release(id)?;
                }
                let detail = format!("batch aborted: {e}");
                self.aborted = Some(e);
                self.defer(c, Reason::GatewayAborted, &detail)?;
            }
            Err(e) => self.refused_or_unknown(c, id, &e)?,
        }
        Ok(Try::Done)
    }

    fn accepted(&mut self, c: &Candidate, id: i64, receipt: &Receipt) -> Result<()> {
        let Some(l) = self.ledger else {
            self.counts.would_send += 1;
            let detail = "validated by the provider's test mode; nothing sent";
            return self.record(
                c,
                Decision::WouldSend,
                None,
                &detail,
                receipt.provider_id.as_deref(),
            );
        };
        l.mark_sent(id, receipt, self.now)?;
        self.counts.sent += 1;
        self.unsynced.push(id);
        self.record(c, Decision::Sent, None, &"", receipt.provider_id.as_deref())?;
        // Every sent message has its audit row on disk before the next one goes out.
        self.sync()
    }

    /// A permanent refusal (`failed`) or an answer that leaves the outcome open (`unknown`).
    fn refused_or_unknown(&mut self, c: &Candidate, id: i64, e: &GatewayError) -> Result<()> {
        let (status, decision) = match e {
            GatewayError::Permanent { .. } => (NudgeStatus::Failed, Decision::Failed),
            _ => (NudgeStatus::Unknown, Decision::Unknown),
        };
        if let Some(l) = self.ledger {
            l.mark_error(id, status, e.code(), e.message())?;
            if let GatewayError::Permanent {
                opt_out: true,
                code,
                ..
            } = e
            {
                let phone = &message_phone(c).e164;
                l.add_optout(phone, self.now, &format!("gateway:{code}"))?;
            }
            self.unsynced.push(id);
        }
        match decision {
            Decision::Failed => self.counts.failed += 1,
            _ => self.counts.unknown += 1,
        }
        self.record(
            c,
            decision,
            Some((Reason::Gateway, Some(e.code()))),
            &e.message(),
            None,
        )?;
        self.sync()
    }

    /// "Not processed": wait and try again while tries, the wait cap and the deadline allow;
    /// otherwise defer the cart to the next run.
    fn not_processed(
        &mut self,
        c: &Candidate,
        attempt: u32,
        e: &GatewayError,
        retry_after: Option<Duration>,
    ) -> Result<Try> {
        let max_tries = self.settings.gateway.max_tries;
        let wait = retry_after.unwrap_or_else(|| backoff(attempt));
        let detail = if attempt >= max_tries {
            format!("not processed after {max_tries} tries: {e}")
        } else if wait > MAX_WAIT {
            format!(
                "the provider asked to wait {}s, longer than the {}s a run waits: {e}",
                wait.as_secs(),
                MAX_WAIT.as_secs()
            )
        } else if Instant::now() + wait >= self.deadline {
            format!("not processed, and waiting would pass the run's deadline: {e}")
        } else {
            return Ok(Try::Again(wait));
        };
        self.defer(c, Reason::GatewayRetry, &detail)?;
        Ok(Try::Done)
    }

    /// Waits so that calls stay under `gateway.rate_per_second` (for gateways that are paced),
    /// never past the deadline.
    fn pace(&mut self) {
        let rate = self.settings.gateway.rate_per_second;
        if rate > 0.0 && self.gateway.paced() {
            let gap = Duration::from_secs_f64(1.0 / rate);
            if let Some(last) = self.last_call {
                let next = (last + gap).min(self.deadline);
                let now = Instant::now();
                if next > now {
                    std::thread::sleep(next - now);
                }
            }
        }
    }
}

fn message(c: &Candidate) -> &crate::message::Rendered {
    c.eval
        .facts
        .message
        .as_ref()
        .expect("eligible carts have a message")
}

fn message_phone(c: &Candidate) -> &crate::rules::phone::Phone {
    c.eval
        .facts
        .valid_phone()
        .expect("eligible carts have a phone")
}

/// The ledger row for an eligible cart.
fn nudge<'c>(
    c: &'c Candidate,
    run_id: &'c str,
    gateway: &'c str,
    now: chrono::DateTime<chrono::Utc>,
) -> NewNudge<'c> {
    let phone = message_phone(c);
    let m = message(c);
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
