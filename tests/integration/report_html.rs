//! `report --format html`: one well-formed, self-contained page whose title names the shop and the
//! period, with the holdout beside the reminded carts and a chart panel per scale (zero baseline,
//! gridlines, axis titles) over a table of the same values. `scripts/browser-check.sh` opens it in
//! a real browser.

use super::reconcile::{NOW, ledger_fixture, reconcile};
use crate::util::Env;

fn reconciled() -> Env {
    let env = ledger_fixture();
    reconcile(&env).expect_code(0);
    env
}

fn report(env: &Env, extra: &[&str]) -> crate::util::Run {
    let mut args = vec![
        "--now",
        NOW,
        "report",
        "--roi",
        "--since",
        "2026-11-01",
        "--until",
        "2026-11-30",
    ];
    args.extend_from_slice(extra);
    let run = env.run(&args);
    run.expect_code(0);
    run
}

/// Start tags and end tags nest; void elements and `/>` need no end tag.
fn check_well_formed(html: &str) -> Result<usize, String> {
    const VOID: &[&str] = &["meta", "br", "hr", "img", "input", "link", "col", "wbr"];
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    let mut tags = 0;
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').ok_or("unclosed `<`")? + start;
        let tag = &rest[start + 1..end];
        rest = &rest[end + 1..];
        if tag.starts_with('!') {
            continue;
        }
        tags += 1;
        if let Some(name) = tag.strip_prefix('/') {
            match stack.pop() {
                Some(open) if open == name.trim() => {}
                other => return Err(format!("</{name}> closes {other:?}")),
            }
            continue;
        }
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if name.is_empty() {
            return Err(format!("bad tag <{tag}>"));
        }
        if !tag.ends_with('/') && !VOID.contains(&name.as_str()) {
            stack.push(name);
        }
    }
    if stack.is_empty() {
        Ok(tags)
    } else {
        Err(format!("unclosed: {stack:?}"))
    }
}

#[test]
fn html_is_well_formed_self_contained_and_has_the_figures() {
    let env = reconciled();
    let run = report(
        &env,
        &["--format", "html", "--output", "report.html", "--by", "day"],
    );
    assert!(run.stdout().is_empty());
    let html = env.read("report.html");
    let tags = check_well_formed(&html).unwrap_or_else(|e| panic!("{e}\n{html}"));
    assert!(tags > 50);
    assert!(
        check_well_formed("<p><b>x</p></b>").is_err(),
        "the checker catches misnesting"
    );
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(
        html.contains("<title>Test Shop: SMS reminders, 1–30 Nov 2026</title>"),
        "the title names the shop and the period"
    );
    for needle in [
        "<h1>Test Shop: SMS reminders, 1–30 Nov 2026</h1>",
        "250.00 USD recovered from 9 texts that cost 0.17 USD: ROI 148,798%.",
        "1,240.00 RUB",
        "148,798% (revenue 1,489× the cost)",
        "0.17 USD (partly estimated)",
        "<caption>Holdout vs reminded</caption>",
        "<tr><th></th><th>reminded</th><th>holdout</th></tr>",
        "<tr><td>conversion rate</td><td>66.7%</td><td>33.3%</td></tr>",
        "<figcaption>Texts and recovered orders per day</figcaption>",
        "<figcaption>Recovered revenue per day (USD)</figcaption>",
        ">texts / orders</text>",
        ">revenue (USD)</text>",
        ">day (UTC)</text>",
        "<tr><td>Sun 1 Nov 2026</td><td>9</td><td>6</td><td>250.00</td></tr>",
        "quiet_hours",
        "too few carts to tell",
        "@media print",
    ] {
        assert!(html.contains(needle), "missing {needle:?}");
    }
    // Two panels per currency, each with a zero baseline and gridlines; no dual-scale line chart.
    assert_eq!(html.matches("<svg class=\"chart\"").count(), 4);
    assert_eq!(html.matches("class=\"baseline\" x1=\"70\"").count(), 4);
    assert!(html.contains("class=\"grid\""));
    assert!(!html.contains("<polyline"));
    for external in ["<script", "<link", " src=", "href=", "url(", "@import"] {
        assert!(
            !html.contains(external),
            "external asset or script: {external}"
        );
    }
    assert!(!env.exists("report.tmp-cartnudge"));
}
