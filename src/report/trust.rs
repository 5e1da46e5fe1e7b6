//! Plain sentences about what the numbers cannot say: revenue that was never measured (no
//! `[orders]` source, `reconcile` never matched anything), costs that are only estimates, cost and
//! revenue in different currencies, and a holdout too small (or absent) to show a lift.

use super::figures::Figures;
use super::human;
use super::summary::{Context, Report};
use crate::model::Currency;

/// Groups below this size make any lift estimate a guess.
pub const MIN_GROUP: u64 = 30;

/// Whether revenue was measured at all; `false` makes revenue and ROI "not measured".
pub fn revenue_measured(ctx: &Context) -> bool {
    ctx.orders_source
}

/// Warnings about the whole report (revenue can only be known once orders are matched).
pub fn report_warnings(r: &Report) -> Vec<String> {
    let mut w = Vec::new();
    let messages: u64 = r.blocks.iter().map(|b| b.total.messages()).sum();
    if messages == 0 {
        return w;
    }
    if !r.ctx.orders_source {
        w.push(
            "no [orders] source is configured, so no order can be matched to a text: recovered revenue and ROI \
             are not measured (they read as zero and -100%); add [orders] and run `cartnudge reconcile`"
                .into(),
        );
    } else if !r.ctx.reconciled.any() {
        w.push(
            "`cartnudge reconcile` has not matched a single order or delivery report in this ledger yet: if it \
             has never run, recovered revenue and ROI are not measured, not zero; run it (hourly from cron) and \
             report again"
                .into(),
        );
    }
    w
}

/// Warnings about one currency's figures; those about revenue, ROI and lift only when `revenue`
/// figures are shown (always in JSON, with `--roi` in the table and the page).
pub fn warnings(f: &Figures, c: Currency, ctx: &Context, revenue: bool) -> Vec<String> {
    let mut w = Vec::new();
    let measured = revenue && revenue_measured(ctx);
    if measured && f.cost_in_other_currency(c) {
        let billed: Vec<&str> = f.costs.keys().map(Currency::code).collect();
        let billed = billed.join(" and ");
        w.push(match f.roi_converted(c, &ctx.rates) {
            Some(_) => format!(
                "cost is billed in {billed} but revenue is in {c}: the ROI shown is converted at your rates in [report.rates]"
            ),
            None => format!(
                "cost is billed in {billed} but revenue is in {c}: ROI cannot be computed without an exchange rate; \
                 set [report] currency and [report.rates] to get one"
            ),
        });
    }
    if f.cost_missing > 0 {
        w.push(format!("{} messages have neither an actual price nor an estimate (set message.cost_per_segment); cost is understated", human::count(f.cost_missing)));
    }
    w.extend(estimate_warning(f));
    if !measured {
        return w;
    }
    if f.other_currency_recoveries > 0 {
        w.push(format!("{} recovered orders were paid in another currency than the cart's and are not counted here", human::count(f.other_currency_recoveries)));
    }
    if f.holdout_carts == 0 && f.messages() > 0 {
        w.push(
            "no holdout group: every recovered order is credited to SMS, including orders that would have come anyway; \
             set rules.holdout_percent (e.g. 10) to measure what SMS adds"
                .into(),
        );
    }
    w.extend(lift_warning(f));
    w
}

fn estimate_warning(f: &Figures) -> Option<String> {
    let priced = f.cost_estimated + f.cost_actual;
    if f.cost_estimated == 0 {
        None
    } else if f.cost_actual == 0 {
        Some(
            "cost is an estimate only (message.cost_per_segment × segments): the gateway has reported no prices; \
             for Twilio and SMS.ru `cartnudge reconcile` fetches the actual ones"
                .into(),
        )
    } else {
        Some(format!(
            "cost is partly an estimate: {} of {} messages have no price from the gateway yet",
            human::count(f.cost_estimated),
            human::count(priced)
        ))
    }
}

/// A plain sentence when the holdout cannot tell whether SMS adds orders.
pub fn lift_warning(f: &Figures) -> Option<String> {
    let d = f.lift()?;
    let (nt, nc) = (human::count(f.messages()), human::count(f.holdout_carts));
    let interval = format!(
        "{} to {} percentage points",
        human::points(d.low),
        human::points(d.high)
    );
    if d.includes_zero() {
        Some(format!(
            "too few carts to tell whether SMS adds orders: the 95% interval for lift ({interval}) includes zero \
             ({nt} messaged, {nc} in the holdout); keep the holdout running before deciding"
        ))
    } else if f.messages() < MIN_GROUP || f.holdout_carts < MIN_GROUP {
        Some(format!(
            "small sample ({nt} messaged, {nc} in the holdout; fewer than {MIN_GROUP} in a group): the interval \
             ({interval}) is only a rough guide"
        ))
    } else {
        None
    }
}
