//! RFC 5322 header lines: sanitizing values taken from the network, folding, and a body's
//! transfer encoding, base64 when it is not UTF-8 CRLF text (RFC 5322 §2.1.1, §2.2.3; RFC 2045
//! §6; MS-7).
//!
//! Rules applied to every header this module writes:
//! - each line ends in CRLF;
//! - a value never carries CR, LF or another control character: each is replaced by a space
//!   ([`sanitize_value`]), so a value taken from a SIP request cannot inject a header or end the
//!   header section (header injection);
//! - runs of white space become one space and the value is trimmed (unfolding `CRLF WSP` gives
//!   back the same text; RFC 5322 gives such runs no meaning in the headers written here);
//! - lines are folded before a space so that they stay within 78 characters where a word allows
//!   it (§2.1.1 SHOULD; [`write_header`]), or within a limit the caller gives
//!   ([`write_header_folded_at`]: the `rcs` profile folds only past 998 octets, MS-7); a single
//!   word longer than a line is kept whole up to the hard limit of 998 octets and only then split
//!   (with `CRLF SP`, at a character boundary), so no line ever exceeds 998 octets (§2.1.1 MUST).
//!
//! Non-ASCII text (UTF-8) is written as is (RFC 6532 internationalized headers).

use std::borrow::Cow;

/// Preferred maximum line length, CRLF excluded (RFC 5322 §2.1.1 SHOULD).
pub const SOFT_LINE_LIMIT: usize = 78;
/// Hard maximum line length, CRLF excluded (RFC 5322 §2.1.1 MUST).
pub const HARD_LINE_LIMIT: usize = 998;

/// `value` with every ASCII control character (CR and LF included, HTAB excepted) replaced by a
/// space: the defence against header injection for values taken from the network. Borrowed when
/// there is nothing to replace.
///
/// ```
/// use cpm_pf::objects::sanitize_value;
/// assert_eq!(sanitize_value("hi\r\nBcc: x"), "hi  Bcc: x");
/// assert_eq!(sanitize_value("tel:+1"), "tel:+1");
/// ```
pub fn sanitize_value(value: &str) -> Cow<'_, str> {
    if value.bytes().any(is_unsafe) {
        Cow::Owned(value.chars().map(|c| if c.is_ascii() && is_unsafe(c as u8) { ' ' } else { c }).collect())
    } else {
        Cow::Borrowed(value)
    }
}

fn is_unsafe(b: u8) -> bool {
    (b.is_ascii_control() && b != b'\t') || b == 0x7F
}

/// Appends the header field `name: value` CRLF to `out`, sanitized and folded (see the module
/// documentation). `name` is one of the library's own header names and must be a valid field
/// name (printable ASCII without `:`); it is not checked.
///
/// ```
/// use cpm_pf::objects::write_header;
/// let mut out = Vec::new();
/// write_header(&mut out, "Subject", "line one\r\nBcc: victim@example.com");
/// assert_eq!(out, b"Subject: line one Bcc: victim@example.com\r\n");
/// ```
pub fn write_header(out: &mut Vec<u8>, name: &str, value: &str) {
    write_header_folded_at(out, name, value, SOFT_LINE_LIMIT);
}

/// [`write_header`] folding only before a word that would take the line past `fold_at`
/// octets (clamped to [`HARD_LINE_LIMIT`]). The `rcs` profile passes [`HARD_LINE_LIMIT`]: a
/// line is then folded only when it would exceed 998 octets (MS-7), as deployed clients
/// unfold by removing CRLF and the space after it.
pub fn write_header_folded_at(out: &mut Vec<u8>, name: &str, value: &str, fold_at: usize) {
    let fold_at = fold_at.min(HARD_LINE_LIMIT);
    let value = sanitize_value(value);
    out.extend_from_slice(name.as_bytes());
    out.push(b':');
    let mut line_len = name.len() + 1;
    let mut words_on_line = 0usize;
    for word in value.split_ascii_whitespace() {
        // Fold before this word when it would pass the soft limit and the line already holds
        // a word (never leave the field name alone on its line without need).
        if words_on_line > 0 && line_len + 1 + word.len() > fold_at {
            out.extend_from_slice(b"\r\n");
            line_len = 0;
            words_on_line = 0;
        }
        if line_len + 1 + word.len() <= HARD_LINE_LIMIT {
            out.push(b' ');
            out.extend_from_slice(word.as_bytes());
            line_len += 1 + word.len();
        } else {
            // A word too long for any line: split it at character boundaries.
            let mut rest = word;
            while !rest.is_empty() {
                let room = HARD_LINE_LIMIT.saturating_sub(line_len + 1);
                if room < 4 {
                    out.extend_from_slice(b"\r\n");
                    line_len = 0;
                    continue;
                }
                let mut cut = room.min(rest.len());
                while !rest.is_char_boundary(cut) {
                    cut -= 1;
                }
                out.push(b' ');
                out.extend_from_slice(&rest.as_bytes()[..cut]);
                line_len += 1 + cut;
                rest = &rest[cut..];
            }
        }
        words_on_line += 1;
    }
    out.extend_from_slice(b"\r\n");
}

