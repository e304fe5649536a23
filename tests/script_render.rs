//! The renderer: each library action prints (`Display`) as exactly the line docs/scenarios.md
//! "Outputs" lists, and that line parses back to the same canonical output.

use cpm_pf::dispatch::{DispatchError, Procedure, Route};
use cpm_pf::grammar::message_id::MessageId;
use cpm_pf::grammar::{ErrorKind as GrammarKind, GrammarError};
use cpm_pf::msrp::reassembly::Message;
use cpm_pf::script::{render_action, render_route, OutputLine, TraceLine};
use cpm_pf::{Action, Diagnostic, Folder, Leg, Method, ObjectRef};
use smallvec::smallvec;
use std::collections::BTreeSet;

fn mid(s: &str) -> MessageId {
    MessageId::parse(s).unwrap()
}

/// Every kind of action with the line it prints as (`Display`, docs/scenarios.md "Outputs").
/// To cover a new action, add a row.
fn cases() -> Vec<(Action<'static>, &'static str)> {
    let (client, remote) = (Leg::Client, Leg::Remote);
    let store = |object, folder| Action::Store { object, folder, content: b"Date: x\r\n\r\n".to_vec() };
    let response =
        |leg, status, message_uid| Action::SendResponse { leg, status, method: Method::Bye, message_uid };
    let imdn = Message { leg: remote, id: mid("n-001"), content_type: None, body: b"<imdn/>".to_vec() };
    vec![
        (Action::SendBye { leg: remote, reasons: smallvec![] }, "-> remote BYE"),
        (
            Action::SendBye {
                leg: client,
                reasons: smallvec!["SIP;cause=410;text=\"Gone\"".into(), "Q.850;cause=16".into()],
            },
            "-> client BYE | Reason: SIP;cause=410;text=\"Gone\" | Reason: Q.850;cause=16",
        ),
        (
            Action::SendReInvite { leg: client, remove_streams_of: Leg::Iwf(2) },
            "-> client INVITE | remove-streams: iwf2",
        ),
        (Action::SubscribeConference { leg: remote }, "-> remote SUBSCRIBE | Event: conference"),
        (response(client, 200, None), "-> client 200 BYE"),
        (response(client, 200, Some("4711".into())), "-> client 200 BYE | Message-UID: 4711"),
        (response(Leg::Iwf(3), 481, None), "-> iwf3 481 BYE"),
        (
            Action::MsrpResponse { leg: remote, status: 413, message_id: Some("m1-000".into()) },
            "-> remote MSRP 413 | Message-ID: m1-000",
        ),
        (Action::MsrpResponse { leg: client, status: 400, message_id: None }, "-> client MSRP 400"),
        (Action::ReleaseMedia { leg: Leg::Iwf(1) }, "== release-media iwf1"),
        (
            Action::CreateFolder { folder: Folder::session_history("abc") },
            "== create-folder session-history:abc",
        ),
        (
            store(ObjectRef::ChatMessage(mid("m1-000")), Folder::conversation("sip:bob@example.com")),
            "== store chat-message m1-000 in conversation:sip:bob@example.com",
        ),
        (
            store(ObjectRef::SessionInfo, Folder::session_history("abc")),
            "== store session-info in session-history:abc",
        ),
        (
            store(ObjectRef::GroupState, Folder::session_history("t1")),
            "== store group-state in session-history:t1",
        ),
        (
            store(ObjectRef::FtHistory, Folder::conversation("sip:b@x")),
            "== store ft-history in conversation:sip:b@x",
        ),
        (
            store(ObjectRef::Imdn(mid("n-002")), Folder::conversation("sip:b@x")),
            "== store imdn n-002 in conversation:sip:b@x",
        ),
        (Action::InterceptOn, "== intercept on"),
        (Action::InterceptOff, "== intercept off"),
        (
            Action::Defer { object: ObjectRef::Imdn(mid("n-001")), message: Box::new(imdn) },
            "== defer imdn n-001",
        ),
        (
            Action::Deliver { object: ObjectRef::ChatMessage(mid("m1-000")) },
            "== deliver chat-message m1-000 to client",
        ),
        (Action::Terminated, "== terminated"),
    ]
}

#[test]
fn every_action_displays_as_its_scenario_line() {
    for (action, line) in cases() {
        assert_eq!(action.to_string(), line, "{action:?}");
    }
}

/// The runner's line is the `Display` text, read back into the canonical form: what a script
/// writes parses to the very output the library's action renders to.
#[test]
fn every_action_renders_to_a_line_that_parses_back() {
    for (action, line) in cases() {
        let rendered = render_action(&action);
        assert_eq!(rendered.to_string(), line);
        let out = rendered.output().unwrap_or_else(|| panic!("{line}: an output line"));
        assert_eq!(&OutputLine::parse(line).unwrap(), out, "{line} must parse back");
        // And a script accepts it as an expectation (the session line gives it every leg used).
        let text = format!("session iwf=3\n@ advance 0\n{line}\n");
        let text = if line.contains("remote") { text.replace("iwf=3", "") } else { text };
        if let Err(e) = cpm_pf::script::Script::parse(&text) {
            panic!("{line}: {e}");
        }
    }
}

/// Every variant has a row: the variants are read from `src/action.rs`, so a new action without
/// a printed form here fails.
#[test]
fn every_action_variant_has_a_case() {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/action.rs")).unwrap();
    let body = &src[src.find("pub enum Action<'a>").unwrap()..];
    let body = &body[..body.find("\n}").unwrap()];
    let variants: BTreeSet<&str> = body
        .lines()
        .filter_map(|l| l.strip_prefix("    "))
        .filter(|l| l.starts_with(|c: char| c.is_ascii_uppercase()))
        .map(|l| l.split(|c: char| !c.is_ascii_alphanumeric()).next().unwrap())
        .collect();
    let mut covered: BTreeSet<String> = cases()
        .iter()
        .map(|(a, _)| format!("{a:?}").split(|c: char| !c.is_ascii_alphanumeric()).next().unwrap().to_owned())
        .collect();
    covered.insert("Diagnostic".into()); // diagnostics_are_never_outputs
    covered.insert("MsrpTransmit".into()); // msrp_transmit_is_never_an_output
    assert_eq!(covered.iter().map(String::as_str).collect::<BTreeSet<_>>(), variants);
}

/// `MsrpTransmit` says bytes wait to be written; with `msrp=legs` the runner prints the frames
/// of those bytes instead, so the action itself is never compared.
#[test]
fn msrp_transmit_is_never_an_output() {
    let line = render_action(&Action::MsrpTransmit { leg: Leg::Client });
    assert!(line.output().is_none(), "{line}");
}

#[test]
fn diagnostics_are_never_outputs() {
    let diagnostic = Action::Diagnostic(Diagnostic::StoreTimedOut);
    assert!(diagnostic.to_string().starts_with("!! File Transfer History store did not complete"));
    let line = render_action(&diagnostic);
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

/// A value no script can produce (` | ` inside a Reason, from an embedder's BYE) does not read
/// back as one header: the runner says so in a diagnostic instead of panicking or comparing a
/// line that means something else.
#[test]
fn an_action_that_does_not_read_back_becomes_a_diagnostic() {
    let action = Action::SendBye { leg: Leg::Client, reasons: smallvec!["SIP;cause=200 | x".into()] };
    assert_eq!(action.to_string(), "-> client BYE | Reason: SIP;cause=200 | x");
    match render_action(&action) {
        TraceLine::Diagnostic(d) => assert!(d.starts_with("action does not read back"), "{d}"),
        other => panic!("{other:?}"),
    }
}
