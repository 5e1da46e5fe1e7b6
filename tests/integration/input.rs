//! Sources and bad input: CSV dialects (BOM, `;`, decimal comma, Bitrix dates, stdin), SQLite
//! read-only, malformed rows skipped with file:line while the batch goes on, and config or mapping
//! errors that stop the run with exit 2 before anything is sent.

use crate::shop::{HEADER, NOW, Shop, cart, carts_csv};

#[test]
fn malformed_rows_are_skipped_with_file_line_and_counted() {
    let shop = Shop::new(&[]);
    let mut bytes = carts_csv(&[cart("good-1").set("phone", "+79120000001")]).into_bytes();
    bytes.extend_from_slice(b"ragged,1,2\n");
    bytes.extend_from_slice(
        cart("bad-date")
            .set("phone", "+79120000002")
            .set("updated_at", "yesterday")
            .line()
            .as_bytes(),
    );
    bytes.extend_from_slice(b"\n");
    bytes.extend_from_slice(
        cart("bad-amount")
            .set("phone", "+79120000003")
            .set("total", "12,5x")
            .line()
            .as_bytes(),
    );
    bytes.extend_from_slice(b"\n");
    let mut utf = cart("bad-utf8")
        .set("phone", "+79120000004")
        .set("name", "XX")
        .line()
        .into_bytes();
    let at = utf.windows(2).position(|w| w == b"XX").unwrap();
    utf[at] = 0xff;
    bytes.extend_from_slice(&utf);
    bytes.extend_from_slice(b"\n");
    bytes.extend_from_slice(
        cart("good-2")
            .set("phone", "+79120000005")
            .line()
            .as_bytes(),
    );
    bytes.extend_from_slice(b"\n");
    shop.env.write("carts.csv", bytes);
    // Five of seven rows are broken: far over the default max_invalid (10%), which stops the run.
    shop.run(NOW, &["send"]).expect_code(65);
    shop.env.write(
        "cartnudge.toml",
        shop.env.read("cartnudge.toml").replace(
            "path = \"carts.csv\"",
            "path = \"carts.csv\"\nmax_invalid = \"100%\"",
        ),
    );
    let r = shop.run(NOW, &["send"]);
    r.expect_code(0);
    let err = r.stderr();
    for expected in [
        "carts.csv:3: expected 14 fields as in the header, found 3",
        "carts.csv:4: column `updated_at`: `yesterday` is not a time",
        "carts.csv:5: column `total`: `12,5x` is not an amount",
        "carts.csv:6: column `name`: is not valid UTF-8",
    ] {
        assert!(err.contains(expected), "missing `{expected}`{}", r.show());
    }
    assert!(
        r.stdout().contains("sent 2, failed 0") && r.stdout().contains("invalid rows 4"),
        "{}",
        r.show()
    );
    assert_eq!(shop.called_carts(), vec!["good-1", "good-2"]);
    assert_eq!(
        shop.ledger("SELECT invalid, carts_read FROM runs ORDER BY id DESC LIMIT 1"),
        vec![vec!["4".to_string(), "2".into()]]
    );
}

#[test]
fn unknown_config_key_exits_2_naming_the_key_before_anything_happens() {
    let shop = Shop::with(&[cart("a")], "quiet_hours = \"22:00-08:00\"", "", "");
    let r = shop.run(NOW, &["send"]);
    r.expect_code(2);
    assert!(
        r.stderr().contains("unknown field `quiet_hours`"),
        "{}",
        r.show()
    );
    assert!(!shop.env.exists("cartnudge.db") && shop.calls().is_empty());
}

