//! Header value grammars: pure, borrowing, never panicking parse and render pairs.
//!
//! Each submodule implements one header value grammar and names its RFC:
//!
//! | module | header | source |
//! |---|---|---|
//! | [`reason`] | `Reason` | RFC 3326, RFC 9366, TS 24.229 §7.2A.18 |
//! | [`accept_contact`] | `Accept-Contact` / `a` | RFC 3841, RFC 3840 |
//! | [`service`] | CPM service identifiers, `P-Asserted-Service`, `P-Preferred-Service` | RFC 6050, TS 24.229 §7.2A.8 |
//! | [`event`] | `Event` / `o` | RFC 6665 |
//! | [`session_expires`] | `Session-Expires` / `x`, `Min-SE` | RFC 4028 |
//! | [`byte_range`] | MSRP `Byte-Range` | RFC 4975 §9 |
//! | [`message_id`] | MSRP `Message-ID` ident | RFC 4975 §9 |
//!
//! Parsers take one header *field* value (what follows `Name:`) and return a typed value that
//! borrows from the input, or a [`GrammarError`] naming the header and what was wrong. Every
//! type renders back with `Display`, and `parse(render(x)) == x`.

pub mod accept_contact;
pub mod byte_range;
pub mod event;
pub mod message_id;
pub mod reason;
pub mod service;
pub mod session_expires;

/// A header value that does not follow its grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed {header} value at byte {at}: {kind}")]
pub struct GrammarError {
    /// The header whose value was malformed, e.g. `"Reason"`.
    pub header: &'static str,
    /// What was wrong.
    pub kind: ErrorKind,
    /// Byte offset in the value where the problem was found.
    pub at: usize,
}

impl GrammarError {
    /// A new error for `header` at byte offset `at`.
    pub const fn new(header: &'static str, kind: ErrorKind, at: usize) -> GrammarError {
        GrammarError { header, kind, at }
    }
}

/// What was wrong with a header value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The value is empty (or only whitespace) where the grammar needs at least one item.
    #[error("the value is empty")]
    Empty,
    /// A token (RFC 3261 `token`) was expected.
    #[error("expected a token")]
    ExpectedToken,
    /// A specific character or keyword was expected.
    #[error("expected {0}")]
    Expected(&'static str),
    /// A quoted string has no closing `"`.
    #[error("unterminated quoted string")]
    UnterminatedQuote,
    /// A `\` escape in a quoted string is not followed by an allowed character.
    #[error("invalid escape in quoted string")]
    BadEscape,
    /// A number was expected.
    #[error("expected a number")]
    ExpectedNumber,
    /// A number does not fit the range the grammar allows.
    #[error("number out of range")]
    NumberOutOfRange,
    /// A `%` is not followed by two hex digits, or decodes to invalid UTF-8.
    #[error("invalid percent-encoding")]
    BadPercentEncoding,
    /// A character that the grammar does not allow here.
    #[error("unexpected character {0:?}")]
    Unexpected(char),
    /// Characters after the end of a complete value.
    #[error("unexpected characters after the value")]
    Trailing,
    /// The value or one of its parts is longer than the grammar (or the library's bound) allows.
    #[error("too long")]
    TooLong,
    /// Anything else, named.
    #[error("invalid {0}")]
    Invalid(&'static str),
}

/// Renders a header's comma list (RFC 3261 §7.3.1) in canonical form: items separated by `, `.
pub(crate) fn write_comma_list<T: core::fmt::Display>(
    f: &mut core::fmt::Formatter<'_>,
    items: impl IntoIterator<Item = T>,
) -> core::fmt::Result {
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

/// A generic parameter (`generic-param = token [ EQUAL gen-value ]`, RFC 3261 §25.1), borrowed.
/// The value is kept exactly as written, quotes included for a quoted string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenericParam<'a> {
    /// Parameter name, as written.
    pub name: &'a str,
    /// Parameter value as written (a quoted string keeps its quotes), if any.
    pub value: Option<&'a str>,
}

impl GenericParam<'_> {
    /// `true` when the parameter's name is `name`, compared without regard to case
    /// (parameter names are case-insensitive, RFC 3261 §7.3.1).
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }
}

