//! `msrp`: the MSRP path at memory speed. A 1 MiB message sent as 512 SEND frames with 2 KiB
//! bodies (RFC 4975 chunks, each with its headers and end-line), against `copy_from_slice` of
//! the same 1 MiB, the least any receiver that keeps the message can do. Throughput is reported
//! for the message bytes in every case, so the ratios are ratios of bandwidth.
//!
//! - `parse`: every frame parsed (`frame::parse`) and turned into a `SendRequest`, zero-copy;
//! - `parse+reassemble`: the above plus `Reassembler::receive`, in order, until the message is
//!   complete (its body is the returned `Vec`);
//! - `decoder+reassemble`: the byte stream handed to a `FrameDecoder` in 16 KiB reads, as a
//!   socket would deliver it, with `FrameDecoder::feed` (frames read where they lie in the read;
//!   only a frame cut by a read's end is copied), the way the session's own legs read;
//! - `decoder-push+reassemble`: the same through `push` and `next_frame`, which copy every byte
//!   into the decoder's buffer first;
//! - `reassemble-in-order` / `reassemble-shuffled`: `receive` alone on pre-parsed requests, in
//!   order and in a fixed pseudo-random order.
//!
//! - `session-legs` (ML-1 … ML-5): the whole PF path of MSRP on the legs. The frame stream is
//!   handed to a `Session` as bytes read on the `remote` leg in 16 KiB reads; the session
//!   answers each chunk, relays it to the client (bytes out on the client leg, taken with
//!   `poll_msrp_transmit`), reassembles the message for recording, and reads the client's `200`
//!   answers (handed over as bytes after each read) that make the message delivered. A new
//!   session per message, set-up included.
//!
//! - `floor-parse+reassemble` and `floor-relay`: not the library. The least work any receiver in
//!   safe Rust must do on this stream, with no validation at all: the head's end, the transaction
//!   id and the Byte-Range start found with `memchr` and `memmem`, the end-line found in the
//!   body with a `memmem` finder (a body is scanned: the frame ends at the first end-line, RFC
//!   4975 §7.1),
//!   the body copied into the message; for the relay, the body copied once more behind a new
//!   start line, a `200` written for each chunk and each client answer's end-line found. The
//!   ratio of a figure to its floor is what a better parser or session could still win; a goal
//!   above the floor's own ratio to memcpy cannot be met on the machine of the run.
//!
//! `msrp_sizes` and `msrp_chunks`: how the cost grows with the message size (2 KiB chunks) and
//! with the number of chunks (a 1 MiB message).

mod common;

use std::hint::black_box;

use common::{counting, write_figures};
use cpm_pf::msrp::frame::write_response;
use cpm_pf::msrp::frame::{parse, Frame, FrameDecoder, FrameError, Parsed, DEFAULT_MAX_FRAME};
use cpm_pf::msrp::reassembly::{Limits, Outcome, Reassembler};
use cpm_pf::msrp::SendRequest;
use cpm_pf::{Config, Input, Leg, Preferences, Session, Time};
use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};

const MIB: usize = 1 << 20;

/// A message of `total` bytes sent in chunks of `chunk` bytes: the frame stream and the payload.
struct Stream {
    bytes: Vec<u8>,
    payload: Vec<u8>,
    frames: usize,
}

fn stream(total: usize, chunk: usize) -> Stream {
    // Printable pseudo-random payload (xorshift), so no end-line can appear in a body.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let payload: Vec<u8> = (0..total)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b'a' + (x % 26) as u8
        })
        .collect();
    let mut bytes = Vec::with_capacity(total + total / chunk * 256 + 256);
    let mut frames = 0;
    for (i, body) in payload.chunks(chunk).enumerate() {
        let start = i * chunk + 1;
        let end = start + body.len() - 1;
        let flag = if end == total { '$' } else { '+' };
        let tid = format!("t{i:07}");
        bytes.extend_from_slice(
            format!(
                "MSRP {tid} SEND\r\nTo-Path: msrp://b.example.com:8888/9di4eae923wzd;tcp\r\n\
                 From-Path: msrp://a.example.com:7777/iau39soe2843z;tcp\r\nMessage-ID: 4564dpWd\r\n\
                 Byte-Range: {start}-{end}/{total}\r\nContent-Type: text/plain\r\n\r\n"
            )
            .as_bytes(),
        );
        bytes.extend_from_slice(body);
        bytes.extend_from_slice(format!("\r\n-------{tid}{flag}\r\n").as_bytes());
        frames += 1;
    }
    Stream { bytes, payload, frames }
}

