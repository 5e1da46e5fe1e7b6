//! Picking field values out of rows whose columns are known by name (SQL results) or out of JSON
//! documents, with dotted paths: `customer.phone` in a JSON export, or `other_fields.wcf_phone_number`
//! where a SQL column holds a PHP-serialized or JSON document. The mapping is resolved once with
//! `resolve_columns`, so every source reports a wrong mapping the same way.

use super::{RawRow, RowError, resolve_columns};
use crate::model::Location;
use crate::source::Config;
use anyhow::Result;
use serde_json::Value;
use std::borrow::Cow;

#[derive(Debug, Clone)]
enum Pick {
    Absent,
    Column(usize),
    /// A path inside the document held by a column.
    Nested(usize, String),
}

/// Field → cell mapping for sources that yield whole rows of text cells.
#[derive(Debug, Clone)]
pub struct CellMap {
    picks: Vec<Pick>,
    /// `consent_veto`: the column that, when true, turns consent off, and the consent field's slot.
    veto: Option<(usize, usize)>,
    names: Vec<Option<String>>,
    fields: &'static [&'static str],
}

impl CellMap {
    /// Like `resolve_columns`, and also accepts `columns.X = "col.path"` when `col` is a column.
    pub fn new(
        headers: &[String],
        s: &Config,
        fields: &'static [&'static str],
        required: &[&str],
        what: &str,
    ) -> Result<CellMap> {
        let mut all = headers.to_vec();
        let mut nested = Vec::new();
        for col in s.columns.values() {
            if headers.iter().any(|h| h.eq_ignore_ascii_case(col)) {
                continue;
            }
            if let Some((base, path)) = col.split_once('.')
                && let Some(i) = headers.iter().position(|h| h.eq_ignore_ascii_case(base))
                && !path.is_empty()
                && !all.contains(col)
            {
                all.push(col.clone());
                nested.push((i, path.to_string()));
            }
        }
        let map = resolve_columns(&all, s, fields, required, what)?;
        let picks = map
            .index
            .iter()
            .map(|slot| match slot {
                None => Pick::Absent,
                Some(i) if *i < headers.len() => Pick::Column(*i),
                Some(i) => {
                    let (col, path) = &nested[i - headers.len()];
                    Pick::Nested(*col, path.clone())
                }
            })
            .collect();
        let veto = match (
            &s.raw.consent_veto,
            fields.iter().position(|f| *f == "consent"),
        ) {
            (Some(col), Some(slot)) => {
                let i = headers
                    .iter()
                    .position(|h| h.eq_ignore_ascii_case(col))
                    .ok_or_else(|| {
                        anyhow::anyhow!(
                            "consent_veto column `{col}` not found in {what} (columns: {})",
                            headers.join(", ")
                        )
                    })?;
                Some((i, slot))
            }
            _ => None,
        };
        Ok(CellMap {
            picks,
            veto,
            names: map.names,
            fields,
        })
    }

    pub fn row(&self, loc: Location, cells: &[Option<String>]) -> Result<RawRow, RowError> {
        let mut row = RawRow::new(loc, self.picks.len());
        for (k, pick) in self.picks.iter().enumerate() {
            let v = match pick {
                Pick::Absent => None,
                Pick::Column(i) => cells.get(*i).and_then(|c| c.as_deref()).map(Cow::Borrowed),
                Pick::Nested(i, path) => match cells.get(*i).and_then(|c| c.as_deref()) {
                    None => None,
                    Some(text) => {
                        let err = |message: String| RowError {
                            loc: row.loc.clone(),
                            column: self.names[k].clone(),
                            message,
                        };
                        let doc = parse_document(text).map_err(err)?;
                        lookup(&doc, path)
                            .map(value_text)
                            .transpose()
                            .map_err(err)?
                            .flatten()
                            .map(|v| Cow::Owned(v.into_owned()))
                    }
                },
            };
            row.push(normalize(self.fields[k], v).as_deref());
        }
        if let Some((col, slot)) = self.veto
            && cells
                .get(col)
                .and_then(|c| c.as_deref())
                .is_some_and(|v| super::fields::parse_bool(v) == Ok(true))
        {
            row.set(slot, "0");
        }
        Ok(row)
    }
}

