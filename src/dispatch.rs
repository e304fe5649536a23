//! 8.3 Procedures in the terminating network: which procedure handles an incoming request
//! (docs/requirements.md TD-1 … TD-9).
//!
//! [`route`] reads four headers and nothing else:
//!
//! - `Accept-Contact` / `a` (RFC 3841; every field, every value): the CPM ICSIs carried in
//!   `+g.3gpp.icsi-ref` (TS 24.229 §7.2A.8) decide the procedure, and any additional `+`
//!   feature-tag value marks the request for TD-7;
//! - `P-Asserted-Service`, else `P-Preferred-Service` (RFC 6050): the group flag (TD-8);
//! - `Event` / `o` (RFC 6665): `deferred-messages` for a SUBSCRIBE (TD-4).
//!
//! The rules, in the order they apply:
//!
//! | method | CPM tag (Accept-Contact) / header | procedure |
//! |---|---|---|
//! | MESSAGE | `msg`, `largemsg`, `session` or `filetransfer` | [`Procedure::PagerMode`] (TD-1) |
//! | INVITE | `deferred` | [`Procedure::DeferredNotification`] (TD-3) |
//! | INVITE | else `largemsg` | [`Procedure::LargeMessage`] (TD-2) |
//! | INVITE | else `filetransfer` | [`Procedure::FileTransfer`] (TD-6) |
//! | INVITE | else `session`, or `session.group` in P-*-Service | [`Procedure::SessionInvitation`] (TD-5, TD-8) |
//! | SUBSCRIBE | `Event: deferred-messages` (any case, whole type) | [`Procedure::DeferredDelivery`] (TD-4) |
//! | any other | | [`Procedure::NotCpm`] |
//!
//! Matching (TD-9): tag values are percent-decoded on the fly (hex in either case) and compared
//! as whole URNs without regard to case ([`CpmService::identify_bytes`]); a sub-service is a kind
//! of its parent; a negated value (`!…`) never matches; unencoded and unquoted URNs are accepted.
//!
//! Decisions where docs/requirements.md leaves room, each made here and tested in `tests/dispatch.rs`:
//!
//! - **`…cpm.session.group` in Accept-Contact** counts as the `session` tag (TD-9: it is a
//!   kind of `…cpm.session`) but never sets the group flag, which TD-8 reads "never from
//!   Accept-Contact". It is a CPM service identifier, so it is not an additional value either.
//! - **Only the group flag is read from P-*-Service.** The other CPM tags come from
//!   Accept-Contact only ("CPM feature tags are ICSI values carried in Accept-Contact"): an INVITE
//!   whose only CPM identifier is `…cpm.largemsg` in P-Asserted-Service is not CPM.
//! - **P-Asserted-Service wins** as a header: when one is present, P-Preferred-Service is not
//!   consulted even if the asserted identifiers carry no group identifier. Identifiers of every
//!   field of the header count, and a sub-service of `…cpm.session.group` is a group too.
//! - **Every request is validated.** An Accept-Contact, P-Asserted-Service, P-Preferred-Service or
//!   Event header that cannot be parsed makes any request invalid, whatever its method, checked
//!   in that order; the error names the header (its full name, also when the compact form was
//!   used). With several `Event` fields, the first decides and all must parse.
//! - **TD-7** counts, per value of `+g.3gpp.icsi-ref`, every non-negated value that is not a CPM
//!   service identifier; per other `+` tag (`+g.3gpp.iari-ref`, `+g.gsma.…`), every non-negated
//!   value, and the tag itself when it has no value (boolean TRUE). Base tags, `require`,
//!   `explicit`, `q` and other generic params are not additional. `skip_services` is set only
//!   for a CPM procedure (there are no CPM services to skip on a request that is not CPM), and
//!   applies to every CPM procedure, SUBSCRIBE included.
//!
//! The whole path runs without heap allocation and walks the header fields once
//! ([`SipHeaders::for_each_of`]): headers are visited in place, values are parsed
//! lazily and compared while decoding.

use core::ops::ControlFlow;

