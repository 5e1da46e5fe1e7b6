//! The rank of the best eligible cart for each phone met in a run, for `phone_cooldown` (one
//! cart per phone per run). One entry is kept for every phone with an eligible cart, so this is
//! the one part of a run's memory that grows with the carts in the rules' window; it is kept
//! small: a 16-byte index entry and a 32-byte slot per phone, and the cart ids end to end in one
//! string, instead of a map of whole rank keys each holding a boxed id (~90 bytes per phone, and
//! twice that while the map grows).

use super::RankKey;
use crate::model::E164;
use crate::rules::config::OrderBy;
use chrono::DateTime;
use std::collections::HashMap;

pub(super) struct Rivals {
    order_by: OrderBy,
    /// `phone_key` → the phone's slot.
    index: HashMap<u64, u32>,
    slots: Vec<Slot>,
    /// The slots' cart ids, end to end.
    ids: String,
    /// The currency scales met, which a slot names by position (a run meets a few).
    scales: Vec<i64>,
}

/// A `RankKey` without its order (the run's) and with its id and scale stored apart.
#[derive(Clone, Copy)]
struct Slot {
    value: i64,
    secs: i64,
    nanos: u32,
    scale: u32,
    id_start: u32,
    id_len: u32,
}

impl Rivals {
    pub(super) fn new(order_by: OrderBy) -> Rivals {
        Rivals {
            order_by,
            index: HashMap::new(),
            slots: Vec::new(),
            ids: String::new(),
            scales: Vec::new(),
        }
    }

    /// The key of the best eligible cart with this phone so far in the run.
    pub(super) fn get(&self, phone: u64) -> Option<RankKey> {
        let s = self.slots[*self.index.get(&phone)? as usize];
        let start = s.id_start as usize;
        Some(RankKey {
            order_by: self.order_by,
            value: s.value,
            scale: self.scales[s.scale as usize],
            updated_at: DateTime::from_timestamp(s.secs, s.nanos)
                .expect("the parts of a valid time"),
            cart_id: self.ids[start..start + s.id_len as usize].into(),
        })
    }

    /// Makes `key` the phone's best cart.
    pub(super) fn set(&mut self, phone: u64, key: &RankKey) {
        debug_assert_eq!(key.order_by, self.order_by);
        let scale = match self.scales.iter().position(|&s| s == key.scale) {
            Some(i) => i,
            None => {
                self.scales.push(key.scale);
                self.scales.len() - 1
            }
        };
        // Beyond 4 GiB of cart ids (hundreds of millions of eligible carts in one run) a run
        // would be far past its memory anyway.
        let offset = |n: usize| u32::try_from(n).expect("under 4 GiB of cart ids in one run");
        let slot = Slot {
            value: key.value,
            secs: key.updated_at.timestamp(),
            nanos: key.updated_at.timestamp_subsec_nanos(),
            scale: offset(scale),
            id_start: offset(self.ids.len()),
            id_len: offset(key.cart_id.len()),
        };
        // A phone's later best cart appends its id and the earlier one's bytes stay unused:
        // still at most one id per eligible cart, and a phone is rarely met twice.
        self.ids.push_str(&key.cart_id);
        match self.index.get(&phone) {
            Some(&i) => self.slots[i as usize] = slot,
            None => {
                self.index.insert(phone, offset(self.slots.len()));
                self.slots.push(slot);
            }
        }
    }
}

/// An E.164 number as one integer: its digits, and their count above them (so a leading zero,
/// which E.164 never has, would still not collide). Numbers have at most 15 digits; a longer
/// string falls back to a hash with the top bit set, apart from every exact key.
pub(super) fn phone_key(e164: &E164) -> u64 {
    let digits = e164.digits();
    if digits.len() <= 17 && digits.bytes().all(|b| b.is_ascii_digit()) {
        let n = digits
            .bytes()
            .fold(0u64, |n, b| n * 10 + u64::from(b - b'0'));
        return (digits.len() as u64) << 57 | n;
    }
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    digits.hash(&mut h);
    h.finish() | 1 << 63
}

#[cfg(test)]
mod tests {
    use super::{RankKey, Rivals, phone_key};
    use crate::model::E164;
    use crate::rules::config::OrderBy;
    use chrono::{DateTime, Utc};

    #[test]
    fn phone_keys_tell_every_number_apart() {
        let numbers = [
            "+79120000001",
            "+79120000010",
            "+7912000001",
            "+0",
            "+00",
            "+1",
            "+10",
            "+999999999999999",
            "+99999999999999999",
            "+123456789012345678",
            "+123456789012345679",
        ];
        let keys: std::collections::HashSet<u64> = numbers
            .iter()
            .map(|n| phone_key(&E164::from_normalized(*n)))
            .collect();
        assert_eq!(keys.len(), numbers.len());
        assert_eq!(
            phone_key(&E164::from_normalized("+79120000001")),
            phone_key(&E164::from_normalized("+79120000001"))
        );
    }

    fn key(order_by: OrderBy, value: i64, scale: i64, at: &str, id: &str) -> RankKey {
        RankKey {
            order_by,
            value,
            scale,
            updated_at: at.parse::<DateTime<Utc>>().unwrap(),
            cart_id: id.into(),
        }
    }

    /// Every key comes back whole, the last one set for its phone, whatever else was set.
    #[test]
    fn a_phone_gives_back_the_last_key_set_for_it() {
        for order_by in [OrderBy::Value, OrderBy::Oldest] {
            let mut rivals = Rivals::new(order_by);
            let mut want = std::collections::HashMap::new();
            let keys = [
                (
                    1,
                    key(order_by, 450_000, 300_000, "2026-11-21T10:00:00Z", "A-1"),
                ),
                (
                    2,
                    key(
                        order_by,
                        12_000,
                        4_000,
                        "2026-11-21T10:00:00.123456789Z",
                        "",
                    ),
                ),
                (
                    3,
                    key(order_by, i64::MAX, 1, "1969-12-31T23:59:59.5Z", "Ж-ид"),
                ),
                (
                    1,
                    key(order_by, 300_000, 300_000, "2026-11-20T00:00:00Z", "A-22"),
                ),
                (
                    4,
                    key(
                        order_by,
                        -5,
                        4_000,
                        "2262-04-12T00:00:00Z",
                        "x".repeat(300).as_str(),
                    ),
                ),
                (2, key(order_by, 1, 7, "2026-11-21T10:00:00Z", "B")),
                (5, key(order_by, 0, 300_000, "1900-01-01T00:00:00Z", "C")),
            ];
            assert!(rivals.get(1).is_none());
            for (phone, k) in keys {
                rivals.set(phone, &k);
                want.insert(phone, k);
                for (p, k) in &want {
                    assert_eq!(rivals.get(*p).as_ref(), Some(k), "phone {p}");
                }
            }
            assert!(rivals.get(6).is_none());
            assert_eq!(rivals.slots.len(), 5);
            assert_eq!(rivals.scales, [300_000, 4_000, 1, 7]);
        }
    }
}
