//! `cartnudge scan`.

use super::Global;
use anyhow::{Result, bail};

#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(_args: &Args, _g: &Global) -> Result<i32> {
    bail!("`cartnudge scan` is not available in this build yet")
}
