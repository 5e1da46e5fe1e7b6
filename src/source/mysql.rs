//! MySQL and MariaDB (Magento 2, WooCommerce, 1C-Bitrix). The URL comes from the environment
//! (`url_env`); the query runs in `START TRANSACTION READ ONLY` with the server's statement timeout
//! (`max_execution_time` on MySQL, `max_statement_time` on MariaDB) set from `query_timeout`, and the
//! session zone set to UTC so `TIMESTAMP` columns read as UTC. Rows come over the text protocol and
//! stream: the driver reads them from the socket as the channel drains.
//!
//! TLS (rustls): `ssl-mode=REQUIRED` encrypts without checking the certificate (as the MySQL client
//! does), `VERIFY_CA` checks the chain, `VERIFY_IDENTITY` also the host name; `ssl-ca=/path.pem`
//! adds a CA (otherwise the Mozilla roots). The driver's own URL parameters also work.

use super::Rows;
use super::sql::{self, Cells, Feed};
use crate::source::Config;
use anyhow::{Result, anyhow, bail};
use mysql::prelude::Queryable;
use mysql::{Conn, Opts, OptsBuilder, SslOpts, Value};
use std::time::Duration;

pub fn open(s: &Config, fields: &'static [&'static str], required: &[&str]) -> Result<Rows> {
    let (var, url) = sql::url_from_env(s, "mysql://cartnudge:secret@127.0.0.1:3306/shop")?;
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        anyhow::bail!(
            "{var} holds a PostgreSQL URL, but {} reads MySQL/MariaDB; set kind = \"postgres\" (presets translate their SQL)",
            s.table
        );
    }
    let query = sql::query(s)?;
    let opts = options(&url, s.query_timeout)
        .map_err(|e| anyhow!("the URL in {var} is not a usable MySQL URL: {e}"))?;
    let timeout_ms = sql::timeout_ms(s);
    let label = format!("MySQL query ({var})");
    sql::stream(s, fields, required, label, move |feed| {
        run(opts, &query, timeout_ms, feed)
    })
}

fn run(opts: Opts, query: &str, timeout_ms: u64, feed: &mut Feed) {
    let mut conn = match Conn::new(opts) {
        Ok(c) => c,
        Err(e) => return feed.headers(Err(format!("cannot connect: {}", scrub(&readable(&e))))),
    };
    if let Err(e) = session(&mut conn, timeout_ms) {
        return feed.headers(Err(e));
    }
    {
        let mut result = match conn.query_iter(query) {
            Ok(r) => r,
            Err(e) => return feed.headers(Err(format!("the query failed: {}", readable(&e)))),
        };
        let headers: Vec<String> = result
            .columns()
            .as_ref()
            .iter()
            .map(|c| c.name_str().into_owned())
            .collect();
        // The first row is read before the columns are handed over, so a query that fails as it
        // runs (timeout, a write in a read-only transaction) stops the run instead of reading as
        // an empty source.
        let first = result.next();
        if let Some(Err(e)) = &first {
            return feed.headers(Err(format!("the query failed: {}", readable(e))));
        }
        feed.headers(Ok(headers));
        for row in first.into_iter().chain(result.by_ref()) {
            let item = match row {
                Ok(row) => cells(row.unwrap()),
                Err(e) => Err(format!("reading the result failed: {}", readable(&e))),
            };
            let stop = item.is_err();
            if !feed.row(item) || stop {
                break;
            }
        }
    }
    let _ = conn.query_drop("ROLLBACK");
}

/// Read-only, UTC, bounded in time. A server too old for a statement timeout still gets the
/// socket's read timeout.
fn session(conn: &mut Conn, timeout_ms: u64) -> Result<(), String> {
    conn.query_drop("SET time_zone = '+00:00'")
        .map_err(|e| format!("cannot set the session time zone: {e}"))?;
    let version: Option<String> = conn
        .query_first("SELECT VERSION()")
        .map_err(|e| e.to_string())?;
    let mariadb = version
        .unwrap_or_default()
        .to_ascii_lowercase()
        .contains("mariadb");
    let set = if mariadb {
        format!(
            "SET SESSION max_statement_time = {:.3}",
            timeout_ms as f64 / 1000.0
        )
    } else {
        format!("SET SESSION max_execution_time = {timeout_ms}")
    };
    let _ = conn.query_drop(set);
    conn.query_drop("START TRANSACTION READ ONLY")
        .map_err(|e| format!("cannot start a read-only transaction: {e}"))
}

