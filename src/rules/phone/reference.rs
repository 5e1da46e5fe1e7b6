//! Differential test against libphonenumber itself: `fixtures/reference/phones.csv` holds messy
//! numbers with the reading and verdict of Google's libphonenumber (Python `phonenumbers`, pinned in
//! `scripts/reference/requirements.txt`; the semantics are written down in
//! `scripts/reference/phones.py`).

use super::{home_region, normalize, read, text};
use rlibphonenumber::{PhoneNumberFormat, PhoneNumberType};
use std::sync::OnceLock;

const CORPUS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/reference/phones.csv"
));

struct Row {
    raw: String,
    region: String,
    e164: String,
    kind: String,
    valid: bool,
    number_region: String,
    sendable: bool,
    reason: String,
    form: String,
}

/// One row with cartnudge's answers.
struct Checked {
    row: Row,
    /// libphonenumber (the Rust port) as we call it: e164, type, valid, number region.
    reading: Option<(String, &'static str, bool, String)>,
    verdict: Result<super::Phone, String>,
}

fn rows() -> Vec<Row> {
    let mut r = csv::Reader::from_reader(CORPUS.as_bytes());
    r.records()
        .map(|rec| {
            let rec = rec.expect("corpus row");
            let s = |i: usize| rec[i].to_string();
            Row {
                raw: s(0),
                region: s(1),
                e164: s(2),
                kind: s(3),
                valid: &rec[4] == "1",
                number_region: s(5),
                sendable: &rec[6] == "1",
                reason: s(7),
                form: s(8),
            }
        })
        .collect()
}

fn type_name(t: PhoneNumberType) -> &'static str {
    match t {
        PhoneNumberType::FixedLine => "FIXED_LINE",
        PhoneNumberType::Mobile => "MOBILE",
        PhoneNumberType::FixedLineOrMobile => "FIXED_LINE_OR_MOBILE",
        PhoneNumberType::TollFree => "TOLL_FREE",
        PhoneNumberType::PremiumRate => "PREMIUM_RATE",
        PhoneNumberType::SharedCost => "SHARED_COST",
        PhoneNumberType::VoIP => "VOIP",
        PhoneNumberType::PersonalNumber => "PERSONAL_NUMBER",
        PhoneNumberType::Pager => "PAGER",
        PhoneNumberType::UAN => "UAN",
        PhoneNumberType::VoiceMail => "VOICEMAIL",
        PhoneNumberType::Unknown => "UNKNOWN",
    }
}

/// The corpus, checked once for all the tests below (parsing it is most of their time).
fn checked() -> &'static [Checked] {
    static CHECKED: OnceLock<Vec<Checked>> = OnceLock::new();
    CHECKED.get_or_init(|| {
        rows()
            .into_iter()
            .map(|row| {
                let reading = read(&row.raw, home_region(&row.region)).ok().map(|n| {
                    let region = match n.get_region_code() {
                        Some(r) => r.to_string(),
                        None => String::new(),
                    };
                    (
                        n.format_as(PhoneNumberFormat::E164).into_owned(),
                        type_name(n.get_type()),
                        n.is_valid(),
                        region,
                    )
                });
                let verdict = normalize(&row.raw, &row.region);
                Checked {
                    row,
                    reading,
                    verdict,
                }
            })
            .collect()
    })
}

