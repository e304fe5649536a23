//! MSRP on the legs (ML-1 … ML-5), driven with bytes: chunk boundaries of the input do not
//! matter (every split point), deferred items go out in arrival order, each request is answered
//! at most once and the bounds hold whatever bytes arrive (proptest, with the invariant checker).

use cpm_pf::invariants::InvariantChecker;
use cpm_pf::msrp::frame::{write_request, write_response, FrameDecoder, StartLine};
use cpm_pf::msrp::Continuation;
use cpm_pf::{Action, Config, Diagnostic, Input, Kind, Leg, Preferences, Session, Time};
use proptest::prelude::*;

const T0: Time = Time::from_unix_secs(1_767_225_600);

fn local(leg: Leg) -> String {
    format!("msrp://pf.example:2855/{leg};tcp")
}

fn remote(leg: Leg) -> String {
    format!("msrp://{leg}.example:2855/s;tcp")
}

fn session(config: Config) -> Session {
    let mut s = Session::new(config, T0).unwrap();
    for leg in [Leg::Client, Leg::Remote] {
        s.set_msrp_leg(leg, &local(leg), &remote(leg)).unwrap();
    }
    s
}

fn recording() -> Config {
    let mut c = Config::default();
    c.prefs = Preferences::ALLOW_OFFLINE_STORAGE;
    c.peer = Some("sip:peer@example.com".into());
    c
}

/// A SEND from `leg`'s peer to the PF.
fn send(leg: Leg, tid: &str, id: &str, range: &str, flag: Continuation, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let headers = [("Message-ID", id), ("Byte-Range", range), ("Content-Type", "text/plain")];
    write_request(&mut out, tid, "SEND", &local(leg), &remote(leg), headers, Some(body), flag);
    out
}

/// Everything the session has to write on `leg`, taken.
fn take(s: &mut Session, leg: Leg) -> Vec<u8> {
    let mut all = Vec::new();
    while let Some(b) = s.poll_msrp_transmit(leg) {
        all.extend_from_slice(b);
        let n = b.len();
        s.msrp_transmitted(leg, n);
    }
    all
}

/// (start line, Message-ID, Byte-Range) of every frame in `bytes`.
fn frames(bytes: &[u8]) -> Vec<(String, Option<String>, Option<String>)> {
    let mut d = FrameDecoder::new(1 << 21);
    assert_eq!(d.push(bytes), bytes.len());
    let mut out = Vec::new();
    while let Some(f) = d.next_frame() {
        let f = f.expect("the session writes frames that parse");
        let start = match f.start {
            StartLine::Request(m) => m.as_str().to_owned(),
            StartLine::Response { status, .. } => status.to_string(),
        };
        out.push((start, f.message_id().map(str::to_owned), f.byte_range().map(str::to_owned)));
    }
    assert_eq!(d.buffered(), 0, "a frame cut short");
    out
}

/// The remote's stream: two chunks of one message, a frame with a bad Byte-Range, a REPORT for
/// a message never relayed, an unknown method, a frame for another session, a last message.
fn remote_stream() -> Vec<u8> {
    let r = Leg::Remote;
    let mut v = send(r, "ab000001", "msg-0001", "1-10/20", Continuation::More, b"0123456789");
    v.extend(send(r, "ab000002", "msg-0001", "11-20/20", Continuation::Complete, b"abcdefghij"));
    v.extend(send(r, "ab000003", "msg-0002", "0-1/1", Continuation::Complete, b"x"));
    write_request(
        &mut v,
        "ab000004",
        "REPORT",
        &local(r),
        &remote(r),
        [("Message-ID", "zzz-0001")],
        None,
        Continuation::Complete,
    );
    write_request(&mut v, "ab000005", "NOPE", &local(r), &remote(r), [], None, Continuation::Complete);
    write_request(
        &mut v,
        "ab000006",
        "SEND",
        "msrp://pf.example:2855/other;tcp",
        &remote(r),
        [("Message-ID", "msg-0003")],
        Some(b"y"),
        Continuation::Complete,
    );
    v.extend(send(r, "ab000007", "msg-0004", "1-3/3", Continuation::Complete, b"end"));
    v
}

