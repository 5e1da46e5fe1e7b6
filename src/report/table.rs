//! The report as text for a terminal or an e-mail: a title with the shop and the period, warnings
//! about the whole report, then per currency a headline sentence, the figures, the holdout next to
//! the reminded carts, warnings and the `--by` groups; the converted total; why carts were not
//! messaged.

use super::convert;
use super::human::{self, count};
use super::lines::{self, headline};
use super::skips::Basis;
use super::summary::{Block, Report};
use super::trust::{self, revenue_measured};
use crate::model::Reason;

/// "Demo Shop: SMS reminders, 1–30 Nov 2026".
pub fn title(r: &Report) -> String {
    format!(
        "{}: SMS reminders, {}",
        r.ctx.shop,
        human::period(r.ctx.since, r.ctx.until, r.ctx.timezone)
    )
}

/// "days in Europe/Moscow · 63 send runs (94,500 cart reads)".
pub fn subtitle(r: &Report) -> String {
    format!(
        "days in {} · {} ({} cart reads)",
        r.ctx.timezone.name(),
        human::plural(r.runs as u64, "send run", "send runs"),
        count(r.carts_considered)
    )
}

pub fn table(r: &Report, roi: bool) -> String {
    let mut out = format!("{}\n{}\n", title(r), subtitle(r));
    if roi {
        for w in trust::report_warnings(r) {
            out.push_str(&wrapped("warning:", &w));
        }
    }
    if r.blocks.is_empty() {
        out.push_str("\nno reminders in this period\n");
    }
    for b in &r.blocks {
        block(&mut out, b, r, roi);
    }
    if let Some(t) = convert::total(r) {
        out.push_str(&format!("\n{}\n", t.title()));
        out.push_str(&pairs(&t.lines(roi)));
        if let Some(w) = t.warning() {
            out.push_str(&warning(&w));
        }
    }
    not_messaged(&mut out, r);
    out
}

fn block(out: &mut String, b: &Block, r: &Report, roi: bool) {
    let (f, c) = (&b.total, b.currency);
    out.push_str(&format!("\n{c}: {}\n", headline(f, c, &r.ctx, roi)));
    out.push_str(&pairs(&lines::lines(f, c, &r.ctx, roi)));
    if roi
        && revenue_measured(&r.ctx)
        && let Some((rows, lift)) = lines::holdout(f, c)
    {
        out.push('\n');
        let mut g = vec![vec![
            "holdout vs reminded".into(),
            "reminded".into(),
            "holdout".into(),
        ]];
        g.extend(rows.into_iter().map(|r| r.to_vec()));
        let first = lift
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(0);
        for line in grid(&g, &[], first) {
            out.push_str(&format!("{line}\n"));
        }
        let first = g.iter().map(|r| r[0].chars().count()).max().unwrap_or(0);
        out.push_str(&pairs_at(&lift, first));
    }
    for w in trust::warnings(f, c, &r.ctx, roi) {
        out.push_str(&warning(&w));
    }
    if !b.groups.is_empty() {
        out.push('\n');
        for line in grid(&group_rows(b, r, roi), &[], 0) {
            out.push_str(&format!("{line}\n"));
        }
    }
}

/// The `--by` table: a header, then one row per group.
pub fn group_rows(b: &Block, r: &Report, roi: bool) -> Vec<Vec<String>> {
    let mut head = vec!["group", "sent", "delivered", "failed", "unknown", "cost"];
    if roi {
        let converted = b.total.cost_in_other_currency(b.currency)
            && b.total.roi_converted(b.currency, &r.ctx.rates).is_some();
        head.extend([
            "recovered",
            "revenue",
            if converted {
                "ROI at your rates"
            } else {
                "ROI"
            },
        ]);
    }
    let mut rows = vec![head.iter().map(|s| s.to_string()).collect::<Vec<_>>()];
    for g in &b.groups {
        let mut row = vec![
            g.key.clone(),
            count(g.sent),
            count(g.delivered),
            count(g.failed),
            count(g.unknown),
            match g.cost() {
                Some(p) if p.currency == b.currency => human::cost(p)
                    .trim_end_matches(p.currency.code())
                    .trim()
                    .into(),
                Some(p) => human::cost(p),
                None if g.costs.is_empty() => "0".into(),
                None => "n/a".into(),
            },
        ];
        if roi {
            let roi = g
                .roi(b.currency)
                .or_else(|| g.roi_converted(b.currency, &r.ctx.rates));
            row.extend([
                count(g.recovered_orders),
                human::money(g.revenue(b.currency))
                    .trim_end_matches(b.currency.code())
                    .trim()
                    .into(),
                roi.map(human::percent).unwrap_or_else(|| "n/a".into()),
            ]);
        }
        rows.push(row);
    }
    rows
}

