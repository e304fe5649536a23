//! 8.3 terminating dispatch (docs/requirements.md TD-1 … TD-9). Each test is named after the requirement it
//! proves; expectations come from docs/requirements.md, not from the implementation's output.

use cpm_pf::dispatch::DispatchError;
use cpm_pf::grammar::ErrorKind;
use cpm_pf::{route, Method, Policy, Procedure, Route};
use proptest::prelude::*;

// ---- allocation counting (this test binary only) -------------------------------------------------

#[path = "common/counting.rs"]
mod counting;
use counting::allocations;

// ---- helpers ---------------------------------------------------------------------------------------

const ENC: &str = "urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.";
const PLAIN: &str = "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.";
const IARI_FTHTTP: &str = "urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.fthttp";

/// `Accept-Contact` value carrying the given CPM services (suffixes after `…oma.cpm.`).
fn ac(services: &[&str]) -> String {
    let list: Vec<String> = services.iter().map(|s| format!("{ENC}{s}")).collect();
    format!("*;+g.3gpp.icsi-ref=\"{}\"", list.join(","))
}

fn go(method: Method, headers: &[(&str, &str)], policy: Policy) -> Result<Route, DispatchError> {
    let headers: Vec<(&str, &str)> = headers.to_vec();
    route(method, &headers, policy)
}

fn ok(method: Method, headers: &[(&str, &str)]) -> Route {
    go(method, headers, Policy::empty()).unwrap_or_else(|e| panic!("{method} {headers:?}: {e}"))
}

fn proc(method: Method, headers: &[(&str, &str)]) -> Procedure {
    ok(method, headers).procedure
}

fn plain(p: Procedure) -> Route {
    Route { procedure: p, group: false, skip_services: false }
}

fn err(method: Method, headers: &[(&str, &str)]) -> DispatchError {
    match go(method, headers, Policy::SKIP_SERVICES_ON_IARI) {
        Ok(r) => panic!("{method} {headers:?} routed to {r:?}"),
        Err(e) => e,
    }
}

// ---- TD-1 --------------------------------------------------------------------------------------------

#[test]
fn td_1_message_with_msg_tag_is_pager_mode() {
    assert_eq!(ok(Method::Message, &[("Accept-Contact", &ac(&["msg"]))]), plain(Procedure::PagerMode));
}

#[test]
fn td_1_message_with_largemsg_session_or_filetransfer_is_pager_mode() {
    for s in ["largemsg", "session", "filetransfer", "session.group"] {
        assert_eq!(proc(Method::Message, &[("Accept-Contact", &ac(&[s]))]), Procedure::PagerMode, "{s}");
    }
}

#[test]
fn td_1_message_with_only_deferred_or_systemmsg_is_not_cpm() {
    for s in ["deferred", "systemmsg"] {
        assert_eq!(proc(Method::Message, &[("Accept-Contact", &ac(&[s]))]), Procedure::NotCpm, "{s}");
    }
    assert_eq!(proc(Method::Message, &[]), Procedure::NotCpm);
}

#[test]
fn td_1_message_is_never_a_group() {
    let r = ok(
        Method::Message,
        &[("Accept-Contact", &ac(&["session"])), ("P-Asserted-Service", &format!("{PLAIN}session.group"))],
    );
    assert_eq!(r, plain(Procedure::PagerMode));
    let r = ok(Method::Message, &[("P-Asserted-Service", &format!("{PLAIN}session.group"))]);
    assert_eq!(r, plain(Procedure::NotCpm));
}

// ---- TD-2 --------------------------------------------------------------------------------------------

#[test]
fn td_2_invite_with_largemsg_is_large_message() {
    assert_eq!(ok(Method::Invite, &[("Accept-Contact", &ac(&["largemsg"]))]), plain(Procedure::LargeMessage));
}

#[test]
fn td_2_largemsg_is_more_specific_than_filetransfer_and_session() {
    let r = proc(Method::Invite, &[("Accept-Contact", &ac(&["session", "filetransfer", "largemsg"]))]);
    assert_eq!(r, Procedure::LargeMessage);
    // also across values and fields
    let r = proc(
        Method::Invite,
        &[
            ("Accept-Contact", &format!("{}, {}", ac(&["session"]), ac(&["filetransfer"]))),
            ("a", &ac(&["largemsg"])),
        ],
    );
    assert_eq!(r, Procedure::LargeMessage);
}

