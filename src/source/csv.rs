//! CSV exports: a file or stdin, any one-byte delimiter, UTF-8 with or without BOM. The header is read
//! once to map columns; each record is checked for its field count and UTF-8 on its own, so one bad
//! line is reported with its number and the rest of the file is still read.

use super::{ColumnMap, RawRow, RowError, Rows, resolve_columns};
use crate::model::Location;
use crate::source::Config;
use anyhow::{Context, Result, bail};
use std::io::Read;

pub fn open(s: &Config, fields: &'static [&'static str], required: &[&str]) -> Result<Rows> {
    let (input, name) = super::open_input(s, "a CSV file")?;
    let lines = Lines::default();
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(s.delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(CrLf::new(
            std::io::BufReader::with_capacity(256 * 1024, input),
            lines.clone(),
        ));
    let header = reader
        .byte_headers()
        .with_context(|| format!("cannot read the header line of {name}"))?
        .clone();
    if header.as_slice().contains(&0)
        || header.as_slice().starts_with(b"\xff\xfe")
        || header.as_slice().starts_with(b"\xfe\xff")
    {
        bail!(
            "{name} looks like UTF-16 (its header has zero bytes); save the export as UTF-8 (in Excel: Save As, \"CSV UTF-8\")"
        );
    }
    let mut headers = Vec::with_capacity(header.len());
    for (i, h) in header.iter().enumerate() {
        let text = std::str::from_utf8(h).with_context(|| {
            format!(
                "{name}:1: header column {} is not UTF-8; save the export as UTF-8",
                i + 1
            )
        })?;
        let text = if i == 0 {
            text.trim_start_matches('\u{feff}')
        } else {
            text
        };
        headers.push(text.trim().to_string());
    }
    if headers.iter().all(|h| h.is_empty()) {
        bail!("{name} has an empty header line; the first line must name the columns");
    }
    if headers.len() == 1 && s.delimiter != b';' && headers[0].contains(';') {
        bail!(
            "{name}: the header is one column `{}`; the file looks `;`-separated, so set source.delimiter = \";\"",
            headers[0]
        );
    }
    if headers.len() == 1 && s.delimiter != b'\t' && headers[0].contains('\t') {
        bail!(
            "{name}: the header is one column; the file looks tab-separated, so set source.delimiter = \"tab\""
        );
    }
    let map = resolve_columns(&headers, s, fields, required, &name)?;
    Ok(Box::new(CsvRows {
        reader,
        lines,
        map,
        source: name.as_str().into(),
        width: headers.len(),
        record: ::csv::ByteRecord::new(),
        done: false,
    }))
}

struct CsvRows<R: Read> {
    reader: ::csv::Reader<R>,
    lines: Lines,
    map: ColumnMap,
    source: std::sync::Arc<str>,
    width: usize,
    record: ::csv::ByteRecord,
    done: bool,
}

impl<R: Read + Send> super::RowSource for CsvRows<R> {
    fn next_into(&mut self, row: &mut RawRow) -> Option<Result<(), RowError>> {
        if self.done {
            return None;
        }
        loop {
            match self.reader.read_byte_record(&mut self.record) {
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Ok(true) => {
                    let at = self.record.position().map(|p| p.byte()).unwrap_or(0);
                    let line = self.lines.line_at(at);
                    if self.record.len() == 1 && self.record.get(0).is_some_and(|f| f.is_empty()) {
                        continue; // blank line
                    }
                    if !std::sync::Arc::ptr_eq(&row.loc.source, &self.source) {
                        row.loc = Location {
                            source: self.source.clone(),
                            line,
                            record: None,
                        };
                    }
                    return Some(self.fill(line, row));
                }
                Err(e) => {
                    let line = match e.position() {
                        Some(p) => self.lines.line_at(p.byte()),
                        None => 0,
                    };
                    if matches!(e.kind(), ::csv::ErrorKind::Io(_)) {
                        self.done = true;
                    }
                    return Some(Err(RowError {
                        loc: self.at(line),
                        column: None,
                        message: format!("unreadable CSV: {e}"),
                    }));
                }
            }
        }
    }
}

impl<R: Read> CsvRows<R> {
    fn at(&self, line: u64) -> Location {
        Location {
            source: self.source.clone(),
            line,
            record: None,
        }
    }

    /// Reads the current record into `row` (its buffers reused).
    fn fill(&self, line: u64, row: &mut RawRow) -> Result<(), RowError> {
        if self.record.len() != self.width {
            return Err(RowError {
                loc: self.at(line),
                column: None,
                message: format!(
                    "expected {} fields as in the header, found {}",
                    self.width,
                    self.record.len()
                ),
            });
        }
        // A record that is UTF-8 as a whole (nearly all) is copied once and its fields are spans
        // of the copy; otherwise each field is checked and copied on its own.
        let whole = std::str::from_utf8(self.record.as_slice()).ok();
        row.reset(line, whole.unwrap_or(""));
        for (slot, name) in self.map.index.iter().zip(&self.map.names) {
            let Some(i) = slot else {
                row.push(None);
                continue;
            };
            match field_text(&self.record, whole, *i) {
                Some(Field::Span(range)) => row.push_span(range),
                Some(Field::Own(text)) => row.push(Some(text)),
                None => {
                    return Err(RowError {
                        loc: self.at(line),
                        column: name.clone(),
                        message: "is not valid UTF-8; save the export as UTF-8".into(),
                    });
                }
            }
        }
        Ok(())
    }
}

/// Where field `i`'s text is found.
#[derive(Debug, PartialEq)]
enum Field<'r> {
    /// A span of the record's whole text, which is UTF-8.
    Span(std::ops::Range<usize>),
    /// The field's own bytes, checked alone.
    Own(&'r str),
}

/// Field `i`'s text; None when it is not UTF-8. `whole` is the record's text when all of it is
/// UTF-8, checked once per record: a field is then a span of it, unless a character straddles
/// the field's edge (valid only as a whole), which makes the field invalid.
fn field_text<'r>(
    record: &'r ::csv::ByteRecord,
    whole: Option<&str>,
    i: usize,
) -> Option<Field<'r>> {
    let range = record.range(i).unwrap_or_default();
    match whole {
        Some(w) => (w.is_char_boundary(range.start) && w.is_char_boundary(range.end))
            .then_some(Field::Span(range)),
        None => std::str::from_utf8(&record.as_slice()[range])
            .ok()
            .map(Field::Own),
    }
}

