//! The replay command line: exit codes, `FILE:LINE:` errors, summaries, `--help`. Tested
//! through `cpm_pf::script::replay` (what `src/bin/replay.rs` calls), and through the binary
//! itself when the test run built it (`--features cli`).

use std::path::PathBuf;
use std::process::Command;

use cpm_pf::script::{EXIT_DIFFERED, EXIT_ERROR, EXIT_OK};

mod common;

use common::{replay_binary, run, under_ci};

/// Writes `text` to a fresh file in the temporary directory.
fn script_file(name: &str, text: &str) -> PathBuf {
    common::script_file(&format!("script-cli-{name}"), text)
}

const SYNTAX_ERROR: &str = "session\n<- client BYE\n-> remote BYE\n@ nap 3\n";

#[test]
fn a_script_error_exits_2_with_file_and_line() {
    let path = script_file("syntax", SYNTAX_ERROR);
    let p = path.to_str().unwrap();
    let (code, out, err) = run(&["--check", p]);
    assert_eq!(code, EXIT_ERROR);
    assert!(err.starts_with(&format!("{p}:4: ")), "{err}");
    assert!(out.ends_with(&format!("FAIL {p}\n0 passed, 1 failed\n")), "{out}");
    // Printing a trace reports it the same way.
    let (code, out, err) = run(&[p]);
    assert_eq!(code, EXIT_ERROR);
    assert!(err.starts_with(&format!("{p}:4: ")), "{err}");
    assert_eq!(out, "");
}

#[test]
fn an_unreadable_file_or_bad_usage_exits_2() {
    let (code, _, err) = run(&["--check", "/nonexistent/cpm-pf/none.scn"]);
    assert_eq!(code, EXIT_ERROR);
    assert!(err.starts_with("/nonexistent/cpm-pf/none.scn: cannot read"), "{err}");
    assert_eq!(run(&[]).0, EXIT_ERROR);
    assert_eq!(run(&["--check"]).0, EXIT_ERROR);
    assert_eq!(run(&["--frobnicate", "x.scn"]).0, EXIT_ERROR);
    // After `--`, a word that looks like an option is a file.
    let (code, _, err) = run(&["--", "--check"]);
    assert_eq!(code, EXIT_ERROR);
    assert!(err.starts_with("--check: cannot read"), "{err}");
}

#[test]
fn help_lists_usage_options_exit_codes_and_where_the_syntax_is() {
    for flag in ["--help", "-h"] {
        for args in [&[flag][..], &["--check", flag, "x.scn"][..]] {
            let (code, out, err) = run(args);
            assert_eq!((code, err.as_str()), (EXIT_OK, ""), "{args:?}");
            for needle in [
                "usage: replay FILE...",
                "replay --check FILE...",
                "--check ",
                "-h, --help",
                "docs/scenarios.md",
                "0  every script passed",
                "1  a step produced something other than what was expected",
                "2  a script error (reported as FILE:LINE: why), an unreadable file, or bad usage",
            ] {
                assert!(out.contains(needle), "{args:?}: no {needle:?} in\n{out}");
            }
            assert!(out.contains("--store-dir DIR"), "{out}");
        }
    }
    // Bad usage prints the same text, on standard error, and exits 2.
    let (code, out, err) = run(&["--frobnicate"]);
    assert_eq!((code, out.as_str()), (EXIT_ERROR, ""));
    assert!(err.starts_with("unknown option --frobnicate\nusage: replay"), "{err}");
}

// `@ advance` with no deadline pending produces nothing, so these run without the session
// machine.

