//! Cutting a CSV export into blocks of whole records, and numbering lines within one.

use std::io::{BufRead, BufReader, Read};

/// Cuts the file into blocks of whole records, so each block reads alone exactly as it would
/// in the stream: a block ends where a record ends. Without a quote in the block the first line
/// end (LF, or a lone CR as old Mac exports have) after its size does; with one, a scan of its
/// quotes says where a record ends (a quoted field may hold line ends), or where there is a CR,
/// the CSV reader's own state machine.
pub(super) struct Splitter<R> {
    input: BufReader<CrLf<R>>,
    delimiter: u8,
    /// Line ends before the next block.
    newlines: u64,
    done: bool,
    /// A read error, reported after the records read before it.
    pending: Option<std::io::Error>,
}

/// Whole records as the file has them (CR LF read as LF), and the line ends before them.
pub(super) struct RawBlock {
    pub(super) bytes: Vec<u8>,
    pub(super) newlines_before: u64,
}

impl<R: Read> Splitter<R> {
    /// Reads `input` (CR LF as LF) through a buffer of `capacity` bytes.
    pub(super) fn new(input: R, delimiter: u8, capacity: usize) -> Splitter<R> {
        Splitter {
            input: BufReader::with_capacity(capacity, CrLf::new(input)),
            delimiter,
            newlines: 0,
            done: false,
            pending: None,
        }
    }

    /// The next block of at least `size` bytes (unless the file ends first); None at the end.
    /// A read error ends the file: the whole lines before it come first, then the error.
    /// `bytes` is a buffer to fill (emptied first).
    pub(super) fn block(
        &mut self,
        size: usize,
        mut bytes: Vec<u8>,
    ) -> Option<std::io::Result<RawBlock>> {
        if let Some(e) = self.pending.take() {
            return Some(Err(e));
        }
        if self.done {
            return None;
        }
        bytes.clear();
        if let Err(e) = self.cut(size, &mut bytes) {
            self.done = true;
            bytes.truncate(memchr::memrchr(b'\n', &bytes).map_or(0, |i| i + 1));
            if bytes.is_empty() {
                return Some(Err(e));
            }
            // The records before it first; the error comes on the next call.
            self.pending = Some(e);
        }
        if bytes.is_empty() {
            return None;
        }
        let newlines_before = self.newlines;
        self.newlines += memchr::memchr_iter(b'\n', &bytes).count() as u64;
        Some(Ok(RawBlock {
            bytes,
            newlines_before,
        }))
    }

    /// Reads `size` bytes into `bytes` (fewer if the file ends), then on to where a record ends.
    fn cut(&mut self, size: usize, bytes: &mut Vec<u8>) -> std::io::Result<()> {
        // What finds where a record ends, once the block has a quote.
        let mut scan: Option<Scan> = None;
        let (mut out, mut ends) = ([0u8; 4096], [0usize; 64]);
        loop {
            let buf = self.input.fill_buf()?;
            if buf.is_empty() {
                self.done = true;
                return Ok(());
            }
            if bytes.len() < size {
                let n = buf.len().min(size - bytes.len());
                bytes.extend_from_slice(&buf[..n]);
                self.input.consume(n);
                if bytes.len() == size && memchr::memchr(b'"', bytes).is_some() {
                    scan = Some(self.scan(bytes));
                }
                continue;
            }
            if scan.is_none() {
                // No quote yet: the next line end ends a record, unless a quote comes first.
                match memchr::memchr3(b'\n', b'\r', b'"', buf) {
                    Some(i) if buf[i] != b'"' => {
                        bytes.extend_from_slice(&buf[..=i]);
                        self.input.consume(i + 1);
                        return Ok(());
                    }
                    Some(i) => {
                        bytes.extend_from_slice(&buf[..i]);
                        self.input.consume(i);
                        scan = Some(self.scan(bytes));
                    }
                    None => {
                        let n = buf.len();
                        bytes.extend_from_slice(buf);
                        self.input.consume(n);
                    }
                }
                continue;
            }
            let (reader, at) = match scan {
                Some(Scan::Quotes(ref mut q)) => {
                    // Catch up over the block, then read on until a record ends.
                    if q.catch_up(bytes) {
                        return Ok(());
                    }
                    let end = q.end_in(buf, 0);
                    let n = end.unwrap_or(buf.len());
                    if memchr::memchr(b'\r', &buf[..n]).is_some() {
                        // A CR ends records too: the reader's own state machine decides.
                        scan = Some(Scan::Core(Box::new(self.state_machine()), 0));
                        continue;
                    }
                    bytes.extend_from_slice(&buf[..n]);
                    self.input.consume(n);
                    q.at = bytes.len();
                    if end.is_some() {
                        return Ok(());
                    }
                    continue;
                }
                Some(Scan::Core(ref mut reader, ref mut at)) => (reader, at),
                None => unreachable!("set above"),
            };
            // Catch up over the block, then read on until a record ends.
            let mut ended = false;
            while *at < bytes.len() {
                let (result, read, _, _) = reader.read_record(&bytes[*at..], &mut out, &mut ends);
                *at += read;
                ended = matches!(result, ::csv_core::ReadRecordResult::Record);
            }
            if ended {
                return Ok(());
            }
            let (result, read, _, _) = reader.read_record(buf, &mut out, &mut ends);
            bytes.extend_from_slice(&buf[..read]);
            self.input.consume(read);
            *at += read;
            if matches!(result, ::csv_core::ReadRecordResult::Record) {
                return Ok(());
            }
        }
    }

