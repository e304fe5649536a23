//! Message Store objects (REC-1, REC-IMDN, REC-4a, FT-1a/b object format): each object type is
//! snapshotted (reviewed against STANDARDS.md §6) and checked structurally, so a snapshot that
//! was accepted blindly still cannot hide a broken RFC 5322 message.

use cpm_pf::headers::SipHeaders;
use cpm_pf::record::objects::*;
use cpm_pf::{Kind, Method, Time};
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
fn session_headers<'a>(accept: &'a [String], imdn_id: &'a str) -> ObjectHeaders<'a> {
    ObjectHeaders {
        subject: Some("cfff"),
        conversation_id: Some("927d83c9902c362b08f2f2d731bdddb7"),
        in_reply_to_contribution_id: Some("01234567-89ab-cdef-0123-456789abcdef"),
        direction: Some(Direction::Sent),
        accept_contact: accept,
        p_asserted_service: Some("urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session"),
        ..ObjectHeaders::new(
            "tel:+33643209850",
            "tel:+33600112233",
            Time::from_unix_secs(T),
            "927d83c9902c362b08f2f2d731bdddb7",
            imdn_id,
        )
    }
}

fn accept() -> Vec<String> {
    vec!["*;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session\"".to_owned()]
}

// ---------------------------------------------------------------------------------------------
// REC-1: chat messages

#[test]
fn chat_message_plain_text_is_wrapped_in_cpim() {
    let accept = accept();
    let mut ids = IdGenerator::new(1);
    let id = ids.next_id();
    let h = ObjectHeaders { direction: Some(Direction::Received), ..session_headers(&accept, &id) };
    let object = render_chat_message(&h, Some("text/plain;charset=UTF-8"), b"Hey Bob, are you there?");
    assert_all_lines_crlf(&object);
    let (fields, body) = parse(&object);
    assert_mandatory(&fields, "Message/CPIM");
    // Not in chat messages (OMA CPM MS table).
    assert_absent(&fields, &["Subject", "P-Asserted-Service", "InReplyTo-Contribution-ID"]);
    assert_eq!(one(&fields, "Date"), "Thu, 11 Feb 2016 13:00:49 +0000");
    assert_eq!(one(&fields, "IMDN-Message-ID"), id);
    assert_eq!(one(&fields, "Message-Direction"), "received");
    assert_eq!(values(&fields, "Accept-Contact"), [accept[0].as_str()]);
    // The CPIM wrapper carries the same IMDN-Message-ID, and reads back as CPIM.
    let info = inspect_payload(Some("message/cpim"), body);
    assert!(info.is_cpim && !info.is_notification);
    assert_eq!(info.imdn_message_id, Some(id.as_str()));
    assert_eq!(info.from, Some("<tel:+33643209850>"));
    assert_eq!(info.date_time, Some("2016-02-11T13:00:49Z"));
    assert_eq!(info.inner_content_type, Some("text/plain;charset=UTF-8"));
    assert!(body.ends_with(b"\r\n\r\nHey Bob, are you there?"));
    insta::assert_snapshot!("chat_message_plain_text", visible(&object));
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
    let h = session_headers(&accept, id);
    let object = render_chat_message(&h, Some("Message/CPIM"), cpim.as_bytes());
    assert_all_lines_crlf(&object);
    let (fields, body) = parse(&object);
    assert_mandatory(&fields, "Message/CPIM");
    assert_absent(
        &fields,
        &["Subject", "P-Asserted-Service", "InReplyTo-Contribution-ID", "Content-Transfer-Encoding"],
    );
    assert_eq!(one(&fields, "IMDN-Message-ID"), "34jk324j");
    assert_eq!(body, cpim.as_bytes(), "the CPIM body is stored octet for octet");
    insta::assert_snapshot!("chat_message_already_cpim", visible(&object));
}

