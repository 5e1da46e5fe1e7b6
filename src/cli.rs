//! The command line (clap derive). Doc comments are the help text.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Abandoned-cart SMS reminders from cron: consent, quiet hours in the recipient's time zone,
/// at-most-once sends, an audit trail and honest ROI.
#[derive(Parser, Debug)]
#[command(name = "cartnudge", version, about)]
pub struct Cli {
    /// Config file.
    #[arg(
        long,
        global = true,
        env = "CARTNUDGE_CONFIG",
        default_value = "cartnudge.toml"
    )]
    pub config: PathBuf,

    /// Pretend the time is this instant (RFC 3339), for previews and tests.
    #[arg(long, global = true, value_parser = parse_now)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,

    /// Print only errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Print each skipped row and more detail.
    #[arg(short, long, global = true)]
    pub verbose: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Write a commented config listing every option.
    Init(crate::cmd::init::Args),
    /// Validate config, source mapping, thresholds and gateway secrets; sends nothing.
    Check(crate::cmd::check::Args),
    /// Show every cart's decision and reason; changes nothing.
    Scan(crate::cmd::scan::Args),
    /// Send one capped batch of reminders (or preview it with --dry-run).
    Send(crate::cmd::send::Args),
    /// Match sends to later orders, fetch delivery statuses, import opt-outs.
    Reconcile(crate::cmd::reconcile::Args),
    /// Report what SMS cost and what it brought back, per currency.
    Report(crate::cmd::report::Args),
    /// Look after the ledger: list rows, show a cart, re-queue, edit opt-outs.
    Ledger(crate::cmd::ledger::Args),
    /// Print shell completions (bash, zsh, fish, powershell, elvish).
    Completions(crate::cmd::shell::CompletionsArgs),
    /// Print the man page (roff).
    Man(crate::cmd::shell::ManArgs),
}

fn parse_now(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| format!("`{s}` is not RFC 3339 (e.g. 2026-11-22T15:00:00Z): {e}"))
}

/// `--version`: the version, the optional features built in, and the tz data in use.
pub fn long_version() -> String {
    let mut features = Vec::new();
    if cfg!(feature = "mysql") {
        features.push("mysql");
    }
    if cfg!(feature = "postgres") {
        features.push("postgres");
    }
    format!(
        "{}\nfeatures: {}\ntzdata: {}",
        env!("CARGO_PKG_VERSION"),
        if features.is_empty() {
            "none".to_string()
        } else {
            features.join(", ")
        },
        crate::tzdb::db().describe()
    )
}

/// Parses the command line, with the runtime facts in `--version`.
pub fn parse() -> Cli {
    use clap::{CommandFactory, FromArgMatches};
    // Computed once per process; clap wants a 'static string.
    let version: &'static str = Box::leak(long_version().into_boxed_str());
    let matches = Cli::command()
        .version(version)
        .long_version(version)
        .get_matches();
    match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    }
}
