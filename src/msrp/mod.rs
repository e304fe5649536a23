//! The MSRP chunk layer (RFC 4975): frame parsing and message reassembly with limits.
//!
//! - [`frame`]: an incremental, zero-copy parser for MSRP frames (RFC 4975 §9).
//! - [`reassembly`]: chunks to messages, keyed by leg and Message-ID (RFC 4975 §7.1, docs/requirements.md
//!   MSRP-1), within the LIM-1 limits.
//! - [`endpoint`]: MSRP on the legs (ML-1 … ML-5): per-leg URIs, decoders, transmit buffers and
//!   relayed chunks awaiting their response, for a session that speaks MSRP itself.

pub mod endpoint;
pub mod frame;
pub mod reassembly;

use core::fmt;

/// The continuation flag of an MSRP end-line (RFC 4975 §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Continuation {
    /// `$`: the last chunk of the message.
    Complete,
    /// `+`: more chunks follow.
    More,
    /// `#`: the sender aborted the message.
    Aborted,
}

impl Continuation {
    /// The flag from its character.
    pub fn from_flag(flag: u8) -> Option<Continuation> {
        match flag {
            b'$' => Some(Continuation::Complete),
            b'+' => Some(Continuation::More),
            b'#' => Some(Continuation::Aborted),
            _ => None,
        }
    }

    /// The flag's character.
    pub fn flag(self) -> char {
        match self {
            Continuation::Complete => '$',
            Continuation::More => '+',
            Continuation::Aborted => '#',
        }
    }
}

impl fmt::Display for Continuation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.flag())
    }
}

/// An MSRP SEND request as the reassembler needs it, borrowed from the frame.
///
/// Embedders with their own MSRP stack fill it in from their parsed request; others get it from
/// bytes through [`frame::FrameDecoder`] and [`SendRequest::from_frame`].
///
/// Header values are raw (unparsed) so that a malformed one can still be answered with the
/// right status and echoed back; the reassembler parses them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SendRequest<'a> {
    /// The raw `Message-ID` value, if present.
    pub message_id: Option<&'a str>,
    /// The raw `Byte-Range` value, if present (absent means `1-*/*`).
    pub byte_range: Option<&'a str>,
    /// The end-line's continuation flag; `None` when it was missing or not one of `$ + #`.
    pub continuation: Option<Continuation>,
    /// The `Content-Type` value, if present.
    pub content_type: Option<&'a str>,
    /// The body (the content between the blank line and the CRLF before the end-line).
    pub body: &'a [u8],
}

impl<'a> SendRequest<'a> {
    /// The SEND request carried by `frame`, or `None` when the frame is not a SEND request.
    ///
    /// Header values are taken raw (the reassembler parses them); a frame without body gives an
    /// empty body.
    ///
    /// ```
    /// use cpm_pf::msrp::frame::{parse, Parsed, DEFAULT_MAX_FRAME};
    /// use cpm_pf::msrp::{Continuation, SendRequest};
    /// let bytes = b"MSRP dkei38ia SEND\r\nTo-Path: msrp://b.example.com:8888/9di4eae923wzd;tcp\r\n\
    ///     From-Path: msrp://a.example.com:7777/iau39soe2843z;tcp\r\nMessage-ID: 4564dpWd\r\n\
    ///     Byte-Range: 5-8/8\r\nContent-Type: text/plain\r\n\r\nEFGH\r\n-------dkei38ia$\r\n";
    /// let Ok(Parsed::Frame { frame, .. }) = parse(bytes, DEFAULT_MAX_FRAME) else { panic!() };
    /// let send = SendRequest::from_frame(&frame).unwrap();
    /// assert_eq!(send.message_id, Some("4564dpWd"));
    /// assert_eq!(send.byte_range, Some("5-8/8"));
    /// assert_eq!(send.continuation, Some(Continuation::Complete));
    /// assert_eq!(send.body, b"EFGH");
    /// ```
    pub fn from_frame(frame: &frame::Frame<'a>) -> Option<SendRequest<'a>> {
        match frame.method()? {
            frame::RequestMethod::Send => Some(SendRequest {
                message_id: frame.message_id(),
                byte_range: frame.byte_range(),
                continuation: Some(frame.continuation),
                content_type: frame.content_type(),
                // A frame without a body carries an empty one (the body-less SEND of RFC 4975
                // §7.1): an absent value, not a range that failed a check.
                body: frame.body.unwrap_or_default(),
            }),
            frame::RequestMethod::Report | frame::RequestMethod::Other(_) => None,
        }
    }
}
