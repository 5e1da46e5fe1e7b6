//! WooCommerce + CartFlows: the cart-abandonment table with its PHP-serialized fields; orders from HPOS or legacy posts.

use super::*;

/// CartFlows "Cart Abandonment Recovery": name, phone and location live in the PHP-serialized
/// `other_fields`; `time` is WordPress local time (set `timezone` to the site's zone).
pub(super) fn cartflows_carts(s: &Config) -> Result<Query> {
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
pub(super) fn woo_orders(s: &Config, d: Dialect) -> Result<Query> {
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
