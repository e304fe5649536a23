//! MSRP frames (RFC 4975 §9 grammar, §7.1 framing): an incremental, bounded, zero-copy parser.
//!
//! ```text
//! msrp-request  = req-start headers [content-stuff] end-line
//! msrp-response = resp-start headers end-line
//! req-start     = "MSRP" SP transact-id SP method CRLF
//! resp-start    = "MSRP" SP transact-id SP status-code [SP comment] CRLF
//! content-stuff = *(Other-Mime-header CRLF) Content-Type 2CRLF data CRLF
//! end-line      = "-------" transact-id continuation-flag CRLF
//! ```
//!
//! Two ways in:
//!
//! - [`parse`] looks at a buffer the caller owns and returns a [`Frame`] borrowing from it, with
//!   how many bytes it took, or [`Parsed::Incomplete`].
//! - [`FrameDecoder`] buffers a byte stream for the caller: [`FrameDecoder::push`] takes the
//!   bytes that fit (it never holds more than the maximum frame size), and
//!   [`FrameDecoder::next_frame`] yields the frames, borrowed from its buffer. It resumes its scan
//!   where it stopped, so byte-at-a-time feeding costs no more than whole-buffer feeding, and it
//!   gives the same frames and errors whatever the split.
//!
//! How the frame is found: the start line gives the transaction id; header lines follow, one per
//! CRLF, until an end-line (a frame without body) or a blank line. After a blank line the body
//! runs up to the CRLF before `-------<transact-id><flag>CRLF`; that CRLF is not part of the body
//! (RFC 4975 §7.1 and erratum 4177). A frame is bounded: when no end-line shows up within the
//! maximum frame size, the frame is [`FrameError::TooLarge`] (MSRP `413`) and the decoder skips
//! to its end-line, never buffering more.
//!
//! A start line is read byte by byte against its grammar, so one that can never become valid
//! (`SEND` then a space, a bare LF, a transaction id of 33 characters) is
//! [`FrameError::BadStartLine`] as soon as the byte that rules it out is seen, not after the
//! maximum frame size.
//!
//! Errors ([`FrameError`]) say what was wrong and the status an answer would carry: `400` when
//! the frame cannot be understood, `413` when it is too large. A request with a method this
//! library does not know is *not* an error: it parses with [`RequestMethod::Other`], and
//! [`Frame::unsupported_method_status`] gives the `501` to answer it with, since answering needs
//! the paths and transaction id that only a parsed frame has.
//!
//! Header names are matched without regard to case; To-Path and From-Path are required in any
//! order. Frames are the input of the chunk reassembler through
//! [`SendRequest::from_frame`](super::SendRequest::from_frame) (docs/requirements.md MSRP-1, REC-5i, LIM-1).

use core::fmt;

use super::Continuation;
use crate::grammar::message_id::MessageId;
use crate::grammar::{alnum_and, word, HIGHS, ONES};

/// The default maximum frame size: a 1 MiB chunk (the default LIM-1 message size) plus room
/// for its headers.
pub const DEFAULT_MAX_FRAME: usize = (1 << 20) + 16 * 1024;

/// MSRP status: the request cannot be understood (RFC 4975 §7.2).
pub const STATUS_BAD_REQUEST: u16 = 400;
/// MSRP status: stop sending this message, it is too large (RFC 4975 §7.2).
pub const STATUS_TOO_LARGE: u16 = 413;
/// MSRP status: the method is not understood (RFC 4975 §7.2).
pub const STATUS_NOT_IMPLEMENTED: u16 = 501;

const END_LINE_DASHES: &[u8] = b"-------";
/// Where a start line's transaction id begins: after `MSRP `.
const TID_AT: usize = 5;
const CRLF: &[u8] = b"\r\n";

/// An MSRP transaction id (`transact-id = ident`, RFC 4975 §9): 4 to 32 characters, stored inline
/// so that errors can carry it without borrowing.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TransactionId(MessageId);

impl TransactionId {
    /// The transaction id of the start line at the beginning of `w`, `tid_len` bytes after
    /// `MSRP `, which the scan checked to be an ident. Built only when an error or the decoder
    /// needs to keep it: the scan itself reads the id where it is.
    fn of_start_line(w: &[u8], tid_len: usize) -> TransactionId {
        // The scan saw `tid_len` ident bytes after `MSRP `; a shorter window would be a bug in
        // the scan, and gives the empty id rather than a panic.
        match w.get(TID_AT..TID_AT + tid_len) {
            Some(tid) => TransactionId(MessageId::copy_of(tid)),
            None => TransactionId(MessageId::copy_of(b"")),
        }
    }

    /// The id of `ident`, which the caller made an ident (not checked again).
    pub(crate) fn of_ident(ident: &[u8]) -> TransactionId {
        TransactionId(MessageId::copy_of(ident))
    }

    /// Parses an ident (`ALPHANUM 3*31(ALPHANUM / "." / "-" / "+" / "%" / "=")`).
    pub fn parse(s: &str) -> Option<TransactionId> {
        MessageId::parse(s).ok().map(TransactionId)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The id's bytes (ASCII), without the UTF-8 check [`TransactionId::as_str`] makes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Display for TransactionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for TransactionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TransactionId({:?})", self.as_str())
    }
}

/// A request method (`method = "SEND" / "REPORT" / other-method`, `other-method = 1*UPALPHA`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestMethod<'a> {
    /// `SEND` (RFC 4975 §7.1).
    Send,
    /// `REPORT` (RFC 4975 §7.1.2).
    Report,
    /// Any other method, as written (answered `501` by a receiver that does not know it).
    Other(&'a str),
}

impl RequestMethod<'_> {
    /// The method's name.
    pub fn as_str(&self) -> &str {
        match self {
            RequestMethod::Send => "SEND",
            RequestMethod::Report => "REPORT",
            RequestMethod::Other(name) => name,
        }
    }
}

/// What the start line says: a request or a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartLine<'a> {
    /// `MSRP <transact-id> <method>`.
    Request(RequestMethod<'a>),
    /// `MSRP <transact-id> <status> [<comment>]`.
    Response {
        /// The three-digit status code.
        status: u16,
        /// The comment after it, if any.
        comment: Option<&'a str>,
    },
}

/// One header line after the start line, borrowed: the name as written, the value without the
/// whitespace around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    /// The header name as written.
    pub name: &'a str,
    /// The value.
    pub value: &'a str,
}

/// A parsed MSRP frame, borrowing from the bytes it was parsed from.
///
/// Every header line was checked when the frame was parsed; [`Frame::headers`] walks them again
/// on demand, while the values the chunk layer and the relay read on every frame (paths,
/// `Message-ID`, `Byte-Range`, `Content-Type`, `Failure-Report`) were picked out on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The transaction id, from the start line (the end-line carries the same).
    pub transaction_id: &'a str,
    /// Request method or response status.
    pub start: StartLine<'a>,
    /// The `To-Path` value.
    pub to_path: &'a str,
    /// The `From-Path` value.
    pub from_path: &'a str,
    /// The body, when the frame has a blank line after its headers (possibly empty); the CRLF
    /// before the end-line is not part of it.
    pub body: Option<&'a [u8]>,
    /// The end-line's continuation flag.
    pub continuation: Continuation,
    /// The header lines, each ending with CRLF, as received.
    head: &'a str,
    message_id: Option<&'a str>,
    byte_range: Option<&'a str>,
    content_type: Option<&'a str>,
    failure_report: Option<&'a str>,
    /// The body holds a CR.
    body_cr: bool,
    /// See [`Frame::relay_head`].
    relay_head: Option<&'a str>,
}

impl<'a> Frame<'a> {
    /// Every header line, in order, To-Path and From-Path included: the name as written, the
    /// value without the spaces and tabs around it.
    ///
    /// ```
    /// use cpm_pf::msrp::frame::{parse, Header, Parsed, DEFAULT_MAX_FRAME};
    /// let bytes = b"MSRP d93kswow 200 OK\r\nTo-Path: msrp://a.example.com:7777/iau39soe2843z;tcp\r\n\
    ///     From-Path: msrp://b.example.com:8888/9di4eae923wzd;tcp\r\n-------d93kswow$\r\n";
    /// let Ok(Parsed::Frame { frame, .. }) = parse(bytes, DEFAULT_MAX_FRAME) else { panic!() };
    /// let names: Vec<&str> = frame.headers().map(|h: Header<'_>| h.name).collect();
    /// assert_eq!(names, ["To-Path", "From-Path"]);
    /// ```
    pub fn headers(&self) -> impl Iterator<Item = Header<'a>> + 'a {
        // Every line of `head` ends with CRLF and holds no other CR (the scan checked): a CR
        // search (memchr) finds each end, and the name ends at the first colon.
        let mut rest = self.head;
        core::iter::from_fn(move || loop {
            let cr = memchr::memchr(b'\r', rest.as_bytes())?;
            let (line, tail) = (rest.get(..cr)?, rest.get(cr + 2..).unwrap_or(""));
            rest = tail;
            let Some(colon) = memchr::memchr(b':', line.as_bytes()) else { continue };
            let (name, value) = (line.get(..colon)?, line.get(colon + 1..)?);
            return Some(Header { name, value: trim_blanks(value) });
        })
    }

    /// The value of the first header called `name`, compared without regard to case.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value)
    }

    /// The raw `Message-ID` value.
    pub fn message_id(&self) -> Option<&'a str> {
        self.message_id
    }

    /// The raw `Byte-Range` value.
    pub fn byte_range(&self) -> Option<&'a str> {
        self.byte_range
    }

    /// The `Content-Type` value.
    pub fn content_type(&self) -> Option<&'a str> {
        self.content_type
    }

    /// The `Failure-Report` value (the first, as [`Frame::header`] would find it), picked out
    /// by the scan: a relay reads it on every request.
    ///
    /// ```
    /// use cpm_pf::msrp::frame::{parse, Parsed, DEFAULT_MAX_FRAME};
    /// let bytes = b"MSRP t1234 SEND\r\nTo-Path: msrp://a.example/x;tcp\r\nFrom-Path: msrp://b.example/y;tcp\r\n\
    ///     failure-report:  partial \r\n-------t1234$\r\n";
    /// let Ok(Parsed::Frame { frame, .. }) = parse(bytes, DEFAULT_MAX_FRAME) else { panic!() };
    /// assert_eq!(frame.failure_report(), Some("partial"));
    /// assert_eq!(frame.failure_report(), frame.header("Failure-Report"));
    /// ```
    pub fn failure_report(&self) -> Option<&'a str> {
        self.failure_report
    }

    /// The body, when it may hold an end-line's beginning (`CRLF "-------"`); an empty slice
    /// when the scan saw no CR in it. What a relay must search before it picks a transaction
    /// id ([`body_holds_end_line`]): the scan already looked at every body byte.
    pub(crate) fn body_to_search(&self) -> &'a [u8] {
        match self.body {
            Some(body) if self.body_cr => body,
            _ => b"",
        }
    }

    /// When the head is `To-Path`, `From-Path`, then lines written `name ": " value` none of
    /// which is a path or `Failure-Report`: those lines, each with its CRLF, as received. They
    /// are what [`write_request`] would write for the headers a relay copies (every one but the
    /// paths and `Failure-Report`), so a relay copies them at once.
    pub(crate) fn relay_head(&self) -> Option<&'a str> {
        self.relay_head
    }

    /// The request method, for a request.
    pub fn method(&self) -> Option<RequestMethod<'a>> {
        match self.start {
            StartLine::Request(m) => Some(m),
            StartLine::Response { .. } => None,
        }
    }

    /// `501` for a request whose method this library does not handle (neither SEND nor REPORT);
    /// `None` otherwise. REPORT is never answered (RFC 4975 §7.1.2), so it gets `None` too.
    pub fn unsupported_method_status(&self) -> Option<u16> {
        match self.start {
            StartLine::Request(RequestMethod::Other(_)) => Some(STATUS_NOT_IMPLEMENTED),
            StartLine::Request(RequestMethod::Send | RequestMethod::Report) | StartLine::Response { .. } => {
                None
            }
        }
    }
}

