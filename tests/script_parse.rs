//! The scenario parser: every line kind, every session key, every script error with its line.

use std::time::Duration;

use cpm_pf::grammar::message_id::MessageId;
use cpm_pf::msrp::Continuation;
use cpm_pf::script::{ErrorKind, Script, StepInput};
use cpm_pf::{Config, Kind, Leg, Method, ObjectRef, Policy, Preferences, Role, Side};

mod common;

use common::{script as parse, script_error as error};

/// The configuration of a `session` line (given with its trailing newline), in a script
/// completed by one input so that it parses.
fn config(session_line: &str) -> Config {
    parse(&format!("{session_line}@ advance 0\n")).session.expect("a session line").config
}

fn input(text: &str) -> StepInput {
    let script = parse(text);
    assert_eq!(script.steps.len(), 1, "{text:?}");
    script.steps[0].input.clone()
}

fn mid(s: &str) -> MessageId {
    MessageId::parse(s).unwrap()
}

#[test]
fn blank_comment_and_diagnostic_lines_are_ignored() {
    let s = parse(
        "\n# a comment\n   \nsession\n!! anything | at all\n  # indented comment\n<- client BYE\n!! x\n",
    );
    assert_eq!(s.session.as_ref().unwrap().line, 4);
    assert_eq!(s.steps.len(), 1);
    assert_eq!(s.steps[0].line, 7);
    assert!(s.steps[0].expected.is_empty());
}

#[test]
fn a_script_without_input_is_an_error_on_its_session_line_or_line_1() {
    assert_eq!(error(""), (1, ErrorKind::NoInput));
    assert_eq!(error("# nothing\n"), (1, ErrorKind::NoInput));
    assert_eq!(error("session\n"), (1, ErrorKind::NoInput));
    assert_eq!(error("# c\n\nsession kind=group\n# x\n!! y\n"), (3, ErrorKind::NoInput));
    // One input of any kind is enough.
    assert_eq!(parse("session\n@ advance 0\n").steps.len(), 1);
    assert_eq!(parse("route MESSAGE\n").steps.len(), 1);
}

#[test]
fn session_defaults() {
    let c = &config("session\n");
    assert_eq!(c.role, Role::B2bua);
    assert_eq!(c.kind, Kind::OneToOne);
    assert_eq!(c.side, Side::Originating);
    assert_eq!(c.iwfs, 0);
    assert_eq!(c.prefs, Preferences::empty());
    assert_eq!(c.policy, Policy::empty());
    // EMB-1: no placeholder identities; they come from the first INVITE.
    assert_eq!(c.contribution_id, None);
    assert_eq!(c.conversation_id, None);
    assert_eq!(c.peer, None);
    assert!(!c.history_folder_exists);
    assert!(!c.ft_in_session);
    assert_eq!(c.session_expires, None);
    assert_eq!(c.limits.max_message, 1_048_576);
    assert_eq!(c.limits.max_partial, 16);
    assert_eq!(c.limits.max_buffered, 4_194_304);
    assert_eq!(c.store_timeout, Duration::from_secs(5));
}

#[test]
fn every_session_key() {
    let s = parse(
        "session role=b2bua kind=file-transfer side=terminating iwf=3 \
         prefs=allow-offline-storage,allow-store,allow-defer \
         policy=long-lived-restart,iwf-bye-closes-streams,live-recording,skip-services-on-iari \
         contribution-id=abc conversation-id=conv-1 peer=sip:bob@example.com history-folder=exists \
         ft-in-session=yes \
         session-expires=90 max-message=10 max-partial=2 max-buffered=20 store-timeout=7\n\
         @ advance 0\n",
    );
    let line = s.session.unwrap();
    assert_eq!(line.line, 1);
    assert!(line.text.starts_with("session role=b2bua"));
    let c = line.config;
    assert_eq!(c.kind, Kind::FileTransfer);
    assert_eq!(c.side, Side::Terminating);
    assert_eq!(c.iwfs, 3);
    assert_eq!(c.prefs, Preferences::all());
    assert_eq!(c.policy, Policy::all());
    assert_eq!(c.contribution_id.as_deref(), Some("abc"));
    assert_eq!(c.conversation_id.as_deref(), Some("conv-1"));
    assert_eq!(c.peer.as_deref(), Some("sip:bob@example.com"));
    assert!(c.history_folder_exists);
    assert!(c.ft_in_session);
    assert_eq!(c.session_expires, Some(Duration::from_secs(90)));
    assert_eq!((c.limits.max_message, c.limits.max_partial, c.limits.max_buffered), (10, 2, 20));
    assert_eq!(c.store_timeout, Duration::from_secs(7));

    let c = config(
        "session role=proxy kind=group side=originating history-folder=absent ft-in-session=no \
         session-expires=none\n",
    );
    assert_eq!(c.role, Role::Proxy);
    assert_eq!(c.kind, Kind::Group);
    assert_eq!(c.session_expires, None);
    let c = config("session kind=one-to-one prefs=allow-defer policy=live-recording\n");
    assert_eq!(c.prefs, Preferences::ALLOW_DEFER);
    assert_eq!(c.policy, Policy::LIVE_RECORDING);
}

