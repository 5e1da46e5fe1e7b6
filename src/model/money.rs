//! Money in integer minor units with an ISO 4217 currency, and prices in micro-units for
//! sub-cent SMS rates. Never a float; amounts in different currencies are never added.

use std::fmt;

/// ISO 4217 code, always three upper-case ASCII letters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    pub fn parse(s: &str) -> Result<Currency, String> {
        let t = super::trim(s);
        let b = t.as_bytes();
        if b.len() != 3 || !b.iter().all(|c| c.is_ascii_alphabetic()) {
            return Err(format!(
                "`{t}` is not an ISO 4217 currency code (three letters, e.g. RUB, EUR, USD)"
            ));
        }
        Ok(Currency([
            b[0].to_ascii_uppercase(),
            b[1].to_ascii_uppercase(),
            b[2].to_ascii_uppercase(),
        ]))
    }

    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ASCII by construction")
    }

    /// Number of decimal places of the minor unit (ISO 4217): one look-up, since every row's
    /// amount asks.
    pub fn exponent(&self) -> u32 {
        u32::from(EXPONENTS[slot(&self.0)])
    }
}

/// The currencies whose minor unit is not a hundredth (ISO 4217).
const NO_DECIMALS: &[&[u8; 3]] = &[
    b"BIF", b"CLP", b"DJF", b"GNF", b"ISK", b"JPY", b"KMF", b"KRW", b"PYG", b"RWF", b"UGX", b"UYI",
    b"VND", b"VUV", b"XAF", b"XOF", b"XPF",
];
const THREE_DECIMALS: &[&[u8; 3]] = &[b"BHD", b"IQD", b"JOD", b"KWD", b"LYD", b"OMR", b"TND"];

/// `exponent` of every three-letter code, worked out when compiling.
static EXPONENTS: [u8; 26 * 26 * 26] = {
    let mut table = [2u8; 26 * 26 * 26];
    let mut i = 0;
    while i < NO_DECIMALS.len() {
        table[slot(NO_DECIMALS[i])] = 0;
        i += 1;
    }
    let mut i = 0;
    while i < THREE_DECIMALS.len() {
        table[slot(THREE_DECIMALS[i])] = 3;
        i += 1;
    }
    table
};

/// A code's place in `EXPONENTS`: its letters are upper-case ASCII (`Currency::parse`).
const fn slot(code: &[u8; 3]) -> usize {
    (code[0] - b'A') as usize * 676 + (code[1] - b'A') as usize * 26 + (code[2] - b'A') as usize
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An amount of money: integer minor units and a currency. Never a float.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    /// Parses "3000", "3000.50", "3 000,50", "-1.5" exactly. `decimal` is `.` or `,`; spaces
    /// (also no-break and thin spaces) and apostrophes group thousands, and so does the other
    /// separator when every group after it has three digits ("1,234.50" with `.`).
    pub fn parse(text: &str, currency: Currency, decimal: char) -> Result<Money, String> {
        let minor = parse_minor(text, currency.exponent(), decimal)?;
        Ok(Money { minor, currency })
    }

    /// Decimal string with exactly the currency's digits: "3000.50", "150", "-0.02".
    pub fn decimal_string(&self) -> String {
        format_minor(self.minor, self.currency.exponent())
    }

    /// Human form for message texts: "$80", "€60.50", "3000 RUB".
    pub fn display(&self) -> String {
        let mut amount = self.decimal_string();
        let exp = self.currency.exponent() as usize;
        if exp > 0 && amount.ends_with(&"0".repeat(exp)) {
            amount.truncate(amount.len() - exp - 1);
        }
        match self.currency.code() {
            "USD" => format!("${amount}"),
            "EUR" => format!("€{amount}"),
            "GBP" => format!("£{amount}"),
            code => format!("{amount} {code}"),
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.decimal_string(), self.currency)
    }
}

