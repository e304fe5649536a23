//! Reassembly of MSRP chunks: one test per sentence of SPEC.md MSRP-1, the LIM-1 limits, and
//! REC-5i (a message is reassembled from all its chunks, out of order too). Expectations come
//! from RFC 4975 and SPEC.md.

use cpm_pf::grammar::message_id::MessageId;
use cpm_pf::msrp::reassembly::{
    Limit, Limits, Malformed, Message, Note, Outcome, Reassembler, FINISHED_MEMORY,
};
use cpm_pf::msrp::{Continuation, SendRequest};
use cpm_pf::Leg;
use proptest::prelude::*;

const MORE: Option<Continuation> = Some(Continuation::More);
const LAST: Option<Continuation> = Some(Continuation::Complete);
const ABORT: Option<Continuation> = Some(Continuation::Aborted);

fn chunk<'a>(
    id: &'a str,
    range: Option<&'a str>,
    flag: Option<Continuation>,
    body: &'a [u8],
) -> SendRequest<'a> {
    SendRequest { message_id: Some(id), byte_range: range, continuation: flag, content_type: None, body }
}

fn typed<'a>(mut send: SendRequest<'a>, content_type: &'a str) -> SendRequest<'a> {
    send.content_type = Some(content_type);
    send
}

fn complete(outcome: Outcome) -> Message {
    match outcome {
        Outcome::Complete(m) => m,
        other => panic!("expected a complete message, got {other:?}"),
    }
}

fn r() -> Reassembler {
    Reassembler::new(Limits::default())
}

// ---------------------------------------------------------------------------------------------
// MSRP-1, sentence by sentence
// ---------------------------------------------------------------------------------------------

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
fn msrp1_chunk_without_byte_range_holds_the_whole_message() {
    let m = complete(r().receive(Leg::Remote, &chunk("m0001", None, LAST, b"hello")).outcome);
    assert_eq!(m.body, b"hello");
    assert_eq!(m.leg, Leg::Remote);
}

#[test]
fn msrp1_range_end_star_means_the_chunk_ends_where_its_body_ends() {
    let mut r = r();
    // 1-*/* holding "abcd" covers 1..4, so the next chunk at 5 fits exactly.
    assert_eq!(
        r.receive(Leg::Remote, &chunk("m0001", Some("1-*/*"), MORE, b"abcd")).outcome,
        Outcome::Partial
    );
    let got = r.receive(Leg::Remote, &chunk("m0001", Some("5-*/*"), LAST, b"EFGH"));
    assert!(got.notes.is_empty(), "{:?}", got.notes);
    assert_eq!(complete(got.outcome).body, b"abcdEFGH");
}

#[test]
fn msrp1_body_length_is_authoritative_rfc4975_section4_example() {
    // RFC 4975 §4: "Byte-Range: 1-25/25" on the 23-octet body "Hey Bob, are you there?".
    let mut r = r();
    let got = r.receive(Leg::Remote, &chunk("87652491", Some("1-25/25"), LAST, b"Hey Bob, are you there?"));
    assert!(got.notes.contains(&Note::RangeEndMismatch { start: 1, declared_end: 25, body_end: 23 }));
    assert!(got.notes.contains(&Note::TotalMismatch { total: 25, body_end: 23 }));
    assert_eq!(complete(got.outcome).body, b"Hey Bob, are you there?");
}

#[test]
fn msrp1_body_longer_than_range_end_wins_and_is_reported() {
    let mut r = r();
    let got = r.receive(Leg::Remote, &chunk("m0001", Some("1-4/10"), MORE, b"abcdef"));
    assert_eq!(got.outcome, Outcome::Partial);
    assert_eq!(got.notes.as_slice(), &[Note::RangeEndMismatch { start: 1, declared_end: 4, body_end: 6 }]);
    let m = complete(r.receive(Leg::Remote, &chunk("m0001", Some("7-10/10"), LAST, b"ghij")).outcome);
    assert_eq!(m.body, b"abcdefghij");
}

