//! Phone normalization to E.164 with libphonenumber's metadata (the `phonenumber` crate): a number
//! without a country code is read in the cart's country, else the store's default region; Russian
//! `8XXXXXXXXXX` and bare 10-digit forms become +7. A number libphonenumber calls invalid, or a
//! landline, toll-free or premium number, cannot receive a reminder.

mod country;

pub use country::iso_country;

use crate::model::E164;
use phonenumber::{Mode, Type, country::Id};

/// A valid number and the region it belongs to ("US", "RU", "CA", ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone {
    pub e164: E164,
    pub region: Option<String>,
    /// NANP area code, for US state rules.
    pub area_code: Option<u16>,
}

pub fn normalize(raw: &str, region: &str) -> Result<Phone, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err("no phone number".into());
    }
    let digits: String = trimmed.chars().filter(|c| c.is_ascii_digit()).collect();
    let has_plus = trimmed.starts_with('+') || trimmed.starts_with("00");
    let mut text = trimmed.to_string();
    if trimmed.starts_with("00") {
        text = format!("+{}", &digits[2..]);
    }
    let id: Option<Id> = region.parse().ok();
    // Russian 11-digit numbers written with the country code but no plus ("79123456789").
    if !has_plus && region == "RU" && digits.len() == 11 && digits.starts_with('7') {
        text = format!("+{digits}");
    }
    let number = phonenumber::parse(id, &text)
        .map_err(|e| format!("`{trimmed}` is not a phone number ({e})"))?;
    if !phonenumber::is_valid(&number) {
        return Err(format!("`{trimmed}` is not a valid number for its region"));
    }
    let kind = number.number_type(&phonenumber::metadata::DATABASE);
    if matches!(
        kind,
        Type::FixedLine
            | Type::TollFree
            | Type::PremiumRate
            | Type::SharedCost
            | Type::Uan
            | Type::Voicemail
    ) {
        return Err(format!("`{trimmed}` is a {kind:?} number, not a mobile"));
    }
    let e164 = number.format().mode(Mode::E164).to_string();
    let region = number.country().id().map(|i| i.as_ref().to_string());
    let area_code = if e164.starts_with("+1") && e164.len() == 12 {
        e164[2..5].parse().ok()
    } else {
        None
    };
    Ok(Phone {
        e164: E164::from_normalized(e164),
        region,
        area_code,
    })
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
    [("FL", FL), ("OK", OK), ("MD", MD), ("CT", CT), ("WA", WA)]
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
        assert_eq!(
            normalize("+79123456789", "RU").unwrap().region.as_deref(),
            Some("RU")
        );
    }

    #[test]
    fn other_regions() {
        assert_eq!(e("(415) 555-2671", "US").unwrap(), "+14155552671");
        assert_eq!(e("06 12 34 56 78", "FR").unwrap(), "+33612345678");
        assert_eq!(e("0033 6 12 34 56 78", "RU").unwrap(), "+33612345678");
        assert_eq!(
            normalize("+1 416 555 0199", "US").map(|p| p.region),
            Ok(Some("CA".into()))
        );
    }

    #[test]
    fn rejects_invalid_and_landlines() {
        assert!(e("12345", "RU").is_err());
        assert!(e("", "RU").is_err());
        assert!(e("not a phone", "US").is_err());
        assert!(e("+33 1 42 68 53 00", "FR").is_err(), "Paris landline");
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
}
