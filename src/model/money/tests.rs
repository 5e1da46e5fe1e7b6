/// The allocation-free reader agrees with the general one on 100,000 strings near its shape.
#[test]
fn quick_amounts_agree_with_the_general_reader() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let alphabet = ['0', '1', '5', '9', '.', ',', '-', ' ', '+', '0', '0', '7'];
    let mut quick = 0;
    for _ in 0..100_000 {
        let len = 1 + next(24) as usize;
        let text: String = (0..len)
            .map(|_| alphabet[next(alphabet.len() as u64) as usize])
            .collect();
        let text = if next(3) == 0 {
            format!("{}.{}", next(100_000), next(1000))
        } else {
            text
        };
        for (exponent, decimal) in [(2, '.'), (0, '.'), (3, ','), (6, '.')] {
            quick += usize::from(
                super::quick_minor(text.trim().as_bytes(), exponent, decimal).is_some(),
            );
            assert_eq!(
                super::parse_minor(&text, exponent, decimal),
                super::parse_minor_general(&text, exponent, decimal),
                "{text:?} exponent {exponent} decimal {decimal:?}"
            );
        }
    }
    assert!(quick > 30_000, "the quick path took only {quick}");
}

use super::*;

fn cur(s: &str) -> Currency {
    Currency::parse(s).unwrap()
}

#[test]
fn parses_amounts_exactly() {
    let rub = cur("rub");
    assert_eq!(Money::parse("3000", rub, '.').unwrap().minor, 300000);
    assert_eq!(Money::parse("3000.50", rub, '.').unwrap().minor, 300050);
    assert_eq!(Money::parse("3 000,50", rub, ',').unwrap().minor, 300050);
    assert_eq!(
        Money::parse("3\u{a0}000,5", rub, ',').unwrap().minor,
        300050
    );
    assert_eq!(
        Money::parse("1,234.50", cur("USD"), '.').unwrap().minor,
        123450
    );
    assert_eq!(
        Money::parse("1.234,50", cur("EUR"), ',').unwrap().minor,
        123450
    );
    assert_eq!(Money::parse("-0.02", cur("USD"), '.').unwrap().minor, -2);
    assert_eq!(Money::parse("5000", cur("JPY"), '.').unwrap().minor, 5000);
    assert_eq!(Money::parse("1.500", cur("KWD"), '.').unwrap().minor, 1500);
    assert_eq!(
        Money::parse("12.30", cur("JPY"), '.').map(|m| m.minor),
        Err("`12.30` has more decimals than the currency's 0".into())
    );
    assert!(Money::parse("12,5", rub, '.').is_err());
    assert!(Money::parse("abc", rub, '.').is_err());
    assert_eq!(
        Money::parse("$30.00", cur("USD"), '.').map(|m| m.minor),
        Err("`$30.00` is not an amount: remove `$` (the currency belongs in the currency column or source.currency)".into())
    );
    assert!(Money::parse("", rub, '.').is_err());
    assert!(Money::parse("1.2.3", rub, '.').is_err());
}

#[test]
fn formats_money() {
    assert_eq!(Money::new(300050, cur("RUB")).decimal_string(), "3000.50");
    assert_eq!(Money::new(-2, cur("USD")).decimal_string(), "-0.02");
    assert_eq!(Money::new(8000, cur("USD")).display(), "$80");
    assert_eq!(Money::new(6050, cur("EUR")).display(), "€60.50");
    assert_eq!(Money::new(300000, cur("RUB")).display(), "3000 RUB");
    assert_eq!(Money::new(5000, cur("JPY")).display(), "5000 JPY");
}

#[test]
fn prices_keep_sub_cent_digits() {
    let usd = cur("USD");
    let p = Price::parse("0.0079", usd).unwrap();
    assert_eq!(p.micros, 7900);
    assert_eq!(p.decimal_string(), "0.0079");
    assert_eq!(p.times(1000).decimal_string(), "7.90");
    assert_eq!(
        Price::parse("-0.00790", usd)
            .unwrap()
            .abs()
            .decimal_string(),
        "0.0079"
    );
    assert_eq!(
        Price::parse("4.5", cur("RUB")).unwrap().decimal_string(),
        "4.50"
    );
    assert_eq!(Price::from_money(Money::new(8000, usd)).micros, 80_000_000);
    assert_eq!(Price::new(200_000_000, usd).decimal_string(), "200.00");
}

/// The form `format_minor` had before: 128-bit arithmetic and `write!`.
fn format_minor_general(minor: i64, exponent: u32) -> String {
    if exponent == 0 {
        return minor.to_string();
    }
    let scale = 10i128.pow(exponent);
    let v = minor as i128;
    let sign = if v < 0 { "-" } else { "" };
    let a = v.abs();
    format!(
        "{sign}{}.{:0width$}",
        a / scale,
        a % scale,
        width = exponent as usize
    )
}

/// The digit writer agrees with the 128-bit `write!` form (the one it replaced) on every
/// exponent a currency or a price uses, at the edges of i64 and on 100,000 random amounts.
#[test]
fn amounts_format_as_the_general_form_formats_them() {
    let mut seed = 0x5851_f42d_4c95_7f2du64;
    let mut values: Vec<i64> = vec![
        0,
        1,
        -1,
        9,
        -9,
        10,
        99,
        100,
        -100,
        12345,
        i64::MAX,
        i64::MIN,
    ];
    values.extend((1..19).map(|k| 10i64.pow(k)));
    values.extend((1..19).map(|k| -(10i64.pow(k)) + 1));
    for _ in 0..100_000 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let v = (seed >> (seed % 60)) as i64;
        values.push(if seed & 1 == 0 { v } else { -v });
    }
    for exponent in [0, 1, 2, 3, 4, 6, 9, 18, 19, 24, 30] {
        for &v in &values {
            assert_eq!(
                format_minor(v, exponent),
                format_minor_general(v, exponent),
                "{v} at {exponent}"
            );
        }
    }
    assert_eq!(format_minor(-5, 2), "-0.05");
    assert_eq!(format_minor(369841, 2), "3698.41");
    assert_eq!(format_minor(5000, 0), "5000");
    assert_eq!(format_minor(i64::MIN, 3), "-9223372036854775.808");
}

/// The minor units of ISO 4217: none for the yen and its like, three for the dinars, two
/// otherwise; every three-letter code has one.
#[test]
fn exponents_follow_iso_4217() {
    let exp = |c: &str| super::Currency::parse(c).unwrap().exponent();
    for c in [
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX",
    ] {
        assert_eq!(exp(c), 0, "{c}");
    }
    for c in ["UYI", "VND", "VUV", "XAF", "XOF", "XPF", "jpy", " krw "] {
        assert_eq!(exp(c), 0, "{c}");
    }
    for c in ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND", "kwd"] {
        assert_eq!(exp(c), 3, "{c}");
    }
    for c in [
        "USD", "EUR", "RUB", "GBP", "AAA", "ZZZ", "KZT", "INR", "BRL",
    ] {
        assert_eq!(exp(c), 2, "{c}");
    }
    let all = (b'A'..=b'Z')
        .flat_map(|a| (b'A'..=b'Z').flat_map(move |b| (b'A'..=b'Z').map(move |c| [a, b, c])));
    let counts = all.fold([0; 4], |mut n, code| {
        n[exp(std::str::from_utf8(&code).unwrap()) as usize] += 1;
        n
    });
    assert_eq!(counts, [17, 0, 26 * 26 * 26 - 24, 7]);
}