#[test]
fn session_key_errors() {
    assert_eq!(error("session colour=red\n"), (1, ErrorKind::UnknownKey("colour".into())));
    assert_eq!(error("\nsession kind\n"), (2, ErrorKind::NotKeyValue("kind".into())));
    assert_eq!(error("session kind=group kind=group\n"), (1, ErrorKind::DuplicateKey("kind".into())));
    for bad in [
        "role=agent",
        "kind=chat",
        "side=both",
        "iwf=-1",
        "iwf=256",
        "iwf=two",
        "prefs=allow-everything",
        "prefs=",
        "prefs=allow-store,",
        "policy=record",
        "contribution-id=",
        "peer=",
        "history-folder=yes",
        "ft-in-session=true",
        "session-expires=soon",
        "session-expires=-5",
        "max-message=1MiB",
        "max-partial=x",
        "max-buffered=",
        "store-timeout=5s",
    ] {
        let (line, kind) = error(&format!("# c\nsession {bad}\n"));
        assert_eq!(line, 2, "{bad}");
        assert!(matches!(kind, ErrorKind::BadValue { .. }), "{bad}: {kind:?}");
    }
}

#[test]
fn proxy_with_iwf_is_an_error() {
    assert_eq!(error("session role=proxy iwf=2\n"), (1, ErrorKind::ProxyWithIwf(2)));
    assert_eq!(error("session iwf=1 role=proxy\n"), (1, ErrorKind::ProxyWithIwf(1)));
    assert_eq!(config("session role=proxy iwf=0\n").role, Role::Proxy);
}

#[test]
fn session_must_be_first_and_once() {
    assert_eq!(error("session\n<- client BYE\nsession\n"), (3, ErrorKind::SessionTwice(1)));
    assert_eq!(error("route MESSAGE\nsession\n"), (2, ErrorKind::SessionNotFirst));
    // Comments and diagnostics before it are fine.
    assert_eq!(parse("# x\n!! y\nsession\n<- client BYE\n").session.map(|s| s.line), Some(3));
}

#[test]
fn leg_inputs_need_a_session() {
    assert!(matches!(error("<- client BYE\n"), (1, ErrorKind::NoSession(_))));
    assert!(matches!(error("# x\n@ advance 1\n"), (2, ErrorKind::NoSession(_))));
    assert!(matches!(error("route MESSAGE\n-> client BYE\n"), (2, ErrorKind::NoSession(_))));
    assert!(matches!(error("route MESSAGE\n== release-media client\n"), (2, ErrorKind::NoSession(_))));
}

#[test]
fn legs_are_checked_against_the_session() {
    assert!(matches!(
        error("session iwf=2\n<- iwf3 BYE\n"),
        (2, ErrorKind::NoSuchLeg { leg: Leg::Iwf(3), .. })
    ));
    assert!(matches!(
        error("session iwf=2\n<- remote BYE\n"),
        (2, ErrorKind::NoSuchLeg { leg: Leg::Remote, .. })
    ));
    assert!(matches!(error("session\n<- iwf1 BYE\n"), (2, ErrorKind::NoSuchLeg { leg: Leg::Iwf(1), .. })));
    assert_eq!(error("session\n<- server BYE\n"), (2, ErrorKind::UnknownLeg("server".into())));
    assert_eq!(error("session\n<- iwf0 BYE\n"), (2, ErrorKind::UnknownLeg("iwf0".into())));
    assert!(matches!(error("session iwf=1\n@ timeout remote BYE\n"), (2, ErrorKind::NoSuchLeg { .. })));
    assert!(matches!(
        error("session iwf=1\n<- client BYE\n-> remote BYE\n"),
        (3, ErrorKind::NoSuchLeg { .. })
    ));
    assert!(matches!(
        error("session\n<- client BYE\n== release-media iwf1\n"),
        (3, ErrorKind::NoSuchLeg { .. })
    ));
    assert_eq!(input("session iwf=2\n<- iwf2 BYE\n"), StepInput::Bye { leg: Leg::Iwf(2), reasons: vec![] });
}

