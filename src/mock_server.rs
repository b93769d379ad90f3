//! The server in process, for tests: started on a free loopback port, controlled through its
//! state directly, stopped when dropped.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::oneshot;

use crate::app::App;
use crate::clock::ClockMode;
use crate::config::Config;
use crate::config::InstanceSpec;
use crate::export::{ExportLimits, ExportStatus};
use crate::faults::FaultRule;
use crate::http::control::{DEFAULT_WAIT, Wait, reset_instances, seed_off_thread, wait_for};
use crate::instances::Instances;
use crate::jobs::{JobStatus, Timing};
use crate::limits::CallLimits;
use crate::seed::{Records, SeedReport};
use crate::state::AppState;
use crate::values::{
    ClockReading, Error, ExportJob, ImportJob, JournalEntry, from_view, timestamp, waited,
};

/// A Marketo mock running in this process, on a free port of 127.0.0.1, with the bundled
/// fixtures unless told otherwise.
///
/// Its control calls act on the state of the default instance directly, with the same
/// semantics as the control plane's `/_mock/` routes. Dropping it shuts the server down: it
/// stops accepting connections and every job stops at once.
///
/// ```
/// use std::time::Duration;
/// use marketo_bulk_mock::{ClockMode, MockServer};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let server = MockServer::builder().clock(ClockMode::Frozen).start().await;
/// let before = server.clock().now;
/// server.advance_clock(Duration::from_secs(90));
/// assert_eq!(server.clock().now, before + Duration::from_secs(90));
///
/// // Marketo's identity endpoint, with the server's credentials.
/// let token_url = format!(
///     "{}/oauth/token?grant_type=client_credentials&client_id={}&client_secret={}",
///     server.identity_url(),
///     server.client_id(),
///     server.client_secret(),
/// );
/// let token: serde_json::Value = reqwest::get(token_url).await.unwrap().json().await.unwrap();
/// assert!(token["access_token"].is_string());
/// # }
/// ```
pub struct MockServer {
    address: SocketAddr,
    uri: String,
    instances: Arc<Instances>,
    stop: Option<oneshot::Sender<()>>,
}

impl MockServer {
    /// Starts a server with the defaults: credentials `mock-client-id` and
    /// `mock-client-secret`, the bundled fixtures, a real clock, jobs as fast as they go.
    ///
    /// # Panics
    ///
    /// When it cannot start (no free port); [`MockServerBuilder::try_start`] says why instead.
    pub async fn start() -> MockServer {
        MockServer::builder().start().await
    }