/// Every frame of `bytes` as a SEND request (zero-copy).
#[inline(always)]
fn parse_all(bytes: &[u8], mut each: impl FnMut(SendRequest<'_>)) {
    let mut at = 0;
    while at < bytes.len() {
        match parse(&bytes[at..], DEFAULT_MAX_FRAME) {
            Ok(Parsed::Frame { frame, len }) => {
                if let Some(send) = SendRequest::from_frame(&frame) {
                    each(send);
                }
                at += len;
            }
            other => panic!("bench stream does not parse: {other:?}"),
        }
    }
}

fn requests(bytes: &[u8]) -> Vec<SendRequest<'_>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let Ok(Parsed::Frame { frame, len }) = parse(&bytes[at..], DEFAULT_MAX_FRAME) else { panic!() };
        out.push(SendRequest::from_frame(&frame).expect("SEND"));
        at += len;
    }
    out
}

/// Reassembles `sends` in the given order; the message body's length.
#[inline(always)]
fn reassemble<'a>(sends: impl IntoIterator<Item = &'a SendRequest<'a>>) -> usize {
    let mut r = Reassembler::new(Limits::default());
    let mut done = 0;
    for send in sends {
        if let Outcome::Complete(m) = r.receive(Leg::Remote, send).outcome {
            done = black_box(m.body).len();
        }
    }
    done
}

fn parse_and_reassemble(bytes: &[u8]) -> usize {
    let mut r = Reassembler::new(Limits::default());
    let mut done = 0;
    parse_all(bytes, |send| {
        if let Outcome::Complete(m) = r.receive(Leg::Remote, &send).outcome {
            done = black_box(m.body).len();
        }
    });
    done
}

/// Hands a decoded frame to the reassembler: the message's length once it is complete.
#[inline(always)]
fn reassemble_frame(r: &mut Reassembler, frame: Result<Frame<'_>, FrameError>, done: &mut usize) {
    let frame = frame.expect("bench frames are valid");
    if let Some(send) = SendRequest::from_frame(&frame) {
        if let Outcome::Complete(m) = r.receive(Leg::Remote, &send).outcome {
            *done = black_box(m.body).len();
        }
    }
}

fn feed_and_reassemble(bytes: &[u8], read: usize) -> usize {
    let mut d = FrameDecoder::new(DEFAULT_MAX_FRAME);
    let mut r = Reassembler::new(Limits::default());
    let mut done = 0;
    for piece in bytes.chunks(read) {
        let mut feed = d.feed(piece);
        while let Some(frame) = feed.next_frame() {
            reassemble_frame(&mut r, frame, &mut done);
        }
    }
    done
}

fn decode_and_reassemble(bytes: &[u8], read: usize) -> usize {
    let mut d = FrameDecoder::new(DEFAULT_MAX_FRAME);
    let mut r = Reassembler::new(Limits::default());
    let mut done = 0;
    for mut piece in bytes.chunks(read) {
        while !piece.is_empty() {
            let n = d.push(piece);
            piece = &piece[n..];
            while let Some(frame) = d.next_frame() {
                reassemble_frame(&mut r, frame, &mut done);
            }
        }
    }
    done
}

const PF_CLIENT: &str = "msrp://pf.example:2855/client;tcp";
const CLIENT: &str = "msrp://client.example:2855/s;tcp";

/// The client's `200` to each chunk the session relays to it, in order: the session's
/// transaction ids are `pf` and a counter in eight hex digits, so every answer has one length.
fn client_answers(frames: usize) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    for i in 0..frames {
        write_response(&mut out, &format!("pf{i:08x}"), 200, PF_CLIENT, CLIENT);
    }
    let each = out.len() / frames.max(1);
    (out, each)
}

