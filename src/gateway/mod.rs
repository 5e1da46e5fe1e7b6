//! One trait for every way a text leaves the building, shaped like lettre's `Transport`: `send` one
//! message, get a `Receipt` or a `GatewayError` that says whether the provider processed it. The send
//! loop (`cmd::send`) owns retries, rate limiting and the ledger; a gateway only talks to its provider.

pub mod config;
pub use config::Config;
mod error;
pub mod file;
pub(crate) mod http;
pub mod messagebird;
mod scrub;
pub mod smsc;
pub mod smsru;
pub mod stub;
mod transport;
pub mod twilio;
pub mod vonage;
pub mod webhook;

pub use error::GatewayError;

use crate::message::Encoding;
pub use crate::model::DeliveryState;
use crate::model::{E164, Price};
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
    /// The run's deadline: a request in flight is not allowed to outlive it.
    pub deadline: Option<std::time::Instant>,
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

    /// Whether calls are spaced by `gateway.rate_per_second` (a provider's API is; a local file is not).
    fn paced(&self) -> bool {
        true
    }

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

/// Builds the configured gateway. Missing secrets are a config error (exit 2), raised before any send;
/// the error names the config key and the env var, never a value.
pub fn build(cfg: &Config, env: EnvLookup<'_>) -> Result<Box<dyn Gateway>> {
    use crate::model::GatewayKind as K;
    let gateway: Box<dyn Gateway> = match cfg.kind {
        K::File => Box::new(file::FileGateway::open(cfg)?),
        K::Stub => Box::new(stub::StubGateway::new(cfg)?),
        K::Twilio => Box::new(twilio::Twilio::new(cfg, env)?),
        K::Smsru => Box::new(smsru::SmsRu::new(cfg, env)?),
        K::Smsc => Box::new(smsc::Smsc::new(cfg, env)?),
        K::Messagebird => Box::new(messagebird::MessageBird::new(cfg, env)?),
        K::Vonage => Box::new(vonage::Vonage::new(cfg, env)?),
        K::Webhook => Box::new(webhook::Webhook::new(cfg, env)?),
    };
    Ok(gateway)
}

/// Env-var names the configured gateway reads secrets from, as (config key, variable), for `check`
/// (which says which are missing). A required key left out of the config is `build`'s error.
pub fn required_env(cfg: &Config) -> Vec<(&'static str, String)> {
    let raw = &cfg.raw;
    use crate::model::GatewayKind as K;
    let keys: &[(&'static str, &Option<String>)] = match cfg.kind {
        K::Twilio => &[
            ("account_sid_env", &raw.account_sid_env),
            ("auth_token_env", &raw.auth_token_env),
            ("api_key_sid_env", &raw.api_key_sid_env),
        ],
        K::Smsru => &[("api_id_env", &raw.api_id_env)],
        K::Smsc => &[
            ("login_env", &raw.login_env),
            ("password_env", &raw.password_env),
        ],
        K::Messagebird => &[("access_key_env", &raw.access_key_env)],
        K::Vonage => &[
            ("api_key_env", &raw.api_key_env),
            ("api_secret_env", &raw.api_secret_env),
        ],
        K::Webhook => &[("secret_env", &raw.secret_env)],
        K::File | K::Stub => &[],
    };
    keys.iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (*k, v.clone())))
        .collect()
}

/// Every environment variable the gateway needs that is not set, named at once ("TW_SID
/// (gateway.account_sid_env), TW_TOKEN (gateway.auth_token_env)"); None when all are there.
pub fn missing_env(cfg: &Config, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let missing: Vec<String> = required_env(cfg)
        .into_iter()
        .filter(|(_, var)| env(var).is_none_or(|v| v.is_empty()))
        .map(|(key, var)| format!("{var} (gateway.{key})"))
        .collect();
    (!missing.is_empty()).then(|| missing.join(", "))
}

/// The currency a provider bills in (`gateway.currency`), for prices it reports without one.
fn billing_currency(cfg: &Config, default: &str) -> Result<crate::model::Currency> {
    let code = cfg.raw.currency.as_deref().unwrap_or(default);
    crate::model::Currency::parse(code).map_err(|e| {
        anyhow::anyhow!("gateway.currency `{code}`: {e}; use an ISO 4217 code such as RUB or EUR")
    })
}
