//! Shopify's checkout and order JSON reduced to cartnudge's fields: the phone from wherever the
//! shop keeps it (checkout, customer, billing or shipping address), consent from the customer's SMS
//! marketing state, the recovery URL, the status of an order.

use crate::source::pick::lookup;
use serde_json::{Map, Value};

fn text(v: Option<&Value>) -> Option<Value> {
    match v? {
        Value::String(s) if s.trim().is_empty() => None,
        Value::Null => None,
        Value::Number(n) => Some(Value::String(n.to_string())),
        other => Some(other.clone()),
    }
}

fn first(doc: &Value, paths: &[&str]) -> Value {
    paths
        .iter()
        .find_map(|p| text(lookup(doc, p)))
        .unwrap_or(Value::Null)
}

/// A record with the cart or order fields added under their names (existing keys are replaced).
pub(super) fn derive(doc: &Value, orders: bool) -> Value {
    let mut out = match doc {
        Value::Object(m) => m.clone(),
        _ => Map::new(),
    };
    let mut set = |k: &str, v: Value| {
        out.insert(k.to_string(), v);
    };
    if orders {
        order_fields(doc, &mut set);
    } else {
        checkout_fields(doc, &mut set);
    }
    Value::Object(out)
}

/// An order's fields: id, checkout, customer, phone, email, total, currency, time, status.
fn order_fields(doc: &Value, set: &mut dyn FnMut(&str, Value)) {
    set("order_id", first(doc, &["id"]));
    set("cart_id", first(doc, &["checkout_id"]));
    set("customer_id", first(doc, &["customer.id"]));
    set(
        "phone",
        first(
            doc,
            &[
                "phone",
                "billing_address.phone",
                "shipping_address.phone",
                "customer.phone",
            ],
        ),
    );
    set(
        "email",
        first(doc, &["email", "contact_email", "customer.email"]),
    );
    set(
        "total",
        first(
            doc,
            &["total_price_set.presentment_money.amount", "total_price"],
        ),
    );
    set(
        "currency",
        first(
            doc,
            &[
                "total_price_set.presentment_money.currency_code",
                "presentment_currency",
                "currency",
            ],
        ),
    );
    set("created_at", first(doc, &["created_at"]));
    let status = if text(lookup(doc, "cancelled_at")).is_some() {
        Value::from("cancelled")
    } else {
        first(doc, &["financial_status"])
    };
    set("status", status);
}

/// An abandoned checkout's fields: the phone from wherever the shop keeps it, SMS consent (never
/// email consent), items, the recovery URL, completed or abandoned.
fn checkout_fields(doc: &Value, set: &mut dyn FnMut(&str, Value)) {
    let phones = [
        "phone",
        "sms_marketing_phone",
        "shipping_address.phone",
        "billing_address.phone",
        "customer.phone",
    ];
    let sms = lookup(doc, "customer.sms_marketing_consent");
    let subscribed = sms.and_then(|c| c.get("state")).and_then(Value::as_str) == Some("subscribed");
    let buyer = lookup(doc, "buyer_accepts_sms_marketing").and_then(Value::as_bool) == Some(true);
    let items: i64 = lookup(doc, "line_items")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .map(|i| i.get("quantity").and_then(Value::as_i64).unwrap_or(1))
                .sum()
        })
        .unwrap_or(0);
    set("cart_id", first(doc, &["id", "token"]));
    set("customer_id", first(doc, &["customer.id"]));
    set(
        "name",
        first(
            doc,
            &[
                "customer.first_name",
                "billing_address.first_name",
                "shipping_address.first_name",
            ],
        ),
    );
    set("email", first(doc, &["email", "customer.email"]));
    set("phone", first(doc, &phones));
    set("total", first(doc, &["total_price"]));
    set(
        "currency",
        first(doc, &["presentment_currency", "currency"]),
    );
    set(
        "items_count",
        if lookup(doc, "line_items").is_some() {
            Value::from(items)
        } else {
            Value::Null
        },
    );
    set("updated_at", first(doc, &["updated_at", "created_at"]));
    set("consent", Value::Bool(subscribed || buyer));
    set(
        "consent_at",
        if subscribed {
            first(doc, &["customer.sms_marketing_consent.consent_updated_at"])
        } else {
            Value::Null
        },
    );
    set(
        "country",
        first(
            doc,
            &[
                "shipping_address.country_code",
                "billing_address.country_code",
            ],
        ),
    );
    set(
        "status",
        if text(lookup(doc, "completed_at")).is_some() {
            Value::from("completed")
        } else {
            Value::from("abandoned")
        },
    );
    set("link", first(doc, &["abandoned_checkout_url"]));
}