#[test]
fn chat_message_bodies_are_never_altered_and_declared_honestly() {
    let accept = accept();
    let h = session_headers(&accept, "id1");
    let eight = "Grüße\r\n".as_bytes();
    let object = render_chat_message(&h, Some("message/cpim"), eight);
    let (fields, body) = parse(&object);
    assert_eq!(one(&fields, "Content-Transfer-Encoding"), "8bit");
    assert_eq!(body, eight);
    let bare_lf = b"From: <a>\n\nContent-Type: text/plain\n\nhi\n";
    let object = render_chat_message(&h, Some("message/cpim"), bare_lf);
    let (fields, body) = parse(&object);
    assert_eq!(one(&fields, "Content-Transfer-Encoding"), "binary");
    assert_eq!(body, bare_lf);
    // No content type at all: wrapped as octets.
    let object = render_chat_message(&h, None, b"?");
    let (_, body) = parse(&object);
    assert_eq!(
        inspect_payload(Some("message/cpim"), body).inner_content_type,
        Some("application/octet-stream")
    );
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
    let h = ObjectHeaders {
        from: "tel:+33600112233",
        to: "tel:+33643209850",
        direction: Some(Direction::Received),
        ..session_headers(&accept, id)
    };
    let object = render_notification(&h, Some("message/cpim"), DELIVERED.as_bytes());
    assert_all_lines_crlf(&object);
    let (fields, body) = parse(&object);
    assert_mandatory(&fields, "Message/CPIM");
    assert_absent(&fields, &["Subject", "P-Asserted-Service", "InReplyTo-Contribution-ID"]);
    assert_eq!(one(&fields, "IMDN-Message-ID"), "d834jied93rf");
    assert_eq!(body, DELIVERED.as_bytes());
    insta::assert_snapshot!("imdn", visible(&object));
}

#[test]
fn bare_imdn_xml_is_wrapped_with_content_disposition() {
    let xml = "<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\"><message-id>34jk324j</message-id>\
<display-notification><status><displayed/></status></display-notification></imdn>";
    assert!(is_disposition_notification(Some("message/imdn+xml"), xml.as_bytes()));
    let accept = accept();
    let object =
        render_notification(&session_headers(&accept, "gen1"), Some("message/imdn+xml"), xml.as_bytes());
    let (_, body) = parse(&object);
    let info = inspect_payload(Some("message/cpim"), body);
    assert!(info.is_notification, "the stored CPIM reads back as a notification");
    assert_eq!(info.imdn_message_id, Some("gen1"));
    assert!(text(body)
        .contains("\r\nContent-Type: message/imdn+xml\r\nContent-Disposition: notification\r\n\r\n<imdn"));
}

// ---------------------------------------------------------------------------------------------
// REC-4a / REC-1: session info objects

#[test]
fn session_info_one_to_one_from_the_invite() {
    let sdp = "v=0\r\no=- 3664184448 3664184448 IN IP4 sip.imsnsn.fr\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n\
t=0 0\r\nm=message 7394 TCP/MSRP *\r\na=accept-types:message/cpim\r\n\
a=path:msrp://192.0.2.1:7394/s111;tcp\r\n";
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
    let info = SessionInfo::from_request(Method::Invite, &invite, sdp.as_bytes());
    // OMA CPM MS From rule: P-Asserted-Identity (no Referred-By), its URI only.
    assert_eq!(info.from.as_deref(), Some("tel:+33643209850"));
    assert_eq!(info.to.as_deref(), Some("tel:+33600112233"));
    assert_eq!(info.date, Some(Time::from_unix_secs(T)));
    assert_eq!(info.accept_contact.len(), 2);
    assert_eq!(info.sdp.as_deref(), Some(sdp));
    let mut ids = IdGenerator::new(9);
    let id = ids.next_id();
    let h = ObjectHeaders { direction: Some(Direction::Sent), ..info.object_headers("", &id, Time::EPOCH) };
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
    insta::assert_snapshot!("session_info_one_to_one", visible(&object));
}