// ---- TD-3 --------------------------------------------------------------------------------------------

#[test]
fn td_3_invite_with_deferred_is_deferred_notification() {
    assert_eq!(
        ok(Method::Invite, &[("Accept-Contact", &ac(&["deferred"]))]),
        plain(Procedure::DeferredNotification)
    );
}

#[test]
fn td_3_deferred_is_the_most_specific() {
    let r = proc(
        Method::Invite,
        &[("Accept-Contact", &ac(&["session", "filetransfer", "largemsg", "deferred"]))],
    );
    assert_eq!(r, Procedure::DeferredNotification);
    // and a group P-Asserted-Service does not make it a group invitation (TD-8)
    let r = ok(
        Method::Invite,
        &[("Accept-Contact", &ac(&["deferred"])), ("P-Asserted-Service", &format!("{PLAIN}session.group"))],
    );
    assert_eq!(r, plain(Procedure::DeferredNotification));
}

// ---- TD-4 --------------------------------------------------------------------------------------------

#[test]
fn td_4_subscribe_with_event_deferred_messages_is_deferred_delivery() {
    assert_eq!(ok(Method::Subscribe, &[("Event", "deferred-messages")]), plain(Procedure::DeferredDelivery));
}

#[test]
fn td_4_event_type_any_case_compact_form_and_params() {
    for (name, value) in
        [("o", "Deferred-Messages"), ("EVENT", "DEFERRED-MESSAGES ;id=3"), ("event", " deferred-messages")]
    {
        assert_eq!(proc(Method::Subscribe, &[(name, value)]), Procedure::DeferredDelivery, "{name}: {value}");
    }
}

#[test]
fn td_4_other_events_and_methods_are_not_deferred_delivery() {
    assert_eq!(proc(Method::Subscribe, &[("Event", "conference")]), Procedure::NotCpm);
    assert_eq!(proc(Method::Subscribe, &[("Event", "deferred-messages.winfo")]), Procedure::NotCpm);
    assert_eq!(proc(Method::Subscribe, &[("Event", "deferred-messagesx")]), Procedure::NotCpm);
    assert_eq!(proc(Method::Subscribe, &[]), Procedure::NotCpm);
    assert_eq!(proc(Method::Notify, &[("Event", "deferred-messages")]), Procedure::NotCpm);
    assert_eq!(proc(Method::Invite, &[("Event", "deferred-messages")]), Procedure::NotCpm);
    // Accept-Contact tags do not make a SUBSCRIBE CPM
    assert_eq!(proc(Method::Subscribe, &[("Accept-Contact", &ac(&["deferred"]))]), Procedure::NotCpm);
}

#[test]
fn td_4_first_event_field_decides() {
    let r = proc(Method::Subscribe, &[("Event", "deferred-messages"), ("o", "conference")]);
    assert_eq!(r, Procedure::DeferredDelivery);
    let r = proc(Method::Subscribe, &[("Event", "conference"), ("o", "deferred-messages")]);
    assert_eq!(r, Procedure::NotCpm);
}

// ---- TD-5 --------------------------------------------------------------------------------------------

#[test]
fn td_5_invite_with_session_is_session_invitation() {
    assert_eq!(
        ok(Method::Invite, &[("Accept-Contact", &ac(&["session"]))]),
        plain(Procedure::SessionInvitation)
    );
}

#[test]
fn td_5_invite_with_msg_or_systemmsg_only_is_not_cpm() {
    assert_eq!(proc(Method::Invite, &[("Accept-Contact", &ac(&["msg"]))]), Procedure::NotCpm);
    assert_eq!(proc(Method::Invite, &[("Accept-Contact", &ac(&["systemmsg"]))]), Procedure::NotCpm);
    assert_eq!(proc(Method::Invite, &[("Accept-Contact", "*;audio;video")]), Procedure::NotCpm);
    assert_eq!(proc(Method::Invite, &[]), Procedure::NotCpm);
}

// ---- TD-6 --------------------------------------------------------------------------------------------

