//! Importing STOP replies exported from a gateway's inbox or a support tool. Exports name their
//! columns differently (Twilio `From`/`DateSent`, others `msisdn`, `phone`, `received_at`), so common
//! names are recognised; numbers are normalized to E.164 with the store's default region. When the
//! export has a message body column, only replies that are an opt-out keyword count.

use crate::model::E164;
use crate::rules::phone;
use crate::source::fields::parse_time;
use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::path::Path;

const PHONE_COLUMNS: &[&str] = &[
    "phone",
    "from",
    "msisdn",
    "number",
    "phone_number",
    "sender",
    "mobile",
    "from_number",
    "tel",
];
const TIME_COLUMNS: &[&str] = &[
    "time",
    "at",
    "date",
    "received_at",
    "timestamp",
    "created_at",
    "datetime",
    "date_sent",
    "datesent",
    "date_received",
    "sent_at",
];
const BODY_COLUMNS: &[&str] = &["body", "text", "message", "sms", "reply"];
/// Opt-out keywords. The FCC's 2025 revocation rule names stop, quit, end, revoke, opt out,
/// cancel and unsubscribe (47 CFR § 64.1200(a)(10)); carriers add STOPALL; and the local forms a
/// shop's customers write (Russian, French, German, Spanish, Portuguese, Italian, Scandinavian).
/// Compared after lower-casing, folding accents and dropping punctuation.
const STOP_WORDS: &[&str] = &[
    "stop",
    "stopall",
    "unsubscribe",
    "cancel",
    "end",
    "quit",
    "optout",
    "revoke",
    "remove",
    "стоп",
    "отписка",
    "отписаться",
    "отписать",
    "отменить",
    "arret",
    "arreter",
    "desabonner",
    "desinscrire",
    "desinscription",
    "stopp",
    "abmelden",
    "abbestellen",
    "baja",
    "cancelar",
    "parar",
    "sair",
    "annulla",
    "disiscrivi",
];

/// Two-word keywords ("opt out", "stop all", "do not [text]").
const STOP_PHRASES: &[[&str; 2]] = &[
    ["opt", "out"],
    ["stop", "all"],
    ["do", "not"],
    ["dont", "text"],
];

/// Words that may stand around a keyword in a short opt-out reply ("STOP texting me please").
/// Anything else makes the reply a conversation, not an opt-out ("please stop by the store").
const FILLER: &[&str] = &[
    "please",
    "pls",
    "plz",
    "now",
    "it",
    "me",
    "my",
    "number",
    "texting",
    "texts",
    "text",
    "txt",
    "messages",
    "message",
    "msgs",
    "sms",
    "all",
    "thanks",
    "thank",
    "you",
    "this",
    "from",
    "list",
    "the",
    "to",
    "send",
    "sending",
    "these",
    "them",
    "ok",
    "okay",
    "mich",
    "moi",
    "me",
    "por",
    "favor",
    "favore",
    "sil",
    "vous",
    "plait",
    "пожалуйста",
    "смс",
    "рассылку",
    "рассылки",
    "от",
    "меня",
];

fn fold(c: char) -> char {
    match c {
        'à' | 'â' | 'ä' | 'á' | 'ã' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'î' | 'ï' | 'í' => 'i',
        'ô' | 'ö' | 'ó' | 'õ' => 'o',
        'ù' | 'û' | 'ü' | 'ú' => 'u',
        'ç' => 'c',
        'ñ' => 'n',
        'ё' => 'е',
        c => c,
    }
}

#[derive(Debug, Default)]
pub struct Import {
    pub optouts: Vec<(E164, DateTime<Utc>)>,
    /// "file:line: why", for rows that could not be read.
    pub errors: Vec<String>,
    /// Replies whose body is not an opt-out keyword.
    pub not_stop: usize,
}

fn normalize_header(h: &str) -> String {
    h.trim()
        .trim_start_matches('\u{feff}')
        .to_ascii_lowercase()
        .replace([' ', '-'], "_")
}

/// True for an opt-out reply: "STOP", "stop.", "Stop!!", "СТОП", "Arrêt", "opt-out",
/// "STOP texting me please" — a keyword with nothing around it but filler words. Case,
/// accents and punctuation do not matter; a longer message ("please stop by the store",
/// "cancel my order") is not an opt-out.
pub fn is_stop(body: &str) -> bool {
    let folded: String = body
        .to_lowercase()
        .chars()
        .map(fold)
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let words: Vec<&str> = folded.split_whitespace().collect();
    if words.is_empty() || words.len() > 8 {
        return false;
    }
    let mut keyword = false;
    let mut i = 0;
    while i < words.len() {
        if let Some(pair) = words.get(i..i + 2)
            && STOP_PHRASES
                .iter()
                .any(|p| p[0] == pair[0] && p[1] == pair[1])
        {
            keyword = true;
            i += 2;
            continue;
        }
        if STOP_WORDS.contains(&words[i]) {
            keyword = true;
        } else if !FILLER.contains(&words[i]) {
            return false;
        }
        i += 1;
    }
    keyword
}

