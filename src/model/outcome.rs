//! The outcome enums every stage reports in. Each maps to the exact text the ledger, audit, JSON
//! and table output have always used (`as_str`), so output stays byte-identical while the code
//! matches on variants instead of strings.

use std::fmt;

macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vm])* $v),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];

            pub fn as_str(&self) -> &'static str {
                match self { $($name::$v => $s),+ }
            }

            /// The variant written as `text`, for values read back from the ledger or the CLI.
            pub fn parse(text: &str) -> Option<$name> {
                match text { $($s => Some($name::$v),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum! {
    /// What happened to a cart in a run (the audit's `decision` column).
    Decision {
        WouldSend => "would_send",
        Skipped => "skipped",
        Deferred => "deferred",
        Holdout => "holdout",
        Sent => "sent",
        Failed => "failed",
        Unknown => "unknown",
        /// A person made an `unknown` or `failed` cart eligible again (`cartnudge ledger requeue`).
        Requeued => "requeued",
    }
}

impl Decision {
    /// Decisions whose row shows the message text and the gateway: it was, or would be, sent.
    pub fn carries_message(&self) -> bool {
        matches!(
            self,
            Decision::WouldSend | Decision::Sent | Decision::Failed | Decision::Unknown
        )
    }
}

text_enum! {
    /// Why a cart was not sent (or not yet): a rule's name, or a reason the send loop gives.
    Reason {
        NotAbandoned => "not_abandoned",
        TooOld => "too_old",
        TooFresh => "too_fresh",
        NoConsent => "no_consent",
        BelowMinValue => "below_min_value",
        AlreadyNudged => "already_nudged",
        BadPhone => "bad_phone",
        OptedOut => "opted_out",
        OrderedSince => "ordered_since",
        EmailFirst => "email_first",
        PhoneCooldown => "phone_cooldown",
        QuietHours => "quiet_hours",
        /// The template renders to nothing for this cart (e.g. only `{name}`, and no name).
        EmptyMessage => "empty_message",
        MessageTooLong => "message_too_long",
        Holdout => "holdout",
        OverLimit => "over_limit",
        /// The provider answered "not processed" on every try.
        GatewayRetry => "gateway_retry",
        /// An earlier message got a fatal answer (bad credentials, no balance).
        GatewayAborted => "gateway_aborted",
        /// The run's deadline passed before this cart's turn.
        Deadline => "deadline",
        /// The provider refused or could not confirm this message; the text is `gateway:{code}`.
        Gateway => "gateway",
        /// A claim left by a run that was killed mid-send: the message may have gone out.
        Interrupted => "interrupted_run",
    }
}

impl Reason {
    /// A deferral may pass on a later run; anything else never will.
    pub fn is_deferral(&self) -> bool {
        matches!(
            self,
            Reason::TooFresh
                | Reason::EmailFirst
                | Reason::QuietHours
                | Reason::OverLimit
                | Reason::GatewayRetry
                | Reason::GatewayAborted
                | Reason::Deadline
        )
    }

    /// Carts failing these are outside the rules' window: counted, not audited (DESIGN.md §7).
    pub fn is_out_of_window(&self) -> bool {
        matches!(self, Reason::NotAbandoned | Reason::TooOld)
    }

    /// The text shown for this reason: `gateway:21610` for a provider's code, else the name.
    pub fn text(&self, gateway_code: Option<&str>) -> std::borrow::Cow<'static, str> {
        match (self, gateway_code) {
            (Reason::Gateway, Some(code)) => format!("gateway:{code}").into(),
            _ => self.as_str().into(),
        }
    }
}

text_enum! {
    /// A ledger row's status (DESIGN.md §6).
    NudgeStatus {
        /// Committed before the gateway call; a leftover claim becomes `Unknown`.
        Claimed => "claimed",
        Sent => "sent",
        Failed => "failed",
        /// The message may have gone out; never resent.
        Unknown => "unknown",
        Holdout => "holdout",
    }
}

text_enum! {
    /// A provider's delivery report, as far as it goes.
    DeliveryState {
        /// Queued, sending or sent: not final yet.
        Pending => "pending",
        Delivered => "delivered",
        Undelivered => "undelivered",
        Failed => "failed",
    }
}

text_enum! {
    /// How a run treats the gateway (the audit's `mode` column).
    Mode {
        Live => "live",
        DryRun => "dry_run",
        /// `send --gateway-test`: the provider validates, nothing is delivered or recorded.
        GatewayTest => "gateway_test",
        /// A person's change through `cartnudge ledger`.
        Manual => "manual",
    }
}

text_enum! {
    /// Where carts (or orders) come from (`[source] kind`).
    SourceKind {
        Csv => "csv",
        Json => "json",
        Jsonl => "jsonl",
        Sqlite => "sqlite",
        Mysql => "mysql",
        Postgres => "postgres",
        Shopify => "shopify",
    }
}

text_enum! {
    /// Which SMS gateway sends (`[gateway] kind`).
    GatewayKind {
        File => "file",
        Stub => "stub",
        Twilio => "twilio",
        Smsru => "smsru",
        Smsc => "smsc",
        Messagebird => "messagebird",
        Vonage => "vonage",
        Webhook => "webhook",
    }
}

/// The process exit codes (DESIGN.md §2, README "Exit codes"), mapped to numbers in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Done, also "nothing to send".
    Ok,
    /// Finished, but some sends failed or have an unknown outcome.
    SomeFailed,
    /// Usage, config or input error; nothing was sent.
    Input,
    /// The batch was aborted by a fatal gateway answer (bad credentials, no balance).
    FatalGateway,
    /// Stopped partway by a local failure (full disk, unwritable file) after requests may have
    /// reached the gateway: some messages went out; the message says how many and which file.
    Partial,
    /// The source has rows but none readable, or more malformed rows than `source.max_invalid`
    /// (EX_DATAERR).
    DataError,
    /// Another run holds the lock (EX_TEMPFAIL).
    Locked,
}

impl Exit {
    pub const fn code(self) -> i32 {
        match self {
            Exit::Ok => 0,
            Exit::SomeFailed => 1,
            Exit::Input => 2,
            Exit::FatalGateway => 3,
            Exit::Partial => 4,
            Exit::DataError => 65,
            Exit::Locked => 75,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_reads_back_from_its_text() {
        for d in Decision::ALL {
            assert_eq!(Decision::parse(d.as_str()), Some(*d));
        }
        for r in Reason::ALL {
            assert_eq!(Reason::parse(r.as_str()), Some(*r));
        }
        for s in NudgeStatus::ALL {
            assert_eq!(NudgeStatus::parse(s.as_str()), Some(*s));
        }
        assert_eq!(Reason::Gateway.text(Some("21610")), "gateway:21610");
        assert_eq!(Reason::QuietHours.text(None), "quiet_hours");
        assert!(Reason::Deadline.is_deferral() && !Reason::BadPhone.is_deferral());
    }
}
