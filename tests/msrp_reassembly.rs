//! Reassembly of MSRP chunks: one case per sentence of docs/requirements.md MSRP-1, the LIM-1 limits, and
//! REC-5i (a message is reassembled from all its chunks, out of order too). Expectations come
//! from RFC 4975 and docs/requirements.md.
//!
//! Most rules are checked by the tables [`MSRP1`] and [`LIM1`]: each case names the rule, the
//! limits, and the chunks fed in order, each with the outcome and the exact notes it must get
//! (and, where the rule says so, how many partial messages and buffered bytes remain). To add
//! a case, add a row.

mod common;

use std::ops::RangeInclusive;

use common::{chunk, typed, ABORT, LAST, MORE};
use cpm_pf::grammar::message_id::MessageId;
use cpm_pf::msrp::reassembly::{
    Limit, Limits, Malformed, Message, Note, Outcome, Reassembler, FINISHED_MEMORY,
};
use cpm_pf::msrp::SendRequest;
use cpm_pf::Leg;
use proptest::prelude::*;

fn complete(outcome: Outcome) -> Message {
    match outcome {
        Outcome::Complete(m) => m,
        other => panic!("expected a complete message, got {other:?}"),
    }
}

fn r() -> Reassembler {
    Reassembler::new(Limits::default())
}

fn over_limit(notes: &[Note]) -> Option<Limit> {
    notes.iter().find_map(|n| match n {
        Note::OverLimit { limit, .. } => Some(*limit),
        _ => None,
    })
}

fn id(s: &str) -> MessageId {
    MessageId::parse(s).unwrap()
}

// ---------------------------------------------------------------------------------------------
// The tables' vocabulary
// ---------------------------------------------------------------------------------------------

/// The outcome a step must get.
#[derive(Debug, Clone)]
enum Want {
    Partial,
    KeepAlive,
    Aborted,
    Ignored,
    Rejected(u16),
    /// Complete, with this body and content type; its leg and Message-ID are the chunk's.
    Done(&'static [u8], Option<&'static str>),
}
use Want::{Aborted, Ignored, KeepAlive, Partial, Rejected};

/// Complete, with this body and no content type.
fn done(body: &'static [u8]) -> Want {
    Want::Done(body, None)
}

/// Complete, with this body and content type.
fn done_typed(body: &'static [u8], content_type: &'static str) -> Want {
    Want::Done(body, Some(content_type))
}

/// The notes a step must get.
#[derive(Debug, Clone)]
enum Notes {
    /// Exactly these, in this order.
    Exactly(Vec<Note>),
    /// One note: over this limit (its figures depend on how buffers are sized inside).
    Over(Limit),
}

/// One chunk fed to the reassembler and what must follow.
#[derive(Debug, Clone)]
struct Step {
    leg: Leg,
    send: SendRequest<'static>,
    want: Want,
    notes: Notes,
    /// Partial messages afterwards, when checked.
    partials: Option<usize>,
    /// Buffered bytes afterwards, when checked.
    buffered: Option<RangeInclusive<usize>>,
    /// Remembered finished messages afterwards, when checked.
    finished: Option<usize>,
}

/// A chunk on [`Leg::Remote`] that must get `want` and no note.
fn step(send: SendRequest<'static>, want: Want) -> Step {
    Step {
        leg: Leg::Remote,
        send,
        want,
        notes: Notes::Exactly(Vec::new()),
        partials: None,
        buffered: None,
        finished: None,
    }
}

impl Step {
    fn on(self, leg: Leg) -> Step {
        Step { leg, ..self }
    }
    fn notes(self, notes: impl Into<Vec<Note>>) -> Step {
        Step { notes: Notes::Exactly(notes.into()), ..self }
    }
    fn over(self, limit: Limit) -> Step {
        Step { notes: Notes::Over(limit), ..self }
    }
    fn partials(self, n: usize) -> Step {
        Step { partials: Some(n), ..self }
    }
    fn buffered(self, bytes: RangeInclusive<usize>) -> Step {
        Step { buffered: Some(bytes), ..self }
    }
    fn finished(self, n: usize) -> Step {
        Step { finished: Some(n), ..self }
    }
    /// Nothing partial and nothing buffered afterwards.
    fn empty(self) -> Step {
        self.partials(0).buffered(0..=0)
    }
    /// Some bytes buffered afterwards.
    fn holding(self) -> Step {
        self.buffered(1..=usize::MAX)
    }
}

/// `413` over `limit`, needing `needed` where `allowed` is allowed.
fn over(limit: Limit, needed: u64, allowed: u64) -> Note {
    Note::OverLimit { limit, needed, allowed }
}

/// A rule, the limits it is checked under, and the chunks that show it.
struct Case {
    name: &'static str,
    limits: Limits,
    steps: Vec<Step>,
}

fn case(name: &'static str, steps: impl Into<Vec<Step>>) -> Case {
    Case { name, limits: Limits::default(), steps: steps.into() }
}

fn limited(name: &'static str, limits: Limits, steps: impl Into<Vec<Step>>) -> Case {
    Case { name, limits, steps: steps.into() }
}

/// Feeds each case's chunks to a fresh reassembler and checks every step.
fn run(cases: &[Case]) {
    for case in cases {
        feed(&mut Reassembler::new(case.limits), case.name, &case.steps);
    }
}

