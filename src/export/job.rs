//! What an export job is: its identity, what it exports, and its live snapshot.

use std::sync::Arc;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::file::ExportFile;
use super::kind::ExportKind;
use super::plan::ExportPlan;
use super::status::{ExportEvent, ExportStatus, InvalidTransition, transition};
use crate::clock::Timestamp;

/// What a status request reads: a copy, so it never waits on a running export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportSnapshot {
    pub status: ExportStatus,
    pub queued_at: Option<Timestamp>,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    /// The file, once `Completed`.
    pub file: Option<Arc<ExportFile>>,
    /// Why it failed, once `Failed`.
    pub error_msg: Option<String>,
}

/// One export job.
pub struct ExportJob {
    pub id: Uuid,
    /// Orders jobs created in the same millisecond.
    pub sequence: u64,
    pub kind: ExportKind,
    pub plan: ExportPlan,
    pub created_at: Timestamp,
    snapshot: watch::Sender<ExportSnapshot>,
    /// Cancelled when the job is, so a processing job stops at once.
    cancelled: CancellationToken,
}

impl std::fmt::Debug for ExportJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportJob")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl ExportJob {
    pub fn new(sequence: u64, kind: ExportKind, plan: ExportPlan, now: Timestamp) -> ExportJob {
        ExportJob {
            id: Uuid::new_v4(),
            sequence,
            kind,
            plan,
            created_at: now,
            snapshot: watch::Sender::new(ExportSnapshot {
                status: ExportStatus::Created,
                queued_at: None,
                started_at: None,
                finished_at: None,
                file: None,
                error_msg: None,
            }),
            cancelled: CancellationToken::new(),
        }
    }

    pub fn snapshot(&self) -> ExportSnapshot {
        self.snapshot.borrow().clone()
    }

    pub fn status(&self) -> ExportStatus {
        self.snapshot.borrow().status
    }

    /// A receiver that sees every later change, for waiting on a status.
    pub fn subscribe(&self) -> watch::Receiver<ExportSnapshot> {
        self.snapshot.subscribe()
    }

    /// Resolves once the job is cancelled.
    pub async fn cancelled(&self) {
        self.cancelled.cancelled().await;
    }

    /// Applies an event through the one transition function, stamping the time; `file` goes
    /// with `Complete`.
    pub fn apply(
        &self,
        event: ExportEvent,
        now: Timestamp,
        file: Option<Arc<ExportFile>>,
    ) -> Result<ExportStatus, InvalidTransition> {
        let mut outcome = Ok(ExportStatus::Created);
        let mut file = file;
        self.snapshot.send_if_modified(|snapshot| {
            outcome = transition(snapshot.status, &event);
            let Ok(next) = outcome else { return false };
            snapshot.status = next;
            match &event {
                ExportEvent::Enqueue => snapshot.queued_at = Some(now),
                ExportEvent::Start => snapshot.started_at = Some(now),
                ExportEvent::Complete => {
                    snapshot.finished_at = Some(now);
                    snapshot.file = file.take();
                }
                ExportEvent::Fail(reason) => {
                    snapshot.finished_at = Some(now);
                    snapshot.error_msg = Some(reason.clone());
                }
                // A cancelled job keeps the times it reached and gets no end time.
                ExportEvent::Cancel => {}
            }
            true
        });
        if outcome == Ok(ExportStatus::Cancelled) {
            self.cancelled.cancel();
        }
        outcome
    }
}
