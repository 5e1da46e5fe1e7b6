//! Shopify Admin REST API: abandoned checkouts (`checkouts.json`) as carts and `orders.json` as
//! orders, 250 per page, following the cursor in the `Link: <…page_info=…>; rel="next"` header.
//! Pages are fetched as the rows are read, so memory holds one page. The access token comes from
//! the environment variable named by `access_token_env` and is sent only to `base_url`: a next-page
//! link pointing elsewhere is re-based onto it.
//!
//! Each record gets the cart (or order) fields worked out from Shopify's shape — phone from the
//! checkout, else the SMS marketing phone, shipping, billing or customer phone; consent only from SMS
//! marketing consent (`customer.sms_marketing_consent.state = "subscribed"` or
//! `buyer_accepts_sms_marketing`), never from email marketing; `completed_at` as status
//! "completed"; `abandoned_checkout_url` as the link — under the field names, so no column mapping
//! is needed, and any other value is reachable with a dotted path in `columns`.

use super::pick::PathMap;
use super::{RowError, Rows};
use crate::model::Location;
use crate::model::parse_std_duration;
use crate::source::Config;
use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::time::Duration;

mod derive;

use derive::derive;

pub const DEFAULT_API_VERSION: &str = "2025-01";
const PAGE_LIMIT: usize = 250;
const MAX_PAGE_BYTES: u64 = 64 * 1024 * 1024;

pub fn open(s: &Config, fields: &'static [&'static str], required: &[&str]) -> Result<Rows> {
    let orders = s.table == "[orders]";
    let t = s.table.trim_matches(|c| c == '[' || c == ']');
    let base = base_url(s)?;
    let var = s.raw.access_token_env.clone().with_context(|| {
        format!("{t}: `access_token_env` is missing; name the environment variable holding the Admin API access token")
    })?;
    let token = std::env::var(&var)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .with_context(|| format!("environment variable {var} (named by {t}.access_token_env) is not set; set it to the Admin API access token"))?;
    let version = s
        .raw
        .api_version
        .clone()
        .unwrap_or_else(|| DEFAULT_API_VERSION.into());
    let lookback =
        parse_std_duration(
            s.raw
                .lookback
                .as_deref()
                .unwrap_or(if orders { "30d" } else { "7d" }),
        )
        .with_context(|| format!("{t}.lookback"))?;
    let since = s.now - chrono::Duration::from_std(lookback)?;
    let since = since.format("%Y-%m-%dT%H:%M:%SZ");
    let first = if orders {
        format!(
            "{base}/admin/api/{version}/orders.json?status=any&limit={PAGE_LIMIT}&created_at_min={since}"
        )
    } else {
        format!(
            "{base}/admin/api/{version}/checkouts.json?limit={PAGE_LIMIT}&updated_at_min={since}"
        )
    };
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(s.query_timeout))
            .build(),
    );
    let mut pages = Pages {
        agent,
        base,
        token,
        token_var: var,
        next: Some(first),
        orders,
        buf: VecDeque::new(),
        fetched: 0,
    };
    pages.fill().map_err(|e| anyhow!("Shopify: {e}"))?;
    let label = if orders {
        "Shopify orders"
    } else {
        "Shopify checkouts"
    };
    let first_doc = pages
        .buf
        .front()
        .cloned()
        .unwrap_or_else(|| derive(&json!({}), orders));
    let map = PathMap::new(&first_doc, s, fields, required, label)?;
    let mut n = 0u64;
    Ok(Box::new(std::iter::from_fn(move || {
        let doc = match pages.next_doc()? {
            Ok(d) => d,
            Err(e) => {
                return Some(Err(RowError {
                    loc: Location {
                        source: label.into(),
                        line: n + 1,
                        record: None,
                    },
                    column: None,
                    message: e,
                }));
            }
        };
        n += 1;
        Some(map.row(
            Location {
                source: label.into(),
                line: n,
                record: None,
            },
            &doc,
        ))
    })))
}

fn base_url(s: &Config) -> Result<String> {
    let t = s.table.trim_matches(|c| c == '[' || c == ']');
    let base = match (&s.raw.base_url, &s.raw.shop) {
        (Some(b), _) => b.trim_end_matches('/').to_string(),
        (None, Some(shop)) => {
            let shop = shop.trim().trim_end_matches(".myshopify.com");
            if shop.is_empty() || !shop.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                bail!("{t}.shop = \"{shop}\": give the shop's myshopify name, e.g. \"my-store\"");
            }
            format!("https://{shop}.myshopify.com")
        }
        (None, None) => {
            bail!("{t}: set `shop = \"my-store\"` (for my-store.myshopify.com) or `base_url`")
        }
    };
    if !(base.starts_with("https://") || base.starts_with("http://")) {
        bail!("{t}.base_url = \"{base}\" must start with https://");
    }
    Ok(base)
}

struct Pages {
    agent: ureq::Agent,
    base: String,
    token: String,
    token_var: String,
    next: Option<String>,
    orders: bool,
    buf: VecDeque<Value>,
    fetched: u32,
}

impl Pages {
    fn next_doc(&mut self) -> Option<Result<Value, String>> {
        if self.buf.is_empty()
            && self.next.is_some()
            && let Err(e) = self.fill()
        {
            self.next = None;
            return Some(Err(e));
        }
        self.buf.pop_front().map(Ok)
    }

