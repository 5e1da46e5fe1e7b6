//! Phone normalization to E.164, exactly as Google's libphonenumber reads a number (the
//! `rlibphonenumber` port, checked row by row against libphonenumber itself on the corpus in
//! `fixtures/reference/phones.csv`, see `scripts/reference/phones.py`).
//!
//! A number written with `+` or the region's own international prefix carries its own country
//! code; anything else is national to the cart's country, else the store's default region
//! (`8 912 …` and `912 …` are Russian in RU). An extension (`доб. 5`, `ext. 12`, `;ext=12`,
//! `x123`) is dropped; digits of any script (`８`, `٨`) count. A number is sendable when it has no
//! letters outside its extension, libphonenumber calls it valid, and its type can receive a text:
//! landline, toll-free, premium-rate, shared-cost, UAN and voicemail numbers are refused.

#[cfg(test)]
mod reference;
mod text;

pub use crate::model::iso_country;

use crate::model::E164;
use rlibphonenumber::{
    PHONE_NUMBER_UTIL, ParseError, PhoneNumber, PhoneNumberFormat, PhoneNumberType, enums::Region,
};

/// A valid number and the region it belongs to ("US", "RU", "CA", ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone {
    pub e164: E164,
    /// None for numbers of no country (+800, +882, ...).
    pub region: Option<String>,
    /// NANP area code, for US state rules.
    pub area_code: Option<u16>,
    /// The country calling code (1, 7, 49, ...).
    pub country_code: u16,
    /// Whether the number's prefix says where it is (libphonenumber's "geographical": fixed
    /// lines, US/CA numbers, and mobiles in MX, AR, BR, ID and CN), for the prefix → zone map.
    pub geographic: bool,
}

/// `raw` as an E.164 number that can receive a reminder, reading a number without a country code
/// in `region` (a cart's country or the store's default region; `UK`, `Russia` and the like are
/// understood, see [`iso_country`]).
pub fn normalize(raw: &str, region: &str) -> Result<Phone, String> {
    let t = raw.trim();
    if t.is_empty() {
        return Err("no phone number".into());
    }
    if text::letters_outside_extension(t) {
        return Err(format!(
            "`{t}` has letters in it; a phone number is digits, with at most an extension \
             such as `ext. 12` or `доб. 5`"
        ));
    }
    let home = home_region(region);
    let number = read(raw, home).map_err(|e| parse_error(t, region, home, e))?;
    let e164 = number.format_as(PhoneNumberFormat::E164).into_owned();
    // libphonenumber calls a number valid exactly when it has a type (`is_valid` works the type
    // out and compares it with Unknown): asking once reads the number's patterns once.
    let kind = number.get_type();
    if kind == PhoneNumberType::Unknown {
        // "0033 6 …" in RU, which dials abroad with 810: libphonenumber reads a Russian number.
        let national = home.and_then(|h| PHONE_NUMBER_UTIL.get_country_code_for_region(h))
            == Some(number.country_code);
        let hint = match home {
            Some(h) if national && t.starts_with("00") => {
                format!("; in {h} a number from abroad needs `+` and its country code")
            }
            _ => String::new(),
        };
        return Err(format!(
            "`{t}` is not a valid number (read as {e164}){hint}"
        ));
    }
    if let Some(what) = refused(kind) {
        return Err(format!(
            "`{t}` is a {what} number, not a mobile; reminders go to mobile numbers only"
        ));
    }
    let area_code = if number.country_code == 1 && e164.len() == 12 {
        e164[2..5].parse().ok()
    } else {
        None
    };
    let country_code = number.country_code as u16;
    let geographic = matches!(
        kind,
        PhoneNumberType::FixedLine | PhoneNumberType::FixedLineOrMobile
    ) || (kind == PhoneNumberType::Mobile
        && super::phone_zones::geo_mobile(country_code));
    Ok(Phone {
        region: number_region(&number),
        e164: E164::from_normalized(e164),
        area_code,
        country_code,
        geographic,
    })
}

/// The region a national number is read in, when `region` names one.
fn home_region(region: &str) -> Option<Region> {
    iso_country(region)
        .ok()
        .and_then(|c| Region::from_code(c).ok())
}