/// Field → path mapping for JSON documents, resolved against the first record's keys.
#[derive(Debug, Clone)]
pub struct PathMap {
    paths: Vec<Option<String>>,
    fields: &'static [&'static str],
    /// The country field's place: the one field with a fix to apply (`normalize`).
    country: Option<usize>,
}

impl PathMap {
    pub fn new(
        first: &Value,
        s: &Config,
        fields: &'static [&'static str],
        required: &[&str],
        what: &str,
    ) -> Result<PathMap> {
        let mut keys = Vec::new();
        collect_paths(first, "", &mut keys, 0);
        let map = resolve_columns(&keys, s, fields, required, what)?;
        let paths = map
            .index
            .iter()
            .map(|i| i.map(|i| keys[i].clone()))
            .collect();
        Ok(PathMap::of(paths, fields))
    }

    pub fn row(&self, loc: Location, doc: &Value) -> Result<RawRow, RowError> {
        if !doc.is_object() {
            return Err(RowError {
                loc,
                column: None,
                message: format!("expected an object, found {}", kind_of(doc)),
            });
        }
        self.build(loc, |_, p| match lookup(doc, p) {
            Some(v) => value_text(v),
            None => Ok(None),
        })
    }

    /// The row of a record read shallowly (JSON Lines): the same texts `row` finds in the record
    /// as a `Value`.
    pub fn row_of(
        &self,
        loc: Location,
        record: &super::shallow::Record<'_>,
    ) -> Result<RawRow, RowError> {
        self.build(loc, |_, p| record.text(p))
    }

    /// `row_of` into `row` (its location's line already set), reusing its buffers.
    pub fn fill(
        &self,
        row: &mut RawRow,
        record: &super::shallow::Record<'_>,
    ) -> Result<(), RowError> {
        let line = row.loc.line;
        row.reset(line, "");
        self.build_into(row, |_, p| record.text(p))
    }

    /// The paths, in the order of the fields.
    pub fn paths(&self) -> impl Iterator<Item = Option<&str>> {
        self.paths.iter().map(Option::as_deref)
    }

    /// Fills `row` (its location's line already set) with the text of each path, from `text`
    /// (given the path's index), as `fill` does from a record.
    pub fn fill_each<'t>(&self, row: &mut RawRow, text: impl Fn(usize) -> Option<&'t str>) {
        let line = row.loc.line;
        row.reset(line, "");
        self.build_into(row, |k, _| Ok(text(k).map(Cow::Borrowed)))
            .expect("texts given by index cannot fail");
    }

    fn of(paths: Vec<Option<String>>, fields: &'static [&'static str]) -> PathMap {
        PathMap {
            paths,
            fields,
            country: fields.iter().position(|f| *f == "country"),
        }
    }

    #[cfg(test)]
    pub fn from_paths(paths: Vec<Option<String>>, fields: &'static [&'static str]) -> PathMap {
        PathMap::of(paths, fields)
    }

    fn build<'d>(
        &self,
        loc: Location,
        text: impl Fn(usize, &str) -> Result<Option<Cow<'d, str>>, String>,
    ) -> Result<RawRow, RowError> {
        let mut row = RawRow::new(loc, self.paths.len());
        self.build_into(&mut row, text)?;
        Ok(row)
    }

    /// Pushes each path's text, from `text` (given the path's index and the path), onto `row`.
    fn build_into<'d>(
        &self,
        row: &mut RawRow,
        text: impl Fn(usize, &str) -> Result<Option<Cow<'d, str>>, String>,
    ) -> Result<(), RowError> {
        row.reserve(256);
        for (k, path) in self.paths.iter().enumerate() {
            let v = match path {
                None => None,
                Some(p) => text(k, p).map_err(|message| RowError {
                    loc: row.loc.clone(),
                    column: Some(p.clone()),
                    message,
                })?,
            };
            match v {
                v @ Some(_) if Some(k) == self.country => {
                    row.push(normalize(self.fields[k], v).as_deref());
                }
                v => row.push(v.as_deref()),
            }
        }
        Ok(())
    }
}

