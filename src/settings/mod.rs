//! The TOML config (DESIGN.md §11) read once into a validated `Settings`. Each stage owns its
//! table and validates it (`source::config`, `rules::config`, `message::config`,
//! `gateway::config`); this module only composes them, resolves paths against the config file's
//! folder, and names the file in every error.

use crate::model::{Store, parse_duration, parse_region, parse_tz};
use crate::source::config::{CART_FIELDS, ORDER_FIELDS};
use crate::{gateway, message, rules, source};
use anyhow::{Context, Result, anyhow};
use std::path::{Path, PathBuf};

mod raw;

use raw::RawConfig;

/// Everything a command needs, validated.
#[derive(Debug, Clone)]
pub struct Settings {
    pub config_path: PathBuf,
    pub store: Store,
    pub source: source::Config,
    pub orders: Option<source::Config>,
    pub rules: rules::Config,
    pub message: message::Config,
    pub gateway: gateway::Config,
    pub ledger_path: PathBuf,
    pub audit_dir: PathBuf,
    pub mask_phones: bool,
    pub attribution_window: chrono::Duration,
    pub report: crate::report::config::Config,
}

impl Settings {
    /// Sets the run's "now" wherever a setting needs it (sources that ask for "changed since").
    pub fn at(mut self, now: chrono::DateTime<chrono::Utc>) -> Settings {
        self.source.now = now;
        if let Some(o) = &mut self.orders {
            o.now = now;
        }
        self
    }

    pub fn load(path: &Path) -> Result<Settings> {
        let text = std::fs::read_to_string(path).with_context(|| {
            format!(
                "cannot read config {}; create one with `cartnudge init` or pass --config",
                path.display()
            )
        })?;
        Settings::from_toml(&text, path)
    }

    pub fn from_toml(text: &str, path: &Path) -> Result<Settings> {
        let raw: RawConfig = toml::from_str(text)
            .map_err(|e| anyhow!("config {}: {}", path.display(), e.to_string().trim_end()))?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let base = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        let at = |key: &str| format!("config {}: {key}", path.display());
        let resolve = |p: &str| {
            if p == "-" {
                PathBuf::from("-")
            } else {
                base.join(p)
            }
        };

        let store = Store {
            name: raw.store.name,
            timezone: parse_tz(&raw.store.timezone).with_context(|| at("store.timezone"))?,
            default_region: parse_region(&raw.store.default_region)
                .and_then(|r| {
                    if rules::zones::country_zones(&r).is_empty() {
                        anyhow::bail!("`{r}` is not a country with phone numbers and time zones (ISO 3166 alpha-2, e.g. RU, US)");
                    }
                    Ok(r)
                })
                .with_context(|| at("store.default_region"))?,
        };
        let source_raw = raw.source.ok_or_else(|| {
            anyhow!(
                "{}: no [source] table; say where carts come from (see `cartnudge init`)",
                at("source")
            )
        })?;
        let source = source::config::from_raw(source_raw, "source", CART_FIELDS, &resolve)
            .with_context(|| at("[source]"))?;
        // A platform preset reads orders from the same database unless [orders] says otherwise.
        let orders_raw = raw
            .orders
            .or_else(|| source::presets::orders_from(&source.raw));
        let orders = orders_raw
            .map(|o| {
                source::config::from_raw(o, "orders", ORDER_FIELDS, &resolve)
                    .with_context(|| at("[orders]"))
            })
            .transpose()?;
        let rules = rules::config::from_raw(raw.rules).with_context(|| at("[rules]"))?;
        let message = message::config::from_raw(raw.message).with_context(|| at("[message]"))?;
        let gw_raw = raw.gateway.ok_or_else(|| {
            anyhow!(
                "{}: no [gateway] table; for a first run use kind = \"file\"",
                at("gateway")
            )
        })?;
        let gateway =
            gateway::config::from_raw(gw_raw, &resolve).with_context(|| at("[gateway]"))?;
        Ok(Settings {
            config_path: path.to_path_buf(),
            store,
            source,
            orders,
            rules,
            message,
            gateway,
            ledger_path: resolve(&raw.ledger.path),
            audit_dir: resolve(&raw.audit.dir),
            mask_phones: raw.audit.mask_phones,
            attribution_window: parse_duration(&raw.reconcile.attribution_window)
                .with_context(|| at("reconcile.attribution_window"))?,
            report: crate::report::config::from_raw(raw.report).with_context(|| at("[report]"))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_is_named() {
        let err = Settings::from_toml(
            "[source]\npath='a.csv'\n[gateway]\nkind='file'\n[rules]\nquiet='x'\n",
            Path::new("c.toml"),
        )
        .unwrap_err();
        assert!(
            format!("{err:#}").contains("unknown field `quiet`"),
            "{err:#}"
        );
    }
}
