//! The MSRP `Byte-Range` header value (RFC 4975 §9, semantics §7.1.1):
//!
//! ```text
//! Byte-Range  = "Byte-Range:" SP range-start "-" range-end "/" total
//! range-start = 1*DIGIT
//! range-end   = 1*DIGIT / "*"
//! total       = 1*DIGIT / "*"
//! ```
//!
//! Positions are 1-based and inclusive. Beyond the ABNF this parser enforces the two rules
//! SPEC.md MSRP-1 lists as making a chunk unintelligible (answered `400`): a range-start of 0 and
//! a range-end before the range-start. The one exception is the empty range `1-0/…` that
//! RFC 4975 uses for a body-less SEND (`1-0/0`, a keep-alive).
//!
//! Consistency between the range and the chunk's body, or between range-end and total, is not a
//! grammar matter: the body is authoritative (MSRP-1) and the reassembler reports mismatches.

use core::fmt;

use super::{ErrorKind, GrammarError};

const HEADER: &str = "Byte-Range";

/// A parsed `Byte-Range` value. Positions are 1-based and inclusive, as in RFC 4975.
///
/// ```
/// use cpm_pf::grammar::byte_range::ByteRange;
/// let r = ByteRange::parse("1-*/8").unwrap();
/// assert_eq!((r.start, r.end, r.total), (1, None, Some(8)));
/// assert_eq!(r.to_string(), "1-*/8");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// Position of the chunk's first byte in the whole message (1-based).
    pub start: u64,
    /// Position of the chunk's last byte, or `None` for `*` (unknown / interruptible).
    pub end: Option<u64>,
    /// Size of the whole message, or `None` for `*`.
    pub total: Option<u64>,
}

impl ByteRange {
    /// The range a chunk without `Byte-Range` has: `1-*/*`, the whole message (MSRP-1).
    pub const WHOLE: ByteRange = ByteRange { start: 1, end: None, total: None };

    /// Parses a `Byte-Range` value such as `1-25/25`, `1-*/8` or `5-*/*`.
    ///
    /// Surrounding whitespace is not allowed (the frame parser strips it). Errors name the byte
    /// offset: a missing or non-numeric part ([`ErrorKind::ExpectedNumber`],
    /// [`ErrorKind::Expected`]), a number above `u64::MAX` ([`ErrorKind::NumberOutOfRange`]),
    /// a range-start of 0 or a range-end before the range-start ([`ErrorKind::Invalid`]),
    /// anything after the total ([`ErrorKind::Trailing`]).
    pub fn parse(s: &str) -> Result<ByteRange, GrammarError> {
        match quick(s.as_bytes()) {
            Some(range) => Ok(range),
            None => ByteRange::parse_checked(s),
        }
    }

    /// The parse that names what is wrong; [`ByteRange::parse`] goes here when [`quick`] gives up.
    fn parse_checked(s: &str) -> Result<ByteRange, GrammarError> {
        let b = s.as_bytes();
        if b.is_empty() {
            return Err(GrammarError::new(HEADER, ErrorKind::Empty, 0));
        }
        let (start, mut at) = number(b, 0)?;
        if start == 0 {
            return Err(GrammarError::new(
                HEADER,
                ErrorKind::Invalid("range-start 0 (positions are 1-based)"),
                0,
            ));
        }
        at = expect(b, at, b'-', "\"-\" after range-start")?;
        let end_at = at;
        let (end, next) = number_or_star(b, at)?;
        at = expect(b, next, b'/', "\"/\" after range-end")?;
        let (total, next) = number_or_star(b, at)?;
        if next != b.len() {
            return Err(GrammarError::new(HEADER, ErrorKind::Trailing, next));
        }
        if let Some(end) = end {
            // `1-0` is the empty range of a body-less SEND (RFC 4975 §7.1); any other end before
            // the start cannot be understood.
            let empty_first = start == 1 && end == 0;
            if end < start && !empty_first {
                return Err(GrammarError::new(
                    HEADER,
                    ErrorKind::Invalid("range-end before range-start"),
                    end_at,
                ));
            }
        }
        Ok(ByteRange { start, end, total })
    }

    /// `true` for the body-less range `1-0/0` (a keep-alive SEND, MSRP-1).
    pub fn is_empty_keep_alive(&self) -> bool {
        self.start == 1 && self.end == Some(0) && self.total == Some(0)
    }
}

