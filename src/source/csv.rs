//! CSV exports: a file or stdin, any one-byte delimiter, UTF-8 with or without BOM. The header is read
//! once to map columns; each record is checked for its field count and UTF-8 on its own, so one bad
//! line is reported with its number and the rest of the file is still read. The file is cut into
//! blocks of whole records in sequence (`blocks`); each block is read alone, on whichever core is
//! free, and the rows come back in file order. A block is read line by line where its lines are
//! simple (no CR, quotes only around whole fields: nearly every export), else by a CSV reader of
//! its own; both read every record alike (the tests hold them together).

use super::{ColumnMap, RawRow, RowError, Rows, resolve_columns};
use crate::model::Location;
use crate::source::Config;
use anyhow::{Context, Result, bail};
use std::io::Read;
use std::sync::Arc;

mod blocks;
use blocks::{BlockReader, Lines, RawBlock, SPARES, Spares, Splitter};

pub fn open(s: &Config, fields: &'static [&'static str], required: &[&str]) -> Result<Rows> {
    let (input, name) = super::open_input(s, "a CSV file")?;
    let reading = Arc::new(Reading {
        source: name.as_str().into(),
        delimiter: s.delimiter,
        spares: Spares::default(),
    });
    let mut splitter = Splitter::new(input, s.delimiter, 256 * 1024);
    // The header is the first record that is not blank lines. A UTF-8 BOM before it is not
    // text (the CSV reader drops it too, then reads a quoted first field as quoted).
    let mut start = true;
    let mut first = loop {
        let block = splitter.block(1, Vec::new()).map(|b| {
            b.map(|mut b| {
                if std::mem::take(&mut start) && b.bytes.starts_with(b"\xef\xbb\xbf") {
                    b.bytes.drain(..3);
                }
                b
            })
        });
        match block {
            None => break None,
            Some(Err(e)) => {
                return Err(anyhow::Error::new(e))
                    .with_context(|| format!("cannot read the header line of {name}"));
            }
            Some(Ok(b)) if b.bytes.iter().all(|&c| c == b'\n' || c == b'\r') => continue,
            Some(Ok(b)) => break Some(Records::over(b, &reading)),
        }
    };
    let mut header = ::csv::ByteRecord::new();
    if let Some(records) = &mut first
        && let Some(Ok(_)) = records.next_record()
    {
        header = ::csv::ByteRecord::from(records.current().fields());
    }
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
        current: first,
        splitter: Some(splitter),
        shape: Arc::new(Shape {
            map,
            width: headers.len(),
            reading,
        }),
    }))
}

/// What each record is read against: the columns wanted, the header's width, and the file.
struct Shape {
    map: ColumnMap,
    width: usize,
    reading: Arc<Reading>,
}

/// What every block of one file is read with: its name, its delimiter, and the readers and
/// buffers finished blocks hand back.
struct Reading {
    source: Arc<str>,
    delimiter: u8,
    spares: Spares,
}

/// The rows: blocks of whole records cut from the file in sequence, each read on its own.
struct CsvRows<R: Read> {
    /// The block being read (at first, the one the header came from).
    current: Option<Records>,
    /// None once split.
    splitter: Option<Splitter<R>>,
    shape: Arc<Shape>,
}

impl<R: Read + Send + 'static> super::RowSource for CsvRows<R> {
    fn next_into(&mut self, row: &mut RawRow) -> Option<Result<(), RowError>> {
        loop {
            if let Some(records) = &mut self.current
                && let Some(next) = records.next_record()
            {
                return Some(
                    next.and_then(|line| fill(&self.shape, &records.current(), line, row)),
                );
            }
            let reading = &self.shape.reading;
            self.current = Some(
                match self
                    .splitter
                    .as_mut()?
                    .block(BLOCK, reading.spares.buffer())?
                {
                    Ok(raw) => Records::over(raw, reading),
                    Err(e) => return Some(Err(unreadable(&reading.source, 0, &e))),
                },
            );
        }
    }

    /// Blocks are cut in sequence; their records are read, checked and made into rows on
    /// whichever thread takes the block.
    fn split(&mut self) -> Option<super::Split> {
        let mut splitter = self.splitter.take()?;
        let mut head = Vec::new();
        if let Some(mut records) = self.current.take() {
            let mut row = RawRow::new(Location::default(), 0);
            records.rows(&self.shape, &mut row, &mut |r| head.push(r.cloned()));
        }
        let shape = self.shape.clone();
        Some(super::Split {
            head,
            next: Box::new(move || {
                let raw = splitter.block(BLOCK, shape.reading.spares.buffer())?;
                let shape = shape.clone();
                let rows: super::Block = Box::new(move |row, each| {
                    match raw {
                        Ok(raw) => Records::over(raw, &shape.reading).rows(&shape, row, each),
                        Err(e) => each(Err(unreadable(&shape.reading.source, 0, &e))),
                    }
                    super::Then::More
                });
                Some(rows)
            }),
        })
    }
}

