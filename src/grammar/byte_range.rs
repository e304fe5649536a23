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
//! docs/requirements.md MSRP-1 lists as making a chunk unintelligible (answered `400`): a range-start of 0 and
//! a range-end before the range-start. The one exception is the empty range `1-0/…` that
//! RFC 4975 uses for a body-less SEND (`1-0/0`, a keep-alive).
//!
//! Consistency between the range and the chunk's body, or between range-end and total, is not a
//! grammar matter: the body is authoritative (MSRP-1) and the reassembler reports mismatches.

use core::fmt;

use super::{word, ErrorKind, GrammarError, HIGHS, ONES};

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

    /// [`ByteRange::parse`] for the usual value (numbers of at most 19 digits, no white
    /// space), `None` for any other: the caller then calls [`ByteRange::parse`], which accepts
    /// it or says what is wrong. Read per MSRP chunk, so inlined.
    #[inline(always)]
    pub(crate) fn parse_usual(s: &str) -> Option<ByteRange> {
        quick(s.as_bytes())
    }

    /// The parse that names what is wrong; [`ByteRange::parse`] goes here when [`quick`] gives up.
    /// Kept out of line so that the quick path's registers need not be saved for it.
    #[cold]
    #[inline(never)]
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
#[inline(always)]
fn quick(b: &[u8]) -> Option<ByteRange> {
    /// Digits first: a `*` is looked for only where they are missing.
    #[inline(always)]
    fn digits_or_star(b: &[u8], at: usize) -> Option<(Option<u64>, usize)> {
        match digits(b, at) {
            Some((v, i)) => Some((Some(v), i)),
            None if b.get(at) == Some(&b'*') => Some((None, at + 1)),
            None => None,
        }
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

/// `1*DIGIT` at `at`, at most [`SAFE_DIGITS`] of them (no overflow possible), or `None`.
///
/// Eight bytes at a time: a Byte-Range number is 1 to 7 digits in the usual chunk, so one word
/// covers it, where a byte loop costs a compare, a multiply-add and a bounds check per digit.
#[inline(always)]
fn digits(b: &[u8], at: usize) -> Option<(u64, usize)> {
    let mut t = digit_word(b, at);
    let mut n = digit_run(t);
    if n == 0 {
        return None;
    }
    let mut value = digits_value(t, n);
    let mut i = at + n;
    // A number of eight digits or more goes on in the next word (cold for chunk-sized ranges).
    while n == DIGITS_PER_WORD {
        t = digit_word(b, i);
        n = digit_run(t);
        if n == 0 {
            break;
        }
        if i + n - at > SAFE_DIGITS {
            return None;
        }
        value = value * POWERS_OF_TEN.get(n).copied().unwrap_or(0) + digits_value(t, n);
        i += n;
    }
    Some((value, i))
}

const DIGITS_PER_WORD: usize = 8;

/// `10^n` for the `n` digits of one word.
const POWERS_OF_TEN: [u64; DIGITS_PER_WORD + 1] =
    [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000];

/// The eight bytes from `at` as a little-endian word (`b[at]` lowest), zero past the end of `b`,
/// with `'0'` taken off each byte: a digit byte becomes its value, and a zero byte past the end
/// becomes `0x30`, a non-digit, so a run stops at the end of the slice.
///
/// Near the end of the slice the word is the slice's last eight bytes shifted down, built in a
/// register: copying the bytes into a stack buffer and reading it back wide would stall on store
/// forwarding, and the last number of every Byte-Range ends there.
#[inline(always)]
fn digit_word(b: &[u8], at: usize) -> u64 {
    const ZEROS: u64 = u64::from_le_bytes([b'0'; 8]);
    let w = match b.get(at..).and_then(|rest| rest.get(..8)) {
        Some(eight) => word(eight),
        None => match b.len().checked_sub(8).and_then(|last| Some((last, b.get(last..)?))) {
            // `at` is past `last` here: shift `at - last` (1 to 8) bytes out, zeros in.
            Some((last, eight)) => {
                word(eight).checked_shr(at.wrapping_sub(last).wrapping_mul(8) as u32).unwrap_or(0)
            }
            // Fewer than 8 bytes in all: read what is left from `at` (nothing past the end).
            None => b.get(at..).map_or(0, short_word),
        },
    };
    w ^ ZEROS
}

/// The bytes of a value shorter than a word (such as `1-25/25`), zero-extended.
#[cold]
fn short_word(rest: &[u8]) -> u64 {
    rest.iter().take(8).rev().fold(0, |w, &c| w << 8 | u64::from(c))
}

/// How many leading bytes (lowest first) of `t`, a word from [`digit_word`], are digits: 0 to 8.
///
/// Exact per byte, with no carry or borrow between bytes: a byte is a digit when, after the
/// `'0'` was taken off by xor, its top bit is clear and its low seven bits are at most 9. Adding
/// `0x80 - 10` to the low seven bits sets the top bit exactly for 10 or more, and cannot carry
/// out of the byte (`0x7f + 0x76 < 0x100`).
#[inline(always)]
fn digit_run(t: u64) -> usize {
    let non_digit = (((t & !HIGHS) + ONES * (0x80 - 10)) | t) & HIGHS;
    (non_digit.trailing_zeros() / 8) as usize
}

/// The value of the first `n` (1 to 8) digits of `t`, a word from [`digit_word`].
///
/// The digits are shifted to the top of the word (the bytes below become leading zeros), then
/// adjacent digits, pairs and quadruples are combined with one multiply each: the lower byte of
/// a pair is the more significant digit, as it came first in the text.
#[inline(always)]
fn digits_value(t: u64, n: usize) -> u64 {
    let v = t.wrapping_shl(((DIGITS_PER_WORD - n) * 8) as u32);
    let v = (v.wrapping_mul(10).wrapping_add(v >> 8)) & 0x00ff_00ff_00ff_00ff;
    let v = (v.wrapping_mul(100).wrapping_add(v >> 16)) & 0x0000_ffff_0000_ffff;
    (v.wrapping_mul(10_000).wrapping_add(v >> 32)) & 0xffff_ffff
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

    /// The bytes a digit test can get wrong: both neighbours of `'0'..='9'` (`/` is 0x2F, `:`
    /// is 0x3A), the separators, NUL and DEL, and characters whose UTF-8 bytes are digits with
    /// the top bit set (`°` is C2 B0, `¹` C2 B9, `İ` C4 B0).
    const NEAR_DIGITS: &str = "[-/*:;.+ \\u{0}\\u{7f}\\u{b0}\\u{b9}\\u{130}\\u{139}]";

    /// A value in the shape of a Byte-Range, numbers of 1 to 22 digits (some with leading zeros)
    /// or `*`, with a byte perhaps replaced or inserted.
    fn shaped() -> impl Strategy<Value = String> {
        let number = "0{0,3}[0-9]{1,22}";
        let number_or_star = "0{0,3}[0-9]{1,22}|\\*";
        let edit = proptest::option::of((any::<prop::sample::Index>(), any::<bool>(), NEAR_DIGITS));
        (number, number_or_star, number_or_star, edit).prop_map(|(start, end, total, edit)| {
            let mut s = format!("{start}-{end}/{total}");
            if let Some((at, replace, c)) = edit {
                let at = at.index(s.len());
                if replace {
                    s.replace_range(at..=at, &c);
                } else {
                    s.insert_str(at, &c);
                }
            }
            s
        })
    }

    /// Runs of digits and bytes near them, in any order.
    fn soup() -> impl Strategy<Value = String> {
        proptest::string::string_regex(&format!("(0{{0,3}}[0-9]{{1,22}}|{NEAR_DIGITS}){{0,8}}"))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// `quick` on `s` agrees with `parse_checked`, also when `s` sits at any offset of a larger
    /// buffer with digits on both sides (a word read past either end of the slice would see them).
    fn quick_agrees(s: &str) -> Result<(), TestCaseError> {
        let checked = ByteRange::parse_checked(s);
        let fast = quick(s.as_bytes());
        if let Some(range) = fast {
            prop_assert_eq!(&checked, &Ok(range), "{:?}", s);
        }
        prop_assert_eq!(ByteRange::parse(s), checked, "{:?}", s);
        for pad in 0..8 {
            let buffer = format!("{}{s}99999999", "9".repeat(pad));
            let inner = &buffer.as_bytes()[pad..pad + s.len()];
            prop_assert_eq!(quick(inner), fast, "{:?} at {}", s, pad);
        }
        Ok(())
    }

    #[test]
    fn quick_agrees_for_every_run_length_in_every_field() {
        // Each field in turn gets a run of 1 to 22 digits, the others 1 to 9, so that every run
        // starts at every offset of a word and ends in every way: in a word, on a word's edge,
        // in the next word, at the end of the value. Runs of nines and of one followed by zeros
        // (and leading zeros) meet every carry of the conversion.
        let runs = |len: usize| {
            [
                "9".repeat(len),
                format!("1{}", "0".repeat(len - 1)),
                format!("{}1", "0".repeat(len - 1)),
                "1234567890".chars().cycle().take(len).collect::<String>(),
            ]
        };
        for field in 0..3 {
            for len in 1..=22 {
                for other in 1..=9 {
                    for run in runs(len) {
                        let short = "9".repeat(other);
                        let parts = match field {
                            0 => [run.as_str(), &short, &short],
                            1 => [&short, run.as_str(), &short],
                            _ => [&short, &short, run.as_str()],
                        };
                        let s = format!("{}-{}/{}", parts[0], parts[1], parts[2]);
                        quick_agrees(&s).map_err(|e| e.to_string()).unwrap();
                        for tail in ["x", "/", ":", "0\u{b0}"] {
                            quick_agrees(&format!("{s}{tail}")).map_err(|e| e.to_string()).unwrap();
                        }
                    }
                }
            }
        }
    }

    /// The digits at the start of `b` by the byte loop: how many (at most 8) and their value.
    fn run_by_bytes(b: &[u8]) -> (usize, u64) {
        let n = b.iter().take(DIGITS_PER_WORD).take_while(|c| c.is_ascii_digit()).count();
        (n, b.iter().take(n).fold(0, |v, &c| v * 10 + u64::from(c - b'0')))
    }

    /// The digits at the start of `b` by the word helpers.
    fn run_by_word(b: &[u8]) -> (usize, u64) {
        let t = digit_word(b, 0);
        let n = digit_run(t);
        (n, if n == 0 { 0 } else { digits_value(t, n) })
    }

    #[test]
    fn digit_run_matches_the_byte_loop() {
        let non_digits: Vec<u8> = (0..=255u8).filter(|c| !c.is_ascii_digit()).collect();
        let patterns = ["00000000", "99999999", "12345678", "98765432", "10000001", "09090909"];
        // Every run length 0 to 8, ended by every non-digit byte (or by the slice's end), with
        // digits after the terminator that must not count, in buffers long and short.
        for pattern in patterns {
            for len in 0..=DIGITS_PER_WORD {
                let digits = &pattern.as_bytes()[..len];
                for &stop in &non_digits {
                    let mut b = digits.to_vec();
                    b.push(stop);
                    b.extend_from_slice(b"7777777");
                    for end in 0..=b.len() {
                        let slice = &b[..end];
                        assert_eq!(run_by_word(slice), run_by_bytes(slice), "{slice:?}");
                    }
                }
            }
        }
        // Every byte value at every position of an otherwise all-digit word.
        for at in 0..DIGITS_PER_WORD {
            for c in 0..=255u8 {
                let mut b = *b"55555555";
                if let Some(slot) = b.get_mut(at) {
                    *slot = c;
                }
                assert_eq!(run_by_word(&b), run_by_bytes(&b), "{b:?}");
            }
        }
    }

    proptest! {
        #[test]
        fn the_quick_parse_agrees_with_the_checked_one(
            s in prop_oneof![
                "[0-9*/ -]{0,12}",
                "[0-9]{1,22}-[0-9*]{1,22}/[0-9*]{1,22}",
                shaped(),
                soup(),
            ]
        ) {
            quick_agrees(&s)?;
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
