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

use super::lex::{Cursor, LazyList};
use super::{eq_lowercase, percent_decoded, strip_prefix_lowercase, ErrorKind, GrammarError};

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

/// [`CPM_URN_PREFIX`] with its two colons percent-encoded, the way `+g.3gpp.icsi-ref` values
/// are written (lowercase; compared without regard to case, so `%3A` and `%3a` both match).
const CPM_URN_PREFIX_ENCODED: &str = "urn%3aurn-7%3a3gpp-service.ims.icsi.oma.cpm.";

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
    ///
    /// Quick path first: a value that starts with the prefix, plain or with its colons encoded,
    /// and goes on with well-formed labels (so without any `%`) decodes to the prefix and those
    /// labels as they are: nothing to copy.
    pub(crate) fn identify_encoded(value: &str) -> Option<CpmService> {
        let v = value.as_bytes();
        let rest = strip_prefix_lowercase(v, CPM_URN_PREFIX_ENCODED.as_bytes())
            .or_else(|| strip_prefix_lowercase(v, CPM_URN_PREFIX.as_bytes()));
        if let Some(rest) = rest.filter(|rest| is_labels(rest)) {
            return CpmService::identify_suffix(rest);
        }
        let mut buf = [0u8; 128];
        match super::percent_decode_into(value.as_bytes(), &mut buf) {
            Some(decoded) => CpmService::identify_slice(decoded),
            None => CpmService::identify_bytes(percent_decoded(value)),
        }
    }

    /// [`CpmService::identify_bytes`] over a slice: the prefix is compared in one go.
    pub(crate) fn identify_slice(bytes: &[u8]) -> Option<CpmService> {
        let rest = strip_prefix_lowercase(bytes, CPM_URN_PREFIX.as_bytes())?;
        if !is_labels(rest) {
            return None;
        }
        CpmService::identify_suffix(rest)
    }

    /// What [`CpmService::identify_labels`] finds in `rest`, the well-formed labels
    /// ([`is_labels`]) after the prefix: the first label picked by its length and compared as
    /// a slice, then `group` for a session.
    fn identify_suffix(rest: &[u8]) -> Option<CpmService> {
        let first_len = rest.iter().position(|&b| b == b'.').unwrap_or(rest.len());
        // `first_len` is a position in `rest` or its length: the split is in range.
        let (first, after) = rest.split_at(first_len);
        let is = |name: &str| eq_lowercase(first, name.as_bytes());
        let service = match first_len {
            3 if is("msg") => CpmService::Msg,
            7 if is("session") => {
                // `after` is empty (one label) or the `.` and the labels after it.
                let second = after.split_first().map(|(_dot, second)| second);
                match second.and_then(|second| strip_prefix_lowercase(second, b"group")) {
                    Some([] | [b'.', ..]) => CpmService::SessionGroup,
                    _ => CpmService::Session,
                }
            }
            8 if is("largemsg") => CpmService::LargeMsg,
            8 if is("deferred") => CpmService::Deferred,
            9 if is("systemmsg") => CpmService::SystemMsg,
            12 if is("filetransfer") => CpmService::FileTransfer,
            _ => return None,
        };
        Some(service)
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

/// `let-dig` bytes (1) and `.` (2), for [`is_labels`].
static LABEL_BYTE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = if c.is_ascii_alphanumeric() || c == b'-' {
            1
        } else if c == b'.' {
            2
        } else {
            0
        };
        b += 1;
    }
    t
};

