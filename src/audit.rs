//! The audit CSV (DESIGN.md §7): one row per cart decision inside the rules' window, appended to a
//! file per UTC day with the header written once. Phones are masked unless configured otherwise,
//! cells a spreadsheet would run as a formula are neutralized, and `sync` fsyncs so every sent
//! message has its row on disk before the run exits.

use crate::model::{Decision, Mode};
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use std::borrow::Cow;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const COLUMNS: &[&str] = &[
    "run_id",
    "at",
    "mode",
    "cart_id",
    "customer_id",
    "phone",
    "decision",
    "reason",
    "gateway",
    "provider_message_id",
    "encoding",
    "segments",
    "est_cost",
    "cost_currency",
    "cart_total",
    "cart_currency",
    "recipient_local_time",
    "consent_at",
    "message",
];

/// One audit row; `phone` is the E.164 number when valid, else the raw text. Texts borrow
/// where they can: a row is written for every cart inside the rules' window.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    pub cart_id: Cow<'a, str>,
    pub customer_id: Cow<'a, str>,
    pub phone: Cow<'a, str>,
    pub decision: Decision,
    pub reason: Cow<'a, str>,
    pub gateway: Cow<'a, str>,
    pub provider_message_id: Cow<'a, str>,
    pub encoding: Cow<'a, str>,
    pub segments: Cow<'a, str>,
    pub est_cost: Cow<'a, str>,
    pub cost_currency: Cow<'a, str>,
    pub cart_total: Cow<'a, str>,
    pub cart_currency: Cow<'a, str>,
    pub recipient_local_time: Cow<'a, str>,
    pub consent_at: Cow<'a, str>,
    pub message: Cow<'a, str>,
}

pub struct Audit {
    path: PathBuf,
    file: File,
    /// Whole rows not yet written to `file`.
    out: Vec<u8>,
    /// Shared so that `write` can lend them to `write_as` without copying them for every row.
    run_id: Arc<str>,
    at: Arc<str>,
    mode: Mode,
    mask: bool,
    /// The masked phone of the row being written.
    masked: String,
}

/// Appends one CSV record as the csv crate writes it by default (`write_record`, quoting only
/// where needed): fields joined by commas, a field holding a comma, a quote, a CR or an LF in
/// quotes with its quotes doubled, an LF at the end. One lone empty field is written `""`, so
/// the record is not a blank line. `records_are_written_as_the_csv_crate_writes_them` holds it
/// to the crate; written here, a row is one pass over its bytes, without the crate's own buffer.
fn push_record<'c>(out: &mut Vec<u8>, cells: impl ExactSizeIterator<Item = &'c [u8]>) {
    let lone = cells.len() == 1;
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let quote = has_any(cell, [b',', b'"', b'\n', b'\r']) || (lone && cell.is_empty());
        if !quote {
            out.extend_from_slice(cell);
            continue;
        }
        out.push(b'"');
        let mut rest = cell;
        while let Some(q) = memchr::memchr(b'"', rest) {
            out.extend_from_slice(&rest[..=q]);
            out.push(b'"');
            rest = &rest[q + 1..];
        }
        out.extend_from_slice(rest);
        out.push(b'"');
    }
    out.push(b'\n');
}

/// Whether `b` holds any of the bytes in `set`: eight bytes at a time (a search call per cell
/// cost more than the cell, and a byte at a time was most of writing a row).
fn has_any<const N: usize>(b: &[u8], set: [u8; N]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Non-zero exactly when the word has a zero byte.
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let mut words = b.chunks_exact(8);
    for word in &mut words {
        let w = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        if set.iter().any(|&c| zero(w ^ (ONES * u64::from(c))) != 0) {
            return true;
        }
    }
    words.remainder().iter().any(|b| set.contains(b))
}

/// Rows are written in whole-row batches of about this many bytes (and at every `sync`).
const FLUSH_AT: usize = 64 * 1024;

