//! CPM service identifiers (TS 24.229 §7.2A.8 ICSI rules, SPEC TD-9) and
//! `P-Asserted-Service` / `P-Preferred-Service` (RFC 6050 §4.2).

use cpm_pf::grammar::service::{service_ids, CpmService, ServiceList, CPM_URN_PREFIX};
use cpm_pf::grammar::ErrorKind;
use proptest::prelude::*;

#[test]
fn urns_are_the_oma_spellings() {
    let expected = [
        (CpmService::Msg, "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.msg"),
        (CpmService::LargeMsg, "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.largemsg"),
        (CpmService::Session, "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session"),
        (CpmService::SessionGroup, "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session.group"),
        (CpmService::FileTransfer, "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.filetransfer"),
        (CpmService::Deferred, "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.deferred"),
        (CpmService::SystemMsg, "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.systemmsg"),
    ];
    assert_eq!(CpmService::ALL.len(), expected.len());
    for (s, urn) in expected {
        assert_eq!(s.urn(), urn);
        assert_eq!(s.to_string(), urn);
        assert!(urn.starts_with(CPM_URN_PREFIX));
        assert_eq!(CpmService::identify(urn), Some(s), "{urn}");
        assert_eq!(CpmService::identify(&urn.to_ascii_uppercase()), Some(s), "case-insensitive");
        assert_eq!(CpmService::identify(&urn.replace(':', "%3A")), Some(s), "percent-encoded");
        assert_eq!(CpmService::identify(&urn.replace(':', "%3a")), Some(s), "lowercase hex");
    }
}

/// TD-9: whole URNs, never substrings.
#[test]
fn td_9_never_a_substring() {
    let p = CPM_URN_PREFIX;
    for not in [
        format!("{p}msgfoo"),
        format!("{p}sessions"),
        format!("{p}session-group"),
        p.to_owned(),
        format!("{p}msg."),
        format!("{p}msg..x"),
        format!("{p}msg x"),
        format!("x{p}msg"),
        format!("{}msg", p.trim_end_matches('.')),
        "urn:urn-7:3gpp-service.ims.icsi.oma.cpm".to_owned(),
        "urn:urn-7:3gpp-service.ims.icsi.mmtel".to_owned(),
        "urn:urn-7:3gpp-application.ims.iari.rcs.fthttp".to_owned(),
        format!("{p}msg%"),
        format!("{p}filetransferfiletransfer"),
        String::new(),
    ] {
        assert_eq!(CpmService::identify(&not), None, "{not:?}");
    }
}

/// TD-9 / TS 24.229: a sub-service is a kind of its parent.
#[test]
fn td_9_sub_service_is_a_parent() {
    let p = CPM_URN_PREFIX;
    assert_eq!(CpmService::identify(&format!("{p}session.group")), Some(CpmService::SessionGroup));
    assert_eq!(CpmService::identify(&format!("{p}session.group.v2")), Some(CpmService::SessionGroup));
    assert_eq!(CpmService::identify(&format!("{p}session.groupie")), Some(CpmService::Session));
    assert_eq!(CpmService::identify(&format!("{p}msg.x-1")), Some(CpmService::Msg));
    assert!(CpmService::SessionGroup.is_a(CpmService::Session));
    assert!(CpmService::SessionGroup.is_a(CpmService::SessionGroup));
    assert!(!CpmService::Session.is_a(CpmService::SessionGroup));
    assert!(!CpmService::Msg.is_a(CpmService::LargeMsg));
    assert_eq!(CpmService::SessionGroup.parent(), Some(CpmService::Session));
    assert_eq!(CpmService::Session.parent(), None);
}

/// RFC 6050 / STANDARDS §2 vector 1: the plain URN in P-Preferred-Service.
#[test]
fn rfc6050_p_preferred_service_plain_urn() {
    let l = ServiceList::parse_preferred("urn:urn-7:3gpp-service.ims.icsi.mmtel").unwrap();
    assert_eq!(l.ids.len(), 1);
    assert_eq!(l.ids[0].as_str(), "urn:urn-7:3gpp-service.ims.icsi.mmtel");
    assert_eq!(l.ids[0].urn_service_id(), "3gpp-service.ims.icsi.mmtel");
    assert_eq!(l.ids[0].cpm_service(), None);
}

#[test]
fn p_asserted_service_list() {
    let l = ServiceList::parse_asserted(
        " urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session.group ,URN:URN-7:3gpp-service.ims.icsi.mmtel ",
    )
    .unwrap();
    assert_eq!(l.ids.len(), 2);
    assert_eq!(l.ids[0].cpm_service(), Some(CpmService::SessionGroup));
    assert!(l.contains(CpmService::Session));
    assert!(l.contains(CpmService::SessionGroup));
    assert!(!l.contains(CpmService::Msg));
    assert_eq!(
        l.to_string(),
        "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session.group, URN:URN-7:3gpp-service.ims.icsi.mmtel"
    );
    assert_eq!(CpmService::LargeMsg.service_id().to_string(), CpmService::LargeMsg.urn());
}

