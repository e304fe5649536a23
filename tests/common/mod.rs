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
