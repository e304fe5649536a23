//! Embedding without surprises (docs/requirements.md EMB-1 … EMB-3): what a program written from the README
//! and rustdoc alone gets with a default configuration.

use cpm_pf::msrp::{Continuation, SendRequest};
use cpm_pf::{
    Action, Config, Diagnostic, Folder, Identity, Input, Kind, Leg, Method, NotStoredWhy, ObjectRef,
    Preferences, Session, Side, Time,
};

const T0: Time = Time::from_unix_secs(1_767_225_600);

const INVITE: [(&str, &str); 4] = [
    ("From", "\"Alice\" <sip:alice@example.com>;tag=a1"),
    ("To", "<sip:bob@example.com>"),
    ("Contribution-ID", "from-invite-999"),
    ("Conversation-ID", "conv-from-invite"),
];

fn recording(kind: Kind) -> Config {
    let mut c = Config::default();
    c.kind = kind;
    c.prefs = Preferences::ALLOW_OFFLINE_STORAGE;
    c
}

fn invite(s: &mut Session, headers: &[(&str, &str)]) -> Vec<Action<'static>> {
    s.handle(
        Input::RequestReceived { leg: Leg::Client, method: Method::Invite, headers: &headers, body: b"" },
        T0,
    )
    .into_iter()
    .map(|a| a.into_owned())
    .collect()
}

fn chunk<'a>(s: &mut Session, leg: Leg, id: &'a str, body: &'a [u8]) -> Vec<Action<'static>> {
    let send = SendRequest {
        message_id: Some(id),
        byte_range: None,
        continuation: Some(Continuation::Complete),
        content_type: Some("text/plain"),
        body,
    };
    s.handle(Input::MsrpSend { leg, send }, T0).into_iter().map(|a| a.into_owned()).collect()
}

/// Ends the session with a BYE from the remote (branch 2) and the client's answer; returns
/// every action of both steps.
fn remote_ends(s: &mut Session) -> Vec<Action<'static>> {
    let mut all: Vec<Action<'static>> = s
        .handle(Input::ByeReceived { leg: Leg::Remote, reasons: &[] }, T0)
        .into_iter()
        .map(|a| a.into_owned())
        .collect();
    let answer = s.handle(Input::ResponseReceived { leg: Leg::Client, status: 200, method: Method::Bye }, T0);
    all.extend(answer.into_iter().map(|a| a.into_owned()));
    all
}

fn stores(actions: &[Action<'_>]) -> Vec<(ObjectRef, Folder, String)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Store { object, folder, content } => {
                Some((*object, folder.clone(), String::from_utf8_lossy(content).into_owned()))
            }
            _ => None,
        })
        .collect()
}

fn header<'a>(content: &'a str, name: &str) -> Option<&'a str> {
    content
        .split("\r\n\r\n")
        .next()?
        .split("\r\n")
        .find_map(|l| l.split_once(": ").filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v))
}

/// EMB-1: the example. With the configuration left alone, the group's folder and every
/// object's Contribution-ID and Conversation-ID come from the INVITE; nothing carries a
/// placeholder.
#[test]
fn emb1_a_group_takes_its_identities_from_the_first_invite() {
    let mut s = Session::new(recording(Kind::Group), T0).unwrap();
    invite(&mut s, &INVITE);
    let actions = remote_ends(&mut s);
    let stored = stores(&actions);
    assert_eq!(stored.len(), 2, "session info and group state: {actions:?}");
    let expected = Folder::session_history("from-invite-999").with_conversation_id(Some("conv-from-invite"));
    assert!(actions.contains(&Action::CreateFolder { folder: expected.clone() }));
    for (object, folder, content) in &stored {
        assert_eq!(folder, &expected, "{object}");
        assert_eq!(header(content, "Contribution-ID"), Some("from-invite-999"), "{object}: {content}");
        assert_eq!(header(content, "Conversation-ID"), Some("conv-from-invite"), "{object}: {content}");
        assert!(!content.contains("c1") && !content.contains("peer@example.com"), "{object}: {content}");
    }
}

/// EMB-1: a 1-1 session's conversation folder is the other party of the first INVITE: its To
/// when the served user sent it, its From when the served user was invited.
#[test]
fn emb1_the_conversation_folder_is_the_other_party_of_the_first_invite() {
    for (side, peer) in
        [(Side::Originating, "sip:bob@example.com"), (Side::Terminating, "sip:alice@example.com")]
    {
        let mut c = recording(Kind::OneToOne);
        c.side = side;
        let mut s = Session::new(c, T0).unwrap();
        invite(&mut s, &INVITE);
        // A chat message: the rcs profile stores no session info object for a 1-1 session (MS-3).
        chunk(&mut s, Leg::Client, "one-00001", b"hello");
        let stored = stores(&remote_ends(&mut s));
        assert_eq!(stored.len(), 1, "{side:?}: {stored:?}");
        assert_eq!(
            stored[0].1,
            Folder::conversation(peer).with_conversation_id(Some("conv-from-invite")),
            "{side:?}"
        );
    }
}

/// EMB-1: without a configured identity and without an INVITE, nothing is stored under a made-up
/// folder: each object is reported as not stored, and no action names a placeholder.
#[test]
fn emb1_nothing_is_stored_under_a_placeholder() {
    for kind in [Kind::OneToOne, Kind::Group] {
        let mut s = Session::new(recording(kind), T0).unwrap();
        let mut actions = chunk(&mut s, Leg::Client, "mine-0001", b"hello");
        actions.extend(remote_ends(&mut s));
        assert!(stores(&actions).is_empty(), "{kind:?}: {actions:?}");
        assert!(!actions.iter().any(|a| matches!(a, Action::CreateFolder { .. })), "{actions:?}");
        let not_stored: Vec<ObjectRef> = actions
            .iter()
            .filter_map(|a| match a {
                Action::Diagnostic(Diagnostic::NotStored { object, why: NotStoredWhy::FolderUnknown }) => {
                    Some(*object)
                }
                _ => None,
            })
            .collect();
        assert!(
            not_stored.contains(&ObjectRef::ChatMessage("mine-0001".parse().unwrap())),
            "{kind:?}: {actions:?}"
        );
        if kind == Kind::Group {
            assert!(not_stored.contains(&ObjectRef::GroupState), "{actions:?}");
        }
    }
}

