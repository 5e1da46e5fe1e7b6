//! What every HTTP gateway shares: one ureq agent with explicit timeouts, and the rules that turn a
//! transport failure or an unreadable answer into a `GatewayError` class. The one question that
//! matters for at-most-once sending is whether the provider may have seen the request: a refused
//! connection or a failed lookup means it did not (transient), anything after the request was
//! written means it may have (unknown, never resent).
//!
//! Error texts pass through `Scrubber`, so a secret (a key in a query string, an account SID in a
//! path, a provider echoing our credentials) never reaches a log, the audit or the ledger.

use super::GatewayError;
pub use super::scrub::Scrubber;
use super::transport::{describe, lookup_fails, written_nothing};
use crate::gateway::Config;
use crate::model::{Currency, Price};
use std::time::Duration;

/// An answer that arrived in full, whatever its status.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub retry_after: Option<Duration>,
    /// `Location` of a redirect, for the error message.
    pub location: Option<String>,
    pub body: String,
}

impl Reply {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_str::<serde_json::Value>(&self.body)
            .ok()
            .filter(|v| v.is_object())
    }

    /// The first characters of the body, on one line, for error messages.
    pub fn snippet(&self) -> String {
        let one_line: String = self
            .body
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(120)
            .collect();
        one_line.trim().to_string()
    }
}

