//! A JSON array cut into its elements without parsing them, so that both cores can read them
//! (as JSON Lines are read) instead of one serde stream reading the file a byte at a time.
//!
//! The cutter follows only what an export of objects needs: `[`, objects (their brackets
//! counted, their strings skipped), `,` and `]`. At anything else (an element that is not an
//! object, a missing comma, the end of the input inside the array, characters after it, a read
//! error) it hands the rest of the export to serde, as a [`Rest`] that starts serde in the state
//! the array was in there, at the same line and column: whatever serde says from there (the
//! error, or the rows after an element that is not an object) is what it says reading the whole
//! file. An element the cutter took but that does not parse is handed over the same way, by
//! whoever parses it ([`Elements::rest_from`]).

use crate::source::shallow::string_stop;
use std::io::{Cursor, Read};

/// Bytes read at a time.
const READ: usize = 256 * 1024;
/// An element nested deeper than this is left to serde: its depth limit counts the array too.
const MAX_DEPTH: u32 = 100;

/// Where a byte of the export is, as serde counts: newlines before it, and bytes since the last.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Spot {
    pub newlines: u64,
    pub col: u64,
}

impl Spot {
    /// The spot just after `bytes`, which start here.
    pub fn over(self, bytes: &[u8]) -> Spot {
        let mut newlines = 0;
        let mut last = None;
        for i in memchr::memchr_iter(b'\n', bytes) {
            newlines += 1;
            last = Some(i);
        }
        match last {
            None => Spot {
                newlines: self.newlines,
                col: self.col + bytes.len() as u64,
            },
            Some(last) => Spot {
                newlines: self.newlines + newlines,
                col: (bytes.len() - last - 1) as u64,
            },
        }
    }
}

/// What the cutter expects next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// The array's `[`.
    Start,
    /// After `[`: an element or `]`.
    Open,
    /// After an element: `,` or `]`.
    After,
    /// After `,`: an element.
    Comma,
    /// After `]`: only whitespace.
    Closed,
    Done,
}

impl State {
    /// What serde must read first to be where the array is in this state; and whether that
    /// makes an element (`0`) that is not the export's.
    fn prefix(self) -> (&'static [u8], bool) {
        match self {
            State::Start | State::Done => (b"", false),
            State::Open => (b"[", false),
            State::After => (b"[0", true),
            State::Comma => (b"[0,", true),
            State::Closed => (b"[]", false),
        }
    }
}

/// Whole elements of the array, as they lie in the export.
pub(super) struct Elements {
    /// The export from the first element's start to the last one's end.
    pub bytes: Vec<u8>,
    /// Each element's start and end in `bytes`.
    pub spans: Vec<(usize, usize)>,
    /// Where `bytes` starts.
    pub at: Spot,
    /// The first element's index in the array, from 1.
    pub first: u64,
}

/// The export from some point on, for serde to read: `prefix` puts serde in the state the array
/// was in there, at the same line and column.
pub(super) struct Rest {
    /// What puts serde in the array's state (`State::prefix`).
    open: &'static [u8],
    /// Then this many line ends and spaces, to reach the line and column.
    newlines: u64,
    spaces: u64,
    /// The prefix makes an element that is not the export's: skip it.
    pub dummy: bool,
    /// Elements of the export before this point.
    pub index: u64,
    bytes: Vec<u8>,
    reader: Option<Box<dyn Read + Send>>,
}

impl Rest {
    fn new(
        state: State,
        at: Spot,
        index: u64,
        bytes: Vec<u8>,
        reader: Option<Box<dyn Read + Send>>,
    ) -> Rest {
        let (open, dummy) = state.prefix();
        let spaces = if at.newlines == 0 {
            // On the first line the prefix's own bytes are part of the column.
            debug_assert!(at.col as usize >= open.len(), "{state:?} at {at:?}");
            at.col.saturating_sub(open.len() as u64)
        } else {
            at.col
        };
        Rest {
            open,
            newlines: at.newlines,
            spaces,
            dummy,
            index,
            bytes,
            reader,
        }
    }

