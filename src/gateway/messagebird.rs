//! MessageBird (Bird): a JSON POST to `/messages` with `Authorization: AccessKey …`. Errors come as
//! `{"errors":[{"code":…}]}`: code 2 (HTTP 401) is bad credentials, 9 (HTTP 422) no valid recipient.
//! UCS-2 text is sent with `datacoding: "unicode"`, because the default `plain` replaces Cyrillic.

use super::http::{self, Body, Http, Reply, Scrubber};
use super::{EnvLookup, Gateway, GatewayError, Receipt, Sms};
use crate::gateway::Config;
use crate::message::Encoding;
use anyhow::{Result, bail};
use serde_json::{Value, json};
use std::fmt;

pub const DEFAULT_BASE: &str = "https://rest.messagebird.com";

pub struct MessageBird {
    http: Http,
    base: String,
    auth: String,
    originator: String,
}

impl fmt::Debug for MessageBird {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageBird")
            .field("base", &self.base)
            .field("access_key", &"[redacted]")
            .field("originator", &self.originator)
            .finish()
    }
}

impl MessageBird {
    pub fn new(cfg: &Config, env: EnvLookup<'_>) -> Result<MessageBird> {
        if cfg.test_mode {
            bail!(
                "messagebird has no validate-only mode, so --gateway-test would send real messages; \
                 point access_key_env at a MessageBird test access key instead"
            );
        }
        let key = http::secret(
            "access_key_env",
            cfg.raw.access_key_env.as_deref(),
            env,
            "your MessageBird access key",
        )?;
        let Some(originator) = cfg.raw.from.clone() else {
            bail!(
                "gateway.from is required for messagebird: the originator (a number or up to 11 letters)"
            );
        };
        Ok(MessageBird {
            http: Http::new(cfg, Scrubber::new(&[&key])),
            base: http::base_url(cfg, DEFAULT_BASE)?,
            auth: format!("AccessKey {key}"),
            originator,
        })
    }
}

impl Gateway for MessageBird {
    fn name(&self) -> &'static str {
        "messagebird"
    }

    fn send(&mut self, sms: &Sms<'_>) -> Result<Receipt, GatewayError> {
        self.http.bound(sms.deadline);
        let mut body = json!({
            "originator": self.originator,
            "recipients": [sms.to.digits()],
            "body": sms.text,
            "reference": sms.cart_id,
        });
        if sms.encoding == Encoding::Ucs2 {
            body["datacoding"] = json!("unicode");
        }
        let bytes = serde_json::to_vec(&body).expect("JSON of strings");
        let url = format!("{}/messages", self.base);
        let headers = [
            ("Authorization", self.auth.as_str()),
            ("Accept", "application/json"),
        ];
        let reply = self
            .http
            .post("messagebird send", &url, &headers, Body::Json(&bytes))?;
        if !reply.is_success() {
            return Err(self.error(&reply));
        }
        let json = reply.json();
        let Some(id) = json.as_ref().and_then(|j| http::json_text(j.get("id"))) else {
            return Err(self.http.by_status("messagebird send", &reply));
        };
        let segments = json
            .as_ref()
            .and_then(|j| http::json_u64(j.get("messagePartCount")));
        Ok(Receipt {
            provider_id: Some(id),
            segments: segments.filter(|n| *n > 0).map(|n| n as u32),
            price: None,
        })
    }
}

impl MessageBird {
    fn error(&self, reply: &Reply) -> GatewayError {
        let first = reply
            .json()
            .and_then(|j| j.get("errors").and_then(|e| e.get(0)).cloned());
        let Some(code) = first
            .as_ref()
            .and_then(|e| e.get("code"))
            .and_then(Value::as_i64)
        else {
            return self.http.by_status("messagebird", reply);
        };
        let text = first
            .as_ref()
            .and_then(|e| e.get("description"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let message = self
            .http
            .scrub(&format!("messagebird: {text} (HTTP {})", reply.status));
        let c = code.to_string();
        match (code, reply.status) {
            (_, 429) => GatewayError::transient(c, message, reply.retry_after),
            // 2 bad access key, 25 not enough balance.
            (2 | 25, _) | (_, 401 | 403) => GatewayError::fatal(c, message),
            (_, 500..=599) => {
                GatewayError::unknown(c, format!("{message}; it may have been delivered"))
            }
            // 9 no (correct) recipients, 10 unknown parameter, 21 bad request, …
            _ => GatewayError::permanent(c, message),
        }
    }
}
