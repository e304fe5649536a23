//! Random input sequences against the session machine, checked by the shared invariant checker
//! (issue 3): every BYE received is answered exactly once, media is released at most once and
//! every leg by `terminated`, nothing but 481 after `terminated`, nothing stored twice, bounded
//! buffers, and the same inputs give the same actions.

use cpm_pf::invariants::InvariantChecker;
use cpm_pf::msrp::{Continuation, SendRequest};
use cpm_pf::{Config, Input, Kind, Leg, Method, ObjectRef, Policy, Preferences, Role, Session, Side, Time};
use proptest::prelude::*;
use std::time::Duration;

const REASONS: &[&str] = &[
    "SIP;cause=200;text=\"Call completed\"",
    "SIP;cause=410;text=\"Gone\"",
    "SIP;cause=480",
    "SIP ;cause=503 ;text=\"Service Unavailable\"",
    "Q.850;cause=16",
    "RELEASE_CAUSE;cause=1",
    "RELEASE_CAUSE;cause=4",
    "SIP;cause=\"unterminated",
    ";;;",
    "SIP;cause=200, Q.850;cause=16",
];

#[derive(Debug, Clone)]
enum Op {
    Bye { leg: u8, reasons: Vec<usize> },
    Response { leg: u8, status: u16, method: u8 },
    Timeout { leg: u8 },
    Request { leg: u8, method: u8, se: Option<u32> },
    Msrp { leg: u8, id: u8, start: u64, len: u8, total: Option<u64>, flag: u8 },
    Delivered { id: u8 },
    Stored { object: u8, ok: bool },
    Advance { secs: u16 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u8..5, prop::collection::vec(0..REASONS.len(), 0..3)).prop_map(|(leg, reasons)| Op::Bye { leg, reasons }),
        3 => (0u8..5, prop::sample::select(vec![200u16, 200, 481, 408, 487, 500, 180]), 0u8..3)
            .prop_map(|(leg, status, method)| Op::Response { leg, status, method }),
        1 => (0u8..5).prop_map(|leg| Op::Timeout { leg }),
        2 => (0u8..5, 0u8..3, prop::option::of(0u32..200)).prop_map(|(leg, method, se)| Op::Request { leg, method, se }),
        3 => (0u8..5, 0u8..4, 1u64..12, 0u8..8, prop::option::of(1u64..12), 0u8..4)
            .prop_map(|(leg, id, start, len, total, flag)| Op::Msrp { leg, id, start, len, total, flag }),
        1 => (0u8..4).prop_map(|id| Op::Delivered { id }),
        1 => (0u8..5, any::<bool>()).prop_map(|(object, ok)| Op::Stored { object, ok }),
        2 => (0u16..120).prop_map(|secs| Op::Advance { secs }),
    ]
}

fn config() -> impl Strategy<Value = Config> {
    (
        any::<bool>(),
        0u8..3,
        any::<bool>(),
        0u8..4,
        0u8..8,
        0u8..16,
        prop::option::of(1u64..400),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(proxy, kind, term, iwfs, prefs, policy, se, exists, in_session)| {
            let mut c = Config::default();
            c.role = if proxy { Role::Proxy } else { Role::B2bua };
            c.kind = [Kind::OneToOne, Kind::Group, Kind::FileTransfer][usize::from(kind)];
            c.side = if term { Side::Terminating } else { Side::Originating };
            c.iwfs = if proxy { 0 } else { iwfs };
            c.prefs = Preferences::from_bits_truncate(prefs);
            c.policy = Policy::from_bits_truncate(policy);
            c.session_expires = se.map(Duration::from_secs);
            c.history_folder_exists = exists;
            c.ft_in_session = in_session;
            c.limits.max_message = 16;
            c.limits.max_partial = 2;
            c.limits.max_buffered = 24;
            c
        })
}

fn leg_of(config: &Config, i: u8) -> Leg {
    match i {
        0 => Leg::Client,
        4 => Leg::Iwf(9), // a leg no session here has
        k if config.iwfs == 0 => {
            if k == 1 {
                Leg::Remote
            } else {
                Leg::Client
            }
        }
        k => Leg::Iwf(1 + (k - 1) % config.iwfs),
    }
}

fn msg_id(leg: Leg, id: u8) -> String {
    // Distinct per leg: the checker keys stored objects by Message-ID.
    format!("{leg}-msg-{id}")
}

