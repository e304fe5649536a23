//! Dates of stored objects: RFC 5322 §3.3 `date-time` for the `Date` header, ISO 8601 (RFC 3339
//! profile) for the CPIM `DateTime` header (RFC 3862 §5.9) and the group state `timestamp`.
//!
//! Both forms are produced from a [`Time`] in UTC by an integer civil-from-days conversion
//! (proleptic Gregorian calendar), so no calendar crate and no clock are involved. Times after
//! the last second of year 9999 are clamped to `9999-12-31T23:59:59Z`: both formats then keep a
//! four-digit year, which is what every consumer expects (RFC 3339 only has four-digit years).
//! Milliseconds are dropped (rounded down): neither header carries fractions here.

use core::fmt;

use crate::Time;

/// The last second these formats represent: 9999-12-31T23:59:59Z, in seconds since the epoch.
const MAX_SECS: u64 = 253_402_300_799;

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// A broken-down UTC time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Civil {
    year: u32,
    /// 1..=12
    month: u32,
    /// 1..=31
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    /// 0 = Sunday.
    weekday: usize,
}

impl Civil {
    fn of(t: Time) -> Civil {
        let secs = t.as_unix_secs().min(MAX_SECS);
        let days = secs / 86_400;
        let rem = secs % 86_400;
        let (year, month, day) = civil_from_days(days);
        Civil {
            year,
            month,
            day,
            hour: (rem / 3600) as u32,
            minute: (rem % 3600 / 60) as u32,
            second: (rem % 60) as u32,
            // 1970-01-01 was a Thursday.
            weekday: ((days + 4) % 7) as usize,
        }
    }
}

/// Year, month (1..=12), day (1..=31) of a day count since 1970-01-01.
///
/// The algorithm counts in 400-year eras starting on 0000-03-01, so that the leap day is the
/// last day of its (March-based) year; `days` is bounded by [`MAX_SECS`], so no overflow.
fn civil_from_days(days: u64) -> (u32, u32, u32) {
    // Days from 0000-03-01 to 1970-01-01.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097; // day of era, 0..=146096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // year of era, 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of (March-based) year, 0..=365
    let mp = (5 * doy + 2) / 153; // March = 0
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = (yoe + era * 400 + u64::from(month <= 2)) as u32;
    (year, month, day)
}

/// Days since 1970-01-01 of a civil date, or `None` before 1970 or for a month/day out of range.
pub(crate) fn days_from_civil(year: u32, month: u32, day: u32) -> Option<u64> {
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) || year < 1970 {
        return None;
    }
    let y = u64::from(if month <= 2 { year - 1 } else { year });
    let era = y / 400;
    let yoe = y % 400;
    let m = u64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + u64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe).checked_sub(719_468)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Writes `t` as an RFC 5322 §3.3 `date-time` in UTC, e.g. `Thu, 11 Feb 2016 13:00:49 +0000`.
///
/// The day of the month is always two digits (`01`…`31`; the grammar allows `1*2DIGIT`), so every
/// date has the same width; the zone is always `+0000` (RFC 5322 §3.3: `-0000` would mean "local
/// time unknown", which is not the case here).
pub(crate) fn write_rfc5322_date(out: &mut impl fmt::Write, t: Time) -> fmt::Result {
    let c = Civil::of(t);
    write!(
        out,
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} +0000",
        WEEKDAYS[c.weekday],
        c.day,
        MONTHS[c.month as usize - 1],
        c.year,
        c.hour,
        c.minute,
        c.second
    )
}

/// Writes `t` as ISO 8601 / RFC 3339 UTC, e.g. `2016-02-11T13:00:49Z`.
pub(crate) fn write_iso8601(out: &mut impl fmt::Write, t: Time) -> fmt::Result {
    let c = Civil::of(t);
    write!(out, "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", c.year, c.month, c.day, c.hour, c.minute, c.second)
}

