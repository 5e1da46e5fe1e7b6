//! The numbers behind `report`: ledger rows tallied per currency (never summed across currencies),
//! optionally per day, week, month, gateway or country. Money stays integer (minor units for
//! revenue, micros for costs) until the last division; rates and ROI are plain numbers.

use super::stats::{self, Difference};
use crate::ledger::{NudgeRow, RunRow};
pub use crate::model::grouped;
use crate::model::{Currency, Money, Price};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum By {
    Day,
    Week,
    Month,
    Gateway,
    Country,
}

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

/// One currency's block.
#[derive(Debug, Clone)]
pub struct Block {
    pub currency: Currency,
    pub total: Figures,
    pub groups: Vec<Figures>,
    /// Per local day: messages, recoveries, revenue (minor units).
    pub daily: Vec<(NaiveDate, u64, u64, i64)>,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub since: Option<DateTime<Utc>>,
    pub until: DateTime<Utc>,
    pub timezone: Tz,
    pub runs: usize,
    pub carts_considered: u64,
    pub skip_reasons: BTreeMap<String, u64>,
    pub blocks: Vec<Block>,
    /// Gross margin in hundredths of a percent (3000 = 30%), for profit ROI.
    pub margin_bp: Option<i64>,
}

/// Groups below this size make any lift estimate a guess.
pub const MIN_GROUP: u64 = 30;

impl Report {
    pub fn build(
        nudges: &[NudgeRow],
        runs: &[RunRow],
        period: (Option<DateTime<Utc>>, DateTime<Utc>),
        tz: Tz,
        by: Option<By>,
        margin_bp: Option<i64>,
    ) -> Report {
        let mut skip_reasons = BTreeMap::new();
        for r in runs {
            for (k, v) in &r.reasons {
                *skip_reasons.entry(k.clone()).or_insert(0) += v;
            }
        }
        let mut per_currency: BTreeMap<Currency, Vec<&NudgeRow>> = BTreeMap::new();
        for n in nudges {
            per_currency
                .entry(n.cart_total.currency)
                .or_default()
                .push(n);
        }
        let blocks = per_currency
            .into_iter()
            .map(|(currency, rows)| {
                let mut groups: BTreeMap<String, Figures> = BTreeMap::new();
                let mut daily: BTreeMap<NaiveDate, (u64, u64, i64)> = BTreeMap::new();
                let mut total = Figures {
                    key: "all".into(),
                    ..Figures::default()
                };
                for n in &rows {
                    total.add(n);
                    if let Some(b) = by {
                        let key = group_key(n, b, tz);
                        groups
                            .entry(key.clone())
                            .or_insert_with(|| Figures {
                                key,
                                ..Figures::default()
                            })
                            .add(n);
                    }
                    if matches!(n.status.as_str(), "sent" | "unknown") {
                        let d = daily
                            .entry(crate::tzdb::db().at(tz, n.claimed_at).date_naive())
                            .or_default();
                        d.0 += 1;
                        if let Some(r) = n
                            .recovery
                            .as_ref()
                            .filter(|r| r.attributed && r.amount.currency == currency)
                        {
                            d.1 += 1;
                            d.2 += r.amount.minor;
                        }
                    }
                }
                Block {
                    currency,
                    total,
                    groups: groups.into_values().collect(),
                    daily: daily
                        .into_iter()
                        .map(|(d, (s, r, v))| (d, s, r, v))
                        .collect(),
                }
            })
            .collect();
        Report {
            since: period.0,
            until: period.1,
            timezone: tz,
            runs: runs.len(),
            carts_considered: runs.iter().map(|r| r.carts_read).sum(),
            skip_reasons,
            blocks,
            margin_bp,
        }
    }
}

fn group_key(n: &NudgeRow, by: By, tz: Tz) -> String {
    let local = crate::tzdb::db().at(tz, n.claimed_at);
    match by {
        By::Day => local.format("%Y-%m-%d").to_string(),
        By::Week => local.format("%G-W%V").to_string(),
        By::Month => local.format("%Y-%m").to_string(),
        By::Gateway => n.gateway.clone().unwrap_or_else(|| "-".into()),
        By::Country => n.country.clone().unwrap_or_else(|| "-".into()),
    }
}