#[test]
fn session_info_group_from_a_multipart_invite() {
    let invite_body = "--b1\r\n\
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
<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"><list>\r\n\
<entry uri=\"tel:+33642639381\"/>\r\n\
<entry uri=\"tel:+33643209850\"/>\r\n\
<entry uri=\"sip:bob@example.com?a=1&amp;b=2\"/>\r\n\
</list></resource-lists>\r\n\
--b1--\r\n";
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
    let info = SessionInfo::from_request(Method::Invite, &invite, invite_body.as_bytes());
    // Referred-By wins over P-Asserted-Identity and From.
    assert_eq!(info.from.as_deref(), Some("sip:carol@volteofr.com"));
    assert_eq!(info.to.as_deref(), Some("sip:Conference-Factory@volteofr.com"));
    assert_eq!(info.date, None);
    assert_eq!(
        info.invited_participants,
        ["tel:+33642639381", "tel:+33643209850", "sip:bob@example.com?a=1&b=2"]
    );
    assert_eq!(
        info.sdp.as_deref(),
        Some("v=0\r\no=- 3664184448 3664184448 IN IP4 sip.imsnsn.fr\r\nm=message 9 TCP/MSRP *\r\n")
    );
    let h = info.object_headers("", "UFoF32nXQSy5l3d4cVGwZXn4f8YQ8rq6", Time::from_unix_secs(T));
    let object = render_session_info(
        &h,
        SessionType::of_kind(Kind::Group),
        info.sdp.as_deref(),
        &info.invited_participants,
    );
    assert_all_lines_crlf(&object);
    let (fields, body) = parse(&object);
    assert_mandatory(&fields, "multipart/related;boundary=cpm;type=\"Application/X-CPM-Session\"");
    // No Date in the INVITE: the time recording started.
    assert_eq!(one(&fields, "Date"), "Thu, 11 Feb 2016 13:00:49 +0000");
    assert_eq!(one(&fields, "Contribution-ID"), "abcdef-1234-5678-90ab-cdef01234567");
    assert_absent(&fields, &["Accept-Contact", "Message-Direction", "InReplyTo-Contribution-ID"]);
    let body = text(body);
    assert!(body.contains("<session-type>Group</session-type>"));
    assert!(body.contains(
        "<invited-participants>tel:+33642639381;tel:+33643209850;sip:bob@example.com?a=1&amp;b=2</invited-participants>"
    ));
    insta::assert_snapshot!("session_info_group", visible(&object));
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
    let h = info.object_headers("", "id", Time::from_unix_secs(T));
    let object = render_session_info(&h, SessionType::OneToOne, None, &[]);
    assert_all_lines_crlf(&object);
    let (fields, body) = parse(&object);
    assert_absent(&fields, &["Bcc", "X-Injected"]);
    assert_eq!(one(&fields, "Subject"), "hi Bcc: victim@example.com --cpm Content-Type: text/html");
    assert_eq!(one(&fields, "Contribution-ID"), "c X-Injected: 1");
    assert_eq!(values(&fields, "Content-Type").len(), 1);
    assert!(text(body).starts_with("--cpm\r\n"));
}

#[test]
fn boundary_changes_when_the_content_holds_it() {
    let sdp = "v=0\r\ni=--cpm is here\r\na=x:--cpm-1\r\n";
    let h = ObjectHeaders::new("tel:+1", "tel:+2", Time::EPOCH, "c", "id");
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
    let files = [FileObject { cid: None, sdp: Some(sdp) }];
    let (fields, _) = parse(&render_ft_history(&h, SessionType::OneToOne, &[], &files));
    assert!(one(&fields, "Content-Type").starts_with("multipart/related;boundary=cpm-2;"));
}

// ---------------------------------------------------------------------------------------------
// FT-1a/b: File Transfer History object

