//! The tz database in use. cartnudge compiles in chrono-tz's copy (`chrono_tz::IANA_TZDB_VERSION`),
//! but zones change after a release: in tzdata 2026f America/Vancouver stays on UTC−7 from November
//! 2026. So the host's database (`$TZDIR`, else `/usr/share/zoneinfo`) is used when it is present
//! and at least as new as the compiled one; zones are still named by `chrono_tz::Tz`, and only
//! the offsets come from the host's TZif files (read with `tz-rs`, footer rules included).
//! A leaf: nothing from the crate.

use chrono::{DateTime, FixedOffset, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Where the offsets come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Host(PathBuf),
    Compiled,
}

/// One tz database: its version and, for a host database, the zones read so far.
pub struct Db {
    pub version: String,
    pub source: Source,
    zones: Mutex<HashMap<&'static str, Option<Arc<tz::TimeZone>>>>,
    /// Tells this database's entries in the per-thread offset cache from another's (tests make
    /// several).
    id: u64,
}

/// Offsets by zone and UTC hour, per thread: a large export asks for the same few zones and
/// hours a million times, and a look-up in the zone's data costs a lock, a hash and a search.
/// An hour whose first and last second have the same offset has it throughout: no zone changes
/// its offset twice within an hour (a test checks the host's data).
const SLOTS: usize = 4096;

#[derive(Clone, Copy)]
struct Slot {
    db: u64,
    zone: Tz,
    hour: i64,
    /// Seconds east of UTC, or None when the offset changes within the hour.
    offset: Option<i32>,
}

thread_local! {
    static OFFSETS: RefCell<Vec<Option<Slot>>> = const { RefCell::new(Vec::new()) };
}