fn unreadable(source: &Arc<str>, line: u64, e: &dyn std::fmt::Display) -> RowError {
    RowError {
        loc: Location {
            source: source.clone(),
            line,
            record: None,
        },
        column: None,
        message: format!("unreadable CSV: {e}"),
    }
}

/// About this many bytes of records make a block.
const BLOCK: usize = 128 * 1024;

/// The records of one block, read as if from the file, with their lines.
struct Records {
    how: How,
    done: bool,
    reading: Arc<Reading>,
}

/// How a block's records are read.
enum How {
    /// With the CSV reader: a block with a lone CR in it, or from the first line whose
    /// quotes are not simply around whole fields.
    Csv {
        /// Taken only when dropped.
        reader: Option<BlockReader>,
        record: ::csv::ByteRecord,
        lines: Lines,
    },
    /// Line by line: a record is a line and a field is what lies between delimiters, or
    /// between the quotes around a whole field, exactly as the CSV reader reads it (most
    /// exports: PHP's `fputcsv` quotes a field with a space, such as a time, and nothing else).
    Plain(Plain),
}

/// A block without CRs, and where its reading has got to.
struct Plain {
    bytes: Vec<u8>,
    /// Whether the block has a quote anywhere (if not, no line needs looking at for one).
    quotes: bool,
    /// Where the next line starts.
    at: usize,
    /// Line ends before `at` (and before the block).
    lines: u64,
    /// The current record: its line's range in `bytes`, and where each of its fields starts
    /// and ends, counted from the line's start; without quotes, a field starts just after the
    /// one before it ends, and `starts` is not used.
    line: std::ops::Range<usize>,
    quoted: bool,
    starts: Vec<usize>,
    ends: Vec<usize>,
    /// Fields in the current record: `starts[..fields]` and `ends[..fields]` are theirs (the
    /// rest is scratch).
    fields: usize,
}

/// What the next line of a `Plain` block is.
enum Next {
    /// A record: its 1-based line number; its fields are found.
    Record(u64),
    /// A line the CSV reader must read, from its first byte on (with the line ends before it).
    Reader {
        from: usize,
        lines: u64,
    },
    End,
}

/// The record last read, however it was read.
#[derive(Clone, Copy)]
enum Current<'r> {
    Csv(&'r ::csv::ByteRecord),
    /// A line, and where each field starts (when it had quotes) and ends in it.
    Plain {
        line: &'r [u8],
        starts: Option<&'r [usize]>,
        ends: &'r [usize],
    },
}

impl<'r> Current<'r> {
    fn len(&self) -> usize {
        match self {
            Current::Csv(r) => r.len(),
            Current::Plain { ends, .. } => ends.len(),
        }
    }

    /// The bytes the fields' ranges point into: the fields run together (CSV), or the line.
    fn bytes(&self) -> &'r [u8] {
        match *self {
            Current::Csv(r) => r.as_slice(),
            Current::Plain { line, .. } => line,
        }
    }

    /// Where field `i` is in `bytes()`.
    fn range(&self, i: usize) -> std::ops::Range<usize> {
        match self {
            Current::Csv(r) => r.range(i).unwrap_or_default(),
            Current::Plain { starts, ends, .. } => {
                let start = match (starts, i) {
                    (Some(starts), _) => starts.get(i).copied().unwrap_or(0),
                    (None, 0) => 0,
                    (None, _) => ends.get(i - 1).map_or(0, |e| e + 1),
                };
                start..ends.get(i).copied().unwrap_or(start)
            }
        }
    }

    fn fields(&self) -> Vec<Vec<u8>> {
        (0..self.len())
            .map(|i| self.bytes()[self.range(i)].to_vec())
            .collect()
    }
}