pub enum Body<'a> {
    Form(&'a [(&'a str, &'a str)]),
    Json(&'a [u8]),
}

/// The agent and the scrubber of one gateway.
pub struct Http {
    agent: ureq::Agent,
    scrub: Scrubber,
    timeout: Duration,
    /// The run's deadline: no request may outlive it (set per message by `bound`).
    deadline: std::cell::Cell<Option<std::time::Instant>>,
}

impl Http {
    pub fn new(cfg: &Config, scrub: Scrubber) -> Http {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(cfg.timeout))
            .timeout_connect(Some(cfg.connect_timeout.min(cfg.timeout)))
            .http_status_as_error(false)
            // A redirected POST would be replayed as a GET or dropped; providers do not redirect
            // their API, so a 3xx is reported as a wrong base URL instead of followed.
            .max_redirects(0)
            .max_redirects_will_error(false)
            // A fresh connection per message: a pooled connection the server closed while idle
            // fails only after we wrote to it, which would look like "may have been sent".
            .max_idle_connections(0)
            .max_idle_connections_per_host(0)
            .user_agent(concat!("cartnudge/", env!("CARGO_PKG_VERSION")))
            .build();
        Http {
            agent: config.into(),
            scrub,
            timeout: cfg.timeout,
            deadline: std::cell::Cell::new(None),
        }
    }

    pub fn scrub(&self, text: &str) -> String {
        self.scrub.scrub(text)
    }

    /// Bounds the next requests by the run's deadline (`Sms::deadline`).
    pub fn bound(&self, deadline: Option<std::time::Instant>) {
        self.deadline.set(deadline);
    }

    /// The whole-request timeout: `gateway.timeout`, cut to what is left of the deadline.
    /// None when the deadline has passed: the request is not made (nothing sent).
    fn request_timeout(&self) -> Option<Duration> {
        match self.deadline.get() {
            None => Some(self.timeout),
            Some(d) => {
                let left = d.saturating_duration_since(std::time::Instant::now());
                (!left.is_zero()).then(|| self.timeout.min(left))
            }
        }
    }

    fn deadline_passed(what: &str) -> GatewayError {
        GatewayError::transient(
            "deadline",
            format!("{what}: the run's deadline passed before the request (nothing was sent)"),
            None,
        )
    }

    /// GETs `url` and reads the whole answer. `what` names the call in errors ("twilio status").
    pub fn get(
        &self,
        what: &str,
        url: &str,
        headers: &[(&str, &str)],
    ) -> Result<Reply, GatewayError> {
        let Some(timeout) = self.request_timeout() else {
            return Err(Http::deadline_passed(what));
        };
        let mut req = self
            .agent
            .get(url)
            .config()
            .timeout_global(Some(timeout))
            .build();
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.read(what, url, req.call())
    }

    /// POSTs `body` to `url` and reads the whole answer.
    pub fn post(
        &self,
        what: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Body<'_>,
    ) -> Result<Reply, GatewayError> {
        let Some(timeout) = self.request_timeout() else {
            return Err(Http::deadline_passed(what));
        };
        let mut req = self
            .agent
            .post(url)
            .config()
            .timeout_global(Some(timeout))
            .build();
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let result = match body {
            Body::Form(fields) => req.send_form(fields.iter().copied()),
            Body::Json(bytes) => req.content_type("application/json").send(bytes),
        };
        self.read(what, url, result)
    }

    fn read(
        &self,
        what: &str,
        url: &str,
        result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Reply, GatewayError> {
        let mut resp = result.map_err(|e| self.transport_error(what, url, e))?;
        let status = resp.status().as_u16();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let retry_after = header("retry-after").and_then(|v| crate::net::parse_retry_after(&v));
        let location = header("location").map(|l| self.scrub(&l));
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_vec()
            .map_err(|e| self.transport_error(what, "", e))?;
        Ok(Reply {
            status,
            retry_after,
            location,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }

    fn transport_error(&self, what: &str, url: &str, e: ureq::Error) -> GatewayError {
        let text = self.scrub(&describe(&e));
        if lookup_fails(url) {
            // ureq reports a failed lookup as a plain I/O error: ask the resolver again.
            return GatewayError::transient(
                "dns",
                format!(
                    "{what}: {text}: the gateway's host name does not resolve (nothing was sent)"
                ),
                None,
            );
        }
        if matches!(e, ureq::Error::BadUri(_) | ureq::Error::Http(_)) {
            // Never left the building, and never will: the URL or a header is malformed.
            GatewayError::fatal("request", format!("{what}: {text}; check base_url / url"))
        } else if written_nothing(&e) {
            GatewayError::transient(
                "connect",
                format!("{what}: {text} (nothing was sent)"),
                None,
            )
        } else if matches!(e, ureq::Error::Timeout(_)) {
            GatewayError::unknown(
                "timeout",
                format!("{what}: {text} after the request was sent; it may have been delivered"),
            )
        } else {
            GatewayError::unknown(
                "io",
                format!("{what}: {text}; the request may have been delivered"),
            )
        }
    }

    /// The class an answer gets from its HTTP status alone, when the body says nothing usable
    /// (an HTML error page, garbage JSON, an unknown shape).
    pub fn by_status(&self, what: &str, reply: &Reply) -> GatewayError {
        let detail = format!(
            "{what}: HTTP {} {}",
            reply.status,
            self.scrub(&reply.snippet())
        );
        let code = reply.status.to_string();
        match reply.status {
            300..=399 => GatewayError::fatal(
                code,
                format!(
                    "{what}: HTTP {} redirect to {}; check base_url",
                    reply.status,
                    reply.location.as_deref().unwrap_or("?")
                ),
            ),
            401 | 403 => GatewayError::fatal(code, format!("{detail}; check the credentials")),
            404 => {
                GatewayError::fatal(code, format!("{detail}; check base_url and the account id"))
            }
            408 | 429 => GatewayError::transient(code, detail, reply.retry_after),
            400..=499 => GatewayError::permanent(code, detail),
            // 2xx with an answer we cannot read, 5xx, anything else: it may have gone out.
            _ => GatewayError::unknown(
                code,
                format!("{detail} (unreadable answer; it may have been delivered)"),
            ),
        }
    }
}

/// A price written as a JSON string or number, `None` when absent, null or unreadable.
pub fn json_price(v: Option<&serde_json::Value>, currency: Currency) -> Option<Price> {
    let text = match v? {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => return None,
    };
    Price::parse(&text, currency).ok().map(|p| p.abs())
}

/// A count written as a JSON string or number.
pub fn json_u64(v: Option<&serde_json::Value>) -> Option<u64> {
    match v? {
        serde_json::Value::String(s) => s.trim().parse().ok(),
        serde_json::Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

/// A JSON string or number as text (ids are one or the other depending on the provider).
pub fn json_text(v: Option<&serde_json::Value>) -> Option<String> {
    match v? {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Base URL without a trailing slash; a config error unless it is http(s).
pub fn base_url(cfg: &Config, default: &str) -> anyhow::Result<String> {
    let url = cfg
        .raw
        .base_url
        .as_deref()
        .unwrap_or(default)
        .trim()
        .trim_end_matches('/');
    check_url("base_url", url)?;
    Ok(url.to_string())
}

pub fn check_url(key: &str, url: &str) -> anyhow::Result<()> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    if rest.is_none_or(|r| r.is_empty() || r.starts_with('/')) {
        anyhow::bail!(
            "gateway.{key} `{url}` is not an http(s) URL, e.g. \"https://api.example.com\""
        );
    }
    Ok(())
}

/// Reads the env var a config key names. Errors name the key and the variable, never a value.
pub fn secret(
    cfg_key: &str,
    var: Option<&str>,
    env: super::EnvLookup<'_>,
    hint: &str,
) -> anyhow::Result<String> {
    let var = var.ok_or_else(|| anyhow::anyhow!("gateway.{cfg_key} is missing; set it to the name of the environment variable that holds {hint}"))?;
    env(var).filter(|v| !v.is_empty()).ok_or_else(|| {
        anyhow::anyhow!(
            "environment variable {var} (gateway.{cfg_key}) is not set; it must hold {hint}"
        )
    })
}
