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

/// A cart source of this kind reading `path`, `name` mapped to a nested key; and its required
/// fields.
fn source_config(kind: &str, path: &std::path::Path) -> (config::Config, Vec<&'static str>) {
    let raw: config::RawSource = toml::from_str(&format!(
        "kind = \"{kind}\"\npath = {:?}\n[columns]\nname = \"customer.name\"",
        path.display().to_string()
    ))
    .unwrap();
    let s = config::from_raw(raw, "source", config::CART_FIELDS, &|p| p.into()).unwrap();
    let required = crate::source::cart_required(&s);
    (s, required)
}

/// What a split source yields, its blocks read by two threads as the pipeline reads them.
fn drain_blocks(rows: &mut crate::source::Rows) -> Vec<String> {
    let split = rows.split().expect("the source splits");
    let mut head = split.head.into_iter();
    let blocks = crate::source::batch::in_order(
        split.next,
        move |b: crate::source::Block, out: &mut Vec<_>| {
            let mut scratch = RawRow::new(Location::default(), 0);
            b(&mut scratch, &mut |r| out.push(r.cloned()))
        },
    );
    let mut rest = head.by_ref().chain(blocks);
    drain(|row| Some(rest.next()?.map(|r| *row = r)))
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
    let (s, required) = source_config("jsonl", &path);

    let mut seq = super::open(&s, config::CART_FIELDS, &required).unwrap();
    let in_sequence = drain(|row| seq.next_into(row));

    let mut par = super::open(&s, config::CART_FIELDS, &required).unwrap();
    let in_blocks = drain_blocks(&mut par);

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

/// Reads `bytes` as a JSON array export three ways: by serde alone from the start (as before
/// arrays were cut), cut and read in sequence, and cut and read in blocks on two threads. Each
/// gives the rows and errors, or the error that stops the run.
fn array_three_ways(dir: &std::path::Path, bytes: &[u8]) -> [Vec<String>; 3] {
    let path = dir.join("carts.json");
    std::fs::write(&path, bytes).unwrap();
    let (s, required) = source_config("json", &path);
    let open = |cut| super::open_cut(&s, config::CART_FIELDS, &required, cut);
    let serde = match open(false) {
        Ok(mut rows) => drain(|row| rows.next_into(row)),
        Err(e) => vec![format!("stop {e:#}")],
    };
    let in_sequence = match open(true) {
        Ok(mut rows) => drain(|row| rows.next_into(row)),
        Err(e) => vec![format!("stop {e:#}")],
    };
    let in_blocks = match open(true) {
        Ok(mut rows) => drain_blocks(&mut rows),
        Err(e) => vec![format!("stop {e:#}")],
    };
    [serde, in_sequence, in_blocks]
}

#[test]
fn a_cut_json_array_reads_as_serde_reads_it_whole_whatever_is_wrong_with_it() {
    let dir = std::env::temp_dir().join(format!("cartnudge-array-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut seed = 0x5eed_u64;
    let mut rand = move |n: usize| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((seed >> 33) as usize) % n.max(1)
    };
    // Strings that a cutter could take for structure.
    const TEXTS: &[&str] = &[
        "plain",
        "{",
        "}",
        "[",
        "]",
        "\\\"",
        "\\\\",
        "a,b",
        "\\u00e9\\/x",
        "Ёжик",
        "\\\\\\\"}",
    ];
    let element = |rand: &mut dyn FnMut(usize) -> usize, i: usize, pretty: bool| {
        let (sep, ind) = if pretty { ("\n    ", "\n  ") } else { ("", "") };
        let text = TEXTS[rand(TEXTS.len())];
        let mut members = vec![
            format!("\"cart_id\": \"c{i}{text}\""),
            format!("\"phone\": \"+7912{:07}\"", rand(10_000_000)),
            format!("\"total\": \"{}.{:02}\"", rand(9000), rand(100)),
            "\"currency\": \"RUB\"".to_string(),
            format!("\"updated_at\": \"2026-11-{:02} 10:00:00\"", 10 + rand(10)),
            format!("\"consent\": {}", rand(2) == 0),
            format!("\"customer\": {{\"name\": \"N{i}{text}\", \"tags\": [1, [2, {{}}], \"]\"]}}"),
        ];
        match rand(12) {
            0 => members.push("\"Phone\": \"+1 202 555 0100\"".into()),
            1 => members.push("\"total\": 12.5".into()),
            2 => members.retain(|m| !m.starts_with("\"total\"")),
            3 => members.push("\"extra\": null".into()),
            _ => {}
        }
        format!("{{{sep}{}{ind}}}", members.join(&format!(",{sep}")))
    };
    // Each fault replaces one element, or the text between two, or the file's end.
    const FAULTS: usize = 24;
    let mut cases = 0;
    for case in 0..FAULTS * 6 {
        let fault = case % FAULTS;
        let big = case % 7 == 3;
        let n = if big { 2500 } else { 1 + rand(40) };
        let pretty = rand(3) == 0;
        let crlf = rand(5) == 0;
        let at = rand(n);
        let mut text = String::new();
        if rand(6) == 0 {
            text.push('\u{feff}');
        }
        text.push_str(["[", " [", "\n[", "\t[\r\n"][rand(4)]);
        for i in 0..n {
            let mut el = element(&mut rand, i, pretty);
            let mut comma = if i + 1 < n { "," } else { "" }.to_string();
            if i == at {
                match fault {
                    0 => comma.clear(),       // missing comma
                    1 => comma = ",,".into(), // double comma
                    2 => el = "42".into(),    // not an object
                    3 => el = "\"text\"".into(),
                    4 => el = "[{\"cart_id\": \"in a list\"}]".into(),
                    5 => el = "null".into(),
                    6 => el.insert_str(1, "\"bad\": tru, "), // bad literal
                    7 => el.insert_str(1, "\"ctl\": \"a\u{1}b\", "), // control character
                    8 => el.insert_str(1, "\"esc\": \"\\x\", "), // bad escape
                    9 => el.insert_str(1, "\"big\": 1e400, "), // number out of range
                    10 => el.insert_str(1, "\"sur\": \"\\ud800\", "), // lone surrogate
                    11 => el.insert_str(1, "\"utf\": \"<FF>\", "), // not UTF-8
                    12 => el = format!("{}1{}", "{\"a\":".repeat(130), "}".repeat(130)),
                    13 => el = format!("{}1{}", "{\"a\":".repeat(101), "}".repeat(101)),
                    14 => el.insert_str(1, "\"dup\": 1, \"dup\": 2, "),
                    15 => el.insert_str(1, &format!("\"long\": \"{}\", ", "n".repeat(300_000))),
                    16 => el.insert(el.len() - 1, '}'), // one brace too many
                    17 => el.insert(el.len() - 1, ']'), // a bracket that closes nothing
                    18 => el.insert_str(1, "\"key\" 1, "), // missing colon
                    19 => el = "{}".into(),
                    _ => {}
                }
            }
            text.push_str(if pretty || rand(2) == 0 { "\n  " } else { "" });
            text.push_str(&el);
            text.push_str(&comma);
        }
        text.push_str(if rand(2) == 0 { "\n]" } else { "]" });
        match fault {
            20 => text.push_str("\n{\"after\": 1}"), // characters after the array
            21 => {
                // The file ends inside the array, somewhere.
                let mut cut = rand(text.len());
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                text.truncate(cut);
            }
            22 => {
                text = [
                    "",
                    "   \n",
                    "[]",
                    "[ ] x",
                    "{\"cart_id\": 1}",
                    "[1, 2]",
                    "]",
                ][rand(7)]
                .into()
            }
            _ => text.push_str(["", "\n", " \r\n\t"][rand(3)]),
        }
        if crlf {
            text = text.replace('\n', "\r\n");
        }
        let bytes: Vec<u8> = text.replace("<FF>", "\u{1}\u{1}").into_bytes();
        let bytes: Vec<u8> = bytes
            .iter()
            .map(|&b| if b == 1 { 0xFF } else { b })
            .collect();
        let [serde, in_sequence, in_blocks] = array_three_ways(&dir, &bytes);
        let shown = String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).to_string();
        assert_eq!(
            in_sequence, serde,
            "case {case} (fault {fault}), in sequence: {shown}"
        );
        assert_eq!(
            in_blocks, serde,
            "case {case} (fault {fault}), in blocks: {shown}"
        );
        cases += 1;
    }
    assert_eq!(cases, FAULTS * 6);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Gives `data` a few thousand bytes at a time, then fails at `fail` (if set) or ends.
struct Chunky {
    data: Vec<u8>,
    at: usize,
    fail: Option<usize>,
}

impl std::io::Read for Chunky {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let end = self.fail.unwrap_or(self.data.len()).min(self.data.len());
        if self.at >= end && self.fail.is_some() {
            return Err(std::io::Error::other("disk gone"));
        }
        let n = buf.len().min(end - self.at).min(7777);
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[test]
fn json_lines_blocks_hold_the_lines_and_read_error_that_reading_line_by_line_gives() {
    let mut text = String::new();
    for i in 0..6000 {
        match i % 50 {
            7 => text.push('\n'),
            8 => text.push_str("  \r\n"),
            _ if i == 3000 => {
                text.push_str(&format!("{{\"long\": \"{}\"}}\n", "x".repeat(300_000)))
            }
            _ => text.push_str(&format!("{{\"cart_id\": \"c{i}\", \"n\": {i}}}\n")),
        }
    }
    text.push_str("{\"cart_id\": \"last, no line end\"}");
    let data = text.into_bytes();
    let newline = data.iter().position(|&b| b == b'\n').unwrap();
    let long = data.windows(4).position(|w| w == b"xxxx").unwrap();
    let source: std::sync::Arc<str> = "carts.jsonl".into();
    let lines = |fail| super::Lines {
        reader: std::io::BufReader::with_capacity(
            64 * 1024,
            Chunky {
                data: data.clone(),
                at: 0,
                fail,
            },
        ),
        buf: Vec::new(),
        carry: Vec::new(),
        line: 0,
        name: "carts.jsonl".into(),
        done: false,
        map: Default::default(),
        source: source.clone(),
    };
    let show = |item: super::Item| match item {
        Ok(super::Rec::Doc(pos, doc)) => format!("{} {doc}", pos.line),
        Ok(super::Rec::Row(_)) => unreachable!("no mapping"),
        Err(e) => format!("error {e}"),
    };
    for fail in [
        None,
        Some(0),
        Some(newline + 1),
        Some(long + 10),
        Some(data.len() - 5),
    ] {
        let one_by_one: Vec<String> = lines(fail).map(show).collect();
        let mut reader = lines(fail);
        // The first line one by one, as the mapping is learned; then blocks.
        let mut in_blocks: Vec<String> = reader.next().map(show).into_iter().collect();
        while let Some(block) = reader.block() {
            let mut start = 0;
            for (k, &end) in block.ends.iter().enumerate() {
                let line = block.first_line + k as u64;
                let item =
                    super::line_item(&block.bytes[start..end], line, "carts.jsonl", None, &source);
                in_blocks.extend(item.map(show));
                start = end;
            }
            in_blocks.extend(block.error.map(|e| show(Err(e))));
        }
        assert!(one_by_one.len() > 1 || fail == Some(0), "{fail:?}");
        assert_eq!(
            one_by_one.last().unwrap().starts_with("error"),
            fail.is_some(),
            "{fail:?}"
        );
        assert_eq!(in_blocks, one_by_one, "failing at {fail:?}");
    }
}