impl core::fmt::Display for GenericParam<'_> {
    /// Renders `name` or `name=value`, the value exactly as it was written.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name)?;
        if let Some(v) = self.value {
            write!(f, "={v}")?;
        }
        Ok(())
    }
}

/// Bytes of `s` with every `%HH` (two hex digits, either case) replaced by the byte it encodes.
///
/// A `%` not followed by two hex digits is kept as a literal `%` (RFC 3840's `token-nobang`
/// allows a bare `%`). The iterator never allocates, so values can be compared while decoding
/// (TD-9).
#[derive(Debug, Clone)]
pub struct PercentDecoded<'a> {
    bytes: &'a [u8],
    pos: usize,
}

/// Percent-decodes `s` on the fly; see [`PercentDecoded`].
pub fn percent_decoded(s: &str) -> PercentDecoded<'_> {
    PercentDecoded { bytes: s.as_bytes(), pos: 0 }
}

impl Iterator for PercentDecoded<'_> {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.pos)?;
        if b == b'%' {
            let hi = self.bytes.get(self.pos + 1).and_then(|&h| hex_value(h));
            let lo = self.bytes.get(self.pos + 2).and_then(|&l| hex_value(l));
            if let (Some(hi), Some(lo)) = (hi, lo) {
                self.pos += 3;
                return Some(hi << 4 | lo);
            }
        }
        self.pos += 1;
        Some(b)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.bytes.len().saturating_sub(self.pos);
        (left.div_ceil(3), Some(left))
    }
}

/// Percent-decodes `s` into `buf` exactly as [`percent_decoded`] does (a `%` not followed by two
/// hex digits stays as it is), copying the runs between escapes whole. The decoded bytes (the
/// start of `buf`), or `None` when they do not fit in `buf`.
pub(crate) fn percent_decode_into<'b>(s: &[u8], buf: &'b mut [u8]) -> Option<&'b [u8]> {
    let mut n = 0;
    let mut rest = s;
    loop {
        let run = rest.iter().position(|&b| b == b'%').unwrap_or(rest.len());
        buf.get_mut(n..n + run)?.copy_from_slice(rest.get(..run)?);
        n += run;
        rest = rest.get(run..)?;
        // `n` bytes were written to `buf` one `get_mut` at a time, so they are all in it.
        let Some((&pct, after)) = rest.split_first() else { return buf.get(..n) };
        let decoded = match after {
            [hi, lo, ..] => hex_value(*hi).zip(hex_value(*lo)).map(|(hi, lo)| hi << 4 | lo),
            _ => None,
        };
        let (byte, skip) = decoded.map_or((pct, 1), |b| (b, 3));
        *buf.get_mut(n)? = byte;
        n += 1;
        rest = rest.get(skip..)?;
    }
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `true` when `bytes` equals `lower` without regard to ASCII case, where `lower` has no
/// uppercase ASCII letter (a constant such as [`service::CPM_URN_PREFIX`]). Only `bytes` needs
/// case folding, which is done eight bytes at a time ([`to_lower_word`]).
pub(crate) fn eq_lowercase(bytes: &[u8], lower: &[u8]) -> bool {
    eq_words(bytes, lower, to_lower_word, |w| w)
}

/// `a.eq_ignore_ascii_case(b)`, eight bytes at a time ([`to_lower_word`] on both sides).
pub(crate) fn eq_ignore_case(a: &[u8], b: &[u8]) -> bool {
    eq_words(a, b, to_lower_word, to_lower_word)
}

/// `a == b`, eight bytes at a time: for the short compares of a hot path (an MSRP end-line's
/// transaction id, a Message-ID), where a slice compare would call `memcmp`.
#[inline]
pub(crate) fn eq_bytes(a: &[u8], b: &[u8]) -> bool {
    eq_words(a, b, |w| w, |w| w)
}

/// `s.trim()`, without its Unicode white-space walk for a value that plainly has nothing to
/// trim (its first and last bytes visible ASCII): a frame's header values come with the blanks
/// around them removed already, so this is the usual case on the MSRP hot paths.
#[inline]
pub(crate) fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(a), Some(z)) if a.is_ascii_graphic() && z.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

