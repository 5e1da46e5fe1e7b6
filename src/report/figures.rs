//! The numbers for one currency (and one group, when grouped): ledger rows tallied, then the metrics
//! of DESIGN.md §9. Money stays integer (minor units for revenue, micros for costs) until the last
//! division; rates and ROI are plain numbers. Never summed across currencies: the converted total
//! in `convert` is a separate, labelled figure.

use super::config::Config as Rates;
use super::stats::{self, Difference};
use crate::ledger::{NudgeRow, RecoveryRow};
use crate::model::{Currency, Money, Price};
use std::collections::BTreeMap;

/// Counts and sums for one currency (and one group, when grouped).
#[derive(Debug, Clone, Default)]
pub struct Figures {
    pub key: String,
    pub sent: u64,
    pub delivered: u64,
    /// Sent, but the carrier reported it undelivered or failed.
    pub undelivered: u64,
    /// The gateway refused the send.
    pub failed: u64,
    pub unknown: u64,
    pub segments: u64,
    /// Cost per currency the gateway billed in (micros): actual price where known, else estimate.
    pub costs: BTreeMap<Currency, i64>,
    pub cost_is_estimate: bool,
    /// Messages costed by the estimate, and by the price the gateway reported.
    pub cost_estimated: u64,
    pub cost_actual: u64,
    /// Messages with neither an actual price nor an estimate.
    pub cost_missing: u64,
    pub recovered_orders: u64,
    pub recovered_revenue: i64,
    pub converted_before: u64,
    pub holdout_carts: u64,
    pub holdout_converted: u64,
    pub holdout_revenue: i64,
    /// Recoveries paid in another currency than the cart's: listed, never added.
    pub other_currency_recoveries: u64,
}

impl Figures {
    pub fn new(key: &str) -> Figures {
        Figures {
            key: key.into(),
            ..Figures::default()
        }
    }

    pub fn add(&mut self, n: &NudgeRow) {
        let currency = n.cart_total.currency;
        let rec = n.recovery.as_ref();
        let same = |r: &&RecoveryRow| r.amount.currency == currency;
        match n.status.as_str() {
            "holdout" => return self.add_holdout(rec.filter(|r| r.attributed), currency),
            "failed" => self.failed += 1,
            "unknown" => self.unknown += 1,
            "sent" => self.sent += 1,
            _ => return, // a claim still in flight
        }
        self.add_cost(n);
        if n.status == "failed" {
            return;
        }
        self.segments += n.segments.max(0) as u64;
        match n.delivery_status.as_deref() {
            Some("delivered") => self.delivered += 1,
            Some("undelivered") | Some("failed") => self.undelivered += 1,
            _ => {}
        }
        match rec {
            Some(r) if !r.attributed => self.converted_before += 1,
            Some(r) if same(&r) => {
                self.recovered_orders += 1;
                self.recovered_revenue += r.amount.minor;
            }
            Some(_) => self.other_currency_recoveries += 1,
            None => {}
        }
    }

    fn add_holdout(&mut self, order: Option<&RecoveryRow>, currency: Currency) {
        self.holdout_carts += 1;
        match order {
            Some(r) if r.amount.currency == currency => {
                self.holdout_converted += 1;
                self.holdout_revenue += r.amount.minor;
            }
            Some(_) => self.other_currency_recoveries += 1,
            None => {}
        }
    }

    /// The actual price when the gateway reported one; else the estimate, unless it was refused.
    fn add_cost(&mut self, n: &NudgeRow) {
        if let Some(p) = n.actual_cost {
            *self.costs.entry(p.currency).or_default() += p.micros.abs();
            self.cost_actual += 1;
        } else if n.status != "failed" {
            match n.est_cost {
                Some(p) => {
                    *self.costs.entry(p.currency).or_default() += p.micros;
                    self.cost_is_estimate = true;
                    self.cost_estimated += 1;
                }
                None => self.cost_missing += 1,
            }
        }
    }

    /// Messages that went out or may have: sent and unknown.
    pub fn messages(&self) -> u64 {
        self.sent + self.unknown
    }

    /// The cost when it is in one currency.
    pub fn cost(&self) -> Option<Price> {
        match self.costs.len() {
            1 => self.costs.iter().next().map(|(c, m)| Price::new(*m, *c)),
            _ => None,
        }
    }

