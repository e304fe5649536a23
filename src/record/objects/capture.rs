//! What a session's first INVITE (or REFER with `method=INVITE`) leaves for its session info
//! object (REC-4a; OMA CPM MS 5.2.7 and the message object header rules, docs/standards.md §6).
//!
//! The request is gone once the call returns, so [`SessionInfo`] owns copies. Every copy is
//! bounded, whatever the request holds:
//! - each header value at most [`MAX_VALUE_LEN`] (8 KiB), cut at a character boundary;
//! - at most [`MAX_ACCEPT_CONTACT`] (16) `Accept-Contact` values, the first ones;
//! - the SDP at most [`MAX_SDP_LEN`] (64 KiB), cut after the last whole line that fits;
//! - at most [`MAX_PARTICIPANTS`] (256) invited participants.
//!
//! Values are copied as received (trimmed); sanitizing for RFC 5322 happens when an object is
//! rendered.

use core::ops::ControlFlow;

use super::cpim::media_type_is;
use super::date::parse_sip_date;
use super::profile::Profile;
use super::render::{Direction, ObjectHeaders};
use super::xml::resource_list_entries;
use crate::headers::{names, SipHeaders};
use crate::{Method, Time};

/// Longest header value copied, in octets.
pub const MAX_VALUE_LEN: usize = 8 * 1024;
/// Most `Accept-Contact` values copied.
pub const MAX_ACCEPT_CONTACT: usize = 16;
/// Longest SDP copied, in octets.
pub const MAX_SDP_LEN: usize = 64 * 1024;
/// Most invited participants copied.
pub const MAX_PARTICIPANTS: usize = 256;
/// Most body parts of a multipart body looked at.
const MAX_PARTS: usize = 8;

/// The session data a session info object is built from (REC-4a), captured from the request
/// that started the session, or filled in from the configuration when there was none (FT-1b).
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SessionInfo {
    /// The initiator's address (OMA CPM MS `From` rule): the URI of `Referred-By` if present,
    /// else of `P-Asserted-Identity`, else of `From`; display names and header parameters
    /// (`;tag=`) are dropped.
    pub from: Option<String>,
    /// The URI of the request's `To` (display name and parameters dropped).
    pub to: Option<String>,
    /// `Subject`.
    pub subject: Option<String>,
    /// `Date` of the request, when it had one that parses (RFC 3261 `rfc1123-date`, or any
    /// RFC 5322 date); `None` means "use the time recording started".
    pub date: Option<Time>,
    /// `Conversation-ID`.
    pub conversation_id: Option<String>,
    /// `Contribution-ID`.
    pub contribution_id: Option<String>,
    /// `InReplyTo-Contribution-ID`.
    pub in_reply_to_contribution_id: Option<String>,
    /// Every `Accept-Contact` field value, in order.
    pub accept_contact: Vec<String>,
    /// `P-Asserted-Service`.
    pub p_asserted_service: Option<String>,
    /// The SDP: the body when it is `application/sdp`, or the first `application/sdp` part of a
    /// `multipart/*` body.
    pub sdp: Option<String>,
    /// Invited participants: the `uri` of each `<entry>` of an `application/resource-lists+xml`
    /// body part (RFC 5366), and for a REFER the `Refer-To` URI. Empty when none are given.
    pub invited_participants: Vec<String>,
}

