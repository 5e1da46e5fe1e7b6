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
            template: "{name}, your cart ({total}) is waiting: {link}".into(),
            fallback_name: "Hi".into(),
            link: "https://shop.example/cart/{cart_id}?utm_source=sms&utm_medium=abandoned_cart&utm_campaign={campaign}".into(),
            campaign: "abandoned_cart".into(),
            optout_suffix: " Reply STOP to opt out".into(),
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
