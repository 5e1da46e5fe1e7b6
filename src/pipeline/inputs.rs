//! What the rules read besides the carts: the ledger's view and the recent orders.

use crate::ledger::{Ledger, LedgerView};
use crate::rules::OrderIndex;
use crate::settings::Settings;
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};

/// The ledger's view without writing: no ledger file means an empty history.
pub fn read_only_view(
    settings: &Settings,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<LedgerView> {
    match Ledger::open_read_only(&settings.ledger_path)? {
        Some(l) => l.view(settings.rules.history_since(now)),
        None => Ok(LedgerView::default()),
    }
}

/// Loads the orders index for `ordered_since` (empty without an `[orders]` source). Only orders
/// placed in the last `max_age` can matter (a cart in the rules' window was active since then), so
/// only those are indexed: memory follows two days of orders, not the shop's order history.
pub fn load_orders(settings: &Settings, now: DateTime<Utc>, quiet: bool) -> Result<OrderIndex> {
    let mut index = OrderIndex::default();
    let Some(src) = &settings.orders else {
        return Ok(index);
    };
    let mut bad = 0u64;
    // Only orders placed within `max_age` of now can be "since" a cart's activity; each is
    // turned into its index entries (libphonenumber's reading of its phone, its keys' hashes) on
    // the thread that read it, and the rest are checked but never built.
    let since = now - settings.rules.max_age;
    let keep = move |at| at >= since && at <= now;
    let region = settings.store.default_region.clone();
    let entries = move |o: crate::model::Order| OrderIndex::entries(&o, &region);
    let orders = crate::source::orders_then(src, keep, entries).context("cannot read orders")?;
    for order in orders {
        match order {
            Ok(Some(entries)) => index.add_entries(entries),
            Ok(None) => index.len += 1,
            Err(e) => {
                bad += 1;
                if !quiet && bad <= 20 {
                    eprintln!("cartnudge: skipped order {e}");
                }
            }
        }
    }
    if bad > 20 && !quiet {
        eprintln!("cartnudge: skipped {bad} malformed order rows in all");
    }
    index.finish();
    Ok(index)
}