    /// The bytes for serde: the prefix, then the export from this point on. The line ends and
    /// spaces are generated as read, not stored (a hand-over late in a 10M-line export needs
    /// 10M of them).
    pub fn reader(self) -> impl Read + Send {
        let tail: Box<dyn Read + Send> = match self.reader {
            Some(r) => r,
            None => Box::new(std::io::empty()),
        };
        Cursor::new(self.open)
            .chain(std::io::repeat(b'\n').take(self.newlines))
            .chain(std::io::repeat(b' ').take(self.spaces))
            .chain(Cursor::new(self.bytes))
            .chain(tail)
    }
}

pub(super) enum Cut {
    Elements(Elements),
    Rest(Rest),
}

impl Elements {
    /// The export from element `k`'s start (k counts from 0 in this block) to the block's end,
    /// then `after`: for serde to read when element `k` does not parse.
    pub fn rest_from(&self, k: usize, after: Option<(Vec<u8>, Box<dyn Read + Send>)>) -> Rest {
        let start = self.spans[k].0;
        let at = self.at.over(&self.bytes[..start]);
        let index = self.first + k as u64 - 1;
        let state = if index == 0 {
            State::Open
        } else {
            State::Comma
        };
        let mut bytes = self.bytes[start..].to_vec();
        let reader = after.map(|(more, reader)| {
            bytes.extend_from_slice(&more);
            reader
        });
        Rest::new(state, at, index, bytes, reader)
    }
}

/// A read error, met again by serde where the cutter met it.
struct Failing(Option<std::io::Error>);

impl Read for Failing {
    fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Ok(0),
        }
    }
}

/// What one step of the cutter found.
enum Step {
    /// A token, taken.
    Took,
    /// The token goes on past the bytes read.
    Short,
    /// Something the cutter does not follow: serde reads on from here.
    Odd,
    /// The end of the input after the array.
    End,
}

pub(super) struct Cutter {
    reader: Option<Box<dyn Read + Send>>,
    buf: Vec<u8>,
    /// Bytes of `buf` before this are taken.
    pos: usize,
    /// Where `buf[mark]` is; `mark <= pos`.
    mark: usize,
    at: Spot,
    eof: bool,
    state: State,
    /// Elements taken.
    index: u64,
}

impl Cutter {
    /// Cuts `buffered`, then what `reader` reads.
    pub fn new(buffered: Vec<u8>, reader: Box<dyn Read + Send>) -> Cutter {
        Cutter {
            reader: Some(reader),
            buf: buffered,
            pos: 0,
            mark: 0,
            at: Spot::default(),
            eof: false,
            state: State::Start,
            index: 0,
        }
    }

    /// The next elements, at most `most` of them and about `size` bytes; the rest of the
    /// export for serde once the cutter cannot follow it; None at the end.
    pub fn cut(&mut self, size: usize, most: usize) -> Option<Cut> {
        if self.state == State::Done {
            return None;
        }
        let mut spans = Vec::new();
        let first = self.index + 1;
        loop {
            if let (Some(&(start, _)), Some(&(_, end))) = (spans.first(), spans.last())
                && (spans.len() >= most || end - start >= size)
            {
                break;
            }
            match self.step(&mut spans) {
                Step::Took => {}
                Step::Short if spans.is_empty() => {
                    if let Err(e) = self.fill() {
                        self.eof = true;
                        self.reader = Some(Box::new(Failing(Some(e))));
                        return Some(Cut::Rest(self.rest()));
                    }
                }
                Step::Odd if spans.is_empty() => return Some(Cut::Rest(self.rest())),
                Step::End if spans.is_empty() => {
                    self.state = State::Done;
                    return None;
                }
                Step::Short | Step::Odd | Step::End => break,
            }
        }
        let (start, end) = (spans[0].0, spans[spans.len() - 1].1);
        let at = self.spot(start);
        for s in &mut spans {
            *s = (s.0 - start, s.1 - start);
        }
        Some(Cut::Elements(Elements {
            bytes: self.buf[start..end].to_vec(),
            spans,
            at,
            first,
        }))
    }

    /// The whole export, for serde.
    pub fn rest_all(&mut self) -> Rest {
        debug_assert_eq!(self.state, State::Start);
        self.rest()
    }

    /// Elements of `cut` from `k` on were not parsed: the export from there, for serde.
    pub fn rest_from(&mut self, elements: &Elements, k: usize) -> Rest {
        let more = self.buf[self.pos..].to_vec();
        self.state = State::Done;
        let reader = self
            .reader
            .take()
            .unwrap_or_else(|| Box::new(std::io::empty()));
        elements.rest_from(k, Some((more, reader)))
    }

