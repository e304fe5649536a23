//! CPM service identifiers (ICSIs of OMA CPM, TS 24.229 §7.2A.8) and the `P-Asserted-Service` /
//! `P-Preferred-Service` headers (RFC 6050 §4.2).
//!
//! ```text
//! PAssertedService-value = Service-ID *(COMMA Service-ID)
//! Service-ID             = "urn:urn-7:" urn-service-id
//! urn-service-id         = top-level *("." sub-service-id)
//! top-level              = let-dig [ *26let-dig ]
//! sub-service-id         = let-dig *let-dig
//! let-dig                = ALPHA / DIGIT / "-"
//! ```
//!
//! **Matching (SPEC TD-9).** An identifier is compared as a whole URN after percent-decoding
//! (hex digits in either case), without regard to case, never as a substring:
//! `…cpm.msgfoo` is not `…cpm.msg`. A sub-service is a kind of its parent (TS 24.229: a check
//! for ICSI X is true for X.sub), so `…cpm.session.group` is a `…cpm.session`, and
//! `…cpm.msg.anything` is a `…cpm.msg`. [`CpmService::identify`] returns the most specific
//! known CPM service the URN is a kind of, without allocating.
//!
//! **P-*-Service decisions.** The `urn:urn-7:` prefix is matched without regard to case (ABNF
//! strings are case-insensitive). Feature-tag syntax in these headers
//! (`+g.3gpp.icsi-ref="urn%3A…"`, seen in some clients) is not RFC 6050 and is rejected, as is
//! a percent-encoded URN: the header carries the plain URN. A `top-level` longer than 27
//! characters is [`ErrorKind::TooLong`].

use core::fmt;

use smallvec::SmallVec;

use super::lex::Cursor;
use super::{percent_decoded, ErrorKind, GrammarError};

/// An OMA CPM service identifier (ICSI), as carried in `+g.3gpp.icsi-ref` or P-*-Service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum CpmService {
    /// `…oma.cpm.msg`: standalone message, Pager Mode.
    Msg,
    /// `…oma.cpm.largemsg`: standalone message, Large Message Mode.
    LargeMsg,
    /// `…oma.cpm.session`: CPM session (1-1 chat).
    Session,
    /// `…oma.cpm.session.group`: CPM group session; a kind of [`CpmService::Session`].
    SessionGroup,
    /// `…oma.cpm.filetransfer`: CPM file transfer.
    FileTransfer,
    /// `…oma.cpm.deferred`: deferred messaging.
    Deferred,
    /// `…oma.cpm.systemmsg`: system message.
    SystemMsg,
}

/// The common prefix of every CPM service URN.
pub const CPM_URN_PREFIX: &str = "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.";

impl CpmService {
    /// Every CPM service identifier.
    pub const ALL: [CpmService; 7] = [
        CpmService::Msg,
        CpmService::LargeMsg,
        CpmService::Session,
        CpmService::SessionGroup,
        CpmService::FileTransfer,
        CpmService::Deferred,
        CpmService::SystemMsg,
    ];

