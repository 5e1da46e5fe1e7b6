//! The tz database in use. cartnudge compiles in chrono-tz's copy (`chrono_tz::IANA_TZDB_VERSION`),
//! but zones change after a release: in tzdata 2026f America/Vancouver stays on UTC−7 from November
//! 2026. So the host's database (`$TZDIR`, else `/usr/share/zoneinfo`) is used when it is present
//! and at least as new as the compiled one; zones are still named by `chrono_tz::Tz`, and only
//! the offsets come from the host's TZif files (read with `tz-rs`, footer rules included).
//! A leaf: nothing from the crate.

use chrono::{DateTime, FixedOffset, NaiveDateTime, Offset, TimeZone, Timelike, Utc};
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
    /// `to_utc`'s offsets by local hour (see `wall_hour_offset`).
    static WALL_HOURS: RefCell<Vec<Option<Slot>>> = const { RefCell::new(Vec::new()) };
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
        match self
            .hour_offset(zone, utc.timestamp().div_euclid(3600))
            .and_then(FixedOffset::east_opt)
        {
            Some(off) => off,
            None => self.offset_uncached(zone, utc),
        }
    }

    /// The offset in `zone` throughout the UTC hour `hour` (hours since the epoch), or None when
    /// it changes within the hour; from the per-thread cache.
    fn hour_offset(&self, zone: Tz, hour: i64) -> Option<i32> {
        cached(&OFFSETS, self.id, zone, hour, || {
            let host = self.host_zone(zone);
            let at = |s: i64| {
                let t = DateTime::from_timestamp(s, 0)?;
                Some(offset_in(host.as_deref(), zone, t).local_minus_utc())
            };
            let (first, last) = (at(hour * 3600)?, at(hour * 3600 + 3599)?);
            (first == last).then_some(first)
        })
    }

    /// The offset every wall-clock time of the local hour `hour` (hours since the epoch, on the
    /// zone's clocks) is read with, when `to_utc`'s first case holds for all of them: the offsets
    /// a day either side are one and the same for the whole hour. None when they are not.
    fn wall_hour_offset(&self, zone: Tz, hour: i64) -> Option<i32> {
        cached(&WALL_HOURS, self.id, zone, hour, || {
            let before = self.hour_offset(zone, hour - 24)?;
            (self.hour_offset(zone, hour + 24)? == before).then_some(before)
        })
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
        // Most wall times are far from a change: one cached look-up by the local hour.
        let (secs, nanos) = (local.and_utc().timestamp(), local.nanosecond());
        if nanos < 1_000_000_000
            && let Some(off) = self.wall_hour_offset(zone, secs.div_euclid(3600))
        {
            // The same day in UTC, most often: only the time of day moves.
            let day = i64::from(local.num_seconds_from_midnight()) - i64::from(off);
            let same_day = u32::try_from(day)
                .ok()
                .and_then(|s| chrono::NaiveTime::from_num_seconds_from_midnight_opt(s, nanos));
            if let Some(t) = same_day {
                return local.date().and_time(t).and_utc();
            }
            if let Some(utc) = DateTime::from_timestamp(secs - i64::from(off), nanos) {
                return utc;
            }
        }
        self.to_utc_by_offsets(zone, local)
    }

    /// `to_utc` from the offsets around `local`, without the wall-hour cache.
    fn to_utc_by_offsets(&self, zone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
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

/// The slot for (`db`, `zone`, `hour`) in a per-thread cache, filled with `work` when it holds
/// another key.
fn cached(
    cache: &'static std::thread::LocalKey<RefCell<Vec<Option<Slot>>>>,
    db: u64,
    zone: Tz,
    hour: i64,
    work: impl FnOnce() -> Option<i32>,
) -> Option<i32> {
    let i = (hour as usize ^ (zone as usize).wrapping_mul(0x9e37_79b9)) % SLOTS;
    let hit = cache.with_borrow(|slots| {
        slots
            .get(i)
            .copied()
            .flatten()
            .filter(|s| s.db == db && s.zone == zone && s.hour == hour)
    });
    if let Some(slot) = hit {
        return slot.offset;
    }
    let offset = work();
    cache.with_borrow_mut(|slots| {
        if slots.is_empty() {
            slots.resize(SLOTS, None);
        }
        slots[i] = Some(Slot {
            db,
            zone,
            hour,
            offset,
        });
    });
    offset
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
mod tests;
