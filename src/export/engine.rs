//! The export engine: jobs wait in `Created` until enqueued, then share one FIFO queue for
//! every export type (apart from the import queue) under Marketo's limits: at most N queued
//! or processing, at most M processing, and a daily quota of file bytes.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use dashmap::DashMap;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;
use uuid::Uuid;

use super::file::ExportFile;
use super::job::ExportJob;
use super::kind::ExportKind;
use super::plan::ExportPlan;
use super::select;
use super::status::{ExportEvent, ExportStatus};
use crate::clock::{Clock, Timestamp};
use crate::error::ApiError;
use crate::faults::{Faults, JobFaultAction};
use crate::jobs::Timing;
use crate::limits::quota_day;
use crate::store::Db;

/// Marketo's export limits, settable at run time. The default is Marketo's own, as the flags'
/// defaults are.
///
/// ```
/// use marketo_bulk_mock::ExportLimits;
///
/// let tight = ExportLimits { daily_quota_mb: 1, ..ExportLimits::default() };
/// assert_eq!(tight.max_processing, 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExportLimits {
    /// Jobs queued or processing before an enqueue is refused with 1029.
    pub max_queued: usize,
    /// Jobs processing at once; the rest wait in order.
    pub max_processing: usize,
    /// File bytes a day may export, counted when a job completes.
    pub daily_quota_mb: u64,
    /// How long a completed job's file can be downloaded, in hours.
    pub file_retention_hours: u64,
    /// How long a job can be asked about, in hours.
    pub job_retention_hours: u64,
}

impl Default for ExportLimits {
    fn default() -> ExportLimits {
        ExportLimits {
            max_queued: 10,
            max_processing: 2,
            daily_quota_mb: 500,
            file_retention_hours: 7 * 24,
            job_retention_hours: 30 * 24,
        }
    }
}

impl ExportLimits {
    fn quota_bytes(&self) -> u64 {
        self.daily_quota_mb.saturating_mul(1024 * 1024)
    }

    fn hours(hours: u64) -> Duration {
        Duration::from_secs(hours.saturating_mul(3600))
    }
}

/// How long the list of export jobs looks back.
pub const LIST_WINDOW: Duration = Duration::from_secs(7 * 86_400);

/// Jobs kept at most, so the table stays bounded however long the mock runs.
pub const MAX_RETAINED_JOBS: usize = 10_000;

#[derive(Debug, Default)]
struct Scheduler {
    queue: VecDeque<Uuid>,
    processing: usize,
    most_processing_seen: usize,
    /// The quota day `used` counts, and the bytes exported in it.
    day: i64,
    used: u64,
}

struct Inner {
    clock: Clock,
    db: Arc<RwLock<Db>>,
    faults: Arc<Faults>,
    limits: RwLock<ExportLimits>,
    timing: RwLock<Timing>,
    jobs: DashMap<Uuid, Arc<ExportJob>>,
    scheduler: Mutex<Scheduler>,
    sequence: AtomicU64,
    wake: Notify,
    tracker: TaskTracker,
    stop: CancellationToken,
}

/// A cheap-to-clone handle on the export engine.
#[derive(Clone)]
pub struct ExportEngine {
    inner: Arc<Inner>,
}

/// How much of the daily quota is spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QuotaUsage {
    pub used_bytes: u64,
    pub quota_bytes: u64,
}

impl ExportEngine {
    /// Starts the engine's dispatcher on the current runtime.
    pub fn start(
        clock: Clock,
        db: Arc<RwLock<Db>>,
        faults: Arc<Faults>,
        limits: ExportLimits,
        timing: Timing,
    ) -> ExportEngine {
        let engine = ExportEngine {
            inner: Arc::new(Inner {
                clock,
                db,
                faults,
                limits: RwLock::new(limits),
                timing: RwLock::new(timing),
                jobs: DashMap::new(),
                scheduler: Mutex::new(Scheduler::default()),
                sequence: AtomicU64::new(0),
                wake: Notify::new(),
                tracker: TaskTracker::new(),
                stop: CancellationToken::new(),
            }),
        };
        let dispatcher = engine.clone();
        engine
            .inner
            .tracker
            .spawn(async move { dispatcher.dispatch().await });
        engine
    }

