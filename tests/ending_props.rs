//! Properties of the end of a session (issue 13, behaviours 1 and 2):
//!
//! - BYE-P1 (decision): a proxy's session is `terminated` only when every BYE it forwarded has
//!   had its final response (or timeout) forwarded back; with crossing BYEs, after the last one.
//! - docs/requirements.md branch 4 (decision): an INVITE or REFER received once the end of the session is
//!   decided changes nothing: not a first INVITE, not a re-join, not a refresh, nothing recorded.
//!   The run with such a request injected gives, step for step, the actions of the run without.

use cpm_pf::{
    Action, Config, Diagnostic, IgnoredInput, IgnoredWhy, Input, Kind, Leg, Method, Preferences, Role,
    Session, Side, Time,
};
use proptest::prelude::*;

const T0: Time = Time::from_unix_secs(1_767_225_600);

/// One step of a proxy script: a BYE received on a leg, or a final response (or a timeout) on a
/// leg for the BYE the proxy forwarded there.
#[derive(Debug, Clone, Copy)]
enum ProxyOp {
    Bye(Leg),
    Response(Leg, u16),
    Timeout(Leg),
}

fn leg() -> impl Strategy<Value = Leg> {
    prop_oneof![Just(Leg::Client), Just(Leg::Remote)]
}

fn proxy_op() -> impl Strategy<Value = ProxyOp> {
    prop_oneof![
        2 => leg().prop_map(ProxyOp::Bye),
        3 => (leg(), prop::sample::select(vec![200u16, 481, 487, 500])).prop_map(|(l, s)| ProxyOp::Response(l, s)),
        1 => leg().prop_map(ProxyOp::Timeout),
    ]
}

fn other(leg: Leg) -> Leg {
    if leg == Leg::Client {
        Leg::Remote
    } else {
        Leg::Client
    }
}

fn slot(leg: Leg) -> usize {
    usize::from(leg != Leg::Client)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    /// A model of the forwarded BYEs (per destination leg, how many await their answer) decides
    /// every step: what is forwarded, and that `terminated` comes exactly once, in the step that
    /// answers the last outstanding BYE, never while one is still outstanding.
    #[test]
    fn proxy_terminates_after_the_last_crossing_bye_is_answered(ops in prop::collection::vec(proxy_op(), 1..24)) {
        let mut config = Config::default();
        config.role = Role::Proxy;
        let mut session = Session::new(config, T0).unwrap();
        // BYEs forwarded to each leg (client, remote) and not answered yet.
        let mut awaiting = [0u32; 2];
        let mut terminated = false;
        for op in ops {
            let reasons = ["SIP;cause=200;text=\"Call completed\""];
            let (input, expected): (Input<'_>, Option<Action<'_>>) = match op {
                ProxyOp::Bye(from) => {
                    awaiting[slot(other(from))] += 1;
                    let sent = Action::SendBye { leg: other(from), reasons: reasons.iter().map(|r| (*r).into()).collect() };
                    (Input::ByeReceived { leg: from, reasons: &reasons }, Some(sent))
                }
                ProxyOp::Response(at, _) | ProxyOp::Timeout(at) => {
                    let status = status_of(op).unwrap_or(408);
                    let input = match op {
                        ProxyOp::Timeout(_) => Input::TransactionTimeout { leg: at, method: Method::Bye },
                        _ => Input::ResponseReceived { leg: at, status, method: Method::Bye },
                    };
                    // Forwarded back (a timeout as 408) only when a BYE awaits its answer there.
                    let expected = (awaiting[slot(at)] > 0).then(|| {
                        awaiting[slot(at)] -= 1;
                        Action::SendResponse { leg: other(at), status, method: Method::Bye, message_uid: None }
                    });
                    (input, expected)
                }
            };
            let actions: Vec<Action<'_>> = session.handle(input, T0).into_iter().collect();
            let forwarded: Vec<&Action<'_>> = actions
                .iter()
                .filter(|a| matches!(a, Action::SendBye { .. } | Action::SendResponse { .. }))
                .collect();
            prop_assert_eq!(forwarded, expected.iter().collect::<Vec<_>>(), "{:?}", op);
            let ends_now = actions.iter().any(|a| matches!(a, Action::Terminated));
            let should_end = !terminated && awaiting == [0, 0] && matches!(op, ProxyOp::Response(..) | ProxyOp::Timeout(_)) && expected.is_some();
            prop_assert_eq!(ends_now, should_end, "terminated at {:?} with {:?} awaiting", op, awaiting);
            let touched = actions.iter().any(|a| matches!(a, Action::ReleaseMedia { .. } | Action::Store { .. }));
            prop_assert!(!touched, "a proxy releases no media and stores nothing");
            terminated |= ends_now;
        }
    }
}

fn status_of(op: ProxyOp) -> Option<u16> {
    match op {
        ProxyOp::Response(_, s) => Some(s),
        ProxyOp::Bye(_) | ProxyOp::Timeout(_) => None,
    }
}

