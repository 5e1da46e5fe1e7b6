//! What a person reads about one currency, shared by the table and the HTML page: a headline
//! sentence, label/value lines, and the holdout next to the reminded carts.

use super::figures::Figures;
use super::human::{self, count, percent};
use super::summary::Context;
use super::trust::revenue_measured;
use crate::model::{Currency, Price};

/// "16,829.01 USD recovered from 628 texts that cost 4.96 USD: ROI 339,197%."
pub fn headline(f: &Figures, c: Currency, ctx: &Context, roi: bool) -> String {
    let texts = human::plural(f.messages(), "text", "texts");
    let cost = cost_short(f);
    if !roi {
        return format!("{texts} sent for {cost}.");
    }
    if !revenue_measured(ctx) {
        return format!("{texts} that cost {cost}; revenue not measured (see the warning).");
    }
    let roi = match (f.roi(c), f.roi_converted(c, &ctx.rates)) {
        (Some(x), _) => format!(": ROI {}", percent(x)),
        (None, Some(x)) => format!(": ROI {} at your exchange rates", percent(x)),
        (None, None) => String::new(),
    };
    format!(
        "{} recovered from {texts} that cost {cost}{roi}.",
        human::money(f.revenue(c))
    )
}

/// The cost in each currency billed, to the currency's decimals: "3.16 USD + 0.50 EUR".
fn cost_short(f: &Figures) -> String {
    if f.costs.is_empty() {
        return "nothing".into();
    }
    f.costs
        .iter()
        .map(|(cur, m)| human::cost(Price::new(*m, *cur)))
        .collect::<Vec<_>>()
        .join(" + ")
}

fn or_na(v: Option<String>) -> String {
    v.unwrap_or_else(|| "n/a".into())
}

/// Label and value lines for one currency, as the table and the HTML page show them.
pub fn lines(f: &Figures, c: Currency, ctx: &Context, roi: bool) -> Vec<(String, String)> {
    let mut v = sending(f);
    if !roi {
        return v;
    }
    if !revenue_measured(ctx) {
        v.push((
            "recovered revenue".into(),
            "not measured (no [orders] source)".into(),
        ));
        return v;
    }
    v.extend(results(f, c, ctx));
    v
}

/// What went out and what it cost.
fn sending(f: &Figures) -> Vec<(String, String)> {
    let kind = match (f.cost_estimated, f.cost_actual) {
        (0, 0) => "",
        (0, _) => " (actual)",
        (_, 0) => " (estimate)",
        _ => " (partly estimated)",
    };
    vec![
        ("texts sent".into(), count(f.sent)),
        ("delivered".into(), count(f.delivered)),
        ("undelivered".into(), count(f.undelivered)),
        ("failed (refused by gateway)".into(), count(f.failed)),
        ("unknown (may have gone out)".into(), count(f.unknown)),
        ("segments".into(), count(f.segments)),
        ("cost".into(), format!("{}{kind}", cost_short(f))),
    ]
}

/// What came back: orders, revenue, ROI.
fn results(f: &Figures, c: Currency, ctx: &Context) -> Vec<(String, String)> {
    let roi_text = match (f.roi(c), f.roi_converted(c, &ctx.rates)) {
        (Some(x), _) => human::roi(x),
        (None, Some(x)) => format!("{} at your exchange rates", human::roi(x)),
        (None, None) => "n/a".into(),
    };
    let rate = f
        .recovery_rate()
        .map(|r| format!("{} of texts", percent(r)));
    let mut v: Vec<(String, String)> = vec![
        ("recovered orders".into(), count(f.recovered_orders)),
        (
            "converted before reminder".into(),
            count(f.converted_before),
        ),
        ("recovery rate".into(), or_na(rate)),
        ("recovered revenue".into(), human::money(f.revenue(c))),
        ("ROI (revenue − cost) / cost".into(), roi_text),
        (
            "cost per recovered order".into(),
            or_na(f.cost_per_recovery().map(human::cost)),
        ),
        (
            "revenue per text".into(),
            or_na(f.revenue_per_message(c).map(human::money)),
        ),
    ];
    if let Some(m) = ctx.margin_bp {
        v.push((
            format!("profit ROI at {}% margin", m as f64 / 100.0),
            or_na(f.profit_roi(c, m).map(human::roi)),
        ));
    }
    v
}

/// Reminded carts and the holdout side by side: rows of [label, reminded, holdout], then the lift
/// lines. `None` without a holdout.
pub type Comparison = (Vec<[String; 3]>, Vec<(String, String)>);

pub fn holdout(f: &Figures, c: Currency) -> Option<Comparison> {
    if f.holdout_carts == 0 {
        return None;
    }
    let rows = vec![
        [
            "carts".to_string(),
            count(f.messages()),
            count(f.holdout_carts),
        ],
        [
            "ordered".into(),
            count(f.recovered_orders),
            count(f.holdout_converted),
        ],
        [
            "conversion rate".into(),
            or_na(f.recovery_rate().map(percent)),
            or_na(f.holdout_rate().map(percent)),
        ],
        [
            "revenue per cart".into(),
            or_na(f.revenue_per_message(c).map(human::money)),
            or_na(f.holdout_revenue_per_cart(c).map(human::money)),
        ],
    ];
    let mut lift = Vec::new();
    if let Some(d) = f.lift() {
        lift.push((
            "lift (95% interval)".into(),
            format!(
                "{} points ({} to {})",
                human::points(d.value),
                human::points(d.low),
                human::points(d.high)
            ),
        ));
    }
    if let Some(m) = f.incremental_revenue(c) {
        lift.push(("incremental revenue".into(), human::money(m)));
    }
    lift.push((
        "incremental ROI".into(),
        or_na(f.incremental_roi(c).map(human::roi)),
    ));
    Some((rows, lift))
}
