//! A look inside a complete MSRP message's payload (REC-1, REC-IMDN): is it a disposition
//! notification, and what is its CPIM `imdn.Message-ID`?
//!
//! CPIM (RFC 3862 §2–3) lays a message out as: the MIME headers of the CPIM wrapper
//! (`Content-Type: message/cpim`), a blank line, the message headers (`From`, `To`, `NS`,
//! `DateTime`, `imdn.Message-ID`, …), a blank line, the MIME headers of the content
//! (`Content-Type: …`), a blank line, the content. MSRP and SIP carry the wrapper's content type
//! in their own `Content-Type`, so their bodies start with the message headers; both layouts are
//! accepted: when the first header block declares `Content-Type: message/cpim` it is taken as the
//! wrapper and the message headers follow it.
//!
//! IMDN headers live in the namespace `urn:ietf:params:imdn` (RFC 5438 §6), declared by
//! `NS: imdn <urn:ietf:params:imdn>`. The prefix `imdn` is accepted even when undeclared (common
//! practice), and any other prefix declared for that URN is honoured, as is the URN declared as
//! default namespace (`NS: <urn:ietf:params:imdn>` then unprefixed `Message-ID`).
//!
//! Leniency and bounds: header names and media types are matched without regard to case,
//! media type parameters are ignored, line ends may be CRLF or bare LF, folded continuation lines
//! and lines that are not UTF-8 are skipped. Only the first [`MAX_HEADER_BYTES`] octets of the
//! payload are looked at, and at most [`MAX_NAMESPACES`] `NS` declarations are remembered, so the
//! work is bounded whatever the payload; nothing here panics or allocates.

/// How many leading octets of a payload the header blocks are searched in.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// How many CPIM `NS` declarations are remembered per message.
pub const MAX_NAMESPACES: usize = 8;

const IMDN_NS: &str = "urn:ietf:params:imdn";

/// What the recorder needs to know about a complete message's payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct PayloadInfo<'a> {
    /// The payload is a disposition notification (REC-IMDN): `message/imdn+xml`, directly or
    /// as the content of a `message/cpim` wrapper.
    pub is_notification: bool,
    /// The payload is a CPIM message (`message/cpim`).
    pub is_cpim: bool,
    /// The CPIM `imdn.Message-ID` (RFC 5438 §6.3), trimmed.
    pub imdn_message_id: Option<&'a str>,
    /// The CPIM `From` header (in a group chat the sender, OMA CPM MS: group chat From).
    pub from: Option<&'a str>,
    /// The first CPIM `To` header.
    pub to: Option<&'a str>,
    /// The CPIM `DateTime` header, as written.
    pub date_time: Option<&'a str>,
    /// The `Content-Type` of the content inside the CPIM wrapper.
    pub inner_content_type: Option<&'a str>,
}

/// `true` when `content_type`'s media type (before any `;` parameter) is `expected`, compared
/// without regard to case.
///
/// ```
/// use cpm_pf::objects::media_type_is;
/// assert!(media_type_is("Message/CPIM ; charset=utf-8", "message/cpim"));
/// assert!(!media_type_is("message/cpimx", "message/cpim"));
/// ```
pub fn media_type_is(content_type: &str, expected: &str) -> bool {
    let media = content_type.split(';').next().unwrap_or("").trim();
    media.eq_ignore_ascii_case(expected)
}