    pub fn limits(&self) -> ExportLimits {
        *self.inner.limits.read().unwrap_or_else(|p| p.into_inner())
    }

    pub fn set_limits(&self, limits: ExportLimits) {
        *self.inner.limits.write().unwrap_or_else(|p| p.into_inner()) = limits;
        self.inner.wake.notify_one();
    }

    fn timing(&self) -> Timing {
        *self.inner.timing.read().unwrap_or_else(|p| p.into_inner())
    }

    pub fn set_timing(&self, timing: Timing) {
        *self.inner.timing.write().unwrap_or_else(|p| p.into_inner()) = timing;
        self.inner.wake.notify_one();
    }

    fn scheduler(&self) -> std::sync::MutexGuard<'_, Scheduler> {
        self.inner
            .scheduler
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Bytes exported in the current quota day, and the quota.
    pub fn quota(&self) -> QuotaUsage {
        let today = quota_day(self.inner.clock.now());
        let scheduler = self.scheduler();
        QuotaUsage {
            used_bytes: if scheduler.day == today {
                scheduler.used
            } else {
                0
            },
            quota_bytes: self.limits().quota_bytes(),
        }
    }

    fn check_quota(&self) -> Result<(), ApiError> {
        let usage = self.quota();
        if usage.used_bytes >= usage.quota_bytes {
            return Err(ApiError::ExportQuotaExceeded {
                megabytes: self.limits().daily_quota_mb,
            });
        }
        Ok(())
    }

    /// Creates a job in `Created`; nothing runs until it is enqueued.
    pub fn create(&self, kind: ExportKind, plan: ExportPlan) -> Result<Arc<ExportJob>, ApiError> {
        self.check_quota()?;
        let now = self.inner.clock.now();
        self.forget_expired(now);
        let sequence = self.inner.sequence.fetch_add(1, Ordering::Relaxed);
        let job = Arc::new(ExportJob::new(sequence, kind, plan, now));
        self.inner.jobs.insert(job.id, job.clone());
        tracing::info!(export_id = %job.id, kind = ?job.kind, "export created");
        Ok(job)
    }

    /// A job of `kind` still within its retention; any other is unknown.
    pub fn job(&self, id: Uuid, kind: &ExportKind) -> Option<Arc<ExportJob>> {
        self.any_job(id).filter(|job| job.kind == *kind)
    }

    /// A job of any kind still within its retention.
    pub fn any_job(&self, id: Uuid) -> Option<Arc<ExportJob>> {
        let job = self
            .inner
            .jobs
            .get(&id)
            .map(|entry| entry.value().clone())?;
        self.retained(&job, self.inner.clock.now()).then_some(job)
    }

    /// A job is kept for the retention period after it ended, or after it was created if it
    /// has not ended.
    fn retained(&self, job: &ExportJob, now: Timestamp) -> bool {
        let retention = ExportLimits::hours(self.limits().job_retention_hours);
        let since = job.snapshot().finished_at.unwrap_or(job.created_at);
        now < since.plus(retention)
    }

    /// Every job still retained, oldest first.
    pub fn jobs(&self) -> Vec<Arc<ExportJob>> {
        let now = self.inner.clock.now();
        let mut jobs: Vec<_> = self
            .inner
            .jobs
            .iter()
            .map(|entry| entry.value().clone())
            .filter(|job| self.retained(job, now))
            .collect();
        jobs.sort_by_key(|job| job.sequence);
        jobs
    }

    /// Jobs of `kind` created in the last seven days, oldest first, as Marketo lists them.
    pub fn list(&self, kind: &ExportKind) -> Vec<Arc<ExportJob>> {
        let now = self.inner.clock.now();
        self.jobs()
            .into_iter()
            .filter(|job| job.kind == *kind && now < job.created_at.plus(LIST_WINDOW))
            .collect()
    }

    /// The most jobs ever seen processing at once.
    pub fn most_processing_seen(&self) -> usize {
        self.scheduler().most_processing_seen
    }