#[test]
fn td_6_invite_with_filetransfer_is_file_transfer() {
    assert_eq!(
        ok(Method::Invite, &[("Accept-Contact", &ac(&["filetransfer"]))]),
        plain(Procedure::FileTransfer)
    );
}

#[test]
fn td_6_filetransfer_is_more_specific_than_session() {
    // STANDARDS §2 derived vector 4: session + filetransfer in one list.
    assert_eq!(
        proc(Method::Invite, &[("Accept-Contact", &ac(&["session", "filetransfer"]))]),
        Procedure::FileTransfer
    );
    assert_eq!(
        proc(
            Method::Invite,
            &[("Accept-Contact", &ac(&["session"])), ("Accept-Contact", &ac(&["filetransfer"]))]
        ),
        Procedure::FileTransfer
    );
}

#[test]
fn bye_and_other_methods_are_not_cpm() {
    for m in [Method::Bye, Method::Update, Method::Refer, Method::Notify, Method::Other] {
        assert_eq!(proc(m, &[("Accept-Contact", &ac(&["session", "msg"]))]), Procedure::NotCpm, "{m}");
    }
}

// ---- TD-7 --------------------------------------------------------------------------------------------

fn skip(method: Method, headers: &[(&str, &str)]) -> bool {
    go(method, headers, Policy::SKIP_SERVICES_ON_IARI).unwrap().skip_services
}

#[test]
fn td_7_iari_with_policy_marks_skip_services() {
    let v = format!("{};+g.3gpp.iari-ref=\"{IARI_FTHTTP}\"", ac(&["msg"]));
    let r = go(Method::Message, &[("Accept-Contact", &v)], Policy::SKIP_SERVICES_ON_IARI).unwrap();
    assert_eq!(r, Route { procedure: Procedure::PagerMode, group: false, skip_services: true });
}

#[test]
fn td_7_without_the_policy_nothing_is_skipped() {
    let v = format!("{};+g.3gpp.iari-ref=\"{IARI_FTHTTP}\"", ac(&["msg"]));
    let r = go(Method::Message, &[("Accept-Contact", &v)], Policy::all() - Policy::SKIP_SERVICES_ON_IARI)
        .unwrap();
    assert_eq!(r, plain(Procedure::PagerMode));
}

#[test]
fn td_7_other_icsis_and_gsma_tags_are_additional() {
    let session = ac(&["session"]);
    for extra in [
        format!("{session};+g.gsma.rcs.isbot"),
        format!("{session};+g.gsma.rcs.cpm.pager-large"),
        format!("*;+g.3gpp.icsi-ref=\"{ENC}session,urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel\""),
        format!("*;+g.3gpp.icsi-ref=\"{ENC}session,{ENC}msgfoo\""),
        format!("{session}, *;+g.3gpp.iari-ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.rcse.im\""),
        format!("{session};+g.3gpp.iari-ref=\"{ENC}session\""),
    ] {
        assert!(skip(Method::Invite, &[("Accept-Contact", &extra)]), "{extra}");
    }
    // in a second Accept-Contact field
    assert!(skip(Method::Invite, &[("Accept-Contact", &session), ("a", "*;+g.gsma.rcs.botversion=\"#=1\"")]));
}

#[test]
fn td_7_base_tags_require_explicit_q_and_negated_values_are_not_additional() {
    let v = format!(
        "{};require;explicit;q=0.5;audio;video;methods=\"INVITE,BYE\";+g.3gpp.iari-ref=\"!{IARI_FTHTTP}\"",
        ac(&["session"])
    );
    let r = go(Method::Invite, &[("Accept-Contact", &v)], Policy::SKIP_SERVICES_ON_IARI).unwrap();
    assert_eq!(r, plain(Procedure::SessionInvitation));
    let v = format!("*;+g.3gpp.icsi-ref=\"{ENC}session,!urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel\"");
    assert!(!skip(Method::Invite, &[("Accept-Contact", &v)]));
}

#[test]
fn td_7_cpm_identifiers_are_not_additional() {
    // systemmsg, session.group, and sub-services are CPM service identifiers
    let v = ac(&["session", "systemmsg", "session.group", "msg", "deferred", "session.x"]);
    assert!(!skip(Method::Invite, &[("Accept-Contact", &v)]));
    assert!(!skip(Method::Message, &[("Accept-Contact", &ac(&["msg"])), ("a", &ac(&["systemmsg"]))]));
}

