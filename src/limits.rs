//! Marketo's API call limits, each off unless configured: calls per window (606), calls at
//! once (615), calls per day (607). Time comes from the mock's clock.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, RwLock};

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::error::ApiError;

/// Marketo's API call limits, each off when `None`; the default has them all off and a
/// 20-second rate window (Marketo's own limits are 100 calls in 20 seconds, 10 at once and
/// 50,000 a day).
///
/// ```
/// use marketo_bulk_mock::CallLimits;
///
/// let marketo = CallLimits { rate_limit: Some(100), concurrency_limit: Some(10), ..CallLimits::default() };
/// assert_eq!(marketo.rate_window_secs, 20);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CallLimits {
    /// At most this many calls in any `rate_window_secs`.
    pub rate_limit: Option<u32>,
    /// The window of `rate_limit`, in seconds of the mock's clock; at least 1.
    #[serde(default = "default_window")]
    pub rate_window_secs: u32,
    /// At most this many calls in flight at once.
    pub concurrency_limit: Option<u32>,
    /// At most this many calls a day; the day starts at midnight US Central Standard Time.
    pub daily_quota: Option<u32>,
}

fn default_window() -> u32 {
    20
}

impl Default for CallLimits {
    fn default() -> CallLimits {
        CallLimits {
            rate_limit: None,
            rate_window_secs: default_window(),
            concurrency_limit: None,
            daily_quota: None,
        }
    }
}

/// Marketo's quota day starts at 12:00 AM CST (UTC-6).
const CST_OFFSET_MILLIS: i64 = -6 * 3600 * 1000;
const DAY_MILLIS: i64 = 86_400_000;

/// The quota day a time falls in; the export quota counts the same days.
pub fn quota_day(now: Timestamp) -> i64 {
    (now.millis() + CST_OFFSET_MILLIS).div_euclid(DAY_MILLIS)
}

/// How much of the limits is in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    pub in_flight: usize,
    pub calls_in_window: usize,
    pub calls_today: u32,
}

#[derive(Debug, Default)]
struct Counters {
    recent: VecDeque<Timestamp>,
    day: i64,
    today: u32,
}

#[derive(Debug)]
pub struct ApiLimits {
    settings: RwLock<CallLimits>,
    counters: Mutex<Counters>,
    in_flight: Arc<AtomicUsize>,
}

/// Held for the life of a call; releases its concurrency place when dropped.
#[derive(Debug)]
pub struct CallPermit(Arc<AtomicUsize>);

impl Drop for CallPermit {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl ApiLimits {
    pub fn new(settings: CallLimits) -> ApiLimits {
        ApiLimits {
            settings: RwLock::new(settings),
            counters: Mutex::new(Counters::default()),
            in_flight: Arc::new(AtomicUsize::new(0)),
        }
    }

    pub fn settings(&self) -> CallLimits {
        *self.settings.read().unwrap_or_else(|p| p.into_inner())
    }

    /// New settings; the counts so far are kept.
    pub fn set(&self, settings: CallLimits) {
        *self.settings.write().unwrap_or_else(|p| p.into_inner()) = settings;
    }

    /// Calls in flight, in the current window and today, for the control plane.
    pub fn usage(&self, now: Timestamp) -> Usage {
        let settings = self.settings();
        let counters = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        let window = Timestamp(now.millis() - i64::from(settings.rate_window_secs) * 1000);
        Usage {
            in_flight: self.in_flight.load(Ordering::SeqCst),
            calls_in_window: counters.recent.iter().filter(|t| **t > window).count(),
            calls_today: if counters.day == quota_day(now) {
                counters.today
            } else {
                0
            },
        }
    }

    /// Admits a call at `now`, or says which limit it hit. A refused call does not count.
    pub fn admit(&self, now: Timestamp) -> Result<CallPermit, ApiError> {
        let settings = self.settings();
        let in_flight = self.in_flight.fetch_add(1, Ordering::SeqCst);
        let permit = CallPermit(self.in_flight.clone());
        if let Some(limit) = settings.concurrency_limit
            && in_flight >= limit as usize
        {
            return Err(ApiError::ConcurrencyLimited { limit });
        }
        if settings.rate_limit.is_none() && settings.daily_quota.is_none() {
            // Nothing to count against: the hot path of every call takes no lock.
            return Ok(permit);
        }
        let mut counters = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        let day = quota_day(now);
        if counters.day != day {
            counters.day = day;
            counters.today = 0;
        }
        if let Some(quota) = settings.daily_quota
            && counters.today >= quota
        {
            return Err(ApiError::DailyQuotaReached);
        }
        let window = Timestamp(now.millis() - i64::from(settings.rate_window_secs) * 1000);
        while counters.recent.front().is_some_and(|t| *t <= window) {
            counters.recent.pop_front();
        }
        if let Some(limit) = settings.rate_limit {
            if counters.recent.len() >= limit as usize {
                return Err(ApiError::RateLimited {
                    limit,
                    window_secs: settings.rate_window_secs,
                });
            }
            counters.recent.push_back(now);
        }
        counters.today += 1;
        Ok(permit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_limits_by_default() {
        let limits = ApiLimits::new(CallLimits::default());
        let permits: Vec<_> = (0..1000)
            .map(|_| limits.admit(Timestamp(0)).unwrap())
            .collect();
        assert_eq!(permits.len(), 1000);
    }

    #[test]
    fn the_rate_limit_refuses_past_its_count_until_the_window_moves_on() {
        let limits = ApiLimits::new(CallLimits {
            rate_limit: Some(2),
            rate_window_secs: 20,
            ..Default::default()
        });
        assert!(limits.admit(Timestamp(0)).is_ok());
        assert!(limits.admit(Timestamp(1_000)).is_ok());
        let refused = limits.admit(Timestamp(2_000)).unwrap_err();
        assert_eq!(refused.code(), "606");
        assert_eq!(
            refused.to_string(),
            "Max rate limit '2' exceeded with in '20' secs"
        );
        assert!(
            limits.admit(Timestamp(20_000)).is_ok(),
            "the first call left the window"
        );
    }

    #[test]
    fn the_concurrency_limit_counts_calls_in_flight() {
        let limits = ApiLimits::new(CallLimits {
            concurrency_limit: Some(1),
            rate_window_secs: 20,
            ..Default::default()
        });
        let first = limits.admit(Timestamp(0)).unwrap();
        assert_eq!(
            limits.admit(Timestamp(0)).unwrap_err().to_string(),
            "Concurrent access limit '1' reached"
        );
        drop(first);
        assert!(limits.admit(Timestamp(0)).is_ok());
    }

    #[test]
    fn the_daily_quota_resets_at_midnight_central_time() {
        let limits = ApiLimits::new(CallLimits {
            daily_quota: Some(1),
            rate_window_secs: 20,
            ..Default::default()
        });
        let before_midnight_cst = Timestamp(6 * 3600 * 1000 - 1);
        assert!(limits.admit(before_midnight_cst).is_ok());
        assert_eq!(limits.admit(before_midnight_cst).unwrap_err().code(), "607");
        assert!(limits.admit(Timestamp(6 * 3600 * 1000)).is_ok());
    }
}
