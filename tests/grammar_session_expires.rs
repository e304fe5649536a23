//! `Session-Expires` / `x` and `Min-SE` (RFC 4028 §4, §5): fixtures, decisions, malformed
//! input, round trips, "never panics". SPEC ST-0 relies on these values.

use cpm_pf::grammar::session_expires::{MinSe, Refresher, SessionExpires};
use cpm_pf::grammar::{ErrorKind, GenericParam};
use cpm_pf::headers::{names, SipHeaders};
use proptest::prelude::*;
use smallvec::SmallVec;

/// RFC 4028 §4 example (RFC-VERBATIM): `Session-Expires: 4000;refresher=uac`.
#[test]
fn rfc4028_s4_refresher_uac() {
    let se = SessionExpires::parse("4000;refresher=uac").unwrap();
    assert_eq!(se.delta_seconds, 4000);
    assert_eq!(se.refresher, Some(Refresher::Uac));
    assert!(se.params.is_empty());
}

/// RFC 4028 §4: compact form `x` (the header lookup) and no refresher.
#[test]
fn rfc4028_s4_compact_form_x() {
    let headers = [("x", "1800")];
    let v = headers.first(&names::SESSION_EXPIRES).unwrap();
    let se = SessionExpires::parse(v).unwrap();
    assert_eq!((se.delta_seconds, se.refresher), (1800, None));
}

/// RFC 4028 §5: `Min-SE: 3600`.
#[test]
fn rfc4028_s5_min_se() {
    let headers = [("Min-SE", "3600")];
    let m = MinSe::parse(headers.first(&names::MIN_SE).unwrap()).unwrap();
    assert_eq!(m.delta_seconds, 3600);
    assert!(m.params.is_empty());
    assert_eq!(MinSe::DEFAULT_SECONDS, 90);
    let m = MinSe::parse(" 90 ; x=1 ").unwrap();
    assert_eq!(
        (m.delta_seconds, m.params.as_slice()),
        (90, &[GenericParam { name: "x", value: Some("1") }][..])
    );
}

#[test]
fn refresher_uas_any_case_and_whitespace() {
    let se = SessionExpires::parse(" 90 ; REFRESHER = UAS ").unwrap();
    assert_eq!((se.delta_seconds, se.refresher), (90, Some(Refresher::Uas)));
}

