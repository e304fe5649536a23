//! The MSRP `Message-ID` ident (RFC 4975 §9): `ident = ALPHANUM 3*31(ALPHANUM / "." / "-" / "+" / "%" / "=")`.

use core::fmt;

use super::{ErrorKind, GrammarError};

const HEADER: &str = "Message-ID";

/// An MSRP Message-ID: 4 to 32 characters, stored inline (no allocation, `Copy`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageId {
    len: u8,
    bytes: [u8; 32],
}

impl MessageId {
    /// Parses an ident; surrounding whitespace is not allowed.
    ///
    /// ```
    /// use cpm_pf::grammar::message_id::MessageId;
    /// assert_eq!(MessageId::parse("87652491").unwrap().as_str(), "87652491");
    /// assert!(MessageId::parse("abc").is_err()); // fewer than 4 characters
    /// ```
    pub fn parse(s: &str) -> Result<MessageId, GrammarError> {
        MessageId::parse_ascii(s.as_bytes()).ok_or_else(|| why_not(s))
    }

    /// The ident in `b`, or `None` when `b` is not one (no error detail: the caller that needs
    /// one calls [`MessageId::parse`]). An ident is ASCII, so `b` needs no UTF-8 check first.
    pub(crate) fn parse_ascii(b: &[u8]) -> Option<MessageId> {
        MessageId::is_ident(b).then(|| MessageId::copy_of(b))
    }

    /// Whether `b` is an ident: the check of [`MessageId::parse_ascii`] without building the
    /// value, for callers that only need to know.
    pub(crate) fn is_ident(b: &[u8]) -> bool {
        MessageId::ident_at(b) == Some(b.len())
    }

    /// The length of the ident that `b` begins with (up to its first byte that is not an ident
    /// character), or `None` when that is not an ident: for a caller that finds where an ident
    /// ends and checks it in the same pass.
    pub(crate) fn ident_at(b: &[u8]) -> Option<usize> {
        let first_ok = b.first().is_some_and(u8::is_ascii_alphanumeric);
        let len = b.iter().position(|&c| !is_ident_char(c)).unwrap_or(b.len());
        (first_ok && (4..=32).contains(&len)).then_some(len)
    }

    /// The ident in `b`, which the caller checked with [`MessageId::is_ident`]: not checked again
    /// (at most 32 bytes are kept).
    pub(crate) fn copy_of(b: &[u8]) -> MessageId {
        debug_assert!(MessageId::is_ident(b), "{b:?} is not an ident");
        let b = b.get(..32).unwrap_or(b);
        let mut bytes = [0u8; 32];
        if let Some(slot) = bytes.get_mut(..b.len()) {
            slot.copy_from_slice(b);
        }
        MessageId { len: b.len() as u8, bytes }
    }

    /// The ident's bytes (ASCII).
    pub fn as_bytes(&self) -> &[u8] {
        match self.bytes.get(..usize::from(self.len)) {
            Some(ident) => ident,
            // `len` is at most 32: `copy_of`, the only constructor, keeps at most 32 bytes and
            // says how many. Were it more, the 32 bytes kept are the ident (not nothing).
            None => &self.bytes,
        }
    }

    /// The ident as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII bytes are ever stored, so this cannot fail; fall back to "" rather than panic.
        core::str::from_utf8(self.as_bytes()).unwrap_or("")
    }
}

/// `ALPHANUM / "." / "-" / "+" / "%" / "="`, by table: Message-IDs are checked on every MSRP
/// chunk.
fn is_ident_char(c: u8) -> bool {
    const IDENT: [bool; 256] = super::alnum_and(b".-+%=");
    IDENT[usize::from(c)]
}

/// Why `s` is not an ident, in the order the grammar reads it: empty, a first character that
/// is not alphanumeric, a character outside the ident set, too short, too long.
fn why_not(s: &str) -> GrammarError {
    let b = s.as_bytes();
    let kind_at = if b.is_empty() {
        (ErrorKind::Empty, 0)
    } else if !b.first().is_some_and(u8::is_ascii_alphanumeric) {
        (ErrorKind::Unexpected(char_at(s, 0)), 0)
    } else if let Some(i) = b.iter().position(|&c| !is_ident_char(c)) {
        (ErrorKind::Unexpected(char_at(s, i)), i)
    } else if b.len() < 4 {
        (ErrorKind::Invalid("ident shorter than 4 characters"), b.len())
    } else {
        (ErrorKind::TooLong, 32)
    };
    GrammarError::new(HEADER, kind_at.0, kind_at.1)
}

fn char_at(s: &str, i: usize) -> char {
    s.get(i..).and_then(|r| r.chars().next()).unwrap_or('\u{FFFD}')
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MessageId({:?})", self.as_str())
    }
}

impl core::str::FromStr for MessageId {
    type Err = GrammarError;
    fn from_str(s: &str) -> Result<MessageId, GrammarError> {
        MessageId::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn parse_ascii_follows_the_ident_rule(
            b in prop_oneof![
                "[a-zA-Z0-9.+%=-]{0,36}".prop_map(String::into_bytes),
                proptest::collection::vec(prop_oneof![0x20u8..0x7f, any::<u8>()], 0..40),
            ]
        ) {
            // RFC 4975: ident = ALPHANUM 3*31(ALPHANUM / "." / "-" / "+" / "%" / "=")
            let rest_ok = |c: &u8| c.is_ascii_alphanumeric() || b".-+%=".contains(c);
            let is_ident = (4..=32).contains(&b.len())
                && b[0].is_ascii_alphanumeric()
                && b[1..].iter().all(rest_ok);
            let got = MessageId::parse_ascii(&b);
            prop_assert_eq!(got.is_some(), is_ident);
            if let Some(id) = got {
                prop_assert_eq!(id.as_bytes(), &b[..]);
            }
            let text = core::str::from_utf8(&b).ok();
            if let Some(t) = text {
                prop_assert_eq!(MessageId::parse(t).is_ok(), is_ident);
            }
        }
    }
}