#[test]
fn passing_and_differing_files() {
    let ok = script_file("ok", "session\n@ advance 1\n");
    let bad = script_file("bad", "session\n@ advance 1\n== terminated\n");
    let (ok, bad) = (ok.to_str().unwrap(), bad.to_str().unwrap());
    let (code, out, _) = run(&["--check", ok]);
    assert_eq!(code, EXIT_OK);
    assert_eq!(out, format!("ok {ok}\n1 passed, 0 failed\n"));
    let (code, out, _) = run(&["--check", ok, bad]);
    assert_eq!(code, EXIT_DIFFERED);
    assert_eq!(
        out,
        format!("ok {ok}\n{bad}:2: @ advance 1\n  missing: == terminated\nFAIL {bad}\n1 passed, 1 failed\n")
    );
    // A script error outranks a difference.
    let syntax = script_file("syntax2", SYNTAX_ERROR);
    let (code, out, _) = run(&["--check", bad, syntax.to_str().unwrap()]);
    assert_eq!(code, EXIT_ERROR);
    assert!(out.ends_with("0 passed, 2 failed\n"), "{out}");
}

#[test]
fn printing_a_trace() {
    let path = script_file("trace", "# c\nsession kind=group\n@ advance 10\n== terminated\n@ advance 5\n");
    let (code, out, err) = run(&[path.to_str().unwrap()]);
    assert_eq!((code, err.as_str()), (EXIT_OK, ""));
    assert_eq!(out, "session kind=group\n@ advance 10\n@ advance 5\n");
}

#[test]
fn the_binary_exits_2_on_a_syntax_error_and_0_on_help() {
    let Some(bin) = replay_binary() else {
        assert!(!under_ci(), "CI=true: the replay binary must be built (cargo test --all-features)");
        eprintln!("skipped: the replay binary is not built (cargo test --features cli)");
        return;
    };
    let path = script_file("binary", SYNTAX_ERROR);
    let p = path.to_str().unwrap();
    let output = Command::new(&bin).args(["--check", p]).output().unwrap();
    assert_eq!(output.status.code(), Some(EXIT_ERROR));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with(&format!("{p}:4: ")), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.lines().last() == Some("0 passed, 1 failed"), "{stdout}");
    let help = Command::new(&bin).arg("--help").output().unwrap();
    assert_eq!(help.status.code(), Some(EXIT_OK));
    assert!(String::from_utf8_lossy(&help.stdout).contains("docs/scenarios.md"));
}

/// `--store-dir DIR` (docs/scenarios.md): each stored object's content in `DIR/NN-OBJECT.eml`, in
/// store order, and `manifest.tsv` with the file, object, folder and the folder's IMAP mailbox
/// in the session's profile (MS-8).
#[test]
fn store_dir_writes_each_object_and_a_manifest_with_its_mailbox() {
    let text = "session kind=group prefs=allow-offline-storage profile=oma\n\
<- client INVITE | From: <sip:alice@example.com> | To: <sip:conf@example.com> | Conversation-ID: conv/1 | Contribution-ID: grp-1\n\
<- client MSRP SEND | Message-ID: m-000001 | Byte-Range: 1-2/2 | Continuation: $ | Content-Type: text/plain | body: hi\n\
<- remote BYE\n";
    let path = script_file("store-dir", text);
    let dir = std::env::temp_dir().join(format!("cpm-pf-store-dir-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (code, _, err) = run(&["--store-dir", dir.to_str().unwrap(), path.to_str().unwrap()]);
    assert_eq!((code, err.as_str()), (EXIT_OK, ""));
    let manifest = std::fs::read_to_string(dir.join("manifest.tsv")).unwrap();
    // oma: the conversation folder named by the Conversation-ID, its `/` escaped (U+2215 in
    // modified UTF-7), and the session history folder its child.
    let mailbox = "conv&IhU-1/grp-1";
    assert_eq!(
        manifest,
        format!(
            "01-session-info.eml\tsession-info\tsession-history:grp-1\t{mailbox}\n\
             02-chat-message_m-000001.eml\tchat-message m-000001\tsession-history:grp-1\t{mailbox}\n\
             03-group-state.eml\tgroup-state\tsession-history:grp-1\t{mailbox}\n"
        )
    );
    let chat = std::fs::read(dir.join("02-chat-message_m-000001.eml")).unwrap();
    assert!(chat.starts_with(b"From: ") && chat.ends_with(b"hi"), "{}", String::from_utf8_lossy(&chat));
    let _ = std::fs::remove_dir_all(&dir);
}
