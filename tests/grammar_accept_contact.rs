//! `Accept-Contact` grammar (RFC 3841 §9.2, RFC 3840 §9, TS 24.229 §7.2A.8): fixtures,
//! decisions, malformed input, round trips and "never panics".

use cpm_pf::grammar::accept_contact::{parse, values, AcParam, FeatureParam, ICSI_REF};
use cpm_pf::grammar::service::CpmService;
use cpm_pf::grammar::{ErrorKind, GenericParam};
use proptest::prelude::*;

const MSG_ENC: &str = "urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg";

fn params(field: &str) -> Vec<Vec<AcParam<'_>>> {
    parse(field)
        .unwrap_or_else(|e| panic!("{field:?}: {e}"))
        .values
        .iter()
        .map(|v| v.params().collect())
        .collect()
}

fn feature<'a>(name: &'a str, value: Option<&'a str>) -> AcParam<'a> {
    AcParam::Feature(FeatureParam { name, value })
}

// ---- RFC fixtures ---------------------------------------------------------------------------

/// RFC 3841 §9.2 example (RFC-VERBATIM): `Accept-Contact: *;audio;require`.
#[test]
fn rfc3841_audio_require() {
    assert_eq!(params("*;audio;require"), [vec![feature("audio", None), AcParam::Require]]);
}

/// RFC 3841 §9.2 example (RFC-VERBATIM): `Accept-Contact: *;video;explicit`.
#[test]
fn rfc3841_video_explicit() {
    let ac = parse("*;video;explicit").unwrap();
    assert!(ac.values[0].is_explicit());
    assert!(!ac.values[0].is_require());
    assert_eq!(params("*;video;explicit"), [vec![feature("video", None), AcParam::Explicit]]);
}