    /// Cost in the revenue's currency, in micros; None when it was billed in another one.
    fn cost_micros_in(&self, currency: Currency) -> Option<i64> {
        match self.costs.len() {
            0 => Some(0),
            1 => self.costs.get(&currency).copied(),
            _ => None,
        }
    }

    /// Whether cost is billed in a currency other than `currency` (the revenue's).
    pub fn cost_in_other_currency(&self, currency: Currency) -> bool {
        self.costs.keys().any(|c| *c != currency)
    }

    pub fn recovery_rate(&self) -> Option<f64> {
        ratio(self.recovered_orders, self.messages())
    }

    pub fn revenue(&self, c: Currency) -> Money {
        Money::new(self.recovered_revenue, c)
    }

    /// (revenue − cost) / cost, when both are in `currency` and something was spent.
    pub fn roi(&self, currency: Currency) -> Option<f64> {
        self.roi_of(self.recovered_revenue, currency)
    }

    fn roi_of(&self, revenue_minor: i64, currency: Currency) -> Option<f64> {
        let cost = self.cost_micros_in(currency).filter(|c| *c > 0)?;
        let revenue = Price::from_money(Money::new(revenue_minor, currency)).micros;
        Some((revenue - cost) as f64 / cost as f64)
    }

    /// ROI with revenue and every cost converted at the user's rates; None without a rate for each.
    pub fn roi_converted(&self, currency: Currency, rates: &Rates) -> Option<f64> {
        let revenue = rates.money_micros(self.revenue(currency))?;
        let mut cost = 0;
        for (c, m) in &self.costs {
            cost += rates.micros_in_target(Price::new(*m, *c))?;
        }
        (cost > 0).then(|| (revenue - cost) as f64 / cost as f64)
    }

    /// Profit ROI: revenue × margin, less cost, over cost.
    pub fn profit_roi(&self, currency: Currency, margin_bp: i64) -> Option<f64> {
        let cost = self.cost_micros_in(currency).filter(|c| *c > 0)?;
        let revenue =
            Price::from_money(Money::new(self.recovered_revenue, currency)).micros as i128;
        let profit = (revenue * margin_bp as i128 / 10_000) as i64;
        Some((profit - cost) as f64 / cost as f64)
    }

    pub fn cost_per_recovery(&self) -> Option<Price> {
        let c = self.cost()?;
        (self.recovered_orders > 0).then(|| {
            Price::new(
                div_round(c.micros, self.recovered_orders as i64),
                c.currency,
            )
        })
    }

    /// Revenue is money: rounded to the currency's minor unit.
    pub fn revenue_per_message(&self, currency: Currency) -> Option<Money> {
        (self.messages() > 0).then(|| {
            Money::new(
                div_round(self.recovered_revenue, self.messages() as i64),
                currency,
            )
        })
    }

    pub fn holdout_rate(&self) -> Option<f64> {
        ratio(self.holdout_converted, self.holdout_carts)
    }

    /// Revenue per holdout cart, the control group's counterpart of revenue per message.
    pub fn holdout_revenue_per_cart(&self, currency: Currency) -> Option<Money> {
        (self.holdout_carts > 0).then(|| {
            Money::new(
                div_round(self.holdout_revenue, self.holdout_carts as i64),
                currency,
            )
        })
    }

    /// Messaged conversion rate minus control conversion rate, with Newcombe's 95% interval.
    pub fn lift(&self) -> Option<Difference> {
        if self.holdout_carts == 0 {
            return None;
        }
        stats::newcombe(
            self.recovered_orders,
            self.messages(),
            self.holdout_converted,
            self.holdout_carts,
            stats::Z95,
        )
    }

    /// Revenue beyond what the messaged carts would have brought anyway, at the control group's
    /// revenue per cart.
    pub fn incremental_revenue(&self, currency: Currency) -> Option<Money> {
        if self.holdout_carts == 0 || self.messages() == 0 {
            return None;
        }
        let baseline = self.holdout_revenue as i128 * self.messages() as i128;
        let baseline = div_round_i128(baseline, self.holdout_carts as i128) as i64;
        Some(Money::new(self.recovered_revenue - baseline, currency))
    }

    pub fn incremental_roi(&self, currency: Currency) -> Option<f64> {
        self.roi_of(self.incremental_revenue(currency)?.minor, currency)
    }
}

