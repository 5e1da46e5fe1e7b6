//! A phone number after normalization: E.164, and the masked form the audit shows.

use std::fmt;

/// A phone number in E.164 form ("+79121234567"), valid for its region.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct E164(String);

impl E164 {
    /// Wraps a string already known to be E.164 (from the ledger or the phone parser).
    pub fn from_normalized(s: impl Into<String>) -> E164 {
        E164(s.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Digits without the plus, as SMS.ru, SMSC and MessageBird want them.
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }

    /// "+7912*****89": enough to recognise a number in an audit, not enough to dial it.
    pub fn masked(&self) -> String {
        mask_phone(&self.0)
    }
}

pub fn mask_phone(s: &str) -> String {
    let mut out = String::new();
    mask_phone_into(s, &mut out);
    out
}

/// `mask_phone` into `out` (cleared first), which keeps its room from row to row.
pub fn mask_phone_into(s: &str, out: &mut String) {
    out.clear();
    if s.is_ascii() && s.len() > 7 {
        // One byte a character: the same, without a character at a time.
        let n = s.len();
        out.push_str(&s[..5]);
        out.extend(std::iter::repeat_n('*', n - 7));
        out.push_str(&s[n - 2..]);
        return;
    }
    let n = s.chars().count();
    if n <= 7 {
        out.extend(std::iter::repeat_n('*', n));
        return;
    }
    // The first five and last two characters; stars between.
    out.extend(
        s.chars()
            .enumerate()
            .map(|(i, c)| if i < 5 || i >= n - 2 { c } else { '*' }),
    );
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "E164({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_phones() {
        assert_eq!(
            E164::from_normalized("+79121234589").masked(),
            "+7912*****89"
        );
        assert_eq!(mask_phone("123"), "***");
        // Both ways agree, ASCII or not.
        for s in [
            "12345678",
            "+7912123",
            "+79121234589",
            "+7 912 123-45-89",
            "тел+7912123458",
        ] {
            let slow: String = s
                .chars()
                .enumerate()
                .map(|(i, c)| {
                    if i < 5 || i >= s.chars().count() - 2 {
                        c
                    } else {
                        '*'
                    }
                })
                .collect();
            assert_eq!(mask_phone(s), slow, "{s}");
        }
        assert_eq!(mask_phone("+7912123"), "+7912*23");
    }
}
