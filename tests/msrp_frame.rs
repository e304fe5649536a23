//! The MSRP frame parser (RFC 4975 §9): the RFC's example messages as fixtures, malformed frames
//! with the status they map to, the maximum frame size (docs/requirements.md LIM-1), and the properties
//! "chunk boundaries do not matter" and "arbitrary bytes never panic".

use cpm_pf::msrp::frame::{
    parse, Frame, FrameDecoder, FrameError, Header, Parsed, Problem, RequestMethod, StartLine,
    StartLineProblem, DEFAULT_MAX_FRAME,
};
use cpm_pf::msrp::reassembly::{Limits, Note, Outcome, Reassembler};
use cpm_pf::msrp::{Continuation, SendRequest};
use cpm_pf::Leg;
use proptest::prelude::*;

mod common;

/// RFC 4975 §4: the first SEND of the example session.
const RFC4975_S4_SEND: &[u8] = b"MSRP a786hjs2 SEND\r\n\
To-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp\r\n\
From-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp\r\n\
Message-ID: 87652491\r\n\
Byte-Range: 1-25/25\r\n\
Content-Type: text/plain\r\n\
\r\n\
Hey Bob, are you there?\r\n\
-------a786hjs2$\r\n";

/// RFC 4975 §4: Bob's 200 OK to it (paths swapped).
const RFC4975_S4_OK: &[u8] = b"MSRP a786hjs2 200 OK\r\n\
To-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp\r\n\
From-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp\r\n\
-------a786hjs2$\r\n";

// RFC 4975 §5.1: "abcdEFGH" in two chunks, shared with tests/msrp_bytes_to_session.rs.
use common::{RFC4975_S5_1_FIRST, RFC4975_S5_1_SECOND};

/// RFC 4975 §11 (example session): Alice's SEND.
const RFC4975_S11_SEND: &[u8] = b"MSRP d93kswow SEND\r\n\
To-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n\
From-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\n\
Message-ID: 12339sdqwer\r\n\
Byte-Range: 1-16/16\r\n\
Content-Type: text/plain\r\n\
\r\n\
Hi, I'm Alice!\r\n\
-------d93kswow$\r\n";

/// RFC 4975 §11: Bob's 200 OK.
const RFC4975_S11_OK: &[u8] = b"MSRP d93kswow 200 OK\r\n\
To-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\n\
From-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n\
-------d93kswow$\r\n";

/// RFC 4975 §11: Bob's positive REPORT (no body, no blank line).
const RFC4975_S11_REPORT: &[u8] = b"MSRP dkei38sd REPORT\r\n\
To-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\n\
From-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n\
Message-ID: 12339sdqwer\r\n\
Byte-Range: 1-106/106\r\n\
Status: 000 200 OK\r\n\
-------dkei38sd$\r\n";

const FIXTURES: [&[u8]; 7] = [
    RFC4975_S4_SEND,
    RFC4975_S4_OK,
    RFC4975_S5_1_FIRST,
    RFC4975_S5_1_SECOND,
    RFC4975_S11_SEND,
    RFC4975_S11_OK,
    RFC4975_S11_REPORT,
];

fn whole(bytes: &[u8]) -> Frame<'_> {
    match parse(bytes, DEFAULT_MAX_FRAME) {
        Ok(Parsed::Frame { frame, len }) => {
            assert_eq!(len, bytes.len(), "the frame is the whole input");
            frame
        }
        other => panic!("expected a frame, got {other:?}"),
    }
}