fn ratio(x: u64, n: u64) -> Option<f64> {
    (n > 0).then(|| x as f64 / n as f64)
}

pub fn div_round(a: i64, b: i64) -> i64 {
    div_round_i128(a as i128, b as i128) as i64
}

/// Integer division rounding half away from zero.
fn div_round_i128(a: i128, b: i128) -> i128 {
    let q = a / b;
    let r = a % b;
    if 2 * r.abs() >= b.abs() {
        q + a.signum() * b.signum()
    } else {
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    #[test]
    fn rounding() {
        assert_eq!(div_round(5, 2), 3);
        assert_eq!(div_round(-5, 2), -3);
        assert_eq!(div_round(4, 3), 1);
    }

    pub fn row(id: i64, status: &str, cost: Option<Price>, recovery: Option<Money>) -> NudgeRow {
        let at = DateTime::parse_from_rfc3339("2026-11-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let usd = Currency::parse("USD").unwrap();
        NudgeRow {
            id,
            status: status.into(),
            gateway: Some("twilio".into()),
            country: Some("US".into()),
            segments: 1,
            est_cost: None,
            actual_cost: cost,
            cart_total: Money::new(10_000, usd),
            claimed_at: at,
            delivery_status: Some("delivered".into()),
            recovery: recovery.map(|amount| RecoveryRow {
                order_id: format!("O{id}"),
                amount,
                ordered_at: at,
                match_key: "cart".into(),
                attributed: true,
            }),
        }
    }

    /// 10,000 messages at 0.02 USD, 100 recovered orders of 80 USD: revenue 8,000, cost 200,
    /// ROI (8000 − 200) / 200 = 39.0 (a widely copied guide prints "38x").
    #[test]
    fn worked_example_roi_is_39() {
        let usd = Currency::parse("USD").unwrap();
        let mut f = Figures::new("all");
        for i in 0..10_000 {
            let cost = Some(Price::parse("0.02", usd).unwrap());
            f.add(&row(
                i,
                "sent",
                cost,
                (i < 100).then(|| Money::new(8000, usd)),
            ));
        }
        assert_eq!(f.revenue(usd).decimal_string(), "8000.00");
        assert_eq!(f.cost().unwrap().decimal_string(), "200.00");
        assert_eq!(f.roi(usd), Some(39.0));
        assert_eq!(f.recovery_rate(), Some(0.01));
        assert_eq!(f.cost_per_recovery().unwrap().decimal_string(), "2.00");
        assert_eq!(f.revenue_per_message(usd).unwrap().decimal_string(), "0.80");
        // 30% margin: profit 2,400 − 200 = 2,200 over 200.
        assert_eq!(f.profit_roi(usd, 3000), Some(11.0));
        assert!(!f.cost_is_estimate);
        assert_eq!((f.cost_actual, f.cost_estimated), (10_000, 0));
    }

    /// Revenue in RUB, cost billed in USD: no ROI, unless the user gives rates for both.
    #[test]
    fn cross_currency_roi_needs_rates() {
        let (usd, rub) = (
            Currency::parse("USD").unwrap(),
            Currency::parse("RUB").unwrap(),
        );
        let mut f = Figures::new("all");
        let mut n = row(1, "sent", Some(Price::parse("0.05", usd).unwrap()), None);
        n.cart_total = Money::new(500_000, rub);
        n.recovery = row(1, "sent", None, Some(Money::new(124_000, rub))).recovery;
        f.add(&n);
        assert_eq!(f.roi(rub), None);
        assert!(f.cost_in_other_currency(rub));
        let rates = super::super::config::from_raw(super::super::config::RawReport {
            currency: Some("EUR".into()),
            rates: [("USD", "0.92"), ("RUB", "0.0105")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        })
        .unwrap();
        // 1,240 RUB = 13.02 EUR; 0.05 USD = 0.046 EUR: (13.02 − 0.046) / 0.046.
        let roi = f.roi_converted(rub, &rates).unwrap();
        assert!((roi - (13.02 - 0.046) / 0.046).abs() < 1e-9, "{roi}");
        let no_rub = super::super::config::Config {
            rates: [(usd, rates.rates[&usd])].into_iter().collect(),
            ..rates
        };
        assert_eq!(f.roi_converted(rub, &no_rub), None);
    }
}
