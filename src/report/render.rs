//! Table, CSV and JSON forms of a report. The JSON keys of DESIGN.md §12 are a contract: money as
//! decimal strings, rates as numbers, `null` where a figure cannot be computed (ROI when cost and
//! revenue are in different currencies, lift without a holdout). Extra keys may be added, never renamed.

use super::figures::{Block, Figures, Report, grouped};
use super::ordered::Obj;
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
pub fn figures_json(f: &Figures, c: Currency, margin_bp: Option<i64>) -> Obj {
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
        .put("revenue_per_message", f.revenue_per_message(c).map(money))
        .put("converted_before_reminder", f.converted_before)
        .put("profit_roi", margin_bp.and_then(|m| f.profit_roi(c, m)))
        .put("incremental_revenue", f.incremental_revenue(c).map(money))
        .put("incremental_roi", f.incremental_roi(c))
        .put("warnings", warnings(f, c))
}

/// Plain sentences about what the numbers cannot say.
pub fn warnings(f: &Figures, c: Currency) -> Vec<String> {
    let mut w = Vec::new();
    if f.costs.len() > 1 || (f.costs.len() == 1 && !f.costs.contains_key(&c)) {
        let billed: Vec<&str> = f.costs.keys().map(Currency::code).collect();
        w.push(format!("cost is billed in {} but revenue is in {c}: ROI cannot be computed without an exchange rate", billed.join(" and ")));
    }
    if f.cost_missing > 0 {
        w.push(format!("{} messages have neither an actual price nor an estimate (set message.cost_per_segment); cost is understated", f.cost_missing));
    }
    if f.other_currency_recoveries > 0 {
        w.push(format!("{} recovered orders were paid in another currency than the cart's and are not counted here", f.other_currency_recoveries));
    }
    w.extend(f.lift_warning());
    w
}

pub fn json(r: &Report) -> Obj {
    let currencies: Vec<Obj> = r
        .blocks
        .iter()
        .map(|b| {
            let mut v = figures_json(&b.total, b.currency, r.margin_bp);
            if !b.groups.is_empty() {
                let groups = b
                    .groups
                    .iter()
                    .map(|g| {
                        Obj::new().put("key", &g.key).merge(figures_json(
                            g,
                            b.currency,
                            r.margin_bp,
                        ))
                    })
                    .collect();
                v = v.list("by", groups);
            }
            let daily: Vec<Value> = b
                .daily
                .iter()
                .map(|(d, s, n, rev)| {
                    json!({"date": d.to_string(), "sent": s, "recovered_orders": n,
                           "recovered_revenue": money(Money::new(*rev, b.currency))})
                })
                .collect();
            v.put("daily", daily)
        })
        .collect();
    Obj::new()
        .put("since", r.since.map(utc_string))
        .put("until", utc_string(r.until))
        .list("currencies", currencies)
        .put("timezone", r.timezone.name())
        .put("margin_percent", r.margin_bp.map(|m| m as f64 / 100.0))
        .put("runs", r.runs)
        .put("carts_considered", r.carts_considered)
        .put("skip_reasons", &r.skip_reasons)
}

pub const CSV_HEADER: &[&str] = &[
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

fn csv_row(f: &Figures, c: Currency, margin_bp: Option<i64>) -> Vec<String> {
    let lift = f.lift();
    vec![
        c.to_string(),
        f.key.clone(),
        f.sent.to_string(),
        f.delivered.to_string(),
        f.undelivered.to_string(),
        f.failed.to_string(),
        f.unknown.to_string(),
        f.segments.to_string(),
        f.cost().map(|p| p.decimal_string()).unwrap_or_default(),
        f.cost().map(|p| p.currency.to_string()).unwrap_or_default(),
        f.cost_is_estimate.to_string(),
        f.recovered_orders.to_string(),
        money(f.revenue(c)),
        num(f.recovery_rate()),
        num(f.roi(c)),
        f.cost_per_recovery()
            .map(|p| p.decimal_string())
            .unwrap_or_default(),
        f.revenue_per_message(c)
            .map(|p| p.decimal_string())
            .unwrap_or_default(),
        f.converted_before.to_string(),
        f.holdout_carts.to_string(),
        f.holdout_converted.to_string(),
        num(f.holdout_rate()),
        num(lift.map(|d| d.value)),
        num(lift.map(|d| d.low)),
        num(lift.map(|d| d.high)),
        f.incremental_revenue(c).map(money).unwrap_or_default(),
        num(f.incremental_roi(c)),
        num(margin_bp.and_then(|m| f.profit_roi(c, m))),
    ]
}

/// One row per currency ("all"), then one per group.
pub fn csv(r: &Report) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_HEADER)?;
    for b in &r.blocks {
        w.write_record(csv_row(&b.total, b.currency, r.margin_bp))?;
        for g in &b.groups {
            w.write_record(csv_row(g, b.currency, r.margin_bp))?;
        }
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

fn pct(x: Option<f64>) -> String {
    x.map(|v| format!("{:.2}%", v * 100.0))
        .unwrap_or_else(|| "n/a".into())
}

fn times(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.2}")).unwrap_or_else(|| "n/a".into())
}

fn shown(p: Option<Price>) -> String {
    p.map(|p| format!("{} {}", grouped(&p.decimal_string()), p.currency))
        .unwrap_or_else(|| "n/a".into())
}

