//! All integration tests in one binary (as in `just` and `fd`): each file drives the real
//! `cartnudge` binary through `util::Env`.

mod util;
mod reconcile;
mod report;
