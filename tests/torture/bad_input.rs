//! Bad input: property tests over the public parsers (money, timestamps, phones, templates,
//! segments, quiet hours, durations, booleans, currencies) that must never panic and must round-
//! trip what they accept; random CSV exports through the binary; and the corpus of broken CSV,
//! JSON, JSON Lines and TOML files in fixtures/broken/: each is a clear error that names the file
//! (exit 2, or 65 where the README documents it) or skipped rows that are reported and counted,
//! never a panic.

use crate::harness::{self, Site, config, figure, knob};
use cartnudge::message::{segments, template};
use cartnudge::model::{Currency, Money};
use cartnudge::rules::{hours::Hours, phone};
use cartnudge::source::fields;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

fn runner(cases: usize) -> TestRunner {
    let cfg = Config {
        cases: cases as u32,
        failure_persistence: None,
        ..Config::default()
    };
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&harness::seed().to_le_bytes());
    TestRunner::new_with_rng(cfg, TestRng::from_seed(RngAlgorithm::ChaCha, &seed))
}

/// Runs a property over `CARTNUDGE_TORTURE_CASES` inputs (default 2000), recording the count.
fn property<S: Strategy>(name: &str, strategy: S, f: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    property_n(name, knob("CASES", 2000), strategy, f)
}