impl Records {
    fn over(raw: RawBlock, reading: &Arc<Reading>) -> Self {
        let d = reading.delimiter;
        let plain = d.is_ascii()
            && !matches!(d, b'"' | b'\r' | b'\n')
            && memchr::memchr(b'\r', &raw.bytes).is_none();
        if plain {
            return Records {
                how: How::Plain(Plain {
                    quotes: memchr::memchr(b'"', &raw.bytes).is_some(),
                    bytes: raw.bytes,
                    at: 0,
                    lines: raw.newlines_before,
                    line: 0..0,
                    quoted: false,
                    starts: Vec::new(),
                    ends: Vec::new(),
                    fields: 0,
                }),
                done: false,
                reading: reading.clone(),
            };
        }
        Self::with_reader(raw, reading)
    }

    /// The block read with the CSV reader, whatever it holds.
    fn with_reader(raw: RawBlock, reading: &Arc<Reading>) -> Self {
        Records {
            how: Self::reader(raw, reading),
            done: false,
            reading: reading.clone(),
        }
    }

    /// A CSV reader over the block (a spare one when there is one).
    fn reader(raw: RawBlock, reading: &Reading) -> How {
        let lines = Lines::new(&raw.bytes, raw.newlines_before);
        let spare = reading.spares.readers.lock().ok().and_then(|mut r| r.pop());
        let (reader, record) = match spare {
            Some((mut reader, record)) => {
                *reader.get_mut() = std::io::Cursor::new(raw.bytes);
                // Back to the start with a fresh parser state, as a new reader would be.
                reader
                    .seek_raw(std::io::SeekFrom::Start(0), ::csv::Position::new())
                    .expect("seeking in memory");
                (reader, record)
            }
            None => (
                ::csv::ReaderBuilder::new()
                    .delimiter(reading.delimiter)
                    .flexible(true)
                    .has_headers(false)
                    .from_reader(std::io::Cursor::new(raw.bytes)),
                ::csv::ByteRecord::new(),
            ),
        };
        How::Csv {
            reader: Some(reader),
            record,
            lines,
        }
    }

    /// The record `next_record` last read.
    fn current(&self) -> Current<'_> {
        match &self.how {
            How::Csv { record, .. } => Current::Csv(record),
            How::Plain(p) => Current::Plain {
                line: &p.bytes[p.line.clone()],
                starts: p.quoted.then(|| &p.starts[..p.fields]),
                ends: &p.ends[..p.fields],
            },
        }
    }

    /// Each record's row (made in `row`) or error, in order.
    fn rows(
        &mut self,
        shape: &Shape,
        row: &mut RawRow,
        each: &mut dyn FnMut(Result<&RawRow, RowError>),
    ) {
        while let Some(next) = self.next_record() {
            match next.and_then(|line| fill(shape, &self.current(), line, row)) {
                Ok(()) => each(Ok(row)),
                Err(e) => each(Err(e)),
            }
        }
    }
}

impl Drop for Records {
    fn drop(&mut self) {
        let mut bytes = match &mut self.how {
            How::Plain(p) => std::mem::take(&mut p.bytes),
            How::Csv { reader, record, .. } => {
                let Some(mut reader) = reader.take() else {
                    return;
                };
                let bytes = std::mem::take(reader.get_mut()).into_inner();
                if let Ok(mut r) = self.reading.spares.readers.lock()
                    && r.len() < SPARES
                {
                    r.push((reader, std::mem::take(record)));
                }
                bytes
            }
        };
        bytes.clear();
        if let Ok(mut b) = self.reading.spares.buffers.lock()
            && b.len() < SPARES
        {
            b.push(bytes);
        }
    }
}

