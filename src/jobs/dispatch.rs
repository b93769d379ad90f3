//! The dispatcher loop both job engines run: start what can start, then sleep until the head
//! of the queue is due, something changes, or the engine stops.

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::clock::{Clock, Timestamp};

/// Runs `pump` (which starts what it can and says when the queue's head becomes ready, if it
/// waits on the queue delay) each time the engine is woken or that time comes, until `stop`.
pub async fn dispatch(
    clock: &Clock,
    wake: &Notify,
    stop: &CancellationToken,
    mut pump: impl FnMut() -> Option<Timestamp>,
) {
    loop {
        let next_ready = pump();
        let until_ready = async {
            match next_ready {
                Some(ready) => clock.sleep_until(ready).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = wake.notified() => {}
            _ = until_ready => {}
            _ = stop.cancelled() => return,
        }
    }
}
