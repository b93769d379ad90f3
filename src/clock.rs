//! Time as an input. Jobs, token expiry and batch retention read the time here, so a test can
//! freeze the clock and move it on instead of sleeping.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::watch;

/// Milliseconds since the Unix epoch, as the mock's clock tells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn millis(self) -> i64 {
        self.0
    }

    pub fn plus(self, duration: Duration) -> Timestamp {
        Timestamp(self.0.saturating_add(duration_millis(duration)))
    }

    /// The time left until `later`, zero when `later` has passed.
    pub fn until(self, later: Timestamp) -> Duration {
        Duration::from_millis(u64::try_from(later.0 - self.0).unwrap_or(0))
    }

    fn to_datetime(self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// ISO-8601 in UTC without fractions, the way Marketo writes `createdAt`.
    pub fn to_marketo(self) -> String {
        let whole = self
            .to_datetime()
            .replace_nanosecond(0)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        whole.format(&Rfc3339).unwrap_or_default()
    }

    /// RFC 3339 with milliseconds, for the control plane.
    pub fn to_rfc3339(self) -> String {
        let dt = self.to_datetime();
        let millis = dt
            .replace_nanosecond(dt.millisecond() as u32 * 1_000_000)
            .unwrap_or(dt);
        millis.format(&Rfc3339).unwrap_or_default()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

fn duration_millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

fn system_now() -> Timestamp {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp(duration_millis(since))
}

/// Whether the clock follows the wall clock or stands still until advanced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ClockMode {
    Real,
    Frozen,
}

#[derive(Debug)]
struct ClockState {
    mode: ClockMode,
    /// Added to the wall clock in real mode, so advancing and unfreezing never jump back.
    offset_millis: i64,
    /// The time shown while frozen.
    frozen_at: Timestamp,
}

impl ClockState {
    fn now(&self) -> Timestamp {
        match self.mode {
            ClockMode::Real => Timestamp(system_now().0 + self.offset_millis),
            ClockMode::Frozen => self.frozen_at,
        }
    }
}

/// A cheap-to-clone handle on the one clock of an application.
#[derive(Debug, Clone)]
pub struct Clock {
    state: Arc<Mutex<ClockState>>,
    /// Bumped on every mode change or advance, so sleepers re-read the time.
    changed: Arc<watch::Sender<u64>>,
}

impl Clock {
    pub fn new(mode: ClockMode) -> Clock {
        let now = system_now();
        Clock {
            state: Arc::new(Mutex::new(ClockState {
                mode,
                offset_millis: 0,
                frozen_at: now,
            })),
            changed: Arc::new(watch::Sender::new(0)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ClockState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn now(&self) -> Timestamp {
        self.lock().now()
    }

    pub fn mode(&self) -> ClockMode {
        self.lock().mode
    }

    /// Switches mode without a jump: freezing keeps the current time, unfreezing continues from it.
    pub fn set_mode(&self, mode: ClockMode) {
        {
            let mut state = self.lock();
            let now = state.now();
            match mode {
                ClockMode::Frozen => state.frozen_at = now,
                ClockMode::Real => state.offset_millis = now.0 - system_now().0,
            }
            state.mode = mode;
        }
        self.notify();
    }

    /// Moves the clock forward, in either mode, and wakes everything waiting on it.
    pub fn advance(&self, by: Duration) -> Timestamp {
        let now = {
            let mut state = self.lock();
            let millis = duration_millis(by);
            match state.mode {
                ClockMode::Frozen => state.frozen_at = state.frozen_at.plus(by),
                ClockMode::Real => state.offset_millis = state.offset_millis.saturating_add(millis),
            }
            state.now()
        };
        self.notify();
        now
    }

    fn notify(&self) {
        self.changed
            .send_modify(|generation| *generation = generation.wrapping_add(1));
    }

    /// Waits until the clock shows `deadline` or later: in real time when the clock runs, and
    /// on the next change when it is frozen.
    pub async fn sleep_until(&self, deadline: Timestamp) {
        let mut changes = self.changed.subscribe();
        loop {
            let (now, mode) = {
                let state = self.lock();
                (state.now(), state.mode)
            };
            if now >= deadline {
                return;
            }
            match mode {
                ClockMode::Real => {
                    tokio::select! {
                        _ = tokio::time::sleep(now.until(deadline)) => {}
                        _ = changes.changed() => {}
                    }
                }
                ClockMode::Frozen => {
                    if changes.changed().await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozen_clock_stands_still_until_advanced() {
        let clock = Clock::new(ClockMode::Frozen);
        let start = clock.now();
        assert_eq!(clock.now(), start);
        let later = clock.advance(Duration::from_secs(90));
        assert_eq!(later.millis() - start.millis(), 90_000);
        assert_eq!(clock.now(), later);
    }

    #[test]
    fn unfreezing_continues_from_the_frozen_time() {
        let clock = Clock::new(ClockMode::Frozen);
        let frozen = clock.advance(Duration::from_secs(3600));
        clock.set_mode(ClockMode::Real);
        let now = clock.now();
        assert!(now >= frozen && now.millis() - frozen.millis() < 5_000);
    }

    #[test]
    fn marketo_timestamps_have_no_fraction() {
        assert_eq!(
            Timestamp(1_416_440_587_520).to_marketo(),
            "2014-11-19T23:43:07Z"
        );
        assert_eq!(
            Timestamp(1_416_440_587_520).to_rfc3339(),
            "2014-11-19T23:43:07.52Z"
        );
    }

    #[tokio::test]
    async fn a_sleeper_on_a_frozen_clock_wakes_when_the_clock_is_advanced_past_its_deadline() {
        let clock = Clock::new(ClockMode::Frozen);
        let deadline = clock.now().plus(Duration::from_secs(10));
        let sleeper = tokio::spawn({
            let clock = clock.clone();
            async move { clock.sleep_until(deadline).await }
        });
        tokio::task::yield_now().await;
        clock.advance(Duration::from_secs(5));
        tokio::task::yield_now().await;
        assert!(!sleeper.is_finished());
        clock.advance(Duration::from_secs(5));
        tokio::time::timeout(Duration::from_secs(5), sleeper)
            .await
            .unwrap()
            .unwrap();
    }
}