impl Figures {
    fn add(&mut self, n: &NudgeRow) {
        let currency = n.cart_total.currency;
        let rec = n.recovery.as_ref();
        let same = |r: &&crate::ledger::RecoveryRow| r.amount.currency == currency;
        match n.status.as_str() {
            "holdout" => {
                self.holdout_carts += 1;
                if let Some(r) = rec.filter(|r| r.attributed) {
                    if same(&r) {
                        self.holdout_converted += 1;
                        self.holdout_revenue += r.amount.minor;
                    } else {
                        self.other_currency_recoveries += 1;
                    }
                }
                return;
            }
            "failed" => self.failed += 1,
            "unknown" => self.unknown += 1,
            "sent" => self.sent += 1,
            _ => return, // a claim still in flight
        }
        if let Some(p) = n.actual_cost {
            *self.costs.entry(p.currency).or_default() += p.micros.abs();
        } else if n.status != "failed" {
            match n.est_cost {
                Some(p) => {
                    *self.costs.entry(p.currency).or_default() += p.micros;
                    self.cost_is_estimate = true;
                }
                None => self.cost_missing += 1,
            }
        }
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

    /// A plain sentence when the holdout cannot tell whether SMS adds orders.
    pub fn lift_warning(&self) -> Option<String> {
        let d = self.lift()?;
        let (nt, nc) = (self.messages(), self.holdout_carts);
        let interval = format!("{} to {} percentage points", points(d.low), points(d.high));
        if d.includes_zero() {
            Some(format!(
                "too few carts to tell whether SMS adds orders: the 95% interval for lift ({interval}) includes zero \
                 ({nt} messaged, {nc} in the holdout); keep the holdout running before deciding"
            ))
        } else if nt < MIN_GROUP || nc < MIN_GROUP {
            Some(format!(
                "small sample ({nt} messaged, {nc} in the holdout; fewer than {MIN_GROUP} in a group): the interval \
                 ({interval}) is only a rough guide"
            ))
        } else {
            None
        }
    }
}

fn points(x: f64) -> String {
    format!("{:+.1}", x * 100.0)
}

fn ratio(x: u64, n: u64) -> Option<f64> {
    (n > 0).then(|| x as f64 / n as f64)
}

fn div_round(a: i64, b: i64) -> i64 {
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

/// "30", "30.5", "30%" → hundredths of a percent; 0..=100.
pub fn parse_margin(s: &str) -> Result<i64, String> {
    let t = s.trim().trim_end_matches('%');
    let p = crate::model::Price::parse(t, Currency::parse("XXX").expect("valid code"))
        .map_err(|_| format!("--margin `{s}` is not a percentage (e.g. 30 or 27.5)"))?;
    if p.micros % 10_000 != 0 {
        return Err(format!("--margin `{s}`: use at most two decimals"));
    }
    let bp = p.micros / 10_000;
    if !(0..=10_000).contains(&bp) {
        return Err(format!("--margin `{s}` must be between 0 and 100"));
    }
    Ok(bp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_and_grouping() {
        assert_eq!(div_round(5, 2), 3);
        assert_eq!(div_round(-5, 2), -3);
        assert_eq!(div_round(4, 3), 1);
        assert_eq!(grouped("1240.00"), "1,240.00");
        assert_eq!(grouped("-1234567"), "-1,234,567");
        assert_eq!(grouped("999.5"), "999.5");
        assert_eq!(parse_margin("30").unwrap(), 3000);
        assert_eq!(parse_margin("27.5%").unwrap(), 2750);
        assert!(parse_margin("101").is_err());
        assert!(parse_margin("abc").is_err());
    }

    fn row(id: i64, status: &str, cost: Option<Price>, recovery: Option<Money>) -> NudgeRow {
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
            recovery: recovery.map(|amount| crate::ledger::RecoveryRow {
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
        let rows: Vec<NudgeRow> = (0..10_000)
            .map(|i| {
                row(
                    i,
                    "sent",
                    Some(Price::parse("0.02", usd).unwrap()),
                    (i < 100).then(|| Money::new(8000, usd)),
                )
            })
            .collect();
        let r = Report::build(
            &rows,
            &[],
            (None, rows[0].claimed_at + chrono::Duration::days(1)),
            chrono_tz::UTC,
            None,
            Some(3000),
        );
        let f = &r.blocks[0].total;
        assert_eq!(f.revenue(usd).decimal_string(), "8000.00");
        assert_eq!(f.cost().unwrap().decimal_string(), "200.00");
        assert_eq!(f.roi(usd), Some(39.0));
        assert_eq!(f.recovery_rate(), Some(0.01));
        assert_eq!(f.cost_per_recovery().unwrap().decimal_string(), "2.00");
        assert_eq!(f.revenue_per_message(usd).unwrap().decimal_string(), "0.80");
        // 30% margin: profit 2,400 − 200 = 2,200 over 200.
        assert_eq!(f.profit_roi(usd, 3000), Some(11.0));
        assert!(!f.cost_is_estimate);
    }

    #[test]
    fn days_weeks_and_months_are_local_to_the_store() {
        let usd = Currency::parse("USD").unwrap();
        let mut n = row(1, "sent", Some(Price::parse("0.02", usd).unwrap()), None);
        n.claimed_at = DateTime::parse_from_rfc3339("2026-11-30T22:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let msk: Tz = "Europe/Moscow".parse().unwrap();
        assert_eq!(group_key(&n, By::Day, msk), "2026-12-01");
        assert_eq!(group_key(&n, By::Month, msk), "2026-12");
        assert_eq!(group_key(&n, By::Week, msk), "2026-W49");
        assert_eq!(group_key(&n, By::Day, chrono_tz::UTC), "2026-11-30");
        assert_eq!(group_key(&n, By::Country, msk), "US");
    }
}