/// Feeds `steps` to `r` in order and checks each.
fn feed(r: &mut Reassembler, name: &str, steps: &[Step]) {
    let limits = r.limits();
    for (n, step) in steps.iter().enumerate() {
        let at = format!("{name}, step {n} ({:?})", step.send);
        let got = r.receive(step.leg, &step.send);
        match (&step.want, got.outcome) {
            (Want::Done(body, content_type), Outcome::Complete(m)) => {
                assert_eq!(&m.body[..], *body, "{at}");
                assert_eq!(m.content_type.as_deref(), *content_type, "{at}");
                assert_eq!(m.leg, step.leg, "{at}");
                assert_eq!(Some(m.id.as_str()), step.send.message_id, "{at}");
            }
            (Want::Partial, Outcome::Partial)
            | (Want::KeepAlive, Outcome::KeepAlive)
            | (Want::Aborted, Outcome::Aborted)
            | (Want::Ignored, Outcome::Ignored) => {}
            (Want::Rejected(want), Outcome::Rejected(got)) => assert_eq!(*want, got, "{at}"),
            (want, got) => panic!("{at}: expected {want:?}, got {got:?}"),
        }
        match &step.notes {
            Notes::Exactly(notes) => assert_eq!(got.notes.as_slice(), notes.as_slice(), "{at}"),
            Notes::Over(limit) => {
                assert_eq!(got.notes.len(), 1, "{at}: {:?}", got.notes);
                assert_eq!(over_limit(&got.notes), Some(*limit), "{at}");
            }
        }
        if let Some(n) = step.partials {
            assert_eq!(r.partial_messages(), n, "{at}: partial messages");
        }
        if let Some(bytes) = &step.buffered {
            assert!(bytes.contains(&r.buffered_bytes()), "{at}: {} bytes buffered", r.buffered_bytes());
        }
        if let Some(n) = step.finished {
            assert_eq!(r.remembered_finished(), n, "{at}: finished messages remembered");
        }
        assert!(r.buffered_bytes() <= limits.max_buffered, "{at}");
        assert!(r.partial_messages() <= limits.max_partial, "{at}");
    }
}

// ---------------------------------------------------------------------------------------------
// MSRP-1, sentence by sentence
// ---------------------------------------------------------------------------------------------

fn max_message(max_message: usize) -> Limits {
    Limits { max_message, ..Limits::default() }
}

fn max_partial(max_partial: usize) -> Limits {
    Limits { max_partial, ..Limits::default() }
}

/// No room for partial messages or buffered bytes at all.
const NO_ROOM: Limits = Limits { max_message: 1 << 20, max_partial: 0, max_buffered: 0 };

/// Room for two partial 1000-byte messages, not three.
const TWO_AND_A_HALF_KB: Limits = Limits { max_message: 1000, max_partial: 16, max_buffered: 2500 };

const HEY_BOB: &[u8] = b"Hey Bob, are you there?";

