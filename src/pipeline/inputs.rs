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
    for order in crate::source::orders(src).context("cannot read orders")? {
        match order {
            Ok(o) if o.created_at >= now - settings.rules.max_age && o.created_at <= now => {
                index.add(&o, &settings.store.default_region)
            }
            Ok(_) => index.len += 1,
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