/// What a session does with `pieces` of the remote's stream: the bytes it writes on each leg
/// and its actions other than `MsrpTransmit` (whose number follows the pieces).
fn run_pieces(pieces: &[&[u8]]) -> (Vec<u8>, Vec<u8>, Vec<String>) {
    let mut s = session(recording());
    let mut actions = Vec::new();
    for piece in pieces {
        let out = s.handle(Input::MsrpBytes { leg: Leg::Remote, bytes: piece }, T0);
        actions.extend(
            out.iter().filter(|a| !matches!(a, Action::MsrpTransmit { .. })).map(|a| format!("{a:?}")),
        );
    }
    (take(&mut s, Leg::Client), take(&mut s, Leg::Remote), actions)
}

#[test]
fn every_split_point_gives_the_same_bytes_out() {
    let stream = remote_stream();
    let whole = run_pieces(&[&stream]);
    let answers: Vec<String> = frames(&whole.1).into_iter().map(|f| f.0).collect();
    assert_eq!(answers, ["200", "200", "400", "501", "481", "200"], "REPORTs are not answered");
    let relayed = frames(&whole.0);
    assert_eq!(relayed.len(), 3, "{relayed:?}");
    assert_eq!(relayed[1], ("SEND".into(), Some("msg-0001".into()), Some("11-20/20".into())));
    for cut in 0..=stream.len() {
        let (a, b) = stream.split_at(cut);
        assert_eq!(run_pieces(&[a, b]), whole, "split at {cut}");
    }
    let bytes: Vec<&[u8]> = stream.chunks(1).collect();
    assert_eq!(run_pieces(&bytes), whole, "byte at a time");
}

#[test]
fn relayed_chunks_keep_their_body_and_flag_with_new_ids_and_the_targets_paths() {
    let mut s = session(recording());
    let bytes = send(Leg::Remote, "ab000001", "msg-0001", "1-5/10", Continuation::More, b"he\r\nl");
    let _ = s.handle(Input::MsrpBytes { leg: Leg::Remote, bytes: &bytes }, T0);
    let out = take(&mut s, Leg::Client);
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(text.starts_with("MSRP pf00000000 SEND\r\nTo-Path: msrp://client.example:2855/s;tcp\r\nFrom-Path: msrp://pf.example:2855/client;tcp\r\n"), "{text}");
    assert!(text.ends_with("\r\n\r\nhe\r\nl\r\n-------pf00000000+\r\n"), "{text}");
    assert!(
        text.contains("Message-ID: msg-0001\r\nByte-Range: 1-5/10\r\nContent-Type: text/plain\r\n"),
        "{text}"
    );
    let answer = String::from_utf8(take(&mut s, Leg::Remote)).unwrap();
    assert_eq!(
        answer,
        "MSRP ab000001 200 OK\r\nTo-Path: msrp://remote.example:2855/s;tcp\r\nFrom-Path: msrp://pf.example:2855/remote;tcp\r\n-------ab000001$\r\n"
    );
}

#[test]
fn deferred_items_go_to_the_re_joined_client_in_arrival_order() {
    let mut c = Config::default();
    c.kind = Kind::Group;
    c.prefs = Preferences::ALLOW_DEFER;
    c.contribution_id = Some("g7".into());
    let mut s = session(c);
    let reasons = ["SIP;cause=503;text=\"Service Unavailable\""];
    let _ = s.handle(Input::ByeReceived { leg: Leg::Client, reasons: &reasons }, T0);
    let ids = ["m3-00001", "m1-00001", "m2-00001"];
    for (i, id) in ids.iter().enumerate() {
        let bytes = send(Leg::Remote, &format!("ab00000{i}"), id, "1-2/2", Continuation::Complete, b"hi");
        let _ = s.handle(Input::MsrpBytes { leg: Leg::Remote, bytes: &bytes }, T0);
    }
    assert!(take(&mut s, Leg::Client).is_empty(), "nothing to a gone client");
    let invite: [(&str, &str); 0] = [];
    let out = s.handle(
        Input::RequestReceived {
            leg: Leg::Client,
            method: cpm_pf::Method::Invite,
            headers: &invite,
            body: b"",
        },
        T0,
    );
    assert!(out.iter().any(|a| matches!(a, Action::MsrpTransmit { leg: Leg::Client })));
    let sent: Vec<Option<String>> = frames(&take(&mut s, Leg::Client)).into_iter().map(|f| f.1).collect();
    assert_eq!(sent, ids.map(|i| Some(i.to_owned())));
}

