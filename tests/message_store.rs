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

fn file_transfer(max_file_bytes: usize) -> Session {
    let mut c = Config::default();
    c.kind = Kind::FileTransfer;
    c.prefs = Preferences::ALLOW_OFFLINE_STORAGE;
    c.max_file_bytes = max_file_bytes;
    let mut s = Session::new(c, T0).unwrap();
    let invite = [
        ("From", "<sip:alice@example.com>"),
        ("To", "<sip:bob@example.com>"),
        ("Contribution-ID", "ft-1"),
        ("Content-Type", "application/sdp"),
    ];
    let sdp = b"v=0\r\nm=message 9 TCP/MSRP *\r\na=sendonly\r\na=file-selector:name:\"a.txt\" type:text/plain size:10\r\n";
    let _ = s.handle(
        Input::RequestReceived { leg: Leg::Client, method: Method::Invite, headers: &invite, body: sdp },
        T0,
    );
    s
}

/// Ends a file transfer (the client's BYE, the remote's 200) and returns its history object.
fn history(s: &mut Session) -> String {
    let _ = s.handle(Input::ByeReceived { leg: Leg::Client, reasons: &[] }, T0);
    let end = s.handle(Input::ResponseReceived { leg: Leg::Remote, status: 200, method: Method::Bye }, T0);
    end.iter()
        .find_map(|a| match a {
            Action::Store { object: ObjectRef::FtHistory, content, .. } => {
                Some(String::from_utf8_lossy(content).into_owned())
            }
            _ => None,
        })
        .expect("the history object is stored")
}

/// MS-6: the file handed over with `Input::FileData` (in pieces) is the history object's second
/// part, referenced by `<cid>`; a file over `max_file_bytes` is reported and not kept.
#[test]
fn ms6_the_file_handed_over_is_kept_in_the_history_object() {
    let mut s = file_transfer(64);
    for piece in [&b"hello"[..], b" file"] {
        let out = s.handle(Input::FileData { bytes: piece }, T0);
        assert!(out.is_empty(), "{out:?}");
    }
    let object = history(&mut s);
    assert!(object.contains("<cid>cid:"), "{object}");
    assert!(object.contains("hello file"), "the file as the next part: {object}");
    assert!(!object.contains(cpm_pf::objects::FILE_NOT_KEPT), "{object}");

    let mut s = file_transfer(8);
    let out = s.handle(Input::FileData { bytes: b"hello file" }, T0);
    assert!(
        out.iter()
            .any(|a| matches!(a, Action::Diagnostic(cpm_pf::Diagnostic::FileNotKept { max_file_bytes: 8 }))),
        "{out:?}"
    );
    let object = history(&mut s);
    assert!(!object.contains("<cid>") && !object.contains("hello file"), "{object}");
    assert!(object.contains(cpm_pf::objects::FILE_NOT_KEPT), "{object}");
}
