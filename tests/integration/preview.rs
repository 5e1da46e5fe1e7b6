//! The preview table fits the width it is given (`COLUMNS`, else the terminal's), never shortening
//! a cart id; piped without `COLUMNS`, nothing is cut.

use crate::shop::{NOW, Shop, cart};

const LONG_ID: &str = "cart-2026-11-22-0042"; // 20 characters, 4 beyond the CART column

fn shop() -> Shop {
    Shop::new(&[
        cart(LONG_ID),
        cart("b").set("phone", "+79120000002").set("consent", "no"),
        cart("c")
            .set("phone", "+79120000003")
            .set("name", &"Anastasia-Alexandrovna ".repeat(4)),
    ])
}

#[test]
fn scan_fits_columns_and_keeps_the_cart_id_whole() {
    let mut shop = shop();
    shop.env.var("COLUMNS", "60");
    for args in [&["scan"][..], &["send", "--dry-run"]] {
        fits_60(&shop, args);
    }
    // The id printed is one --explain takes.
    shop.run(NOW, &["scan", "--explain", LONG_ID])
        .expect_code(0);
}

fn fits_60(shop: &Shop, args: &[&str]) {
    let r = shop.run(NOW, args);
    r.expect_code(0);
    let out = r.stdout();
    let table: Vec<&str> = out
        .lines()
        .filter(|l| !l.starts_with("summary:") && !l.starts_with("dry run "))
        .collect();
    assert_eq!(table.len(), 4, "{}", r.show());
    for line in &table {
        assert!(
            line.chars().count() <= 60,
            "{} columns: {line}{}",
            line.chars().count(),
            r.show()
        );
    }
    assert!(
        table.iter().any(|l| l.starts_with(&format!("{LONG_ID} "))),
        "{}",
        r.show()
    );
    assert!(
        table.iter().any(|l| l.ends_with('…')),
        "a message is cut{}",
        r.show()
    );
    // The id printed is one --explain takes.
    shop.run(NOW, &["scan", "--explain", LONG_ID])
        .expect_code(0);
}

#[test]
fn piped_without_columns_nothing_is_cut() {
    let r = shop().run(NOW, &["scan"]);
    r.expect_code(0);
    let out = r.stdout();
    assert!(!out.contains('…'), "{}", r.show());
    assert!(
        out.contains(&format!("https://s.example/c/{LONG_ID} STOP"))
            && out.contains("https://s.example/c/c STOP"),
        "{}",
        r.show()
    );
}

/// Rows outside the rules' window are only counted, and a block hands a run of them with one
/// reason over as one item: the summary still counts every row, in runs of 1 to 400 across
/// many blocks, with malformed rows and carts inside the window between the runs, read from CSV
/// and from JSON Lines.
#[test]
fn the_summary_counts_every_row_outside_the_window_across_blocks() {
    let (mut carts, mut old, mut done, mut fresh, mut bad) = (Vec::new(), 0, 0, 0, 0);
    let mut seed = 11u64;
    let mut next = |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    while carts.len() < 40_000 {
        let kind = next(5);
        let run = if kind == 4 { 1 } else { 1 + next(400) };
        for _ in 0..run {
            let c = cart(&format!("c{}", carts.len())).set("consent", "0");
            carts.push(match kind {
                0 | 1 => {
                    old += 1;
                    c.set("updated_at", "2026-11-12T09:00:00Z")
                }
                2 => {
                    done += 1;
                    c.set("items_count", "0")
                }
                3 => {
                    fresh += 1;
                    c
                }
                _ => {
                    bad += 1;
                    c.set("total", "12 roubles")
                }
            });
        }
    }
    let shop = Shop::new(&carts);
    let jsonl: String = carts
        .iter()
        .map(|c| {
            let fields: serde_json::Map<_, _> = c
                .fields
                .iter()
                .map(|(k, v)| (k.to_string(), serde_json::Value::from(v.as_str())))
                .collect();
            format!("{}\n", serde_json::Value::Object(fields))
        })
        .collect();
    shop.env.write("carts.jsonl", jsonl);
    let csv_config = shop.env.read("cartnudge.toml");
    let want = format!(
        "would send 0, deferred 0, skipped {} (no_consent {fresh}, not_abandoned {done}, \
         too_old {old})",
        old + done + fresh
    );
    for (form, config) in [
        ("csv", csv_config.clone()),
        (
            "jsonl",
            csv_config.replace(
                "kind = \"csv\"\npath = \"carts.csv\"",
                "kind = \"jsonl\"\npath = \"carts.jsonl\"",
            ),
        ),
    ] {
        assert!(config.contains(&format!("path = \"carts.{form}\"")));
        shop.env.write("cartnudge.toml", &config);
        let r = shop.run(NOW, &["send", "--dry-run"]);
        r.expect_code(0);
        assert!(
            r.stdout().contains(&want),
            "{form}: want {want}\n{}",
            r.show()
        );
        assert!(
            r.stderr()
                .contains(&format!("skipped {bad} malformed rows in all")),
            "{form}: {}",
            r.show()
        );
        let listed = shop.run(NOW, &["scan", "--format", "json"]);
        listed.expect_code(0);
        let listed = shop.decisions(&listed);
        assert_eq!(
            listed.len(),
            fresh,
            "{form}: scan lists the carts in the window"
        );
        assert!(listed.iter().all(|(_, _, r)| r == "no_consent"), "{form}");
        assert_eq!(
            shop.scan(NOW).len(),
            old + done + fresh,
            "{form}: scan --all"
        );
    }
}
