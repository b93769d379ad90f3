//! The only place a job's status changes are decided, and the messages Marketo writes for them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::counters::Counters;

/// Where an import job is, as Marketo spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum JobStatus {
    /// Waiting for an importing slot.
    Queued,
    /// Importing its rows.
    Importing,
    /// Every row was handled; some may have failed.
    Complete,
    /// Ended without handling every row.
    Failed,
}

impl JobStatus {
    /// Whether the job has ended.
    pub fn is_terminal(self) -> bool {
        matches!(self, JobStatus::Complete | JobStatus::Failed)
    }

    /// How far along the lifecycle a status is, so a waiter for `Importing` is also satisfied
    /// by `Complete`.
    pub(crate) fn rank(self) -> u8 {
        match self {
            JobStatus::Queued => 0,
            JobStatus::Importing => 1,
            JobStatus::Complete | JobStatus::Failed => 2,
        }
    }
}

/// What happens to a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobEvent {
    /// It got one of the importing slots.
    Start,
    /// Every row was processed.
    Finish,
    /// It cannot be processed at all, for the reason given.
    Fail(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a {from:?} job cannot take the event {event:?}")]
pub struct InvalidTransition {
    pub from: JobStatus,
    pub event: JobEvent,
}

/// `Queued` → `Importing` → `Complete`, and `Failed` from either of the first two.
pub fn transition(from: JobStatus, event: &JobEvent) -> Result<JobStatus, InvalidTransition> {
    match (from, event) {
        (JobStatus::Queued, JobEvent::Start) => Ok(JobStatus::Importing),
        (JobStatus::Importing, JobEvent::Finish) => Ok(JobStatus::Complete),
        (JobStatus::Queued | JobStatus::Importing, JobEvent::Fail(_)) => Ok(JobStatus::Failed),
        _ => Err(InvalidTransition {
            from,
            event: event.clone(),
        }),
    }
}

/// The message of a completed job. Marketo documents three forms; the fourth (failures and
/// warnings together) joins them, and more than one warning is written in the plural.
pub fn completion_message(counters: &Counters) -> String {
    let imported = counters.processed;
    let head = format!("{imported} records imported ({imported} members)");
    let warnings = match counters.warned {
        1 => "1 warning".to_owned(),
        n => format!("{n} warnings"),
    };
    match (counters.failed, counters.warned) {
        (0, 0) => format!("Import succeeded, {head}"),
        (0, _) => format!("Import succeeded, {head}, {warnings}."),
        (failed, 0) => format!("Import completed with errors, {head}, {failed} failed"),
        (failed, _) => format!("Import completed with errors, {head}, {failed} failed, {warnings}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counters(processed: u64, failed: u64, warned: u64) -> Counters {
        Counters {
            processed,
            failed,
            warned,
        }
    }

    #[test]
    fn a_job_moves_forward_only() {
        assert_eq!(
            transition(JobStatus::Queued, &JobEvent::Start),
            Ok(JobStatus::Importing)
        );
        assert_eq!(
            transition(JobStatus::Importing, &JobEvent::Finish),
            Ok(JobStatus::Complete)
        );
        assert_eq!(
            transition(JobStatus::Queued, &JobEvent::Fail("x".into())),
            Ok(JobStatus::Failed)
        );
        assert_eq!(
            transition(JobStatus::Importing, &JobEvent::Fail("x".into())),
            Ok(JobStatus::Failed)
        );
        assert!(transition(JobStatus::Queued, &JobEvent::Finish).is_err());
        assert!(transition(JobStatus::Importing, &JobEvent::Start).is_err());
        for terminal in [JobStatus::Complete, JobStatus::Failed] {
            for event in [
                JobEvent::Start,
                JobEvent::Finish,
                JobEvent::Fail("x".into()),
            ] {
                assert!(transition(terminal, &event).is_err());
            }
        }
    }

    #[test]
    fn messages_follow_marketos_documented_templates() {
        assert_eq!(
            completion_message(&counters(3, 0, 0)),
            "Import succeeded, 3 records imported (3 members)"
        );
        assert_eq!(
            completion_message(&counters(2, 1, 0)),
            "Import completed with errors, 2 records imported (2 members), 1 failed"
        );
        assert_eq!(
            completion_message(&counters(1, 0, 1)),
            "Import succeeded, 1 records imported (1 members), 1 warning."
        );
        assert_eq!(
            completion_message(&counters(0, 0, 0)),
            "Import succeeded, 0 records imported (0 members)"
        );
    }

    #[test]
    fn undocumented_combinations_extend_the_templates() {
        assert_eq!(
            completion_message(&counters(4, 0, 2)),
            "Import succeeded, 4 records imported (4 members), 2 warnings."
        );
        assert_eq!(
            completion_message(&counters(4, 3, 2)),
            "Import completed with errors, 4 records imported (4 members), 3 failed, 2 warnings"
        );
    }
}