fn error(bytes: &[u8]) -> FrameError {
    match parse(bytes, DEFAULT_MAX_FRAME) {
        Err(e) => e,
        other => panic!("expected an error, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// RFC 4975 fixtures
// ---------------------------------------------------------------------------------------------

#[test]
fn rfc4975_s4_send() {
    let f = whole(RFC4975_S4_SEND);
    assert_eq!(f.transaction_id, "a786hjs2");
    assert_eq!(f.start, StartLine::Request(RequestMethod::Send));
    assert_eq!(f.to_path, "msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp");
    assert_eq!(f.from_path, "msrp://atlanta.example.com:7654/jshA7weztas;tcp");
    assert_eq!(f.message_id(), Some("87652491"));
    assert_eq!(f.byte_range(), Some("1-25/25"));
    assert_eq!(f.content_type(), Some("text/plain"));
    // The CRLF before the end-line is not part of the body (RFC 4975 §7.1, erratum 4177).
    assert_eq!(f.body, Some(&b"Hey Bob, are you there?"[..]));
    assert_eq!(f.continuation, Continuation::Complete);
    let headers: Vec<Header<'_>> = f.headers().collect();
    assert_eq!(headers.len(), 5);
    assert_eq!(headers[2], Header { name: "Message-ID", value: "87652491" });
    assert_eq!(f.unsupported_method_status(), None);
}

#[test]
fn rfc4975_s4_send_reassembles_with_the_byte_range_gotcha_reported() {
    // The body is 23 octets though Byte-Range says 25: the body wins, the mismatch is reported.
    let f = whole(RFC4975_S4_SEND);
    let send = SendRequest::from_frame(&f).expect("a SEND");
    let got = Reassembler::new(Limits::default()).receive(Leg::Remote, &send);
    assert!(got.notes.contains(&Note::RangeEndMismatch { start: 1, declared_end: 25, body_end: 23 }));
    match got.outcome {
        Outcome::Complete(m) => {
            assert_eq!(m.body, b"Hey Bob, are you there?");
            assert_eq!(m.content_type.as_deref(), Some("text/plain"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn rfc4975_s4_ok_response() {
    let f = whole(RFC4975_S4_OK);
    assert_eq!(f.transaction_id, "a786hjs2");
    assert_eq!(f.start, StartLine::Response { status: 200, comment: Some("OK") });
    assert_eq!(f.to_path, "msrp://atlanta.example.com:7654/jshA7weztas;tcp");
    assert_eq!(f.body, None);
    assert_eq!(SendRequest::from_frame(&f), None, "a response is not a SEND");
}

#[test]
fn rfc4975_s5_1_two_chunks_through_the_decoder_reassemble_abcdefgh() {
    let stream = [RFC4975_S5_1_FIRST, RFC4975_S5_1_SECOND].concat();
    let mut decoder = FrameDecoder::new(DEFAULT_MAX_FRAME);
    assert_eq!(decoder.push(&stream), stream.len());
    let mut r = Reassembler::new(Limits::default());
    let mut outcomes = Vec::new();
    let mut tids = Vec::new();
    while let Some(frame) = decoder.next_frame() {
        let frame = frame.expect("RFC frames parse");
        tids.push(frame.transaction_id.to_owned());
        outcomes.push(r.receive(Leg::Remote, &SendRequest::from_frame(&frame).unwrap()).outcome);
    }
    // Two transactions, one Message-ID (RFC 4975 §5.1).
    assert_eq!(tids, ["dkei38sd", "dkei38ia"]);
    assert_eq!(outcomes.len(), 2);
    assert_eq!(outcomes[0], Outcome::Partial);
    match &outcomes[1] {
        Outcome::Complete(m) => assert_eq!(m.body, b"abcdEFGH"),
        other => panic!("{other:?}"),
    }
    assert_eq!(decoder.buffered(), 0);
}

#[test]
fn rfc4975_s5_1_first_chunk_has_the_more_flag() {
    let f = whole(RFC4975_S5_1_FIRST);
    assert_eq!(f.continuation, Continuation::More);
    assert_eq!(f.body, Some(&b"abcd"[..]));
    let send = SendRequest::from_frame(&f).unwrap();
    assert_eq!(send.continuation, Some(Continuation::More));
    assert_eq!(send.byte_range, Some("1-*/8"));
}

#[test]
fn rfc4975_s11_send_and_ok() {
    let f = whole(RFC4975_S11_SEND);
    assert_eq!(f.transaction_id, "d93kswow");
    assert_eq!(f.message_id(), Some("12339sdqwer"));
    assert_eq!(f.body, Some(&b"Hi, I'm Alice!"[..]));
    let ok = whole(RFC4975_S11_OK);
    assert_eq!(ok.start, StartLine::Response { status: 200, comment: Some("OK") });
    assert_eq!(ok.transaction_id, "d93kswow");
}

#[test]
fn rfc4975_s11_report_has_no_body() {
    let f = whole(RFC4975_S11_REPORT);
    assert_eq!(f.start, StartLine::Request(RequestMethod::Report));
    assert_eq!(f.header("status"), Some("000 200 OK"), "header names are matched without regard to case");
    assert_eq!(f.byte_range(), Some("1-106/106"));
    assert_eq!(f.body, None);
    assert_eq!(f.unsupported_method_status(), None, "REPORT is never answered");
    assert_eq!(SendRequest::from_frame(&f), None);
}

#[test]
fn every_fixture_is_incomplete_until_its_last_byte() {
    for fixture in FIXTURES {
        for cut in 0..fixture.len() {
            assert_eq!(parse(&fixture[..cut], DEFAULT_MAX_FRAME), Ok(Parsed::Incomplete), "cut at {cut}");
        }
    }
}

#[test]
fn bytes_after_the_frame_are_left_alone() {
    let stream = [RFC4975_S4_SEND, RFC4975_S4_OK].concat();
    match parse(&stream, DEFAULT_MAX_FRAME) {
        Ok(Parsed::Frame { frame, len }) => {
            assert_eq!(len, RFC4975_S4_SEND.len());
            assert_eq!(frame.transaction_id, "a786hjs2");
        }
        other => panic!("{other:?}"),
    };
}

// ---------------------------------------------------------------------------------------------
// Frames this parser accepts that a naive one gets wrong
// ---------------------------------------------------------------------------------------------

#[test]
fn body_may_contain_dashes_crlf_and_other_end_lines() {
    let frame = b"MSRP abcd1234 SEND\r\nTo-Path: msrp://a/x;tcp\r\nFrom-Path: msrp://b/y;tcp\r\n\
Message-ID: m0001\r\nContent-Type: text/plain\r\n\r\n\
line\r\n-------other99$\r\n-------abcd1234X\r\n\r\n\
-------abcd1234+\r\n";
    let f = whole(frame);
    assert_eq!(f.body, Some(&b"line\r\n-------other99$\r\n-------abcd1234X\r\n"[..]));
    assert_eq!(f.continuation, Continuation::More);
}

#[test]
fn empty_body_and_blank_line_without_body() {
    // content-stuff with empty data: blank line, empty data, CRLF, end-line.
    let a = b"MSRP abcd1234 SEND\r\nTo-Path: t\r\nFrom-Path: f\r\nContent-Type: text/plain\r\n\r\n\r\n-------abcd1234$\r\n";
    assert_eq!(whole(a).body, Some(&b""[..]));
    // A blank line directly followed by the end-line: also an empty body.
    let b = b"MSRP abcd1234 SEND\r\nTo-Path: t\r\nFrom-Path: f\r\nContent-Type: text/plain\r\n\r\n-------abcd1234$\r\n";
    assert_eq!(whole(b).body, Some(&b""[..]));
}

#[test]
fn unknown_method_parses_and_maps_to_501() {
    let f = whole(b"MSRP abcd1234 NICKNAME\r\nTo-Path: t\r\nFrom-Path: f\r\n-------abcd1234$\r\n");
    assert_eq!(f.method(), Some(RequestMethod::Other("NICKNAME")));
    assert_eq!(f.unsupported_method_status(), Some(501));
    assert_eq!(SendRequest::from_frame(&f), None);
}

#[test]
fn paths_in_any_order_and_header_names_in_any_case() {
    let f = whole(
        b"MSRP abcd1234 SEND\r\nfrom-path: F\r\nTO-PATH: T\r\nmessage-id:m0001\r\n-------abcd1234$\r\n",
    );
    assert_eq!((f.to_path, f.from_path), ("T", "F"));
    assert_eq!(f.message_id(), Some("m0001"));
    assert_eq!(SendRequest::from_frame(&f).unwrap().body, b"");
}

#[test]
fn response_with_comment_and_without() {
    let f = whole(b"MSRP abcd1234 413 Message too big\r\nTo-Path: t\r\nFrom-Path: f\r\n-------abcd1234$\r\n");
    assert_eq!(f.start, StartLine::Response { status: 413, comment: Some("Message too big") });
    let f = whole(b"MSRP abcd1234 200\r\nTo-Path: t\r\nFrom-Path: f\r\n-------abcd1234$\r\n");
    assert_eq!(f.start, StartLine::Response { status: 200, comment: None });
}

// ---------------------------------------------------------------------------------------------
// Malformed frames: the right error and status
// ---------------------------------------------------------------------------------------------

#[test]
fn start_line_errors_are_400_and_fatal() {
    use StartLineProblem as P;
    for (bad, reason) in [
        (&b"HTTP/1.1 200 OK\r\n"[..], P::NotMsrp),
        (
            b"MSRP abcd1234 send\r\nTo-Path: t\r\nFrom-Path: f\r\n-------abcd1234$\r\n",
            P::NeitherMethodNorStatus,
        ),
        (b"MSRP abc SEND\r\nTo-Path: t\r\nFrom-Path: f\r\n-------abc$\r\n", P::BadTransactionId),
        (b"MSRP abcd1234\r\n", P::MissingMethodOrStatus),
        (b"MSRP abcd1234 20 OK\r\n", P::BadStatus),
        (b"MSRP  abcd1234 SEND\r\n", P::BadTransactionId),
        (b"MSRP abcd1234 SEND \r\n", P::BadMethod),
        (b"MSRP abcd1234 200 OK\x01\r\n", P::ControlInComment),
    ] {
        let e = error(bad);
        assert!(matches!(e, FrameError::BadStartLine { .. }), "{:?}: {e:?}", String::from_utf8_lossy(bad));
        assert!(
            matches!(e, FrameError::BadStartLine { reason: r, .. } if r == reason),
            "{:?}: {e:?}",
            String::from_utf8_lossy(bad)
        );
        assert_eq!(e.status(), 400);
        assert!(e.is_fatal());
    }
}

#[test]
fn garbage_is_refused_from_its_first_bytes() {
    // No need to wait for a CRLF: "X" cannot begin "MSRP ".
    assert!(matches!(parse(b"X", DEFAULT_MAX_FRAME), Err(FrameError::BadStartLine { .. })));
    assert_eq!(parse(b"MSR", DEFAULT_MAX_FRAME), Ok(Parsed::Incomplete));
}

/// Feeds `bytes` to a decoder one byte at a time: the index of the byte after which it reported
/// an error, and the error. Every prefix before that byte must be `Incomplete` to `parse` too.
fn refused_at(bytes: &[u8]) -> Option<(usize, FrameError)> {
    let mut d = FrameDecoder::new(DEFAULT_MAX_FRAME);
    for (i, byte) in bytes.chunks(1).enumerate() {
        assert_eq!(d.push(byte), 1);
        match d.next_frame() {
            None => assert_eq!(parse(&bytes[..=i], DEFAULT_MAX_FRAME), Ok(Parsed::Incomplete), "at {i}"),
            Some(Err(e)) => {
                assert_eq!(parse(&bytes[..=i], DEFAULT_MAX_FRAME), Err(e), "parse and decoder agree at {i}");
                return Some((i, e));
            }
            Some(Ok(frame)) => panic!("a frame at {i}: {frame:?}"),
        }
    }
    None
}

/// Asserts that `line` is refused with `reason` exactly when its last byte arrives, and with the
/// transaction id when the line got that far.
fn refused_at_its_last_byte(line: &[u8], reason: StartLineProblem, tid: Option<&str>) {
    let shown = String::from_utf8_lossy(line);
    let (at, e) = refused_at(line).unwrap_or_else(|| panic!("{shown:?} never refused"));
    assert_eq!(at, line.len() - 1, "{shown:?} refused at {at}: {e:?}");
    let FrameError::BadStartLine { reason: got, transaction_id } = e else { panic!("{shown:?}: {e:?}") };
    assert_eq!(got, reason, "{shown:?}");
    assert_eq!(transaction_id.as_ref().map(|t| t.as_str()), tid, "{shown:?}");
    assert_eq!(e.transaction_id(), transaction_id);
    assert_eq!((e.status(), e.is_fatal()), (400, true));
    // Whole, and with a frame's worth of bytes after it, the same error.
    let mut longer = line.to_vec();
    longer.extend_from_slice(b"\r\nTo-Path: t\r\nFrom-Path: f\r\n-------abcd1234$\r\n");
    for input in [line, &longer[..]] {
        assert_eq!(parse(input, DEFAULT_MAX_FRAME), Err(e), "{shown:?}");
    }
}

/// RFC 4975 §9: `req-start = "MSRP" SP transact-id SP method CRLF`. After `SEND`, only CR can
/// come; a space makes the line hopeless, so it is refused when the space arrives, not after
/// the maximum frame size (1 MiB) with a 413.
#[test]
fn send_followed_by_a_space_is_refused_at_once() {
    refused_at_its_last_byte(b"MSRP abcd1234 SEND ", StartLineProblem::BadMethod, Some("abcd1234"));
    refused_at_its_last_byte(b"MSRP abcd1234 REPORTx", StartLineProblem::BadMethod, Some("abcd1234"));
    // A status code is 3DIGIT, then SP or CRLF.
    refused_at_its_last_byte(b"MSRP abcd1234 20 ", StartLineProblem::BadStatus, Some("abcd1234"));
    refused_at_its_last_byte(b"MSRP abcd1234 2000", StartLineProblem::BadStatus, Some("abcd1234"));
    refused_at_its_last_byte(b"MSRP abcd1234 s", StartLineProblem::NeitherMethodNorStatus, Some("abcd1234"));
    refused_at_its_last_byte(
        b"MSRP abcd1234 200 OK\x7f",
        StartLineProblem::ControlInComment,
        Some("abcd1234"),
    );
    refused_at_its_last_byte(
        b"MSRP abcd1234 200 \xc3\x28",
        StartLineProblem::CommentNotUtf8,
        Some("abcd1234"),
    );
    refused_at_its_last_byte(b"MSRP abcd1234 SEND\rX", StartLineProblem::CrWithoutLf, Some("abcd1234"));
    refused_at_its_last_byte(b"MSRQ", StartLineProblem::NotMsrp, None);
    refused_at_its_last_byte(b"MSRP ab!", StartLineProblem::BadTransactionId, None);
}

/// RFC 4975 §9 ends every start line with CRLF: a bare LF is refused where it stands, wherever
/// that is in the line.
#[test]
fn bare_lf_in_the_start_line_is_refused_at_once() {
    refused_at_its_last_byte(b"MSRP abcd1234 SEND\n", StartLineProblem::BareLf, Some("abcd1234"));
    refused_at_its_last_byte(b"MSRP abcd1234 200 OK\n", StartLineProblem::BareLf, Some("abcd1234"));
    refused_at_its_last_byte(b"MSRP abcd1234 200\n", StartLineProblem::BareLf, Some("abcd1234"));
    refused_at_its_last_byte(b"MSRP abcd1234\n", StartLineProblem::BareLf, None);
    refused_at_its_last_byte(b"MSRP\n", StartLineProblem::BareLf, None);
}

/// `transact-id = ident` is at most 32 characters: the 33rd is refused when it arrives.
#[test]
fn over_long_transaction_id_is_refused_at_once() {
    let tid = "x".repeat(33);
    refused_at_its_last_byte(format!("MSRP {tid}").as_bytes(), StartLineProblem::TransactionIdTooLong, None);
    // 32 are fine.
    let frame = send_with_body(&tid[..32], b"body");
    assert_eq!(refused_at(&frame[..frame.len() - 1]), None);
    assert_eq!(whole(&frame).transaction_id, &tid[..32]);
    // Shorter than 4 is refused at the space.
    refused_at_its_last_byte(b"MSRP abc ", StartLineProblem::BadTransactionId, None);
}

/// A start line that arrives slowly is `Incomplete` at every prefix, to `parse` and to the
/// decoder fed byte by byte, however it goes on: a method never seen before, a response whose
/// comment holds spaces, tabs and UTF-8 (cut inside a character), no comment.
#[test]
fn a_valid_slow_start_line_is_incomplete_at_every_prefix() {
    let paths = "To-Path: msrp://a.example.com:7777/iau39soe2843z;tcp\r\n\
        From-Path: msrp://b.example.com:8888/9di4eae923wzd;tcp\r\n-------abcd$\r\n";
    for (line, start) in [
        ("MSRP abcd SE", None),
        ("MSRP abcd SEND", Some(StartLine::Request(RequestMethod::Send))),
        ("MSRP abcd FOO", Some(StartLine::Request(RequestMethod::Other("FOO")))),
        (
            "MSRP abcd 200 OK comment\twith  spaces",
            Some(StartLine::Response { status: 200, comment: Some("OK comment\twith  spaces") }),
        ),
        (
            "MSRP abcd 481 d\u{e9}j\u{e0} \u{1F600}",
            Some(StartLine::Response { status: 481, comment: Some("d\u{e9}j\u{e0} \u{1F600}") }),
        ),
        ("MSRP abcd 200", Some(StartLine::Response { status: 200, comment: None })),
    ] {
        let Some(start) = start else {
            // Cut short: nothing to refuse yet.
            assert_eq!(refused_at(line.as_bytes()), None);
            continue;
        };
        let frame = format!("{line}\r\n{paths}");
        let bytes = frame.as_bytes();
        assert_eq!(refused_at(&bytes[..bytes.len() - 1]), None, "{line:?}");
        let mut d = FrameDecoder::new(DEFAULT_MAX_FRAME);
        assert_eq!(d.push(bytes), bytes.len());
        assert_eq!(d.next_frame().map(|f| f.map(|f| f.start)), Some(Ok(start)), "{line:?}");
        assert_eq!(whole(bytes).start, start);
    }
}

fn malformed(bytes: &[u8]) -> (Problem, usize) {
    match error(bytes) {
        e @ FrameError::Malformed { problem, frame_len, .. } => {
            assert_eq!(e.status(), 400);
            assert!(!e.is_fatal());
            assert_eq!(e.transaction_id().map(|t| t.to_string()).as_deref(), Some("abcd1234"));
            (problem, frame_len)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn missing_paths_are_400() {
    let a = b"MSRP abcd1234 SEND\r\nFrom-Path: f\r\nMessage-ID: m0001\r\n-------abcd1234$\r\n";
    assert_eq!(malformed(a), (Problem::MissingToPath, a.len()));
    let b = b"MSRP abcd1234 SEND\r\nTo-Path: t\r\n\r\nbody\r\n-------abcd1234$\r\n";
    assert_eq!(malformed(b), (Problem::MissingFromPath, b.len()));
}

#[test]
fn end_line_transaction_id_must_match_the_start_line() {
    let a = b"MSRP abcd1234 SEND\r\nTo-Path: t\r\nFrom-Path: f\r\n-------zzzz9999$\r\n";
    assert_eq!(malformed(a), (Problem::EndLineMismatch, a.len()));
}

#[test]
fn end_line_flag_must_be_dollar_plus_or_hash() {
    let a = b"MSRP abcd1234 SEND\r\nTo-Path: t\r\nFrom-Path: f\r\n-------abcd1234!\r\n";
    assert_eq!(malformed(a), (Problem::BadContinuation, a.len()));
}

#[test]
fn malformed_header_lines_are_400_with_the_line_number() {
    let a = b"MSRP abcd1234 SEND\r\nTo-Path: t\r\nFrom-Path: f\r\nno colon here\r\n-------abcd1234$\r\n";
    assert_eq!(malformed(a).0, Problem::BadHeaderLine { line: 4 });
    let b = b"MSRP abcd1234 SEND\r\nTo-Path: t\r\nBad Name: x\r\nFrom-Path: f\r\n-------abcd1234$\r\n";
    assert_eq!(malformed(b).0, Problem::BadHeaderLine { line: 3 });
    let c = b"MSRP abcd1234 SEND\r\nTo-Path: t\rx\r\nFrom-Path: f\r\n-------abcd1234$\r\n";
    assert_eq!(malformed(c).0, Problem::BadHeaderLine { line: 2 });
}

#[test]
fn header_values_may_hold_tabs_and_utf8_but_no_other_controls() {
    // A tab inside and around a value is allowed and trimmed; UTF-8 is allowed.
    let a = "MSRP abcd1234 SEND\r\nTo-Path:\tt\t\r\nFrom-Path: f\r\nX-Note: caf\u{e9} \tok\r\n-------abcd1234$\r\n";
    let f = whole(a.as_bytes());
    assert_eq!(f.to_path, "t");
    assert_eq!(f.header("x-note"), Some("caf\u{e9} \tok"));
    let names: Vec<&str> = f.headers().map(|h| h.name).collect();
    assert_eq!(names, ["To-Path", "From-Path", "X-Note"]);
    // Bytes that are not UTF-8 in a line with no control character: the line is named.
    let b = b"MSRP abcd1234 SEND\r\nTo-Path: t\r\nFrom-Path: f\r\nX-A: \xff\r\nX-B: bad\x01\r\n-------abcd1234$\r\n";
    assert_eq!(malformed(b).0, Problem::BadHeaderLine { line: 4 });
    // A stray LF inside a line makes that line the bad one, not the next.
    let c =
        b"MSRP abcd1234 SEND\r\nTo-Path: t\r\nX-A: a\nb\r\nX-\xff: c\r\nFrom-Path: f\r\n-------abcd1234$\r\n";
    assert_eq!(malformed(c).0, Problem::BadHeaderLine { line: 3 });
    // The first of a repeated header is the one that counts, whatever its case.
    let d = b"MSRP abcd1234 SEND\r\nto-path: t1\r\nTO-PATH: t2\r\nFrom-Path: f\r\nmessage-id: m1234\r\nMessage-ID: m5678\r\n-------abcd1234$\r\n";
    let f = whole(d);
    assert_eq!((f.to_path, f.message_id()), ("t1", Some("m1234")));
    assert_eq!(f.header("Message-ID"), Some("m1234"));
}

#[test]
fn response_with_a_body_is_400() {
    let a = b"MSRP abcd1234 200 OK\r\nTo-Path: t\r\nFrom-Path: f\r\n\r\nbody\r\n-------abcd1234$\r\n";
    assert_eq!(malformed(a).0, Problem::BodyInResponse);
}

#[test]
fn decoder_skips_a_malformed_frame_and_goes_on() {
    let bad = b"MSRP abcd1234 SEND\r\nFrom-Path: f\r\n-------abcd1234$\r\n";
    let stream = [&bad[..], RFC4975_S4_SEND].concat();
    let mut d = FrameDecoder::new(DEFAULT_MAX_FRAME);
    d.push(&stream);
    assert!(matches!(
        d.next_frame(),
        Some(Err(FrameError::Malformed { problem: Problem::MissingToPath, .. }))
    ));
    assert_eq!(
        d.next_frame().map(|f| f.map(|f| f.transaction_id.to_owned())),
        Some(Ok("a786hjs2".to_owned()))
    );
    assert!(d.next_frame().is_none());
}

#[test]
fn decoder_stops_for_good_after_a_fatal_error() {
    let stream = [&b"GARBAGE\r\n"[..], RFC4975_S4_SEND].concat();
    let mut d = FrameDecoder::new(DEFAULT_MAX_FRAME);
    assert_eq!(d.push(&stream), stream.len());
    assert!(matches!(d.next_frame(), Some(Err(FrameError::BadStartLine { .. }))));
    assert!(d.is_failed());
    assert!(d.next_frame().is_none());
    assert_eq!(d.push(RFC4975_S4_SEND), RFC4975_S4_SEND.len(), "discarded");
    assert!(d.next_frame().is_none());
    assert_eq!(d.buffered(), 0);
}

// ---------------------------------------------------------------------------------------------
// The maximum frame size (LIM-1)
// ---------------------------------------------------------------------------------------------

fn send_with_body(tid: &str, body: &[u8]) -> Vec<u8> {
    let mut v = format!(
        "MSRP {tid} SEND\r\nTo-Path: msrp://b/x;tcp\r\nFrom-Path: msrp://a/y;tcp\r\nMessage-ID: m{tid}\r\n\
         Content-Type: text/plain\r\n\r\n"
    )
    .into_bytes();
    v.extend_from_slice(body);
    v.extend_from_slice(format!("\r\n-------{tid}$\r\n").as_bytes());
    v
}

#[test]
fn frame_over_the_maximum_is_413_and_the_decoder_skips_it() {
    let max = 300;
    let big = send_with_body("big00001", &[b'x'; 5000]);
    let small = send_with_body("small001", b"hello");
    assert!(small.len() <= max);
    // Whole buffer: the end-line is not within the first `max` bytes.
    let e = match parse(&big, max) {
        Err(e) => e,
        other => panic!("{other:?}"),
    };
    assert_eq!(e.status(), 413);
    assert_eq!(e.transaction_id().map(|t| t.to_string()).as_deref(), Some("big00001"));
    assert!(!e.is_fatal());

    let stream = [&big[..], &small[..]].concat();
    let mut d = FrameDecoder::new(max);
    let mut got = Vec::new();
    let mut rest = &stream[..];
    while !rest.is_empty() {
        let n = d.push(rest);
        assert!(d.buffered() <= max, "never more than the maximum buffered");
        rest = &rest[n..];
        while let Some(r) = d.next_frame() {
            got.push(r.map(|f| f.transaction_id.to_owned()).map_err(|e| e.status()));
        }
    }
    assert_eq!(got, [Err(413), Ok("small001".to_owned())]);
}

#[test]
fn endless_header_block_is_413() {
    let mut stream = b"MSRP abcd1234 SEND\r\nTo-Path: t\r\nFrom-Path: f\r\n".to_vec();
    for i in 0..10_000 {
        stream.extend_from_slice(format!("X-Filler-{i}: yes\r\n").as_bytes());
    }
    let mut d = FrameDecoder::new(4096);
    let mut errors = Vec::new();
    let mut rest = &stream[..];
    while !rest.is_empty() {
        let n = d.push(rest);
        assert!(d.buffered() <= 4096);
        rest = &rest[n..];
        while let Some(r) = d.next_frame() {
            errors.push(r.err().map(|e| e.status()));
        }
    }
    assert_eq!(errors, [Some(413)]);
    assert!(!d.is_failed(), "the transaction id is known: the decoder waits for its end-line");
    assert!(d.buffered() <= 4096);
}

#[test]
fn endless_start_line_is_413_and_fatal() {
    let mut stream = b"MSRP abcd1234 SEND".to_vec();
    stream.extend(std::iter::repeat(b'A').take(10_000));
    let e = match parse(&stream, 1000) {
        Err(e) => e,
        other => panic!("{other:?}"),
    };
    assert_eq!(e, FrameError::TooLarge { max: 1000, transaction_id: None });
    assert_eq!(e.status(), 413);
    assert!(e.is_fatal());
}

#[test]
fn frame_of_exactly_the_maximum_size_is_accepted() {
    let frame = send_with_body("exact001", b"0123456789");
    assert!(matches!(parse(&frame, frame.len()), Ok(Parsed::Frame { .. })));
    assert!(matches!(parse(&frame, frame.len() - 1), Err(FrameError::TooLarge { .. })));
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

/// Where the pieces of `stream` cut at `cuts` begin and end, in order, from 0 to its length.
fn piece_bounds(stream: &[u8], cuts: &[usize]) -> Vec<usize> {
    let mut bounds: Vec<usize> = cuts.iter().map(|&c| c.min(stream.len())).collect();
    bounds.push(0);
    bounds.push(stream.len());
    bounds.sort_unstable();
    bounds
}

/// Feeds `stream` in pieces cut at `cuts`, and records every frame (as its debug text) or error.
fn decode(stream: &[u8], cuts: &[usize], max: usize) -> Vec<Result<String, FrameError>> {
    let mut d = FrameDecoder::new(max);
    let mut out = Vec::new();
    let bounds = piece_bounds(stream, cuts);
    for pair in bounds.windows(2) {
        let mut rest = &stream[pair[0]..pair[1]];
        loop {
            let n = d.push(rest);
            assert!(d.buffered() <= max);
            rest = &rest[n..];
            let mut yielded = false;
            while let Some(r) = d.next_frame() {
                yielded = true;
                out.push(r.map(|f| format!("{f:?}")));
            }
            if rest.is_empty() {
                break;
            }
            assert!(n > 0 || yielded, "decoder stuck with a full buffer");
        }
    }
    out
}

/// [`decode`] through [`FrameDecoder::feed`]: each piece is one read.
fn decode_fed(stream: &[u8], cuts: &[usize], max: usize) -> (Vec<Result<String, FrameError>>, usize) {
    let mut d = FrameDecoder::new(max);
    let mut out = Vec::new();
    let bounds = piece_bounds(stream, cuts);
    for pair in bounds.windows(2) {
        let mut feed = d.feed(&stream[pair[0]..pair[1]]);
        while let Some(r) = feed.next_frame() {
            out.push(r.map(|f| format!("{f:?}")));
        }
        drop(feed);
        assert!(d.buffered() <= max);
    }
    (out, d.buffered())
}

fn tid() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9][a-zA-Z0-9.+=-]{3,11}"
}

/// A random frame: a SEND with or without body (bodies from an alphabet rich in CR, LF and
/// dashes), a response, or a malformed variant.
fn frame() -> impl Strategy<Value = Vec<u8>> {
    let body = proptest::collection::vec(
        prop_oneof![Just(b'\r'), Just(b'\n'), Just(b'-'), Just(b'a'), any::<u8>()],
        0..150,
    );
    (tid(), body, 0u8..6, prop_oneof![Just('$'), Just('+'), Just('#')]).prop_map(|(tid, body, kind, flag)| {
        let head = format!("MSRP {tid} SEND\r\nTo-Path: msrp://b/x;tcp\r\nFrom-Path: msrp://a/y;tcp\r\nMessage-ID: mid{tid}\r\n");
        let end = format!("-------{tid}{flag}\r\n");
        let mut needle = b"\r\n-------".to_vec();
        needle.extend_from_slice(tid.as_bytes());
        let safe_body: Vec<u8> = if body.windows(needle.len()).any(|w| w == needle.as_slice()) { Vec::new() } else { body };
        let mut v = Vec::new();
        match kind {
            0 => {
                v.extend_from_slice(head.as_bytes());
                v.extend_from_slice(b"Content-Type: text/plain\r\n\r\n");
                v.extend_from_slice(&safe_body);
                v.extend_from_slice(b"\r\n");
                v.extend_from_slice(end.as_bytes());
            }
            1 => {
                v.extend_from_slice(head.as_bytes());
                v.extend_from_slice(end.as_bytes());
            }
            2 => {
                v.extend_from_slice(format!("MSRP {tid} 200 OK\r\nTo-Path: a\r\nFrom-Path: b\r\n{end}").as_bytes());
            }
            3 => {
                // Malformed but delimited: no To-Path.
                v.extend_from_slice(format!("MSRP {tid} SEND\r\nFrom-Path: b\r\n{end}").as_bytes());
            }
            4 => {
                // Mismatched end-line.
                v.extend_from_slice(format!("MSRP {tid} SEND\r\nTo-Path: a\r\nFrom-Path: b\r\n-------x{tid}$\r\n").as_bytes());
            }
            _ => {
                // A big body, over the small maximum used below.
                v.extend_from_slice(head.as_bytes());
                v.extend_from_slice(b"Content-Type: text/plain\r\n\r\n");
                v.extend(std::iter::repeat(b'z').take(600));
                v.extend_from_slice(b"\r\n");
                v.extend_from_slice(end.as_bytes());
            }
        }
        v
    })
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::Direct(
            "proptest-regressions/msrp_frame.txt",
        ))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// Chunk boundaries do not matter: byte-at-a-time, random pieces and one whole buffer give
    /// the same frames and errors, in the same order.
    #[test]
    fn byte_at_a_time_equals_whole_buffer(
        frames in proptest::collection::vec(frame(), 1..6),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..12),
        small_max in any::<bool>(),
    ) {
        let stream = frames.concat();
        let max = if small_max { 400 } else { DEFAULT_MAX_FRAME };
        let whole = decode(&stream, &[], max);
        let every_byte: Vec<usize> = (1..stream.len()).collect();
        let bytewise = decode(&stream, &every_byte, max);
        let cuts: Vec<usize> = cuts.iter().map(|i| i.index(stream.len() + 1)).collect();
        let pieces = decode(&stream, &cuts, max);
        prop_assert_eq!(&whole, &bytewise);
        prop_assert_eq!(&whole, &pieces);
        // Fed read by read (frames read where they lie), the same again.
        prop_assert_eq!(&whole, &decode_fed(&stream, &[], max).0);
        prop_assert_eq!(&whole, &decode_fed(&stream, &every_byte, max).0);
        prop_assert_eq!(&whole, &decode_fed(&stream, &cuts, max).0);
        // Every frame is accounted for: one result per frame.
        prop_assert_eq!(whole.len(), frames.len());
    }

    /// A header line's value against the rule written out plainly (RFC 4975 §9 via this
    /// crate's reading): UTF-8 without control characters other than HTAB, blanks around it
    /// trimmed. The name's length moves the value across the eight-byte scan's alignments, and
    /// the frame is also fed byte at a time.
    #[test]
    fn any_header_value_is_judged_by_the_plain_rule(
        value in proptest::collection::vec(
            prop_oneof![Just(b'\t'), Just(b' '), Just(b'\r'), Just(0x7fu8), Just(0xc3u8), Just(0xa9u8), 0x20u8..0x7f, any::<u8>().prop_filter("no LF", |&b| b != b'\n')],
            0..40,
        ),
        pad in 0usize..8,
    ) {
        let mut f = b"MSRP abcd1234 SEND\r\nTo-Path: t\r\nFrom-Path: f\r\n".to_vec();
        f.extend_from_slice(format!("X-P{}: ", "a".repeat(pad)).as_bytes());
        f.extend_from_slice(&value);
        f.extend_from_slice(b"\r\nMessage-ID: m1234\r\n-------abcd1234$\r\n");
        let text = core::str::from_utf8(&value).ok();
        let allowed = text.filter(|t| !t.bytes().any(|c| c.is_ascii_control() && c != b'\t'));
        let whole = parse(&f, DEFAULT_MAX_FRAME);
        match allowed {
            Some(t) => {
                let Ok(Parsed::Frame { frame, .. }) = &whole else {
                    return Err(TestCaseError::fail(format!("{value:?} refused: {whole:?}")));
                };
                prop_assert_eq!(frame.header(&format!("x-p{}", "a".repeat(pad))), Some(t.trim_matches([' ', '\t'])));
                prop_assert_eq!(frame.message_id(), Some("m1234"));
            }
            None => {
                // No LF in the value, so the line ends at its own CRLF and is the bad one.
                let Err(FrameError::Malformed { problem: Problem::BadHeaderLine { line }, .. }) = whole else {
                    return Err(TestCaseError::fail(format!("{value:?} accepted: {whole:?}")));
                };
                prop_assert_eq!(line, 4);
            }
        }
        let every_byte: Vec<usize> = (1..f.len()).collect();
        prop_assert_eq!(decode(&f, &[], DEFAULT_MAX_FRAME), decode(&f, &every_byte, DEFAULT_MAX_FRAME));
    }

    /// A header name near one of the five the chunk layer reads (any case, one byte changed,
    /// added or dropped) against the rule written out plainly: the line is `name ":" value`
    /// with a token name and a value without control characters but HTAB, and a value is the
    /// first one whose name equals the wanted one without regard to case. The line comes first,
    /// so when it names one of the five its value wins over the defaults after it.
    #[test]
    fn header_names_near_the_known_ones_are_read_by_the_plain_rule(
        base in prop::sample::select(vec!["To-Path", "From-Path", "Message-ID", "Byte-Range", "Content-Type"]),
        cases in any::<u16>(),
        change in proptest::option::of((
            any::<prop::sample::Index>(),
            0u8..3,
            prop_oneof![
                Just(b'-'), Just(b':'), Just(b' '), Just(b'\t'), Just(0x0du8), Just(0x1au8), Just(0x7fu8),
                Just(b'@'), Just(b'['), Just(b'_'), Just(0xc3u8), Just(b'x'), Just(b'P'), Just(b'p'),
            ],
        )),
        value in "[ \t]{0,2}[a-z0-9/=+-]{0,12}[ \t]{0,2}",
    ) {
        let mut name: Vec<u8> = base
            .bytes()
            .enumerate()
            .map(|(i, b)| if cases & (1 << (i % 16)) != 0 { b.to_ascii_lowercase() } else { b })
            .collect();
        if let Some((at, op, byte)) = change {
            let i = at.index(name.len() + 1);
            match op {
                0 if i < name.len() => name[i] = byte,
                1 => name.insert(i, byte),
                _ if i < name.len() => { name.remove(i); }
                _ => name.push(byte),
            }
        }
        let mut line = name.clone();
        line.push(b':');
        line.extend_from_slice(value.as_bytes());
        let mut f = b"MSRP abcd1234 SEND\r\n".to_vec();
        f.extend_from_slice(&line);
        f.extend_from_slice(b"\r\nTo-Path: t0\r\nFrom-Path: f0\r\nMessage-ID: m0000\r\nByte-Range: 1-1/1\r\n\
            Content-Type: c/0\r\n\r\nx\r\n-------abcd1234$\r\n");

        // The plain rule. The name ends at the line's first colon.
        let (name, value) = line.split_at(line.iter().position(|&b| b == b':').unwrap_or(line.len()));
        let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
        let good = !name.is_empty()
            && name.iter().all(|&b| token(b))
            && core::str::from_utf8(value).is_ok_and(|v| !v.bytes().any(|c| c.is_ascii_control() && c != b'\t'));
        let whole = parse(&f, DEFAULT_MAX_FRAME);
        if good {
            let Ok(Parsed::Frame { frame, .. }) = &whole else {
                return Err(TestCaseError::fail(format!("{line:?} refused: {whole:?}")));
            };
            let mine = core::str::from_utf8(&value[1..]).unwrap().trim_matches([' ', '\t']);
            let pick = |wanted: &str, default: &'static str| {
                if name.eq_ignore_ascii_case(wanted.as_bytes()) { mine } else { default }
            };
            prop_assert_eq!(frame.to_path, pick("To-Path", "t0"));
            prop_assert_eq!(frame.from_path, pick("From-Path", "f0"));
            prop_assert_eq!(frame.message_id(), Some(pick("Message-ID", "m0000")));
            prop_assert_eq!(frame.byte_range(), Some(pick("Byte-Range", "1-1/1")));
            prop_assert_eq!(frame.content_type(), Some(pick("Content-Type", "c/0")));
        } else {
            // A control character in the name ends the name's token: the line is the bad one
            // (a lone CR does not end a line).
            let Err(FrameError::Malformed { problem: Problem::BadHeaderLine { line: 2 }, .. }) = whole else {
                return Err(TestCaseError::fail(format!("{line:?} accepted: {whole:?}")));
            };
        }
        let every_byte: Vec<usize> = (1..f.len()).collect();
        prop_assert_eq!(decode(&f, &[], DEFAULT_MAX_FRAME), decode(&f, &every_byte, DEFAULT_MAX_FRAME));
    }

    /// The stateless parser agrees with the decoder on the first frame.
    #[test]
    fn parse_agrees_with_the_decoder(f in frame()) {
        let from_decoder = decode(&f, &[], DEFAULT_MAX_FRAME);
        let from_parse = match parse(&f, DEFAULT_MAX_FRAME) {
            Ok(Parsed::Frame { frame, len }) => {
                prop_assert_eq!(len, f.len());
                vec![Ok(format!("{frame:?}"))]
            }
            Ok(Parsed::Incomplete) => vec![],
            Err(e) => vec![Err(e)],
        };
        prop_assert_eq!(from_decoder, from_parse);
    }

    /// Arbitrary bytes never panic, and never make the decoder hold more than its maximum.
    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..600),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
        max in 1usize..700,
    ) {
        let _ = parse(&bytes, max);
        let cuts: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
        let _ = decode(&bytes, &cuts, max);
    }

    /// Mutated valid frames (a byte changed, inserted or removed) never panic.
    #[test]
    fn mutated_frames_never_panic(
        f in frame(),
        at in any::<prop::sample::Index>(),
        byte in prop_oneof![Just(b'\r'), Just(b'\n'), Just(b'-'), Just(b'$'), Just(b':'), Just(b' '), any::<u8>()],
        how in 0u8..3,
    ) {
        let mut m = f.clone();
        let i = at.index(m.len());
        match how {
            0 => m[i] = byte,
            1 => m.insert(i, byte),
            _ => { m.remove(i); }
        }
        let whole = decode(&m, &[], 512);
        let every_byte: Vec<usize> = (1..m.len()).collect();
        prop_assert_eq!(whole, decode(&m, &every_byte, 512));
        if let Ok(Parsed::Frame { frame, .. }) = parse(&m, DEFAULT_MAX_FRAME) {
            if let Some(send) = SendRequest::from_frame(&frame) {
                let _ = Reassembler::new(Limits::default()).receive(Leg::Remote, &send);
            }
        };
    }
}
