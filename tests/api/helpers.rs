//! A test application on an ephemeral port, started through the crate's public API, and
//! typed helpers for talking to it.

use std::time::Duration;

use marketo_bulk_mock::{ClockMode, MockServer, MockServerBuilder, Timing};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    /// The running server; dropping the app stops it.
    pub server: MockServer,
}

/// Reads a bundled sample upload.
pub fn sample(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/fixtures/samples/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Jobs wait `queue_delay_ms` queued, then import `rows_per_second` (0: unpaced).
pub fn paced(queue_delay_ms: u64, rows_per_second: u64) -> Timing {
    Timing {
        queue_delay_ms,
        rows_per_second,
    }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(|server| server).await
    }

    /// Spawns with the defaults changed by `configure`.
    pub async fn spawn_with(
        configure: impl FnOnce(MockServerBuilder) -> MockServerBuilder,
    ) -> TestApp {
        let server = configure(MockServer::builder()).start().await;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        TestApp {
            base: server.uri(),
            client,
            server,
        }
    }

    /// Spawns with the clock frozen, so jobs move only when a test says.
    pub async fn spawn_frozen(
        configure: impl FnOnce(MockServerBuilder) -> MockServerBuilder,
    ) -> TestApp {
        TestApp::spawn_with(|server| configure(server.clock(ClockMode::Frozen))).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn token(&self) -> String {
        let body: Value = self
            .client
            .get(self.url(
                "/identity/oauth/token?grant_type=client_credentials&client_id=mock-client-id&client_secret=mock-client-secret",
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// GETs a JSON body with a fresh token in the Bearer header.
    pub async fn get_json(&self, path: &str) -> Value {
        self.get_answer(path).await.1
    }

    /// GETs with a fresh token in the Bearer header: the HTTP status and the JSON body.
    pub async fn get_answer(&self, path: &str) -> (u16, Value) {
        let token = self.token().await;
        let response = self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    /// GETs a result file: its HTTP status, content type and body.
    pub async fn get_file(&self, path: &str) -> (u16, String, String) {
        let token = self.token().await;
        let response = self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        (status, content_type, response.text().await.unwrap())
    }

    /// POSTs an import with `file` as the multipart file part; returns the HTTP status and body.
    pub async fn post_file(&self, path: &str, file: Vec<u8>) -> (u16, Value) {
        let form = Form::new().part(
            "file",
            Part::bytes(file)
                .file_name("upload.csv")
                .mime_str("text/csv")
                .unwrap(),
        );
        self.post_form(path, form).await
    }

    /// POSTs a multipart form with a fresh token; returns the HTTP status and body.
    pub async fn post_form(&self, path: &str, form: Form) -> (u16, Value) {
        let token = self.token().await;
        let response = self
            .client
            .post(self.url(path))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    /// Imports leads and returns the batch id, asserting the create succeeded.
    pub async fn import_leads(&self, query: &str, file: Vec<u8>) -> u64 {
        let (status, body) = self
            .post_file(&format!("/bulk/v1/leads.json{query}"), file)
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["success"], json!(true), "{body}");
        body["result"][0]["batchId"].as_u64().unwrap()
    }

    /// Waits on the engine's own signal for a batch to reach `status` (or end).
    pub async fn wait_for(&self, batch: u64, status: &str) -> Value {
        let response = self
            .client
            .get(self.url(&format!(
                "/_mock/jobs/{batch}/wait?status={status}&timeoutMs=20000"
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status().as_u16(),
            200,
            "batch {batch} did not reach {status}"
        );
        response.json().await.unwrap()
    }

    /// Imports leads and waits for the job to end; returns the batch id.
    pub async fn import_leads_to_end(&self, query: &str, file: Vec<u8>) -> u64 {
        let batch = self.import_leads(query, file).await;
        self.wait_for(batch, "Complete").await;
        batch
    }

    /// A lead batch's `failures` or `warnings` file, as text.
    pub async fn lead_file(&self, batch: u64, which: &str) -> String {
        self.get_file(&format!("/bulk/v1/leads/batch/{batch}/{which}.json"))
            .await
            .2
    }

    /// A lead batch's processed and failed counters.
    pub async fn lead_counts(&self, batch: u64) -> (Option<u64>, Option<u64>) {
        let status = &self.lead_status(batch).await["result"][0];
        (
            status["numOfLeadsProcessed"].as_u64(),
            status["numOfRowsFailed"].as_u64(),
        )
    }

    pub async fn lead_status(&self, batch: u64) -> Value {
        self.get_json(&format!("/bulk/v1/leads/batch/{batch}.json"))
            .await
    }

    pub fn advance_clock(&self, seconds: u64) {
        self.server.advance_clock(Duration::from_secs(seconds));
    }

    pub async fn jobs(&self) -> Value {
        self.client
            .get(self.url("/_mock/jobs"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// Asserts a Marketo error envelope with the given code and message.
pub fn assert_error(body: &Value, code: &str, message: &str) {
    assert_eq!(body["success"], json!(false), "{body}");
    assert_eq!(
        body["errors"],
        json!([{ "code": code, "message": message }]),
        "{body}"
    );
    assert!(body.get("result").is_none(), "{body}");
    assert_request_id(body);
}

/// `requestId` is Marketo's `<hex>#<epoch-ms hex>`.
pub fn assert_request_id(body: &Value) {
    let id = body["requestId"].as_str().unwrap_or_default();
    let (prefix, millis) = id.split_once('#').unwrap_or_default();
    assert!(
        !prefix.is_empty() && prefix.chars().all(|c| c.is_ascii_hexdigit()),
        "{id}"
    );
    assert!(
        i64::from_str_radix(millis, 16).is_ok_and(|ms| ms > 1_500_000_000_000),
        "{id}"
    );
}

/// The records of a `result`, without the key Marketo always adds (`id` for leads,
/// `marketoGUID` for custom objects), for comparing the asked fields alone.
pub fn without(result: &Value, key: &str) -> Value {
    let records = result.as_array().cloned().unwrap_or_default();
    Value::Array(
        records
            .into_iter()
            .map(|mut record| {
                if let Some(map) = record.as_object_mut() {
                    map.remove(key);
                }
                record
            })
            .collect(),
    )
}

/// Sends a request and reads its JSON body.
pub async fn json(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}

/// Sends a request and returns its HTTP status.
pub async fn status(request: reqwest::RequestBuilder) -> u16 {
    request.send().await.unwrap().status().as_u16()
}

/// A fixtures directory holding `files` (name, JSON text), removed when dropped.
pub struct FixtureDir(pub std::path::PathBuf);

impl FixtureDir {
    pub fn new(files: &[(&str, &str)]) -> FixtureDir {
        let dir = std::env::temp_dir().join(format!("mbm-fixtures-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        FixtureDir(dir)
    }
}

impl Drop for FixtureDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Whether a time is written exactly `YYYY-MM-DDTHH:MM:SSZ`, the one format Airbyte parses.
pub fn is_whole_second_utc(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 20
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            10 => *b == b'T',
            13 | 16 => *b == b':',
            19 => *b == b'Z',
            _ => b.is_ascii_digit(),
        })
}
