//! What the MySQL and PostgreSQL sources share: the connection URL from the environment (never
//! echoed), the query, and the worker thread that runs the query in a read-only transaction and
//! streams whole rows of text over a bounded channel, in batches. The column names arrive first so a wrong
//! mapping stops the run before any row is used, exactly as with a CSV header.

use super::pick::CellMap;
use super::{RowError, Rows};
use crate::model::Location;
use crate::source::Config;
use anyhow::{Context, Result, anyhow, bail};
use std::sync::mpsc::{SyncSender, sync_channel};

pub type Cells = Vec<Option<String>>;

/// The worker's side: send the column names (or why the query did not run) once, then rows.
pub struct Feed {
    headers: Option<SyncSender<Result<Vec<String>, String>>>,
    rows: super::batch::Sender<Result<Cells, String>>,
}

impl Feed {
    pub fn headers(&mut self, h: Result<Vec<String>, String>) {
        if let Some(tx) = self.headers.take() {
            let _ = tx.send(h);
        }
    }

    /// False when the reader has stopped and the worker should too.
    pub fn row(&mut self, r: Result<Cells, String>) -> bool {
        debug_assert!(self.headers.is_none(), "rows before the column names");
        self.rows.send(r)
    }
}

/// The connection URL, read from the environment variable the config names.
pub fn url_from_env(s: &Config, example: &str) -> Result<(String, String)> {
    let var = s.raw.url_env.clone().with_context(|| {
        format!(
            "{}: `url_env` is missing; set it to the name of an environment variable holding the connection URL (e.g. {example})",
            s.table
        )
    })?;
    match std::env::var(&var) {
        Ok(v) if !v.trim().is_empty() => Ok((var, v.trim().to_string())),
        Ok(_) => bail!(
            "environment variable {var} (named by {}.url_env) is empty; set it to the connection URL",
            s.table
        ),
        Err(_) => bail!(
            "environment variable {var} (named by {}.url_env) is not set; set it to the connection URL",
            s.table
        ),
    }
}

pub fn query(s: &Config) -> Result<String> {
    let q = s.query.clone().with_context(|| {
        format!("{}: `query` is missing; give a SELECT whose column aliases are the field names, or a preset", s.table)
    })?;
    // A trailing `;` would break the cursor the query is wrapped in.
    Ok(q.trim().trim_end_matches(';').trim_end().to_string())
}

/// Runs `worker` on its own thread and turns what it feeds into mapped rows. `label` names the
/// source in row locations ("MySQL query (SHOP_DB_URL)"), never the URL itself.
pub fn stream(
    s: &Config,
    fields: &'static [&'static str],
    required: &[&str],
    label: String,
    worker: impl FnOnce(&mut Feed) + Send + 'static,
) -> Result<Rows> {
    let (htx, hrx) = sync_channel(1);
    let (rtx, rrx) = super::batch::channel::<Result<Cells, String>>(4);
    std::thread::spawn(move || {
        let mut feed = Feed {
            headers: Some(htx),
            rows: rtx,
        };
        worker(&mut feed);
        feed.headers(Err("the query returned no result set".into()));
    });
    let headers = hrx
        .recv()
        .map_err(|_| anyhow!("{label}: the database worker stopped unexpectedly"))?
        .map_err(|e| anyhow!("{label}: {e}"))?;
    let map = CellMap::new(
        &headers,
        s,
        fields,
        required,
        &format!("the result of {}.query ({label})", s.table),
    )?;
    let mut line = 0u64;
    let source: std::sync::Arc<str> = label.as_str().into();
    Ok(Box::new(rrx.map(move |r| {
        line += 1;
        let loc = Location {
            source: source.clone(),
            line,
            record: None,
        };
        match r {
            Ok(cells) => map.row(loc, &cells),
            Err(message) => Err(RowError {
                loc,
                column: None,
                message,
            }),
        }
    })))
}

/// `query_timeout` in whole milliseconds, at least 1.
pub fn timeout_ms(s: &Config) -> u64 {
    (s.query_timeout.as_millis() as u64).max(1)
}
