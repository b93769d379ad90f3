//! The job engine: admission to one shared FIFO queue, at most N importing at once, pacing by
//! the clock, and background tasks that can be cancelled.

use std::collections::VecDeque;
use std::num::NonZeroU64;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use dashmap::DashMap;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use super::JobParams;
use super::model::{BatchId, ImportWork, Job};
use super::status::{JobEvent, JobStatus};
use super::workers;
use crate::clock::{Clock, Timestamp};
use crate::faults::{Faults, JobFaultAction};

/// Marketo's queue limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Jobs queued or importing before a create is refused with 1016.
    pub max_queued: usize,
    /// Jobs importing at once; the rest wait in order.
    pub max_importing: usize,
    /// How long a batch can be asked about.
    pub retention: Duration,
}

/// How fast jobs move, so a client can watch `Queued` and `Importing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Timing {
    /// Time a job spends queued before it may start.
    pub queue_delay_ms: u64,
    /// Rows processed per second of clock time; 0 means as fast as possible.
    pub rows_per_second: u64,
}

impl Timing {
    /// The timing presets `--timing-preset` and `PUT /_mock/timing` accept.
    pub fn preset(name: &str) -> Option<Timing> {
        match name {
            "instant" => Some(Timing {
                queue_delay_ms: 0,
                rows_per_second: 0,
            }),
            // What a busy real instance shows: a minute or two queued, a few hundred rows a second.
            "marketo" => Some(Timing {
                queue_delay_ms: 90_000,
                rows_per_second: 250,
            }),
            _ => None,
        }
    }
}

/// Rows handled per step when the rate is unlimited: large enough that a step's rows are
/// checked on a second thread while earlier ones are written (see `import::driver`), small
/// enough that counters move several times while a 10 MB file imports.
pub const UNPACED_STEP_ROWS: usize = 16_384;

#[derive(Debug)]
struct Scheduler {
    queue: VecDeque<BatchId>,
    importing: usize,
    most_importing_seen: usize,
    next_id: BatchId,
}

impl Default for Scheduler {
    fn default() -> Scheduler {
        Scheduler {
            queue: VecDeque::new(),
            importing: 0,
            most_importing_seen: 0,
            next_id: FIRST_BATCH_ID,
        }
    }
}

struct Inner {
    clock: Clock,
    limits: Limits,
    timing: RwLock<Timing>,
    jobs: DashMap<BatchId, Arc<Job>>,
    scheduler: Mutex<Scheduler>,
    wake: Notify,
    faults: Arc<Faults>,
    tracker: TaskTracker,
    /// Stops the dispatcher: no job starts after it.
    stop_dispatch: CancellationToken,
    /// Cancels running jobs.
    cancel: CancellationToken,
}

/// A cheap-to-clone handle on the engine.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

/// Finished jobs kept at most, result files included, so the table stays bounded however
/// many imports a long-lived mock sees within the retention period.
pub const MAX_RETAINED_JOBS: usize = 10_000;

/// The first batch id handed out; Marketo's ids are four-digit numbers in its examples.
pub const FIRST_BATCH_ID: BatchId = 1001;

/// Why a create was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueFull {
    pub limit: usize,
}

impl Engine {
    /// Starts the engine's dispatcher on the current runtime.
    pub fn start(clock: Clock, limits: Limits, timing: Timing, faults: Arc<Faults>) -> Engine {
        let engine = Engine {
            inner: Arc::new(Inner {
                clock,
                limits,
                timing: RwLock::new(timing),
                jobs: DashMap::new(),
                scheduler: Mutex::new(Scheduler::default()),
                wake: Notify::new(),
                faults,
                tracker: TaskTracker::new(),
                stop_dispatch: CancellationToken::new(),
                cancel: CancellationToken::new(),
            }),
        };
        let dispatcher = engine.clone();
        engine
            .inner
            .tracker
            .spawn(async move { dispatcher.dispatch().await });
        engine
    }