/// What is wrong inside a frame whose boundaries are known (answered `400`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    /// No `To-Path` header.
    #[error("no To-Path header")]
    MissingToPath,
    /// No `From-Path` header.
    #[error("no From-Path header")]
    MissingFromPath,
    /// A header line is not `name ":" value` in UTF-8 without CR or LF (1-based line number,
    /// the start line being line 1).
    #[error("malformed header on line {line}")]
    BadHeaderLine {
        /// The line number.
        line: usize,
    },
    /// An end-line carries another transaction id than the start line.
    #[error("end-line transaction id does not match the start line")]
    EndLineMismatch,
    /// An end-line of this transaction has no valid continuation flag (`$`, `+` or `#`).
    #[error("end-line without a valid continuation flag")]
    BadContinuation,
    /// A response carries a body, which RFC 4975 §9 does not allow.
    #[error("a response has a body")]
    BodyInResponse,
}

/// What is wrong with a start line (RFC 4975 §9: `req-start = "MSRP" SP transact-id SP method
/// CRLF`, `resp-start = "MSRP" SP transact-id SP status-code [SP comment] CRLF`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StartLineProblem {
    /// The line does not begin with `MSRP` and a space.
    #[error("does not begin with \"MSRP \"")]
    NotMsrp,
    /// The transaction id is not an ident (`ALPHANUM 3*31(ALPHANUM / "." / "-" / "+" / "%" /
    /// "=")`) followed by a space.
    #[error("transaction id is not a 4 to 32 character ident")]
    BadTransactionId,
    /// The transaction id runs past 32 characters.
    #[error("transaction id longer than 32 characters")]
    TransactionIdTooLong,
    /// Nothing follows the transaction id.
    #[error("no method or status after the transaction id")]
    MissingMethodOrStatus,
    /// What follows the transaction id is neither a method (`1*UPALPHA`) nor a status code
    /// (`3DIGIT`).
    #[error("method is not 1*UPALPHA and status is not 3DIGIT")]
    NeitherMethodNorStatus,
    /// The method is not `1*UPALPHA` followed by CRLF (for example `SEND` and a space).
    #[error("method is not 1*UPALPHA followed by CRLF")]
    BadMethod,
    /// The status code is not three digits followed by a space or CRLF.
    #[error("status code is not 3DIGIT")]
    BadStatus,
    /// The comment after the status code holds a control character other than HTAB.
    #[error("control character in the comment")]
    ControlInComment,
    /// The comment after the status code is not UTF-8.
    #[error("comment is not UTF-8")]
    CommentNotUtf8,
    /// A LF without the CR that RFC 4975 §9 requires before it.
    #[error("LF without CR")]
    BareLf,
    /// A CR not followed by LF.
    #[error("CR without LF")]
    CrWithoutLf,
}

/// A frame that cannot be taken, with the MSRP status an answer would carry ([`FrameError::status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The start line is not `MSRP <transact-id> <method>` or `MSRP <transact-id> <status>
    /// [<comment>]`. The stream cannot be resynchronised (fatal).
    #[error("malformed MSRP start line: {reason}")]
    BadStartLine {
        /// What was wrong.
        reason: StartLineProblem,
        /// The transaction id, when the start line was read that far.
        transaction_id: Option<TransactionId>,
    },
    /// No end-line within `max` bytes. With a transaction id, a [`FrameDecoder`] skips to that
    /// transaction's end-line and goes on; without one (the start line itself is too long) the
    /// stream cannot be resynchronised (fatal).
    #[error("MSRP frame larger than {max} bytes")]
    TooLarge {
        /// The maximum frame size.
        max: usize,
        /// The frame's transaction id, when its start line was read.
        transaction_id: Option<TransactionId>,
    },
    /// The frame is delimited but its content is malformed; it is `frame_len` bytes long and can
    /// be skipped.
    #[error("malformed MSRP frame {transaction_id}: {problem}")]
    Malformed {
        /// The frame's transaction id.
        transaction_id: TransactionId,
        /// The frame's length in bytes, end-line included.
        frame_len: usize,
        /// What was wrong.
        problem: Problem,
    },
}

impl FrameError {
    /// The MSRP status an answer would carry: `413` for [`FrameError::TooLarge`], `400` otherwise.
    pub fn status(&self) -> u16 {
        match self {
            FrameError::TooLarge { .. } => STATUS_TOO_LARGE,
            FrameError::BadStartLine { .. } | FrameError::Malformed { .. } => STATUS_BAD_REQUEST,
        }
    }

    /// `true` when the byte stream cannot be resynchronised after this error (the connection
    /// should be closed).
    pub fn is_fatal(&self) -> bool {
        match self {
            FrameError::BadStartLine { .. } => true,
            FrameError::TooLarge { transaction_id, .. } => transaction_id.is_none(),
            FrameError::Malformed { .. } => false,
        }
    }

    /// The transaction id of the frame, when known.
    pub fn transaction_id(&self) -> Option<TransactionId> {
        match self {
            FrameError::BadStartLine { transaction_id, .. } | FrameError::TooLarge { transaction_id, .. } => {
                *transaction_id
            }
            FrameError::Malformed { transaction_id, .. } => Some(*transaction_id),
        }
    }
}

/// What [`parse`] found at the start of its input.
#[derive(Debug, Clone, PartialEq, Eq)]
// The frame is returned by value: boxing it would cost an allocation per frame for a variant
// (`Incomplete`) that carries nothing.
#[allow(clippy::large_enum_variant)]
pub enum Parsed<'a> {
    /// A complete frame, `len` bytes long (end-line included).
    Frame {
        /// The frame.
        frame: Frame<'a>,
        /// How many input bytes it took.
        len: usize,
    },
    /// More bytes are needed.
    Incomplete,
}

/// Parses one frame at the start of `input`, allowing at most `max_frame` bytes for it.
///
/// Bytes after the frame are left alone. Calling this again on a growing buffer rescans it from
/// the start; a [`FrameDecoder`] does not.
///
/// ```
/// use cpm_pf::msrp::frame::{parse, Parsed, RequestMethod, StartLine, DEFAULT_MAX_FRAME};
/// let bytes = b"MSRP a786hjs2 SEND\r\n\
///     To-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp\r\n\
///     From-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp\r\n\
///     Message-ID: 87652491\r\nByte-Range: 1-25/25\r\nContent-Type: text/plain\r\n\r\n\
///     Hey Bob, are you there?\r\n-------a786hjs2$\r\n";
/// let Ok(Parsed::Frame { frame, len }) = parse(bytes, DEFAULT_MAX_FRAME) else { panic!() };
/// assert_eq!(len, bytes.len());
/// assert_eq!(frame.start, StartLine::Request(RequestMethod::Send));
/// assert_eq!(frame.body, Some(&b"Hey Bob, are you there?"[..]));
/// ```
pub fn parse(input: &[u8], max_frame: usize) -> Result<Parsed<'_>, FrameError> {
    let mut scan = Scan::default();
    match locate(input, max_frame, &mut scan)? {
        None => Ok(Parsed::Incomplete),
        Some(found) => build(input, &found, &scan).map(|frame| Parsed::Frame { frame, len: found.frame_end }),
    }
}

// ------------------------------------------------------------------------------------------------
// Locating a frame (resumable)
// ------------------------------------------------------------------------------------------------

/// Where a resumable scan stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Phase {
    /// Looking for the CRLF that ends the start line.
    #[default]
    StartLine,
    /// Reading header lines; the next one starts at `line_start`.
    Headers { line_start: usize },
    /// Looking for the end-line after the blank line.
    Body { headers_end: usize, body_start: usize },
}

/// The header values the chunk layer reads on every frame, found by the scan as byte ranges of
/// the input (values without the blanks around them): To-Path, From-Path, Message-ID,
/// Byte-Range, Content-Type, Failure-Report, the first of each.
type Known = [Option<(usize, usize)>; 6];
const TO_PATH: usize = 0;
const FROM_PATH: usize = 1;
const MESSAGE_ID: usize = 2;
const BYTE_RANGE: usize = 3;
const CONTENT_TYPE: usize = 4;
const FAILURE_REPORT: usize = 5;
/// The names of the six, each with its colon, in slot order.
const KNOWN_NAMES: [&[u8]; 6] =
    [b"To-Path:", b"From-Path:", b"Message-ID:", b"Byte-Range:", b"Content-Type:", b"Failure-Report:"];

/// A resumable scan over a growing buffer: `from` is where searching continues. What it learnt
/// on the way (the start line, the header lines) is kept so that nothing is read twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Scan {
    phase: Phase,
    from: usize,
    /// The start line, once read: the length of its transaction id (which begins after `MSRP `)
    /// and the index of its CRLF.
    start: Option<(usize, usize)>,
    /// While the start line is read: where its reading stands.
    read: StartRead,
    /// Header lines seen so far.
    lines: usize,
    /// The part of the current header line searched so far holds a byte that is not printable
    /// ASCII.
    line_dirty: bool,
    /// The first header line that is not `name ":" value` (0-based among header lines).
    first_bad: Option<usize>,
    known: Known,
    /// The body holds a CR (the search passed over one that does not begin the end-line): it
    /// may hold `CRLF "-------"`. Without one it cannot, and a relay need not search it again.
    body_cr: bool,
    /// Where the header lines after the first two begin (set on the second line), and whether
    /// the head is no longer what a relay can copy: To-Path, From-Path, then lines written
    /// `name ": " value` none of which is a path or `Failure-Report`.
    relay_at: usize,
    relay_broken: bool,
}

/// The boundaries of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Located {
    /// The transaction id's length (it begins after `MSRP `).
    tid_len: usize,
    /// Index of the CRLF ending the start line.
    start_line_end: usize,
    /// Index where header lines end (start of the blank line or of the end-line).
    headers_end: usize,
    /// The body's byte range, when the frame has a blank line.
    body: Option<(usize, usize)>,
    flag: Continuation,
    /// One past the end-line's CRLF.
    frame_end: usize,
}

/// The index of the first CRLF in `hay` at or after `from`.
fn find_crlf(hay: &[u8], from: usize) -> Option<usize> {
    line_end(hay, from).ok()
}

/// The index of the first CRLF in `hay` at or after `from`; when there is none, where a later
/// search must resume (at a final CR, whose LF may still come).
#[inline(always)]
fn line_end(hay: &[u8], from: usize) -> Result<usize, usize> {
    let mut at = from;
    loop {
        let Some(i) = hay.get(at..).and_then(|rest| memchr::memchr(b'\r', rest)).map(|i| at + i) else {
            return Err(hay.len().max(from));
        };
        match hay.get(i + 1) {
            Some(b'\n') => return Ok(i),
            Some(_) => at = i + 1,
            None => return Err(i),
        }
    }
}

/// `true` for a byte that is not printable ASCII (a control character, DEL, a byte of a UTF-8
/// sequence).
#[inline(always)]
fn is_unprintable(b: u8) -> bool {
    b.wrapping_sub(0x20) > 0x5E
}

/// The top bit of each byte of the result is set where that byte of `w` is not printable ASCII
/// (below 0x20, DEL, or 0x80 and above): exact per byte, as no sum carries into the next byte.
#[inline(always)]
fn unprintable_bytes(w: u64) -> u64 {
    let low = w & !HIGHS;
    // The low seven bits plus 0x60 reach 0x80 only from 0x20 on; plus 1 only from 0x7F.
    let below_space = !(low + ONES * 0x60);
    let del = low + ONES;
    (w | below_space | del) & HIGHS
}

