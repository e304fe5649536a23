//! Message Store objects (REC-1, REC-IMDN, REC-4a, FT-1a/b object format, MS-1 … MS-8): each
//! object type is snapshotted in both profiles (reviewed against docs/standards.md §6 and the rcsjta
//! CMS parsers) and checked structurally, by our own strict reader and by `mail-parser`, so a
//! snapshot that was accepted blindly still cannot hide a broken RFC 5322 message.

use cpm_pf::headers::SipHeaders;
use cpm_pf::objects::*;
use cpm_pf::{Kind, Method, Time};
use mail_parser::MessageParser;
use proptest::prelude::*;

/// 2016-02-11T13:00:49Z, STANDARDS §6 vector 1's date (14:00:49 +0100).
const T: u64 = 1_455_195_649;

fn text(object: &[u8]) -> String {
    String::from_utf8(object.to_vec()).expect("objects in these tests are UTF-8")
}

/// The object with CRLFs made visible (`⏎`), for snapshots: a bare LF shows as a line without it.
fn visible(object: &[u8]) -> String {
    text(object).replace("\r\n", "⏎\n")
}

/// The unfolded header fields of an RFC 5322 message and its body, after checking that the
/// header section is well formed: CRLF line ends only, no line over 998 octets, continuation
/// lines start with white space, a blank line before the body.
fn parse(object: &[u8]) -> (Vec<(String, String)>, &[u8]) {
    let end = object.windows(4).position(|w| w == b"\r\n\r\n").expect("blank line before the body");
    let head = std::str::from_utf8(&object[..end + 2]).expect("UTF-8 headers");
    let body = &object[end + 4..];
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in head.strip_suffix("\r\n").unwrap().split("\r\n") {
        assert!(!line.contains('\r') && !line.contains('\n'), "bare CR/LF in header line {line:?}");
        assert!(line.len() <= 998, "header line of {} octets", line.len());
        if line.starts_with(' ') || line.starts_with('\t') {
            fields.last_mut().expect("continuation after a field").1.push_str(line);
        } else {
            let (name, value) = line.split_once(':').expect("name: value");
            assert!(!name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic()), "field name {name:?}");
            fields.push((name.to_owned(), value.to_owned()));
        }
    }
    let fields = fields.into_iter().map(|(n, v)| (n, v.trim().to_owned())).collect();
    (fields, body)
}

/// Every line end of the whole object is CRLF and every line is at most 998 octets (RFC 5322
/// §2.1.1; the last line of a body may end without CRLF, §3.5).
fn assert_all_lines_crlf(object: &[u8]) {
    for (i, &b) in object.iter().enumerate() {
        if b == b'\n' {
            assert!(i > 0 && object[i - 1] == b'\r', "bare LF at {i}");
        }
        if b == b'\r' {
            assert_eq!(object.get(i + 1), Some(&b'\n'), "bare CR at {i}");
        }
    }
    for line in object.split(|&b| b == b'\n') {
        assert!(line.len() <= 999, "line of {} octets", line.len().saturating_sub(1));
    }
}

fn values<'f>(fields: &'f [(String, String)], name: &str) -> Vec<&'f str> {
    fields.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).collect()
}

fn one<'f>(fields: &'f [(String, String)], name: &str) -> &'f str {
    match values(fields, name)[..] {
        [v] => v,
        ref vs => panic!("{name}: expected one value, found {vs:?}"),
    }
}

/// The headers every object carries (REC-1).
fn assert_mandatory(fields: &[(String, String)], content_type: &str) {
    for name in ["From", "To", "Date", "Contribution-ID", "IMDN-Message-ID", "MIME-Version", "Content-Type"] {
        assert!(!one(fields, name).is_empty(), "{name} is empty");
    }
    assert!(
        one(fields, "Content-Type").to_ascii_lowercase().starts_with(&content_type.to_ascii_lowercase()),
        "Content-Type {:?} is not {content_type}",
        one(fields, "Content-Type")
    );
}

fn assert_absent(fields: &[(String, String)], names: &[&str]) {
    for name in names {
        assert!(values(fields, name).is_empty(), "{name} must not be present");
    }
}

/// Headers of a session as the recorder would build them: every optional field set, so the
/// rule table is what decides which ones appear.
fn session_headers<'a>(accept: &'a [String], imdn_id: &'a str, profile: Profile) -> ObjectHeaders<'a> {
    ObjectHeaders {
        subject: Some("cfff"),
        conversation_id: Some("927d83c9902c362b08f2f2d731bdddb7"),
        in_reply_to_contribution_id: Some("01234567-89ab-cdef-0123-456789abcdef"),
        accept_contact: accept,
        p_asserted_service: Some("urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session"),
        profile,
        ..ObjectHeaders::new(
            "tel:+33643209850",
            "tel:+33600112233",
            Time::from_unix_secs(T),
            "927d83c9902c362b08f2f2d731bdddb7",
            imdn_id,
            Direction::Sent,
        )
    }
}

fn accept() -> Vec<String> {
    vec!["*;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session\"".to_owned()]
}

const PROFILES: [Profile; 2] = [Profile::Rcs, Profile::Oma];

/// What an RFC 5322 parser (`mail-parser`) must read in any object (MS-7): the From and To
/// addresses, the Date, the Message-ID, and no part with an encoding problem.
fn assert_rfc5322_readable(object: &[u8], from: &str, to: &str, date: u64) {
    let message = MessageParser::default().parse(object).expect("mail-parser reads the object");
    // mail-parser gives the addr-spec as written; a quoted local part (`"tel:+33…"@tel.invalid`)
    // means the same address as its unquoted text (RFC 5322 §3.4.1), which is what IMAP
    // ENVELOPE returns as the mailbox (tests/imap/check.py).
    let addr = |a: Option<&mail_parser::Address<'_>>| {
        a.and_then(|a| a.first()).and_then(|a| a.address()).map(|a| match a.strip_prefix('"') {
            Some(rest) => rest.replacen("\"@", "@", 1),
            None => a.to_owned(),
        })
    };
    assert_eq!(addr(message.from()).as_deref(), Some(from), "From as mail-parser reads it");
    assert_eq!(addr(message.to()).as_deref(), Some(to), "To as mail-parser reads it");
    assert_eq!(message.date().map(|d| d.to_timestamp()), Some(date as i64), "Date");
    assert!(message.message_id().is_some_and(|m| !m.is_empty()), "Message-ID");
    assert!(message.parts.iter().all(|p| !p.is_encoding_problem), "an encoding problem");
}

/// The decoded contents of the object's body part `n` (0: the whole body of a one-part object,
/// 1.. the parts of a multipart), as mail-parser gives them.
fn decoded_part(object: &[u8], n: u32) -> Vec<u8> {
    let message = MessageParser::default().parse(object).expect("mail-parser reads the object");
    message.part(n).expect("part").contents().to_vec()
}

// ---------------------------------------------------------------------------------------------
// REC-1 / MS-2 / MS-4 / MS-7: chat messages