/// MSRP-1, one case per rule (a row a step, hence not formatted).
#[rustfmt::skip]
fn msrp1() -> Vec<Case> {
    vec![
        case("chunk without Byte-Range holds the whole message", [
            step(chunk("m0001", None, LAST, b"hello"), done(b"hello")),
        ]),
        // 1-*/* holding "abcd" covers 1..4, so the next chunk at 5 fits exactly.
        case("range end * means the chunk ends where its body ends", [
            step(chunk("m0001", Some("1-*/*"), MORE, b"abcd"), Partial),
            step(chunk("m0001", Some("5-*/*"), LAST, b"EFGH"), done(b"abcdEFGH")),
        ]),
        // RFC 4975 §4: "Byte-Range: 1-25/25" on the 23-octet body "Hey Bob, are you there?".
        case("body length is authoritative (RFC 4975 §4 example)", [
            step(chunk("87652491", Some("1-25/25"), LAST, HEY_BOB), done(HEY_BOB)).notes([
                Note::RangeEndMismatch { start: 1, declared_end: 25, body_end: 23 },
                Note::TotalMismatch { total: 25, body_end: 23 },
            ]),
        ]),
        case("body longer than range end wins and is reported", [
            step(chunk("m0001", Some("1-4/10"), MORE, b"abcdef"), Partial)
                .notes([Note::RangeEndMismatch { start: 1, declared_end: 4, body_end: 6 }]),
            step(chunk("m0001", Some("7-10/10"), LAST, b"ghij"), done(b"abcdefghij")),
        ]),
        // All bytes present but no `$` yet: not complete; an empty `$` chunk after the last byte
        // ends it. `$` seen but a hole before it: not complete until the hole is filled.
        case("complete needs a $ chunk and every byte up to the end", [
            step(chunk("m0001", Some("1-4/8"), MORE, b"abcd"), Partial),
            step(chunk("m0001", Some("5-8/8"), MORE, b"EFGH"), Partial),
            step(chunk("m0001", Some("9-*/8"), LAST, b""), done(b"abcdEFGH")),
            step(chunk("m0002", Some("5-8/8"), LAST, b"EFGH"), Partial).partials(1),
            step(chunk("m0002", Some("1-4/8"), MORE, b"abcd"), done(b"abcdEFGH")).partials(0),
        ]),
        // RFC 4975 §5.1: "abcdEFGH" as 1-*/8 "abcd" (+) and 5-8/8 "EFGH" ($).
        case("RFC 4975 §5.1 two chunks in order", [
            step(typed(chunk("4564dpWd", Some("1-*/8"), MORE, b"abcd"), "text/plain"), Partial),
            step(chunk("4564dpWd", Some("5-8/8"), LAST, b"EFGH"), done_typed(b"abcdEFGH", "text/plain"))
                .empty(),
        ]),
        case("RFC 4975 §5.1 two chunks reversed", [
            step(chunk("4564dpWd", Some("5-8/8"), LAST, b"EFGH"), Partial),
            step(typed(chunk("4564dpWd", Some("1-*/8"), MORE, b"abcd"), "text/plain"),
                done_typed(b"abcdEFGH", "text/plain"))
                .empty(),
        ]),
        case("$ chunk ending before the claimed total ends the message there", [
            step(chunk("m0001", Some("1-4/10"), MORE, b"abcd"), Partial),
            step(chunk("m0001", Some("5-6/10"), LAST, b"ef"), done(b"abcdef"))
                .notes([Note::TotalMismatch { total: 10, body_end: 6 }]),
        ]),
        case("$ chunk ending after the claimed total ends where its body ends", [
            step(chunk("m0001", Some("1-4/8"), MORE, b"abcd"), Partial),
            step(chunk("m0001", Some("5-*/8"), LAST, b"EFGHIJ"), done(b"abcdEFGHIJ"))
                .notes([Note::TotalMismatch { total: 8, body_end: 10 }]),
        ]),
        // docs/standards.md §3 vector 5: 1-6/8 "abcdEF" then 5-8/8 "XYGH" gives "abcdXYGH".
        case("overlap: the later chunk wins and a difference is reported", [
            step(chunk("m0001", Some("1-6/8"), MORE, b"abcdEF"), Partial),
            step(chunk("m0001", Some("5-8/8"), LAST, b"XYGH"), done(b"abcdXYGH"))
                .notes([Note::OverlapDiffers { first: 5, last: 6 }]),
        ]),
        case("identical overlap is not reported", [
            step(chunk("m0001", Some("1-6/8"), MORE, b"abcdEF"), Partial),
            step(chunk("m0001", Some("5-8/8"), LAST, b"EFGH"), done(b"abcdEFGH")),
        ]),
        case("chunk for a complete message changes nothing", [
            step(chunk("m0001", Some("1-3/3"), LAST, b"abc"), done(b"abc")),
            step(chunk("m0001", Some("1-3/3"), LAST, b"xyz"), Ignored).empty(),
        ]),
        // docs/standards.md §3 vector 5: 1-*/* "abc" (+) then an empty `#` chunk: discarded.
        case("chunk for an aborted message changes nothing", [
            step(chunk("m0001", Some("1-*/*"), MORE, b"abc"), Partial).holding(),
            step(chunk("m0001", None, ABORT, b""), Aborted).empty(),
            step(chunk("m0001", Some("4-6/6"), LAST, b"def"), Ignored).empty(),
        ]),
        // Even a chunk that on its own would be fine.
        limited("every chunk of a message refused with 413 is answered 413 again", max_message(10), [
            step(chunk("m0001", Some("1-5/20"), MORE, b"abcde"), Rejected(413))
                .notes([over(Limit::Message, 20, 10)]),
            step(chunk("m0001", Some("6-8/*"), MORE, b"fgh"), Rejected(413)),
            step(chunk("m0001", Some("9-9/*"), LAST, b"i"), Rejected(413)).partials(0),
        ]),
        // Arrival order, not byte order: the chunk at 5 arrives first and carries text/html.
        case("content type is that of the first chunk carrying one, in arrival order", [
            step(chunk("m0001", Some("9-12/12"), LAST, b"ijkl"), Partial),
            step(typed(chunk("m0001", Some("5-8/12"), MORE, b"efgh"), "text/html"), Partial),
            step(typed(chunk("m0001", Some("1-4/12"), MORE, b"abcd"), "text/plain"),
                done_typed(b"abcdefghijkl", "text/html")),
        ]),
        case("of two $ chunks the later one wins: ending further, the message grows to it", [
            step(chunk("m0001", Some("5-8/*"), LAST, b"EFGH"), Partial),
            step(chunk("m0001", Some("9-10/*"), LAST, b"IJ"), Partial),
            step(chunk("m0001", Some("1-4/*"), MORE, b"abcd"), done(b"abcdEFGHIJ")),
        ]),
        case("of two $ chunks the later one wins: ending earlier, the message ends there", [
            step(chunk("m0002", Some("9-10/*"), LAST, b"IJ"), Partial),
            step(chunk("m0002", Some("5-8/*"), LAST, b"EFGH"), Partial),
            step(chunk("m0002", Some("1-4/*"), MORE, b"abcd"), done(b"abcdEFGH")),
        ]),
        // Completing on one leg does not make the other leg's same ID "finished".
        case("reassembly is per leg and Message-ID", [
            step(chunk("same0001", Some("1-4/8"), MORE, b"abcd"), Partial).on(Leg::Client),
            step(chunk("same0001", Some("1-4/8"), MORE, b"WXYZ"), Partial).partials(2),
            step(chunk("same0001", Some("5-8/8"), LAST, b"efgh"), done(b"WXYZefgh")),
            step(chunk("same0001", Some("5-8/8"), LAST, b"EFGH"), done(b"abcdEFGH")).on(Leg::Client),
            step(chunk("same0001", None, LAST, b"x"), done(b"x")).on(Leg::Iwf(1)),
        ]),
        // Keep-alives on a message in progress do not disturb it.
        case("body-less 1-0/0 SEND is a keep-alive, never stored", [
            step(chunk("keep0001", Some("1-0/0"), LAST, b""), KeepAlive).empty().finished(0),
            step(chunk("m0001", Some("1-2/4"), MORE, b"ab"), Partial),
            step(chunk("m0001", Some("1-0/0"), LAST, b""), KeepAlive),
            step(chunk("m0001", Some("3-4/4"), LAST, b"cd"), done(b"abcd")),
        ]),
        // Even with no room at all for partial messages or buffered bytes; a message that does
        // need buffering is refused under those limits.
        limited("message complete in its first chunk never counts as partial", NO_ROOM, [
            step(chunk("m0001", Some("1-5/5"), LAST, b"hello"), done(b"hello")).partials(0),
            step(chunk("m0002", Some("1-2/4"), MORE, b"he"), Rejected(413))
                .notes([over(Limit::Partial, 1, 0)]),
        ]),
        // Each way an in-order chunk can change more than the bytes must still be seen: a new
        // total, a first content type, a range end that disagrees with the body.
        case("in-order chunks that change more than bytes are still seen", [
            step(chunk("m1234", Some("1-4/8"), MORE, b"abcd"), Partial),
            step(typed(chunk("m1234", Some("5-6/10"), MORE, b"ef"), "text/plain"), Partial)
                .notes([Note::TotalChanged { was: 8, now: 10 }]),
            step(chunk("m1234", Some("7-9/10"), MORE, b"ghij"), Partial)
                .notes([Note::RangeEndMismatch { start: 7, declared_end: 9, body_end: 10 }]),
            step(chunk("m1234", Some("11-12/12"), LAST, b"kl"), done_typed(b"abcdefghijkl", "text/plain"))
                .notes([Note::TotalChanged { was: 10, now: 12 }]),
        ]),
    ]
}