/// The index of the first byte at or after `from` that is not printable ASCII, or `hay.len()`:
/// eight bytes at a time. A header line is such a run ended by its CR, so one pass both finds
/// a clean line's end and shows it clean, for less than a `memchr` call on a short line costs.
#[inline(always)]
fn first_unprintable(hay: &[u8], from: usize) -> usize {
    let Some(mut rest) = hay.get(from..) else { return hay.len() };
    let mut at = from;
    while let Some((chunk, tail)) = rest.split_first_chunk::<8>() {
        let found = unprintable_bytes(u64::from_le_bytes(*chunk));
        if found != 0 {
            return at + (found.trailing_zeros() / 8) as usize;
        }
        (at, rest) = (at + 8, tail);
    }
    at + rest.iter().position(|&b| is_unprintable(b)).unwrap_or(rest.len())
}

/// [`line_end`] for a header line whose bytes before `from` were searched already; `dirty` says
/// whether they held anything but printable ASCII, and is set when the rest does. A clean line
/// is searched by [`first_unprintable`], which stops at its CR; a dirty one by `line_end`.
#[inline(always)]
fn header_line_end(hay: &[u8], from: usize, dirty: &mut bool) -> Result<usize, usize> {
    let mut at = from;
    if !*dirty {
        at = first_unprintable(hay, from);
        match (hay.get(at), hay.get(at + 1)) {
            (Some(b'\r'), Some(b'\n')) => return Ok(at),
            (Some(b'\r'), None) => return Err(at),
            (None, _) => return Err(hay.len().max(from)),
            (Some(_), _) => *dirty = true,
        }
    }
    line_end(hay, at)
}

/// `CRLF "-------"`: how every end-line after a body begins.
const END_LINE_LEAD: &[u8] = b"\r\n-------";

/// `CRLF "-------" transact-id`: what ends a body, up to the continuation flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct EndLineNeedle<'t> {
    tid: &'t [u8],
}

impl<'t> EndLineNeedle<'t> {
    fn new(tid: &'t [u8]) -> EndLineNeedle<'t> {
        EndLineNeedle { tid }
    }

    /// The needle's length: CRLF, seven dashes, the id.
    fn len(&self) -> usize {
        END_LINE_LEAD.len() + self.tid.len()
    }

    /// Whether `window` (of [`EndLineNeedle::len`] bytes) is the needle.
    #[inline(always)]
    fn is(&self, window: &[u8]) -> bool {
        window.get(..END_LINE_LEAD.len()) == Some(END_LINE_LEAD)
            && window.get(END_LINE_LEAD.len()..) == Some(self.tid)
    }

    /// The index of the first needle in `hay` at or after `from`: memchr's SIMD search for a CR,
    /// then the needle compared where one is. (A memmem search for `CRLF "-------"` was slower
    /// on 2 KiB bodies: its two-byte prefilter does more work per vector than a one-byte search,
    /// and CR is rare in bodies.)
    fn find(&self, hay: &[u8], from: usize) -> Option<usize> {
        self.find_noting_cr(hay, from, usize::MAX, &mut false)
    }

    /// [`EndLineNeedle::find`], setting `passed_cr` when it passes over a CR at or after
    /// `body_start` that is followed by enough bytes to tell that it does not begin the needle
    /// (so that a CR that may still begin it is not counted until that is known).
    #[inline(always)]
    fn find_noting_cr(
        &self,
        hay: &[u8],
        from: usize,
        body_start: usize,
        passed_cr: &mut bool,
    ) -> Option<usize> {
        let mut at = from;
        loop {
            let i = at + memchr::memchr(b'\r', hay.get(at..)?)?;
            match hay.get(i..i + self.len()) {
                Some(w) if self.is(w) => return Some(i),
                Some(_) => *passed_cr |= i >= body_start,
                None => {}
            }
            at = i + 1;
        }
    }
}

/// Finds the frame at the start of `input`, resuming `scan`. Only the first `max_frame` bytes
/// are looked at, so the answer does not depend on how much was buffered beyond them.
///
/// Three steps, each resumable: the start line ([`read_start_line`]), the header lines
/// ([`scan_headers`]), and after a blank line the body up to its end-line ([`scan_body`]).
#[inline(always)]
fn locate(input: &[u8], max_frame: usize, scan: &mut Scan) -> Result<Option<Located>, FrameError> {
    let w = input.get(..max_frame).unwrap_or(input);
    // The usual start line is read at once (inlined here); any other, or one not yet whole, by
    // the resumable byte by byte reader.
    let usual = match scan.start {
        None if scan.read == StartRead::default() => usual_start_line(w),
        _ => None,
    };
    let (tid_len, start_line_end) = match scan.start.or(usual) {
        Some(start) => {
            if scan.start.is_none() {
                scan.start = Some(start);
                scan.phase = Phase::Headers { line_start: start.1 + 2 };
                scan.from = start.1 + 2;
            }
            start
        }
        None => match read_start_line(w, scan.read)? {
            StartLineRead::Whole { tid_len, end } => {
                scan.start = Some((tid_len, end));
                scan.phase = Phase::Headers { line_start: end + 2 };
                scan.from = end + 2;
                (tid_len, end)
            }
            StartLineRead::Partial(read) => {
                scan.read = read;
                // Without a whole start line there is no transaction id to skip to.
                return if w.len() >= max_frame {
                    Err(FrameError::TooLarge { max: max_frame, transaction_id: None })
                } else {
                    Ok(None)
                };
            }
        },
    };
    // The start line was read through its id, so the id is in range; were it not, the frame is
    // refused rather than read with an empty id.
    let Some(tid) = w.get(TID_AT..TID_AT + tid_len) else {
        return Err(FrameError::BadStartLine {
            reason: StartLineProblem::BadTransactionId,
            transaction_id: None,
        });
    };
    let win = Window { w, max_frame, tid, start_line_end };
    if let Phase::Headers { line_start } = scan.phase {
        match scan_headers(&win, scan, line_start)? {
            HeadersEnd::Frame(found) => return Ok(Some(found)),
            HeadersEnd::Incomplete => return win.incomplete(),
            HeadersEnd::Body => {}
        }
    }
    match scan.phase {
        Phase::Body { headers_end, body_start } => scan_body(&win, scan, headers_end, body_start),
        // Not reached: the start line and the headers were read above.
        Phase::StartLine | Phase::Headers { .. } => Ok(None),
    }
}

/// The bytes a frame is located in (at most the maximum frame size), with its start line.
struct Window<'w> {
    w: &'w [u8],
    max_frame: usize,
    /// The transaction id (it begins after `MSRP `).
    tid: &'w [u8],
    /// Index of the CRLF ending the start line.
    start_line_end: usize,
}

impl Window<'_> {
    /// The transaction id, for an error.
    fn tid(&self) -> TransactionId {
        TransactionId::of_start_line(self.w, self.tid.len())
    }

    /// The frame is not whole: more bytes are needed, unless the window already holds the
    /// maximum frame size, and then the frame is too large.
    fn incomplete(&self) -> Result<Option<Located>, FrameError> {
        if self.w.len() >= self.max_frame {
            Err(FrameError::TooLarge { max: self.max_frame, transaction_id: Some(self.tid()) })
        } else {
            Ok(None)
        }
    }

    /// The frame found, from the end of its headers to the end of its end-line.
    #[inline(always)]
    fn located(
        &self,
        headers_end: usize,
        body: Option<(usize, usize)>,
        flag: Continuation,
        frame_end: usize,
    ) -> Located {
        Located {
            tid_len: self.tid.len(),
            start_line_end: self.start_line_end,
            headers_end,
            body,
            flag,
            frame_end,
        }
    }
}

/// How the header lines ended, as far as [`scan_headers`] could see.
enum HeadersEnd {
    /// An end-line right after the headers: a frame without body.
    Frame(Located),
    /// A blank line: the body follows ([`Phase::Body`] is set).
    Body,
    /// The bytes at hand end inside a header line (the scan resumes there).
    Incomplete,
}

/// What a header line is.
enum HeaderLine<'l> {
    /// `name ":" value`, the value's range within the line and the slot of [`Known`] its name
    /// fills (`usize::MAX` for none).
    Field { slot: usize, value: (usize, usize) },
    /// Not a header line.
    Bad,
    /// The blank line before a body.
    Blank,
    /// An end-line: what follows its dashes.
    EndLine(&'l [u8]),
}

/// Reads header lines from `line_start`, one per CRLF, recording the known values and the first
/// bad line in `scan`, until the headers end or the bytes at hand do.
#[inline(always)]
fn scan_headers(win: &Window<'_>, scan: &mut Scan, mut line_start: usize) -> Result<HeadersEnd, FrameError> {
    // One turn per header line, in locals: the scan's state is written back only when the scan
    // stops or the headers end.
    let mut from = scan.from.max(line_start);
    loop {
        let e = match header_line_end(win.w, from, &mut scan.line_dirty) {
            Ok(e) => e,
            Err(resume) => {
                scan.phase = Phase::Headers { line_start };
                scan.from = resume.max(line_start);
                return Ok(HeadersEnd::Incomplete);
            }
        };
        // `line_end` found `e` at or after `from`, itself at or after `line_start`.
        let dirty = core::mem::take(&mut scan.line_dirty);
        let kind = match win.w.get(line_start..e) {
            Some(line) => header_line_kind(line, dirty),
            None => HeaderLine::Bad,
        };
        match kind {
            HeaderLine::Field { slot, value } => {
                if let Some(known @ None) = scan.known.get_mut(slot) {
                    *known = Some((line_start + value.0, line_start + value.1));
                }
                match scan.lines {
                    0 => scan.relay_broken |= slot != TO_PATH,
                    1 => {
                        scan.relay_broken |= slot != FROM_PATH;
                        scan.relay_at = e + 2;
                    }
                    _ => {
                        let replaced = matches!(slot, TO_PATH | FROM_PATH | FAILURE_REPORT);
                        let written = value.1 == e - line_start
                            && value
                                .0
                                .checked_sub(2)
                                .and_then(|c| win.w.get(line_start + c..line_start + value.0))
                                == Some(b": ");
                        scan.relay_broken |= replaced || !written;
                    }
                }
            }
            HeaderLine::Bad => {
                scan.first_bad.get_or_insert(scan.lines);
            }
            HeaderLine::Blank => {
                // The body follows. Search for the end-line from the blank line's own CRLF, so
                // an empty body written without its CRLF is still found.
                scan.phase = Phase::Body { headers_end: line_start, body_start: e + 2 };
                scan.from = e;
                return Ok(HeadersEnd::Body);
            }
            HeaderLine::EndLine(rest) => {
                return end_line_after_headers(win, rest, line_start, e + 2).map(HeadersEnd::Frame);
            }
        }
        scan.lines += 1;
        (line_start, from) = (e + 2, e + 2);
    }
}

/// What the header line `line` (without its CRLF) is; `dirty` when it holds anything but
/// printable ASCII (a control character, a byte of a UTF-8 sequence): it is then checked in full.
#[inline(always)]
fn header_line_kind(line: &[u8], dirty: bool) -> HeaderLine<'_> {
    // A clean line naming one of the six is known by two word compares (and is neither blank
    // nor an end-line); any other line is looked at in turn.
    if let Some((slot, name_len)) = known_name(line, dirty) {
        let (from, to) = line.get(name_len..).map_or((0, 0), unblanked);
        return HeaderLine::Field { slot, value: (name_len + from, name_len + to) };
    }
    if line.is_empty() {
        return HeaderLine::Blank;
    }
    if let Some(rest) = line.strip_prefix(END_LINE_DASHES) {
        return HeaderLine::EndLine(rest);
    }
    // Any other name is read through the token table.
    match split_header(line, dirty) {
        Some((name, value)) => HeaderLine::Field { slot: slot_of(name), value },
        None => HeaderLine::Bad,
    }
}

