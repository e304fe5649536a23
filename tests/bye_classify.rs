//! The classification table of 8.2.2.3 (docs/requirements.md BYE-R1 … BYE-R8), tested on the pure function
//! the session machine uses. Each row: leg, raw Reason field values, expected branch and rule.

use cpm_pf::bye::{classify, Branch, Rule};
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

// ---- the scan agrees with the full parse ---------------------------------------------------------

mod agrees_with_the_full_parse {
    //! `classify` checks each field and looks for the deciding causes without building the parsed
    //! `Reason`. These tests compare it with the classification computed from `reason::parse` on
    //! well-formed, nearly well-formed and malformed fields: the same fields propagated, the same
    //! errors at the same positions, the same SIP cause, branch and rule.

    use cpm_pf::bye::{classify, Branch, Classification, Rule};
    use cpm_pf::grammar::reason::{parse, Cause};
    use cpm_pf::Leg;
    use proptest::prelude::*;
    use smallvec::SmallVec;

    /// The classification from fully parsed fields: the first numeric SIP cause and the first
    /// numeric RELEASE_CAUSE cause over the fields that parse, then the table of docs/requirements.md BYE-R2 …
    /// BYE-R8, written out again here.
    fn reference<'a>(leg: Leg, reasons: &[&'a str]) -> Classification<'a> {
        let mut propagate = SmallVec::new();
        let mut unparseable = SmallVec::new();
        let (mut sip, mut release) = (None, None);
        for (index, raw) in reasons.iter().enumerate() {
            match parse(raw) {
                Ok(r) => {
                    propagate.push(*raw);
                    for v in &r.values {
                        let Some(cause) = v.cause else { continue };
                        if sip.is_none() && v.is_protocol("SIP") {
                            sip = Some(cause);
                        } else if release.is_none() && v.is_protocol("RELEASE_CAUSE") {
                            release = Some(cause);
                        }
                    }
                }
                Err(e) => unparseable.push((index, e)),
            }
        }
        let by_cause = |c: Cause| match c.0 {
            200 => Rule::Cause200,
            410 => Rule::Cause410,
            480 => Rule::Cause480,
            _ => Rule::OtherCause,
        };
        let (branch, rule) = match (leg, sip, release) {
            (Leg::Iwf(_), ..) => (Branch::IwfEnds, Rule::Iwf),
            (Leg::Remote, Some(c), _) => (Branch::RemoteEnds, by_cause(c)),
            (Leg::Remote, None, _) => (Branch::RemoteEnds, Rule::RemoteNoReason),
            (Leg::Client, Some(Cause(200)), _) => (Branch::ClientLeaves, Rule::Cause200),
            (Leg::Client, Some(c), _) => (Branch::ConnectionLoss, by_cause(c)),
            (Leg::Client, None, Some(Cause(1))) => (Branch::ClientLeaves, Rule::ReleaseCause),
            (Leg::Client, None, Some(_)) => (Branch::ConnectionLoss, Rule::ReleaseCause),
            (Leg::Client, None, None) if !propagate.is_empty() => {
                (Branch::ConnectionLoss, Rule::NoDecidingCause)
            }
            (Leg::Client, None, None) => (Branch::ClientLeaves, Rule::ClientNoReason),
        };
        Classification { branch, rule, sip_cause: sip, propagate, unparseable }
    }

    #[track_caller]
    fn agree(reasons: &[&str]) {
        for leg in [Leg::Client, Leg::Remote, Leg::Iwf(1)] {
            assert_eq!(classify(leg, reasons), reference(leg, reasons), "{leg} {reasons:?}");
        }
    }

    /// Pieces that make up Reason fields: whole values, parameters, and the characters and
    /// words the grammar turns on (separators, quotes, escapes, folds, controls, non-ASCII).
    const PIECES: &[&str] = &[
        "SIP",
        "sip",
        "RELEASE_CAUSE",
        "Q.850",
        ";cause=200",
        ";CAUSE=1",
        ";cause=abc",
        ";cause=99999999999",
        ";text=\"a, b\"",
        ";text=x",
        ";",
        "=",
        ",",
        " ",
        "\r\n ",
        "\"",
        "\\",
        "cause",
        "503",
        "é",
        "\u{1}",
        "[::1]",
    ];

    #[test]
    fn on_every_field_of_up_to_four_pieces() {
        let n = PIECES.len();
        let mut field = String::new();
        for len in 0..=4u32 {
            for mut k in 0..n.pow(len) {
                field.clear();
                for _ in 0..len {
                    field.push_str(PIECES[k % n]);
                    k /= n;
                }
                agree(&[&field]);
            }
        }
    }

    #[test]
    fn on_hand_picked_fields() {
        for fields in [
            &["SIP;cause=200;text=\"Call completed\""][..],
            &["SIP;cause=503;text=\"Service Unavailable\""],
            &["SIP ;cause=200 ;text=\"Call completed elsewhere\""],
            &["SIP;cause=abc, SIP;cause=200"],
            &["SIP;cause=abc;cause=200, RELEASE_CAUSE;cause=1"],
            &["RELEASE_CAUSE;cause=2, SIP;cause=503", "SIP;cause=200"],
            &["RELEASE_CAUSE;cause=1", "SIP;cause=\"open", "SIP;cause=480"],
            &["SIP;cause=200;text=\"x", "RELEASE_CAUSE;cause=3"],
            &["SIP;cause=200,", "Q.850;cause=16"],
            &["", ";;", "SIP;cause=", "SIP cause=200", "SIP;text=\"bad \\é\""],
            &["sip;CAUSE=410;cause=480", "SIP;cause=4294967295", "SIP;cause=4294967296"],
            &["SIP;cause=0200", "SIP;cause=+200", "SIP;cause=\"200\""],
            &["SIP;cause=[::1], SIP;cause=600"],
        ] {
            agree(fields);
        }
    }

    fn field() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => proptest::collection::vec(proptest::sample::select(PIECES), 0..14).prop_map(|p| p.concat()),
            1 => r#"[A-Za-z0-9 ;=,"\\.\t\r\n\[\]:é_]{0,40}"#,
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

        #[test]
        fn on_generated_fields(fields in proptest::collection::vec(field(), 0..5)) {
            let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
            agree(&refs);
        }
    }
}
