//! Bulk extract through HTTP: every operation, filter, limit and error of Marketo's export
//! jobs, for leads, program members and custom objects.

use std::time::{Duration, SystemTime};

use marketo_bulk_mock::ExportLimits;
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::helpers::{TestApp, assert_error, assert_request_id, sample};

/// The three export types' path segments.
const LEADS: &str = "leads";
const MEMBERS: &str = "program/members";
const CARS: &str = "customobjects/car_c";

/// A window around now that any test's imports fall in.
pub fn around_now() -> Value {
    let now = time::OffsetDateTime::now_utc();
    let format = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    json!({
        "startAt": format(now - time::Duration::days(2)),
        "endAt": format(now + time::Duration::days(2)),
    })
}

impl TestApp {
    /// Sends an export call with a fresh token; returns the body.
    pub async fn export_call(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let token = self.token().await;
        let mut request = self
            .client
            .request(method, self.url(&format!("/bulk/v1/{path}")))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        response.json().await.unwrap()
    }

    /// Creates an export and returns its id, asserting the create succeeded.
    pub async fn create_export(&self, kind: &str, body: Value) -> String {
        let answer = self
            .export_call(
                Method::POST,
                &format!("{kind}/export/create.json"),
                Some(body),
            )
            .await;
        assert_eq!(answer["success"], json!(true), "{answer}");
        answer["result"][0]["exportId"].as_str().unwrap().to_owned()
    }

    pub async fn enqueue(&self, kind: &str, id: &str) -> Value {
        self.export_call(
            Method::POST,
            &format!("{kind}/export/{id}/enqueue.json"),
            None,
        )
        .await
    }

    async fn export_status(&self, kind: &str, id: &str) -> Value {
        self.export_call(
            Method::GET,
            &format!("{kind}/export/{id}/status.json"),
            None,
        )
        .await
    }

    async fn cancel(&self, kind: &str, id: &str) -> Value {
        self.export_call(
            Method::POST,
            &format!("{kind}/export/{id}/cancel.json"),
            None,
        )
        .await
    }