/// The frame that ends with an end-line right after its headers (`-------` then `rest`, its CRLF
/// ending at `frame_end`): this transaction's id and a continuation flag, or the frame is
/// malformed.
fn end_line_after_headers(
    win: &Window<'_>,
    rest: &[u8],
    headers_end: usize,
    frame_end: usize,
) -> Result<Located, FrameError> {
    let problem = match rest.split_last() {
        Some((&flag, id)) if id == win.tid => match Continuation::from_flag(flag) {
            Some(flag) => return Ok(win.located(headers_end, None, flag, frame_end)),
            None => Problem::BadContinuation,
        },
        _ => Problem::EndLineMismatch,
    };
    Err(malformed(win.tid(), frame_end, problem))
}

/// Searches the body, which begins at `body_start`, for this transaction's end-line
/// (`CRLF "-------" transact-id flag CRLF`), resuming at `scan.from`.
#[inline(always)]
fn scan_body(
    win: &Window<'_>,
    scan: &mut Scan,
    headers_end: usize,
    body_start: usize,
) -> Result<Option<Located>, FrameError> {
    let (w, needle) = (win.w, EndLineNeedle::new(win.tid));
    let mut from = scan.from;
    // The blank line's own CRLF begins the end-line only when the body is empty: once the bytes
    // there show it does not, the search starts with the body.
    if from + 2 == body_start && w.get(from..from + needle.len()).is_some_and(|window| !needle.is(window)) {
        from = body_start;
    }
    loop {
        let Some(i) = needle.find_noting_cr(w, from, body_start, &mut scan.body_cr) else {
            // Keep the tail that could still start a needle.
            scan.from = w.len().saturating_sub(needle.len()).max(from);
            return win.incomplete();
        };
        let after = i + needle.len();
        let (Some(&flag), Some(tail)) = (w.get(after), w.get(after + 1..after + 3)) else {
            scan.from = i;
            return win.incomplete();
        };
        match Continuation::from_flag(flag) {
            Some(flag) if tail == CRLF => {
                let body = (body_start, i.max(body_start));
                return Ok(Some(win.located(headers_end, Some(body), flag, after + 3)));
            }
            // Not an end-line (the body merely contains the dashes and the id).
            _ => {
                scan.body_cr = true;
                from = i + 1;
            }
        }
    }
}

fn malformed(transaction_id: TransactionId, frame_len: usize, problem: Problem) -> FrameError {
    FrameError::Malformed { transaction_id, frame_len, problem }
}

/// The characters of an ident after its first (RFC 4975 §9), by table.
const IDENT: [bool; 256] = alnum_and(b".-+%=");

/// Where the reading of a start line stands (RFC 4975 §9), one byte at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum StartLex {
    /// In `MSRP `.
    #[default]
    Prefix,
    /// In the transaction id.
    Tid,
    /// After the space that ends the transaction id.
    AfterTid,
    /// In the method.
    Method,
    /// In the status code, after this many digits.
    Status(u8),
    /// In the comment after the status code.
    Comment,
    /// After the CR that ends the line.
    Cr,
    /// After the LF: the line is whole.
    Done,
}

/// How far the reading of a start line got: the state, the next byte's index, and the length of
/// the transaction id once its end was seen (0 before).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct StartRead {
    lex: StartLex,
    at: usize,
    tid_len: usize,
}

/// What [`read_start_line`] found.
enum StartLineRead {
    /// The whole line: the transaction id's length and the index of the CRLF.
    Whole { tid_len: usize, end: usize },
    /// Every byte so far can begin a start line; reading resumes from here.
    Partial(StartRead),
}

/// Reads the start line at the start of `w`, resuming `read` (taken and given back by value, so
/// that a fresh reading starts from constants); [`FrameError::BadStartLine`] as soon as a byte
/// shows the line can never be valid, so that such a frame is refused at once, not after the
/// maximum frame size.
#[inline]
fn read_start_line(w: &[u8], read: StartRead) -> Result<StartLineRead, FrameError> {
    let StartRead { mut lex, at: mut i, mut tid_len } = read;
    // The usual beginning, `MSRP ` whole, as one fixed-size compare.
    if lex == StartLex::Prefix && i == 0 && w.get(..TID_AT) == Some(b"MSRP ") {
        (lex, i) = (StartLex::Tid, TID_AT);
    }
    while let Some(tail @ &[b, ..]) = w.get(i..) {
        // Inside the transaction id or the method, the run of bytes that keeps the state is
        // crossed at once (at most up to the id's 32nd character).
        let run = match lex {
            StartLex::Tid if i > TID_AT => {
                let room = (TID_AT + 32).saturating_sub(i);
                tail.iter().take(room).position(|&c| !IDENT[usize::from(c)]).unwrap_or(room.min(tail.len()))
            }
            StartLex::Method => tail.iter().position(|c| !c.is_ascii_uppercase()).unwrap_or(tail.len()),
            _ => 0,
        };
        if run > 0 {
            i += run;
            continue;
        }
        let next = match (lex, b) {
            // A character of the comment beyond ASCII: a whole UTF-8 sequence, maybe not yet all
            // there.
            (StartLex::Comment, 0x80..=0xFF) => match utf8_char_len(tail) {
                Ok(Some(n)) => {
                    i += n;
                    continue;
                }
                Ok(None) => break,
                Err(problem) => Err(problem),
            },
            _ => start_step(lex, i, b),
        };
        lex = match next {
            Ok(next) => next,
            Err(reason) => {
                let transaction_id = (tid_len > 0).then(|| TransactionId::of_start_line(w, tid_len));
                return Err(FrameError::BadStartLine { reason, transaction_id });
            }
        };
        if lex == StartLex::AfterTid && tid_len == 0 {
            tid_len = i - TID_AT;
        }
        i += 1;
        if lex == StartLex::Done {
            return Ok(StartLineRead::Whole { tid_len, end: i - 2 });
        }
    }
    Ok(StartLineRead::Partial(StartRead { lex, at: i, tid_len }))
}

/// The transaction id's length and the index of the CRLF of a whole start line that is plainly
/// valid: `MSRP `, an id of 4 to 31 characters, a space, then a method (`[A-Z]+`) or a status
/// (three digits) with an optional comment of printable ASCII, and CRLF. `None` for any
/// other line (longer ids, comments beyond ASCII, lines not whole, errors): the byte by byte
/// reading takes those, and it reads these lines the same.
#[inline(always)]
fn usual_start_line(w: &[u8]) -> Option<(usize, usize)> {
    if w.get(..TID_AT)? != b"MSRP " || !w.get(TID_AT)?.is_ascii_alphanumeric() {
        return None;
    }
    let mut tid_len = 1;
    while let Some(&c) = w.get(TID_AT + tid_len) {
        if !IDENT[usize::from(c)] {
            break;
        }
        tid_len += 1;
        if tid_len == 32 {
            return None;
        }
    }
    if tid_len < 4 || w.get(TID_AT + tid_len) != Some(&b' ') {
        return None;
    }
    let rest_at = TID_AT + tid_len + 1;
    let rest = w.get(rest_at..)?;
    // The line's printable run ends at its CR: a comment with a tab or beyond ASCII is read
    // byte by byte.
    let cr = first_unprintable(rest, 0);
    if rest.get(cr..cr + 2)? != CRLF {
        return None;
    }
    let plain = match rest.get(..cr)? {
        [b'0'..=b'9', b'0'..=b'9', b'0'..=b'9'] | [b'0'..=b'9', b'0'..=b'9', b'0'..=b'9', b' ', ..] => true,
        method => !method.is_empty() && method.iter().all(u8::is_ascii_uppercase),
    };
    plain.then_some((tid_len, rest_at + cr))
}

/// The next state of a start line's reading after byte `b` at index `at` (a byte of the comment
/// beyond ASCII is read by the caller).
fn start_step(lex: StartLex, at: usize, b: u8) -> Result<StartLex, StartLineProblem> {
    use StartLineProblem as P;
    const PREFIX: &[u8; TID_AT] = b"MSRP ";
    let tid_len = at.wrapping_sub(TID_AT);
    Ok(match (lex, b) {
        (_, b'\n') if lex != StartLex::Cr => return Err(P::BareLf),
        (StartLex::Prefix, _) if PREFIX.get(at) != Some(&b) => return Err(P::NotMsrp),
        (StartLex::Prefix, _) if at + 1 == TID_AT => StartLex::Tid,
        (StartLex::Prefix, _) => StartLex::Prefix,
        (StartLex::Tid, b' ') if tid_len >= 4 => StartLex::AfterTid,
        (StartLex::Tid, b'\r') if tid_len >= 4 => return Err(P::MissingMethodOrStatus),
        (StartLex::Tid, _) if tid_len == 0 && !b.is_ascii_alphanumeric() => return Err(P::BadTransactionId),
        (StartLex::Tid, _) if !IDENT[usize::from(b)] => return Err(P::BadTransactionId),
        (StartLex::Tid, _) if tid_len >= 32 => return Err(P::TransactionIdTooLong),
        (StartLex::Tid, _) => StartLex::Tid,
        (StartLex::AfterTid, b'A'..=b'Z') => StartLex::Method,
        (StartLex::AfterTid, b'0'..=b'9') => StartLex::Status(1),
        (StartLex::AfterTid, b'\r') => return Err(P::MissingMethodOrStatus),
        (StartLex::AfterTid, _) => return Err(P::NeitherMethodNorStatus),
        (StartLex::Method, b'A'..=b'Z') => StartLex::Method,
        (StartLex::Method | StartLex::Status(3) | StartLex::Comment, b'\r') => StartLex::Cr,
        (StartLex::Method, _) => return Err(P::BadMethod),
        (StartLex::Status(n @ 0..=2), b'0'..=b'9') => StartLex::Status(n + 1),
        (StartLex::Status(3), b' ') => StartLex::Comment,
        (StartLex::Status(_), _) => return Err(P::BadStatus),
        (StartLex::Comment, b'\t' | 0x20..=0x7E) => StartLex::Comment,
        (StartLex::Comment, _) => return Err(P::ControlInComment),
        (StartLex::Cr, b'\n') => StartLex::Done,
        (StartLex::Cr, _) => return Err(P::CrWithoutLf),
        (StartLex::Done, _) => StartLex::Done,
    })
}

/// The length of the UTF-8 character at the start of `b`, `None` when `b` ends before it does.
fn utf8_char_len(b: &[u8]) -> Result<Option<usize>, StartLineProblem> {
    let b = b.get(..4).unwrap_or(b);
    let text = match core::str::from_utf8(b) {
        Ok(text) => text,
        Err(e) => match b.get(..e.valid_up_to()).map(core::str::from_utf8) {
            Some(Ok(text)) if !text.is_empty() => text,
            _ if e.error_len().is_none() => return Ok(None),
            _ => return Err(StartLineProblem::CommentNotUtf8),
        },
    };
    Ok(text.chars().next().map(char::len_utf8))
}

/// What follows the transaction id on a start line that [`read_start_line`] took: a method, or a
/// status with its comment.
fn method_or_status(rest: &str) -> StartLine<'_> {
    let digits = match rest.as_bytes() {
        [a, b, c, ..] if [a, b, c].iter().all(|d| d.is_ascii_digit()) => [a, b, c],
        _ => {
            return StartLine::Request(match rest {
                "SEND" => RequestMethod::Send,
                "REPORT" => RequestMethod::Report,
                other => RequestMethod::Other(other),
            })
        }
    };
    let status = digits.iter().fold(0u16, |n, &&d| n * 10 + u16::from(d - b'0'));
    StartLine::Response { status, comment: rest.get(4..).filter(|c| !c.is_empty()) }
}

