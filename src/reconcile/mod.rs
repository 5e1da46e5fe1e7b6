//! `reconcile`'s parts, each usable on its own: attribution of orders to reminders (pure),
//! delivery polling through a gateway's status API, and importing STOP replies as opt-outs.

pub mod attribution;
pub mod delivery;
pub mod optouts;
