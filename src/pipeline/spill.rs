//! What a run keeps past a fixed amount of memory. A run holds two things that grow with the
//! eligible carts in the rules' window: the best rank of each phone (`phone_cooldown`) and the
//! holdout group (recorded after the stream, so that a data error still stops the run before
//! anything is written). Past `Memory`'s counts, the rest goes to a private temporary SQLite
//! database, which SQLite unlinks as it creates it (a killed run leaves no file behind), so a
//! run's peak memory stops growing there: 10M or 20M rows take within a few MiB of 1M.

use super::Candidate;
use crate::model::{Cart, Currency, Decision, E164, LocalTime, Location, Money, Price, Reason};
use crate::rules::phone::Phone;
use crate::rules::zones::{RecipientZone, country_zones};
use crate::rules::{Evaluation, Facts};
use anyhow::{Context, Result, anyhow};
use chrono::{DateTime, FixedOffset, Utc};
use chrono_tz::Tz;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

/// How many phones and holdout carts a run keeps in memory before it uses the temporary
/// database. `DEFAULT` holds ~0.6 MB of phone ranks and ~1 MB of holdout carts: a 1M-row export
/// with 10% of its carts in the window has ~6,000 eligible phones.
#[derive(Clone, Copy, Debug)]
pub struct Memory {
    pub phones: usize,
    pub holdouts: usize,
}

impl Memory {
    pub const DEFAULT: Memory = Memory {
        phones: 8192,
        holdouts: 1024,
    };
}

/// Where the temporary database is, and what to do when it cannot be written.
pub(super) const WHERE: &str = "it lives in $SQLITE_TMPDIR, else $TMPDIR, else /var/tmp or \
     /tmp, and takes about 1 KB per holdout cart past the first 1,024 and 50 bytes per phone past \
     the first 8,192: free space there, or point SQLITE_TMPDIR at a writable directory with room";

/// A private temporary database: SQLite names it, creates it only when its cache of `cache_kib`
/// KiB fills, and deletes it on close. There is no journal and one transaction that is never
/// committed, since nothing in it outlives the run: pages reach the file only when the cache is
/// full.
pub(super) fn temp_db(table: &str, cache_kib: u32) -> Result<Connection> {
    let open = || -> rusqlite::Result<Connection> {
        let db = Connection::open("")?;
        db.execute_batch(&format!(
            "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -{cache_kib};
             {table} BEGIN;"
        ))?;
        Ok(db)
    };
    open().with_context(|| {
        format!("cannot open a temporary database for what this run holds past its memory; {WHERE}")
    })
}

/// The holdout group, in the order the carts were met: the first `cap` in memory, the rest as
/// JSON rows in a temporary database.
pub struct Holdouts {
    kept: Vec<Candidate>,
    cap: usize,
    disk: Option<Connection>,
    spilled: u64,
}

impl Holdouts {
    pub(super) fn new(cap: usize) -> Holdouts {
        Holdouts {
            kept: Vec::new(),
            cap,
            disk: None,
            spilled: 0,
        }
    }

    pub(super) fn push(&mut self, c: Candidate) -> Result<()> {
        if self.kept.len() < self.cap {
            self.kept.push(c);
            return Ok(());
        }
        let db = match &mut self.disk {
            Some(db) => db,
            None => self
                .disk
                // Appended, then read once in order: a small cache does.
                .insert(temp_db(
                    "CREATE TABLE holdouts (record BLOB NOT NULL);",
                    256,
                )?),
        };
        let record = serde_json::to_vec(&Frozen::freeze(&c))?;
        db.prepare_cached("INSERT INTO holdouts (record) VALUES (?1)")?
            .execute([record])
            .with_context(|| {
                format!("cannot write a holdout cart to the temporary database; {WHERE}")
            })?;
        self.spilled += 1;
        Ok(())
    }

    pub fn len(&self) -> u64 {
        self.kept.len() as u64 + self.spilled
    }