#[test]
fn bad_values_in_config_name_the_key() {
    for (rules, needle) in [
        ("min_delay = \"soon\"", "min_delay"),
        ("allowed_hours = \"20:00-09:00\"", "allowed_hours"),
        (
            "holdout_percent = 80",
            "holdout_percent = 80 is out of range",
        ),
        ("order_by = \"random\"", "order_by"),
    ] {
        let shop = Shop::with(&[cart("a")], rules, "", "");
        let r = shop.run(NOW, &["send"]);
        r.expect_code(2);
        assert!(r.stderr().contains(needle), "`{needle}`{}", r.show());
        assert!(shop.calls().is_empty());
    }
    let shop = Shop::new(&[cart("a")]);
    let cfg = shop
        .env
        .read("cartnudge.toml")
        .replace("{name}, cart", "{nmae}, cart");
    shop.env.write("cartnudge.toml", cfg);
    let r = shop.run(NOW, &["check"]);
    r.expect_code(2);
    assert!(
        r.stderr().contains("unknown variable `{nmae}`"),
        "{}",
        r.show()
    );
}

#[test]
fn missing_mapped_column_exits_2_with_the_fix() {
    let shop = Shop::with(&[cart("a")], "", "", "");
    let cfg = shop.env.read("cartnudge.toml").replace(
        "path = \"carts.csv\"",
        "path = \"carts.csv\"\n[source.columns]\nconsent = \"sms_opt_in\"",
    );
    shop.env.write("cartnudge.toml", cfg);
    let r = shop.run(NOW, &["send"]);
    r.expect_code(2);
    assert!(
        r.stderr()
            .contains("carts.csv: column `sms_opt_in` (for field `consent`) not found"),
        "{}",
        r.show()
    );
    assert!(
        r.stderr().contains("fix source.columns.consent"),
        "{}",
        r.show()
    );
    assert!(shop.calls().is_empty());
    assert_eq!(
        shop.ledger("SELECT COUNT(*) FROM nudges"),
        vec![vec!["0".to_string()]]
    );
    // A required field with no column at all.
    shop.env
        .write("carts.csv", HEADER.replace(",consent,", ",agree,") + "\n");
    let cfg = shop
        .env
        .read("cartnudge.toml")
        .replace("[source.columns]\nconsent = \"sms_opt_in\"", "");
    shop.env.write("cartnudge.toml", cfg);
    let r = shop.run(NOW, &["check"]);
    r.expect_code(2);
    assert!(
        r.stdout().contains("no column for field `consent`")
            && r.stdout().contains("set source.columns.consent"),
        "{}",
        r.show()
    );
}

#[test]
fn missing_carts_file_exits_2() {
    let shop = Shop::new(&[]);
    std::fs::remove_file(shop.env.path("carts.csv")).unwrap();
    let r = shop.run(NOW, &["send"]);
    r.expect_code(2);
    assert!(
        r.stderr().contains("cannot open") && r.stderr().contains("carts.csv"),
        "{}",
        r.show()
    );
}

/// `scan --all --format json` at `now`, which must exit 0: each cart's row by its id.
fn scan_all(shop: &Shop, now: &str) -> impl Fn(&str) -> serde_json::Value {
    let r = shop.run(now, &["scan", "--all", "--format", "json"]);
    r.expect_code(0);
    let rows: Vec<serde_json::Value> = r
        .stdout()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let shown = r.show();
    move |id| {
        rows.iter()
            .find(|v| v["cart_id"] == id)
            .unwrap_or_else(|| panic!("{id}{shown}"))
            .clone()
    }
}

