//! What a run keeps on disk past `Memory` changes no decision, detail, fact or order.

use super::{Decided, Memory, Options, Sink, load_orders, read_only_view, run_within};
use crate::settings::Settings;
use anyhow::Result;

/// Every decision as the outputs see it: the cart, the decision, its reason and detail, and every
/// fact (phone, zone, local time, message), in the order the sink got them.
#[derive(Default)]
struct Record(Vec<String>);

impl Sink for Record {
    fn decided(&mut self, d: &Decided<'_>) -> Result<()> {
        self.0.push(format!(
            "{:?} | {:?} {:?} {} | {:?}",
            d.cart, d.decision, d.reason, d.detail, d.facts
        ));
        Ok(())
    }

    fn wants_out_of_window(&self) -> bool {
        true
    }
}

/// 3,000 carts inside the window, 700 phones among them (so `phone_cooldown` ranks rivals), half
/// of the eligible ones in the holdout group, phones of one-zone, multi-zone and prefix-zoned
/// countries, with and without a cart timezone; judged with everything in memory, with nothing
/// in memory, and with a little, in both orders of ranking.
#[test]
fn keeping_phones_and_holdouts_on_disk_changes_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from(
        "cart_id,name,email,phone,total,currency,items_count,updated_at,consent,consent_at,\
         country,timezone\n",
    );
    let mut next = crate::testing::random(7u64);
    // Mobile numbers (and US ones): 700 valid numbers in all.
    let numbers = [
        ("+79123", "RU"),
        ("+79833", ""),
        ("+1907", "US"),
        ("+12085", ""),
        ("+16052", "US"),
        ("+447911", ""),
        ("+61412", "AU"),
        ("+5511987", "BR"),
    ];
    for i in 0..3_000 {
        let k = next(700);
        let (stem, country) = numbers[(k % 8) as usize];
        // Alaska's 907 234 names two zones (a `Prefix` zone); the other stems leave six digits.
        let phone = match stem {
            "+1907" => format!("{stem}{}", 2_340_000 + k),
            _ if i % 50 == 0 => "12345".to_string(),
            _ => format!("{stem}{}", 234_000 + k),
        };
        let (total, currency) = match next(3) {
            0 => (3_000 + next(20_000), "RUB"),
            1 => (60 + next(300), "USD"),
            _ => (60 + next(300), "EUR"),
        };
        let zone = ["", "", "Europe/Berlin", "America/Chicago"][next(4) as usize];
        csv.push_str(&format!(
            "c{i},Anna{},,{phone},{total}.{:02},{currency},2,2026-11-22T{:02}:{:02}:{:02}.{}Z,1,\
             2026-01-10T08:00:00Z,{country},{zone}\n",
            next(3),
            next(100),
            next(10),
            next(60),
            next(60),
            next(1000),
        ));
    }
    std::fs::write(dir.path().join("carts.csv"), csv).unwrap();
    let config = |order_by: &str| {
        format!(
            r#"
[store]
name = "Test Shop"
timezone = "Europe/Moscow"
default_region = "RU"
[source]
kind = "csv"
path = "carts.csv"
[rules]
allowed_hours = "00:00-24:00"
min_delay = "10m"
holdout_percent = 50
order_by = "{order_by}"
[rules.min_cart_value]
RUB = "3000"
EUR = "60"
USD = "60"
[message]
template = "{{name}}, cart {{total}}: {{link}}"
link = "https://s.example/c/{{cart_id}}"
[message.cost_per_segment]
RUB = "4.50"
[gateway]
kind = "file"
path = "outbox.jsonl"
[ledger]
path = "ledger.db"
"#
        )
    };
    let now = "2026-11-22T12:00:00Z".parse().unwrap();
    let opts = Options {
        now,
        limit: 40,
        quiet: true,
        verbose: false,
    };
    for order_by in ["value", "oldest"] {
        let settings =
            Settings::from_toml(&config(order_by), &dir.path().join("cartnudge.toml")).unwrap();
        let view = read_only_view(&settings, now).unwrap();
        let orders = load_orders(&settings, now, true).unwrap();
        let judge = |memory: Memory| {
            let mut sink = Record::default();
            let mut batch =
                run_within(&settings, &view, &orders, &opts, &mut sink, memory).unwrap();
            let in_memory = batch.holdout.in_memory();
            batch.preview(&mut sink).unwrap();
            (sink.0, batch.counts, in_memory)
        };
        let (want, counts, kept) = judge(Memory {
            phones: usize::MAX,
            holdouts: usize::MAX,
        });
        // The run meets what this test is about.
        let cooldown = counts.reasons.get("phone_cooldown").copied().unwrap_or(0);
        assert!(
            cooldown > 200,
            "{cooldown} phone_cooldown skips: {counts:?}"
        );
        assert!(counts.holdout > 300, "{} holdouts", counts.holdout);
        assert_eq!(kept as u64, counts.holdout);
        assert!(counts.carts_read == 3_000 && want.len() == 3_000);
        let all = want.join("\n");
        for fact in [
            "All {",
            "Prefix {",
            "Range(",
            "One {",
            "Err(",
            "est_cost: Some(",
        ] {
            assert!(all.contains(fact), "no {fact} among the facts");
        }
        for memory in [
            Memory::DEFAULT,
            Memory {
                phones: 0,
                holdouts: 0,
            },
            Memory {
                phones: 37,
                holdouts: 11,
            },
        ] {
            let (got, c, kept) = judge(memory);
            assert_eq!(kept, memory.holdouts.min(counts.holdout as usize));
            assert_eq!(
                (c.would_send, c.holdout, c.deferred, c.skipped, &c.reasons),
                (
                    counts.would_send,
                    counts.holdout,
                    counts.deferred,
                    counts.skipped,
                    &counts.reasons
                ),
                "{memory:?}"
            );
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                assert_eq!(g, w, "decision {i} with {memory:?}");
            }
            assert_eq!(got.len(), want.len());
        }
    }
}