/// The common case of [`ByteRange::parse`], read per MSRP chunk: a well-formed value whose
/// numbers have at most 19 digits. `None` for anything else, which [`ByteRange::parse_checked`]
/// then reads again (and accepts or names the error); `Some` only for what it would accept, with
/// the same value (a property test holds the two together).
#[inline]
fn quick(b: &[u8]) -> Option<ByteRange> {
    /// At most 19 digits at `at` (no overflow possible), or `None`.
    #[inline(always)]
    fn digits(b: &[u8], at: usize) -> Option<(u64, usize)> {
        let mut value = 0u64;
        let mut i = at;
        while let Some(d) = b.get(i).map(|c| c.wrapping_sub(b'0')).filter(|&d| d <= 9) {
            if i - at == SAFE_DIGITS {
                return None;
            }
            value = value * 10 + u64::from(d);
            i += 1;
        }
        (i > at).then_some((value, i))
    }
    #[inline(always)]
    fn digits_or_star(b: &[u8], at: usize) -> Option<(Option<u64>, usize)> {
        if b.get(at) == Some(&b'*') {
            return Some((None, at + 1));
        }
        digits(b, at).map(|(v, i)| (Some(v), i))
    }
    let (start, i) = digits(b, 0)?;
    if start == 0 || b.get(i) != Some(&b'-') {
        return None;
    }
    let (end, i) = digits_or_star(b, i + 1)?;
    if b.get(i) != Some(&b'/') {
        return None;
    }
    let (total, i) = digits_or_star(b, i + 1)?;
    if i != b.len() || end.is_some_and(|end| end < start && !(start == 1 && end == 0)) {
        return None;
    }
    Some(ByteRange { start, end, total })
}

/// Any 19 digits fit a `u64` (10^19 - 1 < 2^64): only the digits after them need checked
/// arithmetic, which keeps the multiply off the common path (Byte-Range is read per MSRP chunk).
const SAFE_DIGITS: usize = 19;

/// `1*DIGIT` at `at`, checked against overflow; returns the value and the offset after it.
#[inline]
fn number(b: &[u8], at: usize) -> Result<(u64, usize), GrammarError> {
    let mut value: u64 = 0;
    let mut i = at;
    while let Some(&c) = b.get(i) {
        let digit = c.wrapping_sub(b'0');
        if digit > 9 {
            break;
        }
        value = if i - at < SAFE_DIGITS {
            value * 10 + u64::from(digit)
        } else {
            match value.checked_mul(10).and_then(|v| v.checked_add(u64::from(digit))) {
                Some(v) => v,
                None => return Err(GrammarError::new(HEADER, ErrorKind::NumberOutOfRange, i)),
            }
        };
        i += 1;
    }
    if i == at {
        return Err(GrammarError::new(HEADER, ErrorKind::ExpectedNumber, at));
    }
    Ok((value, i))
}

/// `1*DIGIT / "*"` at `at`.
#[inline]
fn number_or_star(b: &[u8], at: usize) -> Result<(Option<u64>, usize), GrammarError> {
    if b.get(at) == Some(&b'*') {
        return Ok((None, at + 1));
    }
    number(b, at).map(|(v, next)| (Some(v), next))
}

/// The byte `want` at `at`; returns the offset after it.
#[inline]
fn expect(b: &[u8], at: usize, want: u8, what: &'static str) -> Result<usize, GrammarError> {
    match b.get(at) {
        Some(&c) if c == want => Ok(at + 1),
        _ => Err(GrammarError::new(HEADER, ErrorKind::Expected(what), at)),
    }
}

impl fmt::Display for ByteRange {
    /// Renders the value as RFC 4975 writes it, e.g. `1-*/8`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-", self.start)?;
        match self.end {
            Some(e) => write!(f, "{e}/")?,
            None => f.write_str("*/")?,
        }
        match self.total {
            Some(t) => write!(f, "{t}"),
            None => f.write_str("*"),
        }
    }
}

impl core::str::FromStr for ByteRange {
    type Err = GrammarError;
    fn from_str(s: &str) -> Result<ByteRange, GrammarError> {
        ByteRange::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn br(start: u64, end: Option<u64>, total: Option<u64>) -> ByteRange {
        ByteRange { start, end, total }
    }

    #[test]
    fn rfc4975_section4_single_chunk() {
        // RFC 4975 §4: "Byte-Range: 1-25/25".
        assert_eq!(ByteRange::parse("1-25/25"), Ok(br(1, Some(25), Some(25))));
    }

    #[test]
    fn rfc4975_section5_1_two_chunks() {
        // RFC 4975 §5.1: "Byte-Range: 1-*/8" then "Byte-Range: 5-8/8".
        assert_eq!(ByteRange::parse("1-*/8"), Ok(br(1, None, Some(8))));
        assert_eq!(ByteRange::parse("5-8/8"), Ok(br(5, Some(8), Some(8))));
    }

    #[test]
    fn rfc4975_report_example() {
        // RFC 4975 §7.1.2 positive REPORT: "Byte-Range: 1-106/106".
        assert_eq!(ByteRange::parse("1-106/106"), Ok(br(1, Some(106), Some(106))));
    }

    #[test]
    fn unknown_end_and_total() {
        assert_eq!(ByteRange::parse("5-*/*"), Ok(br(5, None, None)));
        assert_eq!(ByteRange::parse("1-4/*"), Ok(br(1, Some(4), None)));
    }

    #[test]
    fn keep_alive_empty_range_is_accepted() {
        // RFC 4975 §7.1: a SEND without body carries "1-0/0".
        let r = ByteRange::parse("1-0/0").unwrap();
        assert_eq!(r, br(1, Some(0), Some(0)));
        assert!(r.is_empty_keep_alive());
        assert!(!br(1, None, None).is_empty_keep_alive());
    }

    #[test]
    fn start_zero_is_an_error() {
        let e = ByteRange::parse("0-5/5").unwrap_err();
        assert!(matches!(e.kind, ErrorKind::Invalid(_)), "{e}");
        assert_eq!(e.at, 0);
        assert!(ByteRange::parse("0-*/*").is_err());
    }

    #[test]
    fn end_before_start_is_an_error() {
        let e = ByteRange::parse("5-4/8").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Invalid("range-end before range-start"));
        assert_eq!(e.at, 2);
        assert!(ByteRange::parse("2-0/0").is_err(), "only 1-0 is the empty range");
    }