#[test]
fn bitrix_style_export_semicolons_bom_decimal_comma_and_local_dates() {
    let shop = Shop::new(&[]);
    let cfg = shop.env.read("cartnudge.toml").replace(
        "path = \"carts.csv\"",
        "path = \"carts.csv\"\ndelimiter = \";\"\ndecimal_separator = \",\"\ntimezone = \"Europe/Moscow\"\ncurrency = \"RUB\"\n\
         [source.columns]\ncart_id = \"ID\"\nphone = \"PERSONAL_MOBILE\"\ntotal = \"SUMMA\"\nupdated_at = \"DATE_UPDATE\"\nconsent = \"UF_SMS_CONSENT\"\nname = \"NAME\"",
    );
    shop.env.write("cartnudge.toml", cfg);
    let csv = "\u{feff}ID;NAME;PERSONAL_MOBILE;SUMMA;DATE_UPDATE;UF_SMS_CONSENT\n\
               101;Ирина;8 (912) 345-67-01;3 500,50;22.11.2026 09:00:00;Y\n\
               102;Пётр;8 (912) 345-67-02;2 999,99;22.11.2026 09:00:00;Y\n\
               103;Олег;8 (912) 345-67-03;12 000;22.11.2026 09:00:00;N\n";
    shop.env.write("carts.csv", csv);
    // No zone column: a Russian number must be inside the hours of all eleven Russian zones,
    // which happens 07:00-08:00Z; 09:00 Moscow = 06:00Z is 90 minutes before.
    let by_id = scan_all(&shop, "2026-11-22T07:30:00Z");
    assert_eq!(by_id("101")["decision"], "would_send");
    assert_eq!(by_id("101")["cart_total"], "3500.50");
    assert_eq!(by_id("101")["phone_e164"], "+79123456701");
    assert_eq!(by_id("101")["encoding"], "UCS-2");
    assert_eq!(by_id("102")["reason"], "below_min_value");
    assert_eq!(by_id("103")["reason"], "no_consent");
}

#[test]
fn php_export_with_a_bom_and_quoted_header_and_times() {
    // fputcsv quotes every field with a space (a header such as "Cart ID", every time), and
    // the file starts with a UTF-8 BOM, as WooCommerce's exporter writes it for Excel.
    let shop = Shop::new(&[]);
    let cfg = shop.env.read("cartnudge.toml").replace(
        "path = \"carts.csv\"",
        "path = \"carts.csv\"\ntimezone = \"Europe/Moscow\"\n\
         [source.columns]\ncart_id = \"Cart ID\"\nupdated_at = \"Updated at\"",
    );
    shop.env.write("cartnudge.toml", cfg);
    let csv = "\u{feff}\"Cart ID\",phone,total,currency,\"Updated at\",consent\n\
               w1,\"+7 912 345-67-01\",3500.50,RUB,\"2026-11-22 09:00:00\",1\n\
               w2,+79123456702,\"1 999.00\",RUB,\"2026-11-22 09:00:00\",1\n";
    shop.env.write("carts.csv", csv);
    let by_id = scan_all(&shop, "2026-11-22T07:30:00Z");
    assert_eq!(by_id("w1")["decision"], "would_send");
    assert_eq!(by_id("w1")["phone_e164"], "+79123456701");
    assert_eq!(by_id("w1")["cart_total"], "3500.50");
    assert_eq!(by_id("w2")["cart_total"], "1999.00");
    assert_eq!(by_id("w2")["reason"], "below_min_value");
}

#[test]
fn reads_carts_from_stdin() {
    let shop = Shop::new(&[]);
    let cfg = shop
        .env
        .read("cartnudge.toml")
        .replace("path = \"carts.csv\"", "path = \"-\"");
    shop.env.write("cartnudge.toml", cfg);
    let csv = carts_csv(&[cart("piped")]);
    let r = shop
        .env
        .run_stdin(&["--now", NOW, "send"], Some(csv.as_bytes()));
    r.expect_code(0);
    assert_eq!(shop.called_carts(), vec!["piped"]);
}

