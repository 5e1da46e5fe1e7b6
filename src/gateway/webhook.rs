//! The generic webhook, for shops that send through their own service: a JSON POST of
//! `{"to","text","cart_id","idempotency_key"}` signed with `X-Cartnudge-Signature: sha256=<hex
//! HMAC-SHA256 of the exact body>`, plus an `Idempotency-Key` header so the receiver can drop a
//! repeat. 2xx is sent, 401/403 fatal, 429/503 retry, other 4xx permanent, other 5xx unknown.

use super::http::{self, Body, Http, Scrubber};
use super::{EnvLookup, Gateway, GatewayError, Receipt, Sms};
use crate::gateway::Config;
use anyhow::{Result, bail};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;

pub struct Webhook {
    http: Http,
    url: String,
    secret: String,
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("url", &self.url)
            .field("secret", &"[redacted]")
            .finish()
    }
}

impl Webhook {
    pub fn new(cfg: &Config, env: EnvLookup<'_>) -> Result<Webhook> {
        if cfg.test_mode {
            bail!(
                "the webhook gateway has no validate-only mode, so --gateway-test would send real messages"
            );
        }
        let Some(url) = cfg.raw.url.clone().or_else(|| cfg.raw.base_url.clone()) else {
            bail!(
                "gateway.url is required for the webhook gateway, e.g. url = \"https://hooks.shop.example/sms\""
            );
        };
        http::check_url("url", &url)?;
        let secret = http::secret(
            "secret_env",
            cfg.raw.secret_env.as_deref(),
            env,
            "the webhook's HMAC key",
        )?;
        Ok(Webhook {
            http: Http::new(cfg, Scrubber::new(&[&secret])),
            url,
            secret,
        })
    }
}

/// `sha256=<hex>` of the body under the key.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let mut out = String::from("sha256=");
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

impl Gateway for Webhook {
    fn name(&self) -> &'static str {
        "webhook"
    }

    fn send(&mut self, sms: &Sms<'_>) -> Result<Receipt, GatewayError> {
        self.http.bound(sms.deadline);
        let body = serde_json::to_vec(&serde_json::json!({
            "to": sms.to.as_str(),
            "text": sms.text,
            "cart_id": sms.cart_id,
            "idempotency_key": sms.idempotency_key,
        }))
        .expect("JSON of strings");
        let sig = signature(self.secret.as_bytes(), &body);
        let headers = [
            ("X-Cartnudge-Signature", sig.as_str()),
            ("Idempotency-Key", sms.idempotency_key),
        ];
        let reply = self
            .http
            .post("webhook", &self.url, &headers, Body::Json(&body))?;
        let message = || {
            format!(
                "webhook: HTTP {} {}",
                reply.status,
                self.http.scrub(&reply.snippet())
            )
        };
        let code = reply.status.to_string();
        match reply.status {
            200..=299 => {
                let id = reply.json().and_then(|j| http::json_text(j.get("id")));
                Ok(Receipt {
                    provider_id: id,
                    segments: None,
                    price: None,
                })
            }
            401 | 403 => Err(GatewayError::fatal(
                code,
                format!("{}; check secret_env", message()),
            )),
            429 | 503 => Err(GatewayError::transient(code, message(), reply.retry_after)),
            400..=499 => Err(GatewayError::permanent(code, message())),
            500..=599 => Err(GatewayError::unknown(
                code,
                format!("{}; it may have been delivered", message()),
            )),
            _ => Err(self.http.by_status("webhook", &reply)),
        }
    }
}