impl SessionInfo {
    /// Captures the session data of `method`'s request with these headers and body (REC-4a).
    ///
    /// Never fails: what is missing or unusable is left `None` or empty. For a REFER the
    /// `Refer-To` URI (without its `method` parameter and headers) is an invited participant.
    pub fn from_request(method: Method, headers: &dyn SipHeaders, body: &[u8]) -> SessionInfo {
        let first = |name| headers.first(name).map(capped).filter(|v| !v.is_empty());
        let from = [&names::REFERRED_BY, &names::P_ASSERTED_IDENTITY, &names::FROM]
            .into_iter()
            .find_map(|name| headers.first(name).map(address).filter(|a| !a.is_empty()))
            .map(capped);
        let mut accept_contact = Vec::new();
        headers.for_each(&names::ACCEPT_CONTACT, &mut |v| {
            if accept_contact.len() == MAX_ACCEPT_CONTACT {
                return ControlFlow::Break(());
            }
            accept_contact.push(capped(v));
            ControlFlow::Continue(())
        });
        let mut info = SessionInfo {
            from,
            to: headers.first(&names::TO).map(address).filter(|a| !a.is_empty()).map(capped),
            subject: first(&names::SUBJECT),
            date: headers.first(&names::DATE).and_then(parse_sip_date),
            conversation_id: first(&names::CONVERSATION_ID),
            contribution_id: first(&names::CONTRIBUTION_ID),
            in_reply_to_contribution_id: first(&names::IN_REPLY_TO_CONTRIBUTION_ID),
            accept_contact,
            p_asserted_service: first(&names::P_ASSERTED_SERVICE),
            sdp: None,
            invited_participants: Vec::new(),
        };
        if method == Method::Refer {
            if let Some(target) = headers.first(&names::REFER_TO).map(refer_target).filter(|t| !t.is_empty())
            {
                info.invited_participants.push(capped(&target));
            }
        }
        if let Some(ct) = headers.first(&names::CONTENT_TYPE) {
            info.read_body(ct, body);
        }
        info
    }

    /// Takes the SDP and the invited participants from a body of type `content_type`.
    fn read_body(&mut self, content_type: &str, body: &[u8]) {
        if media_type_is(content_type, "application/sdp") {
            self.sdp = Some(capped_sdp(body));
        } else if media_type_is(content_type, "application/resource-lists+xml") {
            self.add_participants(body);
        } else if content_type.trim_start().get(..10).is_some_and(|m| m.eq_ignore_ascii_case("multipart/")) {
            let Some(boundary) = parameter(content_type, "boundary") else { return };
            for (part_type, part) in multipart_parts(body, &boundary).take(MAX_PARTS) {
                match part_type {
                    Some(t) if media_type_is(t, "application/sdp") && self.sdp.is_none() => {
                        self.sdp = Some(capped_sdp(part));
                    }
                    Some(t) if media_type_is(t, "application/resource-lists+xml") => {
                        self.add_participants(part)
                    }
                    _ => {}
                }
            }
        }
    }

    /// Adds the `uri` of every `entry` element of a resource list (RFC 4826 §3.2, read with
    /// `quick-xml`: any namespace prefix, entity and numeric character references resolved), up
    /// to [`MAX_PARTICIPANTS`] in all. A list that is not UTF-8 or not well-formed XML adds
    /// nothing.
    fn add_participants(&mut self, xml: &[u8]) {
        let room = MAX_PARTICIPANTS.saturating_sub(self.invited_participants.len());
        let Ok(text) = core::str::from_utf8(xml) else { return };
        if let Ok(uris) = resource_list_entries(text, room) {
            self.invited_participants.extend(uris.iter().map(|u| capped(u)));
        }
    }

    /// The header data for objects of this session: a non-empty `contribution_id` (the
    /// configured one) wins over the request's (EMB-1), `now` stands in for a missing Date, and
    /// an empty From/To is rendered as the withheld identity; the profile is the default
    /// (`rcs`) and the `Message-ID` derived, for the caller to replace.
    pub fn object_headers<'a>(
        &'a self,
        contribution_id: &'a str,
        imdn_message_id: &'a str,
        now: Time,
        direction: Direction,
    ) -> ObjectHeaders<'a> {
        ObjectHeaders {
            from: self.from.as_deref().unwrap_or(""),
            to: self.to.as_deref().unwrap_or(""),
            date: self.date.unwrap_or(now),
            subject: self.subject.as_deref(),
            conversation_id: self.conversation_id.as_deref(),
            // EMB-1: the configured Contribution-ID wins over the request's.
            contribution_id: Some(contribution_id)
                .filter(|c| !c.is_empty())
                .or(self.contribution_id.as_deref())
                .unwrap_or(""),
            in_reply_to_contribution_id: self.in_reply_to_contribution_id.as_deref(),
            imdn_message_id,
            direction,
            profile: Profile::default(),
            message_id: None,
            one_to_one_chat: false,
            accept_contact: &self.accept_contact,
            p_asserted_service: self.p_asserted_service.as_deref(),
        }
    }
}

