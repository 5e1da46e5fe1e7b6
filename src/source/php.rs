//! PHP's `serialize()` format, read into `serde_json::Value` so a column such as CartFlows'
//! `other_fields` can be addressed by a dotted path like any JSON document. Strings are counted in
//! bytes, as PHP writes them, so multi-byte UTF-8 text reads correctly. Only data is read: objects
//! become maps of their properties, references (`r:`/`R:`) and custom serialization (`C:`) are
//! refused, and nesting is bounded so a hostile value cannot exhaust the stack.

use serde_json::{Map, Value};

const MAX_DEPTH: usize = 64;

/// Parses one serialized value; trailing bytes other than whitespace are an error.
pub fn unserialize(text: &str) -> Result<Value, String> {
    let mut p = Parser {
        b: text.as_bytes(),
        pos: 0,
    };
    let v = p.value(0)?;
    if p.b[p.pos..].iter().any(|c| !c.is_ascii_whitespace()) {
        return Err(format!("unexpected text after the value at byte {}", p.pos));
    }
    Ok(v)
}

/// True when `text` looks like a serialized PHP array or object (not a plain string or number).
pub fn looks_serialized(text: &str) -> bool {
    let t = text.trim_start().as_bytes();
    t.len() > 4 && (t.starts_with(b"a:") || t.starts_with(b"O:")) && t[2].is_ascii_digit()
}

struct Parser<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn err<T>(&self, what: &str) -> Result<T, String> {
        Err(format!(
            "not PHP-serialized data: {what} at byte {}",
            self.pos
        ))
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.b.get(self.pos) == Some(&c) {
            self.pos += 1;
            Ok(())
        } else {
            self.err(&format!("expected `{}`", c as char))
        }
    }

    /// Text up to (not including) `end`, which is consumed.
    fn until(&mut self, end: u8) -> Result<&str, String> {
        let start = self.pos;
        let len = self.b[start..]
            .iter()
            .position(|&c| c == end)
            .ok_or(format!("missing `{}`", end as char))?;
        self.pos = start + len + 1;
        std::str::from_utf8(&self.b[start..start + len]).map_err(|_| "invalid UTF-8".to_string())
    }

    fn count(&mut self) -> Result<usize, String> {
        let t = self.until(b':')?;
        t.parse::<usize>()
            .map_err(|_| format!("not PHP-serialized data: bad length `{t}`"))
    }

    /// `N:"…"` — a byte-counted string; the caller has consumed the type letter and colon.
    fn string(&mut self) -> Result<String, String> {
        let n = self.count()?;
        self.expect(b'"')?;
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or("string runs past the end")?;
        let s = std::str::from_utf8(&self.b[self.pos..end])
            .map_err(|_| "string is not UTF-8 (or its length is wrong)")?;
        self.pos = end;
        self.expect(b'"')?;
        Ok(s.to_string())
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return self.err("nesting too deep");
        }
        let Some(&tag) = self.b.get(self.pos) else {
            return self.err("unexpected end");
        };
        self.pos += 1;
        if tag == b'N' {
            self.expect(b';')?;
            return Ok(Value::Null);
        }
        self.expect(b':')?;
        match tag {
            b'b' => match self.until(b';')? {
                "0" => Ok(Value::Bool(false)),
                "1" => Ok(Value::Bool(true)),
                o => Err(format!("not PHP-serialized data: bad boolean `{o}`")),
            },
            b'i' => {
                let t = self.until(b';')?;
                t.parse::<i64>()
                    .map(Value::from)
                    .map_err(|_| format!("not PHP-serialized data: bad integer `{t}`"))
            }
            b'd' => {
                // Kept as the text written: money must not pass through a float.
                Ok(Value::String(self.until(b';')?.to_string()))
            }
            b's' => {
                let s = self.string()?;
                self.expect(b';')?;
                Ok(Value::String(s))
            }
            b'a' => self.entries(depth),
            b'O' => {
                let _class = self.string()?;
                self.expect(b':')?;
                self.entries(depth)
            }
            _ => self.err(&format!("unsupported type `{}`", tag as char)),
        }
    }

    /// `N:{key;value;…}` with integer or string keys.
    fn entries(&mut self, depth: usize) -> Result<Value, String> {
        let n = self.count()?;
        self.expect(b'{')?;
        let mut map = Map::new();
        for _ in 0..n {
            let key = match self.value(depth + 1)? {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                _ => return self.err("array key is not a string or integer"),
            };
            // Private and protected property names carry "\0Class\0" / "\0*\0" prefixes.
            let key = match key.rfind('\0') {
                Some(i) => key[i + 1..].to_string(),
                None => key,
            };
            let v = self.value(depth + 1)?;
            map.insert(key, v);
        }
        self.expect(b'}')?;
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_cartflows_other_fields() {
        let s = r#"a:4:{s:16:"wcf_phone_number";s:12:"+79161234567";s:14:"wcf_first_name";s:12:"Наташа";s:12:"wcf_location";s:10:"RU, Moscow";s:3:"qty";i:3;}"#;
        assert_eq!(
            unserialize(s).unwrap(),
            json!({"wcf_phone_number": "+79161234567", "wcf_first_name": "Наташа", "wcf_location": "RU, Moscow", "qty": 3})
        );
        assert!(looks_serialized(s));
    }

    #[test]
    fn scalars_nesting_and_objects() {
        assert_eq!(unserialize("N;").unwrap(), Value::Null);
        assert_eq!(unserialize("b:1;").unwrap(), json!(true));
        assert_eq!(unserialize("d:3000.50;").unwrap(), json!("3000.50"));
        assert_eq!(
            unserialize(r#"a:2:{i:0;s:1:"x";i:1;a:1:{s:1:"k";N;}}"#).unwrap(),
            json!({"0": "x", "1": {"k": null}})
        );
        let o = "O:8:\"stdClass\":2:{s:1:\"a\";i:1;s:4:\"\0*\0b\";s:0:\"\";}";
        assert_eq!(unserialize(o).unwrap(), json!({"a": 1, "b": ""}));
    }

    #[test]
    fn refuses_broken_or_hostile_input() {
        for bad in [
            "s:5:\"abc\";",      // length past the end
            "a:2:{i:0;i:1;}",    // fewer entries than announced
            "i:12",              // no terminator
            "s:2:\"\u{430}\";x", // trailing bytes
            "r:1;",              // references are not data
            "C:3:\"Foo\":0:{}",  // custom serialization
            "s:1:\"\u{430}\";",  // byte count splits a UTF-8 character
        ] {
            assert!(unserialize(bad).is_err(), "{bad:?}");
        }
        let deep = "a:1:{i:0;".repeat(100) + "N;" + &"}".repeat(100);
        assert!(unserialize(&deep).unwrap_err().contains("too deep"));
    }
}
