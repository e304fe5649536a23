//! Message Store objects as deployed clients read them (docs/requirements.md MS-1 … MS-8), at the level of
//! the session: what the recorder hands the renderers.

use cpm_pf::msrp::{Continuation, SendRequest};
use cpm_pf::{Action, Config, Input, Kind, Leg, Method, ObjectRef, Preferences, Session, Time};
use std::time::Duration;

const T0: Time = Time::from_unix_secs(1_767_225_600); // 2026-01-01T00:00:00Z

fn header(content: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(content);
    let head = text.split("\r\n\r\n").next()?.to_owned();
    head.split("\r\n").find_map(|l| {
        l.split_once(": ").filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.to_owned())
    })
}

fn send<'a>(id: &'a str, body: &'a [u8]) -> SendRequest<'a> {
    SendRequest {
        message_id: Some(id),
        byte_range: None,
        continuation: Some(Continuation::Complete),
        content_type: Some("text/plain"),
        body,
    }
}

/// MS-4: with end-of-session recording, each chat message keeps the time its last chunk arrived
/// as its `Date`, and the session info object the time of the first INVITE: a conversation
/// exchanged over a minute is not stamped with the second of the BYE.
#[test]
fn ms4_objects_are_dated_when_their_content_arrived_not_when_stored() {
    let mut c = Config::default();
    c.kind = Kind::Group;
    c.prefs = Preferences::ALLOW_OFFLINE_STORAGE;
    let mut s = Session::new(c, T0).unwrap();
    let invite =
        [("From", "<sip:alice@example.com>"), ("To", "<sip:conf@example.com>"), ("Contribution-ID", "g1")];
    let at = |secs| T0 + Duration::from_secs(secs);
    let _ = s.handle(
        Input::RequestReceived { leg: Leg::Client, method: Method::Invite, headers: &invite, body: b"" },
        at(1),
    );
    let _ = s.handle(Input::MsrpSend { leg: Leg::Client, send: send("first-001", b"one") }, at(10));
    let _ = s.handle(Input::MsrpSend { leg: Leg::Client, send: send("second-01", b"two") }, at(40));
    let end = s.handle(Input::ByeReceived { leg: Leg::Remote, reasons: &[] }, at(60));
    let dates: Vec<(ObjectRef, String)> = end
        .iter()
        .filter_map(|a| match a {
            Action::Store { object, content, .. } => Some((*object, header(content, "Date").unwrap())),
            _ => None,
        })
        .collect();
    let date_of = |o: &ObjectRef| dates.iter().find(|(x, _)| x == o).map(|(_, d)| d.as_str());
    assert_eq!(date_of(&ObjectRef::SessionInfo), Some("Thu, 01 Jan 2026 00:00:01 +0000"), "{dates:?}");
    assert_eq!(
        date_of(&ObjectRef::ChatMessage("first-001".parse().unwrap())),
        Some("Thu, 01 Jan 2026 00:00:10 +0000")
    );
    assert_eq!(
        date_of(&ObjectRef::ChatMessage("second-01".parse().unwrap())),
        Some("Thu, 01 Jan 2026 00:00:40 +0000")
    );
    assert_eq!(
        date_of(&ObjectRef::GroupState),
        Some("Thu, 01 Jan 2026 00:01:00 +0000"),
        "group state: the end"
    );
}