/// Builds the frame from what the scan found: header lines, required paths, body.
#[inline(always)]
fn build<'a>(w: &'a [u8], at: &Located, scan: &Scan) -> Result<Frame<'a>, FrameError> {
    let fail = |problem| malformed(TransactionId::of_start_line(w, at.tid_len), at.frame_end, problem);
    let bad_line = |i: usize| fail(Problem::BadHeaderLine { line: i + 2 }); // the start line is line 1
    let head_start = at.start_line_end + 2;
    // `locate` found, in `w` and in this order, the start line (the id after `MSRP `, the CRLF at
    // `start_line_end`), the header lines (`head_start` to `headers_end`) and the body: every
    // range below is in `w` and, in the text, on a char boundary (the start line and the CRLFs
    // are ASCII). A range that were not (a bug in the scan) refuses the frame with the error of
    // the part it would cut, never reads that part as empty.
    let Some(lines) = w.get(..at.headers_end) else { return Err(bad_line(0)) };
    // The start line and the header lines are checked as UTF-8 at once (the scan checked
    // everything else); when that fails, the lines are looked at one by one to name the bad one.
    let Ok(text) = core::str::from_utf8(lines) else {
        let Some(head) = lines.get(head_start..) else { return Err(bad_line(0)) };
        let (mut from, mut i) = (0, 0);
        while let Some(e) = find_crlf(head, from) {
            // `find_crlf` finds `e` at or after `from`: the line is in `head`.
            if head.get(from..e).and_then(header_line).is_none() {
                break;
            }
            (from, i) = (e + 2, i + 1);
        }
        return Err(bad_line(i));
    };
    if let Some(i) = scan.first_bad {
        return Err(bad_line(i));
    }
    let Some(head) = text.get(head_start..) else { return Err(bad_line(0)) };
    let tid_end = TID_AT + at.tid_len;
    // As in `locate`: a start line that does not hold its id is refused, not read with an empty one.
    let Some(transaction_id) = text.get(TID_AT..tid_end) else {
        return Err(FrameError::BadStartLine {
            reason: StartLineProblem::BadTransactionId,
            transaction_id: None,
        });
    };
    let Some(after_tid) = text.get(tid_end + 1..at.start_line_end) else {
        return Err(FrameError::BadStartLine {
            reason: StartLineProblem::MissingMethodOrStatus,
            transaction_id: Some(TransactionId::of_start_line(w, at.tid_len)),
        });
    };
    let start = method_or_status(after_tid);
    let to_path = known_value(text, &scan.known, TO_PATH).ok_or_else(|| fail(Problem::MissingToPath))?;
    let from_path =
        known_value(text, &scan.known, FROM_PATH).ok_or_else(|| fail(Problem::MissingFromPath))?;
    let body = match at.body {
        None => None,
        Some((a, b)) => match w.get(a..b) {
            Some(body) => Some(body),
            // The body ends where the end-line the scan matched begins: a body past the frame
            // means that end-line is not where the frame's ends.
            None => return Err(fail(Problem::EndLineMismatch)),
        },
    };
    if matches!(start, StartLine::Response { .. }) && body.is_some_and(|b| !b.is_empty()) {
        return Err(fail(Problem::BodyInResponse));
    }
    Ok(Frame {
        transaction_id,
        start,
        to_path,
        from_path,
        body,
        continuation: at.flag,
        head,
        message_id: known_value(text, &scan.known, MESSAGE_ID),
        byte_range: known_value(text, &scan.known, BYTE_RANGE),
        content_type: known_value(text, &scan.known, CONTENT_TYPE),
        failure_report: known_value(text, &scan.known, FAILURE_REPORT),
        body_cr: scan.body_cr,
        relay_head: if scan.relay_broken || scan.lines < 2 {
            None
        } else {
            text.get(scan.relay_at.max(head_start)..at.headers_end)
        },
    })
}

/// The value the scan recorded in `slot`, as text.
#[inline(always)]
fn known_value<'a>(text: &'a str, known: &Known, slot: usize) -> Option<&'a str> {
    known.get(slot).copied().flatten().and_then(|(a, b)| text.get(a..b))
}

/// The slot of `known` a header name fills, or `usize::MAX` for any other name.
fn slot_of(name: &[u8]) -> usize {
    let is = |known: &&[u8]| known.split_last().is_some_and(|(_, known)| known.eq_ignore_ascii_case(name));
    KNOWN_NAMES.iter().position(is).unwrap_or(usize::MAX)
}

/// A known header name with its colon, lower-cased, as the two (overlapping) eight-byte words
/// that cover it: its first eight bytes and its last eight.
struct FoldedName {
    head: u64,
    tail: u64,
    len: usize,
}

const SPACES: u64 = ONES * 0x20;

impl FoldedName {
    const fn new(name_colon: &[u8]) -> FoldedName {
        let len = name_colon.len();
        let (mut head, mut tail, mut i) = (0u64, 0u64, 0);
        while i < 8 {
            head |= ((name_colon[i] | 0x20) as u64) << (8 * i);
            tail |= ((name_colon[len - 8 + i] | 0x20) as u64) << (8 * i);
            i += 1;
        }
        FoldedName { head, tail, len }
    }

    /// Whether `line`, which holds no control character, begins with this name and its colon,
    /// letters compared without regard to case. Setting bit 0x20 of every byte folds case, and
    /// on such a line it folds nothing else onto a name's characters: only a control character
    /// (CR, SUB) would fold onto `-` or `:`.
    #[inline(always)]
    fn begins(&self, line: &[u8]) -> bool {
        let (Some(head), Some(tail)) = (line.get(..8), line.get(self.len.wrapping_sub(8)..self.len)) else {
            return false;
        };
        word(head) | SPACES == self.head && word(tail) | SPACES == self.tail
    }
}

/// For a clean header line (printable ASCII only) that begins with the name of one of the six
/// values the scan records and its colon, that value's slot and where the value begins. The first
/// letter (for `f`, the second) picks the only candidate name; two word compares confirm it.
#[inline(always)]
fn known_name(line: &[u8], dirty: bool) -> Option<(usize, usize)> {
    const NAMES: [FoldedName; 6] = [
        FoldedName::new(KNOWN_NAMES[TO_PATH]),
        FoldedName::new(KNOWN_NAMES[FROM_PATH]),
        FoldedName::new(KNOWN_NAMES[MESSAGE_ID]),
        FoldedName::new(KNOWN_NAMES[BYTE_RANGE]),
        FoldedName::new(KNOWN_NAMES[CONTENT_TYPE]),
        FoldedName::new(KNOWN_NAMES[FAILURE_REPORT]),
    ];
    // The slot a first letter picks, by table: a load, where a `match` was a jump whose target
    // changes from line to line (BENCHMARKS.md, "Latest figures").
    const BY_FIRST: [u8; 256] = {
        let mut t = [u8::MAX; 256];
        let mut slot = 0;
        while slot < KNOWN_NAMES.len() {
            t[(KNOWN_NAMES[slot][0] | 0x20) as usize] = slot as u8;
            slot += 1;
        }
        // Two names begin with `f`: the second letter tells them apart (below).
        t[b'f' as usize] = FROM_PATH as u8;
        t
    };
    if dirty {
        return None;
    }
    let mut slot = usize::from(BY_FIRST[usize::from(line.first()? | 0x20)]);
    if slot == FROM_PATH && line.get(1).is_some_and(|&c| c | 0x20 == b'a') {
        slot = FAILURE_REPORT;
    }
    let name = NAMES.get(slot)?;
    name.begins(line).then_some((slot, name.len))
}

/// A header line's name and the byte range of its value (without the blanks around it), when it
/// is `name ":" value` with a token name; a `dirty` line (one holding a byte that is not
/// printable ASCII) is checked further: UTF-8, and no control character but HTAB. A clean line is
/// text as it is.
fn split_header(line: &[u8], dirty: bool) -> Option<(&[u8], (usize, usize))> {
    if dirty {
        header_line(line)?;
    }
    let name_len = line.iter().position(|&c| !is_token_char(c))?;
    if name_len == 0 || line.get(name_len) != Some(&b':') {
        return None;
    }
    let (from, to) = unblanked(line.get(name_len + 1..)?);
    Some((line.get(..name_len)?, (name_len + 1 + from, name_len + 1 + to)))
}

/// `true` for the characters of an RFC 3261 token (`alphanum / "-" / "." / "!" / "%" / "*" /
/// "_" / "+" / "`" / "'" / "~"`, and the others RFC 7230 allows), by table.
fn is_token_char(c: u8) -> bool {
    const TOKEN: [bool; 256] = alnum_and(b"!#$%&'*+-.^_`|~");
    TOKEN[usize::from(c)]
}

/// `name ":" [SP] value`: a token name, a UTF-8 value without CR, LF or other controls but HTAB.
fn header_line(line: &[u8]) -> Option<Header<'_>> {
    let line = core::str::from_utf8(line).ok()?;
    let (name, value) = line.split_once(':')?;
    if name.is_empty() || !name.bytes().all(is_token_char) {
        return None;
    }
    if value.bytes().any(|c| c.is_ascii_control() && c != b'\t') {
        return None;
    }
    Some(Header { name, value: trim_blanks(value) })
}

/// `value` without the spaces and tabs around it.
fn trim_blanks(value: &str) -> &str {
    value.trim_matches([' ', '\t'])
}

/// Where `value` starts and ends without the spaces and tabs around it.
#[inline(always)]
fn unblanked(value: &[u8]) -> (usize, usize) {
    let blank = |c: &u8| *c == b' ' || *c == b'\t';
    // The usual value: one space before it, nothing after.
    if let (Some(b' '), Some(second), Some(last)) = (value.first(), value.get(1), value.last()) {
        if !blank(second) && !blank(last) {
            return (1, value.len());
        }
    }
    let from = value.iter().position(|c| !blank(c)).unwrap_or(value.len());
    let to = value.iter().rposition(|c| !blank(c)).map_or(from, |i| i + 1);
    (from, to)
}

// ------------------------------------------------------------------------------------------------
// The decoder: a bounded buffer over a byte stream
// ------------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
enum DecoderState {
    /// Reading frames.
    Framing,
    /// Discarding an oversized frame up to its end-line (`\r\n-------<tid>`, then flag, CRLF).
    Skipping { tid: TransactionId },
    /// A fatal error was returned: everything is discarded.
    Failed,
}

// ------------------------------------------------------------------------------------------------
// Writing frames (the one writer: the session's legs and the scenario runner both use it)
// ------------------------------------------------------------------------------------------------

/// The reason phrase this library writes after a status code (RFC 4975 §7.2, §10): the comment
/// is optional and free; these are the RFC's names.
///
/// ```
/// use cpm_pf::msrp::frame::reason_phrase;
/// assert_eq!(reason_phrase(481), "Session Does Not Exist");
/// assert_eq!(reason_phrase(299), "");
/// ```
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        408 => "Request Timeout",
        413 => "Message Too Large",
        415 => "Unsupported Media Type",
        423 => "Out of Range",
        481 => "Session Does Not Exist",
        501 => "Not Implemented",
        506 => "Wrong Connection",
        _ => "",
    }
}

