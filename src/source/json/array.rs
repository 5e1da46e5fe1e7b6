//! JSON arrays: serde's streaming deserializer owns the reader on a thread of its own and hands
//! records over in batches; a syntax error ends the read there.

use super::{Item, Pos, Rec, row_err, row_err_at};
use crate::model::Location;
use crate::source::batch;
use crate::source::pick::PathMap;
use crate::source::shallow::Element;
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

pub(super) fn read_array<R: Read>(
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
