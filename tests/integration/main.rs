//! All integration tests in one binary (as in `just` and `fd`): each file drives the real
//! `cartnudge` binary through `util::Env`.

mod delivery;
mod gateways;
mod input;
mod layers;
mod loopback;
mod presets;
mod quiet_hours;
mod reconcile;
mod report;
mod report_html;
mod report_trust;
mod rules;
mod send;
mod shop;
mod shopify;
mod sources;
mod util;
