//! cpm-pf on the [rsip](https://docs.rs/rsip/0.4) SIP stack (feature `rsip`).
//!
//! A stack built on rsip parses a datagram into an [`rsip::Request`] or [`rsip::Response`] and
//! hands it to the library as it is: both implement [`SipHeaders`], so [`route`](crate::route),
//! [`Input::RequestReceived`] and the `Reason` values of a BYE read the message's own header
//! text. In the other direction, [`response`] and [`Dialog::bye`] render the
//! [`Action::SendResponse`] and [`Action::SendBye`] the library asks for into rsip messages.
//!
//! ```
//! use cpm_pf::rsip_adapter::{self, Dialog};
//! use cpm_pf::{Action, Config, Input, Leg, Session, Time};
//!
//! let bye = rsip::Request::try_from(
//!     "BYE sip:pf@127.0.0.1:5070 SIP/2.0\r\n\
//!      Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-1\r\n\
//!      From: <sip:alice@127.0.0.1>;tag=a1\r\n\
//!      To: <sip:bob@127.0.0.1>;tag=b1\r\n\
//!      Call-ID: c1@127.0.0.1\r\n\
//!      CSeq: 2 BYE\r\n\
//!      Reason: SIP ;cause=200 ;text=\"Call completed elsewhere\"\r\n\
//!      Content-Length: 0\r\n\r\n",
//! )
//! .unwrap();
//! // The PF's dialog on the remote leg, as set up when its INVITE was answered.
//! let mut remote = Dialog {
//!     call_id: "r1@127.0.0.1".into(),
//!     local: "<sip:alice@127.0.0.1>;tag=pf1".into(),
//!     remote: "<sip:bob@127.0.0.1:5080>;tag=r1".into(),
//!     remote_target: rsip::Uri::try_from("sip:bob@127.0.0.1:5080").unwrap(),
//!     route_set: Vec::new(),
//!     local_seq: 1,
//! };
//!
//! let now = Time::from_unix_secs(1_767_225_600);
//! let mut session = Session::new(Config::default(), now).unwrap();
//! let reasons = rsip_adapter::reasons(&bye);
//! for action in session.handle(Input::ByeReceived { leg: Leg::Client, reasons: &reasons }, now) {
//!     if let Action::SendBye { leg: Leg::Remote, reasons } = action {
//!         let out = remote.bye("SIP/2.0/UDP 127.0.0.1:5071;branch=z9hG4bK-pf1", &reasons);
//!         assert!(out.to_string().contains("Reason: SIP ;cause=200 ;text=\"Call completed elsewhere\"\r\n"));
//!     }
//! }
//! // Later, the session asks for the 200 OK to the client's BYE:
//! let ok = rsip_adapter::response(&bye, 200, None);
//! assert_eq!(ok.status_code.code(), 200);
//! ```
//!
//! ## Borrowing, and where rsip does not allow it
//!
//! rsip keeps every header field as an owned `String` inside its [`rsip::Header`] enum (a typed
//! variant such as `Header::From` wraps an untyped newtype over `String`; an unknown header is
//! `Header::Other(name, value)`). The [`SipHeaders`] view hands out `&str` slices of those
//! strings through [`UntypedHeader::value`]: nothing is copied or re-rendered, and a value reads
//! exactly as it stood on the wire after the colon and the spaces that follow it. What rsip itself
//! does when it parses, and what therefore cannot be helped here:
//!
//! - it copies each header value once into its `String` (the message is not borrowed);
//! - it recognizes headers by their **full** names only: a compact name (`a`, `x`, `o`, `i`, `v`,
//!   `f`, `t`, `m`, …) becomes `Header::Other("a", …)`. The view matches it anyway, because
//!   [`HeaderName`] knows both forms; rsip's own accessors (`call_id_header()`, …) do not, so use
//!   [`SipHeaders::first`] with [`names::CALL_ID`] and friends;
//! - it does not accept a folded header line (a continuation line starting with white space)
//!   nor white space before the colon: such a message fails to parse in rsip;
//! - it renders a body with `String::from_utf8_lossy`, so a non-UTF-8 body does not survive
//!   [`rsip::Request`]'s `Display`.
//! - a URI parsed into an [`rsip::Uri`] (the Request-URI, [`Dialog::remote_target`]) is
//!   rendered again by rsip, not copied: `;transport=tcp` goes out as `;transport=TCP`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use core::ops::ControlFlow;

