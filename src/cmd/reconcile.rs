//! `cartnudge reconcile` (issue 4): not built yet.

use super::Global;
use anyhow::{Result, bail};

#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(_args: &Args, _g: &Global) -> Result<i32> {
    bail!("`cartnudge reconcile` is not available in this build yet")
}
