//! Export throughput: the leads of the 10 MB import file, and the New Lead activities that
//! import wrote, read back into files by the project's own export code (a job's plan, then
//! its file written from the store, checksum included), each against the bare `csv` crate's
//! writer writing the same rows from memory (the floor). Each pair is run in turns and the
//! pair with the median ratio is reported. Also the memory an activity takes.
//!
//! `cargo bench --features internals --bench export [-- --smoke] [-- --bytes N --runs R]`.

mod common;

use std::sync::{Arc, RwLock};

use bytes::Bytes;
use marketo_bulk_mock::clock::Timestamp;
use marketo_bulk_mock::export::ExportKind;
use marketo_bulk_mock::export::plan::plan;
use marketo_bulk_mock::export::select::write;
use marketo_bulk_mock::fixtures::Fixtures;
use marketo_bulk_mock::store::Db;
use marketo_bulk_mock::store::activities::{ActivityLog, Source};
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
    // First, while nothing freed is there for the log to reuse.
    activity_memory();
    let smoke = common::smoke();
    let bytes: usize = common::arg("--bytes", "BENCH_EXPORT_BYTES")
        .map(|v| v.parse().expect("--bytes is a number"))
        .unwrap_or(if smoke { 1_000_000 } else { 10_000_000 });
    let runs: usize = common::arg("--runs", "BENCH_EXPORT_RUNS")
        .map(|v| v.parse().expect("--runs is a number"))
        .unwrap_or(if smoke { 3 } else { 11 });

    let fixtures = Fixtures::load(None).expect("bundled fixtures");
    let (data, rows) = lead_csv(0, bytes, u64::MAX);
    let db = Arc::new(RwLock::new(fixtures.db()));
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
    let range = json!({"startAt": "2023-11-01T00:00:00Z", "endAt": "2023-11-30T00:00:00Z"});
    let db = db.read().expect("lock");
    let leads = json!({"fields": fields, "filter": {"createdAt": range}});
    let leads = plan(&ExportKind::Leads, &leads, &db).expect("a valid export");
    measure("leads", &db, &leads, &records, rows, runs);
    let activities = json!({"filter": {"createdAt": range}});
    let activities = plan(&ExportKind::Activities, &activities, &db).expect("a valid export");
    // The floor writes the activity file's own rows, read back into memory.
    let file = write(&db, &activities);
    let records: Vec<csv::StringRecord> = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&file.bytes[..])
        .records()
        .map(|record| record.expect("a written record"))
        .collect();
    measure(
        "New Lead activities",
        &db,
        &activities,
        &records,
        rows,
        runs,
    );
}

/// Times one export against the floor writing `records`, and prints its row.
fn measure(
    what: &str,
    db: &Db,
    export: &marketo_bulk_mock::export::plan::ExportPlan,
    records: &[csv::StringRecord],
    rows: u64,
    runs: usize,
) {
    let (mut ours, mut floor) = (Vec::new(), Vec::new());
    let mut size = 0;
    for _ in 0..runs.max(1) {
        floor.push(timed(|| std::hint::black_box(csv_write(records))).0);
        let (took, file) = timed(|| write(db, export));
        assert_eq!(file.records, rows, "every imported {what} is exported");
        size = file.size();
        ours.push(took);
    }
    let (ours, floor) = median_pair(&ours, &floor);
    eprintln!(
        "export of {what}: {rows} rows, {:.1} MB file: {:.1} ms; csv writer floor {:.1} ms",
        common::mb(size),
        millis(ours),
        millis(floor)
    );
    row(
        &format!(
            "export {}k {what} to a {:.1} MB CSV: select+write+checksum",
            rows / 1000,
            common::mb(size)
        ),
        millis(ours),
        millis(floor),
        "ms",
        Target::RatioAtMost(3.0),
    );
}

/// This process's resident memory, from `/proc/self/status`.
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map(|kb| kb * 1024)
        .expect("VmRSS")
}

/// The resident memory an activity takes, logged one by one as a stream of imports would log
/// them (the log grows as it goes, with no room reserved ahead): New Lead activities of
/// consecutive leads (a bulk import's, stored as runs), and the worst case, activities of
/// every other lead, which share no run.
fn activity_memory() {
    const COUNT: u32 = 1_000_000;
    for (what, stride) in [
        ("New Lead activities of a bulk import", 1),
        ("activities sharing no run", 2),
    ] {
        let mut log = ActivityLog::default();
        let before = rss();
        for step in 0..COUNT / 10_000 {
            let source = log.source(Source {
                kind: "List import",
                name: format!("Bulk lead import {step}"),
            });
            for n in step * 10_000..(step + 1) * 10_000 {
                log.new_lead(n * stride + 1, Timestamp(1_700_000_000_000), source);
            }
        }
        let grew = rss().saturating_sub(before);
        std::hint::black_box(&log);
        row(
            &format!("RSS an activity, {}k {what}", COUNT / 1000),
            grew as f64 / f64::from(COUNT),
            ActivityLog::ENTRY_BYTES as f64,
            "B",
            Target::ValueBelow(64.0, "B"),
        );
    }
}