#[test]
fn ft_history_object() {
    // The OMA CPM MS 5.2.3 example's file (STANDARDS §6 vector 3), as the INVITE's SDP.
    let sdp = "v=0\r\n\
o=- 1 1 IN IP4 192.0.2.1\r\n\
s=-\r\n\
i=This is my latest picture\r\n\
m=message 7654 TCP/MSRP *\r\n\
a=sendonly\r\n\
a=accept-types:image/jpeg\r\n\
a=file-selector:name:\"My picture.jpg\" type:image/jpeg size:4092\r\n\
a=file-disposition:render\r\n\
a=file-date:creation:\"Mon, 15 May 2006 15:01:31 +0300\"\r\n";
    let accept =
        vec!["*;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.filetransfer\"".to_owned()];
    let h = ObjectHeaders {
        p_asserted_service: Some("urn:urn-7:3gpp-service.ims.icsi.oma.cpm.filetransfer"),
        ..session_headers(&accept, "Ft7kq2")
    };
    let participants = vec!["tel:+33600112233".to_owned()];
    let files = [FileObject { cid: Some("cid:<1234@example.com>"), sdp: Some(sdp) }];
    let object = render_ft_history(&h, SessionType::OneToOne, &participants, &files);
    assert_all_lines_crlf(&object);
    let (fields, body) = parse(&object);
    assert_mandatory(&fields, "multipart/related;boundary=cpm;type=\"Application/X-CPM-File-Transfer\"");
    // SHALL be present for FT history objects (OMA CPM MS table).
    assert_eq!(one(&fields, "P-Asserted-Service"), "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.filetransfer");
    assert_eq!(one(&fields, "InReplyTo-Contribution-ID"), "01234567-89ab-cdef-0123-456789abcdef");
    let body = text(body);
    assert!(body.starts_with("--cpm\r\nContent-Type: Application/X-CPM-File-Transfer\r\n\r\n<file-transfer-type>1-1</file-transfer-type>\r\n"));
    assert!(body.contains("<file-object>\r\n<cid>cid:&lt;1234@example.com&gt;</cid>\r\n<sdp>v=0\r\n"));
    assert!(body.contains("a=file-selector:name:\"My picture.jpg\" type:image/jpeg size:4092\r\n"));
    assert!(body.ends_with("</file-object>\r\n--cpm--\r\n"));
    insta::assert_snapshot!("ft_history", visible(&object));
}

// ---------------------------------------------------------------------------------------------
// ST-1 / REC-3: group state object

#[test]
fn group_state_object() {
    let accept = accept();
    let h = session_headers(&accept, "GsX1");
    let participants = [
        GroupParticipant { name: Some("bob"), comm_addr: "tel:+16135551210" },
        GroupParticipant { name: Some("Eve \"E\" <&>"), comm_addr: "sip:eve@example.com" },
        GroupParticipant { name: None, comm_addr: "tel:+33600112233" },
    ];
    let state = GroupState {
        timestamp: Time::from_unix_secs(T),
        last_focus_session_id: "sip:da9274453@company.com",
        group_type: GroupType::Closed,
        participants: &participants,
    };
    let object = render_group_state(&h, &state);
    assert_all_lines_crlf(&object);
    let (fields, body) = parse(&object);
    assert_mandatory(&fields, "application/group-state-object+xml");
    // STANDARDS §6: no P-Asserted-Service (it is in the session info).
    assert_absent(&fields, &["P-Asserted-Service", "Accept-Contact", "InReplyTo-Contribution-ID"]);
    assert_eq!(one(&fields, "Subject"), "cfff");
    let body = text(body);
    assert!(body.contains(
        "<groupstate timestamp=\"2016-02-11T13:00:49Z\" lastfocussessionid=\"sip:da9274453@company.com\" group-type=\"Closed\">"
    ));
    assert!(body.contains("<participant name=\"bob\" comm-addr=\"tel:+16135551210\"/>"));
    assert!(body.contains("name=\"Eve &quot;E&quot; &lt;&amp;&gt;\""));
    assert!(body.contains("<participant comm-addr=\"tel:+33600112233\"/>"));
    insta::assert_snapshot!("group_state", visible(&object));
}