/// libphonenumber's reading of `raw`, extension and all.
fn read(raw: &str, home: Option<Region>) -> Result<PhoneNumber, ParseError> {
    PHONE_NUMBER_UTIL.parse(raw, home)
}

/// The country a number belongs to; None for numbers of no country.
fn number_region(number: &PhoneNumber) -> Option<String> {
    number
        .get_region_code()
        .filter(|r| *r != Region::World)
        .map(|r| r.to_string())
}

/// What a number of this type is called when it cannot get a reminder; None when it can.
fn refused(kind: PhoneNumberType) -> Option<&'static str> {
    match kind {
        PhoneNumberType::FixedLine => Some("landline (fixed-line)"),
        PhoneNumberType::TollFree => Some("toll-free"),
        PhoneNumberType::PremiumRate => Some("premium-rate"),
        PhoneNumberType::SharedCost => Some("shared-cost"),
        PhoneNumberType::UAN => Some("universal access (UAN)"),
        PhoneNumberType::VoiceMail => Some("voicemail access"),
        PhoneNumberType::Mobile
        | PhoneNumberType::FixedLineOrMobile
        | PhoneNumberType::VoIP
        | PhoneNumberType::PersonalNumber
        | PhoneNumberType::Pager
        | PhoneNumberType::Unknown => None,
    }
}

fn parse_error(t: &str, region: &str, home: Option<Region>, e: ParseError) -> String {
    match e {
        ParseError::InvalidCountryCode if home.is_none() && !t.starts_with(['+', '＋']) => {
            format!(
                "`{t}` has no country code, and the region to read it in, `{region}`, \
                 is not a country ({})",
                iso_country(region).err().unwrap_or_default()
            )
        }
        ParseError::InvalidCountryCode if t.starts_with(['+', '＋']) => {
            format!("`{t}` starts with an unknown country code")
        }
        ParseError::InvalidCountryCode => format!(
            "`{t}` has no country code libphonenumber knows, and `{region}` has no numbering plan"
        ),
        ParseError::TooShortAfterIdd | ParseError::TooShortNsn => {
            format!("`{t}` is too short for a phone number")
        }
        ParseError::TooLongNsn => format!("`{t}` is too long for a phone number"),
        ParseError::NotANumber(_) => format!("`{t}` is not a phone number"),
    }
}

