//! The four things a provider's answer can mean for the send loop. The class decides what happens to
//! the cart: retried, failed for good, the batch aborted, or recorded as `unknown` and never resent.

use std::fmt;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub enum GatewayError {
    /// Documented as not processed (HTTP 429, "retry" codes, connection refused before the request
    /// was written): safe to retry after `retry_after` or a backoff.
    Transient {
        code: String,
        message: String,
        retry_after: Option<Duration>,
    },
    /// This recipient cannot be messaged (invalid number, no route). `opt_out`: the provider says
    /// the number unsubscribed, so it goes on the ledger's opt-out list.
    Permanent {
        code: String,
        message: String,
        opt_out: bool,
    },
    /// Nothing more can be sent this run (bad credentials, no balance, sender not approved).
    Fatal { code: String, message: String },
    /// The request may have been processed (timeout after sending, broken connection, 5xx).
    Unknown { code: String, message: String },
}

impl GatewayError {
    pub fn transient(
        code: impl Into<String>,
        message: impl Into<String>,
        retry_after: Option<Duration>,
    ) -> Self {
        GatewayError::Transient {
            code: code.into(),
            message: message.into(),
            retry_after,
        }
    }
    pub fn permanent(code: impl Into<String>, message: impl Into<String>) -> Self {
        GatewayError::Permanent {
            code: code.into(),
            message: message.into(),
            opt_out: false,
        }
    }
    pub fn opted_out(code: impl Into<String>, message: impl Into<String>) -> Self {
        GatewayError::Permanent {
            code: code.into(),
            message: message.into(),
            opt_out: true,
        }
    }
    pub fn fatal(code: impl Into<String>, message: impl Into<String>) -> Self {
        GatewayError::Fatal {
            code: code.into(),
            message: message.into(),
        }
    }
    pub fn unknown(code: impl Into<String>, message: impl Into<String>) -> Self {
        GatewayError::Unknown {
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn is_transient(&self) -> bool {
        matches!(self, GatewayError::Transient { .. })
    }
    pub fn is_permanent(&self) -> bool {
        matches!(self, GatewayError::Permanent { .. })
    }
    pub fn is_fatal(&self) -> bool {
        matches!(self, GatewayError::Fatal { .. })
    }
    pub fn is_unknown(&self) -> bool {
        matches!(self, GatewayError::Unknown { .. })
    }

    pub fn code(&self) -> &str {
        match self {
            GatewayError::Transient { code, .. }
            | GatewayError::Permanent { code, .. }
            | GatewayError::Fatal { code, .. }
            | GatewayError::Unknown { code, .. } => code,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            GatewayError::Transient { message, .. }
            | GatewayError::Permanent { message, .. }
            | GatewayError::Fatal { message, .. }
            | GatewayError::Unknown { message, .. } => message,
        }
    }

    pub fn class(&self) -> &'static str {
        match self {
            GatewayError::Transient { .. } => "transient",
            GatewayError::Permanent { .. } => "permanent",
            GatewayError::Fatal { .. } => "fatal",
            GatewayError::Unknown { .. } => "unknown",
        }
    }
}

impl fmt::Display for GatewayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} gateway error {}: {}",
            self.class(),
            self.code(),
            self.message()
        )
    }
}

impl std::error::Error for GatewayError {}