    /// A builder, for a server set up as the binary's flags would set it.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::new()
    }

    /// The base URL, `http://127.0.0.1:<port>`, where Marketo's paths are served:
    /// `/identity/oauth/token`, `/bulk/v1/...`, `/rest/v1/...`.
    pub fn uri(&self) -> String {
        self.uri.clone()
    }

    /// The address the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The identity URL a Marketo client is configured with: `{uri}/identity`.
    pub fn identity_url(&self) -> String {
        format!("{}/identity", self.uri)
    }

    /// The default instance's client id.
    pub fn client_id(&self) -> &str {
        &self.instances.config().client_id
    }

    /// The default instance's client secret.
    pub fn client_secret(&self) -> &str {
        &self.instances.config().client_secret
    }

    /// An access token of the default instance, as `GET /identity/oauth/token` issues it: the
    /// same token until it expires, as Marketo's.
    pub fn access_token(&self) -> String {
        let config = self.instances.config();
        let (_, issued) = self.instances.issue_token(
            Some("client_credentials"),
            Some(&config.client_id),
            Some(&config.client_secret),
        );
        issued
            .expect("the default instance takes its own credentials")
            .access_token
    }

    /// The default instance's world now (a reset replaces it).
    fn world(&self) -> AppState {
        self.instances.default_world()
    }

    /// The clock's mode and time (`GET /_mock/clock`).
    pub fn clock(&self) -> ClockReading {
        ClockReading::of(&self.world().clock)
    }

    /// Switches the clock between real and frozen without a jump: freezing keeps the current
    /// time, unfreezing runs on from it (`PUT /_mock/clock`).
    pub fn set_clock_mode(&self, mode: ClockMode) -> ClockReading {
        let world = self.world();
        world.clock.set_mode(mode);
        ClockReading::of(&world.clock)
    }

    /// Freezes the clock where it is: jobs, tokens and retention then move only when
    /// [`advance_clock`](MockServer::advance_clock) says.
    pub fn freeze_clock(&self) -> ClockReading {
        self.set_clock_mode(ClockMode::Frozen)
    }

    /// Lets a frozen clock run again, from the time it shows.
    pub fn unfreeze_clock(&self) -> ClockReading {
        self.set_clock_mode(ClockMode::Real)
    }

    /// Moves the clock forward, in either mode, and wakes every job waiting on it
    /// (`POST /_mock/clock/advance`).
    pub fn advance_clock(&self, by: Duration) -> ClockReading {
        let world = self.world();
        world.clock.advance(by);
        ClockReading::of(&world.clock)
    }

    /// How fast imports and exports move (`GET /_mock/timing`).
    pub fn timing(&self) -> Timing {
        self.world().engine.timing()
    }

    /// Sets how fast imports and exports move (`PUT /_mock/timing`).
    pub fn set_timing(&self, timing: Timing) {
        self.world().set_timing(timing);
    }

    /// Waits until an import reaches `status` or a later one (any end satisfies
    /// [`JobStatus::Complete`](crate::JobStatus::Complete)), for 30 seconds of real time
    /// at most (`GET /_mock/jobs/{batchId}/wait`).
    ///
    /// # Errors
    ///
    /// [`Error::TimedOut`] when it did not in time; [`Error::Refused`] (404) for an unknown
    /// batch.
    pub async fn wait_for_import(
        &self,
        batch_id: u64,
        status: JobStatus,
    ) -> Result<ImportJob, Error> {
        // The wait takes a status by its name, as the route does: the variant's name.
        let job = batch_id.to_string();
        self.wait(&job, &format!("{status:?}")).await
    }

    /// Waits until an export reaches `status` or a later one (any end satisfies
    /// [`ExportStatus::Completed`]), for 30 seconds of real time at most
    /// (`GET /_mock/jobs/{exportId}/wait`).
    ///
    /// # Errors
    ///
    /// [`Error::TimedOut`] when it did not in time; [`Error::Refused`] (404) for an unknown
    /// export.
    pub async fn wait_for_export(
        &self,
        export_id: &str,
        status: ExportStatus,
    ) -> Result<ExportJob, Error> {
        self.wait(export_id, status.name()).await
    }

    async fn wait<T: serde::de::DeserializeOwned>(
        &self,
        job: &str,
        status: &str,
    ) -> Result<T, Error> {
        let wait = Wait {
            job,
            status: Some(status),
            rows: 0,
            timeout: DEFAULT_WAIT,
        };
        let (reached, view) = wait_for(&self.world(), wait).await?;
        let view =
            serde_json::to_value(view).map_err(|error| Error::Transport(error.to_string()))?;
        waited(job, status, reached, view)
    }

    /// Adds a fault rule; its id (`POST /_mock/faults`).
    ///
    /// # Errors
    ///
    /// [`Error::Refused`] (400) for a rule without exactly one target and one effect, or with
    /// a code Marketo does not have.
    pub fn add_fault(&self, rule: FaultRule) -> Result<u64, Error> {
        let added = self.world().faults.add(rule);
        added.map(|rule| rule.id).map_err(|invalid| Error::Refused {
            status: 400,
            message: invalid.to_string(),
        })
    }

    /// Removes a fault rule; whether it was there (`DELETE /_mock/faults/{id}`).
    pub fn remove_fault(&self, id: u64) -> bool {
        self.world().faults.remove(id)
    }

    /// Removes every fault rule (`DELETE /_mock/faults`).
    pub fn clear_faults(&self) {
        self.world().faults.clear();
    }

    /// Upserts records as imports would, with the same checks; what became of each
    /// (`POST /_mock/seed`).
    ///
    /// # Errors
    ///
    /// [`Error::Refused`] (500) when seeding broke down.
    pub async fn seed(&self, records: &Records) -> Result<SeedReport, Error> {
        Ok(seed_off_thread(self.world(), records.clone()).await?)
    }

    /// Every record of the default instance, in the shape [`seed`](MockServer::seed) takes
    /// (`GET /_mock/export`).
    pub fn export(&self) -> Records {
        let view = crate::seed::export(&self.world().read_db());
        from_view(view).expect("an export reads as records")
    }

    /// Forgets everything of the default instance (records, jobs, tokens, faults, journal)
    /// and reloads its fixtures and seed (`POST /_mock/reset`).
    ///
    /// # Errors
    ///
    /// [`Error::Refused`] (500) when its fixtures or seed no longer load.
    pub fn reset(&self) -> Result<(), Error> {
        Ok(reset_instances(&self.instances, Some(self.client_id()))?)
    }

    /// Resets every instance (`POST /_mock/reset?all=true`).
    ///
    /// # Errors
    ///
    /// [`Error::Refused`] (500) when an instance's fixtures or seed no longer load.
    pub fn reset_all(&self) -> Result<(), Error> {
        Ok(reset_instances(&self.instances, None)?)
    }

    /// The emulated API calls made so far, oldest first (`GET /_mock/requests`).
    pub fn journal(&self) -> Vec<JournalEntry> {
        let entries = serde_json::to_value(self.world().journal.entries());
        from_view(entries.unwrap_or_default()).expect("the journal reads as entries")
    }

    /// Empties the request journal (`DELETE /_mock/requests`).
    pub fn clear_journal(&self) {
        self.world().journal.clear();
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Jobs stop now rather than after the server's drain, which a test's runtime may
        // not live to see.
        self.instances.stop_all();
    }
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("uri", &self.uri)
            .finish_non_exhaustive()
    }
}

