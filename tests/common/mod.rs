//! Fixtures and helpers shared by several integration tests (`mod common;`). Each test crate
//! uses a part of this module, hence `dead_code` is allowed.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use cpm_pf::msrp::{Continuation, SendRequest};
use cpm_pf::script::replay;
use cpm_pf::Time;

// ---------------------------------------------------------------------------------------------
// Session time

/// The start time of the session tests: 2026-01-01T00:00:00Z.
pub const T0: Time = Time::from_unix_secs(1_767_225_600);

// ---------------------------------------------------------------------------------------------
// RFC 4975 frames (tests/msrp_frame.rs, tests/msrp_bytes_to_session.rs; fuzz/seeds/make.py reads
// the MSRP literals of this file too)

/// RFC 4975 §5.1: "abcdEFGH" in two chunks (the RFC snippet omits the paths; added here).
pub const RFC4975_S5_1_FIRST: &[u8] = b"MSRP dkei38sd SEND\r\n\
To-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n\
From-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\n\
Message-ID: 4564dpWd\r\n\
Byte-Range: 1-*/8\r\n\
Content-Type: text/plain\r\n\
\r\n\
abcd\r\n\
-------dkei38sd+\r\n";

/// RFC 4975 §5.1, second chunk.
pub const RFC4975_S5_1_SECOND: &[u8] = b"MSRP dkei38ia SEND\r\n\
To-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n\
From-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\n\
Message-ID: 4564dpWd\r\n\
Byte-Range: 5-8/8\r\n\
Content-Type: text/plain\r\n\
\r\n\
EFGH\r\n\
-------dkei38ia$\r\n";

// ---------------------------------------------------------------------------------------------
// The replay command line (tests/script_cli.rs, tests/script_bad_lines.rs)

/// Writes `text` to a fresh file in the temporary directory, its name starting with `name`.
pub fn script_file(name: &str, text: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("cpm-pf-{name}-{}-{n}.scn", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `replay` with `args`; returns its exit code, standard output and standard error.
pub fn run(args: &[&str]) -> (i32, String, String) {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = replay(&args, &mut out, &mut err);
    (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
}

// ---------------------------------------------------------------------------------------------
// MSRP SEND requests as the reassembler takes them (tests/msrp_reassembly.rs)

/// The `+` continuation flag: more chunks follow.
pub const MORE: Option<Continuation> = Some(Continuation::More);
/// The `$` continuation flag: the last chunk.
pub const LAST: Option<Continuation> = Some(Continuation::Complete);
/// The `#` continuation flag: the message is aborted.
pub const ABORT: Option<Continuation> = Some(Continuation::Aborted);

/// A SEND chunk without Content-Type: Message-ID `id`, raw Byte-Range `range` (`None`: no
/// header), continuation `flag` (`None`: missing), body `body`.
pub fn chunk<'a>(
    id: &'a str,
    range: Option<&'a str>,
    flag: Option<Continuation>,
    body: &'a [u8],
) -> SendRequest<'a> {
    SendRequest { message_id: Some(id), byte_range: range, continuation: flag, content_type: None, body }
}

/// `send` with a Content-Type.
pub fn typed<'a>(mut send: SendRequest<'a>, content_type: &'a str) -> SendRequest<'a> {
    send.content_type = Some(content_type);
    send
}

// ---------------------------------------------------------------------------------------------
// Scenario scripts (tests/script_*.rs): one set of builders, so that a new script test starts
// from these rather than from a copy.

/// Parses `text`, which must be a valid script.
pub fn script(text: &str) -> cpm_pf::script::Script {
    match cpm_pf::script::Script::parse(text) {
        Ok(s) => s,
        Err(e) => panic!("{text:?} should parse: {e}"),
    }
}

/// The line and kind of the error of `text`, which must not parse.
pub fn script_error(text: &str) -> (usize, cpm_pf::script::ErrorKind) {
    match cpm_pf::script::Script::parse(text) {
        Ok(s) => panic!("{text:?} should not parse: {s:?}"),
        Err(e) => (e.line, e.kind),
    }
}

/// Output lines (`->`, `==`) from their text, each of which must parse.
pub fn output_lines(texts: &[&str]) -> Vec<cpm_pf::script::OutputLine> {
    texts.iter().map(|l| l.parse().unwrap_or_else(|e| panic!("{l:?}: {e}"))).collect()
}

/// One trace line from its text: `!! text` is a diagnostic, anything else an output line.
pub fn trace_line(text: &str) -> cpm_pf::script::TraceLine {
    use cpm_pf::script::TraceLine;
    match text.strip_prefix("!! ") {
        Some(d) => TraceLine::Diagnostic(d.to_owned()),
        None => TraceLine::Output(text.parse().unwrap_or_else(|e| panic!("{text:?}: {e}"))),
    }
}

/// A trace for `script` whose step `i` produced the lines `produced[i]` (see [`trace_line`]),
/// built by hand: comparison needs no session.
pub fn trace_of(script: &cpm_pf::script::Script, produced: &[&[&str]]) -> cpm_pf::script::Trace {
    use cpm_pf::script::{StepTrace, Trace};
    let steps = script.steps.iter().zip(produced).map(|(step, lines)| StepTrace {
        line: step.line,
        input: step.text.clone(),
        lines: lines.iter().map(|l| trace_line(l)).collect(),
        violations: Vec::new(),
    });
    Trace { session: script.session.as_ref().map(|s| s.text.clone()), steps: steps.collect() }
}

/// The `*.scn` files of `dir`, sorted (none when it cannot be read).
pub fn scn_files(dir: &std::path::Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "scn"))
        .collect();
    files.sort();
    files
}

/// `true` when the tests run under CI (`CI=true`), where nothing may be skipped.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// The shared scenario folder (`../shared/scenarios`, or `$CPM_PF_SHARED_SCENARIOS` when set,
/// e.g. from a git worktree) and its `*.scn` files. When it is missing or empty: `None` after
/// printing `skipped: …`, or, under `CI=true`, a panic, since CI runs with `../shared` beside
/// the checkout and must not pass by skipping.
pub fn shared_scenarios() -> Option<(PathBuf, Vec<PathBuf>)> {
    let dir = match std::env::var_os("CPM_PF_SHARED_SCENARIOS") {
        Some(dir) => PathBuf::from(dir),
        None => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/scenarios"),
    };
    let files = scn_files(&dir);
    if files.is_empty() {
        let why = format!("{} not found or holds no *.scn", dir.display());
        assert!(!under_ci(), "CI=true: {why}; the shared scenarios must be checked");
        eprintln!("skipped: {why}");
        return None;
    }
    Some((dir, files))
}

/// The `replay` binary, when this test run built it (`--features cli`, as `--all-features`).
pub fn replay_binary() -> Option<PathBuf> {
    option_env!("CARGO_BIN_EXE_replay").map(PathBuf::from)
}
