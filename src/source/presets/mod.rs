//! Platform presets: `preset = "magento2" | "woocommerce-cartflows" | "bitrix" | "shopify"` fills in
//! the kind and the query a shop owner would otherwise write, with the platforms' real table and
//! column names. Every field stays overridable: `columns.X` in a preset is the SQL expression the
//! preset selects for field X (or a dotted path into a document column such as CartFlows'
//! `other_fields`), and `query` replaces the whole query. The expansion happens when settings load,
//! so `check` reports a preset that cannot work (Magento without a named consent source) before
//! anything runs.

use crate::source::Config;
use anyhow::{Result, bail};

use crate::model::SourceKind;

mod bitrix;
mod magento;
mod woocommerce;

use bitrix::{bitrix_carts, bitrix_orders};
use magento::{magento_carts, magento_orders};
use woocommerce::{cartflows_carts, woo_orders};

pub const PRESETS: &[&str] = &["magento2", "woocommerce-cartflows", "bitrix", "shopify"];

/// SQL that differs between the engines these platforms run on.
#[derive(Clone, Copy, PartialEq)]
enum Dialect {
    MySql,
    Postgres,
}

impl Dialect {
    /// A UTC `DATETIME`/`TIMESTAMP` written as RFC 3339, so the source's `timezone` cannot misread it.
    fn utc(self, expr: &str) -> String {
        match self {
            Dialect::MySql => format!("DATE_FORMAT({expr}, '%Y-%m-%dT%H:%i:%sZ')"),
            Dialect::Postgres => format!("to_char({expr}, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"),
        }
    }
}

/// One preset query: field → expression, then the rest of the statement.
struct Query {
    select: Vec<(&'static str, String)>,
    /// Columns holding documents, selected under their own name; fields map into them by path.
    documents: Vec<(&'static str, String)>,
    /// field → path inside a document ("other_fields.wcf_phone_number").
    paths: Vec<(&'static str, String)>,
    tail: String,
}

/// `[orders]` for a config that has only `[source]` with a preset: the same database and preset.
pub fn orders_from(
    source: &crate::source::config::RawSource,
) -> Option<crate::source::config::RawSource> {
    source.preset.as_ref()?;
    Some(crate::source::config::RawSource {
        kind: source.kind.clone(),
        preset: source.preset.clone(),
        url_env: source.url_env.clone(),
        table_prefix: source.table_prefix.clone(),
        query_timeout: source.query_timeout.clone(),
        timezone: source.timezone.clone(),
        base_url: source.base_url.clone(),
        shop: source.shop.clone(),
        api_version: source.api_version.clone(),
        access_token_env: source.access_token_env.clone(),
        order_storage: source.order_storage.clone(),
        ..Default::default()
    })
}

/// Fills `kind`, `query` and the column mapping from `preset`; explicit keys win.
pub fn expand(s: &mut Config) -> Result<()> {
    let Some(preset) = s.raw.preset.clone() else {
        return Ok(());
    };
    let orders = s.table == "[orders]";
    let t = s.table.trim_matches(|c| c == '[' || c == ']');
    match preset.as_str() {
        "shopify" => {
            match s.raw.kind.as_deref() {
                None | Some("shopify") => s.kind = SourceKind::Shopify,
                Some(k) => bail!(
                    "preset \"shopify\" reads the Shopify Admin API; remove {t}.kind = \"{k}\""
                ),
            }
            return Ok(());
        }
        "magento2" | "woocommerce-cartflows" | "bitrix" => {}
        p => bail!(
            "preset \"{p}\" is unknown; use one of: {}",
            PRESETS.join(", ")
        ),
    }
    let dialect = match s.raw.kind.as_deref() {
        None | Some("mysql") => Dialect::MySql,
        Some("postgres") => Dialect::Postgres,
        Some(k) => bail!(
            "preset \"{preset}\" reads a MySQL/MariaDB (or PostgreSQL) database; {t}.kind = \"{k}\" cannot work"
        ),
    };
    s.kind = if dialect == Dialect::MySql {
        SourceKind::Mysql
    } else {
        SourceKind::Postgres
    };
    if s.query.is_some() {
        return Ok(()); // the owner's own query; columns map as for any SQL source
    }
    let mut q = match (preset.as_str(), orders) {
        ("magento2", false) => magento_carts(s, dialect)?,
        ("magento2", true) => magento_orders(s, dialect),
        ("woocommerce-cartflows", false) => {
            s.raw
                .consent_veto
                .get_or_insert_with(|| "unsubscribed".into());
            cartflows_carts(s)?
        }
        ("woocommerce-cartflows", true) => woo_orders(s, dialect)?,
        ("bitrix", false) => bitrix_carts(s, dialect)?,
        _ => bitrix_orders(s),
    };
    // columns.X overrides: a path into a document column, or an SQL expression.
    let mut paths = std::mem::take(&mut q.paths);
    for (field, col) in &s.columns {
        let field = crate::source::config::CART_FIELDS
            .iter()
            .chain(crate::source::config::ORDER_FIELDS)
            .find(|f| *f == field)
            .copied()
            .unwrap_or("");
        q.select.retain(|(f, _)| *f != field);
        paths.retain(|(f, _)| *f != field);
        if q.documents
            .iter()
            .any(|(d, _)| col.split_once('.').is_some_and(|(head, _)| head == *d))
        {
            paths.push((field, col.clone()));
        } else {
            q.select.push((field, col.clone()));
        }
    }
    if s.currency.is_some() {
        q.select.retain(|(f, _)| *f != "currency");
    }
    let mut list: Vec<String> = q
        .select
        .iter()
        .map(|(f, e)| format!("{e} AS {f}"))
        .collect();
    list.extend(q.documents.iter().map(|(d, e)| format!("{e} AS {d}")));
    s.query = Some(format!("SELECT {}\n{}", list.join(",\n       "), q.tail));
    s.columns = paths.into_iter().map(|(f, p)| (f.to_string(), p)).collect();
    Ok(())
}

fn prefix(s: &Config, default: &str) -> Result<String> {
    let p = s
        .raw
        .table_prefix
        .clone()
        .unwrap_or_else(|| default.to_string());
    ident(&p, "table_prefix")?;
    Ok(p)
}

/// Names spliced into SQL must be plain identifiers.
fn ident<'a>(name: &'a str, key: &str) -> Result<&'a str> {
    if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Ok(name)
    } else {
        bail!("{key} = \"{name}\": use letters, digits and `_` only")
    }
}

fn owned(v: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    v.iter().map(|(f, e)| (*f, e.to_string())).collect()
}
