//! The config file as written: the top-level tables, `deny_unknown_fields` so a typo is an error
//! that names the key. Each stage's own table (`RawSource`, `RawRules`, `RawMessage`,
//! `RawGateway`) lives with the stage; this file only holds them together with the small tables
//! that belong to no stage.

use crate::gateway::config::RawGateway;
use crate::message::config::RawMessage;
use crate::rules::config::RawRules;
use crate::source::config::RawSource;
use serde::Deserialize;

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
    pub(super) report: crate::report::config::RawReport,
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
