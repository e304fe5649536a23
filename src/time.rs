//! Time as the library sees it: always passed in by the caller, never read from a clock.

use core::fmt;
use core::ops::{Add, Sub};
use std::time::Duration;

/// A point in wall-clock time, in milliseconds since the Unix epoch (UTC).
///
/// The library never reads a clock: every call that needs the time takes a `Time`. Wall-clock
/// (not monotonic) time is used because stored Message Store objects carry an RFC 5322 `Date`.
/// The caller must not pass a time earlier than one it passed before; if it does, deadlines
/// simply are not reached yet.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(u64);

impl Time {
    /// The Unix epoch, 1970-01-01T00:00:00Z.
    pub const EPOCH: Time = Time(0);

    /// A time from milliseconds since the Unix epoch.
    pub const fn from_unix_millis(ms: u64) -> Time {
        Time(ms)
    }

    /// A time from whole seconds since the Unix epoch.
    pub const fn from_unix_secs(secs: u64) -> Time {
        Time(secs.saturating_mul(1000))
    }

    /// Milliseconds since the Unix epoch.
    pub const fn as_unix_millis(self) -> u64 {
        self.0
    }

    /// Whole seconds since the Unix epoch (rounded down).
    pub const fn as_unix_secs(self) -> u64 {
        self.0 / 1000
    }

    /// `self + d`, saturating at the largest representable time.
    pub fn saturating_add(self, d: Duration) -> Time {
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Time(self.0.saturating_add(ms))
    }

    /// The time elapsed from `earlier` to `self`, or zero if `earlier` is later.
    pub fn saturating_since(self, earlier: Time) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

impl Add<Duration> for Time {
    type Output = Time;
    fn add(self, d: Duration) -> Time {
        self.saturating_add(d)
    }
}

impl Sub<Time> for Time {
    type Output = Duration;
    fn sub(self, earlier: Time) -> Duration {
        self.saturating_since(earlier)
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}s", self.0 / 1000, self.0 % 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates() {
        let t = Time::from_unix_secs(10);
        assert_eq!((t + Duration::from_secs(5)).as_unix_secs(), 15);
        assert_eq!(Time::EPOCH - t, Duration::ZERO);
        assert_eq!(t - Time::EPOCH, Duration::from_secs(10));
        assert_eq!(
            Time::from_unix_millis(u64::MAX) + Duration::from_secs(1),
            Time::from_unix_millis(u64::MAX)
        );
    }
}
