//! 8.3.2.4 SIP session timer (RFC 4028): the interval, its refreshes and the expiry deadline
//! (docs/requirements.md ST-0).

use std::time::Duration;

use crate::Time;

/// The session timer of one session: pure bookkeeping, no clock.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SessionTimer {
    interval_secs: Option<u32>,
    last_refresh: Time,
}

impl SessionTimer {
    /// A timer with an optional configured interval, counting from `start`.
    pub fn new(interval: Option<Duration>, start: Time) -> SessionTimer {
        let interval_secs =
            interval.map(|d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX)).filter(|&s| s > 0);
        SessionTimer { interval_secs, last_refresh: start }
    }

    /// The current interval, if any.
    #[cfg(feature = "serde")]
    pub(crate) fn interval(&self) -> Option<Duration> {
        self.interval_secs.map(|s| Duration::from_secs(u64::from(s)))
    }

    /// A new interval value seen at `now` (from the first INVITE or a refresh): it wins and
    /// counts from `now`. A value of 0 must be filtered out by the caller.
    pub fn set_interval(&mut self, secs: u32, now: Time) {
        self.interval_secs = Some(secs);
        self.last_refresh = now;
    }

    /// A refresh at `now` restarts the timer, with or without a new value.
    pub fn refresh(&mut self, now: Time) {
        self.last_refresh = now;
    }

    /// When the PF treats the session as expired: `last refresh + SE − min(32 s, SE/3)`
    /// (RFC 4028 §10), in whole seconds rounded down.
    pub fn deadline(&self) -> Option<Time> {
        let se = u64::from(self.interval_secs?);
        // floor(SE - min(32, SE/3)) == SE - min(32, ceil(SE/3)) for whole-second SE.
        let margin = se.div_ceil(3).min(32);
        Some(self.last_refresh + Duration::from_secs(se - margin))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margin_is_the_smaller_of_32_s_and_a_third() {
        let at = |se: u64| SessionTimer::new(Some(Duration::from_secs(se)), Time::EPOCH).deadline();
        assert_eq!(at(90), Some(Time::from_unix_secs(60))); // 90 - 30
        assert_eq!(at(96), Some(Time::from_unix_secs(64))); // 96 - 32
        assert_eq!(at(94), Some(Time::from_unix_secs(62))); // 94 - 31.33.. = 62.67 -> 62
        assert_eq!(at(10), Some(Time::from_unix_secs(6))); // 10 - 3.33.. = 6.67 -> 6
        assert_eq!(at(1), Some(Time::from_unix_secs(0))); // 1 - 0.33.. = 0.67 -> 0
        assert_eq!(at(0), None);
    }

    #[test]
    fn refresh_and_new_value_restart_from_now() {
        let mut t = SessionTimer::new(Some(Duration::from_secs(90)), Time::EPOCH);
        t.refresh(Time::from_unix_secs(50));
        assert_eq!(t.deadline(), Some(Time::from_unix_secs(110)));
        t.set_interval(1800, Time::from_unix_secs(100));
        assert_eq!(t.deadline(), Some(Time::from_unix_secs(1868)));
        assert_eq!(SessionTimer::new(None, Time::EPOCH).deadline(), None);
    }
}

#[cfg(test)]
mod deadline_tests {
    use super::SessionTimer;
    use crate::Time;
    use std::time::Duration;

    #[test]
    fn expiry_is_se_minus_the_smaller_of_32_s_and_a_third() {
        let t = SessionTimer::new(Some(Duration::from_secs(90)), Time::EPOCH);
        assert_eq!(t.deadline(), Some(Time::from_unix_secs(60)));
        let t = SessionTimer::new(Some(Duration::from_secs(1800)), Time::EPOCH);
        assert_eq!(t.deadline(), Some(Time::from_unix_secs(1768)));
    }
}
