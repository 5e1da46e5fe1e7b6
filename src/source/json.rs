//! JSON exports: an array of objects (`kind = "json"`) or one object per line (`kind = "jsonl"`),
//! from a file or stdin. Fields are addressed by dotted paths (`customer.phone`); the first record's
//! keys check the mapping, as a CSV header would. Both forms stream, in blocks that both cores
//! turn into rows: JSON Lines in whole lines, an array in whole elements (`cut`), so memory does
//! not grow with the export. A bad JSONL line is one row error and the rest is read; a syntax
//! error inside an array ends the read there (nothing after it can be trusted), reported with its
//! line as serde reports it.

mod array;
mod cut;
use super::pick::PathMap;
use super::shallow::{Record, Template};
use super::{RawRow, RowError, Rows};
use crate::model::Location;
use crate::source::Config;
use anyhow::{Result, bail};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::sync::{Arc, OnceLock};

/// Where a record is: the line it ends on, and its index in an array.
#[derive(Clone, Copy)]
struct Pos {
    line: u64,
    record: Option<u64>,
}

/// A record as a document, or, for JSON Lines once the mapping is known, already as a row.
enum Rec {
    Doc(Pos, Value),
    Row(RawRow),
}

type Item = Result<Rec, RowError>;
/// Row errors met before the first good record, and that record (position, document).
type Start = (Vec<RowError>, Option<(Pos, Value)>);

/// Errors before the first good record are held back at most this many; past it the file is
/// clearly not what the config says.
const MAX_LEADING_ERRORS: usize = 1000;

pub fn open(s: &Config, fields: &'static [&'static str], required: &[&str]) -> Result<Rows> {
    open_cut(s, fields, required, true)
}

/// `open`; an array is read by serde alone, from its start, unless `cut` (for the tests that
/// hold the cut array to serde's reading).
fn open_cut(
    s: &Config,
    fields: &'static [&'static str],
    required: &[&str],
    cut: bool,
) -> Result<Rows> {
    let (input, name) = super::open_input(s, "a JSON export")?;
    let lines = s.kind == crate::model::SourceKind::Jsonl;
    let mut reader = BufReader::with_capacity(256 * 1024, input);
    skip_bom(&mut reader);
    if !lines {
        return open_array(reader, s, fields, required, &name, cut);
    }
    let source: Arc<str> = name.as_str().into();
    let mapping = Arc::new(OnceLock::new());
    let mut lines = Lines {
        reader,
        buf: Vec::new(),
        carry: Vec::new(),
        line: 0,
        name: name.clone(),
        done: false,
        map: mapping.clone(),
        source: source.clone(),
    };
    let (leading, first) = first_record(&mut lines, &name, true)?;
    let map = mapping_of(&first, s, fields, required, &name)?;
    mapping.set(map.clone()).expect("set once");
    let head = leading
        .into_iter()
        .map(Err)
        .chain(first.map(|(pos, doc)| map.row(location(&source, pos), &doc)))
        .collect::<Vec<_>>()
        .into_iter();
    Ok(Box::new(JsonLines {
        head,
        lines: Some(lines),
        map: Arc::new(map),
    }))
}

/// A JSON array, cut into its elements (unless not `cut`); serde reads it from the start when
/// the cutter cannot follow it as far as its first element, or that element does not parse.
fn open_array(
    reader: BufReader<Box<dyn Read + Send>>,
    s: &Config,
    fields: &'static [&'static str],
    required: &[&str],
    name: &str,
    cut: bool,
) -> Result<Rows> {
    let source: Arc<str> = name.into();
    let mapping = Arc::new(OnceLock::new());
    // The cutter reads in large blocks of its own, after what the BOM check buffered.
    let buffered = reader.buffer().to_vec();
    let mut cutter = cut::Cutter::new(buffered, reader.into_inner());
    let first = match cut {
        true => array::first(&mut cutter),
        false => Some(Err(cutter.rest_all())),
    };
    let rest = match first {
        Some(Ok((pos, doc))) => {
            let map = PathMap::new(&doc, s, fields, required, name)?;
            let head = vec![map.row(location(&source, pos), &doc)];
            mapping.set(map).expect("set once");
            return Ok(Box::new(array::Array::new(
                head, cutter, name, &mapping, &source,
            )));
        }
        Some(Err(rest)) => rest,
        None => {
            mapping_of(&None, s, fields, required, name)?;
            return Ok(Box::new(std::iter::empty()));
        }
    };
    let mut records = array::on_thread(rest, name, &mapping, &source);
    let (leading, first) = first_record(&mut records, name, false)?;
    let map = mapping_of(&first, s, fields, required, name)?;
    mapping.set(map.clone()).expect("set once");
    let head = leading
        .into_iter()
        .map(Err)
        .chain(first.map(|(pos, doc)| Ok(Rec::Doc(pos, doc))));
    let rows = head
        .chain(records)
        .map(move |item| rec_row(&map, &source, item?));
    Ok(Box::new(rows))
}