#[test]
fn bye_keeps_every_reason_in_order_and_ignores_other_headers() {
    let i = input(
        "session\n<- remote BYE | Via: x | Reason: SIP;cause=410;text=\"Gone\" | REASON: Q.850;cause=16 | body: ignored\n",
    );
    assert_eq!(
        i,
        StepInput::Bye {
            leg: Leg::Remote,
            reasons: vec!["SIP;cause=410;text=\"Gone\"".into(), "Q.850;cause=16".into()]
        }
    );
}

#[test]
fn requests_keep_headers_and_body() {
    let i = input("session\n<- client INVITE | From: <sip:a@x> | x: 90 | body: v=0\\r\\ns=-\\r\\n\n");
    assert_eq!(
        i,
        StepInput::Request {
            leg: Leg::Client,
            method: Method::Invite,
            headers: vec![("From".into(), "<sip:a@x>".into()), ("x".into(), "90".into())],
            body: b"v=0\r\ns=-\r\n".to_vec(),
        }
    );
    for (m, method) in [("REFER", Method::Refer), ("UPDATE", Method::Update)] {
        let i = input(&format!("session\n<- remote {m}\n"));
        assert_eq!(i, StepInput::Request { leg: Leg::Remote, method, headers: vec![], body: vec![] });
    }
}

#[test]
fn bad_methods_are_errors() {
    for m in ["MESSAGE", "bye", "SUBSCRIBE", "OPTIONS"] {
        let (line, kind) = error(&format!("session\n\n<- client {m}\n"));
        assert_eq!(line, 3);
        assert!(matches!(kind, ErrorKind::BadMethod { .. }), "{m}: {kind:?}");
    }
    assert!(matches!(error("session\n<- client 200 MESSAGE\n"), (2, ErrorKind::BadMethod { .. })));
    assert!(matches!(error("session\n<- client\n"), (2, ErrorKind::Expected { .. })));
    assert!(matches!(error("session\n<- client BYE now\n"), (2, ErrorKind::Expected { .. })));
}

#[test]
fn responses() {
    assert_eq!(
        input("session\n<- remote 200 BYE\n"),
        StepInput::Response { leg: Leg::Remote, status: 200, method: Method::Bye }
    );
    assert_eq!(
        input("session\n<- client 699 INVITE\n"),
        StepInput::Response { leg: Leg::Client, status: 699, method: Method::Invite }
    );
    // The SUBSCRIBE the PF sends may be answered (docs/scenarios.md "Inputs").
    assert_eq!(
        input("session\n<- remote 481 SUBSCRIBE\n"),
        StepInput::Response { leg: Leg::Remote, status: 481, method: Method::Subscribe }
    );
    for s in ["100", "180", "199", "700", "0200", "2000", "99"] {
        assert_eq!(
            error(&format!("session\n<- client {s} BYE\n")),
            (2, ErrorKind::BadStatus(s.into())),
            "{s}"
        );
    }
    assert_eq!(error("session\n<- client 200 BYE | Reason: x\n"), (2, ErrorKind::NoHeadersAllowed));
    assert!(matches!(error("session\n<- client 200\n"), (2, ErrorKind::Expected { .. })));
}

