//! `Event` / `o` (RFC 6665 §8.4; SPEC TD-4).

use cpm_pf::grammar::event::{event_type, Event, DEFERRED_MESSAGES};
use cpm_pf::grammar::{ErrorKind, GenericParam};
use cpm_pf::headers::{names, SipHeaders};
use proptest::prelude::*;
use smallvec::SmallVec;

/// RFC 6665 §8.4 grammar: package, templates and the `id` param.
#[test]
fn rfc6665_package_template_and_id() {
    let e = Event::parse("presence.winfo;id=1234").unwrap();
    assert_eq!(e.event_type, "presence.winfo");
    assert_eq!(e.package(), "presence");
    assert_eq!(e.templates().collect::<Vec<_>>(), ["winfo"]);
    assert_eq!(e.id(), Some("1234"));
    assert_eq!(e.params.as_slice(), [GenericParam { name: "id", value: Some("1234") }]);
}

/// TD-4: the deferred-messages package, any case, compact `o`.
#[test]
fn td_4_deferred_messages_any_case_compact_form() {
    let h = [("o", "Deferred-MESSAGES")];
    let e = Event::parse(h.first(&names::EVENT).unwrap()).unwrap();
    assert!(e.is_type(DEFERRED_MESSAGES));
    assert!(Event::parse(" deferred-messages ; ID = 9 ").unwrap().is_type("DEFERRED-messages"));
    assert!(
        !Event::parse("deferred-messages.winfo").unwrap().is_type(DEFERRED_MESSAGES),
        "a template is another type"
    );
    assert!(!Event::parse("deferred-messagesx").unwrap().is_type(DEFERRED_MESSAGES));
    assert_eq!(event_type("conference;x=\"a;b\"").unwrap(), "conference");
}

#[test]
fn malformed_event_values() {
    let cases: &[(&str, ErrorKind)] = &[
        ("", ErrorKind::Empty),
        (" ", ErrorKind::Empty),
        (";id=1", ErrorKind::Unexpected(';')),
        ("presence.", ErrorKind::ExpectedToken),
        (".winfo", ErrorKind::Unexpected('.')),
        ("presence..winfo", ErrorKind::Unexpected('.')),
        ("presence;", ErrorKind::ExpectedToken),
        ("presence;id=", ErrorKind::ExpectedToken),
        ("presence winfo", ErrorKind::Unexpected('w')),
        ("presence, dialog", ErrorKind::Unexpected(',')),
        ("pres@nce", ErrorKind::Unexpected('@')),
        ("a;b=\"c", ErrorKind::UnterminatedQuote),
    ];
    for &(v, kind) in cases {
        let e = Event::parse(v).unwrap_err();
        assert_eq!((e.header, e.kind), ("Event", kind), "{v:?}");
        assert_eq!(event_type(v).unwrap_err(), e);
    }
}

#[test]
fn display_and_many_params() {
    assert_eq!(Event::parse(" conference ; id = 7 ;x").unwrap().to_string(), "conference;id=7;x");
    let s: String =
        core::iter::once("conference".to_owned()).chain((0..10_000).map(|i| format!(";p{i}"))).collect();
    assert_eq!(Event::parse(&s).unwrap().params.len(), 10_000);
    assert_eq!(event_type(&s).unwrap(), "conference");
}

proptest! {
    #[test]
    fn round_trip(
        labels in proptest::collection::vec("[A-Za-z0-9!%*_+`'~-]{1,10}", 1..4),
        params in proptest::collection::vec(("[A-Za-z0-9.-]{1,8}", proptest::option::of(prop_oneof!["[A-Za-z0-9]{1,5}", r#""[ !#-\[\]-~]{0,5}""#])), 0..4),
    ) {
        let t = labels.join(".");
        let build = || Event {
            event_type: &t,
            params: params.iter().map(|(n, v)| GenericParam { name: n, value: v.as_deref() }).collect::<SmallVec<_>>(),
        };
        let s = build().to_string();
        prop_assert_eq!(Event::parse(&s), Ok(build()));
        prop_assert_eq!(event_type(&s), Ok(t.as_str()));
    }

    #[test]
    fn arbitrary_strings_never_panic(s in ".{0,80}") {
        let _ = Event::parse(&s);
        let _ = event_type(&s);
    }

    #[test]
    fn grammar_like_strings_never_panic(s in r#"[a-z.;=" é-]{0,40}"#) {
        let a = Event::parse(&s).map(|e| e.event_type);
        prop_assert_eq!(a, event_type(&s));
    }
}