#[test]
fn msrp1_table() {
    run(&msrp1());
}

#[test]
fn msrp1_message_id_is_4_to_32_characters() {
    let mut r = r();
    for bad in ["abc", "a23456789012345678901234567890123", "-abc", "ab cd", ""] {
        let got = r.receive(Leg::Remote, &chunk(bad, None, LAST, b"x"));
        assert_eq!(got.outcome, Outcome::Rejected(400), "{bad:?}");
        assert!(matches!(got.notes.as_slice(), [Note::Malformed(Malformed::BadMessageId(_))]), "{bad:?}");
    }
    for good in ["abcd", "a2345678901234567890123456789012", "a.-+%="] {
        let m = complete(r.receive(Leg::Remote, &chunk(good, None, LAST, b"x")).outcome);
        assert_eq!(m.id.as_str(), good);
    }
}

#[test]
fn msrp1_remembers_the_last_1024_finished_message_ids() {
    assert_eq!(FINISHED_MEMORY, 1024);
    let mut r = r();
    let id = |n: usize| format!("msg{n:05}");
    for n in 0..=1024 {
        complete(r.receive(Leg::Remote, &chunk(&id(n), None, LAST, b"x")).outcome);
        assert!(r.remembered_finished() <= 1024);
    }
    assert_eq!(r.remembered_finished(), 1024);
    // 1025 finished: the oldest is forgotten, so a chunk for it starts afresh…
    assert!(matches!(r.receive(Leg::Remote, &chunk(&id(0), None, LAST, b"x")).outcome, Outcome::Complete(_)));
    // …while the 1024 after it are still remembered (n = 1 was pushed out by re-finishing 0).
    assert_eq!(r.receive(Leg::Remote, &chunk(&id(2), None, LAST, b"x")).outcome, Outcome::Ignored);
    assert_eq!(r.receive(Leg::Remote, &chunk(&id(1024), None, LAST, b"x")).outcome, Outcome::Ignored);
}

