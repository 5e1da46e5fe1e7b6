//! PostgreSQL. The URL comes from the environment (`url_env`); the query runs in a `READ ONLY`
//! transaction with `statement_timeout` from `query_timeout` and `TimeZone` UTC, wrapped in a
//! cursor fetched 500 rows at a time in text form, so rows stream and every type reads as the
//! server prints it (numeric exactly, booleans as t/f).
//!
//! TLS (rustls) follows libpq's `sslmode`: `disable`; `prefer` (the default: TLS when the server
//! offers it); `require` (encrypted, certificate not checked unless `sslrootcert` is given);
//! `verify-ca` (chain checked); `verify-full` (chain and host name). `sslrootcert=/path.pem` names
//! the CA; otherwise the Mozilla roots are used.

use super::Rows;
use super::sql::{self, Cells, Feed};
use crate::source::Config as SourceConfig;
use anyhow::{Result, anyhow, bail};
use postgres::types::Type;
use postgres::{Client, Config, NoTls, SimpleQueryMessage};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use std::sync::Arc;
use std::time::Duration;

const BATCH: usize = 500;

pub fn open(s: &SourceConfig, fields: &'static [&'static str], required: &[&str]) -> Result<Rows> {
    let (var, url) = sql::url_from_env(s, "postgres://cartnudge:secret@127.0.0.1:5432/shop")?;
    let query = sql::query(s)?;
    let (config, tls) = options(&url)
        .map_err(|e| anyhow!("the URL in {var} is not a usable PostgreSQL URL: {e}"))?;
    let timeout_ms = sql::timeout_ms(s);
    let label = format!("PostgreSQL query ({var})");
    sql::stream(s, fields, required, label, move |feed| {
        run(config, tls, &query, timeout_ms, feed)
    })
}

fn run(
    config: Config,
    tls: Option<rustls::ClientConfig>,
    query: &str,
    timeout_ms: u64,
    feed: &mut Feed,
) {
    let connected = match tls {
        None => config.connect(NoTls),
        Some(c) => config.connect(tokio_postgres_rustls::MakeRustlsConnect::new(c)),
    };
    let mut client = match connected {
        Ok(c) => c,
        Err(e) => return feed.headers(Err(format!("cannot connect: {}", chain(&e)))),
    };
    if let Err(e) = fetch(&mut client, query, timeout_ms, feed) {
        feed.headers(Err(e.clone()));
        feed.row(Err(e));
    }
}

fn fetch(client: &mut Client, query: &str, timeout_ms: u64, feed: &mut Feed) -> Result<(), String> {
    let mut tx = client
        .build_transaction()
        .read_only(true)
        .start()
        .map_err(|e| chain(&e))?;
    tx.batch_execute(&format!(
        "SET LOCAL statement_timeout = {timeout_ms}; SET LOCAL TimeZone = 'UTC'"
    ))
    .map_err(|e| chain(&e))?;
    let stmt = tx
        .prepare(query)
        .map_err(|e| format!("the query failed: {}", chain(&e)))?;
    let columns = stmt.columns();
    let headers: Vec<String> = columns.iter().map(|c| c.name().to_string()).collect();
    // timestamptz prints as "…+00"; give it minutes so it reads as RFC 3339-like everywhere.
    let tz_cols: Vec<bool> = columns
        .iter()
        .map(|c| *c.type_() == Type::TIMESTAMPTZ)
        .collect();
    tx.batch_execute(&format!(
        "DECLARE cartnudge_rows NO SCROLL CURSOR FOR {query}"
    ))
    .map_err(|e| format!("the query failed: {}", chain(&e)))?;
    let mut headers = Some(headers);
    loop {
        let fetched = tx.simple_query(&format!("FETCH {BATCH} FROM cartnudge_rows"));
        // The first batch is fetched before the columns are handed over, so a query that fails as
        // it runs (timeout, a write in a read-only transaction) stops the run.
        let msgs = match (fetched, headers.take()) {
            (Ok(m), Some(h)) => {
                feed.headers(Ok(h));
                m
            }
            (Ok(m), None) => m,
            (Err(e), Some(_)) => return Err(format!("the query failed: {}", chain(&e))),
            (Err(e), None) => return Err(chain(&e)),
        };
        let mut n = 0;
        for m in msgs {
            if let SimpleQueryMessage::Row(r) = m {
                n += 1;
                let cells: Cells = (0..r.len())
                    .map(|i| {
                        r.get(i).map(|v| {
                            if tz_cols.get(i) == Some(&true) {
                                with_minutes(v)
                            } else {
                                v.to_string()
                            }
                        })
                    })
                    .collect();
                if !feed.row(Ok(cells)) {
                    return Ok(()); // the reader stopped early; the transaction rolls back on drop
                }
            }
        }
        if n < BATCH {
            return Ok(());
        }
    }
}