/// `a` and `b` compared a word at a time after `fold_a` on `a`'s words and `fold_b` on `b`'s.
/// The last word is the last eight bytes, overlapping the one before (no short word to pad:
/// padding through a stack buffer stalls on store forwarding); a slice shorter than a word is
/// one word put together in registers ([`short_word`]), so a header name such as `Reason` costs
/// one fold, not one per byte.
#[inline(always)]
fn eq_words(a: &[u8], b: &[u8], fold_a: impl Fn(u64) -> u64, fold_b: impl Fn(u64) -> u64) -> bool {
    if a.len() != b.len() {
        return false;
    }
    if a.len() < 8 {
        // Both words are zero above the common length, and the folds work byte by byte (no
        // carry between bytes), so equal words are equal slices.
        return fold_a(short_word(a)) == fold_b(short_word(b));
    }
    let last = a.len() - 8;
    let (Some(a_last), Some(b_last)) = (a.get(last..), b.get(last..)) else { return false };
    if fold_a(word(a_last)) != fold_b(word(b_last)) {
        return false;
    }
    // The other words start before `last`: `last.div_ceil(8)` whole chunks of each slice (the
    // slices have the same length, and a chunk starting before `last` ends by `len`).
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)).take(last.div_ceil(8)) {
        if fold_a(word(x)) != fold_b(word(y)) {
            return false;
        }
    }
    true
}

/// The bytes of a slice shorter than a word as a little-endian word, zero above its length: two
/// overlapping four-byte loads for 4 to 7 bytes, three byte loads for 1 to 3 (overlapping as
/// well; an overlapping byte is the same byte, so `|` keeps it). Never through a stack buffer.
#[inline(always)]
fn short_word(s: &[u8]) -> u64 {
    let n = s.len();
    if let (Some(lo), Some(hi)) = (s.first_chunk::<4>(), s.last_chunk::<4>()) {
        // 4 ≤ n < 8: `hi` starts at byte n - 4.
        return u64::from(u32::from_le_bytes(*lo))
            | u64::from(u32::from_le_bytes(*hi)) << ((8 * (n - 4)) & 63);
    }
    let byte = |i: usize| s.get(i).map_or(0, |&b| u64::from(b) << (8 * i));
    match n {
        0 => 0,
        _ => byte(0) | byte(n / 2) | byte(n - 1),
    }
}

/// `bytes` after a leading `lower` (compared as in [`eq_lowercase`]), if it starts with it.
#[inline]
pub(crate) fn strip_prefix_lowercase<'a>(bytes: &'a [u8], lower: &[u8]) -> Option<&'a [u8]> {
    let rest = bytes.get(lower.len()..)?;
    eq_lowercase(bytes.get(..lower.len())?, lower).then_some(rest)
}

/// `0x01` in every byte of a word: times a byte, that byte in every byte (word-at-a-time scans).
pub(crate) const ONES: u64 = u64::from_le_bytes([0x01; 8]);
/// The top bit of every byte of a word, where the word-at-a-time tests leave their flags.
pub(crate) const HIGHS: u64 = ONES * 0x80;

/// A byte-class table for one-load-per-byte scans: `true` for ASCII letters and digits and for
/// each byte of `extra` (the token sets of SIP and MSRP, the MSRP ident set).
pub(crate) const fn alnum_and(extra: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    let mut i = 0;
    while i < extra.len() {
        t[extra[i] as usize] = true;
        i += 1;
    }
    t
}

/// Eight bytes as a little-endian word (zero if not eight, which callers never pass).
#[inline]
pub(crate) fn word(chunk: &[u8]) -> u64 {
    <[u8; 8]>::try_from(chunk).map_or(0, u64::from_le_bytes)
}

/// Each byte of `w` with `A`..=`Z` made lowercase and every other byte (non-ASCII included) as
/// it is: `to_ascii_lowercase` on eight bytes at once.
#[inline]
pub(crate) fn to_lower_word(w: u64) -> u64 {
    // The low seven bits of each byte plus a constant: its top bit tells whether those bits are
    // at least `A` (0x41), resp. past `Z` (0x5a). No sum carries into the next byte.
    let low = w & !HIGHS;
    let from_a = low + ONES * (0x80 - 0x41);
    let past_z = low + ONES * (0x80 - 0x5b);
    let upper = from_a & !past_z & !w & HIGHS;
    w | (upper >> 2)
}

