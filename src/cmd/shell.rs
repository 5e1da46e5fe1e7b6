//! `cartnudge completions SHELL` and `cartnudge man`: shell completions and a man page, generated
//! from the same definitions as `--help`, so they never fall out of date. Print to stdout.

use crate::model::Exit;
use anyhow::Result;

#[derive(clap::Args, Debug)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, powershell or elvish.
    pub shell: clap_complete::Shell,
}

#[derive(clap::Args, Debug)]
pub struct ManArgs {}

/// `cmd` is the whole command line's definition (`Cli::command()`), passed down by `lib.rs`.
pub fn completions(args: &CompletionsArgs, mut cmd: clap::Command) -> Result<Exit> {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "cartnudge", &mut out);
    write_stdout(&out)
}

pub fn man(_args: &ManArgs, cmd: clap::Command) -> Result<Exit> {
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut out)?;
    write_stdout(&out)
}

fn write_stdout(bytes: &[u8]) -> Result<Exit> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(bytes)?;
    stdout.flush()?;
    Ok(Exit::Ok)
}