/// Appends a request frame to `out` (RFC 4975 §9): the start line, `To-Path`, `From-Path`, the
/// other `headers` in order, then, with a `body`, the blank line, the body and the CRLF before
/// the end-line. The caller chooses a transaction id that does not occur in the body after
/// `CRLF "-------"` (RFC 4975 §7.1; [`body_holds_end_line`] tells).
///
/// Nothing is allocated beyond `out`'s growth: a writer that reuses its buffer allocates
/// nothing per frame.
///
/// ```
/// use cpm_pf::msrp::frame::{parse, write_request, Parsed, DEFAULT_MAX_FRAME};
/// use cpm_pf::msrp::Continuation;
/// let mut out = Vec::new();
/// write_request(&mut out, "tx1234", "SEND", "msrp://b.example:2855/s;tcp", "msrp://a.example:2855/t;tcp",
///     [("Message-ID", "m-0001"), ("Byte-Range", "1-2/2"), ("Content-Type", "text/plain")],
///     Some(b"hi"), Continuation::Complete);
/// let Ok(Parsed::Frame { frame, len }) = parse(&out, DEFAULT_MAX_FRAME) else { panic!() };
/// assert_eq!((len, frame.body), (out.len(), Some(&b"hi"[..])));
/// assert!(out.starts_with(b"MSRP tx1234 SEND\r\nTo-Path: msrp://b.example:2855/s;tcp\r\n"));
/// ```
#[allow(clippy::too_many_arguments)]
pub fn write_request<'h>(
    out: &mut Vec<u8>,
    transaction_id: &str,
    method: &str,
    to_path: &str,
    from_path: &str,
    headers: impl IntoIterator<Item = (&'h str, &'h str)>,
    body: Option<&[u8]>,
    flag: Continuation,
) {
    write_start(out, transaction_id.as_bytes(), method.as_bytes(), None);
    write_paths(out, to_path, from_path);
    for (name, value) in headers {
        write_header(out, name, value);
    }
    write_body_and_end(out, transaction_id.as_bytes(), body, flag);
}

/// [`write_request`] with the `To-Path` and `From-Path` lines (`paths`, as [`write_paths`]
/// writes them) and the other header lines given as written, each with its CRLF (a relay's copy
/// of [`Frame::relay_head`]).
pub(crate) fn write_request_with_head(
    out: &mut Vec<u8>,
    transaction_id: &[u8],
    method: &str,
    paths: &[u8],
    head: &str,
    body: Option<&[u8]>,
    flag: Continuation,
) {
    write_start(out, transaction_id, method.as_bytes(), None);
    out.extend_from_slice(paths);
    out.extend_from_slice(head.as_bytes());
    write_body_and_end(out, transaction_id, body, flag);
}

fn write_body_and_end(out: &mut Vec<u8>, transaction_id: &[u8], body: Option<&[u8]>, flag: Continuation) {
    if let Some(body) = body {
        out.extend_from_slice(CRLF);
        out.extend_from_slice(body);
        out.extend_from_slice(CRLF);
    }
    write_end_line(out, transaction_id, flag);
}

/// Appends a response frame to `out` (RFC 4975 §7.2): `MSRP tid status phrase`, `To-Path`,
/// `From-Path`, the end-line with `$`; no body (§9 allows none in a response).
///
/// ```
/// use cpm_pf::msrp::frame::write_response;
/// let mut out = Vec::new();
/// write_response(&mut out, "tx1234", 200, "msrp://a.example:2855/t;tcp", "msrp://b.example:2855/s;tcp");
/// assert_eq!(out, b"MSRP tx1234 200 OK\r\nTo-Path: msrp://a.example:2855/t;tcp\r\n\
///     From-Path: msrp://b.example:2855/s;tcp\r\n-------tx1234$\r\n");
/// ```
pub fn write_response(out: &mut Vec<u8>, transaction_id: &str, status: u16, to_path: &str, from_path: &str) {
    write_response_of(out, transaction_id.as_bytes(), status, to_path, from_path);
}

/// [`write_response`] for a transaction id as bytes.
pub(crate) fn write_response_of(
    out: &mut Vec<u8>,
    transaction_id: &[u8],
    status: u16,
    to_path: &str,
    from_path: &str,
) {
    write_response_start(out, transaction_id, status);
    write_paths(out, to_path, from_path);
    write_end_line(out, transaction_id, Continuation::Complete);
}

/// [`write_response`] with the `To-Path` and `From-Path` lines written already (`paths`, as
/// [`write_paths`] writes them).
pub(crate) fn write_response_with_paths(out: &mut Vec<u8>, transaction_id: &[u8], status: u16, paths: &[u8]) {
    write_response_start(out, transaction_id, status);
    out.extend_from_slice(paths);
    write_end_line(out, transaction_id, Continuation::Complete);
}

fn write_response_start(out: &mut Vec<u8>, transaction_id: &[u8], status: u16) {
    // Three digits: a status outside 100..=999 is written as 500 rather than breaking the grammar.
    let status = if (100..=999).contains(&status) { status } else { 500 };
    let digits = [b'0' + (status / 100) as u8, b'0' + (status / 10 % 10) as u8, b'0' + (status % 10) as u8];
    write_start(out, transaction_id, &digits, Some(reason_phrase(status)));
}

/// `true` when `body` holds `CRLF "-------" transaction_id`, so that a frame with this body
/// and transaction id would end early: pick another id.
///
/// ```
/// use cpm_pf::msrp::frame::body_holds_end_line;
/// assert!(body_holds_end_line(b"a\r\n-------tx1234$\r\n", "tx1234"));
/// assert!(!body_holds_end_line(b"a\r\n-------tx9999$\r\n", "tx1234"));
/// ```
pub fn body_holds_end_line(body: &[u8], transaction_id: &str) -> bool {
    holds_end_line(body, transaction_id.as_bytes())
}

/// [`body_holds_end_line`] for a transaction id as bytes.
pub(crate) fn holds_end_line(body: &[u8], tid: &[u8]) -> bool {
    // Built once: a relay asks this for every chunk.
    static DASHES: std::sync::OnceLock<memchr::memmem::Finder<'static>> = std::sync::OnceLock::new();
    let dashes = DASHES.get_or_init(|| memchr::memmem::Finder::new(b"\r\n-------"));
    let mut from = 0;
    while let Some(i) = body.get(from..).and_then(|rest| dashes.find(rest)) {
        let after = from + i + 9;
        if body.get(after..after + tid.len()) == Some(tid) {
            return true;
        }
        from = from + i + 1;
    }
    false
}

fn write_start(out: &mut Vec<u8>, transaction_id: &[u8], word: &[u8], comment: Option<&str>) {
    out.extend_from_slice(b"MSRP ");
    out.extend_from_slice(transaction_id);
    out.push(b' ');
    out.extend_from_slice(word);
    if let Some(c) = comment.filter(|c| !c.is_empty()) {
        out.push(b' ');
        out.extend_from_slice(c.as_bytes());
    }
    out.extend_from_slice(CRLF);
}

pub(crate) fn write_paths(out: &mut Vec<u8>, to_path: &str, from_path: &str) {
    write_header(out, "To-Path", to_path);
    write_header(out, "From-Path", from_path);
}

fn write_header(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(CRLF);
}

fn write_end_line(out: &mut Vec<u8>, transaction_id: &[u8], flag: Continuation) {
    out.extend_from_slice(END_LINE_DASHES);
    out.extend_from_slice(transaction_id);
    out.push(flag.flag() as u8);
    out.extend_from_slice(CRLF);
}

/// An incremental MSRP frame decoder with a bounded buffer (RFC 4975 §9; docs/requirements.md LIM-1).
///
/// Two ways to hand it bytes, giving the same frames for the same bytes however they are split:
/// [`FrameDecoder::feed`] takes each read as it came from the socket and reads the frames that
/// lie whole in it where they lie (only a frame cut by the read's end is copied): the fast way,
/// and the one the session's own MSRP legs use. [`FrameDecoder::push`] and
/// [`FrameDecoder::next_frame`] copy the bytes into the decoder's buffer first, for a caller
/// that hands them over in pieces it cannot keep, as below.
///
/// ```
/// use cpm_pf::msrp::frame::FrameDecoder;
/// let bytes = b"MSRP d93kswow 200 OK\r\nTo-Path: msrp://a.example.com:7777/iau39soe2843z;tcp\r\n\
///     From-Path: msrp://b.example.com:8888/9di4eae923wzd;tcp\r\n-------d93kswow$\r\n";
/// let mut decoder = FrameDecoder::new(4096);
/// let mut frames = 0;
/// for byte in bytes.chunks(1) {
///     assert_eq!(decoder.push(byte), 1);
///     while let Some(frame) = decoder.next_frame() {
///         assert_eq!(frame.unwrap().transaction_id, "d93kswow");
///         frames += 1;
///     }
/// }
/// assert_eq!(frames, 1);
/// ```
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    /// `buf[start..]` is what is buffered; the bytes before `start` were consumed and are
    /// dropped by the next `push` (one move per push rather than one per frame).
    buf: Vec<u8>,
    start: usize,
    max_frame: usize,
    /// Bytes of the frame last returned, dropped on the next call.
    taken: usize,
    scan: Scan,
    state: DecoderState,
}

impl FrameDecoder {
    /// A decoder that never buffers more than `max_frame` bytes (at least 1); a frame longer
    /// than that is [`FrameError::TooLarge`].
    pub fn new(max_frame: usize) -> FrameDecoder {
        FrameDecoder {
            buf: Vec::new(),
            start: 0,
            max_frame: max_frame.max(1),
            taken: 0,
            scan: Scan::default(),
            state: DecoderState::Framing,
        }
    }

    /// The maximum frame size.
    pub fn max_frame(&self) -> usize {
        self.max_frame
    }

    /// Bytes currently buffered (never more than the maximum frame size).
    pub fn buffered(&self) -> usize {
        self.buf.len().saturating_sub(self.start).saturating_sub(self.taken)
    }

    /// `true` after a fatal error: the stream cannot be resynchronised.
    pub fn is_failed(&self) -> bool {
        self.state == DecoderState::Failed
    }

    /// Takes as many of `bytes` as fit in the buffer and returns how many it took. Call
    /// [`FrameDecoder::next_frame`] until it returns `None`, then push the rest. After a fatal
    /// error every byte is taken and discarded.
    pub fn push(&mut self, bytes: &[u8]) -> usize {
        self.drop_taken();
        if self.state == DecoderState::Failed {
            return bytes.len();
        }
        self.compact();
        let room = self.max_frame.saturating_sub(self.buf.len());
        let n = room.min(bytes.len());
        // `n` is at most `bytes.len()`: the split is in range.
        let (fits, _) = bytes.split_at(n);
        self.buf.extend_from_slice(fits);
        n
    }

