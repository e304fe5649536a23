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

/// A generic parameter (`generic-param = token [ EQUAL gen-value ]`, RFC 3261 §25.1), borrowed.
/// The value is kept exactly as written, quotes included for a quoted string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenericParam<'a> {
    /// Parameter name, as written.
    pub name: &'a str,
    /// Parameter value as written (a quoted string keeps its quotes), if any.
    pub value: Option<&'a str>,
}