    /// How to find where the record at the end of `bytes` ends: by its quotes, unless a CR (or
    /// an odd delimiter) leaves that to the CSV reader's state machine.
    fn scan(&self, bytes: &[u8]) -> Scan {
        let d = self.delimiter;
        if matches!(d, b'"' | b'\r' | b'\n') || memchr::memchr(b'\r', bytes).is_some() {
            return Scan::Core(Box::new(self.state_machine()), 0);
        }
        Scan::Quotes(QuoteScan {
            delimiter: d,
            field: Field::Start,
            at: 0,
        })
    }

    fn state_machine(&self) -> ::csv_core::Reader {
        ::csv_core::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .build()
    }
}

/// Finds where a record ends once a block has a quote in it.
enum Scan {
    Quotes(QuoteScan),
    /// The CSV reader's state machine, and how far it has read the block.
    Core(Box<::csv_core::Reader>, usize),
}

/// The CSV reader's reading, reduced to what decides where a record ends, for bytes without a
/// CR: a line end ends a record unless it is inside a quoted field; a field is quoted when it
/// starts with a quote, and ends at a quote that is not doubled; a quote anywhere else is
/// text. It jumps from one quote or line end to the next instead of reading every byte through
/// the state machine (that read, before each block, was a second parse of it).
struct QuoteScan {
    delimiter: u8,
    field: Field,
    /// How far the block has been read.
    at: usize,
}

/// Where the scan is, as the CSV reader's states are.
#[derive(Clone, Copy, PartialEq)]
enum Field {
    /// At the start of a field (or record).
    Start,
    /// In a field that did not start with a quote.
    Plain,
    /// In a quoted field.
    Quoted,
    /// Just after a quote in a quoted field: its end, or the first of two.
    QuotedQuote,
}

impl QuoteScan {
    /// Reads the rest of `bytes`; whether it ends where a record does.
    fn catch_up(&mut self, bytes: &[u8]) -> bool {
        let mut ended = false;
        while self.at < bytes.len() {
            match self.end_in(bytes, self.at) {
                Some(i) => {
                    self.at = i;
                    ended = true;
                }
                None => {
                    self.at = bytes.len();
                    ended = false;
                }
            }
        }
        ended
    }