use rsip::headers::UntypedHeader;
use rsip::{Header, Headers, Request, Response, SipMessage};

use crate::headers::{HeaderName, SipHeaders};
use crate::{Action, Input, Leg, Method};

/// Header names the adapter looks up besides the library's own ([`crate::headers::names`]).
pub mod names {
    use crate::headers::HeaderName;

    /// `Call-ID` (RFC 3261), compact `i`.
    pub const CALL_ID: HeaderName = HeaderName { full: "Call-ID", compact: Some("i") };
    /// `CSeq` (RFC 3261).
    pub const CSEQ: HeaderName = HeaderName { full: "CSeq", compact: None };
    /// `Via` (RFC 3261), compact `v`.
    pub const VIA: HeaderName = HeaderName { full: "Via", compact: Some("v") };
    /// `Contact` (RFC 3261), compact `m`.
    pub const CONTACT: HeaderName = HeaderName { full: "Contact", compact: Some("m") };
    /// `Record-Route` (RFC 3261).
    pub const RECORD_ROUTE: HeaderName = HeaderName { full: "Record-Route", compact: None };
    /// `Content-Length` (RFC 3261), compact `l`.
    pub const CONTENT_LENGTH: HeaderName = HeaderName { full: "Content-Length", compact: Some("l") };
}

