//! `cartnudge check`.

use super::Global;
use anyhow::{Result, bail};

#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(_args: &Args, _g: &Global) -> Result<i32> {
    bail!("`cartnudge check` is not available in this build yet")
}
