//! Comparison without a session: expected lines against synthetic produced lines, as multisets.

use cpm_pf::script::{compare, compare_outputs, Script, Trace};

mod common;

use common::{output_lines as lines, trace_of as trace};

const SCRIPT: &str = "session iwf=2\n\
                      <- client BYE\n\
                      == release-media client\n\
                      -> iwf1 BYE\n\
                      -> iwf2 BYE\n\
                      <- iwf1 200 BYE\n\
                      == release-media iwf1\n\
                      <- iwf2 200 BYE\n";

#[test]
fn order_within_a_step_is_ignored() {
    let script = Script::parse(SCRIPT).unwrap();
    let t = trace(
        &script,
        &[&["-> iwf2 BYE", "-> iwf1 BYE", "== release-media client"], &["== release-media iwf1"], &[]],
    );
    let report = compare(&script, &t);
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.steps, 3);
    assert_eq!(report.to_string(), "");
}

#[test]
fn counts_matter() {
    let script = Script::parse(SCRIPT).unwrap();
    let t = trace(
        &script,
        &[
            &["-> iwf1 BYE", "-> iwf1 BYE", "-> iwf2 BYE", "== release-media client"],
            &["== release-media iwf1"],
            &[],
        ],
    );
    let report = compare(&script, &t).with_file("x.scn");
    assert!(!report.is_ok());
    assert_eq!(report.diffs.len(), 1);
    assert_eq!(report.to_string(), "x.scn:2: <- client BYE\n  unexpected: -> iwf1 BYE\n");

    assert_eq!(
        compare_outputs(&lines(&["-> iwf1 BYE", "-> iwf1 BYE"]), &lines(&["-> iwf1 BYE"])),
        (vec![1], vec![])
    );
}

#[test]
fn missing_and_unexpected_are_reported_per_step() {
    let script = Script::parse(SCRIPT).unwrap();
    let t = trace(
        &script,
        &[&["-> iwf1 BYE", "== release-media client"], &[], &["-> client 200 BYE", "== terminated"]],
    );
    let report = compare(&script, &t).with_file("s.scn");
    assert_eq!(
        report.to_string(),
        "s.scn:2: <- client BYE\n  missing: -> iwf2 BYE\n\
         s.scn:6: <- iwf1 200 BYE\n  missing: == release-media iwf1\n\
         s.scn:8: <- iwf2 200 BYE\n  unexpected: -> client 200 BYE\n  unexpected: == terminated\n"
    );
    assert_eq!(report.diffs[2].unexpected, ["-> client 200 BYE", "== terminated"]);
}

#[test]
fn diagnostics_are_never_compared() {
    let script = Script::parse("session\n<- client BYE\n!! something\n-> remote BYE\n").unwrap();
    let t = trace(&script, &[&["!! Reason header field #1 ignored", "-> remote BYE"]]);
    assert!(compare(&script, &t).is_ok());
}

#[test]
fn allowed_spelling_differences_do_not_matter() {
    let script = Script::parse(
        "session kind=group\n\
         <- remote BYE | Reason: SIP;cause=410;text=\"Gone\"\n\
         ->   client    BYE |   reason:   SIP;cause=410;text=\"Gone\"\n\
         ==  store   group-state  in   session-history:c1\n",
    )
    .unwrap();
    let t = trace(
        &script,
        &[&[
            "-> client BYE | Reason: SIP;cause=410;text=\"Gone\"",
            "== store group-state in session-history:c1",
        ]],
    );
    let report = compare(&script, &t);
    assert!(report.is_ok(), "{report}");
}

#[test]
fn values_are_compared_verbatim_and_header_order_counts() {
    let e = lines(&["-> client BYE | Reason: SIP;cause=410 | Reason: Q.850;cause=16"]);
    assert_eq!(
        compare_outputs(&e, &lines(&["-> client BYE | Reason: SIP;cause=410 | Reason: Q.850;cause=16"])),
        (vec![], vec![])
    );
    assert_eq!(
        compare_outputs(&e, &lines(&["-> client BYE | Reason: Q.850;cause=16 | Reason: SIP;cause=410"])),
        (vec![0], vec![0])
    );
    assert_eq!(
        compare_outputs(
            &lines(&["-> client BYE | Reason: sip;cause=410"]),
            &lines(&["-> client BYE | Reason: SIP;cause=410"])
        ),
        (vec![0], vec![0])
    );
    // A header is part of the line: a BYE with a Reason is not a BYE without one.
    assert_eq!(
        compare_outputs(&lines(&["-> client BYE"]), &lines(&["-> client BYE | Reason: SIP;cause=410"])),
        (vec![0], vec![0])
    );
    // Words are case-sensitive, and -> is not ==.
    assert_eq!(compare_outputs(&lines(&["== terminated"]), &lines(&["== Terminated"])), (vec![0], vec![0]));
    assert_eq!(compare_outputs(&lines(&["-> client BYE"]), &lines(&["== client BYE"])), (vec![0], vec![0]));
}

#[test]
fn a_shorter_trace_counts_as_nothing_produced() {
    let script = Script::parse(SCRIPT).unwrap();
    let report = compare(&script, &Trace::default());
    assert_eq!(report.diffs.len(), 2);
    assert_eq!(report.diffs[0].missing.len(), 3);
    assert!(report.to_string().starts_with("<script>:2: <- client BYE\n"));
}

#[test]
fn a_trace_prints_as_a_script_that_parses() {
    let script = Script::parse(SCRIPT).unwrap();
    let t = trace(
        &script,
        &[
            &["-> iwf2 BYE", "-> iwf1 BYE", "!! note", "== release-media client"],
            &["== release-media iwf1"],
            &[],
        ],
    );
    let text = t.to_string();
    assert_eq!(
        text,
        "session iwf=2\n<- client BYE\n  -> iwf2 BYE\n  -> iwf1 BYE\n  !! note\n  == release-media client\n\
         <- iwf1 200 BYE\n  == release-media iwf1\n<- iwf2 200 BYE\n"
    );
    let again = Script::parse(&text).unwrap();
    assert!(compare(&again, &t).is_ok());
}

#[test]
fn a_broken_invariant_fails_the_step_even_when_the_lines_match() {
    let script = Script::parse("session\n<- client BYE\n== release-media client\n-> remote BYE\n").unwrap();
    let mut t = trace(&script, &[&["== release-media client", "-> remote BYE"]]);
    assert!(cpm_pf::script::compare(&script, &t).is_ok());
    t.steps[0].violations.push("media on client released twice".to_owned());
    let report = cpm_pf::script::compare(&script, &t);
    assert!(!report.is_ok());
    assert!(report.to_string().contains("invariant broken: media on client released twice"), "{report}");
}
