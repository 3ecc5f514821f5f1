//! The emulator's only source of time.
//!
//! Everything that depends on time (table status transitions, TTL expiry, idempotency windows,
//! throttling buckets, replication lag) reads this clock, never the system clock directly, so that
//! a test can run on a virtual clock that moves only when told and get the same answers every run.

use parking_lot::Mutex;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where the virtual clock starts unless told otherwise: 2024-01-01T00:00:00Z.
pub const DEFAULT_VIRTUAL_START: Duration = Duration::from_secs(1_704_067_200);

/// The latest time the clock can show: 9999-12-31T23:59:59.999Z.
///
/// DynamoDB's timestamps (ISO 8601 in ARNs and backups, the HTTP `Date` header, SigV4's
/// `X-Amz-Date`) all have four-digit years, so a virtual clock told to move past the year 9999
/// stops there instead of producing dates nothing can parse. Every `now + lag` or
/// `now + window` computed by the emulator stays far from `Duration`'s own limit (584 billion
/// years), so a saturated clock never makes arithmetic overflow either.
pub const MAX_TIME: Duration = Duration::from_millis(253_402_300_799_999);

/// Real time, or a virtual time that moves only by [`Clock::advance`] (and optionally a fixed
/// tick per request).
#[derive(Clone, Debug)]
pub struct Clock {
    inner: Arc<ClockInner>,
}

#[derive(Debug)]
enum ClockInner {
    Real,
    Virtual {
        now: Mutex<Duration>,
        tick: Duration,
    },
}

impl Clock {
    /// The system clock.
    pub fn real() -> Clock {
        Clock {
            inner: Arc::new(ClockInner::Real),
        }
    }

    /// A virtual clock starting at `start` (time since the Unix epoch).
    pub fn virtual_at(start: Duration) -> Clock {
        Self::virtual_with_tick(start, Duration::ZERO)
    }

    /// A virtual clock that also moves by `tick` on every request.
    pub fn virtual_with_tick(start: Duration, tick: Duration) -> Clock {
        Clock {
            inner: Arc::new(ClockInner::Virtual {
                now: Mutex::new(start.min(MAX_TIME)),
                tick: tick.min(MAX_TIME),
            }),
        }
    }

    /// Whether this clock is virtual (moves only when told).
    pub fn is_virtual(&self) -> bool {
        matches!(*self.inner, ClockInner::Virtual { .. })
    }

    /// Time since the Unix epoch, never past [`MAX_TIME`].
    pub fn now(&self) -> Duration {
        match &*self.inner {
            ClockInner::Real => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .min(MAX_TIME),
            ClockInner::Virtual { now, .. } => *now.lock(),
        }
    }

    /// Seconds since the epoch with millisecond precision, as DynamoDB's timestamps.
    pub fn now_seconds(&self) -> f64 {
        (self.now().as_millis() as f64) / 1000.0
    }

    /// Moves a virtual clock forward, stopping at [`MAX_TIME`]; a no-op on the real clock.
    /// Returns whether the clock had to stop short of the requested time.
    pub fn advance(&self, by: Duration) -> bool {
        if let ClockInner::Virtual { now, .. } = &*self.inner {
            let mut now = now.lock();
            let wanted = now.saturating_add(by);
            *now = wanted.min(MAX_TIME);
            return wanted > MAX_TIME;
        }
        false
    }

    /// Called once per request: moves a ticking virtual clock.
    pub fn on_request(&self) {
        if let ClockInner::Virtual { now, tick } = &*self.inner {
            if !tick.is_zero() {
                let mut now = now.lock();
                *now = now.saturating_add(*tick).min(MAX_TIME);
            }
        }
    }
}

/// An instant (time since the Unix epoch, at most [`MAX_TIME`]) as ISO 8601 UTC with
/// milliseconds and no zone suffix, `2015-05-20T20:51:10.252`: the form of DynamoDB's stream
/// labels (and, cut down, of SigV4's dates).
pub(crate) fn iso8601(t: Duration) -> String {
    let t = t.min(MAX_TIME);
    let dt = time::OffsetDateTime::UNIX_EPOCH + t;
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.millisecond()
    )
}

/// A UTC calendar date and time of day as time since the Unix epoch; None if the parts are
/// not a valid date and time (or fall before the epoch).
pub(crate) fn from_calendar(
    year: i32,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
) -> Option<Duration> {
    let date =
        time::Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()?;
    let at = time::PrimitiveDateTime::new(date, time::Time::from_hms(hour, minute, second).ok()?);
    u64::try_from(at.assume_utc().unix_timestamp())
        .ok()
        .map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_clock_moves_only_when_told() {
        let c = Clock::virtual_at(DEFAULT_VIRTUAL_START);
        let t0 = c.now();
        assert_eq!(c.now(), t0);
        c.advance(Duration::from_secs(5));
        assert_eq!(c.now(), t0 + Duration::from_secs(5));
        let t = Clock::virtual_with_tick(DEFAULT_VIRTUAL_START, Duration::from_millis(10));
        t.on_request();
        assert_eq!(t.now(), DEFAULT_VIRTUAL_START + Duration::from_millis(10));
    }

    #[test]
    fn a_virtual_clock_stops_at_the_last_four_digit_year() {
        let c = Clock::virtual_at(DEFAULT_VIRTUAL_START);
        assert!(!c.advance(Duration::from_secs(3600)));
        assert!(c.advance(Duration::from_millis(31_556_952_000_000_000)));
        assert_eq!(c.now(), MAX_TIME);
        assert!(c.advance(Duration::MAX));
        assert_eq!(c.now(), MAX_TIME);
        let ticking = Clock::virtual_with_tick(Duration::MAX, Duration::MAX);
        ticking.on_request();
        assert_eq!(ticking.now(), MAX_TIME);
    }
}
