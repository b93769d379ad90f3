//! The threads that run import steps, shared by every instance of the process.
//!
//! A real Marketo answers its API at the same speed however many imports its customers run.
//! Here the imports and the API share a machine, so the imports yield: steps of every
//! instance wait their turn in one queue (first come, first served, so no instance starves)
//! for a few threads. A step that finds others waiting behind it runs on its worker alone
//! rather than checking rows on a second thread (see [`steps_waiting`]), so many imports leave
//! a core to requests, while a lone import still has the machine to itself.
//!
//! The workers run at the usual CPU priority. At the lowest one (nice 19) the queue above
//! kept status polls at their idle latency no better (1.05-1.17 times idle while 16 imports
//! ran, against 0.99-1.14 times), and a lone import gave way to any other work of the machine:
//! a 10 MB file of new leads, right after a reset, took 42-57 ms end to end instead of 35-41
//! ms (see `docs/performance.md`).

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::oneshot;

type Task = Box<dyn FnOnce() + Send>;

/// The shared step queue and its threads.
struct Workers {
    queue: Sender<Task>,
    /// Steps sent and not yet taken by a worker.
    waiting: AtomicUsize,
}

/// A step panicked; its job fails, the worker thread lives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Panicked;

/// Threads for steps: half the cores (a step checks rows on a second thread of its own), at
/// least one.
fn worker_count() -> usize {
    std::thread::available_parallelism().map_or(1, |cores| (cores.get() / 2).max(1))
}

fn workers() -> &'static Workers {
    static WORKERS: OnceLock<Workers> = OnceLock::new();
    WORKERS.get_or_init(|| {
        let (queue, tasks) = channel::<Task>();
        let tasks = Arc::new(Mutex::new(tasks));
        for n in 0..worker_count() {
            let tasks = Arc::clone(&tasks);
            // A worker that cannot start leaves the others; with none, steps fail (below).
            let _ = std::thread::Builder::new()
                .name(format!("import-{n}"))
                .spawn(move || work(&tasks));
        }
        Workers {
            queue,
            waiting: AtomicUsize::new(0),
        }
    })
}

/// A worker's life: run steps as they come.
fn work(tasks: &Mutex<Receiver<Task>>) {
    loop {
        let task = match tasks.lock().unwrap_or_else(|p| p.into_inner()).recv() {
            Ok(task) => task,
            Err(_) => return,
        };
        task();
    }
}

/// Runs `step` on a worker thread when its turn comes; a panic in it is [`Panicked`].
pub async fn run<R: Send + 'static>(
    step: impl FnOnce() -> R + Send + 'static,
) -> Result<R, Panicked> {
    let (answer, answered) = oneshot::channel();
    let workers = workers();
    let task: Task = Box::new(move || {
        workers.waiting.fetch_sub(1, Ordering::Relaxed);
        let result = std::panic::catch_unwind(AssertUnwindSafe(step)).map_err(|_| Panicked);
        let _ = answer.send(result);
    });
    workers.waiting.fetch_add(1, Ordering::Relaxed);
    if workers.queue.send(task).is_err() {
        workers.waiting.fetch_sub(1, Ordering::Relaxed);
        return Err(Panicked);
    }
    answered.await.unwrap_or(Err(Panicked))
}

/// Steps waiting for a worker. A step that sees others waiting is one of many imports: on a
/// machine of two cores, its checking rows on a second thread (as a lone import does, to
/// finish sooner) left requests no free core, and status polls at 4 connections while 16
/// imports ran took a p99 of 3.3 to 3.6 times their idle one, against 0.9 to 1.2 times
/// without the second thread (see `docs/performance.md`).
pub fn steps_waiting() -> usize {
    workers().waiting.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_step_runs_on_a_worker_and_hands_back_its_result() {
        let name = run(|| std::thread::current().name().map(str::to_owned))
            .await
            .unwrap();
        assert!(name.is_some_and(|name| name.starts_with("import-")));
    }

    #[tokio::test]
    async fn a_panicking_step_is_reported_and_the_workers_live_on() {
        assert_eq!(run(|| panic!("a bug in a step")).await, Err(Panicked));
        assert_eq!(run(|| 2 + 2).await, Ok(4));
    }

    #[tokio::test]
    async fn a_step_behind_busy_workers_counts_as_waiting() {
        // Hold every worker with a step of this test's, then queue one more.
        let (started, mut starts) = tokio::sync::mpsc::unbounded_channel();
        let (release, released) = tokio::sync::watch::channel(false);
        let holders: Vec<_> = (0..worker_count())
            .map(|_| {
                let (started, mut released) = (started.clone(), released.clone());
                tokio::spawn(run(move || {
                    started.send(()).unwrap();
                    while !*released.borrow_and_update() {
                        std::thread::sleep(std::time::Duration::from_millis(1));
                    }
                }))
            })
            .collect();
        for _ in 0..worker_count() {
            starts.recv().await.unwrap();
        }
        let behind = tokio::spawn(run(|| ()));
        tokio::task::yield_now().await;
        assert!(steps_waiting() >= 1);
        release.send(true).unwrap();
        for holder in holders {
            assert_eq!(holder.await.unwrap(), Ok(()));
        }
        assert_eq!(behind.await.unwrap(), Ok(()));
    }

    #[tokio::test]
    async fn steps_queued_together_all_finish() {
        let steps: Vec<_> = (0..32).map(|n| tokio::spawn(run(move || n * 2))).collect();
        for (n, step) in steps.into_iter().enumerate() {
            assert_eq!(step.await.unwrap(), Ok(n * 2));
        }
    }
}