// ---------------------------------------------------------------------------------------------
// Properties: arbitrary header values never break the message.

fn any_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~\r\n\t]{0,200}",
        proptest::collection::vec("[!-~]{0,1200}", 0..4).prop_map(|w| w.join(" ")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn renderers_never_break_rfc5322(
        from in any_value(), to in any_value(), subject in any_value(), conv in any_value(),
        contrib in any_value(), id in any_value(), accept in proptest::collection::vec(any_value(), 0..3),
        pas in any_value(), ct in any_value(), participant in any_value(), ms in any::<u64>(),
    ) {
        let h = ObjectHeaders {
            subject: Some(&subject),
            conversation_id: Some(&conv),
            in_reply_to_contribution_id: Some(&conv),
            direction: Some(Direction::Received),
            accept_contact: &accept,
            p_asserted_service: Some(&pas),
            ..ObjectHeaders::new(&from, &to, Time::from_unix_millis(ms), &contrib, &id)
        };
        let participants = vec![participant.clone()];
        let group = [GroupParticipant { name: Some(&participant), comm_addr: &participant }];
        let state = GroupState {
            timestamp: Time::from_unix_millis(ms),
            last_focus_session_id: &participant,
            group_type: GroupType::Open,
            participants: &group,
        };
        let files = [FileObject { cid: Some(&participant), sdp: Some("v=0\r\n") }];
        let objects = [
            render_chat_message(&h, Some("message/cpim"), b"From: <a>\r\n\r\nContent-Type: text/plain\r\n\r\nhi"),
            render_notification(&h, Some("message/cpim"), DELIVERED.as_bytes()),
            render_session_info(&h, SessionType::Group, Some("v=0\r\n"), &[]),
            render_ft_history(&h, SessionType::OneToOne, &[], &[FileObject { cid: None, sdp: Some("v=0\r\n") }]),
        ];
        for object in &objects {
            assert_all_lines_crlf(object);
            let (fields, _) = parse(object);
            // Nothing was injected: exactly one of each single header.
            for name in ["From", "To", "Date", "IMDN-Message-ID", "Content-Type"] {
                prop_assert_eq!(values(&fields, name).len(), 1, "{}", name);
            }
            // An unknown (empty) Contribution-ID is left out, never written empty (EMB-1).
            let expected = usize::from(!contrib.is_empty());
            prop_assert_eq!(values(&fields, "Contribution-ID").len(), expected);
        }
        // The header section stays well formed even where the generated body cannot (a
        // participant address or cid longer than 998 octets makes the body `binary`).
        for object in [
            render_chat_message(&h, Some(&ct), b"x"),
            render_session_info(&h, SessionType::Group, None, &participants),
            render_group_state(&h, &state),
            render_ft_history(&h, SessionType::OneToOne, &participants, &files),
        ] {
            let (fields, body) = parse(&object);
            prop_assert_eq!(values(&fields, "Content-Type").len(), 1);
            if TransferEncoding::of(body) != TransferEncoding::Binary {
                assert_all_lines_crlf(&object);
            } else {
                prop_assert_eq!(values(&fields, "Content-Transfer-Encoding"), ["binary"]);
            }
        }
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
        let h = info.object_headers("", "i", Time::EPOCH);
        let object = render_session_info(&h, SessionType::OneToOne, info.sdp.as_deref(), &info.invited_participants);
        let _ = parse(&object);
    }
}

#[test]
fn sip_headers_slices_are_accepted_as_dyn() {
    // SessionInfo::from_request takes any SipHeaders implementation.
    let v: Vec<(&str, &str)> = vec![("Subject", "x")];
    let dynamic: &dyn SipHeaders = &v;
    assert_eq!(SessionInfo::from_request(Method::Invite, dynamic, b"").subject.as_deref(), Some("x"));
}
