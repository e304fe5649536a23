//! Random input sequences against the session machine, checked by the shared invariant checker
//! (issue 3): every BYE received is answered exactly once, media is released at most once and
//! every leg by `terminated`, nothing but 481 after `terminated`, nothing stored twice, bounded
//! buffers, and the same inputs give the same actions.
//!
//! The inputs and the checks are those of the `session` fuzz target: this file includes
//! `fuzz/src/lib.rs` (as `tests/fuzz_corpora.rs` does) and drives its body on proptest-generated
//! bytes, one byte string per input. Failures proptest once found for the earlier, structured
//! generator are kept as inputs of that target in `fuzz/regressions/session/`.

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)] // the other targets' bodies: tests/fuzz_corpora.rs runs them
mod fuzz_bodies;

use cpm_pf::msrp::{Continuation, SendRequest};
use cpm_pf::{Config, Input, Leg, Policy, Preferences, Session, Time};
use fuzz_bodies::session_steps;
use proptest::prelude::*;

/// The bytes of one case for the `session` fuzz body ([`session_steps`]): the configuration's,
/// then one byte string per input, so that shrinking drops and simplifies inputs one by one.
fn case(max_ops: usize) -> impl Strategy<Value = (Vec<u8>, Vec<Vec<u8>>)> {
    (
        prop::collection::vec(any::<u8>(), 16), // the setup reads 14
        prop::collection::vec(prop::collection::vec(any::<u8>(), 0..32), 0..max_ops),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// The invariants hold after every input and at the end (the `session` fuzz body, which
    /// panics on a broken one); a configuration the session refuses is no case.
    #[test]
    fn invariants_hold_for_any_input_sequence((setup, ops) in case(40)) {
        prop_assume!(session_steps(&setup, &ops).is_some());
    }

    #[test]
    fn same_inputs_give_same_actions((setup, ops) in case(30)) {
        let a = session_steps(&setup, &ops);
        prop_assume!(a.is_some());
        let b = session_steps(&setup, &ops);
        prop_assert_eq!(a, b);
    }
}

/// REC-5i through the session: whatever the split of a message into chunks and whatever their
/// arrival order, the session stores the same bytes as for the message sent in one chunk.
fn stored_after(chunks: &[(u64, u64, bool, Vec<u8>)], total: u64) -> Result<Vec<Vec<u8>>, TestCaseError> {
    let mut c = Config::default();
    c.prefs = Preferences::ALLOW_OFFLINE_STORAGE;
    c.policy = Policy::LIVE_RECORDING;
    c.peer = Some("sip:bob@example.com".into());
    let t = Time::from_unix_secs(1_767_225_600);
    let mut s = Session::new(c, t).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut stored = Vec::new();
    for (start, end, last, body) in chunks {
        let range = format!("{start}-{end}/{total}");
        let input = Input::MsrpSend {
            leg: Leg::Client,
            send: SendRequest {
                message_id: Some("split-0001"),
                byte_range: Some(&range),
                continuation: Some(if *last { Continuation::Complete } else { Continuation::More }),
                content_type: Some("text/plain"),
                body,
            },
        };
        for a in s.handle(input, t) {
            if let cpm_pf::Action::Store { content, .. } = a {
                stored.push(content);
            }
        }
    }
    Ok(stored)
}

proptest! {
    #[test]
    fn any_split_and_order_stores_the_same_bytes(
        body in prop::collection::vec(any::<u8>(), 1..400),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..8),
        order in any::<prop::sample::Index>(),
    ) {
        let total = body.len() as u64;
        let whole = stored_after(&[(1, total, true, body.clone())], total)?;
        prop_assert_eq!(whole.len(), 1);
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(body.len())).filter(|&p| p > 0).collect();
        points.push(0);
        points.push(body.len());
        points.sort_unstable();
        points.dedup();
        let mut chunks: Vec<(u64, u64, bool, Vec<u8>)> = points
            .windows(2)
            .map(|w| (w[0] as u64 + 1, w[1] as u64, w[1] == body.len(), body[w[0]..w[1]].to_vec()))
            .collect();
        // A deterministic shuffle driven by `order`.
        let n = chunks.len();
        let k = order.index(n.max(1));
        chunks.rotate_left(k);
        if n > 2 {
            chunks.swap(0, n - 1);
        }
        let split = stored_after(&chunks, total)?;
        prop_assert_eq!(split, whole);
    }
}