/// `t` as an RFC 5322 §3.3 `date-time` in UTC, e.g. `Thu, 11 Feb 2016 13:00:49 +0000`: the
/// form of the `Date` header of every stored object (REC-1).
///
/// The day of the month is zero-padded to two digits and the zone is `+0000`. Times after
/// 9999-12-31T23:59:59Z are clamped to it; milliseconds are dropped.
///
/// ```
/// use cpm_pf::{objects::rfc5322_date, Time};
/// assert_eq!(rfc5322_date(Time::from_unix_secs(1_455_195_649)), "Thu, 11 Feb 2016 13:00:49 +0000");
/// ```
pub fn rfc5322_date(t: Time) -> String {
    let mut s = String::with_capacity(31);
    let _ = write_rfc5322_date(&mut s, t);
    s
}

/// `t` as an ISO 8601 (RFC 3339) UTC timestamp, e.g. `2016-02-11T13:00:49Z`: the form of the
/// CPIM `DateTime` header and of the group state object's `timestamp` attribute.
///
/// Times after 9999-12-31T23:59:59Z are clamped to it; milliseconds are dropped.
///
/// ```
/// use cpm_pf::{objects::iso8601_date, Time};
/// assert_eq!(iso8601_date(Time::from_unix_secs(1_455_195_649)), "2016-02-11T13:00:49Z");
/// ```
pub fn iso8601_date(t: Time) -> String {
    let mut s = String::with_capacity(20);
    let _ = write_iso8601(&mut s, t);
    s
}

/// Parses the `Date` header of a SIP request (RFC 3261 §20.17: `rfc1123-date`, e.g.
/// `Sat, 13 Nov 2010 23:29:00 GMT`) into a [`Time`].
///
/// Lenient in what RFC 5322 also allows: the day of the week may be missing, the day may have one
/// digit, the zone may be `GMT`, `UT`, `UTC`, `Z` or a numeric `+hhmm`/`-hhmm` offset (applied),
/// and seconds may be missing. Returns `None` for anything else, for dates before 1970 and for
/// years after 9999. Bounded: looks at no more than the first 64 bytes.
pub(crate) fn parse_sip_date(s: &str) -> Option<Time> {
    let s = s.trim();
    if s.len() > 64 {
        return None;
    }
    let s = match s.split_once(',') {
        Some((wd, rest)) if WEEKDAYS.iter().any(|w| w.eq_ignore_ascii_case(wd.trim())) => rest,
        Some(_) => return None,
        None => s,
    };
    let mut it = s.split_ascii_whitespace();
    let day: u32 = number(it.next()?, 1, 2)?;
    let month_name = it.next()?;
    let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(month_name))? as u32 + 1;
    let year: u32 = number(it.next()?, 4, 4)?;
    let mut hms = it.next()?.split(':');
    let hour: u32 = number(hms.next()?, 2, 2)?;
    let minute: u32 = number(hms.next()?, 2, 2)?;
    let second: u32 = match hms.next() {
        Some(sec) => number(sec, 2, 2)?,
        None => 0,
    };
    if hms.next().is_some() || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let offset_secs: i64 = match it.next()? {
        z if ["GMT", "UT", "UTC", "Z"].iter().any(|g| g.eq_ignore_ascii_case(z)) => 0,
        z => {
            let (sign, digits) = match z.as_bytes().first()? {
                b'+' => (1, &z[1..]),
                b'-' => (-1, &z[1..]),
                _ => return None,
            };
            let hhmm: i64 = number(digits, 4, 4)?;
            if hhmm % 100 > 59 {
                return None;
            }
            sign * (hhmm / 100 * 3600 + hhmm % 100 * 60)
        }
    };
    if it.next().is_some() {
        return None;
    }
    let days = days_from_civil(year, month, day)?;
    let local = days * 86_400 + u64::from(hour) * 3600 + u64::from(minute) * 60 + u64::from(second.min(59));
    // UTC = local - offset.
    let utc = i64::try_from(local).ok()?.checked_sub(offset_secs)?;
    u64::try_from(utc).ok().filter(|&u| u <= MAX_SECS).map(Time::from_unix_secs)
}