fn with_minutes(v: &str) -> String {
    let b = v.as_bytes();
    let n = b.len();
    if n > 3 && (b[n - 3] == b'+' || b[n - 3] == b'-') && b[n - 2..].iter().all(u8::is_ascii_digit)
    {
        format!("{v}:00")
    } else {
        v.to_string()
    }
}

/// The error and its causes on one line (the driver keeps the server's message in the source).
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Check {
    Nothing,
    Chain,
    Full,
}

/// Splits off libpq's `sslmode` and `sslrootcert` (the driver knows only some of them) and builds
/// the TLS config; `None` means no TLS at all.
fn options(url: &str) -> Result<(Config, Option<rustls::ClientConfig>)> {
    let (base, params) = url.split_once('?').unwrap_or((url, ""));
    let mut keep = Vec::new();
    let (mut mode, mut root) = ("prefer".to_string(), None);
    for pair in params.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("sslmode", v)) => mode = v.to_ascii_lowercase(),
            Some(("sslrootcert", v)) => root = Some(v.to_string()),
            _ => keep.push(pair),
        }
    }
    let (driver_mode, check) = match mode.as_str() {
        "disable" => ("disable", Check::Nothing),
        "allow" | "prefer" => (
            "prefer",
            if root.is_some() {
                Check::Chain
            } else {
                Check::Nothing
            },
        ),
        "require" => (
            "require",
            if root.is_some() {
                Check::Chain
            } else {
                Check::Nothing
            },
        ),
        "verify-ca" => ("require", Check::Chain),
        "verify-full" => ("require", Check::Full),
        m => {
            bail!("sslmode={m} is unknown; use disable, prefer, require, verify-ca or verify-full")
        }
    };
    keep.push(match driver_mode {
        "disable" => "sslmode=disable",
        "prefer" => "sslmode=prefer",
        _ => "sslmode=require",
    });
    let url = format!("{base}?{}", keep.join("&"));
    let mut config: Config = url
        .parse()
        .map_err(|e: postgres::Error| anyhow!("{}", chain(&e)))?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(10));
    }
    if driver_mode == "disable" {
        return Ok((config, None));
    }
    let mut roots = rustls::RootCertStore::empty();
    match &root {
        Some(path) => {
            for cert in CertificateDer::pem_file_iter(path)
                .map_err(|e| anyhow!("sslrootcert {path}: {e}"))?
            {
                roots
                    .add(cert.map_err(|e| anyhow!("sslrootcert {path}: {e}"))?)
                    .map_err(|e| anyhow!("sslrootcert {path}: {e}"))?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let webpki = rustls::client::WebPkiServerVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .map_err(|e| anyhow!("TLS roots: {e}"))?;
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| anyhow!("TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Verifier {
            inner: webpki,
            check,
        }))
        .with_no_client_auth();
    Ok((config, Some(tls)))
}

/// libpq's levels of checking on top of rustls' full verification.
#[derive(Debug)]
struct Verifier {
    inner: Arc<rustls::client::WebPkiServerVerifier>,
    check: Check,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self.check == Check::Nothing {
            return Ok(ServerCertVerified::assertion());
        }
        match self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(CertificateError::NotValidForName))
            | Err(rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext {
                ..
            })) if self.check == Check::Chain => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmodes() {
        assert!(
            options("postgres://u:p@127.0.0.1/shop?sslmode=disable")
                .unwrap()
                .1
                .is_none()
        );
        assert!(
            options("postgres://u:p@127.0.0.1/shop")
                .unwrap()
                .1
                .is_some()
        );
        assert!(
            options("postgres://u:p@127.0.0.1/shop?sslmode=verify-full&application_name=x")
                .unwrap()
                .1
                .is_some()
        );
        assert!(options("postgres://u:p@127.0.0.1/shop?sslmode=sometimes").is_err());
        assert_eq!(
            with_minutes("2026-11-22 10:00:00+00"),
            "2026-11-22 10:00:00+00:00"
        );
        assert_eq!(
            with_minutes("2026-11-22 10:00:00.5-05"),
            "2026-11-22 10:00:00.5-05:00"
        );
        assert_eq!(with_minutes("2026-11-22 10:00:00"), "2026-11-22 10:00:00");
    }
}
