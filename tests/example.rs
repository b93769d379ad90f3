//! An example of testing a Marketo client against the mock, using only the crate's public API:
//! the client's side is plain HTTP (reqwest, as any client would call Marketo), the test's
//! side is the handle. The same test runs twice: with the in-process [`MockServer`], and with a
//! [`RemoteMockServer`] steering a server over HTTP, as it would the Docker image (here a
//! server started by the builder stands in for the container).

use std::time::Duration;

use marketo_bulk_mock::{
    ClockMode, Error, ExportStatus, FaultRule, JobStatus, JobType, MockServer, RecordStatus,
    Records, RemoteMockServer, Timing,
};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

const LEADS: &[u8] = b"email,firstName,company\nada@example.com,Ada,Analytical\nblocked@example.com,Bob,Blocked Inc\n";

/// The client under test: a few Marketo calls, as an integration would make them.
struct Client {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Client {
    fn new(base: String, token: String) -> Client {
        Client {
            base,
            token,
            http: reqwest::Client::new(),
        }
    }

    async fn json(&self, request: reqwest::RequestBuilder) -> Value {
        let response = request.bearer_auth(&self.token).send().await.unwrap();
        response.json().await.unwrap()
    }

    /// Creates a lead import adding the leads to the static list 2001; its batch id.
    async fn import_leads(&self, csv: &[u8]) -> u64 {
        let file = Part::bytes(csv.to_vec()).file_name("leads.csv");
        let request = self
            .http
            .post(format!(
                "{}/bulk/v1/leads.json?format=csv&listId=2001",
                self.base
            ))
            .multipart(Form::new().part("file", file));
        let created = self.json(request).await;
        assert_eq!(created["success"], json!(true), "{created}");
        created["result"][0]["batchId"].as_u64().unwrap()
    }

    async fn batch_status(&self, batch_id: u64) -> Value {
        let url = format!("{}/bulk/v1/leads/batch/{batch_id}.json", self.base);
        self.json(self.http.get(url)).await
    }

    /// The first name of the lead with this email, if there is one.
    async fn first_name(&self, email: &str) -> Option<String> {
        let url = format!(
            "{}/rest/v1/leads.json?filterType=email&filterValues={email}&fields=firstName",
            self.base
        );
        let found = self.json(self.http.get(url)).await;
        found["result"][0]["firstName"].as_str().map(str::to_owned)
    }

