//! Handling a BYE allocates nothing (issue 3; issue 5 adds dispatch). A counting global
//! allocator counts allocations made by this thread between two points; counts are
//! deterministic where times are not.

use cpm_pf::{Config, Input, Kind, Leg, Method, Policy, Session, Time};

#[path = "common/counting.rs"]
mod counting;
use counting::{count as allocations, live_bytes};

const BENCH_REASON: &str = "SIP;cause=503;text=\"Service Unavailable\"";

#[test]
fn handling_a_bye_allocates_nothing() {
    let t = Time::from_unix_secs(1_000);
    // Branch 1 (client leaves, Reason propagated) and its completion.
    let mut s = Session::new(Config::default(), t).unwrap();
    let reasons = ["SIP;cause=200;text=\"Call completed\""];
    let (actions, n) =
        allocations(|| s.handle(Input::ByeReceived { leg: Leg::Client, reasons: &reasons }, t));
    assert_eq!(actions.len(), 2, "{actions:?}");
    assert_eq!(n, 0, "branch 1 BYE allocated");
    drop(actions);
    let (actions, n) = allocations(|| {
        s.handle(Input::ResponseReceived { leg: Leg::Remote, status: 200, method: Method::Bye }, t)
    });
    assert!(s.is_terminated(), "{actions:?}");
    assert_eq!(n, 0, "BYE response allocated");

    // Branch 4x with the bench message's Reason, branch 2, and branch 3 with several IWFs.
    for (config, leg) in [
        (Config::default(), Leg::Client),
        (Config::default(), Leg::Remote),
        (
            {
                let mut c = Config::default();
                c.iwfs = 3;
                c
            },
            Leg::Iwf(2),
        ),
        (
            {
                let mut c = Config::default();
                c.iwfs = 2;
                c.policy = Policy::IWF_BYE_CLOSES_STREAMS;
                c
            },
            Leg::Iwf(1),
        ),
    ] {
        let mut s = Session::new(config, t).unwrap();
        let reasons = [BENCH_REASON];
        let (actions, n) = allocations(|| s.handle(Input::ByeReceived { leg, reasons: &reasons }, t));
        assert!(!actions.is_empty());
        assert_eq!(n, 0, "BYE on {leg} allocated: {actions:?}");
    }

    // Branch 4i: remaining in a group after a connection loss.
    let mut c = Config::default();
    c.kind = Kind::Group;
    c.policy = Policy::LONG_LIVED_RESTART;
    let mut s = Session::new(c, t).unwrap();
    let reasons = [BENCH_REASON];
    let (actions, n) =
        allocations(|| s.handle(Input::ByeReceived { leg: Leg::Client, reasons: &reasons }, t));
    assert_eq!(actions.len(), 3, "{actions:?}");
    assert_eq!(n, 0, "branch 4i allocated");
}

/// Issue 5: an idle session is at most 256 bytes itself, and with what it owns on the heap
/// (its configuration) stays within 512 bytes, so a million fit in 512 MiB.
#[test]
fn an_idle_session_is_small() {
    let size = std::mem::size_of::<Session>();
    assert!(size <= 256, "size_of::<Session>() = {size}");
    // What every idle session costs whatever its identifiers: itself and its boxed
    // configuration (the identity strings come on top, as long as they are). 288 in issue 16
    // (the configuration names the focus, the object profile and the participants bound, MS-1,
    // MS-5, beside the optional identities of EMB-1); 256 again since issue 13's round (the
    // FT-1c wait in the rarely allocated part, the session's two flags in one byte).
    let fixed = size + std::mem::size_of::<Config>();
    assert!(fixed <= 256, "an idle session's fixed part is {fixed} bytes ({size} + Config)");
    let t = Time::from_unix_secs(1_000);
    const N: usize = 1000;
    let before = live_bytes();
    let sessions: Vec<Session> = (0..N)
        .map(|i| {
            let mut c = Config::default();
            c.kind = if i % 2 == 0 { Kind::Group } else { Kind::OneToOne };
            c.contribution_id = Some(format!("0a1b2c3d-4e5f-6071-8293-{i:012}").into());
            c.peer = Some("sip:+15551234567@ims.example.com".into());
            Session::new(c, t).unwrap()
        })
        .collect();
    let heap = (live_bytes() - before) as usize - sessions.capacity() * size;
    let per_session = size + heap / N;
    assert!(
        per_session <= 512,
        "an idle session takes {per_session} bytes ({size} + {} on the heap)",
        heap / N
    );
}