#[test]
fn msrp_send() {
    let i = input(
        "session\n<- remote MSRP SEND | Message-ID: m1-000 | Byte-Range: 1-5/5 | Continuation: $ | Content-Type: text/plain | body: he | lo\n",
    );
    assert_eq!(
        i,
        StepInput::MsrpSend {
            leg: Leg::Remote,
            message_id: Some("m1-000".into()),
            byte_range: Some("1-5/5".into()),
            continuation: Some(Continuation::Complete),
            content_type: Some("text/plain".into()),
            body: b"he | lo".to_vec(),
        }
    );
    // Absent headers and an unknown flag are passed on as None: the library decides.
    let i = input("session\n<- client MSRP SEND | continuation: * | message-id: ab\n");
    assert_eq!(
        i,
        StepInput::MsrpSend {
            leg: Leg::Client,
            message_id: Some("ab".into()),
            byte_range: None,
            continuation: None,
            content_type: None,
            body: vec![],
        }
    );
    for (flag, c) in [("+", Continuation::More), ("#", Continuation::Aborted), ("$$", Continuation::Complete)]
    {
        let StepInput::MsrpSend { continuation, .. } =
            input(&format!("session\n<- client MSRP SEND | Continuation: {flag}\n"))
        else {
            panic!()
        };
        assert_eq!(continuation, if flag == "$$" { None } else { Some(c) });
    }
    assert_eq!(
        error("session\n<- client MSRP SEND | To-Path: x\n"),
        (2, ErrorKind::UnknownMsrpHeader("To-Path".into()))
    );
    assert_eq!(
        error("session\n<- client MSRP SEND | Message-ID: a1b2 | message-id: c3d4\n"),
        (2, ErrorKind::DuplicateHeader("message-id".into()))
    );
    assert!(matches!(error("session\n<- client MSRP REPORT\n"), (2, ErrorKind::Expected { .. })));
}

#[test]
fn header_syntax_errors() {
    assert_eq!(
        error("session\n<- client INVITE | From <sip:a@x>\n"),
        (2, ErrorKind::BadHeader("From <sip:a@x>".into()))
    );
    assert!(matches!(error("session\n<- client INVITE | \n"), (2, ErrorKind::BadHeader(_))));
}

#[test]
fn at_inputs() {
    assert_eq!(input("session\n@ advance 59\n"), StepInput::Advance { seconds: 59 });
    assert_eq!(input("session\n@  advance   0\n"), StepInput::Advance { seconds: 0 });
    assert_eq!(
        input("session iwf=1\n@ timeout iwf1 BYE\n"),
        StepInput::Timeout { leg: Leg::Iwf(1), method: Method::Bye }
    );
    assert_eq!(
        input("session\n@ timeout remote SUBSCRIBE\n"),
        StepInput::Timeout { leg: Leg::Remote, method: Method::Subscribe }
    );
    assert_eq!(
        input("session\n@ stored ft-history uid=4711\n"),
        StepInput::Stored { object: ObjectRef::FtHistory, uid: "4711".into() }
    );
    assert_eq!(
        input("session\n@ stored chat-message m1-000 uid=1\n"),
        StepInput::Stored { object: ObjectRef::ChatMessage(mid("m1-000")), uid: "1".into() }
    );
    assert_eq!(
        input("session\n@ store-failed session-info\n"),
        StepInput::StoreFailed { object: ObjectRef::SessionInfo }
    );
    assert_eq!(
        input("session\n@ store-failed group-state\n"),
        StepInput::StoreFailed { object: ObjectRef::GroupState }
    );
    assert_eq!(
        input("session\n@ store-failed imdn n-42\n"),
        StepInput::StoreFailed { object: ObjectRef::Imdn(mid("n-42")) }
    );
    assert_eq!(input("session\n@ delivered abcd\n"), StepInput::Delivered { message_id: mid("abcd") });
}

#[test]
fn bad_at_forms() {
    for bad in [
        "@",
        "@ nap 3",
        "@ advance",
        "@ advance -1",
        "@ advance 1.5",
        "@ advance 1 2",
        "@ timeout client",
        "@ stored ft-history",
        "@ stored ft-history uid=",
        "@ stored ft-history 4711",
        "@ stored chat-message",
        "@ delivered",
        "@ delivered abcd efgh",
    ] {
        let (line, kind) = error(&format!("session\n{bad}\n"));
        assert_eq!(line, 2, "{bad}");
        assert!(matches!(kind, ErrorKind::Expected { .. }), "{bad}: {kind:?}");
    }
    assert!(matches!(error("session\n@ timeout client MESSAGE\n"), (2, ErrorKind::BadMethod { .. })));
    assert_eq!(error("session\n@ advance 1 | x: y\n"), (2, ErrorKind::NoHeadersAllowed));
    assert_eq!(error("session\n@ stored photo uid=1\n"), (2, ErrorKind::UnknownObject("photo".into())));
    assert_eq!(
        error("session\n@ store-failed message m1\n"),
        (2, ErrorKind::UnknownObject("message".into()))
    );
    assert!(matches!(error("session\n@ delivered ab\n"), (2, ErrorKind::BadMessageId { .. })));
    assert!(matches!(error("session\n@ stored imdn -bad- uid=1\n"), (2, ErrorKind::BadMessageId { .. })));
}

