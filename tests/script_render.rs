//! The renderer: each library action becomes exactly the line SCENARIOS.md "Outputs" lists, and
//! that line parses back to the same canonical output.

use cpm_pf::dispatch::{DispatchError, Procedure, Route};
use cpm_pf::grammar::message_id::MessageId;
use cpm_pf::grammar::{ErrorKind as GrammarKind, GrammarError};
use cpm_pf::msrp::reassembly::Message;
use cpm_pf::script::{render_action, render_route, OutputLine, TraceLine};
use cpm_pf::{Action, Diagnostic, Folder, Leg, Method, ObjectRef};
use smallvec::smallvec;

fn mid(s: &str) -> MessageId {
    MessageId::parse(s).unwrap()
}

/// Renders, checks the exact text, and checks that the text parses back to the same output.
fn renders(action: Action<'_>, line: &str) {
    let rendered = render_action(&action);
    assert_eq!(rendered.to_string(), line);
    let out = rendered.output().expect("an output line");
    assert_eq!(&OutputLine::parse(line).unwrap(), out, "{line} must parse back");
}

#[test]
fn requests_on_legs() {
    renders(Action::SendBye { leg: Leg::Remote, reasons: smallvec![] }, "-> remote BYE");
    renders(
        Action::SendBye {
            leg: Leg::Client,
            reasons: smallvec!["SIP;cause=410;text=\"Gone\"".into(), "Q.850;cause=16".into()],
        },
        "-> client BYE | Reason: SIP;cause=410;text=\"Gone\" | Reason: Q.850;cause=16",
    );
    renders(
        Action::SendReInvite { leg: Leg::Client, remove_streams_of: Leg::Iwf(2) },
        "-> client INVITE | remove-streams: iwf2",
    );
    renders(Action::SubscribeConference { leg: Leg::Remote }, "-> remote SUBSCRIBE | Event: conference");
}

#[test]
fn responses_on_legs() {
    renders(
        Action::SendResponse { leg: Leg::Client, status: 200, method: Method::Bye, message_uid: None },
        "-> client 200 BYE",
    );
    renders(
        Action::SendResponse {
            leg: Leg::Client,
            status: 200,
            method: Method::Bye,
            message_uid: Some("4711".into()),
        },
        "-> client 200 BYE | Message-UID: 4711",
    );
    renders(
        Action::SendResponse { leg: Leg::Iwf(3), status: 481, method: Method::Bye, message_uid: None },
        "-> iwf3 481 BYE",
    );
    renders(
        Action::MsrpResponse { leg: Leg::Remote, status: 413, message_id: Some("m1-000".into()) },
        "-> remote MSRP 413 | Message-ID: m1-000",
    );
    renders(Action::MsrpResponse { leg: Leg::Client, status: 400, message_id: None }, "-> client MSRP 400");
}

#[test]
fn local_actions() {
    renders(Action::ReleaseMedia { leg: Leg::Iwf(1) }, "== release-media iwf1");
    renders(
        Action::CreateFolder { folder: Folder::SessionHistory("abc".into()) },
        "== create-folder session-history:abc",
    );
    renders(
        Action::Store {
            object: ObjectRef::ChatMessage(mid("m1-000")),
            folder: Folder::Conversation("sip:bob@example.com".into()),
            content: b"Date: x\r\n\r\n".to_vec(),
        },
        "== store chat-message m1-000 in conversation:sip:bob@example.com",
    );
    renders(
        Action::Store {
            object: ObjectRef::SessionInfo,
            folder: Folder::SessionHistory("abc".into()),
            content: Vec::new(),
        },
        "== store session-info in session-history:abc",
    );
    renders(
        Action::Store {
            object: ObjectRef::GroupState,
            folder: Folder::SessionHistory("t1".into()),
            content: vec![],
        },
        "== store group-state in session-history:t1",
    );
    renders(
        Action::Store {
            object: ObjectRef::FtHistory,
            folder: Folder::Conversation("sip:b@x".into()),
            content: vec![],
        },
        "== store ft-history in conversation:sip:b@x",
    );
    renders(Action::InterceptOn, "== intercept on");
    renders(Action::InterceptOff, "== intercept off");
    renders(
        Action::Defer {
            object: ObjectRef::Imdn(mid("n-001")),
            message: Box::new(Message {
                leg: Leg::Remote,
                id: mid("n-001"),
                content_type: Some("message/imdn+xml".into()),
                body: b"<imdn/>".to_vec(),
            }),
        },
        "== defer imdn n-001",
    );
    renders(
        Action::Deliver { object: ObjectRef::ChatMessage(mid("m1-000")) },
        "== deliver chat-message m1-000 to client",
    );
    renders(Action::Terminated, "== terminated");
}

#[test]
fn diagnostics_are_never_outputs() {
    let line = render_action(&Action::Diagnostic(Diagnostic::StoreTimedOut));
    assert!(line.output().is_none());
    assert!(line.to_string().starts_with("!! File Transfer History store did not complete"), "{line}");
    let line = render_action(&Action::Diagnostic(Diagnostic::MsrpRejected { leg: Leg::Client, status: 413 }));
    assert_eq!(line, TraceLine::Diagnostic("MSRP chunk on client refused with 413".into()));
}

#[test]
fn routes() {
    let route = |procedure, group, skip_services| Ok(Route { procedure, group, skip_services });
    let text = |lines: Vec<TraceLine>| lines.iter().map(ToString::to_string).collect::<Vec<_>>();
    assert_eq!(text(render_route(&route(Procedure::PagerMode, false, false))), ["== route pager-mode"]);
    assert_eq!(
        text(render_route(&route(Procedure::SessionInvitation, true, false))),
        ["== route session-invitation group"]
    );
    assert_eq!(
        text(render_route(&route(Procedure::SessionInvitation, true, true))),
        ["== route session-invitation group skip-services"]
    );
    assert_eq!(
        text(render_route(&route(Procedure::NotCpm, false, true))),
        ["== route not-cpm skip-services"]
    );
    let err = DispatchError(GrammarError::new("Accept-Contact", GrammarKind::UnterminatedQuote, 12));
    let lines = render_route(&Err(err));
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].to_string(), "== route invalid");
    assert_eq!(
        lines[1].to_string(),
        "!! invalid CPM request: malformed Accept-Contact value at byte 12: unterminated quoted string"
    );
}
