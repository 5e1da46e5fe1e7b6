//! The whole report: ledger rows tallied into one block per currency (never summed across
//! currencies), optionally per day, week, month, gateway or country, with a daily series for the
//! chart, the skip reasons, and the context the renderers need to say what can be trusted.

use super::config::Config as Rates;
use super::figures::Figures;
use super::skips::NotMessaged;
use crate::ledger::NudgeRow;
use crate::ledger::report_queries::{ReconcileEvidence, SendRun};
use crate::model::Currency;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use std::collections::BTreeMap;

/// What `--by` breaks the figures down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Day,
    Week,
    Month,
    Gateway,
    Country,
}

/// Everything besides the ledger rows: the period, the shop, and what the figures rest on.
#[derive(Debug, Clone)]
pub struct Context {
    pub shop: String,
    pub since: Option<DateTime<Utc>>,
    pub until: DateTime<Utc>,
    pub timezone: Tz,
    /// Gross margin in hundredths of a percent (3000 = 30%), for profit ROI.
    pub margin_bp: Option<i64>,
    pub rates: Rates,
    /// Whether an `[orders]` source is configured: without one, no order is ever matched.
    pub orders_source: bool,
    pub reconciled: ReconcileEvidence,
}

/// One day of the chart: messages, recovered orders, recovered revenue (minor units).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day {
    pub date: NaiveDate,
    pub messages: u64,
    pub recovered: u64,
    pub revenue: i64,
}

/// One currency's block.
#[derive(Debug, Clone)]
pub struct Block {
    pub currency: Currency,
    pub total: Figures,
    pub groups: Vec<Figures>,
    pub daily: Vec<Day>,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub ctx: Context,
    pub runs: usize,
    pub carts_considered: u64,
    /// Summed over runs, as the ledger keeps them (the JSON's `skip_reasons`).
    pub skip_reasons: BTreeMap<String, u64>,
    pub not_messaged: NotMessaged,
    pub blocks: Vec<Block>,
}

impl Report {
    pub fn build(
        tally: Tally,
        runs: &[SendRun],
        not_messaged: NotMessaged,
        ctx: Context,
    ) -> Report {
        let mut skip_reasons = BTreeMap::new();
        for (k, v) in runs.iter().flat_map(|r| &r.run.reasons) {
            *skip_reasons.entry(k.clone()).or_insert(0) += v;
        }
        Report {
            runs: runs.len(),
            carts_considered: runs.iter().map(|r| r.run.carts_read).sum(),
            skip_reasons,
            not_messaged,
            blocks: tally.blocks(),
            ctx,
        }
    }
}

/// The figures of every currency, added one nudge at a time as the ledger streams them: memory
/// grows with the currencies, groups and days reported, never with the number of nudges.
pub struct Tally {
    by: Option<By>,
    tz: Tz,
    per_currency: BTreeMap<Currency, Acc>,
}

struct Acc {
    total: Figures,
    groups: BTreeMap<String, Figures>,
    daily: BTreeMap<NaiveDate, Day>,
}

impl Tally {
    pub fn new(by: Option<By>, tz: Tz) -> Tally {
        Tally {
            by,
            tz,
            per_currency: BTreeMap::new(),
        }
    }

    pub fn add(&mut self, n: &NudgeRow) {
        let currency = n.cart_total.currency;
        let acc = self.per_currency.entry(currency).or_insert_with(|| Acc {
            total: Figures::new("all"),
            groups: BTreeMap::new(),
            daily: BTreeMap::new(),
        });
        acc.total.add(n);
        if let Some(b) = self.by {
            let key = group_key(n, b, self.tz);
            match acc.groups.get_mut(&key) {
                Some(f) => f.add(n),
                None => {
                    let mut f = Figures::new(&key);
                    f.add(n);
                    acc.groups.insert(key, f);
                }
            }
        }
        if matches!(n.status.as_str(), "sent" | "unknown") {
            let date = crate::tzdb::db().at(self.tz, n.claimed_at).date_naive();
            let d = acc.daily.entry(date).or_insert(Day {
                date,
                messages: 0,
                recovered: 0,
                revenue: 0,
            });
            d.messages += 1;
            if let Some(r) = n
                .recovery
                .as_ref()
                .filter(|r| r.attributed && r.amount.currency == currency)
            {
                d.recovered += 1;
                d.revenue += r.amount.minor;
            }
        }
    }

    fn blocks(self) -> Vec<Block> {
        self.per_currency
            .into_iter()
            .map(|(currency, acc)| Block {
                currency,
                total: acc.total,
                groups: acc.groups.into_values().collect(),
                daily: acc.daily.into_values().collect(),
            })
            .collect()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Money, Price};

    #[test]
    fn days_weeks_and_months_are_local_to_the_store() {
        let usd = Currency::parse("USD").unwrap();
        let mut n = NudgeRow {
            id: 1,
            status: "sent".into(),
            gateway: Some("twilio".into()),
            country: Some("US".into()),
            segments: 1,
            est_cost: None,
            actual_cost: Some(Price::parse("0.02", usd).unwrap()),
            cart_total: Money::new(10_000, usd),
            claimed_at: Utc::now(),
            delivery_status: None,
            recovery: None,
        };
        n.claimed_at = DateTime::parse_from_rfc3339("2026-11-30T22:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let msk: Tz = "Europe/Moscow".parse().unwrap();
        assert_eq!(group_key(&n, By::Day, msk), "2026-12-01");
        assert_eq!(group_key(&n, By::Month, msk), "2026-12");
        assert_eq!(group_key(&n, By::Week, msk), "2026-W49");
        assert_eq!(group_key(&n, By::Day, chrono_tz::UTC), "2026-11-30");
        assert_eq!(group_key(&n, By::Country, msk), "US");
        let mut tally = Tally::new(Some(By::Day), msk);
        tally.add(&n);
        let blocks = tally.blocks();
        let b = &blocks[0];
        assert_eq!(b.currency, usd);
        assert_eq!(b.groups[0].key, "2026-12-01");
        assert_eq!(b.daily[0].date.to_string(), "2026-12-01");
    }
}