fn cells(values: Vec<Value>) -> Result<Cells, String> {
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::NULL => Ok(None),
            Value::Bytes(b) => String::from_utf8(b)
                .map(Some)
                .map_err(|_| format!("column {} is not valid UTF-8", i + 1)),
            Value::Int(n) => Ok(Some(n.to_string())),
            Value::UInt(n) => Ok(Some(n.to_string())),
            Value::Float(f) => Ok(Some(f.to_string())),
            Value::Double(f) => Ok(Some(f.to_string())),
            Value::Date(y, mo, d, h, mi, s, us) => Ok(Some(format!(
                "{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{us:06}"
            ))),
            Value::Time(neg, days, h, mi, s, _) => Ok(Some(format!(
                "{}{}:{mi:02}:{s:02}",
                if neg { "-" } else { "" },
                days * 24 + h as u32
            ))),
        })
        .collect()
}

/// Builds driver options, translating the MySQL client's `ssl-mode` / `ssl-ca` parameters.
fn options(url: &str, timeout: Duration) -> Result<Opts> {
    let (base, params) = match url.split_once('?') {
        Some((b, q)) => (b, q),
        None => (url, ""),
    };
    let mut keep = Vec::new();
    let mut mode = None;
    let mut ca = None;
    for pair in params.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k.replace('_', "-").to_ascii_lowercase().as_str() {
            "ssl-mode" | "sslmode" => mode = Some(v.to_ascii_uppercase().replace('-', "_")),
            "ssl-ca" | "sslca" => ca = Some(v.to_string()),
            _ => keep.push(pair),
        }
    }
    let url = if keep.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", keep.join("&"))
    };
    let opts = Opts::from_url(&url).map_err(|e| anyhow!("{}", scrub(&e.to_string())))?;
    let mut b = OptsBuilder::from_opts(opts)
        .read_timeout(Some(timeout + Duration::from_secs(10)))
        .tcp_connect_timeout(Some(Duration::from_secs(10)))
        .prefer_socket(false);
    let ssl = match mode.as_deref() {
        None if ca.is_none() => None,
        None | Some("VERIFY_CA") => {
            Some(SslOpts::default().with_danger_skip_domain_validation(true))
        }
        Some("DISABLED") => None,
        Some("PREFERRED") | Some("REQUIRED") => {
            Some(SslOpts::default().with_danger_accept_invalid_certs(ca.is_none()))
        }
        Some("VERIFY_IDENTITY") => Some(SslOpts::default()),
        Some(m) => {
            bail!("ssl-mode={m} is unknown; use DISABLED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY")
        }
    };
    if let Some(mut ssl) = ssl {
        if let Some(ca) = ca {
            ssl = ssl.with_root_cert_path(Some(std::path::PathBuf::from(ca)));
        }
        b = b.ssl_opts(Some(ssl));
    }
    Ok(Opts::from(b))
}

/// Driver messages may quote the URL; keep any password out of what we print.
fn scrub(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    for word in msg.split_inclusive(char::is_whitespace) {
        match (word.find("://"), word.rfind('@')) {
            (Some(p), Some(at)) if at > p => {
                out.push_str(&word[..p + 3]);
                out.push_str("***");
                out.push_str(&word[at..]);
            }
            _ => out.push_str(word),
        }
    }
    out
}

/// A server error as a person reads it ("MySQL error 1045 (28000): Access denied …"), not the
/// driver's `MySqlError { ERROR 1045 … }` debug shape.
fn readable(e: &mysql::Error) -> String {
    match e {
        mysql::Error::MySqlError(m) => {
            format!("MySQL error {} ({}): {}", m.code, m.state, m.message)
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssl_mode_is_translated() {
        let t = Duration::from_secs(5);
        assert!(
            options("mysql://u:p@127.0.0.1:3306/shop", t)
                .unwrap()
                .get_ssl_opts()
                .is_none()
        );
        let o = options("mysql://u:p@127.0.0.1/shop?ssl-mode=REQUIRED", t).unwrap();
        assert!(o.get_ssl_opts().unwrap().accept_invalid_certs());
        let o = options(
            "mysql://u:p@127.0.0.1/shop?ssl-mode=VERIFY_IDENTITY&ssl-ca=/ca.pem",
            t,
        )
        .unwrap();
        let ssl = o.get_ssl_opts().unwrap();
        assert!(!ssl.accept_invalid_certs() && !ssl.skip_domain_validation());
        assert_eq!(ssl.root_cert_path().unwrap().to_str(), Some("/ca.pem"));
        assert!(options("mysql://u:p@h/db?ssl-mode=MAYBE", t).is_err());
    }

    #[test]
    fn passwords_are_scrubbed() {
        assert_eq!(
            scrub("bad url mysql://user:hunter2@db:3306/x here"),
            "bad url mysql://***@db:3306/x here"
        );
    }
}