#[test]
fn malformed_p_service_values_name_the_header() {
    let cases: &[(&str, ErrorKind)] = &[
        ("", ErrorKind::Empty),
        (
            r#"+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session""#,
            ErrorKind::Expected("urn:urn-7:"),
        ),
        ("urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session", ErrorKind::Expected("urn:urn-7:")),
        ("urn:urn-7:", ErrorKind::Expected("a service id label")),
        ("urn:urn-7:3gpp-service..x", ErrorKind::Unexpected('.')),
        ("urn:urn-7:3gpp-service.", ErrorKind::Expected("a service id label")),
        ("urn:urn-7:3gpp_service", ErrorKind::Unexpected('_')),
        ("urn:urn-7:a,", ErrorKind::Expected("urn:urn-7:")),
        ("urn:urn-7:a b", ErrorKind::Unexpected('b')),
        ("urn:urn-7:abcdefghijklmnopqrstuvwxyz01.x", ErrorKind::TooLong),
        ("<urn:urn-7:a>", ErrorKind::Expected("urn:urn-7:")),
    ];
    for &(v, kind) in cases {
        let e = ServiceList::parse_asserted(v).unwrap_err();
        assert_eq!((e.header, e.kind), ("P-Asserted-Service", kind), "{v:?}");
        let e = ServiceList::parse_preferred(v).unwrap_err();
        assert_eq!(e.header, "P-Preferred-Service");
    }
    assert!(ServiceList::parse_asserted("urn:urn-7:abcdefghijklmnopqrstuvwxyz0.x").is_ok(), "27 is allowed");
}

#[test]
fn many_ids_are_linear() {
    let v = vec!["urn:urn-7:3gpp-service.ims.icsi.oma.cpm.msg"; 2_000].join(",");
    assert!(v.len() > 64 * 1024);
    assert_eq!(service_ids(&v, "P-Asserted-Service").filter(|r| r.is_ok()).count(), 2_000);
}

fn service_id() -> impl Strategy<Value = String> {
    (
        prop_oneof!["[Uu][Rr][Nn]:[Uu][Rr][Nn]-7:", Just("urn:urn-7:".to_owned())],
        "[A-Za-z0-9-]{1,27}",
        proptest::collection::vec("[A-Za-z0-9-]{1,12}", 0..4),
    )
        .prop_map(|(p, top, subs)| {
            std::iter::once(format!("{p}{top}")).chain(subs).collect::<Vec<_>>().join(".")
        })
}

proptest! {
    #[test]
    fn service_list_round_trip(ids in proptest::collection::vec(service_id(), 1..5)) {
        let rendered = ids.join(", ");
        let l = ServiceList::parse_asserted(&rendered).map_err(|e| TestCaseError::fail(format!("{rendered:?}: {e}")))?;
        let got: Vec<&str> = l.ids.iter().map(|i| i.as_str()).collect();
        prop_assert_eq!(&got, &ids);
        prop_assert_eq!(l.to_string(), rendered.clone());
    }

    #[test]
    fn cpm_urns_round_trip_through_any_encoding(
        i in 0..7usize, upper in proptest::collection::vec(any::<bool>(), 64), enc in any::<bool>(), hex_lower in any::<bool>(),
    ) {
        let s = CpmService::ALL[i];
        let mut urn: String = s.urn().chars().zip(&upper).map(|(c, &u)| if u { c.to_ascii_uppercase() } else { c }).collect();
        urn.push_str(&s.urn()[urn.len()..]);
        if enc {
            urn = urn.replace(':', if hex_lower { "%3a" } else { "%3A" });
        }
        prop_assert_eq!(CpmService::identify(&urn), Some(s));
        // and a suffix that is not a label separator never matches the same service
        let longer = format!("{urn}x");
        prop_assert_ne!(CpmService::identify(&longer), Some(s));
    }

    #[test]
    fn arbitrary_strings_never_panic(s in ".{0,80}") {
        let _ = ServiceList::parse_asserted(&s);
        let _ = CpmService::identify(&s);
    }

    #[test]
    fn grammar_like_strings_never_panic(s in proptest::collection::vec(prop_oneof![
        Just("urn:urn-7:".to_owned()), Just("URN:urn-7:".to_owned()), "[a-z0-9-]{0,4}".prop_map(|s| s),
        Just(".".to_owned()), Just(",".to_owned()), Just(" ".to_owned()), Just("%3A".to_owned()), Just("é".to_owned()),
    ], 0..12).prop_map(|v| v.concat())) {
        if let Ok(l) = ServiceList::parse_preferred(&s) {
            prop_assert_eq!(ServiceList::parse_preferred(&l.to_string()).map(|x| x.to_string()), Ok(l.to_string()));
        }
        let _ = CpmService::identify(&s);
    }
}