fn next_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl Db {
    /// The host's database at `dir` when it is there and not older than the compiled copy.
    pub fn choose(dir: Option<&Path>) -> Db {
        let compiled = Db {
            version: chrono_tz::IANA_TZDB_VERSION.to_string(),
            source: Source::Compiled,
            zones: Mutex::new(HashMap::new()),
            id: next_id(),
        };
        let Some(dir) = dir else { return compiled };
        match host_version(dir) {
            Some(v) if newer_or_same(&v, chrono_tz::IANA_TZDB_VERSION) => Db {
                version: v,
                source: Source::Host(dir.to_path_buf()),
                zones: Mutex::new(HashMap::new()),
                id: next_id(),
            },
            _ => compiled,
        }
    }

    /// "2026f (host /usr/share/zoneinfo)" or "2025b (compiled in)".
    pub fn describe(&self) -> String {
        match &self.source {
            Source::Host(dir) => format!("{} (host {})", self.version, dir.display()),
            Source::Compiled => format!("{} (compiled in)", self.version),
        }
    }

    fn host_zone(&self, zone: Tz) -> Option<Arc<tz::TimeZone>> {
        let Source::Host(dir) = &self.source else {
            return None;
        };
        let mut zones = self.zones.lock().expect("tz cache");
        zones
            .entry(zone.name())
            .or_insert_with(|| {
                let bytes = std::fs::read(dir.join(zone.name())).ok()?;
                tz::TimeZone::from_tz_data(&bytes).ok().map(Arc::new)
            })
            .clone()
    }

    /// The UTC offset in `zone` at `utc`.
    pub fn offset(&self, zone: Tz, utc: DateTime<Utc>) -> FixedOffset {
        let secs = utc.timestamp();
        let hour = secs.div_euclid(3600);
        let i = (hour as usize ^ (zone as usize).wrapping_mul(0x9e37_79b9)) % SLOTS;
        let cached = OFFSETS.with_borrow(|slots| {
            slots
                .get(i)
                .copied()
                .flatten()
                .filter(|s| s.db == self.id && s.zone == zone && s.hour == hour)
        });
        let slot = cached.unwrap_or_else(|| {
            let host = self.host_zone(zone);
            let at = |s: i64| {
                let t = DateTime::from_timestamp(s, 0).unwrap_or(utc);
                offset_in(host.as_deref(), zone, t).local_minus_utc()
            };
            let (first, last) = (at(hour * 3600), at(hour * 3600 + 3599));
            let slot = Slot {
                db: self.id,
                zone,
                hour,
                offset: (first == last).then_some(first),
            };
            OFFSETS.with_borrow_mut(|slots| {
                if slots.is_empty() {
                    slots.resize(SLOTS, None);
                }
                slots[i] = Some(slot);
            });
            slot
        });
        match slot.offset.and_then(FixedOffset::east_opt) {
            Some(off) => off,
            None => self.offset_uncached(zone, utc),
        }
    }

    /// The offset from the zone's data, without the cache.
    fn offset_uncached(&self, zone: Tz, utc: DateTime<Utc>) -> FixedOffset {
        offset_in(self.host_zone(zone).as_deref(), zone, utc)
    }

    /// `utc` on the clocks of `zone`.
    pub fn at(&self, zone: Tz, utc: DateTime<Utc>) -> DateTime<FixedOffset> {
        utc.with_timezone(&self.offset(zone, utc))
    }

    /// A wall-clock time in `zone` as an instant: a time in a DST gap moves forward by the gap,
    /// a time in an overlap is the earlier instant.
    pub fn to_utc(&self, zone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
        let offset = |utc: DateTime<Utc>| self.offset(zone, utc);
        // Offsets in force a day either side bound every offset the wall time could have.
        let before = offset((local - chrono::Duration::hours(24)).and_utc());
        let after = offset((local + chrono::Duration::hours(24)).and_utc());
        if before == after {
            // One offset around it: a gap or not, the wall time is read with it (as below).
            return (local - chrono::Duration::seconds(before.local_minus_utc() as i64)).and_utc();
        }
        let read = |o: FixedOffset| {
            let u = (local - chrono::Duration::seconds(o.local_minus_utc() as i64)).and_utc();
            (u.naive_utc() + chrono::Duration::seconds(offset(u).local_minus_utc() as i64) == local)
                .then_some(u)
        };
        let first = read(before);
        let second = if after == before { None } else { read(after) };
        match (first, second) {
            (Some(a), Some(b)) => a.min(b),
            (Some(u), None) | (None, Some(u)) => u,
            // In a gap: read it with the offset before the gap, which moves it forward.
            (None, None) => {
                (local - chrono::Duration::seconds(before.local_minus_utc() as i64)).and_utc()
            }
        }
    }
}

/// The offset in `zone` at `utc`, from the host's zone when there is one.
fn offset_in(host: Option<&tz::TimeZone>, zone: Tz, utc: DateTime<Utc>) -> FixedOffset {
    if let Some(host) = host
        && let Ok(t) = host.find_local_time_type(utc.timestamp())
        && let Some(off) = FixedOffset::east_opt(t.ut_offset())
    {
        return off;
    }
    zone.offset_from_utc_datetime(&utc.naive_utc()).fix()
}

/// The database for this process: `$TZDIR`, else `/usr/share/zoneinfo`, else compiled.
pub fn db() -> &'static Db {
    static DB: OnceLock<Db> = OnceLock::new();
    DB.get_or_init(|| {
        let dir = std::env::var_os("TZDIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/usr/share/zoneinfo"));
        Db::choose(dir.is_dir().then_some(dir.as_path()))
    })
}

/// The version line of a zoneinfo folder: `tzdata.zi`'s `# version 2026f`, or `+VERSION`.
fn host_version(dir: &Path) -> Option<String> {
    let zi = std::fs::read_to_string(dir.join("tzdata.zi")).ok();
    let from_zi = zi.as_deref().and_then(|t| {
        t.lines()
            .next()?
            .strip_prefix("# version ")
            .map(|v| v.trim().to_string())
    });
    from_zi.or_else(|| {
        std::fs::read_to_string(dir.join("+VERSION"))
            .ok()
            .map(|v| v.trim().to_string())
    })
}