/// `Session::handle` returns its `Actions` by value and every action is written whole: an
/// `Action` stays at most 104 bytes (it was 128 while `Defer` carried its message inline) and
/// `Actions`, with its five inline actions, at most 530 (was 776 with six). Five is what the
/// zero-allocation tests above need: a client's BYE with four IWFs is five actions.
#[test]
fn actions_are_small() {
    use cpm_pf::{Action, Actions};
    let action = std::mem::size_of::<Action<'static>>();
    let actions = std::mem::size_of::<Actions<'static>>();
    // 104 since issue 16: a `Folder` carries its Conversation-ID, which names the IMAP mailbox
    // (MS-8), so a `Store` is one word longer.
    assert!(action <= 104, "size_of::<Action>() = {action}");
    assert!(actions <= 530, "size_of::<Actions>() = {actions}");
}

/// The benchmark messages (`benches/data/`, from shared/bench-data) as a stack hands them over:
/// every header field as a name/value pair.
fn fields(message: &'static [u8]) -> Vec<(&'static str, &'static str)> {
    let text = core::str::from_utf8(message).unwrap();
    let head = text.split("\r\n\r\n").next().unwrap();
    head.split("\r\n").skip(1).filter_map(|l| l.split_once(':')).map(|(n, v)| (n.trim(), v.trim())).collect()
}

#[test]
fn the_bench_bye_from_its_header_fields_allocates_nothing() {
    use core::ops::ControlFlow;
    use cpm_pf::headers::{names, SipHeaders};

    let headers = fields(include_bytes!("../benches/data/bye.sip"));
    assert_eq!(headers.len(), 10);
    let t = Time::from_unix_secs(1_000);
    // Every branch the `bye` bench times: (config, leg).
    let group = || {
        let mut c = Config::default();
        c.kind = Kind::Group;
        c.policy = Policy::LONG_LIVED_RESTART;
        c
    };
    let iwfs = |n: u8, policy: Policy| {
        let mut c = Config::default();
        c.iwfs = n;
        c.policy = policy;
        c
    };
    let cases = [
        (Config::default(), Leg::Client),
        (Config::default(), Leg::Remote),
        (iwfs(2, Policy::IWF_BYE_CLOSES_STREAMS), Leg::Iwf(1)),
        (iwfs(2, Policy::empty()), Leg::Iwf(1)),
        (iwfs(3, Policy::empty()), Leg::Client),
        (group(), Leg::Client),
    ];
    for (config, leg) in cases {
        let mut s = Session::new(config, t).unwrap();
        let (len, n) = allocations(|| {
            let mut reasons = [""; 4];
            let mut k = 0;
            headers.for_each(&names::REASON, &mut |v| {
                reasons[k] = v;
                k += 1;
                ControlFlow::Continue(())
            });
            let actions = s.handle(Input::ByeReceived { leg, reasons: &reasons[..k] }, t);
            actions.len()
        });
        assert!(len > 0);
        assert_eq!(n, 0, "the bench BYE on {leg} allocated");
    }
}

#[test]
fn routing_the_bench_invite_allocates_nothing() {
    let headers = fields(include_bytes!("../benches/data/invite.sip"));
    assert_eq!(headers.len(), 15);
    let (r, n) = allocations(|| cpm_pf::route(Method::Invite, &headers, Policy::SKIP_SERVICES_ON_IARI));
    assert_eq!(r.unwrap().procedure, cpm_pf::Procedure::SessionInvitation);
    assert_eq!(n, 0, "route allocated");
}