impl Records {
    /// Reads the next record: its line, or why it cannot be read; None at the end. Blank lines
    /// are passed over.
    fn next_record(&mut self) -> Option<Result<u64, RowError>> {
        if self.done {
            return None;
        }
        if let How::Plain(p) = &mut self.how {
            match p.next_line(self.reading.delimiter) {
                Next::Record(line) => return Some(Ok(line)),
                Next::End => {
                    self.done = true;
                    return None;
                }
                Next::Reader { from, lines } => {
                    // Every line before it was a whole record: the reader starts afresh here.
                    let mut bytes = std::mem::take(&mut p.bytes);
                    bytes.drain(..from);
                    let raw = RawBlock {
                        bytes,
                        newlines_before: lines,
                    };
                    self.how = Self::reader(raw, &self.reading);
                }
            }
        }
        let (reader, record, lines) = match &mut self.how {
            How::Plain(_) => unreachable!("a plain block has been read or handed on above"),
            How::Csv {
                reader,
                record,
                lines,
            } => (
                reader.as_mut().expect("taken only when dropped"),
                record,
                lines,
            ),
        };
        loop {
            match reader.read_byte_record(record) {
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Ok(true) => {
                    let at = record.position().map(|p| p.byte()).unwrap_or(0);
                    let line = lines.line_at(reader.get_ref().get_ref(), at);
                    if record.len() == 1 && record.get(0).is_some_and(|f| f.is_empty()) {
                        continue; // blank line
                    }
                    return Some(Ok(line));
                }
                Err(e) => {
                    let line = match e.position() {
                        Some(p) => lines.line_at(reader.get_ref().get_ref(), p.byte()),
                        None => 0,
                    };
                    if matches!(e.kind(), ::csv::ErrorKind::Io(_)) {
                        self.done = true;
                    }
                    return Some(Err(unreadable(&self.reading.source, line, &e)));
                }
            }
        }
    }
}

impl Plain {
    /// Moves to the next line that is not blank and finds its fields.
    fn next_line(&mut self, delimiter: u8) -> Next {
        loop {
            if self.at >= self.bytes.len() {
                return Next::End;
            }
            let rest = &self.bytes[self.at..];
            let len = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
            let text = &rest[..len];
            if len == 0 {
                self.at += 1;
                self.lines += 1;
                continue; // blank line
            }
            if self.ends.len() <= len {
                self.ends.resize(len + 1, 0);
                self.starts.resize(len + 1, 0);
            }
            let n = delimiters(text, delimiter, &mut self.ends);
            self.ends[n] = len;
            let mut n = n + 1;
            self.quoted = self.quotes && memchr::memchr(b'"', text).is_some();
            if self.quoted {
                self.starts[0] = 0;
                for k in 1..n {
                    self.starts[k] = self.ends[k - 1] + 1;
                }
                if !unquote(text, &mut self.starts[..n], &mut self.ends[..n]) {
                    n = match quoted_fields(text, delimiter, &mut self.starts, &mut self.ends) {
                        Some(n) => n,
                        None => {
                            return Next::Reader {
                                from: self.at,
                                lines: self.lines,
                            };
                        }
                    };
                }
            }
            self.fields = n;
            self.line = self.at..self.at + len;
            self.at += len + 1;
            self.lines += 1;
            if n == 1 && self.quoted && self.starts[0] == self.ends[0] {
                continue; // `""` alone: a blank line to the CSV reader's caller too
            }
            return Next::Record(self.lines);
        }
    }
}

/// Takes the quotes off the fields of a line cut at every delimiter, when each field that starts
/// with a quote ends with one and has none between (a quoted time or name): what the CSV reader
/// reads. False when a field is not like that (a quoted delimiter cut it in two, say), with the
/// fields left as they were or partly unquoted: `quoted_fields` reads the line instead.
fn unquote(line: &[u8], starts: &mut [usize], ends: &mut [usize]) -> bool {
    for (a, b) in starts.iter_mut().zip(ends.iter_mut()) {
        if line.get(*a) != Some(&b'"') {
            continue;
        }
        if *b < *a + 2
            || line[*b - 1] != b'"'
            || memchr::memchr(b'"', &line[*a + 1..*b - 1]).is_some()
        {
            return false;
        }
        (*a, *b) = (*a + 1, *b - 1);
    }
    true
}