/// `v` trimmed and cut to [`MAX_VALUE_LEN`] at a character boundary.
fn capped(v: &str) -> String {
    let v = v.trim();
    let mut end = v.len().min(MAX_VALUE_LEN);
    while !v.is_char_boundary(end) {
        end -= 1;
    }
    v[..end].to_owned()
}

/// The SDP text, at most [`MAX_SDP_LEN`] octets, cut after the last line end that fits.
fn capped_sdp(body: &[u8]) -> String {
    let body = if body.len() > MAX_SDP_LEN {
        let head = &body[..MAX_SDP_LEN];
        head.iter().rposition(|&b| b == b'\n').map_or(head, |nl| &head[..=nl])
    } else {
        body
    };
    String::from_utf8_lossy(body).into_owned()
}

/// The first element of a comma-separated list, ignoring commas inside quotes and `<…>`.
fn first_of_list(v: &str) -> &str {
    let (mut quoted, mut angle, mut escaped) = (false, false, false);
    for (i, c) in v.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' if !angle => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' if !quoted && !angle => return &v[..i],
            _ => {}
        }
    }
    v
}

/// The URI of a `name-addr` / `addr-spec` header value (RFC 3261 §20.10): inside `<…>` when
/// present, else up to the first `;` (header parameters); only the first of a list.
fn address(v: &str) -> &str {
    let v = first_of_list(v);
    match super::address::angle_addr(v) {
        Some((_, uri)) => uri,
        None => v.split(';').next().unwrap_or(v).trim(),
    }
}

/// The target of a `Refer-To` (RFC 3515): its URI without `?headers` and `;method=` parameter.
fn refer_target(v: &str) -> String {
    let uri = address(v);
    let uri = uri.split('?').next().unwrap_or(uri);
    let mut parts = uri.split(';');
    let mut out = parts.next().unwrap_or("").to_owned();
    for p in parts {
        let name = p.split('=').next().unwrap_or("").trim();
        if !name.eq_ignore_ascii_case("method") {
            out.push(';');
            out.push_str(p);
        }
    }
    out
}

/// The value of parameter `name` of a `Content-Type` (RFC 2045 §5.1): a token, or a quoted
/// string unquoted (`\` escapes resolved); a `;` inside quotes does not end it.
fn parameter(content_type: &str, name: &str) -> Option<String> {
    let mut rest = content_type.split_once(';')?.1;
    loop {
        let (n, after) = rest.split_once('=')?;
        let after = after.trim_start();
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next().map(|(_, c)| c)),
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    c => value.push(c),
                }
            }
            (value, quoted[end..].split_once(';').map_or("", |(_, r)| r))
        } else {
            let (v, r) = after.split_once(';').unwrap_or((after, ""));
            (v.trim().to_owned(), r)
        };
        if n.trim().eq_ignore_ascii_case(name) && !value.is_empty() {
            return Some(value);
        }
        rest = next;
    }
}

/// The parts of a multipart body (RFC 2046 §5.1.1) as (Content-Type, content), in order.
/// Lenient about line ends; a part without a blank line after its headers is skipped.
fn multipart_parts<'a>(body: &'a [u8], boundary: &str) -> impl Iterator<Item = (Option<&'a str>, &'a [u8])> {
    let delimiter: Vec<u8> = [b"--".as_slice(), boundary.as_bytes()].concat();
    // Offsets where a delimiter line starts (at the start of the body or after a LF).
    let mut starts = Vec::new();
    let mut i = 0;
    while let Some(pos) =
        body.get(i..).and_then(|r| r.windows(delimiter.len()).position(|w| w == &delimiter[..]))
    {
        let at = i + pos;
        if at == 0 || body[at - 1] == b'\n' {
            starts.push(at);
            if starts.len() > MAX_PARTS + 1 {
                break;
            }
        }
        i = at + delimiter.len();
    }
    let dlen = delimiter.len();
    (0..starts.len().saturating_sub(1)).filter_map(move |k| {
        let after_delim = starts[k] + dlen;
        if body[after_delim..].starts_with(b"--") {
            return None; // the close delimiter
        }
        let line_end = body[after_delim..].iter().position(|&b| b == b'\n')? + after_delim + 1;
        // The line end before the next delimiter belongs to it.
        let mut end = starts[k + 1];
        if end > line_end && body[end - 1] == b'\n' {
            end -= 1;
            if end > line_end && body[end - 1] == b'\r' {
                end -= 1;
            }
        }
        let part = body.get(line_end..end)?;
        let (head, content) = split_head(part)?;
        let content_type = core::str::from_utf8(head).ok().and_then(|h| {
            h.lines().find_map(|l| {
                let (n, v) = l.split_once(':')?;
                n.trim().eq_ignore_ascii_case("Content-Type").then(|| v.trim())
            })
        });
        Some((content_type, content))
    })
}