/// Line numbers by byte offset, counted as the bytes stream by: the CSV reader's own count skips
/// blank lines and miscounts CR LF. Only the newlines not yet passed are kept.
#[derive(Clone, Default)]
struct Lines(std::sync::Arc<std::sync::Mutex<LineState>>);

#[derive(Default)]
struct LineState {
    /// Offsets (in the stream the CSV reader sees) of newlines after the last record asked about.
    pending: std::collections::VecDeque<u64>,
    /// Newlines before the last record asked about.
    passed: u64,
    /// Bytes handed to the CSV reader so far.
    offset: u64,
}

impl Lines {
    fn saw(&self, bytes: &[u8]) {
        let mut st = self.0.lock().expect("line state");
        let base = st.offset;
        st.pending
            .extend(memchr::memchr_iter(b'\n', bytes).map(|i| base + i as u64));
        st.offset += bytes.len() as u64;
    }

    /// The 1-based line of a record starting at byte `at` (records are asked about in order).
    /// The reader's record start includes blank lines skipped before it; they are passed too.
    fn line_at(&self, mut at: u64) -> u64 {
        let mut st = self.0.lock().expect("line state");
        while let Some(&nl) = st.pending.front() {
            if nl > at {
                break;
            }
            if nl == at {
                at += 1; // a blank line before the record
            }
            st.pending.pop_front();
            st.passed += 1;
        }
        st.passed + 1
    }
}