#[test]
fn msrp1_complete_needs_a_dollar_chunk_and_every_byte_up_to_the_end() {
    let mut r = r();
    // All bytes present but no `$` yet: not complete.
    assert_eq!(
        r.receive(Leg::Remote, &chunk("m0001", Some("1-4/8"), MORE, b"abcd")).outcome,
        Outcome::Partial
    );
    assert_eq!(
        r.receive(Leg::Remote, &chunk("m0001", Some("5-8/8"), MORE, b"EFGH")).outcome,
        Outcome::Partial
    );
    // An empty `$` chunk after the last byte ends it.
    let m = complete(r.receive(Leg::Remote, &chunk("m0001", Some("9-*/8"), LAST, b"")).outcome);
    assert_eq!(m.body, b"abcdEFGH");

    // `$` seen but a hole before it: not complete until the hole is filled.
    assert_eq!(
        r.receive(Leg::Remote, &chunk("m0002", Some("5-8/8"), LAST, b"EFGH")).outcome,
        Outcome::Partial
    );
    assert_eq!(r.partial_messages(), 1);
    let m = complete(r.receive(Leg::Remote, &chunk("m0002", Some("1-4/8"), MORE, b"abcd")).outcome);
    assert_eq!(m.body, b"abcdEFGH");
    assert_eq!(r.partial_messages(), 0);
}

#[test]
fn msrp1_rfc4975_section5_1_two_chunks_in_order_and_reversed() {
    // RFC 4975 §5.1: "abcdEFGH" as 1-*/8 "abcd" (+) and 5-8/8 "EFGH" ($).
    for reversed in [false, true] {
        let mut r = r();
        let first = typed(chunk("4564dpWd", Some("1-*/8"), MORE, b"abcd"), "text/plain");
        let second = chunk("4564dpWd", Some("5-8/8"), LAST, b"EFGH");
        let (a, b) = if reversed { (second, first) } else { (first, second) };
        let got_a = r.receive(Leg::Remote, &a);
        assert_eq!(got_a.outcome, Outcome::Partial);
        assert!(got_a.notes.is_empty());
        let m = complete(r.receive(Leg::Remote, &b).outcome);
        assert_eq!(m.body, b"abcdEFGH");
        assert_eq!(m.content_type.as_deref(), Some("text/plain"));
        assert_eq!(r.buffered_bytes(), 0);
    }
}

#[test]
fn msrp1_dollar_chunk_ending_before_claimed_total_ends_the_message_there() {
    let mut r = r();
    assert_eq!(
        r.receive(Leg::Remote, &chunk("m0001", Some("1-4/10"), MORE, b"abcd")).outcome,
        Outcome::Partial
    );
    let got = r.receive(Leg::Remote, &chunk("m0001", Some("5-6/10"), LAST, b"ef"));
    assert!(got.notes.contains(&Note::TotalMismatch { total: 10, body_end: 6 }));
    assert_eq!(complete(got.outcome).body, b"abcdef");
}

#[test]
fn msrp1_dollar_chunk_ending_after_claimed_total_ends_where_its_body_ends() {
    let mut r = r();
    assert_eq!(
        r.receive(Leg::Remote, &chunk("m0001", Some("1-4/8"), MORE, b"abcd")).outcome,
        Outcome::Partial
    );
    let got = r.receive(Leg::Remote, &chunk("m0001", Some("5-*/8"), LAST, b"EFGHIJ"));
    assert!(got.notes.contains(&Note::TotalMismatch { total: 8, body_end: 10 }));
    assert_eq!(complete(got.outcome).body, b"abcdEFGHIJ");
}

#[test]
fn msrp1_overlap_later_chunk_wins_and_difference_is_reported() {
    // STANDARDS.md §3 vector 5: 1-6/8 "abcdEF" then 5-8/8 "XYGH" gives "abcdXYGH".
    let mut r = r();
    assert_eq!(
        r.receive(Leg::Remote, &chunk("m0001", Some("1-6/8"), MORE, b"abcdEF")).outcome,
        Outcome::Partial
    );
    let got = r.receive(Leg::Remote, &chunk("m0001", Some("5-8/8"), LAST, b"XYGH"));
    assert_eq!(got.notes.as_slice(), &[Note::OverlapDiffers { first: 5, last: 6 }]);
    assert_eq!(complete(got.outcome).body, b"abcdXYGH");
}

#[test]
fn msrp1_identical_overlap_is_not_reported() {
    let mut r = r();
    r.receive(Leg::Remote, &chunk("m0001", Some("1-6/8"), MORE, b"abcdEF"));
    let got = r.receive(Leg::Remote, &chunk("m0001", Some("5-8/8"), LAST, b"EFGH"));
    assert!(got.notes.is_empty(), "{:?}", got.notes);
    assert_eq!(complete(got.outcome).body, b"abcdEFGH");
}

