//! One JSON object read without building a `serde_json::Value` for its top level: each member's
//! key and scalar value borrow the line they were read from, so a JSON Lines record costs a
//! vector, not a tree of maps and strings. Objects and lists inside it are still `Value`s, and a
//! lookup finds exactly what `pick::lookup` finds in the same record as a `Value` (a unit test
//! holds the two together).

use super::pick::{lookup, value_text};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Number, Value};
use std::borrow::Cow;
use std::fmt;

mod flat;
mod template;

pub use flat::string_stop;
pub use template::Template;

/// A JSON object's members in the order written (a repeated key: the last one counts, as in a
/// `Value`).
pub struct Record<'de> {
    members: Vec<(Cow<'de, str>, Member<'de>)>,
}

enum Member<'de> {
    Null,
    Bool(bool),
    Number(Number),
    Str(Cow<'de, str>),
    /// An object or a list.
    Doc(Value),
}

impl<'de> Record<'de> {
    /// A JSON Lines record read from its line, which is UTF-8: directly when it is a flat
    /// object of simple values (nearly every line of an export), else by serde; None when serde
    /// cannot read it as an object either.
    pub fn of_line(line: &'de str) -> Option<Record<'de>> {
        flat::record(line).or_else(|| serde_json::from_str(line).ok())
    }
}

impl Record<'_> {
    /// The text at a dotted path, as `value_text(lookup(record, path))` would give it.
    pub fn text(&self, path: &str) -> Result<Option<Cow<'_, str>>, String> {
        if let Some(m) = self.get(path) {
            return m.text();
        }
        let (head, rest) = match path.split_once('.') {
            Some((h, r)) => (h, Some(r)),
            None => (path, None),
        };
        // A `Value` object iterates its keys in byte order: the first case-insensitive match
        // is the smallest such key.
        // Without a dot the head is the path, already looked up.
        let exact = rest.and_then(|_| self.get(head));
        let child = exact.or_else(|| {
            let key = self
                .members
                .iter()
                .map(|(k, _)| k)
                .filter(|k| k.eq_ignore_ascii_case(head))
                .min()?;
            self.get(key)
        });
        match (child, rest) {
            (None, _) => Ok(None),
            (Some(m), None) => m.text(),
            (Some(Member::Doc(v)), Some(r)) => match lookup(v, r) {
                Some(v) => value_text(v),
                None => Ok(None),
            },
            (Some(_), Some(_)) => Ok(None),
        }
    }

    fn get(&self, key: &str) -> Option<&Member<'_>> {
        self.members
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, m)| m)
    }
}

impl Member<'_> {
    fn text(&self) -> Result<Option<Cow<'_, str>>, String> {
        match self {
            Member::Null => Ok(None),
            Member::Bool(b) => Ok(Some(Cow::Borrowed(if *b { "true" } else { "false" }))),
            Member::Number(n) => Ok(Some(Cow::Owned(n.to_string()))),
            Member::Str(s) => Ok(Some(Cow::Borrowed(s))),
            Member::Doc(v) => value_text(v),
        }
    }
}

impl<'de> Deserialize<'de> for Record<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(RecordVisitor)
    }
}

struct RecordVisitor;

impl<'de> Visitor<'de> for RecordVisitor {
    type Value = Record<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Record<'de>, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(16));
        while let Some(Text(key)) = map.next_key()? {
            members.push((key, map.next_value()?));
        }
        Ok(Record { members })
    }
}

/// An element of a JSON array: an object read shallowly, or anything else, skipped.
pub enum Element<'de> {
    Object(Record<'de>),
    Other,
}

impl<'de> Deserialize<'de> for Element<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Element<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Element<'de>, A::Error> {
                RecordVisitor.visit_map(map).map(Element::Object)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Element<'de>, A::Error> {
                while seq.next_element::<de::IgnoredAny>()?.is_some() {}
                Ok(Element::Other)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Element<'de>, E> {
                Ok(Element::Other)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Element<'de>, E> {
                Ok(Element::Other)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Element<'de>, E> {
                Ok(Element::Other)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Element<'de>, E> {
                Ok(Element::Other)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Element<'de>, E> {
                Ok(Element::Other)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Element<'de>, E> {
                Ok(Element::Other)
            }
            fn visit_none<E: de::Error>(self) -> Result<Element<'de>, E> {
                Ok(Element::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// A string, borrowed from the input when it has no escapes.
struct Text<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(s.to_string())))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(s)))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de> Deserialize<'de> for Member<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(MemberVisitor)
    }
}