    /// A completed job's file, while it is kept.
    pub fn file(&self, job: &ExportJob) -> Option<Arc<ExportFile>> {
        let snapshot = job.snapshot();
        let finished = snapshot.finished_at?;
        let retention = ExportLimits::hours(self.limits().file_retention_hours);
        (self.inner.clock.now() < finished.plus(retention))
            .then_some(snapshot.file)
            .flatten()
    }

    /// Queues a `Created` job, or says why not: it was queued before, the quota is spent, or
    /// the queue is full. The count and the insertion happen under one lock.
    pub fn enqueue(&self, job: &ExportJob) -> Result<(), ApiError> {
        if job.status() != ExportStatus::Created {
            return Err(ApiError::ExportAlreadyQueued);
        }
        self.check_quota()?;
        let now = self.inner.clock.now();
        {
            let mut scheduler = self.scheduler();
            let waiting = scheduler
                .queue
                .iter()
                .filter(|id| {
                    self.inner
                        .jobs
                        .get(id)
                        .is_some_and(|job| job.status() == ExportStatus::Queued)
                })
                .count();
            if waiting + scheduler.processing >= self.limits().max_queued {
                return Err(ApiError::ExportQueueFull);
            }
            job.apply(ExportEvent::Enqueue, now, None)
                .map_err(|_| ApiError::ExportAlreadyQueued)?;
            scheduler.queue.push_back(job.id);
        }
        tracing::info!(export_id = %job.id, "export queued");
        self.inner.wake.notify_one();
        Ok(())
    }

    /// Cancels a job that has not ended; a processing one stops at once.
    pub fn cancel(&self, job: &ExportJob) -> Result<(), ApiError> {
        let status = job.status();
        job.apply(ExportEvent::Cancel, self.inner.clock.now(), None)
            .map_err(|_| ApiError::ExportNotCancellable(status.name()))?;
        self.inner.wake.notify_one();
        Ok(())
    }

    /// Drops ended jobs past retention, and the oldest ended ones past [`MAX_RETAINED_JOBS`].
    fn forget_expired(&self, now: Timestamp) {
        self.inner
            .jobs
            .retain(|_, job| self.retained(job, now) || !job.status().is_terminal());
        let excess = self.inner.jobs.len().saturating_sub(MAX_RETAINED_JOBS);
        if excess > 0 {
            let mut ended: Vec<(u64, Uuid)> = self
                .inner
                .jobs
                .iter()
                .filter(|entry| entry.value().status().is_terminal())
                .map(|entry| (entry.value().sequence, *entry.key()))
                .collect();
            ended.sort_unstable();
            for (_, id) in ended.into_iter().take(excess) {
                self.inner.jobs.remove(&id);
            }
        }
    }

    /// Starts queued jobs in order while slots are free. Returns when the head of the queue
    /// becomes ready, if it is waiting on the queue delay.
    fn pump(&self) -> Option<Timestamp> {
        let now = self.inner.clock.now();
        let delay = Duration::from_millis(self.timing().queue_delay_ms);
        let max_processing = self.limits().max_processing;
        let mut started = Vec::new();
        let next_ready = {
            let mut scheduler = self.scheduler();
            loop {
                if scheduler.processing >= max_processing {
                    break None;
                }
                let Some(&head) = scheduler.queue.front() else {
                    break None;
                };
                let job = self.inner.jobs.get(&head).map(|e| e.value().clone());
                let Some((job, queued_at)) = job
                    .and_then(|job| Some((job.clone(), job.snapshot().queued_at?)))
                    .filter(|(job, _)| job.status() == ExportStatus::Queued)
                else {
                    // Cancelled or failed while queued, or forgotten: it never takes a slot.
                    scheduler.queue.pop_front();
                    continue;
                };
                let ready = queued_at.plus(delay);
                if ready > now {
                    break Some(ready);
                }
                scheduler.queue.pop_front();
                // The slot is taken now; the job shows `Processing` once its task holds the
                // records (see `process`).
                scheduler.processing += 1;
                scheduler.most_processing_seen =
                    scheduler.most_processing_seen.max(scheduler.processing);
                started.push(job);
            }
        };
        for job in started {
            let engine = self.clone();
            let span = tracing::info_span!("export", export_id = %job.id, kind = ?job.kind);
            self.inner
                .tracker
                .spawn(async move { engine.run(job).await }.instrument(span));
        }
        next_ready
    }