/// What is wrong with our answer for one row, if anything.
fn disagreement(c: &Checked) -> Option<String> {
    let r = &c.row;
    let mut bad = vec![];
    match &c.reading {
        None if !r.e164.is_empty() => bad.push(format!("reads nothing, libphonenumber {}", r.e164)),
        None => {}
        Some((e164, kind, valid, region)) => {
            if *e164 != r.e164 {
                bad.push(format!("reads {e164}, libphonenumber {:?}", r.e164));
            }
            if *kind != r.kind {
                bad.push(format!("type {kind}, libphonenumber {}", r.kind));
            }
            if *valid != r.valid {
                bad.push(format!("valid {valid}, libphonenumber {}", r.valid));
            }
            if *region != r.number_region {
                bad.push(format!(
                    "region {region}, libphonenumber {}",
                    r.number_region
                ));
            }
        }
    }
    match (&c.verdict, r.sendable) {
        (Ok(p), true) => {
            if p.e164.as_str() != r.e164 {
                bad.push(format!(
                    "sends to {}, libphonenumber {}",
                    p.e164.as_str(),
                    r.e164
                ));
            }
            let want = Some(r.number_region.as_str()).filter(|s| !s.is_empty() && *s != "001");
            if p.region.as_deref() != want {
                bad.push(format!("region {:?}, libphonenumber {want:?}", p.region));
            }
        }
        (Ok(p), false) => bad.push(format!(
            "sends to {}, reference refuses ({})",
            p.e164.as_str(),
            r.reason
        )),
        (Err(e), true) => bad.push(format!("refuses ({e}), reference sends to {}", r.e164)),
        (Err(e), false) => {
            // The refusal names the reference's reason.
            let names = match r.reason.as_str() {
                "letters" => e.contains("letters"),
                "type:FIXED_LINE" => e.contains("landline"),
                "type:TOLL_FREE" => e.contains("toll-free"),
                "type:PREMIUM_RATE" => e.contains("premium-rate"),
                "type:SHARED_COST" => e.contains("shared-cost"),
                "type:UAN" => e.contains("UAN"),
                "type:VOICEMAIL" => e.contains("voicemail"),
                _ => !e.contains("not a mobile") && !e.contains("letters"),
            };
            if !names {
                bad.push(format!("refuses with `{e}`, reference says {}", r.reason));
            }
        }
    }
    (!bad.is_empty()).then(|| {
        format!(
            "{:?} in {} ({}): {}",
            r.raw,
            r.region,
            r.form,
            bad.join("; ")
        )
    })
}

#[test]
fn agrees_with_libphonenumber() {
    let all = checked();
    let bad: Vec<String> = all.iter().filter_map(disagreement).collect();
    assert!(
        bad.is_empty(),
        "{} of {} corpus rows disagree with libphonenumber; the first 20:\n{}",
        bad.len(),
        all.len(),
        bad.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn never_sends_to_a_number_libphonenumber_reads_differently() {
    let wrong: Vec<String> = checked()
        .iter()
        .filter_map(|c| {
            let p = c.verdict.as_ref().ok()?;
            (p.e164.as_str() != c.row.e164).then(|| {
                format!(
                    "{:?} in {}: we send to {}, libphonenumber reads {:?}",
                    c.row.raw,
                    c.row.region,
                    p.e164.as_str(),
                    c.row.e164
                )
            })
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "{} numbers would be texted at a number libphonenumber does not read:\n{}",
        wrong.len(),
        wrong
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn corpus_is_broad() {
    let all = checked();
    let count = |f: &dyn Fn(&Row) -> bool| all.iter().filter(|c| f(&c.row)).count();
    assert!(all.len() >= 3000, "{} rows", all.len());
    let mut countries: Vec<&str> = all
        .iter()
        .filter(|c| c.row.valid)
        .map(|c| c.row.number_region.as_str())
        .collect();
    countries.sort_unstable();
    countries.dedup();
    assert!(countries.len() >= 60, "{} countries", countries.len());
    assert!(count(&|r| r.sendable) > 1000);
    assert!(count(&|r| r.reason == "letters") > 100);
    assert!(count(&|r| r.reason.starts_with("type:")) > 500);
    // Rows the reference refuses for letters that libphonenumber would have accepted.
    assert!(count(&|r| r.reason == "letters" && r.valid) > 50);
    assert!(count(&|r| text::letters_outside_extension(&r.raw) != (r.reason == "letters")) == 0);
}
