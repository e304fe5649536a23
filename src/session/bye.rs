//! 8.2.2.3 "Handle a SIP BYE Request": who sent a BYE, decided from the leg it arrived on and
//! the SIP cause of its `Reason` header (RFC 3326, RFC 9366, TS 24.229 `RELEASE_CAUSE`).
//!
//! This is the pure part of BYE handling (docs/requirements.md BYE-R1 … BYE-R8): [`classify`] maps a leg
//! and the raw `Reason` field values to a [`Branch`], keeps the fields that could be parsed
//! for propagation, and reports the ones that could not. The session machine acts on the result.

use smallvec::SmallVec;

use crate::grammar::reason::{self, Cause};
use crate::grammar::GrammarError;
use crate::Leg;

/// The procedure of 8.2.2.3 that handles a BYE received by a B2BUA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Branch {
    /// Step 1: the CPM Client left (or a CPM v1.0 client sent no Reason).
    ClientLeaves,
    /// Step 2: the other CPM entity (Controlling Function or the other user's PF) ends it.
    RemoteEnds,
    /// Step 3: an Interworking Function ends it.
    IwfEnds,
    /// Step 4: another entity, e.g. a SIP/IP Core node after a connection loss with the client.
    ConnectionLoss,
}

/// Which rule of the classification table decided (docs/requirements.md BYE-R2 … BYE-R8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// BYE-R2: no usable Reason on the client leg (absent or none parseable).
    ClientNoReason,
    /// BYE-R3: no usable Reason on the remote leg.
    RemoteNoReason,
    /// BYE-R4: `SIP;cause=200` (on the client leg: the user left).
    Cause200,
    /// BYE-R5: `SIP;cause=410` (group terminated for good).
    Cause410,
    /// BYE-R6: `SIP;cause=480` (inactivity; may re-start as Long-lived).
    Cause480,
    /// BYE-R7: any other SIP cause.
    OtherCause,
    /// BYE-R8: on the client leg, no SIP cause decides and a `RELEASE_CAUSE` value does
    /// (cause 1 "User ends call" means the user left; any other is a failure).
    ReleaseCause,
    /// On the client leg, parseable Reason fields are present but neither a SIP nor a
    /// `RELEASE_CAUSE` cause decides (e.g. only `Q.850`): "anything else", branch 4.
    NoDecidingCause,
    /// A BYE on an IWF leg: every cause means branch 3.
    Iwf,
}

/// The outcome of classifying one BYE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification<'a> {
    /// The branch that handles the BYE.
    pub branch: Branch,
    /// The rule that decided.
    pub rule: Rule,
    /// The deciding SIP cause, if any (BYE-R1: the first SIP value with a numeric cause).
    pub sip_cause: Option<Cause>,
    /// The `Reason` field values that could be parsed, verbatim and in the order received:
    /// what a BYE generated because of this one carries (Reason propagation).
    pub propagate: SmallVec<[&'a str; 2]>,
    /// Fields that could not be parsed: (position among the BYE's Reason fields, error).
    pub unparseable: SmallVec<[(usize, GrammarError); 1]>,
}

/// Classifies a BYE received on `leg` with the raw `Reason` field values `reasons`.
///
/// Only a `SIP` value with a numeric cause decides (protocol matched without regard to case);
/// with several, the first in order counts. A field that cannot be parsed is dropped on its
/// own; the other fields still count.
///
/// ```
/// use cpm_pf::bye::{classify, Branch};
/// use cpm_pf::Leg;
///
/// let c = classify(Leg::Client, &[r#"SIP;cause=503;text="Service Unavailable""#]);
/// assert_eq!(c.branch, Branch::ConnectionLoss);
/// assert_eq!(classify(Leg::Client, &[]).branch, Branch::ClientLeaves);
/// assert_eq!(classify(Leg::Remote, &["SIP;cause=200"]).branch, Branch::RemoteEnds);
/// ```
pub fn classify<'a>(leg: Leg, reasons: &[&'a str]) -> Classification<'a> {
    let mut c = Classification::new();
    classify_into(leg, reasons, &mut c);
    c
}

impl Classification<'_> {
    /// An empty classification for [`classify_into`] to fill in.
    pub(crate) fn new() -> Self {
        Classification {
            branch: Branch::ClientLeaves,
            rule: Rule::ClientNoReason,
            sip_cause: None,
            propagate: SmallVec::new(),
            unparseable: SmallVec::new(),
        }
    }
}

/// [`classify`] into `c` (a [`Classification::new`]), where the caller keeps it: the session
/// classifies in place rather than copying the result out of a return value.
pub(crate) fn classify_into<'a>(leg: Leg, reasons: &[&'a str], c: &mut Classification<'a>) {
    let mut sip_cause = None;
    let mut release_cause = None;
    for (index, raw) in reasons.iter().enumerate() {
        // Only the first numeric SIP cause counts, and RELEASE_CAUSE only while there is none:
        // once found, the later fields are only checked, not searched.
        let want_release = sip_cause.is_none() && release_cause.is_none();
        match reason::first_causes(raw, sip_cause.is_none(), want_release) {
            Ok(found) => {
                c.propagate.push(*raw);
                sip_cause = sip_cause.or(found.sip);
                release_cause = release_cause.or(found.release);
            }
            Err(error) => c.unparseable.push((index, error)),
        }
    }
    (c.branch, c.rule) = decide(leg, sip_cause, release_cause, !c.propagate.is_empty());
    c.sip_cause = sip_cause;
}

fn decide(leg: Leg, sip: Option<Cause>, release: Option<Cause>, any_parsed: bool) -> (Branch, Rule) {
    let by_cause = |c: Cause| match c.0 {
        200 => Rule::Cause200,
        410 => Rule::Cause410,
        480 => Rule::Cause480,
        _ => Rule::OtherCause,
    };
    match leg {
        Leg::Iwf(_) => (Branch::IwfEnds, Rule::Iwf),
        Leg::Remote => (Branch::RemoteEnds, sip.map_or(Rule::RemoteNoReason, by_cause)),
        Leg::Client => match (sip, release) {
            (Some(c), _) if c.0 == 200 => (Branch::ClientLeaves, Rule::Cause200),
            (Some(c), _) => (Branch::ConnectionLoss, by_cause(c)),
            // Decision BYE-R8: RELEASE_CAUSE;cause=1 is "User ends call" (TS 24.229).
            (None, Some(c)) if c.0 == 1 => (Branch::ClientLeaves, Rule::ReleaseCause),
            (None, Some(_)) => (Branch::ConnectionLoss, Rule::ReleaseCause),
            // Decision: a Reason is present and parseable but nothing decides (only Q.850, or
            // a SIP value without a numeric cause): the table's "anything else".
            (None, None) if any_parsed => (Branch::ConnectionLoss, Rule::NoDecidingCause),
            (None, None) => (Branch::ClientLeaves, Rule::ClientNoReason),
        },
    }
}