#[test]
fn sqlite_source_is_opened_read_only_and_mapped_by_aliases() {
    let shop = Shop::new(&[]);
    let db = shop.env.path("shop.db");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(
            "CREATE TABLE quote (entity_id INTEGER, phone TEXT, grand_total REAL, currency TEXT, updated TEXT, opt_in INTEGER, tz TEXT);
             INSERT INTO quote VALUES (1, '+79120000001', 5100.5, 'RUB', '2026-11-22 09:00:00', 1, 'Europe/Moscow');
             INSERT INTO quote VALUES (2, '+79120000002', 5200, 'RUB', '2026-11-22 09:00:00', 0, 'Europe/Moscow');",
        )
        .unwrap();
    }
    let cfg = shop.env.read("cartnudge.toml").replace(
        "kind = \"csv\"\npath = \"carts.csv\"",
        "kind = \"sqlite\"\npath = \"shop.db\"\nquery = \"SELECT entity_id AS cart_id, phone, grand_total AS total, currency, updated AS updated_at, opt_in AS consent, tz AS timezone FROM quote\"",
    );
    shop.env.write("cartnudge.toml", cfg);
    let before = std::fs::read(&db).unwrap();
    let r = shop.run(NOW, &["send"]);
    r.expect_code(0);
    assert_eq!(shop.called_carts(), vec!["1"]);
    assert_eq!(
        shop.ledger("SELECT cart_total_minor FROM nudges"),
        vec![vec!["510050".to_string()]]
    );
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "the shop database was modified"
    );
    // A query without a required alias is a config error naming the field.
    let cfg = shop
        .env
        .read("cartnudge.toml")
        .replace("opt_in AS consent", "opt_in");
    shop.env.write("cartnudge.toml", cfg);
    let r = shop.run(NOW, &["check"]);
    r.expect_code(2);
    assert!(
        r.stdout().contains("no column for field `consent`"),
        "{}",
        r.show()
    );
}

#[test]
fn explain_lists_every_rule_verdict() {
    let shop = Shop::new(&[cart("x")
        .set("consent", "0")
        .set("timezone", "Asia/Kamchatka")]);
    let r = shop.run(NOW, &["scan", "--explain", "x"]);
    r.expect_code(0);
    let out = r.stdout();
    assert!(
        out.contains("no_consent        FAIL  no explicit SMS consent"),
        "{}",
        r.show()
    );
    assert!(
        out.contains("quiet_hours       DEFER 00:00 in Asia/Kamchatka is outside 09:00-20:00"),
        "{}",
        r.show()
    );
    assert!(
        out.contains("bad_phone         pass  +7912*****89 (RU)"),
        "{}",
        r.show()
    );
    assert!(
        out.contains("decision: skipped (no_consent)"),
        "{}",
        r.show()
    );
    let missing = shop.run(NOW, &["scan", "--explain", "nope"]);
    missing.expect_code(2);
    assert!(
        missing.stderr().contains("cart `nope` not found"),
        "{}",
        missing.show()
    );
}

#[test]
fn scan_csv_and_table_formats_and_summary() {
    let shop = Shop::new(&[
        cart("a"),
        cart("b").set("phone", "+79120000002").set("consent", "no"),
    ]);
    let csv = shop.run(NOW, &["scan", "--format", "csv"]);
    csv.expect_code(0);
    let rows = crate::util::csv_rows(&csv.stdout());
    assert_eq!(
        rows[0][..3],
        ["cart_id".to_string(), "decision".into(), "reason".into()]
    );
    assert_eq!(rows.len(), 3);
    assert!(
        csv.stderr()
            .contains("summary: would send 1, deferred 0, skipped 1 (no_consent 1)"),
        "{}",
        csv.show()
    );
    let table = shop.run(NOW, &["scan"]);
    assert!(
        table.stdout().lines().next().unwrap().starts_with("CART"),
        "{}",
        table.show()
    );
    assert!(
        table.stdout().contains("summary: would send 1"),
        "{}",
        table.show()
    );
}

#[test]
fn init_writes_a_config_that_check_accepts() {
    let env = crate::util::Env::new();
    env.run(&["init"]).expect_code(0);
    let text = env.read("cartnudge.toml");
    assert!(text.contains("[rules.min_cart_value]") && text.contains("allowed_hours"));
    // An export whose columns are named like the README's fields works as written.
    env.write("carts.csv", "cart_id,customer_id,name,email,phone,total,currency,items_count,updated_at,consent\nc1,,Ann,,+14155552671,80,USD,2,2026-11-22T12:00:00Z,1\n");
    let r = env.run(&["check"]);
    r.expect_code(0);
    assert!(
        r.stdout().contains("ok    threshold  USD: 1 carts"),
        "{}",
        r.show()
    );
    // --config DIR means DIR/cartnudge.toml.
    let r = env.run(&["--config", ".", "check"]);
    r.expect_code(0);
    let again = env.run(&["init"]);
    again.expect_code(2);
    assert!(
        again.stderr().contains("already exists; pass --force"),
        "{}",
        again.show()
    );
}