fn property_n<S: Strategy>(
    name: &str,
    cases: usize,
    strategy: S,
    f: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S::Value: std::fmt::Debug,
{
    let tried = AtomicU64::new(0);
    let result = runner(cases).run(&strategy, |v| {
        tried.fetch_add(1, Ordering::Relaxed);
        f(v)
    });
    figure("bad_input", name, tried.load(Ordering::Relaxed).into());
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
}

/// Text that looks like the thing half the time, anything the other half.
fn text(alphabet: &'static str) -> BoxedStrategy<String> {
    prop_oneof![
        proptest::string::string_regex(alphabet).unwrap(),
        any::<String>(),
        proptest::collection::vec(any::<u8>(), 0..40)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
    .boxed()
}

fn currency() -> impl Strategy<Value = Currency> {
    prop::sample::select(vec!["RUB", "EUR", "USD", "JPY", "KWD", "BHD", "CLF", "XXX"])
        .prop_filter_map("known currency", |c| Currency::parse(c).ok())
}

const ZONES: &[&str] = &[
    "UTC",
    "Europe/Moscow",
    "America/New_York",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Asia/Kathmandu",
    "America/St_Johns",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
];

#[test]
fn money_parse_never_panics_and_reads_what_it_writes() {
    property(
        "money_parse",
        (
            text("[-+0-9 .,'\u{a0}\u{2009}]{0,32}"),
            currency(),
            prop::sample::select(vec!['.', ',']),
        ),
        |(t, cur, dec)| {
            let _ = Money::parse(&t, cur, dec);
            Ok(())
        },
    );
    property(
        "money_round_trip",
        (-1_000_000_000_000_000i64..1_000_000_000_000_000, currency()),
        |(minor, cur)| {
            let m = Money::new(minor, cur);
            let back = Money::parse(&m.decimal_string(), cur, '.').map_err(TestCaseError::fail)?;
            prop_assert_eq!(back.minor, minor, "{}", m.decimal_string());
            Ok(())
        },
    );
}

#[test]
fn timestamps_never_panic_and_round_trip() {
    let zone =
        prop::sample::select(ZONES.to_vec()).prop_map(|z| z.parse::<chrono_tz::Tz>().unwrap());
    property(
        "parse_time",
        (
            text(
                "[0-9]{1,7}[-.][0-9]{1,2}[-.][0-9]{1,4}[ T][0-9]{1,2}:[0-9]{1,2}(:[0-9]{1,2}(\\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}:?[0-9]{2})?",
            ),
            zone.clone(),
        ),
        |(t, tz)| {
            let _ = fields::parse_time(&t, tz);
            Ok(())
        },
    );
    property(
        "parse_time_round_trip",
        (-62_000_000_000i64..250_000_000_000, zone),
        |(secs, tz)| {
            let t = chrono::DateTime::from_timestamp(secs, 0).unwrap();
            let text = t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let back = fields::parse_time(&text, tz).map_err(TestCaseError::fail)?;
            prop_assert_eq!(back, t);
            Ok(())
        },
    );
}

#[test]
fn phone_normalize_never_panics_and_is_idempotent() {
    let region = prop::sample::select(vec![
        "RU", "US", "GB", "DE", "FR", "KZ", "CA", "IN", "ZZ", "", "001", "XK", "ru",
    ]);
    property(
        "phone_normalize",
        (text("[+]?[0-9 ()\\-.]{0,22}"), region),
        |(raw, region)| {
            if let Ok(p) = phone::normalize(&raw, region) {
                let again =
                    phone::normalize(p.e164.as_str(), region).map_err(TestCaseError::fail)?;
                prop_assert_eq!(again.e164.as_str(), p.e164.as_str());
            }
            Ok(())
        },
    );
}

#[test]
fn templates_never_panic() {
    let vars = cartnudge::message::template::MESSAGE_VARS;
    property("template", text("[{}a-z_ .:]{0,40}"), |t| {
        if template::validate(&t, vars).is_ok() {
            let out = template::fill(&t, |v| Some(format!("<{v}>").into()));
            for v in vars {
                prop_assert!(
                    !out.contains(&format!("{{{v}}}")) || t.contains("{{"),
                    "{t} -> {out}"
                );
            }
        }
        let _ = template::fill(&t, |_| None);
        Ok(())
    });
}

#[test]
fn segment_counts_never_panic_and_hold_the_text() {
    property(
        "segments",
        prop_oneof![
            text("[ -~]{0,400}"),
            text("[а-яА-Я !,.]{0,200}"),
            text("[\\^{}\\[\\]~|€\\\\a-z]{0,200}"),
            proptest::string::string_regex("\\PC{0,300}").unwrap(),
        ],
        |t| {
            let c = segments::count(&t);
            let (single, part) = match c.encoding {
                cartnudge::message::Encoding::Gsm7 => (160, 153),
                cartnudge::message::Encoding::Ucs2 => (70, 67),
            };
            prop_assert!(c.segments >= 1);
            prop_assert!(c.units > single || c.segments == 1, "{c:?}");
            prop_assert!(
                c.segments as usize * part >= c.units || c.segments == 1,
                "{c:?}"
            );
            let _ = segments::gsm_normalize(&t);
            Ok(())
        },
    );
}

#[test]
fn hours_durations_booleans_and_currencies_never_panic() {
    property(
        "hours",
        text("[0-9]{1,3}:[0-9]{1,3}\\s?-\\s?[0-9]{1,3}:[0-9]{1,3}"),
        |t| {
            if let Ok(h) = Hours::parse(&t) {
                prop_assert!(h.start < h.end && h.end <= 24 * 60);
                let back =
                    Hours::parse(&h.to_string()).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(back, h);
            }
            Ok(())
        },
    );
    property(
        "durations",
        text("([0-9]{1,25}(ms|s|m|h|d|w|y)?){0,4}"),
        |t| {
            let _ = cartnudge::model::parse_std_duration(&t);
            let _ = cartnudge::model::parse_duration(&t);
            Ok(())
        },
    );
    property("booleans_and_currencies", text("[A-Za-z0-9]{0,6}"), |t| {
        let _ = fields::parse_bool(&t);
        let _ = Currency::parse(&t);
        Ok(())
    });
}

const CLI_CELLS: &[&str] = &[
    "",
    "x",
    "5000",
    "3 000,50",
    "-1",
    "1e9",
    "99999999999999999999999",
    "RUB",
    "EUR",
    "ZZZ",
    "+79123456789",
    "8 912 345-67-89",
    "+1",
    "2026-11-22T09:00:00Z",
    "2026-11-22 09:00:00",
    "22.11.2026 09:00",
    "9999-12-31T23:59:59Z",
    "0000-01-01T00:00:00Z",
    "yesterday",
    "1",
    "0",
    "maybe",
    "Europe/Moscow",
    "Mars/Olympus",
    "=HYPERLINK(\"x\")",
    "\"",
    "a,b",
    "\u{0}",
    "ё😀",
];

const FIELDS: &[&str] = &[
    "cart_id",
    "name",
    "phone",
    "total",
    "currency",
    "items_count",
    "updated_at",
    "consent",
    "consent_at",
    "timezone",
    "status",
    "country",
];

/// Random exports through `scan` and `send`: documented exit codes, never a panic.
#[test]
fn random_csv_exports_never_panic_the_binary() {
    let documented = harness::documented_exit_codes();
    let cells = prop::sample::select(CLI_CELLS.to_vec()).prop_map(str::to_string);
    let row = proptest::collection::vec(cells, 0..14);
    let header = proptest::sample::subsequence(FIELDS.to_vec(), 0..=FIELDS.len());
    let site = Site::new();
    site.write(
        "cartnudge.toml",
        config("", "kind = \"stub\"\npath = \"calls.jsonl\"\n", ""),
    );
    property_n(
        "csv_exports_through_the_binary",
        knob("CLI_CASES", 32),
        (header, proptest::collection::vec(row, 0..12), any::<bool>()),
        |(header, rows, send)| {
            let mut csv = header.join(",");
            csv.push('\n');
            for r in &rows {
                csv.push_str(&r.join(","));
                csv.push('\n');
            }
            site.write("carts.csv", &csv);
            let cmd = if send { "send" } else { "scan" };
            let done = site
                .cmd()
                .args(&["--now", harness::NOW, cmd])
                .run(Duration::from_secs(60));
            prop_assert!(
                documented.contains(&done.code()) && !done.stderr.contains("panicked"),
                "export:\n{csv}{}",
                done.show()
            );
            Ok(())
        },
    );
}

/// The config a data file of the corpus runs under.
fn corpus_config(name: &str) -> String {
    let kind = match Path::new(name).extension().and_then(|e| e.to_str()) {
        Some("json") => "json",
        Some("jsonl") => "jsonl",
        _ => "csv",
    };
    let gateway = "kind = \"stub\"\npath = \"calls.jsonl\"\n";
    if let Some(orders) = name.strip_prefix("orders-") {
        let _ = orders;
        let cfg = config(
            "",
            gateway,
            &format!("[orders]\nkind = \"csv\"\npath = \"{name}\"\n"),
        );
        return cfg;
    }
    config("", gateway, "").replace(
        "kind = \"csv\"\npath = \"carts.csv\"",
        &format!("kind = \"{kind}\"\npath = \"{name}\""),
    )
}

/// Cases whose clear error names something other than the file: the key or variable to fix.
const HINTS: &[(&str, &str)] = &[
    ("currency-without-threshold.csv", "min_cart_value"),
    ("source-missing-file.toml", "no-such-carts.csv"),
    ("gateway-missing-secret.toml", "CARTNUDGE_TORTURE_UNSET"),
];

const GOOD_CARTS: &str = "cart_id,name,phone,total,currency,items_count,updated_at,consent,consent_at,timezone\ng1,Anna,+79123456789,5000,RUB,2,2026-11-22T09:00:00Z,1,2026-01-10T08:00:00Z,Europe/Moscow\n";

/// One corpus file through its commands: (runs, problems).
fn corpus_case(
    dir: &Path,
    name: &String,
    documented: &std::collections::BTreeSet<i32>,
) -> (usize, Vec<String>) {
    let mut bad = Vec::new();
    let mut runs = 0;
    let site = Site::new();
    site.write(name, std::fs::read(dir.join(name)).unwrap());
    site.write("carts.csv", GOOD_CARTS);
    let (config_args, commands): (Vec<&str>, &[&str]) = if name.ends_with(".toml") {
        (vec!["--config", name.as_str()], &["check", "scan", "send"])
    } else {
        site.write("cartnudge.toml", corpus_config(name));
        (Vec::new(), &["scan", "send"])
    };
    let hint = HINTS
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, h)| *h)
        .unwrap_or(name.as_str());
    let mut reported = false;
    let mut shown = String::new();
    for cmd in commands {
        let mut args = config_args.clone();
        args.extend_from_slice(&["--now", harness::NOW, cmd]);
        let done = site.cmd().args(&args).run(Duration::from_secs(60));
        runs += 1;
        let code = done.code();
        let out = done.output();
        let named = out.contains(hint);
        let counted = ["invalid rows", "skipped", "malformed"].iter().any(|w| {
            out.lines()
                .filter(|l| {
                    l.contains("summary") || l.starts_with("sent ") || l.starts_with("would send")
                })
                .any(|l| {
                    l.split(w).nth(1).is_some_and(|rest| {
                        rest.trim_start()
                            .starts_with(|c: char| c.is_ascii_digit() && c != '0')
                    })
                })
        });
        let why = if done.timed_out {
            Some("hung")
        } else if code == 101 || done.stderr.contains("panicked") {
            Some("panicked")
        } else if !documented.contains(&code) {
            Some("exit code not in the README")
        } else if code != 0 && code != 1 && !named {
            Some("the error does not name the file")
        } else {
            None
        };
        reported |= named || (matches!(code, 0 | 1) && counted);
        shown.push_str(&done.show());
        if let Some(why) = why {
            bad.push(format!("{name} ({cmd}): {why}{}", done.show()));
        }
    }
    if !reported && !name.starts_with("odd-") {
        bad.push(format!("{name}: no command reported the problem (an error naming the file, or skipped rows named or counted){shown}"));
    }
    (runs, bad)
}