#[test]
fn route_lines() {
    let s = parse("# dispatch only\nroute MESSAGE | Accept-Contact: *;+g.3gpp.icsi-ref=\"x\" | a: y\n== route pager-mode\nroute OPTIONS\n== route not-cpm\n");
    assert!(s.session.is_none());
    assert_eq!(s.policy(), Policy::empty());
    assert_eq!(s.steps.len(), 2);
    assert_eq!(
        s.steps[0].input,
        StepInput::Route {
            method: Method::Message,
            headers: vec![
                ("Accept-Contact".into(), "*;+g.3gpp.icsi-ref=\"x\"".into()),
                ("a".into(), "y".into())
            ],
        }
    );
    assert_eq!(s.steps[1].input, StepInput::Route { method: Method::Other, headers: vec![] });
    assert_eq!(s.steps[1].expected[0].line, 5);
    // With a session, its policy is used.
    let s = parse("session policy=skip-services-on-iari\nroute INVITE\n== route session-invitation group skip-services\n");
    assert_eq!(s.policy(), Policy::SKIP_SERVICES_ON_IARI);
    assert!(matches!(error("route\n"), (1, ErrorKind::Expected { .. })));
    assert!(matches!(error("route INVITE now\n"), (1, ErrorKind::Expected { .. })));
}

#[test]
fn outputs_attach_to_the_preceding_input() {
    let s = parse(
        "session kind=group contribution-id=abc\n\
         <- remote BYE | Reason: SIP;cause=410\n\
         == create-folder session-history:abc\n\
         \n\
         ==   store session-info in session-history:abc\n\
         -> client BYE | Reason: SIP;cause=410\n\
         <- client 200 BYE\n\
           == release-media client\n",
    );
    assert_eq!(s.steps.len(), 2);
    let lines: Vec<usize> = s.steps[0].expected.iter().map(|e| e.line).collect();
    assert_eq!(lines, [3, 5, 6]);
    assert_eq!(s.steps[0].expected[1].text, "==   store session-info in session-history:abc");
    assert_eq!(s.steps[0].expected[1].output.to_string(), "== store session-info in session-history:abc");
    assert_eq!(s.steps[1].line, 7);
    assert_eq!(s.steps[1].expected[0].line, 8);
}

#[test]
fn every_output_form_parses() {
    parse(
        "session iwf=2\n<- iwf1 BYE\n\
         -> client BYE\n-> client BYE | Reason: SIP;cause=410 | Reason: Q.850;cause=16\n\
         -> client 200 BYE\n-> client 200 BYE | Message-UID: 4711\n-> iwf1 481 BYE\n-> client 408 BYE\n\
         -> client INVITE | remove-streams: iwf1\n-> client SUBSCRIBE | Event: conference\n\
         -> iwf2 MSRP 413 | Message-ID: m1-000\n-> iwf2 MSRP 400\n\
         == release-media iwf1\n== create-folder conversation:sip:bob@example.com\n\
         == create-folder session-history:abc\n== store session-info in session-history:abc\n\
         == store group-state in session-history:abc\n== store ft-history in conversation:sip:b@x\n\
         == store chat-message m1-000 in conversation:sip:b@x\n== store imdn i-01 in conversation:sip:b@x\n\
         == intercept on\n== intercept off\n== defer chat-message m1-000\n== defer imdn i-01\n\
         == deliver chat-message m1-000 to client\n== terminated\n\
         == route pager-mode\n== route large-message\n== route deferred-notification\n\
         == route deferred-delivery\n== route session-invitation group\n== route file-transfer skip-services\n\
         == route session-invitation group skip-services\n== route not-cpm\n== route invalid\n",
    );
}

