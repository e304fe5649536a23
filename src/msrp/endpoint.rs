//! MSRP on the legs (docs/requirements.md ML-1 … ML-5): the per-leg state of a session that
//! speaks MSRP itself, in the media path (RFC 4975 §7, §9).
//!
//! A [`Session`](crate::Session) set up with
//! [`Session::set_msrp_leg`](crate::Session::set_msrp_leg) owns one `LegEndpoint` per leg:
//! the leg's local and remote MSRP URIs, a [`FrameDecoder`] for the bytes read from the leg's
//! connection (at most one maximum frame undecoded, ML-5), the bytes to write on it (drained with
//! [`Session::poll_msrp_transmit`](crate::Session::poll_msrp_transmit), quinn-proto's
//! `poll_transmit` habit), a transaction-id counter and the chunks relayed on it that await
//! their response (at most `Config::msrp_max_pending`, each with its 30 s deadline, ML-4/ML-5).
//!
//! Beside the legs, `MsrpLegs` keeps what spans them: the delivery of each message relayed to
//! the client (ML-4: learnt from its `200`s or a success REPORT, decided once), which leg sent
//! each relayed message (REPORTs go back there), and the messages deferred while the client was
//! gone (sent to it as SENDs after a re-join, BYE-4ii).
//!
//! This module holds the state and the pure pieces (URI comparison, `Failure-Report`, REPORT
//! `Status`, transaction ids); the session's side of the protocol is in `session/legs.rs`.
//! Frames are written by the one writer, [`frame::write_request`] and
//! [`frame::write_response`].

use std::collections::VecDeque;

use smallvec::SmallVec;

use super::frame::{self, FrameDecoder, TransactionId};
use super::reassembly::Message;
use super::Continuation;
use crate::grammar::message_id::MessageId;
use crate::{Leg, Time};

/// Why a message relayed to the client was not delivered (ML-4).
///
/// ```
/// use cpm_pf::msrp::endpoint::DeliveryFailure;
/// assert_eq!(DeliveryFailure::Status(486).to_string(), "the client answered 486");
/// ```
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeliveryFailure {
    /// The client answered a chunk of it with this non-200 status.
    Status(u16),
    /// The client sent a failure REPORT with this status.
    Report(u16),
    /// A chunk of it had no response within `Config::msrp_response_timeout_secs` (RFC 4975
    /// §7.1.1).
    NoResponse,
    /// The client's media was released (it left, or its connection was lost) before it
    /// answered every chunk.
    Released,
    /// Its delivery was still open when more messages to the client had to be tracked than the
    /// session keeps (ML-5: `2 × msrp_max_pending`); the oldest gives way.
    Abandoned,
}

impl core::fmt::Display for DeliveryFailure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            DeliveryFailure::Status(s) => write!(f, "the client answered {s}"),
            DeliveryFailure::Report(s) => write!(f, "the client reported {s}"),
            DeliveryFailure::NoResponse => f.write_str("the client did not answer in time"),
            DeliveryFailure::Released => f.write_str("the client's media was released before it answered"),
            DeliveryFailure::Abandoned => f.write_str("too many deliveries open at once"),
        }
    }
}

/// Why [`Session::set_msrp_leg`](crate::Session::set_msrp_leg) refused a leg.
///
/// ```
/// use cpm_pf::msrp::endpoint::MsrpLegError;
/// use cpm_pf::{Config, Leg, Session, Time};
/// let mut s = Session::new(Config::default(), Time::EPOCH).unwrap();
/// let e = s.set_msrp_leg(Leg::Client, "sip:pf.example", "msrp://c.example/s;tcp").unwrap_err();
/// assert!(matches!(e, MsrpLegError::BadUri(_)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MsrpLegError {
    /// The session has no such leg.
    #[error("the session has no leg {0}")]
    NoSuchLeg(Leg),
    /// A proxy is not in the media path.
    #[error("a proxy is not in the media path")]
    NotInMediaPath,
    /// A URI is not `msrp://…` or `msrps://…` of visible ASCII (it is written into frames).
    #[error("not an MSRP URI of visible ASCII: {0:?}")]
    BadUri(String),
}

