use super::*;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/zoneinfo")
}

/// The compiled database, the fixture's (2026f) and the host's.
fn every_db() -> [Db; 3] {
    [
        Db::choose(None),
        Db::choose(Some(&fixture())),
        Db::choose(Some(Path::new("/usr/share/zoneinfo"))),
    ]
}

/// A seeded xorshift generator: the same cases on every run.
fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
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
    let mut next = xorshift(0x2545_f491_4f6c_dd1d);
    let mut random = || -2_208_988_800 + (next() % 6_311_433_600) as i64; // 1900-2100
    for db in &every_db() {
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

/// `to_utc` by the local hour's cached offset reads every wall time as the offsets around it do:
/// every zone, at wall times from 1900 to 2100 and around each of the host's transitions (the
/// gap, the overlap, a day either side), with seconds and nanoseconds.
#[test]
fn wall_times_read_by_the_hour_match_the_offsets_around_them() {
    let mut rng = xorshift(0x7a3c_55e1_9d2f_0b13);
    let (mut checked, mut by_hour) = (0u64, 0u64);
    for db in &every_db() {
        for zone in chrono_tz::TZ_VARIANTS {
            let mut walls: Vec<i64> = (0..200)
                .map(|_| -2_208_988_800 + (rng() % 6_311_433_600) as i64)
                .collect();
            let changes: Vec<i64> = match db.host_zone(zone) {
                Some(host) => tz::TimeZone::as_ref(&host)
                    .transitions()
                    .iter()
                    .map(|t| t.unix_leap_time())
                    .collect(),
                None => (0..40)
                    .map(|_| 1_600_000_000 + (rng() % 400_000_000) as i64)
                    .collect(),
            };
            for t in changes {
                // The wall times on either side of the change, and a day away from it.
                for d in [
                    -90_000, -86_400, -7_200, -3_600, -1, 0, 1, 1_800, 3_600, 86_399, 90_000,
                ] {
                    walls.push(t + d + 3 * 3600);
                    walls.push(t + d - 3 * 3600);
                }
            }
            for s in walls {
                let nanos = (rng() % 1_000_000_000) as u32 * u32::from(s % 3 == 0);
                let Some(local) = DateTime::from_timestamp(s, nanos).map(|t| t.naive_utc()) else {
                    continue;
                };
                // Twice: the first fills the slot, the second reads it.
                for _ in 0..2 {
                    assert_eq!(
                        db.to_utc(zone, local),
                        db.to_utc_by_offsets(zone, local),
                        "{zone} {local} ({})",
                        db.describe()
                    );
                }
                checked += 1;
                by_hour += u64::from(db.wall_hour_offset(zone, s.div_euclid(3600)).is_some());
            }
        }
    }
    // Both ways were taken, most wall times by the hour.
    assert!(
        checked > 1_000_000 && by_hour > checked / 2 && by_hour < checked,
        "{by_hour} of {checked}"
    );
}
