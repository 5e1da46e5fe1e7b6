//! Vonage (Nexmo) SMS API: a form POST to `/sms/json` with `api_key`/`api_secret`, `type=unicode`
//! for UCS-2 text. It answers HTTP 200 even on failure, with one entry per part in `messages`;
//! each entry's `status` decides the class ("1" throttled is the only one worth retrying).

use super::http::{self, Body, Http, Scrubber};
use super::{EnvLookup, Gateway, GatewayError, Receipt, Sms};
use crate::gateway::Config;
use crate::message::Encoding;
use crate::model::{Currency, Price};
use anyhow::{Result, bail};
use serde_json::Value;
use std::fmt;

pub const DEFAULT_BASE: &str = "https://rest.nexmo.com";

pub struct Vonage {
    http: Http,
    base: String,
    api_key: String,
    api_secret: String,
    from: String,
    currency: Currency,
}

impl fmt::Debug for Vonage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vonage")
            .field("base", &self.base)
            .field("api_key", &"[redacted]")
            .field("api_secret", &"[redacted]")
            .field("from", &self.from)
            .finish()
    }
}

impl Vonage {
    pub fn new(cfg: &Config, env: EnvLookup<'_>) -> Result<Vonage> {
        if cfg.test_mode {
            bail!(
                "vonage has no validate-only mode, so --gateway-test would send real messages; leave it off for vonage"
            );
        }
        let raw = &cfg.raw;
        let api_key = http::secret(
            "api_key_env",
            raw.api_key_env.as_deref(),
            env,
            "your Vonage API key",
        )?;
        let api_secret = http::secret(
            "api_secret_env",
            raw.api_secret_env.as_deref(),
            env,
            "your Vonage API secret",
        )?;
        let Some(from) = raw.from.clone() else {
            bail!("gateway.from is required for vonage: a number or an alphanumeric sender id");
        };
        Ok(Vonage {
            http: Http::new(cfg, Scrubber::new(&[&api_key, &api_secret])),
            base: http::base_url(cfg, DEFAULT_BASE)?,
            api_key,
            api_secret,
            from,
            currency: super::billing_currency(cfg, "EUR")?,
        })
    }
}

impl Gateway for Vonage {
    fn name(&self) -> &'static str {
        "vonage"
    }

    fn send(&mut self, sms: &Sms<'_>) -> Result<Receipt, GatewayError> {
        self.http.bound(sms.deadline);
        let mut fields: Vec<(&str, &str)> = vec![
            ("api_key", &self.api_key),
            ("api_secret", &self.api_secret),
            ("from", &self.from),
            ("to", sms.to.digits()),
            ("text", sms.text),
        ];
        if sms.encoding == Encoding::Ucs2 {
            fields.push(("type", "unicode"));
        }
        let url = format!("{}/sms/json", self.base);
        let reply = self
            .http
            .post("vonage send", &url, &[], Body::Form(&fields))?;
        let parts = reply
            .json()
            .filter(|_| reply.is_success())
            .and_then(|j| j.get("messages").and_then(Value::as_array).cloned());
        let Some(parts) = parts.filter(|p| !p.is_empty()) else {
            return Err(self.http.by_status("vonage send", &reply));
        };
        let ok = |p: &Value| http::json_u64(p.get("status")) == Some(0);
        let sent = parts.iter().filter(|p| ok(p)).count();
        if sent == 0 {
            return Err(self.classify(&parts[0], reply.retry_after));
        }
        if sent < parts.len() {
            // Some parts went out: resending would repeat them.
            let failed = parts.iter().find(|p| !ok(p)).expect("a failed part");
            let e = self.classify(failed, None);
            return Err(GatewayError::unknown(
                e.code(),
                format!("{}; {sent} of {} parts were sent", e.message(), parts.len()),
            ));
        }
        let id = http::json_text(parts[0].get("message-id"));
        let mut price: Option<Price> = None;
        for p in &parts {
            if let Some(part) = http::json_price(p.get("message-price"), self.currency) {
                price = Some(Price::new(
                    price.map_or(0, |t| t.micros) + part.micros,
                    self.currency,
                ));
            }
        }
        Ok(Receipt {
            provider_id: id,
            segments: Some(parts.len() as u32),
            price,
        })
    }
}

impl Vonage {
    fn classify(&self, part: &Value, retry_after: Option<std::time::Duration>) -> GatewayError {
        let code = http::json_u64(part.get("status"))
            .map(|c| c as i64)
            .unwrap_or(-1);
        let text = part
            .get("error-text")
            .and_then(Value::as_str)
            .unwrap_or("no error-text");
        let message = self.http.scrub(&format!("vonage: {text}"));
        let c = code.to_string();
        match code {
            1 => GatewayError::transient(c, message, retry_after),
            // 4 bad credentials, 8 account barred, 9 quota exceeded, 11 HTTP not enabled,
            // 14 bad signature, 15 invalid sender.
            4 | 8 | 9 | 11 | 14 | 15 => GatewayError::fatal(c, message),
            // 5: an internal error while processing; it may have gone out.
            5 => GatewayError::unknown(c, format!("{message}; it may have been delivered")),
            // 2, 3, 6 bad request, 7 number barred, 29 not whitelisted, and unknown codes.
            _ => GatewayError::permanent(c, message),
        }
    }
}