/// The mapping, checked against the first good record (or against none).
fn mapping_of(
    first: &Option<(Pos, Value)>,
    s: &Config,
    fields: &'static [&'static str],
    required: &[&str],
    name: &str,
) -> Result<PathMap> {
    match first {
        Some((_, doc)) => PathMap::new(doc, s, fields, required, name),
        None => PathMap::new(&Value::Object(Default::default()), s, fields, &[], name),
    }
}

fn location(source: &Arc<str>, pos: Pos) -> Location {
    Location {
        source: source.clone(),
        line: pos.line,
        record: pos.record,
    }
}

/// A record's row or error, handed to a block's `each`.
fn hand(
    map: &PathMap,
    source: &Arc<str>,
    item: Item,
    each: &mut dyn FnMut(Result<&RawRow, RowError>),
) {
    match item.and_then(|rec| rec_row(map, source, rec)) {
        Ok(row) => each(Ok(&row)),
        Err(e) => each(Err(e)),
    }
}

/// A record's row: already one, or mapped from its document.
fn rec_row(map: &PathMap, source: &Arc<str>, rec: Rec) -> Result<RawRow, RowError> {
    match rec {
        Rec::Row(row) => Ok(row),
        Rec::Doc(pos, doc) => map.row(location(source, pos), &doc),
    }
}

/// JSON Lines after the first good record: read line by line, or in blocks of lines that
/// both cores turn into rows at once (`split`); a line is a record, so a block never cuts one.
struct JsonLines<R> {
    /// Errors before the first good record, and its row.
    head: std::vec::IntoIter<Result<RawRow, RowError>>,
    /// None once split.
    lines: Option<Lines<R>>,
    map: Arc<PathMap>,
}

impl<R: Read + Send + 'static> super::RowSource for JsonLines<R> {
    fn next_into(&mut self, row: &mut RawRow) -> Option<Result<(), RowError>> {
        let next = match self.head.next() {
            Some(r) => r,
            None => {
                let lines = self.lines.as_mut()?;
                lines
                    .next()?
                    .and_then(|rec| rec_row(&self.map, &lines.source, rec))
            }
        };
        Some(next.map(|r| *row = r))
    }

    fn split(&mut self) -> Option<super::Split> {
        let mut lines = self.lines.take()?;
        let (map, name, source) = (
            self.map.clone(),
            Arc::<str>::from(lines.name.as_str()),
            lines.source.clone(),
        );
        Some(super::Split {
            head: std::mem::take(&mut self.head).collect(),
            next: Box::new(move || {
                let block = lines.block()?;
                let (map, name, source) = (map.clone(), name.clone(), source.clone());
                let rows: super::Block = Box::new(move |_, each| {
                    block.rows(&map, &name, &source, each);
                    super::Then::More
                });
                Some(rows)
            }),
        })
    }
}

/// Whole lines of a JSON Lines export, read in sequence and turned into rows on any thread.
struct Block {
    bytes: Vec<u8>,
    /// Where each line ends in `bytes`.
    ends: Vec<usize>,
    first_line: u64,
    /// A read error after the lines.
    error: Option<RowError>,
}

/// About this many bytes of lines make a block.
pub(super) const BLOCK: usize = 128 * 1024;

