//! Platform presets: `preset = "magento2" | "woocommerce-cartflows" | "bitrix" | "shopify"` fills in
//! the kind and the query a shop owner would otherwise write, with the platforms' real table and
//! column names. Every field stays overridable: `columns.X` in a preset is the SQL expression the
//! preset selects for field X (or a dotted path into a document column such as CartFlows'
//! `other_fields`), and `query` replaces the whole query. The expansion happens when settings load,
//! so `check` reports a preset that cannot work (Magento without a named consent source) before
//! anything runs.

use crate::source::Config;
use anyhow::{Result, bail};

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
                None | Some("shopify") => s.kind = "shopify".into(),
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
        "mysql"
    } else {
        "postgres"
    }
    .into();
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

/// Magento's quote has no SMS consent: the owner names where it lives.
fn magento_consent(s: &Config, p: &str) -> Result<String> {
    if s.columns.contains_key("consent") {
        return Ok(String::new()); // given as an expression
    }
    let Some(c) = s.raw.consent_column.as_deref() else {
        let t = s.table.trim_matches(|c| c == '[' || c == ']');
        bail!(
            "preset \"magento2\": Magento stores no SMS consent of its own, so name where yours lives: \
             {t}.consent_column = \"customer.<attribute_code>\" (a yes/no customer attribute) or \
             \"quote.<column>\" (a column an extension adds to `quote`); or {t}.columns.consent = \"<SQL expression>\""
        )
    };
    let (table, col) = c.split_once('.').unwrap_or(("quote", c));
    let col = ident(col, "consent_column")?;
    Ok(match table {
        "customer" => format!(
            "(SELECT v.value FROM {p}customer_entity_int v \
             JOIN {p}eav_attribute ea ON ea.attribute_id = v.attribute_id \
             JOIN {p}eav_entity_type et ON et.entity_type_id = ea.entity_type_id AND et.entity_type_code = 'customer' \
             WHERE v.entity_id = q.customer_id AND ea.attribute_code = '{col}' LIMIT 1)"
        ),
        "quote" => format!("q.{col}"),
        "quote_address" => format!("a.{col}"),
        other => {
            bail!("consent_column = \"{c}\": `{other}` is not customer, quote or quote_address")
        }
    })
}

fn magento_carts(s: &Config, d: Dialect) -> Result<Query> {
    let p = prefix(s, "")?;
    let consent = magento_consent(s, &p)?;
    let mut select = owned(&[
        ("cart_id", "q.entity_id"),
        ("customer_id", "q.customer_id"),
        (
            "name",
            "COALESCE(NULLIF(q.customer_firstname, ''), a.firstname, sh.firstname)",
        ),
        (
            "email",
            "COALESCE(NULLIF(q.customer_email, ''), a.email, sh.email)",
        ),
        ("phone", "COALESCE(NULLIF(a.telephone, ''), sh.telephone)"),
        ("total", "q.grand_total"),
        ("currency", "q.quote_currency_code"),
        ("items_count", "q.items_count"),
        ("country", "COALESCE(a.country_id, sh.country_id)"),
    ]);
    select.push(("updated_at", d.utc("COALESCE(q.updated_at, q.created_at)")));
    if !consent.is_empty() {
        select.push(("consent", consent));
    }
    Ok(Query {
        select,
        documents: vec![],
        paths: vec![],
        tail: format!(
            "FROM {p}quote q\n\
             LEFT JOIN {p}quote_address a ON a.quote_id = q.entity_id AND a.address_type = 'billing'\n\
             LEFT JOIN {p}quote_address sh ON sh.quote_id = q.entity_id AND sh.address_type = 'shipping'\n\
             WHERE q.is_active = 1 AND q.items_count > 0"
        ),
    })
}

fn magento_orders(s: &Config, d: Dialect) -> Query {
    let p = prefix(s, "").unwrap_or_default();
    let mut select = owned(&[
        ("order_id", "o.increment_id"),
        ("cart_id", "o.quote_id"),
        ("customer_id", "o.customer_id"),
        ("phone", "oa.telephone"),
        ("email", "o.customer_email"),
        ("total", "o.grand_total"),
        ("currency", "o.order_currency_code"),
        ("status", "o.state"),
    ]);
    select.push(("created_at", d.utc("o.created_at")));
    Query {
        select,
        documents: vec![],
        paths: vec![],
        tail: format!(
            "FROM {p}sales_order o\n\
             LEFT JOIN {p}sales_order_address oa ON oa.parent_id = o.entity_id AND oa.address_type = 'billing'"
        ),
    }
}