#[test]
fn crlf_exports_report_the_right_line_numbers() {
    let shop = Shop::new(&[]);
    let good = cart("good").set("phone", "+79120000001").line();
    let bad = cart("bad")
        .set("phone", "+79120000002")
        .set("updated_at", "yesterday")
        .line();
    // header, good, bad, blank, bad: lines 1-5.
    let text = format!("{HEADER}\r\n{good}\r\n{bad}\r\n\r\n{bad}\r\n");
    shop.env.write("carts.csv", text);
    shop.env.write(
        "cartnudge.toml",
        shop.env.read("cartnudge.toml").replace(
            "path = \"carts.csv\"",
            "path = \"carts.csv\"\nmax_invalid = \"100%\"",
        ),
    );
    let r = shop.run(NOW, &["scan"]);
    r.expect_code(0);
    assert!(
        r.stderr().contains("carts.csv:3: column `updated_at`")
            && r.stderr().contains("carts.csv:5: column `updated_at`"),
        "{}",
        r.show()
    );
}

#[test]
fn a_duplicated_mapped_column_is_an_error_naming_both_positions() {
    let shop = Shop::new(&[]);
    let header = HEADER.replace(",email,", ",phone,");
    let row = cart("a").set("phone", "+79120000001").line();
    shop.env.write("carts.csv", format!("{header}\n{row}\n"));
    let r = shop.run(NOW, &["send"]);
    r.expect_code(2);
    assert!(
        r.stderr()
            .contains("column `phone` (for field `phone`) appears twice")
            && r.stderr().contains("columns 4 and 5"),
        "{}",
        r.show()
    );
}

#[test]
fn a_utf16_export_is_reported_as_such() {
    let shop = Shop::new(&[]);
    let text = format!("{HEADER}\n{}\n", cart("a").line());
    // UTF-16 little-endian without a BOM, as some spreadsheet exports write.
    let bytes: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    shop.env.write("carts.csv", bytes);
    let r = shop.run(NOW, &["scan"]);
    r.expect_code(2);
    assert!(
        r.stderr().contains("looks like UTF-16") && r.stderr().contains("save the export as UTF-8"),
        "{}",
        r.show()
    );
    assert!(
        !r.stderr().contains("\\x00") && !r.stderr().contains('\0'),
        "{}",
        r.show()
    );
}

#[test]
fn a_semicolon_export_read_with_commas_gets_a_delimiter_hint() {
    let shop = Shop::new(&[]);
    shop.env
        .write("carts.csv", format!("{}\n", HEADER.replace(',', ";")));
    let r = shop.run(NOW, &["check"]);
    r.expect_code(2);
    assert!(
        r.stderr().contains("source.delimiter = \";\"")
            || r.stdout().contains("source.delimiter = \";\""),
        "{}",
        r.show()
    );
}

#[test]
fn a_wrong_header_is_reported_whole_in_one_run() {
    let shop = Shop::new(&[]);
    // An export whose columns are all named differently: every required field is named at once.
    shop.env.write(
        "carts.csv",
        "id,tel,sum,cur,changed,ok\n1,+79120000001,5000,RUB,2026-11-22T09:00:00Z,1\n",
    );
    let r = shop.run(NOW, &["check"]);
    r.expect_code(2);
    for field in [
        "cart_id",
        "phone",
        "total",
        "currency",
        "updated_at",
        "consent",
    ] {
        assert!(
            r.stdout()
                .contains(&format!("no column for field `{field}`")),
            "{field}: {}",
            r.show()
        );
    }
    assert!(
        r.stdout().contains("or set source.currency"),
        "{}",
        r.show()
    );
}
