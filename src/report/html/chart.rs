//! Bar charts as inline SVG, one panel per scale: a zero baseline, "nice" ticks with gridlines,
//! axis titles, a legend, and the values written on the bars when there is room (the page also
//! has a table with every value, so nothing needs hovering). No scripts.

use super::escape;
use chrono::NaiveDate;
use std::fmt::Write;

pub struct Series {
    pub name: String,
    pub color: &'static str,
    pub values: Vec<f64>,
}

pub struct BarChart<'a> {
    /// For screen readers and the browser check.
    pub label: String,
    pub y_title: String,
    pub x_title: String,
    pub days: &'a [NaiveDate],
    pub series: Vec<Series>,
    /// Tick and bar labels: counts, or money in major units.
    pub format: fn(f64) -> String,
    /// Counts: ticks are whole numbers.
    pub whole: bool,
}

const W: f64 = 720.0;
const H: f64 = 270.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 34.0;
const BOTTOM: f64 = 46.0;
const PW: f64 = W - LEFT - RIGHT;
const PH: f64 = H - TOP - BOTTOM;

/// A step of 1, 2 or 5 × 10ⁿ giving four or five ticks, and the top of the scale.
pub fn ticks(max: f64, whole: bool) -> (f64, f64) {
    let max = if max > 0.0 { max } else { 1.0 };
    let raw = max / 4.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let step = if whole { step.max(1.0).round() } else { step };
    (step, (max / step).ceil() * step)
}

impl BarChart<'_> {
    pub fn render(&self, h: &mut String) {
        let max = self
            .series
            .iter()
            .flat_map(|s| s.values.iter().copied())
            .fold(0.0, f64::max);
        let (step, top) = ticks(max, self.whole);
        let _ = writeln!(
            h,
            "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}\">",
            escape(&self.label)
        );
        self.axes(h, step, top);
        self.bars(h, top);
        self.legend(h);
        h.push_str("</svg>\n");
    }

    fn y(v: f64, top: f64) -> f64 {
        TOP + PH - PH * v / top
    }

    fn axes(&self, h: &mut String, step: f64, top: f64) {
        let mut t = 0.0;
        while t <= top + step / 2.0 {
            let y = Self::y(t, top);
            let class = if t == 0.0 { "baseline" } else { "grid" };
            let _ = writeln!(
                h,
                "<line class=\"{class}\" x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{}\" y2=\"{y:.1}\"/>\
                 <text class=\"tick\" x=\"{}\" y=\"{y:.1}\" dy=\"0.32em\" text-anchor=\"end\">{}</text>",
                LEFT + PW,
                LEFT - 6.0,
                escape(&(self.format)(t))
            );
            t += step;
        }
        let slot = PW / self.days.len().max(1) as f64;
        let every = (45.0 / slot).ceil().max(1.0) as usize;
        for (i, day) in self.days.iter().enumerate().filter(|(i, _)| i % every == 0) {
            let x = LEFT + slot * (i as f64 + 0.5);
            let _ = writeln!(
                h,
                "<line class=\"baseline\" x1=\"{x:.1}\" y1=\"{0}\" x2=\"{x:.1}\" y2=\"{1}\"/>\
                 <text class=\"tick\" x=\"{x:.1}\" y=\"{2}\" text-anchor=\"middle\">{3}</text>",
                TOP + PH,
                TOP + PH + 4.0,
                TOP + PH + 16.0,
                day.format("%-d %b")
            );
        }
        let _ = writeln!(
            h,
            "<text class=\"axis-title\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\
             <text class=\"axis-title\" transform=\"rotate(-90)\" x=\"{}\" y=\"14\" text-anchor=\"middle\">{}</text>",
            LEFT + PW / 2.0,
            H - 6.0,
            escape(&self.x_title),
            -(TOP + PH / 2.0),
            escape(&self.y_title)
        );
    }

    fn bars(&self, h: &mut String, top: f64) {
        let n = self.series.len().max(1) as f64;
        let slot = PW / self.days.len().max(1) as f64;
        let bar = (slot * 0.8 / n).min(36.0);
        let labelled = bar >= 22.0;
        for (i, day) in self.days.iter().enumerate() {
            let start = LEFT + slot * (i as f64 + 0.5) - bar * n / 2.0;
            for (k, s) in self.series.iter().enumerate() {
                let v = s.values[i];
                let (x, y) = (start + bar * k as f64, Self::y(v, top));
                let text = (self.format)(v);
                let _ = writeln!(
                    h,
                    "<rect class=\"bar\" data-value=\"{v}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{day}: {} {}</title></rect>",
                    bar - 1.0,
                    TOP + PH - y,
                    s.color,
                    escape(&text),
                    escape(&s.name)
                );
                if labelled {
                    let _ = writeln!(
                        h,
                        "<text class=\"value\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                        x + (bar - 1.0) / 2.0,
                        y - 4.0,
                        escape(&short(v, self.format))
                    );
                }
            }
        }
    }

    fn legend(&self, h: &mut String) {
        let mut x = LEFT;
        for s in &self.series {
            let _ = writeln!(
                h,
                "<rect x=\"{x:.1}\" y=\"8\" width=\"12\" height=\"12\" fill=\"{}\"/>\
                 <text class=\"legend\" x=\"{:.1}\" y=\"18\">{}</text>",
                s.color,
                x + 17.0,
                escape(&s.name)
            );
            x += 30.0 + 7.0 * s.name.chars().count() as f64;
        }
    }
}

/// Whole numbers with thousands separators: tick and bar labels of counts.
pub fn count_label(v: f64) -> String {
    crate::model::grouped(&format!("{v:.0}"))
}

/// Money in major units on an axis: whole units with separators, or cents for small scales.
pub fn money_label(v: f64) -> String {
    if v != 0.0 && v.abs() < 10.0 {
        format!("{v:.2}")
    } else {
        count_label(v)
    }
}

/// A bar's label where space is short: 660,290 → "660k", 1,260,000 → "1.3M".
fn short(v: f64, format: fn(f64) -> String) -> String {
    match v.abs() {
        a if a >= 1e6 => format!("{:.1}M", v / 1e6),
        a if a >= 1e4 => format!("{:.0}k", v / 1e3),
        _ => format(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_maximum() {
        assert_eq!(ticks(175.0, true), (50.0, 200.0));
        assert_eq!(ticks(3.0, true), (1.0, 3.0));
        assert_eq!(ticks(0.0, true), (1.0, 1.0));
        assert_eq!(ticks(660_290.0, false), (200_000.0, 800_000.0));
        assert_eq!(ticks(0.18, false).1, 0.2);
        assert_eq!(short(660_290.0, money_label), "660k");
        assert_eq!(short(1_260_000.0, money_label), "1.3M");
        assert_eq!(short(9_999.0, count_label), "9,999");
    }
}