struct MemberVisitor;

/// The same calls `Value` answers, with the same results, except that strings may borrow.
impl<'de> Visitor<'de> for MemberVisitor {
    type Value = Member<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Member<'de>, E> {
        Ok(Member::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Member<'de>, E> {
        Ok(Member::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Member<'de>, D::Error> {
        Member::deserialize(d)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Member<'de>, E> {
        Ok(Member::Bool(b))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Member<'de>, E> {
        Ok(Member::Number(n.into()))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Member<'de>, E> {
        Ok(Member::Number(n.into()))
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Member<'de>, E> {
        Ok(Number::from_f64(n).map_or(Member::Null, Member::Number))
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Member<'de>, E> {
        Ok(Member::Str(Cow::Borrowed(s)))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Member<'de>, E> {
        Ok(Member::Str(Cow::Owned(s.to_string())))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Member<'de>, E> {
        Ok(Member::Str(Cow::Owned(s)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Member<'de>, A::Error> {
        Value::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(Member::Doc)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Member<'de>, A::Error> {
        Value::deserialize(de::value::MapAccessDeserializer::new(map)).map(Member::Doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every path of each document, and some that are not there, read both ways.
    #[test]
    fn finds_what_a_value_lookup_finds() {
        let docs = [
            r#"{"cart_id":"q1","total":"12.50","items_count":3,"consent":true,"phone":null}"#,
            r#"{"Phone":"+1","phone":"+2","PHONE":"+3","a.b":1,"a":{"b":2,"c":[5,{"d":"x"}]}}"#,
            r#"{"dup":"first","dup":"last","n":-4,"f":3000.5,"big":1e300,"e":"\u00e9\n"}"#,
            r#"{"list":[1,2],"obj":{"k":null},"Obj":{"k":"upper"},"t":"Total","TOTAL":7}"#,
            r#"{}"#,
        ];
        let paths = [
            "cart_id",
            "total",
            "items_count",
            "consent",
            "phone",
            "Phone",
            "pHoNe",
            "a.b",
            "a.c",
            "a.c.1.d",
            "a.c.0",
            "a",
            "dup",
            "n",
            "f",
            "big",
            "e",
            "list",
            "list.1",
            "obj.k",
            "OBJ.k",
            "obj",
            "t",
            "total",
            "missing",
            "missing.x",
            "n.x",
            "",
        ];
        for doc in docs {
            let value: Value = serde_json::from_str(doc).unwrap();
            let record: Record<'_> = serde_json::from_str(doc).unwrap();
            for path in paths {
                let want = match lookup(&value, path) {
                    Some(v) => value_text(v).map(|t| t.map(Cow::into_owned)),
                    None => Ok(None),
                };
                let got = record.text(path).map(|t| t.map(Cow::into_owned));
                assert_eq!(got, want, "{path} in {doc}");
            }
        }
    }

    #[test]
    fn array_elements_are_objects_or_skipped_whole() {
        let elements: Vec<Element<'_>> =
            serde_json::from_str(r#"[{"a":1},[1,[2]],"s",3,-1,2.5,true,null,{"b":{"c":[]}}]"#)
                .unwrap();
        let objects: Vec<bool> = elements
            .iter()
            .map(|e| matches!(e, Element::Object(_)))
            .collect();
        assert_eq!(
            objects,
            [true, false, false, false, false, false, false, false, true]
        );
        match &elements[8] {
            Element::Object(r) => assert!(r.text("b").is_err(), "an object is not a value"),
            Element::Other => unreachable!(),
        }
    }

    #[test]
    fn strings_without_escapes_are_borrowed() {
        let line = r#"{"name":"Ёжик","note":"a\"b"}"#;
        let record: Record<'_> = serde_json::from_str(line).unwrap();
        assert!(matches!(
            record.text("name"),
            Ok(Some(Cow::Borrowed("Ёжик")))
        ));
        assert_eq!(record.text("note").unwrap().unwrap(), "a\"b");
        assert!(serde_json::from_str::<Record<'_>>("[1]").is_err());
    }
}