#[test]
fn td_7_a_request_that_is_not_cpm_is_never_marked() {
    let v = format!("*;+g.3gpp.iari-ref=\"{IARI_FTHTTP}\"");
    let r = go(Method::Invite, &[("Accept-Contact", &v)], Policy::SKIP_SERVICES_ON_IARI).unwrap();
    assert_eq!(r, plain(Procedure::NotCpm));
}

#[test]
fn td_7_applies_to_every_cpm_procedure() {
    let iari = format!("*;+g.3gpp.iari-ref=\"{IARI_FTHTTP}\"");
    for (m, tag) in [
        (Method::Invite, "largemsg"),
        (Method::Invite, "deferred"),
        (Method::Invite, "filetransfer"),
        (Method::Message, "largemsg"),
    ] {
        assert!(skip(m, &[("Accept-Contact", &ac(&[tag])), ("Accept-Contact", &iari)]), "{m} {tag}");
    }
    assert!(skip(Method::Subscribe, &[("Event", "deferred-messages"), ("Accept-Contact", &iari)]));
}

// ---- TD-8 --------------------------------------------------------------------------------------------

const GROUP: &str = "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session.group";
const ONE_TO_ONE: &str = "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session";

#[test]
fn td_8_group_from_p_asserted_service() {
    let r = ok(Method::Invite, &[("Accept-Contact", &ac(&["session"])), ("P-Asserted-Service", GROUP)]);
    assert_eq!(r, Route { procedure: Procedure::SessionInvitation, group: true, skip_services: false });
}

#[test]
fn td_8_group_from_p_preferred_service() {
    let r = ok(Method::Invite, &[("Accept-Contact", &ac(&["session"])), ("p-preferred-service", GROUP)]);
    assert_eq!(r, Route { procedure: Procedure::SessionInvitation, group: true, skip_services: false });
}

#[test]
fn td_8_p_asserted_wins_over_p_preferred() {
    let session = ac(&["session"]);
    let r = ok(
        Method::Invite,
        &[("Accept-Contact", &session), ("P-Preferred-Service", GROUP), ("P-Asserted-Service", ONE_TO_ONE)],
    );
    assert!(!r.group, "the asserted one-to-one service wins over the preferred group");
    let r = ok(
        Method::Invite,
        &[("Accept-Contact", &session), ("P-Preferred-Service", ONE_TO_ONE), ("P-Asserted-Service", GROUP)],
    );
    assert!(r.group);
    let r = ok(
        Method::Invite,
        &[
            ("Accept-Contact", &session),
            ("P-Asserted-Service", "urn:urn-7:3gpp-service.ims.icsi.mmtel"),
            ("P-Preferred-Service", GROUP),
        ],
    );
    assert!(!r.group, "an asserted header without the group identifier still wins");
}

#[test]
fn td_8_group_in_any_p_asserted_field_or_list_position() {
    let r = ok(Method::Invite, &[("P-Asserted-Service", ONE_TO_ONE), ("P-Asserted-Service", GROUP)]);
    assert!(r.group);
    let list = format!("urn:urn-7:3gpp-service.ims.icsi.mmtel, {}", GROUP.to_ascii_uppercase());
    assert!(ok(Method::Invite, &[("P-Asserted-Service", &list)]).group);
    assert!(
        ok(Method::Invite, &[("P-Asserted-Service", &format!("{GROUP}.v2"))]).group,
        "sub-service of group"
    );
}

#[test]
fn td_8_group_without_a_cpm_tag_in_accept_contact() {
    let r = ok(Method::Invite, &[("P-Asserted-Service", GROUP)]);
    assert_eq!(r, Route { procedure: Procedure::SessionInvitation, group: true, skip_services: false });
    let r = ok(Method::Invite, &[("Accept-Contact", "*;audio"), ("P-Preferred-Service", GROUP)]);
    assert_eq!(r, Route { procedure: Procedure::SessionInvitation, group: true, skip_services: false });
}

