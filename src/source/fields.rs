//! Field parsers shared by every source: timestamps (`times`), money, booleans, and the
//! RawRow → Cart/Order step.

use super::{RawRow, RowError};
use crate::model::{Cart, Currency, Money, Order};
use crate::source::Config;
use crate::source::config::{CART_FIELDS as CART, ORDER_FIELDS as ORDER};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

#[derive(Debug, Clone)]
pub struct ParseOpts {
    pub timezone: Tz,
    pub decimal: char,
    pub currency: Option<Currency>,
    /// Column names, for error messages (parallel to the field list).
    pub columns: Vec<String>,
}

impl ParseOpts {
    pub fn from(s: &Config) -> ParseOpts {
        ParseOpts {
            timezone: s.timezone,
            decimal: s.decimal,
            currency: s.currency,
            columns: Vec::new(),
        }
    }
}

pub use super::times::{local_to_utc, parse_time};
use crate::model::trim;

pub fn parse_bool(text: &str) -> Result<bool, String> {
    match trim(text) {
        "1" => return Ok(true),
        "0" | "" => return Ok(false),
        _ => {}
    }
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "y" | "yes" | "true" | "t" | "on" => Ok(true),
        "0" | "n" | "no" | "false" | "f" | "off" | "" => Ok(false),
        other => Err(format!(
            "`{other}` is not a boolean; use 1/0, Y/N, true/false or yes/no"
        )),
    }
}

struct Row<'a> {
    raw: &'a RawRow,
    fields: &'static [&'static str],
}

/// `text` as a whole number of items: digits, or a float with no fraction ("3.0").
fn whole_number(text: &str) -> Option<i64> {
    // Up to 15 digits, an f64 holds the number exactly: the shortcut agrees with the float path.
    if !text.is_empty() && text.len() <= 15 && text.bytes().all(|c| c.is_ascii_digit()) {
        return text.parse().ok();
    }
    text.parse::<f64>()
        .ok()
        .filter(|f| f.fract() == 0.0 && *f >= 0.0)
        .map(|f| f as i64)
}

/// The position of `name` in a field list, found at compile time (`at!(CART_FIELDS, "phone")`).
const fn position(fields: &[&str], name: &str) -> usize {
    let mut i = 0;
    while i < fields.len() {
        let (a, b) = (fields[i].as_bytes(), name.as_bytes());
        if a.len() == b.len() {
            let mut j = 0;
            while j < a.len() && a[j] == b[j] {
                j += 1;
            }
            if j == a.len() {
                return i;
            }
        }
        i += 1;
    }
    panic!("no such field")
}

macro_rules! at {
    ($fields:expr, $name:literal) => {
        const { position($fields, $name) }
    };
}

impl<'a> Row<'a> {
    /// Field `i`'s text, trimmed; None when absent or blank.
    fn get(&self, i: usize) -> Option<&'a str> {
        self.raw.get(i).map(trim).filter(|v| !v.is_empty())
    }

    fn err(&self, i: usize, message: String) -> RowError {
        RowError {
            loc: self.raw.loc.clone(),
            column: Some(self.fields[i].to_string()),
            message,
        }
    }

    fn required(&self, i: usize) -> Result<&'a str, RowError> {
        self.get(i).ok_or_else(|| self.err(i, "is empty".into()))
    }

    /// Field `i` read by `parse` when present; its error names the field.
    fn parse<T>(
        &self,
        i: usize,
        parse: impl FnOnce(&'a str) -> Result<T, String>,
    ) -> Result<Option<T>, RowError> {
        self.get(i)
            .map(|v| parse(v).map_err(|e| self.err(i, e)))
            .transpose()
    }

    fn time(&self, i: usize, tz: Tz) -> Result<Option<DateTime<Utc>>, RowError> {
        self.parse(i, |v| parse_time(v, tz))
    }

    /// The amount in field `total`, in the currency of field `currency` or the source's.
    fn money(&self, total: usize, currency: usize, opts: &ParseOpts) -> Result<Money, RowError> {
        let code = match self.get(currency) {
            Some(c) => Currency::parse(c).map_err(|e| self.err(currency, e))?,
            None => opts.currency.ok_or_else(|| {
                self.err(currency, "is empty and source.currency is not set".into())
            })?,
        };
        Money::parse(self.required(total)?, code, opts.decimal).map_err(|e| self.err(total, e))
    }
}

