//! The report as one self-contained HTML page: inline CSS and SVG, no scripts, nothing fetched, so
//! it can be mailed, opened from disk (`xdg-open report.html`) or printed to PDF. Per currency: a
//! headline, the figures and the holdout side by side, warnings, the `--by` groups, a chart panel
//! per scale (texts and orders; revenue) and a table of the same daily values.

mod chart;
mod style;

use super::convert;
use super::human::{self, count};
use super::lines::{self, headline};
use super::skips::Basis;
use super::summary::{Block, Report};
use super::table::{OUTSIDE_WINDOW, group_rows, sorted, subtitle, title, waiting};
use super::trust::{self, revenue_measured};
use crate::model::{Money, Price};
use chart::{BarChart, Series};
use chrono::NaiveDate;
use std::fmt::Write;

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub fn render(r: &Report, roi: bool) -> String {
    let title = escape(&title(r));
    let mut h = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>\n{}</style>\n</head>\n<body>\n\
         <header>\n<h1>{title}</h1>\n<p class=\"sub\">{} · made by cartnudge</p>\n</header>\n",
        style::CSS,
        escape(&subtitle(r))
    );
    if roi {
        warnings(&mut h, &trust::report_warnings(r));
    }
    if r.blocks.is_empty() {
        h.push_str("<p>No reminders in this period.</p>\n");
    }
    for b in &r.blocks {
        block(&mut h, b, r, roi);
    }
    converted(&mut h, r, roi);
    not_messaged(&mut h, r);
    h.push_str("</body>\n</html>\n");
    h
}

fn warnings(h: &mut String, list: &[String]) {
    if list.is_empty() {
        return;
    }
    h.push_str("<ul class=\"warn\">\n");
    for w in list {
        let _ = writeln!(h, "<li>{}</li>", escape(w));
    }
    h.push_str("</ul>\n");
}

/// A table from rows of cells; the first row is the header when `head` is set.
fn table(h: &mut String, class: &str, caption: Option<&str>, rows: &[Vec<String>], head: bool) {
    let _ = writeln!(h, "<table class=\"{class}\">");
    if let Some(c) = caption {
        let _ = writeln!(h, "<caption>{}</caption>", escape(c));
    }
    for (i, row) in rows.iter().enumerate() {
        let tag = if head && i == 0 { "th" } else { "td" };
        let cells: String = row
            .iter()
            .map(|c| format!("<{tag}>{}</{tag}>", escape(c)))
            .collect();
        let _ = writeln!(h, "<tr>{cells}</tr>");
    }
    h.push_str("</table>\n");
}

fn pairs(v: Vec<(String, String)>) -> Vec<Vec<String>> {
    v.into_iter().map(|(k, v)| vec![k, v]).collect()
}

fn block(h: &mut String, b: &Block, r: &Report, roi: bool) {
    let (f, c) = (&b.total, b.currency);
    let _ = writeln!(
        h,
        "<section class=\"currency\" id=\"cur-{c}\">\n<h2>{c}</h2>\n<p class=\"headline\">{}</p>\n<div class=\"cols\">",
        escape(&headline(f, c, &r.ctx, roi))
    );
    table(
        h,
        "figures",
        Some("Figures"),
        &pairs(lines::lines(f, c, &r.ctx, roi)),
        false,
    );
    if roi
        && revenue_measured(&r.ctx)
        && let Some((rows, lift)) = lines::holdout(f, c)
    {
        let mut grid = vec![vec![String::new(), "reminded".into(), "holdout".into()]];
        grid.extend(rows.into_iter().map(|r| r.to_vec()));
        h.push_str("<div>\n");
        table(h, "holdout", Some("Holdout vs reminded"), &grid, true);
        table(h, "lift", None, &pairs(lift), false);
        h.push_str("</div>\n");
    }
    h.push_str("</div>\n");
    warnings(h, &trust::warnings(f, c, &r.ctx, roi));
    if !b.groups.is_empty() {
        table(h, "groups", Some("By group"), &group_rows(b, r, roi), true);
    }
    if !b.daily.is_empty() {
        daily(h, b, r, roi);
    }
    h.push_str("</section>\n");
}

/// The chart panels and the table of their values.
fn daily(h: &mut String, b: &Block, r: &Report, roi: bool) {
    let days: Vec<_> = b.daily.iter().map(|d| d.date).collect();
    let x_title = format!("day ({})", r.ctx.timezone.name());
    counts_panel(h, b, &days, &x_title, roi);
    if roi && revenue_measured(&r.ctx) {
        revenue_panel(h, b, &days, &x_title);
    }
    daily_table(h, b, roi);
}