    /// Reads `b` from `i`: the index just after the first line end that ends a record, or None
    /// when none does (all of it read). Outside quoted fields it jumps from quote to quote or
    /// line end: a quote opens a field when the byte before it ends one.
    fn end_in(&mut self, b: &[u8], mut i: usize) -> Option<usize> {
        while i < b.len() {
            match self.field {
                Field::Quoted => {
                    i += memchr::memchr(b'"', &b[i..])? + 1;
                    self.field = Field::QuotedQuote;
                }
                Field::QuotedQuote => {
                    let c = b[i];
                    i += 1;
                    self.field = match c {
                        b'"' => Field::Quoted,
                        b'\n' => {
                            self.field = Field::Start;
                            return Some(i);
                        }
                        c if c == self.delimiter => Field::Start,
                        _ => Field::Plain,
                    };
                }
                Field::Start | Field::Plain => {
                    let Some(j) = memchr::memchr2(b'"', b'\n', &b[i..]) else {
                        let last = b[b.len() - 1];
                        self.field = match last == self.delimiter {
                            true => Field::Start,
                            false => Field::Plain,
                        };
                        return None;
                    };
                    let at = i + j;
                    if b[at] == b'\n' {
                        self.field = Field::Start;
                        return Some(at + 1);
                    }
                    let starts_field = match at == i {
                        true => self.field == Field::Start,
                        false => b[at - 1] == self.delimiter,
                    };
                    self.field = match starts_field {
                        true => Field::Quoted,
                        false => Field::Plain,
                    };
                    i = at + 1;
                }
            }
        }
        None
    }
}

/// Line numbers by byte offset in a block, counted from its bytes: the CSV reader's own count
/// skips blank lines and miscounts CR LF. Only the line ends not yet passed are kept.
pub(super) struct Lines {
    /// Offsets of line ends after the last record asked about.
    pending: std::collections::VecDeque<u64>,
    /// Line ends before the last record asked about (and before the block).
    passed: u64,
}

impl Lines {
    pub(super) fn new(bytes: &[u8], before: u64) -> Lines {
        Lines {
            pending: memchr::memchr_iter(b'\n', bytes)
                .map(|i| i as u64)
                .collect(),
            passed: before,
        }
    }

    /// The 1-based line a record starts on, read from byte `at` of `bytes` (records are asked
    /// about in order). The reader's record start includes the line ends (and lone CRs) it
    /// skipped before the record; the record's line is that of its first other byte.
    pub(super) fn line_at(&mut self, bytes: &[u8], at: u64) -> u64 {
        let skipped = bytes
            .get(at as usize..)
            .unwrap_or_default()
            .iter()
            .take_while(|&&b| b == b'\n' || b == b'\r')
            .count();
        let start = at + skipped as u64;
        while let Some(&nl) = self.pending.front() {
            if nl >= start {
                break;
            }
            self.pending.pop_front();
            self.passed += 1;
        }
        self.passed + 1
    }
}

/// Reads CR LF line ends as LF (a lone CR is kept).
pub(super) struct CrLf<R> {
    inner: R,
    /// A CR at the end of the last chunk, not yet known to precede an LF.
    held_cr: bool,
}

impl<R: Read> CrLf<R> {
    pub(super) fn new(inner: R) -> CrLf<R> {
        CrLf {
            inner,
            held_cr: false,
        }
    }
}

impl<R: Read> Read for CrLf<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.len() < 2 {
            if self.held_cr && !buf.is_empty() {
                self.held_cr = false;
                buf[0] = b'\r';
                return Ok(1);
            }
            return self.inner.read(buf);
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
                return Ok(usize::from(held));
            }
            self.held_cr = false;
            let w = self.squeeze(buf, start + n);
            if w > 0 {
                return Ok(w);
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

pub(super) type BlockReader = ::csv::Reader<std::io::Cursor<Vec<u8>>>;

/// Readers, records and buffers that finished blocks hand back, so that after the first few a
/// block costs no allocation and no new state machine.
#[derive(Default)]
pub(super) struct Spares {
    pub(super) readers: std::sync::Mutex<Vec<(BlockReader, ::csv::ByteRecord)>>,
    pub(super) buffers: std::sync::Mutex<Vec<Vec<u8>>>,
}

/// Spares kept, at most: blocks in flight are bounded (`batch::WINDOW`, 4), so a few more than
/// that are never used; each buffer is ~132 KiB.
pub(super) const SPARES: usize = 6;

impl Spares {
    pub(super) fn buffer(&self) -> Vec<u8> {
        let spare = self.buffers.lock().ok().and_then(|mut b| b.pop());
        spare.unwrap_or_else(|| Vec::with_capacity(super::BLOCK + 4096))
    }
}
