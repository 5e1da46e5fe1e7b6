//! `report --format json`. The keys of DESIGN.md §12 are a contract, in that order: money as decimal
//! strings, rates as numbers, `null` where a figure cannot be computed (ROI when cost and revenue
//! are in different currencies, lift without a holdout). Extra keys follow; none is ever renamed.

use super::convert;
use super::figures::Figures;
use super::human;
use super::ordered::Obj;
use super::skips::Basis;
use super::summary::{Block, Context, Report};
use super::trust;
use crate::model::{Currency, Money, Price, utc_string};
use serde_json::{Value, json};

fn money(m: Money) -> String {
    m.decimal_string()
}

fn price(p: Option<Price>) -> Value {
    p.map(|p| Value::String(p.decimal_string()))
        .unwrap_or(Value::Null)
}

/// One figures object: the §12 keys in their order, then extras.
pub fn figures_json(f: &Figures, c: Currency, ctx: &Context) -> Obj {
    let holdout = (f.holdout_carts > 0).then(|| {
        json!({"carts": f.holdout_carts, "converted": f.holdout_converted, "rate": f.holdout_rate(),
               "revenue": money(Money::new(f.holdout_revenue, c))})
    });
    let lift = f
        .lift()
        .map(|d| json!({"value": d.value, "ci_low": d.low, "ci_high": d.high}));
    let costs: Vec<Value> = f
        .costs
        .iter()
        .map(|(cur, m)| json!({"currency": cur.code(), "amount": Price::new(*m, *cur).decimal_string()}))
        .collect();
    Obj::new()
        .put("currency", c.code())
        .put("sent", f.sent)
        .put("delivered", f.delivered)
        .put("failed", f.failed)
        .put("unknown", f.unknown)
        .put("segments", f.segments)
        .put("cost", price(f.cost()))
        .put("cost_is_estimate", f.cost_is_estimate)
        .put("recovered_orders", f.recovered_orders)
        .put("recovered_revenue", money(f.revenue(c)))
        .put("recovery_rate", f.recovery_rate())
        .put("roi", f.roi(c))
        .put("cost_per_recovery", price(f.cost_per_recovery()))
        .put("holdout", holdout)
        .put("lift", lift)
        // Extras.
        .put("messages", f.messages())
        .put("undelivered", f.undelivered)
        .put(
            "cost_currency",
            f.cost().map(|p| p.currency.code().to_string()),
        )
        .put("costs", costs)
        .put("cost_missing", f.cost_missing)
        .put("cost_estimated", f.cost_estimated)
        .put("revenue_per_message", f.revenue_per_message(c).map(money))
        .put("converted_before_reminder", f.converted_before)
        .put("profit_roi", ctx.margin_bp.and_then(|m| f.profit_roi(c, m)))
        .put("incremental_revenue", f.incremental_revenue(c).map(money))
        .put("incremental_roi", f.incremental_roi(c))
        .put("roi_converted", f.roi_converted(c, &ctx.rates))
        .put("warnings", trust::warnings(f, c, ctx, true))
}

fn block_json(b: &Block, ctx: &Context) -> Obj {
    let mut v = figures_json(&b.total, b.currency, ctx);
    if !b.groups.is_empty() {
        let groups = b
            .groups
            .iter()
            .map(|g| {
                Obj::new()
                    .put("key", &g.key)
                    .merge(figures_json(g, b.currency, ctx))
            })
            .collect();
        v = v.list("by", groups);
    }
    let daily: Vec<Value> = b
        .daily
        .iter()
        .map(|d| {
            json!({"date": d.date.to_string(), "sent": d.messages, "recovered_orders": d.recovered,
                   "recovered_revenue": money(Money::new(d.revenue, b.currency))})
        })
        .collect();
    v.put("daily", daily)
}

fn converted_json(r: &Report) -> Option<Obj> {
    let t = convert::total(r)?;
    let amount =
        |m: Option<i64>| m.map(|m| human::to_money(Price::new(m, t.currency)).decimal_string());
    let rates: serde_json::Map<String, Value> = t
        .rates
        .iter()
        .map(|(c, rate)| (c.code().to_string(), Value::String(rate.to_string())))
        .collect();
    let missing: Vec<&str> = t.missing.iter().map(Currency::code).collect();
    Some(
        Obj::new()
            .put("currency", t.currency.code())
            .put("rates", rates)
            .put("missing_rates", missing)
            .put("messages", t.messages)
            .put("recovered_orders", t.recovered_orders)
            .put("cost", amount(t.cost))
            .put("recovered_revenue", amount(t.revenue))
            .put("roi", t.roi)
            .put("note", t.title()),
    )
}

pub fn json(r: &Report) -> Obj {
    let ctx = &r.ctx;
    let n = &r.not_messaged;
    let (basis, why) = match &n.basis {
        Basis::DistinctCarts => ("distinct_carts", None),
        Basis::CartRuns(why) => ("cart_runs", Some(why.as_str())),
    };
    Obj::new()
        .put("since", ctx.since.map(utc_string))
        .put("until", utc_string(ctx.until))
        .list(
            "currencies",
            r.blocks.iter().map(|b| block_json(b, ctx)).collect(),
        )
        .put("timezone", ctx.timezone.name())
        .put("margin_percent", ctx.margin_bp.map(|m| m as f64 / 100.0))
        .put("runs", r.runs)
        .put("carts_considered", r.carts_considered)
        .put("skip_reasons", &r.skip_reasons)
        .put("shop", &ctx.shop)
        .put("period", human::period(ctx.since, ctx.until, ctx.timezone))
        .obj(
            "not_messaged",
            Obj::new()
                .put("basis", basis)
                .put("why_not_distinct", why)
                .put("reasons", &n.counts)
                .put("outside_window_cart_runs", &n.outside_window),
        )
        .opt("converted", converted_json(r))
        .put("warnings", trust::report_warnings(r))
}
