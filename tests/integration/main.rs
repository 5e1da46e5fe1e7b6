//! All integration tests in one binary (as in `just` and `fd`): each file drives the real
//! `cartnudge` binary through `util::Env`.

mod cli;
mod delivery;
mod gateways;
mod input;
mod layers;
mod ledger_cmd;
mod local_rules;
mod loopback;
mod messages;
mod presets;
mod preview;
mod quiet_hours;
mod reconcile;
mod recovery;
mod report;
mod report_html;
mod report_trust;
mod rules;
mod send;
mod shop;
mod shopify;
mod sources;
mod storage;
mod util;