#[test]
fn chat_message_plain_text_is_wrapped_in_cpim() {
    let accept = accept();
    let mut ids = IdGenerator::new(1);
    let id = ids.next_id();
    for profile in PROFILES {
        let h = ObjectHeaders { direction: Direction::Received, ..session_headers(&accept, &id, profile) };
        let object = render_chat_message(&h, Some("text/plain;charset=UTF-8"), b"Hey Bob, are you there?");
        assert_all_lines_crlf(&object);
        let (fields, body) = parse(&object);
        assert_mandatory(&fields, "Message/CPIM");
        // Not in chat messages (OMA CPM MS table).
        assert_absent(&fields, &["Subject", "P-Asserted-Service", "InReplyTo-Contribution-ID"]);
        assert_eq!(one(&fields, "Date"), "Thu, 11 Feb 2016 13:00:49 +0000");
        assert_eq!(one(&fields, "IMDN-Message-ID"), id);
        assert_eq!(one(&fields, "Message-ID"), format!("<{id}@cpm-pf.invalid>"));
        assert_eq!(one(&fields, "From"), "<\"tel:+33643209850\"@tel.invalid>");
        assert_eq!(values(&fields, "Accept-Contact"), [accept[0].as_str()]);
        // MS-2: in rcs only.
        let direction = values(&fields, "Message-Direction");
        assert_eq!(direction, if profile == Profile::Rcs { vec!["received"] } else { vec![] });
        // The CPIM wrapper carries the same IMDN-Message-ID, and its DateTime is the Date (MS-4).
        let info = inspect_payload(Some("message/cpim"), body);
        assert!(info.is_cpim && !info.is_notification);
        assert_eq!(info.imdn_message_id, Some(id.as_str()));
        assert_eq!(info.from, Some("<tel:+33643209850>"));
        assert_eq!(info.date_time, Some("2016-02-11T13:00:49Z"));
        assert_eq!(info.inner_content_type, Some("text/plain;charset=UTF-8"));
        assert!(body.ends_with(b"\r\n\r\nHey Bob, are you there?"));
        assert_rfc5322_readable(&object, "tel:+33643209850@tel.invalid", "tel:+33600112233@tel.invalid", T);
        insta::assert_snapshot!(format!("chat_message_plain_text_{profile}"), visible(&object));
    }
}

#[test]
fn rcs_one_to_one_wrapper_is_anonymous_as_rcs_cpim() {
    // rcsjta ImapChatMessage: a 1-1 chat message's CPIM From is <sip:anonymous@anonymous.invalid>.
    let accept = accept();
    let h = ObjectHeaders { one_to_one_chat: true, ..session_headers(&accept, "x1", Profile::Rcs) };
    let object = render_chat_message(&h, Some("text/plain"), b"hi");
    let (fields, body) = parse(&object);
    assert_eq!(one(&fields, "From"), "<\"tel:+33643209850\"@tel.invalid>");
    let info = inspect_payload(Some("message/cpim"), body);
    assert_eq!(info.from, Some("<sip:anonymous@anonymous.invalid>"));
    assert_eq!(info.to, Some("<sip:anonymous@anonymous.invalid>"));
    // oma, or a group: the real addresses.
    let h = ObjectHeaders { profile: Profile::Oma, ..h };
    let object = render_chat_message(&h, Some("text/plain"), b"hi");
    assert_eq!(inspect_payload(Some("message/cpim"), parse(&object).1).from, Some("<tel:+33643209850>"));
}

#[test]
fn chat_message_already_cpim_is_stored_verbatim_with_its_imdn_id() {
    // RFC 5438 §7.1.1 disposition request (STANDARDS §5 vector 1) as an MSRP body.
    let cpim = concat!(
        include_str!("data/cpim/rfc5438-request-headers.cpim"),
        "Content-Type: text/plain\r\n\
\r\n\
Hello"
    );
    let mut ids = IdGenerator::new(1);
    let generated = ids.next_id();
    // REC-1: the CPIM imdn.Message-ID wins over a generated one.
    let id = cpim_imdn_message_id(Some("message/cpim"), cpim.as_bytes()).unwrap_or(&generated);
    assert_eq!(id, "34jk324j");
    let accept = accept();
    for profile in PROFILES {
        let h = session_headers(&accept, id, profile);
        let object = render_chat_message(&h, Some("Message/CPIM"), cpim.as_bytes());
        assert_all_lines_crlf(&object);
        let (fields, body) = parse(&object);
        assert_mandatory(&fields, "Message/CPIM");
        assert_absent(
            &fields,
            &["Subject", "P-Asserted-Service", "InReplyTo-Contribution-ID", "Content-Transfer-Encoding"],
        );
        assert_eq!(one(&fields, "IMDN-Message-ID"), "34jk324j");
        assert_eq!(one(&fields, "Message-ID"), "<34jk324j@cpm-pf.invalid>");
        assert_eq!(body, cpim.as_bytes(), "the CPIM body is stored octet for octet");
        assert_rfc5322_readable(&object, "tel:+33643209850@tel.invalid", "tel:+33600112233@tel.invalid", T);
        assert_eq!(decoded_part(&object, 0), cpim.as_bytes());
        if profile == Profile::Rcs {
            insta::assert_snapshot!("chat_message_already_cpim", visible(&object));
        }
    }
}

#[test]
fn bodies_that_are_not_utf8_crlf_text_are_base64() {
    let accept = accept();
    let h = session_headers(&accept, "id1", Profile::Rcs);
    let eight = "Grüße\r\n".as_bytes();
    let object = render_chat_message(&h, Some("message/cpim"), eight);
    let (fields, body) = parse(&object);
    assert_eq!(one(&fields, "Content-Transfer-Encoding"), "8bit");
    assert_eq!(body, eight);
    // MS-7: bare LF, bare CR, NUL, invalid UTF-8: base64, decoding back to the same octets.
    for raw in
        [&b"From: <a>\n\nContent-Type: text/plain\n\nhi\n"[..], b"a\rb", b"a\0b", &[0xFF, 0xFE, 0x00, 0x80]]
    {
        let object = render_chat_message(&h, Some("message/cpim"), raw);
        assert_all_lines_crlf(&object);
        let (fields, body) = parse(&object);
        assert_eq!(one(&fields, "Content-Transfer-Encoding"), "base64");
        assert!(body.iter().all(|b| b.is_ascii_alphanumeric() || b"+/=\r\n".contains(b)));
        assert_eq!(decoded_part(&object, 0), raw);
    }
    // No content type at all: wrapped as octets.
    let object = render_chat_message(&h, None, b"?");
    let (_, body) = parse(&object);
    assert_eq!(
        inspect_payload(Some("message/cpim"), body).inner_content_type,
        Some("application/octet-stream")
    );
}