    /// How many are kept in memory (the rest are on disk).
    #[cfg(test)]
    pub(crate) fn in_memory(&self) -> usize {
        self.kept.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Each holdout cart, in the order they were met.
    pub fn for_each(&self, mut f: impl FnMut(&Candidate) -> Result<()>) -> Result<()> {
        for c in &self.kept {
            f(c)?;
        }
        let Some(db) = &self.disk else {
            return Ok(());
        };
        let mut stmt = db.prepare("SELECT record FROM holdouts ORDER BY rowid")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let frozen: Frozen = serde_json::from_slice(row.get_ref(0)?.as_blob()?)
                .context("a holdout cart read back from the temporary database")?;
            f(&frozen.thaw()?)?;
        }
        Ok(())
    }
}

/// A candidate as plain, owned data. The rule detail is kept as its text, and the zones as
/// their names: that is all the outputs and the ledger use of them.
#[derive(Serialize, Deserialize)]
struct Frozen {
    source: String,
    line: u64,
    record: Option<u64>,
    cart_id: String,
    customer_id: Option<String>,
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    total: (i64, String),
    items_count: Option<i64>,
    updated_at: DateTime<Utc>,
    consent: bool,
    consent_at: Option<DateTime<Utc>>,
    country: Option<String>,
    timezone: Option<String>,
    status: Option<String>,
    link: Option<String>,
    email_sent_at: Option<DateTime<Utc>>,
    email_opened_at: Option<DateTime<Utc>>,
    decision: String,
    reason: Option<String>,
    detail: String,
    phone_fact: Option<Result<FrozenPhone, String>>,
    zone: Option<FrozenZone>,
    /// Each time as (UTC seconds, nanoseconds, offset seconds): RFC 3339 would round an offset
    /// with seconds (a zone's local mean time, for a `--now` before its standard time).
    local_time: Option<(Instant, Option<Instant>)>,
    message: Option<FrozenMessage>,
    missing_threshold: Option<String>,
}

type Instant = (i64, u32, i32);

fn instant(t: &DateTime<FixedOffset>) -> Instant {
    (
        t.timestamp(),
        t.timestamp_subsec_nanos(),
        t.offset().local_minus_utc(),
    )
}

fn from_instant((secs, nanos, offset): Instant) -> Result<DateTime<FixedOffset>> {
    let offset = FixedOffset::east_opt(offset).ok_or_else(|| anyhow!("offset {offset} s"))?;
    let utc = DateTime::from_timestamp(secs, nanos).ok_or_else(|| anyhow!("time {secs} s"))?;
    Ok(utc.with_timezone(&offset))
}

#[derive(Serialize, Deserialize)]
struct FrozenPhone {
    e164: String,
    region: Option<String>,
    area_code: Option<u16>,
    country_code: u16,
    geographic: bool,
}

#[derive(Serialize, Deserialize)]
enum FrozenZone {
    One { zone: String, why: String },
    All { country: String },
    Prefix { country: String, zones: Vec<String> },
}

#[derive(Serialize, Deserialize)]
struct FrozenMessage {
    text: String,
    blank: bool,
    ucs2: bool,
    units: usize,
    segments: u32,
    est_cost: Option<(i64, String)>,
}

/// The reasons `recipient_zone` gives for one zone (all it ever gives).
const ZONE_WHYS: &[&str] = &[
    "cart timezone",
    "cart country",
    "phone country",
    "phone prefix",
    "store timezone",
];

