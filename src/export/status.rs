//! The only place an export job's status changes are decided.

use serde::{Deserialize, Serialize};

/// Marketo's export job statuses, spelled as its answers spell them (`Cancelled` with two
/// l's, although its prose writes one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ExportStatus {
    /// Created, not yet enqueued.
    Created,
    /// Enqueued, waiting for a processing slot.
    Queued,
    /// Writing its file.
    Processing,
    /// Its file can be downloaded.
    Completed,
    /// Ended without a file.
    Failed,
    /// Cancelled by its client.
    Cancelled,
}

impl ExportStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [ExportStatus; 6] = [
        ExportStatus::Created,
        ExportStatus::Queued,
        ExportStatus::Processing,
        ExportStatus::Completed,
        ExportStatus::Failed,
        ExportStatus::Cancelled,
    ];

    /// The status as Marketo spells it.
    pub fn name(self) -> &'static str {
        match self {
            ExportStatus::Created => "Created",
            ExportStatus::Queued => "Queued",
            ExportStatus::Processing => "Processing",
            ExportStatus::Completed => "Completed",
            ExportStatus::Failed => "Failed",
            ExportStatus::Cancelled => "Cancelled",
        }
    }

    /// A status named in any case; `Canceled` (Marketo's prose spelling) is `Cancelled`.
    pub fn parse(name: &str) -> Option<ExportStatus> {
        if name.eq_ignore_ascii_case("Canceled") {
            return Some(ExportStatus::Cancelled);
        }
        ExportStatus::ALL
            .into_iter()
            .find(|status| status.name().eq_ignore_ascii_case(name))
    }

    /// Whether the job has ended.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            ExportStatus::Completed | ExportStatus::Failed | ExportStatus::Cancelled
        )
    }

    /// How far along the lifecycle a status is, so a waiter for `Queued` is also satisfied by
    /// `Processing`, and one for `Completed` by any end.
    pub(crate) fn rank(self) -> u8 {
        match self {
            ExportStatus::Created => 0,
            ExportStatus::Queued => 1,
            ExportStatus::Processing => 2,
            ExportStatus::Completed | ExportStatus::Failed | ExportStatus::Cancelled => 3,
        }
    }
}

/// What happens to an export job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportEvent {
    Enqueue,
    /// It got one of the processing slots.
    Start,
    /// Its file is written.
    Complete,
    /// It cannot be processed, for the reason given (its `errorMsg`).
    Fail(String),
    Cancel,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a {from:?} export cannot take the event {event:?}")]
pub struct InvalidTransition {
    pub from: ExportStatus,
    pub event: ExportEvent,
}

/// `Created` → `Queued` → `Processing` → `Completed` or `Failed`; `Cancelled` from any of the
/// first three; a queued job may fail too (a reset, a shutdown).
pub fn transition(
    from: ExportStatus,
    event: &ExportEvent,
) -> Result<ExportStatus, InvalidTransition> {
    use ExportStatus::*;
    match (from, event) {
        (Created, ExportEvent::Enqueue) => Ok(Queued),
        (Queued, ExportEvent::Start) => Ok(Processing),
        (Processing, ExportEvent::Complete) => Ok(Completed),
        (Queued | Processing, ExportEvent::Fail(_)) => Ok(Failed),
        (Created | Queued | Processing, ExportEvent::Cancel) => Ok(Cancelled),
        _ => Err(InvalidTransition {
            from,
            event: event.clone(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events() -> [ExportEvent; 5] {
        [
            ExportEvent::Enqueue,
            ExportEvent::Start,
            ExportEvent::Complete,
            ExportEvent::Fail("x".into()),
            ExportEvent::Cancel,
        ]
    }

    #[test]
    fn a_job_moves_forward_through_the_documented_lifecycle() {
        use ExportStatus::*;
        assert_eq!(transition(Created, &ExportEvent::Enqueue), Ok(Queued));
        assert_eq!(transition(Queued, &ExportEvent::Start), Ok(Processing));
        assert_eq!(
            transition(Processing, &ExportEvent::Complete),
            Ok(Completed)
        );
        assert_eq!(
            transition(Processing, &ExportEvent::Fail("x".into())),
            Ok(Failed)
        );
        for from in [Created, Queued, Processing] {
            assert_eq!(transition(from, &ExportEvent::Cancel), Ok(Cancelled));
        }
        assert!(transition(Created, &ExportEvent::Start).is_err());
        assert!(transition(Queued, &ExportEvent::Enqueue).is_err());
        assert!(transition(Created, &ExportEvent::Complete).is_err());
    }

    #[test]
    fn an_ended_job_takes_no_event() {
        for from in [
            ExportStatus::Completed,
            ExportStatus::Failed,
            ExportStatus::Cancelled,
        ] {
            for event in events() {
                assert!(transition(from, &event).is_err(), "{from:?} {event:?}");
            }
        }
    }

    #[test]
    fn statuses_parse_in_any_case_and_in_both_spellings_of_cancelled() {
        assert_eq!(
            ExportStatus::parse("completed"),
            Some(ExportStatus::Completed)
        );
        assert_eq!(ExportStatus::parse("QUEUED"), Some(ExportStatus::Queued));
        assert_eq!(
            ExportStatus::parse("Canceled"),
            Some(ExportStatus::Cancelled)
        );
        assert_eq!(
            ExportStatus::parse("cancelled"),
            Some(ExportStatus::Cancelled)
        );
        assert_eq!(ExportStatus::parse("Done"), None);
    }
}