    /// The next complete frame, an error, or `None` when more bytes are needed. After a
    /// non-fatal error the offending frame is skipped and decoding goes on; after a fatal one
    /// this returns `None` for good.
    pub fn next_frame(&mut self) -> Option<Result<Frame<'_>, FrameError>> {
        match self.step()? {
            Ok(found) => Some(build(self.buf.split_at(self.start.min(self.buf.len())).1, &found, &self.scan)),
            Err(e) => Some(Err(e)),
        }
    }

    /// Frames the bytes of one read (the decoder's own buffer first): a lending iterator,
    /// [`Feed::next_frame`]. It gives the frames that [`FrameDecoder::push`] and
    /// [`FrameDecoder::next_frame`] would give for the same bytes, but a frame that lies whole
    /// in `input` is read where it lies: only a frame cut by the end of a read (or one that
    /// began in an earlier read) is copied into the buffer. Whatever is not framed when the
    /// feed returns `None` is buffered, as after `push`.
    ///
    /// ```
    /// use cpm_pf::msrp::frame::FrameDecoder;
    /// let frame = b"MSRP d93kswow 200 OK\r\nTo-Path: msrp://a.example.com:7777/iau39soe2843z;tcp\r\n\
    ///     From-Path: msrp://b.example.com:8888/9di4eae923wzd;tcp\r\n-------d93kswow$\r\n";
    /// let stream = [&frame[..], &frame[..], &frame[..]].concat();
    /// let mut decoder = FrameDecoder::new(4096);
    /// let mut frames = 0;
    /// for read in stream.chunks(100) {
    ///     let mut feed = decoder.feed(read);
    ///     while let Some(frame) = feed.next_frame() {
    ///         assert_eq!(frame.unwrap().transaction_id, "d93kswow");
    ///         frames += 1;
    ///     }
    /// }
    /// assert_eq!((frames, decoder.buffered()), (3, 0));
    /// ```
    pub fn feed<'d, 'b>(&'d mut self, input: &'b [u8]) -> Feed<'d, 'b> {
        Feed { decoder: self, input, pos: 0, lent: 0, hungry: true, progress: true }
    }

    /// [`FrameDecoder::next_frame`] up to the frame's boundaries: the frame (at `start`, what
    /// the scan learnt left in `scan`), an error, or `None` when more bytes are needed.
    fn step(&mut self) -> Option<Result<Located, FrameError>> {
        self.drop_taken();
        loop {
            match &self.state {
                DecoderState::Failed => return None,
                DecoderState::Skipping { .. } => {
                    self.compact();
                    let DecoderState::Skipping { tid } = &self.state else { return None };
                    if !skip_to_end_line(&mut self.buf, &EndLineNeedle::new(tid.0.as_bytes())) {
                        return None;
                    }
                    self.state = DecoderState::Framing;
                    self.scan = Scan::default();
                }
                DecoderState::Framing => break,
            }
        }
        let start = self.start;
        // Nothing buffered from `start` on (which `drop_taken` and `compact` keep within the
        // buffer): more bytes are needed.
        if start >= self.buf.len() {
            return None;
        }
        // `start` is below the buffer's length (checked just above, and the buffer is not
        // changed before either split): both splits are in range. The frame is cut again rather
        // than kept from the first: the error arm below replaces the buffer.
        match locate(self.buf.split_at(start).1, self.max_frame, &mut self.scan) {
            Ok(None) => None,
            Ok(Some(found)) => {
                // The scan stays for the frame to be built from; dropping the frame starts it
                // afresh.
                self.taken = found.frame_end;
                Some(Ok(found))
            }
            Err(e) => {
                self.scan = Scan::default();
                match e {
                    FrameError::Malformed { frame_len, .. } => self.taken = frame_len,
                    FrameError::TooLarge { transaction_id: Some(tid), .. } => {
                        self.state = DecoderState::Skipping { tid };
                    }
                    FrameError::TooLarge { transaction_id: None, .. } | FrameError::BadStartLine { .. } => {
                        self.state = DecoderState::Failed;
                        self.buf = Vec::new();
                        self.start = 0;
                    }
                }
                Some(Err(e))
            }
        }
    }

    /// What a saved session keeps of the decoder: the undecoded bytes, the transaction whose
    /// oversized frame is being skipped, and whether the stream failed for good.
    #[cfg(feature = "serde")]
    pub(crate) fn saved(&self) -> (&[u8], Option<TransactionId>, bool) {
        let from = self.start.saturating_add(self.taken).min(self.buf.len());
        let bytes = self.buf.get(from..).unwrap_or_default();
        match self.state {
            DecoderState::Framing => (bytes, None, false),
            DecoderState::Skipping { tid } => (bytes, Some(tid), false),
            DecoderState::Failed => (&[], None, true),
        }
    }

    /// The decoder [`FrameDecoder::saved`] describes, or `None` when it holds more bytes than
    /// `max_frame` (a restored session keeps the ML-5 bound). The scan starts again over the
    /// bytes, which gives the frames it would have given (the decoder does not depend on how
    /// the bytes were split).
    #[cfg(feature = "serde")]
    pub(crate) fn restored(
        max_frame: usize,
        bytes: &[u8],
        skipping: Option<TransactionId>,
        failed: bool,
    ) -> Option<FrameDecoder> {
        let mut d = FrameDecoder::new(max_frame);
        if bytes.len() > d.max_frame || (failed && !bytes.is_empty()) {
            return None;
        }
        d.buf.extend_from_slice(bytes);
        d.state = match (skipping, failed) {
            (_, true) => DecoderState::Failed,
            (Some(tid), false) => DecoderState::Skipping { tid },
            (None, false) => DecoderState::Framing,
        };
        Some(d)
    }

    /// Marks the frame last returned as consumed.
    fn drop_taken(&mut self) {
        if self.taken > 0 {
            self.scan = Scan::default();
            self.start = self.start.saturating_add(self.taken).min(self.buf.len());
            self.taken = 0;
            if self.start == self.buf.len() {
                self.buf.clear();
                self.start = 0;
            }
        }
    }

    /// Moves the unconsumed bytes to the front of the buffer.
    fn compact(&mut self) {
        if self.start > 0 {
            self.buf.drain(..self.start.min(self.buf.len()));
            self.start = 0;
        }
    }
}

/// The frames of one read: [`FrameDecoder::feed`].
#[derive(Debug)]
pub struct Feed<'d, 'b> {
    decoder: &'d mut FrameDecoder,
    input: &'b [u8],
    /// `input[..pos]` was framed or pushed into the buffer.
    pos: usize,
    /// The last `lent` bytes of the buffer are `input[pos - lent..pos]`: when a frame taken
    /// from the buffer leaves only such bytes, they are given back and framed where they lie.
    lent: usize,
    /// The buffer must be given more bytes before the decoder is asked again.
    hungry: bool,
    /// A frame or an error came, or bytes were pushed, since the decoder last said `None`.
    progress: bool,
}

/// How far [`Feed::next_frame`] got, before the frame is built.
enum Fed {
    /// A frame at `input[at..]`, whose scan is the decoder's (left there rather than moved:
    /// [`Feed::advance`] and the feed's drop start it afresh).
    InInput {
        found: Located,
        at: usize,
    },
    /// A frame at the start of the decoder's buffer (its scan is the decoder's too).
    Buffered {
        found: Located,
    },
    Error(FrameError),
}

impl Feed<'_, '_> {
    /// The next frame of the decoder's buffer and this read, an error, or `None` when the read
    /// is used up (what is left of it is buffered).
    pub fn next_frame(&mut self) -> Option<Result<Frame<'_>, FrameError>> {
        let fed = self.advance()?;
        self.progress = true;
        Some(match fed {
            Fed::InInput { found, at } => {
                build(self.input.get(at..).unwrap_or_default(), &found, &self.decoder.scan)
            }
            Fed::Buffered { found } => {
                let d = &*self.decoder;
                build(d.buf.get(d.start..).unwrap_or_default(), &found, &d.scan)
            }
            Fed::Error(e) => Err(e),
        })
    }

    fn advance(&mut self) -> Option<Fed> {
        loop {
            let d = &mut *self.decoder;
            let had_taken = d.taken > 0;
            d.drop_taken();
            let framing = d.state == DecoderState::Framing;
            let buffered = d.buf.len().saturating_sub(d.start);
            if had_taken && framing && buffered <= self.lent {
                // What a frame taken from the buffer left there is the tail of this read: it is
                // given back (the scan starts afresh after a frame either way).
                self.pos = self.pos.saturating_sub(buffered);
                (self.lent, d.start, d.scan) = (0, 0, Scan::default());
                d.buf.clear();
            }
            if framing && d.start >= d.buf.len() {
                self.lent = 0;
                // Nothing buffered: the decoder's scan is free (a frame read in the input last
                // time left its own there).
                d.scan = Scan::default();
                let rest = self.input.get(self.pos..).unwrap_or_default();
                if rest.is_empty() {
                    return None;
                }
                match locate(rest, d.max_frame, &mut d.scan) {
                    Ok(Some(found)) => {
                        let at = self.pos;
                        self.pos += found.frame_end;
                        return Some(Fed::InInput { found, at });
                    }
                    Ok(None) if rest.len() <= d.max_frame => {
                        // A frame cut by the end of the read: buffered, with what the scan learnt
                        // (its offsets are the buffer's, which begins with the same bytes).
                        d.buf.clear();
                        d.buf.extend_from_slice(rest);
                        d.start = 0;
                        (self.pos, self.lent) = (self.input.len(), rest.len());
                        return None;
                    }
                    // An error: the buffer's way tells it, as for bytes pushed.
                    Ok(None) | Err(_) => d.scan = Scan::default(),
                }
            }
            if self.hungry {
                let rest = self.input.get(self.pos..).unwrap_or_default();
                if rest.is_empty() {
                    return None;
                }
                // What the buffered frame may still need: as much again as it holds (at least
                // 4 KiB), so that a long frame is copied in a few pushes and a short one does not
                // drag the rest of the read into the buffer.
                let want = buffered.max(4096).min(rest.len());
                let n = d.push(rest.get(..want).unwrap_or(rest));
                self.pos += n;
                self.lent = if d.state == DecoderState::Failed { 0 } else { self.lent + n };
                (self.hungry, self.progress) = (false, n > 0);
            }
            match self.decoder.step() {
                Some(Ok(found)) => return Some(Fed::Buffered { found }),
                Some(Err(e)) => return Some(Fed::Error(e)),
                None if !self.progress => return None,
                None => (self.hungry, self.progress) = (true, false),
            }
        }
    }
}

impl Drop for Feed<'_, '_> {
    fn drop(&mut self) {
        // The scan of the last frame read in the input must not be resumed over the next bytes.
        let d = &mut *self.decoder;
        if d.state == DecoderState::Framing && d.start >= d.buf.len() {
            d.scan = Scan::default();
        }
    }
}

