//! `cartnudge report`.