/// CartFlows "Cart Abandonment Recovery": name, phone and location live in the PHP-serialized
/// `other_fields`; `time` is WordPress local time (set `timezone` to the site's zone).
fn cartflows_carts(s: &Config) -> Result<Query> {
    let p = prefix(s, "wp_")?;
    let t = s.table.trim_matches(|c| c == '[' || c == ']');
    let mut select = owned(&[
        ("cart_id", "c.id"),
        ("email", "c.email"),
        ("total", "c.cart_total"),
        ("updated_at", "c.time"),
        ("status", "c.order_status"),
    ]);
    select.push((
        "currency",
        format!("(SELECT option_value FROM {p}options WHERE option_name = 'woocommerce_currency')"),
    ));
    let mut paths = vec![
        ("phone", "other_fields.wcf_phone_number".to_string()),
        ("name", "other_fields.wcf_first_name".to_string()),
        ("country", "other_fields.wcf_location".to_string()),
    ];
    if !s.columns.contains_key("consent") {
        let Some(c) = s.raw.consent_column.as_deref() else {
            bail!(
                "preset \"woocommerce-cartflows\": CartFlows stores no SMS consent, so name where yours lives: \
                 {t}.consent_column = \"other_fields.<key>\" (a checkout field saved with the cart) or \"<column>\" \
                 (a column of {p}cartflows_ca_cart_abandonment)"
            )
        };
        match c.split_once('.') {
            Some(("other_fields", key)) if !key.is_empty() => {
                paths.push(("consent", c.to_string()))
            }
            Some(_) => bail!(
                "consent_column = \"{c}\": use \"other_fields.<key>\" or a column of the cart table"
            ),
            None => select.push(("consent", format!("c.{}", ident(c, "consent_column")?))),
        }
    }
    Ok(Query {
        select,
        // `unsubscribed` is not a field: it withdraws consent (see `consent_veto`).
        documents: vec![
            ("other_fields", "c.other_fields".into()),
            ("unsubscribed", "c.unsubscribed".into()),
        ],
        paths,
        tail: format!("FROM {p}cartflows_ca_cart_abandonment c"),
    })
}

/// WooCommerce orders: HPOS tables (`order_storage = "hpos"`, the default since WooCommerce 8.2)
/// or the legacy posts and postmeta (`order_storage = "posts"`).
fn woo_orders(s: &Config, d: Dialect) -> Result<Query> {
    let p = prefix(s, "wp_")?;
    match s.raw.order_storage.as_deref().unwrap_or("hpos") {
        "hpos" => {
            let mut select = owned(&[
                ("order_id", "o.id"),
                ("customer_id", "NULLIF(o.customer_id, 0)"),
                ("phone", "ba.phone"),
                ("email", "COALESCE(NULLIF(o.billing_email, ''), ba.email)"),
                ("total", "o.total_amount"),
                ("currency", "o.currency"),
                ("status", "REPLACE(o.status, 'wc-', '')"),
            ]);
            select.push(("created_at", d.utc("o.date_created_gmt")));
            Ok(Query {
                select,
                documents: vec![],
                paths: vec![],
                tail: format!(
                    "FROM {p}wc_orders o\n\
                     LEFT JOIN {p}wc_order_addresses ba ON ba.order_id = o.id AND ba.address_type = 'billing'\n\
                     WHERE o.type = 'shop_order'"
                ),
            })
        }
        "posts" => {
            let meta = |k: &str| format!("MAX(CASE WHEN m.meta_key = '{k}' THEN m.meta_value END)");
            let mut select = vec![
                ("order_id", "p.ID".to_string()),
                (
                    "customer_id",
                    format!("NULLIF({}, '0')", meta("_customer_user")),
                ),
                ("phone", meta("_billing_phone")),
                ("email", meta("_billing_email")),
                ("total", meta("_order_total")),
                ("currency", meta("_order_currency")),
                ("status", "REPLACE(p.post_status, 'wc-', '')".to_string()),
            ];
            select.push(("created_at", d.utc("p.post_date_gmt")));
            Ok(Query {
                select,
                documents: vec![],
                paths: vec![],
                tail: format!(
                    "FROM {p}posts p\n\
                     LEFT JOIN {p}postmeta m ON m.post_id = p.ID\n\
                     WHERE p.post_type = 'shop_order'\n\
                     GROUP BY p.ID, p.post_status, p.post_date_gmt"
                ),
            })
        }
        o => bail!(
            "order_storage = \"{o}\"; use \"hpos\" (wc_orders) or \"posts\" (legacy posts and postmeta)"
        ),
    }
}

