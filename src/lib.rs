//! A faithful, stateful emulator of Adobe Marketo's Bulk Import, Bulk Extract and REST APIs,
//! for tests and demos.
//!
//! As a library it is an API for tests: [`MockServer::start`] runs the whole server in the
//! test's process, on a free port of 127.0.0.1, with the bundled fixtures. Point a Marketo
//! client at [`MockServer::uri`] (or [`MockServer::identity_url`]) with
//! [`MockServer::client_id`] and [`MockServer::client_secret`], and steer the mock through the
//! handle: freeze and advance its clock, wait for a job, inject faults, seed and export
//! records, reset it, read its request journal. [`MockServer::builder`] sets what the
//! binary's flags set. Dropping the handle shuts the server down.
//!
//! [`RemoteMockServer`] makes the same calls, with the same values, over HTTP, for a server
//! running elsewhere (the Docker image).
//!
//! ```
//! use std::time::Duration;
//! use marketo_bulk_mock::{ClockMode, FaultRule, JobStatus, MockServer, Records, Timing};
//! use serde_json::{Value, json};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Jobs wait a minute queued; the clock stands still until advanced.
//! let server = MockServer::builder()
//!     .clock(ClockMode::Frozen)
//!     .timing(Timing { queue_delay_ms: 60_000, rows_per_second: 0 })
//!     .start()
//!     .await;
//! let http = reqwest::Client::new();
//! let token = server.access_token();
//!
//! // A lead import, created over HTTP.
//! let file = reqwest::multipart::Part::bytes(b"email,firstName\nada@example.com,Ada\n".to_vec())
//!     .file_name("leads.csv");
//! let created: Value = http
//!     .post(format!("{}/bulk/v1/leads.json?format=csv", server.uri()))
//!     .bearer_auth(&token)
//!     .multipart(reqwest::multipart::Form::new().part("file", file))
//!     .send()
//!     .await?
//!     .json()
//!     .await?;
//! let batch_id = created["result"][0]["batchId"].as_u64().unwrap();
//!
//! // Queued until the clock says otherwise; then it runs to the end.
//! server.wait_for_import(batch_id, JobStatus::Queued).await?;
//! server.advance_clock(Duration::from_secs(60));
//! let job = server.wait_for_import(batch_id, JobStatus::Complete).await?;
//! assert_eq!(job.status, JobStatus::Complete);
//! assert_eq!(job.rows_processed, 1);
//!
//! // The lead is there, beside what a seed adds.
//! server.seed(&Records::new().lead(json!({"email": "grace@example.com"}))).await?;
//! let emails: Vec<_> = server.export().leads.iter().map(|lead| lead["email"].clone()).collect();
//! assert!(emails.contains(&json!("ada@example.com")));
//! assert!(emails.contains(&json!("grace@example.com")));
//!
//! // The next status read answers Marketo's 606.
//! let rule = FaultRule::request("/bulk/v1/leads/batch/*").code("606").times(1);
//! server.add_fault(rule)?;
//! let status: Value = http
//!     .get(format!("{}/bulk/v1/leads/batch/{batch_id}.json", server.uri()))
//!     .bearer_auth(&token)
//!     .send()
//!     .await?
//!     .json()
//!     .await?;
//! assert_eq!(status["errors"][0]["code"], "606");
//! assert_eq!(server.journal().last().unwrap().code.as_deref(), Some("606"));
//!
//! // Back to the fixtures, as a fresh start.
//! server.reset()?;
//! assert!(server.journal().is_empty());
//! # Ok(())
//! # }
//! ```
//!
//! The binary runs [`run_cli`].

#![warn(missing_docs)]

// The `internals` feature makes the import and export cores public, hidden from the docs, for
// the benches, fuzz targets and property tests; they are private otherwise. Each is declared
// twice rather than by a macro, which rustfmt would not look into.
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod clock;
#[cfg(not(feature = "internals"))]
mod clock;
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod export;
#[cfg(not(feature = "internals"))]
mod export;
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod faults;
#[cfg(not(feature = "internals"))]
mod faults;
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod fixtures;
#[cfg(not(feature = "internals"))]
mod fixtures;
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod http;
#[cfg(not(feature = "internals"))]
mod http;
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod import;
#[cfg(not(feature = "internals"))]
mod import;
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod jobs;
#[cfg(not(feature = "internals"))]
mod jobs;
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod seed;
#[cfg(not(feature = "internals"))]
mod seed;
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod store;
#[cfg(not(feature = "internals"))]
mod store;

mod activity;
mod app;
mod auth;
mod config;
mod error;
mod format;
mod healthcheck;
mod instances;
mod iso8601;
mod journal;
mod limits;
mod mock_server;
mod record;
mod remote;
mod schema;
mod server;
mod state;
mod telemetry;
mod usage;
mod values;
mod words;

use std::process::ExitCode;

use clap::Parser;

pub use clock::ClockMode;
pub use config::InstanceSpec;
pub use export::{ExportLimits, ExportStatus};
pub use faults::{FaultRule, JobType};
pub use jobs::{JobStatus, Timing};
pub use limits::CallLimits;
pub use mock_server::{MockServer, MockServerBuilder};
pub use remote::RemoteMockServer;
pub use seed::{RecordReport, RecordStatus, Records, SeedReport};
pub use values::{ClockReading, Error, ExportJob, ImportJob, JournalEntry};

/// What the `marketo-bulk-mock` binary runs: reads the flags and their `MARKETO_MOCK_`
/// environment twins, then serves until Ctrl-C or SIGTERM (or, with the `healthcheck`
/// subcommand, checks a running server's health).
pub async fn run_cli() -> ExitCode {
    use app::{App, shutdown_signal};
    use config::{Command, Config};

    let config = Config::parse();
    if let Some(Command::Healthcheck) = config.command {
        let healthy = healthcheck::check(config.host, config.port).await;
        return if healthy {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    telemetry::init(config.log_format);
    let app = match App::build(&config).await {
        Ok(app) => app,
        Err(error) => {
            tracing::error!(%error, "cannot start");
            return ExitCode::FAILURE;
        }
    };
    match app.run_until_stopped(shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "server failed");
            ExitCode::FAILURE
        }
    }
}
