//! A cart's country value as an ISO 3166-1 alpha-2 code: phone numbers are read in it and the
//! country's sending rules are keyed by it, so `UK` or `Russia` must not silently miss both.

/// ISO 3166-1 alpha-2 codes in use (tzdata's `iso3166.tab`), plus `XK` (Kosovo, user-assigned
/// but used by the EU, CLDR and libphonenumber).
const ISO_CODES: [&str; 250] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "XK", "YE", "YT", "ZA", "ZM", "ZW",
];

/// Well-known other spellings, compared in lower case with dots dropped and spaces collapsed:
/// codes that are not ISO (`UK`, `EL`), alpha-3 codes of the usual markets, and names in English
/// and in the markets' own languages.
const ALIASES: &[(&str, &str)] = &[
    ("uk", "GB"),
    ("el", "GR"),
    ("gbr", "GB"),
    ("united kingdom", "GB"),
    ("great britain", "GB"),
    ("britain", "GB"),
    ("england", "GB"),
    ("scotland", "GB"),
    ("wales", "GB"),
    ("northern ireland", "GB"),
    ("usa", "US"),
    ("united states", "US"),
    ("united states of america", "US"),
    ("сша", "US"),
    ("rus", "RU"),
    ("russia", "RU"),
    ("russian federation", "RU"),
    ("россия", "RU"),
    ("российская федерация", "RU"),
    ("рф", "RU"),
    ("deu", "DE"),
    ("germany", "DE"),
    ("deutschland", "DE"),
    ("германия", "DE"),
    ("fra", "FR"),
    ("france", "FR"),
    ("франция", "FR"),
    ("kaz", "KZ"),
    ("kazakhstan", "KZ"),
    ("казахстан", "KZ"),
    ("қазақстан", "KZ"),
    ("ukr", "UA"),
    ("ukraine", "UA"),
    ("україна", "UA"),
    ("украина", "UA"),
    ("blr", "BY"),
    ("belarus", "BY"),
    ("беларусь", "BY"),
    ("белоруссия", "BY"),
    ("can", "CA"),
    ("canada", "CA"),
    ("bra", "BR"),
    ("brazil", "BR"),
    ("brasil", "BR"),
    ("ind", "IN"),
    ("india", "IN"),
    ("are", "AE"),
    ("uae", "AE"),
    ("united arab emirates", "AE"),
    ("оаэ", "AE"),
    ("ita", "IT"),
    ("italy", "IT"),
    ("italia", "IT"),
    ("esp", "ES"),
    ("spain", "ES"),
    ("españa", "ES"),
    ("nld", "NL"),
    ("netherlands", "NL"),
    ("the netherlands", "NL"),
    ("holland", "NL"),
    ("nederland", "NL"),
    ("aut", "AT"),
    ("austria", "AT"),
    ("österreich", "AT"),
    ("che", "CH"),
    ("switzerland", "CH"),
    ("schweiz", "CH"),
    ("suisse", "CH"),
    ("pol", "PL"),
    ("poland", "PL"),
    ("polska", "PL"),
    ("tur", "TR"),
    ("turkey", "TR"),
    ("türkiye", "TR"),
    ("chn", "CN"),
    ("china", "CN"),
    ("jpn", "JP"),
    ("japan", "JP"),
    ("aus", "AU"),
    ("australia", "AU"),
    ("mex", "MX"),
    ("mexico", "MX"),
    ("méxico", "MX"),
    ("irl", "IE"),
    ("ireland", "IE"),
    ("uzb", "UZ"),
    ("uzbekistan", "UZ"),
    ("узбекистан", "UZ"),
    ("kgz", "KG"),
    ("kyrgyzstan", "KG"),
    ("кыргызстан", "KG"),
    ("киргизия", "KG"),
    ("armenia", "AM"),
    ("армения", "AM"),
    ("азербайджан", "AZ"),
    ("azerbaijan", "AZ"),
    ("грузия", "GE"),
    ("молдова", "MD"),
    ("moldova", "MD"),
];