/// A SIP message that could not be turned into what was asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AdapterError {
    /// A header the operation needs is absent.
    #[error("missing {0} header")]
    Missing(&'static str),
    /// A header is present but its value cannot be used.
    #[error("cannot use the {0} header")]
    Invalid(&'static str),
}

/// The name and the value of one rsip header field, both borrowed from it.
///
/// The name of a typed variant is its full name (rsip matched it without regard to case); the
/// name of `Header::Other` is the name as received, compact forms included.
pub fn header_parts(header: &Header) -> (&str, &str) {
    // Exhaustive on purpose: a new rsip variant must be named here before this compiles.
    match header {
        Header::Accept(h) => ("Accept", h.value()),
        Header::AcceptEncoding(h) => ("Accept-Encoding", h.value()),
        Header::AcceptLanguage(h) => ("Accept-Language", h.value()),
        Header::AlertInfo(h) => ("Alert-Info", h.value()),
        Header::Allow(h) => ("Allow", h.value()),
        Header::AuthenticationInfo(h) => ("Authentication-Info", h.value()),
        Header::Authorization(h) => ("Authorization", h.value()),
        Header::CSeq(h) => ("CSeq", h.value()),
        Header::CallId(h) => ("Call-ID", h.value()),
        Header::CallInfo(h) => ("Call-Info", h.value()),
        Header::Contact(h) => ("Contact", h.value()),
        Header::ContentDisposition(h) => ("Content-Disposition", h.value()),
        Header::ContentEncoding(h) => ("Content-Encoding", h.value()),
        Header::ContentLanguage(h) => ("Content-Language", h.value()),
        Header::ContentLength(h) => ("Content-Length", h.value()),
        Header::ContentType(h) => ("Content-Type", h.value()),
        Header::Date(h) => ("Date", h.value()),
        Header::ErrorInfo(h) => ("Error-Info", h.value()),
        Header::Event(h) => ("Event", h.value()),
        Header::Expires(h) => ("Expires", h.value()),
        Header::From(h) => ("From", h.value()),
        Header::InReplyTo(h) => ("In-Reply-To", h.value()),
        Header::MaxForwards(h) => ("Max-Forwards", h.value()),
        Header::MimeVersion(h) => ("MIME-Version", h.value()),
        Header::MinExpires(h) => ("Min-Expires", h.value()),
        Header::Organization(h) => ("Organization", h.value()),
        Header::Other(name, value) => (name.as_str(), value.as_str()),
        Header::Priority(h) => ("Priority", h.value()),
        Header::ProxyAuthenticate(h) => ("Proxy-Authenticate", h.value()),
        Header::ProxyAuthorization(h) => ("Proxy-Authorization", h.value()),
        Header::ProxyRequire(h) => ("Proxy-Require", h.value()),
        Header::RecordRoute(h) => ("Record-Route", h.value()),
        Header::ReplyTo(h) => ("Reply-To", h.value()),
        Header::Require(h) => ("Require", h.value()),
        Header::RetryAfter(h) => ("Retry-After", h.value()),
        Header::Route(h) => ("Route", h.value()),
        Header::Server(h) => ("Server", h.value()),
        Header::Subject(h) => ("Subject", h.value()),
        Header::SubscriptionState(h) => ("Subscription-State", h.value()),
        Header::Supported(h) => ("Supported", h.value()),
        Header::Timestamp(h) => ("Timestamp", h.value()),
        Header::To(h) => ("To", h.value()),
        Header::Unsupported(h) => ("Unsupported", h.value()),
        Header::UserAgent(h) => ("User-Agent", h.value()),
        Header::Via(h) => ("Via", h.value()),
        Header::Warning(h) => ("Warning", h.value()),
        Header::WwwAuthenticate(h) => ("WWW-Authenticate", h.value()),
    }
}

impl SipHeaders for Headers {
    fn for_each<'s>(&'s self, name: &HeaderName, f: &mut dyn FnMut(&'s str) -> ControlFlow<()>) {
        for header in self.iter() {
            let (n, v) = header_parts(header);
            if name.matches(n) && f(v).is_break() {
                return;
            }
        }
    }
}

impl SipHeaders for Request {
    fn for_each<'s>(&'s self, name: &HeaderName, f: &mut dyn FnMut(&'s str) -> ControlFlow<()>) {
        self.headers.for_each(name, f)
    }
}

impl SipHeaders for Response {
    fn for_each<'s>(&'s self, name: &HeaderName, f: &mut dyn FnMut(&'s str) -> ControlFlow<()>) {
        self.headers.for_each(name, f)
    }
}

impl SipHeaders for SipMessage {
    fn for_each<'s>(&'s self, name: &HeaderName, f: &mut dyn FnMut(&'s str) -> ControlFlow<()>) {
        match self {
            SipMessage::Request(r) => r.for_each(name, f),
            SipMessage::Response(r) => r.for_each(name, f),
        }
    }
}

/// Every value of `name` in message order, borrowed from `message`.
pub fn values<'s, H: SipHeaders + ?Sized>(message: &'s H, name: &HeaderName) -> Vec<&'s str> {
    let mut out = Vec::new();
    message.for_each(name, &mut |v| {
        out.push(v);
        ControlFlow::Continue(())
    });
    out
}

/// The raw `Reason` field values of a BYE in message order, ready for
/// [`Input::ByeReceived`]: repeated `Reason` headers give several values, a comma list stays one
/// value (the library splits it, minding quoted strings).
pub fn reasons<H: SipHeaders + ?Sized>(message: &H) -> Vec<&str> {
    values(message, &crate::headers::names::REASON)
}

/// The library's [`Method`] for an rsip method (`Method::Other` for those it does not deal with).
pub fn method(method: &rsip::Method) -> Method {
    match method {
        rsip::Method::Invite => Method::Invite,
        rsip::Method::Bye => Method::Bye,
        rsip::Method::Update => Method::Update,
        rsip::Method::Refer => Method::Refer,
        rsip::Method::Message => Method::Message,
        rsip::Method::Subscribe => Method::Subscribe,
        rsip::Method::Notify => Method::Notify,
        rsip::Method::Ack
        | rsip::Method::Cancel
        | rsip::Method::Info
        | rsip::Method::Options
        | rsip::Method::PRack
        | rsip::Method::Publish
        | rsip::Method::Register => Method::Other,
    }
}