/// `audit/2026-11-22.csv` for a run whose "now" is that UTC day.
pub fn path_for(dir: &Path, now: DateTime<Utc>) -> PathBuf {
    dir.join(format!("{}.csv", now.format("%Y-%m-%d")))
}

impl Audit {
    pub fn open(
        dir: &Path,
        now: DateTime<Utc>,
        run_id: &str,
        mode: Mode,
        mask: bool,
    ) -> Result<Audit> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create audit folder {}", dir.display()))?;
        let path = path_for(dir, now);
        let (file, repair) = crate::fsutil::open_lines(&path)
            .with_context(|| format!("cannot open audit file {}", path.display()))?;
        if repair.cut > 0 {
            eprintln!(
                "cartnudge: {}: cut a partial last row ({} bytes) left by an interrupted run",
                path.display(),
                repair.cut
            );
        }
        let empty = file.metadata().map(|m| m.len() == 0).unwrap_or(true);
        let mut out = Vec::with_capacity(FLUSH_AT + 4096);
        if empty {
            push_record(&mut out, COLUMNS.iter().map(|c| c.as_bytes()));
        }
        Ok(Audit {
            path,
            file,
            out,
            run_id: run_id.into(),
            at: crate::model::utc_string(now).into(),
            mode,
            mask,
            masked: String::new(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn write(&mut self, row: &Row<'_>) -> Result<()> {
        let (run_id, at) = (Arc::clone(&self.run_id), Arc::clone(&self.at));
        self.write_as(&run_id, &at, row)
    }

    /// A row on behalf of an earlier run (its id and time): a message that run sent but could
    /// not audit, because it was killed or its disk was full.
    pub fn write_as(&mut self, run_id: &str, at: &str, row: &Row<'_>) -> Result<()> {
        // A raw phone such as "+7 912 …", masked or not, is written as text; masked into a
        // buffer kept from row to row.
        let phone: Cow<'_, str> = match (self.mask, looks_e164(&row.phone)) {
            (false, true) => Cow::Borrowed(&row.phone),
            (false, false) => neutralize(&row.phone),
            (true, e164) => {
                crate::model::mask_phone_into(&row.phone, &mut self.masked);
                if !e164 && runs_as_formula(&self.masked) {
                    self.masked.insert(0, '\'');
                }
                Cow::Borrowed(&self.masked)
            }
        };
        // Borrowed where the text needs no change: this runs for every audited cart.
        let cells: [Cow<'_, str>; 19] = [
            neutralize(run_id),
            at.into(),
            self.mode.as_str().into(),
            cell(&row.cart_id),
            cell(&row.customer_id),
            phone,
            row.decision.as_str().into(),
            neutralize(&row.reason),
            Cow::Borrowed(&row.gateway),
            cell(&row.provider_message_id),
            Cow::Borrowed(&row.encoding),
            Cow::Borrowed(&row.segments),
            Cow::Borrowed(&row.est_cost),
            Cow::Borrowed(&row.cost_currency),
            Cow::Borrowed(&row.cart_total),
            Cow::Borrowed(&row.cart_currency),
            Cow::Borrowed(&row.recipient_local_time),
            Cow::Borrowed(&row.consent_at),
            cell(&row.message),
        ];
        push_record(&mut self.out, cells.iter().map(|c| c.as_bytes()));
        if self.out.len() >= FLUSH_AT {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the buffered rows, whole: a failed write is cut back, never left half-written.
    fn flush(&mut self) -> Result<()> {
        let written = crate::fsutil::append_whole(&mut self.file, &self.out);
        self.out.clear();
        written.with_context(|| {
            format!(
                "cannot write audit {} (the rows are kept in the ledger and written by the next run)",
                self.path.display()
            )
        })
    }

    /// Writes and fsyncs: after this the rows survive a power cut.
    pub fn sync(&mut self) -> Result<()> {
        self.flush()?;
        self.file
            .sync_data()
            .with_context(|| format!("cannot fsync audit {}", self.path.display()))?;
        Ok(())
    }
}

/// A cell starting with `=`, `+`, `-`, `@`, tab or CR gets a leading `'`, so a spreadsheet shows
/// it as text instead of running it (CSV injection).
pub fn neutralize(cell: &str) -> Cow<'_, str> {
    if runs_as_formula(cell) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

fn runs_as_formula(cell: &str) -> bool {
    matches!(
        cell.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    )
}

/// A text cell as the audit writes it: on one line, and never a formula.
pub fn cell(text: &str) -> Cow<'_, str> {
    match one_line(text) {
        Cow::Borrowed(t) => neutralize(t),
        Cow::Owned(t) => neutralize(&t).into_owned().into(),
    }
}

/// A message's line breaks written as `\n` (and `\r`), so every audit row is one physical line:
/// a crash can then only tear the last line, which the next run cuts off whole.
fn one_line(text: &str) -> Cow<'_, str> {
    if has_any(text.as_bytes(), [b'\n', b'\r']) {
        text.replace('\\', "\\\\")
            .replace('\n', "\\n")
            .replace('\r', "\\r")
            .into()
    } else {
        text.into()
    }
}

/// "+" and 7 to 15 digits (the E.164 range): a phone number, not a formula.
fn looks_e164(s: &str) -> bool {
    s.strip_prefix('+')
        .is_some_and(|d| (7..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against a byte-by-byte search: each wanted byte, and a filler with the high bit set
    /// or one off from a wanted byte, at every position of texts of 0-40 bytes.
    #[test]
    fn a_byte_is_found_wherever_it_is() {
        let set = [b',', b'"', b'\n', b'\r'];
        for len in 0..40 {
            for filler in [b'a', 0x80 | b',', b',' + 1, b'"' - 1, 0xFF, 0x00, 0x0B] {
                let plain = vec![filler; len];
                assert_eq!(has_any(&plain, set), plain.iter().any(|b| set.contains(b)));
                for at in 0..len {
                    for &c in &set {
                        let mut text = plain.clone();
                        text[at] = c;
                        assert!(has_any(&text, set), "{c} at {at} of {len}");
                    }
                }
            }
        }
    }

    /// The csv crate, as the audit wrote through it before, is the reference: records of 1-20
    /// cells of empty text, commas, quotes, CRs, LFs, spaces, Cyrillic and emoji.
    #[test]
    fn records_are_written_as_the_csv_crate_writes_them() {
        let pieces = [
            "", ",", "\"", "\r", "\n", "\r\n", " ", "a", "Ж", "🛒", "'=1", "\"\"", "x,y",
        ];
        let mut seed = 3u64;
        let mut next = |n: usize| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(7);
            (seed >> 33) as usize % n
        };
        let mut ours = Vec::new();
        let mut theirs = csv::WriterBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_writer(Vec::new());
        for _ in 0..20_000 {
            let cells: Vec<String> = (0..1 + next(20))
                .map(|_| (0..next(5)).map(|_| pieces[next(pieces.len())]).collect())
                .collect();
            push_record(&mut ours, cells.iter().map(|c| c.as_bytes()));
            theirs.write_record(&cells).unwrap();
        }
        for lone in [vec![""], vec![" "], vec!["", ""]] {
            push_record(&mut ours, lone.iter().map(|c| c.as_bytes()));
            theirs.write_record(&lone).unwrap();
        }
        let theirs = theirs.into_inner().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&theirs)
        );
    }

    #[test]
    fn neutralizes_formulas() {
        assert_eq!(neutralize("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralize("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralize("-2+3"), "'-2+3");
        assert_eq!(neutralize("Anna"), "Anna");
        assert_eq!(neutralize(""), "");
        assert!(looks_e164("+79123456789") && !looks_e164("+1+1") && !looks_e164("+7912*****89"));
        assert_eq!(one_line("Hi\nthere\r\n\\n"), "Hi\\nthere\\r\\n\\\\n");
        assert_eq!(one_line("plain"), "plain");
    }
}
