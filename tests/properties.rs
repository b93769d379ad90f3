//! Property tests over the import pipeline, in process: whatever table of values is written
//! as CSV, TSV or SSV, every row is accounted for, imported values read back unchanged, and
//! failed rows come back byte for byte.
//!
//! They reach the import core through the `internals` feature:
//! `cargo test --features internals --test properties`.

use std::sync::{Arc, RwLock};

use bytes::Bytes;
use marketo_bulk_mock::clock::Timestamp;
use marketo_bulk_mock::faults::Faults;
use marketo_bulk_mock::fixtures::Fixtures;
use marketo_bulk_mock::import::{Format, ImportContext, ImportRequest, LeadParams, prepare};
use marketo_bulk_mock::store::Db;
use proptest::prelude::*;

/// Columns written for every row: the lookup, three free-text fields and an integer.
const HEADER: [&str; 5] = ["email", "firstName", "company", "notes", "leadScore"];

/// A cell of any text: delimiters, quotes, line breaks, unicode, or nothing at all.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-zA-Z0-9 ]{1,12}",
        "[,;\t\"\r\n ]{1,6}",
        "\\PC{1,20}",
        "[a-z]{1,5}[,;\t\"\n][a-z\"]{0,5}",
    ]
}

/// One row: its free-text cells, whether its score is a number (else it fails), and whether
/// its email is well formed (else it is imported with a warning).
fn row() -> impl Strategy<Value = ([String; 3], bool, bool)> {
    (
        [cell(), cell(), cell()],
        prop::bool::weighted(0.8),
        prop::bool::weighted(0.8),
    )
}

fn email(index: usize, well_formed: bool) -> String {
    if well_formed {
        format!("row{index}@example.com")
    } else {
        format!("row{index}-at-example")
    }
}

fn format() -> impl Strategy<Value = Format> {
    prop_oneof![Just(Format::Csv), Just(Format::Tsv), Just(Format::Ssv)]
}

/// Writes the table in the format, returning the file and each row's raw text.
fn write(format: Format, rows: &[([String; 3], bool, bool)]) -> (Vec<u8>, Vec<Vec<u8>>) {
    let mut raws = Vec::new();
    let line = |cells: &[String]| {
        let mut writer = csv::WriterBuilder::new()
            .delimiter(format.delimiter())
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        writer.write_record(cells).unwrap();
        let mut bytes = writer.into_inner().unwrap();
        bytes.pop();
        bytes
    };
    let mut file = line(&HEADER.map(String::from));
    file.push(b'\n');
    for (index, (text, good_score, good_email)) in rows.iter().enumerate() {
        let score = if *good_score {
            index.to_string()
        } else {
            format!("x{index}")
        };
        let cells = [
            email(index, *good_email),
            text[0].clone(),
            text[1].clone(),
            text[2].clone(),
            score,
        ];
        let raw = line(&cells);
        file.extend_from_slice(&raw);
        file.push(b'\n');
        raws.push(raw);
    }
    (file, raws)
}

/// Imports `file` into `db` in steps of `step_rows`: the summed counters and the result files.
fn import(
    db: &Arc<RwLock<Db>>,
    format: Format,
    file: Vec<u8>,
    step_rows: usize,
) -> (
    marketo_bulk_mock::jobs::Counters,
    marketo_bulk_mock::jobs::ResultFiles,
) {
    let request = ImportRequest::Leads(LeadParams {
        format: Some(format.to_string()),
        ..LeadParams::default()
    });
    let context = ImportContext {
        db: db.clone(),
        faults: Arc::new(Faults::default()),
    };
    let mut work = prepare(request, Some(Bytes::from(file)), context)
        .unwrap()
        .work;
    let mut counters = marketo_bulk_mock::jobs::Counters::default();
    loop {
        let step = work.step(step_rows, Timestamp(1_000));
        counters.add(step.counters);
        if step.done {
            return (counters, work.finish());
        }
    }
}

