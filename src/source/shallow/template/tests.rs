use super::*;
use crate::model::Location;
use crate::source::shallow::Record;

const FIELDS: &[&str] = &[
    "cart_id", "phone", "upper", "total", "consent", "country", "items", "absent", "nested", "none",
];

/// Paths as a first record could have resolved them: names, a name in another case, one absent
/// from the lines, a dotted path, and a field with no path.
fn map() -> PathMap {
    let paths = [
        Some("cart_id"),
        Some("phone"),
        Some("PHONE"),
        Some("total"),
        Some("consent"),
        Some("country"),
        Some("items_count"),
        Some("consent_at"),
        Some("a.b"),
        None,
    ];
    PathMap::from_paths(paths.map(|p| p.map(str::to_string)).to_vec(), FIELDS)
}

fn texts(row: &RawRow) -> Vec<Option<String>> {
    (0..FIELDS.len())
        .map(|i| row.get(i).map(str::to_string))
        .collect()
}

const KEYS: [&str; 8] = [
    "cart_id",
    "phone",
    "total",
    "consent",
    "country",
    "items_count",
    "name",
    "status",
];

const VALUES: [&str; 34] = [
    r#""q1""#,
    r#""""#,
    r#""Ёжик""#,
    r#""+7 912 000-00-00""#,
    r#""US, New York""#,
    r#""RU""#,
    r#""a\"b""#,
    r#""\u00e9""#,
    "\"raw\u{1}ctl\"",
    r#""12.50""#,
    "0",
    "7",
    "-3",
    "-0",
    "007",
    "12.5",
    "1e3",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775808",
    "-9223372036854775809",
    "true",
    "false",
    "null",
    "tru",
    "nul",
    "[1,2]",
    "{\"b\":1}",
    "{}",
    "\"unterminated",
    "-",
    "",
    "x",
    "1.",
];

/// A line with the keys of KEYS in order, values and spacing drawn at random, and now and then
/// a key dropped, added, repeated or moved, or the line damaged.
fn line(next: &mut impl FnMut(u64) -> u64) -> String {
    let mut keys: Vec<&str> = KEYS.to_vec();
    match next(12) {
        0 => {
            keys.remove(next(keys.len() as u64) as usize);
        }
        1 => {
            let extra = ["Phone", "phone", "a.b", "a", "extra", "CART_ID"][next(6) as usize];
            keys.insert(next(keys.len() as u64 + 1) as usize, extra);
        }
        2 => {
            let (i, j) = (next(8) as usize, next(8) as usize);
            keys.swap(i, j);
        }
        _ => {}
    }
    let spaced = |next: &mut dyn FnMut(u64) -> u64, s: &str| match next(300) {
        0 => format!(" {s}"),
        1 => format!("{s} "),
        2 => format!("\t{s}"),
        _ => s.to_string(),
    };
    let mut out = spaced(next, "{");
    for (k, key) in keys.iter().enumerate() {
        if k > 0 {
            out.push_str(&spaced(next, ","));
        }
        out.push_str(&spaced(next, &format!("\"{key}\"")));
        out.push_str(&spaced(next, ":"));
        // Mostly the values an export writes; now and then anything.
        let v = match next(16) {
            0 => VALUES[next(VALUES.len() as u64) as usize],
            _ => VALUES[next(6) as usize],
        };
        out.push_str(v);
    }
    out.push_str(&spaced(next, "}"));
    match next(40) {
        0 => out.push_str(" x"),
        1 => out.push('\n'),
        2 => out.push_str("\r\n"),
        3 => {
            out.pop();
        }
        _ => {}
    }
    out
}

