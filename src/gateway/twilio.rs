//! Twilio Programmable Messaging: a form POST to `Messages.json` with HTTP Basic auth (Account SID
//! and Auth Token, or an API Key SID and its secret with the Account SID still in the path). Error
//! codes decide the class: 21610 (recipient replied STOP) is an opt-out, 20003/401 stops the batch,
//! 429/20429 is documented as not processed, and a 5xx may have been sent.

use super::http::{self, Body, Http, Reply, Scrubber};
use super::{DeliveryState, DeliveryStatus, EnvLookup, Gateway, GatewayError, Receipt, Sms};
use crate::gateway::Config;
use crate::model::Currency;
use anyhow::{Result, bail};
use std::fmt;

pub const DEFAULT_BASE: &str = "https://api.twilio.com";

/// Sender or messaging-account problems: every further message would fail the same way.
const FATAL_CODES: &[i64] = &[20003, 20005, 20404, 21212, 21606, 21659];

pub struct Twilio {
    http: Http,
    base: String,
    account_sid: String,
    auth: String,
    sender: Sender,
    status_callback: Option<String>,
}

enum Sender {
    From(String),
    Service(String),
}

impl fmt::Debug for Twilio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sender = match &self.sender {
            Sender::From(n) => format!("from {n}"),
            Sender::Service(s) => format!("messaging service {s}"),
        };
        f.debug_struct("Twilio")
            .field("base", &self.base)
            .field("account_sid", &"[redacted]")
            .field("auth", &"[redacted]")
            .field("sender", &sender)
            .finish()
    }
}

impl Twilio {
    pub fn new(cfg: &Config, env: EnvLookup<'_>) -> Result<Twilio> {
        if cfg.test_mode {
            bail!(
                "twilio has no validate-only mode, so --gateway-test would send real messages; \
                 point account_sid_env and auth_token_env at your Twilio test credentials instead"
            );
        }
        let raw = &cfg.raw;
        let account_sid = http::secret(
            "account_sid_env",
            raw.account_sid_env.as_deref(),
            env,
            "your Twilio Account SID (AC…)",
        )?;
        let token_hint = if raw.api_key_sid_env.is_some() {
            "the API key's secret"
        } else {
            "your Twilio Auth Token"
        };
        let token = http::secret(
            "auth_token_env",
            raw.auth_token_env.as_deref(),
            env,
            token_hint,
        )?;
        let user = match raw.api_key_sid_env.as_deref() {
            Some(var) => http::secret(
                "api_key_sid_env",
                Some(var),
                env,
                "your Twilio API Key SID (SK…)",
            )?,
            None => account_sid.clone(),
        };
        let sender = match (raw.from.as_deref(), raw.messaging_service_sid.as_deref()) {
            (Some(_), Some(_)) => {
                bail!("set either gateway.from or gateway.messaging_service_sid, not both")
            }
            (Some(from), None) => Sender::From(from.to_string()),
            (None, Some(sid)) => Sender::Service(sid.to_string()),
            (None, None) => bail!(
                "gateway.from (a Twilio number or sender id) or gateway.messaging_service_sid is required"
            ),
        };
        let auth = crate::net::basic_auth(&user, &token);
        let pair = format!("{user}:{token}");
        let scrub = Scrubber::new(&[&account_sid, &token, &user, &pair, &auth]);
        Ok(Twilio {
            http: Http::new(cfg, scrub),
            base: http::base_url(cfg, DEFAULT_BASE)?,
            auth,
            account_sid,
            sender,
            status_callback: raw.status_callback.clone(),
        })
    }

    fn messages_url(&self) -> String {
        format!(
            "{}/2010-04-01/Accounts/{}/Messages",
            self.base, self.account_sid
        )
    }
}

