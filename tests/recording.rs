//! REC-1 end to end: what a recorded session hands over in its `store` actions are RFC 5322
//! messages with the headers and content types of docs/standards.md §6, dated by the time passed in,
//! with the IMDN-Message-ID taken from CPIM or generated from the configured seed.

use cpm_pf::msrp::{Continuation, SendRequest};
use cpm_pf::{Action, Config, Input, Kind, Leg, Method, ObjectRef, Preferences, Session, Time};

// 2026-01-01T00:00:00Z, a Thursday.
const T0: Time = Time::from_unix_secs(1_767_225_600);
const DATE: &str = "Date: Thu, 01 Jan 2026 00:00:00 +0000";

fn header<'a>(object: &'a str, name: &str) -> Option<&'a str> {
    let head = object.split("\r\n\r\n").next()?;
    head.split("\r\n").find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn send<'a>(leg: Leg, id: &'a str, ct: &'a str, body: &'a [u8]) -> Input<'a> {
    Input::MsrpSend {
        leg,
        send: SendRequest {
            message_id: Some(id),
            byte_range: None,
            continuation: Some(Continuation::Complete),
            content_type: Some(ct),
            body,
        },
    }
}

const CPIM_IN: &[u8] = b"From: <sip:bob@example.com>\r\nTo: <sip:alice@example.com>\r\nNS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: 34jk324j\r\nDateTime: 2026-01-01T00:00:00Z\r\n\r\nContent-Type: text/plain\r\n\r\nHey Alice";

fn recorded_group(seed: u64) -> Vec<(ObjectRef, String)> {
    let mut c = Config::default();
    c.kind = Kind::Group;
    c.prefs = Preferences::ALLOW_OFFLINE_STORAGE;
    c.contribution_id = Some("grp-1".into());
    c.peer = Some("sip:conf@example.com".into());
    c.focus = Some("sip:conf-7f3a@focus.example.com".into());
    c.id_seed = Some(seed);
    let mut s = Session::new(c, T0).unwrap();
    let headers = [
        ("From", "\"Alice\" <sip:alice@example.com>;tag=a1"),
        ("To", "<sip:conf@example.com>"),
        ("Conversation-ID", "conv-9"),
        ("Contribution-ID", "grp-1"),
        ("Subject", "plans"),
    ];
    let _ = s.handle(
        Input::RequestReceived { leg: Leg::Client, method: Method::Invite, headers: &headers, body: b"" },
        T0,
    );
    let _ = s.handle(send(Leg::Client, "out-0001", "text/plain", b"hello"), T0);
    let _ = s.handle(send(Leg::Remote, "in-0002", "message/cpim", CPIM_IN), T0);
    let _ = s.handle(Input::Delivered { message_id: "in-0002".parse().unwrap() }, T0);
    let actions = s.handle(Input::ByeReceived { leg: Leg::Remote, reasons: &["SIP;cause=410"] }, T0);
    actions
        .into_iter()
        .filter_map(|a| match a {
            Action::Store { object, content, .. } => Some((object, String::from_utf8(content).unwrap())),
            _ => None,
        })
        .collect()
}

#[test]
fn rec_1_stored_objects_are_rfc_5322_messages() {
    let stored = recorded_group(7);
    let kinds: Vec<String> = stored.iter().map(|(o, _)| o.to_string()).collect();
    assert_eq!(kinds, ["session-info", "chat-message out-0001", "chat-message in-0002", "group-state"]);
    for (object, text) in &stored {
        assert!(!text.replace("\r\n", "").contains('\n'), "{object}: bare LF");
        assert!(!text.replace("\r\n", "").contains('\r'), "{object}: bare CR");
        assert!(text.split("\r\n").all(|l| l.len() <= 998), "{object}: line over 998");
        assert!(text.contains("\r\n\r\n"), "{object}: no blank line before the body");
        assert!(text.contains(DATE), "{object}: Date from the time passed in:\n{text}");
        assert_eq!(header(text, "Contribution-ID"), Some("grp-1"), "{object}");
        assert_eq!(header(text, "Conversation-ID"), Some("conv-9"), "{object}");
        let id = header(text, "IMDN-Message-ID").unwrap_or_else(|| panic!("{object}: no IMDN-Message-ID"));
        assert!(!id.is_empty());
    }
    let (_, info) = &stored[0];
    let ct = header(info, "Content-Type").unwrap();
    // MS-3: the default profile (rcs) stores the session info as one part.
    assert_eq!(ct, "Application/X-CPM-Session");
    assert!(info.contains("<session-type>Group</session-type>"), "{info}");
    assert_eq!(header(info, "From"), Some("<\"sip:alice\"@example.com>"), "MS-7: a name-addr IMAP reads");
    assert_eq!(header(info, "Subject"), Some("plans"));

    let (_, sent) = &stored[1];
    assert_eq!(header(sent, "Content-Type"), Some("Message/CPIM"));
    assert_eq!(header(sent, "Message-Direction"), Some("sent"));
    assert_eq!(header(sent, "Subject"), None, "no Subject in chat messages");
    assert!(sent.ends_with("hello"), "{sent}");

    let (_, received) = &stored[2];
    assert_eq!(header(received, "IMDN-Message-ID"), Some("34jk324j"), "taken from the CPIM imdn.Message-ID");
    assert_eq!(header(received, "Message-Direction"), Some("received"));
    assert!(received.ends_with("Hey Alice"), "the CPIM payload is stored as received");

    let (_, group) = &stored[3];
    assert_eq!(header(group, "Content-Type"), Some("application/group-state-object+xml"));
    assert!(group.contains("<groupstate timestamp=\"2026-01-01T00:00:00Z\""), "{group}");
    // MS-5: the focus the clients re-join, not the group's (Conference-Factory) address.
    assert!(group.contains("lastfocussessionid=\"sip:conf-7f3a@focus.example.com\""), "{group}");
}

#[test]
fn rec_1_generated_ids_come_from_the_seed() {
    let ids = |seed| -> Vec<String> {
        recorded_group(seed).iter().map(|(_, t)| header(t, "IMDN-Message-ID").unwrap().to_owned()).collect()
    };
    let a = ids(1);
    assert_eq!(a, ids(1), "same seed, same objects");
    let b = ids(2);
    assert_ne!(a[0], b[0], "another seed, other generated IDs");
    assert_eq!(a[2], b[2], "an ID from CPIM does not depend on the seed");
    assert_eq!(a[0].len(), 32);
    assert!(a.iter().filter(|i| i.len() == 32).count() >= 3);
}