#[test]
fn no_answer_is_a_deadline_of_poll_timeout() {
    let mut s = session(recording());
    let bytes = send(Leg::Remote, "ab000001", "msg-0001", "1-2/2", Continuation::Complete, b"hi");
    let _ = s.handle(Input::MsrpBytes { leg: Leg::Remote, bytes: &bytes }, T0);
    let deadline = s.poll_timeout().expect("the relayed chunk waits for its answer");
    assert_eq!(deadline, T0 + std::time::Duration::from_secs(30));
    assert!(s.handle_timeout(T0 + std::time::Duration::from_secs(29)).is_empty());
    let out = s.handle_timeout(deadline);
    assert!(
        out.iter().any(|a| matches!(a, Action::Diagnostic(Diagnostic::Delivery { failure: Some(_), .. }))),
        "{out:?}"
    );
    assert_eq!(s.poll_timeout(), None);
}

/// One step of a hostile peer: bytes on a leg (a frame, maybe cut short, or noise), the client
/// answering what was relayed to it with a status, or time passing.
#[derive(Debug, Clone)]
enum Step {
    Frame { client: bool, kind: u8, id: u8, len: usize, more: bool, cut: usize },
    Noise(bool, Vec<u8>),
    Answer(u16),
    Advance(u64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (any::<bool>(), 0..3u8, 0..3u8, 1..40usize, any::<bool>(), 0..50usize)
            .prop_map(|(client, kind, id, len, more, cut)| Step::Frame { client, kind, id, len, more, cut }),
        2 => (any::<bool>(), prop::collection::vec(any::<u8>(), 0..60)).prop_map(|(c, b)| Step::Noise(c, b)),
        2 => prop_oneof![Just(200u16), Just(486u16), Just(408u16)].prop_map(Step::Answer),
        1 => (0..40u64).prop_map(Step::Advance),
    ]
}

/// The bytes of a `Step::Frame`, with a transaction id of its own.
fn frame_bytes(leg: Leg, kind: u8, id: u8, len: usize, more: bool, tid: &str) -> Vec<u8> {
    let flag = if more { Continuation::More } else { Continuation::Complete };
    let body = vec![b'x'; len];
    let range = format!("1-{len}/{}", if more { len * 2 } else { len });
    match kind {
        0 => send(leg, tid, &format!("msg-{leg}-{id}"), &range, flag, &body),
        1 => {
            let mut v = Vec::new();
            let status = if more { "000 200 OK" } else { "000 486 Busy" };
            let headers = [
                ("Message-ID", format!("msg-remote-{id}")),
                ("Byte-Range", range),
                ("Status", status.to_owned()),
            ];
            write_request(
                &mut v,
                tid,
                "REPORT",
                &local(leg),
                &remote(leg),
                headers.iter().map(|(n, v)| (*n, v.as_str())),
                None,
                flag,
            );
            v
        }
        _ => format!("MSRP {tid} SEND\r\nTo-Path: msrp://x/y;tcp\r\n").into_bytes(),
    }
}

/// Reads what the PF wrote on one leg: response ids must be new (each request answered at most
/// once), request ids too (each relayed chunk has its own).
#[derive(Default)]
struct Wire {
    decoder: Option<FrameDecoder>,
    answered: Vec<String>,
    relayed: Vec<String>,
    unanswered: Vec<String>,
}