/// Sets up a [`MockServer`] as the binary's flags would: credentials, instances, fixtures,
/// clock, timing and limits. Anything not set is as the binary's default.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use marketo_bulk_mock::{ClockMode, MockServer, Timing};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600); // 2026-01-01
/// let server = MockServer::builder()
///     .credentials("my-id", "my-secret")
///     .clock(ClockMode::Frozen)
///     .clock_start(start)
///     .timing(Timing { queue_delay_ms: 60_000, rows_per_second: 0 })
///     .max_queued_jobs(3)
///     .start()
///     .await;
/// assert_eq!(server.client_id(), "my-id");
/// assert_eq!(server.clock().now, start);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct MockServerBuilder {
    config: Config,
}

impl Default for MockServerBuilder {
    fn default() -> MockServerBuilder {
        MockServerBuilder::new()
    }
}

impl MockServerBuilder {
    /// The binary's defaults, listening on a free port of 127.0.0.1.
    pub fn new() -> MockServerBuilder {
        let mut config = Config::defaults();
        config.host = std::net::Ipv4Addr::LOCALHOST.into();
        config.port = 0;
        MockServerBuilder { config }
    }

    /// The default instance's credentials (`--client-id`, `--client-secret`).
    pub fn credentials(mut self, client_id: &str, client_secret: &str) -> MockServerBuilder {
        client_id.clone_into(&mut self.config.client_id);
        client_secret.clone_into(&mut self.config.client_secret);
        self
    }

    /// One more instance, with its own credentials, and optionally its own fixtures and seed.
    /// A token names its instance; control calls act on the default one.
    pub fn instance(mut self, spec: InstanceSpec) -> MockServerBuilder {
        self.config.extra_instances.push(spec);
        self
    }

    /// A JSON file listing more instances (`--instances`).
    pub fn instances_file(mut self, path: impl Into<PathBuf>) -> MockServerBuilder {
        self.config.instances = Some(path.into());
        self
    }

    /// Any client id gets an instance of its own at its first token request
    /// (`--open-instances`).
    pub fn open_instances(mut self) -> MockServerBuilder {
        self.config.open_instances = true;
        self
    }

    /// A directory of fixture files overriding the bundled ones (`--fixtures`).
    pub fn fixtures(mut self, dir: impl Into<PathBuf>) -> MockServerBuilder {
        self.config.fixtures = Some(dir.into());
        self
    }

    /// An export file (the shape [`MockServer::export`] returns, as JSON) loaded into the
    /// default instance at start and at every reset (`--seed`).
    pub fn seed_file(mut self, path: impl Into<PathBuf>) -> MockServerBuilder {
        self.config.seed = Some(path.into());
        self
    }

    /// Whether the clock starts real or frozen (`--clock`).
    pub fn clock(mut self, mode: ClockMode) -> MockServerBuilder {
        self.config.clock = mode;
        self
    }

    /// The time the clock shows at start and after a reset (`--clock-start`).
    pub fn clock_start(mut self, start: SystemTime) -> MockServerBuilder {
        self.config.clock_start = Some(timestamp(start));
        self
    }

    /// How fast jobs move (`--queue-delay-ms`, `--rows-per-second`).
    pub fn timing(mut self, timing: Timing) -> MockServerBuilder {
        self.config.timing_preset = None;
        self.config.queue_delay_ms = timing.queue_delay_ms;
        self.config.rows_per_second = timing.rows_per_second;
        self
    }

    /// The largest import file accepted, in bytes (`--max-file-bytes`).
    pub fn max_file_bytes(mut self, bytes: usize) -> MockServerBuilder {
        self.config.max_file_bytes = bytes;
        self
    }

    /// Import jobs queued or importing before a create is refused with 1016, at least 1
    /// (`--max-queued-jobs`).
    pub fn max_queued_jobs(mut self, jobs: u32) -> MockServerBuilder {
        self.config.max_queued_jobs = jobs;
        self
    }

