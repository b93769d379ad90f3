//! The same control calls as [`MockServer`](crate::MockServer)'s, over HTTP, for a server
//! running elsewhere: in Docker, or as a binary started by a test harness.

use std::time::Duration;

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::clock::ClockMode;
use crate::export::ExportStatus;
use crate::faults::FaultRule;
use crate::http::control::DEFAULT_WAIT;
use crate::jobs::{JobStatus, Timing};
use crate::seed::{Records, SeedReport};
use crate::values::{ClockReading, Error, ExportJob, ImportJob, JournalEntry, from_view, waited};

/// A Marketo mock reached over HTTP, such as the Docker image: the same control calls as
/// [`MockServer`](crate::MockServer), with the same names and values, made through the control
/// plane's `/_mock/` routes. Each is async and can fail with [`Error::Transport`].
///
/// ```no_run
/// use std::time::Duration;
/// use marketo_bulk_mock::{JobStatus, RemoteMockServer};
///
/// # async fn example() -> Result<(), marketo_bulk_mock::Error> {
/// // docker run -p 8080:8080 marketo-bulk-mock --host 0.0.0.0
/// let server = RemoteMockServer::new("http://localhost:8080");
/// server.reset().await?;
/// server.freeze_clock().await?;
/// // ... create an import through Marketo's API, then:
/// server.advance_clock(Duration::from_secs(60)).await?;
/// let job = server.wait_for_import(1001, JobStatus::Complete).await?;
/// println!("{} rows imported", job.rows_processed);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct RemoteMockServer {
    uri: String,
    client_id: String,
    client_secret: String,
    admin_token: Option<String>,
    http: reqwest::Client,
}

impl RemoteMockServer {
    /// The server at `uri` (`http://localhost:8080`), with the default credentials
    /// `mock-client-id` and `mock-client-secret`.
    pub fn new(uri: &str) -> RemoteMockServer {
        RemoteMockServer {
            uri: uri.trim_end_matches('/').to_owned(),
            client_id: "mock-client-id".to_owned(),
            client_secret: "mock-client-secret".to_owned(),
            admin_token: None,
            http: reqwest::Client::new(),
        }
    }

    /// The credentials the server was started with (`--client-id`, `--client-secret`).
    pub fn with_credentials(mut self, client_id: &str, client_secret: &str) -> RemoteMockServer {
        client_id.clone_into(&mut self.client_id);
        client_secret.clone_into(&mut self.client_secret);
        self
    }

    /// The token the server's control plane asks for (`--admin-token`).
    pub fn with_admin_token(mut self, token: &str) -> RemoteMockServer {
        self.admin_token = Some(token.to_owned());
        self
    }

    /// The base URL, where Marketo's paths are served.
    pub fn uri(&self) -> String {
        self.uri.clone()
    }

    /// The identity URL a Marketo client is configured with: `{uri}/identity`.
    pub fn identity_url(&self) -> String {
        format!("{}/identity", self.uri)
    }

    /// The default instance's client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The default instance's client secret.
    pub fn client_secret(&self) -> &str {
        &self.client_secret
    }

    /// An access token of the default instance, from `GET /identity/oauth/token`.
    pub async fn access_token(&self) -> Result<String, Error> {
        let request = self
            .http
            .get(format!("{}/oauth/token", self.identity_url()));
        let query = [
            ("grant_type", "client_credentials"),
            ("client_id", &self.client_id),
            ("client_secret", &self.client_secret),
        ];
        let issued: Value = self.call(request.query(&query)).await?;
        let token = issued["access_token"].as_str();
        token
            .map(str::to_owned)
            .ok_or_else(|| Error::Transport(format!("no access token in {issued}")))
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let request = self.http.request(method, format!("{}{path}", self.uri));
        match &self.admin_token {
            Some(token) => request.header("X-Admin-Token", token),
            None => request,
        }
    }

    /// Sends a control call: its answer when the route succeeded, else the route's reason.
    async fn send(&self, request: RequestBuilder) -> Result<Response, Error> {
        let response = request.send().await.map_err(transport)?;
        if response.status().is_success() {
            return Ok(response);
        }
        Err(refused(response).await)
    }

    async fn call<T: DeserializeOwned>(&self, request: RequestBuilder) -> Result<T, Error> {
        let view: Value = self.send(request).await?.json().await.map_err(transport)?;
        from_view(view)
    }

    /// The clock's mode and time (`GET /_mock/clock`).
    pub async fn clock(&self) -> Result<ClockReading, Error> {
        self.call(self.request(Method::GET, "/_mock/clock")).await
    }

    /// Switches the clock between real and frozen without a jump (`PUT /_mock/clock`).
    pub async fn set_clock_mode(&self, mode: ClockMode) -> Result<ClockReading, Error> {
        let body = json!({ "mode": mode });
        self.call(self.request(Method::PUT, "/_mock/clock").json(&body))
            .await
    }

    /// Freezes the clock where it is.
    pub async fn freeze_clock(&self) -> Result<ClockReading, Error> {
        self.set_clock_mode(ClockMode::Frozen).await
    }

    /// Lets a frozen clock run again, from the time it shows.
    pub async fn unfreeze_clock(&self) -> Result<ClockReading, Error> {
        self.set_clock_mode(ClockMode::Real).await
    }