/// One step after the end was decided.
#[derive(Debug, Clone, Copy)]
enum LateOp {
    Response(Leg, u16),
    Timeout(Leg),
    Bye(Leg),
    Advance(u64),
    Chunk(Leg, u8),
}

fn late_op() -> impl Strategy<Value = LateOp> {
    let leg = prop_oneof![Just(Leg::Client), Just(Leg::Remote)];
    prop_oneof![
        3 => (leg.clone(), prop::sample::select(vec![200u16, 481, 408])).prop_map(|(l, s)| LateOp::Response(l, s)),
        1 => leg.clone().prop_map(LateOp::Timeout),
        1 => leg.clone().prop_map(LateOp::Bye),
        1 => (1u64..10).prop_map(LateOp::Advance),
        1 => (leg, any::<u8>()).prop_map(|(l, n)| LateOp::Chunk(l, n)),
    ]
}

/// What starts the end: a BYE from the remote (branch 2), from the client (branch 1, BYE-R8
/// included), or the session timer running out (ST-2). Each decides the end at once (a
/// connection loss may not: the PF may remain, and then a client INVITE is a re-join).
#[derive(Debug, Clone, Copy)]
enum Ender {
    Remote(&'static str),
    Client(&'static str),
    Expiry,
}

fn ender() -> impl Strategy<Value = Ender> {
    prop_oneof![
        Just(Ender::Remote("SIP;cause=410;text=\"Gone\"")),
        Just(Ender::Remote("SIP;cause=480")),
        Just(Ender::Client("SIP;cause=200")),
        Just(Ender::Client("RELEASE_CAUSE;cause=1")),
        Just(Ender::Expiry),
    ]
}

fn config_for(kind: Kind, side: Side, prefs: u8) -> Config {
    let mut c = Config::default();
    c.kind = kind;
    c.side = side;
    c.prefs = Preferences::from_bits_truncate(prefs);
    c.session_expires = Some(std::time::Duration::from_secs(600));
    c.contribution_id = Some("configured-cid".into());
    c.peer = Some("sip:bob@example.com".into());
    c
}

const LATE_HEADERS: [(&str, &str); 5] = [
    ("From", "<sip:mallory@example.com>"),
    ("To", "<sip:late@example.com>"),
    ("Contribution-ID", "late-invite-cid"),
    ("Session-Expires", "90"),
    ("Refer-To", "<sip:late@example.com;method=INVITE>"),
];

/// Runs the session through `ops`; with `inject = Some((k, method))` an INVITE or REFER on the
/// client leg is handed over before op `k`. Returns the actions of every step but the injected
/// one, and the injected step's actions.
fn run(
    config: &Config,
    first_invite: bool,
    end: Ender,
    ops: &[LateOp],
    inject: Option<(usize, Method)>,
) -> (Vec<String>, Option<Vec<String>>) {
    let mut s = Session::new(config.clone(), T0).unwrap();
    let mut now = T0;
    let mut trace = Vec::new();
    let mut injected = None;
    fn record(actions: cpm_pf::Actions<'_>, trace: &mut Vec<String>) {
        trace.push(format!("{:?}", actions.as_slice()));
    }
    if first_invite {
        let headers = [
            ("From", "<sip:alice@example.com>"),
            ("To", "<sip:bob@example.com>"),
            ("Contribution-ID", "configured-cid"),
        ];
        let a = s.handle(
            Input::RequestReceived {
                leg: Leg::Client,
                method: Method::Invite,
                headers: &headers,
                body: b"v=0\r\n",
            },
            now,
        );
        record(a, &mut trace);
    }
    let reasons_holder;
    match end {
        Ender::Remote(r) | Ender::Client(r) => {
            reasons_holder = [r];
            let leg = if matches!(end, Ender::Remote(_)) { Leg::Remote } else { Leg::Client };
            record(s.handle(Input::ByeReceived { leg, reasons: &reasons_holder }, now), &mut trace);
        }
        Ender::Expiry => {
            now = s.poll_timeout().unwrap_or(now);
            record(s.handle_timeout(now), &mut trace);
        }
    }
    for (k, op) in ops.iter().enumerate() {
        if let Some((_, method)) = inject.filter(|&(at, _)| at == k) {
            injected = Some(late_request(&mut s, method, now));
        }
        let id = format!("late{:04}", k);
        let body = vec![
            b'x';
            1 + usize::from(match op {
                LateOp::Chunk(_, n) => *n,
                _ => 0,
            })
        ];
        let reasons = ["SIP;cause=200"];
        // Rendered in each arm: `Action<'a>` is invariant in `'a` (SmallVec), so the arms'
        // borrowed and `'static` actions do not unify.
        let a: String = match *op {
            LateOp::Response(leg, status) => format!(
                "{:?}",
                s.handle(Input::ResponseReceived { leg, status, method: Method::Bye }, now).as_slice()
            ),
            LateOp::Timeout(leg) => {
                format!(
                    "{:?}",
                    s.handle(Input::TransactionTimeout { leg, method: Method::Bye }, now).as_slice()
                )
            }
            LateOp::Bye(leg) => {
                format!("{:?}", s.handle(Input::ByeReceived { leg, reasons: &reasons }, now).as_slice())
            }
            LateOp::Advance(secs) => {
                now = now + std::time::Duration::from_secs(secs);
                format!("{:?}", s.handle_timeout(now).as_slice())
            }
            LateOp::Chunk(leg, _) => format!(
                "{:?}",
                s.handle(
                    Input::MsrpSend {
                        leg,
                        send: cpm_pf::msrp::SendRequest {
                            message_id: Some(&id),
                            byte_range: None,
                            continuation: Some(cpm_pf::msrp::Continuation::Complete),
                            content_type: Some("text/plain"),
                            body: &body,
                        },
                    },
                    now,
                )
                .as_slice()
            ),
        };
        trace.push(a);
    }
    // After the last input, too: the session may have terminated by then.
    if let Some((_, method)) = inject.filter(|&(at, _)| at == ops.len()) {
        injected = Some(late_request(&mut s, method, now));
    }
    (trace, injected)
}

/// Hands the late INVITE or REFER to `s` and returns what it did.
fn late_request(s: &mut Session, method: Method, now: Time) -> Vec<String> {
    let late = Input::RequestReceived {
        leg: Leg::Client,
        method,
        headers: &LATE_HEADERS,
        body: b"v=0\r\no=late\r\n",
    };
    s.handle(late, now).iter().map(|x| format!("{x:?}")).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// An INVITE or REFER (with `method=INVITE`) injected at any point once the end is decided
    /// is reported as ignored and changes nothing: every other step's actions are those of the
    /// run without it, so nothing it carries (its Contribution-ID, its Session-Expires, its SDP)
    /// is recorded, and no session info object is created from it.
    #[test]
    fn a_late_invite_or_refer_changes_nothing(
        kind in prop::sample::select(vec![Kind::OneToOne, Kind::Group, Kind::FileTransfer]),
        side in prop::sample::select(vec![Side::Originating, Side::Terminating]),
        prefs in 0u8..8,
        first_invite in any::<bool>(),
        end in ender(),
        ops in prop::collection::vec(late_op(), 0..10),
        at in any::<prop::sample::Index>(),
        refer in any::<bool>(),
    ) {
        let config = config_for(kind, side, prefs);
        let k = at.index(ops.len() + 1);
        let method = if refer { Method::Refer } else { Method::Invite };
        let (plain, _) = run(&config, first_invite, end, &ops, None);
        let (with, injected) = run(&config, first_invite, end, &ops, Some((k, method)));
        prop_assert_eq!(&plain, &with, "the late {:?} at step {} changed what followed", method, k);
        // The request is handed over at every position, the last (after every input) included.
        let injected = injected.expect("the late request was handed over");
        prop_assert_eq!(injected.len(), 1, "{:?}", injected);
        let ending = format!("{:?}", Action::Diagnostic(Diagnostic::Ignored { input: IgnoredInput::Request, why: IgnoredWhy::Ending }));
        let over = format!("{:?}", Action::Diagnostic(Diagnostic::Ignored { input: IgnoredInput::Request, why: IgnoredWhy::Terminated }));
        prop_assert!(injected[0] == ending || injected[0] == over, "{:?}", injected);
    }
}

/// The example that issue 13 reports: an INVITE that arrives while a BYE is being handled was
/// taken as the first INVITE, and a session info object was stored from it.
#[test]
fn an_invite_while_a_bye_is_handled_stores_no_session_info() {
    let mut c = Config::default();
    c.prefs = Preferences::ALLOW_OFFLINE_STORAGE;
    let mut s = Session::new(c, T0).unwrap();
    let bye = s.handle(Input::ByeReceived { leg: Leg::Client, reasons: &[] }, T0);
    assert!(bye.iter().any(|a| matches!(a, Action::SendBye { leg: Leg::Remote, .. })), "{bye:?}");
    let late = s.handle(
        Input::RequestReceived {
            leg: Leg::Client,
            method: Method::Invite,
            headers: &LATE_HEADERS,
            body: b"v=0\r\n",
        },
        T0,
    );
    assert_eq!(
        late.as_slice(),
        [Action::Diagnostic(Diagnostic::Ignored { input: IgnoredInput::Request, why: IgnoredWhy::Ending })]
    );
    let end = s.handle(Input::ResponseReceived { leg: Leg::Remote, status: 200, method: Method::Bye }, T0);
    assert!(
        !end.iter().any(|a| matches!(a, Action::Store { object: cpm_pf::ObjectRef::SessionInfo, .. })),
        "no session info from the late INVITE: {end:?}"
    );
    assert!(matches!(end.as_slice().last(), Some(Action::Terminated)), "{end:?}");
}
