//! `dispatch`: routing the bench INVITE (8.3 terminating dispatch) from its header fields, beside
//! httparse parsing its header lines and rsip 0.4 parsing the whole 1 120-byte message.
//!
//! `dispatch_fields`: how the cost grows with the number of header fields and Accept-Contact
//! values a request carries.

mod common;

use std::hint::black_box;

use common::{counting, header_fields, httparse_headers, rsip_parse, write_figures, INVITE};
use cpm_pf::{route, Method, Policy, Procedure};
use criterion::{criterion_group, BenchmarkId, Criterion};

fn dispatch(c: &mut Criterion) {
    let headers = header_fields(INVITE);
    let r = route(Method::Invite, &headers, Policy::SKIP_SERVICES_ON_IARI).expect("routes");
    assert_eq!(r.procedure, Procedure::SessionInvitation);
    let (_, allocs) = counting::count(|| route(Method::Invite, &headers, Policy::SKIP_SERVICES_ON_IARI));
    let (_, rsip_allocs) = counting::count(|| rsip_parse(INVITE));
    write_figures(
        "dispatch-allocations",
        &[
            ("route.allocations".into(), allocs as f64),
            ("baseline-rsip.allocations".into(), rsip_allocs as f64),
            ("header-fields".into(), headers.len() as f64),
        ],
    );

    let mut g = c.benchmark_group("dispatch");
    g.bench_function("baseline-httparse", |b| b.iter(|| httparse_headers(black_box(INVITE))));
    g.bench_function("baseline-rsip", |b| b.iter(|| rsip_parse(black_box(INVITE))));
    g.bench_function("route-invite", |b| {
        b.iter(|| route(Method::Invite, black_box(&headers), Policy::SKIP_SERVICES_ON_IARI))
    });
    g.finish();
}

/// The INVITE with `extra` more Accept-Contact values (each an IARI feature tag) and as many
/// unrelated header fields: cost per field and per value.
fn dispatch_fields(c: &mut Criterion) {
    let base = header_fields(INVITE);
    let mut g = c.benchmark_group("dispatch_fields");
    g.bench_function("baseline-httparse", |b| b.iter(|| httparse_headers(black_box(INVITE))));
    for extra in [0usize, 4, 16, 64] {
        let values: Vec<String> = (0..extra)
            .map(|i| format!("*;+g.3gpp.iari-ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.x{i}\""))
            .collect();
        let names: Vec<String> = (0..extra).map(|i| format!("X-Extra-{i}")).collect();
        let mut headers = base.clone();
        for (n, v) in names.iter().zip(&values) {
            headers.push(("Accept-Contact", v));
            headers.push((n, "opaque"));
        }
        g.bench_with_input(BenchmarkId::new("route-invite-extra", extra), &headers, |b, h| {
            b.iter(|| route(Method::Invite, black_box(h), Policy::SKIP_SERVICES_ON_IARI))
        });
    }
    g.finish();
}

criterion_group! { name = benches; config = common::criterion(); targets = dispatch, dispatch_fields }

fn main() {
    common::run("dispatch", benches);
}
