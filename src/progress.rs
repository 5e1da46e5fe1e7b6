//! A progress spinner on stderr, only when stderr is a terminal (never in cron mail or tests).

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

pub struct Progress(Option<ProgressBar>);

impl Progress {
    pub fn rows(quiet: bool) -> Progress {
        if quiet || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {pos} carts read ({per_sec})")
                .expect("template"),
        );
        Progress(Some(bar))
    }

    pub fn sends(quiet: bool, total: u64) -> Progress {
        if quiet || !std::io::stderr().is_terminal() || total == 0 {
            return Progress(None);
        }
        let bar = ProgressBar::new(total);
        bar.set_style(ProgressStyle::with_template("{bar:30} {pos}/{len} sent").expect("template"));
        Progress(Some(bar))
    }

    pub fn tick(&self) {
        if let Some(b) = &self.0 {
            b.inc(1);
        }
    }

    pub fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}