fn panel(h: &mut String, chart: BarChart<'_>) {
    let _ = writeln!(
        h,
        "<figure class=\"panel\">\n<figcaption>{}</figcaption>",
        escape(&chart.label)
    );
    chart.render(h);
    h.push_str("</figure>\n");
}

/// Texts (and recovered orders) per day, on a count scale.
fn counts_panel(h: &mut String, b: &Block, days: &[NaiveDate], x_title: &str, roi: bool) {
    let mut series = vec![Series {
        name: "texts".into(),
        color: "#4e79a7",
        values: b.daily.iter().map(|d| d.messages as f64).collect(),
    }];
    if roi {
        series.push(Series {
            name: "recovered orders".into(),
            color: "#59a14f",
            values: b.daily.iter().map(|d| d.recovered as f64).collect(),
        });
    }
    let (label, y_title) = match roi {
        true => ("Texts and recovered orders per day", "texts / orders"),
        false => ("Texts per day", "texts"),
    };
    panel(
        h,
        BarChart {
            label: label.into(),
            y_title: y_title.into(),
            x_title: x_title.into(),
            days,
            series,
            format: chart::count_label,
            whole: true,
        },
    );
}

/// Recovered revenue per day, on its own money scale.
fn revenue_panel(h: &mut String, b: &Block, days: &[NaiveDate], x_title: &str) {
    let c = b.currency;
    let major = |minor: i64| Price::from_money(Money::new(minor, c)).micros as f64 / 1e6;
    panel(
        h,
        BarChart {
            label: format!("Recovered revenue per day ({c})"),
            y_title: format!("revenue ({c})"),
            x_title: x_title.into(),
            days,
            series: vec![Series {
                name: "recovered revenue".into(),
                color: "#e15759",
                values: b.daily.iter().map(|d| major(d.revenue)).collect(),
            }],
            format: chart::money_label,
            whole: false,
        },
    );
}

fn daily_table(h: &mut String, b: &Block, roi: bool) {
    let mut head = vec!["day".to_string(), "texts".into()];
    if roi {
        head.extend([
            "recovered orders".into(),
            format!("recovered revenue ({})", b.currency),
        ]);
    }
    let mut rows = vec![head];
    for d in &b.daily {
        let mut row = vec![d.date.format("%a %-d %b %Y").to_string(), count(d.messages)];
        if roi {
            let m = human::money(Money::new(d.revenue, b.currency));
            row.extend([
                count(d.recovered),
                m.trim_end_matches(b.currency.code()).trim().into(),
            ]);
        }
        rows.push(row);
    }
    table(h, "daily", Some("Per day"), &rows, true);
}

fn converted(h: &mut String, r: &Report, roi: bool) {
    let Some(t) = convert::total(r) else {
        return;
    };
    let _ = writeln!(
        h,
        "<section class=\"converted\">\n<h2>{}</h2>\n<p class=\"note\">{}</p>",
        escape(&t.heading()),
        escape(&t.rates_note())
    );
    table(h, "figures", None, &pairs(t.lines(roi)), false);
    warnings(h, &t.warning().into_iter().collect::<Vec<_>>());
    h.push_str("</section>\n");
}

fn not_messaged(h: &mut String, r: &Report) {
    let n = &r.not_messaged;
    if n.counts.is_empty() && n.outside_window.is_empty() {
        return;
    }
    let (unit, note) = match &n.basis {
        Basis::DistinctCarts => (
            "carts".to_string(),
            "Each cart counts once, under the last reason it got in the period.".to_string(),
        ),
        Basis::CartRuns(why) => (
            "cart-runs".into(),
            format!(
                "Cart-runs: a cart is counted once per send run, not once in all; not distinct carts because {why}."
            ),
        ),
    };
    let _ = writeln!(
        h,
        "<section class=\"skips\">\n<h2>Why carts were not messaged</h2>\n<p class=\"note\">{}</p>",
        escape(&note)
    );
    let mut rows = vec![vec!["reason".to_string(), unit, String::new()]];
    rows.extend(
        sorted(&n.counts)
            .into_iter()
            .map(|(k, v)| vec![k.clone(), count(*v), waiting(k).into()]),
    );
    for (k, v) in sorted(&n.outside_window) {
        rows.push(vec![k.clone(), count(*v), "cart-runs*".into()]);
    }
    table(h, "reasons", None, &rows, true);
    if !n.outside_window.is_empty() {
        let _ = writeln!(h, "<p class=\"note\">* {}</p>", escape(OUTSIDE_WINDOW));
    }
    h.push_str("</section>\n");
}
