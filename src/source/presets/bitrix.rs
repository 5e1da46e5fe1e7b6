//! 1C-Bitrix: unordered basket rows per visitor and currency; orders from b_sale_order.

use super::*;

/// 1C-Bitrix: a cart is a visitor's (`FUSER_ID`) basket rows not yet in an order, per currency. Its
/// id is the visitor and the first row, so a later cart of the same visitor is a new cart, and an
/// order made of these rows carries the same id. Dates are server local time (`timezone`).
pub(super) fn bitrix_carts(s: &Config, _d: Dialect) -> Result<Query> {
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

pub(super) fn bitrix_orders(s: &Config) -> Query {
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
