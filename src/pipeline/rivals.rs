//! The rank of the best eligible cart for each phone met in a run, for `phone_cooldown` (one
//! cart per phone per run). One entry is needed for every phone with an eligible cart, the one
//! part of a run that grows with the carts in the rules' window. The first `cap` phones are kept
//! compactly in memory (a 16-byte index entry and a 32-byte slot per phone, the cart ids end to
//! end in one string); phones met after those go to a temporary database (`spill`), so memory
//! stops growing there.

use super::RankKey;
use super::spill::{WHERE, temp_db};
use crate::model::E164;
use crate::rules::config::OrderBy;
use anyhow::{Context, Result};
use chrono::DateTime;
use rusqlite::{Connection, OptionalExtension};
use std::collections::HashMap;

pub(super) struct Rivals {
    order_by: OrderBy,
    /// `phone_key` → the phone's slot.
    index: HashMap<u64, u32>,
    slots: Vec<Slot>,
    /// The slots' cart ids, end to end.
    ids: String,
    /// The bytes of `ids` that slots still name.
    live: usize,
    /// The currency scales met, which a slot names by position (a run meets a few).
    scales: Vec<i64>,
    /// The most phones kept in memory.
    cap: usize,
    /// The phones met after the first `cap`, each in exactly one of the two places.
    disk: Option<Connection>,
    /// Two bits set for each phone on disk: most phones are met once, and a phone with a bit
    /// clear is not looked up. A fixed 128 KiB (1% false positives at 50,000 phones on disk).
    on_disk: Vec<u64>,
}

const FILTER_BITS: u64 = 1 << 20;

