//! Export create bodies: any bytes either plan a job whose file can be written, or are refused
//! with a Marketo answer; and any `Range` header is served within the file.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use marketo_bulk_mock::export::ExportKind;
use marketo_bulk_mock::export::plan::plan;
use marketo_bulk_mock::export::select::write;
use marketo_bulk_mock::fixtures::Fixtures;
use marketo_bulk_mock::http::range::{Served, serve};
use marketo_bulk_mock::store::Db;

fn db() -> &'static Db {
    static DB: OnceLock<Db> = OnceLock::new();
    DB.get_or_init(|| Fixtures::load(None).expect("bundled fixtures").db())
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let kind = match selector % 4 {
        0 => ExportKind::Leads,
        1 => ExportKind::ProgramMembers,
        2 => ExportKind::CustomObjects("car_c".to_owned()),
        _ => ExportKind::Activities,
    };
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(body)
        && let Ok(planned) = plan(&kind, &json, db())
    {
        let file = write(db(), &planned);
        assert!(file.bytes.ends_with(b"\n"), "a file ends its header row");
    }
    if let Ok(header) = std::str::from_utf8(body) {
        let size = u64::from(selector) + 1;
        if let Served::Part { start, end } = serve(Some(header), size) {
            assert!(start <= end && end < size, "{header:?} of {size}: {start}-{end}");
        }
    }
});