fn not_messaged(out: &mut String, r: &Report) {
    let n = &r.not_messaged;
    if n.counts.is_empty() && n.outside_window.is_empty() {
        return;
    }
    match &n.basis {
        Basis::DistinctCarts => out.push_str(
            "\nwhy carts were not messaged (distinct carts, each under its last reason in the period)\n",
        ),
        Basis::CartRuns(why) => out.push_str(&format!(
            "\nwhy carts were not messaged (cart-runs: a cart is counted once per send run)\n  \
             not distinct carts because {why}\n"
        )),
    }
    let mut rows: Vec<Vec<String>> = sorted(&n.counts)
        .into_iter()
        .map(|(k, v)| vec![k.clone(), count(*v), waiting(k).into()])
        .collect();
    for (k, v) in sorted(&n.outside_window) {
        rows.push(vec![k.clone(), count(*v), "cart-runs*".into()]);
    }
    for line in grid(&rows, &[2], 0) {
        out.push_str(&format!("{line}\n"));
    }
    if !n.outside_window.is_empty() {
        out.push_str(&format!("  * {OUTSIDE_WINDOW}\n"));
    }
}

pub const OUTSIDE_WINDOW: &str = "outside the rules' window (older than rules.max_age, or not abandoned): never audited, so counted once per run, not per cart";

/// "  warning: …" wrapped at 100 columns, continuation lines under the text.
fn warning(text: &str) -> String {
    wrapped("  warning:", text)
}

fn wrapped(head: &str, text: &str) -> String {
    let mut out = String::from(head);
    let indent = head.len();
    let mut col = indent;
    for word in text.split(' ') {
        if col + 1 + word.chars().count() > 100 && col > indent + 1 {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            col = indent;
        }
        out.push(' ');
        out.push_str(word);
        col += 1 + word.chars().count();
    }
    out.push('\n');
    out
}

/// Biggest first, then by name.
pub fn sorted(m: &std::collections::BTreeMap<String, u64>) -> Vec<(&String, &u64)> {
    let mut v: Vec<_> = m.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    v
}

/// "still waiting" for a reason that may pass on a later run.
pub fn waiting(reason: &str) -> &'static str {
    match Reason::parse(reason).is_some_and(|r| r.is_deferral()) {
        true => "still waiting",
        false => "",
    }
}

/// Aligned label/value lines, two spaces in.
fn pairs(rows: &[(String, String)]) -> String {
    pairs_at(rows, 0)
}

fn pairs_at(rows: &[(String, String)], first: usize) -> String {
    let width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0)
        .max(first);
    rows.iter()
        .map(|(k, v)| format!("  {k:<width$}  {v}\n"))
        .collect()
}

/// Columns padded to their widest cell (the first to at least `first`): numbers right-aligned,
/// the columns in `text` (and the first) left-aligned.
fn grid(rows: &[Vec<String>], text: &[usize], first: usize) -> Vec<String> {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|i| {
            rows.iter()
                .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                .max()
                .unwrap_or(0)
                .max(if i == 0 { first } else { 0 })
        })
        .collect();
    rows.iter()
        .map(|row| {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (c, &w))| match i == 0 || text.contains(&i) {
                    true => format!("{c:<w$}"),
                    false => format!("{c:>w$}"),
                })
                .collect();
            format!("  {}", cells.join("  ").trim_end())
        })
        .collect()
}