/// The ISO 3166-1 alpha-2 code for a country value: `ru`, `RU`, `UK` (→ GB), `EL` (→ GR),
/// `Russia`, `Россия`, `USA`, `Deutschland`, … Anything else is an error that names the value,
/// never a silent pass.
/// For each pair of letters AA..ZZ, its index in `ISO_CODES` when it is a code.
const BY_LETTERS: [Option<u8>; 26 * 26] = {
    let mut table = [None; 26 * 26];
    let mut i = 0;
    while i < ISO_CODES.len() {
        let c = ISO_CODES[i].as_bytes();
        table[(c[0] - b'A') as usize * 26 + (c[1] - b'A') as usize] = Some(i as u8);
        i += 1;
    }
    table
};

pub fn iso_country(raw: &str) -> Result<&'static str, String> {
    let t = super::trim(raw);
    // The common case, once per row: a two-letter code, looked up in a table by its letters.
    if let [a, b] = t.as_bytes()
        && a.is_ascii_alphabetic()
        && b.is_ascii_alphabetic()
    {
        let slot = (a.to_ascii_uppercase() - b'A') as usize * 26
            + (b.to_ascii_uppercase() - b'A') as usize;
        if let Some(i) = BY_LETTERS[slot] {
            return Ok(ISO_CODES[i as usize]);
        }
    }
    if let Some(code) = ISO_CODES.iter().find(|c| c.eq_ignore_ascii_case(t)) {
        return Ok(code);
    }
    let key = t
        .replace('.', "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    let compact = key.replace(' ', ""); // "U. K." and "G B"
    for k in [&key, &compact] {
        if let Some((_, code)) = ALIASES.iter().find(|(name, _)| name == k) {
            return Ok(code);
        }
        if let Some(code) = ISO_CODES.iter().find(|c| c.eq_ignore_ascii_case(k)) {
            return Ok(code);
        }
    }
    Err(if t.is_empty() {
        "the country is blank; use a two-letter ISO 3166 code such as GB, RU or US".into()
    } else {
        format!(
            "country `{t}` is not an ISO 3166 alpha-2 code nor a country name cartnudge knows; \
             map it to a two-letter code such as GB, RU or US in the source's column or query"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_in_any_case() {
        assert_eq!(iso_country("RU"), Ok("RU"));
        assert_eq!(iso_country("ru"), Ok("RU"));
        assert_eq!(iso_country(" gB "), Ok("GB"));
        assert_eq!(iso_country("xk"), Ok("XK"));
        assert_eq!(iso_country("U.S."), Ok("US"));
        assert_eq!(ISO_CODES.len(), 250);
        assert!(ISO_CODES.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn aliases_and_names() {
        for (raw, code) in [
            ("UK", "GB"),
            ("uk", "GB"),
            ("U.K.", "GB"),
            ("U. K.", "GB"),
            ("EL", "GR"),
            ("United Kingdom", "GB"),
            ("united  kingdom", "GB"),
            ("Россия", "RU"),
            ("РОССИЯ", "RU"),
            ("Russia", "RU"),
            ("Russian Federation", "RU"),
            ("USA", "US"),
            ("U.S.A.", "US"),
            ("United States", "US"),
            ("Deutschland", "DE"),
            ("Germany", "DE"),
            ("Қазақстан", "KZ"),
            ("Österreich", "AT"),
        ] {
            assert_eq!(iso_country(raw), Ok(code), "{raw}");
        }
    }

    #[test]
    fn the_code_list_is_sorted_and_two_letter_codes_are_found_in_any_case() {
        assert!(
            ISO_CODES.windows(2).all(|w| w[0] < w[1]),
            "binary search needs order"
        );
        for code in ISO_CODES {
            assert_eq!(iso_country(code), Ok(code));
            assert_eq!(iso_country(&code.to_lowercase()), Ok(code));
        }
        assert_eq!(iso_country("uk"), Ok("GB"));
    }

    #[test]
    fn unknown_values_are_reported() {
        for raw in [
            "Untied Kingdom",
            "EU",
            "ZZ",
            "001",
            "Georgia",
            "R",
            "Moscow",
        ] {
            let e = iso_country(raw).unwrap_err();
            assert!(e.contains(&format!("`{raw}`")), "{e}");
            assert!(e.contains("two-letter"), "{e}");
        }
        assert!(iso_country("  ").unwrap_err().contains("blank"));
    }
}
