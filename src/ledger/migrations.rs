//! Schema versions, applied in order inside one transaction each; `PRAGMA user_version` records the
//! last one applied. Never edit a shipped migration: add the next one.

pub const MIGRATIONS: &[&str] = &[
    // 1: the initial schema.
    r#"
CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    run_id      TEXT NOT NULL UNIQUE,
    command     TEXT NOT NULL,
    started_at  TEXT NOT NULL,           -- wall clock, UTC RFC 3339
    now         TEXT NOT NULL,           -- the run's "now" (differs under --now)
    finished_at TEXT,
    carts_read  INTEGER NOT NULL DEFAULT 0,
    invalid     INTEGER NOT NULL DEFAULT 0,
    sent        INTEGER NOT NULL DEFAULT 0,
    failed      INTEGER NOT NULL DEFAULT 0,
    unknown     INTEGER NOT NULL DEFAULT 0,
    holdout     INTEGER NOT NULL DEFAULT 0,
    deferred    INTEGER NOT NULL DEFAULT 0,
    skipped     INTEGER NOT NULL DEFAULT 0,
    reasons     TEXT NOT NULL DEFAULT '{}', -- JSON {"quiet_hours": 120, ...}
    exit_code   INTEGER
);

CREATE TABLE nudges (
    id                 INTEGER PRIMARY KEY,
    run_id             TEXT NOT NULL,
    cart_id            TEXT NOT NULL UNIQUE,  -- one reminder per cart, ever
    customer_id        TEXT,
    phone              TEXT NOT NULL,         -- E.164
    email              TEXT,
    country            TEXT,                  -- phone's region
    status             TEXT NOT NULL CHECK (status IN ('claimed','sent','failed','unknown','holdout')),
    gateway            TEXT,
    provider_id        TEXT,
    encoding           TEXT,
    segments           INTEGER,
    est_cost_micros    INTEGER,               -- millionths of the cost currency's unit
    cost_currency      TEXT,
    actual_cost_micros INTEGER,
    actual_cost_currency TEXT,
    cart_total_minor   INTEGER NOT NULL,
    cart_currency      TEXT NOT NULL,
    cart_updated_at    TEXT NOT NULL,
    text               TEXT,
    claimed_at         TEXT NOT NULL,         -- the run's now
    sent_at            TEXT,
    error_code         TEXT,
    error_text         TEXT,
    delivery_status    TEXT,                  -- pending | delivered | undelivered | failed
    delivery_code      TEXT,
    delivery_checked_at TEXT
);
CREATE INDEX nudges_phone ON nudges (phone, claimed_at);
CREATE INDEX nudges_status ON nudges (status);

CREATE TABLE recoveries (
    id           INTEGER PRIMARY KEY,
    nudge_id     INTEGER NOT NULL REFERENCES nudges (id),
    order_id     TEXT NOT NULL UNIQUE,        -- an order is attributed at most once
    amount_minor INTEGER NOT NULL,
    currency     TEXT NOT NULL,
    ordered_at   TEXT NOT NULL,
    match_key    TEXT NOT NULL,               -- cart | customer | phone | email
    attributed   INTEGER NOT NULL,            -- 1 within the window after the send; 0 converted before it
    recorded_at  TEXT NOT NULL
);
CREATE INDEX recoveries_nudge ON recoveries (nudge_id);

CREATE TABLE optouts (
    phone  TEXT PRIMARY KEY,                  -- E.164
    at     TEXT NOT NULL,
    source TEXT NOT NULL                      -- gateway:<code> | import:<file> | manual
);
"#,
    // 2: audit bookkeeping. A row is `audited = 0` from its claim until its audit row is on disk,
    // so a run killed (or out of disk) in between leaves work the next run finishes. Rows from
    // before this migration were audited by the run that wrote them.
    r#"
ALTER TABLE nudges ADD COLUMN audited INTEGER NOT NULL DEFAULT 1;
CREATE INDEX nudges_unaudited ON nudges (audited) WHERE audited = 0;
"#,
];
