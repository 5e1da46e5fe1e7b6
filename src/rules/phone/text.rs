//! The text around a number: where a trailing extension starts (libphonenumber's own extension
//! grammar), so letters in its label (`ext.`, `доб.`) can be told from letters in the number, and
//! Unicode decimal digits.

/// The first code point of every run of ten Unicode decimal digits (general category Nd,
/// Unicode 14): ASCII, Arabic-Indic, Extended Arabic-Indic, Devanagari, …, fullwidth, ….
const DIGIT_ZEROS: [u32; 66] = [
    0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66,
    0xDE6, 0xE50, 0xED0, 0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
    0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
    0x104A0, 0x10D30, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650,
    0x116C0, 0x11730, 0x118E0, 0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x16A60, 0x16AC0, 0x16B50,
    0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E950, 0x1FBF0,
];

/// The value of a decimal digit in any script (`٥` and `５` are 5).
pub fn decimal_digit(c: char) -> Option<u32> {
    let c = u32::from(c);
    let i = DIGIT_ZEROS.partition_point(|&z| z <= c);
    let d = c - DIGIT_ZEROS[i.checked_sub(1)?];
    (d < 10).then_some(d)
}

/// Whether the number has letters outside a trailing extension: `+7 912 34a 67 89`,
/// `1-800-FLOWERS`, `tel. +7 …` do; `+7 912 345 67 89 доб. 5` does not. libphonenumber would read
/// three or more letters as keypad digits and silently drop one or two; cartnudge refuses both.
/// As libphonenumber does, trailing punctuation is dropped before the extension is looked for.
pub fn letters_outside_extension(raw: &str) -> bool {
    if !raw.chars().any(char::is_alphabetic) {
        return false;
    }
    let s = raw
        .trim()
        .trim_end_matches(|c: char| !(c.is_alphanumeric() || c == '#'));
    let chars: Vec<char> = s.chars().collect();
    let body = &chars[..extension_start(&chars).unwrap_or(chars.len())];
    body.iter().any(|c| c.is_alphabetic())
}

/// Where a trailing extension starts, by libphonenumber's extension grammar for parsing
/// (`_EXTN_PATTERN` in the Python port, `extn_patterns_for_parsing` in C++): the leftmost position
/// from which one of its alternatives matches up to the end, case-insensitively.
pub fn extension_start(s: &[char]) -> Option<usize> {
    // Every alternative starts with a separator, `;`, `,` or a label's first letter.
    let may_start = |c: char| {
        " \u{a0}\t,;-#＃~～".contains(c)
            || "exｅｘдaiｉ".contains(c.to_lowercase().next().unwrap_or(c))
    };
    (0..s.len()).find(|&i| may_start(s[i]) && EXTENSION.iter().any(|alt| full_match(alt, &s[i..])))
}

/// One element of an extension alternative.
enum Atom {
    /// `count` characters from a set, `min..=max` of them.
    Set(&'static str, usize, usize),
    /// Decimal digits (any script), 1..=max of them.
    Digits(usize),
    /// Exactly one of these words (compared in lower case).
    Word(&'static [&'static str]),
}

use Atom::{Digits, Set, Word};

const ANY: usize = usize::MAX;
/// `[ \u00A0\t,]*` before a label.
const BEFORE_LABEL: &str = " \u{a0}\t,";
/// `[ \u00A0\t,-]*` after a label (and its optional `[:.．]`).
const AFTER_LABEL: &str = " \u{a0}\t,-";
const LABEL_END: &str = ":.\u{ff0e}";

/// `e?xt(?:ensi(?:o\u0301?|ó))?n?|ｅ?ｘｔｎ?|доб|anexo`, spelled out.
const EXPLICIT_LABELS: &[&str] = &[
    "ext",
    "extn",
    "extensio",
    "extension",
    "extensio\u{301}",
    "extensio\u{301}n",
    "extensió",
    "extensión",
    "xt",
    "xtn",
    "xtensio",
    "xtension",
    "xtensio\u{301}",
    "xtensio\u{301}n",
    "xtensió",
    "xtensión",
    "ｅｘｔ",
    "ｅｘｔｎ",
    "ｘｔ",
    "ｘｔｎ",
    "доб",
    "anexo",
];
/// `[xｘ#＃~～]|int|ｉｎｔ`.
const AMBIGUOUS_LABELS: &[&str] = &["x", "ｘ", "#", "＃", "~", "～", "int", "ｉｎｔ"];

