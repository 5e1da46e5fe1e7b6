//! Turning a cart into the text a customer receives: the template with its variables, the tracked
//! link, the opt-out suffix, optional GSM normalization, and the GSM 03.38 segment count that decides
//! the price and the `message_too_long` rule.

pub mod config;
pub use config::Config;
pub mod segments;
pub mod template;

pub use segments::{Encoding, SegmentCount};

use crate::model::{Cart, Price};

/// A rendered message with what it costs to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub text: String,
    /// The template rendered to nothing but blanks for this cart (before the opt-out suffix).
    pub blank: bool,
    pub count: SegmentCount,
    /// Estimated cost: segments × `message.cost_per_segment`, when configured.
    pub est_cost: Option<Price>,
}

pub fn render(cart: &Cart, m: &Config, store: &str) -> Rendered {
    let name = cart
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(&m.fallback_name);
    // Each value is worked out when the template names it.
    let mut text = template::fill(&m.template, |var| match var {
        "name" => Some(name.into()),
        "total" => Some(cart.total.display().into()),
        "items_count" => Some(
            cart.items_count
                .map(|n| n.to_string())
                .unwrap_or_default()
                .into(),
        ),
        "link" => Some(template::link(cart, m).into()),
        "store" => Some(store.into()),
        _ => None,
    });
    let blank = text.trim().is_empty();
    text.push_str(&m.optout_suffix);
    if m.gsm_normalize
        && let std::borrow::Cow::Owned(normal) = segments::gsm_normalize(&text)
    {
        text = normal;
    }
    strip_controls(&mut text);
    let count = segments::count(&text);
    let est_cost = m.cost_per_segment.map(|p| p.times(count.segments as i64));
    Rendered {
        text,
        blank,
        count,
        est_cost,
    }
}

/// How many septets (GSM-7) or UTF-16 units (UCS-2) fit in `segments` segments: 160 / 70 for
/// one, 153 / 67 per part beyond (GSM 03.38; a part never splits a character, so a text near the
/// limit may need one more part than this suggests).
pub fn capacity(encoding: Encoding, segments: u32) -> usize {
    let n = segments.max(1) as usize;
    match (encoding, n) {
        (Encoding::Gsm7, 1) => 160,
        (Encoding::Gsm7, n) => 153 * n,
        (Encoding::Ucs2, 1) => 70,
        (Encoding::Ucs2, n) => 67 * n,
    }
}

/// Removes NUL and the other control characters but the newline from text bound for a phone: a
/// stray byte from a database field must not reach the gateway (one NUL also made the whole text
/// UCS-2, more than doubling its price).
pub fn strip_controls(text: &mut String) {
    if text.chars().any(is_stripped) {
        text.retain(|c| !is_stripped(c));
    }
}

fn is_stripped(c: char) -> bool {
    c != '\n' && c.is_control()
}
