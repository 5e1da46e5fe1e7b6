//! Magento 2: open quotes with their billing address; orders from sales_order.

use super::*;

/// Magento's quote has no SMS consent: the owner names where it lives.
pub(super) fn magento_consent(s: &Config, p: &str) -> Result<String> {
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

pub(super) fn magento_carts(s: &Config, d: Dialect) -> Result<Query> {
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

pub(super) fn magento_orders(s: &Config, d: Dialect) -> Query {
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
