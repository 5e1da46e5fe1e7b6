//! The `[report]` table: an optional currency to convert every block into, at rates the user writes
//! down. The per-currency blocks stay exact; the converted total is extra and labelled with its rates.
//!
//! ```toml
//! [report]
//! currency = "EUR"          # add a total converted to EUR
//! [report.rates]            # 1 unit of each currency = this many EUR
//! RUB = "0.0105"
//! USD = "0.92"
//! ```

use crate::model::{Currency, Money, Price};
use anyhow::{Result, anyhow, bail};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

#[derive(Deserialize, Default, Debug, Clone)]
#[serde(deny_unknown_fields, default)]
pub struct RawReport {
    pub currency: Option<String>,
    pub rates: BTreeMap<String, String>,
}

/// Validated `[report]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    /// Convert into this currency; `None`: no converted total.
    pub currency: Option<Currency>,
    /// 1 unit of the key currency = `Rate` units of `currency`.
    pub rates: BTreeMap<Currency, Rate>,
}

/// Most decimals a rate may have; more would not change any converted cent.
const RATE_DECIMALS: u32 = 12;

/// An exchange rate as an exact decimal (`units` × 10⁻¹²), never a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    units: i128,
}

impl Rate {
    pub const ONE: Rate = Rate {
        units: 10i128.pow(RATE_DECIMALS),
    };

    /// "0.92", "92.5", "0.0105": positive, at most 12 decimals.
    pub fn parse(text: &str) -> Result<Rate, String> {
        let t = text.trim();
        let (int, frac) = t.split_once('.').unwrap_or((t, ""));
        let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
            return Err(format!("`{text}` is not a decimal number"));
        }
        let frac = frac.trim_end_matches('0');
        if frac.len() > RATE_DECIMALS as usize || int.len() > 12 {
            return Err(format!(
                "`{text}` has more than {RATE_DECIMALS} decimals or is too large"
            ));
        }
        let padded = format!("{int}{frac:0<width$}", width = RATE_DECIMALS as usize);
        let units: i128 = padded
            .parse()
            .map_err(|_| format!("`{text}` is too large"))?;
        if units == 0 {
            return Err("a rate must be more than zero".into());
        }
        Ok(Rate { units })
    }

    /// An amount in micro-units of one currency, in micro-units of the other, rounded half away
    /// from zero.
    pub fn convert_micros(&self, micros: i64) -> i64 {
        div_round(micros as i128 * self.units, Rate::ONE.units) as i64
    }
}

impl fmt::Display for Rate {
    /// The shortest exact decimal: "0.92", "1", "0.0105".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let one = Rate::ONE.units;
        let frac = format!("{:012}", self.units % one);
        let frac = frac.trim_end_matches('0');
        match frac.is_empty() {
            true => write!(f, "{}", self.units / one),
            false => write!(f, "{}.{frac}", self.units / one),
        }
    }
}

fn div_round(a: i128, b: i128) -> i128 {
    let (q, r) = (a / b, a % b);
    if 2 * r.abs() >= b.abs() {
        q + a.signum() * b.signum()
    } else {
        q
    }
}

impl Config {
    /// The rate from `from` into the target currency (1 for the target itself).
    pub fn rate(&self, from: Currency) -> Option<Rate> {
        let to = self.currency?;
        if from == to {
            return Some(Rate::ONE);
        }
        self.rates.get(&from).copied()
    }

    /// Money or a price, as micro-units of the target currency.
    pub fn micros_in_target(&self, amount: Price) -> Option<i64> {
        Some(self.rate(amount.currency)?.convert_micros(amount.micros))
    }

    pub fn money_micros(&self, m: Money) -> Option<i64> {
        self.micros_in_target(Price::from_money(m))
    }
}

pub fn from_raw(raw: RawReport) -> Result<Config> {
    let currency = raw
        .currency
        .as_deref()
        .map(|c| Currency::parse(c).map_err(|e| anyhow!("report.currency: {e}")))
        .transpose()?;
    let Some(target) = currency else {
        if !raw.rates.is_empty() {
            bail!(
                "[report.rates] is set but report.currency is not: say which currency to convert into, e.g. currency = \"EUR\""
            );
        }
        return Ok(Config::default());
    };
    let mut rates = BTreeMap::new();
    for (code, text) in &raw.rates {
        let from = Currency::parse(code).map_err(|e| anyhow!("report.rates.{code}: {e}"))?;
        let rate = Rate::parse(text).map_err(|e| {
            anyhow!(
                "report.rates.{code} = \"{text}\": {e}; write what one {from} is worth in {target}, e.g. \"0.92\""
            )
        })?;
        if from == target && rate != Rate::ONE {
            bail!(
                "report.rates.{code} = \"{text}\": {target} is the report currency, so its rate is 1"
            );
        }
        rates.insert(from, rate);
    }
    Ok(Config {
        currency: Some(target),
        rates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(currency: Option<&str>, rates: &[(&str, &str)]) -> RawReport {
        RawReport {
            currency: currency.map(String::from),
            rates: rates
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn rates_are_exact_decimals() {
        let r = Rate::parse("0.0105").unwrap();
        assert_eq!(r.to_string(), "0.0105");
        assert_eq!(Rate::parse("92.50").unwrap().to_string(), "92.5");
        assert_eq!(Rate::ONE.to_string(), "1");
        // 1,240.00 RUB at 0.0105 = 13.02 EUR, in micros.
        assert_eq!(r.convert_micros(1_240_000_000), 13_020_000);
        assert_eq!(Rate::parse("0.5").unwrap().convert_micros(-3), -2);
        for bad in ["", "abc", "-1", "0", "0.0", "1e3", "1,5", "0.0000000000001"] {
            assert!(Rate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn config_is_validated_with_the_key_named() {
        let c = from_raw(raw(Some("eur"), &[("USD", "0.92"), ("EUR", "1")])).unwrap();
        let eur = Currency::parse("EUR").unwrap();
        assert_eq!(c.currency, Some(eur));
        assert_eq!(c.rate(eur), Some(Rate::ONE));
        assert_eq!(c.rate(Currency::parse("RUB").unwrap()), None);
        assert_eq!(from_raw(RawReport::default()).unwrap(), Config::default());
        let err = |r| format!("{:#}", from_raw(r).unwrap_err());
        assert!(err(raw(None, &[("USD", "1")])).contains("report.currency is not"));
        assert!(err(raw(Some("EUR"), &[("USD", "x")])).contains("report.rates.USD = \"x\""));
        assert!(err(raw(Some("EUR"), &[("US", "1")])).contains("report.rates.US"));
        assert!(err(raw(Some("EUR"), &[("EUR", "2")])).contains("its rate is 1"));
        assert!(err(raw(Some("EURO"), &[])).contains("report.currency"));
    }
}