/// The BYE fan-out walks the leg table instead of building a list of target legs: with four
/// IWFs the client's BYE (release + four BYEs) and an IWF's BYE (three BYEs) still allocate
/// nothing (the list allocated from four IWFs on).
#[test]
fn fan_out_to_four_iwfs_allocates_nothing() {
    let t = Time::from_unix_secs(1_000);
    for leg in [Leg::Client, Leg::Iwf(3)] {
        let mut c = Config::default();
        c.iwfs = 4;
        let mut s = Session::new(c, t).unwrap();
        let reasons = [BENCH_REASON];
        let (actions, n) = allocations(|| s.handle(Input::ByeReceived { leg, reasons: &reasons }, t));
        let byes = actions.iter().filter(|a| matches!(a, cpm_pf::Action::SendBye { .. })).count();
        // From the client: the four IWFs; from iwf3: the client and the three other IWFs.
        assert_eq!(byes, 4, "{actions:?}");
        assert_eq!(n, 0, "BYE on {leg} with four IWFs allocated");
    }
}

/// ML-5: steady-state MSRP relay allocates nothing per chunk. A 64 KiB message in 2 KiB chunks
/// from bytes in on `remote`, relayed to the client, its `200` answers read back, reassembled
/// for recording: after the first chunks (buffers grown, the message's reassembly buffer made),
/// a chunk in, its answer, its relay, the client's `200` and the draining of both legs
/// allocate nothing.
#[test]
fn steady_state_msrp_relay_allocates_nothing_per_chunk() {
    use cpm_pf::msrp::frame::{write_request, write_response};
    use cpm_pf::msrp::Continuation;
    use cpm_pf::Preferences;
    let t = Time::from_unix_secs(1_000);
    let mut c = Config::default();
    c.prefs = Preferences::ALLOW_OFFLINE_STORAGE;
    c.peer = Some("sip:peer@example.com".into());
    let mut s = Session::new(c, t).unwrap();
    let (cl, cr) = ("msrp://pf.example:2855/client;tcp", "msrp://client.example:2855/s;tcp");
    let (rl, rr) = ("msrp://pf.example:2855/remote;tcp", "msrp://remote.example:2855/s;tcp");
    s.set_msrp_leg(Leg::Client, cl, cr).unwrap();
    s.set_msrp_leg(Leg::Remote, rl, rr).unwrap();
    const CHUNK: usize = 2048;
    const TOTAL: usize = 64 * 1024;
    let body = vec![b'a'; CHUNK];
    let frames: Vec<Vec<u8>> = (0..TOTAL / CHUNK)
        .map(|i| {
            let range = format!("{}-{}/{TOTAL}", i * CHUNK + 1, (i + 1) * CHUNK);
            let flag = if (i + 1) * CHUNK == TOTAL { Continuation::Complete } else { Continuation::More };
            let mut v = Vec::new();
            let h =
                [("Message-ID", "big-0001"), ("Byte-Range", range.as_str()), ("Content-Type", "text/plain")];
            write_request(&mut v, &format!("rq{i:06}"), "SEND", rl, rr, h, Some(&body), flag);
            v
        })
        .collect();
    let mut answer = Vec::with_capacity(256);
    let mut sink = Vec::with_capacity(8192);
    let step = |s: &mut Session, frame: &[u8], answer: &mut Vec<u8>, sink: &mut Vec<u8>| {
        let out = s.handle(Input::MsrpBytes { leg: Leg::Remote, bytes: frame }, t);
        drop(out);
        // The relayed chunk's transaction id, from the bytes the session wrote on the client leg.
        let tid = {
            let bytes = s.poll_msrp_transmit(Leg::Client).unwrap();
            let end = bytes.iter().skip(5).position(|&b| b == b' ').unwrap() + 5;
            answer.clear();
            let tid = core::str::from_utf8(&bytes[5..end]).unwrap();
            write_response(answer, tid, 200, cl, cr);
            sink.clear();
            sink.extend_from_slice(bytes);
            sink.len()
        };
        s.msrp_transmitted(Leg::Client, tid);
        let n = s.poll_msrp_transmit(Leg::Remote).map_or(0, <[u8]>::len);
        s.msrp_transmitted(Leg::Remote, n);
        let out = s.handle(Input::MsrpBytes { leg: Leg::Client, bytes: answer }, t);
        drop(out);
    };
    for frame in &frames[..4] {
        step(&mut s, frame, &mut answer, &mut sink);
    }
    let last = frames.len() - 1;
    let ((), n) = allocations(|| {
        for frame in &frames[4..last] {
            step(&mut s, frame, &mut answer, &mut sink);
        }
    });
    assert_eq!(n, 0, "{} chunks in steady state allocated {n} times", last - 4);
}