/// The `Failure-Report` of a request (RFC 4975 §7.1.2): which responses its sender wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureReport {
    /// `yes` (or absent): every response.
    Yes,
    /// `partial`: only failure responses.
    Partial,
    /// `no`: no response at all.
    No,
}

impl FailureReport {
    /// The value of a `Failure-Report` header; absent or unknown values mean `yes`.
    ///
    /// ```
    /// use cpm_pf::msrp::endpoint::FailureReport;
    /// assert_eq!(FailureReport::of(Some("no")), FailureReport::No);
    /// assert_eq!(FailureReport::of(Some("Partial")), FailureReport::Partial);
    /// assert_eq!(FailureReport::of(None), FailureReport::Yes);
    /// ```
    pub fn of(value: Option<&str>) -> FailureReport {
        match value.map(str::trim) {
            Some(v) if v.eq_ignore_ascii_case("no") => FailureReport::No,
            Some(v) if v.eq_ignore_ascii_case("partial") => FailureReport::Partial,
            _ => FailureReport::Yes,
        }
    }

    /// Whether a response with `status` is sent (RFC 4975 §7.2: `no` wants none, `partial` only
    /// failures).
    pub fn wants(self, status: u16) -> bool {
        match self {
            FailureReport::Yes => true,
            FailureReport::Partial => status != 200,
            FailureReport::No => false,
        }
    }
}

/// The status code of a REPORT's `Status` value (`namespace SP status-code [SP text]`, RFC 4975
/// §9), when the namespace is `000`.
///
/// ```
/// use cpm_pf::msrp::endpoint::report_status;
/// assert_eq!(report_status("000 200 OK"), Some(200));
/// assert_eq!(report_status("000 413"), Some(413));
/// assert_eq!(report_status("001 200"), None);
/// ```
pub fn report_status(value: &str) -> Option<u16> {
    let mut words = value.split_ascii_whitespace();
    let (Some("000"), Some(code)) = (words.next(), words.next()) else { return None };
    (code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit())).then(|| code.parse().ok()).flatten()
}

/// Whether the first URI of a `To-Path` names `local` (RFC 4975 §6.1): scheme, authority and
/// transport compared without regard to case, the session-id exactly.
///
/// ```
/// use cpm_pf::msrp::endpoint::to_path_is;
/// let local = "msrp://pf.example:2855/client;tcp";
/// assert!(to_path_is("MSRP://PF.example:2855/client;TCP", local));
/// assert!(!to_path_is("msrp://pf.example:2855/Client;tcp", local));
/// assert!(to_path_is("msrp://pf.example:2855/client;tcp msrp://x.example/y;tcp", local));
/// ```
pub fn to_path_is(to_path: &str, local: &str) -> bool {
    // The usual To-Path: the local URI alone, written the same.
    if to_path == local {
        return true;
    }
    let first = to_path.split_ascii_whitespace().next().unwrap_or("");
    let split = |uri: &str| -> (String, String, String) {
        let (head, tail) = uri.rsplit_once('/').unwrap_or((uri, ""));
        let (session, transport) = tail.split_once(';').unwrap_or((tail, ""));
        (head.to_ascii_lowercase(), session.to_owned(), transport.to_ascii_lowercase())
    };
    // Equal text (the usual case) needs no split.
    first == local || split(first) == split(local)
}

/// Checks an MSRP URI before it is written into frames: `msrp://` or `msrps://`, then visible
/// ASCII only (no space, CR or LF).
pub(crate) fn check_uri(uri: &str) -> Result<(), MsrpLegError> {
    let lower = uri.get(..8).map(str::to_ascii_lowercase).unwrap_or_default();
    let scheme = lower.starts_with("msrp://") || lower.starts_with("msrps://");
    if scheme && uri.len() > 8 && uri.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(())
    } else {
        Err(MsrpLegError::BadUri(uri.to_owned()))
    }
}

/// A chunk the session relayed on a leg, awaiting its transaction response.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pending {
    /// The transaction id the session gave it.
    pub tid: TransactionId,
    /// Its Message-ID.
    pub message_id: Option<MessageId>,
    /// Body bytes it carries.
    pub len: u64,
    /// When it stops waiting (ML-4).
    pub deadline: Time,
}