/// The filter's two bit positions for a phone key (its halves of a 64-bit mix).
fn filter_bits(phone: u64) -> [u64; 2] {
    let h = (phone ^ (phone >> 31)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    [h % FILTER_BITS, (h >> 32) % FILTER_BITS]
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

const SELECT: &str = "SELECT value, scale, secs, nanos, cart_id FROM rivals WHERE phone = ?1";
const UPSERT: &str = "INSERT OR REPLACE INTO rivals (phone, value, scale, secs, nanos, cart_id)
                      VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

impl Rivals {
    pub(super) fn new(order_by: OrderBy, cap: usize) -> Rivals {
        Rivals {
            order_by,
            index: HashMap::new(),
            slots: Vec::new(),
            ids: String::new(),
            live: 0,
            scales: Vec::new(),
            cap,
            disk: None,
            on_disk: Vec::new(),
        }
    }

    /// The key of the best eligible cart with this phone so far in the run.
    pub(super) fn get(&self, phone: u64) -> Result<Option<RankKey>> {
        if let Some(&i) = self.index.get(&phone) {
            let s = self.slots[i as usize];
            return Ok(Some(RankKey {
                order_by: self.order_by,
                value: s.value,
                scale: self.scales[s.scale as usize],
                updated_at: DateTime::from_timestamp(s.secs, s.nanos)
                    .expect("the parts of a valid time"),
                cart_id: self.id(&s).into(),
            }));
        }
        let Some(db) = &self.disk else {
            return Ok(None);
        };
        if !filter_bits(phone)
            .iter()
            .all(|&b| self.on_disk[(b / 64) as usize] & 1 << (b % 64) != 0)
        {
            return Ok(None);
        }
        let row = db
            .prepare_cached(SELECT)?
            .query_row([phone as i64], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, u32>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .optional()
            .with_context(|| {
                format!("cannot read a phone's rank from the temporary database; {WHERE}")
            })?;
        Ok(row.map(|(value, scale, secs, nanos, id)| RankKey {
            order_by: self.order_by,
            value,
            scale,
            updated_at: DateTime::from_timestamp(secs, nanos).expect("the parts of a valid time"),
            cart_id: id.into(),
        }))
    }

    fn id(&self, s: &Slot) -> &str {
        let start = s.id_start as usize;
        &self.ids[start..start + s.id_len as usize]
    }

    /// Makes `key` the phone's best cart.
    pub(super) fn set(&mut self, phone: u64, key: &RankKey) -> Result<()> {
        debug_assert_eq!(key.order_by, self.order_by);
        let at = self.index.get(&phone).copied();
        if at.is_none() && (self.index.len() >= self.cap || self.disk.is_some()) {
            return self.set_on_disk(phone, key);
        }
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
        // A phone's better cart appends its id; the earlier one's bytes stay until there are
        // more such bytes than named ones (a phone met again and again), then `ids` is rewritten.
        if let Some(i) = at {
            self.live -= self.slots[i as usize].id_len as usize;
        }
        self.compact_ids();
        let id_start = self.ids.len();
        self.ids.push_str(&key.cart_id);
        self.live += key.cart_id.len();
        let slot = Slot {
            value: key.value,
            secs: key.updated_at.timestamp(),
            nanos: key.updated_at.timestamp_subsec_nanos(),
            scale: offset(scale),
            id_start: offset(id_start),
            id_len: offset(key.cart_id.len()),
        };
        match at {
            Some(i) => self.slots[i as usize] = slot,
            None => {
                self.index.insert(phone, offset(self.slots.len()));
                self.slots.push(slot);
            }
        }
        Ok(())
    }

    /// Writes the named ids afresh once more than half of `ids` is bytes no slot names (a phone
    /// whose better carts have ever longer ids).
    fn compact_ids(&mut self) {
        if self.ids.len() < 4096 || self.ids.len() < 2 * self.live {
            return;
        }
        let mut ids = String::with_capacity(self.live);
        for s in &mut self.slots {
            let start = s.id_start as usize;
            let id = &self.ids[start..start + s.id_len as usize];
            s.id_start = ids.len() as u32;
            ids.push_str(id);
        }
        self.ids = ids;
    }

    fn set_on_disk(&mut self, phone: u64, key: &RankKey) -> Result<()> {
        if self.on_disk.is_empty() {
            self.on_disk = vec![0; (FILTER_BITS / 64) as usize];
        }
        for b in filter_bits(phone) {
            self.on_disk[(b / 64) as usize] |= 1 << (b % 64);
        }
        let db = match &mut self.disk {
            Some(db) => db,
            None => self.disk.insert(temp_db(
                "CREATE TABLE rivals (phone INTEGER PRIMARY KEY, value INTEGER NOT NULL,
                   scale INTEGER NOT NULL, secs INTEGER NOT NULL, nanos INTEGER NOT NULL,
                   cart_id TEXT NOT NULL);",
                // Looked up at random: a miss reads one page, from the OS cache as a rule.
                1024,
            )?),
        };
        db.prepare_cached(UPSERT)?
            .execute(rusqlite::params![
                phone as i64,
                key.value,
                key.scale,
                key.updated_at.timestamp(),
                key.updated_at.timestamp_subsec_nanos(),
                &*key.cart_id,
            ])
            .with_context(|| {
                format!("cannot write a phone's rank to the temporary database; {WHERE}")
            })?;
        Ok(())
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

    /// Every key comes back whole, the last one set for its phone, whatever else was set, and
    /// wherever it is kept: all in memory, all in the temporary database, or some of each.
    #[test]
    fn a_phone_gives_back_the_last_key_set_for_it() {
        for (order_by, cap) in [
            (OrderBy::Value, 100),
            (OrderBy::Oldest, 100),
            (OrderBy::Value, 0),
            (OrderBy::Oldest, 2),
        ] {
            let mut rivals = Rivals::new(order_by, cap);
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
                    u64::MAX,
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
                (
                    u64::MAX,
                    key(order_by, i64::MIN, 1, "2026-11-21T10:00:00Z", "D"),
                ),
            ];
            assert!(rivals.get(1).unwrap().is_none());
            for (phone, k) in keys {
                rivals.set(phone, &k).unwrap();
                want.insert(phone, k);
                for (p, k) in &want {
                    assert_eq!(rivals.get(*p).unwrap().as_ref(), Some(k), "phone {p}");
                }
            }
            assert!(rivals.get(6).unwrap().is_none());
            assert_eq!(rivals.slots.len(), cap.min(5), "phones in memory");
            assert_eq!(rivals.disk.is_some(), cap < 5, "phones on disk");
        }
    }

    /// A phone met again and again with ever longer ids keeps `ids` within twice the named
    /// bytes (plus the 4 KiB below which it is left alone), and every key still comes back.
    #[test]
    fn ids_no_slot_names_are_dropped() {
        let mut rivals = Rivals::new(OrderBy::Value, 100);
        for n in 0..5_000u32 {
            let id = format!("cart-{}", "9".repeat((n % 40) as usize));
            let k = key(OrderBy::Value, i64::from(n), 1, "2026-11-21T10:00:00Z", &id);
            rivals.set(u64::from(n % 3), &k).unwrap();
            assert_eq!(rivals.get(u64::from(n % 3)).unwrap(), Some(k));
            assert!(rivals.ids.len() <= (2 * rivals.live).max(4096) + id.len());
        }
        assert_eq!(
            rivals.live,
            rivals
                .slots
                .iter()
                .map(|s| s.id_len as usize)
                .sum::<usize>()
        );
    }
}