/// `true` when the bytes of `a` equal those of `b`, ASCII letters compared without regard to case.
pub(crate) fn eq_ignore_case_bytes(a: impl IntoIterator<Item = u8>, b: &str) -> bool {
    let mut a = a.into_iter();
    for expected in b.bytes() {
        match a.next() {
            Some(got) if got.eq_ignore_ascii_case(&expected) => {}
            _ => return false,
        }
    }
    a.next().is_none()
}

/// Shared lexing for the SIP header grammars (RFC 3261 §25.1 basic rules).
///
/// All scanning is by byte. A position the lexer stops at is either the end of the input or an
/// ASCII byte, so it is always a `char` boundary; slices are still taken with `str::get` so a
/// mistake can only produce an error, never a panic.
pub(crate) mod lex {
    use super::{ErrorKind, GenericParam, GrammarError};

    /// RFC 3261 `token` characters: `alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~"`.
    #[inline]
    pub(crate) fn is_token_char(b: u8) -> bool {
        TOKEN[usize::from(b)]
    }

    /// `token` characters as a table: one load per byte on the hot paths (Reason, dispatch).
    static TOKEN: [bool; 256] = super::alnum_and(b"-.!%*_+`'~");

    /// Bytes a quoted string takes as they are (`qdtext` and UTF-8): anything but controls other
    /// than HTAB, DEL, `"` and `\\`. The others need a closer look.
    static QDTEXT_PLAIN: [bool; 256] = {
        let mut t = [false; 256];
        let mut b = 0;
        while b < 256 {
            let c = b as u8;
            t[b] = (c >= 0x20 && c != 0x7f && c != b'"' && c != b'\\') || c == b'\t';
            b += 1;
        }
        t
    };

    /// How many bytes from the start of `bytes` satisfy `table`.
    #[inline]
    fn run(bytes: &[u8], table: &[bool; 256]) -> usize {
        bytes.iter().position(|&b| !table[usize::from(b)]).unwrap_or(bytes.len())
    }

    /// How many bytes from the start of `bytes` are `token` characters.
    #[inline]
    pub(crate) fn token_run(bytes: &[u8]) -> usize {
        run(bytes, &TOKEN)
    }

    /// How many bytes from the start of `bytes` a quoted string takes as they are (no `"`, `\`,
    /// line break or other control but HTAB).
    ///
    /// Eight bytes at a time while a word has none of the bytes to look at closer (a control,
    /// HTAB included, DEL, `"`, `\`): quoted values are mostly long runs of plain text (a
    /// percent-encoded ICSI). The first such byte of a word is where the run ends unless it is
    /// an HTAB (plain, but flagged with the controls); from an HTAB on, and in a value shorter
    /// than a word, the bytes go through [`QDTEXT_PLAIN`]. Fewer than eight bytes left after
    /// whole words are read as the last eight of the value, overlapping bytes known plain (the
    /// closing quote of a `Reason` text is found there without a byte loop).
    #[inline]
    pub(crate) fn qdtext_plain_run(bytes: &[u8]) -> usize {
        let mut rest = bytes;
        while let Some((chunk, tail)) = rest.split_first_chunk::<8>() {
            let flags = qdtext_flags(u64::from_le_bytes(*chunk));
            if flags != 0 {
                return bytes.len() - rest.len() + stop_in_word(chunk, flags, rest);
            }
            rest = tail;
        }
        let done = bytes.len() - rest.len();
        if done > 0 && !rest.is_empty() {
            // The last word of the value: its first `8 - rest.len()` bytes were read above,
            // none of them flagged, so the flags left after shifting them out are exact.
            if let Some(last) = bytes.last_chunk::<8>() {
                let skip = 8 - rest.len();
                let flags = qdtext_flags(u64::from_le_bytes(*last)) >> (8 * skip);
                return if flags == 0 { bytes.len() } else { done + stop_in_word(rest, flags, rest) };
            }
        }
        done + run(rest, &QDTEXT_PLAIN)
    }