#[test]
fn td_8_group_is_never_read_from_accept_contact() {
    // session.group in Accept-Contact counts as the session tag (TD-9) but sets no group flag.
    let r = ok(Method::Invite, &[("Accept-Contact", &ac(&["session.group"]))]);
    assert_eq!(r, plain(Procedure::SessionInvitation));
}

#[test]
fn td_8_group_flag_belongs_to_session_invitations_only() {
    for tag in ["largemsg", "filetransfer", "deferred"] {
        let r =
            ok(Method::Invite, &[("Accept-Contact", &ac(&[tag, "session"])), ("P-Asserted-Service", GROUP)]);
        assert!(!r.group, "{tag}");
        assert_ne!(r.procedure, Procedure::SessionInvitation);
    }
    // P-*-Service carries only the group identifier; other CPM services there do not route.
    let r = ok(Method::Invite, &[("P-Asserted-Service", "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.largemsg")]);
    assert_eq!(r, plain(Procedure::NotCpm));
    let r = ok(Method::Invite, &[("P-Asserted-Service", ONE_TO_ONE)]);
    assert_eq!(r, plain(Procedure::NotCpm));
}

// ---- TD-9 --------------------------------------------------------------------------------------------

#[test]
fn td_9_values_match_without_regard_to_case() {
    let v = format!("*;+G.3GPP.ICSI-REF=\"{}\"", format!("{ENC}SESSION").to_ascii_uppercase());
    assert_eq!(proc(Method::Invite, &[("ACCEPT-CONTACT", &v)]), Procedure::SessionInvitation);
}

#[test]
fn td_9_percent_decoding_either_hex_case() {
    for v in [
        "*;+g.3gpp.icsi-ref=\"urn%3aurn-7%3a3gpp-service.ims.icsi.oma.cpm.largemsg\"",
        "*;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.largemsg\"",
        "*;+g.3gpp.icsi-ref=\"urn%3aurn-7%3A3gpp%2dservice.ims.icsi.oma.cpm.largemsg\"",
    ] {
        assert_eq!(proc(Method::Invite, &[("Accept-Contact", v)]), Procedure::LargeMessage, "{v}");
    }
}

#[test]
fn td_9_never_a_substring() {
    for bad in ["msgfoo", "sessions", "filetransfer2", "largemsg-x", "deferredx", ""] {
        let v = ac(&[bad]);
        assert_eq!(proc(Method::Invite, &[("Accept-Contact", &v)]), Procedure::NotCpm, "{bad}");
        assert_eq!(proc(Method::Message, &[("Accept-Contact", &v)]), Procedure::NotCpm, "{bad}");
    }
    // `msgfoo` next to a real tag still counts only the real one
    assert_eq!(
        proc(Method::Invite, &[("Accept-Contact", &ac(&["msgfoo", "session"]))]),
        Procedure::SessionInvitation
    );
}

#[test]
fn td_9_sub_service_is_a_kind_of_its_parent() {
    assert_eq!(
        proc(Method::Invite, &[("Accept-Contact", &ac(&["session.group"]))]),
        Procedure::SessionInvitation
    );
    assert_eq!(
        proc(Method::Invite, &[("Accept-Contact", &ac(&["filetransfer.v2"]))]),
        Procedure::FileTransfer
    );
    assert_eq!(proc(Method::Message, &[("Accept-Contact", &ac(&["msg.x"]))]), Procedure::PagerMode);
}

#[test]
fn td_9_negated_values_never_match() {
    let v = format!("*;+g.3gpp.icsi-ref=\"!{ENC}largemsg,{ENC}session\"");
    assert_eq!(proc(Method::Invite, &[("Accept-Contact", &v)]), Procedure::SessionInvitation);
    let v = format!("*;+g.3gpp.icsi-ref=\"!{ENC}msg\"");
    assert_eq!(proc(Method::Message, &[("Accept-Contact", &v)]), Procedure::NotCpm);
}

#[test]
fn td_9_unencoded_and_unquoted_urns_are_accepted() {
    let v = format!("*;+g.3gpp.icsi-ref=\"{PLAIN}filetransfer\"");
    assert_eq!(proc(Method::Invite, &[("Accept-Contact", &v)]), Procedure::FileTransfer);
    let v = format!("*;+g.3gpp.icsi-ref={PLAIN}deferred;require");
    assert_eq!(proc(Method::Invite, &[("Accept-Contact", &v)]), Procedure::DeferredNotification);
    let v = format!("*;+g.3gpp.icsi-ref={ENC}msg");
    assert_eq!(proc(Method::Message, &[("Accept-Contact", &v)]), Procedure::PagerMode);
}

