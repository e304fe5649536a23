//! Scenario scripts with bad lines: every kind of bad line makes `replay` exit 2 with
//! `FILE:LINE: why` (with and without `--check`), and no line, however odd, panics the parser,
//! the runner or the command line.

use std::collections::BTreeSet;
use std::path::PathBuf;

use cpm_pf::script::{Script, EXIT_ERROR};
use proptest::prelude::*;

mod common;

use common::run;

/// Writes `text` to a fresh file in the temporary directory.
fn script_file(text: &str) -> PathBuf {
    common::script_file("bad-lines", text)
}

/// One bad line of a script: what comes before it, the line, what comes after it, the
/// `ErrorKind` variant, and a piece of the reason it must give.
struct BadLine {
    before: &'static str,
    line: &'static str,
    after: &'static str,
    kind: &'static str,
    why: &'static str,
}

/// A bad line between `before` and one input (`<- client BYE`).
const fn bad(before: &'static str, line: &'static str, kind: &'static str, why: &'static str) -> BadLine {
    BadLine { before, line, after: "<- client BYE\n", kind, why }
}

const S: &str = "session\n";
const S_BYE: &str = "session\n<- client BYE\n";

/// One bad line of each kind. To cover a new `ErrorKind`, add a row.
const BAD_LINES: &[BadLine] = &[
    bad(S, "frobnicate now", "UnknownWord", "unknown line \"frobnicate\""),
    bad("route INVITE\n", "session", "SessionNotFirst", "must come first"),
    bad(S, "session", "SessionTwice", "the first is on line 1"),
    bad("# c\n", "session role", "NotKeyValue", "expected key=value"),
    bad("", "session colour=blue", "UnknownKey", "unknown session key \"colour\""),
    bad("", "session role=proxy role=b2bua", "DuplicateKey", "\"role\" given twice"),
    bad("", "session role=admin", "BadValue", "bad value \"admin\" for role: expected b2bua or proxy"),
    bad("", "session role=proxy iwf=2", "ProxyWithIwf", "cannot have iwf=2"),
    bad("", "session max-message=0", "Config", "refuses this configuration"),
    bad(S, "-> remote BYE", "OutputBeforeInput", "must follow an input"),
    bad("\n\n", "<- client BYE", "NoSession", "needs a session line"),
    bad(S, "<- alice BYE", "UnknownLeg", "unknown leg \"alice\""),
    bad(S, "<- iwf3 BYE", "NoSuchLeg", "no leg iwf3"),
    bad(
        S,
        "<- client FROB",
        "BadMethod",
        "unexpected method \"FROB\": expected BYE, INVITE, REFER, UPDATE or NOTIFY",
    ),
    bad(S, "<- client 99 BYE", "BadStatus", "bad status \"99\""),
    bad(S, "@ advance", "Expected", "expected whole seconds"),
    bad(S, "@ stored nothing uid=1", "UnknownObject", "unknown object \"nothing\""),
    bad(S, "@ delivered ab", "BadMessageId", "bad message id \"ab\""),
    bad(S, "<- client INVITE | no-colon-here", "BadHeader", "bad header \"no-colon-here\""),
    bad(S, "<- client MSRP SEND | Message-ID:| abcd", "BarAtValueEdge", "starts or ends with '|'"),
    bad(S, "@ stored ft-history uid=|bc-1", "BarAtValueEdge", "starts or ends with '|'"),
    bad(S, "@ stored ft-history uid=abc|", "BarAtValueEdge", "starts or ends with '|'"),
    bad(S, "@ advance 3 | X: y", "NoHeadersAllowed", "takes no headers"),
    bad(S_BYE, "-> remote BYE | body: x", "BodyNotAllowed", "takes no body"),
    bad(S, "<- client MSRP SEND | Message-ID: abcd | Message-ID: efgh", "DuplicateHeader", "given twice"),
    bad(S, "<- client MSRP SEND | Colour: red", "UnknownMsrpHeader", "unknown MSRP header \"Colour\""),
    bad(S_BYE, "== explode", "UnknownAction", "unknown local action \"explode\""),
    bad(S_BYE, "== create-folder attic", "BadFolder", "bad folder \"attic\""),
    bad("route INVITE\n", "== route teleport", "UnknownProcedure", "unknown procedure \"teleport\""),
    // Only comments and a session line: nothing to run, reported on the session line.
    BadLine {
        before: "# c\n",
        line: "session kind=group",
        after: "# no input\n",
        kind: "NoInput",
        why: "no input",
    },
];

