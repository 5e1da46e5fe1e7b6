//! `report`'s parts, each small: the `[report]` config (`config`), the tally of ledger rows
//! (`summary`, `figures`), the statistics (`stats`), distinct skipped carts from the audit
//! (`skips`), the converted total (`convert`), warnings (`trust`), numbers for people (`human`,
//! `lines`), and the renderers: `table`, `csv_out`, `json` (DESIGN.md §12) and `html`.

pub mod config;
pub mod convert;
pub mod csv_out;
pub mod figures;
pub mod html;
pub mod human;
pub mod json;
pub mod lines;
pub mod ordered;
pub mod skips;
pub mod stats;
pub mod summary;
pub mod table;
pub mod trust;

pub use summary::{By, Context, Report, Tally};
