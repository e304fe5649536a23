//! `Reason` header grammar (RFC 3326 §2, RFC 9366): fixtures, decisions, malformed input,
//! round trips and "never panics". The BYE classification (SPEC 8.2.2.3, BYE-R1 … BYE-R8) rests
//! on what these tests pin down: the protocol and numeric cause of each value, in order.

use cpm_pf::grammar::reason::{parse, Cause, Reason, ReasonValue};
use cpm_pf::grammar::{ErrorKind, GenericParam};
use proptest::prelude::*;
use smallvec::SmallVec;

fn one(value: &str) -> ReasonValue<'_> {
    let r = parse(value).unwrap_or_else(|e| panic!("{value:?}: {e}"));
    assert_eq!(r.values.len(), 1, "{value:?}");
    r.values.into_iter().next().unwrap()
}

// ---- RFC fixtures -------------------------------------------------------------------------

/// RFC 3326 §2 example (RFC-VERBATIM): whitespace before each `;`. BYE-R4 reads cause 200 from it.
#[test]
fn rfc3326_s2_call_completed_elsewhere() {
    let v = one(r#"SIP ;cause=200 ;text="Call completed elsewhere""#);
    assert_eq!(v.protocol, "SIP");
    assert_eq!(v.cause, Some(Cause(200)));
    assert_eq!(v.cause, Some(Cause::OK));
    assert_eq!(v.text, Some("Call completed elsewhere"));
    assert!(v.params.is_empty());
}

/// RFC 3326 §2 example (RFC-VERBATIM): a Q.850 reason; not a SIP value (BYE-R7 "only a Q.850").
#[test]
fn rfc3326_s2_q850_terminated() {
    let v = one(r#"Q.850 ;cause=16 ;text="Terminated""#);
    assert!(v.is_protocol("q.850"));
    assert!(!v.is_protocol("SIP"));
    assert_eq!(v.cause, Some(Cause::Q850_NORMAL_CLEARING));
    assert_eq!(v.text, Some("Terminated"));
}

/// RFC 3326 §2 examples (RFC-VERBATIM): 600 and 580.
#[test]
fn rfc3326_s2_busy_everywhere_and_precondition_failure() {
    let v = one(r#"SIP ;cause=600 ;text="Busy Everywhere""#);
    assert_eq!((v.cause, v.text), (Some(Cause::BUSY_EVERYWHERE), Some("Busy Everywhere")));
    let v = one(r#"SIP ;cause=580 ;text="Precondition Failure""#);
    assert_eq!((v.cause, v.text), (Some(Cause(580)), Some("Precondition Failure")));
}

/// RFC 3326 §2 / RFC 9366: a SIP and a Q.850 value in one field, in order (BYE-R7 network release).
#[test]
fn two_values_in_one_field_keep_order() {
    let r = parse(r#"SIP;cause=503;text="Service Unavailable", Q.850;cause=38;text="Network out of order""#)
        .unwrap();
    assert_eq!(r.values.len(), 2);
    assert_eq!((r.values[0].protocol, r.values[0].cause), ("SIP", Some(Cause::SERVICE_UNAVAILABLE)));
    assert_eq!((r.values[1].protocol, r.values[1].cause), ("Q.850", Some(Cause(38))));
    assert_eq!(r.first_cause("sip"), Some(Cause(503)));
    assert_eq!(r.first_cause("Q.850"), Some(Cause(38)));
    assert_eq!(r.first_cause("RELEASE_CAUSE"), None);
}

/// TS 24.229 §7.2A.18 RELEASE_CAUSE values (BYE-R8: cause 1 "User ends call", others failures).
#[test]
fn ts24229_release_cause() {
    let v = one(r#"RELEASE_CAUSE ;cause=1 ;text="User ends call""#);
    assert!(v.is_protocol("release_cause"));
    assert_eq!(v.cause, Some(Cause::RELEASE_USER_ENDS_CALL));
    let v = one(r#"RELEASE_CAUSE;cause=2;text="RTP/RTCP time-out""#);
    assert_eq!(v.cause, Some(Cause(2)));
    assert_eq!(v.text, Some("RTP/RTCP time-out"));
}

/// Any protocol token is accepted (RFC 3326: `protocol = "SIP" / "Q.850" / token`; RFC 4411).
#[test]
fn any_protocol_token_is_data() {
    for p in ["Preemption", "EMM", "S1AP-RNL", "DIAMETER", "X-Vendor.1"] {
        let s = format!("{p};cause=3");
        let v = one(&s);
        assert_eq!((v.protocol, v.cause), (p, Some(Cause(3))));
    }
}

// ---- whitespace, case, quoting --------------------------------------------------------------

#[test]
fn whitespace_around_semicolon_equal_and_comma() {
    let r = parse(" SIP ; cause = 480 ; text = \"Inactive\" ,\tQ.850 ;cause= 16 ").unwrap();
    assert_eq!(r.values.len(), 2);
    assert_eq!(r.values[0].cause, Some(Cause::TEMPORARILY_UNAVAILABLE));
    assert_eq!(r.values[0].text, Some("Inactive"));
    assert_eq!(r.values[1].cause, Some(Cause(16)));
}

#[test]
fn line_fold_is_whitespace() {
    let r = parse("SIP;cause=410,\r\n Q.850;cause=16").unwrap();
    assert_eq!(r.values.len(), 2);
    assert_eq!(r.values[0].cause, Some(Cause::GONE));
}

#[test]
fn param_names_are_case_insensitive() {
    let v = one(r#"sip;CAUSE=410;Text="Gone""#);
    assert_eq!(v.cause, Some(Cause::GONE));
    assert_eq!(v.text, Some("Gone"));
    assert!(v.is_protocol("SIP"));
}

#[test]
fn comma_and_semicolon_inside_quoted_text_do_not_split() {
    let r = parse(r#"SIP;cause=503;text="a, b; c", Q.850;cause=38"#).unwrap();
    assert_eq!(r.values.len(), 2);
    assert_eq!(r.values[0].text, Some("a, b; c"));
}

#[test]
fn escapes_in_text_are_kept_and_can_be_removed() {
    let v = one(r#"SIP;cause=200;text="say \"bye\" \\ now""#);
    assert_eq!(v.text, Some(r#"say \"bye\" \\ now"#));
    assert_eq!(v.text_unescaped().as_deref(), Some(r#"say "bye" \ now"#));
    let v = one(r#"SIP;cause=200;text="plain""#);
    assert!(matches!(v.text_unescaped(), Some(std::borrow::Cow::Borrowed("plain"))));
}

#[test]
fn utf8_in_text() {
    let v = one("SIP;cause=200;text=\"Appel terminé ✓\"");
    assert_eq!(v.text, Some("Appel terminé ✓"));
}

// ---- decisions --------------------------------------------------------------------------------

/// Decision: a non-numeric cause keeps the protocol, leaves `cause` None (not 0) and stays as a
/// generic param (`reason-extension`). BYE-R1: such a value does not decide.
#[test]
fn non_numeric_cause_is_kept_not_coerced() {
    let v = one("SIP;cause=abc");
    assert_eq!(v.protocol, "SIP");
    assert_eq!(v.cause, None);
    assert_eq!(v.param("CAUSE"), Some(&GenericParam { name: "cause", value: Some("abc") }));
    let v = one("SIP;cause");
    assert_eq!(v.cause, None);
    assert_eq!(v.params.as_slice(), [GenericParam { name: "cause", value: None }]);
    let v = one(r#"SIP;cause="200""#);
    assert_eq!(v.cause, None, "a quoted cause is not 1*DIGIT");
}

/// Decision: a cause that does not fit u32 is data, not an error: cause None, kept as written.
#[test]
fn overflowing_cause_is_kept_as_param() {
    let v = one("SIP;cause=4294967296");
    assert_eq!(v.cause, None);
    assert_eq!(v.param("cause").and_then(|p| p.value), Some("4294967296"));
    let v = one("SIP;cause=4294967295");
    assert_eq!(v.cause, Some(Cause(u32::MAX)));
    let v = one("SIP;cause=000200");
    assert_eq!(v.cause, Some(Cause::OK), "leading zeros are digits");
}

/// Decision: unquoted text is a generic param, `text` stays None.
#[test]
fn unquoted_text_is_a_generic_param() {
    let v = one("SIP;cause=486;text=Busy");
    assert_eq!(v.cause, Some(Cause(486)));
    assert_eq!(v.text, None);
    assert_eq!(v.param("text").and_then(|p| p.value), Some("Busy"));
}

/// Decision: the first `cause` decides; later ones are kept as generic params.
#[test]
fn duplicate_cause_first_wins() {
    let v = one("SIP;cause=200;cause=486");
    assert_eq!(v.cause, Some(Cause::OK));
    assert_eq!(v.params.as_slice(), [GenericParam { name: "cause", value: Some("486") }]);
    let v = one("SIP;cause=x;cause=486");
    assert_eq!(v.cause, None, "the first cause was not numeric: it decides nothing, the second is kept");
    assert_eq!(v.params.len(), 2);
    let v = one(r#"SIP;text="a";text="b""#);
    assert_eq!(v.text, Some("a"));
    assert_eq!(v.param("text").and_then(|p| p.value), Some("\"b\""));
}

/// RFC 9366: the same protocol twice is accepted, in order; the first numeric cause counts.
#[test]
fn same_protocol_twice_keeps_order() {
    let r = parse("SIP;cause=abc, SIP;cause=480, SIP;cause=200").unwrap();
    assert_eq!(r.values.len(), 3);
    assert_eq!(r.first_cause("SIP"), Some(Cause::TEMPORARILY_UNAVAILABLE));
    assert_eq!(r.with_protocol("sip").count(), 3);
}

#[test]
fn generic_params_are_kept_in_order() {
    let v = one(r#"SIP;cause=503;location=LN;x-foo="q;,";flag;v6=[2001:db8::1]"#);
    assert_eq!(
        v.params.as_slice(),
        [
            GenericParam { name: "location", value: Some("LN") },
            GenericParam { name: "x-foo", value: Some("\"q;,\"") },
            GenericParam { name: "flag", value: None },
            GenericParam { name: "v6", value: Some("[2001:db8::1]") },
        ]
    );
}

// ---- malformed ----------------------------------------------------------------------------------

fn err(value: &str) -> cpm_pf::grammar::GrammarError {
    match parse(value) {
        Ok(r) => panic!("{value:?} parsed as {r:?}"),
        Err(e) => {
            assert_eq!(e.header, "Reason");
            assert!(e.at <= value.len());
            e
        }
    }
}

#[test]
fn empty_value_is_an_error() {
    assert_eq!(err("").kind, ErrorKind::Empty);
    assert_eq!(err("  \t ").kind, ErrorKind::Empty);
}

#[test]
fn malformed_values() {
    assert_eq!(err(";cause=200").kind, ErrorKind::Unexpected(';'));
    assert_eq!(err("SIP;cause=200,").kind, ErrorKind::ExpectedToken);
    assert_eq!(err("SIP,,Q.850").kind, ErrorKind::Unexpected(','));
    assert_eq!(err("SIP;").kind, ErrorKind::ExpectedToken);
    assert_eq!(err("SIP;cause=").kind, ErrorKind::ExpectedToken);
    assert_eq!(err(r#"SIP;text="open"#).kind, ErrorKind::UnterminatedQuote);
    assert_eq!(err("SIP;text=\"bad \\é\"").kind, ErrorKind::BadEscape);
    assert_eq!(err("SIP cause=200").kind, ErrorKind::Unexpected('c'));
    assert_eq!(err("SIP;cause=200 trailing").kind, ErrorKind::Unexpected('t'));
    assert_eq!(err("SIP;text=\"a\u{1}b\"").kind, ErrorKind::Unexpected('\u{1}'));
    assert_eq!(err("Sé").kind, ErrorKind::Unexpected('é'));
    let e = err("SIP;cause=200;text=\"x");
    assert_eq!((e.kind, e.at), (ErrorKind::UnterminatedQuote, 19));
}

#[test]
fn long_inputs_are_linear() {
    let many: String =
        core::iter::once("SIP".to_owned()).chain((0..10_000).map(|i| format!(";p{i}=v"))).collect();
    let r = parse(&many).unwrap();
    assert_eq!(r.values[0].params.len(), 10_000);
    let big = format!("SIP;cause=200;text=\"{}\"", "x, ".repeat(22_000));
    assert!(big.len() > 64 * 1024);
    assert_eq!(parse(&big).unwrap().values.len(), 1);
    let values = vec!["Q.850;cause=16"; 5_000].join(",");
    assert_eq!(parse(&values).unwrap().values.len(), 5_000);
}

#[test]
fn display_is_canonical() {
    let r = parse(r#"SIP ;cause=200 ;text="Call completed elsewhere" , Q.850; x ;cause=16"#).unwrap();
    assert_eq!(r.to_string(), r#"SIP;cause=200;text="Call completed elsewhere", Q.850;cause=16;x"#);
}

// ---- properties -----------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct GenValue {
    protocol: String,
    cause: Option<u32>,
    bad_cause: Option<String>,
    text: Option<String>,
    unquoted_text: Option<String>,
    params: Vec<(String, Option<String>)>,
}

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9.!%*_+`'~-]{1,12}"
}

fn param_name() -> impl Strategy<Value = String> {
    token().prop_filter("cause and text are generated on their own", |n| {
        !n.eq_ignore_ascii_case("cause") && !n.eq_ignore_ascii_case("text")
    })
}

fn quoted_inner() -> impl Strategy<Value = String> {
    proptest::collection::vec(prop_oneof![r"[ !#-\[\]-~]", r#"\\[ -~]"#, "[é✓ü]", "\t"], 0..12)
        .prop_map(|v| v.concat())
}

fn gen_value() -> impl Strategy<Value = String> {
    prop_oneof![token(), quoted_inner().prop_map(|q| format!("\"{q}\"")), Just("[::1]".to_owned())]
}

fn reason_value() -> impl Strategy<Value = GenValue> {
    (
        prop_oneof![Just("SIP".to_owned()), Just("Q.850".to_owned()), token()],
        proptest::option::of(any::<u32>()),
        proptest::option::of(prop_oneof!["[a-z][a-z0-9]{0,5}", "[1-9][0-9]{10,13}"]),
        proptest::option::of(quoted_inner()),
        proptest::option::of(token()),
        proptest::collection::vec((param_name(), proptest::option::of(gen_value())), 0..4),
    )
        .prop_map(|(protocol, cause, bad_cause, text, unquoted_text, params)| GenValue {
            protocol,
            cause,
            bad_cause,
            text,
            unquoted_text,
            params,
        })
}

fn build(g: &GenValue) -> ReasonValue<'_> {
    let mut params: SmallVec<[GenericParam<'_>; 2]> = SmallVec::new();
    if let Some(b) = &g.bad_cause {
        params.push(GenericParam { name: "cause", value: Some(b) });
    }
    if let Some(t) = &g.unquoted_text {
        params.push(GenericParam { name: "text", value: Some(t) });
    }
    params.extend(g.params.iter().map(|(n, v)| GenericParam { name: n, value: v.as_deref() }));
    ReasonValue { protocol: &g.protocol, cause: g.cause.map(Cause), text: g.text.as_deref(), params }
}

proptest! {
    #[test]
    fn parse_render_round_trip(values in proptest::collection::vec(reason_value(), 1..4)) {
        // The borrowed types are invariant in their lifetime (SmallVec), so the expected value is
        // built twice: once to render, once borrowing for as long as the parsed one.
        let rendered = Reason { values: values.iter().map(build).collect() }.to_string();
        let parsed = parse(&rendered).map_err(|e| TestCaseError::fail(format!("{rendered:?}: {e}")))?;
        let expected = Reason { values: values.iter().map(build).collect() };
        prop_assert_eq!(&parsed, &expected, "rendered {:?}", rendered);
        prop_assert_eq!(parsed.to_string(), rendered.clone());
    }

    #[test]
    fn arbitrary_strings_never_panic(s in ".{0,80}") {
        let _ = parse(&s);
    }

    #[test]
    fn grammar_like_strings_never_panic(s in r#"[A-Za-z0-9 ;=,"\\.\t\r\n\[\]:é]{0,60}"#) {
        if let Ok(r) = parse(&s) {
            // whatever parses renders to something that parses to the same value
            let again = r.to_string();
            let reparsed = parse(&again).map_err(|e| TestCaseError::fail(format!("{again:?}: {e}")))?;
            prop_assert_eq!(format!("{reparsed:?}"), format!("{r:?}"));
        }
    }
}
