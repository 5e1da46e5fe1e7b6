//! `report`'s parts: the statistics (Wilson, Newcombe), the figures tallied from the ledger, and the
//! renderers (table, CSV, JSON per DESIGN.md §12, and a self-contained HTML page with an SVG chart).

pub mod config;
pub mod figures;
pub mod html;
pub mod ordered;
pub mod render;
pub mod stats;

pub use figures::{By, Report};
