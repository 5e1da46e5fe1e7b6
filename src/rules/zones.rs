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
}

impl RecipientZone {
    /// "Europe/Paris", or "US:*" for all zones of a country.
    pub fn label(&self) -> String {
        match self {
            RecipientZone::One { zone, .. } => zone.name().to_string(),
            RecipientZone::All { country, .. } => format!("{country}:*"),
        }
    }
}

pub fn recipient_zone(
    cart_zone: Option<Tz>,
    cart_country: Option<&str>,
    phone_region: Option<&str>,
    store_zone: Tz,
    multi_zone_all: bool,
) -> RecipientZone {
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
        assert_eq!(
            recipient_zone(Some(paris), Some("US"), Some("US"), msk, true).label(),
            "Europe/Paris"
        );
        assert_eq!(
            recipient_zone(None, Some("FR"), Some("US"), msk, true).label(),
            "Europe/Paris"
        );
        assert_eq!(
            recipient_zone(None, None, Some("FR"), msk, true).label(),
            "Europe/Paris"
        );
        assert_eq!(
            recipient_zone(None, None, Some("US"), msk, true).label(),
            "US:*"
        );
        assert_eq!(
            recipient_zone(None, Some("RU"), Some("FR"), msk, true).label(),
            "RU:*"
        );
        assert_eq!(
            recipient_zone(None, None, Some("US"), msk, false).label(),
            "Europe/Moscow"
        );
        assert_eq!(
            recipient_zone(None, None, None, msk, true).label(),
            "Europe/Moscow"
        );
    }
}
