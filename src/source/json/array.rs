//! JSON arrays. The array is cut into its elements (`cut`), which both cores then read as JSON
//! Lines are read; from wherever the cutter cannot follow the export, serde's streaming
//! deserializer reads the rest a byte at a time, on a thread of its own, and hands records over
//! in batches. Either way a syntax error ends the read there, and serde says what it is.

use super::cut::{Cut, Cutter, Elements, Rest};
use super::{BLOCK, Item, Pos, Rec, block_row, hand, row_err, row_err_at, shallow};
use crate::model::Location;
use crate::source::pick::PathMap;
use crate::source::shallow::Element;
use crate::source::{RawRow, RowError, Then, batch};
use serde::de::{DeserializeSeed, SeqAccess, Visitor};
use serde_json::Value;
use std::cell::Cell;
use std::io::{BufReader, Read};
use std::rc::Rc;
use std::sync::{Arc, OnceLock};

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

/// Reads the array from `rest` on with serde, handing each element's row or error to `send`
/// (false: stop reading). Elements are documents until `map` is set, rows after.
pub(super) fn read_array(
    rest: Rest,
    name: &str,
    map: &OnceLock<PathMap>,
    source: &Arc<str>,
    send: &mut dyn FnMut(Item) -> bool,
) {
    let newlines = Rc::new(Cell::new(0));
    let (dummy, index) = (rest.dummy, rest.index);
    let mut de = serde_json::Deserializer::from_reader(Counting {
        inner: BufReader::with_capacity(64 * 1024, rest.reader()),
        newlines: newlines.clone(),
    });
    let seed = Records {
        send,
        newlines,
        name,
        map,
        source,
        dummy,
        index,
    };
    let result = seed.deserialize(&mut de).and_then(|()| de.end());
    if let Err(e) = result
        && !e.to_string().starts_with(STOPPED)
    {
        let msg = e
            .to_string()
            .replace("invalid type: map, expected", "found an object, expected");
        send(Err(row_err(name, e.line() as u64, msg)));
    }
}

const STOPPED: &str = "reader stopped";

