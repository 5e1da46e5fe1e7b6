//! The recipient's time zone, in the order of DESIGN.md §4: the cart's zone, its country, the phone's
//! country when that country has one zone, every zone of a multi-zone country, the store's zone. The
//! country → zones table is tzdata's `zone1970.tab`, kept in the repo as data.

use chrono_tz::Tz;
use std::collections::HashMap;
use std::sync::OnceLock;

static ZONE1970: &str = include_str!("../../data/zone1970.tab");

fn table() -> &'static HashMap<String, Vec<Tz>> {
    static TABLE: OnceLock<HashMap<String, Vec<Tz>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut m: HashMap<String, Vec<Tz>> = HashMap::new();
        for line in ZONE1970
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        {
            let mut cols = line.split('\t');
            let (Some(countries), Some(_coords), Some(zone)) =
                (cols.next(), cols.next(), cols.next())
            else {
                continue;
            };
            let Ok(tz) = zone.parse::<Tz>() else { continue };
            for c in countries.split(',') {
                m.entry(c.to_string()).or_default().push(tz);
            }
        }
        m
    })
}

/// Zones of a country per zone1970.tab (empty for an unknown code).
pub fn country_zones(country: &str) -> &'static [Tz] {
    table().get(country).map(Vec::as_slice).unwrap_or(&[])
}

/// Where the recipient's clock is.
#[derive(Debug, Clone, PartialEq)]
pub enum RecipientZone {
    One {
        zone: Tz,
        why: &'static str,
    },
    /// A multi-zone country with no better signal: the time must be allowed in all of them.
    All {
        country: String,
        zones: &'static [Tz],
    },
    /// The zones the phone number's prefix names, a proper subset of its country's: the time
    /// must be allowed in each (`+1 907`: Anchorage and Adak).
    Prefix {
        country: String,
        zones: Vec<Tz>,
    },
}

impl RecipientZone {
    /// "Europe/Paris", "US:*" for all zones of a country, "America/Adak|America/Anchorage" for
    /// the zones a phone prefix names.
    pub fn label(&self) -> String {
        match self {
            RecipientZone::One { zone, .. } => zone.name().to_string(),
            RecipientZone::All { country, .. } => format!("{country}:*"),
            RecipientZone::Prefix { zones, .. } => {
                zones.iter().map(|z| z.name()).collect::<Vec<_>>().join("|")
            }
        }
    }
}

/// The recipient's zone, in the order of DESIGN.md §4: the cart's timezone column; for the cart's
/// country (else the phone's) its only zone; else, when the number belongs to that country and
/// libphonenumber's prefix map names a proper subset of the country's zones, those zones; else
/// every zone of the country (or the store's with `multi_zone = "store"`); finally the store's.
pub fn recipient_zone(
    cart_zone: Option<Tz>,
    cart_country: Option<&str>,
    phone: Option<&super::phone::Phone>,
    store_zone: Tz,
    multi_zone_all: bool,
) -> RecipientZone {
    let phone_region = phone.and_then(|p| p.region.as_deref());
    if let Some(zone) = cart_zone {
        return RecipientZone::One {
            zone,
            why: "cart timezone",
        };
    }
    for (country, why) in [
        (cart_country, "cart country"),
        (phone_region, "phone country"),
    ] {
        let Some(country) = country else { continue };
        match country_zones(country) {
            [] => continue,
            [zone] => return RecipientZone::One { zone: *zone, why },
            zones
                if phone_region == Some(country)
                    && let Some(named) = prefix_zones(phone, zones) =>
            {
                return match named.as_slice() {
                    [zone] => RecipientZone::One {
                        zone: *zone,
                        why: "phone prefix",
                    },
                    _ => RecipientZone::Prefix {
                        country: country.to_string(),
                        zones: named,
                    },
                };
            }
            zones if multi_zone_all => {
                return RecipientZone::All {
                    country: country.to_string(),
                    zones,
                };
            }
            _ => break,
        }
    }
    RecipientZone::One {
        zone: store_zone,
        why: "store timezone",
    }
}

/// The country's zones that the phone's prefix names, when they are a proper, non-empty subset.
/// A number whose prefix is not geographic gets its calling code's list, which says something
/// only when it is the country's own (+49: Berlin) and nothing when the code is shared (+7: all
/// of Russia and Kazakhstan; +1: North America).
fn prefix_zones(phone: Option<&super::phone::Phone>, country: &[Tz]) -> Option<Vec<Tz>> {
    let phone = phone?;
    let named = super::phone_zones::zones_for(phone)?;
    if !phone.geographic && !named.iter().all(|n| country.iter().any(|z| z.name() == *n)) {
        return None;
    }
    let mut zones: Vec<Tz> = country
        .iter()
        .filter(|z| named.contains(&z.name()))
        .copied()
        .collect();
    zones.sort_by_key(|z| z.name());
    (!zones.is_empty() && zones.len() < country.len()).then_some(zones)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_table() {
        assert_eq!(country_zones("FR"), &[chrono_tz::Europe::Paris]);
        assert!(country_zones("US").len() > 20);
        assert!(country_zones("RU").len() >= 20);
        assert!(country_zones("US").contains(&chrono_tz::Pacific::Honolulu));
        assert!(country_zones("XX").is_empty());
    }

    #[test]
    fn precedence() {
        let msk = chrono_tz::Europe::Moscow;
        let paris = chrono_tz::Europe::Paris;
        let phone = |raw: &str, region: &str| super::super::phone::normalize(raw, region).unwrap();
        let fr = phone("+33612345678", "FR");
        let ny = phone("+12122345678", "US");
        let ak = phone("+19072345678", "US");
        let ru = phone("+79161234567", "RU");
        let de = phone("+4915123460216", "DE");
        let z = |cart_zone, country, p: Option<&super::super::phone::Phone>, all| {
            recipient_zone(cart_zone, country, p, msk, all).label()
        };
        assert_eq!(z(Some(paris), Some("US"), Some(&ny), true), "Europe/Paris");
        assert_eq!(z(None, Some("FR"), Some(&ny), true), "Europe/Paris");
        assert_eq!(z(None, None, Some(&fr), true), "Europe/Paris");
        // A New York number is judged in New York, not in all 29 US zones.
        assert_eq!(z(None, None, Some(&ny), true), "America/New_York");
        assert_eq!(z(None, None, Some(&ny), false), "America/New_York");
        // Alaska: both zones its prefix names must allow it.
        assert_eq!(
            z(None, None, Some(&ak), true),
            "America/Adak|America/Anchorage"
        );
        // A Russian mobile's prefix says nothing: every zone, or the store's.
        assert_eq!(z(None, None, Some(&ru), true), "RU:*");
        assert_eq!(z(None, None, Some(&ru), false), "Europe/Moscow");
        // A German mobile in Germany's two zones (Berlin, Busingen): Berlin, by its prefix.
        assert_eq!(z(None, None, Some(&de), false), "Europe/Berlin");
        // The cart's country wins over the phone's, and a foreign number's prefix is not used.
        assert_eq!(z(None, Some("RU"), Some(&fr), true), "RU:*");
        assert_eq!(z(None, Some("US"), None, true), "US:*");
        assert_eq!(z(None, None, None, true), "Europe/Moscow");
    }
}
