//! `[gateway]`: the table as written and the validated `Config` every provider is built from.
//! Keys that belong to another provider are refused with the kinds they apply to.

use crate::model::parse_std_duration;
use anyhow::{Context, Result, anyhow, bail};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// `[gateway]`: one flat table; each provider reads the keys it needs and says which are missing.
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(deny_unknown_fields, default)]
pub struct RawGateway {
    pub kind: Option<String>,
    pub path: Option<String>,
    pub base_url: Option<String>,
    pub timeout: Option<String>,
    pub connect_timeout: Option<String>,
    pub rate_per_second: Option<f64>,
    pub limit: Option<usize>,
    pub max_tries: Option<u32>,
    pub from: Option<String>,
    // twilio
    pub account_sid_env: Option<String>,
    pub auth_token_env: Option<String>,
    pub api_key_sid_env: Option<String>,
    pub messaging_service_sid: Option<String>,
    pub status_callback: Option<String>,
    // sms.ru
    pub api_id_env: Option<String>,
    // smsc
    pub login_env: Option<String>,
    pub password_env: Option<String>,
    // messagebird
    pub access_key_env: Option<String>,
    // vonage
    pub api_key_env: Option<String>,
    pub api_secret_env: Option<String>,
    // webhook
    pub url: Option<String>,
    pub secret_env: Option<String>,
    // smsc, vonage: the currency the account is billed in, for prices reported without one
    pub currency: Option<String>,
    // stub: phone (E.164) → outcome ("sent", "permanent", "optout", "transient", "fatal", "unknown")
    pub outcomes: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub kind: String,
    pub path: Option<PathBuf>,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub rate_per_second: f64,
    pub limit: usize,
    pub max_tries: u32,
    /// `send --gateway-test`: providers' validate-only mode.
    pub test_mode: bool,
    pub raw: RawGateway,
}

pub fn from_raw(raw: RawGateway, resolve: &dyn Fn(&str) -> PathBuf) -> Result<Config> {
    let kind = raw
        .kind
        .clone()
        .ok_or_else(|| anyhow!("kind is missing; e.g. kind = \"file\""))?;
    if !super::KINDS.contains(&kind.as_str()) {
        bail!(
            "kind `{kind}` is unknown; use one of: {}",
            super::KINDS.join(", ")
        );
    }
    let rate = raw.rate_per_second.unwrap_or(10.0);
    if !(rate >= 0.0 && rate.is_finite()) {
        bail!("rate_per_second must be 0 (unlimited) or more");
    }
    Ok(Config {
        path: raw.path.as_deref().map(resolve),
        timeout: parse_std_duration(raw.timeout.as_deref().unwrap_or("10s")).context("timeout")?,
        connect_timeout: parse_std_duration(raw.connect_timeout.as_deref().unwrap_or("5s"))
            .context("connect_timeout")?,
        rate_per_second: rate,
        limit: raw.limit.unwrap_or(20),
        max_tries: raw.max_tries.unwrap_or(3).max(1),
        test_mode: false,
        kind,
        raw,
    })
}
