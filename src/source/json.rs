//! JSON exports: an array of objects (`kind = "json"`) or one object per line (`kind = "jsonl"`),
//! from a file or stdin. Fields are addressed by dotted paths (`customer.phone`); the first record's
//! keys check the mapping, as a CSV header would. Both forms stream: a reader thread parses one
//! record at a time (for an array, through a sequence visitor) and hands it over a bounded channel,
//! so memory does not grow with the export. A bad JSONL line is one row error and the rest is read;
//! a syntax error inside an array ends the read there (nothing after it can be trusted), reported
//! with its line.

use super::batch;
use super::pick::PathMap;
use super::shallow::{Element, Record};
use super::{RawRow, RowError, Rows};
use crate::model::Location;
use crate::source::Config;
use anyhow::{Result, bail};
use serde::de::{DeserializeSeed, SeqAccess, Visitor};
use serde_json::Value;
use std::cell::Cell;
use std::io::{BufRead, BufReader, Read};
use std::rc::Rc;
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
    let (input, name) = super::open_input(s, "a JSON export")?;
    let lines = s.kind == crate::model::SourceKind::Jsonl;
    let mut reader = BufReader::with_capacity(256 * 1024, input);
    skip_bom(&mut reader);
    // JSON Lines parse line by line right here, as CSV does; an array needs serde's streaming
    // deserializer to own the reader, so it runs on a thread and hands records over in batches.
    let source: Arc<str> = name.as_str().into();
    let mapping = Arc::new(OnceLock::new());
    let mut records: Box<dyn Iterator<Item = Item> + Send> = if lines {
        Box::new(Lines {
            reader,
            buf: Vec::new(),
            line: 0,
            name: name.clone(),
            done: false,
            map: mapping.clone(),
            source: source.clone(),
        })
    } else {
        let (mut tx, rx) = batch::channel::<Item>(4);
        let label = name.clone();
        let (map, source) = (mapping.clone(), source.clone());
        std::thread::spawn(move || read_array(reader, &label, &map, &source, &mut tx));
        Box::new(rx)
    };
    let (leading, first) = first_record(&mut records, &name, lines)?;
    let map = match &first {
        Some((_, doc)) => PathMap::new(doc, s, fields, required, &name)?,
        None => PathMap::new(&Value::Object(Default::default()), s, fields, &[], &name)?,
    };
    mapping.set(map.clone()).expect("set once");
    let head = leading
        .into_iter()
        .map(Err)
        .chain(first.map(|(pos, doc)| Ok(Rec::Doc(pos, doc))));
    let rows = head.chain(records).map(move |item| match item? {
        Rec::Row(row) => Ok(row),
        Rec::Doc(pos, doc) => map.row(
            Location {
                source: source.clone(),
                line: pos.line,
                record: pos.record,
            },
            &doc,
        ),
    });
    Ok(Box::new(rows))
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
    line: u64,
    name: String,
    done: bool,
    map: Arc<OnceLock<PathMap>>,
    source: Arc<str>,
}

impl<R: Read> Iterator for Lines<R> {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        let name = self.name.as_str();
        while !self.done {
            self.buf.clear();
            self.line += 1;
            let line = self.line;
            match self.reader.read_until(b'\n', &mut self.buf) {
                Ok(0) => self.done = true,
                Err(e) => {
                    self.done = true;
                    return Some(Err(row_err(name, line, format!("read error: {e}"))));
                }
                Ok(_) if self.buf.iter().all(u8::is_ascii_whitespace) => {}
                Ok(_) => {
                    if let Some(map) = self.map.get()
                        && let Ok(record) = serde_json::from_slice::<Record<'_>>(&self.buf)
                    {
                        let loc = Location {
                            source: self.source.clone(),
                            line,
                            record: None,
                        };
                        return Some(map.row_of(loc, &record).map(Rec::Row));
                    }
                    return Some(match serde_json::from_slice::<Value>(&self.buf) {
                        Ok(v) if v.is_object() => Ok(Rec::Doc(Pos { line, record: None }, v)),
                        Ok(_) => Err(row_err(name, line, "is not a JSON object".into())),
                        Err(e) if e.is_data() || e.is_syntax() || e.is_eof() => {
                            let msg = if std::str::from_utf8(&self.buf).is_err() {
                                "is not valid UTF-8".to_string()
                            } else {
                                format!("is not valid JSON: {e}")
                            };
                            Err(row_err(name, line, msg))
                        }
                        Err(e) => Err(row_err(name, line, e.to_string())),
                    });
                }
            }
        }
        None
    }
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

/// Counts newlines as serde_json pulls bytes, so each record knows the line it ends on.
struct Counting<R> {
    inner: R,
    newlines: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let nl = buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        self.newlines.set(self.newlines.get() + nl);
        Ok(n)
    }
}

fn read_array<R: Read>(
    r: BufReader<R>,
    name: &str,
    map: &OnceLock<PathMap>,
    source: &Arc<str>,
    tx: &mut batch::Sender<Item>,
) {
    let newlines = Rc::new(Cell::new(0));
    let mut de = serde_json::Deserializer::from_reader(Counting {
        inner: r,
        newlines: newlines.clone(),
    });
    let seed = Records {
        tx,
        newlines,
        name,
        map,
        source,
    };
    let result = seed.deserialize(&mut de).and_then(|()| de.end());
    if let Err(e) = result
        && !e.to_string().starts_with(STOPPED)
    {
        let msg = e
            .to_string()
            .replace("invalid type: map, expected", "found an object, expected");
        tx.send(Err(row_err(name, e.line() as u64, msg)));
    }
}

const STOPPED: &str = "reader stopped";

/// The array's elements, as documents until the mapping is known (from the first), then read
/// shallowly straight into rows on this thread.
struct Records<'a> {
    tx: &'a mut batch::Sender<Item>,
    newlines: Rc<Cell<u64>>,
    name: &'a str,
    map: &'a OnceLock<PathMap>,
    source: &'a Arc<str>,
}

impl<'de> DeserializeSeed<'de> for Records<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Records<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        loop {
            let map = self.map.get();
            let read = match map {
                Some(_) => seq.next_element::<Element<'_>>()?.map(Got::Shallow),
                None => seq.next_element::<Value>()?.map(Got::Doc),
            };
            let Some(read) = read else { break };
            index += 1;
            // Read first: an element's line is the one it ends on.
            let pos = Pos {
                line: self.newlines.get() + 1,
                record: Some(index),
            };
            let item = match (read, map) {
                (Got::Doc(v), _) if v.is_object() => Ok(Rec::Doc(pos, v)),
                (Got::Shallow(Element::Object(record)), Some(map)) => {
                    let loc = Location {
                        source: self.source.clone(),
                        line: pos.line,
                        record: pos.record,
                    };
                    map.row_of(loc, &record).map(Rec::Row)
                }
                _ => Err(row_err_at(
                    self.name,
                    pos,
                    "array element is not a JSON object".into(),
                )),
            };
            if !self.tx.send(item) {
                return Err(serde::de::Error::custom(STOPPED));
            }
        }
        Ok(())
    }
}

/// An array element as read: a document until the mapping is known, shallowly after.
enum Got<'de> {
    Doc(Value),
    Shallow(Element<'de>),
}