    /// Creates and enqueues an export of the emails of the leads in the list 2001; its export
    /// id.
    async fn export_leads(&self) -> String {
        let create = self
            .http
            .post(format!("{}/bulk/v1/leads/export/create.json", self.base))
            .json(&json!({"fields": ["email"], "filter": {"staticListId": 2001}}));
        let created = self.json(create).await;
        let id = created["result"][0]["exportId"]
            .as_str()
            .unwrap()
            .to_owned();
        let enqueue = self.http.post(format!(
            "{}/bulk/v1/leads/export/{id}/enqueue.json",
            self.base
        ));
        assert_eq!(self.json(enqueue).await["success"], json!(true));
        id
    }
}

#[tokio::test]
async fn an_import_waits_on_the_frozen_clock_fails_blocked_rows_and_reads_back() {
    let server = MockServer::builder()
        .clock(ClockMode::Frozen)
        .timing(Timing {
            queue_delay_ms: 60_000,
            rows_per_second: 0,
        })
        .start()
        .await;
    let client = Client::new(server.uri(), server.access_token());
    let blocked = FaultRule::row_failure(JobType::Leads, "email", "blocked@example.com", "Blocked");
    server.add_fault(blocked).unwrap();

    let batch_id = client.import_leads(LEADS).await;
    let queued = server.wait_for_import(batch_id, JobStatus::Queued).await;
    assert_eq!(queued.unwrap().status, JobStatus::Queued);
    // The clock stands still: however long the test takes, the job stays queued.
    assert_eq!(
        client.batch_status(batch_id).await["result"][0]["status"],
        json!("Queued")
    );
    server.advance_clock(Duration::from_secs(60));
    let job = server
        .wait_for_import(batch_id, JobStatus::Complete)
        .await
        .unwrap();
    assert_eq!((job.rows_processed, job.rows_failed), (1, 1));
    assert_eq!(
        client.first_name("ada@example.com").await.as_deref(),
        Some("Ada")
    );
    assert_eq!(client.first_name("blocked@example.com").await, None);

    // A status read that Marketo answers with 606 once: the client must retry.
    let busy = FaultRule::request("/bulk/v1/leads/batch/*")
        .code("606")
        .times(1);
    server.add_fault(busy).unwrap();
    assert_eq!(
        client.batch_status(batch_id).await["errors"][0]["code"],
        json!("606")
    );
    assert_eq!(
        client.batch_status(batch_id).await["result"][0]["status"],
        json!("Complete")
    );
    let codes: Vec<_> = server.journal().into_iter().map(|call| call.code).collect();
    assert!(codes.contains(&Some("606".to_owned())), "{codes:?}");
}

#[tokio::test]
async fn seeded_records_export_and_a_reset_returns_to_the_fixtures() {
    let server = MockServer::start().await;
    let client = Client::new(server.uri(), server.access_token());
    let records = Records::new()
        .lead(json!({"email": "grace@example.com", "firstName": "Grace"}))
        .lead(json!({"email": "not an email", "leadScore": "high"}));
    let report = server.seed(&records).await.unwrap();
    assert_eq!(report.leads[0].status, RecordStatus::Imported);
    assert_eq!(report.leads[1].status, RecordStatus::Failed);
    assert_eq!(
        client.first_name("grace@example.com").await.as_deref(),
        Some("Grace")
    );
    let exported = server.export();
    assert!(
        exported
            .leads
            .iter()
            .any(|lead| lead["email"] == json!("grace@example.com"))
    );

    server.reset().unwrap();
    // A reset forgets tokens too: the client gets a fresh one.
    let client = Client::new(server.uri(), server.access_token());
    assert_eq!(client.first_name("grace@example.com").await, None);
}

#[tokio::test]
async fn an_export_is_waited_for_until_its_file_is_ready() {
    let server = MockServer::start().await;
    let client = Client::new(server.uri(), server.access_token());
    let batch_id = client.import_leads(LEADS).await;
    let imported = server.wait_for_import(batch_id, JobStatus::Complete).await;
    assert_eq!(imported.unwrap().rows_processed, 2);
    let id = client.export_leads().await;
    let export = server
        .wait_for_export(&id, ExportStatus::Completed)
        .await
        .unwrap();
    assert_eq!(export.status, ExportStatus::Completed);
    assert_eq!(export.job_type, JobType::LeadsExport);
    assert_eq!(export.number_of_records, Some(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn waiting_for_an_unknown_batch_on_another_task_is_refused_as_the_route_refuses_it() {
    let server = std::sync::Arc::new(MockServer::start().await);
    let waiting = tokio::spawn({
        let server = server.clone();
        async move { server.wait_for_import(999_999, JobStatus::Complete).await }
    });
    let unknown = waiting.await.unwrap();
    assert!(
        matches!(unknown, Err(Error::Refused { status: 404, .. })),
        "{unknown:?}"
    );
}

#[tokio::test]
async fn a_remote_handle_steers_a_server_over_http_with_the_same_calls() {
    // Stands in for `docker run -p 8080:8080 marketo-bulk-mock --host 0.0.0.0`.
    let container = MockServer::builder()
        .credentials("docker-id", "docker-secret")
        .admin_token("let-me-in")
        .start()
        .await;
    let server = RemoteMockServer::new(&container.uri())
        .with_credentials("docker-id", "docker-secret")
        .with_admin_token("let-me-in");

    server.reset_all().await.unwrap();
    let frozen = server.freeze_clock().await.unwrap();
    assert_eq!(frozen.mode, ClockMode::Frozen);
    server
        .set_timing(Timing {
            queue_delay_ms: 60_000,
            rows_per_second: 0,
        })
        .await
        .unwrap();
    let client = Client::new(server.uri(), server.access_token().await.unwrap());
    let blocked = FaultRule::row_failure(JobType::Leads, "email", "blocked@example.com", "Blocked");
    let fault = server.add_fault(blocked).await.unwrap();

    let batch_id = client.import_leads(LEADS).await;
    let queued = server.wait_for_import(batch_id, JobStatus::Queued).await;
    assert_eq!(queued.unwrap().status, JobStatus::Queued);
    let advanced = server.advance_clock(Duration::from_secs(60)).await.unwrap();
    assert_eq!(advanced.now, frozen.now + Duration::from_secs(60));
    let job = server
        .wait_for_import(batch_id, JobStatus::Complete)
        .await
        .unwrap();
    assert_eq!((job.rows_processed, job.rows_failed), (1, 1));
    assert_eq!(
        client.first_name("ada@example.com").await.as_deref(),
        Some("Ada")
    );
    assert!(server.remove_fault(fault).await.unwrap());
    assert!(!server.remove_fault(fault).await.unwrap());

    let seeded = server
        .seed(&Records::new().lead(json!({"email": "grace@example.com"})))
        .await
        .unwrap();
    assert_eq!(seeded.first_refusal(), None);
    let exported = server.export().await.unwrap();
    assert!(
        exported
            .leads
            .iter()
            .any(|lead| lead["email"] == json!("grace@example.com"))
    );
    let journal = server.journal().await.unwrap();
    assert!(journal.iter().any(|call| call.batch_id == Some(batch_id)));
    server.clear_journal().await.unwrap();
    assert!(server.journal().await.unwrap().is_empty());

    // The same calls without the admin token are refused as the routes refuse them.
    let outsider = RemoteMockServer::new(&container.uri());
    let refused = outsider.clock().await;
    assert!(
        matches!(refused, Err(Error::Refused { status: 401, .. })),
        "{refused:?}"
    );
}

#[tokio::test]
async fn dropping_the_handle_shuts_the_server_down() {
    let server = MockServer::start().await;
    let address = server.address();
    assert!(tokio::net::TcpStream::connect(address).await.is_ok());
    drop(server);
    // The listener closes once the server's task sees the stop.
    let closed = async {
        while tokio::net::TcpStream::connect(address).await.is_ok() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(5), closed)
        .await
        .expect("the port is closed");
}
