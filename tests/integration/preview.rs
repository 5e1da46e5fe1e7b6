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