/// The zone named `name`, remembering the last names read on this thread: chrono-tz hashes the
/// name on every parse, and an export repeats a few dozen zones a million times.
fn zone(name: &str) -> Option<Tz> {
    // Room for a few dozen zones with few collisions (each costs a parse per row).
    const SLOTS: usize = 256;
    type Recent = [Option<(Box<str>, Tz)>; SLOTS];
    thread_local! {
        static RECENT: std::cell::RefCell<Recent> =
            const { std::cell::RefCell::new([const { None }; SLOTS]) };
    }
    // FNV-1a over the whole name: zones share prefixes, lengths and last letters
    // (Asia/Vladivostok, Asia/Novosibirsk).
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let slot = (hash >> 32) as usize % SLOTS;
    let hit = RECENT.with_borrow(|recent| match &recent[slot] {
        Some((n, tz)) if **n == *name => Some(*tz),
        _ => None,
    });
    hit.or_else(|| {
        let tz = name.parse::<Tz>().ok()?;
        RECENT.with_borrow_mut(|recent| recent[slot] = Some((name.into(), tz)));
        Some(tz)
    })
}

/// A row that passed every check: a cart, or only the reason it is outside the rules' window
/// when nobody will look at it (no allocation for two thirds of a typical export), with how many
/// rows in a row it stands for: a block folds a run of them into one (`Parsed::fold`).
pub enum Parsed {
    Cart(Box<Cart>),
    Outside(crate::model::Reason, u32),
}

impl Parsed {
    /// Counts `next` in `self` when both are rows outside the window for the same reason.
    pub fn fold(&mut self, next: &Parsed) -> bool {
        match (self, next) {
            (Parsed::Outside(r, n), Parsed::Outside(next, 1)) if r == next && *n < u32::MAX => {
                *n += 1;
                true
            }
            _ => false,
        }
    }
}

