//! The optional total across currencies, converted at the rates in `[report.rates]`. The exact
//! per-currency blocks stay as they are; this is one more figure, always shown with its rates, and
//! only when every currency involved (revenue and cost) has a rate.

use super::config::Rate;
use super::human;
use super::summary::Report;
use crate::model::{Currency, Price};
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq)]
pub struct Converted {
    pub currency: Currency,
    /// The rates used, for the label: 1 unit of each = rate units of `currency`.
    pub rates: Vec<(Currency, Rate)>,
    /// Currencies in the report without a rate: then cost, revenue and ROI are `None`.
    pub missing: Vec<Currency>,
    pub messages: u64,
    pub recovered_orders: u64,
    /// Micro-units of `currency`.
    pub cost: Option<i64>,
    pub revenue: Option<i64>,
    pub roi: Option<f64>,
}

/// `None` when `[report] currency` is not set.
pub fn total(r: &Report) -> Option<Converted> {
    let rates = &r.ctx.rates;
    let target = rates.currency?;
    let mut used = BTreeSet::new();
    for b in &r.blocks {
        used.insert(b.currency);
        used.extend(b.total.costs.keys().copied());
    }
    let missing: Vec<Currency> = used
        .iter()
        .copied()
        .filter(|c| rates.rate(*c).is_none())
        .collect();
    let (mut cost, mut revenue) = (0i64, 0i64);
    if missing.is_empty() {
        for b in &r.blocks {
            let f = &b.total;
            revenue += rates.money_micros(f.revenue(b.currency)).unwrap_or(0);
            for (c, m) in &f.costs {
                cost += rates.micros_in_target(Price::new(*m, *c)).unwrap_or(0);
            }
        }
    }
    let known = missing.is_empty();
    Some(Converted {
        currency: target,
        rates: used
            .iter()
            .filter(|c| **c != target)
            .filter_map(|c| Some((*c, rates.rate(*c)?)))
            .collect(),
        missing,
        messages: r.blocks.iter().map(|b| b.total.messages()).sum(),
        recovered_orders: r.blocks.iter().map(|b| b.total.recovered_orders).sum(),
        cost: known.then_some(cost),
        revenue: known.then_some(revenue),
        roi: (known && cost > 0).then(|| (revenue - cost) as f64 / cost as f64),
    })
}

impl Converted {
    /// "1 RUB = 0.0105 EUR, 1 USD = 0.92 EUR".
    pub fn rates_text(&self) -> String {
        let t = self.currency;
        self.rates
            .iter()
            .map(|(c, r)| format!("1 {c} = {r} {t}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The heading, which always says that these are the user's rates.
    pub fn heading(&self) -> String {
        format!(
            "All currencies converted to {} at your rates",
            self.currency
        )
    }

    /// "1 RUB = 0.0105 EUR, 1 USD = 0.92 EUR; [report.rates], not market rates".
    pub fn rates_note(&self) -> String {
        match self.rates.is_empty() {
            true => "no conversion needed".into(),
            false => format!("{}; [report.rates], not market rates", self.rates_text()),
        }
    }

    pub fn title(&self) -> String {
        format!("{} ({})", self.heading(), self.rates_note())
    }

    /// Label and value lines, or the sentence saying which rates are missing.
    pub fn lines(&self, roi: bool) -> Vec<(String, String)> {
        let t = self.currency;
        let shown = |m: Option<i64>| m.map(|m| human::cost(Price::new(m, t)));
        let mut v = vec![
            ("texts sent".to_string(), human::count(self.messages)),
            ("cost".into(), shown(self.cost).unwrap_or("n/a".into())),
        ];
        if roi {
            v.push((
                "recovered orders".into(),
                human::count(self.recovered_orders),
            ));
            v.push((
                "recovered revenue".into(),
                shown(self.revenue).unwrap_or("n/a".into()),
            ));
            v.push((
                "ROI (revenue − cost) / cost".into(),
                self.roi.map(human::roi).unwrap_or("n/a".into()),
            ));
        }
        v
    }

    pub fn warning(&self) -> Option<String> {
        (!self.missing.is_empty()).then(|| {
            let codes: Vec<&str> = self.missing.iter().map(Currency::code).collect();
            format!(
                "no rate for {} in [report.rates]: the total in {} is left out; add e.g. {} = \"…\"",
                codes.join(", "),
                self.currency,
                codes[0]
            )
        })
    }
}