#[test]
fn identities_are_name_addr_with_rfc2047_names() {
    let accept = accept();
    let from = "\"Zoë Ünal\" <sip:+33612345678@ims.mnc001.mcc208.3gppnetwork.org;user=phone>";
    let h =
        ObjectHeaders { from, to: "Bob <tel:+33600112233>", ..session_headers(&accept, "n1", Profile::Rcs) };
    let object = render_chat_message(&h, Some("text/plain"), b"x");
    let (fields, _) = parse(&object);
    assert!(one(&fields, "From").starts_with("=?UTF-8?B?"), "RFC 2047 encoded-word");
    assert_eq!(one(&fields, "To"), "\"Bob\" <\"tel:+33600112233\"@tel.invalid>");
    let message = MessageParser::default().parse(&object[..]).unwrap();
    let sender = message.from().and_then(|a| a.first()).unwrap();
    assert_eq!(sender.name(), Some("Zoë Ünal"));
    // RFC 5322 §3.4.1: the URI's scheme and user as a quoted local part; its parameters are not
    // part of the address.
    assert_eq!(sender.address(), Some("\"sip:+33612345678\"@ims.mnc001.mcc208.3gppnetwork.org"));
    assert_eq!(message.to().and_then(|a| a.first()).and_then(|a| a.name()), Some("Bob"));
}

#[test]
fn message_id_from_the_caller_or_derived() {
    let accept = accept();
    let h =
        ObjectHeaders { message_id: Some("abc@example.com"), ..session_headers(&accept, "i", Profile::Oma) };
    let (fields, _) = parse(&render_group_state(
        &h,
        &GroupState {
            timestamp: Time::EPOCH,
            last_focus_session_id: "sip:f@x",
            group_type: GroupType::Closed,
            participants: &[],
        },
    ));
    assert_eq!(one(&fields, "Message-ID"), "<abc@example.com>");
    // Derived: atext kept, the rest as =HH, so distinct IDs stay distinct.
    assert_eq!(derived_message_id("a@b c"), "<a=40b=20c@cpm-pf.invalid>");
    assert_ne!(derived_message_id("a.b"), derived_message_id("a=2Eb"));
    assert_eq!(derived_message_id(""), "<=@cpm-pf.invalid>");
}