    /// The plain URN, e.g. `urn:urn-7:3gpp-service.ims.icsi.oma.cpm.msg`.
    pub fn urn(self) -> &'static str {
        match self {
            CpmService::Msg => "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.msg",
            CpmService::LargeMsg => "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.largemsg",
            CpmService::Session => "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session",
            CpmService::SessionGroup => "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session.group",
            CpmService::FileTransfer => "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.filetransfer",
            CpmService::Deferred => "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.deferred",
            CpmService::SystemMsg => "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.systemmsg",
        }
    }

    /// This service as an RFC 6050 Service-ID, for a `P-*-Service` header.
    pub fn service_id(self) -> ServiceId<'static> {
        ServiceId { raw: self.urn() }
    }

    /// The service this one is a sub-service of: `SessionGroup` → `Session`.
    pub fn parent(self) -> Option<CpmService> {
        match self {
            CpmService::SessionGroup => Some(CpmService::Session),
            _ => None,
        }
    }

    /// `true` when `self` is `other` or a sub-service of it (TD-9): `SessionGroup.is_a(Session)`.
    pub fn is_a(self, other: CpmService) -> bool {
        self == other || self.parent().is_some_and(|p| p.is_a(other))
    }

    /// The most specific CPM service that the URN `urn` is a kind of, after percent-decoding it.
    ///
    /// ```
    /// use cpm_pf::grammar::service::CpmService;
    /// let g = CpmService::identify("urn%3aurn-7%3A3gpp-service.ims.icsi.oma.cpm.SESSION.group");
    /// assert_eq!(g, Some(CpmService::SessionGroup));
    /// assert!(g.unwrap().is_a(CpmService::Session));
    /// assert_eq!(CpmService::identify("urn:urn-7:3gpp-service.ims.icsi.oma.cpm.msgfoo"), None);
    /// ```
    pub fn identify(urn: &str) -> Option<CpmService> {
        CpmService::identify_encoded(urn)
    }

    /// [`CpmService::identify`], decoding into a buffer on the stack: the value is copied a run
    /// at a time between `%` escapes and then compared as a slice, which is several times faster
    /// than decoding and comparing byte by byte (the dispatch of a CPM INVITE is mostly this).
    /// Values too long for the buffer take the byte-by-byte path; the answer is the same.
    pub(crate) fn identify_encoded(value: &str) -> Option<CpmService> {
        let mut buf = [0u8; 128];
        match super::percent_decode_into(value.as_bytes(), &mut buf) {
            Some(n) => CpmService::identify_slice(buf.get(..n).unwrap_or_default()),
            None => CpmService::identify_bytes(percent_decoded(value)),
        }
    }

    /// [`CpmService::identify_bytes`] over a slice: the prefix is compared in one go.
    pub(crate) fn identify_slice(bytes: &[u8]) -> Option<CpmService> {
        let prefix = CPM_URN_PREFIX.as_bytes();
        let head = bytes.get(..prefix.len())?;
        if !head.eq_ignore_ascii_case(prefix) {
            return None;
        }
        CpmService::identify_labels(bytes.get(prefix.len()..).unwrap_or_default().iter().copied())
    }

    /// [`CpmService::identify`] over already decoded bytes.
    pub fn identify_bytes(bytes: impl IntoIterator<Item = u8>) -> Option<CpmService> {
        let mut it = bytes.into_iter();
        for expected in CPM_URN_PREFIX.bytes() {
            if !it.next()?.eq_ignore_ascii_case(&expected) {
                return None;
            }
        }
        CpmService::identify_labels(it)
    }

    /// The labels after [`CPM_URN_PREFIX`].
    fn identify_labels(it: impl Iterator<Item = u8>) -> Option<CpmService> {
        // Labels after the prefix: the first names the service, the second may be `group`,
        // the rest must be well-formed sub-service-ids (non-empty let-dig runs).
        let mut first = Label::default();
        let mut second = Label::default();
        let mut index = 0usize;
        let mut len = 0usize;
        for b in it {
            if b == b'.' {
                if len == 0 {
                    return None;
                }
                index += 1;
                len = 0;
                continue;
            }
            if !(b.is_ascii_alphanumeric() || b == b'-') {
                return None;
            }
            len += 1;
            match index {
                0 => first.push(b),
                1 => second.push(b),
                _ => {}
            }
        }
        if len == 0 {
            return None;
        }
        let service = match first.as_bytes() {
            b"msg" => CpmService::Msg,
            b"largemsg" => CpmService::LargeMsg,
            b"session" if index >= 1 && second.as_bytes() == b"group" => CpmService::SessionGroup,
            b"session" => CpmService::Session,
            b"filetransfer" => CpmService::FileTransfer,
            b"deferred" => CpmService::Deferred,
            b"systemmsg" => CpmService::SystemMsg,
            _ => return None,
        };
        Some(service)
    }
}

impl fmt::Display for CpmService {
    /// The plain URN.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.urn())
    }
}

/// A lowercased label of at most 16 bytes (the longest CPM label, `filetransfer`, has 12);
/// a longer one matches nothing.
#[derive(Default)]
struct Label {
    buf: [u8; 16],
    len: usize,
    overflow: bool,
}

impl Label {
    fn push(&mut self, b: u8) {
        match self.buf.get_mut(self.len) {
            Some(slot) => {
                *slot = b.to_ascii_lowercase();
                self.len += 1;
            }
            None => self.overflow = true,
        }
    }

    fn as_bytes(&self) -> &[u8] {
        if self.overflow {
            return b"";
        }
        self.buf.get(..self.len).unwrap_or_default()
    }
}

/// One RFC 6050 `Service-ID`, borrowed as written (`urn:urn-7:…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceId<'a> {
    raw: &'a str,
}