/// A part's headers and content, split at the first blank line.
fn split_head(part: &[u8]) -> Option<(&[u8], &[u8])> {
    if part.starts_with(b"\r\n") {
        return Some((b"", &part[2..]));
    }
    if part.starts_with(b"\n") {
        return Some((b"", &part[1..]));
    }
    let crlf = part.windows(4).position(|w| w == b"\r\n\r\n").map(|p| (p, p + 4));
    let lf = part.windows(2).position(|w| w == b"\n\n").map(|p| (p, p + 2));
    let (head_end, body_start) = match (crlf, lf) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b)?,
    };
    Some((&part[..head_end], &part[body_start..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(address("<sip:alice@example.com>;tag=1928301774"), "sip:alice@example.com");
        assert_eq!(address("\"Alice <A>\" <sip:alice@example.com>"), "sip:alice@example.com");
        assert_eq!(address("sip:alice@example.com;tag=88sja8x"), "sip:alice@example.com");
        assert_eq!(address("tel:+33643209850"), "tel:+33643209850");
        assert_eq!(address("<sip:a@x>, <tel:+1>"), "sip:a@x");
        assert_eq!(address("\"Doe, John\" <sip:j@x>, <tel:+1>"), "sip:j@x");
        assert_eq!(address(""), "");
        assert_eq!(refer_target("<sip:bob@example.com;method=INVITE?Subject=x>"), "sip:bob@example.com");
        assert_eq!(
            refer_target("<sip:bob@example.com;transport=tcp;METHOD=INVITE>"),
            "sip:bob@example.com;transport=tcp"
        );
    }

    #[test]
    fn content_type_parameters() {
        let p = |ct, name| parameter(ct, name);
        assert_eq!(p("multipart/mixed; boundary=\"b1\"", "boundary").as_deref(), Some("b1"));
        assert_eq!(p("multipart/mixed;BOUNDARY=b2;x=y", "boundary").as_deref(), Some("b2"));
        assert_eq!(p("multipart/mixed", "boundary"), None);
        // RFC 2045 §5.1: a quoted string may hold `;` and `=`, and quoted-pairs.
        assert_eq!(
            p("multipart/mixed; x=\"a;boundary=no\"; boundary=\"b;3\"", "boundary").as_deref(),
            Some("b;3")
        );
        assert_eq!(p("multipart/mixed; boundary=\"a\\\"b\"", "boundary").as_deref(), Some("a\"b"));
        assert_eq!(
            p("multipart/mixed; boundary=\"unterminated", "boundary").as_deref(),
            Some("unterminated")
        );
    }

    #[test]
    fn resource_lists_with_prefixes_and_character_references() {
        let mut info = SessionInfo::default();
        info.add_participants(
            b"<rl:resource-lists xmlns:rl=\"urn:ietf:params:xml:ns:resource-lists\"><rl:list>\
              <rl:entry uri=\"sip:bob&#64;example.com\"/><rl:entry uri=\"tel:+1&#x2D;2\"/></rl:list></rl:resource-lists>",
        );
        assert_eq!(info.invited_participants, ["sip:bob@example.com", "tel:+1-2"]);
        info.add_participants(b"<list><entry uri=\"sip:c@x\"></list>");
        assert_eq!(info.invited_participants.len(), 2, "a malformed list adds nothing");
    }

    #[test]
    fn sdp_cap_cuts_after_a_line() {
        let line = "a=x\r\n";
        let body = line.repeat(MAX_SDP_LEN / line.len() + 10);
        let sdp = capped_sdp(body.as_bytes());
        assert!(sdp.len() <= MAX_SDP_LEN);
        assert!(sdp.ends_with("\r\n"));
        assert!(sdp.len() > MAX_SDP_LEN - line.len());
    }
}
