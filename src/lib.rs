//! cartnudge: abandoned-cart SMS reminders from cron. The library holds everything; `main.rs` only
//! parses the command line, calls `run` and turns the result into an exit code.

pub mod audit;
pub mod cli;
pub mod cmd;
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

use cmd::Global;

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
    }
}

/// 75 when another run holds the lock, else 2 (usage, config or input error).
pub fn exit_code_for(err: &anyhow::Error) -> model::Exit {
    if err.chain().any(|e| e.is::<ledger::Locked>()) {
        model::Exit::Locked
    } else {
        model::Exit::Input
    }
}