/// The US state of a NANP area code, for the states whose rules are stricter than federal.
pub fn strict_us_state(area_code: u16) -> Option<&'static str> {
    const FL: &[u16] = &[
        239, 305, 321, 324, 352, 386, 407, 448, 561, 645, 656, 689, 727, 728, 754, 772, 786, 813,
        850, 863, 904, 941, 954,
    ];
    const OK: &[u16] = &[405, 539, 572, 580, 918];
    const MD: &[u16] = &[227, 240, 301, 410, 443, 667];
    const CT: &[u16] = &[203, 475, 860, 959];
    const WA: &[u16] = &[206, 253, 360, 425, 509, 564];
    const TX: &[u16] = &[
        210, 214, 254, 281, 325, 346, 361, 409, 430, 432, 469, 512, 682, 713, 726, 737, 806, 817,
        830, 832, 903, 915, 936, 940, 945, 956, 972, 979,
    ];
    [
        ("FL", FL),
        ("OK", OK),
        ("MD", MD),
        ("CT", CT),
        ("WA", WA),
        ("TX", TX),
    ]
    .iter()
    .find(|(_, codes)| codes.contains(&area_code))
    .map(|(s, _)| *s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(raw: &str, region: &str) -> Result<String, String> {
        normalize(raw, region).map(|p| p.e164.as_str().to_string())
    }

    #[test]
    fn russian_forms() {
        assert_eq!(e("8 (912) 345-67-89", "RU").unwrap(), "+79123456789");
        assert_eq!(e("9123456789", "RU").unwrap(), "+79123456789");
        assert_eq!(e("79123456789", "RU").unwrap(), "+79123456789");
        assert_eq!(e("+7 912 345 67 89", "US").unwrap(), "+79123456789");
        assert_eq!(e("+7 8 912 345 67 89", "US").unwrap(), "+79123456789");
        assert_eq!(
            e("８ ９１２ ３４５ ６７ ８９", "RU").unwrap(),
            "+79123456789"
        );
        assert_eq!(
            normalize("+79123456789", "RU").unwrap().region.as_deref(),
            Some("RU")
        );
    }

    #[test]
    fn other_regions() {
        assert_eq!(e("(415) 555-2671", "US").unwrap(), "+14155552671");
        assert_eq!(e("06 12 34 56 78", "FR").unwrap(), "+33612345678");
        assert_eq!(e("0033 6 12 34 56 78", "DE").unwrap(), "+33612345678");
        assert_eq!(e("810 33 6 12 34 56 78", "RU").unwrap(), "+33612345678");
        assert_eq!(
            normalize("+1 416 555 0199", "US").map(|p| p.region),
            Ok(Some("CA".into()))
        );
        assert_eq!(e("7012345678", "KZ").unwrap(), "+77012345678");
        assert_eq!(e("٠٥٠١٢٣٤٥٦٧", "AE").unwrap(), "+971501234567");
    }

    #[test]
    fn own_country_code_wins_over_the_region() {
        assert_eq!(e("+4915123460216", "US").unwrap(), "+4915123460216");
        assert_eq!(e("+44 (0)7911 123456", "US").unwrap(), "+447911123456");
        assert_eq!(e("+49 (0)151 23460216", "RU").unwrap(), "+4915123460216");
        let err = e("+91-1800-313-430-2", "US").unwrap_err();
        assert!(err.contains("is a toll-free number, not a mobile"), "{err}");
    }

    #[test]
    fn extensions_are_dropped() {
        assert_eq!(e("8 912 345-67-89 доб. 5", "RU").unwrap(), "+79123456789");
        assert_eq!(e("+1 415 555 2671 ext. 12", "RU").unwrap(), "+14155552671");
        assert_eq!(e("+1 415 555 2671;ext=12", "RU").unwrap(), "+14155552671");
        assert_eq!(e("(415) 555-2671 x123", "US").unwrap(), "+14155552671");
    }

    #[test]
    fn international_prefix_of_another_region_is_national() {
        // libphonenumber: Russia dials abroad with 810, so 0033… is a (non-existent) Russian number.
        let err = e("0033 6 12 34 56 78", "RU").unwrap_err();
        assert!(
            err.contains("in RU a number from abroad needs `+`"),
            "{err}"
        );
        assert!(e("0018602371636 доб. 5", "RU").is_err());
    }

    #[test]
    fn rejects_invalid_landlines_and_letters() {
        assert!(e("12345", "RU").is_err());
        assert_eq!(e("", "RU"), Err("no phone number".into()));
        assert!(e("not a phone", "US").unwrap_err().contains("letters"));
        assert!(e("77783abc151961", "KZ").unwrap_err().contains("letters"));
        assert!(e("1-800-FLOWERS", "US").unwrap_err().contains("letters"));
        assert!(e("+7 912 34a 67 89", "RU").unwrap_err().contains("letters"));
        let err = e("+33 1 42 68 53 00", "FR").unwrap_err();
        assert!(err.contains("landline"), "Paris landline: {err}");
        assert!(
            e("+999 123 456 789", "US")
                .unwrap_err()
                .contains("unknown country code")
        );
    }

    #[test]
    fn region_aliases() {
        assert_eq!(e("07911 123456", "UK").unwrap(), "+447911123456");
        assert_eq!(e("8 912 345 67 89", "Россия").unwrap(), "+79123456789");
        assert_eq!(e("+7 912 345 67 89", "Atlantis").unwrap(), "+79123456789");
        let err = e("07911 123456", "Atlantis").unwrap_err();
        assert!(err.contains("`Atlantis`"), "{err}");
    }

    #[test]
    fn us_states() {
        assert_eq!(strict_us_state(305), Some("FL"));
        assert_eq!(strict_us_state(212), None);
        assert_eq!(
            normalize("+13055550123", "US").unwrap().area_code,
            Some(305)
        );
    }

    #[test]
    fn numbers_of_no_country() {
        let p = normalize("+882 34 21234", "RU");
        assert!(matches!(&p, Ok(Phone { region: None, .. })), "{p:?}");
    }
}
