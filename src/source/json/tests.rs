use crate::model::Location;
use crate::source::{RawRow, config};

/// What a source yields, row by row: each field's text with the line, or the error.
fn drain(mut next: impl FnMut(&mut RawRow) -> Option<Result<(), super::RowError>>) -> Vec<String> {
    let mut row = RawRow::new(Location::default(), 0);
    let mut out = Vec::new();
    while let Some(r) = next(&mut row) {
        out.push(match r {
            Ok(()) => format!(
                "{}: {:?}",
                row.loc,
                (0..config::CART_FIELDS.len())
                    .map(|i| row.get(i))
                    .collect::<Vec<_>>()
            ),
            Err(e) => format!("error {e}"),
        });
    }
    out
}

#[test]
fn json_lines_read_in_blocks_on_two_threads_give_the_rows_and_errors_read_in_sequence() {
    let dir = std::env::temp_dir().join(format!("cartnudge-jsonl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("carts.jsonl");
    let mut text = String::from("not json\n\n");
    for i in 0..20_000 {
        text.push_str(&match i % 97 {
            50 => "{\"cart_id\": \"broken\"\n".to_string(),
            51 => "[1, 2]\n".to_string(),
            52 => "   \n".to_string(),
            54 => "{\"cart_id\": \"u<FF>\", \"total\": \"1\", \"currency\": \"RUB\", \"updated_at\": \"2026-01-01 10:00:00\"}\n".to_string(),
            55 => "{\"cart_id\": \"big\", \"extra\": 1e400, \"total\": \"1\", \"currency\": \"RUB\", \"updated_at\": \"2026-01-01 10:00:00\"}\n".to_string(),
            56 => "{\"cart_id\": \"surrogate\\ud800\", \"total\": \"1\", \"currency\": \"RUB\", \"updated_at\": \"2026-01-01 10:00:00\"}\n".to_string(),
            57 => format!("{{\"cart_id\": \"crlf{i}\", \"total\": \"1\", \"currency\": \"RUB\", \"updated_at\": \"2026-01-01 10:00:00\", \"name\": \"<FF>\"}}\r\n"),
            58 => "{\"cart_id\": \"ctl\u{2}\", \"total\": \"1\", \"currency\": \"RUB\", \"updated_at\": \"2026-01-01 10:00:00\"} x\n".to_string(),
            // Longer than a block and than the reader's buffer: finished line by line.
            _ if i == 10_000 => format!(
                "{{\"cart_id\": \"long{}\", \"total\": \"1\", \"currency\": \"RUB\", \"updated_at\": \"2026-01-01 10:00:00\"}}\n",
                "n".repeat(300_000)
            ),
            53 => "{\"cart_id\": \"x\\u00e9\", \"Phone\": 5, \"total\": 1.5, \"currency\": \"EUR\", \"updated_at\": \"2026-01-01T00:00:00Z\", \"consent\": true, \"phone\": \"+7 912 000-00-00\"}\n".to_string(),
            _ => format!(
                "{{\"cart_id\": \"c{i}\", \"phone\": \"+7912{i:07}\", \"total\": \"{i}.50\", \"currency\": \"RUB\", \"updated_at\": \"2026-01-01 10:00:00\", \"consent\": {}, \"customer\": {{\"name\": \"N{i}\"}}}}\n",
                i % 2 == 0
            ),
        });
    }
    text.push_str("{\"cart_id\": \"last\", \"phone\": \"1\", \"total\": \"1\", \"currency\": \"RUB\", \"updated_at\": \"2026-01-01 10:00:00\", \"consent\": false}");
    // Bytes that are not UTF-8, inside a mapped field and inside one the mapping leaves out.
    let bytes = text.replace("<FF>", "\u{1}").into_bytes();
    let bytes: Vec<u8> = bytes
        .iter()
        .map(|&b| if b == 1 { 0xFF } else { b })
        .collect();
    std::fs::write(&path, &bytes).unwrap();
    assert!(text.len() > 4 * super::BLOCK, "several blocks");
    let raw: config::RawSource = toml::from_str(&format!(
        "kind = \"jsonl\"\npath = {:?}\n[columns]\nname = \"customer.name\"",
        path.display().to_string()
    ))
    .unwrap();
    let s = config::from_raw(raw, "source", config::CART_FIELDS, &|p| p.into()).unwrap();
    let required = crate::source::cart_required(&s);

    let mut seq = super::open(&s, config::CART_FIELDS, &required).unwrap();
    let in_sequence = drain(|row| seq.next_into(row));

    let mut par = super::open(&s, config::CART_FIELDS, &required).unwrap();
    let split = par.split().expect("JSON Lines split");
    let mut head = split.head.into_iter();
    let blocks = crate::source::batch::in_order(
        split.next,
        move |b: crate::source::Block, out: &mut Vec<_>| {
            let mut scratch = RawRow::new(Location::default(), 0);
            b(&mut scratch, &mut |r| out.push(r.cloned()))
        },
    );
    let mut rest = head.by_ref().chain(blocks);
    let in_blocks = drain(|row| Some(rest.next()?.map(|r| *row = r)));

    assert!(in_sequence.len() > 20_000 - 300, "{}", in_sequence.len());
    assert!(in_sequence.iter().any(|r| r.starts_with("error")));
    assert!(
        in_sequence.iter().any(|r| r.contains("N4")),
        "nested path read"
    );
    assert!(in_sequence.iter().any(|r| r.contains("nnnnnnnn")));
    assert!(in_sequence.last().unwrap().contains("\"last\""));
    assert_eq!(in_blocks, in_sequence);
    std::fs::remove_dir_all(&dir).unwrap();
}
