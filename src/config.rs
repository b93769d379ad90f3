//! Command-line flags, each with its `MARKETO_MOCK_` environment twin.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use serde::{Deserialize, Serialize};

use crate::clock::{ClockMode, Timestamp};
use crate::export::ExportLimits;
use crate::jobs::Timing;
use crate::limits::CallLimits;

/// A faithful, stateful emulator of Adobe Marketo's Bulk Import and Bulk Extract APIs.
#[derive(Debug, Clone, Parser)]
#[command(name = "marketo-bulk-mock", version, about, long_about = None)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "MARKETO_MOCK_HOST", default_value = "127.0.0.1")]
    pub host: IpAddr,

    /// Port to listen on; 0 picks a free one and the startup log line names it.
    #[arg(long, env = "MARKETO_MOCK_PORT", default_value_t = 8080)]
    pub port: u16,

    /// The client id the identity endpoint accepts.
    #[arg(long, env = "MARKETO_MOCK_CLIENT_ID", default_value = "mock-client-id")]
    pub client_id: String,

    /// The client secret the identity endpoint accepts.
    #[arg(
        long,
        env = "MARKETO_MOCK_CLIENT_SECRET",
        default_value = "mock-client-secret",
        hide_env_values = true
    )]
    pub client_secret: String,

    /// A JSON file listing more instances: `[{"clientId", "clientSecret", "munchkinId"?,
    /// "fixtures"?, "seed"?}]`; paths are relative to the file.
    #[arg(long, env = "MARKETO_MOCK_INSTANCES", value_name = "FILE")]
    pub instances: Option<PathBuf>,

    /// The identity endpoint accepts any client id: the first token request of an unknown one
    /// makes an instance of its own, pinned to the secret it sent.
    #[arg(long, env = "MARKETO_MOCK_OPEN_INSTANCES")]
    pub open_instances: bool,

    /// An export file (the shape `GET /_mock/export` returns) loaded into the default instance
    /// at start-up.
    #[arg(long, env = "MARKETO_MOCK_SEED", value_name = "FILE")]
    pub seed: Option<PathBuf>,

    /// Directory of fixture files overriding the bundled ones (any file absent there is bundled).
    #[arg(long, env = "MARKETO_MOCK_FIXTURES", value_name = "DIR")]
    pub fixtures: Option<PathBuf>,

    /// Largest import file accepted, in bytes; a larger upload gets HTTP 413.
    #[arg(long, env = "MARKETO_MOCK_MAX_FILE_BYTES", default_value_t = 10 * 1024 * 1024)]
    pub max_file_bytes: usize,

    /// Import jobs queued or importing before a create is refused with 1016.
    #[arg(long, env = "MARKETO_MOCK_MAX_QUEUED_JOBS", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_queued_jobs: u32,

    /// Import jobs importing at once.
    #[arg(long, env = "MARKETO_MOCK_MAX_IMPORTING_JOBS", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_importing_jobs: u32,

    /// Export jobs queued or processing before an enqueue is refused with 1029.
    #[arg(long, env = "MARKETO_MOCK_MAX_QUEUED_EXPORTS", default_value_t = ExportLimits::default().max_queued as u32, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_queued_exports: u32,

    /// Export jobs processing at once.
    #[arg(long, env = "MARKETO_MOCK_MAX_PROCESSING_EXPORTS", default_value_t = ExportLimits::default().max_processing as u32, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_processing_exports: u32,

    /// Megabytes of export files a day may produce (from midnight US Central) before create
    /// and enqueue answer 1029.
    #[arg(
        long,
        env = "MARKETO_MOCK_EXPORT_DAILY_QUOTA_MB",
        default_value_t = ExportLimits::default().daily_quota_mb
    )]
    pub export_daily_quota_mb: u64,

    /// How long a completed export's file can be downloaded, in hours of the mock's clock.
    #[arg(long, env = "MARKETO_MOCK_EXPORT_FILE_RETENTION_HOURS", default_value_t = ExportLimits::default().file_retention_hours)]
    pub export_file_retention_hours: u64,

    /// How long an export job can be asked about after it ended, in hours of the mock's clock.
    #[arg(long, env = "MARKETO_MOCK_EXPORT_JOB_RETENTION_HOURS", default_value_t = ExportLimits::default().job_retention_hours)]
    pub export_job_retention_hours: u64,

    /// Milliseconds (of the mock's clock) a job waits in `Queued` before it may start.
    #[arg(long, env = "MARKETO_MOCK_QUEUE_DELAY_MS", default_value_t = 0)]
    pub queue_delay_ms: u64,

    /// Rows imported per second of the mock's clock; 0 means as fast as possible.
    #[arg(long, env = "MARKETO_MOCK_ROWS_PER_SECOND", default_value_t = 0)]
    pub rows_per_second: u64,

    /// How the mock's clock starts: following real time, or frozen until advanced.
    #[arg(long, env = "MARKETO_MOCK_CLOCK", value_enum, default_value_t = ClockMode::Real)]
    pub clock: ClockMode,

    /// The time the mock's clock shows at start (and after a reset), ISO 8601; the wall clock's
    /// when absent.
    #[arg(long, env = "MARKETO_MOCK_CLOCK_START", value_name = "TIME", value_parser = parse_clock_start)]
    pub clock_start: Option<Timestamp>,

    /// Life of an access token, in seconds.
    #[arg(long, env = "MARKETO_MOCK_TOKEN_TTL_SECS", default_value_t = 3600)]
    pub token_ttl_secs: u64,

    /// How long a batch id stays valid, in hours of the mock's clock.
    #[arg(long, env = "MARKETO_MOCK_BATCH_RETENTION_HOURS", default_value_t = 7 * 24)]
    pub batch_retention_hours: u64,

    /// Seconds running jobs get to finish on shutdown before they are dropped.
    #[arg(long, env = "MARKETO_MOCK_SHUTDOWN_TIMEOUT_SECS", default_value_t = 10)]
    pub shutdown_timeout_secs: u64,

    /// Timing preset applied over --queue-delay-ms and --rows-per-second: `instant`, or
    /// `marketo` (a real instance's minutes-long timings: 90 s queued, 250 rows a second).
    #[arg(long, env = "MARKETO_MOCK_TIMING_PRESET", value_parser = ["instant", "marketo"])]
    pub timing_preset: Option<String>,

    /// Emulated API calls kept in the request journal (`GET /_mock/requests`); oldest dropped.
    #[arg(long, env = "MARKETO_MOCK_JOURNAL_SIZE", default_value_t = 1000)]
    pub journal_size: usize,

    /// Marketo's rate limit: at most this many calls per --rate-window-secs (606 past it); off
    /// when absent (Marketo's own is 100).
    #[arg(long, env = "MARKETO_MOCK_RATE_LIMIT")]
    pub rate_limit: Option<u32>,

    /// The window of --rate-limit, in seconds of the mock's clock.
    #[arg(long, env = "MARKETO_MOCK_RATE_WINDOW_SECS", default_value_t = 20)]
    pub rate_window_secs: u32,

    /// At most this many emulated calls in flight at once (615 past it); off when absent
    /// (Marketo's own is 10).
    #[arg(long, env = "MARKETO_MOCK_CONCURRENCY_LIMIT")]
    pub concurrency_limit: Option<u32>,

    /// At most this many calls a day, from midnight US Central (607 past it); off when absent
    /// (Marketo's own is 50000).
    #[arg(long, env = "MARKETO_MOCK_DAILY_QUOTA")]
    pub daily_quota: Option<u32>,

    /// Seconds a client has to send its request headers before it is disconnected.
    #[arg(long, env = "MARKETO_MOCK_HEADER_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout_secs: u64,

    /// Seconds a request body may stall between two chunks before the call fails with 604.
    #[arg(long, env = "MARKETO_MOCK_BODY_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub body_timeout_secs: u64,

    /// Protects the control plane (all of `/_mock/` but health): callers must send
    /// `Authorization: Bearer <token>` or `X-Admin-Token: <token>`.
    #[arg(long, env = "MARKETO_MOCK_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

    /// Turns the control plane off (all of `/_mock/` but health answers 404).
    #[arg(long, env = "MARKETO_MOCK_NO_CONTROL_PLANE")]
    pub no_control_plane: bool,

    /// Log line format; the level comes from RUST_LOG.
    #[arg(long, env = "MARKETO_MOCK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Instances made at start besides the default one and those of `--instances`; only the
    /// Rust API sets them.
    #[arg(skip)]
    pub extra_instances: Vec<InstanceSpec>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