impl Block {
    /// Each line's row or error, in order, as `Lines` gives them one at a time.
    fn rows(
        self,
        map: &PathMap,
        name: &str,
        source: &Arc<str>,
        each: &mut dyn FnMut(Result<&RawRow, RowError>),
    ) {
        let mut start = 0;
        let mut row = block_row(source);
        let mut template = None;
        for (i, &end) in self.ends.iter().enumerate() {
            let line = self.first_line + i as u64;
            let bytes = &self.bytes[start..end];
            start = end;
            row.loc.line = line;
            match shallow(bytes, map, &mut row, &mut template) {
                Some(Ok(())) => each(Ok(&row)),
                Some(Err(e)) => each(Err(e)),
                None => {
                    if let Some(item) = line_item(bytes, line, name, Some(map), source) {
                        hand(map, source, item, each);
                    }
                }
            }
        }
        if let Some(e) = self.error {
            each(Err(e));
        }
    }
}

/// One row for a block's records, its buffers reused.
fn block_row(source: &Arc<str>) -> RawRow {
    let pos = Pos {
        line: 0,
        record: None,
    };
    RawRow::new(location(source, pos), 0)
}

/// A line read shallowly into `row` (its line set), as `line_item` would read it once the
/// mapping is known; None when it does not read that way (`line_item` then gives the row or
/// error). A line that is UTF-8 as a whole is parsed as text, so serde checks no string again.
/// A line with the keys of the `template` (learned from an earlier line of the block) is read
/// by matching them.
fn shallow(
    buf: &[u8],
    map: &PathMap,
    row: &mut RawRow,
    template: &mut Option<Template>,
) -> Option<Result<(), RowError>> {
    let text = simdutf8::basic::from_utf8(buf).ok()?;
    if let Some(t) = template
        && t.fill(text, map, row)
    {
        return Some(Ok(()));
    }
    let record = Record::of_line(text)?;
    if template.as_ref().is_none_or(Template::stale)
        && let Some(t) = Template::learn(text, map)
    {
        *template = Some(t);
    }
    Some(map.fill(row, &record))
}

/// Waits for the first good record, keeping the errors before it. For an array, an error before
/// any record means the file is not an array of objects at all: that stops the run.
fn first_record(rx: &mut dyn Iterator<Item = Item>, name: &str, lines: bool) -> Result<Start> {
    let mut leading = Vec::new();
    for item in rx {
        match item {
            Ok(Rec::Doc(pos, doc)) => return Ok((leading, Some((pos, doc)))),
            Ok(Rec::Row(_)) => unreachable!("rows come only once the mapping is known"),
            Err(e) if !lines => bail!("cannot read {name} as a JSON array of objects: {e}"),
            Err(e) => {
                leading.push(e);
                if leading.len() >= MAX_LEADING_ERRORS {
                    bail!(
                        "{name}: the first {MAX_LEADING_ERRORS} lines are not JSON objects (first: {}); is it JSON Lines?",
                        leading[0]
                    );
                }
            }
        }
    }
    Ok((leading, None))
}

fn skip_bom<R: Read>(r: &mut BufReader<R>) {
    if let Ok(buf) = r.fill_buf()
        && buf.starts_with(b"\xEF\xBB\xBF")
    {
        r.consume(3);
    }
}

/// JSON Lines: one object per line, parsed as the rules ask for the next record. Once the
/// mapping is known (from the first record), a line is read shallowly, straight into its row;
/// a line that does not read that way is read again as a `Value`, for the same error or row.
struct Lines<R> {
    reader: BufReader<R>,
    buf: Vec<u8>,
    /// A line's start, read by one block and finished by the next.
    carry: Vec<u8>,
    line: u64,
    name: String,
    done: bool,
    map: Arc<OnceLock<PathMap>>,
    source: Arc<str>,
}

impl<R: Read> Iterator for Lines<R> {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        while !self.done {
            self.buf.clear();
            self.line += 1;
            let line = self.line;
            match self.reader.read_until(b'\n', &mut self.buf) {
                Ok(0) => self.done = true,
                Err(e) => {
                    self.done = true;
                    return Some(Err(row_err(&self.name, line, format!("read error: {e}"))));
                }
                Ok(_) => {
                    let item = line_item(&self.buf, line, &self.name, self.map.get(), &self.source);
                    if item.is_some() {
                        return item;
                    }
                }
            }
        }
        None
    }
}