    async fn dispatch(&self) {
        let inner = &self.inner;
        crate::jobs::dispatch::dispatch(&inner.clock, &inner.wake, &inner.stop, || self.pump())
            .await;
    }

    /// Processes one job: writes its file from the records that match now, then takes the
    /// time its rows would take at the configured rate, then completes it.
    async fn run(&self, job: Arc<ExportJob>) {
        let outcome = match self.inner.faults.for_job(job.kind.job_type()) {
            Some(JobFaultAction::Fail(message)) => Err(message),
            Some(JobFaultAction::Panic) => self.process(&job, true).await,
            None => self.process(&job, false).await,
        };
        let now = self.inner.clock.now();
        let (event, file) = match outcome {
            Ok(Some(file)) => (ExportEvent::Complete, Some(file)),
            Ok(None) => (ExportEvent::Cancel, None),
            Err(reason) => (ExportEvent::Fail(reason), None),
        };
        let size = file.as_ref().map_or(0, |file| file.size());
        let completed = job.apply(event, now, file) == Ok(ExportStatus::Completed);
        {
            let mut scheduler = self.scheduler();
            scheduler.processing -= 1;
            if completed {
                // The quota counts a file on the day it completes.
                let today = quota_day(now);
                if scheduler.day != today {
                    scheduler.day = today;
                    scheduler.used = 0;
                }
                scheduler.used += size;
            }
        }
        tracing::info!(status = ?job.status(), "export ended");
        self.inner.wake.notify_one();
    }

    /// Starts a job and writes its file, or `None` when it was cancelled first.
    /// `inject_panic` makes the writing panic on its blocking thread, as a bug would.
    async fn process(
        &self,
        job: &Arc<ExportJob>,
        inject_panic: bool,
    ) -> Result<Option<Arc<ExportFile>>, String> {
        let (db, writing, clock) = (self.inner.db.clone(), job.clone(), self.inner.clock.clone());
        let written = tokio::task::spawn_blocking(move || {
            assert!(!inject_panic, "injected panic in an export");
            let db = db.read().unwrap_or_else(|p| p.into_inner());
            // The job starts under the store's read lock, so the file holds exactly the
            // records that matched when it showed `Processing`: no import writes between.
            let started = writing.apply(ExportEvent::Start, clock.now(), None);
            started.is_ok().then(|| select::write(&db, &writing.plan))
        });
        let file = tokio::select! {
            written = written => written.map_err(|error| {
                tracing::error!(%error, "export panicked");
                "Export failed: internal error while writing the file".to_owned()
            })?,
            () = job.cancelled() => return Ok(None),
        };
        let Some(file) = file else {
            return Ok(None);
        };
        if let Some(rate) = std::num::NonZeroU64::new(self.timing().rows_per_second) {
            let started = job.snapshot().started_at.unwrap_or(self.inner.clock.now());
            let due = started.plus(Duration::from_millis(
                file.records.saturating_mul(1000) / rate,
            ));
            tokio::select! {
                () = self.inner.clock.sleep_until(due) => {}
                () = job.cancelled() => return Ok(None),
                () = self.inner.stop.cancelled() => {}
            }
        }
        Ok(Some(Arc::new(file)))
    }

    /// Stops at once: no job starts; a processing one ends when its file is written.
    pub fn stop(&self) {
        self.inner.stop.cancel();
    }

    /// Stops starting jobs and fails queued ones; processing ones get `deadline` to finish.
    pub async fn shutdown(&self, deadline: Duration) {
        self.inner.stop.cancel();
        let now = self.inner.clock.now();
        for job in self.jobs() {
            if job.status() == ExportStatus::Queued {
                let _ = job.apply(
                    ExportEvent::Fail(
                        "Export failed: the server shut down before the export started".into(),
                    ),
                    now,
                    None,
                );
            }
        }
        self.inner.tracker.close();
        let _ = tokio::time::timeout(deadline, self.inner.tracker.wait()).await;
    }
}