/// "2026f" >= "2025b": the year, then the letters (a < b < … < z < aa).
fn newer_or_same(a: &str, b: &str) -> bool {
    let key = |v: &str| {
        let year: String = v.chars().take_while(|c| c.is_ascii_digit()).collect();
        let rest = &v[year.len()..];
        (
            year.parse::<u32>().unwrap_or(0),
            rest.len(),
            rest.to_string(),
        )
    };
    key(a) >= key(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/zoneinfo")
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn a_newer_host_database_moves_vancouver_to_utc_minus_7() {
        let host = Db::choose(Some(&fixture()));
        assert_eq!(host.version, "2026f");
        assert!(host.describe().contains("host"), "{}", host.describe());
        let at = utc("2026-11-23T12:00:00Z");
        let zone = chrono_tz::America::Vancouver;
        assert_eq!(host.at(zone, at).to_rfc3339(), "2026-11-23T05:00:00-07:00");
        // The compiled copy (older) still has the fall-back.
        let compiled = Db::choose(None);
        assert_eq!(
            compiled.at(zone, at).to_rfc3339(),
            "2026-11-23T04:00:00-08:00"
        );
        // A zone missing from the host folder falls back to the compiled data.
        assert_eq!(
            host.at(chrono_tz::Asia::Tokyo, at).to_rfc3339(),
            "2026-11-23T21:00:00+09:00"
        );
    }

    #[test]
    fn an_older_or_missing_host_database_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("tzdata.zi"), "# version 2020a\n").unwrap();
        assert_eq!(Db::choose(Some(dir.path())).source, Source::Compiled);
        assert_eq!(Db::choose(None).source, Source::Compiled);
        let empty = tempfile::tempdir().unwrap();
        assert_eq!(Db::choose(Some(empty.path())).source, Source::Compiled);
        assert!(newer_or_same("2026f", "2025b") && newer_or_same("2025b", "2025b"));
        assert!(!newer_or_same("2025a", "2025b") && newer_or_same("2025aa", "2025z"));
    }

    #[test]
    fn host_and_compiled_agree_on_dst_gaps_and_overlaps() {
        let host = Db::choose(Some(&fixture()));
        let compiled = Db::choose(None);
        let naive = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        for (zone, local) in [
            (chrono_tz::Europe::Berlin, "2026-03-29 02:30"), // gap
            (chrono_tz::Europe::Berlin, "2026-10-25 02:30"), // overlap
            (chrono_tz::Europe::Berlin, "2027-07-01 12:00"),
            (chrono_tz::America::New_York, "2026-03-08 02:30"),
            (chrono_tz::America::New_York, "2026-11-01 01:30"),
            (chrono_tz::America::New_York, "2025-12-24 18:00"),
        ] {
            assert_eq!(
                host.to_utc(zone, naive(local)),
                compiled.to_utc(zone, naive(local)),
                "{zone} {local}"
            );
        }
        // Gap: 02:30 on the spring-forward night is 03:30 CEST = 01:30Z; overlap: the earlier.
        assert_eq!(
            host.to_utc(chrono_tz::Europe::Berlin, naive("2026-03-29 02:30")),
            utc("2026-03-29T01:30:00Z")
        );
        assert_eq!(
            host.to_utc(chrono_tz::Europe::Berlin, naive("2026-10-25 02:30")),
            utc("2026-10-25T00:30:00Z")
        );
        for day in 0..(3 * 365) {
            let at = utc("2025-01-01T00:00:00Z") + chrono::Duration::hours(day * 24 + 7);
            for zone in [chrono_tz::Europe::Berlin, chrono_tz::America::New_York] {
                assert_eq!(host.at(zone, at), compiled.at(zone, at), "{zone} {at}");
            }
        }
    }

    /// The hour cache's premise, on the host's data (and the fixture's): where a zone's offset
    /// changes, it does not change back within the hour.
    #[test]
    fn no_zone_changes_its_offset_back_within_an_hour() {
        let mut checked = 0;
        for dir in [PathBuf::from("/usr/share/zoneinfo"), fixture()] {
            for zone in chrono_tz::TZ_VARIANTS {
                let Ok(bytes) = std::fs::read(dir.join(zone.name())) else {
                    continue;
                };
                let tz = tz::TimeZone::from_tz_data(&bytes).unwrap();
                let r = tz.as_ref();
                let offset = |i: usize| r.local_time_types()[i].ut_offset();
                let mut changes = Vec::new(); // (time, offset before, offset after)
                let mut prev = offset(0);
                for t in r.transitions() {
                    let now = offset(t.local_time_type_index());
                    if now != prev {
                        changes.push((t.unix_leap_time(), prev, now));
                    }
                    prev = now;
                }
                for w in changes.windows(2) {
                    let ((t1, before, _), (t2, _, after)) = (w[0], w[1]);
                    assert!(
                        t2 - t1 >= 3600 || before != after,
                        "{zone}: offset changes at {t1} and back at {t2}"
                    );
                }
                checked += 1;
            }
        }
        assert!(checked > 0);
    }

    /// The cached offsets are the zone data's own: every zone, at instants from 1900 to 2100 and
    /// a second either side of each of the host's transitions.
    #[test]
    fn cached_offsets_match_the_zone_data() {
        let fixture_dir = fixture();
        let dbs = [
            Db::choose(None),
            Db::choose(Some(&fixture_dir)),
            Db::choose(Some(Path::new("/usr/share/zoneinfo"))),
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut random = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            -2_208_988_800 + (seed % 6_311_433_600) as i64 // 1900-2100
        };
        for db in &dbs {
            for zone in chrono_tz::TZ_VARIANTS {
                let mut instants: Vec<i64> = (0..300).map(|_| random()).collect();
                if let Some(host) = db.host_zone(zone) {
                    for t in tz::TimeZone::as_ref(&host).transitions() {
                        let t = t.unix_leap_time();
                        instants.extend([t - 3600, t - 1, t, t + 1, t + 1799]);
                    }
                }
                for s in instants {
                    let at = DateTime::from_timestamp(s, 0).unwrap();
                    // Twice: the first fills the slot, the second reads it.
                    for _ in 0..2 {
                        assert_eq!(
                            db.offset(zone, at),
                            db.offset_uncached(zone, at),
                            "{zone} {at} ({})",
                            db.describe()
                        );
                    }
                }
            }
        }
    }

    /// Python's zoneinfo with the same tz release (tzdata 2025b, scripts/reference/
    /// gen_local_times.py) on local times around every DST change of 2025-2027 in 31 zones, and
    /// on wall-clock times read back (gaps forward, overlaps earlier).
    #[test]
    fn agrees_with_python_zoneinfo() {
        let corpus = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/reference/local_times.csv"
        ));
        let db = Db::choose(None);
        let (mut n, mut wrong) = (0, Vec::new());
        for line in corpus.lines().filter(|l| !l.starts_with('#')) {
            let f: Vec<&str> = line.split(',').collect();
            let zone: Tz = f[1].parse().unwrap();
            let got = match f[0] {
                "at" => db.at(zone, utc(f[2])).to_rfc3339(),
                _ => {
                    let naive = NaiveDateTime::parse_from_str(f[2], "%Y-%m-%d %H:%M").unwrap();
                    db.to_utc(zone, naive)
                        .format("%Y-%m-%dT%H:%M:%SZ")
                        .to_string()
                }
            };
            if got != f[3] {
                wrong.push(format!("{line}: ours {got}"));
            }
            n += 1;
        }
        assert!(n > 4000, "{n}");
        assert!(
            wrong.is_empty(),
            "{} of {n} disagree: {:#?}",
            wrong.len(),
            &wrong[..wrong.len().min(20)]
        );
    }
}
