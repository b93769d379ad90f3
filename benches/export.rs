//! Export throughput: the leads of the 10 MB import file, read back into a file by the
//! project's own export code (a job's plan, then its file written from the store, checksum
//! included), against the bare `csv` crate's writer writing the same rows from memory (the
//! floor). The two are run in turns and the pair with the median ratio is reported.
//!
//! `cargo bench --bench export [-- --smoke] [-- --bytes N --runs R]`.

mod common;

use std::sync::{Arc, RwLock};

use bytes::Bytes;
use marketo_bulk_mock::export::ExportKind;
use marketo_bulk_mock::export::plan::plan;
use marketo_bulk_mock::export::select::write;
use marketo_bulk_mock::fixtures::Fixtures;
use marketo_bulk_mock::store::Db;
use serde_json::json;

use common::{HEADER, Target, import, lead_csv, median_pair, millis, row, timed};

/// The floor: the `csv` crate writing records already in memory, as the export writes them
/// (LF line ends, quoting only where needed).
fn csv_write(records: &[csv::StringRecord]) -> usize {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    for record in records {
        writer.write_record(record).expect("writing to memory");
    }
    writer.into_inner().map(|bytes| bytes.len()).unwrap_or(0)
}

fn main() {
    let smoke = common::smoke();
    let bytes: usize = common::arg("--bytes", "BENCH_EXPORT_BYTES")
        .map(|v| v.parse().expect("--bytes is a number"))
        .unwrap_or(if smoke { 1_000_000 } else { 10_000_000 });
    let runs: usize = common::arg("--runs", "BENCH_EXPORT_RUNS")
        .map(|v| v.parse().expect("--runs is a number"))
        .unwrap_or(if smoke { 3 } else { 11 });

    let fixtures = Fixtures::load(None).expect("bundled fixtures");
    let (data, rows) = lead_csv(0, bytes, u64::MAX);
    let db = Arc::new(RwLock::new(Db::new(&fixtures, 0)));
    assert_eq!(import(Bytes::from(data.clone()), &db) as u64, rows);
    // The same rows, as the floor holds them: the header, then every record.
    let records: Vec<csv::StringRecord> = std::iter::once(csv::StringRecord::from(
        HEADER.split(',').collect::<Vec<_>>(),
    ))
    .chain(
        csv::Reader::from_reader(data.as_slice())
            .records()
            .map(|record| record.expect("a generated record")),
    )
    .collect();

    let fields: Vec<&str> = HEADER.split(',').collect();
    let request = json!({
        "fields": fields,
        "filter": {"createdAt": {"startAt": "2023-11-01T00:00:00Z", "endAt": "2023-11-30T00:00:00Z"}},
    });
    let db = db.read().expect("lock");
    let export = plan(&ExportKind::Leads, &request, &db).expect("a valid export");
    let (mut ours, mut floor) = (Vec::new(), Vec::new());
    let mut size = 0;
    for _ in 0..runs.max(1) {
        floor.push(timed(|| std::hint::black_box(csv_write(&records))).0);
        let (took, file) = timed(|| write(&db, &export));
        assert_eq!(file.records, rows, "every imported lead is exported");
        size = file.size();
        ours.push(took);
    }
    let (ours, floor) = median_pair(&ours, &floor);
    eprintln!(
        "export: {rows} rows, {:.1} MB file: {:.1} ms; csv writer floor {:.1} ms",
        common::mb(size),
        millis(ours),
        millis(floor)
    );
    row(
        &format!(
            "export {}k leads to a {:.1} MB CSV: select+write+checksum",
            rows / 1000,
            common::mb(size)
        ),
        millis(ours),
        millis(floor),
        "ms",
        Target::RatioAtMost(3.0),
    );
}