impl Frozen {
    fn freeze(c: &Candidate) -> Frozen {
        let (cart, facts) = (&c.cart, &c.eval.facts);
        let tz_name = |z: &Tz| z.name().to_string();
        Frozen {
            source: cart.loc.source.to_string(),
            line: cart.loc.line,
            record: cart.loc.record,
            cart_id: cart.cart_id.clone(),
            customer_id: cart.customer_id.clone(),
            name: cart.name.clone(),
            email: cart.email.clone(),
            phone: cart.phone.clone(),
            total: (cart.total.minor, cart.total.currency.code().to_string()),
            items_count: cart.items_count,
            updated_at: cart.updated_at,
            consent: cart.consent,
            consent_at: cart.consent_at,
            country: cart.country.clone(),
            timezone: cart.timezone.as_ref().map(tz_name),
            status: cart.status.clone(),
            link: cart.link.clone(),
            email_sent_at: cart.email_sent_at,
            email_opened_at: cart.email_opened_at,
            decision: c.eval.decision.as_str().to_string(),
            reason: c.eval.reason.map(|r| r.as_str().to_string()),
            detail: c.eval.detail.to_string(),
            phone_fact: facts.phone.as_ref().map(|p| {
                p.as_ref()
                    .map(|p| FrozenPhone {
                        e164: p.e164.as_str().to_string(),
                        region: p.region.clone(),
                        area_code: p.area_code,
                        country_code: p.country_code,
                        geographic: p.geographic,
                    })
                    .map_err(String::clone)
            }),
            zone: facts.zone.as_ref().map(|z| match z {
                RecipientZone::One { zone, why } => FrozenZone::One {
                    zone: tz_name(zone),
                    why: why.to_string(),
                },
                RecipientZone::All { country, .. } => FrozenZone::All {
                    country: country.clone(),
                },
                RecipientZone::Prefix { country, zones } => FrozenZone::Prefix {
                    country: country.clone(),
                    zones: zones.iter().map(tz_name).collect(),
                },
            }),
            local_time: facts.local_time.as_ref().map(|t| match t {
                LocalTime::At(t) => (instant(t), None),
                LocalTime::Range(a, b) => (instant(a), Some(instant(b))),
            }),
            message: facts.message.as_ref().map(|m| FrozenMessage {
                text: m.text.clone(),
                blank: m.blank,
                ucs2: m.count.encoding == crate::message::Encoding::Ucs2,
                units: m.count.units,
                segments: m.count.segments,
                est_cost: m
                    .est_cost
                    .map(|p| (p.micros, p.currency.code().to_string())),
            }),
            missing_threshold: facts.missing_threshold.map(|c| c.code().to_string()),
        }
    }