/// The variants of `cpm_pf::script::ErrorKind`, read from its source so that a new kind of bad
/// line without an example here fails this test.
fn error_kinds() -> BTreeSet<String> {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/script/error.rs")).unwrap();
    let start = src.find("pub enum ErrorKind").expect("ErrorKind in src/script/error.rs");
    let body = &src[start..];
    let body = &body[..body.find("\n}").unwrap()];
    body.lines()
        .filter_map(|l| l.strip_prefix("    "))
        .filter(|l| l.starts_with(|c: char| c.is_ascii_uppercase()))
        .map(|l| l.split(|c: char| !c.is_ascii_alphanumeric()).next().unwrap().to_owned())
        .collect()
}

#[test]
fn every_kind_of_bad_line_has_an_example() {
    let covered: BTreeSet<String> = BAD_LINES.iter().map(|b| b.kind.to_owned()).collect();
    assert_eq!(covered, error_kinds());
}

#[test]
fn every_kind_of_bad_line_exits_2_with_file_line_and_why() {
    for BadLine { before, line, after, kind, why } in BAD_LINES {
        let text = format!("{before}{line}\n{after}");
        let line_no = before.matches('\n').count() + 1;
        // The parser names the line and the kind.
        let e = Script::parse(&text).unwrap_err();
        assert_eq!(e.line, line_no, "{line:?}");
        let variant = format!("{:?}", e.kind);
        assert!(variant.starts_with(kind), "{line:?}: {variant}, not {kind}");
        exits_2_naming(&text, line_no, why);
    }
}

/// `replay` (with and without `--check`) on a file holding `text` exits 2 with one line
/// `FILE:LINE: …why…` on standard error; with `--check`, the file counts as failed.
fn exits_2_naming(text: &str, line_no: usize, why: &str) {
    let path = script_file(text);
    let p = path.to_str().unwrap();
    for args in [&["--check", p][..], &[p][..]] {
        let (code, out, err) = run(args);
        assert_eq!(code, EXIT_ERROR, "{args:?} on {text:?}");
        let prefix = format!("{p}:{line_no}: ");
        assert!(err.starts_with(&prefix), "{err:?} does not start with {prefix:?}");
        assert!(err.contains(why), "{err:?} does not say {why:?}");
        assert_eq!(err.lines().count(), 1, "one line per error: {err:?}");
        assert!(!err.contains("panicked"), "{err}");
        if args[0] == "--check" {
            assert!(out.ends_with(&format!("FAIL {p}\n0 passed, 1 failed\n")), "{out}");
        } else {
            assert_eq!(out, "");
        }
    }
    let _ = std::fs::remove_file(&path);
}

/// Scripts with no input line at all: a script error on line 1 (or on the session line).
#[test]
fn a_script_without_input_exits_2() {
    for (text, line_no) in
        [("", 1), ("# only a comment\n\n", 1), ("\n# c\nsession\n", 3), ("session iwf=1\n!! x\n", 1)]
    {
        exits_2_naming(text, line_no, "the script has no input line");
    }
}

/// An error quotes at most 200 characters of the line, cut at a character (not a byte) and
/// marked with `…`; the rest of the message is kept.
#[test]
fn errors_quote_at_most_200_characters() {
    for (unit, n) in [("x", 500), ("é", 300), ("漢", 201), ("🦀", 1000)] {
        let word = unit.repeat(n);
        let text = format!("session\n{word}\n<- client BYE\n");
        let quoted = format!("\"{}…\"", unit.repeat(200));
        exits_2_naming(&text, 2, &format!("unknown line {quoted}: expected session"));
        let header = format!("session\n<- client INVITE | {word}\n");
        exits_2_naming(&header, 2, &format!("bad header {quoted}: expected Name: value"));
    }
    // 200 characters exactly are quoted whole.
    let word = "y".repeat(200);
    exits_2_naming(&format!("session\n{word}\n"), 2, &format!("unknown line \"{word}\": expected"));
}

#[test]
fn a_bad_file_among_good_ones_still_exits_2() {
    let good = script_file("session\n@ advance 1\n");
    let bad = script_file("session\n@ advance soon\n");
    let (g, b) = (good.to_str().unwrap(), bad.to_str().unwrap());
    let (code, out, err) = run(&["--check", g, b]);
    assert_eq!(code, EXIT_ERROR);
    assert!(err.starts_with(&format!("{b}:2: expected whole seconds")), "{err}");
    assert!(out.ends_with("1 passed, 1 failed\n"), "{out}");
}

// ---- arbitrary lines ---------------------------------------------------------------------------

