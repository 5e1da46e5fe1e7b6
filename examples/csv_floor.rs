//! The floor for reading an export: the csv crate with one reused `ByteRecord`, counting fields,
//! nothing else. `bench/run.sh` times cartnudge against it.
//!   cargo run --release --example csv_floor -- carts.csv

fn main() {
    let path = std::env::args().nth(1).expect("usage: csv_floor FILE");
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(&path)
        .expect("open");
    let mut record = csv::ByteRecord::new();
    let (mut rows, mut fields) = (0u64, 0u64);
    while reader.read_byte_record(&mut record).expect("read") {
        rows += 1;
        fields += record.len() as u64;
    }
    println!("{rows} rows, {fields} fields");
}