#[test]
fn output_errors() {
    type Check = fn(&ErrorKind) -> bool;
    let cases: &[(&str, Check)] = &[
        ("== launch rockets", |k| matches!(k, ErrorKind::UnknownAction(_))),
        ("== store photo in conversation:x", |k| matches!(k, ErrorKind::UnknownObject(_))),
        ("== store session-info conversation:x", |k| matches!(k, ErrorKind::Expected { .. })),
        ("== store session-info in inbox", |k| matches!(k, ErrorKind::BadFolder(_))),
        ("== create-folder conversation:", |k| matches!(k, ErrorKind::BadFolder(_))),
        ("== defer chat-message x", |k| matches!(k, ErrorKind::BadMessageId { .. })),
        ("== deliver group-state", |k| matches!(k, ErrorKind::Expected { .. })),
        ("== intercept maybe", |k| matches!(k, ErrorKind::Expected { .. })),
        ("== terminated now", |k| matches!(k, ErrorKind::Expected { .. })),
        ("== route pager", |k| matches!(k, ErrorKind::UnknownProcedure(_))),
        ("== route pager-mode skip-services group", |k| matches!(k, ErrorKind::Expected { .. })),
        ("-> client", |k| matches!(k, ErrorKind::Expected { .. })),
        ("-> client NOTIFY", |k| matches!(k, ErrorKind::Expected { .. })),
        ("-> client 2000 BYE", |k| matches!(k, ErrorKind::BadStatus(_))),
        ("-> client 200 MESSAGE", |k| matches!(k, ErrorKind::BadMethod { .. })),
        ("-> client MSRP OK", |k| matches!(k, ErrorKind::BadStatus(_))),
        ("-> client BYE | body: x", |k| matches!(k, ErrorKind::BodyNotAllowed)),
        ("=> client BYE", |k| matches!(k, ErrorKind::UnknownWord(_))),
        ("->client BYE", |k| matches!(k, ErrorKind::UnknownWord(_))),
    ];
    for (line, ok) in cases {
        let (n, kind) = error(&format!("session\n<- client BYE\n{line}\n"));
        assert_eq!(n, 3, "{line}");
        assert!(ok(&kind), "{line}: {kind:?}");
    }
}

#[test]
fn output_before_the_first_input_is_an_error() {
    assert_eq!(error("session\n-> client BYE\n"), (2, ErrorKind::OutputBeforeInput));
    assert_eq!(error("== route not-cpm\n"), (1, ErrorKind::OutputBeforeInput));
}

#[test]
fn unknown_first_word() {
    assert_eq!(
        error("session\n<- client BYE\nexpect terminated\n"),
        (3, ErrorKind::UnknownWord("expect".into()))
    );
    assert_eq!(error("<-client BYE\n"), (1, ErrorKind::UnknownWord("<-client".into())));
    assert_eq!(error("!!! x\n"), (1, ErrorKind::UnknownWord("!!!".into())));
}

#[test]
fn errors_render_with_file_and_line() {
    let e = Script::parse("session\n\n<- client FOO\n").unwrap_err();
    assert_eq!(e.line, 3);
    assert!(e.to_string().starts_with("line 3: "), "{e}");
    let f = e.in_file("x.scn").to_string();
    assert!(f.starts_with("x.scn:3: unexpected method \"FOO\""), "{f}");
}

#[test]
fn parsing_never_panics_on_odd_text() {
    for text in [
        "\u{feff}session",
        "session \u{0}",
        "<- \u{e9}",
        "session\n<- client INVITE | body: \\",
        "session\n<- client INVITE | body:",
        "session\n<- client INVITE | body",
        "session\n@ stored chat-message \u{1F600}\u{1F600} uid=1",
        "session\n<- client MSRP SEND | Continuation: \u{e9}",
        "route \u{e9}",
        " | | | ",
        "session\r\n<- client BYE\r\n-> remote BYE\r\n",
    ] {
        let _ = Script::parse(text);
    }
    let s = parse("session\r\n<- client BYE\r\n-> remote BYE\r\n");
    assert_eq!(s.steps[0].expected[0].output.to_string(), "-> remote BYE");
}