    /// Fetches the next page into the buffer (empty pages are skipped).
    fn fill(&mut self) -> Result<(), String> {
        while self.buf.is_empty() {
            let Some(url) = self.next.take() else {
                return Ok(());
            };
            let (body, link) = self.get(&url)?;
            self.fetched += 1;
            self.next = link
                .and_then(|l| next_link(&l))
                .map(|u| rebase(&u, &self.base));
            let key = if self.orders { "orders" } else { "checkouts" };
            let page: Value = serde_json::from_str(&body)
                .map_err(|e| format!("page {} is not JSON: {e}", self.fetched))?;
            let items = page
                .get(key)
                .and_then(Value::as_array)
                .ok_or_else(|| format!("page {} has no `{key}` list", self.fetched))?;
            self.buf
                .extend(items.iter().map(|v| derive(v, self.orders)));
        }
        Ok(())
    }

    /// One GET with Shopify's rate limiting (429 + Retry-After) and brief retries of 5xx.
    fn get(&self, url: &str) -> Result<(String, Option<String>), String> {
        let mut tries = 0;
        loop {
            tries += 1;
            let resp = self
                .agent
                .get(url)
                .header("X-Shopify-Access-Token", &self.token)
                .header("Accept", "application/json")
                .call()
                .map_err(|e| format!("request to {} failed: {e}", strip_query(url)))?;
            let status = resp.status().as_u16();
            let header = |name: &str| {
                resp.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            let link = header("link");
            let retry_after = header("retry-after").and_then(|v| crate::net::parse_retry_after(&v));
            match status {
                200..=299 => {
                    let body = resp
                        .into_body()
                        .with_config()
                        .limit(MAX_PAGE_BYTES)
                        .read_to_string()
                        .map_err(|e| format!("reading {} failed: {e}", strip_query(url)))?;
                    return Ok((body, link));
                }
                429 | 500..=599 if tries < 5 => {
                    let wait = retry_after
                        .unwrap_or(Duration::from_secs(tries))
                        .min(Duration::from_secs(10));
                    std::thread::sleep(wait);
                }
                401 | 403 => {
                    return Err(format!(
                        "HTTP {status} from {}: the access token in {} was refused; check it and the app's {} scope",
                        strip_query(url),
                        self.token_var,
                        if self.orders {
                            "read_orders"
                        } else {
                            "read_orders (abandoned checkouts)"
                        }
                    ));
                }
                404 => {
                    return Err(format!(
                        "HTTP 404 from {}: check shop/base_url and api_version",
                        strip_query(url)
                    ));
                }
                _ => return Err(format!("HTTP {status} from {}", strip_query(url))),
            }
        }
    }
}

fn strip_query(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}

/// The `rel="next"` URL of a Link header.
pub fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        let is_next = params
            .split(';')
            .any(|p| p.trim().replace(' ', "") == "rel=\"next\"" || p.trim() == "rel=next");
        is_next.then(|| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}

/// The path and query of `url` on `base`, so the token never goes to another host.
fn rebase(url: &str, base: &str) -> String {
    let path = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map(|i| &rest[i..]).unwrap_or("/"),
        None => url,
    };
    format!("{base}{path}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header() {
        let h = r#"<https://s.myshopify.com/admin/api/2025-01/checkouts.json?limit=250&page_info=abc>; rel="previous", <https://s.myshopify.com/admin/api/2025-01/checkouts.json?limit=250&page_info=def>; rel="next""#;
        assert_eq!(
            next_link(h).unwrap(),
            "https://s.myshopify.com/admin/api/2025-01/checkouts.json?limit=250&page_info=def"
        );
        assert_eq!(
            next_link(r#"<https://x/a?page_info=abc>; rel="previous""#),
            None
        );
        assert_eq!(
            rebase(
                "https://evil.example/admin/api/x.json?page_info=1",
                "http://127.0.0.1:9"
            ),
            "http://127.0.0.1:9/admin/api/x.json?page_info=1"
        );
    }

    #[test]
    fn checkout_fields() {
        let c = json!({"id": 7, "phone": null, "shipping_address": {"phone": "+1 212 555 0100", "country_code": "US"},
            "billing_address": {"phone": "+1 999"}, "buyer_accepts_marketing": true, "total_price": "80.00",
            "currency": "EUR", "presentment_currency": "USD", "completed_at": null,
            "line_items": [{"quantity": 2}, {"quantity": 1}], "abandoned_checkout_url": "https://s/r", "updated_at": "2026-11-20T09:00:00-05:00"});
        let d = derive(&c, false);
        assert_eq!(d["cart_id"], "7");
        assert_eq!(d["phone"], "+1 212 555 0100");
        assert_eq!(d["consent"], false, "email marketing is not SMS consent");
        assert_eq!(d["currency"], "USD");
        assert_eq!(d["items_count"], 3);
        assert_eq!(d["status"], "abandoned");
        assert_eq!(d["country"], "US");
        let c = json!({"id": 8, "completed_at": "2026-11-20T10:00:00Z", "customer": {"sms_marketing_consent": {"state": "subscribed", "consent_updated_at": "2026-01-01T00:00:00Z"}}});
        let d = derive(&c, false);
        assert_eq!(
            (d["consent"].clone(), d["status"].clone()),
            (json!(true), json!("completed"))
        );
        assert_eq!(d["consent_at"], "2026-01-01T00:00:00Z");
    }
}