#[test]
fn a_large_file_checked_on_a_second_thread_imports_as_it_does_a_row_at_a_time() {
    // Thousands of rows, so a large step checks chunks ahead on a second thread: quoted
    // cells, failing and warned rows, and repeated emails (updates) all through the file.
    let rows: Vec<([String; 3], bool, bool)> = (0..5_000)
        .map(|index| {
            let text = [
                format!("Name {}", index % 37),
                if index % 5 == 0 {
                    format!("Acme, \"{index}\"\nInc.")
                } else {
                    String::new()
                },
                format!("note;{}\t", index % 3),
            ];
            (text, index % 13 != 4, index % 7 != 2)
        })
        .collect();
    let fixtures = Fixtures::load(None).unwrap();
    for format in [Format::Csv, Format::Tsv, Format::Ssv] {
        let (mut file, _) = write(format, &rows);
        // The second half again: every one of those rows is now an update.
        let (again, _) = write(format, &rows[2_500..]);
        file.extend(again.splitn(2, |byte| *byte == b'\n').nth(1).unwrap());
        let results = [usize::MAX, 1].map(|step_rows| {
            let db = Arc::new(RwLock::new(fixtures.db()));
            let (counters, files) = import(&db, format, file.clone(), step_rows);
            let stored = marketo_bulk_mock::seed::export(&db.read().unwrap());
            (counters, files.failures, files.warnings, stored)
        });
        let [(counters, ..), _] = &results;
        assert_eq!(counters.processed + counters.failed, 7_500);
        assert!(counters.failed > 0 && counters.warned > 0);
        assert_eq!(results[0], results[1], "{format:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn every_row_is_accounted_for_and_imported_values_read_back_unchanged(
        format in format(),
        rows in prop::collection::vec(row(), 1..40),
    ) {
        let fixtures = Fixtures::load(None).unwrap();
        let db = Arc::new(RwLock::new(fixtures.db()));
        let (file, raws) = write(format, &rows);
        let (counters, files) = import(&db, format, file, 7);

        prop_assert_eq!(counters.processed + counters.failed, rows.len() as u64);
        prop_assert!(counters.warned <= counters.processed);
        let failing: Vec<usize> = (0..rows.len()).filter(|i| !rows[*i].1).collect();
        prop_assert_eq!(counters.failed, failing.len() as u64);

        // Failed rows come back byte for byte, in order, after the header; so do warned rows,
        // which are imported rows only.
        let warned: Vec<usize> = (0..rows.len()).filter(|i| rows[*i].1 && !rows[*i].2).collect();
        prop_assert_eq!(counters.warned, warned.len() as u64);
        let result_file = |column: &str, indexes: &[usize], reason: &str| {
            let mut expected = HEADER.join(&(format.delimiter() as char).to_string()).into_bytes();
            expected.push(format.delimiter());
            expected.extend_from_slice(column.as_bytes());
            expected.push(b'\n');
            for index in indexes {
                expected.extend_from_slice(&raws[*index]);
                expected.push(format.delimiter());
                expected.extend_from_slice(reason.as_bytes());
                expected.push(b'\n');
            }
            (!indexes.is_empty()).then_some(expected)
        };
        let failures = files.failures.map(|f| f.to_vec());
        prop_assert_eq!(failures, result_file("Import Failure Reason", &failing, "Invalid data type in field Lead Score"));
        let warnings = files.warnings.map(|f| f.to_vec());
        prop_assert_eq!(warnings, result_file("Import Warning Reason", &warned, "Invalid email address"));

        // Imported rows read back unchanged; empty cells stay absent.
        let db = db.read().unwrap();
        let schema = db.leads.schema();
        let email_field = schema.find("email").unwrap();
        for (index, (text, good_score, good_email)) in rows.iter().enumerate() {
            let found = db.leads.find(email_field, &email(index, *good_email));
            if !good_score {
                prop_assert!(found.is_empty());
                continue;
            }
            prop_assert_eq!(found.len(), 1);
            let lead = db.leads.lead(found[0]).unwrap();
            for (name, value) in ["firstName", "company", "notes"].iter().zip(text) {
                let stored = lead.get(schema.find(name).unwrap()).map(|v| v.key_text());
                let expected = (!value.is_empty()).then(|| value.clone());
                prop_assert_eq!(stored, expected, "{} of row {}", name, index);
            }
        }
    }
}