/// Reads CR LF line ends as LF (a lone CR is kept) and counts lines for `Lines`.
struct CrLf<R> {
    inner: R,
    /// A CR at the end of the last chunk, not yet known to precede an LF.
    held_cr: bool,
    lines: Lines,
}

impl<R: Read> CrLf<R> {
    fn new(inner: R, lines: Lines) -> CrLf<R> {
        CrLf {
            inner,
            held_cr: false,
            lines,
        }
    }

    fn pass(&mut self, buf: &[u8], n: usize) -> std::io::Result<usize> {
        self.lines.saw(&buf[..n]);
        Ok(n)
    }
}

impl<R: Read> Read for CrLf<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.len() < 2 {
            if self.held_cr && !buf.is_empty() {
                self.held_cr = false;
                buf[0] = b'\r';
                return self.pass(buf, 1);
            }
            let n = self.inner.read(buf)?;
            return self.pass(buf, n);
        }
        loop {
            let start = usize::from(self.held_cr);
            if self.held_cr {
                buf[0] = b'\r';
            }
            let n = self.inner.read(&mut buf[start..])?;
            if n == 0 {
                // The end: a held CR was a lone one.
                let held = std::mem::take(&mut self.held_cr);
                return self.pass(buf, usize::from(held));
            }
            self.held_cr = false;
            let w = self.squeeze(buf, start + n);
            if w > 0 {
                return self.pass(buf, w);
            }
            // Only a CR so far: read on to learn whether an LF follows.
        }
    }
}

impl<R> CrLf<R> {
    /// Drops every CR that precedes an LF in `buf[..n]`; holds back a trailing CR.
    fn squeeze(&mut self, buf: &mut [u8], n: usize) -> usize {
        if memchr::memchr(b'\r', &buf[..n]).is_none() {
            return n;
        }
        let mut w = 0;
        for r in 0..n {
            let b = buf[r];
            if b == b'\r' {
                if r + 1 == n {
                    self.held_cr = true;
                    continue;
                }
                if buf[r + 1] == b'\n' {
                    continue;
                }
            }
            buf[w] = b;
            w += 1;
        }
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(input: &[u8], chunk: usize) -> Vec<u8> {
        struct Chunks<'a>(&'a [u8], usize);
        impl Read for Chunks<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(self.1).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut out = Vec::new();
        CrLf::new(Chunks(input, chunk), Lines::default())
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn each_field_is_checked_for_utf8_even_when_the_record_is_valid_as_a_whole() {
        // "Б" is D0 91: split between two fields, each half is invalid.
        let split = ::csv::ByteRecord::from(vec![&b"a\xd0"[..], b"\x91b", "ёж".as_bytes()]);
        let whole = std::str::from_utf8(split.as_slice()).ok();
        assert!(whole.is_some());
        assert_eq!(field_text(&split, whole, 0), None);
        assert_eq!(field_text(&split, whole, 1), None);
        assert_eq!(field_text(&split, whole, 2), Some(Field::Span(4..8)));
        let bad = ::csv::ByteRecord::from(vec![&b"ok"[..], b"\xff"]);
        let whole = std::str::from_utf8(bad.as_slice()).ok();
        assert_eq!(whole, None);
        assert_eq!(field_text(&bad, whole, 0), Some(Field::Own("ok")));
        assert_eq!(field_text(&bad, whole, 1), None);
    }

    #[test]
    fn crlf_becomes_lf_across_chunk_boundaries() {
        let input = b"a,b\r\nc\rd,e\r\n\r\nf\r";
        for chunk in 1..=input.len() {
            assert_eq!(
                through(input, chunk),
                b"a,b\nc\rd,e\n\nf\r",
                "chunk {chunk}"
            );
        }
    }
}
