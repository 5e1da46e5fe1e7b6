use super::blocks::CrLf;
use super::*;

fn through(input: &[u8], chunk: usize) -> Vec<u8> {
    struct Chunks<'a>(&'a [u8], usize);
    impl Read for Chunks<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(self.1).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let mut out = Vec::new();
    CrLf::new(Chunks(input, chunk))
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn each_field_is_checked_for_utf8_even_when_the_record_is_valid_as_a_whole() {
    // "Б" is D0 91: split between two fields, each half is invalid.
    let split = ::csv::ByteRecord::from(vec![&b"a\xd0"[..], b"\x91b", "ёж".as_bytes()]);
    let split = Current::Csv(&split);
    let whole = std::str::from_utf8(split.bytes()).ok();
    assert!(whole.is_some());
    assert_eq!(field_text(&split, whole, 0), None);
    assert_eq!(field_text(&split, whole, 1), None);
    assert_eq!(field_text(&split, whole, 2), Some(Field::Span(4..8)));
    let bad = ::csv::ByteRecord::from(vec![&b"ok"[..], b"\xff"]);
    let bad = Current::Csv(&bad);
    let whole = std::str::from_utf8(bad.bytes()).ok();
    assert_eq!(whole, None);
    assert_eq!(field_text(&bad, whole, 0), Some(Field::Own("ok")));
    assert_eq!(field_text(&bad, whole, 1), None);
}

#[test]
fn crlf_becomes_lf_across_chunk_boundaries() {
    let input = b"a,b\r\nc\rd,e\r\n\r\nf\r";
    for chunk in 1..=input.len() {
        assert_eq!(
            through(input, chunk),
            b"a,b\nc\rd,e\n\nf\r",
            "chunk {chunk}"
        );
    }
}

/// The reading before blocks: one CSV reader over the whole stream (CR LF read as LF), lines
/// counted from every line end before a record, blank records passed over.
fn read_whole(input: &[u8]) -> Vec<(u64, Vec<Vec<u8>>)> {
    // Reads of a large buffer, as through the 256 KiB buffer the export is read with.
    let (mut text, mut crlf, mut chunk) = (Vec::new(), CrLf::new(input), vec![0; 1 << 16]);
    loop {
        let n = crlf.read(&mut chunk).unwrap();
        if n == 0 {
            break;
        }
        text.extend_from_slice(&chunk[..n]);
    }
    let mut lines = Lines::new(&text, 0);
    let mut reader = ::csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(&text[..]);
    let mut out = Vec::new();
    let mut record = ::csv::ByteRecord::new();
    while reader.read_byte_record(&mut record).unwrap() {
        let line = lines.line_at(&text, record.position().unwrap().byte());
        if record.len() == 1 && record[0].is_empty() {
            continue;
        }
        out.push((line, record.iter().map(<[u8]>::to_vec).collect()));
    }
    out
}

/// The same input cut into blocks of about `size` bytes, each read alone.
fn read_in_blocks(input: &[u8], size: usize) -> Vec<(u64, Vec<Vec<u8>>)> {
    let mut splitter = Splitter::new(input, b',', 16);
    let mut out = Vec::new();
    let reading = Arc::new(Reading {
        source: "t.csv".into(),
        delimiter: b',',
        spares: Spares::default(),
    });
    while let Some(block) = splitter.block(size, reading.spares.buffer()) {
        let mut records = Records::over(block.unwrap(), &reading);
        while let Some(next) = records.next_record() {
            let line = next.unwrap();
            out.push((line, records.current().fields()));
        }
    }
    out
}

#[test]
fn records_read_in_blocks_are_the_records_and_lines_of_the_whole_stream() {
    // Quotes (paired, stray, doubled), line ends inside quotes, CR LF, lone CR, blank lines,
    // and a two-byte character, in random order.
    let alphabet: [&[u8]; 12] = [
        b"a",
        b"bc",
        b",",
        b",",
        b"\"",
        b"\"\"",
        b"\n",
        b"\n",
        b"\r\n",
        b"\r",
        b"\n\n",
        "é".as_bytes(),
    ];
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut quoted_line_ends = 0;
    for case in 0..800 {
        let len = (next() % 120) as usize;
        let mut input = Vec::new();
        for _ in 0..len {
            input.extend_from_slice(alphabet[(next() % alphabet.len() as u64) as usize]);
        }
        let whole = read_whole(&input);
        quoted_line_ends += whole
            .iter()
            .filter(|(_, fields)| fields.iter().any(|f| f.contains(&b'\n')))
            .count();
        for size in [1, 5, 64, 1 << 20] {
            assert_eq!(
                read_in_blocks(&input, size),
                whole,
                "case {case}, blocks of {size}: {:?}",
                String::from_utf8_lossy(&input)
            );
        }
    }
    assert!(
        quoted_line_ends > 100,
        "{quoted_line_ends} records with quoted line ends"
    );
}

#[test]
fn blocks_stay_near_their_size_whatever_the_line_ends() {
    // LF, lone CR (old Mac exports) and a quoted field holding line ends: every block ends within
    // a record of its size, so memory does not follow the file's size.
    let record = "c1,+7 912 000-00-00,100.00\r";
    for (ends, text) in [
        ("LF", record.replace('\r', "\n").repeat(5000)),
        ("CR", record.repeat(5000)),
        ("quoted", "c1,\"a\nb\rc\",1\n".repeat(5000)),
    ] {
        let mut splitter = Splitter::new(text.as_bytes(), b',', 1 << 16);
        let (mut blocks, mut total) = (0, 0);
        while let Some(block) = splitter.block(4096, Vec::new()) {
            let len = block.unwrap().bytes.len();
            assert!(len < 4096 + 64, "{ends}: a block of {len} bytes");
            blocks += 1;
            total += len;
        }
        assert_eq!(total, text.len(), "{ends}");
        assert!(blocks > 10, "{ends}: {blocks} blocks");
        let records = read_in_blocks(text.as_bytes(), 4096);
        assert_eq!(records, read_whole(text.as_bytes()), "{ends}");
        assert_eq!(records.len(), 5000, "{ends}");
    }
}