    pub fn limits(&self) -> Limits {
        self.inner.limits
    }

    pub fn timing(&self) -> Timing {
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

    /// Admits a job to the queue, or refuses it when queued + importing is at the limit.
    /// The count and the insertion happen under one lock, so the limit is exact.
    pub fn submit(
        &self,
        params: JobParams,
        work: Box<dyn ImportWork>,
    ) -> Result<Arc<Job>, QueueFull> {
        let kind = params.kind();
        let now = self.inner.clock.now();
        self.forget_expired(now);
        let job = {
            let mut scheduler = self.scheduler();
            let limit = self.inner.limits.max_queued;
            if scheduler.queue.len() + scheduler.importing >= limit {
                return Err(QueueFull { limit });
            }
            let id = scheduler.next_id;
            scheduler.next_id += 1;
            let job = Arc::new(Job::new(id, params, work, now));
            self.inner.jobs.insert(id, job.clone());
            scheduler.queue.push_back(id);
            job
        };
        tracing::info!(batch_id = job.id, kind = ?kind, "job queued");
        self.inner.wake.notify_one();
        Ok(job)
    }

    /// A job still within its retention period.
    pub fn job(&self, id: BatchId) -> Option<Arc<Job>> {
        let job = self
            .inner
            .jobs
            .get(&id)
            .map(|entry| entry.value().clone())?;
        let expires = job.created_at.plus(self.inner.limits.retention);
        (self.inner.clock.now() < expires).then_some(job)
    }

    /// Every job still retained, oldest first.
    pub fn jobs(&self) -> Vec<Arc<Job>> {
        let now = self.inner.clock.now();
        let retention = self.inner.limits.retention;
        let mut jobs: Vec<_> = self
            .inner
            .jobs
            .iter()
            .map(|entry| entry.value().clone())
            .filter(|job| now < job.created_at.plus(retention))
            .collect();
        jobs.sort_by_key(|job| job.id);
        jobs
    }

    /// The most jobs ever seen importing at once.
    pub fn most_importing_seen(&self) -> usize {
        self.scheduler().most_importing_seen
    }

    /// Drops finished jobs past retention, so the job table stays bounded.
    /// Past retention, or past [`MAX_RETAINED_JOBS`] (oldest finished first), a job goes.
    fn forget_expired(&self, now: Timestamp) {
        let retention = self.inner.limits.retention;
        self.inner.jobs.retain(|_, job| {
            now < job.created_at.plus(retention) || !job.snapshot().status.is_terminal()
        });
        let excess = self.inner.jobs.len().saturating_sub(MAX_RETAINED_JOBS);
        if excess > 0 {
            let mut finished: Vec<BatchId> = self
                .inner
                .jobs
                .iter()
                .filter(|entry| entry.value().snapshot().status.is_terminal())
                .map(|entry| *entry.key())
                .collect();
            finished.sort_unstable();
            for id in finished.into_iter().take(excess) {
                self.inner.jobs.remove(&id);
            }
        }
    }

    /// Starts queued jobs in order while slots are free. Returns when the head of the queue
    /// becomes ready, if it is waiting on the queue delay.
    fn pump(&self) -> Option<Timestamp> {
        let now = self.inner.clock.now();
        let delay = Duration::from_millis(self.timing().queue_delay_ms);
        let mut started = Vec::new();
        let next_ready = {
            let mut scheduler = self.scheduler();
            loop {
                if scheduler.importing >= self.inner.limits.max_importing {
                    break None;
                }
                let Some(&head) = scheduler.queue.front() else {
                    break None;
                };
                let Some(job) = self.inner.jobs.get(&head).map(|e| e.value().clone()) else {
                    scheduler.queue.pop_front();
                    continue;
                };
                if job.snapshot().status != JobStatus::Queued {
                    // Failed while queued (a fault, a reset): it never takes a slot.
                    scheduler.queue.pop_front();
                    continue;
                }
                let ready = job.created_at.plus(delay);
                if ready > now {
                    break Some(ready);
                }
                scheduler.queue.pop_front();
                scheduler.importing += 1;
                scheduler.most_importing_seen =
                    scheduler.most_importing_seen.max(scheduler.importing);
                if job.apply(JobEvent::Start, now).is_ok() {
                    started.push(job);
                }
            }
        };
        for job in started {
            let engine = self.clone();
            let span = tracing::info_span!("job", batch_id = job.id, kind = ?job.kind());
            self.inner
                .tracker
                .spawn(async move { engine.run(job).await }.instrument(span));
        }
        next_ready
    }

    async fn dispatch(&self) {
        let inner = &self.inner;
        crate::jobs::dispatch::dispatch(&inner.clock, &inner.wake, &inner.stop_dispatch, || {
            self.pump()
        })
        .await;
    }

    async fn run(&self, job: Arc<Job>) {
        let outcome = match self.inner.faults.for_job(job.kind().into()) {
            Some(JobFaultAction::Fail(message)) => Err(message),
            Some(JobFaultAction::Panic) => self.process(&job, true).await,
            None => self.process(&job, false).await,
        };
        let now = self.inner.clock.now();
        let event = match outcome {
            Ok(()) => JobEvent::Finish,
            Err(reason) => JobEvent::Fail(reason),
        };
        if let Err(error) = job.apply(event, now) {
            tracing::debug!(%error, "job already ended");
        }
        tracing::info!(status = ?job.snapshot().status, "job ended");
        self.scheduler().importing -= 1;
        self.inner.wake.notify_one();
    }

    /// Stops at once: no job starts, running ones stop between steps.
    pub fn stop(&self) {
        self.inner.stop_dispatch.cancel();
        self.inner.cancel.cancel();
    }

    /// Runs the job's work step by step, paced by the clock when a rate is set.
    /// `inject_panic` makes the first step panic on its blocking thread, as a bug would.
    async fn process(&self, job: &Job, inject_panic: bool) -> Result<(), String> {
        let Some(mut work) = job.take_work() else {
            return Err("Import failed: the job has no data".to_owned());
        };
        let clock = &self.inner.clock;
        let started = clock.now();
        let mut rows: u64 = 0;
        loop {
            let step_rows = match NonZeroU64::new(self.timing().rows_per_second) {
                None => UNPACED_STEP_ROWS,
                Some(rate) => {
                    let step_rows = (rate.get() / 10).max(1);
                    // Wait for the time these rows would take at the rate, then do them.
                    let due = started.plus(Duration::from_millis((rows + step_rows) * 1000 / rate));
                    tokio::select! {
                        _ = clock.sleep_until(due) => {}
                        _ = self.inner.cancel.cancelled() => return Err(CANCELLED.to_owned()),
                    }
                    step_rows as usize
                }
            };
            if self.inner.cancel.is_cancelled() {
                return Err(CANCELLED.to_owned());
            }
            if job.snapshot().status != JobStatus::Importing {
                return Ok(());
            }
            let now = clock.now();
            let result = workers::run(move || {
                assert!(!inject_panic, "injected panic in an import step");
                let step = work.step(step_rows, now);
                (work, step)
            })
            .await;
            let (returned, step) = result.map_err(|_| {
                tracing::error!("import step panicked");
                "Import failed: internal error while processing rows".to_owned()
            })?;
            work = returned;
            rows += step.counters.rows();
            job.add_progress(step.counters);
            if step.done {
                job.set_files(work.finish());
                return Ok(());
            }
        }
    }

    /// Fails a job that has not ended.
    #[cfg(test)]
    pub fn fail(&self, id: BatchId, reason: String) -> bool {
        let Some(job) = self.inner.jobs.get(&id).map(|e| e.value().clone()) else {
            return false;
        };
        let ok = job
            .apply(JobEvent::Fail(reason), self.inner.clock.now())
            .is_ok();
        self.inner.wake.notify_one();
        ok
    }

    /// Stops starting jobs, gives running ones `deadline` to finish, then cancels them.
    /// Returns the ids of jobs that did not complete: queued ones and cancelled ones.
    pub async fn shutdown(&self, deadline: Duration) -> Vec<BatchId> {
        self.inner.stop_dispatch.cancel();
        let now = self.inner.clock.now();
        for job in self.jobs() {
            if job.snapshot().status == JobStatus::Queued {
                let _ = job.apply(JobEvent::Fail(NEVER_STARTED.to_owned()), now);
            }
        }
        self.inner.tracker.close();
        if tokio::time::timeout(deadline, self.inner.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                ?deadline,
                "running imports did not finish in time; cancelling them"
            );
            self.inner.cancel.cancel();
            let _ = tokio::time::timeout(Duration::from_secs(5), self.inner.tracker.wait()).await;
        }
        self.jobs()
            .iter()
            .filter(|job| {
                matches!(
                    job.snapshot().message.as_deref(),
                    Some(CANCELLED | NEVER_STARTED)
                )
            })
            .map(|job| job.id)
            .collect()
    }
}

