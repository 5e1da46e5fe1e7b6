//! SMS.ru: a form POST to `/sms/send` with `api_id` and `json=1`. The answer is HTTP 200 with a
//! top-level status (the whole request) and one status per number; `status_code` decides the class.
//! `--gateway-test` sends `test=1`, which SMS.ru validates without sending or charging.

use super::http::{self, Body, Http, Reply, Scrubber};
use super::{DeliveryState, DeliveryStatus, EnvLookup, Gateway, GatewayError, Receipt, Sms};
use crate::gateway::Config;
use crate::model::Currency;
use anyhow::Result;
use serde_json::Value;
use std::fmt;

pub const DEFAULT_BASE: &str = "https://sms.ru";

pub struct SmsRu {
    http: Http,
    base: String,
    api_id: String,
    from: Option<String>,
    test: bool,
}

impl fmt::Debug for SmsRu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmsRu")
            .field("base", &self.base)
            .field("api_id", &"[redacted]")
            .field("from", &self.from)
            .field("test", &self.test)
            .finish()
    }
}

impl SmsRu {
    pub fn new(cfg: &Config, env: EnvLookup<'_>) -> Result<SmsRu> {
        let api_id = http::secret(
            "api_id_env",
            cfg.raw.api_id_env.as_deref(),
            env,
            "your SMS.ru api_id",
        )?;
        Ok(SmsRu {
            http: Http::new(cfg, Scrubber::new(&[&api_id])),
            base: http::base_url(cfg, DEFAULT_BASE)?,
            api_id,
            from: cfg.raw.from.clone(),
            test: cfg.test_mode,
        })
    }
}

impl Gateway for SmsRu {
    fn name(&self) -> &'static str {
        "smsru"
    }

    fn send(&mut self, sms: &Sms<'_>) -> Result<Receipt, GatewayError> {
        self.http.bound(sms.deadline);
        let to = sms.to.digits();
        let mut fields: Vec<(&str, &str)> = vec![
            ("api_id", &self.api_id),
            ("to", to),
            ("msg", sms.text),
            ("json", "1"),
        ];
        if let Some(from) = &self.from {
            fields.push(("from", from));
        }
        if self.test {
            fields.push(("test", "1"));
        }
        let url = format!("{}/sms/send", self.base);
        let reply = self
            .http
            .post("sms.ru send", &url, &[], Body::Form(&fields))?;
        let json = self.top_level(&reply, "sms.ru send")?;
        let Some(entry) = json.get("sms").and_then(|s| s.get(to)) else {
            return Err(GatewayError::unknown(
                "no-entry",
                format!(
                    "sms.ru send: accepted, but no entry for {}",
                    sms.to.masked()
                ),
            ));
        };
        if entry.get("status").and_then(Value::as_str) != Some("OK") {
            return Err(self.classify(entry, reply.retry_after));
        }
        let Some(id) = http::json_text(entry.get("sms_id")) else {
            return Err(GatewayError::unknown(
                "no-id",
                "sms.ru send: accepted without an sms_id",
            ));
        };
        let rub = Currency::parse("RUB").expect("RUB");
        Ok(Receipt {
            provider_id: Some(id),
            segments: http::json_u64(entry.get("sms"))
                .filter(|n| *n > 0)
                .map(|n| n as u32),
            price: http::json_price(entry.get("cost"), rub),
        })
    }

    fn has_status(&self) -> bool {
        true
    }

    fn status(&mut self, provider_id: &str) -> Result<DeliveryStatus, GatewayError> {
        let url = format!(
            "{}/sms/status?api_id={}&sms_id={}&json=1",
            self.base,
            crate::net::encode(&self.api_id),
            crate::net::encode(provider_id)
        );
        let reply = self.http.get("sms.ru status", &url, &[])?;
        let json = self.top_level(&reply, "sms.ru status")?;
        let Some(entry) = json.get("sms").and_then(|s| s.get(provider_id)) else {
            return Err(GatewayError::unknown(
                "no-entry",
                format!("sms.ru status: no entry for {provider_id}"),
            ));
        };
        let code = entry.get("status_code").and_then(Value::as_i64);
        let state = match code {
            Some(103 | 110) => DeliveryState::Delivered,
            Some(104..=108) => DeliveryState::Undelivered,
            Some(150) => DeliveryState::Failed,
            Some(100..=102) => DeliveryState::Pending,
            _ => return Err(self.classify(entry, reply.retry_after)),
        };
        let rub = Currency::parse("RUB").expect("RUB");
        Ok(DeliveryStatus {
            state,
            price: http::json_price(entry.get("cost"), rub),
            code: code.map(|c| c.to_string()),
        })
    }
}

impl SmsRu {
    /// The parsed answer if the request as a whole went through; otherwise its error.
    fn top_level(&self, reply: &Reply, what: &str) -> Result<Value, GatewayError> {
        if !reply.is_success() {
            return Err(self.http.by_status(what, reply));
        }
        let Some(json) = reply.json() else {
            return Err(self.http.by_status(what, reply));
        };
        match json.get("status").and_then(Value::as_str) {
            Some("OK") => Ok(json),
            Some(_) => Err(self.classify(&json, reply.retry_after)),
            None => Err(self.http.by_status(what, reply)),
        }
    }

    /// `status_code` (top-level or per number) → class.
    fn classify(&self, v: &Value, retry_after: Option<std::time::Duration>) -> GatewayError {
        let code = v.get("status_code").and_then(Value::as_i64).unwrap_or(-1);
        let text = v
            .get("status_text")
            .and_then(Value::as_str)
            .unwrap_or("no status_text");
        let message = self.http.scrub(&format!("sms.ru: {text}"));
        let c = code.to_string();
        match code {
            209 | 215 => GatewayError::opted_out(c, message),
            // 300-302: authorization failures in SMS.ru's code list (unverified, so treated like 200).
            200 | 201 | 204 | 206 | 300..=302 => GatewayError::fatal(c, message),
            220 | 500 => GatewayError::transient(c, message, retry_after),
            -1 => GatewayError::permanent("-1", message),
            // 202/207 bad number or no route, 203/205/212 bad text, 230-233 per-number limits, and
            // any code we do not know: this recipient, this run.
            _ => GatewayError::permanent(c, message),
        }
    }
}
