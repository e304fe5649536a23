//! What the embedder feeds a session: facts about what was received or what happened.

use crate::action::ObjectRef;
use crate::grammar::message_id::MessageId;
use crate::headers::SipHeaders;
use crate::msrp::SendRequest;
use crate::{Leg, Method};

/// One input to [`Session::handle`](crate::Session::handle), named as a fact.
///
/// # What to feed, and when
///
/// | what happened | input | who answers it |
/// |---|---|---|
/// | the first INVITE of the session (or a REFER whose Refer-To has `method=INVITE`), on any leg | `RequestReceived` with its headers and body: it gives the session info object its headers (REC-4a), the identities when not configured (EMB-1), and a `Session-Expires` (ST-0) | your SIP stack answers and relays it |
/// | a re-INVITE or UPDATE (session refresh) | `RequestReceived`: restarts the session timer (ST-0) | your SIP stack |
/// | an INVITE on the client leg after the PF stayed in a group without the client (BYE-4) | `RequestReceived`: the client re-joins (BYE-4iii) | your SIP stack |
/// | an INVITE or REFER once the end is decided | `RequestReceived`: reported, changes nothing | your SIP stack |
/// | a BYE | `ByeReceived` with its `Reason` values | **the library**: an [`Action::SendResponse`](crate::Action::SendResponse), exactly once (BYE-T) |
/// | the final response to a BYE the PF sent, or its timeout | `ResponseReceived` / `TransactionTimeout` | — |
/// | a final response to the re-INVITE or SUBSCRIBE the PF sent | `ResponseReceived` (changes nothing; may be left out) | — |
/// | *MSRP on the legs* (ML-1): a leg's MSRP URIs are known (from the SDP) | call [`Session::set_msrp_leg`](crate::Session::set_msrp_leg) once per leg, before its bytes | — |
/// | *MSRP on the legs*: bytes read from a leg's MSRP connection, in pieces of any size | `MsrpBytes` | **the library** answers every request (`200`, `400`, `413`, `481`, `501`, per `Failure-Report`), relays SENDs and REPORTs to the other side with its own transaction ids, and learns delivery from the client's answers; write what [`Action::MsrpTransmit`](crate::Action::MsrpTransmit) announces |
/// | *your own MSRP stack*: an MSRP SEND chunk on a leg (B2BUA) | `MsrpSend` | your MSRP stack answers `200` and relays; the library asks for `400`/`413` with [`Action::MsrpResponse`](crate::Action::MsrpResponse) |
/// | *your own MSRP stack*: the client answered `200` to every chunk of a message the PF relayed to it | `Delivered`: without it a message to the client is never recorded (REC-5ii) and is reported at the end as not stored (EMB-3). With MSRP on the legs the session learns this itself (ML-4) | — |
/// | the Message Store finished an [`Action::Store`](crate::Action::Store) | `Stored` with its UID, or `StoreFailed` | — |
/// | bytes of the file a file transfer carries (originating side, recording on) | `FileData`, in order: kept for the File Transfer History object (MS-6) | — |
///
/// Time is not an input: call [`Session::handle_timeout`](crate::Session::handle_timeout) when
/// the clock reaches [`Session::poll_timeout`](crate::Session::poll_timeout).
#[derive(Clone, Copy)]
#[non_exhaustive]
pub enum Input<'a> {
    /// A BYE was received on `leg`. `reasons` are the raw values of its `Reason` header
    /// fields, in the order received (several fields, each possibly a comma list).
    ByeReceived {
        /// The leg it arrived on.
        leg: Leg,
        /// Raw `Reason` field values in message order.
        reasons: &'a [&'a str],
    },
    /// A request other than BYE was received on `leg` (INVITE, UPDATE, REFER, …).
    RequestReceived {
        /// The leg it arrived on.
        leg: Leg,
        /// Its method.
        method: Method,
        /// Its headers.
        headers: &'a dyn SipHeaders,
        /// Its body (the SDP of an INVITE, possibly empty).
        body: &'a [u8],
    },
    /// A final response was received on `leg` for a request the PF sent (or forwarded).
    ResponseReceived {
        /// The leg it arrived on.
        leg: Leg,
        /// Its status code (200–699).
        status: u16,
        /// The method of the request it answers.
        method: Method,
    },
    /// The PF's client transaction for `method` on `leg` timed out without a final response.
    TransactionTimeout {
        /// The leg.
        leg: Leg,
        /// The method of the request that timed out.
        method: Method,
    },
    /// An MSRP SEND arrived on `leg` (B2BUA only: a proxy is not in the media path).
    MsrpSend {
        /// The leg it arrived on.
        leg: Leg,
        /// The request.
        send: SendRequest<'a>,
    },
    /// MSRP on the legs (ML-1): bytes read from `leg`'s MSRP connection, in pieces of any size
    /// (a frame may be cut anywhere). The leg must have been set up with
    /// [`Session::set_msrp_leg`](crate::Session::set_msrp_leg). Every byte is taken; the
    /// answers and relayed frames are written to the legs' transmit buffers and announced with
    /// [`Action::MsrpTransmit`](crate::Action::MsrpTransmit).
    ///
    /// ```
    /// use cpm_pf::{Action, Config, Input, Leg, Session, Time};
    /// let t = Time::from_unix_secs(1_767_225_600);
    /// let mut s = Session::new(Config::default(), t).unwrap();
    /// s.set_msrp_leg(Leg::Remote, "msrp://pf.example:2855/remote;tcp", "msrp://remote.example:2855/s;tcp").unwrap();
    /// let bytes = b"MSRP abcd1234 NOPE\r\nTo-Path: msrp://pf.example:2855/remote;tcp\r\n\
    ///     From-Path: msrp://remote.example:2855/s;tcp\r\n-------abcd1234$\r\n";
    /// let out = s.handle(Input::MsrpBytes { leg: Leg::Remote, bytes }, t);
    /// assert!(out.iter().any(|a| matches!(a, Action::MsrpTransmit { leg: Leg::Remote })));
    /// let written = s.poll_msrp_transmit(Leg::Remote).unwrap();
    /// assert!(written.starts_with(b"MSRP abcd1234 501 Not Implemented\r\n"));
    /// ```
    MsrpBytes {
        /// The leg whose connection they were read from.
        leg: Leg,
        /// The bytes.
        bytes: &'a [u8],
    },
    /// The served client accepted a message the PF sent to it (REC-5ii). For an embedder with
    /// its own MSRP stack; with MSRP on the legs the session learns delivery from the client's
    /// responses and REPORTs itself (ML-4), and this input is still honoured.
    Delivered {
        /// The MSRP Message-ID of the delivered message.
        message_id: MessageId,
    },
    /// The Message Store stored an object and returned its UID.
    Stored {
        /// The object.
        object: ObjectRef,
        /// The UID the Message Store assigned.
        uid: &'a str,
    },
    /// The Message Store failed to store an object.
    StoreFailed {
        /// The object.
        object: ObjectRef,
    },
    /// The next bytes of the file a file transfer carries, in order (MS-6). With recording on,
    /// on the originating side, the File Transfer History object keeps the file as its second
    /// part, up to `Config::max_file_bytes` in all; beyond that the file is dropped, that is
    /// reported, and the object says the file was not kept. Other sessions ignore it.
    FileData {
        /// The bytes.
        bytes: &'a [u8],
    },
}

