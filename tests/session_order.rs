//! The order of the actions returned for one input is the order the embedder carries them out
//! (LIM-1). Scenario files compare each step as a multiset; these tests check the ordering
//! rules docs/requirements.md states: store before BYE (BYE-2b, BYE-3b, ST-1), create-folder before the
//! first store into it (REC-F), the client's 200 OK after the end-of-session store (BYE-1d,
//! REC-END), messages in arrival order, and no Message-UID on any chat BYE or 200 OK.

use cpm_pf::headers::SipHeaders;
use cpm_pf::msrp::{Continuation, SendRequest};
use cpm_pf::{Action, Config, Folder, Input, Kind, Leg, Method, ObjectRef, Preferences, Session, Time};
use std::time::Duration;

const T0: Time = Time::from_unix_secs(1_767_225_600);

/// Action names in order, with the object for stores, for compact comparisons.
fn names(actions: &cpm_pf::Actions<'_>) -> Vec<String> {
    actions
        .iter()
        .filter(|a| !matches!(a, Action::Diagnostic(_)))
        .map(|a| match a {
            Action::SendBye { leg, reasons } => {
                format!("bye {leg} {}", reasons.join(" + ")).trim_end().to_owned()
            }
            Action::SendResponse { leg, status, message_uid, .. } => {
                format!(
                    "{status} {leg}{}",
                    message_uid.as_deref().map(|u| format!(" uid={u}")).unwrap_or_default()
                )
            }
            Action::ReleaseMedia { leg } => format!("release {leg}"),
            Action::CreateFolder { folder } => format!("create {folder}"),
            Action::Store { object, .. } => format!("store {object}"),
            Action::Terminated => "terminated".to_owned(),
            other => format!("{other:?}"),
        })
        .collect()
}

fn group_recorded(id: &str) -> Config {
    let mut c = Config::default();
    c.kind = Kind::Group;
    c.prefs = Preferences::ALLOW_OFFLINE_STORAGE;
    c.contribution_id = Some(id.into());
    c
}

fn invite(s: &mut Session, leg: Leg) {
    let headers = [("From", "<sip:alice@example.com>"), ("To", "<sip:conf@example.com>")];
    let _ =
        s.handle(Input::RequestReceived { leg, method: Method::Invite, headers: &headers, body: b"" }, T0);
}

fn chunk<'a>(leg: Leg, id: &'a str, body: &'a [u8], range: &'a str) -> Input<'a> {
    Input::MsrpSend {
        leg,
        send: SendRequest {
            message_id: Some(id),
            byte_range: Some(range),
            continuation: Some(Continuation::Complete),
            content_type: Some("text/plain"),
            body,
        },
    }
}

#[test]
fn branch_2_stores_before_the_bye_and_creates_the_folder_first() {
    let mut s = Session::new(group_recorded("abc"), T0).unwrap();
    invite(&mut s, Leg::Client);
    let reasons = ["SIP;cause=410;text=\"Gone\""];
    let a = s.handle(Input::ByeReceived { leg: Leg::Remote, reasons: &reasons }, T0);
    assert_eq!(
        names(&a),
        [
            "create session-history:abc",
            "store session-info",
            "store group-state",
            "bye client SIP;cause=410;text=\"Gone\""
        ]
    );
    let a = s.handle(Input::ResponseReceived { leg: Leg::Client, status: 200, method: Method::Bye }, T0);
    assert_eq!(names(&a), ["release client", "200 remote", "release remote", "terminated"]);
}

#[test]
fn branch_1_stores_when_the_last_leg_answered_just_before_the_200_ok() {
    let mut s = Session::new(group_recorded("g1"), T0).unwrap();
    invite(&mut s, Leg::Client);
    let a = s.handle(Input::ByeReceived { leg: Leg::Client, reasons: &[] }, T0);
    assert_eq!(names(&a), ["release client", "bye remote"], "nothing is stored before the legs answered");
    let a = s.handle(Input::ResponseReceived { leg: Leg::Remote, status: 200, method: Method::Bye }, T0);
    assert_eq!(
        names(&a),
        [
            "release remote",
            "create session-history:g1",
            "store session-info",
            "store group-state",
            "200 client",
            "terminated"
        ]
    );
}

#[test]
fn expiry_stores_first_then_closes_every_leg_without_reason() {
    let mut c = group_recorded("t1");
    c.session_expires = Some(Duration::from_secs(90));
    let mut s = Session::new(c, T0).unwrap();
    assert_eq!(s.poll_timeout(), Some(T0 + Duration::from_secs(60)));
    assert!(s.handle_timeout(T0 + Duration::from_secs(59)).is_empty(), "an early call does nothing");
    let a = s.handle_timeout(T0 + Duration::from_secs(60));
    assert_eq!(names(&a), ["create session-history:t1", "store group-state", "bye client", "bye remote"]);
    assert_eq!(s.poll_timeout(), None, "once ending, expiry does nothing");
    assert!(s.handle_timeout(T0 + Duration::from_secs(600)).is_empty(), "a repeated call does nothing");
}