/// `true` when `s` is `sub-service-id *("." sub-service-id)`: one or more non-empty `let-dig`
/// runs separated by single dots. One table load per byte and no branch but the loop's.
fn is_labels(s: &[u8]) -> bool {
    let mut ok = !s.is_empty();
    let mut prev = 2u8; // as if after a dot: a leading dot is an empty label
    for &b in s {
        let class = LABEL_BYTE[usize::from(b)];
        ok &= class != 0 && (class & prev) != 2;
        prev = class;
    }
    ok && prev != 2
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
        match self.buf.get(..self.len) {
            Some(label) if !self.overflow => label,
            // Longer than the buffer (`push` stops `len` at its end and says so): a label that
            // does not fit is no CPM label, and the empty label matches none.
            _ => b"",
        }
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
        match self.raw.get(URN7.len()..) {
            Some(id) => id,
            // Every `ServiceId` starts with `urn:urn-7:` (the parser checks it; `CpmService::service_id`
            // writes it), so this is not reached. A value without the prefix has none to strip:
            // it is given as written, as `str::strip_prefix(..).unwrap_or(s)` would.
            None => self.raw,
        }
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

/// Whether one `P-Asserted-Service` / `P-Preferred-Service` field names a group: `Some` when
/// the field is a single Service-ID with nothing around it (no whitespace, no comma), which
/// is then valid, with `true` when it is a `…cpm.session.group` or a sub-service of it
/// ([`ServiceId::is_a`]). `None` for any other field: [`service_ids`] decides, errors included.
/// The terminating dispatch reads every P-*-Service field this way first.
pub(crate) fn plain_field_is_group(field: &str) -> Option<bool> {
    let b = field.as_bytes();
    if let Some(rest) = strip_prefix_lowercase(b, CPM_URN_PREFIX.as_bytes()) {
        // The prefix is well-formed labels with a short top-level: only the rest needs a look.
        return is_labels(rest).then(|| CpmService::identify_suffix(rest) == Some(CpmService::SessionGroup));
    }
    let rest = strip_prefix_lowercase(b, URN7.as_bytes())?;
    let top_level = rest.iter().position(|&b| b == b'.').unwrap_or(rest.len());
    (top_level <= 27 && is_labels(rest)).then_some(false)
}

/// The Service-IDs of one `P-Asserted-Service` / `P-Preferred-Service` field, parsed lazily
/// (no allocation). After the first error the iterator ends.
pub fn service_ids<'a>(value: &'a str, header: &'static str) -> ServiceIds<'a> {
    ServiceIds { list: LazyList::new(value, header) }
}

/// Iterator returned by [`service_ids`].
#[derive(Debug, Clone)]
pub struct ServiceIds<'a> {
    list: LazyList<'a>,
}

impl<'a> Iterator for ServiceIds<'a> {
    type Item = Result<ServiceId<'a>, GrammarError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.list.next_with(service_id)
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
            return Ok(ServiceId { raw: c.slice(start, c.pos())? });
        }
    }
}

#[cfg(test)]
mod quick_path_tests {
    use super::*;
    use proptest::prelude::*;

    /// Prefixes near [`CPM_URN_PREFIX`]: plain, encoded, in odd case, cut short, escaped where
    /// the quick paths do not look.
    const PREFIXES: [&str; 12] = [
        CPM_URN_PREFIX,
        "URN%3AURN-7%3A3GPP-SERVICE.IMS.ICSI.OMA.CPM.",
        "urn%3aurn-7%3A3gpp-service.ims.icsi.oma.cpm.",
        "urn%3aurn-7%3a3gpp-service.ims.icsi.oma.cpm%2E",
        "Urn:uRn-7:3Gpp-Service.IMS.icsi.Oma.Cpm.",
        "urn:urn-7:3gpp-service.ims.icsi.oma.cpm",
        "urn:urn-7:3gpp-service.ims.icsi.oma.cp",
        "urn:urn-7:3gpp-service.ims.icsi.oma..cpm.",
        "urn:urn-7:",
        "URN:URN-7:",
        "urn:urn-7:3gpp-service.ims.icsi.mmtel",
        "",
    ];