use crate::config::Policy;
use crate::grammar::accept_contact::{self, ICSI_REF};
use crate::grammar::event::{self, DEFERRED_MESSAGES};
use crate::grammar::service::{self, CpmService};
use crate::grammar::GrammarError;
use crate::headers::{names, HeaderName, SipHeaders};
use crate::Method;

/// The procedure that handles a request arriving in the terminating network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Procedure {
    /// 8.3.1.1 Pager Mode standalone message (TD-1).
    PagerMode,
    /// 8.3.1.2 Large Message Mode (TD-2).
    LargeMessage,
    /// 8.3.1.5.3 deferred-message notification (TD-3).
    DeferredNotification,
    /// 8.3.1.5.4 deliver deferred messages (TD-4).
    DeferredDelivery,
    /// 8.3.2.1 session invitation (TD-5).
    SessionInvitation,
    /// 8.3.3.1 file-transfer initiation (TD-6).
    FileTransfer,
    /// Not a CPM request.
    NotCpm,
}

/// Where a request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Route {
    /// The procedure.
    pub procedure: Procedure,
    /// A group session invitation (TD-8).
    pub group: bool,
    /// CPM services may be skipped (TD-7: an additional feature-tag value and the policy allows it).
    pub skip_services: bool,
}

/// A request whose CPM headers cannot be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid CPM request: {0}")]
pub struct DispatchError(pub GrammarError);

impl DispatchError {
    /// The header that could not be parsed, e.g. `"Accept-Contact"`.
    pub fn header(&self) -> &'static str {
        self.0.header
    }
}

/// What the Accept-Contact fields of a request carry.
#[derive(Debug, Default, Clone, Copy)]
struct Tags {
    msg: bool,
    largemsg: bool,
    session: bool,
    filetransfer: bool,
    deferred: bool,
    additional: bool,
}

impl Tags {
    fn add(&mut self, s: CpmService) {
        // Most specific first is not needed here: each flag is "is a kind of" (TD-9).
        self.msg |= s.is_a(CpmService::Msg);
        self.largemsg |= s.is_a(CpmService::LargeMsg);
        self.session |= s.is_a(CpmService::Session);
        self.filetransfer |= s.is_a(CpmService::FileTransfer);
        self.deferred |= s.is_a(CpmService::Deferred);
    }
}

/// Classifies a request arriving in the terminating network (8.3, TD-1 … TD-9).
///
/// ```
/// use cpm_pf::{route, Method, Policy, Procedure};
/// let headers = [(
///     "Accept-Contact",
///     r#"*;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session""#,
/// ), ("P-Asserted-Service", "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session.group")];
/// let r = route(Method::Invite, &headers, Policy::empty()).unwrap();
/// assert_eq!((r.procedure, r.group, r.skip_services), (Procedure::SessionInvitation, true, false));
/// ```
pub fn route(method: Method, headers: &dyn SipHeaders, policy: Policy) -> Result<Route, DispatchError> {
    let Read { tags, asserted, preferred, deferred_event } = read(headers)?;
    // TD-8: P-Asserted-Service wins when present; otherwise P-Preferred-Service.
    let group_service = asserted.or(preferred).unwrap_or(false);

    let procedure = match method {
        Method::Message if tags.msg || tags.largemsg || tags.session || tags.filetransfer => {
            Procedure::PagerMode
        }
        // Most specific first (decision in SPEC 8.3): deferred, largemsg, filetransfer, session.
        Method::Invite if tags.deferred => Procedure::DeferredNotification,
        Method::Invite if tags.largemsg => Procedure::LargeMessage,
        Method::Invite if tags.filetransfer => Procedure::FileTransfer,
        Method::Invite if tags.session || group_service => Procedure::SessionInvitation,
        Method::Subscribe if deferred_event => Procedure::DeferredDelivery,
        _ => Procedure::NotCpm,
    };
    let is_cpm = procedure != Procedure::NotCpm;
    Ok(Route {
        procedure,
        // TD-8: the group flag belongs to session invitations only.
        group: procedure == Procedure::SessionInvitation && group_service,
        // TD-7.
        skip_services: is_cpm && tags.additional && policy.contains(Policy::SKIP_SERVICES_ON_IARI),
    })
}

