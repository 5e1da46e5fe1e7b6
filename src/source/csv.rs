//! CSV exports: a file or stdin, any one-byte delimiter, UTF-8 with or without BOM. The header is read
//! once to map columns; each record is checked for its field count and UTF-8 on its own, so one bad
//! line is reported with its number and the rest of the file is still read.

use super::{ColumnMap, RawRow, RowError, Rows, resolve_columns};
use crate::model::Location;
use crate::source::Config;
use anyhow::{Context, Result, bail};
use std::io::Read;

pub fn open(s: &Config, fields: &'static [&'static str], required: &[&str]) -> Result<Rows> {
    let (input, name) = super::open_input(s, "a CSV file")?;
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(s.delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(std::io::BufReader::with_capacity(256 * 1024, input));
    let header = reader
        .byte_headers()
        .with_context(|| format!("cannot read the header line of {name}"))?
        .clone();
    let mut headers = Vec::with_capacity(header.len());
    for (i, h) in header.iter().enumerate() {
        let text = std::str::from_utf8(h).with_context(|| {
            format!(
                "{name}:1: header column {} is not UTF-8; save the export as UTF-8",
                i + 1
            )
        })?;
        let text = if i == 0 {
            text.trim_start_matches('\u{feff}')
        } else {
            text
        };
        headers.push(text.trim().to_string());
    }
    if headers.iter().all(|h| h.is_empty()) {
        bail!("{name} has an empty header line; the first line must name the columns");
    }
    let map = resolve_columns(&headers, s, fields, required, &name)?;
    Ok(Box::new(CsvRows {
        reader,
        map,
        name,
        width: headers.len(),
        record: ::csv::ByteRecord::new(),
        done: false,
    }))
}

struct CsvRows<R: Read> {
    reader: ::csv::Reader<R>,
    map: ColumnMap,
    name: String,
    width: usize,
    record: ::csv::ByteRecord,
    done: bool,
}

impl<R: Read> Iterator for CsvRows<R> {
    type Item = Result<RawRow, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        loop {
            match self.reader.read_byte_record(&mut self.record) {
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Ok(true) => {
                    let line = self.record.position().map(|p| p.line()).unwrap_or(0);
                    let loc = Location {
                        source: self.name.clone(),
                        line,
                    };
                    if self.record.len() == 1 && self.record.get(0).is_some_and(|f| f.is_empty()) {
                        continue; // blank line
                    }
                    return Some(self.row(loc));
                }
                Err(e) => {
                    let line = e.position().map(|p| p.line()).unwrap_or(0);
                    let loc = Location {
                        source: self.name.clone(),
                        line,
                    };
                    if matches!(e.kind(), ::csv::ErrorKind::Io(_)) {
                        self.done = true;
                    }
                    return Some(Err(RowError {
                        loc,
                        column: None,
                        message: format!("unreadable CSV: {e}"),
                    }));
                }
            }
        }
    }
}

impl<R: Read> CsvRows<R> {
    fn row(&self, loc: Location) -> Result<RawRow, RowError> {
        if self.record.len() != self.width {
            return Err(RowError {
                loc,
                column: None,
                message: format!(
                    "expected {} fields as in the header, found {}",
                    self.width,
                    self.record.len()
                ),
            });
        }
        let mut values = Vec::with_capacity(self.map.index.len());
        for (slot, name) in self.map.index.iter().zip(&self.map.names) {
            let value = match slot {
                None => None,
                Some(i) => {
                    let bytes = self.record.get(*i).unwrap_or_default();
                    let text = std::str::from_utf8(bytes).map_err(|_| RowError {
                        loc: loc.clone(),
                        column: name.clone(),
                        message: "is not valid UTF-8; save the export as UTF-8".into(),
                    })?;
                    Some(text.to_string())
                }
            };
            values.push(value);
        }
        Ok(RawRow { loc, values })
    }
}
