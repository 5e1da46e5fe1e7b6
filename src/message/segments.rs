//! GSM 03.38 segment counting. A message is GSM-7 when every character is in the basic set or the
//! extension set (which costs two septets); one other character makes the whole message UCS-2, where
//! characters outside the BMP take two UTF-16 units. Singles hold 160 / 70, parts of a long message
//! 153 / 67.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

impl Encoding {
    pub fn as_str(&self) -> &'static str {
        match self {
            Encoding::Gsm7 => "GSM-7",
            Encoding::Ucs2 => "UCS-2",
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentCount {
    pub encoding: Encoding,
    /// Septets (GSM-7) or UTF-16 code units (UCS-2).
    pub units: usize,
    pub segments: u32,
}

const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM_EXTENSION: &str = "^{}\\[~]|€\u{c}";

fn gsm_septets(c: char) -> Option<usize> {
    if GSM_BASIC.contains(c) {
        Some(1)
    } else if GSM_EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

pub fn count(text: &str) -> SegmentCount {
    let septets: Option<usize> = text.chars().map(gsm_septets).sum();
    let (encoding, units, single, part) = match septets {
        Some(n) => (Encoding::Gsm7, n, 160, 153),
        None => (Encoding::Ucs2, text.encode_utf16().count(), 70, 67),
    };
    let segments = if units <= single {
        1
    } else {
        units.div_ceil(part) as u32
    };
    SegmentCount {
        encoding,
        units,
        segments,
    }
}

/// Replaces typographic punctuation that would force UCS-2 with GSM look-alikes.
pub fn gsm_normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '‘' | '’' | '‚' | '′' | '`' | '´' => out.push('\''),
            '“' | '”' | '„' | '″' | '«' | '»' => out.push('"'),
            '–' | '—' | '−' | '‐' | '‑' => out.push('-'),
            '…' => out.push_str("..."),
            '\u{a0}' | '\u{2007}' | '\u{2009}' | '\u{202f}' | '\t' => out.push(' '),
            '•' => out.push('*'),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gsm_boundaries() {
        assert_eq!(
            count(&"a".repeat(160)),
            SegmentCount {
                encoding: Encoding::Gsm7,
                units: 160,
                segments: 1
            }
        );
        assert_eq!(count(&"a".repeat(161)).segments, 2);
        assert_eq!(count(&"a".repeat(306)).segments, 2);
        assert_eq!(count(&"a".repeat(307)).segments, 3);
    }

    #[test]
    fn extension_characters_count_two() {
        let c = count(&format!("{}€", "a".repeat(158)));
        assert_eq!((c.encoding, c.units, c.segments), (Encoding::Gsm7, 160, 1));
        assert_eq!(count(&format!("{}[", "a".repeat(159))).segments, 2);
    }

    #[test]
    fn ucs2_boundaries() {
        let ru = "я".repeat(70);
        assert_eq!(
            count(&ru),
            SegmentCount {
                encoding: Encoding::Ucs2,
                units: 70,
                segments: 1
            }
        );
        assert_eq!(count(&"я".repeat(71)).segments, 2);
        assert_eq!(count(&"я".repeat(134)).segments, 2);
        assert_eq!(count(&"я".repeat(135)).segments, 3);
        // One emoji outside the BMP is two units and switches everything to UCS-2.
        let c = count(&format!("{}😀", "a".repeat(68)));
        assert_eq!((c.encoding, c.units, c.segments), (Encoding::Ucs2, 70, 1));
        assert_eq!(count("`").encoding, Encoding::Ucs2);
    }

    #[test]
    fn normalization_keeps_gsm() {
        let t = gsm_normalize("It’s “ready” – really…");
        assert_eq!(t, "It's \"ready\" - really...");
        assert_eq!(count(&t).encoding, Encoding::Gsm7);
    }
}