#[test]
fn generic_params_kept() {
    let se = SessionExpires::parse(r#"1800;foo;refresher=uas;bar="x;y""#).unwrap();
    assert_eq!(se.refresher, Some(Refresher::Uas));
    assert_eq!(
        se.params.as_slice(),
        [GenericParam { name: "foo", value: None }, GenericParam { name: "bar", value: Some("\"x;y\"") }]
    );
}

/// Decision: an unknown refresher value is a generic param; `refresher` stays None.
#[test]
fn unknown_refresher_is_a_generic_param() {
    let se = SessionExpires::parse("1800;refresher=both").unwrap();
    assert_eq!(se.refresher, None);
    assert_eq!(se.params.as_slice(), [GenericParam { name: "refresher", value: Some("both") }]);
}

/// Decision: the first refresher decides, a later one is a generic param.
#[test]
fn duplicate_refresher_first_wins() {
    let se = SessionExpires::parse("1800;refresher=uac;refresher=uas").unwrap();
    assert_eq!(se.refresher, Some(Refresher::Uac));
    assert_eq!(se.params.len(), 1);
}

/// Decision: 0 parses (ST-0 ignores it at the session level); u32::MAX parses; larger is an error.
#[test]
fn delta_seconds_bounds() {
    assert_eq!(SessionExpires::parse("0").unwrap().delta_seconds, 0);
    assert_eq!(SessionExpires::parse("4294967295").unwrap().delta_seconds, u32::MAX);
    assert_eq!(SessionExpires::parse("0001800").unwrap().delta_seconds, 1800);
    let e = SessionExpires::parse("4294967296").unwrap_err();
    assert_eq!((e.header, e.kind, e.at), ("Session-Expires", ErrorKind::NumberOutOfRange, 0));
    let e = MinSe::parse(" 99999999999999999999999").unwrap_err();
    assert_eq!((e.header, e.kind, e.at), ("Min-SE", ErrorKind::NumberOutOfRange, 1));
}

#[test]
fn malformed_values() {
    let cases: &[(&str, ErrorKind)] = &[
        ("", ErrorKind::Empty),
        ("   ", ErrorKind::Empty),
        ("-5", ErrorKind::ExpectedNumber),
        ("abc", ErrorKind::ExpectedNumber),
        ("1800 s", ErrorKind::Unexpected('s')),
        ("18.5", ErrorKind::Unexpected('.')),
        ("1800;", ErrorKind::ExpectedToken),
        ("1800;refresher=", ErrorKind::ExpectedToken),
        ("1800,900", ErrorKind::Unexpected(',')),
        ("1800;x=\"open", ErrorKind::UnterminatedQuote),
    ];
    for &(v, kind) in cases {
        let e = SessionExpires::parse(v).unwrap_err();
        assert_eq!((e.header, e.kind), ("Session-Expires", kind), "{v:?}");
        let e = MinSe::parse(v).unwrap_err();
        assert_eq!((e.header, e.kind), ("Min-SE", kind), "{v:?}");
    }
}

#[test]
fn display_is_canonical() {
    let se = SessionExpires::parse(" 4000 ; x ; refresher = UAC ").unwrap();
    assert_eq!(se.to_string(), "4000;refresher=uac;x");
    assert_eq!(MinSe::parse("3600 ;a=b").unwrap().to_string(), "3600;a=b");
}

#[test]
fn many_params_are_linear() {
    let s: String =
        core::iter::once("1800".to_owned()).chain((0..10_000).map(|i| format!(";p{i}"))).collect();
    assert_eq!(SessionExpires::parse(&s).unwrap().params.len(), 10_000);
}

fn param() -> impl Strategy<Value = (String, Option<String>)> {
    (
        "[A-Za-z0-9.!%*_+`'~-]{1,10}"
            .prop_filter("refresher is generated on its own", |n| !n.eq_ignore_ascii_case("refresher")),
        proptest::option::of(prop_oneof!["[A-Za-z0-9.-]{1,8}", r#""[ !#-\[\]-~]{0,8}""#]),
    )
}

proptest! {
    #[test]
    fn session_expires_round_trip(
        delta in any::<u32>(),
        refresher in proptest::option::of(prop_oneof![Just(Refresher::Uac), Just(Refresher::Uas)]),
        params in proptest::collection::vec(param(), 0..4),
    ) {
        // Built twice: the borrowed types are invariant in their lifetime (SmallVec).
        let build = || SessionExpires {
            delta_seconds: delta,
            refresher,
            params: params.iter().map(|(n, v)| GenericParam { name: n, value: v.as_deref() }).collect::<SmallVec<_>>(),
        };
        let s = build().to_string();
        prop_assert_eq!(SessionExpires::parse(&s), Ok(build()));
    }

    #[test]
    fn min_se_round_trip(delta in any::<u32>(), params in proptest::collection::vec(param(), 0..4)) {
        let build = || MinSe {
            delta_seconds: delta,
            params: params.iter().map(|(n, v)| GenericParam { name: n, value: v.as_deref() }).collect::<SmallVec<_>>(),
        };
        let s = build().to_string();
        prop_assert_eq!(MinSe::parse(&s), Ok(build()));
    }

    #[test]
    fn arbitrary_strings_never_panic(s in ".{0,60}") {
        let _ = SessionExpires::parse(&s);
        let _ = MinSe::parse(&s);
    }

    #[test]
    fn grammar_like_strings_never_panic(s in r#"[0-9a-z ;=",\\.\t]{0,40}"#) {
        if let Ok(se) = SessionExpires::parse(&s) {
            let again = se.to_string();
            prop_assert_eq!(format!("{:?}", SessionExpires::parse(&again)), format!("{:?}", Ok::<_, ()>(se)));
        }
        let _ = MinSe::parse(&s);
    }
}