/// Runs `ops`, checking invariants after every step; returns the transcript.
fn run(config: &Config, ops: &[Op]) -> Result<Vec<String>, TestCaseError> {
    let mut now = Time::from_unix_secs(1_767_225_600);
    let mut session = Session::new(config.clone(), now).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut checker = InvariantChecker::new(session.config());
    let mut transcript = Vec::new();
    let bodies = [b"abcdefghijklmnop".as_slice(), b"0123456789abcdef"];
    for op in ops {
        let reasons: Vec<&str>;
        let ids: Vec<String>;
        let headers: Vec<(&str, &str)>;
        let se_text: String;
        let input = match op {
            Op::Bye { leg, reasons: r } => {
                reasons = r.iter().map(|&i| REASONS[i]).collect();
                Input::ByeReceived { leg: leg_of(config, *leg), reasons: &reasons }
            }
            Op::Response { leg, status, method } => Input::ResponseReceived {
                leg: leg_of(config, *leg),
                status: *status,
                method: [Method::Bye, Method::Invite, Method::Subscribe][usize::from(*method)],
            },
            Op::Timeout { leg } => {
                Input::TransactionTimeout { leg: leg_of(config, *leg), method: Method::Bye }
            }
            Op::Request { leg, method, se } => {
                se_text = se.map_or_else(String::new, |s| s.to_string());
                headers = if se.is_some() { vec![("Session-Expires", se_text.as_str())] } else { vec![] };
                Input::RequestReceived {
                    leg: leg_of(config, *leg),
                    method: [Method::Invite, Method::Update, Method::Refer][usize::from(*method)],
                    headers: &headers,
                    body: b"",
                }
            }
            Op::Msrp { leg, id, start, len, total, flag } => {
                let leg = leg_of(config, *leg);
                ids = vec![msg_id(leg, *id)];
                let body = &bodies[usize::from(*id % 2)][..usize::from(*len)];
                let end = start + u64::from(*len);
                let range = match total {
                    Some(t) => format!("{start}-{}/{t}", end.saturating_sub(1).max(*start)),
                    None => format!("{start}-*/*"),
                };
                let range: &'static str = Box::leak(range.into_boxed_str());
                Input::MsrpSend {
                    leg,
                    send: SendRequest {
                        message_id: Some(&ids[0]),
                        byte_range: Some(range),
                        continuation: [b'$', b'+', b'#', b'x']
                            .get(usize::from(*flag))
                            .and_then(|f| Continuation::from_flag(*f)),
                        content_type: Some("text/plain"),
                        body,
                    },
                }
            }
            Op::Delivered { id } => {
                let text = msg_id(Leg::Remote, *id);
                Input::Delivered {
                    message_id: text.parse().map_err(|e| TestCaseError::fail(format!("{e}")))?,
                }
            }
            Op::Stored { object, ok } => {
                let object = match object {
                    0 => ObjectRef::SessionInfo,
                    1 => ObjectRef::GroupState,
                    2 | 3 => ObjectRef::FtHistory,
                    _ => ObjectRef::ChatMessage(
                        "remote-msg-0".parse().map_err(|e| TestCaseError::fail(format!("{e}")))?,
                    ),
                };
                if *ok {
                    Input::Stored { object, uid: "uid-1" }
                } else {
                    Input::StoreFailed { object }
                }
            }
            Op::Advance { secs } => {
                now = now + Duration::from_secs(u64::from(*secs));
                let actions = session.handle_timeout(now);
                checker.actions(&actions, &session);
                transcript.push(format!("{op:?} => {actions:?}"));
                continue;
            }
        };
        checker.input(&input);
        let actions = session.handle(input, now);
        checker.actions(&actions, &session);
        transcript.push(format!("{op:?} => {actions:?}"));
        prop_assert!(
            checker.violations().is_empty(),
            "violations {:?}\nconfig {config:?}\ntranscript:\n{}",
            checker.violations(),
            transcript.join("\n")
        );
    }
    // Whatever is due now fires once; a repeated call at the same time does nothing.
    let due = session.handle_timeout(now);
    checker.actions(&due, &session);
    prop_assert!(
        checker.violations().is_empty(),
        "violations {:?} at the final timeout",
        checker.violations()
    );
    let again = session.handle_timeout(now);
    prop_assert!(
        again.iter().all(|a| matches!(a, cpm_pf::Action::Diagnostic(_))),
        "repeated timeout acted: {again:?}"
    );
    Ok(transcript)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_for_any_input_sequence(config in config(), ops in prop::collection::vec(op(), 0..40)) {
        run(&config, &ops)?;
    }

    #[test]
    fn same_inputs_give_same_actions(config in config(), ops in prop::collection::vec(op(), 0..30)) {
        let a = run(&config, &ops)?;
        let b = run(&config, &ops)?;
        prop_assert_eq!(a, b);
    }
}

/// REC-5i through the session: whatever the split of a message into chunks and whatever their
/// arrival order, the session stores the same bytes as for the message sent in one chunk.
fn stored_after(chunks: &[(u64, u64, bool, Vec<u8>)], total: u64) -> Result<Vec<Vec<u8>>, TestCaseError> {
    let mut c = Config::default();
    c.prefs = Preferences::ALLOW_OFFLINE_STORAGE;
    c.policy = Policy::LIVE_RECORDING;
    let t = Time::from_unix_secs(1_767_225_600);
    let mut s = Session::new(c, t).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut stored = Vec::new();
    for (start, end, last, body) in chunks {
        let range = format!("{start}-{end}/{total}");
        let input = Input::MsrpSend {
            leg: Leg::Client,
            send: SendRequest {
                message_id: Some("split-0001"),
                byte_range: Some(&range),
                continuation: Some(if *last { Continuation::Complete } else { Continuation::More }),
                content_type: Some("text/plain"),
                body,
            },
        };
        for a in s.handle(input, t) {
            if let cpm_pf::Action::Store { content, .. } = a {
                stored.push(content);
            }
        }
    }
    Ok(stored)
}

proptest! {
    #[test]
    fn any_split_and_order_stores_the_same_bytes(
        body in prop::collection::vec(any::<u8>(), 1..400),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..8),
        order in any::<prop::sample::Index>(),
    ) {
        let total = body.len() as u64;
        let whole = stored_after(&[(1, total, true, body.clone())], total)?;
        prop_assert_eq!(whole.len(), 1);
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(body.len())).filter(|&p| p > 0).collect();
        points.push(0);
        points.push(body.len());
        points.sort_unstable();
        points.dedup();
        let mut chunks: Vec<(u64, u64, bool, Vec<u8>)> = points
            .windows(2)
            .map(|w| (w[0] as u64 + 1, w[1] as u64, w[1] == body.len(), body[w[0]..w[1]].to_vec()))
            .collect();
        // A deterministic shuffle driven by `order`.
        let n = chunks.len();
        let k = order.index(n.max(1));
        chunks.rotate_left(k);
        if n > 2 {
            chunks.swap(0, n - 1);
        }
        let split = stored_after(&chunks, total)?;
        prop_assert_eq!(split, whole);
    }
}
