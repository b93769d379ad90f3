//! The delimited-file reader, validation, lead upsert and failure files: any bytes, in any of
//! the three formats, are either refused at creation or imported with every row accounted for.
#![no_main]

use std::sync::{Arc, OnceLock, RwLock};

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use marketo_bulk_mock::clock::Timestamp;
use marketo_bulk_mock::faults::Faults;
use marketo_bulk_mock::fixtures::Fixtures;
use marketo_bulk_mock::import::{ImportContext, ImportRequest, LeadParams, prepare};

fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| Fixtures::load(None).expect("bundled fixtures load"))
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, content)) = data.split_first() else { return };
    let format = ["csv", "tsv", "ssv"][usize::from(selector % 3)];
    let db = Arc::new(RwLock::new(fixtures().db()));
    let lookup_field = (selector & 0x80 != 0).then(|| "id".to_owned());
    let params = LeadParams { format: Some(format.to_owned()), lookup_field, ..LeadParams::default() };
    let context = ImportContext { db, faults: Arc::new(Faults::default()) };
    let file = Bytes::copy_from_slice(content);
    let Ok(prepared) = prepare(ImportRequest::Leads(params), Some(file), context) else { return };
    let mut work = prepared.work;
    let (mut processed, mut failed, mut warned) = (0, 0, 0);
    loop {
        let step = work.step(usize::from(selector % 17) + 1, Timestamp(0));
        processed += step.counters.processed;
        failed += step.counters.failed;
        warned += step.counters.warned;
        if step.done {
            break;
        }
    }
    let files = work.finish();
    assert!(warned <= processed);
    let failure_lines = files.failures.map_or(0, |f| f.len());
    assert_eq!(failed == 0, failure_lines == 0, "a failure file exists exactly when rows failed");
});
