//! One module per subcommand, each `run(args, &Global) -> Result<Exit>` returning the exit code.

pub mod check;
pub mod init;
pub mod ledger;
pub mod reconcile;
pub mod report;
pub mod scan;
pub mod send;
pub mod shell;

use crate::settings::Settings;
use chrono::{DateTime, Utc};

/// Options every command shares.
pub struct Global {
    pub config: std::path::PathBuf,
    pub now: DateTime<Utc>,
    pub quiet: bool,
    pub verbose: bool,
}

impl Global {
    pub fn settings(&self) -> anyhow::Result<Settings> {
        Ok(Settings::load(&self.config_file())?.at(self.now))
    }

    /// `--config DIR` means `DIR/cartnudge.toml`.
    pub fn config_file(&self) -> std::path::PathBuf {
        if self.config.is_dir() {
            self.config.join("cartnudge.toml")
        } else {
            self.config.clone()
        }
    }
}