/// One message through a recording session with MSRP on its legs: the remote's bytes in
/// `read`-byte pieces, the client's answers after each piece. Returns the bytes written on the
/// client leg and whether the message was delivered.
fn relay_through_session(bytes: &[u8], answers: &[u8], each: usize, read: usize) -> (usize, bool) {
    let t = Time::from_unix_secs(1_767_225_600);
    let mut config = Config::default();
    config.prefs = Preferences::ALLOW_OFFLINE_STORAGE;
    config.peer = Some("sip:peer@example.com".into());
    let mut s = Session::new(config, t).expect("a valid configuration");
    let remote =
        ("msrp://b.example.com:8888/9di4eae923wzd;tcp", "msrp://a.example.com:7777/iau39soe2843z;tcp");
    s.set_msrp_leg(Leg::Remote, remote.0, remote.1).expect("URIs");
    s.set_msrp_leg(Leg::Client, PF_CLIENT, CLIENT).expect("URIs");
    let (mut written, mut answered, mut delivered) = (0, 0, false);
    for piece in bytes.chunks(read) {
        drop(s.handle(Input::MsrpBytes { leg: Leg::Remote, bytes: piece }, t));
        while let Some(out) = s.poll_msrp_transmit(Leg::Client) {
            let n = black_box(out).len();
            written += n;
            s.msrp_transmitted(Leg::Client, n);
        }
        let n = s.poll_msrp_transmit(Leg::Remote).map_or(0, <[u8]>::len);
        s.msrp_transmitted(Leg::Remote, n);
        let pending = s.msrp_pending(Leg::Client);
        let reply = &answers[answered * each..(answered + pending) * each];
        answered += pending;
        let out = s.handle(Input::MsrpBytes { leg: Leg::Client, bytes: reply }, t);
        delivered |= out.iter().any(|a| {
            matches!(a, cpm_pf::Action::Diagnostic(cpm_pf::Diagnostic::Delivery { failure: None, .. }))
        });
    }
    (written, delivered)
}

/// `floor-parse+reassemble`: the stream's message with no validation (see the module docs).
/// Panics on anything but the bench's own stream.
fn floor_parse_and_reassemble(bytes: &[u8], f: &Finders) -> usize {
    let mut message: Vec<u8> = Vec::with_capacity(MIB);
    let mut at = 0;
    while at < bytes.len() {
        let frame = floor_frame(&bytes[at..], f, message.len());
        message.extend_from_slice(frame.body);
        at += frame.len;
    }
    black_box(&message).len()
}

/// The `memmem` finders of the floors, built once.
struct Finders {
    head_end: memchr::memmem::Finder<'static>,
    end_line: memchr::memmem::Finder<'static>,
    byte_range: memchr::memmem::Finder<'static>,
}

impl Finders {
    fn new() -> Finders {
        Finders {
            head_end: memchr::memmem::Finder::new(b"\r\n\r\n"),
            end_line: memchr::memmem::Finder::new(b"\r\n-------"),
            byte_range: memchr::memmem::Finder::new(b"Byte-Range: "),
        }
    }
}

/// What the floors read of a frame.
struct FloorFrame<'a> {
    tid: &'a [u8],
    /// The header lines after the start line's CRLF, the blank line included.
    headers: &'a [u8],
    body: &'a [u8],
    len: usize,
}

/// The bench stream's frame at the start of `w`: the least a receiver finds (transaction id,
/// head end, Byte-Range start, end-line), checked only against the bench's own layout
/// (`expected_at`: where the body goes in the message).
#[inline(always)]
fn floor_frame<'a>(w: &'a [u8], f: &Finders, expected_at: usize) -> FloorFrame<'a> {
    const TID_AT: usize = "MSRP ".len();
    let tid_end = TID_AT + memchr::memchr(b' ', &w[TID_AT..]).expect("a start line");
    let tid = &w[TID_AT..tid_end];
    let body_at = f.head_end.find(w).expect("a blank line") + 4;
    let range_at = f.byte_range.find(&w[..body_at]).expect("a Byte-Range") + "Byte-Range: ".len();
    let start = w[range_at..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .fold(0, |n, c| n * 10 + usize::from(c - b'0'));
    let body_end = body_at + f.end_line.find(&w[body_at..]).expect("an end-line");
    let flag_at = body_end + "\r\n-------".len() + tid.len();
    assert!(w[..flag_at].ends_with(tid) && start == expected_at + 1, "not the bench stream");
    let headers = &w[tid_end + " SEND\r\n".len()..body_at];
    FloorFrame { tid, headers, body: &w[body_at..body_end], len: flag_at + 3 }
}