/// `minor` as a decimal with `exponent` places: "3698.41", "-0.05", "5000" (exponent 0).
pub fn format_minor(minor: i64, exponent: u32) -> String {
    // Digits from the last, then turned round: no division of 128-bit numbers (a library call)
    // and no formatting machinery, for every audited cart's total.
    let mut out = Vec::with_capacity(exponent as usize + 22);
    let mut n = minor.unsigned_abs();
    for _ in 0..exponent {
        out.push(b'0' + (n % 10) as u8);
        n /= 10;
    }
    if exponent > 0 {
        out.push(b'.');
    }
    loop {
        out.push(b'0' + (n % 10) as u8);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if minor < 0 {
        out.push(b'-');
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII digits")
}

fn parse_minor(text: &str, exponent: u32, decimal: char) -> Result<i64, String> {
    match quick_minor(super::trim(text).as_bytes(), exponent, decimal) {
        Some(v) => Ok(v),
        None => parse_minor_general(text, exponent, decimal),
    }
}

/// `-?DIGITS[<decimal>DIGITS]`, the shape nearly every export writes, without allocating. None
/// for anything else (grouping, signs, spaces, too many decimals, overflow): the general reader
/// decides, so the two always agree (a unit test compares them).
fn quick_minor(b: &[u8], exponent: u32, decimal: char) -> Option<i64> {
    let (neg, b) = match b {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, b),
    };
    let dec = u8::try_from(decimal).ok().filter(u8::is_ascii)?;
    let (int, frac) = match memchr::memchr(dec, b) {
        Some(i) => (&b[..i], &b[i + 1..]),
        None => (b, &b[..0]),
    };
    if int.is_empty() || !int.iter().chain(frac).all(u8::is_ascii_digit) {
        return None;
    }
    let frac = &frac[..frac.len() - frac.iter().rev().take_while(|c| **c == b'0').count()];
    if frac.len() > exponent as usize {
        return None;
    }
    let mut v: i64 = 0;
    for &c in int.iter().chain(frac) {
        v = v.checked_mul(10)?.checked_add(i64::from(c - b'0'))?;
    }
    v = v.checked_mul(10i64.checked_pow(exponent - frac.len() as u32)?)?;
    Some(if neg { -v } else { v })
}

fn parse_minor_general(text: &str, exponent: u32, decimal: char) -> Result<i64, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty amount".into());
    }
    let (neg, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let grouping = if decimal == ',' { '.' } else { ',' };
    let cleaned: String = body
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\''))
        .collect();
    let (int_part, frac_part) = match cleaned.rsplit_once(decimal) {
        Some((i, f)) => (i.to_string(), f.to_string()),
        None => (cleaned.clone(), String::new()),
    };
    let int_digits = if int_part.contains(grouping) {
        let mut groups = int_part.split(grouping);
        let first = groups.next().unwrap_or("");
        if first.is_empty() || first.len() > 3 || groups.clone().any(|g| g.len() != 3) {
            return Err(format!(
                "`{t}` is not an amount: `{grouping}` is not the decimal separator here"
            ));
        }
        int_part.replace(grouping, "")
    } else {
        int_part
    };
    if int_digits.is_empty() && frac_part.is_empty() {
        return Err(format!("`{t}` is not an amount"));
    }
    if !int_digits.chars().all(|c| c.is_ascii_digit())
        || !frac_part.chars().all(|c| c.is_ascii_digit())
    {
        // Say what is actually wrong: a currency sign or code in the amount, else the separator.
        if let Some(sign) = t
            .chars()
            .find(|c| matches!(c, '$' | '€' | '£' | '¥' | '₽' | '₴' | '₸' | '₹' | '₩' | 'R'))
            .or_else(|| t.chars().find(|c| c.is_alphabetic()))
        {
            return Err(format!(
                "`{t}` is not an amount: remove `{sign}` (the currency belongs in the currency column or source.currency)"
            ));
        }
        return Err(format!(
            "`{t}` is not an amount (decimal separator is `{decimal}`)"
        ));
    }
    let frac_trimmed = frac_part.trim_end_matches('0');
    if frac_trimmed.len() > exponent as usize {
        return Err(format!(
            "`{t}` has more decimals than the currency's {exponent}"
        ));
    }
    let mut digits = if int_digits.is_empty() {
        "0".to_string()
    } else {
        int_digits
    };
    digits.push_str(frac_trimmed);
    digits.push_str(&"0".repeat(exponent as usize - frac_trimmed.len()));
    let v: i64 = digits.parse().map_err(|_| format!("`{t}` is too large"))?;
    Ok(if neg { -v } else { v })
}

/// A price per message or per segment: SMS prices are often fractions of a minor unit (0.0079 USD),
/// so they are kept as integer millionths of the major unit. Still never a float.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Price {
    pub micros: i64,
    pub currency: Currency,
}

impl Price {
    pub fn new(micros: i64, currency: Currency) -> Price {
        Price { micros, currency }
    }

    /// "4.50", "0.0079", "-0.00790" (Twilio reports prices negative; callers take `abs`).
    pub fn parse(text: &str, currency: Currency) -> Result<Price, String> {
        Ok(Price {
            micros: parse_minor(text, 6, '.')?,
            currency,
        })
    }

    /// At least the currency's digits, more when the price has them: "4.50", "0.0079".
    pub fn decimal_string(&self) -> String {
        let full = format_minor(self.micros, 6);
        let keep = self.currency.exponent() as usize;
        let (int, frac) = full.split_once('.').expect("six decimals");
        let trimmed = frac.trim_end_matches('0');
        let frac = if trimmed.len() < keep {
            &frac[..keep]
        } else {
            trimmed
        };
        if frac.is_empty() {
            int.to_string()
        } else {
            format!("{int}.{frac}")
        }
    }

    pub fn times(&self, n: i64) -> Price {
        Price {
            micros: self.micros * n,
            currency: self.currency,
        }
    }

    pub fn abs(&self) -> Price {
        Price {
            micros: self.micros.abs(),
            currency: self.currency,
        }
    }

    /// Money in micros, for comparing revenue with cost exactly.
    pub fn from_money(m: Money) -> Price {
        Price {
            micros: m.minor * 10i64.pow(6 - m.currency.exponent()),
            currency: m.currency,
        }
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.decimal_string(), self.currency)
    }
}

/// "1240.00" → "1,240.00", for tables read by people (JSON and CSV keep the plain form).
pub fn grouped(decimal: &str) -> String {
    let (sign, rest) = decimal
        .strip_prefix('-')
        .map(|r| ("-", r))
        .unwrap_or(("", decimal));
    let (int, frac) = rest
        .split_once('.')
        .map(|(i, f)| (i, Some(f)))
        .unwrap_or((rest, None));
    let mut out = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    match frac {
        Some(f) => format!("{sign}{out}.{f}"),
        None => format!("{sign}{out}"),
    }
}

#[cfg(test)]
mod tests;
