//! The report as one self-contained HTML page: inline CSS, no scripts, no external assets, an inline
//! SVG chart per currency (messages and recoveries as bars, revenue as a line on its own scale), so
//! it can be mailed or opened from disk with `xdg-open report.html` / `open report.html`.

use super::figures::{Block, Report, grouped};
use super::render::{lines, period, warnings};
use crate::model::Money;
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

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:60em;color:#222}\
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right}\
td:first-child,th:first-child{text-align:left}.warn{color:#a40}svg{max-width:100%;height:auto}\
.legend span{margin-right:1.5em}";

pub fn render(r: &Report, roi: bool) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>cartnudge report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
    );
    let _ = writeln!(h, "<h1>cartnudge report</h1>");
    let _ = writeln!(
        h,
        "<p>{} &middot; days in {} &middot; {} send runs, {} carts considered</p>",
        escape(&period(r)),
        escape(r.timezone.name()),
        r.runs,
        r.carts_considered
    );
    if r.blocks.is_empty() {
        let _ = writeln!(h, "<p>No reminders in this period.</p>");
    }
    for b in &r.blocks {
        block(&mut h, b, roi, r.margin_bp);
    }
    if !r.skip_reasons.is_empty() {
        let _ = writeln!(
            h,
            "<h2>Why carts were not messaged</h2>\n<table>\n<tr><th>reason</th><th>count (per run)</th></tr>"
        );
        let mut reasons: Vec<_> = r.skip_reasons.iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (k, v) in reasons {
            let _ = writeln!(h, "<tr><td>{}</td><td>{v}</td></tr>", escape(k));
        }
        let _ = writeln!(h, "</table>");
    }
    h.push_str("</body>\n</html>\n");
    h
}

fn block(h: &mut String, b: &Block, roi: bool, margin_bp: Option<i64>) {
    let c = b.currency;
    let _ = writeln!(h, "<h2>{c}</h2>\n<table>");
    for (k, v) in lines(&b.total, c, roi, margin_bp) {
        let _ = writeln!(h, "<tr><td>{}</td><td>{}</td></tr>", escape(&k), escape(&v));
    }
    let _ = writeln!(h, "</table>");
    for w in warnings(&b.total, c) {
        let _ = writeln!(h, "<p class=\"warn\">{}</p>", escape(&w));
    }
    if !b.groups.is_empty() {
        let mut head = vec!["group", "sent", "delivered", "failed", "unknown", "cost"];
        if roi {
            head.extend(["recovered", "revenue", "ROI"]);
        }
        let head: String = head.iter().map(|t| format!("<th>{t}</th>")).collect();
        let _ = writeln!(h, "<table>\n<tr>{head}</tr>");
        for g in &b.groups {
            let cost = g
                .cost()
                .map(|p| format!("{} {}", grouped(&p.decimal_string()), p.currency))
                .unwrap_or_else(|| "n/a".into());
            let mut cells = vec![
                g.key.clone(),
                g.sent.to_string(),
                g.delivered.to_string(),
                g.failed.to_string(),
                g.unknown.to_string(),
                cost,
            ];
            if roi {
                cells.extend([
                    g.recovered_orders.to_string(),
                    grouped(&g.revenue(c).decimal_string()),
                    g.roi(c)
                        .map(|x| format!("{x:.2}"))
                        .unwrap_or_else(|| "n/a".into()),
                ]);
            }
            let row: String = cells
                .iter()
                .map(|v| format!("<td>{}</td>", escape(v)))
                .collect();
            let _ = writeln!(h, "<tr>{row}</tr>");
        }
        let _ = writeln!(h, "</table>");
    }
    if !b.daily.is_empty() {
        chart(h, b);
    }
}

/// Messages and recoveries per day as bars (left scale), revenue as a line (right scale).
fn chart(h: &mut String, b: &Block) {
    const W: f64 = 720.0;
    const H: f64 = 260.0;
    const LEFT: f64 = 50.0;
    const RIGHT: f64 = 110.0;
    const TOP: f64 = 20.0;
    const BOTTOM: f64 = 40.0;
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let max_count = b
        .daily
        .iter()
        .map(|d| d.1.max(d.2))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let max_rev = b.daily.iter().map(|d| d.3).max().unwrap_or(0).max(1) as f64;
    let n = b.daily.len() as f64;
    let slot = pw / n;
    // Bars stay bar-shaped when there are only a few days.
    let bar = (slot * 0.35).clamp(1.0, 28.0);
    let _ = writeln!(
        h,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" role=\"img\" aria-label=\"messages, recoveries and revenue per day\">"
    );
    let _ = writeln!(
        h,
        "<line x1=\"{LEFT}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#888\"/>",
        TOP + ph,
        LEFT + pw,
        TOP + ph
    );
    let _ = writeln!(
        h,
        "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text>",
        LEFT - 4.0,
        TOP + 4.0,
        max_count as u64
    );
    let top_rev = escape(&grouped(
        &Money::new(max_rev as i64, b.currency).decimal_string(),
    ));
    let _ = writeln!(
        h,
        "<text x=\"{}\" y=\"{}\" font-size=\"11\">{top_rev} {}</text>",
        LEFT + pw + 4.0,
        TOP + 4.0,
        b.currency
    );
    let mut points = Vec::new();
    let every = (b.daily.len() / 10).max(1);
    for (i, (day, sent, rec, rev)) in b.daily.iter().enumerate() {
        let x = LEFT + slot * i as f64 + slot / 2.0;
        let hs = ph * *sent as f64 / max_count;
        let hr = ph * *rec as f64 / max_count;
        let _ = writeln!(
            h,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{hs:.1}\" fill=\"#7aa6d8\"><title>{day}: {sent} sent</title></rect>",
            x - bar,
            TOP + ph - hs
        );
        let _ = writeln!(
            h,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{hr:.1}\" fill=\"#5cb85c\"><title>{day}: {rec} recovered</title></rect>",
            TOP + ph - hr
        );
        let y = TOP + ph - ph * *rev as f64 / max_rev;
        points.push(format!("{x:.1},{y:.1}"));
        // A marker per day, so a single day's revenue is visible too.
        let _ = writeln!(
            h,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3.5\" fill=\"#d9534f\"><title>{day}: {} {} recovered</title></circle>",
            escape(&grouped(&Money::new(*rev, b.currency).decimal_string())),
            b.currency
        );
        if i % every == 0 {
            let _ = writeln!(
                h,
                "<text x=\"{x:.1}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\">{}</text>",
                TOP + ph + 14.0,
                day.format("%m-%d")
            );
        }
    }
    let _ = writeln!(
        h,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"#d9534f\" stroke-width=\"2\"/>",
        points.join(" ")
    );
    let _ = writeln!(h, "</svg>");
    let _ = writeln!(
        h,
        "<p class=\"legend\"><span style=\"color:#7aa6d8\">&#9632; messages</span><span style=\"color:#5cb85c\">&#9632; recovered orders</span><span style=\"color:#d9534f\">&#9644; recovered revenue ({})</span></p>",
        b.currency
    );
}