/// Looks inside a payload whose (MSRP or SIP) content type is `content_type`.
///
/// ```
/// use cpm_pf::objects::inspect_payload;
/// let body = b"From: <sip:alice@example.com>\r\nNS: imdn <urn:ietf:params:imdn>\r\n\
/// imdn.Message-ID: 34jk324j\r\n\r\nContent-Type: text/plain\r\n\r\nHi";
/// let info = inspect_payload(Some("message/cpim"), body);
/// assert!(info.is_cpim && !info.is_notification);
/// assert_eq!(info.imdn_message_id, Some("34jk324j"));
/// ```
pub fn inspect_payload<'a>(content_type: Option<&str>, body: &'a [u8]) -> PayloadInfo<'a> {
    let Some(ct) = content_type else { return PayloadInfo::default() };
    if media_type_is(ct, "message/imdn+xml") {
        return PayloadInfo { is_notification: true, ..PayloadInfo::default() };
    }
    if !media_type_is(ct, "message/cpim") {
        return PayloadInfo::default();
    }
    let head = &body[..body.len().min(MAX_HEADER_BYTES)];
    let mut blocks = Blocks { rest: head, complete: head.len() == body.len() };
    let mut message = blocks.next().unwrap_or(b"");
    if header(message, "Content-Type").is_some_and(|v| media_type_is(v, "message/cpim")) {
        // The first block is the wrapper's MIME headers.
        message = blocks.next().unwrap_or(b"");
    }
    let inner_content_type = blocks
        .next()
        .and_then(|b| header(b, "Content-Type"))
        // Lenient: MIME headers written without the blank line after the message headers.
        .or_else(|| header(message, "Content-Type"));
    PayloadInfo {
        is_notification: inner_content_type.is_some_and(|v| media_type_is(v, "message/imdn+xml")),
        is_cpim: true,
        imdn_message_id: imdn_message_id(message),
        from: header(message, "From"),
        to: header(message, "To"),
        date_time: header(message, "DateTime"),
        inner_content_type,
    }
}

/// `true` when the payload is a disposition notification (REC-IMDN); see [`inspect_payload`].
pub fn is_disposition_notification(content_type: Option<&str>, body: &[u8]) -> bool {
    inspect_payload(content_type, body).is_notification
}

/// The CPIM `imdn.Message-ID` of the payload, if it is CPIM and has one; see [`inspect_payload`].
pub fn cpim_imdn_message_id<'a>(content_type: Option<&str>, body: &'a [u8]) -> Option<&'a str> {
    inspect_payload(content_type, body).imdn_message_id
}

/// Header blocks separated by blank lines. A final block cut off by [`MAX_HEADER_BYTES`] is
/// still returned; its last, possibly partial, line is dropped by [`lines`].
struct Blocks<'a> {
    rest: &'a [u8],
    /// `rest` runs to the end of the payload (it was not cut at the byte limit).
    complete: bool,
}

impl<'a> Iterator for Blocks<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        let mut pos = 0;
        loop {
            let Some(nl) = self.rest[pos..].iter().position(|&b| b == b'\n') else {
                // No more line ends: the rest is the block (its last line is partial if cut).
                let block = self.rest;
                self.rest = b"";
                return Some(if self.complete { block } else { &block[..pos] });
            };
            let line = &self.rest[pos..pos + nl];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                let block = &self.rest[..pos];
                self.rest = &self.rest[pos + nl + 1..];
                return Some(block);
            }
            pos += nl + 1;
        }
    }
}

/// The `name: value` header lines of a block, values trimmed; continuation lines, lines without
/// a colon and lines that are not UTF-8 are skipped.
fn lines(block: &[u8]) -> impl Iterator<Item = (&str, &str)> {
    block.split(|&b| b == b'\n').filter_map(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.first().is_some_and(|&b| b == b' ' || b == b'\t') {
            return None;
        }
        let line = core::str::from_utf8(line).ok()?;
        let (name, value) = line.split_once(':')?;
        let name = name.trim();
        (!name.is_empty() && !name.contains(' ')).then(|| (name, value.trim()))
    })
}

/// The first value of header `name` in `block`.
fn header<'a>(block: &'a [u8], name: &str) -> Option<&'a str> {
    lines(block).find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v)
}