fn parse_clock_start(text: &str) -> Result<Timestamp, String> {
    crate::iso8601::parse_time(text)
        .ok_or_else(|| format!("'{text}' is not an ISO 8601 time such as 2026-01-15T09:00:00Z"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Exits 0 when the server at --host/--port answers its health route (for Docker HEALTHCHECK).
    Healthcheck,
}

impl Config {
    /// The job timing these flags ask for, the preset winning over the separate flags.
    pub fn timing(&self) -> Timing {
        self.timing_preset
            .as_deref()
            .and_then(Timing::preset)
            .unwrap_or(Timing {
                queue_delay_ms: self.queue_delay_ms,
                rows_per_second: self.rows_per_second,
            })
    }

    pub fn export_limits(&self) -> ExportLimits {
        ExportLimits {
            max_queued: self.max_queued_exports as usize,
            max_processing: self.max_processing_exports as usize,
            daily_quota_mb: self.export_daily_quota_mb,
            file_retention_hours: self.export_file_retention_hours,
            job_retention_hours: self.export_job_retention_hours,
        }
    }

    pub fn limit_settings(&self) -> CallLimits {
        CallLimits {
            rate_limit: self.rate_limit,
            rate_window_secs: self.rate_window_secs,
            concurrency_limit: self.concurrency_limit,
            daily_quota: self.daily_quota,
        }
    }

    /// The defaults, as `cargo run` with no flags and no environment would have them.
    pub fn defaults() -> Config {
        Config::parse_from(["marketo-bulk-mock"])
    }
}

/// How one instance is made: its credentials, and optionally its own fixtures and seed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InstanceSpec {
    /// The client id its tokens are issued to.
    pub client_id: String,
    /// The client secret the identity endpoint checks.
    pub client_secret: String,
    /// The Munchkin id it reports, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub munchkin_id: Option<String>,
    /// A fixtures directory of its own; otherwise the server's fixtures, read once, shared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub fixtures: Option<PathBuf>,
    /// An export file (the shape `GET /_mock/export` returns) loaded when the instance starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub seed: Option<PathBuf>,
}

impl InstanceSpec {
    /// An instance with these credentials, the server's fixtures and no seed.
    ///
    /// ```
    /// use marketo_bulk_mock::InstanceSpec;
    ///
    /// let spec = InstanceSpec {
    ///     munchkin_id: Some("123-ABC-456".into()),
    ///     ..InstanceSpec::new("team-b", "team-b-secret")
    /// };
    /// assert_eq!(spec.client_id, "team-b");
    /// ```
    pub fn new(client_id: &str, client_secret: &str) -> InstanceSpec {
        InstanceSpec {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            munchkin_id: None,
            fixtures: None,
            seed: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flags_are_consistent() {
        use clap::CommandFactory;
        Config::command().debug_assert();
    }

    #[test]
    fn no_flags_serve_marketo_defaults_on_port_8080() {
        let config = Config::try_parse_from(["marketo-bulk-mock"]).unwrap();
        assert_eq!(config.port, 8080);
        assert_eq!(config.max_file_bytes, 10_485_760);
        assert_eq!((config.max_queued_jobs, config.max_importing_jobs), (10, 2));
        assert_eq!(config.client_id, "mock-client-id");
        assert!(config.command.is_none());
    }

    #[test]
    fn serving_flags_and_the_healthcheck_subcommand_parse() {
        let config = Config::try_parse_from([
            "m",
            "--host",
            "127.0.0.1",
            "--port",
            "9000",
            "--client-id",
            "a",
            "healthcheck",
        ])
        .unwrap();
        assert_eq!(config.port, 9000);
        assert!(matches!(config.command, Some(Command::Healthcheck)));
    }
}
