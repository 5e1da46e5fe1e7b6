//! `[gateway]`: the table as written and the validated `Config` every provider is built from.
//! Keys that belong to another provider are refused with the kinds they apply to.

use crate::model::{GatewayKind, key_applies, parse_std_duration};
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
    /// How long one `send` run may take before the rest of the batch is deferred ("10m").
    pub deadline: Option<String>,
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
    /// Permits a plain `http://` base_url or url to a host other than loopback (credentials and
    /// phone numbers then cross the network in clear text).
    pub allow_insecure_http: Option<bool>,
    // stub: phone (E.164) → outcome ("sent", "permanent", "optout", "transient", "fatal", "unknown")
    pub outcomes: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// A send run defers what is left after this long (`--deadline` overrides), so a run never
    /// outlives its cron interval.
    pub deadline: Duration,
    pub kind: GatewayKind,
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
    let name = raw
        .kind
        .clone()
        .ok_or_else(|| anyhow!("kind is missing; e.g. kind = \"file\""))?;
    let kind = GatewayKind::parse(&name).ok_or_else(|| {
        let all: Vec<&str> = GatewayKind::ALL.iter().map(|k| k.as_str()).collect();
        anyhow!("kind `{name}` is unknown; use one of: {}", all.join(", "))
    })?;
    check_kind_keys(&raw, kind.as_str())?;
    if let Some(url) = raw.base_url.as_deref().or(raw.url.as_deref()) {
        check_url(url, raw.allow_insecure_http.unwrap_or(false))?;
    }
    if raw.max_tries == Some(0) {
        bail!("max_tries = 0 would never call the gateway; use 1 (no retries) or more");
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
        max_tries: raw.max_tries.unwrap_or(3),
        deadline: parse_std_duration(raw.deadline.as_deref().unwrap_or("10m"))
            .context("deadline")?,
        test_mode: false,
        kind,
        raw,
    })
}

/// Every HTTP provider; `file` and `stub` make no requests.
const HTTP: &[&str] = &[
    "twilio",
    "smsru",
    "smsc",
    "messagebird",
    "vonage",
    "webhook",
];

/// Keys that only some gateway kinds read.
fn check_kind_keys(r: &RawGateway, kind: &str) -> Result<()> {
    const TWILIO: &[&str] = &["twilio"];
    let keys: [(&str, bool, &[&str]); 18] = [
        ("path", r.path.is_some(), &["file", "stub"]),
        ("base_url", r.base_url.is_some(), HTTP),
        ("allow_insecure_http", r.allow_insecure_http.is_some(), HTTP),
        (
            "from",
            r.from.is_some(),
            &["twilio", "smsru", "smsc", "messagebird", "vonage"],
        ),
        ("account_sid_env", r.account_sid_env.is_some(), TWILIO),
        ("auth_token_env", r.auth_token_env.is_some(), TWILIO),
        ("api_key_sid_env", r.api_key_sid_env.is_some(), TWILIO),
        (
            "messaging_service_sid",
            r.messaging_service_sid.is_some(),
            TWILIO,
        ),
        ("status_callback", r.status_callback.is_some(), TWILIO),
        ("api_id_env", r.api_id_env.is_some(), &["smsru"]),
        ("login_env", r.login_env.is_some(), &["smsc"]),
        ("password_env", r.password_env.is_some(), &["smsc"]),
        (
            "access_key_env",
            r.access_key_env.is_some(),
            &["messagebird"],
        ),
        ("api_key_env", r.api_key_env.is_some(), &["vonage"]),
        ("api_secret_env", r.api_secret_env.is_some(), &["vonage"]),
        ("url", r.url.is_some(), &["webhook"]),
        ("secret_env", r.secret_env.is_some(), &["webhook"]),
        ("outcomes", !r.outcomes.is_empty(), &["stub"]),
    ];
    for (key, set, kinds) in keys {
        key_applies(key, set, kind, kinds)?;
    }
    key_applies("currency", r.currency.is_some(), kind, &["smsc", "vonage"])
}

/// A base URL must be http(s) with a host; plain http only to loopback unless allowed.
fn check_url(url: &str, allow_insecure_http: bool) -> Result<()> {
    let bad = || {
        anyhow!("`{url}` is not a URL; write it like \"https://api.example.com\" (scheme and host)")
    };
    let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(bad());
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" => Ok(()),
        "http" if allow_insecure_http || is_loopback(host) => Ok(()),
        "http" => bail!(
            "`{url}` is plain http to {host}: credentials and phone numbers would cross the network in clear text; use https, or set allow_insecure_http = true"
        ),
        _ => Err(bad()),
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback_unless_allowed() {
        assert!(check_url("https://api.twilio.com", false).is_ok());
        assert!(check_url("http://127.0.0.1:8080", false).is_ok());
        assert!(check_url("http://localhost/x", false).is_ok());
        assert!(check_url("http://[::1]:99", false).is_ok());
        let e = check_url("http://api.twilio.com", false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("allow_insecure_http"), "{e}");
        assert!(check_url("http://api.twilio.com", true).is_ok());
        assert!(check_url("api.twilio.com", false).is_err());
        assert!(check_url("https://", false).is_err());
        assert!(check_url("ftp://x.example", false).is_err());
    }

    #[test]
    fn a_key_of_another_kind_is_named() {
        let raw = RawGateway {
            kind: Some("file".into()),
            account_sid_env: Some("SID".into()),
            ..Default::default()
        };
        let e = from_raw(raw, &|p| PathBuf::from(p))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`account_sid_env`") && e.contains("twilio"),
            "{e}"
        );
    }
}