    /// Where the plain run ends in `rest`, whose first bytes are `word` and `flags` its flags
    /// (not zero): at the first flagged byte, unless that is an HTAB, which is plain and after
    /// which the word tests are no longer exact (a borrow from it may flag the next byte).
    #[inline]
    fn stop_in_word(word: &[u8], flags: u64, rest: &[u8]) -> usize {
        let at = (flags.trailing_zeros() / 8) as usize;
        match word.get(at) {
            Some(&b'\t') | None => run(rest, &QDTEXT_PLAIN),
            Some(_) => at,
        }
    }

    /// The top bit of each byte of `w` that is below 0x20, DEL, `"` or `\` (the well-known
    /// "has a zero byte" and "has a byte less than" word tests). Exact as to whether there is
    /// one; bytes above the first flagged one may be flagged wrongly (a borrow), never bytes
    /// below it, so the lowest flag is the first such byte.
    #[inline]
    fn qdtext_flags(w: u64) -> u64 {
        use super::{HIGHS as HIGH, ONES};
        let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
        let below_space = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
        below_space
            | has_zero(w ^ (ONES * 0x7f))
            | has_zero(w ^ (ONES * u64::from(b'"')))
            | has_zero(w ^ (ONES * u64::from(b'\\')))
    }

    /// A cursor over one header field value.
    #[derive(Debug, Clone)]
    pub(crate) struct Cursor<'a> {
        s: &'a str,
        pos: usize,
        header: &'static str,
    }

    impl<'a> Cursor<'a> {
        pub(crate) fn new(s: &'a str, header: &'static str) -> Cursor<'a> {
            Cursor { s, pos: 0, header }
        }

        pub(crate) fn pos(&self) -> usize {
            self.pos
        }

        pub(crate) fn set_pos(&mut self, pos: usize) {
            self.pos = pos;
        }

        fn bytes(&self) -> &'a [u8] {
            self.s.as_bytes()
        }

        /// The bytes not read yet.
        pub(crate) fn rest(&self) -> &'a [u8] {
            match self.bytes().get(self.pos..) {
                Some(rest) => rest,
                // A position past the end (which no rule produces) is the end of the value, as
                // for `peek` (`None`) and `is_eof`: nothing is left to read, and a caller that
                // needs more reports the end of the value as its error.
                None => &[],
            }
        }

        pub(crate) fn peek(&self) -> Option<u8> {
            self.bytes().get(self.pos).copied()
        }

        pub(crate) fn peek_at(&self, off: usize) -> Option<u8> {
            self.bytes().get(self.pos + off).copied()
        }

        pub(crate) fn is_eof(&self) -> bool {
            self.pos >= self.s.len()
        }

        pub(crate) fn bump(&mut self) {
            self.pos += 1;
        }

        /// The text between byte offsets `a` and `b`. Offsets that are not in order, in the
        /// value and on char boundaries (which the scanning rules above never produce) are an
        /// error at `a`, never an empty piece.
        pub(crate) fn slice(&self, a: usize, b: usize) -> Result<&'a str, GrammarError> {
            self.s.get(a..b).ok_or(GrammarError::new(self.header, ErrorKind::Invalid("position"), a))
        }

        /// An error of `kind` at the current position.
        pub(crate) fn err(&self, kind: ErrorKind) -> GrammarError {
            GrammarError::new(self.header, kind, self.pos)
        }

        /// The error for whatever is at the current position when something else was expected:
        /// `expected` at the end of the value, else the unexpected character.
        pub(crate) fn unexpected(&self, expected: ErrorKind) -> GrammarError {
            match self.s.get(self.pos..).and_then(|r| r.chars().next()) {
                None => self.err(expected),
                Some(c) => self.err(ErrorKind::Unexpected(c)),
            }
        }

        /// Skips `SWS`/`LWS`: spaces, tabs and line folds (CRLF or LF followed by a space or tab).
        pub(crate) fn sws(&mut self) {
            loop {
                match self.peek() {
                    Some(b' ' | b'\t') => self.pos += 1,
                    Some(b'\r') if self.peek_at(1) == Some(b'\n') && is_wsp(self.peek_at(2)) => self.pos += 3,
                    Some(b'\n') if is_wsp(self.peek_at(1)) => self.pos += 2,
                    _ => return,
                }
            }
        }

        /// Consumes `SWS c SWS` if `c` comes next (after optional whitespace), else moves nothing.
        pub(crate) fn eat_sep(&mut self, c: u8) -> bool {
            let save = self.pos;
            self.sws();
            if self.peek() == Some(c) {
                self.pos += 1;
                self.sws();
                true
            } else {
                self.pos = save;
                false
            }
        }

        /// One or more token characters.
        pub(crate) fn token(&mut self) -> Result<&'a str, GrammarError> {
            let start = self.pos;
            self.pos += run(self.rest(), &TOKEN);
            if self.pos == start {
                return Err(self.unexpected(ErrorKind::ExpectedToken));
            }
            self.slice(start, self.pos)
        }

        /// One or more ASCII digits.
        pub(crate) fn digits(&mut self) -> Result<&'a str, GrammarError> {
            let start = self.pos;
            while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                self.pos += 1;
            }
            if self.pos == start {
                return Err(self.err(ErrorKind::ExpectedNumber));
            }
            self.slice(start, self.pos)
        }

        /// A `quoted-string` starting at the current `"`; returns it with its quotes.
        ///
        /// `qdtext` is any character but `"`, `\` and controls other than tab and line folds;
        /// `quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)`.
        pub(crate) fn quoted_string(&mut self) -> Result<&'a str, GrammarError> {
            let start = self.pos;
            if self.peek() != Some(b'"') {
                return Err(self.err(ErrorKind::Expected("'\"'")));
            }
            self.pos += 1;
            loop {
                self.pos += qdtext_plain_run(self.rest());
                match self.peek() {
                    None => return Err(GrammarError::new(self.header, ErrorKind::UnterminatedQuote, start)),
                    Some(b'"') => {
                        self.pos += 1;
                        return self.slice(start, self.pos);
                    }
                    Some(b'\\') => match self.peek_at(1) {
                        Some(b) if b.is_ascii() && b != b'\n' && b != b'\r' => self.pos += 2,
                        None => {
                            return Err(GrammarError::new(self.header, ErrorKind::UnterminatedQuote, start))
                        }
                        Some(_) => return Err(self.err(ErrorKind::BadEscape)),
                    },
                    Some(b'\r' | b'\n') => {
                        let save = self.pos;
                        self.sws();
                        if self.pos == save {
                            return Err(self.unexpected(ErrorKind::Expected("a line fold")));
                        }
                    }
                    Some(b) if b < 0x20 && b != b'\t' || b == 0x7f => {
                        return Err(self.unexpected(ErrorKind::UnterminatedQuote))
                    }
                    Some(_) => self.pos += 1,
                }
            }
        }

        /// `gen-value = token / host / quoted-string` (RFC 3261 §25.1), as written.
        pub(crate) fn gen_value(&mut self) -> Result<&'a str, GrammarError> {
            match self.peek() {
                Some(b'"') => self.quoted_string(),
                Some(b'[') => {
                    // IPv6reference = "[" IPv6address "]"
                    let start = self.pos;
                    self.pos += 1;
                    while self.peek().is_some_and(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.') {
                        self.pos += 1;
                    }
                    if self.peek() != Some(b']') {
                        return Err(self.unexpected(ErrorKind::Expected("']'")));
                    }
                    self.pos += 1;
                    self.slice(start, self.pos)
                }
                _ => self.token(),
            }
        }

        /// `generic-param = token [ EQUAL gen-value ]`, the cursor at the token.
        pub(crate) fn generic_param(&mut self) -> Result<GenericParam<'a>, GrammarError> {
            let name = self.token()?;
            let value = if self.eat_sep(b'=') { Some(self.gen_value()?) } else { None };
            Ok(GenericParam { name, value })
        }

        /// After an item of a comma list: `true` if a `COMMA` follows (consumed), `false` at the
        /// end of the value (trailing whitespace consumed), an error for anything else.
        pub(crate) fn list_next(&mut self) -> Result<bool, GrammarError> {
            if self.eat_sep(b',') {
                return Ok(true);
            }
            self.sws();
            if self.is_eof() {
                Ok(false)
            } else {
                Err(self.unexpected(ErrorKind::Trailing))
            }
        }
    }

    /// The engine of the lazy comma-list iterators (Accept-Contact values, Service-IDs): an
    /// empty value yields one [`ErrorKind::Empty`] error, items are read one per call with the
    /// parser given, and after the first error (or the end) nothing more is read.
    #[derive(Debug, Clone)]
    pub(crate) struct LazyList<'a> {
        c: Cursor<'a>,
        state: ListState,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum ListState {
        Start,
        Item,
        Done,
    }

    impl<'a> LazyList<'a> {
        pub(crate) fn new(value: &'a str, header: &'static str) -> LazyList<'a> {
            LazyList { c: Cursor::new(value, header), state: ListState::Start }
        }

        /// The next item, read with `item`; `None` after the last one or after an error.
        pub(crate) fn next_with<T>(
            &mut self,
            item: impl FnOnce(&mut Cursor<'a>) -> Result<T, GrammarError>,
        ) -> Option<Result<T, GrammarError>> {
            let c = &mut self.c;
            let started = match self.state {
                ListState::Done => return None,
                ListState::Start => {
                    c.sws();
                    if c.is_eof() {
                        Err(c.err(ErrorKind::Empty))
                    } else {
                        Ok(true)
                    }
                }
                ListState::Item => c.list_next(),
            };
            let read = match started {
                Ok(true) => item(c),
                Ok(false) => {
                    self.state = ListState::Done;
                    return None;
                }
                Err(e) => Err(e),
            };
            self.state = if read.is_ok() { ListState::Item } else { ListState::Done };
            Some(read)
        }
    }

    fn is_wsp(b: Option<u8>) -> bool {
        matches!(b, Some(b' ' | b'\t'))
    }

    /// Parses a run of decimal digits into a `u32`; `None` when it does not fit.
    pub(crate) fn parse_u32(digits: &str) -> Option<u32> {
        let mut n: u32 = 0;
        for b in digits.bytes() {
            n = n.checked_mul(10)?.checked_add(u32::from(b.wrapping_sub(b'0')))?;
        }
        Some(n)
    }

    /// The content of a quoted string with its `\` escapes removed; borrowed when it has none.
    pub(crate) fn unescape(inner: &str) -> std::borrow::Cow<'_, str> {
        if !inner.contains('\\') {
            return std::borrow::Cow::Borrowed(inner);
        }
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else {
                out.push(c);
            }
        }
        std::borrow::Cow::Owned(out)
    }
}

