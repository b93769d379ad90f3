//! Import throughput: a deterministic lead CSV parsed, validated and upserted into a fresh lead
//! database by the project's own import code, against the bare `csv` crate counting the same
//! file's records (the floor). The two are run in turns and the pair with the median ratio
//! is reported (see `common::median_pair`), so the ratio holds on a busy machine.
//!
//! `cargo bench --bench import [-- --smoke] [-- --bytes N --runs R]`; `--import-only` skips the
//! floor and prints nothing but the timing (for a profiler).

mod common;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use bytes::Bytes;
use marketo_bulk_mock::fixtures::Fixtures;
use marketo_bulk_mock::store::Db;

use common::{Target, csv_count, import, lead_csv, median, median_pair, millis, row, timed};

fn main() {
    let smoke = common::smoke();
    let bytes: usize = common::arg("--bytes", "BENCH_IMPORT_BYTES")
        .map(|v| v.parse().expect("--bytes is a number"))
        .unwrap_or(if smoke { 1_000_000 } else { 10_000_000 });
    let runs: usize = common::arg("--runs", "BENCH_IMPORT_RUNS")
        .map(|v| v.parse().expect("--runs is a number"))
        .unwrap_or(if smoke { 3 } else { 11 });
    let import_only = std::env::args().any(|a| a == "--import-only");

    let fixtures = Fixtures::load(None).expect("bundled fixtures");
    let (data, rows) = lead_csv(0, bytes, u64::MAX);
    let size = data.len();
    let data = Bytes::from(data);
    assert_eq!(csv_count(&data), rows, "the csv floor reads every row");

    let mut floor = Vec::new();
    let mut ours = Vec::new();
    for _ in 0..runs.max(1) {
        if !import_only {
            floor.push(timed(|| std::hint::black_box(csv_count(&data))).0);
        }
        let db = Arc::new(RwLock::new(Db::new(&fixtures)));
        let (took, imported) = timed(|| import(data.clone(), &db));
        assert_eq!(imported as u64, rows, "every generated row imports");
        ours.push(took);
        drop(db);
    }
    let (ours, floor) = if import_only {
        (median(ours), Duration::ZERO)
    } else {
        median_pair(&ours, &floor)
    };
    eprintln!(
        "import: {} rows, {:.1} MB: {:.1} ms, {:.1} MB/s, {:.0} rows/s",
        rows,
        common::mb(size as u64),
        millis(ours),
        common::mb(size as u64) / ours.as_secs_f64(),
        rows as f64 / ours.as_secs_f64()
    );
    if import_only {
        return;
    }
    eprintln!(
        "csv floor: {:.1} ms, {:.1} MB/s",
        millis(floor),
        common::mb(size as u64) / floor.as_secs_f64()
    );
    row(
        &format!(
            "import {:.1} MB CSV, {}k rows: parse+validate+upsert",
            common::mb(size as u64),
            rows / 1000
        ),
        millis(ours),
        millis(floor),
        "ms",
        Target::RatioAtMost(3.0),
    );
}
