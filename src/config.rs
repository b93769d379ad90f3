//! Command-line flags, each with its `MARKETO_MOCK_` environment twin.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::clock::ClockMode;

/// A faithful, stateful emulator of Adobe Marketo's Bulk Import API.
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

    /// Milliseconds (of the mock's clock) a job waits in `Queued` before it may start.
    #[arg(long, env = "MARKETO_MOCK_QUEUE_DELAY_MS", default_value_t = 0)]
    pub queue_delay_ms: u64,

    /// Rows imported per second of the mock's clock; 0 means as fast as possible.
    #[arg(long, env = "MARKETO_MOCK_ROWS_PER_SECOND", default_value_t = 0)]
    pub rows_per_second: u64,

    /// How the mock's clock starts: following real time, or frozen until advanced.
    #[arg(long, env = "MARKETO_MOCK_CLOCK", value_enum, default_value_t = ClockMode::Real)]
    pub clock: ClockMode,

    /// Life of an access token, in seconds.
    #[arg(long, env = "MARKETO_MOCK_TOKEN_TTL_SECS", default_value_t = 3600)]
    pub token_ttl_secs: u64,

    /// How long a batch id stays valid, in hours of the mock's clock.
    #[arg(long, env = "MARKETO_MOCK_BATCH_RETENTION_HOURS", default_value_t = 7 * 24)]
    pub batch_retention_hours: u64,

    /// Seconds running jobs get to finish on shutdown before they are dropped.
    #[arg(long, env = "MARKETO_MOCK_SHUTDOWN_TIMEOUT_SECS", default_value_t = 10)]
    pub shutdown_timeout_secs: u64,

    /// Log line format; the level comes from RUST_LOG.
    #[arg(long, env = "MARKETO_MOCK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Option<Command>,
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
    /// The defaults, as `cargo run` with no flags and no environment would have them.
    pub fn defaults() -> Config {
        Config::parse_from(["marketo-bulk-mock"])
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