/// How a body is written so that an IMAP server returns it octet for octet (RFC 2045 §2.7–2.8,
/// §6.8; MS-7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferEncoding {
    /// US-ASCII lines of at most 998 octets, CRLF only, no NUL: written as is, no header.
    SevenBit,
    /// The same in UTF-8 with octets above 127: written as is, `8bit`.
    EightBit,
    /// Anything else (not UTF-8, bare CR or LF, NUL, a line over 998 octets): `base64`, in
    /// lines of 76 characters (RFC 2045 §6.8).
    Base64,
}

impl TransferEncoding {
    /// The encoding `body` needs: 7bit or 8bit when it is UTF-8 text with CRLF line ends,
    /// else base64.
    pub fn of(body: &[u8]) -> TransferEncoding {
        let mut eight_bit = false;
        let mut line = 0usize;
        let mut i = 0;
        while i < body.len() {
            match body[i] {
                b'\r' if body.get(i + 1) == Some(&b'\n') => {
                    line = 0;
                    i += 2;
                    continue;
                }
                b'\r' | b'\n' | 0 => return TransferEncoding::Base64,
                b if b >= 0x80 => eight_bit = true,
                _ => {}
            }
            line += 1;
            if line > HARD_LINE_LIMIT {
                return TransferEncoding::Base64;
            }
            i += 1;
        }
        if !eight_bit {
            TransferEncoding::SevenBit
        } else if core::str::from_utf8(body).is_ok() {
            TransferEncoding::EightBit
        } else {
            TransferEncoding::Base64
        }
    }

    /// The `Content-Transfer-Encoding` value, or `None` for 7bit (the default, not written).
    pub fn header_value(self) -> Option<&'static str> {
        match self {
            TransferEncoding::SevenBit => None,
            TransferEncoding::EightBit => Some("8bit"),
            TransferEncoding::Base64 => Some("base64"),
        }
    }
}

