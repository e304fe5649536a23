//! `bye`: a BYE taken from its header values to the returned actions, for each branch of
//! 8.2.2.3, beside two baselines that parse the same 618 bytes: httparse over its header lines
//! (the fastest possible parse) and rsip 0.4 (a full typed parse).
//!
//! `bye_iwfs`: how the cost grows with the number of legs (a client BYE fanned out to N IWFs).
//!
//! Each timed call starts from an established session built outside the timing
//! (`iter_batched_ref`): the header list as a stack hands it over (`SipHeaders` for
//! `[(&str, &str)]`), the Reason values collected from it, `Session::handle`, and the actions
//! walked by the embedder.

mod common;

use core::ops::ControlFlow;
use std::hint::black_box;

use common::{counting, header_fields, httparse_headers, rsip_parse, write_figures, BYE};
use cpm_pf::headers::{names, SipHeaders};
use cpm_pf::{Config, Input, Kind, Leg, Policy, Session, Time};
use criterion::{criterion_group, BatchSize, BenchmarkId, Criterion};

const NOW: Time = Time::from_unix_secs(1_767_225_600);

/// What the embedder does when its stack has parsed a BYE on `leg`: collect the Reason field
/// values (on the stack), hand them over, carry out the actions.
#[inline(always)]
fn on_bye(session: &mut Session, leg: Leg, headers: &[(&str, &str)]) -> usize {
    let mut reasons = [""; 8];
    let mut n = 0;
    headers.for_each(&names::REASON, &mut |v| match reasons.get_mut(n) {
        Some(slot) => {
            *slot = v;
            n += 1;
            ControlFlow::Continue(())
        }
        None => ControlFlow::Break(()),
    });
    let actions = session.handle(Input::ByeReceived { leg, reasons: &reasons[..n] }, NOW);
    black_box(actions.as_slice());
    actions.len()
}

struct Case {
    name: &'static str,
    leg: Leg,
    config: fn() -> Config,
    /// The Reason value replaces the bench message's (branch 1 needs cause 200).
    reason: Option<&'static str>,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "branch1-client-leaves",
            leg: Leg::Client,
            config: Config::default,
            reason: Some("SIP;cause=200;text=\"Call completed\""),
        },
        Case { name: "branch2-remote-ends", leg: Leg::Remote, config: Config::default, reason: None },
        Case {
            name: "branch3a-iwf-streams",
            leg: Leg::Iwf(1),
            config: || {
                let mut c = Config::default();
                c.iwfs = 2;
                c.policy = Policy::IWF_BYE_CLOSES_STREAMS;
                c
            },
            reason: None,
        },
        Case {
            name: "branch3b-iwf-ends",
            leg: Leg::Iwf(1),
            config: || {
                let mut c = Config::default();
                c.iwfs = 2;
                c
            },
            reason: None,
        },
        Case {
            name: "branch4i-remain",
            leg: Leg::Client,
            config: || {
                let mut c = Config::default();
                c.kind = Kind::Group;
                c.policy = Policy::LONG_LIVED_RESTART;
                c
            },
            reason: None,
        },
        Case { name: "branch4x-connection-loss", leg: Leg::Client, config: Config::default, reason: None },
    ]
}

fn with_reason<'a>(headers: &[(&'a str, &'a str)], reason: Option<&'a str>) -> Vec<(&'a str, &'a str)> {
    headers
        .iter()
        .map(|&(n, v)| match reason {
            Some(r) if n.eq_ignore_ascii_case("Reason") => (n, r),
            _ => (n, v),
        })
        .collect()
}

fn bye(c: &mut Criterion) {
    let fields = header_fields(BYE);
    let mut g = c.benchmark_group("bye");
    g.bench_function("baseline-httparse", |b| b.iter(|| httparse_headers(black_box(BYE))));
    g.bench_function("baseline-rsip", |b| b.iter(|| rsip_parse(black_box(BYE))));
    let mut figures = Vec::new();
    for case in cases() {
        let headers = with_reason(&fields, case.reason);
        // Allocation count of one call (deterministic), reported beside the times.
        let mut s = Session::new((case.config)(), NOW).expect("valid config");
        let (len, allocs) = counting::count(|| on_bye(&mut s, case.leg, &headers));
        assert!(len > 0);
        figures.push((format!("{}.allocations", case.name), allocs as f64));
        figures.push((format!("{}.actions", case.name), len as f64));
        g.bench_function(case.name, |b| {
            b.iter_batched_ref(
                || Session::new((case.config)(), NOW).expect("valid config"),
                |s| on_bye(s, case.leg, &headers),
                BatchSize::SmallInput,
            )
        });
    }
    let (_, allocs) = counting::count(|| rsip_parse(BYE));
    figures.push(("baseline-rsip.allocations".into(), allocs as f64));
    let (_, allocs) = counting::count(|| httparse_headers(BYE));
    figures.push(("baseline-httparse.allocations".into(), allocs as f64));
    g.finish();
    write_figures("bye-allocations", &figures);
}

/// A client BYE (branch 4x: the bench message's cause 503) in a session with N IWF legs: the PF
/// sends N BYEs.
fn bye_iwfs(c: &mut Criterion) {
    let headers = header_fields(BYE);
    let mut g = c.benchmark_group("bye_iwfs");
    g.bench_function("baseline-httparse", |b| b.iter(|| httparse_headers(black_box(BYE))));
    let mut figures = Vec::new();
    for iwfs in [1u8, 2, 3, 4, 8, 16, 64] {
        let config = move || {
            let mut c = Config::default();
            c.iwfs = iwfs;
            c
        };
        let mut s = Session::new(config(), NOW).expect("valid config");
        let (len, allocs) = counting::count(|| on_bye(&mut s, Leg::Client, &headers));
        figures.push((format!("iwfs-{iwfs}.allocations"), allocs as f64));
        figures.push((format!("iwfs-{iwfs}.actions"), len as f64));
        g.bench_with_input(BenchmarkId::new("client-bye", iwfs), &iwfs, |b, _| {
            b.iter_batched_ref(
                || Session::new(config(), NOW).expect("valid config"),
                |s| on_bye(s, Leg::Client, &headers),
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
    write_figures("bye_iwfs-allocations", &figures);
}

/// What the BYE path costs, piece by piece (branch 4x, the bench message).
fn bye_parts(c: &mut Criterion) {
    let headers = header_fields(BYE);
    let reason = headers.first(&names::REASON).expect("the bench BYE has a Reason");
    let mut g = c.benchmark_group("bye_parts");
    g.bench_function("baseline-httparse", |b| b.iter(|| httparse_headers(black_box(BYE))));
    g.bench_function("reason-lookup", |b| b.iter(|| black_box(&headers).first(&names::REASON)));
    g.bench_function("reason-parse", |b| {
        b.iter(|| cpm_pf::grammar::reason::parse(black_box(reason)).map(|r| r.values.len()))
    });
    g.bench_function("classify", |b| {
        b.iter(|| cpm_pf::bye::classify(Leg::Client, black_box(&[reason])).branch)
    });
    g.bench_function("session-new", |b| {
        b.iter(|| Session::new(Config::default(), NOW).map(|s| s.is_terminated()))
    });
    g.bench_function("handle-warm", |b| {
        b.iter_batched_ref(
            || Session::new(Config::default(), NOW).expect("valid config"),
            |s| on_bye(s, Leg::Client, &headers),
            BatchSize::NumIterations(64),
        )
    });
    g.finish();
}

criterion_group! { name = benches; config = common::criterion(); targets = bye, bye_iwfs, bye_parts }

fn main() {
    common::run("bye", benches);
}
