//! Reading carts and orders from wherever a shop keeps them. Every source kind yields `RawRow`s: the
//! text of each wanted field, in the order of the field list, with the row's location. One set of
//! parsers (`fields`) turns them into `Cart`s and `Order`s, so every kind reads dates, money and
//! booleans the same way. Rows stream: nothing here holds a whole export in memory.

mod batch;
pub mod config;
pub use config::Config;
pub mod csv;
pub mod fields;
pub mod json;
#[cfg(feature = "mysql")]
pub mod mysql;
pub mod php;
pub mod pick;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod presets;
mod shallow;
pub mod shopify;
pub mod sql;
pub mod sqlite;
pub mod times;

use crate::model::{Cart, Location, Order};
use anyhow::{Result, bail};
use config::{CART_FIELDS, ORDER_FIELDS};
use std::fmt;

/// One row: the text of each wanted field, in the order of the field list (None when absent,
/// NULL or unmapped). The texts share one buffer, so a row costs two allocations, not one per cell.
#[derive(Debug, Clone)]
pub struct RawRow {
    pub loc: Location,
    text: String,
    /// Byte range of each field's text in `text`.
    spans: Vec<Option<(u32, u32)>>,
}

impl RawRow {
    pub fn new(loc: Location, fields: usize) -> RawRow {
        RawRow {
            loc,
            text: String::new(),
            spans: Vec::with_capacity(fields),
        }
    }

    /// Room for `bytes` of field text, so pushing rarely grows the buffer.
    pub fn reserve(&mut self, bytes: usize) {
        self.text.reserve(bytes);
    }

    /// Empties the row for the next one read into it, keeping its buffers; `text` (a CSV
    /// record's, copied once) is what `push_span` then points into.
    pub fn reset(&mut self, line: u64, text: &str) {
        self.loc.line = line;
        self.text.clear();
        self.text.push_str(text);
        self.spans.clear();
    }

    /// Appends the next field: the bytes `range` of the row's text (on character boundaries).
    pub fn push_span(&mut self, range: std::ops::Range<usize>) {
        debug_assert!(
            self.text.is_char_boundary(range.start) && self.text.is_char_boundary(range.end)
        );
        self.spans
            .push(Some((range.start as u32, range.end as u32)));
    }

    /// Appends the next field's text.
    pub fn push(&mut self, value: Option<&str>) {
        let span = value.map(|v| {
            let start = self.text.len() as u32;
            self.text.push_str(v);
            (start, self.text.len() as u32)
        });
        self.spans.push(span);
    }

    /// The text of field `i`, as the source had it.
    pub fn get(&self, i: usize) -> Option<&str> {
        let (a, b) = (*self.spans.get(i)?)?;
        Some(&self.text[a as usize..b as usize])
    }

    /// Replaces field `i`'s text (the earlier text stays in the buffer, unused).
    pub fn set(&mut self, i: usize, value: &str) {
        let start = self.text.len() as u32;
        self.text.push_str(value);
        self.spans[i] = Some((start, self.text.len() as u32));
    }
}

/// A row that cannot be used. The run reports it and goes on.
#[derive(Debug, Clone)]
pub struct RowError {
    pub loc: Location,
    /// The source's column name, when the problem is one cell.
    pub column: Option<String>,
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(c) => write!(f, "{}: column `{}`: {}", self.loc, c, self.message),
            None => write!(f, "{}: {}", self.loc, self.message),
        }
    }
}

/// Where rows come from. A source reads each row into the caller's `RawRow`, so one that can
/// (CSV) reuses its buffers instead of allocating a row per record; any iterator of rows is one.
pub trait RowSource: Send {
    /// Reads the next row into `row`; None at the end.
    fn next_into(&mut self, row: &mut RawRow) -> Option<Result<(), RowError>>;

    /// The rows not yet read, as blocks that threads can turn into rows at once; None for a
    /// source that reads in one sequence.
    fn split(&mut self) -> Option<Split> {
        None
    }
}