/// Appends `Content-Transfer-Encoding` when `body` needs one, the blank line ending a header
/// section, and `body` in that encoding (MS-7).
pub(crate) fn write_encoded_body(out: &mut Vec<u8>, body: &[u8]) {
    let encoding = TransferEncoding::of(body);
    if let Some(cte) = encoding.header_value() {
        write_header(out, "Content-Transfer-Encoding", cte);
    }
    out.extend_from_slice(b"\r\n");
    if encoding != TransferEncoding::Base64 {
        out.extend_from_slice(body);
        return;
    }
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(body);
    for (i, line) in encoded.as_bytes().chunks(76).enumerate() {
        if i > 0 {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(line);
    }
}

/// `text` with every line end (CRLF, bare LF or bare CR) written as CRLF.
pub(crate) fn crlf_lines(text: &str) -> Cow<'_, str> {
    let b = text.as_bytes();
    let clean = b.iter().enumerate().all(|(i, &c)| match c {
        b'\r' => b.get(i + 1) == Some(&b'\n'),
        b'\n' => i > 0 && b[i - 1] == b'\r',
        _ => true,
    });
    if clean {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\r\n");
            }
            '\n' => out.push_str("\r\n"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn header(name: &str, value: &str) -> String {
        let mut out = Vec::new();
        write_header(&mut out, name, value);
        String::from_utf8(out).unwrap()
    }

    /// Every line ends in CRLF, no bare CR/LF, no line longer than `limit`.
    fn check_lines(s: &str, limit: usize) {
        assert!(s.ends_with("\r\n"), "{s:?}");
        for line in s[..s.len() - 2].split("\r\n") {
            assert!(!line.contains('\r') && !line.contains('\n'), "bare CR/LF in {line:?}");
            assert!(line.len() <= limit, "line of {} > {limit}: {line:?}", line.len());
        }
    }

    #[test]
    fn short_value_is_one_line() {
        assert_eq!(header("From", "tel:+33643209850"), "From: tel:+33643209850\r\n");
        assert_eq!(header("Subject", ""), "Subject:\r\n");
        assert_eq!(header("Subject", "  a \t  b  "), "Subject: a b\r\n");
    }

    #[test]
    fn long_value_folds_at_whitespace_before_78() {
        let value = "word ".repeat(40);
        let s = header("Subject", &value);
        check_lines(&s, SOFT_LINE_LIMIT);
        assert!(s.lines().count() > 1);
        // Continuation lines start with white space (RFC 5322 §2.2.3).
        for line in s.split("\r\n").skip(1).filter(|l| !l.is_empty()) {
            assert!(line.starts_with(' '), "{line:?}");
        }
        // Unfolding gives back the value.
        let unfolded = s.trim_end_matches("\r\n").replace("\r\n", "");
        assert_eq!(unfolded, format!("Subject: {}", value.trim_end()));
    }

    #[test]
    fn long_word_stays_whole_up_to_998() {
        let word = "x".repeat(500);
        let s = header("Accept-Contact", &format!("a {word} b"));
        // `b` then passes 78 and goes on a line of its own.
        assert_eq!(s, format!("Accept-Contact: a\r\n {word}\r\n b\r\n"));
    }

    #[test]
    fn giant_word_is_split_below_998() {
        let word = "é".repeat(1500); // 3000 octets, two per character
        let s = header("Subject", &word);
        check_lines(&s, HARD_LINE_LIMIT);
        assert_eq!(s.trim_end_matches("\r\n").replace("\r\n ", ""), format!("Subject: {word}"));
    }

    #[test]
    fn header_injection_is_defused() {
        let s = header("Subject", "hello\r\nBcc: victim@example.com\r\n\r\nbody");
        assert_eq!(s, "Subject: hello Bcc: victim@example.com body\r\n");
        let s = header("From", "a\rb\nc\0d\x1be");
        assert_eq!(s, "From: a b c d e\r\n");
    }

    #[test]
    fn transfer_encodings() {
        assert_eq!(TransferEncoding::of(b""), TransferEncoding::SevenBit);
        assert_eq!(TransferEncoding::of(b"a\r\nb"), TransferEncoding::SevenBit);
        assert_eq!(TransferEncoding::of("é\r\n".as_bytes()), TransferEncoding::EightBit);
        assert_eq!(TransferEncoding::of(b"a\nb"), TransferEncoding::Base64);
        assert_eq!(TransferEncoding::of(b"a\rb"), TransferEncoding::Base64);
        assert_eq!(TransferEncoding::of(b"a\r"), TransferEncoding::Base64);
        assert_eq!(TransferEncoding::of(b"a\0b"), TransferEncoding::Base64);
        assert_eq!(TransferEncoding::of(&[0xC3, 0x28]), TransferEncoding::Base64);
        assert_eq!(TransferEncoding::of(&[b'a'; 998]), TransferEncoding::SevenBit);
        assert_eq!(TransferEncoding::of(&[b'a'; 999]), TransferEncoding::Base64);
    }

    #[test]
    fn line_ends_become_crlf() {
        assert_eq!(crlf_lines("a\nb\r\nc\rd"), "a\r\nb\r\nc\r\nd");
        assert!(matches!(crlf_lines("a\r\nb"), Cow::Borrowed(_)));
    }

    proptest! {
        #[test]
        fn any_value_gives_valid_lines(value in any::<String>(), name in "[A-Za-z-]{1,30}") {
            let s = header(&name, &value);
            check_lines(&s, HARD_LINE_LIMIT);
            let prefix = format!("{}:", name);
            prop_assert!(s.starts_with(&prefix));
        }

        #[test]
        fn wordy_values_stay_under_78(words in proptest::collection::vec("[!-~]{1,60}", 0..40)) {
            let s = header("Subject", &words.join(" "));
            check_lines(&s, SOFT_LINE_LIMIT);
            prop_assert_eq!(s.trim_end_matches("\r\n").replace("\r\n", ""),
                format!("Subject:{}", words.iter().map(|w| format!(" {w}")).collect::<String>()));
        }
    }
}