/// One leg's MSRP endpoint.
#[derive(Debug, Clone)]
pub(crate) struct LegEndpoint {
    pub local: Box<str>,
    pub remote: Box<str>,
    /// `To-Path: remote CRLF From-Path: local CRLF`, as every frame written on the leg to its
    /// peer begins after the start line: written once, copied at once.
    pub paths: Box<[u8]>,
    pub decoder: FrameDecoder,
    /// Bytes to write; `transmit[sent..]` are not written yet.
    pub transmit: Vec<u8>,
    pub sent: usize,
    pub next_tid: u32,
    /// Oldest first: deadlines are in order.
    pub pending: VecDeque<Pending>,
    /// A fatal framing error was reported: the connection is unusable.
    pub failed: bool,
    /// Bytes were added to `transmit` during the current input: an `Action::MsrpTransmit` is
    /// owed (one per input and leg).
    pub announce: bool,
}

impl LegEndpoint {
    pub fn new(local: &str, remote: &str, max_frame: usize, max_pending: usize) -> LegEndpoint {
        let mut paths = Vec::new();
        frame::write_paths(&mut paths, remote, local);
        LegEndpoint {
            local: local.into(),
            remote: remote.into(),
            paths: paths.into(),
            decoder: FrameDecoder::new(max_frame),
            transmit: Vec::new(),
            sent: 0,
            next_tid: 0,
            pending: VecDeque::with_capacity(max_pending.min(1024)),
            failed: false,
            announce: false,
        }
    }

    /// The bytes not written yet.
    pub fn unsent(&self) -> &[u8] {
        self.transmit.get(self.sent..).unwrap_or_default()
    }

    /// `n` more bytes were written; once all are, the buffer is reused (no allocation).
    pub fn consume(&mut self, n: usize) {
        self.sent = self.sent.saturating_add(n).min(self.transmit.len());
        if self.sent == self.transmit.len() {
            self.transmit.clear();
            self.sent = 0;
        }
    }

    /// Writes a request to this leg's peer (To-Path its URI, From-Path ours): `headers` after
    /// the paths, then `body` and the end-line with `flag`; a transmit is owed.
    pub fn write_request<'h>(
        &mut self,
        tid: &TransactionId,
        method: &str,
        headers: impl IntoIterator<Item = (&'h str, &'h str)>,
        body: Option<&[u8]>,
        flag: Continuation,
    ) {
        frame::write_request(
            &mut self.transmit,
            tid.as_str(),
            method,
            &self.remote,
            &self.local,
            headers,
            body,
            flag,
        );
        self.announce = true;
    }

    /// A new transaction id that the end-line search of `body` cannot mistake (RFC 4975 §7.1):
    /// `pf` and eight hex digits of a per-leg counter.
    pub fn new_tid(&mut self, body: &[u8]) -> TransactionId {
        loop {
            let text = tid_text(self.next_tid);
            self.next_tid = self.next_tid.wrapping_add(1);
            // Ten ident characters: always a transaction id.
            if !frame::holds_end_line(body, &text) {
                return TransactionId::of_ident(&text);
            }
        }
    }

    /// Writes a response to a request received on this leg: To-Path is the request's From-Path
    /// (the leg's remote URI when the request could not be read), From-Path the local URI.
    pub fn respond(&mut self, tid: &[u8], status: u16, to_path: Option<&str>) {
        match to_path {
            // The usual From-Path: the peer's URI alone, its paths are the leg's.
            Some(p) if p == &*self.remote => {
                frame::write_response_with_paths(&mut self.transmit, tid, status, &self.paths)
            }
            _ => {
                let to = to_path.and_then(|p| p.split_ascii_whitespace().next()).unwrap_or(&self.remote);
                frame::write_response_of(&mut self.transmit, tid, status, to, &self.local);
            }
        }
        self.announce = true;
    }
}

fn tid_text(n: u32) -> [u8; 10] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut t = *b"pf00000000";
    for (i, slot) in t.iter_mut().skip(2).enumerate() {
        let shift = 28 - 4 * i as u32;
        *slot = HEX[((n >> shift) & 0xf) as usize];
    }
    t
}