/// The IMDN `Message-ID` of a CPIM message header block, under any prefix bound to the IMDN
/// namespace (RFC 3862 §3.3 `NS`), or `imdn` when that prefix is not bound elsewhere.
fn imdn_message_id(block: &[u8]) -> Option<&str> {
    // (prefix, is the IMDN namespace); an empty prefix is the default namespace.
    let mut ns: [(&str, bool); MAX_NAMESPACES] = [("", false); MAX_NAMESPACES];
    let mut n = 0;
    for (_, value) in lines(block).filter(|(name, _)| name.eq_ignore_ascii_case("NS")) {
        if n == MAX_NAMESPACES {
            break;
        }
        if let Some((prefix, uri)) = value.split_once('<') {
            let uri = uri.split_once('>').map_or(uri, |(u, _)| u).trim();
            ns[n] = (prefix.trim(), uri.eq_ignore_ascii_case(IMDN_NS));
            n += 1;
        }
    }
    let ns = &ns[..n];
    let is_imdn_prefix = |prefix: &str| match ns.iter().find(|(p, _)| p.eq_ignore_ascii_case(prefix)) {
        Some(&(_, imdn)) => imdn,
        None => prefix.eq_ignore_ascii_case("imdn"),
    };
    lines(block)
        .find(|(name, _)| match name.rsplit_once('.') {
            Some((prefix, local)) => local.eq_ignore_ascii_case("Message-ID") && is_imdn_prefix(prefix),
            None => {
                name.eq_ignore_ascii_case("Message-ID") && ns.iter().any(|&(p, imdn)| p.is_empty() && imdn)
            }
        })
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// RFC 5438 §7.1.1's disposition request (STANDARDS §5 vector 1), as an MSRP body. Its CPIM
    /// headers are shared with `tests/objects.rs` (`tests/data/cpim/`).
    const RFC5438_REQUEST: &str = concat!(
        include_str!("../../../tests/data/cpim/rfc5438-request-headers.cpim"),
        "Content-Type: text/xml\r\n\
Content-Length: 7\r\n\
\r\n\
<body>"
    );

    /// A delivery notification for it (STANDARDS §5 vector 2, values from RFC 5438; the CPIM
    /// layout around them is derived), inside CPIM. The IMDN document is shared with
    /// `tests/objects.rs` (`tests/data/cpim/`).
    const RFC5438_DELIVERED: &str = concat!(
        "From: Bob <im:bob@example.com>\r\n\
To: Alice <im:alice@example.com>\r\n\
NS: imdn <urn:ietf:params:imdn>\r\n\
imdn.Message-ID: d834jied93rf\r\n\
DateTime: 2008-04-04T12:16:49-05:00\r\n\
\r\n\
Content-type: message/imdn+xml; charset=utf-8\r\n\
Content-Disposition: notification\r\n\
\r\n",
        include_str!("../../../tests/data/cpim/rfc5438-delivered.xml")
    );

    #[test]
    fn rfc5438_request_is_a_chat_message_with_its_id() {
        let info = inspect_payload(Some("message/cpim"), RFC5438_REQUEST.as_bytes());
        assert!(info.is_cpim);
        assert!(!info.is_notification);
        assert_eq!(info.imdn_message_id, Some("34jk324j"));
        assert_eq!(info.from, Some("Alice <im:alice@example.com>"));
        assert_eq!(info.to, Some("Bob <im:bob@example.com>"));
        assert_eq!(info.date_time, Some("2006-04-04T12:16:49-05:00"));
        assert_eq!(info.inner_content_type, Some("text/xml"));
    }

    #[test]
    fn rfc5438_delivery_notification_is_a_notification() {
        let body = RFC5438_DELIVERED.as_bytes();
        for ct in ["message/cpim", "Message/CPIM", "MESSAGE/CPIM;charset=utf-8"] {
            assert!(is_disposition_notification(Some(ct), body), "{ct}");
            assert_eq!(cpim_imdn_message_id(Some(ct), body), Some("d834jied93rf"));
        }
        // The notification's own XML names the message it is about, not its ID.
        assert_ne!(cpim_imdn_message_id(Some("message/cpim"), body), Some("34jk324j"));
    }

    #[test]
    fn bare_imdn_xml_is_a_notification() {
        let xml = b"<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\"/>";
        assert!(is_disposition_notification(Some("message/imdn+xml"), xml));
        assert!(is_disposition_notification(Some("Message/IMDN+XML ; charset=UTF-8"), xml));
        assert_eq!(cpim_imdn_message_id(Some("message/imdn+xml"), xml), None);
        assert!(!is_disposition_notification(Some("message/imdn+xmlx"), xml));
        assert!(!is_disposition_notification(Some("text/plain"), RFC5438_DELIVERED.as_bytes()));
        assert!(!is_disposition_notification(None, RFC5438_DELIVERED.as_bytes()));
    }

    #[test]
    fn wrapper_headers_first_are_accepted() {
        let body = format!("Content-Type: message/cpim\r\n\r\n{RFC5438_DELIVERED}");
        let info = inspect_payload(Some("message/cpim"), body.as_bytes());
        assert!(info.is_notification);
        assert_eq!(info.imdn_message_id, Some("d834jied93rf"));
    }

    #[test]
    fn bare_lf_line_ends_are_accepted() {
        let body = RFC5438_DELIVERED.replace("\r\n", "\n");
        let info = inspect_payload(Some("message/cpim"), body.as_bytes());
        assert!(info.is_notification);
        assert_eq!(info.imdn_message_id, Some("d834jied93rf"));
    }

    #[test]
    fn namespace_prefixes() {
        let msg = |headers: &str| format!("{headers}\r\n\r\nContent-Type: text/plain\r\n\r\nhi");
        let id = |headers: &str| {
            let body = msg(headers);
            inspect_payload(Some("message/cpim"), body.as_bytes()).imdn_message_id.map(str::to_owned)
        };
        // Another declared prefix is honoured.
        assert_eq!(id("NS: d <urn:ietf:params:imdn>\r\nd.Message-ID: x1"), Some("x1".into()));
        // `imdn.` without a declaration is accepted (common practice).
        assert_eq!(id("imdn.Message-ID: x2"), Some("x2".into()));
        // `imdn` bound to another namespace is not the IMDN one.
        assert_eq!(id("NS: imdn <urn:example:other>\r\nimdn.Message-ID: x3"), None);
        // Default namespace.
        assert_eq!(id("NS: <urn:ietf:params:imdn>\r\nMessage-ID: x4"), Some("x4".into()));
        // An unprefixed Message-ID without a default namespace is not the IMDN one.
        assert_eq!(id("Message-ID: x5"), None);
        // Names are matched without regard to case.
        assert_eq!(id("ns: IMDN <URN:IETF:PARAMS:IMDN>\r\nImdn.message-id: x6"), Some("x6".into()));
        // An empty value is no ID.
        assert_eq!(id("imdn.Message-ID:   "), None);
    }

    #[test]
    fn headers_after_the_byte_limit_are_not_seen() {
        let mut body = "X-Pad: ".to_owned();
        body.push_str(&"a".repeat(MAX_HEADER_BYTES));
        body.push_str("\r\nimdn.Message-ID: late\r\n\r\n");
        assert_eq!(cpim_imdn_message_id(Some("message/cpim"), body.as_bytes()), None);
    }

    proptest! {
        #[test]
        fn never_panics(body in proptest::collection::vec(any::<u8>(), 0..2048),
                        ct in proptest::option::of("(message/cpim|message/imdn\\+xml|[ -~]{0,20})")) {
            let _ = inspect_payload(ct.as_deref(), &body);
        }

        #[test]
        fn never_panics_on_cpim_shaped_input(
            parts in proptest::collection::vec("(\r\n|\n|\r|:| |imdn\\.Message-ID|NS|<urn:ietf:params:imdn>|Content-Type|message/imdn\\+xml|[a-z]{1,4})", 0..60)
        ) {
            let body = parts.concat();
            let info = inspect_payload(Some("message/cpim"), body.as_bytes());
            if let Some(id) = info.imdn_message_id {
                prop_assert!(!id.is_empty() && body.contains(id));
            }
        }
    }
}