/// The four headers `route` reads, in the order their errors take precedence.
const READ: [HeaderName; 4] =
    [names::ACCEPT_CONTACT, names::P_ASSERTED_SERVICE, names::P_PREFERRED_SERVICE, names::EVENT];

/// What `route` reads from the headers.
struct Read {
    tags: Tags,
    /// `None` without P-Asserted-Service, else whether it names a group.
    asserted: Option<bool>,
    /// The same for P-Preferred-Service.
    preferred: Option<bool>,
    /// The first Event field is `deferred-messages`.
    deferred_event: bool,
}

/// Reads the four headers in one walk over the fields ([`SipHeaders::for_each_of`]). Each header
/// is read as if on its own: its fields in order, up to its first error; the error returned is
/// that of the first header in [`READ`] order that has one, as if they were read one by one.
fn read(headers: &dyn SipHeaders) -> Result<Read, DispatchError> {
    let mut tags = Tags::default();
    let mut groups: [Option<bool>; 2] = [None, None];
    let mut first_event: Option<bool> = None;
    let mut errors: [Option<GrammarError>; 4] = [None; 4];
    headers.for_each_of(&READ, &mut |i, field| {
        let Some(slot @ None) = errors.get_mut(i) else {
            return ControlFlow::Continue(()); // this header failed already
        };
        let result = match i {
            0 => accept_contact_field(&mut tags, field),
            1 | 2 => match groups.get_mut(i - 1) {
                Some(seen) => group_field(seen, field, READ.get(i).map_or("", |n| n.full)),
                None => Ok(()),
            },
            _ => event_field(&mut first_event, field),
        };
        if let Err(e) = result {
            *slot = Some(e);
        }
        ControlFlow::Continue(())
    });
    if let Some(e) = errors.into_iter().flatten().next() {
        return Err(DispatchError(e));
    }
    let [asserted, preferred] = groups;
    Ok(Read { tags, asserted, preferred, deferred_event: first_event.unwrap_or(false) })
}

/// One Accept-Contact field into `tags`.
fn accept_contact_field(tags: &mut Tags, field: &str) -> Result<(), GrammarError> {
    // One pass validates the field and reads its features (an error makes the request invalid,
    // so what was read before it does not matter).
    accept_contact::visit_features(field, |feature| {
        // Base tags (audio, …) are not additional values (TD-7).
        if !feature.is_extension() {
            return;
        }
        let is_icsi = feature.is(ICSI_REF);
        if feature.value.is_none() {
            // A `+` tag without a value is boolean TRUE: an additional value.
            tags.additional = true;
        }
        for tv in feature.tag_values() {
            if tv.is_negated() {
                // A negated value never matches and is not an additional value.
                continue;
            }
            // Only an ICSI value can name a CPM service: other tags' values are not decoded.
            match if is_icsi { tv.cpm_service() } else { None } {
                // `…cpm.session.group` lands on `session` only: no group flag (TD-8).
                Some(s) => tags.add(s),
                None => tags.additional = true,
            }
        }
    })
}

/// One P-Asserted-Service or P-Preferred-Service field: `seen` becomes `Some(true)` once any
/// Service-ID of the header is a `…cpm.session.group` (or a sub-service of it).
///
/// A field that is one Service-ID and nothing else takes [`service::plain_field_is_group`];
/// any other goes through the grammar.
fn group_field(seen: &mut Option<bool>, field: &str, header: &'static str) -> Result<(), GrammarError> {
    let mut group = seen.unwrap_or(false);
    match service::plain_field_is_group(field) {
        Some(is_group) => group |= is_group,
        None => {
            for id in service::service_ids(field, header) {
                group |= id?.is_a(CpmService::SessionGroup);
            }
        }
    }
    *seen = Some(group);
    Ok(())
}

/// One Event field: the first decides whether it is `deferred-messages`; all must parse.
fn event_field(first: &mut Option<bool>, field: &str) -> Result<(), GrammarError> {
    let t = event::event_type(field)?;
    first.get_or_insert(t.eq_ignore_ascii_case(DEFERRED_MESSAGES));
    Ok(())
}