/// Parses a CPIM `DateTime` (RFC 3862 §4.6.4: RFC 3339 `date-time`, e.g.
/// `2008-04-04T12:16:49-05:00` or `2016-02-11T13:00:49.250Z`) into a [`Time`], for MS-4: a
/// message's object is dated by its CPIM `DateTime` when it has one.
///
/// Accepts `T` or `t` or a space between date and time, `Z`/`z` or `±hh:mm`; fractional seconds
/// are kept to the millisecond. `None` for anything else, for dates before 1970 and years after
/// 9999. Bounded: looks at no more than the first 64 bytes.
///
/// ```
/// use cpm_pf::objects::{parse_cpim_date_time, rfc5322_date};
/// let t = parse_cpim_date_time("2008-04-04T12:16:49-05:00").unwrap();
/// assert_eq!(rfc5322_date(t), "Fri, 04 Apr 2008 17:16:49 +0000");
/// ```
pub fn parse_cpim_date_time(s: &str) -> Option<Time> {
    let s = s.trim();
    if s.len() > 64 || !s.is_ascii() || s.len() < 20 {
        return None;
    }
    let (date, rest) = s.split_at(10);
    let mut ymd = date.split('-');
    let year: u32 = number(ymd.next()?, 4, 4)?;
    let month: u32 = number(ymd.next()?, 2, 2)?;
    let day: u32 = number(ymd.next()?, 2, 2)?;
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    let hour: u32 = number(rest.get(0..2)?, 2, 2)?;
    let minute: u32 = number(rest.get(3..5)?, 2, 2)?;
    let second: u32 = number(rest.get(6..8)?, 2, 2)?;
    if rest.get(2..3)? != ":" || rest.get(5..6)? != ":" || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &rest[8..];
    let mut millis = 0u64;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let ms = format!("{:0<3}", &frac[..digits.min(3)]);
        millis = number(&ms, 3, 3)?;
        rest = &frac[digits..];
    }
    let offset_secs: i64 = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let (hh, mm) = rest[1..].split_once(':')?;
            let (hh, mm): (i64, i64) = (number(hh, 2, 2)?, number(mm, 2, 2)?);
            if hh > 23 || mm > 59 {
                return None;
            }
            sign * (hh * 3600 + mm * 60)
        }
    };
    let days = days_from_civil(year, month, day)?;
    let local = days * 86_400 + u64::from(hour) * 3600 + u64::from(minute) * 60 + u64::from(second.min(59));
    let utc = u64::try_from(i64::try_from(local).ok()?.checked_sub(offset_secs)?).ok()?;
    (utc <= MAX_SECS).then(|| Time::from_unix_millis(utc * 1000 + millis))
}

