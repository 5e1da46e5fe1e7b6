//! JSON Lines records written alike: an export writes every line with the same keys in the same
//! order, so once one line is read, the next is read by matching those keys' bytes in turn
//! instead of finding each wanted field among the members. A line that differs in any way (a
//! key more or less, another order, other spacing, an escape, a value `flat` would not read)
//! does not match, and is read as before; what matches gives the row that reading gives (the
//! test below holds the two together on generated and damaged lines).

use super::flat::{object, string, whole_number, ws};
use crate::source::RawRow;
use crate::source::pick::PathMap;

/// After this many lines in a row that do not match, the next flat line is learned from.
const RELEARN: u32 = 8;

/// The keys of a line, and where each of the map's paths finds its text among them.
pub struct Template {
    /// Each member's key as written, from its opening quote to its value: `"cart_id":`.
    keys: Vec<Box<[u8]>>,
    /// For each of the map's paths: the member whose value is its text; None when no member's.
    slots: Vec<Option<usize>>,
    /// Lines in a row that did not match.
    misses: u32,
    /// The values of the line being read (reused).
    values: Vec<Value>,
}

/// A simple value of the line: a string's text without its quotes, or a number's digits, as
/// bytes `start..end` of the line; or a literal. One word, the start in its low half and the end
/// in its high half (a literal's start is `u32::MAX`, where no text starts in a line shorter
/// than 4 GiB), so that it stays in a register from `value` to `values`. As an enum of two
/// 32-bit fields it was built on the stack a half at a time and read back whole before the
/// halves had landed: a stall at every member (perf: a third of the matcher).
#[derive(Clone, Copy)]
struct Value(u64);

impl Value {
    const LITERAL: u64 = u32::MAX as u64;
    const NULL: Value = Value(Self::LITERAL);
    const TRUE: Value = Value(Self::LITERAL | 1 << 32);
    const FALSE: Value = Value(Self::LITERAL | 2 << 32);

    fn text(start: u32, end: u32) -> Value {
        Value(start as u64 | (end as u64) << 32)
    }

    /// The value's text in `line`, as `Record::text` gives it.
    fn get(self, line: &str) -> Option<&str> {
        let (start, end) = (self.0 as u32, (self.0 >> 32) as u32);
        match (start as u64 == Self::LITERAL, end) {
            (false, _) => Some(&line[start as usize..end as usize]),
            (true, 0) => None,
            (true, 1) => Some("true"),
            (true, _) => Some("false"),
        }
    }
}

impl Template {
    /// The keys of `line` when it is one flat object of simple values (as `flat::record` reads)
    /// with no key twice; None otherwise.
    pub fn learn(line: &str, map: &PathMap) -> Option<Template> {
        let b = line.as_bytes();
        u32::try_from(b.len()).ok()?;
        let (mut keys, mut names) = (Vec::new(), Vec::new());
        object(line, |i, name, at| {
            keys.push(Box::<[u8]>::from(&b[i..at]));
            names.push(name);
            value(line, at).map(|(_, next)| next as usize)
        })?;
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        if sorted.len() != names.len() {
            return None;
        }
        // Where `Record::text` finds each path in such a record: the member of that name, or
        // for a path without a dot the smallest name equal to it but for ASCII case; a dotted
        // path not a name itself would look inside a value, and a flat line has none to look in.
        let slots = map
            .paths()
            .map(|path| {
                let path = path?;
                let exact = names.iter().position(|n| *n == path);
                exact.or_else(|| {
                    (!path.contains('.'))
                        .then(|| {
                            let same = names.iter().filter(|n| n.eq_ignore_ascii_case(path));
                            let smallest = same.min()?;
                            names.iter().position(|n| n == smallest)
                        })
                        .flatten()
                })
            })
            .collect();
        Some(Template {
            values: Vec::with_capacity(keys.len()),
            keys,
            slots,
            misses: 0,
        })
    }

    /// Whether it is time to learn from another line: the last `RELEARN` lines did not match.
    pub fn stale(&self) -> bool {
        self.misses >= RELEARN
    }

    /// Reads `line` into `row` (its location's line set) when it has exactly this template's
    /// keys, in order and spaced alike, each with a simple value; false, and `row` to be filled
    /// another way, when it does not.
    pub fn fill(&mut self, line: &str, map: &PathMap, row: &mut RawRow) -> bool {
        if self.matches(line) {
            self.misses = 0;
            let (values, slots) = (&self.values, &self.slots);
            map.fill_each(row, |k| values[slots[k]?].get(line));
            return true;
        }
        self.misses = self.misses.saturating_add(1);
        false
    }

    /// Reads the values of `line` into `self.values` when its keys are this template's.
    fn matches(&mut self, line: &str) -> bool {
        let b = line.as_bytes();
        self.values.clear();
        if u32::try_from(b.len()).is_err() {
            return false;
        }
        let mut i = ws(b, 0);
        if b.get(i) != Some(&b'{') {
            return false;
        }
        i = ws(b, i + 1);
        if self.keys.is_empty() {
            return b.get(i) == Some(&b'}') && ws(b, i + 1) == b.len();
        }
        let last = self.keys.len() - 1;
        for (k, key) in self.keys.iter().enumerate() {
            if !b.get(i..i + key.len()).is_some_and(|at| same(at, key)) {
                return false;
            }
            let Some((v, next)) = value(line, i + key.len()) else {
                return false;
            };
            self.values.push(v);
            i = ws(b, next as usize);
            match (b.get(i), k == last) {
                (Some(b','), false) => i = ws(b, i + 1),
                (Some(b'}'), true) => i += 1,
                _ => return false,
            }
        }
        ws(b, i) == b.len()
    }
}

/// `a == b` for slices of one length, without a call to `memcmp` for the short keys of a line:
/// two overlapping 8-byte (or 4-byte) words cover 8 to 16 (4 to 8) bytes.
#[inline(always)]
fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    debug_assert_eq!(n, b.len());
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().expect("8 bytes"));
    let half = |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().expect("4 bytes"));
    match n {
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        _ => a == b,
    }
}

/// A simple value at `i`, as `flat` reads it, and the index after it; for a line shorter than
/// 4 GiB (`matches` checks).
#[inline(always)]
fn value(line: &str, i: usize) -> Option<(Value, u32)> {
    let b = line.as_bytes();
    let at = |i: usize| i as u32;
    let word = |w: &[u8], v: Value| b[i..].starts_with(w).then_some((v, at(i + w.len())));
    match *b.get(i)? {
        b'"' => string(line, i).map(|(_, next)| (Value::text(at(i + 1), at(next - 1)), at(next))),
        b't' => word(b"true", Value::TRUE),
        b'f' => word(b"false", Value::FALSE),
        b'n' => word(b"null", Value::NULL),
        b'-' | b'0'..=b'9' => {
            whole_number(line, i).map(|(_, end)| (Value::text(at(i), at(end)), at(end)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests;
