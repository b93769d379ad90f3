//! Lead read-back filters: any query over a small seeded database answers leads or a Marketo
//! error, never a panic.
#![no_main]

use std::sync::{Arc, OnceLock, RwLock};

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use marketo_bulk_mock::clock::Timestamp;
use marketo_bulk_mock::faults::Faults;
use marketo_bulk_mock::fixtures::Fixtures;
use marketo_bulk_mock::http::extract::Params;
use marketo_bulk_mock::http::paging::Page;
use marketo_bulk_mock::http::rest_leads::{columns, matching, render};
use marketo_bulk_mock::import::{ImportContext, ImportRequest, LeadParams, prepare};
use marketo_bulk_mock::store::Db;

const SEED: &str = "email,firstName,lastName,company,leadScore,loyaltyNumber,cookies\n\
a@example.com,Ann,Lee,\"Acme, Inc.\",10,1,id:1\n\
b@example.com,Bo,,Bluefin,20,2,\n\
B@EXAMPLE.COM,Bea,Lo,Bluefin,,3,id:3\n";

fn db() -> &'static RwLock<Db> {
    static DB: OnceLock<Arc<RwLock<Db>>> = OnceLock::new();
    DB.get_or_init(|| {
        let fixtures = Fixtures::load(None).expect("bundled fixtures load");
        let db = Arc::new(RwLock::new(fixtures.db()));
        let context = ImportContext { db: db.clone(), faults: Arc::new(Faults::default()) };
        let file = Bytes::from_static(SEED.as_bytes());
        let request = ImportRequest::Leads(LeadParams::default());
        prepare(request, Some(file), context).unwrap().work.import_all(Timestamp(0));
        db
    })
}

fuzz_target!(|data: &[u8]| {
    let params = Params::parse(data);
    let db = db().read().unwrap();
    let Ok(ids) = matching(&db.leads, &params) else { return };
    let Ok(columns) = columns(db.leads.schema(), params.get("fields")) else { return };
    let Ok(page) = Page::from_params(&params) else { return };
    let (slice, _) = page.take(&ids);
    for id in slice {
        let lead = db.leads.lead(*id).expect("a matched lead exists");
        let record = render(lead, &columns);
        assert_eq!(record.as_object().map(|r| r.len()), Some(columns.len()));
    }
});
