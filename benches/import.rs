//! Import throughput: deterministic lead CSVs parsed, validated and upserted by the project's
//! own import code, against the bare `csv` crate counting the same file's records (the floor).
//! Each case runs in turns with its floor and the pair with the median ratio is reported (see
//! `common::median_pair`), so the ratio holds on a busy machine.
//!
//! The cases: new leads, a re-import of the same file (every row an update that changes
//! nothing), the same leads with other values (every row an update that changes some), a file
//! half of whose leads exist, and new leads and re-imports of two other file shapes.
//!
//! `cargo bench --features internals --bench import [-- --smoke] [-- --bytes N --runs R]`;
//! `--import-only` runs the first case without the floor and prints nothing but the timing (for
//! a profiler); `--case NAME` (new, same, changed, mixed) picks the case it runs, and with
//! `--import-only`, `--shape NAME` (standard, long, typed) the file shape.

mod common;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use bytes::Bytes;
use marketo_bulk_mock::fixtures::Fixtures;

use common::{
    Shape, Target, csv_count, import, lead_file, median, median_pair, millis, row, timed,
};

/// What the database holds before the timed import, and what the import brings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    /// Nothing; every row creates a lead.
    New,
    /// The same file; every row finds its lead and changes nothing.
    Same,
    /// The same leads with other values; every row finds its lead and changes some.
    Changed,
    /// The first half of the file's leads.
    Mixed,
}

impl Case {
    fn name(self) -> &'static str {
        match self {
            Case::New => "new",
            Case::Same => "same",
            Case::Changed => "changed",
            Case::Mixed => "mixed",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Case::New => "new leads",
            Case::Same => "re-import, every row unchanged",
            Case::Changed => "re-import, every row with other values",
            Case::Mixed => "half new, half existing",
        }
    }
}

struct Bench {
    fixtures: Fixtures,
    bytes: usize,
    runs: usize,
}

impl Bench {
    /// Times `case` on files of `shape`; the median pair (ours, floor), or ours alone.
    fn run(&self, shape: Shape, case: Case, with_floor: bool) -> (Duration, Duration, u64, usize) {
        let (data, rows) = lead_file(shape, 0, 0, self.bytes, u64::MAX);
        let size = data.len();
        let data = Bytes::from(data);
        assert_eq!(csv_count(&data), rows, "the csv floor reads every row");
        let loaded: Option<Bytes> = match case {
            Case::New => None,
            Case::Same => Some(data.clone()),
            Case::Changed => Some(Bytes::from(lead_file(shape, 1, 0, self.bytes, rows).0)),
            Case::Mixed => Some(Bytes::from(lead_file(shape, 0, 0, self.bytes, rows / 2).0)),
        };
        let (mut ours, mut floor) = (Vec::new(), Vec::new());
        for _ in 0..self.runs.max(1) {
            let db = Arc::new(RwLock::new(self.fixtures.db()));
            if let Some(loaded) = &loaded {
                import(loaded.clone(), &db);
            }
            if with_floor {
                floor.push(timed(|| std::hint::black_box(csv_count(&data))).0);
            }
            let (took, imported) = timed(|| import(data.clone(), &db));
            assert_eq!(imported as u64, rows, "every generated row imports");
            ours.push(took);
        }
        let (ours, floor) = if with_floor {
            median_pair(&ours, &floor)
        } else {
            (median(ours), Duration::ZERO)
        };
        (ours, floor, rows, size)
    }
}

fn main() {
    let smoke = common::smoke();
    let bench = Bench {
        fixtures: Fixtures::load(None).expect("bundled fixtures"),
        bytes: common::arg("--bytes", "BENCH_IMPORT_BYTES")
            .map(|v| v.parse().expect("--bytes is a number"))
            .unwrap_or(if smoke { 1_000_000 } else { 10_000_000 }),
        runs: common::arg("--runs", "BENCH_IMPORT_RUNS")
            .map(|v| v.parse().expect("--runs is a number"))
            .unwrap_or(if smoke { 3 } else { 11 }),
    };
    let chosen = common::arg("--case", "BENCH_IMPORT_CASE");
    let cases = [Case::New, Case::Same, Case::Changed, Case::Mixed]
        .into_iter()
        .filter(|case| chosen.as_deref().is_none_or(|name| name == case.name()));
    if std::env::args().any(|a| a == "--import-only") {
        let case = cases.into_iter().next().expect("a known --case");
        // For profiling one shape: `--shape typed` or `--shape long`.
        let shape = match common::arg("--shape", "BENCH_IMPORT_SHAPE").as_deref() {
            None | Some("standard") => Shape::Standard,
            Some("long") => Shape::LongText,
            Some("typed") => Shape::Typed,
            Some(other) => panic!("unknown --shape {other}: standard, long or typed"),
        };
        let (ours, _, rows, size) = bench.run(shape, case, false);
        eprintln!(
            "import ({}, {}): {rows} rows, {:.1} MB: {:.1} ms, {:.1} MB/s",
            shape.name(),
            case.describe(),
            common::mb(size as u64),
            millis(ours),
            common::mb(size as u64) / ours.as_secs_f64(),
        );
        return;
    }
    let shapes = cases.map(|case| (Shape::Standard, case)).chain(
        [Shape::LongText, Shape::Typed]
            .into_iter()
            .flat_map(|shape| {
                [Case::New, Case::Same]
                    .into_iter()
                    .filter(|case| chosen.as_deref().is_none_or(|name| name == case.name()))
                    .map(move |case| (shape, case))
            }),
    );
    for (shape, case) in shapes {
        let (ours, floor, rows, size) = bench.run(shape, case, true);
        eprintln!(
            "import, {}, {}: {:.1} ms ({:.1} MB/s), csv floor {:.1} ms",
            shape.name(),
            case.describe(),
            millis(ours),
            common::mb(size as u64) / ours.as_secs_f64(),
            millis(floor)
        );
        row(
            &format!(
                "import {:.1} MB CSV, {}k rows, {}: {}",
                common::mb(size as u64),
                rows / 1000,
                shape.name(),
                case.describe()
            ),
            millis(ours),
            millis(floor),
            "ms",
            Target::RatioAtMost(3.0),
        );
    }
}