/// The six alternatives of libphonenumber's extension pattern for parsing, in its order.
const EXTENSION: &[&[Atom]] = &[
    // RFC 3966: `;ext=123`.
    &[Word(&[";ext="]), Digits(20)],
    // `ext. 123`, `доб. 5`.
    &[
        Set(BEFORE_LABEL, 0, ANY),
        Word(EXPLICIT_LABELS),
        Set(LABEL_END, 0, 1),
        Set(AFTER_LABEL, 0, ANY),
        Digits(20),
        Set("#", 0, 1),
    ],
    // `x123`, `#12`, `int 8`.
    &[
        Set(BEFORE_LABEL, 0, ANY),
        Word(AMBIGUOUS_LABELS),
        Set(LABEL_END, 0, 1),
        Set(AFTER_LABEL, 0, ANY),
        Digits(9),
        Set("#", 0, 1),
    ],
    // American `- 503#`.
    &[Set("- ", 1, ANY), Digits(6), Set("#", 1, 1)],
    // Auto-dialling `,,123` and `;123`.
    &[
        Set(" \u{a0}\t", 0, ANY),
        Word(&[",,", ";"]),
        Set(LABEL_END, 0, 1),
        Set(AFTER_LABEL, 0, ANY),
        Digits(15),
        Set("#", 0, 1),
    ],
    // `, 44`.
    &[
        Set(" \u{a0}\t", 0, ANY),
        Set(",", 1, ANY),
        Set(LABEL_END, 0, 1),
        Set(AFTER_LABEL, 0, ANY),
        Digits(9),
        Set("#", 0, 1),
    ],
];

/// Whether `atoms` match all of `s` (a tiny backtracking matcher; inputs are a few dozen chars).
fn full_match(atoms: &[Atom], s: &[char]) -> bool {
    let Some((first, rest)) = atoms.split_first() else {
        return s.is_empty();
    };
    let run =
        |max: usize, ok: &dyn Fn(char) -> bool| s.iter().take(max).take_while(|&&c| ok(c)).count();
    match first {
        Set(set, min, max) => {
            let n = run(*max, &|c| set.contains(c));
            (*min..=n).rev().any(|k| full_match(rest, &s[k..]))
        }
        Digits(max) => {
            let n = run(*max, &|c| decimal_digit(c).is_some());
            (1..=n).rev().any(|k| full_match(rest, &s[k..]))
        }
        Word(words) => words.iter().any(|w| {
            let n = w.chars().count();
            s.len() >= n
                && s[..n]
                    .iter()
                    .zip(w.chars())
                    .all(|(&c, w)| same_letter(c, w))
                && full_match(rest, &s[n..])
        }),
    }
}

/// Case-insensitive comparison of one character with a lower-case one.
fn same_letter(c: char, lower: char) -> bool {
    c == lower || c.to_lowercase().next() == Some(lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(s: &str) -> Option<String> {
        let chars: Vec<char> = s.chars().collect();
        extension_start(&chars).map(|i| chars[i..].iter().collect())
    }

    #[test]
    fn extensions() {
        assert_eq!(ext("+7 912 345 67 89 доб. 5").as_deref(), Some(" доб. 5"));
        assert_eq!(ext("+7 912 345 67 89 ДОБ 5").as_deref(), Some(" ДОБ 5"));
        assert_eq!(ext("+1 415 555 2671 ext. 12").as_deref(), Some(" ext. 12"));
        assert_eq!(ext("+1 415 555 2671;ext=12").as_deref(), Some(";ext=12"));
        assert_eq!(ext("+1 415 555 2671 x123").as_deref(), Some(" x123"));
        assert_eq!(ext("+1 415 555 2671,,123").as_deref(), Some(",,123"));
        assert_eq!(ext("415-555-2671#").as_deref(), Some("-2671#"));
        assert_eq!(
            ext("+1 415 555 2671 x1234567890"),
            None,
            "9 digits at most after x"
        );
        assert_eq!(ext("+7 912 345 67 89"), None);
        assert_eq!(ext("+7 912 345 67 89 вн. 5"), None);
    }

    #[test]
    fn letters() {
        assert!(!letters_outside_extension("+7 912 345 67 89 доб. 5"));
        assert!(!letters_outside_extension(" +1 (415) 555-2671 Ext: 3. "));
        assert!(letters_outside_extension("77783abc151961"));
        assert!(letters_outside_extension("1-800-FLOWERS"));
        assert!(letters_outside_extension("+7 912 345 67 8О"));
        assert!(letters_outside_extension("tel. +7 912 345 67 89"));
        assert!(letters_outside_extension("+7 912 345 67 89 вн. 5"));
    }

    #[test]
    fn digits() {
        assert_eq!(decimal_digit('7'), Some(7));
        assert_eq!(decimal_digit('٥'), Some(5));
        assert_eq!(decimal_digit('۹'), Some(9));
        assert_eq!(decimal_digit('０'), Some(0));
        assert_eq!(decimal_digit('९'), Some(9));
        assert_eq!(decimal_digit('a'), None);
        assert_eq!(decimal_digit('²'), None);
        assert_eq!(decimal_digit('/'), None);
    }
}