#[test]
fn msrp1_chunk_for_a_complete_message_changes_nothing() {
    let mut r = r();
    complete(r.receive(Leg::Remote, &chunk("m0001", Some("1-3/3"), LAST, b"abc")).outcome);
    let got = r.receive(Leg::Remote, &chunk("m0001", Some("1-3/3"), LAST, b"xyz"));
    assert_eq!(got.outcome, Outcome::Ignored);
    assert_eq!(r.partial_messages(), 0);
    assert_eq!(r.buffered_bytes(), 0);
}

#[test]
fn msrp1_chunk_for_an_aborted_message_changes_nothing() {
    // STANDARDS.md §3 vector 5: 1-*/* "abc" (+) then an empty `#` chunk: discarded.
    let mut r = r();
    assert_eq!(
        r.receive(Leg::Remote, &chunk("m0001", Some("1-*/*"), MORE, b"abc")).outcome,
        Outcome::Partial
    );
    assert!(r.buffered_bytes() > 0);
    assert_eq!(r.receive(Leg::Remote, &chunk("m0001", None, ABORT, b"")).outcome, Outcome::Aborted);
    assert_eq!(r.buffered_bytes(), 0);
    assert_eq!(r.partial_messages(), 0);
    assert_eq!(
        r.receive(Leg::Remote, &chunk("m0001", Some("4-6/6"), LAST, b"def")).outcome,
        Outcome::Ignored
    );
    assert_eq!(r.partial_messages(), 0);
}

#[test]
fn msrp1_every_chunk_of_a_message_refused_with_413_is_answered_413_again() {
    let mut r = Reassembler::new(Limits { max_message: 10, ..Limits::default() });
    assert_eq!(
        r.receive(Leg::Remote, &chunk("m0001", Some("1-5/20"), MORE, b"abcde")).outcome,
        Outcome::Rejected(413)
    );
    // Even a chunk that on its own would be fine.
    assert_eq!(
        r.receive(Leg::Remote, &chunk("m0001", Some("6-8/*"), MORE, b"fgh")).outcome,
        Outcome::Rejected(413)
    );
    assert_eq!(
        r.receive(Leg::Remote, &chunk("m0001", Some("9-9/*"), LAST, b"i")).outcome,
        Outcome::Rejected(413)
    );
    assert_eq!(r.partial_messages(), 0);
}

#[test]
fn msrp1_content_type_is_that_of_the_first_chunk_carrying_one_in_arrival_order() {
    let mut r = r();
    // Arrival order, not byte order: the chunk at 5 arrives first and carries text/html.
    r.receive(Leg::Remote, &chunk("m0001", Some("9-12/12"), LAST, b"ijkl"));
    r.receive(Leg::Remote, &typed(chunk("m0001", Some("5-8/12"), MORE, b"efgh"), "text/html"));
    let m = complete(
        r.receive(Leg::Remote, &typed(chunk("m0001", Some("1-4/12"), MORE, b"abcd"), "text/plain")).outcome,
    );
    assert_eq!(m.content_type.as_deref(), Some("text/html"));
    assert_eq!(m.body, b"abcdefghijkl");
}

#[test]
fn msrp1_of_two_dollar_chunks_the_later_one_wins() {
    // Later `$` ends further: the message grows to it.
    let mut r = r();
    assert_eq!(
        r.receive(Leg::Remote, &chunk("m0001", Some("5-8/*"), LAST, b"EFGH")).outcome,
        Outcome::Partial
    );
    assert_eq!(
        r.receive(Leg::Remote, &chunk("m0001", Some("9-10/*"), LAST, b"IJ")).outcome,
        Outcome::Partial
    );
    let m = complete(r.receive(Leg::Remote, &chunk("m0001", Some("1-4/*"), MORE, b"abcd")).outcome);
    assert_eq!(m.body, b"abcdEFGHIJ");

    // Later `$` ends earlier: the message ends there.
    let mut r = Reassembler::new(Limits::default());
    assert_eq!(
        r.receive(Leg::Remote, &chunk("m0002", Some("9-10/*"), LAST, b"IJ")).outcome,
        Outcome::Partial
    );
    assert_eq!(
        r.receive(Leg::Remote, &chunk("m0002", Some("5-8/*"), LAST, b"EFGH")).outcome,
        Outcome::Partial
    );
    let m = complete(r.receive(Leg::Remote, &chunk("m0002", Some("1-4/*"), MORE, b"abcd")).outcome);
    assert_eq!(m.body, b"abcdEFGH");
}