/// A source's remaining rows in blocks (JSON Lines: whole lines; CSV: whole records): `head`
/// first, then each block from `next`, which is read in sequence and turned into rows on
/// whichever thread.
pub struct Split {
    pub head: Vec<Result<RawRow, RowError>>,
    pub next: Box<dyn FnMut() -> Option<Block> + Send>,
}

/// Rows read but not yet made: called with a scratch row, it hands `each` every row (made in
/// the scratch row when it can) or error, in order, and says whether the input goes on after
/// it (`Then::Stop` after an error that ends the read).
pub type Block =
    Box<dyn FnOnce(&mut RawRow, &mut dyn FnMut(Result<&RawRow, RowError>)) -> Then + Send>;
pub use batch::Then;

impl<I: Iterator<Item = Result<RawRow, RowError>> + Send> RowSource for I {
    fn next_into(&mut self, row: &mut RawRow) -> Option<Result<(), RowError>> {
        Some(self.next()?.map(|r| *row = r))
    }
}

pub type Rows = Box<dyn RowSource>;

/// Parsed carts or orders as they stream, bad rows as errors.
pub type Parsing<T> = Box<dyn Iterator<Item = Result<T, RowError>> + Send>;

/// The mapping of wanted fields to a source's columns, resolved once from its header.
#[derive(Debug, Clone)]
pub struct ColumnMap {
    /// For each wanted field, the index of its column in the source's header.
    pub index: Vec<Option<usize>>,
    /// For each wanted field, the column name (for error messages).
    pub names: Vec<Option<String>>,
}

/// Resolves `fields` against a header: an explicit `columns.X` must exist; otherwise a column named
/// like the field is used when present. A `required` field with no column is a config error that says
/// which key to set.
pub fn resolve_columns(
    headers: &[String],
    s: &Config,
    fields: &[&str],
    required: &[&str],
    what: &str,
) -> Result<ColumnMap> {
    let mut index = Vec::with_capacity(fields.len());
    let mut names = Vec::with_capacity(fields.len());
    let find = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .or_else(|| headers.iter().position(|h| h.eq_ignore_ascii_case(name)))
    };
    // A column the mapping uses must be there once: two `phone` columns leave it to chance.
    let twice = |i: usize| {
        headers
            .iter()
            .enumerate()
            .find(|(j, h)| *j != i && h.eq_ignore_ascii_case(&headers[i]))
            .map(|(j, _)| j)
    };
    // Every problem at once: a wrong header should take one run to fix, not one per column.
    let mut problems = Vec::new();
    let table = s.table.trim_matches(|c| c == '[' || c == ']');
    for field in fields {
        let i = match s.columns.get(*field) {
            Some(col) => {
                let i = find(col);
                if i.is_none() {
                    problems.push(format!(
                        "column `{col}` (for field `{field}`) not found; fix {table}.columns.{field}"
                    ));
                }
                names.push(i.map(|_| col.clone()));
                i
            }
            None => {
                let i = find(field);
                if i.is_none() && required.contains(field) {
                    problems.push(format!(
                        "no column for field `{field}`; set {table}.columns.{field} = \"<column>\""
                    ));
                }
                names.push(i.map(|_| field.to_string()));
                i
            }
        };
        index.push(i);
        if let Some(i) = i
            && let Some(j) = twice(i)
        {
            problems.push(format!(
                "column `{}` (for field `{field}`) appears twice, as columns {} and {}; rename or remove one, or map the field to another column",
                headers[i],
                i.min(j) + 1,
                i.max(j) + 1
            ));
        }
    }
    if !problems.is_empty() {
        bail!(mapping_error(s, what, headers, &problems));
    }
    Ok(ColumnMap { index, names })
}

/// Every mapping problem in one message, with hints at the delimiter and a fixed currency.
fn mapping_error(s: &Config, what: &str, headers: &[String], problems: &[String]) -> String {
    let hint = match (problems.len(), headers) {
        (_, [one]) if one.contains(';') || one.contains('\t') => {
            "; the header is one column: is source.delimiter right?"
        }
        _ => "",
    };
    let currency_hint =
        if problems.iter().any(|p| p.contains("field `currency`")) && s.table == "[orders]" {
            " (or set orders.currency when every order is in one currency)"
        } else if problems.iter().any(|p| p.contains("field `currency`")) {
            " (or set source.currency when every cart is in one currency)"
        } else {
            ""
        };
    format!(
        "{what}: {} (columns: {}){hint}{currency_hint}",
        problems.join("; "),
        headers.join(", ")
    )
}

