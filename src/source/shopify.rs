//! Shopify.
use super::Rows;
use crate::settings::SourceSettings;
pub fn open(
    _s: &SourceSettings,
    _fields: &'static [&'static str],
    _required: &[&str],
) -> anyhow::Result<Rows> {
    anyhow::bail!("todo")
}