#[test]
fn td_9_several_accept_contact_fields_values_and_compact_form() {
    let r =
        proc(Method::Invite, &[("a", "*;audio"), ("Via", &ac(&["deferred"])), ("A", &ac(&["filetransfer"]))]);
    assert_eq!(r, Procedure::FileTransfer, "the Via is not an Accept-Contact");
    let r = proc(Method::Message, &[("Accept-Contact", &format!("*;audio, {}", ac(&["msg"])))]);
    assert_eq!(r, Procedure::PagerMode);
}

// ---- invalid headers ---------------------------------------------------------------------------------

#[test]
fn invalid_accept_contact_names_the_header() {
    for v in ["", "audio", "*;+g.3gpp.icsi-ref=\"open", "*;audio,", "*;q=\"x"] {
        for name in ["Accept-Contact", "a"] {
            let e = err(Method::Invite, &[(name, &ac(&["session"])), (name, v)]);
            assert_eq!(e.header(), "Accept-Contact", "{v:?}");
            assert!(e.to_string().contains("Accept-Contact"), "{e}");
        }
    }
    let e = err(Method::Invite, &[("Accept-Contact", "session")]);
    assert_eq!((e.0.kind, e.0.at), (ErrorKind::Unexpected('s'), 0));
}

#[test]
fn invalid_p_service_headers_name_the_header() {
    let bad = r#"+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session.group""#;
    let e = err(Method::Invite, &[("Accept-Contact", &ac(&["session"])), ("P-Asserted-Service", bad)]);
    assert_eq!(e.header(), "P-Asserted-Service");
    let e = err(Method::Invite, &[("Accept-Contact", &ac(&["session"])), ("P-Preferred-Service", "")]);
    assert_eq!((e.header(), e.0.kind), ("P-Preferred-Service", ErrorKind::Empty));
    // invalid even when the other P-*-Service header would win
    let e = err(Method::Invite, &[("P-Asserted-Service", GROUP), ("P-Preferred-Service", "urn:urn-7:")]);
    assert_eq!(e.header(), "P-Preferred-Service");
}

#[test]
fn invalid_event_names_the_header() {
    for (name, v) in [("Event", ""), ("o", "deferred-messages;"), ("Event", "deferred messages")] {
        let e = err(Method::Subscribe, &[(name, v)]);
        assert_eq!(e.header(), "Event", "{v:?}");
    }
    let e = err(Method::Subscribe, &[("Event", "deferred-messages"), ("Event", "a..b")]);
    assert_eq!(e.header(), "Event", "every Event field must parse");
}

#[test]
fn invalid_headers_make_any_method_invalid_in_a_fixed_order() {
    for m in [Method::Message, Method::Invite, Method::Subscribe, Method::Bye, Method::Other] {
        let e =
            err(m, &[("Event", "?"), ("P-Preferred-Service", "x"), ("P-Asserted-Service", "x"), ("a", "x")]);
        assert_eq!(e.header(), "Accept-Contact", "{m}");
        let e = err(m, &[("Event", "?"), ("P-Preferred-Service", "x"), ("P-Asserted-Service", "x")]);
        assert_eq!(e.header(), "P-Asserted-Service", "{m}");
        let e = err(m, &[("Event", "?"), ("P-Preferred-Service", "x")]);
        assert_eq!(e.header(), "P-Preferred-Service", "{m}");
        assert_eq!(err(m, &[("Event", "?")]).header(), "Event", "{m}");
    }
}

// ---- no allocation, bounded work, no panics ---------------------------------------------------------

