//! The config file as written: one serde struct per TOML table, `deny_unknown_fields` so a typo is
//! an error that names the key, and the documented defaults. `super` validates these into `Settings`.

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawConfig {
    pub(super) store: RawStore,
    pub(super) source: Option<RawSource>,
    pub(super) orders: Option<RawSource>,
    pub(super) rules: RawRules,
    pub(super) message: RawMessage,
    pub(super) gateway: Option<RawGateway>,
    pub(super) ledger: RawLedger,
    pub(super) audit: RawAudit,
    pub(super) reconcile: RawReconcile,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawStore {
    pub(super) name: String,
    pub(super) timezone: String,
    pub(super) default_region: String,
}

impl Default for RawStore {
    fn default() -> Self {
        RawStore {
            name: "Our shop".into(),
            timezone: "UTC".into(),
            default_region: "US".into(),
        }
    }
}

/// `[source]` and `[orders]`: where rows come from. Keys beyond DESIGN.md §11 serve the SQL
/// engines and Shopify (`url_env`, `preset`, `table_prefix`, `shop`, `access_token_env`, ...).
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(deny_unknown_fields, default)]
pub struct RawSource {
    pub kind: Option<String>,
    pub path: Option<String>,
    pub query: Option<String>,
    pub timezone: Option<String>,
    pub delimiter: Option<String>,
    pub decimal_separator: Option<String>,
    /// Currency of every row when the source has no currency column.
    pub currency: Option<String>,
    pub columns: BTreeMap<String, String>,
    pub preset: Option<String>,
    pub url_env: Option<String>,
    pub table_prefix: Option<String>,
    pub query_timeout: Option<String>,
    pub base_url: Option<String>,
    pub shop: Option<String>,
    pub api_version: Option<String>,
    pub access_token_env: Option<String>,
    pub consent_column: Option<String>,
    /// A column that, when true, withdraws consent (CartFlows' `unsubscribed`).
    pub consent_veto: Option<String>,
    /// WooCommerce orders: "hpos" (wc_orders, the default) or "posts" (legacy posts/postmeta).
    pub order_storage: Option<String>,
    /// Shopify: how far back to ask for checkouts ("7d") or orders ("30d"), from the real clock.
    pub lookback: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawRules {
    pub(super) min_delay: String,
    pub(super) max_age: String,
    pub(super) cooldown: String,
    pub(super) allowed_hours: String,
    pub(super) max_segments: u32,
    pub(super) holdout_percent: u32,
    pub(super) holdout_salt: String,
    pub(super) order_by: String,
    pub(super) email_first: String,
    pub(super) multi_zone: String,
    pub(super) min_cart_value: BTreeMap<String, String>,
    pub(super) country: BTreeMap<String, RawCountryRule>,
}

impl Default for RawRules {
    fn default() -> Self {
        RawRules {
            min_delay: "60m".into(),
            max_age: "48h".into(),
            cooldown: "7d".into(),
            allowed_hours: "09:00-20:00".into(),
            max_segments: 1,
            holdout_percent: 0,
            holdout_salt: "change-me".into(),
            order_by: "value".into(),
            email_first: String::new(),
            multi_zone: "all".into(),
            min_cart_value: BTreeMap::new(),
            country: BTreeMap::new(),
        }
    }
}

#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawCountryRule {
    pub(super) allowed_hours: Option<String>,
    pub(super) no_sundays: Option<bool>,
    pub(super) no_public_holidays: Option<bool>,
    pub(super) holidays: Option<Vec<String>>,
    pub(super) max_per_day: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawMessage {
    pub(super) template: String,
    pub(super) fallback_name: String,
    pub(super) link: String,
    pub(super) campaign: String,
    pub(super) optout_suffix: String,
    pub(super) gsm_normalize: bool,
    pub(super) cost_per_segment: BTreeMap<String, String>,
    pub(super) cost_currency: Option<String>,
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

/// `[gateway]`: one flat table; each provider reads the keys it needs and says which are missing.
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(deny_unknown_fields, default)]
pub struct RawGateway {
    pub kind: Option<String>,
    pub path: Option<String>,
    pub base_url: Option<String>,
    pub timeout: Option<String>,
    pub connect_timeout: Option<String>,
    pub rate_per_second: Option<f64>,
    pub limit: Option<usize>,
    pub max_tries: Option<u32>,
    pub from: Option<String>,
    // twilio
    pub account_sid_env: Option<String>,
    pub auth_token_env: Option<String>,
    pub api_key_sid_env: Option<String>,
    pub messaging_service_sid: Option<String>,
    pub status_callback: Option<String>,
    // sms.ru
    pub api_id_env: Option<String>,
    // smsc
    pub login_env: Option<String>,
    pub password_env: Option<String>,
    // messagebird
    pub access_key_env: Option<String>,
    // vonage
    pub api_key_env: Option<String>,
    pub api_secret_env: Option<String>,
    // webhook
    pub url: Option<String>,
    pub secret_env: Option<String>,
    // smsc, vonage: the currency the account is billed in, for prices reported without one
    pub currency: Option<String>,
    // stub: phone (E.164) → outcome ("sent", "permanent", "optout", "transient", "fatal", "unknown")
    pub outcomes: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawLedger {
    pub(super) path: String,
}

impl Default for RawLedger {
    fn default() -> Self {
        RawLedger {
            path: "cartnudge.db".into(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawAudit {
    pub(super) dir: String,
    pub(super) mask_phones: bool,
}

impl Default for RawAudit {
    fn default() -> Self {
        RawAudit {
            dir: "audit".into(),
            mask_phones: true,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawReconcile {
    pub(super) attribution_window: String,
}

impl Default for RawReconcile {
    fn default() -> Self {
        RawReconcile {
            attribution_window: "72h".into(),
        }
    }
}
