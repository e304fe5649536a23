//! Action transcripts of the main flows, snapshotted with `insta` (STYLE.md 11). Each transcript
//! is the runner's trace (every input, then what the PF did, diagnostics included), so a change
//! in behaviour shows up as a reviewed diff. The expectations inside the scenario files are
//! checked separately (`script_scenarios.rs`); these snapshots pin the exact order too.

use cpm_pf::script::{load, run};

fn transcript(name: &str) -> String {
    let path = format!("{}/tests/scenarios/{name}.scn", env!("CARGO_MANIFEST_DIR"));
    let script = load(&path).unwrap_or_else(|e| panic!("{e}"));
    run(&script).to_string()
}

macro_rules! transcript_snapshot {
    ($test:ident, $name:literal) => {
        #[test]
        fn $test() {
            insta::assert_snapshot!($name, transcript($name));
        }
    };
}

transcript_snapshot!(proxy_forwarding, "bye-p1-proxy");
transcript_snapshot!(client_leaves_three_iwfs, "bye-1b-client-leaves-three-iwfs");
transcript_snapshot!(remote_ends_recorded_one_to_one, "bye-r5-remote-410-one-to-one-recorded");
transcript_snapshot!(iwf_closes_streams_then_session, "bye-3a-iwf-closes-streams");
transcript_snapshot!(connection_loss_remain_rejoin_expiry, "bye-4-second-loss-and-expiry");
transcript_snapshot!(glare, "bye-g-glare");
transcript_snapshot!(session_timer_refreshes, "st-0-refresh-restarts");
transcript_snapshot!(file_transfer_in_session, "ft-1b-in-session-folder-absent");
transcript_snapshot!(file_transfer_store_timeout, "ft-1c-store-timeout");