impl Gateway for Twilio {
    fn name(&self) -> &'static str {
        "twilio"
    }

    fn send(&mut self, sms: &Sms<'_>) -> Result<Receipt, GatewayError> {
        self.http.bound(sms.deadline);
        let mut fields: Vec<(&str, &str)> = vec![("To", sms.to.as_str()), ("Body", sms.text)];
        match &self.sender {
            Sender::From(n) => fields.push(("From", n)),
            Sender::Service(s) => fields.push(("MessagingServiceSid", s)),
        }
        if let Some(cb) = &self.status_callback {
            fields.push(("StatusCallback", cb));
        }
        let url = format!("{}.json", self.messages_url());
        let auth = [
            ("Authorization", self.auth.as_str()),
            ("Accept", "application/json"),
        ];
        let reply = self
            .http
            .post("twilio send", &url, &auth, Body::Form(&fields))?;
        if !reply.is_success() {
            return Err(self.error(&reply));
        }
        let json = reply.json();
        let Some(sid) = json.as_ref().and_then(|j| http::json_text(j.get("sid"))) else {
            return Err(self.http.by_status("twilio send", &reply));
        };
        let json = json.unwrap_or_default();
        // "0" until Twilio has split the message; then our own count stands.
        let segments = http::json_u64(json.get("num_segments"))
            .filter(|n| *n > 0)
            .map(|n| n as u32);
        Ok(Receipt {
            provider_id: Some(sid),
            segments,
            price: price(&json),
        })
    }

    fn has_status(&self) -> bool {
        true
    }

    fn status(&mut self, provider_id: &str) -> Result<DeliveryStatus, GatewayError> {
        if provider_id.is_empty() || !provider_id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(GatewayError::permanent(
                "bad-id",
                format!("`{provider_id}` is not a Twilio message SID"),
            ));
        }
        let url = format!("{}/{provider_id}.json", self.messages_url());
        let auth = [
            ("Authorization", self.auth.as_str()),
            ("Accept", "application/json"),
        ];
        let reply = self.http.get("twilio status", &url, &auth)?;
        if reply.status == 404 {
            // On the status API a 404 is about this one message, not the account.
            return Err(GatewayError::permanent(
                "20404",
                format!("twilio status: no message {provider_id}"),
            ));
        }
        if !reply.is_success() {
            return Err(self.error(&reply));
        }
        let Some(json) = reply.json() else {
            return Err(self.http.by_status("twilio status", &reply));
        };
        let status = json.get("status").and_then(|s| s.as_str()).unwrap_or("");
        let state = match status {
            "delivered" | "read" => DeliveryState::Delivered,
            "undelivered" => DeliveryState::Undelivered,
            "failed" | "canceled" => DeliveryState::Failed,
            _ => DeliveryState::Pending,
        };
        let code = http::json_text(json.get("error_code"))
            .or_else(|| Some(status.to_string()).filter(|s| !s.is_empty()));
        Ok(DeliveryStatus {
            state,
            price: price(&json),
            code,
        })
    }
}

impl Twilio {
    /// Maps a non-2xx answer, by Twilio error code first and HTTP status second.
    fn error(&self, reply: &Reply) -> GatewayError {
        let json = reply.json();
        let code = json
            .as_ref()
            .and_then(|j| j.get("code"))
            .and_then(|c| c.as_i64());
        let Some(code) = code else {
            return self.http.by_status("twilio", reply);
        };
        let text = json
            .as_ref()
            .and_then(|j| j.get("message"))
            .and_then(|m| m.as_str())
            .unwrap_or("");
        let message = self
            .http
            .scrub(&format!("twilio: {text} (HTTP {})", reply.status));
        let c = code.to_string();
        match (code, reply.status) {
            (21610, _) => GatewayError::opted_out(c, message),
            (20429, _) | (_, 429) => GatewayError::transient(c, message, reply.retry_after),
            (_, 401 | 403) => GatewayError::fatal(c, message),
            (code, _) if FATAL_CODES.contains(&code) => GatewayError::fatal(c, message),
            (_, 500..=599) => {
                GatewayError::unknown(c, format!("{message}; it may have been delivered"))
            }
            _ => GatewayError::permanent(c, message),
        }
    }
}

/// Twilio reports prices negative, as strings, and null until the carrier has billed.
fn price(json: &serde_json::Value) -> Option<crate::model::Price> {
    let unit = json
        .get("price_unit")
        .and_then(|u| u.as_str())
        .and_then(|u| Currency::parse(u).ok())?;
    http::json_price(json.get("price"), unit)
}