/// Fields a cart source must provide. `currency` may instead come from `source.currency`.
pub fn cart_required(s: &Config) -> Vec<&'static str> {
    let mut r = vec!["cart_id", "phone", "total", "updated_at", "consent"];
    if s.currency.is_none() {
        r.push("currency");
    }
    r
}

pub fn order_required(s: &Config) -> Vec<&'static str> {
    let mut r = vec!["order_id", "total", "created_at"];
    if s.currency.is_none() {
        r.push("currency");
    }
    r
}

/// Opens a source for the given field list.
pub fn open_rows(s: &Config, fields: &'static [&'static str], required: &[&str]) -> Result<Rows> {
    use crate::model::SourceKind as K;
    match s.kind {
        K::Csv => csv::open(s, fields, required),
        K::Sqlite => sqlite::open(s, fields, required),
        K::Json | K::Jsonl => json::open(s, fields, required),
        #[cfg(feature = "mysql")]
        K::Mysql => mysql::open(s, fields, required),
        #[cfg(feature = "postgres")]
        K::Postgres => postgres::open(s, fields, required),
        K::Shopify => shopify::open(s, fields, required),
        #[allow(unreachable_patterns)]
        other => bail!(
            "{}: kind `{other}` is not in this build; rebuild with `cargo build --release --features {other}`",
            s.table
        ),
    }
}

/// Carts, parsed. Bad rows come through as errors; the caller reports, counts and goes on.
pub fn carts(s: &Config) -> Result<Parsing<Cart>> {
    let rows = open_rows(s, CART_FIELDS, &cart_required(s))?;
    let opts = fields::ParseOpts::from(s);
    Ok(parsed(
        s,
        rows,
        move |row| fields::cart(row, &opts),
        no_fold,
    ))
}

