//! The preview table (`--format table`) at the width it must fit: fixed columns, the cart id never
//! shortened (it is what `--explain` takes), and the DETAIL / MESSAGE column cut with `…`.
//!
//! Widths are display widths (a CJK character or an emoji takes two columns), and a cut never
//! splits a grapheme (a flag, an emoji with a modifier). A terminal too narrow for every column
//! drops the least needed ones first: the local time, then the phone, then the segments, then the
//! separate decision (the reason, or the decision when there is none, fills one column).

use super::Line;
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

/// The cart column's width; a longer id is printed whole and shifts the rest of its row.
const CART: usize = 16;
/// The least of the detail a row keeps however narrow the terminal (that row is then wider).
const MIN_DETAIL: usize = 20;
/// Between the last fixed column and the detail.
const GAP: &str = "  ";
const DETAIL_HEADER: &str = "DETAIL / MESSAGE";

/// The columns between CART and DETAIL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Col {
    Decision,
    Reason,
    /// The reason, or the decision when there is none (`would_send`): the narrowest layout.
    Outcome,
    Phone,
    Time,
    Seg,
}

impl Col {
    fn header(self) -> &'static str {
        match self {
            Col::Decision => "DECISION",
            Col::Reason => "REASON",
            Col::Outcome => "DECISION/REASON",
            Col::Phone => "PHONE",
            Col::Time => "LOCAL TIME",
            Col::Seg => "SEG",
        }
    }

    fn width(self) -> usize {
        match self {
            Col::Decision => 10,
            Col::Reason | Col::Outcome | Col::Phone => 16,
            Col::Time => 25,
            Col::Seg => 3,
        }
    }

    fn value(self, line: &Line) -> String {
        let dash = || "-".to_string();
        match self {
            Col::Decision => line.decision.as_str().to_string(),
            Col::Reason => line.reason_text().unwrap_or_else(dash),
            Col::Outcome => line
                .reason_text()
                .unwrap_or_else(|| line.decision.as_str().to_string()),
            Col::Phone => line.phone_e164.clone().unwrap_or_else(dash),
            Col::Time => clip(&table_time(line), 25),
            Col::Seg => line.segments.map(|s| s.to_string()).unwrap_or_else(dash),
        }
    }
}

/// Every layout, widest first; the first whose fixed columns leave `MIN_DETAIL` is used.
const LAYOUTS: &[&[Col]] = &[
    &[Col::Decision, Col::Reason, Col::Phone, Col::Time, Col::Seg],
    &[Col::Decision, Col::Reason, Col::Phone, Col::Seg],
    &[Col::Decision, Col::Reason, Col::Seg],
    &[Col::Decision, Col::Reason],
    &[Col::Outcome],
];

/// The table's layout for one width: `None` (a pipe or a file) keeps every column and cuts nothing.
pub struct Table {
    width: Option<usize>,
    cols: &'static [Col],
}

impl Table {
    pub fn new(width: Option<usize>) -> Table {
        let fits = |cols: &&&[Col]| width.is_none_or(|w| fixed_width(cols) + MIN_DETAIL <= w);
        let cols = LAYOUTS
            .iter()
            .find(fits)
            .unwrap_or(&LAYOUTS[LAYOUTS.len() - 1]);
        Table { width, cols }
    }

    pub fn header(&self) -> String {
        let cells: Vec<String> = self.cols.iter().map(|c| c.header().to_string()).collect();
        self.render("CART", &cells, DETAIL_HEADER)
    }

    pub fn row(&self, line: &Line) -> String {
        let cells: Vec<String> = self.cols.iter().map(|c| c.value(line)).collect();
        // One line per cart, and a tab or carriage return would defeat the width count.
        let text: String = (line.message.as_deref().unwrap_or(&line.detail))
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        self.render(&line.cart_id, &cells, &text)
    }

    fn render(&self, cart: &str, cells: &[String], detail: &str) -> String {
        let mut s = pad(cart, CART, false);
        for (col, cell) in self.cols.iter().zip(cells) {
            s.push(' ');
            s.push_str(&pad(cell, col.width(), *col == Col::Seg));
        }
        s.push_str(GAP);
        match self.width {
            None => s.push_str(detail),
            Some(w) => {
                let room = w.saturating_sub(s.width()).max(MIN_DETAIL);
                s.push_str(&clip(detail, room));
            }
        }
        s
    }
}