    /// Waits on the engine's own signal for an export to reach `status` (or to end).
    pub async fn wait_export(&self, id: &str, status: &str) -> Value {
        let response = self
            .client
            .get(self.url(&format!(
                "/_mock/jobs/{id}/wait?status={status}&timeoutMs=20000"
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status().as_u16(),
            200,
            "{id} never reached {status}"
        );
        response.json().await.unwrap()
    }

    /// Creates, enqueues and waits for an export; returns its id.
    pub async fn export_to_end(&self, kind: &str, body: Value) -> String {
        let id = self.create_export(kind, body).await;
        let queued = self.enqueue(kind, &id).await;
        assert_eq!(queued["success"], json!(true), "{queued}");
        self.wait_export(&id, "Completed").await;
        id
    }

    /// Downloads an export's file with an optional `Range`: status, headers, bytes.
    async fn download(
        &self,
        kind: &str,
        id: &str,
        range: Option<&str>,
    ) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        let token = self.token().await;
        let mut request = self
            .client
            .get(self.url(&format!("/bulk/v1/{kind}/export/{id}/file.json")))
            .bearer_auth(token);
        if let Some(range) = range {
            request = request.header("Range", range);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (status, headers, response.bytes().await.unwrap().to_vec())
    }

    /// An export's whole file, as text.
    pub async fn file_text(&self, kind: &str, id: &str) -> String {
        let (status, _, bytes) = self.download(kind, id, None).await;
        assert_eq!(status, 200);
        String::from_utf8(bytes).unwrap()
    }

    /// Paces jobs at one row a second of the (frozen) clock, so they stay where a test
    /// looks at them until it advances the clock.
    async fn pace_one_row_a_second(&self) {
        let response = self
            .client
            .put(self.url("/_mock/timing"))
            .json(&json!({"queueDelayMs": 0, "rowsPerSecond": 1}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
    }

    async fn export_count(&self) -> usize {
        self.jobs().await["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|job| job.get("exportId").is_some())
            .count()
    }
}

fn keys(object: &Value) -> Vec<&str> {
    object
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

#[tokio::test]
async fn a_lead_export_goes_from_created_to_completed_and_its_file_holds_what_was_imported() {
    let app = TestApp::spawn().await;
    app.import_leads_to_end("?listId=2001", sample("leads-good.csv"))
        .await;
    let created = app
        .export_call(
            Method::POST,
            "leads/export/create.json",
            Some(json!({
                "fields": ["email", "firstName", "leadScore", "title", "middleName"],
                "columnHeaderNames": {"firstName": "First Name"},
                "filter": {"createdAt": around_now()},
            })),
        )
        .await;
    assert_request_id(&created);
    let job = &created["result"][0];
    assert_eq!(keys(job), ["exportId", "format", "status", "createdAt"]);
    assert_eq!(
        (&job["format"], &job["status"]),
        (&json!("CSV"), &json!("Created"))
    );
    let id = job["exportId"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok_and(|u| u.get_version_num() == 4));
    assert_eq!(id, id.to_lowercase());

    let queued = app.enqueue(LEADS, id).await;
    assert_eq!(queued["result"][0]["status"], json!("Queued"));
    assert!(queued["result"][0]["queuedAt"].is_string());
    app.wait_export(id, "Completed").await;
    let done = &app.export_status(LEADS, id).await["result"][0];
    assert_eq!(
        keys(done),
        [
            "exportId",
            "format",
            "status",
            "createdAt",
            "queuedAt",
            "startedAt",
            "finishedAt",
            "numberOfRecords",
            "fileSize",
            "fileChecksum"
        ]
    );
    assert_eq!(done["status"], json!("Completed"));
    let time = done["finishedAt"].as_str().unwrap();
    assert!(time.ends_with('Z') && time.len() == 20, "{time}");

    let (status, headers, bytes) = app.download(LEADS, id, None).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/csv; charset=UTF-8");
    assert_eq!(headers["accept-ranges"], "bytes");
    assert_eq!(
        String::from_utf8(bytes.clone()).unwrap(),
        "email,First Name,leadScore,title,middleName\n\
         alice.nguyen@example.com,Alice,85,VP Marketing,null\n\
         bruno.schmidt@example.com,Bruno,40,Data Engineer,null\n\
         carla.rossi@example.com,Carla,62,Marketing Operations Manager,null\n"
    );
    assert_eq!(done["numberOfRecords"], json!(3));
    assert_eq!(done["fileSize"], json!(bytes.len()));
    let digest: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(done["fileChecksum"], json!(format!("sha256:{digest}")));
}

#[tokio::test]
async fn a_range_answers_206_with_the_exact_bytes_and_a_range_past_the_end_answers_416() {
    let app = TestApp::spawn().await;
    app.import_leads_to_end("", sample("leads-good.csv")).await;
    let id = app
        .export_to_end(
            LEADS,
            json!({"fields": ["email", "company"], "filter": {"createdAt": around_now()}}),
        )
        .await;
    let whole = app.file_text(LEADS, &id).await.into_bytes();
    let size = whole.len();
    let (status, headers, bytes) = app.download(LEADS, &id, Some("bytes=0-9")).await;
    assert_eq!(status, 206);
    assert_eq!(bytes, &whole[..10]);
    assert_eq!(
        headers["content-range"],
        format!("bytes 0-9/{size}").as_str()
    );
    assert_eq!(headers["content-length"], "10");
    let (status, headers, bytes) = app.download(LEADS, &id, Some("bytes=20-")).await;
    assert_eq!((status, bytes.as_slice()), (206, &whole[20..]));
    assert_eq!(
        headers["content-range"],
        format!("bytes 20-{}/{size}", size - 1).as_str()
    );
    let (status, _, bytes) = app.download(LEADS, &id, Some("bytes=-5")).await;
    assert_eq!((status, bytes.as_slice()), (206, &whole[size - 5..]));
    let (status, _, bytes) = app.download(LEADS, &id, Some("bytes=0-999999")).await;
    assert_eq!((status, bytes.len()), (206, size));
    let (status, headers, _) = app
        .download(LEADS, &id, Some(&format!("bytes={size}-")))
        .await;
    assert_eq!(status, 416);
    assert_eq!(headers["content-range"], format!("bytes */{size}").as_str());
    let (status, _, bytes) = app.download(LEADS, &id, Some("bytes=0-1,4-5")).await;
    assert_eq!((status, bytes), (200, whole));
}

#[tokio::test]
async fn a_file_is_a_plain_404_until_completed_and_for_cancelled_and_unknown_jobs() {
    let app = TestApp::spawn().await;
    let id = app
        .create_export(
            LEADS,
            json!({"fields": ["id"], "filter": {"staticListId": 2001}}),
        )
        .await;
    for job in [
        id.as_str(),
        "6f0c6d4e-0000-4000-8000-000000000000",
        "not-an-id",
    ] {
        let (status, headers, body) = app.download(LEADS, job, None).await;
        assert_eq!(status, 404);
        assert_eq!(headers["content-type"], "text/plain; charset=UTF-8");
        assert_eq!(body, b"File not found");
    }
    let cancelled = app.cancel(LEADS, &id).await;
    assert_eq!(cancelled["result"][0]["status"], json!("Cancelled"));
    assert_eq!(app.download(LEADS, &id, None).await.0, 404);
}

#[tokio::test]
async fn unknown_export_ids_and_ids_of_another_type_are_1013() {
    let app = TestApp::spawn().await;
    let id = app
        .create_export(
            LEADS,
            json!({"fields": ["id"], "filter": {"staticListId": 2001}}),
        )
        .await;
    for (kind, job) in [
        (LEADS, "6f0c6d4e-0000-4000-8000-000000000000"),
        (LEADS, "12345"),
        (MEMBERS, id.as_str()),
        (CARS, id.as_str()),
    ] {
        for path in ["status.json", "enqueue.json", "cancel.json"] {
            let method = if path == "status.json" {
                Method::GET
            } else {
                Method::POST
            };
            let body = app
                .export_call(method, &format!("{kind}/export/{job}/{path}"), None)
                .await;
            assert_error(&body, "1013", "Export job not found");
        }
    }
}

#[tokio::test]
async fn every_lead_filter_selects_its_leads() {
    let app = TestApp::spawn_frozen(|server| server).await;
    app.import_leads_to_end("?listId=2001", sample("leads-good.csv"))
        .await;
    app.advance_clock(86_400);
    app.import_leads_to_end(
        "",
        b"email,company,customerTier\ndora@example.org,,Gold\neve@example.com,Initech,Silver\n"
            .to_vec(),
    )
    .await;
    let now = app.server.clock().now;
    // Marketo's spelling: UTC, to the second.
    let iso = |time: SystemTime| {
        let time = OffsetDateTime::from(time).replace_nanosecond(0).unwrap();
        time.format(&Rfc3339).unwrap()
    };
    let (second, hour) = (Duration::from_secs(1), Duration::from_secs(3_600));
    // Bounds are written to the second: the range ends a second after the frozen now.
    let today = json!({"startAt": iso(now - hour), "endAt": iso(now + second)});
    let emails =
        |file: String| -> Vec<String> { file.lines().skip(1).map(str::to_owned).collect() };
    let export = |filter: Value| {
        let app = &app;
        async move {
            let id = app
                .export_to_end(LEADS, json!({"fields": ["email"], "filter": filter}))
                .await;
            emails(app.file_text(LEADS, &id).await)
        }
    };
    assert_eq!(
        export(json!({"createdAt": today})).await,
        ["dora@example.org", "eve@example.com"]
    );
    let partner = [
        "alice.nguyen@example.com",
        "bruno.schmidt@example.com",
        "carla.rossi@example.com",
    ];
    assert_eq!(export(json!({"staticListId": 2001})).await, partner);
    assert_eq!(
        export(json!({"staticListName": "partner leads"})).await,
        partner
    );
    assert_eq!(
        export(json!({"smartListId": 3002})).await,
        ["dora@example.org"]
    );
    assert_eq!(
        export(json!({"smartListName": "Example.com Contacts"})).await,
        [
            "alice.nguyen@example.com",
            "bruno.schmidt@example.com",
            "carla.rossi@example.com",
            "eve@example.com"
        ]
    );
    assert_eq!(
        export(json!({"smartListName": "Leads Without a Company"})).await,
        ["dora@example.org"]
    );
    // `updatedAt` is the time of a lead's latest change: re-importing the same values is
    // none, changing a value is one.
    app.advance_clock(3_600);
    app.import_leads_to_end("", sample("leads-good.csv")).await;
    app.import_leads_to_end("", b"email,title\ncarla.rossi@example.com,CMO\n".to_vec())
        .await;
    let last_hour = json!({"startAt": iso(now + second), "endAt": iso(now + second + hour)});
    assert_eq!(
        export(json!({"updatedAt": last_hour})).await,
        ["carla.rossi@example.com"]
    );
}

#[tokio::test]
async fn date_ranges_are_read_in_every_spelling_clients_send_and_checked() {
    let app = TestApp::spawn().await;
    for (start, end) in [
        ("2026-11-01T00:00:00Z", "2026-11-30T00:00:00Z"),
        ("2026-11-01T00:00:00.768Z", "2026-11-01T00:00:00.768Z"),
        ("2026-11-01T00:00:00+00:00", "2026-11-02T00:00:00+0700"),
        ("2026-11-01T00:00:00-00:00", "2026-11-02T00:00:00"),
        ("2026-11-01", "2026-12-02"),
        ("2016-08-01T00:00:00", "2016-09-01T00:00:00"),
    ] {
        app.create_export(
            LEADS,
            json!({"fields": ["id"], "filter": {"createdAt": {"startAt": start, "endAt": end}}}),
        )
        .await;
    }
    for (range, message) in [
        (
            json!({"startAt": "2016-08-01T00:00:00", "endAt": "2016-09-01T00:00:01"}),
            "'createdAt' spans more than 31 days: the range may be at most 31 days",
        ),
        (
            json!({"startAt": "2026-11-02", "endAt": "2026-11-01"}),
            "'createdAt.endAt' is before its 'startAt'",
        ),
        (
            json!({"startAt": "last tuesday", "endAt": "2026-11-01"}),
            "'createdAt.startAt' is not an ISO 8601 date or time: 'last tuesday'",
        ),
        (
            json!({"startAt": "2026-11-01"}),
            "'createdAt.endAt' is required and must be a string",
        ),
    ] {
        let body = app
            .export_call(
                Method::POST,
                "leads/export/create.json",
                Some(json!({"fields": ["id"], "filter": {"createdAt": range}})),
            )
            .await;
        assert_error(&body, "1003", message);
    }
}

#[tokio::test]
async fn invalid_create_bodies_are_refused_with_marketos_codes_and_create_nothing() {
    let app = TestApp::spawn().await;
    let token = app.token().await;
    let not_json = app
        .client
        .post(app.url("/bulk/v1/leads/export/create.json"))
        .bearer_auth(&token)
        .header("Content-Type", "application/json")
        .body("{fields:")
        .send()
        .await
        .unwrap();
    assert_error(&not_json.json().await.unwrap(), "609", "Invalid JSON");
    let list = json!({"staticListId": 2001});
    let cases = [
        (
            LEADS,
            json!({"filter": list}),
            "1003",
            "'fields' is required: a list of field names",
        ),
        (
            LEADS,
            json!({"fields": [], "filter": list}),
            "1003",
            "'fields' is required: a list of field names",
        ),
        (
            LEADS,
            json!({"fields": ["id"]}),
            "1003",
            "'filter' is required: an object of filter types",
        ),
        (
            LEADS,
            json!({"fields": ["id", "site2", "EMAIL", "billingStreet2"], "filter": list}),
            "1003",
            "Invalid fields [site2, billingStreet2]",
        ),
        (
            LEADS,
            json!({"fields": ["id"], "filter": {"staticListId": 2001, "createdAt": around_now()}}),
            "1003",
            "Only one filter type may be specified per export job, not staticListId, createdAt",
        ),
        (
            LEADS,
            json!({"fields": ["id"], "filter": {"leadIds": [1]}}),
            "1003",
            "Unknown filter type 'leadIds': one of createdAt, updatedAt, staticListId, staticListName, smartListId, smartListName",
        ),
        (
            LEADS,
            json!({"fields": ["id"], "format": "XML", "filter": list}),
            "1003",
            "Invalid format 'XML': one of CSV, TSV, SSV",
        ),
        (
            LEADS,
            json!({"fields": ["id"], "columnHeaderNames": {"email": "E"}, "filter": list}),
            "1003",
            "'columnHeaderNames' names 'email', which is not among the job's fields",
        ),
        (
            LEADS,
            json!({"fields": ["id"], "filter": {"staticListId": 9}}),
            "1013",
            "Static list not found",
        ),
        (
            LEADS,
            json!({"fields": ["id"], "filter": {"staticListName": "Nope"}}),
            "1013",
            "Static list not found",
        ),
        (
            LEADS,
            json!({"fields": ["id"], "filter": {"smartListId": 9}}),
            "1013",
            "Smart list not found",
        ),
        (
            LEADS,
            json!({"fields": ["id"], "filter": {"smartListName": "Nope"}}),
            "1013",
            "Smart list not found",
        ),
        (
            MEMBERS,
            json!({"fields": ["leadId"], "filter": {"programId": 9}}),
            "1013",
            "Program not found",
        ),
        (
            MEMBERS,
            json!({"fields": ["leadId"], "filter": {"programIds": [1001, 1002, 1003, 1004, 1001, 1002, 1003, 1004, 1001, 1002, 1003]}}),
            "1003",
            "'programIds' must name from 1 to 10 programs",
        ),
        (
            MEMBERS,
            json!({"fields": ["leadId"], "filter": {"programId": 1001, "programIds": [1002]}}),
            "1003",
            "'programId' and 'programIds' cannot be given together",
        ),
        (
            MEMBERS,
            json!({"fields": ["leadId"], "filter": {"isExhausted": false}}),
            "1003",
            "'programId' or 'programIds' is required",
        ),
        (
            MEMBERS,
            json!({"fields": ["leadId"], "filter": {"programId": 1001, "statusNames": ["Attended"]}}),
            "1003",
            "Invalid data",
        ),
        (
            MEMBERS,
            json!({"fields": ["leadId"], "filter": {"programId": 1001, "nurtureCadence": "weekly"}}),
            "1003",
            "Invalid nurtureCadence 'weekly': one of paus, norm",
        ),
        (
            "customobjects/boat_c",
            json!({"fields": ["vin"], "filter": list}),
            "1013",
            "Object not found",
        ),
        (
            CARS,
            json!({"fields": ["vin"], "filter": {"createdAt": around_now()}}),
            "1003",
            "Unknown filter type 'createdAt': one of updatedAt, staticListId, staticListName, smartListId, smartListName",
        ),
    ];
    for (kind, body, code, message) in cases {
        let answer = app
            .export_call(
                Method::POST,
                &format!("{kind}/export/create.json"),
                Some(body),
            )
            .await;
        assert_error(&answer, code, message);
    }
    assert_eq!(app.export_count().await, 0);
}

#[tokio::test]
async fn program_member_exports_filter_by_program_status_and_time_and_name_lead_fields() {
    let app = TestApp::spawn().await;
    let import = |program: u32, status: &str, file: &'static [u8]| {
        let app = &app;
        let status = status.to_owned();
        async move {
            let (code, body) = app
                .post_file(
                    &format!(
                        "/bulk/v1/program/{program}/members/import.json?programMemberStatus={status}"
                    ),
                    file.to_vec(),
                )
                .await;
            assert_eq!(code, 200, "{body}");
            app.wait_for(body["result"][0]["batchId"].as_u64().unwrap(), "Complete")
                .await;
        }
    };
    import(
        1002,
        "Registered",
        b"email,firstName\nann@x.com,Ann\nbob@x.com,Bob\n",
    )
    .await;
    import(1002, "Attended", b"email\nbob@x.com\n").await;
    import(1003, "Visited%20Booth", b"email\ncid@x.com\n").await;
    let export = |filter: Value, fields: Value| {
        let app = &app;
        async move {
            let id = app
                .export_to_end(MEMBERS, json!({"fields": fields, "filter": filter}))
                .await;
            app.file_text(MEMBERS, &id).await
        }
    };
    let fields = json!([
        "email",
        "firstName",
        "statusName",
        "reachedSuccess",
        "isExhausted"
    ]);
    assert_eq!(
        export(json!({"programId": 1002}), fields.clone()).await,
        "email,firstName,statusName,reachedSuccess,isExhausted\n\
         ann@x.com,Ann,Registered,false,false\n\
         bob@x.com,Bob,Attended,true,false\n"
    );
    assert_eq!(
        export(
            json!({"programIds": [1003, 1002]}),
            json!(["email", "statusName"])
        )
        .await,
        "programId,email,statusName\n1003,cid@x.com,Visited Booth\n1002,ann@x.com,Registered\n1002,bob@x.com,Attended\n"
    );
    assert_eq!(
        export(
            json!({"programIds": [1002, 1003], "statusNames": ["attended", "Visited Booth"], "isExhausted": false, "updatedAt": around_now()}),
            json!(["email"])
        )
        .await,
        "programId,email\n1002,bob@x.com\n1003,cid@x.com\n"
    );
    // The mock runs no nurture engine: no member has a cadence, so none is selected.
    assert_eq!(
        export(
            json!({"programId": 1002, "nurtureCadence": "paused"}),
            json!(["email"])
        )
        .await,
        "email\n"
    );
}

#[tokio::test]
async fn custom_object_exports_hold_the_records_linked_to_the_selected_leads() {
    let app = TestApp::spawn().await;
    app.import_leads_to_end("?listId=2001", sample("leads-good.csv"))
        .await;
    let (code, body) = app
        .post_file(
            "/bulk/v1/customobjects/car_c/import.json",
            sample("cars.csv"),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    app.wait_for(body["result"][0]["batchId"].as_u64().unwrap(), "Complete")
        .await;
    let fields = json!(["vin", "make", "leadId", "marketoGUID"]);
    let id = app
        .export_to_end(
            CARS,
            json!({"fields": fields, "filter": {"staticListId": 2001}}),
        )
        .await;
    let file = app.file_text(CARS, &id).await;
    let rows: Vec<Vec<&str>> = file.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(rows[0], ["vin", "make", "leadId", "marketoGUID"]);
    // The fourth car's row failed its import (a year that is no integer).
    assert_eq!(
        rows[1..]
            .iter()
            .map(|r| (r[0], r[1], r[2]))
            .collect::<Vec<_>>(),
        [
            ("WBA4R7C55HK895912", "BMW", "1"),
            ("WBA4R7C30HK896061", "BMW", "2"),
            ("WBS3U9C52HP970604", "BMW", "3")
        ]
    );
    assert!(
        rows[1..]
            .iter()
            .all(|r| uuid::Uuid::parse_str(r[3]).is_ok())
    );
    let by_time = app
        .export_to_end(
            CARS,
            json!({"fields": ["vin"], "filter": {"updatedAt": around_now()}}),
        )
        .await;
    assert_eq!(app.file_text(CARS, &by_time).await.lines().count(), 4);
    let none = app
        .export_to_end(
            CARS,
            json!({"fields": ["vin"], "filter": {"smartListId": 3004}}),
        )
        .await;
    assert_eq!(app.file_text(CARS, &none).await, "vin\n");
}

#[tokio::test]
async fn ten_exports_queue_two_process_and_the_eleventh_enqueue_is_refused_with_1029() {
    let app = TestApp::spawn_frozen(|server| server).await;
    app.import_leads_to_end("", b"email\na@x.com\n".to_vec())
        .await;
    app.pace_one_row_a_second().await;
    let body = json!({"fields": ["email"], "filter": {"createdAt": around_now()}});
    let mut ids = Vec::new();
    for _ in 0..11 {
        ids.push(app.create_export(LEADS, body.clone()).await);
    }
    for id in &ids[..10] {
        assert_eq!(app.enqueue(LEADS, id).await["success"], json!(true));
    }
    assert_error(
        &app.enqueue(LEADS, &ids[10]).await,
        "1029",
        "Too many jobs in queue",
    );
    // Created jobs do not count, and the import queue is apart from the export queue.
    app.create_export(LEADS, body.clone()).await;
    app.import_leads("", b"email\nb@x.com\n".to_vec()).await;
    // Each job shows Processing once its own task holds the records.
    app.wait_export(&ids[0], "Processing").await;
    app.wait_export(&ids[1], "Processing").await;
    let statuses = |jobs: Value| -> Vec<String> {
        jobs["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|job| job.get("exportId").is_some())
            .map(|job| job["status"].as_str().unwrap().to_owned())
            .collect()
    };
    let now = statuses(app.jobs().await);
    assert_eq!(
        now.iter().filter(|s| *s == "Processing").count(),
        2,
        "{now:?}"
    );
    assert_eq!(now.iter().filter(|s| *s == "Queued").count(), 8, "{now:?}");
    // A second of clock time finishes the two processing jobs (one record each).
    app.advance_clock(1);
    app.wait_export(&ids[0], "Completed").await;
    app.wait_export(&ids[3], "Processing").await;
    assert_eq!(app.enqueue(LEADS, &ids[10]).await["success"], json!(true));
    assert_eq!(app.jobs().await["mostProcessingExportsAtOnce"], json!(2));
}

#[tokio::test]
async fn enqueue_is_once_and_cancel_ends_a_created_queued_or_processing_job_keeping_its_times() {
    let app = TestApp::spawn_frozen(|server| server).await;
    app.import_leads_to_end("", b"email\na@x.com\n".to_vec())
        .await;
    app.pace_one_row_a_second().await;
    let body = json!({"fields": ["email"], "filter": {"createdAt": around_now()}});
    let created = app.create_export(LEADS, body.clone()).await;
    let cancelled = &app.cancel(LEADS, &created).await["result"][0];
    assert_eq!(
        keys(cancelled),
        ["exportId", "format", "status", "createdAt"]
    );
    assert_eq!(cancelled["status"], json!("Cancelled"));
    assert_error(
        &app.enqueue(LEADS, &created).await,
        "1029",
        "Job already queued",
    );

    let processing = app.create_export(LEADS, body.clone()).await;
    app.enqueue(LEADS, &processing).await;
    assert_error(
        &app.enqueue(LEADS, &processing).await,
        "1029",
        "Job already queued",
    );
    app.wait_export(&processing, "Processing").await;
    let cancelled = &app.cancel(LEADS, &processing).await["result"][0];
    assert_eq!(
        keys(cancelled),
        [
            "exportId",
            "format",
            "status",
            "createdAt",
            "queuedAt",
            "startedAt"
        ]
    );
    assert_error(
        &app.cancel(LEADS, &processing).await,
        "1029",
        "Cannot cancel an export job in Cancelled state",
    );
    app.advance_clock(5);
    assert_eq!(
        app.export_status(LEADS, &processing).await["result"][0]["status"],
        json!("Cancelled")
    );
    assert_eq!(app.download(LEADS, &processing, None).await.0, 404);

    let completed = app.create_export(LEADS, body).await;
    app.enqueue(LEADS, &completed).await;
    app.wait_export(&completed, "Processing").await;
    app.advance_clock(1);
    app.wait_export(&completed, "Completed").await;
    assert_error(
        &app.cancel(LEADS, &completed).await,
        "1029",
        "Cannot cancel an export job in Completed state",
    );
}

#[tokio::test]
async fn a_job_exports_the_records_that_matched_when_it_started_processing() {
    let app = TestApp::spawn_frozen(|server| server).await;
    app.import_leads_to_end("?listId=2001", b"email\na@x.com\n".to_vec())
        .await;
    app.pace_one_row_a_second().await;
    let id = app
        .create_export(
            LEADS,
            json!({"fields": ["email"], "filter": {"staticListId": 2001}}),
        )
        .await;
    app.enqueue(LEADS, &id).await;
    app.wait_export(&id, "Processing").await;
    let batch = app
        .import_leads("?listId=2001", b"email\nb@x.com\n".to_vec())
        .await;
    app.wait_for(batch, "Importing").await;
    app.advance_clock(1);
    app.wait_for(batch, "Complete").await;
    app.wait_export(&id, "Completed").await;
    assert_eq!(app.file_text(LEADS, &id).await, "email\na@x.com\n");
}

#[tokio::test]
async fn the_daily_quota_refuses_create_and_enqueue_until_midnight_central_time() {
    let app = TestApp::spawn_frozen(|server| {
        server.export_limits(ExportLimits {
            daily_quota_mb: 1,
            ..ExportLimits::default()
        })
    })
    .await;
    let mut file = b"email,notes\n".to_vec();
    for n in 0..9_000 {
        file.extend_from_slice(format!("lead{n}@example.com,{}\n", "x".repeat(100)).as_bytes());
    }
    app.import_leads_to_end("", file).await;
    let body = json!({"fields": ["email", "notes"], "filter": {"createdAt": around_now()}});
    let waiting = app.create_export(LEADS, body.clone()).await;
    let big = app.export_to_end(LEADS, body.clone()).await;
    let size = app.export_status(LEADS, &big).await["result"][0]["fileSize"]
        .as_u64()
        .unwrap();
    assert!(size > 1024 * 1024, "{size}");
    let message = "Export daily quota 1MB exceeded.";
    let refused = app
        .export_call(Method::POST, "leads/export/create.json", Some(body.clone()))
        .await;
    assert_error(&refused, "1029", message);
    assert_error(&app.enqueue(LEADS, &waiting).await, "1029", message);
    let limits: Value = app
        .client
        .get(app.url("/_mock/export-limits"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(limits["quota"]["usedBytes"], json!(size));
    // The quota day starts at midnight US Central (06:00 UTC): a day later it is spent no more.
    app.advance_clock(86_400);
    assert_eq!(app.enqueue(LEADS, &waiting).await["success"], json!(true));
}

#[tokio::test]
async fn the_list_pages_jobs_of_one_type_oldest_first_and_filters_by_status() {
    let app = TestApp::spawn().await;
    let body = json!({"fields": ["id"], "filter": {"staticListId": 2001}});
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(app.create_export(LEADS, body.clone()).await);
    }
    app.cancel(LEADS, &ids[1]).await;
    app.export_to_end(
        CARS,
        json!({"fields": ["vin"], "filter": {"staticListId": 2001}}),
    )
    .await;
    let listed = |query: &str| {
        let app = &app;
        let query = query.to_owned();
        async move {
            app.export_call(Method::GET, &format!("leads/export.json{query}"), None)
                .await
        }
    };
    let ids_of = |body: &Value| -> Vec<String> {
        body["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|job| job["exportId"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = listed("").await;
    assert_eq!(ids_of(&all), ids);
    assert!(
        all.get("nextPageToken").is_none() && all.get("moreResult").is_none(),
        "{all}"
    );
    let first = listed("?batchSize=2").await;
    assert_eq!(ids_of(&first), &ids[..2]);
    let token = first["nextPageToken"].as_str().unwrap();
    let second = listed(&format!("?batchSize=2&nextPageToken={token}")).await;
    assert_eq!(ids_of(&second), &ids[2..]);
    assert!(second.get("nextPageToken").is_none(), "{second}");
    for query in [
        "?status=Canceled",
        "?status=cancelled",
        "?status=Created,Cancelled&status=queued",
    ] {
        let expected: &[String] = if query.contains("Created") {
            &ids
        } else {
            &ids[1..2]
        };
        assert_eq!(ids_of(&listed(query).await), expected, "{query}");
    }
    assert_eq!(
        ids_of(&listed("?status=Created&status=Queued&status=Processing&status=Completed").await),
        [ids[0].clone(), ids[2].clone()]
    );
    assert_eq!(
        app.export_call(Method::GET, "customobjects/car_c/export.json", None)
            .await["result"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(
        app.export_call(
            Method::GET,
            "customobjects/subscription_c/export.json",
            None
        )
        .await["result"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        listed("?status=Done").await["errors"][0]["code"],
        json!("1001")
    );
    // Jobs older than seven days leave the list.
    let frozen = TestApp::spawn_frozen(|server| server).await;
    frozen.create_export(LEADS, body).await;
    frozen.advance_clock(7 * 86_400);
    assert!(
        frozen
            .export_call(Method::GET, "leads/export.json?batchSize=300", None)
            .await["result"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_file_is_kept_seven_days_and_a_job_thirty() {
    let app = TestApp::spawn_frozen(|server| server).await;
    let id = app
        .export_to_end(
            LEADS,
            json!({"fields": ["id"], "filter": {"staticListId": 2001}}),
        )
        .await;
    app.advance_clock(7 * 86_400 - 1);
    assert_eq!(app.download(LEADS, &id, None).await.0, 200);
    app.advance_clock(1);
    assert_eq!(app.download(LEADS, &id, None).await.0, 404);
    assert_eq!(
        app.export_status(LEADS, &id).await["result"][0]["status"],
        json!("Completed")
    );
    app.advance_clock(23 * 86_400);
    assert_error(
        &app.export_status(LEADS, &id).await,
        "1013",
        "Export job not found",
    );
}

#[tokio::test]
async fn the_control_plane_fails_lists_journals_and_resets_exports() {
    let app = TestApp::spawn().await;
    let rule = app
        .client
        .post(app.url("/_mock/faults"))
        .json(&json!({"job": {"type": "leadsExport", "failWith": "Export failed: disk on fire"}, "times": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(rule.status().as_u16(), 201);
    let body = json!({"fields": ["id"], "filter": {"staticListId": 2001}});
    let id = app.create_export(LEADS, body.clone()).await;
    app.enqueue(LEADS, &id).await;
    let failed = app.wait_export(&id, "Completed").await;
    assert_eq!(failed["status"], json!("Failed"));
    let status = &app.export_status(LEADS, &id).await["result"][0];
    assert_eq!(keys(status).last(), Some(&"errorMsg"));
    assert_eq!(status["errorMsg"], json!("Export failed: disk on fire"));

    let next = app.export_to_end(LEADS, body).await;
    let view: Value = app
        .client
        .get(app.url(&format!("/_mock/jobs/{next}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&view["type"], &view["status"]),
        (&json!("leadsExport"), &json!("Completed"))
    );
    let file = app
        .client
        .get(app.url(view["fileUrl"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(file.text().await.unwrap(), "id\n");
    let journal: Value = app
        .client
        .get(app.url("/_mock/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        journal["requests"]
            .as_array()
            .unwrap()
            .iter()
            .any(|entry| entry["exportId"] == json!(next)
                && entry["path"].as_str().unwrap().ends_with("/enqueue.json")),
        "{journal}"
    );
    let reset = app
        .client
        .post(app.url("/_mock/reset"))
        .send()
        .await
        .unwrap();
    assert!(reset.status().is_success());
    assert_eq!(app.export_count().await, 0);
    assert_error(
        &app.export_status(LEADS, &next).await,
        "1013",
        "Export job not found",
    );
}

#[tokio::test]
async fn a_bearer_token_without_its_space_is_accepted_as_a_real_go_client_sends_it() {
    let app = TestApp::spawn().await;
    let token = app.token().await;
    let body: Value = app
        .client
        .get(app.url("/bulk/v1/leads/export.json"))
        .header("Authorization", format!("Bearer{token}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["success"], json!(true), "{body}");
}

#[tokio::test]
async fn bodies_and_unknown_parameters_on_the_other_calls_are_ignored() {
    let app = TestApp::spawn().await;
    let token = app.token().await;
    let id = app
        .create_export(
            LEADS,
            json!({"fields": ["id"], "filter": {"staticListId": 2001}}),
        )
        .await;
    let enqueued: Value = app
        .client
        .post(app.url(&format!(
            "/bulk/v1/leads/export/{id}/enqueue.json?batchSize=300"
        )))
        .bearer_auth(&token)
        .header("Content-Type", "application/json; charset=utf-8")
        .body(r#"{"data":{"_method":"POST"}}"#)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        enqueued["result"][0]["status"],
        json!("Queued"),
        "{enqueued}"
    );
    let created: Value = app
        .client
        .post(app.url("/rest/../bulk/v1/leads/export/create.json?batchSize=300"))
        .bearer_auth(&token)
        .json(&json!({"fields": ["id"], "format": "tsv", "filter": {"staticListId": 2001}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(created["result"][0]["format"], json!("TSV"), "{created}");
}