/// The sequence number and method of a message's `CSeq` (`2 BYE` gives `(2, Method::Bye)`).
pub fn cseq<H: SipHeaders + ?Sized>(message: &H) -> Result<(u32, Method), AdapterError> {
    let value = message.first(&names::CSEQ).ok_or(AdapterError::Missing("CSeq"))?;
    let mut words = value.split_whitespace();
    let seq = words.next().and_then(|n| n.parse().ok()).ok_or(AdapterError::Invalid("CSeq"))?;
    let name = words.next().ok_or(AdapterError::Invalid("CSeq"))?;
    Ok((seq, Method::from_name(name)))
}

/// A request other than BYE as the library's input (INVITE, UPDATE, REFER, …): its method, its
/// headers (the request itself) and its body. A BYE goes in as [`Input::ByeReceived`] with its
/// [`reasons`].
pub fn request_input(leg: Leg, request: &Request) -> Input<'_> {
    Input::RequestReceived { leg, method: method(&request.method), headers: request, body: &request.body }
}

/// A final response as the library's input, with the method taken from its `CSeq`; `None` for
/// a provisional (1xx) response, which the library does not take.
pub fn response_input(leg: Leg, response: &Response) -> Result<Option<Input<'static>>, AdapterError> {
    let status = response.status_code.code();
    let (_, method) = cseq(response)?;
    Ok((status >= 200).then_some(Input::ResponseReceived { leg, status, method }))
}

/// The response to `request` with this status (RFC 3261 §8.2.6): its `Via` fields, `From`,
/// `To`, `Call-ID` and `CSeq` copied verbatim and in order, `Message-UID` when given (FT-1c),
/// no body.
///
/// The `To` is copied as received: right for a request inside a dialog such as a BYE. To answer
/// a dialog-creating request, add the local tag with [`add_to_tag`].
pub fn response(request: &Request, status: u16, message_uid: Option<&str>) -> Response {
    let copied = [
        &names::VIA,
        &crate::headers::names::FROM,
        &crate::headers::names::TO,
        &names::CALL_ID,
        &names::CSEQ,
    ];
    let mut headers = Headers::default();
    for header in request.headers.iter() {
        let (name, _) = header_parts(header);
        if copied.iter().any(|n| n.matches(name)) {
            headers.push(header.clone());
        }
    }
    if let Some(uid) = message_uid {
        headers.push(Header::Other(crate::headers::names::MESSAGE_UID.full.into(), uid.into()));
    }
    headers.push(Header::ContentLength(0.to_string().into()));
    Response { status_code: status.into(), version: rsip::Version::V2, headers, body: Vec::new() }
}

/// The response [`Action::SendResponse`] asks for, to `request` (the request it answers, which
/// the embedder kept); `None` for any other action.
pub fn response_for(request: &Request, action: &Action<'_>) -> Option<Response> {
    match action {
        Action::SendResponse { status, message_uid, .. } => {
            Some(response(request, *status, message_uid.as_deref()))
        }
        _ => None,
    }
}

/// Adds `;tag=TAG` to the `To` of `response` when it has no tag yet (a UAS answering a
/// dialog-creating request, RFC 3261 §8.2.6.2).
pub fn add_to_tag(response: &mut Response, tag: &str) {
    for header in response.headers.iter_mut() {
        let (name, value) = header_parts(header);
        if crate::headers::names::TO.matches(name) && param(value, "tag").is_none() {
            let tagged = format!("{value};tag={tag}");
            *header = Header::To(tagged.into());
            return;
        }
    }
}

