//! Helpers shared by the benchmarks: the benchmark messages and what a SIP stack would hand over.
//!
//! Not timed: everything here prepares inputs. Each bench includes it with `mod common;`.

#![allow(dead_code)] // each bench uses a part

use std::time::Duration;

use criterion::Criterion;

/// The 618-byte BYE with `Reason: SIP;cause=503;text="Service Unavailable"` (shared/bench-data).
pub const BYE: &[u8] = include_bytes!("../data/bye.sip");
/// The 1 120-byte INVITE with Accept-Contact and SDP (shared/bench-data).
pub const INVITE: &[u8] = include_bytes!("../data/invite.sip");

/// The header fields of a SIP message as name/value pairs, the way a stack that has parsed the
/// message hands them to the library (`SipHeaders` for `[(&str, &str)]`). No folding in these
/// messages, so one line is one field.
pub fn header_fields(message: &[u8]) -> Vec<(&str, &str)> {
    let text = core::str::from_utf8(message).expect("UTF-8 message");
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    head.split("\r\n")
        .skip(1) // the request line
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim(), v.trim()))
        .collect()
}

/// The baseline "fastest possible parse": httparse over the header lines (after the request
/// line, which httparse would reject as not HTTP), into a header array on the stack.
#[inline(always)]
pub fn httparse_headers(message: &[u8]) -> usize {
    let start = message.iter().position(|&b| b == b'\n').map_or(0, |i| i + 1);
    let mut headers = [httparse::EMPTY_HEADER; 32];
    match httparse::parse_headers(&message[start..], &mut headers) {
        Ok(httparse::Status::Complete((n, h))) => n + h.len(),
        _ => 0,
    }
}

/// The other baseline: rsip 0.4 parsing the whole message into its typed model.
#[inline(always)]
pub fn rsip_parse(message: &[u8]) -> rsip::SipMessage {
    rsip::SipMessage::try_from(message).expect("rsip parses the bench message")
}

/// Criterion settings that keep a full `cargo bench` within a few minutes on 2 cores; command
/// line flags (`--warm-up-time`, `--measurement-time`, `--sample-size`) still override them.
pub fn criterion() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
        .configure_from_args()
}

/// Counts this thread's heap allocations and live bytes, so the benches can report
/// allocations per call and bytes per session beside the times.
#[path = "../../tests/common/counting.rs"]
pub mod counting;

/// Where criterion writes its results (`$CARGO_TARGET_DIR/criterion`, else `target/criterion`);
/// the benches put their allocation and memory figures beside them for `benches/report.py`.
pub fn results_dir() -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "target".into());
    std::path::Path::new(&target).join("criterion")
}

/// Writes `name.json` (a flat object of numbers) into the results folder.
pub fn write_figures(name: &str, figures: &[(String, f64)]) {
    let dir = results_dir();
    let _ = std::fs::create_dir_all(&dir);
    let body: Vec<String> = figures.iter().map(|(k, v)| format!("  {k:?}: {v}")).collect();
    let text = format!("{{\n{}\n}}\n", body.join(",\n"));
    let path = dir.join(format!("{name}.json"));
    if let Err(e) = std::fs::write(&path, text) {
        eprintln!("could not write {}: {e}", path.display());
    }
    for (k, v) in figures {
        println!("{name}: {k} = {v}");
    }
}

/// The 1-minute load average (Linux), recorded beside the figures: other work on the machine
/// slows the code and its baseline alike, but not always equally.
pub fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|l| l.parse().ok()))
        .unwrap_or(f64::NAN)
}

/// Runs a bench's groups, recording the load average before and after as `<name>-load.json`.
pub fn run(name: &str, groups: impl FnOnce()) {
    let before = load_average();
    groups();
    criterion().final_summary();
    write_figures(&format!("{name}-load"), &[("before".into(), before), ("after".into(), load_average())]);
}