    fn thaw(self) -> Result<Candidate> {
        let currency = |c: &str| Currency::parse(c).map_err(|e| anyhow!(e));
        let tz = |z: &str| z.parse::<Tz>().map_err(|e| anyhow!("zone {z}: {e}"));
        let cart = Cart {
            loc: Location {
                source: self.source.into(),
                line: self.line,
                record: self.record,
            },
            cart_id: self.cart_id,
            customer_id: self.customer_id,
            name: self.name,
            email: self.email,
            phone: self.phone,
            total: Money::new(self.total.0, currency(&self.total.1)?),
            items_count: self.items_count,
            updated_at: self.updated_at,
            consent: self.consent,
            consent_at: self.consent_at,
            country: self.country,
            timezone: self.timezone.as_deref().map(tz).transpose()?,
            status: self.status,
            link: self.link,
            email_sent_at: self.email_sent_at,
            email_opened_at: self.email_opened_at,
        };
        let zone = match self.zone {
            None => None,
            Some(FrozenZone::One { zone, why }) => Some(RecipientZone::One {
                zone: tz(&zone)?,
                why: ZONE_WHYS
                    .iter()
                    .find(|w| **w == why)
                    .ok_or_else(|| anyhow!("unknown zone reason {why:?}"))?,
            }),
            Some(FrozenZone::All { country }) => Some(RecipientZone::All {
                zones: country_zones(&country),
                country,
            }),
            Some(FrozenZone::Prefix { country, zones }) => Some(RecipientZone::Prefix {
                country,
                zones: zones.iter().map(|z| tz(z)).collect::<Result<_>>()?,
            }),
        };
        let message = match self.message {
            None => None,
            Some(m) => Some(crate::message::Rendered {
                text: m.text,
                blank: m.blank,
                count: crate::message::SegmentCount {
                    encoding: if m.ucs2 {
                        crate::message::Encoding::Ucs2
                    } else {
                        crate::message::Encoding::Gsm7
                    },
                    units: m.units,
                    segments: m.segments,
                },
                est_cost: match m.est_cost {
                    Some((micros, c)) => Some(Price::new(micros, currency(&c)?)),
                    None => None,
                },
            }),
        };
        let facts = Facts {
            phone: self.phone_fact.map(|p| {
                p.map(|p| Phone {
                    e164: E164::from_normalized(p.e164),
                    region: p.region,
                    area_code: p.area_code,
                    country_code: p.country_code,
                    geographic: p.geographic,
                })
            }),
            zone,
            local_time: match self.local_time {
                None => None,
                Some((a, None)) => Some(LocalTime::At(from_instant(a)?)),
                Some((a, Some(b))) => Some(LocalTime::Range(from_instant(a)?, from_instant(b)?)),
            },
            message,
            missing_threshold: self
                .missing_threshold
                .as_deref()
                .map(currency)
                .transpose()?,
        };
        let decision = Decision::parse(&self.decision)
            .ok_or_else(|| anyhow!("unknown decision {:?}", self.decision))?;
        let reason = match self.reason {
            Some(r) => Some(Reason::parse(&r).ok_or_else(|| anyhow!("unknown reason {r:?}"))?),
            None => None,
        };
        Ok(Candidate {
            cart,
            eval: Evaluation {
                decision,
                reason,
                detail: self.detail.into(),
                facts,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Why;

    fn all(c: &Candidate) -> String {
        format!(
            "{:?} {:?} {:?} {} {:?}",
            c.cart, c.eval.decision, c.eval.reason, c.eval.detail, c.eval.facts
        )
    }

    /// A candidate with every field set comes back whole, also where text forms would lose
    /// something: an offset with seconds (Moscow's local mean time, for a `--now` in 1870), a
    /// leap second's nanoseconds, an absent versus an empty value.
    #[test]
    fn a_candidate_comes_back_whole() {
        let lmt = FixedOffset::east_opt(2 * 3600 + 30 * 60 + 17).unwrap();
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let leap = DateTime::from_timestamp(1_483_228_799, 1_500_000_000).unwrap();
        let mut cart = crate::rules::testing::cart("Ж-1,\"q\"");
        cart.loc = Location {
            source: "carts.json".into(),
            line: 7,
            record: Some(3),
        };
        cart.customer_id = Some(String::new());
        cart.email = Some("a@b.example".into());
        cart.country = Some("US".into());
        cart.timezone = Some(chrono_tz::America::Adak);
        cart.status = None;
        cart.link = Some("https://s.example/c/1".into());
        cart.consent_at = Some(leap);
        cart.email_sent_at = Some(t("2026-11-22T08:00:00.123456789Z"));
        cart.email_opened_at = None;
        let phone = crate::rules::phone::normalize("+19072345678", "US").unwrap();
        for (zone, local_time) in [
            (
                RecipientZone::One {
                    zone: chrono_tz::Europe::Moscow,
                    why: "phone country",
                },
                LocalTime::At(t("1870-01-01T12:00:00Z").with_timezone(&lmt)),
            ),
            (
                RecipientZone::All {
                    country: "RU".into(),
                    zones: country_zones("RU"),
                },
                LocalTime::Range(
                    t("2026-11-22T12:00:00Z").with_timezone(&lmt),
                    leap.with_timezone(&FixedOffset::west_opt(36_000).unwrap()),
                ),
            ),
            (
                RecipientZone::Prefix {
                    country: "US".into(),
                    zones: vec![chrono_tz::America::Adak, chrono_tz::America::Anchorage],
                },
                LocalTime::At(t("2026-11-22T12:00:00Z").fixed_offset()),
            ),
        ] {
            let c = Candidate {
                cart: cart.clone(),
                eval: Evaluation {
                    decision: Decision::Holdout,
                    reason: Some(Reason::Holdout),
                    detail: Why::Text("in the 50% control group (bucket 12/10000)"),
                    facts: Facts {
                        phone: Some(Ok(phone.clone())),
                        zone: Some(zone),
                        local_time: Some(local_time),
                        message: Some(crate::message::Rendered {
                            text: "Анна, 5 000 ₽ 😀\n".into(),
                            blank: false,
                            count: crate::message::SegmentCount {
                                encoding: crate::message::Encoding::Ucs2,
                                units: 17,
                                segments: 1,
                            },
                            est_cost: Some(Price::new(4_500_000, Currency::parse("RUB").unwrap())),
                        }),
                        missing_threshold: Some(Currency::parse("KZT").unwrap()),
                    },
                },
            };
            let json = serde_json::to_vec(&Frozen::freeze(&c)).unwrap();
            let back = serde_json::from_slice::<Frozen>(&json)
                .unwrap()
                .thaw()
                .unwrap();
            assert_eq!(all(&back), all(&c));
        }
    }
}