impl<R: Read> Lines<R> {
    /// The next lines, about `BLOCK` bytes of them; None at the end. They are read straight
    /// from the input into the block (after what the reader had buffered); the start of a line
    /// that the read cut waits in `carry` for the next block.
    fn block(&mut self) -> Option<Block> {
        if self.done {
            return None;
        }
        let mut bytes = std::mem::take(&mut self.carry);
        bytes.reserve(BLOCK + 4096);
        bytes.extend_from_slice(self.reader.buffer());
        self.reader.consume(self.reader.buffer().len());
        let input = self.reader.get_mut();
        // Where a line end is looked for: bytes before it have none after the last one.
        let mut from = 0;
        let mut error = None;
        loop {
            let before = bytes.len();
            let want = BLOCK.saturating_sub(before).max(4096);
            match input.by_ref().take(want as u64).read_to_end(&mut bytes) {
                Ok(n) if n < want => self.done = true,
                Ok(_) => {}
                Err(e) => {
                    error = Some(e);
                    self.done = true;
                }
            }
            if self.done {
                break;
            }
            if bytes.len() >= BLOCK
                && let Some(i) = memchr::memrchr(b'\n', &bytes[from..])
            {
                // The cut line waits for the next block.
                self.carry = bytes[from + i + 1..].to_vec();
                bytes.truncate(from + i + 1);
                break;
            }
            if bytes.len() >= BLOCK {
                // A line longer than a block: read on to its end.
                from = bytes.len();
            }
        }
        if error.is_some() {
            // A line cut by the error is not a line: its bytes stay unused.
            let whole = memchr::memrchr(b'\n', &bytes).map_or(0, |i| i + 1);
            bytes.truncate(whole);
        }
        let mut block = Block {
            ends: Vec::new(),
            first_line: self.line + 1,
            error: None,
            bytes,
        };
        for i in memchr::memchr_iter(b'\n', &block.bytes) {
            self.line += 1;
            block.ends.push(i + 1);
        }
        if block.ends.last().copied().unwrap_or(0) != block.bytes.len() {
            // A last line with no line end.
            self.line += 1;
            block.ends.push(block.bytes.len());
        }
        if let Some(e) = error {
            self.line += 1;
            block.error = Some(row_err(&self.name, self.line, format!("read error: {e}")));
        }
        (!block.ends.is_empty() || block.error.is_some()).then_some(block)
    }
}

/// One line's record; None for a blank line. Once the mapping is known, a line is read
/// shallowly, straight into its row; a line that does not read that way is read again as a
/// `Value`, for the same error or row.
fn line_item(
    buf: &[u8],
    line: u64,
    name: &str,
    map: Option<&PathMap>,
    source: &Arc<str>,
) -> Option<Item> {
    if buf.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    if let Some(map) = map
        && let Ok(record) = serde_json::from_slice::<Record<'_>>(buf)
    {
        return Some(
            map.row_of(location(source, Pos { line, record: None }), &record)
                .map(Rec::Row),
        );
    }
    Some(match serde_json::from_slice::<Value>(buf) {
        Ok(v) if v.is_object() => Ok(Rec::Doc(Pos { line, record: None }, v)),
        Ok(_) => Err(row_err(name, line, "is not a JSON object".into())),
        Err(e) if e.is_data() || e.is_syntax() || e.is_eof() => {
            let msg = if std::str::from_utf8(buf).is_err() {
                "is not valid UTF-8".to_string()
            } else {
                format!("is not valid JSON: {e}")
            };
            Err(row_err(name, line, msg))
        }
        Err(e) => Err(row_err(name, line, e.to_string())),
    })
}

fn row_err(name: &str, line: u64, message: String) -> RowError {
    row_err_at(name, Pos { line, record: None }, message)
}

fn row_err_at(name: &str, pos: Pos, message: String) -> RowError {
    RowError {
        loc: Location {
            source: name.into(),
            line: pos.line,
            record: pos.record,
        },
        column: None,
        message,
    }
}

#[cfg(test)]
mod tests;
