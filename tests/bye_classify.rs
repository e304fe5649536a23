//! The classification table of 8.2.2.3 (SPEC.md BYE-R1 … BYE-R8), tested on the pure function
//! the session machine uses. Each row: leg, raw Reason field values, expected branch and rule.

use cpm_pf::session::bye::{classify, Branch, Rule};
use cpm_pf::Leg;

#[track_caller]
fn case(leg: Leg, reasons: &[&str], branch: Branch, rule: Rule) {
    let c = classify(leg, reasons);
    assert_eq!((c.branch, c.rule), (branch, rule), "{leg} {reasons:?}");
}

#[test]
fn bye_r1_only_a_numeric_sip_cause_decides_and_the_first_one_counts() {
    // RFC 9366: several SIP values; the first with a numeric cause decides.
    case(Leg::Client, &["SIP;cause=200, SIP;cause=503"], Branch::ClientLeaves, Rule::Cause200);
    case(Leg::Client, &["SIP;cause=503", "SIP;cause=200"], Branch::ConnectionLoss, Rule::OtherCause);
    // A SIP value without a numeric cause is skipped.
    case(Leg::Client, &["SIP;cause=abc, SIP;cause=200"], Branch::ClientLeaves, Rule::Cause200);
    // The protocol token is matched without regard to case.
    case(Leg::Client, &["sip;cause=200"], Branch::ClientLeaves, Rule::Cause200);
    // Q.850 cause 16 is not a SIP 200.
    case(Leg::Client, &["Q.850;cause=200"], Branch::ConnectionLoss, Rule::NoDecidingCause);
}

#[test]
fn bye_r1_an_unparseable_field_is_dropped_alone_and_reported() {
    let c = classify(Leg::Client, &["SIP;cause=\"open", "SIP;cause=503"]);
    assert_eq!(c.branch, Branch::ConnectionLoss);
    assert_eq!(c.unparseable.len(), 1);
    assert_eq!(c.unparseable[0].0, 0);
    assert_eq!(c.unparseable[0].1.header, "Reason");
    assert_eq!(c.propagate.as_slice(), ["SIP;cause=503"]);
    // Only unparseable: treated as absent, nothing propagated.
    let c = classify(Leg::Client, &["", ";;"]);
    assert_eq!((c.branch, c.rule), (Branch::ClientLeaves, Rule::ClientNoReason));
    assert!(c.propagate.is_empty());
    assert_eq!(c.unparseable.len(), 2);
}

#[test]
fn bye_r2_r3_absent_reason() {
    case(Leg::Client, &[], Branch::ClientLeaves, Rule::ClientNoReason);
    case(Leg::Remote, &[], Branch::RemoteEnds, Rule::RemoteNoReason);
    case(Leg::Iwf(1), &[], Branch::IwfEnds, Rule::Iwf);
}

#[test]
fn bye_r4_to_r7_sip_causes_by_leg() {
    // RFC 3326 §2 example, with its spaces before ';'.
    case(
        Leg::Client,
        &["SIP ;cause=200 ;text=\"Call completed elsewhere\""],
        Branch::ClientLeaves,
        Rule::Cause200,
    );
    case(Leg::Remote, &["SIP;cause=200"], Branch::RemoteEnds, Rule::Cause200);
    case(Leg::Remote, &["SIP;cause=410;text=\"Gone\""], Branch::RemoteEnds, Rule::Cause410);
    case(Leg::Remote, &["SIP;cause=480;text=\"Bearer unavailable\""], Branch::RemoteEnds, Rule::Cause480);
    case(Leg::Remote, &["SIP;cause=503"], Branch::RemoteEnds, Rule::OtherCause);
    for cause in ["410", "480", "503", "408", "487"] {
        let r = format!("SIP;cause={cause}");
        let rule = match cause {
            "410" => Rule::Cause410,
            "480" => Rule::Cause480,
            _ => Rule::OtherCause,
        };
        case(Leg::Client, &[r.as_str()], Branch::ConnectionLoss, rule);
    }
    // On an IWF leg every cause means branch 3 (decision).
    case(Leg::Iwf(3), &["SIP;cause=200"], Branch::IwfEnds, Rule::Iwf);
    case(Leg::Iwf(2), &["SIP;cause=503"], Branch::IwfEnds, Rule::Iwf);
}

#[test]
fn bye_r7_only_q850_on_the_client_leg_is_anything_else() {
    case(
        Leg::Client,
        &["Q.850 ;cause=16 ;text=\"Terminated\""],
        Branch::ConnectionLoss,
        Rule::NoDecidingCause,
    );
}

#[test]
fn bye_r8_release_cause_when_no_sip_value_decides() {
    case(
        Leg::Client,
        &["RELEASE_CAUSE;cause=1;text=\"User ends call\""],
        Branch::ClientLeaves,
        Rule::ReleaseCause,
    );
    case(Leg::Client, &["release_cause;cause=1"], Branch::ClientLeaves, Rule::ReleaseCause);
    for cause in 2..=6 {
        let r = format!("RELEASE_CAUSE;cause={cause}");
        case(Leg::Client, &[r.as_str()], Branch::ConnectionLoss, Rule::ReleaseCause);
    }
    // A SIP value decides before RELEASE_CAUSE, wherever it stands.
    case(Leg::Client, &["RELEASE_CAUSE;cause=2", "SIP;cause=200"], Branch::ClientLeaves, Rule::Cause200);
    case(Leg::Client, &["RELEASE_CAUSE;cause=1", "SIP;cause=503"], Branch::ConnectionLoss, Rule::OtherCause);
    // RELEASE_CAUSE on the remote leg changes nothing: branch 2.
    case(Leg::Remote, &["RELEASE_CAUSE;cause=1"], Branch::RemoteEnds, Rule::RemoteNoReason);
}

#[test]
fn propagation_keeps_parseable_fields_verbatim_in_order() {
    let fields = ["Q.850 ;cause=16", "SIP;cause=\"bad", "SIP ;cause=200 ;text=\"a, b\""];
    let c = classify(Leg::Client, &fields);
    assert_eq!(c.propagate.as_slice(), ["Q.850 ;cause=16", "SIP ;cause=200 ;text=\"a, b\""]);
    assert_eq!(c.sip_cause.map(|c| c.0), Some(200));
}