/// A decimal number of `min..=max` ASCII digits.
fn number<T: TryFrom<u64>>(s: &str, min: usize, max: usize) -> Option<T> {
    if s.len() < min || s.len() > max || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v = s.bytes().fold(0u64, |acc, b| acc * 10 + u64::from(b - b'0'));
    T::try_from(v).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(secs: u64) -> Time {
        Time::from_unix_secs(secs)
    }

    #[test]
    fn epoch() {
        assert_eq!(rfc5322_date(Time::EPOCH), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(iso8601_date(Time::EPOCH), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn known_dates() {
        // STANDARDS §6 test vector 1: 14:00:49 +0100 is 13:00:49 UTC; 11 Feb 2016 was a Thursday.
        assert_eq!(rfc5322_date(at(1_455_195_649)), "Thu, 11 Feb 2016 13:00:49 +0000");
        // RFC 2822 A.1.1's date, Fri, 21 Nov 1997 09:55:06 -0600 = 15:55:06 UTC.
        assert_eq!(rfc5322_date(at(880_127_706)), "Fri, 21 Nov 1997 15:55:06 +0000");
        // 2^31 seconds: the 32-bit rollover.
        assert_eq!(iso8601_date(at(2_147_483_648)), "2038-01-19T03:14:08Z");
        // Milliseconds are dropped, not rounded.
        assert_eq!(iso8601_date(Time::from_unix_millis(1_455_195_649_999)), "2016-02-11T13:00:49Z");
    }

    #[test]
    fn leap_years() {
        // 2000 is a leap year (divisible by 400), 1900/2100 are not, 2016/2024 are.
        assert_eq!(rfc5322_date(at(951_782_400)), "Tue, 29 Feb 2000 00:00:00 +0000");
        assert_eq!(rfc5322_date(at(951_868_800)), "Wed, 01 Mar 2000 00:00:00 +0000");
        assert_eq!(rfc5322_date(at(1_456_704_000)), "Mon, 29 Feb 2016 00:00:00 +0000");
        assert_eq!(rfc5322_date(at(1_709_164_800)), "Thu, 29 Feb 2024 00:00:00 +0000");
        assert_eq!(rfc5322_date(at(4_107_542_400)), "Mon, 01 Mar 2100 00:00:00 +0000");
        assert_eq!(iso8601_date(at(4_107_542_399)), "2100-02-28T23:59:59Z");
        assert_eq!(iso8601_date(at(1_483_228_799)), "2016-12-31T23:59:59Z");
    }

    #[test]
    fn far_future_is_clamped() {
        assert_eq!(iso8601_date(at(MAX_SECS)), "9999-12-31T23:59:59Z");
        assert_eq!(rfc5322_date(at(MAX_SECS)), "Fri, 31 Dec 9999 23:59:59 +0000");
        assert_eq!(iso8601_date(Time::from_unix_millis(u64::MAX)), "9999-12-31T23:59:59Z");
        assert_eq!(iso8601_date(at(MAX_SECS + 1)), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn cpim_date_times_parse() {
        // RFC 5438 §7.1.1 / STANDARDS §5 vector 2.
        assert_eq!(parse_cpim_date_time("2008-04-04T12:16:49-05:00"), Some(at(1_207_329_409)));
        assert_eq!(parse_cpim_date_time("2016-02-11T13:00:49Z"), Some(at(1_455_195_649)));
        assert_eq!(parse_cpim_date_time("2016-02-11t14:00:49+01:00"), Some(at(1_455_195_649)));
        assert_eq!(
            parse_cpim_date_time("2016-02-11T13:00:49.25Z"),
            Some(Time::from_unix_millis(1_455_195_649_250))
        );
        for bad in [
            "",
            "2016-02-11",
            "2016-02-11T13:00:49",
            "2016-02-11T13:00:49+0100",
            "2016-13-11T13:00:49Z",
            "2016-02-11T24:00:00Z",
            "2016-02-11T13:00:49.Z",
            "1969-12-31T23:59:59Z",
            "2016-02-11T13-00-49Z",
        ] {
            assert_eq!(parse_cpim_date_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn sip_dates_parse() {
        assert_eq!(parse_sip_date("Sat, 13 Nov 2010 23:29:00 GMT"), Some(at(1_289_690_940)));
        assert_eq!(parse_sip_date("Thu, 11 Feb 2016 14:00:49 +0100"), Some(at(1_455_195_649)));
        assert_eq!(parse_sip_date("11 Feb 2016 13:00:49 UT"), Some(at(1_455_195_649)));
        assert_eq!(parse_sip_date("Fri, 21 Nov 1997 09:55:06 -0600"), Some(at(880_127_706)));
        for bad in [
            "",
            "yesterday",
            "Thu, 30 Feb 2016 13:00:49 GMT",
            "Thu, 11 Feb 2016 24:00:00 GMT",
            "Thu, 11 Feb 1969 13:00:49 GMT",
            "Thu, 11 Feb 2016 13:00:49",
            "Thu, 11 Feb 2016 13:00:49 GMT extra",
            "Xyz, 11 Feb 2016 13:00:49 GMT",
            "Thu, 11 Feb 2016 13:00:49 +01",
            "2016-02-11T13:00:49Z",
        ] {
            assert_eq!(parse_sip_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn days_round_trip_over_four_centuries() {
        let mut prev = None;
        for days in (0..146_097 * 2).step_by(7) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), Some(days));
            if let Some(p) = prev {
                assert!((y, m, d) > p);
            }
            prev = Some((y, m, d));
        }
    }

    proptest! {
        #[test]
        fn any_time_formats(ms in any::<u64>()) {
            let t = Time::from_unix_millis(ms);
            let r = rfc5322_date(t);
            let i = iso8601_date(t);
            prop_assert_eq!(r.len(), 31);
            prop_assert_eq!(i.len(), 20);
            // The RFC 5322 form reads back as the same second (clamped).
            let secs = t.as_unix_secs().min(MAX_SECS);
            prop_assert_eq!(parse_sip_date(&r), Some(at(secs)));
        }

        #[test]
        fn parse_never_panics(s in ".{0,80}") {
            let _ = parse_cpim_date_time(&s);
            let _ = parse_sip_date(&s);
        }
    }
}