/// Carts, like `carts`; a valid row that `outside` places outside the rules' window comes as
/// `Parsed::Outside`, with no cart built. Carts handed back to `pool` are filled again.
pub fn carts_unless<F>(
    s: &Config,
    outside: F,
    pool: &fields::CartPool,
) -> Result<Parsing<fields::Parsed>>
where
    F: Fn(&crate::model::CartHead<'_>) -> Option<crate::model::Reason> + Clone + Send + 'static,
{
    let rows = open_rows(s, CART_FIELDS, &cart_required(s))?;
    let opts = fields::ParseOpts::from(s);
    let mut pool = pool.clone();
    let parse = move |row: &RawRow| fields::cart_unless(row, &opts, &outside, Some(&mut pool));
    Ok(parsed(s, rows, parse, fields::Parsed::fold))
}

pub fn orders(s: &Config) -> Result<Parsing<Order>> {
    let rows = open_rows(s, ORDER_FIELDS, &order_required(s))?;
    let opts = fields::ParseOpts::from(s);
    Ok(parsed(
        s,
        rows,
        move |row| fields::order(row, &opts),
        no_fold,
    ))
}

/// Orders, like `orders`, each handed to `then` on the thread that read it (both cores, for a
/// source read in blocks); an order whose time `keep` refuses is checked but never built, and
/// comes as None.
pub fn orders_then<K, T, X>(s: &Config, keep: K, then: T) -> Result<Parsing<Option<X>>>
where
    K: Fn(chrono::DateTime<chrono::Utc>) -> bool + Clone + Send + 'static,
    T: Fn(Order) -> X + Clone + Send + 'static,
    X: Send + 'static,
{
    let rows = open_rows(s, ORDER_FIELDS, &order_required(s))?;
    let opts = fields::ParseOpts::from(s);
    let parse = move |row: &RawRow| Ok(fields::order_unless(row, &opts, &keep)?.map(&then));
    Ok(parsed(s, rows, parse, no_fold))
}

/// For `parsed`: items that are never folded into the one before.
fn no_fold<T>(_: &mut T, _: &T) -> bool {
    false
}

/// `parse` over the rows, on a thread of its own while the caller judges; a SQLite source
/// already reads on one, and parsing there too beats a third busy thread on two cores. One
/// `RawRow` is read into again and again. A source read in blocks hands over fewer items where
/// `fold` counts an item into the one before it (see `in_blocks`).
fn parsed<T, F>(
    s: &Config,
    mut rows: Rows,
    mut parse: F,
    fold: fn(&mut T, &T) -> bool,
) -> Parsing<T>
where
    T: Send + 'static,
    F: FnMut(&RawRow) -> Result<T, RowError> + Clone + Send + 'static,
{
    if let Some(split) = rows.split() {
        return in_blocks(split, parse, fold);
    }
    let mut row = RawRow::new(Location::default(), 0);
    let each = std::iter::from_fn(move || {
        let read = rows.next_into(&mut row)?;
        Some(read.and_then(|()| parse(&row)))
    });
    if s.kind == crate::model::SourceKind::Sqlite {
        Box::new(each)
    } else {
        Box::new(batch::map_on_thread(each, |r| r))
    }
}

/// `parse` over a split source's rows: the head here, then the blocks on both cores
/// (`batch::in_order`), in order. Within a block, an item that `fold` counts into the item
/// before it (rows outside the window, for the same reason, one after another) is not handed
/// over on its own: most rows of an export are only counted, and this spares the judging thread
/// an item for each. A row error is never folded, and ends a run.
fn in_blocks<T, F>(split: Split, mut parse: F, fold: fn(&mut T, &T) -> bool) -> Parsing<T>
where
    T: Send + 'static,
    F: FnMut(&RawRow) -> Result<T, RowError> + Clone + Send + 'static,
{
    let head: Vec<_> = split
        .head
        .into_iter()
        .map(|r| r.and_then(|row| parse(&row)))
        .collect();
    let mut scratch = RawRow::new(Location::default(), 0);
    let work = move |block: Block, out: &mut Vec<Result<T, RowError>>| {
        block(&mut scratch, &mut |r| {
            let item = r.and_then(&mut parse);
            if let (Some(Ok(last)), Ok(next)) = (out.last_mut(), &item)
                && fold(last, next)
            {
                return;
            }
            out.push(item)
        })
    };
    Box::new(head.into_iter().chain(batch::in_order(split.next, work)))
}

/// Opens an export file, or stdin for `-`; `what` says what the file should be ("a CSV file").
pub fn open_input(s: &Config, what: &str) -> Result<(Box<dyn std::io::Read + Send>, String)> {
    let path = s.path.as_ref().ok_or_else(|| {
        anyhow::anyhow!(
            "{}: `path` is missing ({what}, or \"-\" for stdin)",
            s.table
        )
    })?;
    let name = display_name(s);
    if path.as_os_str() == "-" {
        return Ok((Box::new(std::io::stdin()), name));
    }
    let file = std::fs::File::open(path)
        .map_err(|e| anyhow::anyhow!("cannot open {name}: {e}; check {}.path", s.table))?;
    Ok((Box::new(file), name))
}

/// A short name for messages: the file name, "stdin", or the kind.
pub fn display_name(s: &Config) -> String {
    match &s.path {
        Some(p) if p.as_os_str() == "-" => "stdin".into(),
        Some(p) => p.display().to_string(),
        None => {
            let what = match &s.raw.preset {
                Some(p) => format!("{} ({p} preset)", s.kind),
                None => s.kind.to_string(),
            };
            match (&s.raw.url_env, &s.raw.access_token_env) {
                (Some(env), _) => format!("{what} at ${env}"),
                (None, Some(_)) => format!(
                    "{what} {}",
                    s.raw
                        .shop
                        .as_deref()
                        .or(s.raw.base_url.as_deref())
                        .unwrap_or("")
                ),
                _ => what,
            }
        }
    }
}
