//! One trait for every way a text leaves the building, shaped like lettre's `Transport`: `send` one
//! message, get a `Receipt` or a `GatewayError` that says whether the provider processed it. The send
//! loop (`cmd::send`) owns retries, rate limiting and the ledger; a gateway only talks to its provider.

mod error;
pub mod file;
pub mod stub;

pub use error::GatewayError;

use crate::message::Encoding;
use crate::model::{E164, Price};
use crate::settings::GatewaySettings;
use anyhow::Result;

/// One message, ready to go.
#[derive(Debug, Clone)]
pub struct Sms<'a> {
    pub to: &'a E164,
    pub text: &'a str,
    pub encoding: Encoding,
    pub segments: u32,
    pub cart_id: &'a str,
    /// Stable per cart: a provider that dedups by key will drop a repeat.
    pub idempotency_key: &'a str,
    /// When the run says "now" (for outbox timestamps).
    pub at: chrono::DateTime<chrono::Utc>,
}

/// What a provider said when it accepted a message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Receipt {
    pub provider_id: Option<String>,
    /// Segments the provider counted, when it says.
    pub segments: Option<u32>,
    /// Actual price (positive), when the provider says.
    pub price: Option<Price>,
}

/// Delivery state from a provider's status API (used by `reconcile`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Queued, sending or sent: not final yet.
    Pending,
    Delivered,
    Undelivered,
    Failed,
}

impl DeliveryState {
    pub fn as_str(&self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Undelivered => "undelivered",
            DeliveryState::Failed => "failed",
        }
    }

    pub fn is_final(&self) -> bool {
        !matches!(self, DeliveryState::Pending)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryStatus {
    pub state: DeliveryState,
    pub price: Option<Price>,
    /// Provider's status or error code, for the ledger.
    pub code: Option<String>,
}

pub trait Gateway {
    /// Name recorded in the ledger and audit ("twilio", "file", ...).
    fn name(&self) -> &'static str;

    fn send(&mut self, sms: &Sms<'_>) -> Result<Receipt, GatewayError>;

    /// Whether `status` is implemented.
    fn has_status(&self) -> bool {
        false
    }

    /// Delivery status of an earlier send, by the provider's message id.
    fn status(&mut self, provider_id: &str) -> Result<DeliveryStatus, GatewayError> {
        let _ = provider_id;
        Err(GatewayError::permanent(
            "unsupported",
            format!("gateway {} has no status API", self.name()),
        ))
    }
}

/// Looks up secrets: the process environment in the binary, a map in tests.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Builds the configured gateway. Missing secrets are a config error (exit 2), raised before any send.
pub fn build(cfg: &GatewaySettings, env: EnvLookup<'_>) -> Result<Box<dyn Gateway>> {
    let _ = env;
    match cfg.kind.as_str() {
        "file" => Ok(Box::new(file::FileGateway::open(cfg)?)),
        "stub" => Ok(Box::new(stub::StubGateway::new(cfg)?)),
        other => anyhow::bail!(
            "gateway.kind `{other}` is not available in this build; use one of: {}",
            KINDS.join(", ")
        ),
    }
}

/// Every gateway kind the config accepts.
pub const KINDS: &[&str] = &["file", "stub"];

/// Env-var names the configured gateway needs, for `check` (which says which are missing).
pub fn required_env(cfg: &GatewaySettings) -> Vec<(&'static str, String)> {
    let _ = cfg;
    Vec::new()
}