/// Label and value lines for one currency, as the table and the HTML page show them.
pub fn lines(f: &Figures, c: Currency, roi: bool, margin_bp: Option<i64>) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = vec![
        ("sent".into(), f.sent.to_string()),
        ("delivered".into(), f.delivered.to_string()),
        ("undelivered".into(), f.undelivered.to_string()),
        ("failed (refused by gateway)".into(), f.failed.to_string()),
        ("unknown (may have gone out)".into(), f.unknown.to_string()),
        ("segments".into(), f.segments.to_string()),
    ];
    let cost = match (f.cost(), f.costs.len()) {
        (Some(p), _) => format!(
            "{}{}",
            shown(Some(p)),
            if f.cost_is_estimate {
                " (includes estimates)"
            } else {
                " (actual)"
            }
        ),
        (None, 0) => "0".into(),
        (None, _) => f
            .costs
            .iter()
            .map(|(cur, m)| shown(Some(Price::new(*m, *cur))))
            .collect::<Vec<_>>()
            .join(" + "),
    };
    v.push(("cost".into(), cost));
    if !roi {
        return v;
    }
    let rev = f.revenue(c);
    v.extend([
        ("recovered orders".into(), f.recovered_orders.to_string()),
        (
            "converted before reminder".into(),
            f.converted_before.to_string(),
        ),
        ("recovery rate".into(), pct(f.recovery_rate())),
        (
            "recovered revenue".into(),
            format!("{} {c}", grouped(&rev.decimal_string())),
        ),
        ("ROI (revenue − cost) / cost".into(), times(f.roi(c))),
        (
            "cost per recovered order".into(),
            shown(f.cost_per_recovery()),
        ),
        (
            "revenue per message".into(),
            f.revenue_per_message(c)
                .map(|m| format!("{} {c}", grouped(&m.decimal_string())))
                .unwrap_or_else(|| "n/a".into()),
        ),
    ]);
    if let Some(m) = margin_bp {
        v.push((
            format!("profit ROI at {}% margin", m as f64 / 100.0),
            times(f.profit_roi(c, m)),
        ));
    }
    if f.holdout_carts > 0 {
        v.push(("holdout carts".into(), f.holdout_carts.to_string()));
        v.push((
            "holdout conversions".into(),
            format!("{} ({})", f.holdout_converted, pct(f.holdout_rate())),
        ));
        if let Some(d) = f.lift() {
            v.push((
                "incremental lift (95% CI)".into(),
                format!(
                    "{:+.2} points ({:+.2} to {:+.2})",
                    d.value * 100.0,
                    d.low * 100.0,
                    d.high * 100.0
                ),
            ));
        }
        if let Some(m) = f.incremental_revenue(c) {
            v.push((
                "incremental revenue".into(),
                format!("{} {c}", grouped(&m.decimal_string())),
            ));
        }
        v.push(("incremental ROI".into(), times(f.incremental_roi(c))));
    }
    v
}

pub fn period(r: &Report) -> String {
    match r.since {
        Some(s) => format!("{} to {}", utc_string(s), utc_string(r.until)),
        None => format!("everything until {}", utc_string(r.until)),
    }
}

fn block_table(out: &mut String, b: &Block, roi: bool, margin_bp: Option<i64>) {
    out.push_str(&format!("\n{}\n", b.currency));
    let rows = lines(&b.total, b.currency, roi, margin_bp);
    let width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    for (k, v) in rows {
        out.push_str(&format!("  {k:<width$}  {v}\n"));
    }
    for w in warnings(&b.total, b.currency) {
        out.push_str(&format!("  warning: {w}\n"));
    }
    if b.groups.is_empty() {
        return;
    }
    let mut head = vec!["group", "sent", "delivered", "failed", "unknown", "cost"];
    if roi {
        head.extend(["recovered", "revenue", "ROI"]);
    }
    let mut grid: Vec<Vec<String>> = vec![head.iter().map(|s| s.to_string()).collect()];
    for g in &b.groups {
        let mut row = vec![
            g.key.clone(),
            g.sent.to_string(),
            g.delivered.to_string(),
            g.failed.to_string(),
            g.unknown.to_string(),
            g.cost()
                .map(|p| match p.currency == b.currency {
                    true => grouped(&p.decimal_string()),
                    false => format!("{} {}", grouped(&p.decimal_string()), p.currency),
                })
                .unwrap_or_else(|| {
                    if g.costs.is_empty() {
                        "0".into()
                    } else {
                        "n/a".into()
                    }
                }),
        ];
        if roi {
            row.extend([
                g.recovered_orders.to_string(),
                grouped(&g.revenue(b.currency).decimal_string()),
                times(g.roi(b.currency)),
            ]);
        }
        grid.push(row);
    }
    let widths: Vec<usize> = (0..grid[0].len())
        .map(|i| grid.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    out.push('\n');
    for row in grid {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == 0 {
                    format!("{c:<w$}", w = widths[i])
                } else {
                    format!("{c:>w$}", w = widths[i])
                }
            })
            .collect();
        out.push_str(&format!("  {}\n", cells.join("  ").trim_end()));
    }
}

pub fn table(r: &Report, roi: bool) -> String {
    let mut out = format!(
        "cartnudge report: {} ({} send runs, {} carts considered)\n",
        period(r),
        r.runs,
        r.carts_considered
    );
    if r.blocks.is_empty() {
        out.push_str("\nno reminders in this period\n");
    }
    for b in &r.blocks {
        block_table(&mut out, b, roi, r.margin_bp);
    }
    if !r.skip_reasons.is_empty() {
        out.push_str("\nwhy carts were not messaged (counted per run)\n");
        let width = r.skip_reasons.keys().map(|k| k.len()).max().unwrap_or(0);
        let mut reasons: Vec<_> = r.skip_reasons.iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (k, v) in reasons {
            out.push_str(&format!("  {k:<width$}  {v}\n"));
        }
    }
    out
}
