//! What a job is: its identity, parameters, live snapshot and the work it carries.

use std::sync::{Mutex, OnceLock};

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::JobParams;
use super::counters::Counters;
use super::status::{InvalidTransition, JobEvent, JobStatus, completion_message, transition};
use crate::clock::Timestamp;
use crate::faults::JobType;

pub type BatchId = u32;

/// The three kinds of import Marketo offers; they share one queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum ImportKind {
    Leads,
    CustomObjects,
    ProgramMembers,
}

impl From<ImportKind> for JobType {
    fn from(kind: ImportKind) -> JobType {
        match kind {
            ImportKind::Leads => JobType::Leads,
            ImportKind::CustomObjects => JobType::CustomObjects,
            ImportKind::ProgramMembers => JobType::ProgramMembers,
        }
    }
}

/// What a status request reads: a copy, so it never waits on a running import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobSnapshot {
    pub status: JobStatus,
    pub counters: Counters,
    pub message: Option<String>,
    pub queued_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
}

/// The failures and warnings files of a finished job; `None` where no row went there.
#[derive(Debug, Clone, Default)]
pub struct ResultFiles {
    pub failures: Option<Bytes>,
    pub warnings: Option<Bytes>,
}

/// What one step of work did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Step {
    pub counters: Counters,
    pub done: bool,
}

/// The work of one import, done a few rows at a time on a blocking thread so the engine can
/// pace it, report progress and cancel it between steps.
pub trait ImportWork: Send + 'static {
    /// Processes at most `max_rows` rows at time `now`.
    fn step(&mut self, max_rows: usize, now: Timestamp) -> Step;
    /// Hands over the result files once every row is done.
    fn finish(self: Box<Self>) -> ResultFiles;
}

/// One import job.
pub struct Job {
    pub id: BatchId,
    /// The creation parameters, as the control plane shows them; they name the kind.
    pub params: JobParams,
    pub created_at: Timestamp,
    snapshot: watch::Sender<JobSnapshot>,
    work: Mutex<Option<Box<dyn ImportWork>>>,
    files: OnceLock<ResultFiles>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("id", &self.id)
            .field("kind", &self.kind())
            .finish_non_exhaustive()
    }
}

impl Job {
    pub fn new(id: BatchId, params: JobParams, work: Box<dyn ImportWork>, now: Timestamp) -> Job {
        let snapshot = JobSnapshot {
            status: JobStatus::Queued,
            counters: Counters::default(),
            message: None,
            queued_at: now,
            started_at: None,
            finished_at: None,
        };
        Job {
            id,
            params,
            created_at: now,
            snapshot: watch::Sender::new(snapshot),
            work: Mutex::new(Some(work)),
            files: OnceLock::new(),
        }
    }

    pub fn kind(&self) -> ImportKind {
        self.params.kind()
    }

    pub fn snapshot(&self) -> JobSnapshot {
        self.snapshot.borrow().clone()
    }

    /// Reads the snapshot in place, for an answer written from it at once; the job's own
    /// updates wait only that long.
    pub fn with_snapshot<T>(&self, read: impl FnOnce(&JobSnapshot) -> T) -> T {
        read(&self.snapshot.borrow())
    }

    /// A receiver that sees every later change, for waiting on a status.
    pub fn subscribe(&self) -> watch::Receiver<JobSnapshot> {
        self.snapshot.subscribe()
    }

    pub fn files(&self) -> Option<&ResultFiles> {
        self.files.get()
    }

    pub(super) fn take_work(&self) -> Option<Box<dyn ImportWork>> {
        self.work.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    pub(super) fn add_progress(&self, counters: Counters) {
        self.snapshot
            .send_modify(|snapshot| snapshot.counters.add(counters));
    }

    /// Applies an event through the one transition function, stamping the time.
    pub(super) fn apply(
        &self,
        event: JobEvent,
        now: Timestamp,
    ) -> Result<JobStatus, InvalidTransition> {
        let mut outcome = Ok(JobStatus::Queued);
        self.snapshot.send_if_modified(|snapshot| {
            outcome = transition(snapshot.status, &event);
            let Ok(next) = outcome else { return false };
            snapshot.status = next;
            match &event {
                JobEvent::Start => snapshot.started_at = Some(now),
                JobEvent::Finish => {
                    snapshot.finished_at = Some(now);
                    snapshot.message = Some(completion_message(&snapshot.counters));
                }
                JobEvent::Fail(reason) => {
                    snapshot.finished_at = Some(now);
                    snapshot.message = Some(reason.clone());
                }
            }
            true
        });
        if matches!(event, JobEvent::Fail(_)) {
            // A failed job's rows were never all accounted for; drop what it held.
            drop(self.take_work());
        }
        outcome
    }

    pub(super) fn set_files(&self, files: ResultFiles) {
        let _ = self.files.set(files);
    }
}
