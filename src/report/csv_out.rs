//! `report --format csv`: one row per currency (`group` = `all`), then one per `--by` group, with
//! the plain machine forms (decimal strings, rates as numbers) like the JSON.

use super::figures::Figures;
use super::summary::{Context, Report};
use crate::model::{Currency, Money};

pub const HEADER: &[&str] = &[
    "currency",
    "group",
    "sent",
    "delivered",
    "undelivered",
    "failed",
    "unknown",
    "segments",
    "cost",
    "cost_currency",
    "cost_is_estimate",
    "recovered_orders",
    "recovered_revenue",
    "recovery_rate",
    "roi",
    "cost_per_recovery",
    "revenue_per_message",
    "converted_before_reminder",
    "holdout_carts",
    "holdout_converted",
    "holdout_rate",
    "lift",
    "lift_ci_low",
    "lift_ci_high",
    "incremental_revenue",
    "incremental_roi",
    "profit_roi",
    "roi_converted",
];

fn num(x: Option<f64>) -> String {
    x.map(|v| {
        format!("{v:.6}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    })
    .unwrap_or_default()
}

fn money(m: Option<Money>) -> String {
    m.map(|m| m.decimal_string()).unwrap_or_default()
}

fn row(f: &Figures, c: Currency, ctx: &Context) -> Vec<String> {
    let lift = f.lift();
    let cost = f.cost();
    vec![
        c.to_string(),
        f.key.clone(),
        f.sent.to_string(),
        f.delivered.to_string(),
        f.undelivered.to_string(),
        f.failed.to_string(),
        f.unknown.to_string(),
        f.segments.to_string(),
        cost.map(|p| p.decimal_string()).unwrap_or_default(),
        cost.map(|p| p.currency.to_string()).unwrap_or_default(),
        f.cost_is_estimate.to_string(),
        f.recovered_orders.to_string(),
        f.revenue(c).decimal_string(),
        num(f.recovery_rate()),
        num(f.roi(c)),
        f.cost_per_recovery()
            .map(|p| p.decimal_string())
            .unwrap_or_default(),
        money(f.revenue_per_message(c)),
        f.converted_before.to_string(),
        f.holdout_carts.to_string(),
        f.holdout_converted.to_string(),
        num(f.holdout_rate()),
        num(lift.map(|d| d.value)),
        num(lift.map(|d| d.low)),
        num(lift.map(|d| d.high)),
        money(f.incremental_revenue(c)),
        num(f.incremental_roi(c)),
        num(ctx.margin_bp.and_then(|m| f.profit_roi(c, m))),
        num(f.roi_converted(c, &ctx.rates)),
    ]
}

pub fn csv(r: &Report) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(HEADER)?;
    for b in &r.blocks {
        w.write_record(row(&b.total, b.currency, &r.ctx))?;
        for g in &b.groups {
            w.write_record(row(g, b.currency, &r.ctx))?;
        }
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}
