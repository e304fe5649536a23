//! `snapshot`: saving and restoring a session (docs/requirements.md SNAP-1 … SNAP-3, `--features serde`),
//! beside the httparse parse of the benchmark BYE (the same baseline as `bye`), in the same run.
//! The goal: save + restore of an idle session costs no more than that parse (ratio ≤ 1.0).
//!
//! - `save-idle`, `restore-idle`, `save+restore-idle`: `Session::new(Config::default(), t)`;
//! - `save+restore-group`: a recording group session with its session info captured, a partial
//!   MSRP message and a message awaiting delivery (for scale, no goal);
//! - `baseline-httparse`: the BYE's header lines parsed by httparse.
//!
//! After criterion, a plain interleaved timing (median of 15 rounds of 20 000 calls each) writes
//! `snapshot-ratio.json`: save + restore of the idle session over the httparse parse.

mod common;

use std::hint::black_box;
use std::time::Instant;

use common::{httparse_headers, write_figures, BYE};
use cpm_pf::msrp::{Continuation, SendRequest};
use cpm_pf::{Config, Input, Kind, Leg, Method, Preferences, Session, Time};
use criterion::{criterion_group, Criterion};

const NOW: Time = Time::from_unix_secs(1_767_225_600);

fn idle() -> Session {
    Session::new(Config::default(), NOW).expect("default config")
}

fn group() -> Session {
    let mut c = Config::default();
    c.kind = Kind::Group;
    c.prefs = Preferences::ALLOW_OFFLINE_STORAGE;
    let mut s = Session::new(c, NOW).expect("group config");
    let invite = [
        ("From", "<sip:alice@example.com>"),
        ("To", "<sip:conf@example.com>"),
        ("Contribution-ID", "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"),
        ("Conversation-ID", "0d0f2e4c-1d2e-4b3c-9a8b-7c6d5e4f3a2b"),
    ];
    let _ = s.handle(
        Input::RequestReceived { leg: Leg::Client, method: Method::Invite, headers: &invite, body: b"" },
        NOW,
    );
    let chunk = |id, range, flag, body| SendRequest {
        message_id: Some(id),
        byte_range: Some(range),
        continuation: Some(flag),
        content_type: Some("text/plain"),
        body,
    };
    let _ = s.handle(
        Input::MsrpSend { leg: Leg::Remote, send: chunk("msg-1", "1-5/10", Continuation::More, b"hello") },
        NOW,
    );
    let _ = s.handle(
        Input::MsrpSend { leg: Leg::Remote, send: chunk("msg-2", "1-2/2", Continuation::Complete, b"hi") },
        NOW,
    );
    s
}

fn save_restore(s: &Session) -> Session {
    let bytes = s.save().expect("saves");
    Session::restore(black_box(&bytes)).expect("restores")
}

fn snapshot(c: &mut Criterion) {
    let idle = idle();
    let idle_bytes = idle.save().expect("saves");
    let group = group();
    let mut g = c.benchmark_group("snapshot");
    g.bench_function("save-idle", |b| b.iter(|| black_box(&idle).save()));
    g.bench_function("restore-idle", |b| b.iter(|| Session::restore(black_box(&idle_bytes))));
    g.bench_function("save+restore-idle", |b| b.iter(|| save_restore(black_box(&idle))));
    g.bench_function("save+restore-group", |b| b.iter(|| save_restore(black_box(&group))));
    g.bench_function("baseline-httparse", |b| b.iter(|| httparse_headers(black_box(BYE))));
    g.finish();
}

/// Nanoseconds per call of `f`, over `n` calls.
#[allow(clippy::disallowed_methods)] // a benchmark reads the clock: the library never does
fn per_call(n: u32, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed().as_nanos() as f64 / f64::from(n)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn ratio() {
    let idle = idle();
    let (mut ours, mut base) = (Vec::new(), Vec::new());
    for _ in 0..15 {
        ours.push(per_call(20_000, || {
            black_box(save_restore(black_box(&idle)));
        }));
        base.push(per_call(20_000, || {
            black_box(httparse_headers(black_box(BYE)));
        }));
    }
    let (ours, base) = (median(ours), median(base));
    write_figures(
        "snapshot-ratio",
        &[
            ("save+restore-idle.ns".into(), ours),
            ("baseline-httparse.ns".into(), base),
            ("ratio".into(), ours / base),
            ("idle.bytes".into(), idle.save().map_or(f64::NAN, |b| b.len() as f64)),
            ("group.bytes".into(), group().save().map_or(f64::NAN, |b| b.len() as f64)),
        ],
    );
}

criterion_group! { name = benches; config = common::criterion(); targets = snapshot }

fn main() {
    common::run("snapshot", || {
        benches();
        ratio();
    });
}
