//! JSON objects that keep their keys in the order written, so `report --format json` reads like
//! DESIGN.md §12 (`since`, `until`, `currencies`, then the figures) without switching the whole
//! crate's `serde_json` maps to insertion order.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

pub enum Node {
    Value(Value),
    Object(Obj),
    List(Vec<Obj>),
}

#[derive(Default)]
pub struct Obj(Vec<(&'static str, Node)>);

impl Obj {
    pub fn new() -> Obj {
        Obj::default()
    }

    /// Any serializable value (numbers, strings, options as null, small `json!` objects).
    pub fn put(mut self, key: &'static str, value: impl Serialize) -> Obj {
        let v = serde_json::to_value(value).expect("report values serialize");
        self.0.push((key, Node::Value(v)));
        self
    }

    pub fn obj(mut self, key: &'static str, value: Obj) -> Obj {
        self.0.push((key, Node::Object(value)));
        self
    }

    /// An object, or `null`.
    pub fn opt(mut self, key: &'static str, value: Option<Obj>) -> Obj {
        self.0
            .push((key, value.map_or(Node::Value(Value::Null), Node::Object)));
        self
    }

    /// Appends another object's entries.
    pub fn merge(mut self, other: Obj) -> Obj {
        self.0.extend(other.0);
        self
    }

    pub fn list(mut self, key: &'static str, value: Vec<Obj>) -> Obj {
        self.0.push((key, Node::List(value)));
        self
    }
}

impl Serialize for Obj {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Value(v) => v.serialize(s),
            Node::Object(o) => o.serialize(s),
            Node::List(l) => l.serialize(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_key_order() {
        let o = Obj::new()
            .put("z", 1)
            .obj("a", Obj::new().put("y", None::<u8>))
            .list("m", vec![Obj::new().put("b", "x")]);
        assert_eq!(
            serde_json::to_string(&o).unwrap(),
            r#"{"z":1,"a":{"y":null},"m":[{"b":"x"}]}"#
        );
    }
}