#[test]
fn lines_that_match_give_the_row_that_reading_them_gives() {
    let map = map();
    let mut next = crate::testing::random(0x9e37_79b9_7f4a_7c15u64);
    let (mut matched, mut other) = (0, 0);
    let mut templates = 0;
    let mut template: Option<Template> = None;
    let (mut a, mut b) = (
        RawRow::new(Location::default(), 0),
        RawRow::new(Location::default(), 0),
    );
    for n in 0..60_000 {
        let text = line(&mut next);
        // Learn as the block reader does: first from a line that reads, again when stale.
        if (template.as_ref().is_none_or(Template::stale) || n % 5000 == 0)
            && let Some(t) = Template::learn(&text, &map)
        {
            template = Some(t);
            templates += 1;
        }
        let Some(t) = template.as_mut() else { continue };
        if !t.fill(&text, &map, &mut a) {
            other += 1;
            continue;
        }
        matched += 1;
        let record =
            Record::of_line(&text).unwrap_or_else(|| panic!("matched but does not read: {text}"));
        map.fill(&mut b, &record)
            .unwrap_or_else(|e| panic!("matched but {e}: {text}"));
        assert_eq!(texts(&a), texts(&b), "{text}");
    }
    assert!(
        matched > 10_000 && other > 10_000 && templates > 5,
        "{matched} matched, {other} read otherwise, {templates} templates"
    );
}

#[test]
fn learns_only_flat_objects_with_distinct_keys() {
    let map = map();
    for text in [
        r#"{"cart_id":"q1","phone":"+1"}"#,
        r#" { "cart_id" : "q1" , "phone" : 7 } "#,
        "{}",
        "{\"a\":null}\n",
    ] {
        assert!(Template::learn(text, &map).is_some(), "{text}");
    }
    for text in [
        r#"{"cart_id":"q1","cart_id":"q2"}"#,
        r#"{"cart_id":{"x":1}}"#,
        r#"{"cart_id":"a\"b"}"#,
        r#"{"cart_id":1.5}"#,
        r#"{"cart_id":"q1"} x"#,
        r#"["q1"]"#,
        "",
    ] {
        assert!(Template::learn(text, &map).is_none(), "{text}");
    }
}

#[test]
fn a_line_with_other_keys_or_spacing_does_not_match() {
    let map = map();
    let mut t = Template::learn(r#"{"cart_id":"q1","phone":"+1","country":"RU"}"#, &map).unwrap();
    let mut row = RawRow::new(Location::default(), 0);
    assert!(t.fill(
        r#"{"cart_id":"q2","phone":null,"country":"US, New York"}"#,
        &map,
        &mut row
    ));
    assert_eq!(row.get(0), Some("q2"));
    assert_eq!(row.get(1), None);
    assert_eq!(
        row.get(5),
        Some("US"),
        "the country is normalized as by `fill`"
    );
    for text in [
        r#"{"phone":"+1","cart_id":"q2","country":"RU"}"#,
        r#"{"cart_id":"q2","phone":"+1"}"#,
        r#"{"cart_id":"q2","phone":"+1","country":"RU","x":1}"#,
        r#"{"cart_id": "q2","phone":"+1","country":"RU"}"#,
        r#"{"cart_id":"q\u0032","phone":"+1","country":"RU"}"#,
        r#"{"Cart_id":"q2","phone":"+1","country":"RU"}"#,
    ] {
        assert!(!t.fill(text, &map, &mut row), "{text}");
    }
    assert!(!t.stale());
    for _ in 0..RELEARN {
        t.fill("{}", &map, &mut row);
    }
    assert!(t.stale(), "after {RELEARN} misses in a row");
}

/// The key comparison is `==`: for every length up to 24, equal slices, and slices that differ
/// in any one byte.
#[test]
fn keys_compare_as_slices_do() {
    for n in 0..=24 {
        let a: Vec<u8> = (0..n as u8).map(|i| b'a' + i).collect();
        assert!(same(&a, &a.clone()), "{n}");
        for at in 0..n {
            let mut b = a.clone();
            b[at] ^= 0x20;
            assert!(!same(&a, &b), "length {n}, byte {at}");
        }
    }
}