    /// Import jobs importing at once, at least 1 (`--max-importing-jobs`).
    pub fn max_importing_jobs(mut self, jobs: u32) -> MockServerBuilder {
        self.config.max_importing_jobs = jobs;
        self
    }

    /// Export queue limits, daily quota and retention (`--max-queued-exports` and the rest).
    pub fn export_limits(mut self, limits: ExportLimits) -> MockServerBuilder {
        let config = &mut self.config;
        config.max_queued_exports = u32::try_from(limits.max_queued).unwrap_or(u32::MAX);
        config.max_processing_exports = u32::try_from(limits.max_processing).unwrap_or(u32::MAX);
        config.export_daily_quota_mb = limits.daily_quota_mb;
        config.export_file_retention_hours = limits.file_retention_hours;
        config.export_job_retention_hours = limits.job_retention_hours;
        self
    }

    /// Marketo's API call limits: rate, concurrency, daily quota (`--rate-limit` and the rest).
    pub fn call_limits(mut self, limits: CallLimits) -> MockServerBuilder {
        let config = &mut self.config;
        config.rate_limit = limits.rate_limit;
        config.rate_window_secs = limits.rate_window_secs;
        config.concurrency_limit = limits.concurrency_limit;
        config.daily_quota = limits.daily_quota;
        self
    }

    /// The life of an access token, in whole seconds (`--token-ttl-secs`).
    pub fn token_ttl(mut self, ttl: Duration) -> MockServerBuilder {
        self.config.token_ttl_secs = ttl.as_secs();
        self
    }

    /// Emulated calls the request journal keeps (`--journal-size`).
    pub fn journal_size(mut self, entries: usize) -> MockServerBuilder {
        self.config.journal_size = entries;
        self
    }

    /// Protects the control plane's routes with this token (`--admin-token`); the handle's
    /// own calls need none.
    pub fn admin_token(mut self, token: &str) -> MockServerBuilder {
        self.config.admin_token = Some(token.to_owned());
        self
    }

    /// Turns the control plane's routes off (`--no-control-plane`); the handle's own calls
    /// still work.
    pub fn without_control_plane(mut self) -> MockServerBuilder {
        self.config.no_control_plane = true;
        self
    }

    /// How long a client has to send its request headers, in whole seconds, at least 1
    /// (`--header-timeout-secs`).
    pub fn header_timeout(mut self, timeout: Duration) -> MockServerBuilder {
        self.config.header_timeout_secs = timeout.as_secs();
        self
    }

    /// How long a request body may stall, in whole seconds, at least 1
    /// (`--body-timeout-secs`).
    pub fn body_timeout(mut self, timeout: Duration) -> MockServerBuilder {
        self.config.body_timeout_secs = timeout.as_secs();
        self
    }

    /// Starts the server.
    ///
    /// # Panics
    ///
    /// When it cannot start; [`try_start`](MockServerBuilder::try_start) says why instead.
    pub async fn start(self) -> MockServer {
        match self.try_start().await {
            Ok(server) => server,
            Err(error) => panic!("{error}"),
        }
    }

    /// Starts the server, or says why it cannot: a setting out of range, a fixture, instance
    /// or seed file that does not load.
    ///
    /// # Errors
    ///
    /// [`Error::Start`] with the reason.
    pub async fn try_start(self) -> Result<MockServer, Error> {
        self.check()?;
        let app = App::build(&self.config)
            .await
            .map_err(|error| Error::Start(error.to_string()))?;
        let address = app.local_addr();
        let instances = app.instances();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(app.run_until_stopped(async move {
            let _ = stopped.await;
        }));
        Ok(MockServer {
            address,
            uri: format!("http://{address}"),
            instances,
            stop: Some(stop),
        })
    }

    /// The ranges the flags' parser enforces.
    fn check(&self) -> Result<(), Error> {
        let config = &self.config;
        let at_least_one = [
            ("max_queued_jobs", u64::from(config.max_queued_jobs)),
            ("max_importing_jobs", u64::from(config.max_importing_jobs)),
            ("export max_queued", u64::from(config.max_queued_exports)),
            (
                "export max_processing",
                u64::from(config.max_processing_exports),
            ),
            ("rate_window_secs", u64::from(config.rate_window_secs)),
            ("header_timeout", config.header_timeout_secs),
            ("body_timeout", config.body_timeout_secs),
        ];
        match at_least_one.iter().find(|(_, value)| *value == 0) {
            Some((name, _)) => Err(Error::Start(format!("{name} must be at least 1"))),
            None => Ok(()),
        }
    }
}