/// A malformed chunk and a check of the reason reported for it.
type Unintelligible = (SendRequest<'static>, fn(&Malformed) -> bool);

#[test]
fn msrp1_unintelligible_chunks_are_answered_400_and_dropped() {
    let cases: [Unintelligible; 6] = [
        (SendRequest { message_id: None, ..chunk("m0001", None, MORE, b"abc") }, |m| {
            *m == Malformed::MissingMessageId
        }),
        (chunk("m!01", None, MORE, b"abc"), |m| matches!(m, Malformed::BadMessageId(_))),
        (chunk("m0001", Some("0-3/6"), MORE, b"abc"), |m| matches!(m, Malformed::BadByteRange(_))),
        (chunk("m0001", Some("4-3/6"), MORE, b"abc"), |m| matches!(m, Malformed::BadByteRange(_))),
        (chunk("m0001", Some("1-3/6"), None, b"abc"), |m| *m == Malformed::MissingContinuation),
        (chunk("m0001", Some("one-3/6"), MORE, b"abc"), |m| matches!(m, Malformed::BadByteRange(_))),
    ];
    for (send, is_expected) in cases {
        let mut r = r();
        let got = r.receive(Leg::Remote, &send);
        assert_eq!(got.outcome, Outcome::Rejected(400), "{send:?}");
        match got.notes.as_slice() {
            [Note::Malformed(m)] => assert!(is_expected(m), "{send:?}: {m:?}"),
            other => panic!("{send:?}: {other:?}"),
        }
        // Dropped: nothing buffered, and the message is not marked finished.
        assert_eq!((r.partial_messages(), r.buffered_bytes()), (0, 0));
        let m = complete(r.receive(Leg::Remote, &chunk("m0001", Some("1-3/3"), LAST, b"abc")).outcome);
        assert_eq!(m.body, b"abc");
    }
}

/// Why a chunk was refused with `400` is an error type an embedder can box, log or match on,
/// and its message says what was wrong.
#[test]
fn msrp1_malformed_is_an_error_that_says_what_was_wrong() {
    let cases = [
        (SendRequest { message_id: None, ..chunk("m0001", None, MORE, b"abc") }, "no Message-ID"),
        (
            chunk("m!01", None, MORE, b"abc"),
            "the Message-ID is not a 4–32 character ident (malformed Message-ID",
        ),
        (chunk("m0001", Some("0-3/6"), MORE, b"abc"), "the Byte-Range does not parse (malformed Byte-Range"),
        (chunk("m0001", Some("1-3/6"), None, b"abc"), "no continuation flag ($, + or #) in the end-line"),
    ];
    for (send, message) in cases {
        let got = r().receive(Leg::Remote, &send);
        let [Note::Malformed(malformed)] = got.notes.as_slice() else { panic!("{send:?}: {:?}", got.notes) };
        let error: Box<dyn std::error::Error + Send + Sync> = Box::new(*malformed);
        assert!(error.to_string().starts_with(message), "{error}");
        assert_eq!(got.notes[0].to_string(), format!("chunk cannot be understood: {error}"));
    }
}

// ---------------------------------------------------------------------------------------------
// LIM-1
// ---------------------------------------------------------------------------------------------

const MIB: u64 = 1 << 20;

/// A first chunk "ab" of a 4-byte message.
fn open(id: &'static str) -> SendRequest<'static> {
    chunk(id, Some("1-2/4"), MORE, b"ab")
}

/// LIM-1, one case per rule (a row a step, hence not formatted).
#[rustfmt::skip]
fn lim1() -> Vec<Case> {
    vec![
        // Exactly at the limit is fine; nothing is allocated for a declared total over it.
        case("claimed total over max_message is 413 and reported", [
            step(chunk("m0001", Some("1-4/1048577"), MORE, b"abcd"), Rejected(413))
                .notes([over(Limit::Message, MIB + 1, MIB)]).buffered(0..=0),
            step(chunk("m0002", Some("1-4/1048576"), MORE, b"abcd"), Partial),
        ]),
        case("huge declared total allocates nothing", [
            step(chunk("m0001", Some("1-4/18446744073709551615"), MORE, b"abcd"), Rejected(413))
                .notes([over(Limit::Message, u64::MAX, MIB)]).empty(),
        ]),
        // A range start at the very top of u64 cannot overflow into a small number.
        limited("received range over max_message is 413", max_message(100), [
            step(chunk("m0001", Some("99-*/*"), MORE, b"abc"), Rejected(413))
                .notes([over(Limit::Message, 101, 100)]),
            step(chunk("m0002", Some("18446744073709551615-*/*"), MORE, b"abc"), Rejected(413))
                .notes([over(Limit::Message, u64::MAX, 100)]),
        ]),
        limited("message growing over max_message is discarded whole", max_message(10), [
            step(chunk("m0001", Some("1-*/*"), MORE, b"abcdef"), Partial).holding(),
            step(chunk("m0001", Some("7-*/*"), MORE, b"ghijk"), Rejected(413))
                .notes([over(Limit::Message, 11, 10)]).empty(),
            step(chunk("m0001", Some("12-*/*"), LAST, b""), Rejected(413)),
        ]),
        limited("single chunk over max_message is 413", max_message(4), [
            step(chunk("m0001", None, LAST, b"hello"), Rejected(413)).notes([over(Limit::Message, 5, 4)]),
            step(chunk("m0002", None, LAST, b"hell"), done(b"hell")),
        ]),
        // Later chunks of the refused message: 413 again, even once there is room. The session
        // goes on: the partial still open completes, a new message fits again.
        limited("partial-message limit refuses the next message and the session goes on", max_partial(2), [
            step(chunk("m0001", Some("1-2/4"), MORE, b"ab"), Partial),
            step(chunk("m0002", Some("1-2/4"), MORE, b"ab"), Partial).on(Leg::Client),
            step(chunk("m0003", Some("1-2/4"), MORE, b"ab"), Rejected(413))
                .notes([over(Limit::Partial, 3, 2)]).partials(2),
            step(chunk("m0001", Some("3-4/4"), LAST, b"cd"), done(b"abcd")),
            step(chunk("m0003", Some("3-4/4"), LAST, b"cd"), Rejected(413)),
            step(chunk("m0002", Some("3-4/4"), LAST, b"cd"), done(b"abcd")).on(Leg::Client),
            step(chunk("m0004", Some("1-2/4"), MORE, b"ab"), Partial),
        ]),
        // Known totals are allocated once, in full: two of 1000 fit, the third does not (the
        // others are untouched); a small message still fits after the refusal.
        limited("buffered limit refuses the message that would exceed it", TWO_AND_A_HALF_KB, [
            step(chunk("m0001", Some("1-1/1000"), MORE, b"a"), Partial),
            step(chunk("m0002", Some("1-1/1000"), MORE, b"a"), Partial).buffered(2000..=2500),
            step(chunk("m0003", Some("1-1/1000"), MORE, b"a"), Rejected(413))
                .over(Limit::Buffered).partials(2),
            step(chunk("m0003", Some("2-2/1000"), MORE, b"b"), Rejected(413)),
            step(chunk("m0004", Some("1-1/100"), MORE, b"a"), Partial),
        ]),
        // No eviction when the new message's leg holds half of the slots or more, or when no
        // other leg holds more than half: the new message is refused as before.
        limited("no eviction: remote 2, client 2, neither may take from the other", max_partial(4), [
            step(open("r0001"), Partial),
            step(open("r0002"), Partial),
            step(open("c0001"), Partial).on(Leg::Client),
            step(open("c0002"), Partial).on(Leg::Client),
            step(open("c0003"), Rejected(413)).on(Leg::Client).notes([over(Limit::Partial, 5, 4)]),
            step(open("r0003"), Rejected(413)).notes([over(Limit::Partial, 5, 4)]),
        ]),
        limited("no eviction: remote 2, IWF 2, client 0, no leg holds more than half", max_partial(4), [
            step(open("r0001"), Partial),
            step(open("r0002"), Partial),
            step(open("i0001"), Partial).on(Leg::Iwf(1)),
            step(open("i0002"), Partial).on(Leg::Iwf(1)),
            step(open("c0001"), Rejected(413)).on(Leg::Client).notes([over(Limit::Partial, 5, 4)]),
        ]),
        // Remote 3, client 1 (of 4): the client holds fewer than half and the remote more, so
        // it may; the remote's own new message takes nothing from its own. Then remote 2,
        // client 2: the remote may not take one back.
        limited("eviction only for a leg holding fewer than half, from one holding more", max_partial(4), [
            step(open("r0001"), Partial),
            step(open("r0002"), Partial),
            step(open("r0003"), Partial),
            step(open("c0001"), Partial).on(Leg::Client),
            step(open("r0004"), Rejected(413)).notes([over(Limit::Partial, 5, 4)]),
            step(open("c0002"), Partial).on(Leg::Client)
                .notes([Note::Evicted { leg: Leg::Remote, id: id("r0001") }]),
            step(open("r0005"), Rejected(413)).notes([over(Limit::Partial, 5, 4)]),
        ]),
    ]
}

#[test]
fn lim1_table() {
    run(&lim1());
}

#[test]
fn lim1_message_limit_defaults() {
    assert_eq!(Limits::default(), Limits { max_message: 1 << 20, max_partial: 16, max_buffered: 4 << 20 });
}

/// LIM-1 counts partial messages per session; the decision where docs/requirements.md is silent (CONFORMANCE.md)
/// keeps one leg from holding them all: a leg holding fewer than half of the slots gets one by
/// evicting the least recently active partial message of a leg holding more than half.
#[test]
fn lim1_a_leg_holding_most_slots_gives_up_its_least_recently_active_message() {
    let mut r = Reassembler::new(max_partial(4));
    for id in ["r0001", "r0002", "r0003", "r0004"] {
        assert_eq!(r.receive(Leg::Remote, &chunk(id, Some("1-2/6"), MORE, b"ab")).outcome, Outcome::Partial);
    }
    // r0001 gets another chunk: r0002 is now the least recently active.
    assert_eq!(r.receive(Leg::Remote, &chunk("r0001", Some("3-4/6"), MORE, b"cd")).outcome, Outcome::Partial);
    let held = r.buffered_bytes();
    let got = r.receive(Leg::Client, &chunk("c0001", Some("1-2/4"), MORE, b"ab"));
    assert_eq!(got.outcome, Outcome::Partial);
    assert_eq!(got.notes.as_slice(), [Note::Evicted { leg: Leg::Remote, id: id("r0002") }]);
    assert_eq!(r.partial_messages(), 4);
    assert!(r.buffered_bytes() <= held, "the evicted message's bytes are let go");
    // The evicted message is refused from now on, the others go on, the client's completes.
    feed(
        &mut r,
        "after the eviction",
        &[
            step(chunk("r0002", Some("3-6/6"), LAST, b"cdef"), Rejected(413)),
            step(chunk("r0001", Some("5-6/6"), LAST, b"ef"), done(b"abcdef")),
            step(chunk("c0001", Some("3-4/4"), LAST, b"cd"), done(b"abcd")).on(Leg::Client),
        ],
    );
}

#[test]
fn lim1_fragmenting_on_purpose_meets_the_buffered_limit() {
    // Every other byte of a message: the set of received ranges grows and is counted.
    let limits = Limits { max_message: 4096, max_partial: 16, max_buffered: 6000 };
    let mut r = Reassembler::new(limits);
    let mut refused = false;
    for pos in (1..4096u64).step_by(2) {
        let range = format!("{pos}-{pos}/4096");
        let got = r.receive(Leg::Remote, &chunk("frag0001", Some(&range), MORE, b"x"));
        assert!(r.buffered_bytes() <= limits.max_buffered);
        if got.outcome == Outcome::Rejected(413) {
            assert_eq!(over_limit(&got.notes), Some(Limit::Buffered));
            refused = true;
            break;
        }
        assert_eq!(got.outcome, Outcome::Partial);
    }
    assert!(refused, "2048 one-byte holes cannot fit in 6000 bytes beside a 4096-byte buffer");
    assert_eq!(r.buffered_bytes(), 0);
}

#[test]
fn lim1_known_total_is_allocated_once_exactly() {
    let mut r = r();
    r.receive(Leg::Remote, &chunk("m0001", Some("1-10/1000"), MORE, b"0123456789"));
    let after_first = r.buffered_bytes();
    assert!((1000..1000 + 256).contains(&after_first), "{after_first}");
    r.receive(Leg::Remote, &chunk("m0001", Some("11-20/1000"), MORE, b"0123456789"));
    assert_eq!(r.buffered_bytes(), after_first, "no further allocation for the buffer");
}

// ---------------------------------------------------------------------------------------------
// ---------------------------------------------------------------------------------------------
// Properties (REC-5i, LIM-1)
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Plan {
    body: Vec<u8>,
    /// Chunk boundaries (sorted, inside 1..len).
    cuts: Vec<usize>,
    /// For each chunk: how many bytes it overlaps into the next one (same content).
    overlaps: Vec<usize>,
    star_end: Vec<bool>,
    total_known: bool,
    order: Vec<usize>,
}

fn plan() -> impl Strategy<Value = Plan> {
    proptest::collection::vec(any::<u8>(), 1..120)
        .prop_flat_map(|body| {
            let len = body.len();
            (Just(body), proptest::collection::btree_set(1..len.max(2), 0..8))
        })
        .prop_flat_map(|(body, cuts)| {
            let cuts: Vec<usize> = cuts.into_iter().filter(|&c| c < body.len()).collect();
            let n = cuts.len() + 1;
            (
                Just(body),
                Just(cuts),
                proptest::collection::vec(0usize..4, n),
                proptest::collection::vec(any::<bool>(), n),
                any::<bool>(),
                Just((0..n).collect::<Vec<_>>()).prop_shuffle(),
            )
        })
        .prop_map(|(body, cuts, overlaps, star_end, total_known, order)| Plan {
            body,
            cuts,
            overlaps,
            star_end,
            total_known,
            order,
        })
}

/// Integration tests have no lib.rs beside them for proptest to find; keep regressions here.
fn config(file: &'static str, cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::Direct(file))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config("proptest-regressions/msrp_reassembly.txt", 256))]

    /// REC-5i: any split and any arrival order of a message's chunks (overlaps with the same
    /// bytes included) reassembles the same bytes, completing exactly once.
    #[test]
    fn rec5i_any_split_and_order_reassembles_the_same_bytes(p in plan()) {
        let len = p.body.len();
        let mut bounds = vec![0];
        bounds.extend(&p.cuts);
        bounds.push(len);
        let mut chunks = Vec::new();
        for i in 0..bounds.len() - 1 {
            let from = bounds[i];
            let to = (bounds[i + 1] + p.overlaps[i]).min(len);
            let last = to == len;
            let end = if p.star_end[i] { "*".to_owned() } else { to.to_string() };
            let total = if p.total_known { len.to_string() } else { "*".to_owned() };
            chunks.push((format!("{}-{end}/{total}", from + 1), from, to, last));
        }
        let mut r = Reassembler::new(Limits::default());
        let mut done: Option<Message> = None;
        for &i in &p.order {
            let (range, from, to, last) = &chunks[i];
            let flag = if *last { LAST } else { MORE };
            let send = chunk("prop0001", Some(range), flag, &p.body[*from..*to]);
            let got = r.receive(Leg::Remote, &send);
            prop_assert!(got.notes.is_empty(), "{:?}", got.notes);
            match (got.outcome, done.is_some()) {
                (Outcome::Complete(m), false) => done = Some(m),
                (Outcome::Partial, false) | (Outcome::Ignored, true) => {}
                (other, _) => prop_assert!(false, "unexpected {:?}", other),
            }
        }
        let m = done.expect("all chunks delivered: the message is complete");
        prop_assert_eq!(m.body, p.body);
        prop_assert_eq!(m.id, MessageId::parse("prop0001").unwrap());
        prop_assert_eq!((r.partial_messages(), r.buffered_bytes()), (0, 0));
    }
}

#[derive(Debug, Clone)]
struct Op {
    leg: u8,
    id: u8,
    start: u64,
    end: Option<u64>,
    total: Option<u64>,
    omit_range: bool,
    flag: u8,
    body_len: usize,
    fill: u8,
    content_type: bool,
}

fn position() -> impl Strategy<Value = u64> {
    prop_oneof![
        4 => 1u64..64,
        3 => 1u64..1200,
        1 => Just(1000u64),
        1 => 990u64..1010,
        1 => (u64::MAX - 10)..=u64::MAX,
        1 => any::<u64>(),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    (
        0u8..3,
        0u8..40,
        position(),
        proptest::option::of(position()),
        proptest::option::of(position()),
        proptest::bool::weighted(0.1),
        0u8..4,
        prop_oneof![3 => 0usize..16, 2 => 0usize..300, 1 => 900usize..1100],
        any::<u8>(),
        any::<bool>(),
    )
        .prop_map(|(leg, id, start, end, total, omit_range, flag, body_len, fill, content_type)| Op {
            leg,
            id,
            start,
            end,
            total,
            omit_range,
            flag,
            body_len,
            fill,
            content_type,
        })
}

proptest! {
    #![proptest_config(config("proptest-regressions/msrp_reassembly.txt", 256))]

    /// LIM-1: whatever a hostile peer declares (huge totals, many Message-IDs, overlaps, holes),
    /// the reassembler never holds more than its bounds, never panics, and never returns a
    /// message over the size limit.
    #[test]
    fn lim1_adversarial_sequences_stay_within_bounds(
        ops in proptest::collection::vec(op(), 1..200),
        max_partial in 0usize..6,
    ) {
        let limits = Limits { max_message: 1000, max_partial, max_buffered: 3000 };
        let mut r = Reassembler::new(limits);
        let ids: Vec<String> = (0..40).map(|n| format!("adv{n:03}")).collect();
        let bodies: Vec<Vec<u8>> = ops.iter().map(|o| vec![o.fill; o.body_len]).collect();
        for (o, body) in ops.iter().zip(&bodies) {
            let leg = match o.leg { 0 => Leg::Client, 1 => Leg::Remote, _ => Leg::Iwf(1) };
            let end = o.end.map_or("*".to_owned(), |e| e.to_string());
            let total = o.total.map_or("*".to_owned(), |t| t.to_string());
            let range = format!("{}-{end}/{total}", o.start);
            let flag = match o.flag { 0 => MORE, 1 => LAST, 2 => ABORT, _ => MORE };
            let send = SendRequest {
                message_id: Some(&ids[usize::from(o.id)]),
                byte_range: if o.omit_range { None } else { Some(&range) },
                continuation: flag,
                content_type: o.content_type.then_some("text/plain"),
                body,
            };
            let got = r.receive(leg, &send);
            prop_assert!(r.buffered_bytes() <= limits.max_buffered, "{} > {}", r.buffered_bytes(), limits.max_buffered);
            prop_assert!(r.partial_messages() <= limits.max_partial);
            prop_assert!(r.remembered_finished() <= FINISHED_MEMORY);
            if let Outcome::Complete(m) = &got.outcome {
                prop_assert!(m.body.len() <= limits.max_message);
            }
            if let Outcome::Rejected(status) = got.outcome {
                prop_assert!(status == 400 || status == 413);
                if status == 400 {
                    prop_assert!(!got.notes.is_empty(), "a 400 names what was wrong");
                }
            }
        }
    }
}

/// In-order chunks take a shortcut where they can; one that goes past the reserved buffer
/// (unknown total) still grows it, and the message is whole at the end.
#[test]
fn msrp1_in_order_chunks_grow_the_buffer_when_the_total_is_unknown() {
    let mut r = r();
    let body: Vec<u8> = (0..2000u32).map(|i| b'a' + (i % 26) as u8).collect();
    for (k, piece) in body.chunks(300).enumerate() {
        let start = k * 300 + 1;
        let range = format!("{start}-*/*");
        let flag = if start + piece.len() - 1 == body.len() { LAST } else { MORE };
        let got = r.receive(Leg::Client, &chunk("grow1", Some(&range), flag, piece));
        if flag == LAST {
            assert_eq!(complete(got.outcome).body, body);
        } else {
            assert_eq!(got.outcome, Outcome::Partial, "chunk {k}");
            assert!(r.buffered_bytes() >= start + piece.len() - 1);
        }
    }
    assert_eq!(r.buffered_bytes(), 0);
}

proptest! {
    #![proptest_config(config("proptest-regressions/msrp_reassembly.txt", 256))]

    /// LIM-1 with slots shared by three legs, against a model: a new message beyond
    /// `max_partial` takes the slot of the least recently active partial message of a leg
    /// holding more than half of the slots (never its own leg's), and is refused otherwise.
    /// Each op opens a message on a leg (`Err(leg)`) or sends the next byte of a partial one
    /// (`Ok(index)`); no message ever completes.
    #[test]
    fn lim1_evictions_follow_the_model(
        ops in proptest::collection::vec(prop_oneof![(0u8..3).prop_map(Err), (0usize..64).prop_map(Ok)], 1..120),
        max_partial in 1usize..7,
    ) {
        let mut r = Reassembler::new(Limits { max_partial, ..Limits::default() });
        // The model: (leg, id, next byte, when last active).
        let mut model: Vec<(Leg, String, usize, usize)> = Vec::new();
        let (mut clock, mut opened) = (0usize, 0usize);
        for op in ops {
            match op {
                Err(l) => {
                    let leg = [Leg::Client, Leg::Remote, Leg::Iwf(1)][usize::from(l)];
                    opened += 1;
                    let id = format!("new{opened:04}");
                    let got = r.receive(leg, &chunk(&id, Some("1-1/1000"), MORE, b"a"));
                    let mut evict = None;
                    if model.len() >= max_partial {
                        let top = [Leg::Client, Leg::Remote, Leg::Iwf(1)]
                            .into_iter()
                            .find(|&t| t != leg && 2 * model.iter().filter(|m| m.0 == t).count() > max_partial);
                        let Some(top) = top else {
                            prop_assert_eq!(got.outcome, Outcome::Rejected(413), "{:?}", model);
                            continue;
                        };
                        let lru = model.iter().enumerate().filter(|(_, m)| m.0 == top).min_by_key(|(_, m)| m.3);
                        evict = lru.map(|(i, _)| i);
                    }
                    prop_assert_eq!(&got.outcome, &Outcome::Partial);
                    let expected: Vec<Note> = evict
                        .map(|i| model.remove(i))
                        .map(|(l, id, ..)| Note::Evicted { leg: l, id: MessageId::parse(&id).unwrap() })
                        .into_iter()
                        .collect();
                    prop_assert_eq!(got.notes.as_slice(), expected.as_slice());
                    clock += 1;
                    model.push((leg, id, 2, clock));
                }
                Ok(_) if model.is_empty() => {}
                Ok(i) => {
                    let m = i % model.len();
                    let (leg, id, next, _) = model[m].clone();
                    let range = format!("{next}-{next}/1000");
                    let got = r.receive(leg, &chunk(&id, Some(&range), MORE, b"b"));
                    prop_assert_eq!(got.outcome, Outcome::Partial);
                    clock += 1;
                    model[m].2 += 1;
                    model[m].3 = clock;
                }
            }
            prop_assert_eq!(r.partial_messages(), model.len());
        }
    }
}
