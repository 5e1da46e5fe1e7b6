//! SMSC.ru: a form POST to `/sys/send.php` with `login`/`psw`, `charset=utf-8` (we always send UTF-8)
//! and `fmt=3` for JSON. `cost=3` asks for the price and balance with the send; `--gateway-test`
//! sends `cost=1` instead, which SMSC documents as "return the cost without sending".

use super::http::{self, Body, Http, Reply, Scrubber};
use super::{EnvLookup, Gateway, GatewayError, Receipt, Sms};
use crate::gateway::Config;
use crate::model::Currency;
use anyhow::Result;
use serde_json::Value;
use std::fmt;

pub const DEFAULT_BASE: &str = "https://smsc.ru";

pub struct Smsc {
    http: Http,
    base: String,
    login: String,
    password: String,
    sender: Option<String>,
    currency: Currency,
    test: bool,
}

impl fmt::Debug for Smsc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Smsc")
            .field("base", &self.base)
            .field("login", &"[redacted]")
            .field("password", &"[redacted]")
            .field("sender", &self.sender)
            .field("test", &self.test)
            .finish()
    }
}

impl Smsc {
    pub fn new(cfg: &Config, env: EnvLookup<'_>) -> Result<Smsc> {
        let raw = &cfg.raw;
        let password = http::secret(
            "password_env",
            raw.password_env.as_deref(),
            env,
            "your SMSC password or API key",
        )?;
        // An API key goes in `psw` with an empty login.
        let login = match raw.login_env.as_deref() {
            Some(var) => http::secret("login_env", Some(var), env, "your SMSC login")?,
            None => String::new(),
        };
        Ok(Smsc {
            http: Http::new(cfg, Scrubber::new(&[&login, &password])),
            base: http::base_url(cfg, DEFAULT_BASE)?,
            login,
            password,
            sender: raw.from.clone(),
            currency: super::billing_currency(cfg, "RUB")?,
            test: cfg.test_mode,
        })
    }
}

impl Gateway for Smsc {
    fn name(&self) -> &'static str {
        "smsc"
    }

    fn send(&mut self, sms: &Sms<'_>) -> Result<Receipt, GatewayError> {
        self.http.bound(sms.deadline);
        let mut fields: Vec<(&str, &str)> = vec![
            ("login", &self.login),
            ("psw", &self.password),
            ("phones", sms.to.digits()),
            ("mes", sms.text),
            ("charset", "utf-8"),
            ("fmt", "3"),
            ("cost", if self.test { "1" } else { "3" }),
        ];
        if let Some(sender) = &self.sender {
            fields.push(("sender", sender));
        }
        let url = format!("{}/sys/send.php", self.base);
        let reply = self
            .http
            .post("smsc send", &url, &[], Body::Form(&fields))?;
        let Some(json) = reply.json().filter(|_| reply.is_success()) else {
            return Err(self.http.by_status("smsc send", &reply));
        };
        if json.get("error").is_some() || json.get("error_code").is_some() {
            return Err(self.classify(&json, &reply));
        }
        let id = http::json_text(json.get("id"));
        if id.is_none() && !self.test {
            return Err(GatewayError::unknown(
                "no-id",
                "smsc send: answer without an id or an error; it may have been delivered",
            ));
        }
        Ok(Receipt {
            provider_id: id,
            segments: http::json_u64(json.get("cnt"))
                .filter(|n| *n > 0)
                .map(|n| n as u32),
            price: http::json_price(json.get("cost"), self.currency),
        })
    }
}

impl Smsc {
    fn classify(&self, json: &Value, reply: &Reply) -> GatewayError {
        let code = json
            .get("error_code")
            .and_then(|c| http::json_u64(Some(c)))
            .map(|c| c as i64)
            .unwrap_or(-1);
        let text = json
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("no error text");
        let message = self.http.scrub(&format!("smsc: {text}"));
        let c = code.to_string();
        match code {
            2..=4 => GatewayError::fatal(c, message),
            // A duplicate of a request SMSC saw within the last minute: that one may have gone out.
            9 => GatewayError::unknown(
                c,
                format!("{message}; an identical request was already made, not resending"),
            ),
            1 | 5..=8 => GatewayError::permanent(c, message),
            _ if !reply.is_success() => self.http.by_status("smsc send", reply),
            _ => GatewayError::permanent(c, message),
        }
    }
}