/// The array's elements, as documents until the mapping is known (from the first), then read
/// shallowly straight into rows on this thread.
struct Records<'a> {
    send: &'a mut dyn FnMut(Item) -> bool,
    newlines: Rc<Cell<u64>>,
    name: &'a str,
    map: &'a OnceLock<PathMap>,
    source: &'a Arc<str>,
    /// The first element is not the export's (`cut::Rest`): skip it.
    dummy: bool,
    /// Elements before the first.
    index: u64,
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
        if self.dummy && seq.next_element::<serde::de::IgnoredAny>()?.is_none() {
            return Ok(());
        }
        let mut index = self.index;
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
            if !(self.send)(item) {
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

/// serde reading the array from `rest` on, on a thread of its own.
pub(super) fn on_thread(
    rest: Rest,
    name: &str,
    map: &Arc<OnceLock<PathMap>>,
    source: &Arc<str>,
) -> batch::Receiver<Item> {
    let (mut tx, rx) = batch::channel::<Item>(4);
    let (name, map, source) = (name.to_string(), map.clone(), source.clone());
    std::thread::spawn(move || read_array(rest, &name, &map, &source, &mut |item| tx.send(item)));
    rx
}

/// The first element of an array, as a document; or the export for serde to read from the
/// start, when the cutter cannot follow it that far or the element does not parse; None for an
/// empty array.
pub(super) fn first(cutter: &mut Cutter) -> Option<Result<(Pos, Value), Rest>> {
    let elements = match cutter.cut(BLOCK, 1)? {
        Cut::Rest(rest) => return Some(Err(rest)),
        Cut::Elements(e) => e,
    };
    let (start, end) = elements.spans[0];
    Some(
        match serde_json::from_slice::<Value>(&elements.bytes[start..end]) {
            Ok(doc) => Ok((
                Pos {
                    line: elements.at.over(&elements.bytes[..end]).newlines + 1,
                    record: Some(elements.first),
                },
                doc,
            )),
            Err(_) => Err(cutter.rest_from(&elements, 0)),
        },
    )
}

/// An array's elements after the first, once the mapping is known: cut, and read by whichever
/// thread; from where the cutter stops following the export, read by serde.
pub(super) struct Array {
    head: std::vec::IntoIter<Result<RawRow, RowError>>,
    /// None once split.
    blocks: Option<Blocks>,
    /// Rows of the block being read in sequence.
    pending: std::collections::VecDeque<Result<RawRow, RowError>>,
    stopped: bool,
}

impl Array {
    pub fn new(
        head: Vec<Result<RawRow, RowError>>,
        cutter: Cutter,
        name: &str,
        map: &Arc<OnceLock<PathMap>>,
        source: &Arc<str>,
    ) -> Array {
        Array {
            head: head.into_iter(),
            blocks: Some(Blocks {
                cutter,
                serde: None,
                name: name.into(),
                map: map.clone(),
                source: source.clone(),
            }),
            pending: Default::default(),
            stopped: false,
        }
    }
}

impl crate::source::RowSource for Array {
    fn next_into(&mut self, row: &mut RawRow) -> Option<Result<(), RowError>> {
        loop {
            if let Some(r) = self.head.next().or_else(|| self.pending.pop_front()) {
                return Some(r.map(|r| *row = r));
            }
            if self.stopped {
                return None;
            }
            let block = self.blocks.as_mut()?.next()?;
            let pending = &mut self.pending;
            let mut scratch = RawRow::new(Location::default(), 0);
            self.stopped =
                block(&mut scratch, &mut |r| pending.push_back(r.cloned())) == Then::Stop;
        }
    }

    fn split(&mut self) -> Option<crate::source::Split> {
        let mut blocks = self.blocks.take()?;
        let head = std::mem::take(&mut self.head).collect();
        Some(crate::source::Split {
            head,
            next: Box::new(move || blocks.next()),
        })
    }
}

/// The blocks of an array's elements, in order.
struct Blocks {
    cutter: Cutter,
    /// serde reading the rest, once the cutter has handed it over.
    serde: Option<batch::Receiver<Item>>,
    name: Arc<str>,
    map: Arc<OnceLock<PathMap>>,
    source: Arc<str>,
}

/// Records serde reads make a block this many at a time.
const SERDE_BLOCK: usize = 1024;

impl Blocks {
    fn next(&mut self) -> Option<crate::source::Block> {
        let (name, map, source) = (self.name.clone(), self.map.clone(), self.source.clone());
        if let Some(rx) = &mut self.serde {
            let items: Vec<Item> = rx.by_ref().take(SERDE_BLOCK).collect();
            if items.is_empty() {
                return None;
            }
            return Some(Box::new(move |_, each| {
                let map = map.get().expect("mapping set");
                for item in items {
                    hand(map, &source, item, each);
                }
                Then::More
            }));
        }
        match self.cutter.cut(BLOCK, usize::MAX)? {
            Cut::Elements(elements) => Some(Box::new(move |_, each| {
                rows(elements, &name, &map, &source, each)
            })),
            Cut::Rest(rest) => {
                self.serde = Some(on_thread(rest, &name, &map, &source));
                self.next()
            }
        }
    }
}

/// Each element's row or error, in order; at an element that does not parse, what serde says
/// reading from there, and the read stops.
fn rows(
    elements: Elements,
    name: &str,
    mapping: &OnceLock<PathMap>,
    source: &Arc<str>,
    each: &mut dyn FnMut(Result<&RawRow, RowError>),
) -> Then {
    let map = mapping.get().expect("mapping set");
    let mut row = block_row(source);
    let mut template = None;
    let (mut at, mut from) = (elements.at, 0);
    for (k, &(start, end)) in elements.spans.iter().enumerate() {
        at = at.over(&elements.bytes[from..end]);
        from = end;
        row.loc.line = at.newlines + 1;
        row.loc.record = Some(elements.first + k as u64);
        match shallow(&elements.bytes[start..end], map, &mut row, &mut template) {
            Some(Ok(())) => each(Ok(&row)),
            Some(Err(e)) => each(Err(e)),
            None => {
                let rest = elements.rest_from(k, None);
                read_array(rest, name, mapping, source, &mut |item| {
                    hand(map, source, item, each);
                    true
                });
                return Then::Stop;
            }
        }
    }
    Then::More
}