impl Wire {
    fn read(&mut self, bytes: &[u8]) {
        let d = self.decoder.get_or_insert_with(|| FrameDecoder::new(1 << 16));
        assert_eq!(d.push(bytes), bytes.len());
        while let Some(f) = d.next_frame() {
            let f = f.expect("the PF writes frames that parse");
            let tid = f.transaction_id.to_owned();
            match f.start {
                StartLine::Response { .. } => {
                    assert!(!self.answered.contains(&tid), "{tid} answered twice");
                    self.answered.push(tid);
                }
                StartLine::Request(_) => {
                    assert!(!self.relayed.contains(&tid), "{tid} used twice");
                    self.relayed.push(tid.clone());
                    self.unanswered.push(tid);
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Whatever bytes arrive: no panic, the invariant checker's promises (a delivery decided
    /// once, nothing written on a released leg, the ML-5 bounds) and, on the wire, each request
    /// answered at most once and each relayed chunk with its own transaction id.
    #[test]
    fn hostile_bytes_keep_the_promises(steps in prop::collection::vec(step(), 1..30)) {
        let mut config = recording();
        config.msrp_max_pending = 4;
        config.limits.max_message = 256;
        let mut s = session(config.clone());
        let mut checker = InvariantChecker::new(&config);
        let mut now = T0;
        let (mut client, mut far) = (Wire::default(), Wire::default());
        for (n, step) in steps.into_iter().enumerate() {
            let tid = format!("cq{n:06}");
            let (leg, bytes) = match step {
                Step::Frame { client, kind, id, len, more, cut } => {
                    let leg = if client { Leg::Client } else { Leg::Remote };
                    let mut b = frame_bytes(leg, kind, id, len, more, &tid);
                    b.truncate(b.len() - cut.min(b.len()));
                    (leg, b)
                }
                Step::Noise(c, b) => (if c { Leg::Client } else { Leg::Remote }, b),
                Step::Answer(status) => {
                    let mut b = Vec::new();
                    for t in client.unanswered.drain(..) {
                        write_response(&mut b, &t, status, &local(Leg::Client), &remote(Leg::Client));
                    }
                    (Leg::Client, b)
                }
                Step::Advance(secs) => {
                    now = now + std::time::Duration::from_secs(secs);
                    let actions = s.handle_timeout(now);
                    checker.actions(&actions, &s);
                    continue;
                }
            };
            let input = Input::MsrpBytes { leg, bytes: &bytes };
            checker.input(&input);
            let actions = s.handle(input, now);
            checker.actions(&actions, &s);
            client.read(&take(&mut s, Leg::Client));
            far.read(&take(&mut s, Leg::Remote));
        }
        prop_assert!(checker.violations().is_empty(), "{:?}", checker.violations());
    }
}

/// ML-4: "every chunk answered 200" is not "as many bytes answered as the message has": a
/// chunk the remote sends twice, answered twice, does not make a message whose second half
/// never came delivered.
#[test]
fn a_repeated_chunk_does_not_complete_a_delivery() {
    let mut s = session(recording());
    for tid in ["ab000001", "ab000002"] {
        let bytes = send(Leg::Remote, tid, "msg-0001", "1-6/10", Continuation::More, b"abcdef");
        let _ = s.handle(Input::MsrpBytes { leg: Leg::Remote, bytes: &bytes }, T0);
    }
    let relayed: Vec<String> = {
        let out = take(&mut s, Leg::Client);
        let mut d = FrameDecoder::new(1 << 16);
        d.push(&out);
        let mut tids = Vec::new();
        while let Some(f) = d.next_frame() {
            tids.push(f.unwrap().transaction_id.to_owned());
        }
        tids
    };
    assert_eq!(relayed.len(), 2);
    let mut answers = Vec::new();
    for tid in &relayed {
        write_response(&mut answers, tid, 200, &local(Leg::Client), &remote(Leg::Client));
    }
    let out = s.handle(Input::MsrpBytes { leg: Leg::Client, bytes: &answers }, T0);
    assert!(!out.iter().any(|a| matches!(a, Action::Diagnostic(Diagnostic::Delivery { .. }))), "{out:?}");
}
