//! `sessions`: many concurrent sessions. Memory per idle session (`size_of::<Session>()` plus
//! what creating one allocates, counted by a counting allocator over N sessions held at once),
//! then each taken through a client-leave flow (BYE from the client, the remote's 200 OK to the
//! PF's BYE: the session terminates). Set `CPM_SESSIONS` to change N (default 1 000 000).
//!
//! Timed per session in criterion: a session created, taken through the flow and dropped,
//! beside httparse parsing the BYE that drives it.

mod common;

use std::hint::black_box;

use common::{counting, header_fields, httparse_headers, write_figures, BYE};
use cpm_pf::headers::{names, SipHeaders};
use cpm_pf::msrp::reassembly::Reassembler;
use cpm_pf::{Config, Input, Leg, Method, Session, Time};
use criterion::{criterion_group, Criterion};

const NOW: Time = Time::from_unix_secs(1_767_225_600);

/// The client leaves (branch 4x with the bench message's cause 503) and the remote answers the
/// PF's BYE: the session is over. Returns the number of actions.
#[inline(always)]
fn client_leave(s: &mut Session, reasons: &[&str]) -> usize {
    let a = s.handle(Input::ByeReceived { leg: Leg::Client, reasons }, NOW);
    let n = black_box(a.as_slice()).len();
    let b = s.handle(Input::ResponseReceived { leg: Leg::Remote, status: 200, method: Method::Bye }, NOW);
    n + black_box(b.as_slice()).len()
}

/// Resident set size in bytes (Linux), to see what the allocator really takes.
fn rss() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn memory() {
    let n: usize = std::env::var("CPM_SESSIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let headers = header_fields(BYE);
    let reason = headers.first(&names::REASON).expect("Reason");
    let reasons = [reason];

    let mut sessions: Vec<Session> = Vec::with_capacity(n);
    let rss_before = rss().unwrap_or(0);
    let live_before = counting::live_bytes();
    let allocs_before = counting::allocations();
    #[allow(clippy::disallowed_methods)] // the bench, not the library, reads the clock
    let t0 = std::time::Instant::now();
    for _ in 0..n {
        sessions.push(Session::new(Config::default(), NOW).expect("valid config"));
    }
    let create = t0.elapsed();
    let heap = (counting::live_bytes() - live_before) as f64 / n as f64;
    let allocs = (counting::allocations() - allocs_before) as f64 / n as f64;
    let rss_grown = rss().unwrap_or(0).saturating_sub(rss_before) as f64 / n as f64;
    let size = core::mem::size_of::<Session>() as f64;

    #[allow(clippy::disallowed_methods)]
    let t1 = std::time::Instant::now();
    let mut terminated = 0;
    for s in &mut sessions {
        client_leave(s, &reasons);
        terminated += usize::from(s.is_terminated());
    }
    let flow = t1.elapsed();
    assert_eq!(terminated, n, "every session terminates");
    drop(sessions);

    let per_session = size + heap;
    write_figures(
        "sessions-memory",
        &[
            ("sessions".into(), n as f64),
            ("size_of".into(), size),
            ("heap-bytes-per-session".into(), heap),
            ("allocations-per-session".into(), allocs),
            ("bytes-per-session".into(), per_session),
            ("rss-bytes-per-session".into(), rss_grown + 0.0),
            ("million-sessions-mib".into(), per_session * 1e6 / (1 << 20) as f64),
            ("million-sessions-rss-mib".into(), rss_grown * 1e6 / (1 << 20) as f64),
            // Where the inline bytes go (the parts that are public types).
            ("size_of.Config".into(), core::mem::size_of::<Config>() as f64),
            ("size_of.Option<Reassembler>".into(), core::mem::size_of::<Option<Reassembler>>() as f64),
            ("size_of.Folder".into(), core::mem::size_of::<cpm_pf::Folder>() as f64),
            ("size_of.Actions".into(), core::mem::size_of::<cpm_pf::Actions<'static>>() as f64),
            ("create-ns-per-session".into(), create.as_nanos() as f64 / n as f64),
            ("client-leave-ns-per-session".into(), flow.as_nanos() as f64 / n as f64),
        ],
    );
}

fn sessions(c: &mut Criterion) {
    let headers = header_fields(BYE);
    let reason = headers.first(&names::REASON).expect("Reason");
    let reasons = [reason];
    let mut g = c.benchmark_group("sessions");
    g.bench_function("baseline-httparse", |b| b.iter(|| httparse_headers(black_box(BYE))));
    g.bench_function("new+client-leave+drop", |b| {
        b.iter(|| {
            let mut s = Session::new(Config::default(), NOW).expect("valid config");
            client_leave(&mut s, &reasons)
        })
    });
    g.finish();
}

criterion_group! { name = benches; config = common::criterion(); targets = sessions }

fn main() {
    memory();
    common::run("sessions", benches);
}