/// Every row of `input` cut into blocks of about `size` bytes, as text or error: read line by line
/// where a block allows it (`plain`), or with the CSV reader in every block.
fn rows_in_blocks(input: &[u8], size: usize, delimiter: u8, plain: bool) -> Vec<String> {
    let reading = Arc::new(Reading {
        source: "t.csv".into(),
        delimiter,
        spares: Spares::default(),
    });
    // Four columns wanted of three: the first, the third, one missing, and the second.
    let shape = Shape {
        map: super::ColumnMap {
            index: vec![Some(0), Some(2), None, Some(1)],
            names: ["a", "c", "x", "b"].map(|n| Some(n.to_string())).to_vec(),
        },
        width: 3,
        reading: reading.clone(),
    };
    let mut splitter = Splitter::new(input, delimiter, 16);
    let (mut out, mut row) = (Vec::new(), RawRow::new(Location::default(), 0));
    while let Some(block) = splitter.block(size, reading.spares.buffer()) {
        let block = block.unwrap();
        let mut records = match plain {
            true => Records::over(block, &reading),
            false => Records::with_reader(block, &reading),
        };
        records.rows(&shape, &mut row, &mut |r| {
            out.push(match r {
                Ok(row) => format!(
                    "{}: {:?}",
                    row.loc.line,
                    (0..4).map(|i| row.get(i)).collect::<Vec<_>>()
                ),
                Err(e) => e.to_string(),
            })
        });
    }
    out
}

#[test]
fn lines_are_read_as_the_csv_reader_reads_them() {
    // No CR: fields, delimiters of three kinds, blank lines, spaces, a two-byte character,
    // bytes that are not UTF-8, a character cut in half by a delimiter, and quotes: around
    // whole fields (with delimiters, a line end or nothing in them), doubled, or stray.
    let alphabet: [&[u8]; 20] = [
        b"a",
        b"bc",
        b" ",
        b",",
        b",",
        b";",
        b"\n",
        b"\n",
        b"\n\n",
        "é".as_bytes(),
        b"\xff",
        b"\xd0,\x91",
        b"\t",
        b",\"a b\",",
        b"\n\"2026-11-13 15:31:39\";",
        b"\t\"x;y\"\t",
        b",\"\",",
        b"\"",
        b"\"\"",
        b",\"a\nb\",",
    ];
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let (mut rows, mut errors) = (0, 0);
    for case in 0..500 {
        let len = (next() % 150) as usize;
        let mut input = Vec::new();
        for _ in 0..len {
            input.extend_from_slice(alphabet[(next() % alphabet.len() as u64) as usize]);
        }
        let whole = read_whole(&input);
        for delimiter in [b',', b';', b'\t'] {
            let reader = rows_in_blocks(&input, 1 << 20, delimiter, false);
            for size in [1, 7, 64, 1 << 20] {
                let text = || String::from_utf8_lossy(&input).into_owned();
                if delimiter == b',' {
                    assert_eq!(
                        read_in_blocks(&input, size),
                        whole,
                        "case {case}: {:?}",
                        text()
                    );
                }
                assert_eq!(
                    rows_in_blocks(&input, size, delimiter, true),
                    reader,
                    "case {case}, {:?}, blocks of {size}: {:?}",
                    delimiter as char,
                    text()
                );
            }
            rows += reader.iter().filter(|r| r.contains("Some")).count();
            errors += reader.iter().filter(|r| r.contains("UTF-8")).count();
        }
    }
    assert!(
        rows > 1000 && errors > 300,
        "{rows} rows, {errors} UTF-8 errors"
    );
}

#[test]
fn fields_in_quotes_are_read_line_by_line() {
    // PHP's fputcsv quotes a field with a space in it: such lines need no CSV reader.
    let reading = Arc::new(Reading {
        source: "t.csv".into(),
        delimiter: b',',
        spares: Spares::default(),
    });
    let block = |text: &str| RawBlock {
        bytes: text.as_bytes().to_vec(),
        newlines_before: 0,
    };
    let read = |records: &mut Records| {
        let mut read = Vec::new();
        while let Some(line) = records.next_record() {
            read.push((line.unwrap(), records.current().fields()));
        }
        read
    };
    let f = |s: &[&str]| s.iter().map(|f| f.as_bytes().to_vec()).collect::<Vec<_>>();
    let mut records = Records::over(
        block("q1,\"Ivan Petrov\",\"2026-11-13 15:31:39\",\"\"\n\"a,b\",x\n"),
        &reading,
    );
    assert_eq!(
        read(&mut records),
        [
            (1, f(&["q1", "Ivan Petrov", "2026-11-13 15:31:39", ""])),
            (2, f(&["a,b", "x"]))
        ]
    );
    assert!(matches!(records.how, How::Plain(_)));
    // A doubled quote hands the rest of the block to the CSV reader, lines counted on.
    let mut records = Records::over(block("a,\"b c\"\n\n\"x\"\"y\",z\nw\n"), &reading);
    assert_eq!(
        read(&mut records),
        [
            (1, f(&["a", "b c"])),
            (3, f(&["x\"y", "z"])),
            (4, f(&["w"]))
        ]
    );
    assert!(matches!(records.how, How::Csv { .. }));
}