/// The delivery of one message relayed to the client (ML-4).
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Delivery {
    pub id: MessageId,
    /// The message's size, once a chunk said it (`/total`, or the end of its last chunk).
    pub total: Option<u64>,
    /// Bytes the client answered `200` to.
    pub acked: u64,
    /// Chunks relayed to the client still awaiting their response.
    pub outstanding: u32,
    /// When the session reassembles: whether every byte of the message was received (and so
    /// relayed). Then that, not the count of answered bytes (which a repeated chunk would
    /// inflate), says every chunk was relayed. `None`: the session does not reassemble.
    pub whole: Option<bool>,
    /// `None` while open; then delivered (`Ok`) or not (`Err`), decided once.
    pub decided: Option<Result<(), DeliveryFailure>>,
}

impl Delivery {
    /// Delivered: every chunk relayed and answered `200`, nothing outstanding, nothing failed.
    pub fn complete(&self) -> bool {
        let all_relayed = match self.whole {
            Some(whole) => whole,
            None => self.total.is_some_and(|t| self.acked >= t),
        };
        self.decided.is_none() && self.outstanding == 0 && all_relayed
    }
}

/// The MSRP state of a session whose legs speak MSRP: allocated with the first
/// `set_msrp_leg`, so that an idle session stays small.
#[derive(Debug, Clone, Default)]
pub(crate) struct MsrpLegs {
    /// By leg index (client, then `remote` or `iwf1`…).
    pub legs: SmallVec<[Option<LegEndpoint>; 3]>,
    /// Messages relayed to the client, oldest first, at most `2 × msrp_max_pending`.
    pub deliveries: VecDeque<Delivery>,
    /// Which leg sent each message relayed lately (REPORTs go back there), at most
    /// `2 × msrp_max_pending`, oldest first.
    pub origins: VecDeque<(MessageId, Leg)>,
    /// Messages deferred while the client was gone (BYE-4ii), in arrival order: sent to the
    /// client as SENDs after it re-joins.
    pub deferred: VecDeque<Message>,
}

impl MsrpLegs {
    /// The delivery of `id`, if it is tracked.
    pub fn delivery(&mut self, id: MessageId) -> Option<&mut Delivery> {
        self.deliveries.iter_mut().find(|d| d.id == id)
    }

    /// Which leg sent message `id`, if it was relayed lately.
    pub fn origin(&self, id: MessageId) -> Option<Leg> {
        self.origins.iter().rev().find(|(m, _)| *m == id).map(|&(_, leg)| leg)
    }

    /// Notes that `origin` sent message `id`, forgetting the oldest beyond `cap`.
    pub fn note_origin(&mut self, id: MessageId, origin: Leg, cap: usize) {
        if self.origins.back().is_some_and(|&(m, l)| m == id && l == origin) {
            return;
        }
        if self.origins.len() >= cap {
            self.origins.pop_front();
        }
        self.origins.push_back((id, origin));
    }

    /// The earliest deadline of a relayed chunk on any leg.
    pub fn deadline(&self) -> Option<Time> {
        self.legs.iter().flatten().filter_map(|l| l.pending.front().map(|p| p.deadline)).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transaction_ids_are_idents_that_a_body_cannot_end() {
        let mut ep = LegEndpoint::new("msrp://a.example/x;tcp", "msrp://b.example/y;tcp", 4096, 4);
        assert_eq!(ep.new_tid(b"").as_str(), "pf00000000");
        // A body holding the next id's end-line makes the endpoint skip that id.
        assert_eq!(ep.new_tid(b"x\r\n-------pf00000001$\r\n").as_str(), "pf00000002");
        ep.next_tid = u32::MAX;
        assert_eq!(ep.new_tid(b"").as_str(), "pfffffffff");
        assert_eq!(ep.new_tid(b"").as_str(), "pf00000000");
    }

    #[test]
    fn uris_written_into_frames_are_checked() {
        assert!(check_uri("msrp://pf.example:2855/client;tcp").is_ok());
        assert!(check_uri("MSRPS://pf.example/s;tcp").is_ok());
        assert!(check_uri("sip:pf.example").is_err());
        assert!(check_uri("msrp://pf.example/s;tcp\r\nX: y").is_err());
        assert!(check_uri("msrp://").is_err());
    }
}