/// Reads one export. A missing phone column is an input error (the whole file is unusable);
/// a bad row is reported and skipped. `now` stands in for rows with no time column.
pub fn read(path: &Path, region: &str, tz: Tz, now: DateTime<Utc>) -> Result<Import> {
    let name = path.display().to_string();
    let text = std::fs::read(path).with_context(|| format!("cannot read opt-out list {name}"))?;
    let first_line = text.split(|b| *b == b'\n').next().unwrap_or_default();
    let delimiter = [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| first_line.iter().filter(|b| *b == d).count())
        .unwrap_or(b',');
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_slice());
    let headers: Vec<String> = rdr
        .headers()
        .with_context(|| format!("{name}: cannot read the header line"))?
        .iter()
        .map(normalize_header)
        .collect();
    let find = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| headers.iter().position(|h| h == n))
    };
    let Some(phone_col) = find(PHONE_COLUMNS) else {
        bail!(
            "{name}: no phone column (columns: {}); name it one of: {}",
            headers.join(", "),
            PHONE_COLUMNS.join(", ")
        );
    };
    let time_col = find(TIME_COLUMNS);
    let body_col = find(BODY_COLUMNS);
    let mut out = Import::default();
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                out.errors
                    .push(format!("{name}:{line}: unreadable CSV: {e}"));
                continue;
            }
        };
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let cell = |i: usize| rec.get(i).map(str::trim).unwrap_or("");
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if let Some(b) = body_col
            && !is_stop(cell(b))
        {
            out.not_stop += 1;
            continue;
        }
        let phone = match phone::normalize(cell(phone_col), region) {
            Ok(p) => p.e164,
            Err(e) => {
                out.errors.push(format!(
                    "{name}:{line}: column `{}`: {e}",
                    headers[phone_col]
                ));
                continue;
            }
        };
        let at = match time_col.map(cell).filter(|t| !t.is_empty()) {
            None => now,
            Some(t) => match parse_time(t, tz) {
                Ok(at) => at,
                Err(e) => {
                    out.errors.push(format!(
                        "{name}:{line}: column `{}`: {e}",
                        headers[time_col.unwrap_or(0)]
                    ));
                    continue;
                }
            },
        };
        out.optouts.push((phone, at));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_keywords() {
        for yes in [
            "STOP",
            " stop. ",
            "Stop!!",
            "Стоп",
            "СТОП",
            "STOPALL",
            "stop all",
            "Quit",
            "END",
            "revoke",
            "Opt out",
            "opt-out",
            "OPTOUT",
            "cancel",
            "Unsubscribe",
            "unsubscribe me",
            "STOP texting me please",
            "stop sms",
            "Arrêt",
            "arret",
            "Désinscrire",
            "stopp",
            "Abmelden",
            "baja",
            "cancelar por favor",
            "отписаться",
            "Отписка",
            "стоп смс",
            "remove me from this list",
            "do not text me",
            "dont text me",
        ] {
            assert!(is_stop(yes), "{yes:?} is an opt-out");
        }
        for no in [
            "please stop texting me maybe",
            "thanks",
            "stopped by the store",
            "cancel my order",
            "I will end up buying it",
            "when does the sale end?",
            "",
            "ok",
        ] {
            assert!(!is_stop(no), "{no:?} is not an opt-out");
        }
    }

    #[test]
    fn reads_common_headers_and_semicolons() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("stop.csv");
        std::fs::write(&p, "MSISDN;Received At;Text\n8 912 345-67-89;2026-11-20 10:00:00;STOP\n+79123450000;2026-11-20 11:00:00;ok\nxx;2026-11-20 12:00:00;stop\n").unwrap();
        let now = DateTime::parse_from_rfc3339("2026-11-22T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let imp = read(&p, "RU", "Europe/Moscow".parse().unwrap(), now).unwrap();
        assert_eq!(imp.optouts.len(), 1);
        assert_eq!(imp.optouts[0].0.as_str(), "+79123456789");
        assert_eq!(
            crate::model::utc_string(imp.optouts[0].1),
            "2026-11-20T07:00:00Z"
        );
        assert_eq!(imp.not_stop, 1);
        assert_eq!(imp.errors.len(), 1, "{:?}", imp.errors);
    }
}