impl core::fmt::Debug for Input<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Input::ByeReceived { leg, reasons } => {
                f.debug_struct("ByeReceived").field("leg", leg).field("reasons", reasons).finish()
            }
            Input::RequestReceived { leg, method, body, .. } => f
                .debug_struct("RequestReceived")
                .field("leg", leg)
                .field("method", method)
                .field("body_len", &body.len())
                .finish_non_exhaustive(),
            Input::ResponseReceived { leg, status, method } => f
                .debug_struct("ResponseReceived")
                .field("leg", leg)
                .field("status", status)
                .field("method", method)
                .finish(),
            Input::TransactionTimeout { leg, method } => {
                f.debug_struct("TransactionTimeout").field("leg", leg).field("method", method).finish()
            }
            Input::MsrpSend { leg, send } => {
                f.debug_struct("MsrpSend").field("leg", leg).field("send", send).finish()
            }
            Input::MsrpBytes { leg, bytes } => {
                f.debug_struct("MsrpBytes").field("leg", leg).field("len", &bytes.len()).finish()
            }
            Input::Delivered { message_id } => {
                f.debug_struct("Delivered").field("message_id", message_id).finish()
            }
            Input::Stored { object, uid } => {
                f.debug_struct("Stored").field("object", object).field("uid", uid).finish()
            }
            Input::StoreFailed { object } => f.debug_struct("StoreFailed").field("object", object).finish(),
            Input::FileData { bytes } => f.debug_struct("FileData").field("len", &bytes.len()).finish(),
        }
    }
}