/// 1C-Bitrix: a cart is a visitor's (`FUSER_ID`) basket rows not yet in an order, per currency. Its
/// id is the visitor and the first row, so a later cart of the same visitor is a new cart, and an
/// order made of these rows carries the same id. Dates are server local time (`timezone`).
fn bitrix_carts(s: &Config, _d: Dialect) -> Result<Query> {
    let p = prefix(s, "b_")?;
    let consent = ident(
        s.raw.consent_column.as_deref().unwrap_or("UF_SMS_CONSENT"),
        "consent_column",
    )?;
    let last_order_phone = format!(
        "(SELECT pv.VALUE FROM {p}sale_order lo \
         JOIN {p}sale_order_props_value pv ON pv.ORDER_ID = lo.ID AND pv.CODE = 'PHONE' \
         WHERE lo.USER_ID = f.USER_ID AND pv.VALUE <> '' ORDER BY lo.DATE_INSERT DESC, lo.ID DESC LIMIT 1)"
    );
    let select = vec![
        ("cart_id", "CONCAT(b.FUSER_ID, '-', MIN(b.ID))".to_string()),
        ("customer_id", "f.USER_ID".into()),
        ("name", "u.NAME".into()),
        ("email", "u.EMAIL".into()),
        (
            "phone",
            format!(
                "COALESCE(NULLIF(uts.UF_PHONE, ''), NULLIF(u.PERSONAL_MOBILE, ''), NULLIF(u.PERSONAL_PHONE, ''), {last_order_phone})"
            ),
        ),
        // QUANTITY is a double: round the product so "4499.969999999" reads as money.
        (
            "total",
            "CAST(SUM(b.PRICE * b.QUANTITY) AS DECIMAL(20,4))".into(),
        ),
        ("currency", "b.CURRENCY".into()),
        ("items_count", "COUNT(*)".into()),
        ("updated_at", "MAX(b.DATE_UPDATE)".into()),
        ("consent", format!("uts.{consent}")),
    ];
    Ok(Query {
        select,
        documents: vec![],
        paths: vec![],
        tail: format!(
            "FROM {p}sale_basket b\n\
             JOIN {p}sale_fuser f ON f.ID = b.FUSER_ID\n\
             LEFT JOIN {p}user u ON u.ID = f.USER_ID\n\
             LEFT JOIN {p}uts_user uts ON uts.VALUE_ID = f.USER_ID\n\
             WHERE b.ORDER_ID IS NULL AND b.DELAY = 'N' AND b.CAN_BUY = 'Y'\n\
             GROUP BY b.FUSER_ID, b.CURRENCY, f.USER_ID, u.NAME, u.EMAIL, u.PERSONAL_MOBILE, u.PERSONAL_PHONE, uts.UF_PHONE, uts.{consent}"
        ),
    })
}

fn bitrix_orders(s: &Config) -> Query {
    let p = prefix(s, "b_").unwrap_or_else(|_| "b_".into());
    let prop = |code: &str| {
        format!(
            "(SELECT MAX(pv.VALUE) FROM {p}sale_order_props_value pv WHERE pv.ORDER_ID = o.ID AND pv.CODE = '{code}')"
        )
    };
    let select = vec![
        ("order_id", "o.ID".to_string()),
        (
            "cart_id",
            format!(
                "(SELECT CONCAT(MIN(bb.FUSER_ID), '-', MIN(bb.ID)) FROM {p}sale_basket bb WHERE bb.ORDER_ID = o.ID)"
            ),
        ),
        ("customer_id", "o.USER_ID".into()),
        ("phone", prop("PHONE")),
        ("email", prop("EMAIL")),
        ("total", "o.PRICE".into()),
        ("currency", "o.CURRENCY".into()),
        ("created_at", "o.DATE_INSERT".into()),
        (
            "status",
            "CASE WHEN o.CANCELED = 'Y' THEN 'canceled' ELSE o.STATUS_ID END".into(),
        ),
    ];
    Query {
        select,
        documents: vec![],
        paths: vec![],
        tail: format!("FROM {p}sale_order o"),
    }
}
