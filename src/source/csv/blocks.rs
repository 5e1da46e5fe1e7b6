//! Cutting a CSV export into blocks of whole records, and numbering lines within one.

use std::io::{BufRead, BufReader, Read};

/// Cuts the file into blocks of whole records, so each block reads alone exactly as it would
/// in the stream: a block ends after a line end that ends a record. Without a quote in the
/// block every line end does; with one, the CSV reader's own state machine says where records
/// end (a quoted field may hold line ends).
pub(super) struct Splitter<R> {
    pub(super) input: BufReader<CrLf<R>>,
    pub(super) delimiter: u8,
    /// Line ends before the next block.
    pub(super) newlines: u64,
    pub(super) done: bool,
    /// A read error, reported after the records read before it.
    pub(super) pending: Option<std::io::Error>,
}

/// Whole records as the file has them (CR LF read as LF), and the line ends before them.
pub(super) struct RawBlock {
    pub(super) bytes: Vec<u8>,
    pub(super) newlines_before: u64,
}

impl<R: Read> Splitter<R> {
    /// The next block of at least `size` bytes (unless the file ends first); None at the end.
    /// A read error ends the file: the whole records before it come first, then the error.
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
        let mut scan = None;
        loop {
            let start = bytes.len();
            match self.input.read_until(b'\n', &mut bytes) {
                Ok(0) => {
                    self.done = true;
                    break;
                }
                Ok(_) => {}
                Err(e) => {
                    bytes.truncate(start);
                    self.done = true;
                    if bytes.is_empty() {
                        return Some(Err(e));
                    }
                    // The records before it first; the error comes on the next call.
                    self.pending = Some(e);
                    break;
                }
            }
            if bytes.len() >= size && self.ends_record(&bytes, &mut scan) {
                break;
            }
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

    /// Whether `bytes` (which start at a record's start and end with a line end) end where a
    /// record ends. `scan` carries the state machine across calls for one block.
    fn ends_record(&self, bytes: &[u8], scan: &mut Option<(::csv_core::Reader, usize)>) -> bool {
        if scan.is_none() {
            if memchr::memchr(b'"', bytes).is_none() {
                return true;
            }
            let reader = ::csv_core::ReaderBuilder::new()
                .delimiter(self.delimiter)
                .build();
            *scan = Some((reader, 0));
        }
        let (reader, at) = scan.as_mut().expect("set above");
        let (mut out, mut ends) = ([0u8; 4096], [0usize; 64]);
        let mut ended = false;
        while *at < bytes.len() {
            let (result, read, _, _) = reader.read_record(&bytes[*at..], &mut out, &mut ends);
            *at += read;
            ended = matches!(result, ::csv_core::ReadRecordResult::Record);
        }
        ended
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

    fn pass(&mut self, _buf: &[u8], n: usize) -> std::io::Result<usize> {
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
