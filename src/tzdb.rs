//! The tz database in use. cartnudge compiles in chrono-tz's copy (`chrono_tz::IANA_TZDB_VERSION`),
//! but zones change after a release: in tzdata 2026f America/Vancouver stays on UTC−7 from November
//! 2026. So the host's database (`$TZDIR`, else `/usr/share/zoneinfo`) is used when it is present
//! and at least as new as the compiled one; zones are still named by `chrono_tz::Tz`, and only
//! the offsets come from the host's TZif files (read with `tz-rs`, footer rules included).
//! A leaf: nothing from the crate.

use chrono::{DateTime, FixedOffset, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
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
}

impl Db {
    /// The host's database at `dir` when it is there and not older than the compiled copy.
    pub fn choose(dir: Option<&Path>) -> Db {
        let compiled = Db {
            version: chrono_tz::IANA_TZDB_VERSION.to_string(),
            source: Source::Compiled,
            zones: Mutex::new(HashMap::new()),
        };
        let Some(dir) = dir else { return compiled };
        match host_version(dir) {
            Some(v) if newer_or_same(&v, chrono_tz::IANA_TZDB_VERSION) => Db {
                version: v,
                source: Source::Host(dir.to_path_buf()),
                zones: Mutex::new(HashMap::new()),
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
        offset_in(self.host_zone(zone).as_deref(), zone, utc)
    }

    /// `utc` on the clocks of `zone`.
    pub fn at(&self, zone: Tz, utc: DateTime<Utc>) -> DateTime<FixedOffset> {
        utc.with_timezone(&self.offset(zone, utc))
    }

    /// A wall-clock time in `zone` as an instant: a time in a DST gap moves forward by the gap,
    /// a time in an overlap is the earlier instant.
    pub fn to_utc(&self, zone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
        // One look-up of the zone for the four offsets below (this runs once per row).
        let host = self.host_zone(zone);
        let offset = |utc: DateTime<Utc>| offset_in(host.as_deref(), zone, utc);
        // Offsets in force a day either side bound every offset the wall time could have.
        let before = offset((local - chrono::Duration::hours(24)).and_utc());
        let after = offset((local + chrono::Duration::hours(24)).and_utc());
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