    #[test]
    fn non_numeric_parts_are_errors() {
        for (bad, at) in
            [("a-5/5", 0), ("1-b/5", 2), ("1-5/c", 4), ("1-5/5x", 5), ("+1-5/5", 0), (" 1-5/5", 0)]
        {
            let e = ByteRange::parse(bad).unwrap_err();
            assert_eq!(e.at, at, "{bad:?}: {e}");
            assert_eq!(e.header, "Byte-Range");
        }
        assert_eq!(ByteRange::parse("1-5/5x").unwrap_err().kind, ErrorKind::Trailing);
        assert_eq!(ByteRange::parse("1-5/5 ").unwrap_err().kind, ErrorKind::Trailing);
    }

    #[test]
    fn overflow_is_an_error() {
        // u64::MAX is 18446744073709551615.
        assert_eq!(ByteRange::parse("18446744073709551615-*/*").map(|r| r.start), Ok(u64::MAX));
        let e = ByteRange::parse("18446744073709551616-*/*").unwrap_err();
        assert_eq!(e.kind, ErrorKind::NumberOutOfRange);
        let e = ByteRange::parse("1-*/99999999999999999999999").unwrap_err();
        assert_eq!(e.kind, ErrorKind::NumberOutOfRange);
        // The first 19 digits are summed unchecked, the rest checked: both sides of the seam.
        assert_eq!(
            ByteRange::parse("9999999999999999999-*/*").map(|r| r.start),
            Ok(9_999_999_999_999_999_999)
        );
        assert_eq!(ByteRange::parse("00000000000000000000000042-*/*").map(|r| r.start), Ok(42));
        let e = ByteRange::parse("1-*/99999999999999999990").unwrap_err();
        assert_eq!((e.kind, e.at), (ErrorKind::NumberOutOfRange, 23));
    }

    #[test]
    fn missing_parts_are_errors() {
        assert_eq!(ByteRange::parse("").unwrap_err().kind, ErrorKind::Empty);
        for bad in ["1", "1-", "1-5", "1-5/", "1/5", "-5/5", "1--5/5", "*-5/5", "1-*", "1-*/"] {
            assert!(ByteRange::parse(bad).is_err(), "{bad:?} must not parse");
        }
        assert!(matches!(ByteRange::parse("1-5").unwrap_err().kind, ErrorKind::Expected(_)));
        assert_eq!(ByteRange::parse("1-5/").unwrap_err().kind, ErrorKind::ExpectedNumber);
    }

    proptest! {
        #[test]
        fn the_quick_parse_agrees_with_the_checked_one(s in "[0-9*/ -]{0,12}|[0-9]{1,22}-[0-9*]{1,22}/[0-9*]{1,22}") {
            if let Some(range) = quick(s.as_bytes()) {
                prop_assert_eq!(ByteRange::parse_checked(&s), Ok(range));
            }
            prop_assert_eq!(ByteRange::parse(&s), ByteRange::parse_checked(&s));
        }

        #[test]
        fn render_parse_round_trip(
            start in 1u64..=u64::MAX,
            len in proptest::option::of(0u64..=u64::MAX),
            total in proptest::option::of(0u64..=u64::MAX),
        ) {
            let end = len.map(|l| start.saturating_add(l));
            let r = ByteRange { start, end, total };
            prop_assert_eq!(ByteRange::parse(&r.to_string()), Ok(r));
        }

        #[test]
        fn arbitrary_text_never_panics(s in "[0-9*/ -]{0,30}|\\PC{0,30}") {
            // Leading zeros are allowed by `1*DIGIT`, so compare values, not text.
            if let Ok(r) = ByteRange::parse(&s) {
                prop_assert_eq!(ByteRange::parse(&r.to_string()), Ok(r));
            }
        }
    }
}