#[cfg(test)]
mod decode_tests {
    use super::{percent_decode_into, percent_decoded};
    use crate::grammar::service::CpmService;

    #[test]
    fn trim_is_str_trim() {
        // Values with nothing to trim (the quick answer) and with ASCII or Unicode white space
        // at either end, or a first or last byte that is not visible ASCII (`str::trim` decides).
        for s in [
            "",
            " ",
            "a",
            " a",
            "a ",
            "\ta\t",
            "4564dpWd",
            "1-2048/1048576",
            "\u{2003}x",
            "x\u{a0}",
            "é",
            "a b",
            "\u{85}",
        ] {
            assert_eq!(super::trim(s), s.trim(), "{s:?}");
        }
    }
    use proptest::prelude::*;

    fn check(s: &str) {
        let expected: Vec<u8> = percent_decoded(s).collect();
        let mut buf = [0u8; 64];
        match percent_decode_into(s.as_bytes(), &mut buf) {
            Some(decoded) => assert_eq!(decoded, &expected[..], "{s:?}"),
            None => assert!(expected.len() > buf.len(), "{s:?} fits but was refused"),
        }
        assert_eq!(CpmService::identify(s), CpmService::identify_bytes(percent_decoded(s)), "{s:?}");
    }

    #[test]
    fn decoding_into_a_buffer_is_decoding_on_the_fly() {
        for s in [
            "",
            "%",
            "%4",
            "%41",
            "%zz%41%",
            "a%3Ab%3ac",
            "urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session",
            "urn%3aurn-7%3A3gpp-service.ims.icsi.oma.cpm.SESSION.group",
            "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.msgfoo",
            &"x".repeat(64),
            &"x".repeat(65),
            &"%41".repeat(64),
        ] {
            check(s);
        }
    }