#[test]
fn route_does_not_allocate() {
    let big: String =
        core::iter::once(ac(&["session"])).chain((0..2_000).map(|i| format!(";+g.x{i}=\"a,b\""))).collect();
    let iari = format!("*;+g.3gpp.iari-ref=\"{IARI_FTHTTP}\";require;explicit");
    let cases: Vec<(Method, Vec<(&str, &str)>)> = vec![
        (
            Method::Message,
            vec![(
                "Accept-Contact",
                "*;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg\"",
            )],
        ),
        (
            Method::Invite,
            vec![
                ("a", &big),
                ("Accept-Contact", &iari),
                ("P-Asserted-Service", GROUP),
                ("P-Preferred-Service", ONE_TO_ONE),
            ],
        ),
        (Method::Subscribe, vec![("o", "deferred-messages;id=1;a;b;c;d")]),
        (Method::Invite, vec![("Accept-Contact", "*;+g.3gpp.icsi-ref=\"open")]),
        (Method::Invite, vec![("P-Asserted-Service", "nope")]),
    ];
    let mut results = [None; 5];
    // the counter is live: an allocation on this thread is seen
    let probe = allocations();
    drop(std::hint::black_box(vec![1u8; 3]));
    assert!(allocations() > probe, "allocation counter is not counting");
    let before = allocations();
    for (slot, (m, h)) in results.iter_mut().zip(&cases) {
        *slot = Some(route(*m, h, Policy::SKIP_SERVICES_ON_IARI).is_ok());
    }
    let after = allocations();
    assert_eq!(after - before, 0, "route allocated");
    assert_eq!(results, [Some(true), Some(true), Some(true), Some(false), Some(false)]);
}

#[test]
fn large_headers_are_handled_in_linear_time() {
    let many_params: String =
        core::iter::once(ac(&["msg"])).chain((0..10_000).map(|i| format!(";p{i}=v"))).collect();
    assert_eq!(proc(Method::Message, &[("Accept-Contact", &many_params)]), Procedure::PagerMode);
    let huge_list = format!("*;+g.3gpp.iari-ref=\"{}\"", vec![IARI_FTHTTP; 1_500].join(","));
    assert!(huge_list.len() > 64 * 1024);
    assert!(skip(Method::Message, &[("Accept-Contact", &ac(&["msg"])), ("a", &huge_list)]));
    let many_values = vec![ac(&["msgfoo"]); 1_000].join(", ");
    assert_eq!(proc(Method::Message, &[("Accept-Contact", &many_values)]), Procedure::NotCpm);
}

fn header_name() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("Accept-Contact"),
        Just("a"),
        Just("P-Asserted-Service"),
        Just("P-Preferred-Service"),
        Just("Event"),
        Just("o"),
        Just("Via"),
    ]
}

fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,40}",
        proptest::collection::vec(
            prop_oneof![
                Just("*".to_owned()),
                Just(";".to_owned()),
                Just(",".to_owned()),
                Just("\"".to_owned()),
                Just("!".to_owned()),
                Just("+g.3gpp.icsi-ref=".to_owned()),
                Just(ENC.to_owned()),
                Just("urn:urn-7:".to_owned()),
                Just("session".to_owned()),
                Just(".group".to_owned()),
                Just("%3".to_owned()),
                Just("deferred-messages".to_owned()),
                Just(" ".to_owned()),
                Just("é".to_owned()),
            ],
            0..12
        )
        .prop_map(|v| v.concat()),
    ]
}

proptest! {
    #[test]
    fn arbitrary_headers_never_panic(
        m in prop_oneof![Just(Method::Invite), Just(Method::Message), Just(Method::Subscribe), Just(Method::Bye)],
        headers in proptest::collection::vec((header_name(), header_value()), 0..5),
        policy in any::<u8>(),
    ) {
        let h: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        match route(m, &h, Policy::from_bits_truncate(policy)) {
            Ok(r) => {
                prop_assert!(!r.group || r.procedure == Procedure::SessionInvitation);
                prop_assert!(!r.skip_services || r.procedure != Procedure::NotCpm);
            }
            Err(e) => prop_assert!(["Accept-Contact", "P-Asserted-Service", "P-Preferred-Service", "Event"].contains(&e.header())),
        }
    }
}

/// The scenario files themselves run under `tests/script_scenarios.rs`; here: each TD ID has one.
#[test]
fn every_td_id_has_a_scenario_file() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("td-") && n.ends_with(".scn"))
        .collect();
    for id in 1..=9 {
        assert!(names.iter().any(|n| n.starts_with(&format!("td-{id}-"))), "no scenario file for TD-{id}");
    }
}