/// Discards `buf` up to and including the end-line `needle` + flag + CRLF. Returns `true` when it
/// was found; otherwise keeps only the tail that could still begin it.
fn skip_to_end_line(buf: &mut Vec<u8>, needle: &EndLineNeedle<'_>) -> bool {
    let mut from = 0;
    while let Some(i) = needle.find(buf, from) {
        let after = i + needle.len();
        match (buf.get(after), buf.get(after + 1..after + 3)) {
            (Some(&flag), Some(tail)) if Continuation::from_flag(flag).is_some() && tail == CRLF => {
                buf.drain(..after + 3);
                return true;
            }
            (Some(_), Some(_)) => from = i + 1,
            // The end-line may be cut short: keep from its start.
            _ => {
                buf.drain(..i);
                return false;
            }
        }
    }
    let keep = needle.len().saturating_sub(1);
    let cut = buf.len().saturating_sub(keep);
    buf.drain(..cut);
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_scan_finds_the_first_unprintable_byte_as_a_byte_loop_does() {
        // Every byte value at every position of a word, after printable fill, and at every
        // start and length (the tail is read byte by byte).
        for b in 0..=255u8 {
            for at in 0..20 {
                let mut hay = vec![b'a'; 20];
                hay[at] = b;
                for from in 0..=hay.len() {
                    let by_byte =
                        hay[from..].iter().position(|&c| is_unprintable(c)).map_or(hay.len(), |i| from + i);
                    assert_eq!(first_unprintable(&hay, from), by_byte, "byte {b:#04x} at {at}, from {from}");
                }
            }
        }
        for w in [0u64, u64::MAX, ONES * 0x7F, ONES * 0x7E, ONES * 0x20, ONES * 0x1F, ONES * 0x80] {
            let by_byte =
                w.to_le_bytes().iter().rev().fold(0u64, |m, &c| m << 8 | u64::from(is_unprintable(c)) << 7);
            assert_eq!(unprintable_bytes(w), by_byte, "{w:#018x}");
        }
    }

    #[test]
    fn a_header_line_is_dirty_when_any_byte_of_it_is() {
        // Searched whole or resumed at every point, a line is found at the same CRLF and is dirty
        // exactly when it holds a byte that is not printable ASCII.
        let lines: [&[u8]; 7] =
            [b"To-Path: x\r\n", b"A: \t\r\n", b"B: \xc3\xa9\r\n", b"C: a\rb\r\n", b"\r\n", b"D: x\r", b"E"];
        for line in lines {
            let whole = line_end(line, 0);
            let dirty_whole = whole.map_or(line.len(), |e| e);
            let expect_dirty = line[..dirty_whole].iter().any(|&c| is_unprintable(c));
            for cut in 0..=line.len() {
                let mut dirty = false;
                let first = header_line_end(&line[..cut], 0, &mut dirty);
                let resumed = match first {
                    Ok(e) => Ok(e),
                    Err(resume) => header_line_end(line, resume, &mut dirty),
                };
                assert_eq!(resumed, whole, "{line:?} cut at {cut}");
                if whole.is_ok() {
                    assert_eq!(dirty, expect_dirty, "{line:?} cut at {cut}");
                }
            }
        }
    }

    /// The word compare against every one-byte change of each known name, at every position:
    /// on a line without control characters it says "this name" exactly when a case-blind
    /// compare does, and the slot is that name's.
    #[test]
    fn known_names_are_told_by_word_compares_exactly() {
        let names: [(&[u8], usize); 6] = [
            (b"To-Path:", TO_PATH),
            (b"From-Path:", FROM_PATH),
            (b"Message-ID:", MESSAGE_ID),
            (b"Byte-Range:", BYTE_RANGE),
            (b"Content-Type:", CONTENT_TYPE),
            (b"Failure-Report:", FAILURE_REPORT),
        ];
        let mut told = 0;
        for (name, slot) in names {
            for at in 0..name.len() {
                for byte in (0x20u8..=0xFF).filter(|&b| b != 0x7F) {
                    let mut line = name.to_vec();
                    line[at] = byte;
                    line.extend_from_slice(b" value");
                    let plain = line[..name.len()].eq_ignore_ascii_case(name);
                    assert_eq!(known_name(&line, false), plain.then_some((slot, name.len())), "{line:?}");
                    told += usize::from(plain);
                    // Cut short, the line is never taken for the name.
                    assert_eq!(known_name(&line[..name.len() - 1], false), None, "{line:?}");
                }
            }
        }
        // Each letter in two cases, each `-` and `:` only as itself.
        let letters: usize =
            names.iter().map(|(n, _)| n.iter().filter(|b| b.is_ascii_alphabetic()).count()).sum();
        let others: usize =
            names.iter().map(|(n, _)| n.len() - n.iter().filter(|b| b.is_ascii_alphabetic()).count()).sum();
        assert_eq!(told, 2 * letters + others);
        // A dirty line is never judged by the word compares.
        assert_eq!(known_name(b"To-Path: x\x01", true), None);
    }

    /// A relay's copy of the head at once writes what the header by header writer writes,
    /// whenever the frame offers it; heads it cannot copy as received are not offered.
    #[test]
    fn the_relay_head_is_what_the_header_writer_writes() {
        let relayed =
            |n: &str| !["To-Path", "From-Path", "Failure-Report"].iter().any(|k| k.eq_ignore_ascii_case(n));
        let heads: [(&str, bool); 9] = [
            ("To-Path: a\r\nFrom-Path: b\r\nMessage-ID: m\r\nByte-Range: 1-1/1\r\n", true),
            ("To-Path: a\r\nFrom-Path: b\r\n", true),
            ("to-path: a\r\nfrom-path:b\r\nX-Y: \r\nZ: :v w\r\n", true),
            ("To-Path: a\r\nFrom-Path: b\r\nMessage-ID:  m\r\n", false),
            ("To-Path: a\r\nFrom-Path: b\r\nMessage-ID:m\r\n", false),
            ("To-Path: a\r\nFrom-Path: b\r\nMessage-ID: m \r\n", false),
            ("To-Path: a\r\nFrom-Path: b\r\nFailure-Report: no\r\n", false),
            ("From-Path: b\r\nTo-Path: a\r\nMessage-ID: m\r\n", false),
            ("To-Path: a\r\nFrom-Path: b\r\nX: \u{e9}t\u{e9}\r\nto-path: c\r\n", false),
        ];
        for (head, offered) in heads {
            for body in [None, Some(&b"hi"[..])] {
                let mut bytes = format!("MSRP t1234 SEND\r\n{head}").into_bytes();
                if let Some(b) = body {
                    bytes.extend_from_slice(b"\r\n");
                    bytes.extend_from_slice(b);
                    bytes.extend_from_slice(b"\r\n");
                }
                bytes.extend_from_slice(b"-------t1234+\r\n");
                let r = parse(&bytes, DEFAULT_MAX_FRAME);
                let Ok(Parsed::Frame { frame, .. }) = r else { panic!("{head} {r:?}") };
                assert_eq!(frame.relay_head().is_some(), offered, "{head}");
                let Some(copy) = frame.relay_head() else { continue };
                let (mut by_header, mut at_once) = (Vec::new(), Vec::new());
                let headers = frame.headers().filter(|h| relayed(h.name)).map(|h| (h.name, h.value));
                write_request(
                    &mut by_header,
                    "pf1",
                    "SEND",
                    "x",
                    "y",
                    headers,
                    frame.body,
                    frame.continuation,
                );
                let mut paths = Vec::new();
                write_paths(&mut paths, "x", "y");
                write_request_with_head(
                    &mut at_once,
                    b"pf1",
                    "SEND",
                    &paths,
                    copy,
                    frame.body,
                    frame.continuation,
                );
                assert_eq!(String::from_utf8_lossy(&at_once), String::from_utf8_lossy(&by_header), "{head}");
            }
        }
    }

    #[test]
    fn a_body_without_cr_is_not_searched_again() {
        let frame_of = |body: &[u8]| {
            let mut bytes = b"MSRP t1234 SEND\r\nTo-Path: a\r\nFrom-Path: b\r\n\r\n".to_vec();
            bytes.extend_from_slice(body);
            bytes.extend_from_slice(b"\r\n-------t1234$\r\n");
            bytes
        };
        for (body, searched) in
            [(&b"plain"[..], false), (b"", false), (b"a\rb", true), (b"x\r\n-------pf1$\r\n", true)]
        {
            let bytes = frame_of(body);
            let Ok(Parsed::Frame { frame, .. }) = parse(&bytes, DEFAULT_MAX_FRAME) else { panic!() };
            assert_eq!(frame.body, Some(body));
            assert_eq!(!frame.body_to_search().is_empty(), searched, "{body:?}");
            // Byte by byte through the decoder, the resumed scan says the same.
            let mut d = FrameDecoder::new(4096);
            let mut seen = None;
            for b in bytes.chunks(1) {
                d.push(b);
                if let Some(f) = d.next_frame() {
                    seen = Some(f.unwrap().body_to_search().len());
                }
            }
            assert_eq!(seen, Some(if searched { body.len() } else { 0 }), "{body:?}");
        }
    }

    /// The usual start line read at once is read so byte by byte too; a line it does not take
    /// is left to the byte by byte reading.
    #[test]
    fn the_usual_start_line_is_read_as_byte_by_byte() {
        let tids = [
            "a",
            "abc",
            "abcd",
            "a.-+%=9",
            "-abc",
            "ab cd",
            &"x".repeat(31),
            &"x".repeat(32),
            &"x".repeat(33),
        ];
        let rests: [&[u8]; 16] = [
            b"SEND",
            b"REPORT",
            b"Send",
            b"",
            b"200",
            b"200 OK",
            b"200 ",
            b"20",
            b"2000",
            b"200 O\tK",
            b"200 \xc3\xa9",
            b"200 a\x01",
            b"AUTH X",
            b"481 Session Does Not Exist",
            b"SEND\n",
            b"200 OK\r",
        ];
        let mut taken = 0;
        for tid in tids {
            for rest in rests {
                for end in [&b"\r\n"[..], b"\r", b"", b"\n", b"\rx"] {
                    let mut w = format!("MSRP {tid} ").into_bytes();
                    w.extend_from_slice(rest);
                    w.extend_from_slice(end);
                    w.extend_from_slice(b"To-Path: x\r\n");
                    let slow = read_start_line(&w, StartRead { lex: StartLex::Tid, at: TID_AT, tid_len: 0 });
                    match usual_start_line(&w) {
                        Some((tid_len, end)) => {
                            taken += 1;
                            assert!(
                                matches!(slow, Ok(StartLineRead::Whole { tid_len: t, end: e }) if (t, e) == (tid_len, end)),
                                "{w:?}"
                            );
                        }
                        None => assert!(
                            !matches!(slow, Ok(StartLineRead::Whole { .. }))
                                || !w.is_ascii()
                                || rest.contains(&b'\t')
                                || tid.len() >= 32,
                            "{w:?}"
                        ),
                    }
                }
            }
        }
        // At least the plain lines: three ids of 4 to 31 ident characters, each with the six
        // rests that end in CRLF, the three status lines that run on into the next line (a
        // comment), and `200 OK\r` completed by `\n`. A comment holding a tab is left to the
        // byte by byte reading.
        assert!(taken >= 3 * (6 + 3 + 1), "{taken}");
    }

    /// A feed and the push / next_frame calls mix: what one left is what the other starts from.
    #[test]
    fn feeds_and_pushes_mix() {
        let one = |tid: &str| {
            format!("MSRP {tid} SEND\r\nTo-Path: a\r\nFrom-Path: b\r\n\r\nhi\r\n-------{tid}$\r\n")
        };
        let (a, b) = (one("aaaa1"), one("bbbb2"));
        let mut d = FrameDecoder::new(4096);
        let mut feed = d.feed(a.as_bytes());
        assert_eq!(
            feed.next_frame().map(|f| f.map(|f| f.transaction_id.to_owned())),
            Some(Ok("aaaa1".into()))
        );
        assert!(feed.next_frame().is_none());
        drop(feed);
        // Half a frame pushed, then fed the rest.
        let (first, second) = b.as_bytes().split_at(20);
        assert_eq!(d.push(first), 20);
        assert!(d.next_frame().is_none());
        let mut feed = d.feed(second);
        assert_eq!(
            feed.next_frame().map(|f| f.map(|f| f.transaction_id.to_owned())),
            Some(Ok("bbbb2".into()))
        );
        assert!(feed.next_frame().is_none());
        drop(feed);
        assert_eq!(d.push(a.as_bytes()), a.len());
        assert_eq!(d.next_frame().map(|f| f.map(|f| f.transaction_id)), Some(Ok("aaaa1")));
        assert_eq!(d.buffered(), 0);
    }

    #[test]
    fn the_end_line_needle_is_found_where_a_window_search_finds_it() {
        let needle = EndLineNeedle::new(b"a786hjs2");
        let bytes = b"\r\n-------a786hjs2";
        assert_eq!(needle.len(), bytes.len());
        // Haystacks from the needle's own pieces, cut and repeated, so near misses abound.
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut found = 0;
        // Some haystacks are long and mostly filler, so that the SIMD search runs over whole
        // vectors and a needle may begin anywhere in one.
        for round in 0..20_000 {
            let mut hay = Vec::new();
            let len = [80, 200, 400][round % 3];
            while hay.len() < len {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                if round % 3 != 0 && x % 8 != 0 {
                    hay.extend(std::iter::repeat_n(b'q', ((x >> 40) % 40) as usize));
                }
                let n = bytes.len() as u64;
                let from = (x % n) as usize;
                let to = from + ((x >> 8) % (n - from as u64 + 1)) as usize;
                hay.extend_from_slice(&bytes[from..to]);
                hay.push(b"\rx-2"[((x >> 16) % 4) as usize]);
            }
            let start = ((x >> 24) % 8) as usize;
            let plain = hay[start..].windows(bytes.len()).position(|w| w == bytes).map(|i| i + start);
            assert_eq!(needle.find(&hay, start), plain, "{hay:?}");
            found += usize::from(plain.is_some());
        }
        assert!(found > 100, "too few haystacks hold the needle: {found}");
    }
}
