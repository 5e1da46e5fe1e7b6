//! The usual JSON Lines record read without serde: one flat object whose values are strings
//! without escapes, whole numbers, booleans or null. Anything else (an escape, a fraction or
//! exponent, a nested object or list, a syntax error) is not read here: `None` sends the line to
//! serde_json, which reads it (or reports it) as before. What is read here is the record serde
//! would give; the test below holds the two together on generated and damaged lines.

use super::{Member, Record};
use serde_json::Number;
use std::borrow::Cow;

/// The record `serde_json::from_str::<Record>(line)` gives, when the line is of the simple kind.
pub fn record(line: &str) -> Option<Record<'_>> {
    let mut members = Vec::with_capacity(16);
    object(line, |_, key, at| {
        let (value, next) = scalar(line, at)?;
        members.push((Cow::Borrowed(key), value));
        Some(next)
    })?;
    Some(Record { members })
}

/// Walks `line` as one object of members whose keys are strings without escapes, with nothing
/// after it but whitespace: for each member, `member(i, key, at)` is given where its key's
/// opening quote is, the key, and where its value starts, and reads the value, returning the
/// index after it (None: the line is not of this kind).
pub(super) fn object<'l>(
    line: &'l str,
    mut member: impl FnMut(usize, &'l str, usize) -> Option<usize>,
) -> Option<()> {
    let b = line.as_bytes();
    let mut i = ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = ws(b, i + 1);
    if b.get(i) == Some(&b'}') {
        i += 1;
    } else {
        loop {
            let (key, next) = string(line, i)?;
            let mut at = ws(b, next);
            if b.get(at) != Some(&b':') {
                return None;
            }
            at = ws(b, at + 1);
            i = ws(b, member(i, key, at)?);
            match b.get(i) {
                Some(b',') => i = ws(b, i + 1),
                Some(b'}') => {
                    i += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    (ws(b, i) == b.len()).then_some(())
}

/// JSON's whitespace from `i` on; the index after it.
pub(super) fn ws(b: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(i) {
        i += 1;
    }
    i
}

/// A string starting at `i` (its opening quote) with no escape or control character: its text
/// and the index after its closing quote.
pub(super) fn string(line: &str, i: usize) -> Option<(&str, usize)> {
    let b = line.as_bytes();
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let start = i + 1;
    let end = start + string_stop(&b[start..], true)?;
    // Only a quote ends the string here; a backslash or a control character goes to serde.
    (b[end] == b'"').then(|| (&line[start..end], end + 1))
}

/// The first quote or backslash in `b` (with `controls`, also the first control character):
/// where a string's plain text stops. Eight bytes at a time, as strings in an export are short.
pub fn string_stop(b: &[u8], controls: bool) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Bytes below this are found too.
    let below: u8 = if controls { 0x20 } else { 0 };
    let mut i = 0;
    while let Some(word) = b.get(i..i + 8) {
        let w = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        let (q, e) = (w ^ (ONES * b'"' as u64), w ^ (ONES * b'\\' as u64));
        // Each term flags its first byte exactly (later flags may be false); the lowest flag
        // of the three is the first byte wanted.
        let found = (q.wrapping_sub(ONES) & !q
            | e.wrapping_sub(ONES) & !e
            | w.wrapping_sub(ONES * below as u64) & !w)
            & HIGH;
        if found != 0 {
            return Some(i + found.trailing_zeros() as usize / 8);
        }
        i += 8;
    }
    b[i..]
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < below)
        .map(|k| i + k)
}

/// A value starting at `i`: a string, a whole number, `true`, `false` or `null`.
fn scalar(line: &str, i: usize) -> Option<(Member<'_>, usize)> {
    let b = line.as_bytes();
    let word =
        |w: &str, m: Member<'static>| b[i..].starts_with(w.as_bytes()).then(|| (m, i + w.len()));
    match *b.get(i)? {
        b'"' => string(line, i).map(|(s, next)| (Member::Str(Cow::Borrowed(s)), next)),
        b't' => word("true", Member::Bool(true)),
        b'f' => word("false", Member::Bool(false)),
        b'n' => word("null", Member::Null),
        b'-' | b'0'..=b'9' => whole(line, i),
        _ => None,
    }
}

/// A whole number that fits serde's integers: `-`? then digits, no leading zero, no fraction or
/// exponent (those, and `-0`, are serde's to read).
fn whole(line: &str, i: usize) -> Option<(Member<'_>, usize)> {
    let (n, end) = whole_number(line, i)?;
    Some((Member::Number(n), end))
}

/// The number `whole` reads at `i`, and the index after it. Its text is what serde prints for it.
pub(super) fn whole_number(line: &str, i: usize) -> Option<(Number, usize)> {
    let b = line.as_bytes();
    let negative = b[i] == b'-';
    let digits = i + usize::from(negative);
    let len = b[digits..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    let end = digits + len;
    if len == 0 || (b[digits] == b'0' && len > 1) || matches!(b.get(end), Some(b'.' | b'e' | b'E'))
    {
        return None;
    }
    let n = if negative {
        Number::from(line[i..end].parse::<i64>().ok().filter(|n| *n != 0)?)
    } else {
        Number::from(line[digits..end].parse::<u64>().ok()?)
    };
    Some((n, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_string_stops_at_its_first_quote_escape_or_control_wherever_it_is() {
        // Fillers include a quote's and a backslash's bytes with the high bit set, and the
        // bytes either side of the control range.
        const FILL: [u8; 8] = [b'a', 0x80, b' ', 0xff, 0x21, 0x7f, 0xa2, 0xdc];
        let pairs = [
            (b'"', b'\\'),
            (b'\\', b'"'),
            (0x1f, b'"'),
            (0, 0x1f),
            (0x20, 0x20),
        ];
        for controls in [false, true] {
            for len in 0..40 {
                for at in 0..=len {
                    for (mark, other) in pairs {
                        let mut b: Vec<u8> = (0..len).map(|k| FILL[k % 8]).collect();
                        if at < len {
                            b[at] = mark;
                        }
                        if at + 1 < len {
                            b[at + 1] = other;
                        }
                        let want = b
                            .iter()
                            .position(|&c| c == b'"' || c == b'\\' || (controls && c < 0x20));
                        assert_eq!(string_stop(&b, controls), want, "{b:?} {controls}");
                    }
                }
            }
        }
    }

    /// The members of a record, comparable.
    fn members(r: &Record<'_>) -> Vec<(String, String)> {
        r.members
            .iter()
            .map(|(k, m)| {
                let v = match m {
                    Member::Null => "null".to_string(),
                    Member::Bool(b) => format!("bool {b}"),
                    Member::Number(n) => format!("number {n} {:?}", (n.as_u64(), n.as_i64())),
                    Member::Str(s) => format!("str {s}"),
                    Member::Doc(v) => format!("doc {v}"),
                };
                (k.to_string(), v)
            })
            .collect()
    }

    /// Lines of the kind the shortcut reads, and of every kind it must leave to serde.
    fn lines(seed: u64, n: usize) -> Vec<String> {
        let mut next = crate::testing::random(seed);
        let pieces = [
            r#""cart_id""#,
            r#""Cart_ID""#,
            r#""phone""#,
            r#""ёжик""#,
            r#""""#,
            r#""a b""#,
            r#""+7 912 000-00-00""#,
            r#""esc\"aped""#,
            r#""tab\tx""#,
            "\"raw\u{1}ctl\"",
            r#""\u00e9""#,
            "0",
            "7",
            "-3",
            "-0",
            "00",
            "01",
            "12.5",
            "1e3",
            "1E+2",
            "-",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "1.",
            ".5",
            "true",
            "false",
            "null",
            "tru",
            "nul",
            "True",
            "[1,2]",
            "{\"x\":1}",
            "{}",
            "[]",
            ":",
            ",",
            "{",
            "}",
            " ",
            "\t",
            "\r",
            "\n",
            "\u{a0}",
            "x",
            "\"unterminated",
        ];
        let mut out = Vec::new();
        for _ in 0..n {
            let mut line = String::from("{");
            let members = next(6);
            for m in 0..members {
                if m > 0 {
                    line.push(',');
                }
                let key = [
                    r#""cart_id""#,
                    r#""phone""#,
                    r#""total""#,
                    r#""ёжик""#,
                    r#""""#,
                ][next(5) as usize];
                line.push_str(key);
                line.push_str([":", " : ", ":\t"][next(3) as usize]);
                line.push_str(pieces[next(pieces.len() as u64) as usize]);
            }
            line.push('}');
            line.push_str(["", "\n", "\r\n", "  ", " x", ","][next(6) as usize]);
            // Damage some: a piece dropped in, or a byte cut out.
            match next(4) {
                0 => {
                    let at = next(line.len() as u64 + 1) as usize;
                    if line.is_char_boundary(at) {
                        line.insert_str(at, pieces[next(pieces.len() as u64) as usize]);
                    }
                }
                1 => {
                    let at = next(line.len() as u64) as usize;
                    if line.is_char_boundary(at) && line.is_char_boundary(at + 1) {
                        line.remove(at);
                    }
                }
                _ => {}
            }
            out.push(line);
        }
        out
    }

    #[test]
    fn reads_what_serde_reads_and_leaves_the_rest_to_it() {
        let (mut read, mut left) = (0, 0);
        for line in lines(11, 40_000) {
            let serde = serde_json::from_str::<Record<'_>>(&line);
            match record(&line) {
                Some(r) => {
                    read += 1;
                    let want = serde.unwrap_or_else(|e| panic!("serde refuses {line:?}: {e}"));
                    assert_eq!(members(&r), members(&want), "{line:?}");
                }
                None => left += 1,
            }
        }
        // Both kinds were met, many times.
        assert!(read > 2_000 && left > 2_000, "read {read}, left {left}");
    }

    #[test]
    fn a_typical_export_line_is_read_here() {
        let line = r#"{"cart_id":"q1","customer_id":"c0","name":"Ёжик","phone":"+79288115304","total":"3290.39","items_count":3,"consent":false,"timezone":null}"#;
        let r = record(line).expect("read");
        assert_eq!(members(&r), members(&serde_json::from_str(line).unwrap()));
        assert!(record(r#"{"a":"x\"y"}"#).is_none(), "escapes are serde's");
        assert!(record(r#"{"a":1.5}"#).is_none(), "fractions are serde's");
        assert!(record(r#"{"a":{"b":1}}"#).is_none(), "nesting is serde's");
    }
}
