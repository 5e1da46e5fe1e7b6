//! cartnudge: abandoned-cart SMS reminders from cron. The library holds everything; `main.rs` only
//! parses the command line, calls `run` and turns the result into an exit code.

pub mod audit;
pub mod cli;
pub mod cmd;
pub mod fsutil;
pub mod gateway;
pub mod ledger;
pub mod message;
pub mod model;
pub mod net;
pub mod output;
pub mod pipeline;
pub mod progress;
pub mod reconcile;
pub mod report;
pub mod rules;
pub mod settings;
pub mod source;
#[cfg(test)]
pub mod testing;
pub mod tzdb;

use cmd::Global;

impl cli::Cli {
    /// Whether the command was asked for JSON output, so an error is printed as JSON too.
    pub fn wants_json(&self) -> bool {
        use output::Format::Json;
        match &self.command {
            cli::Command::Check(a) => a.format == Json,
            cli::Command::Scan(a) => a.format == Json,
            cli::Command::Send(a) => a.format == Json,
            cli::Command::Reconcile(a) => a.format == Json,
            _ => false,
        }
    }
}

/// Runs one command and returns its exit code; errors are printed once by `main`.
pub fn run(cli: cli::Cli) -> anyhow::Result<model::Exit> {
    let g = Global {
        config: cli.config,
        now: cli.now.unwrap_or_else(chrono::Utc::now),
        quiet: cli.quiet,
        verbose: cli.verbose,
    };
    match &cli.command {
        cli::Command::Init(a) => cmd::init::run(a, &g),
        cli::Command::Check(a) => cmd::check::run(a, &g),
        cli::Command::Scan(a) => cmd::scan::run(a, &g),
        cli::Command::Send(a) => cmd::send::run(a, &g),
        cli::Command::Reconcile(a) => cmd::reconcile::run(a, &g),
        cli::Command::Report(a) => cmd::report::run(a, &g),
        cli::Command::Ledger(a) => cmd::ledger::run(a, &g),
        cli::Command::Completions(a) => {
            cmd::shell::completions(a, <cli::Cli as clap::CommandFactory>::command())
        }
        cli::Command::Man(a) => cmd::shell::man(a, <cli::Cli as clap::CommandFactory>::command()),
    }
}

/// What an error means for the exit code and whether a person needs to see it.
pub fn exit_code_for(err: &anyhow::Error) -> model::Exit {
    if is_broken_pipe(err) {
        model::Exit::Ok
    } else if err.chain().any(|e| e.is::<pipeline::DataError>()) {
        model::Exit::DataError
    } else if err.chain().any(|e| e.is::<ledger::Locked>()) {
        model::Exit::Locked
    } else {
        model::Exit::Input
    }
}

/// Whether the error is a closed stdout (`cartnudge scan | head`): the reader has what it wanted,
/// so the run ends quietly with exit 0 (as ripgrep does).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || e.downcast_ref::<csv::Error>().is_some_and(|c| {
                matches!(c.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe)
            })
    })
}

/// Whether the error should be printed: not a broken pipe, and not the routine "another run
/// holds the lock" under `-q` (cron runs overlap; exit 75 says it).
pub fn should_print(err: &anyhow::Error, quiet: bool) -> bool {
    match exit_code_for(err) {
        model::Exit::Ok => false,
        model::Exit::Locked => !quiet,
        _ => true,
    }
}
