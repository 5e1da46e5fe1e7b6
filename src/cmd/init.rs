//! `cartnudge init`: writes a commented config that lists every option with its default, to the
//! `--config` path (default `./cartnudge.toml`). Refuses to overwrite without `--force`.

use super::{EXIT_OK, Global};
use anyhow::{Context, Result, bail};

pub const TEMPLATE: &str = include_str!("../../examples/cartnudge.full.toml");

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: &Args, g: &Global) -> Result<i32> {
    let path = &g.config;
    if path.exists() && !args.force {
        bail!(
            "{} already exists; pass --force to overwrite it",
            path.display()
        );
    }
    std::fs::write(path, TEMPLATE).with_context(|| format!("cannot write {}", path.display()))?;
    if !g.quiet {
        println!(
            "wrote {}; edit [source] and [gateway], then run `cartnudge check`",
            path.display()
        );
    }
    Ok(EXIT_OK)
}
