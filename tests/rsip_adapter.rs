//! The rsip adapter on real message bytes (feature `rsip`): messages parsed by rsip go through
//! `SipHeaders` into `Session` and `route`, and the results are those docs/requirements.md requires.
//!
//! Fixtures in `tests/data/sip/`: `bye-503.sip` and `invite-session.sip` are the project's
//! bench-data messages; `invite-compact.sip` and `subscribe-compact.sip` use compact header
//! names (RFC 3261 §7.3.3: `v f t i m a k x c l`, RFC 6665 `o`). The BYEs with each Reason form of
//! docs/standards.md §1 are the bench BYE with its Reason line replaced.
#![cfg(feature = "rsip")]

use std::time::Duration;

use cpm_pf::headers::{names, SipHeaders};
use cpm_pf::rsip_adapter::{self, Dialog};
use cpm_pf::{
    route, Action, Config, Input, Kind, Leg, Method, ObjectRef, Policy, Preferences, Procedure, Session,
    Side, Time,
};

const BYE: &str = include_str!("data/sip/bye-503.sip");
const INVITE: &str = include_str!("data/sip/invite-session.sip");
const INVITE_COMPACT: &str = include_str!("data/sip/invite-compact.sip");
const SUBSCRIBE_COMPACT: &str = include_str!("data/sip/subscribe-compact.sip");

const NOW: Time = Time::from_unix_secs(1_767_225_600);

fn request(bytes: &str) -> rsip::Request {
    rsip::Request::try_from(bytes.as_bytes()).expect("rsip parses the fixture")
}

/// The bench BYE with its `Reason` line replaced by `reason_lines` (each a whole header line).
fn bye_with(reason_lines: &[&str]) -> rsip::Request {
    let replaced = reason_lines.iter().map(|l| format!("{l}\r\n")).collect::<String>();
    let text = BYE.replace("Reason: SIP;cause=503;text=\"Service Unavailable\"\r\n", &replaced);
    assert_ne!(text, BYE, "the fixture's Reason line was found");
    request(&text)
}

fn config(kind: Kind, prefs: Preferences) -> Config {
    let mut config = Config::default();
    config.kind = kind;
    config.prefs = prefs;
    config.contribution_id = Some("0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9".into());
    config
}

/// A group session where the PF may remain (allow-defer): branch 1 sends a BYE to the remote,
/// branch 4 answers the client at once and subscribes (BYE-4i).
fn group_may_remain() -> Session {
    Session::new(config(Kind::Group, Preferences::ALLOW_DEFER), NOW).unwrap()
}

