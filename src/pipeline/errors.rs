//! What the data reveals that stops a run before anything is sent: too many malformed rows (a
//! data error, exit 65) and currencies with no minimum cart value (a config error).

use super::Batch;
use crate::model::Currency;
use std::collections::BTreeMap;

/// The source has rows but none readable, or more malformed rows than `source.max_invalid`: the
/// export (or the mapping) is broken, so the run stops before sending (exit 65).
#[derive(Debug)]
pub struct DataError {
    pub source: String,
    pub readable: u64,
    pub invalid: u64,
    pub examples: Vec<String>,
}

impl std::fmt::Display for DataError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} of {} rows are malformed, more than source.max_invalid allows; nothing was sent. First: {}",
            self.source,
            self.invalid,
            self.readable + self.invalid,
            self.examples.join("; ")
        )
    }
}

impl std::error::Error for DataError {}

impl Batch {
    /// The data error this stream amounts to, if any.
    pub fn data_error(&self, source: &crate::source::Config) -> Option<DataError> {
        data_error(
            source,
            self.counts.carts_read,
            self.counts.invalid,
            &self.invalid_examples,
        )
    }
}

/// `readable` and `invalid` rows of `source` against its `max_invalid`.
pub fn data_error(
    source: &crate::source::Config,
    readable: u64,
    invalid: u64,
    examples: &[String],
) -> Option<DataError> {
    let none_readable = readable == 0 && invalid > 0;
    (none_readable || source.max_invalid.exceeded(readable, invalid)).then(|| DataError {
        source: crate::source::display_name(source),
        readable,
        invalid,
        examples: examples.to_vec(),
    })
}

/// Distinct currencies with no threshold, as a config error message.
pub fn missing_threshold_error(missing: &BTreeMap<Currency, u64>) -> Option<anyhow::Error> {
    if missing.is_empty() {
        return None;
    }
    let list: Vec<String> = missing
        .iter()
        .map(|(c, n)| format!("{c} ({n} carts)"))
        .collect();
    let first = missing.keys().next().expect("non-empty");
    Some(anyhow::anyhow!(
        "no minimum cart value for {}; add e.g. `{first} = \"50\"` under [rules.min_cart_value] (nothing was sent)",
        list.join(", ")
    ))
}
