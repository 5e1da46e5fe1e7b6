//! Whether a failed request may have reached the provider: the one question that matters for
//! at-most-once. No connection, a failed lookup or TLS handshake: nothing was sent (the cart is
//! deferred). Anything after the request was written: it may have been (unknown, never resent).

use std::io;

/// Whether the URL's host does not resolve now: a DNS failure, so nothing was sent.
pub(super) fn lookup_fails(url: &str) -> bool {
    use std::net::ToSocketAddrs;
    let Some(rest) = url.split_once("://").map(|(_, r)| r) else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    if host_port.is_empty() {
        return false;
    }
    let with_port = if host_port.starts_with('[') {
        if host_port.contains("]:") {
            host_port.to_string()
        } else {
            format!("{host_port}:443")
        }
    } else if host_port.contains(':') {
        host_port.to_string()
    } else {
        format!("{host_port}:443")
    };
    with_port.to_socket_addrs().is_err()
}

/// Errors raised before a single byte of the request reached the provider: no connection, or a
/// TLS handshake that failed (the request is written only after it).
pub(super) fn written_nothing(e: &ureq::Error) -> bool {
    use ureq::Timeout;
    match e {
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => true,
        ureq::Error::Timeout(Timeout::Resolve | Timeout::Connect) => true,
        ureq::Error::Tls(_) | ureq::Error::TlsRequired => true,
        ureq::Error::Rustls(r) => handshake_error(r),
        ureq::Error::Io(io)
            if io
                .get_ref()
                .and_then(|i| i.downcast_ref::<rustls::Error>())
                .is_some_and(handshake_error) =>
        {
            true
        }
        ureq::Error::Io(io) => matches!(
            io.kind(),
            io::ErrorKind::ConnectionRefused
                | io::ErrorKind::HostUnreachable
                | io::ErrorKind::NetworkUnreachable
                | io::ErrorKind::NetworkDown
                | io::ErrorKind::AddrNotAvailable
        ),
        _ => false,
    }
}

/// Rustls errors that only a handshake produces: certificate, version and cipher trouble.
fn handshake_error(e: &rustls::Error) -> bool {
    use rustls::Error as R;
    matches!(
        e,
        R::InvalidCertificate(_)
            | R::NoCertificatesPresented
            | R::UnsupportedNameType
            | R::PeerIncompatible(_)
            | R::InappropriateHandshakeMessage { .. }
            | R::AlertReceived(rustls::AlertDescription::HandshakeFailure)
            | R::AlertReceived(rustls::AlertDescription::ProtocolVersion)
            | R::AlertReceived(rustls::AlertDescription::UnknownCA)
            | R::AlertReceived(rustls::AlertDescription::BadCertificate)
    )
}

pub(super) fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(t) => format!("timed out ({t})"),
        ureq::Error::HostNotFound => "host not found".into(),
        ureq::Error::ConnectionFailed => "connection failed".into(),
        ureq::Error::Io(io) => format!("connection error: {io}"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unresolvable_host_is_a_dns_failure_and_a_resolvable_one_is_not() {
        assert!(lookup_fails("https://cartnudge-test.invalid/2010-04-01"));
        assert!(!lookup_fails("http://127.0.0.1:9/x"));
        assert!(!lookup_fails("http://[::1]:9/x"));
        assert!(!lookup_fails("not a url"));
    }
}