fn bye_to(actions: &[Action<'_>], leg: Leg) -> Option<Vec<String>> {
    actions.iter().find_map(|a| match a {
        Action::SendBye { leg: l, reasons } if *l == leg => {
            Some(reasons.iter().map(|r| r.to_string()).collect())
        }
        _ => None,
    })
}

fn answers_at_once(actions: &[Action<'_>], leg: Leg) -> bool {
    actions.iter().any(|a| matches!(a, Action::SendResponse { leg: l, status: 200, .. } if *l == leg))
}

#[derive(Debug, PartialEq)]
enum Seen {
    /// Branch 1: the client left; the PF sends a BYE to the remote carrying these values.
    ClientLeft(Vec<String>),
    /// Branch 4 (PF remains): 200 OK to the client at once, SUBSCRIBE to the remote.
    ConnectionLoss,
}

/// Feeds `bye` through the adapter on the client leg of a group session that may remain.
fn on_client_leg(bye: &rsip::Request) -> Seen {
    let mut session = group_may_remain();
    let reasons = rsip_adapter::reasons(bye);
    let actions = session.handle(Input::ByeReceived { leg: Leg::Client, reasons: &reasons }, NOW);
    let actions = actions.as_slice();
    if let Some(values) = bye_to(actions, Leg::Remote) {
        assert!(!answers_at_once(actions, Leg::Client), "branch 1 answers after the remote: {actions:?}");
        return Seen::ClientLeft(values);
    }
    assert!(answers_at_once(actions, Leg::Client), "{actions:?}");
    assert!(actions.iter().any(|a| matches!(a, Action::SubscribeConference { leg: Leg::Remote })));
    assert!(actions.contains(&Action::InterceptOn));
    Seen::ConnectionLoss
}

#[test]
fn the_bench_bye_is_a_connection_loss_and_the_pf_remains() {
    let bye = request(BYE);
    assert_eq!(rsip_adapter::reasons(&bye), [r#"SIP;cause=503;text="Service Unavailable""#]);
    assert_eq!(rsip_adapter::method(&bye.method), Method::Bye);
    assert_eq!(on_client_leg(&bye), Seen::ConnectionLoss);
}

#[test]
fn the_bench_bye_in_a_one_to_one_session_propagates_its_reason() {
    // BYE-4x: no remaining in a 1-1 session; proceed as branch 1, propagating the Reason.
    let bye = request(BYE);
    let mut session = Session::new(config(Kind::OneToOne, Preferences::ALLOW_DEFER), NOW).unwrap();
    let reasons = rsip_adapter::reasons(&bye);
    let actions = session.handle(Input::ByeReceived { leg: Leg::Client, reasons: &reasons }, NOW);
    assert_eq!(
        bye_to(actions.as_slice(), Leg::Remote).unwrap(),
        [r#"SIP;cause=503;text="Service Unavailable""#]
    );
}

#[test]
fn rfc_3326_examples_with_spaces_before_each_semicolon() {
    // docs/standards.md §1 vectors 1-3 (RFC 3326 §2), verbatim.
    let left = bye_with(&[r#"Reason: SIP ;cause=200 ;text="Call completed elsewhere""#]);
    assert_eq!(
        on_client_leg(&left),
        Seen::ClientLeft(vec![r#"SIP ;cause=200 ;text="Call completed elsewhere""#.into()])
    );
    for line in [
        r#"Reason: Q.850 ;cause=16 ;text="Terminated""#,
        r#"Reason: SIP ;cause=600 ;text="Busy Everywhere""#,
        r#"Reason: SIP ;cause=580 ;text="Precondition Failure""#,
    ] {
        assert_eq!(on_client_leg(&bye_with(&[line])), Seen::ConnectionLoss, "{line}");
    }
}

#[test]
fn several_values_in_one_field_stay_one_value() {
    // docs/standards.md §1 vector 4: one header field, two values; the adapter hands over the field.
    let bye = bye_with(&[
        r#"Reason: SIP;cause=503;text="Service Unavailable", Q.850;cause=38;text="Network out of order""#,
    ]);
    assert_eq!(rsip_adapter::reasons(&bye).len(), 1);
    assert_eq!(on_client_leg(&bye), Seen::ConnectionLoss);
    // RFC 9366: the first SIP value with a numeric cause decides, even when a later one differs.
    let bye = bye_with(&[r#"Reason: SIP;cause=200;text="Bye, then", SIP;cause=503"#]);
    assert_eq!(
        on_client_leg(&bye),
        Seen::ClientLeft(vec![r#"SIP;cause=200;text="Bye, then", SIP;cause=503"#.into()])
    );
}

#[test]
fn repeated_reason_headers_arrive_in_message_order() {
    // A Q.850 value alone does not decide; the SIP value in the second field does (branch 1),
    // and both fields are propagated verbatim, in order, in any case of the header name.
    let bye = bye_with(&[r#"Reason: Q.850;cause=16;text="Terminated""#, "reason: SIP;cause=200"]);
    assert_eq!(rsip_adapter::reasons(&bye), [r#"Q.850;cause=16;text="Terminated""#, "SIP;cause=200"]);
    assert_eq!(
        on_client_leg(&bye),
        Seen::ClientLeft(vec![r#"Q.850;cause=16;text="Terminated""#.into(), "SIP;cause=200".into()])
    );
}

#[test]
fn release_cause_1_is_the_user_leaving_other_causes_are_failures() {
    // BYE-R8 and docs/standards.md §1 (TS 24.229 RELEASE_CAUSE values).
    let user = bye_with(&[r#"Reason: RELEASE_CAUSE ;cause=1 ;text="User ends call""#]);
    assert_eq!(
        on_client_leg(&user),
        Seen::ClientLeft(vec![r#"RELEASE_CAUSE ;cause=1 ;text="User ends call""#.into()])
    );
    let rtp = bye_with(&[r#"Reason: RELEASE_CAUSE;cause=2;text="RTP/RTCP time-out""#]);
    assert_eq!(on_client_leg(&rtp), Seen::ConnectionLoss);
}

#[test]
fn no_reason_and_an_unparseable_reason_mean_the_user_left() {
    assert_eq!(on_client_leg(&bye_with(&[])), Seen::ClientLeft(Vec::new()));
    // An unparseable field is dropped alone (BYE-R1) and not propagated.
    let bye = bye_with(&[r#"Reason: SIP;cause="open"#]);
    assert_eq!(on_client_leg(&bye), Seen::ClientLeft(Vec::new()));
}

#[test]
fn a_bye_from_the_remote_with_410_ends_the_group_for_the_client() {
    // Branch 2 (BYE-2a): a BYE to the client carrying the remote's Reason.
    let bye = bye_with(&[r#"Reason: SIP;cause=410;text="Gone""#]);
    let mut session = group_may_remain();
    let reasons = rsip_adapter::reasons(&bye);
    let actions = session.handle(Input::ByeReceived { leg: Leg::Remote, reasons: &reasons }, NOW);
    assert_eq!(bye_to(actions.as_slice(), Leg::Client).unwrap(), [r#"SIP;cause=410;text="Gone""#]);
}

#[test]
fn header_values_are_borrowed_from_the_rsip_message() {
    let bye = request(BYE);
    let stored = bye
        .headers
        .iter()
        .find_map(|h| match h {
            rsip::Header::Other(name, value) if name == "Reason" => Some(value.as_str()),
            _ => None,
        })
        .unwrap();
    let seen = bye.first(&names::REASON).unwrap();
    assert!(std::ptr::eq(seen, stored), "the view hands out rsip's own string");
    // Typed rsip variants too: From is `Header::From`.
    let from = bye.first(&names::FROM).unwrap();
    assert_eq!(from, r#""Alice" <sip:+15557654321@ims.example.com>;tag=a73kszlfl"#);
    let typed = bye.headers.iter().find_map(|h| match h {
        rsip::Header::From(f) => Some(rsip::headers::UntypedHeader::value(f)),
        _ => None,
    });
    assert!(std::ptr::eq(from, typed.unwrap()));
}

#[test]
fn the_bench_invite_routes_to_a_session_invitation() {
    // TD-5: Accept-Contact carries ...cpm.session; P-Preferred-Service is not the group service.
    let invite = request(INVITE);
    let r = route(Method::Invite, &invite, Policy::empty()).unwrap();
    assert_eq!((r.procedure, r.group, r.skip_services), (Procedure::SessionInvitation, false, false));
    // TD-8: the group service in P-Asserted-Service makes it a group invitation.
    let text = INVITE.replace(
        "P-Preferred-Service: urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session\r\n",
        "P-Asserted-Service: urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session.group\r\n",
    );
    let r = route(Method::Invite, &request(&text), Policy::empty()).unwrap();
    assert_eq!((r.procedure, r.group), (Procedure::SessionInvitation, true));
    assert_eq!(request(&text).body.len(), 261, "rsip keeps the SDP body");
}

#[test]
fn compact_headers_are_seen_under_their_full_names() {
    let invite = request(INVITE_COMPACT);
    // rsip leaves compact names in Header::Other; the view still finds them.
    assert!(invite.headers.iter().all(|h| !matches!(h, rsip::Header::CallId(_))));
    assert_eq!(rsip_adapter::call_id(&invite).unwrap(), "3c5d7e9f-1a2b-4c6d-8e0f-a1b2c3d4e5f6@192.0.2.10");
    assert_eq!(rsip_adapter::values(&invite, &names::ACCEPT_CONTACT).len(), 2);
    assert_eq!(invite.first(&names::SESSION_EXPIRES), Some("90;refresher=uac"));
    // TD-6 with an additional IARI in a second `a` field (TD-7).
    let r = route(Method::Invite, &invite, Policy::SKIP_SERVICES_ON_IARI).unwrap();
    assert_eq!((r.procedure, r.skip_services), (Procedure::FileTransfer, true));
    // TD-4: `o: deferred-messages`.
    let subscribe = request(SUBSCRIBE_COMPACT);
    let r = route(rsip_adapter::method(&subscribe.method), &subscribe, Policy::empty()).unwrap();
    assert_eq!(r.procedure, Procedure::DeferredDelivery);
}

#[test]
fn a_compact_session_expires_in_the_first_invite_sets_the_timer() {
    // ST-0: `x: 90` counts from the INVITE; expiry at 90 − min(32, 90/3) = 60 s (RFC 4028 §10).
    let invite = request(INVITE_COMPACT);
    let mut config = config(Kind::FileTransfer, Preferences::empty());
    config.side = Side::Originating;
    let mut session = Session::new(config, NOW).unwrap();
    assert_eq!(session.poll_timeout(), None);
    let actions = session.handle(rsip_adapter::request_input(Leg::Client, &invite), NOW);
    assert!(actions.is_empty(), "{actions:?}");
    assert_eq!(session.poll_timeout(), Some(NOW + Duration::from_secs(60)));
    // ST-2: at expiry, BYEs without Reason to both legs.
    let actions = session.handle_timeout(NOW + Duration::from_secs(60));
    assert_eq!(bye_to(actions.as_slice(), Leg::Client), Some(Vec::new()));
    assert_eq!(bye_to(actions.as_slice(), Leg::Remote), Some(Vec::new()));
}

#[test]
fn the_first_invite_gives_the_session_info_object_its_headers() {
    // REC-4a through the adapter, stored on branch 2 (BYE-2b) of a recorded group session.
    let invite = request(INVITE);
    let mut session = Session::new(config(Kind::Group, Preferences::ALLOW_OFFLINE_STORAGE), NOW).unwrap();
    let _ = session.handle(rsip_adapter::request_input(Leg::Client, &invite), NOW);
    let bye = bye_with(&[r#"Reason: SIP;cause=410;text="Gone""#]);
    let reasons = rsip_adapter::reasons(&bye);
    let actions = session.handle(Input::ByeReceived { leg: Leg::Remote, reasons: &reasons }, NOW);
    let info = actions
        .iter()
        .find_map(|a| match a {
            Action::Store { object: ObjectRef::SessionInfo, content, .. } => {
                Some(String::from_utf8_lossy(content))
            }
            _ => None,
        })
        .expect("the session info object is stored");
    assert!(info.contains("Conversation-ID: 9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0"), "{info}");
    assert!(info.contains("Contribution-ID: 0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"), "{info}");
}

#[test]
fn a_generated_bye_goes_on_the_wire_and_reads_back_the_same() {
    // Reason propagation: the PF's BYE carries each received field verbatim and in order; a
    // second PF reading those bytes with rsip classifies it the same way.
    let received =
        bye_with(&[r#"Reason: SIP ;cause=200 ;text="Call completed elsewhere""#, "Reason: Q.850;cause=16"]);
    let invite = request(INVITE);
    let mut dialog = Dialog::from_received_invite(&invite, "pf-tag").unwrap();
    let reasons = rsip_adapter::reasons(&received);
    let bye = dialog.bye("SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-pf-1", &reasons);
    let wire = bye.to_string();
    // The Request-URI is an `rsip::Uri`, which renders the transport in upper case.
    assert!(wire.starts_with("BYE sip:+15557654321@192.0.2.10:5060;transport=TCP SIP/2.0\r\n"), "{wire}");
    assert!(wire.contains("\r\nFrom: <sip:+15551234567@ims.example.com>;tag=pf-tag\r\n"), "{wire}");
    assert!(
        wire.contains("\r\nTo: \"Alice\" <sip:+15557654321@ims.example.com>;tag=a73kszlfl\r\n"),
        "{wire}"
    );
    assert!(wire.contains("\r\nCSeq: 1 BYE\r\n"), "{wire}");
    let back = request(&wire);
    assert_eq!(rsip_adapter::reasons(&back), reasons);
    assert_eq!(on_client_leg(&back), on_client_leg(&received));
    assert_eq!(rsip_adapter::cseq(&dialog.bye::<&str>("v", &[])).unwrap(), (2, Method::Bye));
}

#[test]
fn dialogs_from_both_sides_of_an_invite() {
    let invite = request(INVITE_COMPACT);
    let uas = Dialog::from_received_invite(&invite, "t1").unwrap();
    assert_eq!(uas.call_id, "3c5d7e9f-1a2b-4c6d-8e0f-a1b2c3d4e5f6@192.0.2.10");
    assert_eq!(uas.local, "<sip:+15551234567@ims.example.com>;tag=t1");
    assert_eq!(uas.remote_target.to_string(), "sip:+15557654321@192.0.2.10:5060");
    let answer = rsip::Response::try_from(
        "SIP/2.0 200 OK\r\n\
         Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1---77aa88bb99cc\r\n\
         From: \"Alice\" <sip:+15557654321@ims.example.com>;tag=a73kszlfl\r\n\
         To: <sip:+15551234567@ims.example.com>;tag=b0b\r\n\
         Call-ID: 3c5d7e9f-1a2b-4c6d-8e0f-a1b2c3d4e5f6@192.0.2.10\r\n\
         CSeq: 1 INVITE\r\n\
         Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n\
         Record-Route: <sip:p3.example.com;lr>\r\n\
         Contact: sip:bob@198.51.100.7:5062;transport=udp\r\n\
         Content-Length: 0\r\n\r\n",
    )
    .unwrap();
    let uac = Dialog::from_sent_invite(&invite, &answer).unwrap();
    assert_eq!(uac.remote, "<sip:+15551234567@ims.example.com>;tag=b0b");
    assert_eq!(uac.remote_target.to_string(), "sip:bob@198.51.100.7:5062");
    assert_eq!(
        uac.route_set,
        ["<sip:p3.example.com;lr>", "<sip:p2.example.com;lr>", "<sip:p1.example.com;lr>"]
    );
    assert_eq!(uac.local_seq, 1);
}

#[test]
fn responses_copy_the_transaction_headers_and_carry_the_message_uid() {
    let bye = request(BYE);
    let ok = rsip_adapter::response(&bye, 200, Some("uid-7"));
    let wire = ok.to_string();
    assert!(wire.starts_with("SIP/2.0 200 OK\r\n"), "{wire}");
    for line in [
        "Via: SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK-524287-1---8f2a1c3d4e5f6a7b;rport",
        "From: \"Alice\" <sip:+15557654321@ims.example.com>;tag=a73kszlfl",
        "To: \"Bob\" <sip:+15551234567@ims.example.com>;tag=1928301774",
        "Call-ID: f81d4fae-7dec-11d0-a765-00a0c91e6bf6@192.0.2.10",
        "CSeq: 2 BYE",
        "Message-UID: uid-7",
        "Content-Length: 0",
    ] {
        assert!(wire.contains(&format!("{line}\r\n")), "{line} in {wire}");
    }
    assert!(!wire.contains("Reason"), "{wire}");
    let back = rsip::Response::try_from(wire.as_str()).unwrap();
    assert_eq!(
        rsip_adapter::response_input(Leg::Client, &back).unwrap().map(|i| format!("{i:?}")),
        Some("ResponseReceived { leg: Client, status: 200, method: Bye }".to_owned())
    );
    let ringing = rsip_adapter::response(&request(INVITE), 180, None);
    assert!(rsip_adapter::response_input(Leg::Remote, &ringing).unwrap().is_none());
    // A 481 to a BYE on a leg that has ended (BYE-Z).
    assert!(rsip_adapter::response(&bye, 481, None).to_string().starts_with("SIP/2.0 481 "));
    // Answering a dialog-creating request adds the local tag once.
    let mut ok = rsip_adapter::response(&request(INVITE), 200, None);
    rsip_adapter::add_to_tag(&mut ok, "pf1");
    rsip_adapter::add_to_tag(&mut ok, "pf2");
    assert_eq!(ok.first(&names::TO), Some("<sip:+15551234567@ims.example.com>;tag=pf1"));
}

#[test]
fn a_file_transfer_close_answers_with_the_message_uid() {
    // FT-1c end to end: the client's BYE, the remote's 200, the store's UID, then the 200 OK
    // rendered by the adapter carries `Message-UID`.
    let bye = bye_with(&[]);
    let mut config = config(Kind::FileTransfer, Preferences::ALLOW_OFFLINE_STORAGE);
    config.peer = Some("sip:+15551234567@ims.example.com".into());
    let mut session = Session::new(config, NOW).unwrap();
    let reasons = rsip_adapter::reasons(&bye);
    let _ = session.handle(Input::ByeReceived { leg: Leg::Client, reasons: &reasons }, NOW);
    let ok = rsip::Response::try_from(
        "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5071;branch=z9hG4bK-1\r\nCSeq: 5 BYE\r\nContent-Length: 0\r\n\r\n",
    )
    .unwrap();
    let input = rsip_adapter::response_input(Leg::Remote, &ok).unwrap().unwrap();
    let actions = session.handle(input, NOW);
    assert!(
        actions.iter().any(|a| matches!(a, Action::Store { object: ObjectRef::FtHistory, .. })),
        "{actions:?}"
    );
    let actions = session.handle(Input::Stored { object: ObjectRef::FtHistory, uid: "4711" }, NOW);
    let answer = actions.iter().find_map(|a| rsip_adapter::response_for(&bye, a)).expect("a 200 OK");
    assert_eq!(answer.first(&names::MESSAGE_UID), Some("4711"));
    assert_eq!(answer.status_code.code(), 200);
}