/// Every path in a document: `a`, `a.b`, `a.b.c` (objects only; lists are addressed by index but
/// not listed).
fn collect_paths(v: &Value, prefix: &str, out: &mut Vec<String>, depth: usize) {
    if let (Value::Object(m), true) = (v, depth < 16) {
        for (k, child) in m {
            let p = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            out.push(p.clone());
            collect_paths(child, &p, out, depth + 1);
        }
    }
}

/// Follows a dotted path; a key that itself contains dots is matched whole first. Keys match
/// case-insensitively when there is no exact match; a number indexes into a list.
pub fn lookup<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    match v {
        Value::Object(m) => {
            if let Some(x) = m.get(path) {
                return Some(x);
            }
            let (head, rest) = match path.split_once('.') {
                Some((h, r)) => (h, Some(r)),
                None => (path, None),
            };
            let child = m.get(head).or_else(|| {
                m.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(head))
                    .map(|(_, v)| v)
            })?;
            match rest {
                None => Some(child),
                Some(r) => lookup(child, r),
            }
        }
        Value::Array(a) => {
            let (head, rest) = match path.split_once('.') {
                Some((h, r)) => (h, Some(r)),
                None => (path, None),
            };
            let child = a.get(head.parse::<usize>().ok()?)?;
            match rest {
                None => Some(child),
                Some(r) => lookup(child, r),
            }
        }
        _ => None,
    }
}

/// The text of a scalar; null is absent. Numbers keep their written digits (no float rounding of
/// money when serde_json keeps them as written; integers always do).
pub fn value_text(v: &Value) -> Result<Option<Cow<'_, str>>, String> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(Cow::Borrowed(s))),
        Value::Number(n) => Ok(Some(Cow::Owned(n.to_string()))),
        Value::Bool(b) => Ok(Some(Cow::Borrowed(if *b { "true" } else { "false" }))),
        Value::Array(_) | Value::Object(_) => Err(format!(
            "is {}, not a single value; map a field inside it with a dotted path",
            kind_of(v)
        )),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A column holding a document: PHP-serialized (WordPress, CartFlows) or JSON.
fn parse_document(text: &str) -> Result<Value, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(Value::Null);
    }
    if super::php::looks_serialized(t) {
        return super::php::unserialize(t);
    }
    serde_json::from_str(t).map_err(|e| format!("is neither PHP-serialized nor JSON: {e}"))
}

/// Small fixes every source needs: a location such as "US, New York" (CartFlows' `wcf_location`)
/// yields its country code.
fn normalize<'a>(field: &str, v: Option<Cow<'a, str>>) -> Option<Cow<'a, str>> {
    match (field, v) {
        ("country", Some(s)) => {
            let t = s.trim();
            let b = t.as_bytes();
            if b.len() > 2
                && b[..2].iter().all(u8::is_ascii_alphabetic)
                && !b[2].is_ascii_alphabetic()
            {
                Some(Cow::Owned(t[..2].to_string()))
            } else {
                Some(s)
            }
        }
        (_, v) => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dotted_paths() {
        let doc =
            json!({"customer": {"phone": "+1555", "tags": ["a", "b"]}, "a.b": 1, "Total": 3000.5});
        assert_eq!(lookup(&doc, "customer.phone"), Some(&json!("+1555")));
        assert_eq!(lookup(&doc, "customer.tags.1"), Some(&json!("b")));
        assert_eq!(lookup(&doc, "a.b"), Some(&json!(1)));
        assert_eq!(lookup(&doc, "total"), Some(&json!(3000.5)));
        assert_eq!(lookup(&doc, "customer.email"), None);
        assert_eq!(value_text(&json!(3000.5)).unwrap().unwrap(), "3000.5");
        assert!(value_text(&json!({"x": 1})).is_err());
    }

    #[test]
    fn country_from_location() {
        assert_eq!(
            normalize("country", Some("US, New York".into())).unwrap(),
            "US"
        );
        assert_eq!(normalize("country", Some("RU".into())).unwrap(), "RU");
        assert_eq!(normalize("name", Some("Al, Bo".into())).unwrap(), "Al, Bo");
    }
}