/// The fields of a line with a quote in it, as the CSV reader reads them, when every field that
/// starts with a quote is closed on the same line, just before a delimiter or the line's end,
/// with no quote between (a quote inside a field that did not start with one is text). Their
/// starts and ends go to `starts` and `ends` (each at least one longer than `line`). None for
/// any other line (a doubled quote, text after a closing quote, a field left open to the next
/// line): the CSV reader reads it.
fn quoted_fields(
    line: &[u8],
    delimiter: u8,
    starts: &mut [usize],
    ends: &mut [usize],
) -> Option<usize> {
    let (mut i, mut n) = (0, 0);
    loop {
        if line.get(i) == Some(&b'"') {
            let close = i + 1 + memchr::memchr(b'"', &line[i + 1..])?;
            (starts[n], ends[n]) = (i + 1, close);
            n += 1;
            match line.get(close + 1) {
                None => return Some(n),
                Some(&c) if c == delimiter => i = close + 2,
                Some(_) => return None,
            }
        } else {
            let rest = &line[i..];
            // A quote inside a field that did not start with one is text, to the reader too.
            let len = memchr::memchr(delimiter, rest).unwrap_or(rest.len());
            (starts[n], ends[n]) = (i, i + len);
            n += 1;
            if i + len == line.len() {
                return Some(n);
            }
            i += len + 1;
        }
    }
}

/// Writes the offset of each `delimiter` in `line` to `ends` (at least as long as `line`) and
/// counts them. Eight bytes are looked at in one step: a byte equal to the delimiter is a zero
/// byte of `word ^ pattern`, and the zero bytes of a word are found exactly, without carries
/// between bytes, as those whose high bit `!(((x & 0x7f..) + 0x7f..) | x | 0x7f..)` sets.
/// About half the time of a byte at a time (a branch per field, or a store per byte).
fn delimiters(line: &[u8], delimiter: u8, ends: &mut [usize]) -> usize {
    const LOW: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let pattern = u64::from_ne_bytes([delimiter; 8]);
    let mut words = line.chunks_exact(8);
    let (mut at, mut n) = (0, 0);
    for word in &mut words {
        let x = u64::from_le_bytes(word.try_into().expect("eight bytes")) ^ pattern;
        let mut zeros = !(((x & LOW) + LOW) | x | LOW);
        while zeros != 0 {
            ends[n] = at + (zeros.trailing_zeros() / 8) as usize;
            n += 1;
            zeros &= zeros - 1;
        }
        at += 8;
    }
    for (i, &b) in words.remainder().iter().enumerate() {
        ends[n] = at + i;
        n += usize::from(b == delimiter);
    }
    n
}

/// Reads a record into `row` (its buffers reused): each wanted field's text, checked for UTF-8.
fn fill(shape: &Shape, record: &Current<'_>, line: u64, row: &mut RawRow) -> Result<(), RowError> {
    let at = || Location {
        source: shape.reading.source.clone(),
        line,
        record: None,
    };
    if record.len() != shape.width {
        return Err(RowError {
            loc: at(),
            column: None,
            message: format!(
                "expected {} fields as in the header, found {}",
                shape.width,
                record.len()
            ),
        });
    }
    if !Arc::ptr_eq(&row.loc.source, &shape.reading.source) {
        row.loc = at();
    }
    // A record that is UTF-8 as a whole (nearly all) is copied once and its fields are spans
    // of the copy; otherwise each field is checked and copied on its own.
    let whole = simdutf8::basic::from_utf8(record.bytes()).ok();
    row.reset(line, whole.unwrap_or(""));
    for (slot, name) in shape.map.index.iter().zip(&shape.map.names) {
        let Some(i) = slot else {
            row.push(None);
            continue;
        };
        match field_text(record, whole, *i) {
            Some(Field::Span(range)) => row.push_span(range),
            Some(Field::Own(text)) => row.push(Some(text)),
            None => {
                return Err(RowError {
                    loc: at(),
                    column: name.clone(),
                    message: "is not valid UTF-8; save the export as UTF-8".into(),
                });
            }
        }
    }
    Ok(())
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
/// the field's edge (valid only as a whole: the CSV reader runs fields together), which makes the
/// field invalid.
fn field_text<'r>(record: &Current<'r>, whole: Option<&str>, i: usize) -> Option<Field<'r>> {
    let range = record.range(i);
    match whole {
        // A line's fields end at ASCII delimiters and quotes: on character boundaries of UTF-8
        // text.
        Some(_) if matches!(record, Current::Plain { .. }) => Some(Field::Span(range)),
        Some(w) => (w.is_char_boundary(range.start) && w.is_char_boundary(range.end))
            .then_some(Field::Span(range)),
        None => std::str::from_utf8(&record.bytes()[range])
            .ok()
            .map(Field::Own),
    }
}

#[cfg(test)]
mod tests;