    const LABELS: [&str; 26] = [
        "msg",
        "MSG",
        "session",
        "Session",
        "group",
        "GROUP",
        "largemsg",
        "deferred",
        "DeFerred",
        "systemmsg",
        "filetransfer",
        "fileTransfer",
        "x",
        "",
        "-",
        "msgfoo",
        "sessio",
        "%73ession",
        "\u{e9}",
        "grou",
        "groups",
        "0",
        "abcdefghijklmnopqrstuvwxyz0",
        "abcdefghijklmnopqrstuvwxyz01",
        "gr%4Fup",
        "%",
    ];

    /// Mostly dots, so that most values are well-formed label lists.
    const SEPARATORS: [&str; 10] = [".", ".", ".", ".", ".", "%2E", "%2e", ",", " ", "\t"];

    fn value() -> impl Strategy<Value = String> {
        let label = (proptest::sample::select(&SEPARATORS[..]), proptest::sample::select(&LABELS[..]));
        (
            proptest::sample::select(&PREFIXES[..]),
            proptest::sample::select(&LABELS[..]),
            proptest::collection::vec(label, 0..4),
        )
            .prop_map(|(p, first, rest)| {
                let mut s = format!("{p}{first}");
                for (sep, label) in rest {
                    s.push_str(sep);
                    s.push_str(label);
                }
                s
            })
    }

    /// The old, byte-at-a-time identification through iterators.
    fn checked(s: &str) -> Option<CpmService> {
        CpmService::identify_bytes(crate::grammar::percent_decoded(s))
    }

    #[test]
    fn quick_paths_take_the_usual_forms() {
        let plain = "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session";
        assert_eq!(plain_field_is_group(plain), Some(false));
        assert_eq!(
            plain_field_is_group("urn:urn-7:3gpp-service.ims.icsi.oma.cpm.Session.group.x"),
            Some(true)
        );
        assert_eq!(plain_field_is_group("urn:urn-7:3gpp-service.ims.icsi.mmtel"), Some(false));
        assert_eq!(plain_field_is_group("urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session, x"), None);
        assert_eq!(
            plain_field_is_group("urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session.groups"),
            Some(false)
        );
        assert_eq!(plain_field_is_group("urn:urn-7:abcdefghijklmnopqrstuvwxyz0"), Some(false));
        assert_eq!(plain_field_is_group("urn:urn-7:abcdefghijklmnopqrstuvwxyz01.x"), None);
        assert!(is_labels(b"a.b-c.0"));
        for bad in [&b""[..], b".", b"a.", b".a", b"a..b", b"a b", b"a%2E"] {
            assert!(!is_labels(bad), "{bad:?}");
        }
        let encoded = "urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session";
        assert_eq!(CpmService::identify_encoded(encoded), Some(CpmService::Session));
    }

    proptest! {
        // Cheap cases, and a rare shape (`session.groups` after a plain prefix) needs many.
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// The quick identification (prefix compared as words, labels through a table) finds
        /// what decoding and comparing one byte at a time finds.
        #[test]
        fn identify_quick_is_identify_checked(s in value()) {
            prop_assert_eq!(CpmService::identify_encoded(&s), checked(&s), "{:?}", s);
            prop_assert_eq!(CpmService::identify_slice(s.as_bytes()), CpmService::identify_bytes(s.bytes()), "{:?}", s);
        }

        /// A field the quick path takes is one valid Service-ID, a group exactly when the
        /// grammar's Service-ID is one.
        #[test]
        fn plain_field_is_the_grammar(s in value()) {
            if let Some(group) = plain_field_is_group(&s) {
                let ids: Vec<_> = service_ids(&s, "P-Asserted-Service").collect();
                prop_assert_eq!(ids.len(), 1, "{:?}", s);
                let id = ids.first().cloned().unwrap_or(Err(GrammarError::new("", ErrorKind::Empty, 0)));
                prop_assert!(id.is_ok(), "{:?}: {:?}", s, id);
                let service = id.ok().and_then(|id| CpmService::identify_bytes(id.as_str().bytes()));
                prop_assert_eq!(group, service.is_some_and(|s| s.is_a(CpmService::SessionGroup)), "{:?}", s);
            }
        }
    }
}
