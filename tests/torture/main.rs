//! The fault-injection proof that `.ci/run` runs (RELIABILITY.md): the real `cartnudge` binary is
//! SIGKILLed at random moments, started eight at a time, pointed at loopback providers that
//! misbehave in every documented way, given full, read-only, truncated and corrupted storage, fed
//! broken input, and its every output is searched for secrets. After each fault the same
//! invariants are checked: no cart or phone received twice, every message in the ledger and in
//! the audit exactly once, every file parses, the ledger passes `PRAGMA integrity_check`, and the
//! exit code is one the README documents.
//!
//! Run: `cargo test --test torture` (scripts/torture.sh also times it and prints the figures).
//! Sizes: `CARTNUDGE_TORTURE_KILLS`, `_JOBS`, `_ROUNDS`, `_DISK_STEPS`, `_CASES`, `_CLI_CASES`;
//! `CARTNUDGE_TORTURE_SEED` replays a run. Every check runs: the eight findings it first made
//! are fixed (RELIABILITY.md lists each with the check that proves it).

mod bad_input;
mod crash;
mod faults;
mod files;
mod harness;
mod invariants;
mod ledgers;
mod overlap;
mod providers;
mod secrets;
mod server;
mod storage;
