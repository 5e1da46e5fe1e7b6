//! The `stub` gateway: answers from config instead of a provider, so every branch of the send loop
//! (sent, permanent, opt-out, transient, fatal, unknown) can be driven by a test or a rehearsal.
//! `gateway.outcomes` maps an E.164 number to an outcome; others are sent. With `gateway.path` set,
//! every call is appended there as a JSON line, so tests can count what was attempted.

use super::{Gateway, GatewayError, Receipt, Sms};
use crate::gateway::Config;
use anyhow::{Result, bail};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

pub struct StubGateway {
    outcomes: BTreeMap<String, String>,
    log: Option<PathBuf>,
    calls: u64,
}

pub const OUTCOMES: &[&str] = &[
    "sent",
    "permanent",
    "optout",
    "transient",
    "fatal",
    "unknown",
];

impl StubGateway {
    pub fn new(cfg: &Config) -> Result<StubGateway> {
        for (phone, outcome) in &cfg.raw.outcomes {
            if !OUTCOMES.contains(&outcome.as_str()) {
                bail!(
                    "gateway.outcomes.\"{phone}\" = \"{outcome}\"; use one of: {}",
                    OUTCOMES.join(", ")
                );
            }
        }
        Ok(StubGateway {
            outcomes: cfg.raw.outcomes.clone(),
            log: cfg.path.clone(),
            calls: 0,
        })
    }
}

impl Gateway for StubGateway {
    fn name(&self) -> &'static str {
        "stub"
    }

    fn paced(&self) -> bool {
        false
    }

    fn send(&mut self, sms: &Sms<'_>) -> Result<Receipt, GatewayError> {
        self.calls += 1;
        let outcome = self
            .outcomes
            .get(sms.to.as_str())
            .map(String::as_str)
            .unwrap_or("sent");
        if let Some(path) = &self.log {
            let line = serde_json::json!({"to": sms.to.as_str(), "cart_id": sms.cart_id, "text": sms.text, "outcome": outcome});
            let _ = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .and_then(|mut f| writeln!(f, "{line}"));
        }
        match outcome {
            "permanent" => Err(GatewayError::permanent(
                "stub-invalid",
                "stub: invalid number",
            )),
            "optout" => Err(GatewayError::opted_out(
                "stub-stop",
                "stub: recipient replied STOP",
            )),
            "transient" => Err(GatewayError::transient(
                "stub-busy",
                "stub: try again",
                Some(std::time::Duration::ZERO),
            )),
            "fatal" => Err(GatewayError::fatal("stub-auth", "stub: bad credentials")),
            "unknown" => Err(GatewayError::unknown(
                "stub-timeout",
                "stub: timed out after sending",
            )),
            _ => Ok(Receipt {
                provider_id: Some(format!("stub-{}", self.calls)),
                segments: Some(sms.segments),
                price: None,
            }),
        }
    }
}