const NEVER_STARTED: &str = "Import failed: the server shut down before the import started";
const CANCELLED: &str = "Import failed: the server shut down before the import finished";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ClockMode;
    use crate::format::Format;
    use crate::jobs::params::LeadJobParams;
    use crate::jobs::{Counters, ResultFiles, Step};

    /// Work of `rows` good rows.
    struct Rows(u64);

    impl ImportWork for Rows {
        fn step(&mut self, max_rows: usize, _now: Timestamp) -> Step {
            let n = self.0.min(max_rows as u64);
            self.0 -= n;
            Step {
                counters: Counters {
                    processed: n,
                    failed: 0,
                    warned: 0,
                },
                done: self.0 == 0,
            }
        }
        fn finish(self: Box<Self>) -> ResultFiles {
            ResultFiles::default()
        }
    }

    fn engine(clock: &Clock, timing: Timing) -> Engine {
        let limits = Limits {
            max_queued: 10,
            max_importing: 2,
            retention: Duration::from_secs(7 * 86_400),
        };
        Engine::start(clock.clone(), limits, timing, Arc::new(Faults::default()))
    }

    /// An engine on a frozen clock, with this timing.
    fn frozen_engine(queue_delay_ms: u64, rows_per_second: u64) -> (Clock, Engine) {
        let clock = Clock::new(ClockMode::Frozen);
        let engine = engine(
            &clock,
            Timing {
                queue_delay_ms,
                rows_per_second,
            },
        );
        (clock, engine)
    }

    async fn wait_for(job: &Job, status: JobStatus) {
        let mut changes = job.subscribe();
        tokio::time::timeout(
            Duration::from_secs(10),
            changes.wait_for(|s| s.status == status),
        )
        .await
        .expect("status reached in time")
        .unwrap();
    }

    /// The parameters of a plain lead import.
    fn lead_params() -> JobParams {
        JobParams::Leads(LeadJobParams {
            format: Format::Csv,
            lookup_field: "email".to_owned(),
            list_id: None,
            partition_name: None,
        })
    }

    fn submit(engine: &Engine, rows: u64) -> Arc<Job> {
        engine.submit(lead_params(), Box::new(Rows(rows))).unwrap()
    }

    #[tokio::test]
    async fn the_eleventh_job_is_refused_and_only_two_import_at_once() {
        let (clock, engine) = frozen_engine(0, 1);
        let jobs: Vec<_> = (0..10).map(|_| submit(&engine, 1)).collect();
        assert_eq!(
            engine.submit(lead_params(), Box::new(Rows(1))).unwrap_err(),
            QueueFull { limit: 10 }
        );
        wait_for(&jobs[1], JobStatus::Importing).await;
        let statuses: Vec<_> = jobs.iter().map(|j| j.snapshot().status).collect();
        assert_eq!(
            statuses
                .iter()
                .filter(|s| **s == JobStatus::Importing)
                .count(),
            2
        );
        assert_eq!(statuses[0], JobStatus::Importing);
        assert_eq!(statuses[2], JobStatus::Queued);
        // Each advance of one second finishes the two importing jobs and starts the next two.
        for pair in jobs.chunks(2) {
            wait_for(&pair[1], JobStatus::Importing).await;
            clock.advance(Duration::from_secs(1));
            wait_for(&pair[0], JobStatus::Complete).await;
            wait_for(&pair[1], JobStatus::Complete).await;
        }
        assert_eq!(engine.most_importing_seen(), 2);
    }

    #[tokio::test]
    async fn a_queue_delay_holds_jobs_until_the_clock_passes_it() {
        let (clock, engine) = frozen_engine(5_000, 0);
        let job = submit(&engine, 3);
        tokio::task::yield_now().await;
        assert_eq!(job.snapshot().status, JobStatus::Queued);
        clock.advance(Duration::from_secs(5));
        wait_for(&job, JobStatus::Complete).await;
        assert_eq!(job.snapshot().counters.processed, 3);
        assert_eq!(
            job.snapshot().message.as_deref(),
            Some("Import succeeded, 3 records imported (3 members)")
        );
    }

    #[tokio::test]
    async fn batches_are_forgotten_after_retention() {
        let (clock, engine) = frozen_engine(0, 0);
        let job = submit(&engine, 1);
        wait_for(&job, JobStatus::Complete).await;
        clock.advance(Duration::from_secs(7 * 86_400 - 1));
        assert!(engine.job(job.id).is_some());
        clock.advance(Duration::from_secs(1));
        assert!(engine.job(job.id).is_none());
    }

    #[tokio::test]
    async fn a_job_failed_while_queued_never_takes_a_slot() {
        let (clock, engine) = frozen_engine(1_000, 0);
        let first = submit(&engine, 1);
        let second = submit(&engine, 1);
        assert!(engine.fail(first.id, "Import failed: injected".into()));
        clock.advance(Duration::from_secs(1));
        wait_for(&second, JobStatus::Complete).await;
        assert_eq!(first.snapshot().status, JobStatus::Failed);
        assert_eq!(
            first.snapshot().message.as_deref(),
            Some("Import failed: injected")
        );
    }

    #[tokio::test]
    async fn shutdown_lets_running_jobs_finish_within_the_deadline() {
        let clock = Clock::new(ClockMode::Real);
        let engine = engine(
            &clock,
            Timing {
                queue_delay_ms: 0,
                rows_per_second: 0,
            },
        );
        let job = submit(&engine, 100);
        // Unpaced, it may finish before a wait for Importing subscribes; any start will do.
        let mut changes = job.subscribe();
        changes
            .wait_for(|s| s.status != JobStatus::Queued)
            .await
            .unwrap();
        let dropped = engine.shutdown(Duration::from_secs(10)).await;
        assert_eq!(job.snapshot().status, JobStatus::Complete);
        assert!(dropped.is_empty());
    }

    #[tokio::test]
    async fn shutdown_cancels_what_outlives_the_deadline_and_names_it() {
        let (_clock, engine) = frozen_engine(0, 1);
        let (running, other, queued) = (submit(&engine, 5), submit(&engine, 5), submit(&engine, 5));
        wait_for(&other, JobStatus::Importing).await;
        let dropped = engine.shutdown(Duration::from_millis(10)).await;
        assert_eq!(dropped, [running.id, other.id, queued.id]);
        assert_eq!(running.snapshot().message.as_deref(), Some(CANCELLED));
        assert_eq!(queued.snapshot().message.as_deref(), Some(NEVER_STARTED));
    }
}
