//! The values the Rust API's control calls return, read from the control plane's own JSON
//! views whether the server runs in process or is reached over HTTP, so both give the same.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::clock::{ClockMode, Timestamp};
use crate::export::ExportStatus;
use crate::faults::JobType;
use crate::http::control::ControlError;
use crate::jobs::JobStatus;

/// Why a call on a [`MockServer`](crate::MockServer) or a
/// [`RemoteMockServer`](crate::RemoteMockServer) failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server could not start: a fixture, instance or seed file is wrong, a setting is out
    /// of range, or the address cannot be bound.
    #[error("the mock cannot start: {0}")]
    Start(String),
    /// The control plane refused the call, with the HTTP status its route answers: 400 for an
    /// invalid fault rule or status, 404 for an unknown job, 401 without the admin token.
    #[error("the mock refused the call ({status}): {message}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// Why.
        message: String,
    },
    /// A wait ended before the job reached the status.
    #[error("job {job} did not reach {wanted} in time; it is {last}")]
    TimedOut {
        /// The batch id or export id.
        job: String,
        /// The status waited for.
        wanted: String,
        /// The status the job had when the wait ended.
        last: String,
    },
    /// Over HTTP only: the server could not be reached, or its answer could not be read.
    #[error("cannot talk to the mock: {0}")]
    Transport(String),
}

impl From<ControlError> for Error {
    fn from(error: ControlError) -> Error {
        Error::Refused {
            status: error.0.as_u16(),
            message: error.1,
        }
    }
}

/// Reads a control-plane view as one of the values here.
pub(crate) fn from_view<T: DeserializeOwned>(view: Value) -> Result<T, Error> {
    serde_json::from_value(view)
        .map_err(|error| Error::Transport(format!("unexpected answer: {error}")))
}

/// The outcome of a wait, from whether the job reached the status and its view then.
pub(crate) fn waited<T: DeserializeOwned>(
    job: &str,
    wanted: &str,
    reached: bool,
    view: Value,
) -> Result<T, Error> {
    if reached {
        return from_view(view);
    }
    Err(Error::TimedOut {
        job: job.to_owned(),
        wanted: wanted.to_owned(),
        last: view["status"].as_str().unwrap_or("unknown").to_owned(),
    })
}

/// The mock's clock: its mode and the time it shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ClockReading {
    /// Real (running) or frozen.
    pub mode: ClockMode,
    /// The time it shows.
    #[serde(deserialize_with = "time")]
    pub now: SystemTime,
}

impl ClockReading {
    pub(crate) fn of(clock: &crate::clock::Clock) -> ClockReading {
        ClockReading {
            mode: clock.mode(),
            now: system_time(clock.now()),
        }
    }
}

/// An import job, as the control plane shows it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ImportJob {
    /// Its batch id.
    pub batch_id: u64,
    /// [`JobType::Leads`], [`JobType::CustomObjects`] or [`JobType::ProgramMembers`].
    #[serde(rename = "type")]
    pub job_type: JobType,
    /// Where it is.
    pub status: JobStatus,
    /// Rows imported, those with warnings included.
    #[serde(rename = "numOfRowsProcessed")]
    pub rows_processed: u64,
    /// Rows in the failures file.
    #[serde(rename = "numOfRowsFailed")]
    pub rows_failed: u64,
    /// Rows in the warnings file.
    #[serde(rename = "numOfRowsWithWarning")]
    pub rows_with_warning: u64,
    /// Marketo's message once it ended: `Import succeeded, 3 records imported (3 members)`.
    pub message: Option<String>,
    /// When it was created, by the mock's clock.
    #[serde(deserialize_with = "time")]
    pub queued_at: SystemTime,
    /// When it started importing.
    #[serde(deserialize_with = "optional_time")]
    pub started_at: Option<SystemTime>,
    /// When it ended.
    #[serde(deserialize_with = "optional_time")]
    pub finished_at: Option<SystemTime>,
}

/// An export job, as the control plane shows it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ExportJob {
    /// Its export id.
    pub export_id: String,
    /// [`JobType::LeadsExport`], [`JobType::ActivitiesExport`], ...
    #[serde(rename = "type")]
    pub job_type: JobType,
    /// The custom object it exports, for a custom object export.
    pub api_name: Option<String>,
    /// Where it is.
    pub status: ExportStatus,
    /// `CSV`, `TSV` or `SSV`.
    pub format: String,
    /// Records in its file, once completed.
    pub number_of_records: Option<u64>,
    /// Its file's size in bytes, once completed.
    pub file_size: Option<u64>,
    /// Why it failed.
    pub error_msg: Option<String>,
    /// When it was created, by the mock's clock.
    #[serde(deserialize_with = "time")]
    pub created_at: SystemTime,
    /// When it was enqueued.
    #[serde(deserialize_with = "optional_time")]
    pub queued_at: Option<SystemTime>,
    /// When it started processing.
    #[serde(deserialize_with = "optional_time")]
    pub started_at: Option<SystemTime>,
    /// When it ended.
    #[serde(deserialize_with = "optional_time")]
    pub finished_at: Option<SystemTime>,
}

/// One emulated API call, as the request journal keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct JournalEntry {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query string, when there was one; an access token in it is kept.
    pub query: Option<String>,
    /// The HTTP status of the answer.
    pub http_status: u16,
    /// The Marketo error code, when the call failed in the envelope.
    pub code: Option<String>,
    /// The batch id the call created or named.
    pub batch_id: Option<u64>,
    /// The export id the call created or named.
    pub export_id: Option<String>,
    /// When, by the mock's clock.
    #[serde(deserialize_with = "time")]
    pub time: SystemTime,
}

pub(crate) fn system_time(time: Timestamp) -> SystemTime {
    let millis = time.millis();
    let offset = Duration::from_millis(millis.unsigned_abs());
    if millis >= 0 {
        UNIX_EPOCH + offset
    } else {
        UNIX_EPOCH - offset
    }
}

pub(crate) fn timestamp(time: SystemTime) -> Timestamp {
    let millis = |duration: Duration| i64::try_from(duration.as_millis()).unwrap_or(i64::MAX);
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => Timestamp(millis(after)),
        Err(before) => Timestamp(-millis(before.duration())),
    }
}

fn parse<E: serde::de::Error>(text: &str) -> Result<SystemTime, E> {
    crate::iso8601::parse_time(text)
        .map(system_time)
        .ok_or_else(|| E::custom(format!("'{text}' is not a time")))
}

fn time<'de, D: Deserializer<'de>>(deserializer: D) -> Result<SystemTime, D::Error> {
    parse(&String::deserialize(deserializer)?)
}

fn optional_time<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<SystemTime>, D::Error> {
    Option::<String>::deserialize(deserializer)?
        .map(|text| parse(&text))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_that_ends_before_the_status_says_where_the_job_stayed() {
        let view = serde_json::json!({"batchId": 1001, "status": "Queued"});
        let outcome = waited::<ImportJob>("1001", "Complete", false, view);
        assert_eq!(
            outcome,
            Err(Error::TimedOut {
                job: "1001".into(),
                wanted: "Complete".into(),
                last: "Queued".into(),
            })
        );
    }

    #[test]
    fn times_convert_both_ways_on_either_side_of_the_epoch() {
        for millis in [0, 1, -1, 1_767_225_600_123, -86_400_000] {
            assert_eq!(timestamp(system_time(Timestamp(millis))), Timestamp(millis));
        }
    }
}