    /// The export from the last token on, for serde.
    fn rest(&mut self) -> Rest {
        let at = self.spot(self.pos);
        let state = std::mem::replace(&mut self.state, State::Done);
        Rest::new(
            state,
            at,
            self.index,
            self.buf[self.pos..].to_vec(),
            self.reader.take(),
        )
    }

    /// Where `buf[i]` is, for `i >= mark`; moves the mark there.
    fn spot(&mut self, i: usize) -> Spot {
        self.at = self.at.over(&self.buf[self.mark..i]);
        self.mark = i;
        self.at
    }

    /// Drops the bytes taken and reads more (into a larger buffer if one element fills it).
    fn fill(&mut self) -> std::io::Result<()> {
        self.spot(self.pos);
        self.buf.drain(..self.pos);
        self.pos = 0;
        self.mark = 0;
        let want = READ.max(self.buf.len());
        self.buf.reserve(want);
        let reader = self
            .reader
            .as_mut()
            .expect("read before the rest is handed over");
        let n = reader
            .by_ref()
            .take(want as u64)
            .read_to_end(&mut self.buf)?;
        if n == 0 {
            self.eof = true;
        }
        Ok(())
    }

    /// Takes the next token: the state moves on, and `pos` past it.
    fn step(&mut self, spans: &mut Vec<(usize, usize)>) -> Step {
        let b = &self.buf;
        let mut i = self.pos;
        while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
            i += 1;
        }
        if i == b.len() {
            return match (self.eof, self.state) {
                (false, _) => Step::Short,
                (true, State::Closed) => Step::End,
                (true, _) => Step::Odd,
            };
        }
        let (next, end) = match (self.state, b[i]) {
            (State::Start, b'[') => (State::Open, i + 1),
            (State::Open | State::After, b']') => (State::Closed, i + 1),
            (State::After, b',') => (State::Comma, i + 1),
            (State::Open | State::Comma, b'{') => match object_end(b, i) {
                Some(Ok(end)) => {
                    spans.push((i, end));
                    self.index += 1;
                    (State::After, end)
                }
                None if !self.eof => return Step::Short,
                _ => return Step::Odd,
            },
            _ => return Step::Odd,
        };
        self.state = next;
        self.pos = end;
        Step::Took
    }
}

/// The end (just past its `}`) of the object starting at `b[start]`, its brackets counted and
/// its strings skipped; None when it goes on past `b`, Some(Err) when it is nested too deep.
fn object_end(b: &[u8], start: usize) -> Option<Result<usize, ()>> {
    let mut depth = 0u32;
    let mut i = start;
    while i < b.len() {
        match b[i] {
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(Err(()));
                }
            }
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(Ok(i + 1));
                }
            }
            b'"' => {
                // A string: on to its closing quote, over escapes.
                i += 1;
                loop {
                    i += string_stop(b.get(i..)?, false)?;
                    if b[i] == b'"' {
                        break;
                    }
                    i += 2;
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_end_where_their_brackets_close_whatever_their_strings_hold() {
        let end = |s: &str| object_end(s.as_bytes(), 0);
        assert_eq!(end(r#"{"a":1} ,"#), Some(Ok(7)));
        assert_eq!(end(r#"{"a":"}\"{"}x"#), Some(Ok(12)));
        assert_eq!(end(r#"{"a":"\\"}"#), Some(Ok(10)));
        assert_eq!(end(r#"{"a":[{"b":[]}],"c":{}}"#), Some(Ok(23)));
        assert_eq!(end(r#"{"a":"x"#), None);
        assert_eq!(end(r#"{"a":"x\"#), None);
        assert_eq!(end(r#"{"a":{"#), None);
        let deep = format!("{}{}", "{\"a\":".repeat(101), "}".repeat(101));
        assert_eq!(end(&deep), Some(Err(())));
        let ok = format!("{}{}", "{\"a\":".repeat(100), "}".repeat(100));
        assert_eq!(end(&ok), Some(Ok(ok.len())));
    }

    #[test]
    fn a_spot_counts_as_serde_counts() {
        let s = Spot::default().over(b"ab\ncd\n\nef");
        assert_eq!(
            s,
            Spot {
                newlines: 3,
                col: 2
            }
        );
        assert_eq!(
            s.over(b"xyz"),
            Spot {
                newlines: 3,
                col: 5
            }
        );
    }
}