#[test]
fn msrp1_reassembly_is_per_leg_and_message_id() {
    let mut r = r();
    assert_eq!(
        r.receive(Leg::Client, &chunk("same0001", Some("1-4/8"), MORE, b"abcd")).outcome,
        Outcome::Partial
    );
    assert_eq!(
        r.receive(Leg::Remote, &chunk("same0001", Some("1-4/8"), MORE, b"WXYZ")).outcome,
        Outcome::Partial
    );
    assert_eq!(r.partial_messages(), 2);
    let remote = complete(r.receive(Leg::Remote, &chunk("same0001", Some("5-8/8"), LAST, b"efgh")).outcome);
    assert_eq!((remote.leg, remote.body.as_slice()), (Leg::Remote, &b"WXYZefgh"[..]));
    let client = complete(r.receive(Leg::Client, &chunk("same0001", Some("5-8/8"), LAST, b"EFGH")).outcome);
    assert_eq!((client.leg, client.body.as_slice()), (Leg::Client, &b"abcdEFGH"[..]));
    // Completing on one leg does not make the other leg's same ID "finished".
    let iwf = complete(r.receive(Leg::Iwf(1), &chunk("same0001", None, LAST, b"x")).outcome);
    assert_eq!(iwf.leg, Leg::Iwf(1));
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
type Case = (SendRequest<'static>, fn(&Malformed) -> bool);

#[test]
fn msrp1_unintelligible_chunks_are_answered_400_and_dropped() {
    let cases: [Case; 6] = [
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

#[test]
fn msrp1_body_less_1_0_0_send_is_a_keep_alive_never_stored() {
    let mut r = r();
    let got = r.receive(Leg::Remote, &chunk("keep0001", Some("1-0/0"), LAST, b""));
    assert_eq!(got.outcome, Outcome::KeepAlive);
    assert!(got.notes.is_empty());
    assert_eq!((r.partial_messages(), r.buffered_bytes(), r.remembered_finished()), (0, 0, 0));
    // Keep-alives on a message in progress do not disturb it.
    r.receive(Leg::Remote, &chunk("m0001", Some("1-2/4"), MORE, b"ab"));
    assert_eq!(r.receive(Leg::Remote, &chunk("m0001", Some("1-0/0"), LAST, b"")).outcome, Outcome::KeepAlive);
    let m = complete(r.receive(Leg::Remote, &chunk("m0001", Some("3-4/4"), LAST, b"cd")).outcome);
    assert_eq!(m.body, b"abcd");
}

#[test]
fn msrp1_message_complete_in_its_first_chunk_never_counts_as_partial() {
    // Even with no room at all for partial messages or buffered bytes.
    let mut r = Reassembler::new(Limits { max_partial: 0, max_buffered: 0, ..Limits::default() });
    let m = complete(r.receive(Leg::Remote, &chunk("m0001", Some("1-5/5"), LAST, b"hello")).outcome);
    assert_eq!(m.body, b"hello");
    assert_eq!(r.partial_messages(), 0);
    // A message that does need buffering is refused under those limits.
    assert_eq!(
        r.receive(Leg::Remote, &chunk("m0002", Some("1-2/4"), MORE, b"he")).outcome,
        Outcome::Rejected(413)
    );
}

// ---------------------------------------------------------------------------------------------
// LIM-1
// ---------------------------------------------------------------------------------------------

fn over_limit(notes: &[Note]) -> Option<Limit> {
    notes.iter().find_map(|n| match n {
        Note::OverLimit { limit, .. } => Some(*limit),
        _ => None,
    })
}

#[test]
fn lim1_message_limit_defaults() {
    assert_eq!(Limits::default(), Limits { max_message: 1 << 20, max_partial: 16, max_buffered: 4 << 20 });
}

#[test]
fn lim1_claimed_total_over_max_message_is_413_and_reported() {
    let mut r = r();
    let got = r.receive(Leg::Remote, &chunk("m0001", Some("1-4/1048577"), MORE, b"abcd"));
    assert_eq!(got.outcome, Outcome::Rejected(413));
    assert!(got.notes.contains(&Note::OverLimit {
        limit: Limit::Message,
        needed: 1_048_577,
        allowed: 1 << 20
    }));
    assert_eq!(r.buffered_bytes(), 0, "nothing is allocated for a declared total over the limit");
    // Exactly at the limit is fine.
    assert_eq!(
        r.receive(Leg::Remote, &chunk("m0002", Some("1-4/1048576"), MORE, b"abcd")).outcome,
        Outcome::Partial
    );
}

#[test]
fn lim1_huge_declared_total_allocates_nothing() {
    let mut r = r();
    let got = r.receive(Leg::Remote, &chunk("m0001", Some("1-4/18446744073709551615"), MORE, b"abcd"));
    assert_eq!(got.outcome, Outcome::Rejected(413));
    assert_eq!((r.buffered_bytes(), r.partial_messages()), (0, 0));
}

#[test]
fn lim1_received_range_over_max_message_is_413() {
    let mut r = Reassembler::new(Limits { max_message: 100, ..Limits::default() });
    let got = r.receive(Leg::Remote, &chunk("m0001", Some("99-*/*"), MORE, b"abc"));
    assert_eq!(got.outcome, Outcome::Rejected(413));
    assert!(got.notes.contains(&Note::OverLimit { limit: Limit::Message, needed: 101, allowed: 100 }));
    // A range start at the very top of u64 cannot overflow into a small number.
    let got = r.receive(Leg::Remote, &chunk("m0002", Some("18446744073709551615-*/*"), MORE, b"abc"));
    assert_eq!(got.outcome, Outcome::Rejected(413));
    assert_eq!(over_limit(&got.notes), Some(Limit::Message));
}

#[test]
fn lim1_message_growing_over_max_message_is_discarded_whole() {
    let mut r = Reassembler::new(Limits { max_message: 10, ..Limits::default() });
    assert_eq!(
        r.receive(Leg::Remote, &chunk("m0001", Some("1-*/*"), MORE, b"abcdef")).outcome,
        Outcome::Partial
    );
    assert!(r.buffered_bytes() > 0);
    let got = r.receive(Leg::Remote, &chunk("m0001", Some("7-*/*"), MORE, b"ghijk"));
    assert_eq!(got.outcome, Outcome::Rejected(413));
    assert_eq!(over_limit(&got.notes), Some(Limit::Message));
    assert_eq!((r.buffered_bytes(), r.partial_messages()), (0, 0), "discarded whole");
    assert_eq!(
        r.receive(Leg::Remote, &chunk("m0001", Some("12-*/*"), LAST, b"")).outcome,
        Outcome::Rejected(413)
    );
}

#[test]
fn lim1_single_chunk_over_max_message_is_413() {
    let mut r = Reassembler::new(Limits { max_message: 4, ..Limits::default() });
    let got = r.receive(Leg::Remote, &chunk("m0001", None, LAST, b"hello"));
    assert_eq!(got.outcome, Outcome::Rejected(413));
    assert_eq!(over_limit(&got.notes), Some(Limit::Message));
    assert!(matches!(
        r.receive(Leg::Remote, &chunk("m0002", None, LAST, b"hell")).outcome,
        Outcome::Complete(_)
    ));
}

/// LIM-1 counts partial messages per session; the decision where SPEC.md is silent (CONFORMANCE.md)
/// keeps one leg from holding them all: a leg holding fewer than half of the slots gets one by
/// evicting the least recently active partial message of a leg holding more than half.
#[test]
fn lim1_a_leg_holding_most_slots_gives_up_its_least_recently_active_message() {
    let mut r = Reassembler::new(Limits { max_partial: 4, ..Limits::default() });
    for id in ["r0001", "r0002", "r0003", "r0004"] {
        assert_eq!(r.receive(Leg::Remote, &chunk(id, Some("1-2/6"), MORE, b"ab")).outcome, Outcome::Partial);
    }
    // r0001 gets another chunk: r0002 is now the least recently active.
    assert_eq!(r.receive(Leg::Remote, &chunk("r0001", Some("3-4/6"), MORE, b"cd")).outcome, Outcome::Partial);
    let held = r.buffered_bytes();
    let got = r.receive(Leg::Client, &chunk("c0001", Some("1-2/4"), MORE, b"ab"));
    assert_eq!(got.outcome, Outcome::Partial);
    let evicted = MessageId::parse("r0002").unwrap();
    assert_eq!(got.notes.as_slice(), [Note::Evicted { leg: Leg::Remote, id: evicted }]);
    assert_eq!(r.partial_messages(), 4);
    assert!(r.buffered_bytes() <= held, "the evicted message's bytes are let go");
    // The evicted message is refused from now on, the others go on, the client's completes.
    assert_eq!(
        r.receive(Leg::Remote, &chunk("r0002", Some("3-6/6"), LAST, b"cdef")).outcome,
        Outcome::Rejected(413)
    );
    assert_eq!(
        complete(r.receive(Leg::Remote, &chunk("r0001", Some("5-6/6"), LAST, b"ef")).outcome).body,
        b"abcdef"
    );
    assert_eq!(
        complete(r.receive(Leg::Client, &chunk("c0001", Some("3-4/4"), LAST, b"cd")).outcome).body,
        b"abcd"
    );
}

/// No eviction when the new message's leg holds half of the slots or more, or when no other leg
/// holds more than half: the new message is refused as before.
#[test]
fn lim1_no_eviction_without_a_leg_holding_more_than_half() {
    let open = |r: &mut Reassembler, leg, id| r.receive(leg, &chunk(id, Some("1-2/4"), MORE, b"ab"));
    // Remote 2, client 2: neither may take from the other.
    let mut r = Reassembler::new(Limits { max_partial: 4, ..Limits::default() });
    for (leg, id) in
        [(Leg::Remote, "r0001"), (Leg::Remote, "r0002"), (Leg::Client, "c0001"), (Leg::Client, "c0002")]
    {
        assert_eq!(open(&mut r, leg, id).outcome, Outcome::Partial);
    }
    for (leg, id) in [(Leg::Client, "c0003"), (Leg::Remote, "r0003")] {
        let got = open(&mut r, leg, id);
        assert_eq!(got.outcome, Outcome::Rejected(413), "{id}");
        assert!(!got.notes.iter().any(|n| matches!(n, Note::Evicted { .. })), "{id}: {:?}", got.notes);
    }
    // Remote 2, IWF 2, client 0: no leg holds more than half, so the client is refused too.
    let mut r = Reassembler::new(Limits { max_partial: 4, ..Limits::default() });
    for (leg, id) in
        [(Leg::Remote, "r0001"), (Leg::Remote, "r0002"), (Leg::Iwf(1), "i0001"), (Leg::Iwf(1), "i0002")]
    {
        assert_eq!(open(&mut r, leg, id).outcome, Outcome::Partial);
    }
    assert_eq!(open(&mut r, Leg::Client, "c0001").outcome, Outcome::Rejected(413));
    // Remote 3, client 1 (of 4): the client holds fewer than half and the remote more, so it may.
    let mut r = Reassembler::new(Limits { max_partial: 4, ..Limits::default() });
    for (leg, id) in
        [(Leg::Remote, "r0001"), (Leg::Remote, "r0002"), (Leg::Remote, "r0003"), (Leg::Client, "c0001")]
    {
        assert_eq!(open(&mut r, leg, id).outcome, Outcome::Partial);
    }
    // The remote's own new message takes nothing from its own.
    let got = open(&mut r, Leg::Remote, "r0004");
    assert_eq!((got.outcome, got.notes.len()), (Outcome::Rejected(413), 1), "{:?}", got.notes);
    let got = open(&mut r, Leg::Client, "c0002");
    assert_eq!(got.outcome, Outcome::Partial);
    assert_eq!(
        got.notes.as_slice(),
        [Note::Evicted { leg: Leg::Remote, id: MessageId::parse("r0001").unwrap() }]
    );
    // Now remote 2, client 2: the remote may not take one back.
    assert_eq!(open(&mut r, Leg::Remote, "r0005").outcome, Outcome::Rejected(413));
}

#[test]
fn lim1_partial_message_limit_refuses_the_next_message_and_the_session_goes_on() {
    let mut r = Reassembler::new(Limits { max_partial: 2, ..Limits::default() });
    assert_eq!(r.receive(Leg::Remote, &chunk("m0001", Some("1-2/4"), MORE, b"ab")).outcome, Outcome::Partial);
    assert_eq!(r.receive(Leg::Client, &chunk("m0002", Some("1-2/4"), MORE, b"ab")).outcome, Outcome::Partial);
    let got = r.receive(Leg::Remote, &chunk("m0003", Some("1-2/4"), MORE, b"ab"));
    assert_eq!(got.outcome, Outcome::Rejected(413));
    assert!(got.notes.contains(&Note::OverLimit { limit: Limit::Partial, needed: 3, allowed: 2 }));
    assert_eq!(r.partial_messages(), 2);
    // Later chunks of the refused message: 413 again, even once there is room.
    complete(r.receive(Leg::Remote, &chunk("m0001", Some("3-4/4"), LAST, b"cd")).outcome);
    assert_eq!(
        r.receive(Leg::Remote, &chunk("m0003", Some("3-4/4"), LAST, b"cd")).outcome,
        Outcome::Rejected(413)
    );
    // The session goes on: the partial still open completes, a new message fits again.
    complete(r.receive(Leg::Client, &chunk("m0002", Some("3-4/4"), LAST, b"cd")).outcome);
    assert_eq!(r.receive(Leg::Remote, &chunk("m0004", Some("1-2/4"), MORE, b"ab")).outcome, Outcome::Partial);
}

#[test]
fn lim1_buffered_limit_refuses_the_message_that_would_exceed_it() {
    let limits = Limits { max_message: 1000, max_partial: 16, max_buffered: 2500 };
    let mut r = Reassembler::new(limits);
    // Known totals are allocated once, in full: two of 1000 fit, the third does not.
    assert_eq!(
        r.receive(Leg::Remote, &chunk("m0001", Some("1-1/1000"), MORE, b"a")).outcome,
        Outcome::Partial
    );
    assert_eq!(
        r.receive(Leg::Remote, &chunk("m0002", Some("1-1/1000"), MORE, b"a")).outcome,
        Outcome::Partial
    );
    assert!(r.buffered_bytes() >= 2000 && r.buffered_bytes() <= 2500, "{}", r.buffered_bytes());
    let got = r.receive(Leg::Remote, &chunk("m0003", Some("1-1/1000"), MORE, b"a"));
    assert_eq!(got.outcome, Outcome::Rejected(413));
    assert_eq!(over_limit(&got.notes), Some(Limit::Buffered));
    assert!(r.buffered_bytes() <= 2500);
    assert_eq!(r.partial_messages(), 2, "the others are untouched");
    assert_eq!(
        r.receive(Leg::Remote, &chunk("m0003", Some("2-2/1000"), MORE, b"b")).outcome,
        Outcome::Rejected(413)
    );
    // A small message still fits after the refusal.
    assert_eq!(
        r.receive(Leg::Remote, &chunk("m0004", Some("1-1/100"), MORE, b"a")).outcome,
        Outcome::Partial
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

/// In-order chunks take a shortcut (append to the reserved buffer); each way a chunk can change
/// more than the bytes must still be seen: a new total, a first content type, a buffer that has
/// to grow, a range end that disagrees with the body.
#[test]
fn msrp1_in_order_chunks_that_change_more_than_bytes_are_still_seen() {
    let mut r = r();
    assert_eq!(
        r.receive(Leg::Remote, &chunk("m1234", Some("1-4/8"), MORE, b"abcd")).outcome,
        Outcome::Partial
    );
    let second = r.receive(Leg::Remote, &typed(chunk("m1234", Some("5-6/10"), MORE, b"ef"), "text/plain"));
    assert_eq!(second.outcome, Outcome::Partial);
    assert!(second.notes.contains(&Note::TotalChanged { was: 8, now: 10 }), "{:?}", second.notes);
    let third = r.receive(Leg::Remote, &chunk("m1234", Some("7-9/10"), MORE, b"ghij"));
    assert!(
        third.notes.contains(&Note::RangeEndMismatch { start: 7, declared_end: 9, body_end: 10 }),
        "{:?}",
        third.notes
    );
    let m = complete(r.receive(Leg::Remote, &chunk("m1234", Some("11-12/12"), LAST, b"kl")).outcome);
    assert_eq!(m.body, b"abcdefghijkl");
    assert_eq!(m.content_type.as_deref(), Some("text/plain"));

    // Unknown total: the buffer grows as in-order chunks arrive past what was reserved.
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
