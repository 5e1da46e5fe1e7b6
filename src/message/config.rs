//! `[message]`: the table as written and the validated `Config`: templates checked for unknown
//! variables, the per-segment price picked for the gateway's billing currency.

use crate::model::{Currency, Price};
use anyhow::{Context, Result, anyhow, bail};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawMessage {
    pub template: String,
    pub fallback_name: String,
    pub link: String,
    pub campaign: String,
    pub optout_suffix: String,
    pub gsm_normalize: bool,
    pub cost_per_segment: BTreeMap<String, String>,
    pub cost_currency: Option<String>,
}
impl Default for RawMessage {
    fn default() -> Self {
        RawMessage {
            // Names the store (carriers require the brand) and fits one GSM-7 segment for a
            // typical cart: store name up to 20 characters, domain up to 25, a Latin first name.
            template: "{store}: {name}, your cart awaits: {link}".into(),
            fallback_name: "Hi".into(),
            link: "https://shop.example/c/{cart_id}?utm_source=sms&utm_medium=sms&utm_campaign={campaign}".into(),
            campaign: "cart".into(),
            optout_suffix: " STOP to opt out".into(),
            gsm_normalize: true,
            cost_per_segment: BTreeMap::new(),
            cost_currency: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub template: String,
    pub fallback_name: String,
    pub link: String,
    pub campaign: String,
    pub optout_suffix: String,
    pub gsm_normalize: bool,
    /// Estimated price of one segment, in the currency the gateway bills in.
    pub cost_per_segment: Option<Price>,
}

pub fn from_raw(raw: RawMessage) -> Result<Config> {
    if raw.template.trim().is_empty() {
        bail!(
            "template is empty; every customer would get a blank text. Write one, e.g. template = \"{{store}}: {{name}}, your cart awaits: {{link}}\""
        );
    }
    super::template::validate(&raw.template, super::template::MESSAGE_VARS).context("template")?;
    super::template::validate(&raw.link, super::template::LINK_VARS).context("link")?;
    let mut prices = Vec::new();
    for (code, amount) in &raw.cost_per_segment {
        let currency =
            Currency::parse(code).map_err(|e| anyhow!("cost_per_segment.{code}: {e}"))?;
        let price =
            Price::parse(amount, currency).map_err(|e| anyhow!("cost_per_segment.{code}: {e}"))?;
        prices.push(price);
    }
    let cost_per_segment = match (&raw.cost_currency, prices.len()) {
        (_, 0) => None,
        (None, 1) => Some(prices[0]),
        (None, _) => bail!(
            "cost_per_segment lists several currencies; set cost_currency to the one your gateway bills in"
        ),
        (Some(c), _) => {
            let cur = Currency::parse(c).map_err(|e| anyhow!("cost_currency: {e}"))?;
            Some(
                *prices.iter().find(|m| m.currency == cur).ok_or_else(|| {
                    anyhow!("cost_currency = \"{c}\" has no cost_per_segment.{c}")
                })?,
            )
        }
    };
    Ok(Config {
        template: raw.template,
        fallback_name: raw.fallback_name,
        link: raw.link,
        campaign: raw.campaign,
        optout_suffix: raw.optout_suffix,
        gsm_normalize: raw.gsm_normalize,
        cost_per_segment,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Cart, Location, Money};

    /// The "typical cart": a 20-character store name, a 25-character domain, a Latin first
    /// name, an 8-digit cart id.
    #[test]
    fn the_default_template_fits_one_gsm_segment_for_a_typical_cart() {
        let mut cfg = from_raw(RawMessage::default()).unwrap();
        let domain = "twentyfive-chars-shop.com";
        assert_eq!(domain.len(), 25);
        cfg.link = cfg.link.replace("shop.example", domain);
        let cart = Cart {
            loc: Location {
                source: "t".into(),
                line: 1,
                record: None,
            },
            cart_id: "12345678".into(),
            customer_id: None,
            name: Some("Alexander".into()),
            email: None,
            phone: None,
            total: Money::new(1299900, Currency::parse("USD").unwrap()),
            items_count: Some(2),
            updated_at: chrono::Utc::now(),
            consent: true,
            consent_at: None,
            country: None,
            timezone: None,
            status: None,
            link: None,
            email_sent_at: None,
            email_opened_at: None,
        };
        let store = "Twenty Char Shop Co.";
        assert_eq!(store.len(), 20);
        let m = crate::message::render(&cart, &cfg, store);
        assert!(m.text.starts_with(store), "{}", m.text);
        assert!(m.text.contains("utm_source=sms"), "{}", m.text);
        assert_eq!(
            (m.count.encoding.as_str(), m.count.segments),
            ("GSM-7", 1),
            "{} ({} septets)",
            m.text,
            m.count.units
        );
    }
}
