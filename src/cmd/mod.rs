//! One module per subcommand, each `run(args, &Global) -> Result<i32>` returning the exit code.

pub mod check;
pub mod init;
pub mod reconcile;
pub mod report;
pub mod scan;
pub mod send;

use crate::settings::Settings;
use chrono::{DateTime, Utc};

/// Exit codes (DESIGN.md §2).
pub const EXIT_OK: i32 = 0;
pub const EXIT_SOME_FAILED: i32 = 1;
pub const EXIT_INPUT: i32 = 2;
pub const EXIT_FATAL_GATEWAY: i32 = 3;
pub const EXIT_LOCKED: i32 = 75;

/// Options every command shares.
pub struct Global {
    pub config: std::path::PathBuf,
    pub now: DateTime<Utc>,
    pub quiet: bool,
    pub verbose: bool,
}

impl Global {
    pub fn settings(&self) -> anyhow::Result<Settings> {
        Ok(Settings::load(&self.config)?.at(self.now))
    }
}