impl<'a> ServiceId<'a> {
    /// The identifier as written.
    pub fn as_str(&self) -> &'a str {
        self.raw
    }

    /// The `urn-service-id` after `urn:urn-7:`, e.g. `3gpp-service.ims.icsi.mmtel`.
    pub fn urn_service_id(&self) -> &'a str {
        self.raw.get(URN7.len()..).unwrap_or_default()
    }

    /// The CPM service this identifier is a kind of, if any (TD-9).
    pub fn cpm_service(&self) -> Option<CpmService> {
        CpmService::identify_slice(self.raw.as_bytes())
    }

    /// `true` when this identifier is `service` or a sub-service of it.
    pub fn is_a(&self, service: CpmService) -> bool {
        self.cpm_service().is_some_and(|s| s.is_a(service))
    }
}

impl fmt::Display for ServiceId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.raw)
    }
}

const URN7: &str = "urn:urn-7:";

/// A `P-Asserted-Service` or `P-Preferred-Service` value: one or more Service-IDs (RFC 6050).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceList<'a> {
    /// The identifiers, in order.
    pub ids: SmallVec<[ServiceId<'a>; 2]>,
}

impl<'a> ServiceList<'a> {
    /// Parses a `P-Asserted-Service` value.
    pub fn parse_asserted(value: &'a str) -> Result<ServiceList<'a>, GrammarError> {
        ServiceList::parse(value, "P-Asserted-Service")
    }

    /// Parses a `P-Preferred-Service` value.
    pub fn parse_preferred(value: &'a str) -> Result<ServiceList<'a>, GrammarError> {
        ServiceList::parse(value, "P-Preferred-Service")
    }

    /// Parses a Service-ID list, reporting errors against `header`.
    pub fn parse(value: &'a str, header: &'static str) -> Result<ServiceList<'a>, GrammarError> {
        service_ids(value, header).collect::<Result<SmallVec<_>, _>>().map(|ids| ServiceList { ids })
    }

    /// `true` when any identifier is `service` or a sub-service of it.
    pub fn contains(&self, service: CpmService) -> bool {
        self.ids.iter().any(|id| id.is_a(service))
    }
}

impl fmt::Display for ServiceList<'_> {
    /// Identifiers separated by `, `.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        super::write_comma_list(f, self.ids.iter())
    }
}

/// The Service-IDs of one `P-Asserted-Service` / `P-Preferred-Service` field, parsed lazily
/// (no allocation). After the first error the iterator ends.
pub fn service_ids<'a>(value: &'a str, header: &'static str) -> ServiceIds<'a> {
    ServiceIds { c: Cursor::new(value, header), state: IterState::Start }
}

/// Iterator returned by [`service_ids`].
#[derive(Debug, Clone)]
pub struct ServiceIds<'a> {
    c: Cursor<'a>,
    state: IterState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IterState {
    Start,
    Item,
    Done,
}

impl<'a> Iterator for ServiceIds<'a> {
    type Item = Result<ServiceId<'a>, GrammarError>;

    fn next(&mut self) -> Option<Self::Item> {
        let c = &mut self.c;
        match self.state {
            IterState::Done => return None,
            IterState::Start => {
                c.sws();
                if c.is_eof() {
                    self.state = IterState::Done;
                    return Some(Err(c.err(ErrorKind::Empty)));
                }
            }
            IterState::Item => match c.list_next() {
                Ok(true) => {}
                Ok(false) => {
                    self.state = IterState::Done;
                    return None;
                }
                Err(e) => {
                    self.state = IterState::Done;
                    return Some(Err(e));
                }
            },
        }
        match service_id(c) {
            Ok(id) => {
                self.state = IterState::Item;
                Some(Ok(id))
            }
            Err(e) => {
                self.state = IterState::Done;
                Some(Err(e))
            }
        }
    }
}

fn service_id<'a>(c: &mut Cursor<'a>) -> Result<ServiceId<'a>, GrammarError> {
    let start = c.pos();
    match c.rest().get(..URN7.len()) {
        Some(head) if head.eq_ignore_ascii_case(URN7.as_bytes()) => c.set_pos(start + URN7.len()),
        _ => return Err(c.err(ErrorKind::Expected("urn:urn-7:"))),
    }
    let mut label = 0usize;
    loop {
        let label_start = c.pos();
        let rest = c.rest();
        let len = rest.iter().position(|&b| !(b.is_ascii_alphanumeric() || b == b'-')).unwrap_or(rest.len());
        c.set_pos(label_start + len);
        if len == 0 {
            return Err(c.unexpected(ErrorKind::Expected("a service id label")));
        }
        if label == 0 && len > 27 {
            c.set_pos(label_start);
            return Err(c.err(ErrorKind::TooLong));
        }
        if c.peek() == Some(b'.') {
            c.bump();
            label += 1;
        } else {
            return Ok(ServiceId { raw: c.slice(start, c.pos()) });
        }
    }
}