    /// `a` with `fold` applied to each byte, then one byte changed (also folded) and one more
    /// byte added, as asked: a slice equal to `a` after folding, or one that differs a little.
    fn near(
        a: &[u8],
        change: Option<(prop::sample::Index, u8)>,
        longer: bool,
        fold: fn(u8) -> u8,
    ) -> Vec<u8> {
        let mut b: Vec<u8> = a.iter().map(|&c| fold(c)).collect();
        if let Some((i, byte)) = change {
            if !b.is_empty() {
                let i = i.index(b.len());
                b[i] = fold(byte);
            }
        }
        if longer {
            b.push(b'x');
        }
        b
    }

    proptest! {
        /// The word-at-a-time quoted-text run is the byte-at-a-time one.
        #[test]
        fn qdtext_run_is_per_byte(
            bytes in proptest::collection::vec(
                prop_oneof![8 => 0x20u8..0x7f, 1 => any::<u8>(), 1 => Just(b'\t')], 0..40,
            ),
        ) {
            let expected = bytes
                .iter()
                .position(|&b| !((b >= 0x20 && b != 0x7f && b != b'"' && b != b'\\') || b == b'\t'))
                .unwrap_or(bytes.len());
            prop_assert_eq!(super::lex::qdtext_plain_run(&bytes), expected);
        }

        /// Long plain runs ending anywhere (in a whole word, in the overlapping last word, after
        /// an HTAB) on each kind of byte that ends them, or not at all.
        #[test]
        fn qdtext_run_ends_where_the_bytes_say(
            plain in proptest::collection::vec(prop_oneof![20 => 0x20u8..0x7f, 1 => Just(b'\t'), 1 => 0x80u8..], 0..30),
            stop in proptest::option::of(prop_oneof![Just(b'"'), Just(b'\\'), Just(0x7f), 0u8..0x20]),
            after in proptest::collection::vec(any::<u8>(), 0..10),
        ) {
            let mut bytes = plain;
            bytes.extend(stop);
            bytes.extend(after);
            let expected = bytes
                .iter()
                .position(|&b| !((b >= 0x20 && b != 0x7f && b != b'"' && b != b'\\') || b == b'\t'))
                .unwrap_or(bytes.len());
            prop_assert_eq!(super::lex::qdtext_plain_run(&bytes), expected);
        }

        /// Case folding eight bytes at a time is `to_ascii_lowercase` on each.
        #[test]
        fn lower_word_is_per_byte(w in any::<u64>()) {
            let expected = u64::from_le_bytes(w.to_le_bytes().map(|b| b.to_ascii_lowercase()));
            prop_assert_eq!(super::to_lower_word(w), expected);
        }

        /// `eq_lowercase` is `eq_ignore_ascii_case` against a lowercase pattern.
        #[test]
        fn eq_lowercase_is_eq_ignore_ascii_case(
            a in proptest::collection::vec(any::<u8>(), 0..40),
            change in proptest::option::of((any::<prop::sample::Index>(), any::<u8>())),
            longer in any::<bool>(),
        ) {
            let b = near(&a, change, longer, |c| c.to_ascii_lowercase());
            prop_assert_eq!(super::eq_lowercase(&a, &b), a.eq_ignore_ascii_case(&b));
            // Both sides folded: `b` in any case.
            let upper = b.to_ascii_uppercase();
            prop_assert_eq!(super::eq_ignore_case(&a, &upper), a.eq_ignore_ascii_case(&upper));
            prop_assert_eq!(super::eq_ignore_case(&upper, &a), a.eq_ignore_ascii_case(&upper));
        }

        /// `eq_bytes` is slice equality: one byte changed anywhere, or one more byte, is told.
        #[test]
        fn eq_bytes_is_slice_equality(
            a in proptest::collection::vec(any::<u8>(), 0..48),
            change in proptest::option::of((any::<prop::sample::Index>(), any::<u8>())),
            longer in any::<bool>(),
        ) {
            let b = near(&a, change, longer, |c| c);
            prop_assert_eq!(super::eq_bytes(&a, &b), a == b);
            prop_assert_eq!(super::eq_bytes(&b, &a), a == b);
            prop_assert!(super::eq_bytes(&a, &a.clone()));
        }

        #[test]
        fn decoding_into_a_buffer_matches(s in "([a-zA-Z0-9.:%-]|%[0-9a-fA-F]{2}){0,80}") {
            check(&s);
        }
    }
}