/// The fixed columns' width with an id that fits its column, the gap before the detail included.
fn fixed_width(cols: &[Col]) -> usize {
    CART + cols.iter().map(|c| 1 + c.width()).sum::<usize>() + GAP.len()
}

/// `s` padded with spaces to `w` display columns (on the left when `right`); never shortened.
fn pad(s: &str, w: usize, right: bool) -> String {
    let fill = " ".repeat(w.saturating_sub(s.width()));
    if right {
        format!("{fill}{s}")
    } else {
        format!("{s}{fill}")
    }
}

/// At most `n` display columns of `s`, ending with `…` when cut; graphemes are kept whole.
fn clip(s: &str, n: usize) -> String {
    if s.width() <= n {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for g in s.graphemes(true) {
        let gw = g.width();
        if used + gw + 1 > n {
            break;
        }
        out.push_str(g);
        used += gw;
    }
    out.push('…');
    out
}

/// The local time for the table: RFC 3339 for one zone; "05:46..13:46 US:*" for every zone of a
/// country, which is too long to show whole.
fn table_time(line: &Line) -> String {
    match (&line.local_time, &line.zone) {
        (None, _) => "-".into(),
        (Some(t @ crate::model::LocalTime::Range(..)), Some(zone)) => {
            format!("{} {zone}", t.short())
        }
        (Some(t), _) => t.to_string(),
    }
}

/// The width the table must fit: `COLUMNS` when it is a positive number, else the terminal's when
/// stdout is one; `None` for a pipe or a file, so scripts get whole lines.
pub fn width() -> Option<usize> {
    width_from(std::env::var("COLUMNS").ok().as_deref(), || {
        console::Term::stdout()
            .size_checked()
            .map(|(_rows, cols)| usize::from(cols))
    })
}

fn width_from(columns: Option<&str>, terminal: impl FnOnce() -> Option<usize>) -> Option<usize> {
    columns
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .or_else(terminal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Decision, LocalTime, Reason};

    const LONG_ID: &str = "cart-0123456789-abcdefghij-0123456789-xy"; // 40 characters

    fn line(cart_id: &str, decision: Decision, reason: Option<Reason>, detail: &str) -> Line {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-22T15:00:00+03:00").unwrap();
        Line {
            cart_id: cart_id.into(),
            customer_id: String::new(),
            decision,
            reason,
            gateway_code: None,
            detail: detail.into(),
            phone_e164: Some("+79123456789".into()),
            phone_raw: "+79123456789".into(),
            zone: Some("Europe/Moscow".into()),
            local_time: Some(LocalTime::At(at)),
            encoding: Some("GSM-7"),
            segments: Some(2),
            est_cost: None,
            message: None,
            cart_total: "5000.00".into(),
            cart_currency: "RUB".into(),
            consent_at: String::new(),
            provider_id: None,
        }
    }

    fn lines() -> Vec<Line> {
        let long = "last activity 2026-11-23T07:24:01Z; eligible from 2026-11-23T08:24:01Z, \
                    which is a long way of saying: not yet";
        let mut send = line("c-1", Decision::WouldSend, None, "");
        send.message = Some(format!(
            "Anna, your cart is waiting: https://s.example/c/{}",
            "x".repeat(90)
        ));
        vec![
            send,
            line("c-2", Decision::Deferred, Some(Reason::TooFresh), long),
            line(
                "c-3",
                Decision::Skipped,
                Some(Reason::NoConsent),
                "no explicit SMS consent",
            ),
            line(LONG_ID, Decision::Deferred, Some(Reason::QuietHours), long),
        ]
    }

    fn printed(width: Option<usize>) -> Vec<String> {
        let t = Table::new(width);
        let mut out = vec![t.header()];
        out.extend(lines().iter().map(|l| t.row(l)));
        out
    }

    /// The columns a row's cart id takes beyond its own column.
    fn id_excess(row: &str) -> usize {
        row.split(' ').next().unwrap().width().saturating_sub(CART)
    }

    #[test]
    fn at_80_columns_only_a_long_cart_id_makes_a_line_longer() {
        let rows = printed(Some(80));
        for row in &rows {
            assert!(
                row.width() <= 80 + id_excess(row),
                "{} columns: {row}",
                row.width()
            );
            if id_excess(row) == 0 {
                assert!(row.width() <= 80, "{row}");
            }
        }
        assert!(
            rows[2].ends_with('…'),
            "the long detail is cut: {}",
            rows[2]
        );
        assert!(
            rows[0].starts_with("CART             DECISION   REASON"),
            "{}",
            rows[0]
        );
    }

    #[test]
    fn every_width_fits_or_keeps_the_least_detail() {
        for w in 1..=200 {
            for row in printed(Some(w)) {
                let fixed = fixed_width(Table::new(Some(w)).cols) + id_excess(&row);
                assert!(row.width() <= w.max(fixed + MIN_DETAIL), "width {w}: {row}");
                if row.ends_with('…') {
                    assert!(row.width() - fixed >= MIN_DETAIL, "width {w}: {row}");
                }
            }
        }
    }

    #[test]
    fn a_40_character_cart_id_is_printed_whole_at_any_width() {
        for w in [
            None,
            Some(10),
            Some(40),
            Some(60),
            Some(80),
            Some(120),
            Some(300),
        ] {
            let row = printed(w).pop().unwrap();
            assert!(row.starts_with(&format!("{LONG_ID} ")), "{w:?}: {row}");
        }
    }

    #[test]
    fn without_a_width_nothing_is_cut() {
        let rows = printed(None);
        for (row, l) in rows[1..].iter().zip(lines()) {
            let text = l.message.unwrap_or(l.detail);
            assert!(row.ends_with(&format!("  {text}")), "{row}");
        }
        assert_eq!(
            rows[0],
            "CART             DECISION   REASON           PHONE            LOCAL TIME                SEG  DETAIL / MESSAGE"
        );
        assert!(rows[3].starts_with("c-3              skipped    no_consent       +79123456789     2026-11-22T15:00:00+03:00   2  no"));
    }

    #[test]
    fn narrower_terminals_drop_columns_in_order() {
        let header = |w| Table::new(Some(w)).header();
        assert!(header(200).contains("LOCAL TIME"));
        assert!(!header(100).contains("LOCAL TIME") && header(100).contains("PHONE"));
        assert!(!header(80).contains("PHONE") && header(80).contains("SEG"));
        assert!(!header(66).contains("SEG") && header(66).contains("REASON"));
        assert!(header(60).contains("DECISION/REASON"));
        let row = Table::new(Some(60)).row(&lines()[0]);
        assert!(row.starts_with("c-1              would_send"), "{row}");
    }

    #[test]
    fn wide_characters_count_double_and_graphemes_stay_whole() {
        assert_eq!(clip("日本語のテキスト", 7), "日本語…");
        assert_eq!(clip("🇫🇷🇫🇷🇫🇷", 5), "🇫🇷🇫🇷…");
        assert_eq!(clip("short", 5), "short");
        let mut l = line("c-9", Decision::WouldSend, None, "");
        l.message = Some("カートに商品が残っています。".repeat(5));
        let row = Table::new(Some(80)).row(&l);
        assert!(row.width() <= 80, "{} columns: {row}", row.width());
        l.message = Some("Anna,\tyour cart\r\nis waiting".into());
        assert!(
            Table::new(None)
                .row(&l)
                .ends_with("  Anna, your cart  is waiting")
        );
    }

    #[test]
    fn columns_comes_first_then_the_terminal() {
        assert_eq!(width_from(Some("60"), || Some(120)), Some(60));
        assert_eq!(width_from(None, || Some(120)), Some(120));
        assert_eq!(width_from(Some("0"), || None), None);
        assert_eq!(width_from(Some("wide"), || Some(90)), Some(90));
        assert_eq!(width_from(None, || None), None);
    }
}
