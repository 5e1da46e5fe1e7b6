//! A SQLite database opened read-only, queried with the configured SELECT whose column aliases name
//! the fields. The query runs on its own thread and rows come through a bounded channel, so a large
//! result streams without holding it in memory.

use super::{RawRow, RowError, Rows, display_name, resolve_columns};
use crate::model::Location;
use crate::source::Config;
use anyhow::{Context, Result};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use std::fmt::Write as _;

pub fn open(s: &Config, fields: &'static [&'static str], required: &[&str]) -> Result<Rows> {
    let path = s
        .path
        .clone()
        .with_context(|| format!("{}: `path` is missing (the SQLite database file)", s.table))?;
    let query = s.query.clone().with_context(|| {
        format!(
            "{}: `query` is missing; give a SELECT whose column aliases are the field names",
            s.table
        )
    })?;
    let name = display_name(s);
    if !path.exists() {
        anyhow::bail!("cannot open {name}: no such file; check {}.path", s.table);
    }
    let conn = Connection::open_with_flags(
        &path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("cannot open {name} read-only"))?;
    conn.busy_timeout(s.query_timeout)?;
    let headers: Vec<String> = {
        let stmt = conn
            .prepare(&query)
            .with_context(|| format!("{}.query does not run on {name}", s.table))?;
        stmt.column_names().map(str::to_string).collect()
    };
    let map = resolve_columns(
        &headers,
        s,
        fields,
        required,
        &format!("the query on {name}"),
    )?;
    let (mut tx, rx) = super::batch::channel::<Result<RawRow, RowError>>(4);
    let label = format!("{name} (query row)");
    std::thread::spawn(move || stream(&conn, &query, &map, &label, &mut tx));
    Ok(Box::new(rx))
}

/// Runs the query and hands every row over, as text per mapped field, until the reader stops.
fn stream(
    conn: &Connection,
    query: &str,
    map: &super::ColumnMap,
    label: &str,
    tx: &mut super::batch::Sender<Result<RawRow, RowError>>,
) {
    let source: std::sync::Arc<str> = label.into();
    let at = |line: u64| Location {
        source: source.clone(),
        line,
        record: None,
    };
    let failed = |line: u64, message: String| {
        Err(RowError {
            loc: at(line),
            column: None,
            message,
        })
    };
    let mut stmt = match conn.prepare(query) {
        Ok(s) => s,
        Err(e) => {
            tx.send(failed(0, e.to_string()));
            return;
        }
    };
    let mut rows = match stmt.query([]) {
        Ok(r) => r,
        Err(e) => {
            tx.send(failed(0, e.to_string()));
            return;
        }
    };
    let mut line = 0u64;
    loop {
        line += 1;
        let item = match rows.next() {
            Ok(Some(row)) => raw_row(row, map, at(line)),
            Ok(None) => return,
            Err(e) => {
                tx.send(failed(line, e.to_string()));
                return;
            }
        };
        if !tx.send(item) {
            return; // the reader stopped early
        }
    }
}

/// One result row as text per mapped field; a value that is not text is a row error.
fn raw_row(
    row: &rusqlite::Row<'_>,
    map: &super::ColumnMap,
    loc: Location,
) -> Result<RawRow, RowError> {
    let mut raw = RawRow::new(loc, map.index.len());
    raw.reserve(256);
    let mut number = String::new();
    for (slot, col) in map.index.iter().zip(&map.names) {
        let Some(i) = slot else {
            raw.push(None);
            continue;
        };
        let bad = |message: String| RowError {
            loc: raw.loc.clone(),
            column: col.clone(),
            message,
        };
        match row.get_ref(*i).map_err(|e| bad(e.to_string()))? {
            ValueRef::Null => raw.push(None),
            ValueRef::Integer(n) => {
                number.clear();
                let _ = write!(number, "{n}");
                raw.push(Some(&number));
            }
            ValueRef::Real(f) => {
                number.clear();
                let _ = write!(number, "{f}");
                raw.push(Some(&number));
            }
            ValueRef::Text(t) | ValueRef::Blob(t) => {
                let text = std::str::from_utf8(t).map_err(|_| bad("is not valid UTF-8".into()))?;
                raw.push(Some(text));
            }
        }
    }
    Ok(raw)
}