/// `floor-relay`: the floor of `session-legs` (see the module docs): every chunk read as the
/// floor reads it, its body copied into the message and, behind a new start line and its
/// header lines, into the client leg's output (taken every 16 KiB, as a socket would), a `200`
/// written back for it, and each client answer's end-line found.
fn floor_relay(bytes: &[u8], answers: &[u8], each: usize, f: &Finders) -> usize {
    let mut message: Vec<u8> = Vec::with_capacity(MIB);
    let (mut to_client, mut to_remote) = (Vec::with_capacity(32 * 1024), Vec::with_capacity(8 * 1024));
    let (mut at, mut n, mut written) = (0, 0u32, 0);
    while at < bytes.len() {
        let frame = floor_frame(&bytes[at..], f, message.len());
        message.extend_from_slice(frame.body);
        let mut tid = *b"pf00000000";
        for (i, digit) in tid[2..].iter_mut().enumerate() {
            *digit = b"0123456789abcdef"[(n >> (28 - 4 * i) & 15) as usize];
        }
        for piece in
            [&b"MSRP "[..], &tid, b" SEND\r\n", frame.headers, frame.body, b"\r\n-------", &tid, b"+\r\n"]
        {
            to_client.extend_from_slice(piece);
        }
        for piece in [&b"MSRP "[..], frame.tid, b" 200 OK\r\n", REMOTE_PATHS, b"-------", frame.tid, b"$\r\n"]
        {
            to_remote.extend_from_slice(piece);
        }
        let answer = &answers[n as usize * each..(n as usize + 1) * each];
        written += f.end_line.find(answer).expect("an answer's end-line");
        if to_client.len() >= 16 * 1024 {
            written += black_box(&to_client).len() + black_box(&to_remote).len();
            to_client.clear();
            to_remote.clear();
        }
        n += 1;
        at += frame.len;
    }
    written + to_client.len() + black_box(&message).len()
}

/// The paths of a `200` to the remote.
const REMOTE_PATHS: &[u8] = b"To-Path: msrp://a.example.com:7777/iau39soe2843z;tcp\r\n\
    From-Path: msrp://b.example.com:8888/9di4eae923wzd;tcp\r\n";

/// A fixed permutation of `0..n` (Fisher-Yates over xorshift): "shuffled" is the same every run.
fn shuffled(n: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    for i in (1..n).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        order.swap(i, (x % (i as u64 + 1)) as usize);
    }
    order
}

/// Source and destination buffers for the memcpy baseline, `skew` bytes apart modulo 4 KiB.
/// A small skew is the 4 KiB-aliasing trap (loads look dependent on the stores just made);
/// 2 KiB apart is the layout memcpy is at its best in.
struct Copy {
    src: Vec<u8>,
    dst: Vec<u8>,
    src_at: usize,
    dst_at: usize,
    len: usize,
}

impl Copy {
    fn new(payload: &[u8], skew: usize) -> Copy {
        let len = payload.len();
        let mut src = vec![0u8; len + 8192];
        let dst = vec![0u8; len + 8192];
        let page = |p: *const u8| (p as usize) % 4096;
        let src_at = (4096 - page(src.as_ptr())) % 4096;
        let dst_at = (4096 - page(dst.as_ptr()) + skew) % 4096;
        src[src_at..src_at + len].copy_from_slice(payload);
        Copy { src, dst, src_at, dst_at, len }
    }

    #[inline(always)]
    fn run(&mut self) {
        let (a, b, n) = (self.src_at, self.dst_at, self.len);
        self.dst[b..b + n].copy_from_slice(&self.src[a..a + n]);
        black_box(&mut self.dst);
    }
}