/// One side of a SIP dialog as the PF's user agent on that leg holds it (RFC 3261 §12): what
/// it needs to send a request inside the dialog.
///
/// Values are header field values as they go on the wire. The PF uses a dialog for the
/// requests it starts itself, the BYEs of [`Action::SendBye`]; the embedder creates one per leg
/// when the leg's dialog is established ([`Dialog::from_received_invite`],
/// [`Dialog::from_sent_invite`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    /// The dialog's Call-ID.
    pub call_id: String,
    /// The local party with the local tag: the `From` of requests the PF sends.
    pub local: String,
    /// The remote party with the remote tag: the `To` of requests the PF sends.
    pub remote: String,
    /// The remote target: the Request-URI of requests the PF sends.
    pub remote_target: rsip::Uri,
    /// The route set, one URI (with its angle brackets) per entry; loose routing is assumed.
    pub route_set: Vec<String>,
    /// The last local CSeq number used; the next request uses the one after.
    pub local_seq: u32,
}

impl Dialog {
    /// The PF's side of a dialog it answers as UAS (RFC 3261 §12.1.1): the INVITE it received,
    /// the tag it puts in its `To`.
    pub fn from_received_invite(invite: &Request, local_tag: &str) -> Result<Dialog, AdapterError> {
        let to = invite.first(&crate::headers::names::TO).ok_or(AdapterError::Missing("To"))?;
        let local = match param(to, "tag") {
            Some(_) => to.to_owned(),
            None => format!("{to};tag={local_tag}"),
        };
        Ok(Dialog {
            call_id: call_id(invite)?.to_owned(),
            local,
            remote: invite
                .first(&crate::headers::names::FROM)
                .ok_or(AdapterError::Missing("From"))?
                .to_owned(),
            remote_target: contact_uri(invite)?,
            route_set: list(invite, &names::RECORD_ROUTE),
            local_seq: 0,
        })
    }

    /// The PF's side of a dialog it started as UAC (RFC 3261 §12.1.2): the INVITE it sent and
    /// the 2xx that answered it.
    pub fn from_sent_invite(invite: &Request, answer: &Response) -> Result<Dialog, AdapterError> {
        let mut route_set = list(answer, &names::RECORD_ROUTE);
        route_set.reverse();
        Ok(Dialog {
            call_id: call_id(invite)?.to_owned(),
            local: invite
                .first(&crate::headers::names::FROM)
                .ok_or(AdapterError::Missing("From"))?
                .to_owned(),
            remote: answer.first(&crate::headers::names::TO).ok_or(AdapterError::Missing("To"))?.to_owned(),
            remote_target: contact_uri(answer)?,
            route_set,
            local_seq: cseq(invite)?.0,
        })
    }

    /// A request inside the dialog with the next local CSeq number; `via` is the whole `Via`
    /// value, its branch unique to this transaction (the library has no random source; the
    /// embedder makes branches).
    pub fn request(&mut self, method: rsip::Method, via: &str) -> Request {
        self.local_seq = self.local_seq.wrapping_add(1);
        self.request_with_seq(method, self.local_seq, via)
    }

    /// The ACK for the 2xx that established a dialog the PF started: the INVITE's CSeq number
    /// (RFC 3261 §13.2.2.4). Send it before any other request in the dialog.
    pub fn ack(&self, via: &str) -> Request {
        let mut ack = self.request_with_seq(rsip::Method::Ack, self.local_seq, via);
        ack.headers.push(Header::ContentLength("0".into()));
        ack
    }

    fn request_with_seq(&self, method: rsip::Method, seq: u32, via: &str) -> Request {
        let mut headers = Headers::default();
        headers.push(Header::Via(via.into()));
        headers.push(Header::MaxForwards("70".into()));
        headers.push(Header::From(self.local.as_str().into()));
        headers.push(Header::To(self.remote.as_str().into()));
        headers.push(Header::CallId(self.call_id.as_str().into()));
        headers.push(Header::CSeq(format!("{seq} {method}").into()));
        for route in &self.route_set {
            headers.push(Header::Route(route.as_str().into()));
        }
        Request {
            method,
            uri: self.remote_target.clone(),
            version: rsip::Version::V2,
            headers,
            body: Vec::new(),
        }
    }

