//! Daily counts of emulated API calls, as `GET /rest/v1/stats/usage.json` reports them: the
//! current quota day (from midnight US Central) and the six before it. Counting costs a call
//! two atomic operations; the lock is taken only when a day ends.

use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use crate::clock::Timestamp;
use crate::limits::quota_day;

/// Days kept: today and the six before, as `last7days` reports.
pub const DAYS_KEPT: usize = 7;

/// Calls in one quota day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayCount {
    /// Days since the epoch, in US Central Standard Time.
    pub day: i64,
    pub calls: u64,
}

#[derive(Debug, Default)]
pub struct CallCounts {
    day: AtomicI64,
    calls: AtomicU64,
    /// Ended days, newest last, at most [`DAYS_KEPT`] - 1 of them.
    past: Mutex<Vec<DayCount>>,
}

impl CallCounts {
    /// Counts one call made at `now`.
    pub fn count(&self, now: Timestamp) {
        let day = quota_day(now);
        if self.day.load(Ordering::Acquire) != day {
            self.roll_to(day);
        }
        self.calls.fetch_add(1, Ordering::AcqRel);
    }

    /// Files the current day's count away when a new day starts.
    fn roll_to(&self, day: i64) {
        let mut past = self.past.lock().unwrap_or_else(|p| p.into_inner());
        let current = self.day.load(Ordering::Acquire);
        if current == day {
            return;
        }
        let calls = self.calls.swap(0, Ordering::AcqRel);
        if calls > 0 && current < day {
            past.push(DayCount {
                day: current,
                calls,
            });
        }
        past.retain(|count| count.day > day - DAYS_KEPT as i64);
        self.day.store(day, Ordering::Release);
    }

    /// Today's count, then the earlier days that had calls within the last seven, newest
    /// first; today is always there, with 0 calls if none.
    pub fn last_days(&self, now: Timestamp) -> Vec<DayCount> {
        let today = quota_day(now);
        self.roll_to(today);
        let past = self.past.lock().unwrap_or_else(|p| p.into_inner());
        let mut days = vec![DayCount {
            day: today,
            calls: self.calls.load(Ordering::Acquire),
        }];
        days.extend(
            past.iter()
                .rev()
                .filter(|count| count.day > today - DAYS_KEPT as i64 && count.day < today),
        );
        days
    }
}

/// A quota day as Marketo's usage report writes it: `YYYY-MM-DD`.
pub fn day_text(day: i64) -> String {
    let date = time::Date::from_julian_day(2_440_588 + day as i32).unwrap_or(time::Date::MIN);
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;
    /// 2026-11-30T12:00:00Z, a Monday noon in Chicago's morning.
    const NOON: i64 = 1_796_040_000_000;

    #[test]
    fn calls_count_in_the_day_they_are_made_and_days_roll_at_midnight_central() {
        let counts = CallCounts::default();
        counts.count(Timestamp(NOON));
        counts.count(Timestamp(NOON + HOUR));
        // 06:00 UTC the next day is midnight in US Central Standard Time.
        counts.count(Timestamp(NOON + 18 * HOUR));
        let days = counts.last_days(Timestamp(NOON + 18 * HOUR));
        assert_eq!(days.len(), 2);
        assert_eq!(
            (day_text(days[0].day).as_str(), days[0].calls),
            ("2026-12-01", 1)
        );
        assert_eq!(
            (day_text(days[1].day).as_str(), days[1].calls),
            ("2026-11-30", 2)
        );
    }

    #[test]
    fn only_the_last_seven_days_are_kept_and_today_is_always_reported() {
        let counts = CallCounts::default();
        for day in 0..10 {
            counts.count(Timestamp(NOON + day * 24 * HOUR));
        }
        let later = Timestamp(NOON + 12 * 24 * HOUR);
        let days = counts.last_days(later);
        assert_eq!(days[0].calls, 0, "no call yet today");
        assert!(days.iter().all(|d| d.day > quota_day(later) - 7));
        assert_eq!(
            days.len(),
            1 + 4,
            "days 6 to 9 of the ten fall within the week"
        );
        let fresh = CallCounts::default();
        assert_eq!(
            fresh.last_days(later),
            [DayCount {
                day: quota_day(later),
                calls: 0
            }]
        );
    }
}
