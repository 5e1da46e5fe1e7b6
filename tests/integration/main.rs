//! All integration tests in one binary (as in `just` and `fd`): each file drives the real
//! `cartnudge` binary through `util::Env`.

mod gateways;
mod loopback;
mod util;