/// Lines made of the script language's own words, mixed with arbitrary text: much closer to a
/// real mistake than random bytes.
fn line() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        Just("session".to_owned()),
        Just("<-".to_owned()),
        Just("->".to_owned()),
        Just("==".to_owned()),
        Just("@".to_owned()),
        Just("!!".to_owned()),
        Just("route".to_owned()),
        Just("|".to_owned()),
        Just("client".to_owned()),
        Just("remote".to_owned()),
        Just("iwf1".to_owned()),
        Just("iwf0".to_owned()),
        Just("iwf300".to_owned()),
        Just("BYE".to_owned()),
        Just("INVITE".to_owned()),
        Just("MSRP".to_owned()),
        Just("SEND".to_owned()),
        Just("200".to_owned()),
        Just("70000".to_owned()),
        Just("advance".to_owned()),
        Just("timeout".to_owned()),
        Just("stored".to_owned()),
        Just("store-failed".to_owned()),
        Just("delivered".to_owned()),
        Just("chat-message".to_owned()),
        Just("store".to_owned()),
        Just("Message-ID: abcd".to_owned()),
        Just("Byte-Range: 1-*/18446744073709551615".to_owned()),
        Just("Continuation: $".to_owned()),
        Just("body: \\r\\n\\".to_owned()),
        Just("iwf=300".to_owned()),
        Just("max-buffered=0".to_owned()),
        Just("session-expires=18446744073709551615".to_owned()),
        Just("18446744073709551616".to_owned()),
        "[a-z=:;|<>@!\\-]{0,12}",
        ".{0,12}",
    ];
    prop::collection::vec(word, 0..10).prop_map(|w| w.join(" "))
}

const VALID: &str = "session iwf=1 prefs=allow-offline-storage\n\
<- client INVITE | Session-Expires: 90\n\
<- client MSRP SEND | Message-ID: abcd1 | Byte-Range: 1-2/2 | Continuation: $ | body: hi\n\
<- client BYE\n\
== release-media client\n\
-> iwf1 BYE\n";

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Any line anywhere in a valid script: parsing, running and checking never panic; an error
    /// names a line of the script.
    #[test]
    fn any_line_anywhere_never_panics(at in 0usize..7, bad in line()) {
        let mut lines: Vec<&str> = VALID.lines().collect();
        lines.insert(at.min(lines.len()), &bad);
        let text = lines.join("\n");
        match Script::parse(&text) {
            Err(e) => {
                prop_assert!(e.line >= 1 && e.line <= lines.len(), "line {} of {}", e.line, lines.len());
                let prefix = format!("line {}: ", e.line);
                prop_assert!(e.to_string().starts_with(&prefix), "{}", e);
            }
            Ok(script) => {
                let _ = cpm_pf::script::run(&script);
                let _ = cpm_pf::script::check(&script);
            }
        }
    }

    /// The same through the replay command line: exit 0, 1 or 2, never a panic; exit 2 only
    /// with `FILE:LINE: why` naming a line of the file.
    #[test]
    fn any_line_through_replay(at in 0usize..7, bad in line()) {
        let mut lines: Vec<&str> = VALID.lines().collect();
        lines.insert(at.min(lines.len()), &bad);
        let path = script_file(&lines.join("\n"));
        let p = path.to_str().unwrap();
        let (code, _, err) = run(&["--check", p]);
        let _ = std::fs::remove_file(&path);
        prop_assert!(!err.contains("panicked"), "{}", err);
        if code == EXIT_ERROR {
            let rest = err.strip_prefix(&format!("{p}:")).unwrap_or_else(|| panic!("{err}"));
            let (n, why) = rest.split_once(": ").unwrap_or_else(|| panic!("{err}"));
            let n: usize = n.parse().unwrap_or_else(|_| panic!("{err}"));
            prop_assert!(n >= 1 && n <= lines.len());
            prop_assert!(!why.trim().is_empty());
        } else {
            prop_assert!(code == 0 || code == 1, "exit {code}: {err}");
        }
    }
}

/// Found by the `script` fuzz target: a header value with a `|` at its edge (`Message-ID:| abcd`)
/// was echoed as `Message-ID: | abcd`, where ` | ` reads as a separator, so the printed trace no
/// longer parsed. Such a value is now a script error (it cannot be written back); every script
/// that parses prints a trace that parses again.
#[test]
fn a_printed_trace_parses_even_with_a_bar_at_a_header_value_edge() {
    for line in ["Message-ID:| abcd", "Message-ID: abcd|"] {
        let text =
            format!("session prefs=allow-offline-storage\n<- client MSRP SEND | {line} | Continuation: $\n");
        let e = Script::parse(&text).unwrap_err();
        assert!(e.to_string().contains("'|'"), "{line}: {e}");
    }
    // With a space before the bar the separator splits first: a bad header, refused all the same.
    assert!(Script::parse("session\n<- client MSRP SEND | Message-ID: abcd | | Continuation: $\n").is_err());
    // A bar inside a value is fine, and the trace prints back to a script that parses.
    let script = Script::parse("session\n<- client BYE | Reason: SIP;text=\"a|b\"\n").unwrap();
    let printed = cpm_pf::script::run(&script).to_string();
    if let Err(e) = Script::parse(&printed) {
        panic!("the printed trace does not parse: {e}\n{printed}");
    }
}