fn msrp(c: &mut Criterion) {
    let s = stream(MIB, 2048);
    let sends = requests(&s.bytes);
    let order = shuffled(sends.len());
    let in_order_len = reassemble(&sends);
    let shuffled_len = reassemble(order.iter().map(|&i| &sends[i]));
    assert_eq!((in_order_len, shuffled_len, parse_and_reassemble(&s.bytes)), (MIB, MIB, MIB));
    assert_eq!(decode_and_reassemble(&s.bytes, 16 * 1024), MIB);
    assert_eq!(feed_and_reassemble(&s.bytes, 16 * 1024), MIB);
    let (answers, each) = client_answers(s.frames);
    let (written, delivered) = relay_through_session(&s.bytes, &answers, each, 16 * 1024);
    assert!(delivered && written > MIB, "the message was relayed and delivered ({written} bytes out)");
    let (_, a_legs) = counting::count(|| relay_through_session(&s.bytes, &answers, each, 16 * 1024));
    let finders = Finders::new();
    assert_eq!(floor_parse_and_reassemble(&s.bytes, &finders), MIB);
    assert!(floor_relay(&s.bytes, &answers, each, &finders) > 2 * MIB);

    let (_, a_parse) = counting::count(|| {
        parse_all(&s.bytes, |send| {
            black_box(send);
        })
    });
    let (_, a_in) = counting::count(|| reassemble(&sends));
    let (_, a_sh) = counting::count(|| reassemble(order.iter().map(|&i| &sends[i])));
    let (_, a_dec) = counting::count(|| feed_and_reassemble(&s.bytes, 16 * 1024));
    let (_, a_push) = counting::count(|| decode_and_reassemble(&s.bytes, 16 * 1024));
    write_figures(
        "msrp-allocations",
        &[
            ("frames".into(), s.frames as f64),
            ("stream-bytes".into(), s.bytes.len() as f64),
            ("parse.allocations".into(), a_parse as f64),
            ("reassemble-in-order.allocations".into(), a_in as f64),
            ("reassemble-shuffled.allocations".into(), a_sh as f64),
            ("decoder+reassemble.allocations".into(), a_dec as f64),
            ("decoder-push+reassemble.allocations".into(), a_push as f64),
            ("session-legs.allocations".into(), a_legs as f64),
        ],
    );

    let mut g = c.benchmark_group("msrp");
    g.throughput(Throughput::Bytes(MIB as u64));
    let mut copy = Copy::new(&s.payload, 2048);
    g.bench_function("baseline-memcpy", |b| b.iter(|| copy.run()));
    let mut aliased = Copy::new(&s.payload, 64);
    g.bench_function("memcpy-4k-aliased", |b| b.iter(|| aliased.run()));
    g.bench_function("parse", |b| {
        b.iter(|| {
            parse_all(black_box(&s.bytes), |send| {
                black_box(send);
            })
        })
    });
    g.bench_function("parse+reassemble", |b| b.iter(|| parse_and_reassemble(black_box(&s.bytes))));
    g.bench_function("decoder+reassemble", |b| {
        b.iter(|| feed_and_reassemble(black_box(&s.bytes), 16 * 1024))
    });
    g.bench_function("decoder-push+reassemble", |b| {
        b.iter(|| decode_and_reassemble(black_box(&s.bytes), 16 * 1024))
    });
    g.bench_function("session-legs", |b| {
        b.iter(|| relay_through_session(black_box(&s.bytes), &answers, each, 16 * 1024))
    });
    g.bench_function("floor-parse+reassemble", |b| {
        b.iter(|| floor_parse_and_reassemble(black_box(&s.bytes), &finders))
    });
    g.bench_function("floor-relay", |b| {
        b.iter(|| floor_relay(black_box(&s.bytes), &answers, each, &finders))
    });
    g.bench_function("reassemble-in-order", |b| b.iter(|| reassemble(black_box(&sends))));
    g.bench_function("reassemble-shuffled", |b| {
        b.iter(|| reassemble(black_box(&order).iter().map(|&i| &sends[i])))
    });
    g.finish();
}

fn msrp_sizes(c: &mut Criterion) {
    let mut g = c.benchmark_group("msrp_sizes");
    for size in [16 * 1024, 64 * 1024, 256 * 1024, MIB] {
        let s = stream(size, 2048);
        g.throughput(Throughput::Bytes(size as u64));
        let mut copy = Copy::new(&s.payload, 2048);
        g.bench_with_input(BenchmarkId::new("baseline-memcpy", size), &size, |b, _| b.iter(|| copy.run()));
        g.bench_with_input(BenchmarkId::new("parse+reassemble", size), &s.bytes, |b, bytes| {
            b.iter(|| parse_and_reassemble(black_box(bytes)))
        });
    }
    g.finish();
}

fn msrp_chunks(c: &mut Criterion) {
    let mut g = c.benchmark_group("msrp_chunks");
    g.throughput(Throughput::Bytes(MIB as u64));
    let payload = stream(MIB, MIB).payload;
    let mut copy = Copy::new(&payload, 2048);
    g.bench_function("baseline-memcpy", |b| b.iter(|| copy.run()));
    for chunk in [512usize, 2048, 8192, 32768, 131072] {
        let s = stream(MIB, chunk);
        let sends = requests(&s.bytes);
        let order = shuffled(sends.len());
        g.bench_with_input(BenchmarkId::new("parse+reassemble", chunk), &s.bytes, |b, bytes| {
            b.iter(|| parse_and_reassemble(black_box(bytes)))
        });
        g.bench_with_input(BenchmarkId::new("reassemble-shuffled", chunk), &order, |b, order| {
            b.iter(|| reassemble(order.iter().map(|&i| &sends[i])))
        });
    }
    g.finish();
}

criterion_group! { name = benches; config = common::criterion(); targets = msrp, msrp_sizes, msrp_chunks }

fn main() {
    common::run("msrp", benches);
}