#[test]
fn recorded_messages_are_stored_in_arrival_order() {
    let mut s = Session::new(group_recorded("ord"), T0).unwrap();
    for (leg, id) in [(Leg::Client, "c-0001"), (Leg::Remote, "r-0002"), (Leg::Client, "c-0003")] {
        let _ = s.handle(chunk(leg, id, b"x", "1-1/1"), T0);
    }
    let _ = s.handle(Input::Delivered { message_id: "r-0002".parse().unwrap() }, T0);
    let a = s.handle(Input::ByeReceived { leg: Leg::Remote, reasons: &[] }, T0);
    assert_eq!(
        names(&a),
        [
            "create session-history:ord",
            "store chat-message c-0001",
            "store chat-message r-0002",
            "store chat-message c-0003",
            "store group-state",
            "bye client"
        ]
    );
}

#[test]
fn no_message_uid_in_any_chat_bye_or_200_ok() {
    // The change request's point: the session info object's UID is never sent to the client.
    for kind in [Kind::OneToOne, Kind::Group] {
        for initiator in [Leg::Client, Leg::Remote] {
            let mut c = group_recorded("uid");
            c.kind = kind;
            let mut s = Session::new(c, T0).unwrap();
            invite(&mut s, Leg::Client);
            let mut all = Vec::new();
            all.extend(
                s.handle(Input::ByeReceived { leg: initiator, reasons: &["SIP;cause=200"] }, T0)
                    .into_iter()
                    .map(|a| format!("{a:?}")),
            );
            let _ = s.handle(Input::Stored { object: ObjectRef::SessionInfo, uid: "4711" }, T0);
            let other = if initiator == Leg::Client { Leg::Remote } else { Leg::Client };
            let a = s.handle(Input::ResponseReceived { leg: other, status: 200, method: Method::Bye }, T0);
            assert!(s.is_terminated(), "{kind:?} {initiator}: {a:?}");
            let answered: Vec<_> = a
                .iter()
                .filter_map(|a| match a {
                    Action::SendResponse { method: Method::Bye, message_uid, .. } => {
                        Some(message_uid.clone())
                    }
                    _ => None,
                })
                .collect();
            assert_eq!(answered, [None], "{kind:?} {initiator}: exactly one 200 OK, without Message-UID");
            assert!(all.iter().all(|a| !a.contains("4711")));
        }
    }
}

#[test]
fn file_transfer_200_ok_carries_the_history_objects_uid() {
    let mut c = Config::default();
    c.kind = Kind::FileTransfer;
    c.prefs = Preferences::ALLOW_OFFLINE_STORAGE;
    c.ft_in_session = true;
    c.contribution_id = Some("ftc".into());
    let mut s = Session::new(c, T0).unwrap();
    let _ = s.handle(Input::ByeReceived { leg: Leg::Client, reasons: &[] }, T0);
    let a = s.handle(Input::ResponseReceived { leg: Leg::Remote, status: 200, method: Method::Bye }, T0);
    assert_eq!(
        names(&a),
        ["release remote", "create session-history:ftc", "store session-info", "store ft-history"],
        "FT-1b: folder, then a new session info object, then the history object"
    );
    assert!(a
        .iter()
        .any(|a| matches!(a, Action::Store { folder: Folder::SessionHistory { contribution_id: f, .. }, .. } if &**f == "ftc")));
    assert_eq!(s.poll_timeout(), Some(T0 + Duration::from_secs(5)), "FT-1c waits at most 5 s");
    // The session info object's UID is not the one the client gets.
    let a = s.handle(Input::Stored { object: ObjectRef::SessionInfo, uid: "sio-1" }, T0);
    assert!(a.is_empty());
    let a = s.handle(Input::Stored { object: ObjectRef::FtHistory, uid: "ft-2" }, T0);
    assert_eq!(names(&a), ["200 client uid=ft-2", "terminated"]);
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn headers_view_is_used_for_session_expires_in_compact_form() {
    let mut s = Session::new(Config::default(), T0).unwrap();
    let headers: Vec<(&str, &str)> = vec![("x", "90;refresher=uac")];
    assert_eq!(headers.first(&cpm_pf::headers::names::SESSION_EXPIRES), Some("90;refresher=uac"));
    let _ = s.handle(
        Input::RequestReceived { leg: Leg::Remote, method: Method::Invite, headers: &headers, body: b"" },
        T0,
    );
    assert_eq!(s.poll_timeout(), Some(T0 + Duration::from_secs(60)));
}