/// A window test: the reason a row is outside the rules' window, if it is.
pub type Outside<'f> = &'f dyn Fn(&crate::model::CartHead<'_>) -> Option<crate::model::Reason>;

pub fn cart(raw: &RawRow, opts: &ParseOpts) -> Result<Cart, RowError> {
    match cart_unless(raw, opts, &|_| None, None)? {
        Parsed::Cart(c) => Ok(*c),
        Parsed::Outside(..) => unreachable!("nothing is outside a window that takes everything"),
    }
}

/// Judged carts handed back to be filled again with the next rows (`CartPool::put`). A cart is
/// parsed on one thread and judged on the other; without the pool, each of its strings was
/// freed on the judging thread, and glibc's malloc then locks the parsing thread's arena, which
/// that thread is allocating from: the two threads kept waiting for each other.
// The boxes are what is reused: `Parsed::Cart` carries one.
#[allow(clippy::vec_box)]
pub struct CartPool {
    shared: std::sync::Arc<std::sync::Mutex<Vec<Box<Cart>>>>,
    /// This side's carts, taken from or handed to `shared` `POOL_CHUNK` at a time.
    local: Vec<Box<Cart>>,
}

/// Carts moved between a side's own list and the shared one at once (one lock for each).
const POOL_CHUNK: usize = 64;
/// Carts kept for reuse, at most: about the carts in flight between the two threads.
const POOL_MAX: usize = 2048;

impl CartPool {
    pub fn new() -> CartPool {
        CartPool {
            shared: Default::default(),
            local: Vec::new(),
        }
    }

    /// A judged cart, to be filled again.
    pub fn put(&mut self, cart: Box<Cart>) {
        self.local.push(cart);
        if self.local.len() >= POOL_CHUNK {
            let mut shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
            if shared.len() < POOL_MAX {
                shared.append(&mut self.local);
            }
            drop(shared);
            self.local.clear();
        }
    }

    fn take(&mut self) -> Option<Box<Cart>> {
        if self.local.is_empty() {
            let mut shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
            let keep = shared.len().saturating_sub(POOL_CHUNK);
            self.local.extend(shared.drain(keep..));
        }
        self.local.pop()
    }
}

impl Default for CartPool {
    fn default() -> Self {
        CartPool::new()
    }
}

/// Another side of the same pool, with a list of its own.
impl Clone for CartPool {
    fn clone(&self) -> Self {
        CartPool {
            shared: self.shared.clone(),
            local: Vec::new(),
        }
    }
}

/// Checks every field of the row (so a malformed row is reported whatever its age), then builds
/// the cart unless `outside` says it is outside the window: into a cart from `pool` when it has
/// one (keeping the room its strings have), else into a new one.
pub fn cart_unless(
    raw: &RawRow,
    opts: &ParseOpts,
    outside: Outside<'_>,
    pool: Option<&mut CartPool>,
) -> Result<Parsed, RowError> {
    let row = Row { raw, fields: CART };
    let tz = opts.timezone;
    let timezone = row.parse(at!(CART, "timezone"), |z| {
        zone(z).ok_or_else(|| format!("`{z}` is not an IANA time zone"))
    })?;
    let country = row.parse(at!(CART, "country"), crate::model::iso_country)?;
    let cart_id = row.required(at!(CART, "cart_id"))?;
    let total = row.money(at!(CART, "total"), at!(CART, "currency"), opts)?;
    let items_count = row.parse(at!(CART, "items_count"), |v| {
        whole_number(v).ok_or_else(|| format!("`{v}` is not a whole number"))
    })?;
    let updated_at = row
        .time(at!(CART, "updated_at"), tz)?
        .ok_or_else(|| row.err(at!(CART, "updated_at"), "is empty".into()))?;
    let consent = row
        .parse(at!(CART, "consent"), parse_bool)?
        .unwrap_or(false);
    let consent_at = row.time(at!(CART, "consent_at"), tz)?;
    let email_sent_at = row.time(at!(CART, "email_sent_at"), tz)?;
    let email_opened_at = row.time(at!(CART, "email_opened_at"), tz)?;
    let status = row.get(at!(CART, "status"));
    let head = crate::model::CartHead {
        status,
        items_count,
        total,
        updated_at,
    };
    if let Some(reason) = outside(&head) {
        return Ok(Parsed::Outside(reason, 1));
    }
    // A cart from the pool, or a blank one: either way, every field is set below.
    let mut cart = pool.and_then(CartPool::take).unwrap_or_else(|| {
        Box::new(Cart {
            loc: raw.loc.clone(),
            cart_id: String::new(),
            customer_id: None,
            name: None,
            email: None,
            phone: None,
            total,
            items_count,
            updated_at,
            consent,
            consent_at,
            country: None,
            timezone,
            status: None,
            link: None,
            email_sent_at,
            email_opened_at,
        })
    });
    // Every field named, so that a field added to `Cart` cannot be left from the cart before.
    let Cart {
        loc,
        cart_id: id,
        customer_id,
        name,
        email,
        phone,
        total: total_,
        items_count: items_count_,
        updated_at: updated_at_,
        consent: consent_,
        consent_at: consent_at_,
        country: country_,
        timezone: timezone_,
        status: status_,
        link,
        email_sent_at: email_sent_at_,
        email_opened_at: email_opened_at_,
    } = &mut *cart;
    if !std::sync::Arc::ptr_eq(&loc.source, &raw.loc.source) {
        loc.source = raw.loc.source.clone();
    }
    (loc.line, loc.record) = (raw.loc.line, raw.loc.record);
    refill(id, cart_id);
    refill_some(customer_id, row.get(at!(CART, "customer_id")));
    refill_some(name, row.get(at!(CART, "name")));
    refill_some(email, row.get(at!(CART, "email")));
    refill_some(phone, row.get(at!(CART, "phone")));
    refill_some(country_, country);
    refill_some(status_, status);
    if let Some(s) = status_ {
        s.make_ascii_lowercase();
    }
    refill_some(link, row.get(at!(CART, "link")));
    (*total_, *items_count_, *updated_at_) = (total, items_count, updated_at);
    (*consent_, *consent_at_, *timezone_) = (consent, consent_at, timezone);
    (*email_sent_at_, *email_opened_at_) = (email_sent_at, email_opened_at);
    Ok(Parsed::Cart(cart))
}

fn refill(s: &mut String, v: &str) {
    s.clear();
    s.push_str(v);
}

fn refill_some(s: &mut Option<String>, v: Option<&str>) {
    match (s.as_mut(), v) {
        (Some(s), Some(v)) => refill(s, v),
        (None, Some(v)) => *s = Some(v.to_string()),
        (_, None) => *s = None,
    }
}

pub fn order(raw: &RawRow, opts: &ParseOpts) -> Result<Order, RowError> {
    let order = order_unless(raw, opts, &|_| true)?;
    Ok(order.expect("every order is kept"))
}

/// Checks every field of an order row, then builds the order unless `keep` refuses its time
/// (None: most of a shop's order history is older than any rule looks).
pub fn order_unless(
    raw: &RawRow,
    opts: &ParseOpts,
    keep: &dyn Fn(DateTime<Utc>) -> bool,
) -> Result<Option<Order>, RowError> {
    let row = Row { raw, fields: ORDER };
    let order_id = row.required(at!(ORDER, "order_id"))?;
    let total = row.money(at!(ORDER, "total"), at!(ORDER, "currency"), opts)?;
    let created_at = row
        .time(at!(ORDER, "created_at"), opts.timezone)?
        .ok_or_else(|| row.err(at!(ORDER, "created_at"), "is empty".into()))?;
    if !keep(created_at) {
        return Ok(None);
    }
    Ok(Some(Order {
        loc: raw.loc.clone(),
        order_id: order_id.to_string(),
        cart_id: row.get(at!(ORDER, "cart_id")).map(str::to_string),
        customer_id: row.get(at!(ORDER, "customer_id")).map(str::to_string),
        phone: row.get(at!(ORDER, "phone")).map(str::to_string),
        email: row.get(at!(ORDER, "email")).map(str::to_string),
        total,
        created_at,
        status: row
            .get(at!(ORDER, "status"))
            .map(|s| s.to_ascii_lowercase()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_read_again_from_memory_are_the_same_zones() {
        for _ in 0..2 {
            for z in chrono_tz::TZ_VARIANTS {
                assert_eq!(zone(z.name()), Some(z), "{}", z.name());
            }
        }
        assert_eq!(zone("Europe/Moscow "), None);
        assert_eq!(zone("europe/moscow"), None, "as chrono-tz: names are exact");
        assert_eq!(zone(""), None);
    }

    #[test]
    fn trimming_and_whole_numbers_agree_with_the_general_forms() {
        for t in [
            "",
            " ",
            "a",
            " a",
            "a ",
            "\u{a0}x\u{3000}",
            "ab",
            "a b",
            "\tx\n",
            "ё",
            "x\u{2003}",
            "Ёжик",
            "Ёжик ",
            "\u{a0}Ёжик",
            "ё\u{85}",
            "\u{1680}ж",
            "ж\u{3000}",
            "ж\u{2029}",
            "Ж Ж",
        ] {
            assert_eq!(trim(t), t.trim(), "{t:?}");
        }
        let slow = |t: &str| {
            t.parse::<f64>()
                .ok()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                .map(|f| f as i64)
        };
        for t in [
            "0",
            "3",
            "007",
            "3.0",
            "3.5",
            "-1",
            "1e3",
            "",
            "x",
            "999999999999999",
            "12345678901234567",
            "+4",
        ] {
            assert_eq!(whole_number(t), slow(t), "{t:?}");
        }
    }

    /// A cart filled again from the pool is the cart built afresh from the same row, and holds
    /// nothing of the cart before: random rows whose fields come and go (a field present in one
    /// row and absent in the next, upper-case statuses, two sources), each parsed into the cart
    /// the row before left in the pool.
    #[test]
    fn a_pooled_cart_is_the_cart_built_afresh() {
        let opts = ParseOpts {
            timezone: chrono_tz::Europe::Moscow,
            decimal: '.',
            currency: None,
            columns: Vec::new(),
        };
        let choices: [&[&str]; 17] = [
            &["q1", "cart-with-a-long-id-0001", "Ж7"],
            &["c1", "customer-00000000042"],
            &["Ann", "Ёжик Иванович"],
            &["ann@example.com", "a-much-longer-address@example.org"],
            &["+79120000001", "8 (912) 000-00-02"],
            &["10.50", "3000"],
            &["RUB", "USD"],
            &["1", "12"],
            &["2026-11-21 10:00:00", "2026-11-20T09:00:00Z"],
            &["1", "no"],
            &["2026-11-01 10:00:00"],
            &["RU", "us"],
            &["Europe/Moscow", "America/New_York"],
            &["ACTIVE", "pending"],
            &["https://shop.example/r/1", "tok"],
            &["2026-11-21 11:00:00"],
            &["2026-11-21 12:00:00"],
        ];
        let sources: [std::sync::Arc<str>; 2] = ["a.csv".into(), "b.csv".into()];
        let mut seed = 11u64;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n
        };
        let mut pool = CartPool::new();
        let mut judged = pool.clone();
        for line in 0..2000 {
            let loc = crate::model::Location {
                source: sources[next(2)].clone(),
                line,
                record: (next(2) == 0).then_some(line + 1),
            };
            let mut row = RawRow::new(loc, CART.len());
            for (i, values) in choices.iter().enumerate() {
                // Required fields always present; any other one in two rows of three.
                let absent = ![0, 5, 6, 8].contains(&i) && next(3) == 0;
                row.push((!absent).then(|| values[next(values.len())]));
            }
            let fresh = cart(&row, &opts).unwrap();
            let Parsed::Cart(pooled) =
                cart_unless(&row, &opts, &|_| None, Some(&mut pool)).unwrap()
            else {
                panic!("nothing is outside");
            };
            assert_eq!(format!("{pooled:?}"), format!("{fresh:?}"), "line {line}");
            // And both are the row's: its texts, the status in lower case.
            let text = |i: usize| row.get(i).map(str::to_string);
            assert_eq!(
                (
                    Some(pooled.cart_id.clone()),
                    &pooled.customer_id,
                    &pooled.link
                ),
                (text(0), &text(1), &text(14))
            );
            assert_eq!(pooled.status, text(13).map(|s| s.to_ascii_lowercase()));
            judged.put(pooled);
        }
        assert!(pool.local.len() + pool.shared.lock().unwrap().len() > 0);
    }

    /// An order row, its fields in `ORDER_FIELDS` order.
    fn order_row(cells: [&str; 9]) -> RawRow {
        let mut row = RawRow::new(crate::model::Location::default(), 0);
        for c in cells {
            row.push(Some(c));
        }
        row
    }

    #[test]
    fn an_order_outside_the_window_is_checked_but_not_built() {
        let opts = ParseOpts {
            timezone: chrono_tz::UTC,
            decimal: '.',
            currency: None,
            columns: Vec::new(),
        };
        let at = |t: &str| t.parse::<DateTime<Utc>>().unwrap();
        let since = at("2026-11-20T00:00:00Z");
        let keep = move |t: DateTime<Utc>| t >= since;
        let cells =
            |id, total, time| [id, "c1", "", "+79120000001", "", total, "RUB", time, "Paid"];
        // Kept: the order `order` builds.
        let recent = order_row(cells("o1", "10.50", "2026-11-21T10:00:00Z"));
        let built = order_unless(&recent, &opts, &keep).unwrap().expect("kept");
        assert_eq!(built.order_id, "o1");
        assert_eq!(built.status.as_deref(), Some("paid"));
        assert_eq!(built.created_at, order(&recent, &opts).unwrap().created_at);
        // Too old: not built, whatever its other fields say.
        let old = order_row(cells("o2", "10.50", "2026-11-01T10:00:00Z"));
        assert!(order_unless(&old, &opts, &keep).unwrap().is_none());
        // A bad row is an error however old it is, the same error `order` gives.
        for bad in [
            cells("", "10.50", "2026-11-01T10:00:00Z"),
            cells("o3", "ten", "2026-11-01T10:00:00Z"),
            cells("o4", "10.50", "yesterday"),
        ] {
            let row = order_row(bad);
            let err = order_unless(&row, &opts, &keep).expect_err("an error");
            assert_eq!(err.to_string(), order(&row, &opts).unwrap_err().to_string());
        }
    }

    #[test]
    fn booleans() {
        for t in ["1", "Y", "yes", "TRUE", "true"] {
            assert_eq!(parse_bool(t), Ok(true), "{t}");
        }
        for f in ["0", "N", "no", "false", ""] {
            assert_eq!(parse_bool(f), Ok(false), "{f}");
        }
        assert!(parse_bool("maybe").is_err());
    }
}