/// RFC 3841 §9.2 example (RFC-VERBATIM): `Accept-Contact: *;methods="BYE";class="business";q=1.0`.
#[test]
fn rfc3841_methods_class_q() {
    assert_eq!(
        params(r#"*;methods="BYE";class="business";q=1.0"#),
        [vec![
            feature("methods", Some("BYE")),
            feature("class", Some("business")),
            AcParam::Generic(GenericParam { name: "q", value: Some("1.0") }),
        ]]
    );
}

/// TS 24.229 §7.2A.8: the ICSI is percent-encoded inside `+g.3gpp.icsi-ref`.
#[test]
fn ts24229_icsi_ref_mmtel() {
    let ac = parse(r#"*;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel""#).unwrap();
    let f = ac.values[0].feature(ICSI_REF).unwrap();
    let tv: Vec<_> = f.tag_values().collect();
    assert_eq!(tv.len(), 1);
    assert!(tv[0].eq_decoded("urn:urn-7:3gpp-service.ims.icsi.mmtel"));
    assert_eq!(tv[0].cpm_service(), None);
}

/// STANDARDS §2 derived vector 3: msg tag with require and explicit.
#[test]
fn cpm_msg_with_require_explicit() {
    let field = format!("*;+g.3gpp.icsi-ref=\"{MSG_ENC}\";require;explicit");
    let ac = parse(&field).unwrap();
    let v = &ac.values[0];
    assert!(v.is_require() && v.is_explicit());
    let f = v.feature("+G.3gpp.ICSI-ref").expect("feature names are case-insensitive");
    assert_eq!(f.tag_values().map(|t| t.cpm_service()).collect::<Vec<_>>(), [Some(CpmService::Msg)]);
}

/// STANDARDS §2 derived vector 4: two ICSIs in one quoted list.
#[test]
fn quoted_comma_list_is_one_param_two_values() {
    let field = r#"*;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session,urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.filetransfer""#;
    let ac = parse(field).unwrap();
    assert_eq!(ac.values.len(), 1, "the comma inside quotes is not a value separator");
    let f = ac.values[0].feature(ICSI_REF).unwrap();
    let services: Vec<_> = f.tag_values().map(|t| t.cpm_service()).collect();
    assert_eq!(services, [Some(CpmService::Session), Some(CpmService::FileTransfer)]);
}

// ---- structure ------------------------------------------------------------------------------------

#[test]
fn several_values_per_field() {
    let p = params(
        r#"*;audio, *;+g.3gpp.iari-ref="urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.fthttp";explicit ,*"#,
    );
    assert_eq!(p.len(), 3);
    assert_eq!(p[0], [feature("audio", None)]);
    assert_eq!(
        p[1],
        [
            feature("+g.3gpp.iari-ref", Some("urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.fthttp")),
            AcParam::Explicit
        ]
    );
    assert!(p[2].is_empty());
}

#[test]
fn whitespace_around_separators() {
    let p = params(" * ; +g.3gpp.icsi-ref = \"a , b\" ; REQUIRE\t;q = 0.5 ");
    assert_eq!(
        p,
        [vec![
            feature("+g.3gpp.icsi-ref", Some("a , b")),
            AcParam::Require,
            AcParam::Generic(GenericParam { name: "q", value: Some("0.5") }),
        ]]
    );
    let ac = parse(" * ; +g.3gpp.icsi-ref = \"a , b\"").unwrap();
    let tv: Vec<_> = ac.values[0].features().next().unwrap().tag_values().map(|t| t.as_str()).collect();
    assert_eq!(tv, ["a", "b"], "whitespace around tag values is ignored");
}

#[test]
fn base_tags_are_case_insensitive_and_require_with_value_is_generic() {
    assert_eq!(
        params("*;AUDIO;Require=yes;explicit"),
        [vec![
            feature("AUDIO", None),
            AcParam::Generic(GenericParam { name: "Require", value: Some("yes") }),
            AcParam::Explicit
        ]]
    );
}

#[test]
fn negation_is_per_tag_value() {
    let field = format!("*;+g.3gpp.icsi-ref=\"!{MSG_ENC},{}\"", MSG_ENC.replace("msg", "session"));
    let ac = parse(&field).unwrap();
    let tv: Vec<_> = ac.values[0].feature(ICSI_REF).unwrap().tag_values().collect();
    assert!(tv[0].is_negated());
    assert_eq!(tv[0].value(), MSG_ENC);
    assert_eq!(tv[0].cpm_service(), Some(CpmService::Msg), "the caller decides what negation means");
    assert!(!tv[1].is_negated());
    assert_eq!(tv[1].cpm_service(), Some(CpmService::Session));
}

#[test]
fn percent_decoding_either_hex_case() {
    for enc in
        ["urn%3aurn-7%3a3gpp-service.ims.icsi.oma.cpm.msg", "urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg"]
    {
        let field = format!("*;+g.3gpp.icsi-ref=\"{enc}\"");
        let ac = parse(&field).unwrap();
        let tv = ac.values[0].feature(ICSI_REF).unwrap().tag_values().next().unwrap();
        assert!(tv.eq_decoded("URN:URN-7:3GPP-SERVICE.IMS.ICSI.OMA.CPM.MSG"));
        assert_eq!(tv.cpm_service(), Some(CpmService::Msg));
    }
}

/// Leniency (SPEC 8.3): unencoded and unquoted URNs.
#[test]
fn unencoded_and_unquoted_urns_are_accepted() {
    let ac = parse(r#"*;+g.3gpp.icsi-ref="urn:urn-7:3gpp-service.ims.icsi.oma.cpm.largemsg""#).unwrap();
    let tv = ac.values[0].feature(ICSI_REF).unwrap().tag_values().next().unwrap();
    assert_eq!(tv.cpm_service(), Some(CpmService::LargeMsg));

    let ac = parse("*;+g.3gpp.icsi-ref=urn:urn-7:3gpp-service.ims.icsi.oma.cpm.deferred;require").unwrap();
    let v = &ac.values[0];
    assert!(v.is_require());
    let tv = v.feature(ICSI_REF).unwrap().tag_values().next().unwrap();
    assert_eq!(tv.cpm_service(), Some(CpmService::Deferred));

    let unquoted = format!("*;+g.3gpp.icsi-ref={MSG_ENC}");
    let ac = parse(&unquoted).unwrap();
    let f = ac.values[0].feature(ICSI_REF).unwrap();
    assert_eq!(f.value, Some(MSG_ENC));
    assert_eq!(f.to_string(), format!("+g.3gpp.icsi-ref=\"{MSG_ENC}\""), "rendering quotes it");
}

#[test]
fn string_value_is_one_tag_value() {
    let ac = parse(r#"*;+sip.instance="<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>""#).unwrap();
    let tv: Vec<_> = ac.values[0].features().next().unwrap().tag_values().map(|t| t.as_str()).collect();
    assert_eq!(tv, ["<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>"]);
    let ac = parse(r#"*;+x.y="<a,b>""#).unwrap();
    assert_eq!(ac.values[0].features().next().unwrap().tag_values().count(), 1);
}

#[test]
fn bad_percent_sequences_decode_literally_and_empty_tag_values_are_skipped() {
    let ac = parse(r#"*;+g.3gpp.icsi-ref="a%zz%4,,%41%""#).unwrap();
    let tv: Vec<_> = ac.values[0].features().next().unwrap().tag_values().collect();
    assert_eq!(tv.len(), 2);
    assert_eq!(tv[0].decoded().collect::<Vec<u8>>(), b"a%zz%4");
    assert_eq!(tv[1].decoded().collect::<Vec<u8>>(), b"A%");
    let ac = parse(r#"*;+g.3gpp.icsi-ref="""#).unwrap();
    assert_eq!(ac.values[0].features().next().unwrap().tag_values().count(), 0);
}

#[test]
fn values_iterator_is_lazy_and_stops_after_an_error() {
    let mut it = values("*;audio, x, *;video");
    assert!(it.next().unwrap().is_ok());
    let e = it.next().unwrap().unwrap_err();
    assert_eq!((e.header, e.kind, e.at), ("Accept-Contact", ErrorKind::Unexpected('x'), 9));
    assert!(it.next().is_none());
}

// ---- malformed --------------------------------------------------------------------------------------

#[test]
fn malformed_values() {
    let cases: &[(&str, ErrorKind)] = &[
        ("", ErrorKind::Empty),
        ("  ", ErrorKind::Empty),
        ("audio", ErrorKind::Unexpected('a')),
        ("*;", ErrorKind::ExpectedToken),
        ("*;audio,", ErrorKind::Expected("'*'")),
        ("*;audio,,*", ErrorKind::Unexpected(',')),
        ("*;audio video", ErrorKind::Unexpected('v')),
        ("*;+g.3gpp.icsi-ref=\"open", ErrorKind::UnterminatedQuote),
        ("*;+g.3gpp.icsi-ref=", ErrorKind::Expected("a feature value")),
        ("*;+g.3gpp.icsi-ref=;require", ErrorKind::Unexpected(';')),
        ("*;q=", ErrorKind::ExpectedToken),
        ("*;+a=\"x\\é\"", ErrorKind::BadEscape),
        ("*;=x", ErrorKind::Unexpected('=')),
        ("**", ErrorKind::Unexpected('*')),
        ("*;+é", ErrorKind::Unexpected('é')),
    ];
    for &(v, kind) in cases {
        let e = parse(v).map(|a| a.to_string()).unwrap_err();
        assert_eq!((e.header, e.kind), ("Accept-Contact", kind), "{v:?}");
        assert!(e.at <= v.len());
    }
}

#[test]
fn large_inputs_are_linear() {
    let many: String =
        core::iter::once("*".to_owned()).chain((0..10_000).map(|i| format!(";+g.x{i}=\"v{i},w\""))).collect();
    let ac = parse(&many).unwrap();
    assert_eq!(ac.values[0].params().count(), 10_000);
    assert_eq!(ac.values[0].features().flat_map(|f| f.tag_values()).count(), 20_000);
    let big_list = format!("*;+g.3gpp.iari-ref=\"{}\"", vec!["urn%3Aa"; 9_000].join(","));
    assert!(big_list.len() > 64 * 1024);
    assert_eq!(parse(&big_list).unwrap().values[0].features().next().unwrap().tag_values().count(), 9_000);
    let many_values = vec!["*;audio"; 10_000].join(", ");
    assert_eq!(values(&many_values).count(), 10_000);
}

#[test]
fn display_is_canonical() {
    let ac = parse(" * ;AUDIO ; +g.x = abc ;require, *;q=0.5;methods=\"INVITE,BYE\"").unwrap();
    assert_eq!(ac.to_string(), r#"*;AUDIO;+g.x="abc";require, *;q=0.5;methods="INVITE,BYE""#);
}

// ---- properties ---------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum GenParam {
    Require,
    Explicit,
    Feature(String, Option<String>),
    Generic(String, Option<String>),
}

fn gen_param() -> impl Strategy<Value = GenParam> {
    let tag_value = prop_oneof![
        "!?[A-Za-z0-9.%*_+`'~-]{1,10}",
        Just("urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session".to_owned()),
        Just("!urn:urn-7:3gpp-service.ims.icsi.oma.cpm.msg".to_owned()),
    ];
    let feature_value = prop_oneof![
        proptest::collection::vec(tag_value, 1..4).prop_map(|v| v.join(",")),
        r#"<[ !#-;=?-\[\]-~]{0,8}>"#,
    ];
    let generic_name = "[a-z][a-z0-9.-]{0,8}".prop_filter("not a keyword or base tag", |n| {
        n != "require" && n != "explicit" && !cpm_pf::grammar::accept_contact::BASE_TAGS.contains(&n.as_str())
    });
    prop_oneof![
        Just(GenParam::Require),
        Just(GenParam::Explicit),
        (
            prop_oneof!["\\+[a-z][a-z0-9.!'%-]{0,12}", Just("audio".to_owned()), Just("Methods".to_owned())],
            proptest::option::of(feature_value)
        )
            .prop_map(|(n, v)| GenParam::Feature(n, v)),
        (generic_name, proptest::option::of(prop_oneof!["[A-Za-z0-9.-]{1,6}", r#""[ !#-\[\]-~]{0,6}""#]))
            .prop_map(|(n, v)| GenParam::Generic(n, v)),
    ]
}

fn to_param(g: &GenParam) -> AcParam<'_> {
    match g {
        GenParam::Require => AcParam::Require,
        GenParam::Explicit => AcParam::Explicit,
        GenParam::Feature(n, v) => AcParam::Feature(FeatureParam { name: n, value: v.as_deref() }),
        GenParam::Generic(n, v) => AcParam::Generic(GenericParam { name: n, value: v.as_deref() }),
    }
}

proptest! {
    #[test]
    fn parse_render_round_trip(vals in proptest::collection::vec(proptest::collection::vec(gen_param(), 0..5), 1..4)) {
        let rendered = vals
            .iter()
            .map(|ps| ps.iter().map(|p| format!(";{}", to_param(p))).fold("*".to_owned(), |a, b| a + &b))
            .collect::<Vec<_>>()
            .join(", ");
        let ac = parse(&rendered).map_err(|e| TestCaseError::fail(format!("{rendered:?}: {e}")))?;
        prop_assert_eq!(ac.values.len(), vals.len());
        for (v, ps) in ac.values.iter().zip(&vals) {
            let got: Vec<AcParam<'_>> = v.params().collect();
            let want: Vec<AcParam<'_>> = ps.iter().map(to_param).collect();
            prop_assert_eq!(got, want, "rendered {:?}", rendered);
        }
        prop_assert_eq!(ac.to_string(), rendered.clone());
    }

    #[test]
    fn arbitrary_strings_never_panic(s in ".{0,80}") {
        if let Ok(ac) = parse(&s) {
            for v in &ac.values {
                for f in v.features() {
                    for t in f.tag_values() {
                        let _ = t.cpm_service();
                    }
                }
            }
        }
    }

    #[test]
    fn grammar_like_strings_never_panic(s in r#"[*;=,"\\!%3Aa+g. \t<>é]{0,60}"#) {
        if let Ok(ac) = parse(&s) {
            let again = ac.to_string();
            let reparsed = parse(&again).map_err(|e| TestCaseError::fail(format!("{again:?}: {e}")))?;
            prop_assert_eq!(reparsed.to_string(), again.clone());
            for v in &ac.values {
                for f in v.features() {
                    prop_assert!(f.tag_values().all(|t| t.decoded().count() <= t.as_str().len()));
                }
            }
        }
    }
}