#[test]
fn broken_corpus_files_are_clear_errors_or_counted_skips() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/broken");
    let documented = harness::documented_exit_codes();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("fixtures/broken")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".md"))
        .collect();
    names.sort();
    assert!(
        names.len() >= 40,
        "the corpus has only {} files",
        names.len()
    );
    let next = AtomicU64::new(0);
    let results = std::sync::Mutex::new((0usize, Vec::new()));
    std::thread::scope(|s| {
        for _ in 0..knob("JOBS", 3).max(1) {
            s.spawn(|| {
                while let Some(name) = names.get(next.fetch_add(1, Ordering::SeqCst) as usize) {
                    let (n, problems) = corpus_case(&dir, name, &documented);
                    let mut r = results.lock().unwrap();
                    r.0 += n;
                    r.1.extend(problems);
                }
            });
        }
    });
    let (runs, bad) = results.into_inner().unwrap();
    figure("bad_input", "corpus_files", names.len().into());
    figure("bad_input", "corpus_runs", runs.into());
    figure("bad_input", "corpus_failures", bad.len().into());
    let failures = harness::figures_dir().join("corpus-failures.txt");
    let _ = std::fs::remove_file(&failures);
    if !bad.is_empty() {
        let _ = std::fs::write(&failures, bad.join("\n"));
    }
    assert!(
        bad.is_empty(),
        "{} of {runs} corpus runs:\n{}",
        bad.len(),
        bad.join("\n")
    );
}