/// EMB-1: a configured Contribution-ID wins over the INVITE's, and the difference is reported; an
/// identity known nowhere is left out of the object, reported.
#[test]
fn emb1_configured_identities_win_and_gaps_are_reported() {
    let mut c = recording(Kind::Group);
    c.contribution_id = Some("configured-1".into());
    let mut s = Session::new(c, T0).unwrap();
    let on_invite = invite(&mut s, &INVITE);
    assert!(on_invite.contains(&Action::Diagnostic(Diagnostic::ContributionIdMismatch {
        configured: "configured-1".into(),
        received: "from-invite-999".into(),
    })));
    let stored = stores(&remote_ends(&mut s));
    let expected = Folder::session_history("configured-1").with_conversation_id(Some("conv-from-invite"));
    assert!(stored
        .iter()
        .all(|(_, f, c)| f == &expected && header(c, "Contribution-ID") == Some("configured-1")));

    // No Conversation-ID anywhere: objects go without it, and each such store is reported.
    let mut c = recording(Kind::Group);
    c.contribution_id = Some("configured-2".into());
    let mut s = Session::new(c, T0).unwrap();
    let actions = remote_ends(&mut s);
    let stored = stores(&actions);
    assert_eq!(stored.len(), 1, "group state only: {actions:?}");
    assert_eq!(header(&stored[0].2, "Conversation-ID"), None);
    assert!(actions.contains(&Action::Diagnostic(Diagnostic::MissingIdentity {
        object: ObjectRef::GroupState,
        identity: Identity::ConversationId,
    })));
}

fn generated_ids(config: Config, start: Time, contribution: &str) -> Vec<String> {
    let mut s = Session::new(config, start).unwrap();
    let headers = [
        ("From", "<sip:alice@example.com>"),
        ("To", "<sip:conf@example.com>"),
        ("Contribution-ID", contribution),
    ];
    invite(&mut s, &headers);
    // A message without CPIM gets a generated IMDN-Message-ID, as do session info and group state.
    chunk(&mut s, Leg::Client, "gen-00001", b"hi");
    stores(&remote_ends(&mut s))
        .iter()
        .filter_map(|(_, _, c)| header(c, "IMDN-Message-ID").map(str::to_owned))
        .collect()
}

/// EMB-2: generated IMDN-Message-IDs are unique across sessions without a seed from the
/// embedder, whether sessions differ by identity or by start time; an explicit seed still
/// makes them reproducible.
#[test]
fn emb2_generated_ids_are_unique_across_sessions_by_default() {
    let mut all = Vec::new();
    for i in 0..4 {
        all.extend(generated_ids(recording(Kind::Group), T0, &format!("contribution-{i}")));
        all.extend(generated_ids(
            recording(Kind::Group),
            T0 + std::time::Duration::from_millis(i + 1),
            "same",
        ));
    }
    assert_eq!(all.len(), 8 * 3, "three generated IDs per session: {all:?}");
    let mut unique = all.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), all.len(), "a generated IMDN-Message-ID repeats across sessions: {all:?}");

    let mut seeded = recording(Kind::Group);
    seeded.id_seed = Some(7);
    let a = generated_ids(seeded.clone(), T0, "x");
    let b = generated_ids(seeded, T0 + std::time::Duration::from_secs(60), "y");
    assert_eq!(a, b, "the same seed gives the same IDs");
}

/// EMB-3: a message to the client whose delivery is never confirmed is reported as not stored
/// before `terminated`, naming the message and the reason.
#[test]
fn emb3_an_unconfirmed_message_is_reported_before_terminated() {
    let mut c = recording(Kind::OneToOne);
    c.peer = Some("sip:bob@example.com".into());
    let mut s = Session::new(c, T0).unwrap();
    let completed = chunk(&mut s, Leg::Remote, "theirs-001", b"to the user");
    assert!(stores(&completed).is_empty(), "not stored before its delivery is confirmed");
    let actions = remote_ends(&mut s);
    let report = Action::Diagnostic(Diagnostic::NotStored {
        object: ObjectRef::ChatMessage("theirs-001".parse().unwrap()),
        why: NotStoredWhy::NeverConfirmed,
    });
    let at = actions.iter().position(|a| a == &report).expect("reported");
    let end = actions.iter().position(|a| a == &Action::Terminated).expect("terminated");
    assert!(at < end, "{actions:?}");
}

/// EMB-3: a message completing in a session that records nothing and does not intercept it (a
/// group with only `allow-defer`, before any connection loss) is reported too.
#[test]
fn emb3_a_message_not_recorded_is_reported() {
    let mut c = Config::default();
    c.kind = Kind::Group;
    c.prefs = Preferences::ALLOW_DEFER;
    let mut s = Session::new(c, T0).unwrap();
    let actions = chunk(&mut s, Leg::Client, "mine-0002", b"hello");
    assert!(actions.contains(&Action::Diagnostic(Diagnostic::NotStored {
        object: ObjectRef::ChatMessage("mine-0002".parse().unwrap()),
        why: NotStoredWhy::RecordingOff,
    })));
}