#[test]
fn rcs_folds_only_past_998_octets_and_oma_before_78() {
    let accept = accept();
    let subject = "word ".repeat(30);
    for (profile, limit) in [(Profile::Rcs, 998), (Profile::Oma, 78)] {
        let h = ObjectHeaders { subject: Some(&subject), ..session_headers(&accept, "f", profile) };
        let object = render_session_info(&h, SessionType::Group, None, &[]);
        let head = text(&object[..object.windows(4).position(|w| w == b"\r\n\r\n").unwrap()]);
        let subject_lines = head
            .split("\r\n")
            .skip_while(|l| !l.starts_with("Subject:"))
            .take_while(|l| l.starts_with("Subject:") || l.starts_with(' '));
        let lines: Vec<&str> = subject_lines.collect();
        assert!(lines.iter().all(|l| l.len() <= limit));
        assert_eq!(lines.len() == 1, profile == Profile::Rcs, "{lines:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// REC-IMDN: disposition notifications

/// A delivery notification (values of RFC 5438 §7.2.1.1 / STANDARDS §5 vector 2) in CPIM; the
/// IMDN document is shared with the `record::objects::cpim` unit tests (`tests/data/cpim/`).
const DELIVERED: &str = concat!(
    "From: <tel:+33600112233>\r\n\
To: <tel:+33643209850>\r\n\
NS: imdn <urn:ietf:params:imdn>\r\n\
imdn.Message-ID: d834jied93rf\r\n\
DateTime: 2008-04-04T12:16:49-05:00\r\n\
\r\n\
Content-Type: message/imdn+xml\r\n\
Content-Disposition: notification\r\n\
\r\n",
    include_str!("data/cpim/rfc5438-delivered.xml")
);

#[test]
fn imdn_in_cpim_is_a_notification_object() {
    assert!(is_disposition_notification(Some("message/cpim"), DELIVERED.as_bytes()));
    let id = cpim_imdn_message_id(Some("message/cpim"), DELIVERED.as_bytes()).unwrap();
    let accept = accept();
    for profile in PROFILES {
        let h = ObjectHeaders {
            from: "tel:+33600112233",
            to: "tel:+33643209850",
            direction: Direction::Received,
            ..session_headers(&accept, id, profile)
        };
        let object = render_notification(&h, Some("message/cpim"), DELIVERED.as_bytes());
        assert_all_lines_crlf(&object);
        let (fields, body) = parse(&object);
        assert_mandatory(&fields, "Message/CPIM");
        assert_absent(&fields, &["Subject", "P-Asserted-Service", "InReplyTo-Contribution-ID"]);
        assert_eq!(one(&fields, "IMDN-Message-ID"), "d834jied93rf");
        assert_eq!(body, DELIVERED.as_bytes());
        assert_rfc5322_readable(&object, "tel:+33600112233@tel.invalid", "tel:+33643209850@tel.invalid", T);
        insta::assert_snapshot!(format!("imdn_{profile}"), visible(&object));
    }
}

#[test]
fn bare_imdn_xml_is_wrapped_with_content_disposition() {
    let xml = "<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\"><message-id>34jk324j</message-id>\
<display-notification><status><displayed/></status></display-notification></imdn>";
    assert!(is_disposition_notification(Some("message/imdn+xml"), xml.as_bytes()));
    let accept = accept();
    let object = render_notification(
        &session_headers(&accept, "gen1", Profile::Rcs),
        Some("message/imdn+xml"),
        xml.as_bytes(),
    );
    let (_, body) = parse(&object);
    let info = inspect_payload(Some("message/cpim"), body);
    assert!(info.is_notification, "the stored CPIM reads back as a notification");
    assert_eq!(info.imdn_message_id, Some("gen1"));
    assert!(text(body)
        .contains("\r\nContent-Type: message/imdn+xml\r\nContent-Disposition: notification\r\n\r\n<imdn"));
}

// ---------------------------------------------------------------------------------------------
// REC-4a / REC-1 / MS-3: session info objects

const SESSION_SDP: &str =
    "v=0\r\no=- 3664184448 3664184448 IN IP4 sip.imsnsn.fr\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n\
t=0 0\r\nm=message 7394 TCP/MSRP *\r\na=accept-types:message/cpim\r\n\
a=path:msrp://192.0.2.1:7394/s111;tcp\r\n";

#[test]
fn session_info_one_to_one_from_the_invite() {
    let invite = [
        ("From", "<tel:+33643209850>;tag=a1b2"),
        ("To", "<tel:+33600112233>"),
        ("P-Asserted-Identity", "\"Alice\" <tel:+33643209850>, <sip:+33643209850@volteofr.com>"),
        ("Subject", "cfff"),
        ("Date", "Thu, 11 Feb 2016 14:00:49 +0100"),
        ("Conversation-ID", "927d83c9902c362b08f2f2d731bdddb7"),
        ("Contribution-ID", "927d83c9902c362b08f2f2d731bdddb7"),
        ("Accept-Contact", "*;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session\""),
        ("a", "*;+g.3gpp.iari-ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.fthttp\""),
        ("P-Asserted-Service", "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session"),
        ("Content-Type", "application/sdp"),
    ];
    let info = SessionInfo::from_request(Method::Invite, &invite, SESSION_SDP.as_bytes());
    // OMA CPM MS From rule: P-Asserted-Identity (no Referred-By), its URI only.
    assert_eq!(info.from.as_deref(), Some("tel:+33643209850"));
    assert_eq!(info.to.as_deref(), Some("tel:+33600112233"));
    assert_eq!(info.date, Some(Time::from_unix_secs(T)));
    assert_eq!(info.accept_contact.len(), 2);
    assert_eq!(info.sdp.as_deref(), Some(SESSION_SDP));
    let mut ids = IdGenerator::new(9);
    let id = ids.next_id();
    // MS-3: oma stores it (the multipart form); rcs does not, see Profile.
    assert!(Profile::Oma.stores_one_to_one_session_info() && !Profile::Rcs.stores_one_to_one_session_info());
    let h =
        ObjectHeaders { profile: Profile::Oma, ..info.object_headers("", &id, Time::EPOCH, Direction::Sent) };
    let object = render_session_info(&h, SessionType::of_kind(Kind::OneToOne), info.sdp.as_deref(), &[]);
    assert_all_lines_crlf(&object);
    let (fields, body) = parse(&object);
    assert_mandatory(&fields, "multipart/related;boundary=cpm;type=\"Application/X-CPM-Session\"");
    assert_eq!(one(&fields, "Date"), "Thu, 11 Feb 2016 13:00:49 +0000", "the INVITE's Date, in UTC");
    assert_eq!(one(&fields, "Subject"), "cfff");
    assert_eq!(one(&fields, "P-Asserted-Service"), "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session");
    assert_eq!(values(&fields, "Accept-Contact").len(), 2);
    let body = text(body);
    assert!(body.starts_with("--cpm\r\nContent-Type: Application/X-CPM-Session\r\n\r\n"));
    assert!(body.contains("<session-type>1-1</session-type>"));
    assert!(body.contains("<sdp>v=0\r\no=- 3664184448"));
    assert!(!body.contains("<invited-participants>"));
    assert!(body.ends_with("</session>\r\n--cpm--\r\n"));
    assert_rfc5322_readable(&object, "tel:+33643209850@tel.invalid", "tel:+33600112233@tel.invalid", T);
    insta::assert_snapshot!("session_info_one_to_one_oma", visible(&object));
}

const GROUP_INVITE_BODY: &str = "--b1\r\n\
Content-Type: application/sdp\r\n\
\r\n\
v=0\r\n\
o=- 3664184448 3664184448 IN IP4 sip.imsnsn.fr\r\n\
m=message 9 TCP/MSRP *\r\n\
\r\n\
--b1\r\n\
Content-Type: application/resource-lists+xml\r\n\
Content-Disposition: recipient-list\r\n\
\r\n\
<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n\
<rl:resource-lists xmlns:rl=\"urn:ietf:params:xml:ns:resource-lists\"><rl:list>\r\n\
<rl:entry uri=\"tel:+33642639381\"/>\r\n\
<rl:entry uri=\"tel&#58;+33643209850\"/>\r\n\
<rl:entry uri=\"sip:bob@example.com?a=1&amp;b=2\"/>\r\n\
</rl:list></rl:resource-lists>\r\n\
--b1--\r\n";

fn group_invite_info() -> SessionInfo {
    let invite = [
        ("f", "\"Alice\" <tel:+33643209850>;tag=1"),
        ("t", "<sip:Conference-Factory@volteofr.com>"),
        ("Referred-By", "<sip:carol@volteofr.com>"),
        ("Subject", "Lunch <today> & \"tomorrow\""),
        ("Conversation-ID", "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"),
        ("Contribution-ID", "abcdef-1234-5678-90ab-cdef01234567"),
        ("P-Asserted-Service", "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session.group"),
        ("c", "multipart/mixed;boundary=\"b1\""),
    ];
    SessionInfo::from_request(Method::Invite, &invite, GROUP_INVITE_BODY.as_bytes())
}

#[test]
fn session_info_group_from_a_multipart_invite() {
    let info = group_invite_info();
    // Referred-By wins over P-Asserted-Identity and From.
    assert_eq!(info.from.as_deref(), Some("sip:carol@volteofr.com"));
    assert_eq!(info.to.as_deref(), Some("sip:Conference-Factory@volteofr.com"));
    assert_eq!(info.date, None);
    // Prefixed `rl:entry` and the character reference `&#58;` (`:`) are read.
    assert_eq!(
        info.invited_participants,
        ["tel:+33642639381", "tel:+33643209850", "sip:bob@example.com?a=1&b=2"]
    );
    assert_eq!(
        info.sdp.as_deref(),
        Some("v=0\r\no=- 3664184448 3664184448 IN IP4 sip.imsnsn.fr\r\nm=message 9 TCP/MSRP *\r\n")
    );
    for profile in PROFILES {
        let h = ObjectHeaders {
            profile,
            ..info.object_headers(
                "",
                "UFoF32nXQSy5l3d4cVGwZXn4f8YQ8rq6",
                Time::from_unix_secs(T),
                Direction::Received,
            )
        };
        let object = render_session_info(
            &h,
            SessionType::of_kind(Kind::Group),
            info.sdp.as_deref(),
            &info.invited_participants,
        );
        assert_all_lines_crlf(&object);
        let (fields, body) = parse(&object);
        // No Date in the INVITE: the time recording started.
        assert_eq!(one(&fields, "Date"), "Thu, 11 Feb 2016 13:00:49 +0000");
        assert_eq!(one(&fields, "Contribution-ID"), "abcdef-1234-5678-90ab-cdef01234567");
        assert_absent(&fields, &["Accept-Contact", "InReplyTo-Contribution-ID"]);
        let body = text(body);
        assert!(body.contains("<session-type>Group</session-type>"));
        assert!(body.contains(
            "<invited-participants>tel:+33642639381;tel:+33643209850;sip:bob@example.com?a=1&amp;b=2</invited-participants>"
        ));
        if profile == Profile::Rcs {
            // MS-3: one part, the XML document itself (STANDARDS §6 RCS variant).
            assert_mandatory(&fields, "Application/X-CPM-Session");
            assert_eq!(one(&fields, "Message-Direction"), "received");
            assert!(body.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<session>\r\n"));
            assert!(body.ends_with("</session>"));
        } else {
            assert_mandatory(&fields, "multipart/related;boundary=cpm;type=\"Application/X-CPM-Session\"");
            assert_absent(&fields, &["Message-Direction"]);
        }
        assert_rfc5322_readable(&object, "sip:carol@volteofr.com", "sip:Conference-Factory@volteofr.com", T);
        insta::assert_snapshot!(format!("session_info_group_{profile}"), visible(&object));
    }
}

#[test]
fn refer_target_is_an_invited_participant() {
    let refer = [
        ("From", "<sip:alice@example.com>;tag=9"),
        ("To", "<sip:focus@example.com>"),
        ("Refer-To", "<sip:bob@example.com;method=INVITE?Contribution-ID=x>"),
        ("Contribution-ID", "abc"),
    ];
    let info = SessionInfo::from_request(Method::Refer, &refer, b"");
    assert_eq!(info.from.as_deref(), Some("sip:alice@example.com"));
    assert_eq!(info.invited_participants, ["sip:bob@example.com"]);
    let info = SessionInfo::from_request(Method::Invite, &refer, b"");
    assert!(info.invited_participants.is_empty(), "Refer-To only counts in a REFER");
}

#[test]
fn capture_is_bounded() {
    let long = "x".repeat(MAX_VALUE_LEN + 100);
    let mut headers: Vec<(&str, &str)> = vec![("Subject", &long), ("Content-Type", "application/sdp")];
    headers.extend(std::iter::repeat(("Accept-Contact", "*;audio")).take(MAX_ACCEPT_CONTACT + 5));
    let sdp = "a=x\r\n".repeat(MAX_SDP_LEN / 5 + 100);
    let info = SessionInfo::from_request(Method::Invite, &headers, sdp.as_bytes());
    assert_eq!(info.subject.as_ref().map(String::len), Some(MAX_VALUE_LEN));
    assert_eq!(info.accept_contact.len(), MAX_ACCEPT_CONTACT);
    assert!(info.sdp.as_ref().is_some_and(|s| s.len() <= MAX_SDP_LEN && s.ends_with("\r\n")));
    let many: String = (0..MAX_PARTICIPANTS + 10).map(|k| format!("<entry uri=\"tel:+{k}\"/>")).collect();
    let many = format!("<resource-lists><list>{many}</list></resource-lists>");
    let info = SessionInfo::from_request(
        Method::Invite,
        &[("Content-Type", "application/resource-lists+xml")],
        many.as_bytes(),
    );
    assert_eq!(info.invited_participants.len(), MAX_PARTICIPANTS);
}

#[test]
fn header_injection_from_the_invite_is_defused() {
    let invite = [
        ("From", "<tel:+1>"),
        ("To", "<tel:+2>"),
        ("Subject", "hi\r\nBcc: victim@example.com\r\n\r\n--cpm\r\nContent-Type: text/html"),
        ("Contribution-ID", "c\nX-Injected: 1"),
    ];
    let info = SessionInfo::from_request(Method::Invite, &invite, b"");
    for profile in PROFILES {
        let h = ObjectHeaders {
            profile,
            ..info.object_headers("", "id", Time::from_unix_secs(T), Direction::Sent)
        };
        let object = render_session_info(&h, SessionType::OneToOne, None, &[]);
        assert_all_lines_crlf(&object);
        let (fields, _) = parse(&object);
        assert_absent(&fields, &["Bcc", "X-Injected"]);
        assert_eq!(one(&fields, "Subject"), "hi Bcc: victim@example.com --cpm Content-Type: text/html");
        assert_eq!(one(&fields, "Contribution-ID"), "c X-Injected: 1");
        assert_eq!(values(&fields, "Content-Type").len(), 1);
    }
}

#[test]
fn boundary_changes_when_the_content_holds_it() {
    let sdp = "v=0\r\ni=--cpm is here\r\na=x:--cpm-1\r\n";
    let h = ObjectHeaders {
        profile: Profile::Oma,
        ..ObjectHeaders::new("tel:+1", "tel:+2", Time::EPOCH, "c", "id", Direction::Sent)
    };
    let object = render_session_info(&h, SessionType::OneToOne, Some(sdp), &[]);
    let (fields, body) = parse(&object);
    assert_eq!(
        one(&fields, "Content-Type"),
        "multipart/related;boundary=cpm-2;type=\"Application/X-CPM-Session\""
    );
    let body = text(body);
    assert!(body.starts_with("--cpm-2\r\n") && body.ends_with("\r\n--cpm-2--\r\n"));
    // The chosen delimiter occurs exactly at the two boundary lines.
    assert_eq!(body.matches("--cpm-2").count(), 2);
    let file = FileObject { cid: None, sdp: Some(sdp), content: Some(b"--cpm-1") };
    let (fields, _) = parse(&render_ft_history(&h, SessionType::OneToOne, &[], &file, 100));
    assert!(one(&fields, "Content-Type").starts_with("multipart/related;boundary=cpm-2;"));
}

// ---------------------------------------------------------------------------------------------
// FT-1a/b / MS-6: File Transfer History object

/// The OMA CPM MS 5.2.3 example's file (STANDARDS §6 vector 3), as the INVITE's SDP.
const FT_SDP: &str = "v=0\r\n\
o=- 1 1 IN IP4 192.0.2.1\r\n\
s=-\r\n\
i=This is my latest picture\r\n\
m=message 7654 TCP/MSRP *\r\n\
a=sendonly\r\n\
a=accept-types:image/jpeg\r\n\
a=file-selector:name:\"My picture.jpg\" type:image/jpeg size:4092\r\n\
a=file-disposition:render\r\n\
a=file-date:creation:\"Mon, 15 May 2006 15:01:31 +0300\"\r\n";

/// A few octets of a JPEG file: binary, so base64 (MS-7).
const JPEG: &[u8] =
    &[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x0A, 0x0D, 0xFF, 0xD9];

fn ft_headers<'a>(accept: &'a [String], profile: Profile) -> ObjectHeaders<'a> {
    ObjectHeaders {
        p_asserted_service: Some("urn:urn-7:3gpp-service.ims.icsi.oma.cpm.filetransfer"),
        ..session_headers(accept, "Ft7kq2", profile)
    }
}

#[test]
fn ft_history_object_with_the_file() {
    let accept =
        vec!["*;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.filetransfer\"".to_owned()];
    let participants = vec!["tel:+33600112233".to_owned()];
    for profile in PROFILES {
        let h = ft_headers(&accept, profile);
        let file = FileObject { cid: Some("cid:<1234@example.com>"), sdp: Some(FT_SDP), content: Some(JPEG) };
        let object = render_ft_history(&h, SessionType::OneToOne, &participants, &file, JPEG.len());
        assert_all_lines_crlf(&object);
        let (fields, body) = parse(&object);
        assert_mandatory(&fields, "multipart/related;boundary=cpm;type=\"Application/X-CPM-File-Transfer\"");
        // SHALL be present for FT history objects (OMA CPM MS table).
        assert_eq!(
            one(&fields, "P-Asserted-Service"),
            "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.filetransfer"
        );
        assert_eq!(one(&fields, "InReplyTo-Contribution-ID"), "01234567-89ab-cdef-0123-456789abcdef");
        let body = text(body);
        assert!(body.starts_with(
            "--cpm\r\nContent-Type: Application/X-CPM-File-Transfer\r\n\r\n<file-transfer-type>1-1</file-transfer-type>\r\n\
             <invited-participants>tel:+33600112233</invited-participants>\r\n<file-object>\r\n\
             <cid>cid:&lt;1234@example.com&gt;</cid>\r\n<sdp>i=This is my latest picture\r\na=sendonly\r\n\
             a=file-selector:name:\"My picture.jpg\" type:image/jpeg size:4092\r\na=file-disposition:render\r\n\
             a=file-date:creation:\"Mon, 15 May 2006 15:01:31 +0300\"</sdp>\r\n</file-object>\r\n--cpm\r\n"
        ));
        // The file: the next part, its Content-ID the <cid>, its type the file-selector's.
        assert!(body.contains(
            "--cpm\r\nContent-ID: <1234@example.com>\r\nContent-Type: image/jpeg\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        ));
        assert!(!body.contains(FILE_NOT_KEPT));
        assert_rfc5322_readable(&object, "tel:+33643209850@tel.invalid", "tel:+33600112233@tel.invalid", T);
        let message = MessageParser::default().parse(&object[..]).unwrap();
        let file_part = message.parts.iter().find(|p| p.contents() == JPEG);
        assert!(file_part.is_some(), "the file part decodes back to the file");
        insta::assert_snapshot!(format!("ft_history_{profile}"), visible(&object));
    }
}

#[test]
fn ft_history_says_when_the_file_was_not_kept() {
    let accept = accept();
    let h = ft_headers(&accept, Profile::Rcs);
    // Too large for the configured maximum, or not handed over: one part, no <cid>, said so.
    for (content, max) in [(Some(JPEG), JPEG.len() - 1), (None, usize::MAX)] {
        let file = FileObject { cid: None, sdp: Some(FT_SDP), content };
        let object = render_ft_history(&h, SessionType::Group, &[], &file, max);
        assert_all_lines_crlf(&object);
        let body = text(parse(&object).1);
        assert!(body.starts_with(
            "--cpm\r\nContent-Description: file not kept\r\nContent-Type: Application/X-CPM-File-Transfer\r\n\r\n\
             <file-transfer-type>Group</file-transfer-type>\r\n<file-object>\r\n<sdp>"
        ));
        assert!(!body.contains("<cid>"));
        assert_eq!(body.matches("--cpm").count(), 2, "one part only");
        assert_rfc5322_readable(&object, "tel:+33643209850@tel.invalid", "tel:+33600112233@tel.invalid", T);
    }
    // A kept file without a caller cid: one derived from the IMDN-Message-ID.
    let file = FileObject { cid: None, sdp: None, content: Some(b"plain\r\n") };
    let body = text(parse(&render_ft_history(&h, SessionType::OneToOne, &[], &file, 100)).1);
    assert!(body.contains("<cid>cid:&lt;file.Ft7kq2@cpm-pf.invalid&gt;</cid>"));
    assert!(body.contains(
        "Content-ID: <file.Ft7kq2@cpm-pf.invalid>\r\nContent-Type: application/octet-stream\r\n\r\nplain\r\n"
    ));
}

// ---------------------------------------------------------------------------------------------
// ST-1 / REC-3 / MS-5: group state object

fn render_group_state_for(profile: Profile, participants: &[GroupParticipant<'_>]) -> Vec<u8> {
    let accept = accept();
    let h = session_headers(&accept, "GsX1", profile);
    let state = GroupState {
        timestamp: Time::from_unix_secs(T),
        last_focus_session_id: "sip:da9274453@company.com",
        group_type: GroupType::Closed,
        participants,
    };
    render_group_state(&h, &state)
}

#[test]
fn group_state_object() {
    let participants = [
        GroupParticipant { name: Some("bob"), comm_addr: "tel:+16135551210" },
        GroupParticipant { name: Some("Eve \"E\" <&>"), comm_addr: "sip:eve@example.com" },
        GroupParticipant { name: None, comm_addr: "sip:+33600112233@ims.example;user=phone" },
    ];
    for profile in PROFILES {
        let object = render_group_state_for(profile, &participants);
        assert_all_lines_crlf(&object);
        let (fields, body) = parse(&object);
        assert_mandatory(&fields, "application/group-state-object+xml");
        // STANDARDS §6: no P-Asserted-Service (it is in the session info).
        assert_absent(&fields, &["P-Asserted-Service", "Accept-Contact", "InReplyTo-Contribution-ID"]);
        assert_eq!(one(&fields, "Subject"), "cfff");
        let body = text(body);
        // rcsjta GroupStateParser needs both attributes of <groupstate>.
        assert!(body.contains(
            "<groupstate timestamp=\"2016-02-11T13:00:49Z\" lastfocussessionid=\"sip:da9274453@company.com\" group-type=\"Closed\">"
        ));
        assert!(body.contains("<participant name=\"bob\" comm-addr=\"tel:+16135551210\"/>"));
        assert!(body.contains("name=\"Eve &quot;E&quot; &lt;&amp;&gt;\""));
        // rcs: a phone number as tel:+E164, which rcsjta's headerToContact reads.
        let third = if profile == Profile::Rcs {
            "tel:+33600112233"
        } else {
            "sip:+33600112233@ims.example;user=phone"
        };
        assert!(body.contains(&format!("<participant comm-addr=\"{third}\"/>")));
        assert_rfc5322_readable(&object, "tel:+33643209850@tel.invalid", "tel:+33600112233@tel.invalid", T);
        insta::assert_snapshot!(format!("group_state_{profile}"), visible(&object));
    }
}

// ---------------------------------------------------------------------------------------------
// MS-5: conference-info (RFC 4575)

/// A full state, default namespace (RFC 4575 §6 example shape).
const FULL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<conference-info xmlns="urn:ietf:params:xml:ns:conference-info" entity="sip:da9274453@company.com" state="full" version="1">
  <conference-state><user-count>3</user-count></conference-state>
  <users>
    <user entity="tel:+16135551210" state="full">
      <display-text>bob</display-text>
      <endpoint entity="sip:+16135551210@ims.example;gr=urn:uuid:1"><status>connected</status></endpoint>
    </user>
    <user entity="tel:+33600112233" state="full">
      <display-text>Zoë &amp; co</display-text>
      <endpoint entity="sip:d1@x"><status>pending</status></endpoint>
    </user>
    <user entity="sip:eve&#64;example.com">
      <endpoint entity="sip:e1@x"><status>disconnected</status></endpoint>
      <endpoint entity="sip:e2@x"><status>connected</status></endpoint>
    </user>
  </users>
</conference-info>"#;

#[test]
fn conference_info_full_state() {
    let info = parse_conference_info(FULL.as_bytes(), 10).unwrap();
    assert_eq!(info.state, ItemState::Full);
    assert_eq!(info.version, Some(1));
    assert_eq!(info.entity.as_deref(), Some("sip:da9274453@company.com"));
    assert_eq!(info.users.len(), 3);
    assert_eq!(info.users[1].display_text.as_deref(), Some("Zoë & co"));
    let connected = info.connected_participants();
    assert_eq!(
        connected,
        [
            GroupParticipant { name: Some("bob"), comm_addr: "tel:+16135551210" },
            GroupParticipant { name: None, comm_addr: "sip:eve@example.com" },
        ]
    );
    // MS-5: straight into the group state object.
    let body = text(parse(&render_group_state_for(Profile::Rcs, &connected)).1);
    assert!(body.contains("<participant name=\"bob\" comm-addr=\"tel:+16135551210\"/>\r\n<participant comm-addr=\"sip:eve@example.com\"/>"));
}

#[test]
fn conference_info_partial_and_deleted_updates() {
    let mut state = ConferenceInfo::new(10);
    state.apply(&parse_conference_info(FULL.as_bytes(), 10).unwrap()).unwrap();
    // STANDARDS §5 vector 4: a partial update, any prefix; the pending user connects, bob is
    // deleted, eve's connected endpoint is deleted, a new user joins.
    let partial = r#"<ci:conference-info xmlns:ci="urn:ietf:params:xml:ns:conference-info" entity="sip:da9274453@company.com" state="partial" version="2">
  <ci:users>
    <ci:user entity="tel:+33600112233" state="partial"><ci:endpoint entity="sip:d1@x" state="partial"><ci:status>connected</ci:status></ci:endpoint></ci:user>
    <ci:user entity="tel:+16135551210" state="deleted"/>
    <ci:user entity="sip:eve@example.com" state="partial"><ci:endpoint entity="sip:e2@x" state="deleted"/></ci:user>
    <ci:user entity="tel:+82571900005" state="full"><ci:display-text>kim</ci:display-text><ci:endpoint entity="sip:k@x"><ci:status>connected</ci:status></ci:endpoint></ci:user>
  </ci:users>
</ci:conference-info>"#;
    state.apply(&parse_conference_info(partial.as_bytes(), 10).unwrap()).unwrap();
    assert_eq!(state.version, Some(2));
    assert_eq!(
        state.connected_participants(),
        [
            GroupParticipant { name: Some("Zoë & co"), comm_addr: "tel:+33600112233" },
            GroupParticipant { name: Some("kim"), comm_addr: "tel:+82571900005" },
        ]
    );
    assert_eq!(state.users.len(), 3, "eve stays, with only her disconnected endpoint");
    // RFC 4575 §4.6: a stale or skipping version changes nothing.
    let before = state.clone();
    assert_eq!(
        state.apply(&parse_conference_info(partial.as_bytes(), 10).unwrap()),
        Err(ConferenceError::StaleVersion { held: 2, got: 2 })
    );
    let gap = partial.replace("version=\"2\"", "version=\"4\"");
    assert_eq!(
        state.apply(&parse_conference_info(gap.as_bytes(), 10).unwrap()),
        Err(ConferenceError::VersionGap { expected: 3, got: 4 })
    );
    assert_eq!(state, before);
    // A full state replaces; a deleted conference has nobody.
    let full = FULL.replace("version=\"1\"", "version=\"3\"");
    state.apply(&parse_conference_info(full.as_bytes(), 10).unwrap()).unwrap();
    assert_eq!(state.connected_participants().len(), 2);
    let gone = r#"<conference-info xmlns="urn:ietf:params:xml:ns:conference-info" entity="sip:x@y" state="deleted" version="4"/>"#;
    state.apply(&parse_conference_info(gone.as_bytes(), 10).unwrap()).unwrap();
    assert!(state.connected_participants().is_empty());
}

#[test]
fn conference_info_is_bounded() {
    assert_eq!(parse_conference_info(FULL.as_bytes(), 2), Err(ConferenceError::TooManyUsers { max: 2 }));
    // A merge beyond the bound: an error, nothing changes.
    let mut state = ConferenceInfo::new(3);
    state.apply(&parse_conference_info(FULL.as_bytes(), 3).unwrap()).unwrap();
    let more = r#"<conference-info xmlns="urn:ietf:params:xml:ns:conference-info" state="partial" version="2"><users>
        <user entity="tel:+1"><endpoint entity="sip:1@x"><status>connected</status></endpoint></user></users></conference-info>"#;
    let before = state.clone();
    assert_eq!(
        state.apply(&parse_conference_info(more.as_bytes(), 3).unwrap()),
        Err(ConferenceError::TooManyUsers { max: 3 })
    );
    assert_eq!(state, before);
}

#[test]
fn conference_info_malformed_bodies_are_typed_errors() {
    type Check = fn(&ConferenceError) -> bool;
    let cases: [(&[u8], Check); 7] = [
        (b"<conference-info><users><user entity=\"a\"></users></conference-info>", |e| {
            matches!(e, ConferenceError::Xml(_))
        }),
        (b"<conference-info><users>", |e| matches!(e, ConferenceError::Xml(_))),
        (b"", |e| matches!(e, ConferenceError::NotConferenceInfo)),
        (b"<resource-lists/>", |e| matches!(e, ConferenceError::NotConferenceInfo)),
        (b"<conference-info><users><user/></users></conference-info>", |e| {
            matches!(e, ConferenceError::MissingEntity("user"))
        }),
        (b"\xff\xfe<conference-info/>", |e| matches!(e, ConferenceError::NotUtf8)),
        (b"<conference-info state=\"bogus\"/>", |e| matches!(e, ConferenceError::Xml(_))),
    ];
    for (body, expected) in cases {
        let err = parse_conference_info(body, 10).unwrap_err();
        assert!(expected(&err), "{:?}: {err:?}", String::from_utf8_lossy(body));
        assert!(!err.to_string().is_empty());
    }
    let deep = format!("<conference-info>{}", "<a>".repeat(100));
    assert_eq!(parse_conference_info(deep.as_bytes(), 10), Err(ConferenceError::TooDeep));
}

// ---------------------------------------------------------------------------------------------
// MS-8: mailboxes

#[test]
fn mailbox_names() {
    let one = |peer| MailboxKind::Conversation {
        peer,
        conversation_id: Some("f81d4fae-7dec-11d0-a765-00a0c91e6bf6"),
    };
    // rcsjta CmsUtils.contactToCmsFolder: Default/tel:+E164.
    assert_eq!(
        mailbox(one("sip:+33600112233@ims.example;user=phone"), Profile::Rcs),
        "Default/tel:+33600112233"
    );
    assert_eq!(mailbox(one("<tel:+33600112233>"), Profile::Rcs), "Default/tel:+33600112233");
    assert_eq!(mailbox(one("sip:alice@example.com"), Profile::Rcs), "Default/sip:alice@example.com");
    assert_eq!(mailbox(one("tel:+1"), Profile::Oma), "f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
    let no_conv = MailboxKind::Conversation { peer: "tel:+1", conversation_id: None };
    assert_eq!(mailbox(no_conv, Profile::Oma), "tel:+1");
    // STANDARDS §6 vector 4.
    let group = MailboxKind::SessionHistory {
        conversation_id: Some("f81d4fae-7dec-11d0-a765-00a0c91e6bf6"),
        contribution_id: "abcdef-1234-5678-90ab-cdef01234567",
    };
    assert_eq!(
        mailbox(group, Profile::Rcs),
        "Default/f81d4fae-7dec-11d0-a765-00a0c91e6bf6/abcdef-1234-5678-90ab-cdef01234567"
    );
    assert_eq!(
        mailbox(group, Profile::Oma),
        "f81d4fae-7dec-11d0-a765-00a0c91e6bf6/abcdef-1234-5678-90ab-cdef01234567"
    );
    let chat_id = MailboxKind::SessionHistory { conversation_id: None, contribution_id: "chat1" };
    assert_eq!(mailbox(chat_id, Profile::Rcs), "Default/chat1/chat1");
    // A `/` inside an ID never makes a level: U+2215 in modified UTF-7 (&IhU-).
    let slashed = MailboxKind::SessionHistory { conversation_id: Some("a/b"), contribution_id: "c/d/e" };
    let name = mailbox(slashed, Profile::Rcs);
    assert_eq!(name, "Default/a&IhU-b/c&IhU-d&IhU-e");
    assert_eq!(name.matches('/').count(), 2);
    // Non-ASCII and `&` (RFC 3501 §5.1.3).
    let odd = MailboxKind::SessionHistory { conversation_id: Some("台北&日本語"), contribution_id: "" };
    assert_eq!(mailbox(odd, Profile::Oma), "&U,BTFw-&-&ZeVnLIqe-/anonymous");
}

// ---------------------------------------------------------------------------------------------
// Properties: arbitrary header values never break the message; arbitrary bodies survive.

fn any_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~\r\n\t]{0,200}",
        proptest::collection::vec("[!-~]{0,1200}", 0..4).prop_map(|w| w.join(" ")),
    ]
}

fn any_profile() -> impl Strategy<Value = Profile> {
    prop_oneof![Just(Profile::Rcs), Just(Profile::Oma)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn renderers_never_break_rfc5322(
        from in any_value(), to in any_value(), subject in any_value(), conv in any_value(),
        contrib in any_value(), id in any_value(), accept in proptest::collection::vec(any_value(), 0..3),
        pas in any_value(), ct in any_value(), participant in any_value(), ms in any::<u64>(),
        profile in any_profile(), message_id in proptest::option::of(any_value()),
    ) {
        let h = ObjectHeaders {
            subject: Some(&subject),
            conversation_id: Some(&conv),
            in_reply_to_contribution_id: Some(&conv),
            accept_contact: &accept,
            p_asserted_service: Some(&pas),
            profile,
            message_id: message_id.as_deref(),
            ..ObjectHeaders::new(&from, &to, Time::from_unix_millis(ms), &contrib, &id, Direction::Received)
        };
        let participants = vec![participant.clone()];
        let group = [GroupParticipant { name: Some(&participant), comm_addr: &participant }];
        let state = GroupState {
            timestamp: Time::from_unix_millis(ms),
            last_focus_session_id: &participant,
            group_type: GroupType::Open,
            participants: &group,
        };
        let file = FileObject { cid: Some(&participant), sdp: Some(&participant), content: Some(participant.as_bytes()) };
        let objects = [
            render_chat_message(&h, Some("message/cpim"), b"From: <a>\r\n\r\nContent-Type: text/plain\r\n\r\nhi"),
            render_notification(&h, Some("message/cpim"), DELIVERED.as_bytes()),
            render_session_info(&h, SessionType::Group, Some("v=0\r\n"), &[]),
            render_ft_history(&h, SessionType::OneToOne, &[], &FileObject { cid: None, sdp: Some("v=0\r\n"), content: None }, 0),
            render_chat_message(&h, Some(&ct), b"x"),
            render_session_info(&h, SessionType::Group, None, &participants),
            render_group_state(&h, &state),
            render_ft_history(&h, SessionType::OneToOne, &participants, &file, usize::MAX),
        ];
        for object in &objects {
            // MS-7: every line of every object is CRLF and at most 998 octets, bodies included.
            assert_all_lines_crlf(object);
            let (fields, _) = parse(object);
            // Nothing was injected: exactly one of each single header.
            for name in ["From", "To", "Date", "Message-ID", "IMDN-Message-ID", "Content-Type"] {
                prop_assert_eq!(values(&fields, name).len(), 1, "{}", name);
            }
            // An unknown (empty) Contribution-ID is left out, never written empty (EMB-1).
            let expected = usize::from(!contrib.is_empty());
            prop_assert_eq!(values(&fields, "Contribution-ID").len(), expected);
            prop_assert_eq!(values(&fields, "Message-Direction").len(), usize::from(profile == Profile::Rcs));
            prop_assert!(MessageParser::default().parse(&object[..]).is_some());
        }
    }

    #[test]
    fn any_body_round_trips_through_the_object(
        body in proptest::collection::vec(any::<u8>(), 0..2048), profile in any_profile(),
    ) {
        let accept = accept();
        let h = session_headers(&accept, "rt", profile);
        // Verbatim CPIM: the object's body decodes back to the same octets (MS-7).
        let object = render_chat_message(&h, Some("message/cpim"), &body);
        assert_all_lines_crlf(&object);
        let (fields, raw) = parse(&object);
        if TransferEncoding::of(&body) == TransferEncoding::Base64 {
            prop_assert_eq!(one(&fields, "Content-Transfer-Encoding"), "base64");
        } else {
            prop_assert_eq!(raw, &body[..]);
        }
        prop_assert_eq!(decoded_part(&object, 0), body.clone());
        // A kept file, likewise.
        let file = FileObject { cid: None, sdp: None, content: Some(&body) };
        let object = render_ft_history(&h, SessionType::OneToOne, &[], &file, body.len());
        assert_all_lines_crlf(&object);
        let message = MessageParser::default().parse(&object[..]).unwrap();
        prop_assert!(message.parts.iter().skip(1).any(|p| p.contents() == &body[..]) || body.is_empty());
    }

    #[test]
    fn capture_never_panics(
        values in proptest::collection::vec(("(From|To|Referred-By|P-Asserted-Identity|Refer-To|Date|Subject|Content-Type|a|c)", any_value()), 0..10),
        body in proptest::collection::vec(any::<u8>(), 0..512),
        refer in any::<bool>(),
    ) {
        let headers: Vec<(&str, &str)> = values.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let method = if refer { Method::Refer } else { Method::Invite };
        let info = SessionInfo::from_request(method, &headers, &body);
        let h = info.object_headers("", "i", Time::EPOCH, Direction::Sent);
        let object = render_session_info(&h, SessionType::OneToOne, info.sdp.as_deref(), &info.invited_participants);
        let _ = parse(&object);
    }

    #[test]
    fn conference_info_never_panics(body in proptest::collection::vec(any::<u8>(), 0..1024), text in "[<>/a-z=\" ]{0,300}") {
        let _ = parse_conference_info(&body, 4);
        let doc = format!("<conference-info><users>{text}</users></conference-info>");
        if let Ok(update) = parse_conference_info(doc.as_bytes(), 4) {
            let mut state = ConferenceInfo::new(4);
            let _ = state.apply(&update);
            prop_assert!(state.users.len() <= 4);
        }
    }

    #[test]
    fn mailbox_levels_are_exactly_the_ids(conv in any::<String>(), contrib in any::<String>(), profile in any_profile()) {
        let name = mailbox(MailboxKind::SessionHistory { conversation_id: Some(&conv), contribution_id: &contrib }, profile);
        let levels = if profile == Profile::Rcs { 3 } else { 2 };
        prop_assert_eq!(name.split('/').count(), levels);
        prop_assert!(name.bytes().all(|b| (0x20..0x7F).contains(&b)), "modified UTF-7 is printable ASCII");
    }
}

#[test]
fn sip_headers_slices_are_accepted_as_dyn() {
    // SessionInfo::from_request takes any SipHeaders implementation.
    let v: Vec<(&str, &str)> = vec![("Subject", "x")];
    let dynamic: &dyn SipHeaders = &v;
    assert_eq!(SessionInfo::from_request(Method::Invite, dynamic, b"").subject.as_deref(), Some("x"));
}