    /// Moves the clock forward, to the millisecond (`POST /_mock/clock/advance`).
    pub async fn advance_clock(&self, by: Duration) -> Result<ClockReading, Error> {
        let body = json!({ "milliseconds": u64::try_from(by.as_millis()).unwrap_or(u64::MAX) });
        let request = self.request(Method::POST, "/_mock/clock/advance");
        self.call(request.json(&body)).await
    }

    /// How fast imports and exports move (`GET /_mock/timing`).
    pub async fn timing(&self) -> Result<Timing, Error> {
        self.call(self.request(Method::GET, "/_mock/timing")).await
    }

    /// Sets how fast imports and exports move (`PUT /_mock/timing`).
    pub async fn set_timing(&self, timing: Timing) -> Result<(), Error> {
        let request = self.request(Method::PUT, "/_mock/timing").json(&timing);
        self.send(request).await.map(drop)
    }

    /// Waits until an import reaches `status` or a later one, for 30 seconds at most
    /// (`GET /_mock/jobs/{batchId}/wait`).
    pub async fn wait_for_import(
        &self,
        batch_id: u64,
        status: JobStatus,
    ) -> Result<ImportJob, Error> {
        // The route takes a status by its name: the variant's name.
        self.wait(&batch_id.to_string(), &format!("{status:?}"))
            .await
    }

    /// Waits until an export reaches `status` or a later one, for 30 seconds at most
    /// (`GET /_mock/jobs/{exportId}/wait`).
    pub async fn wait_for_export(
        &self,
        export_id: &str,
        status: ExportStatus,
    ) -> Result<ExportJob, Error> {
        self.wait(export_id, status.name()).await
    }

    async fn wait<T: DeserializeOwned>(&self, job: &str, status: &str) -> Result<T, Error> {
        let path = format!(
            "/_mock/jobs/{job}/wait?status={status}&timeoutMs={}",
            DEFAULT_WAIT.as_millis()
        );
        let response = self
            .request(Method::GET, &path)
            .send()
            .await
            .map_err(transport)?;
        let reached = match response.status() {
            StatusCode::OK => true,
            StatusCode::REQUEST_TIMEOUT => false,
            _ => return Err(refused(response).await),
        };
        let view = response.json().await.map_err(transport)?;
        waited(job, status, reached, view)
    }

    /// Adds a fault rule; its id (`POST /_mock/faults`).
    pub async fn add_fault(&self, rule: FaultRule) -> Result<u64, Error> {
        let request = self.request(Method::POST, "/_mock/faults").json(&rule);
        let added: Value = self.call(request).await?;
        added["id"]
            .as_u64()
            .ok_or_else(|| Error::Transport(format!("a fault rule without an id: {added}")))
    }

    /// Removes a fault rule; whether it was there (`DELETE /_mock/faults/{id}`).
    pub async fn remove_fault(&self, id: u64) -> Result<bool, Error> {
        let request = self.request(Method::DELETE, &format!("/_mock/faults/{id}"));
        match self.send(request).await {
            Ok(_) => Ok(true),
            Err(Error::Refused { status: 404, .. }) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Removes every fault rule (`DELETE /_mock/faults`).
    pub async fn clear_faults(&self) -> Result<(), Error> {
        let request = self.request(Method::DELETE, "/_mock/faults");
        self.send(request).await.map(drop)
    }

    /// Upserts records as imports would; what became of each (`POST /_mock/seed`).
    pub async fn seed(&self, records: &Records) -> Result<SeedReport, Error> {
        let request = self.request(Method::POST, "/_mock/seed").json(records);
        self.call(request).await
    }

    /// Every record of the default instance (`GET /_mock/export`).
    pub async fn export(&self) -> Result<Records, Error> {
        self.call(self.request(Method::GET, "/_mock/export")).await
    }

    /// Forgets everything of the default instance and reloads its fixtures and seed
    /// (`POST /_mock/reset`).
    pub async fn reset(&self) -> Result<(), Error> {
        let request = self.request(Method::POST, "/_mock/reset");
        self.send(request).await.map(drop)
    }

    /// Resets every instance (`POST /_mock/reset?all=true`).
    pub async fn reset_all(&self) -> Result<(), Error> {
        let request = self.request(Method::POST, "/_mock/reset?all=true");
        self.send(request).await.map(drop)
    }

    /// The emulated API calls made so far, oldest first (`GET /_mock/requests`).
    pub async fn journal(&self) -> Result<Vec<JournalEntry>, Error> {
        let mut journal: Value = self
            .call(self.request(Method::GET, "/_mock/requests"))
            .await?;
        from_view(journal["requests"].take())
    }

    /// Empties the request journal (`DELETE /_mock/requests`).
    pub async fn clear_journal(&self) -> Result<(), Error> {
        let request = self.request(Method::DELETE, "/_mock/requests");
        self.send(request).await.map(drop)
    }
}

fn transport(error: reqwest::Error) -> Error {
    Error::Transport(error.to_string())
}

/// A failed control call as an error: the route's status and its `{"error": ...}` reason.
async fn refused(response: Response) -> Error {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or_default();
    let message = body["error"]
        .as_str()
        .unwrap_or("no reason given")
        .to_owned();
    Error::Refused { status, message }
}