    /// The BYE of [`Action::SendBye`]: a request inside the dialog carrying one `Reason` header
    /// field per value, verbatim and in order, and no body. The values may be any strings:
    /// the `reasons` of [`Action::SendBye`] as they are, `&str`s or `String`s.
    pub fn bye<R: AsRef<str>>(&mut self, via: &str, reasons: &[R]) -> Request {
        let mut bye = self.request(rsip::Method::Bye, via);
        for reason in reasons {
            bye.headers
                .push(Header::Other(crate::headers::names::REASON.full.into(), reason.as_ref().into()));
        }
        bye.headers.push(Header::ContentLength("0".into()));
        bye
    }
}

/// The `Call-ID` of a message (full or compact form).
pub fn call_id<H: SipHeaders + ?Sized>(message: &H) -> Result<&str, AdapterError> {
    message
        .first(&names::CALL_ID)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or(AdapterError::Missing("Call-ID"))
}

/// The URI of the first `Contact` (full or compact form).
pub fn contact_uri<H: SipHeaders + ?Sized>(message: &H) -> Result<rsip::Uri, AdapterError> {
    let contact = message.first(&names::CONTACT).ok_or(AdapterError::Missing("Contact"))?;
    let uri = addr_spec(split_list(contact).next().unwrap_or(""));
    rsip::Uri::try_from(uri).map_err(|_| AdapterError::Invalid("Contact"))
}

/// The URI of a `From`, `To` or `Contact` value (one entry): the text between the angle
/// brackets, or without them the text before the first `;`, whose parameters belong to the
/// header (RFC 3261 §20).
pub fn addr_spec(value: &str) -> &str {
    let uri = match (value.find('<'), value.find('>')) {
        (Some(open), Some(close)) if open < close => &value[open + 1..close],
        _ => value.split(';').next().unwrap_or(""),
    };
    uri.trim()
}

/// The value of parameter `name` of a header value such as `<sip:a@b>;tag=x` (`Some("")` for a
/// parameter without value), looking only after the URI's closing `>` when there is one.
pub fn param<'v>(value: &'v str, name: &str) -> Option<&'v str> {
    let params = match value.rfind('>') {
        Some(close) => &value[close + 1..],
        None => value.split_once(';').map_or("", |(_, rest)| rest),
    };
    params.split(';').map(str::trim).find_map(|p| {
        let (n, v) = p.split_once('=').unwrap_or((p, ""));
        n.trim().eq_ignore_ascii_case(name).then_some(v.trim())
    })
}

/// Every entry of every `name` field, split at the commas that separate entries (not those in
/// quoted strings or angle brackets).
fn list<H: SipHeaders + ?Sized>(message: &H, name: &HeaderName) -> Vec<String> {
    values(message, name).into_iter().flat_map(split_list).map(str::to_owned).collect()
}

/// Splits a header value at the commas between entries, trimmed, skipping empty entries.
fn split_list(value: &str) -> impl Iterator<Item = &str> {
    let mut entries = Vec::new();
    let (mut start, mut quoted, mut angle, mut escaped) = (0, false, false, false);
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' if !quoted && !angle => {
                entries.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    entries.push(&value[start..]);
    entries.into_iter().map(str::trim).filter(|e| !e.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_split_outside_quotes_and_brackets() {
        let v = r#""a, b" <sip:x@y;lr>, <sip:z,w@q>;p="1,2" ,, "#;
        assert_eq!(split_list(v).collect::<Vec<_>>(), [r#""a, b" <sip:x@y;lr>"#, r#"<sip:z,w@q>;p="1,2""#]);
    }

    #[test]
    fn addr_specs() {
        assert_eq!(addr_spec(r#""A;b" <sip:a@b;lr>;tag=1"#), "sip:a@b;lr");
        assert_eq!(addr_spec(" sip:a@b;tag=1"), "sip:a@b");
    }

    #[test]
    fn params_after_the_uri() {
        assert_eq!(param("<sip:a@b;tag=no>;tag=yes", "tag"), Some("yes"));
        assert_eq!(param("sip:a@b;tag=x", "TAG"), Some("x"));
        assert_eq!(param("<sip:a@b>", "tag"), None);
    }
}
