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
            ProgressStyle::with_template("{spinner} reading carts: {human_pos} read, {rate}")
                .expect("template")
                .with_key(
                    "rate",
                    |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{} carts/s", indicatif::HumanCount(s.per_sec() as u64));
                    },
                ),
        );
        Progress(Some(bar))
    }

    pub fn sends(quiet: bool, total: u64) -> Progress {
        if quiet || !std::io::stderr().is_terminal() || total == 0 {
            return Progress(None);
        }
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template("sending {pos} of {len} (limit) {bar:30} {elapsed}")
                .expect("template"),
        );
        Progress(Some(bar))
    }

    pub fn tick(&self) {
        self.advance(1);
    }

    pub fn advance(&self, n: u64) {
        if let Some(b) = &self.0 {
            b.inc(n);
        }
    }

    pub fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}
