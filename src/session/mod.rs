//! The Participating Function session machine.
//!
//! Implements, for one session of one served user (docs/requirements.md section in brackets):
//!
//! - 8.2.2.3 "Handle a SIP BYE Request" [BYE-P1, BYE-R1…R8, branches 1–4, BYE-T, BYE-G, BYE-Z],
//!   with the pure classification in [`bye`];
//! - 8.2.3.2 "Handle a CPM File Transfer Closing Request" [FT-1, FT-1a/b/c, FT-2];
//! - 8.3.2.4 "SIP Session Timer Expiry" and RFC 4028 §10 [ST-0…ST-P], bookkeeping in [`timer`];
//! - the driving of the recorder of 8.5.2 [REC-*] and of MSRP reassembly [MSRP-1, LIM-1].
//!
//! The machine is sans-IO: [`Session::handle`] takes an [`Input`] and the current time and
//! returns the [`Actions`] to carry out, in order; [`Session::poll_timeout`] tells when
//! [`Session::handle_timeout`] must be called next. It never panics on any input; an input that
//! makes no sense in the current state yields a [`Diagnostic`] and changes nothing.

pub mod bye;
pub mod input;
mod legs;
#[cfg(feature = "serde")]
pub mod snapshot;
pub mod timer;

use std::borrow::Cow;

use smallvec::SmallVec;

use crate::action::{Action, Actions, Diagnostic, IgnoredInput, IgnoredWhy, NotStoredWhy, ObjectRef};
use crate::config::{Config, ConfigError, Kind, Policy, Preferences, Role};
use crate::grammar::session_expires::SessionExpires;
use crate::headers::{names, SipHeaders};
use crate::msrp::endpoint::MsrpLegs;
use crate::msrp::reassembly::{Message, Outcome, Reassembler};
use crate::msrp::SendRequest;
use crate::record::Recorder;
use crate::{Leg, Method, Time};
use bye::{classify_into, Branch, Classification};
use input::Input;
use timer::SessionTimer;

/// Where a leg's dialog stands.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LegStatus {
    /// The dialog is up.
    Up,
    /// The PF sent a BYE on this leg and waits for its final response.
    ByeSent,
    /// A BYE was received on this leg and the PF has not answered it yet.
    ByeReceived,
    /// The leg's dialog is over.
    Ended,
    /// The client leg after a connection loss while the PF remains in the group (BYE-4i).
    Gone,
}

#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, Copy)]
struct LegState {
    status: LegStatus,
    /// The leg still holds media plane resources.
    media: bool,
}

/// When the PF answers the BYE that started the end of the session.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AnswerWhen {
    /// Branch 1 / 4x: when every leg the PF sent a BYE to has answered (BYE-1d).
    AllAsked,
    /// Branch 2 / 3b: when the client has answered (BYE-2d, BYE-3b).
    ClientAnswered,
}

#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The session is established.
    Active,
    /// After a connection loss the PF remains in the group without a client leg (BYE-4).
    Remaining,
    /// The end is decided; BYE transactions are under way.
    Ending {
        /// The leg whose BYE the PF must still answer, and when.
        answer: Option<(Leg, AnswerWhen)>,
    },
    /// Every BYE answered, every leg released.
    Terminated,
}

/// One CPM session as seen by the Participating Function serving one user.
///
/// # Lifecycle
///
/// 1. **Create** the session with [`Session::new`] when the PF takes the session on: its
///    [`Config`] says role, kind, side, preferences and policy; identities left `None` come from
///    the first INVITE (EMB-1). Every leg starts up, with media for a B2BUA.
/// 2. **Feed** every event as an [`Input`] (the table on [`Input`] says which, and who answers
///    what): the first INVITE or REFER, refreshes, BYEs, responses to the PF's BYEs, MSRP chunks,
///    delivery confirmations, store outcomes.
/// 3. **Carry out** the returned [`Action`]s in the order given. The order is the contract: a
///    `CreateFolder` before the first `Store` into it, a `Store` before the BYE that the seed
///    places after it, messages in arrival order. Starting an action is enough: you need not
///    wait for a `Store` to complete before sending the next BYE. The one wait the seed asks
///    for (FT-1c: a file transfer's 200 OK carries the stored object's UID) the library does
///    itself: the 200 OK comes out of the `Stored` input, or of the store-timeout deadline.
/// 4. **Honour the clock**: call [`Session::handle_timeout`] when it reaches
///    [`Session::poll_timeout`] (session timer, FT-1c store wait, and with MSRP on the legs the
///    30 s a relayed chunk waits for its answer).
///
/// With MSRP on the legs (ML-1 … ML-5) give each leg its URIs once with
/// [`Session::set_msrp_leg`], feed what each connection reads as `Input::MsrpBytes`, and after
/// every [`Action::MsrpTransmit`] write what [`Session::poll_msrp_transmit`] returns, reporting
/// it with [`Session::msrp_transmitted`]. The session then answers, relays and learns delivery
/// itself; `Input::MsrpSend` and `Input::Delivered` are for an embedder with its own MSRP stack.
/// 5. **Drop** the session after [`Action::Terminated`]: every BYE has been answered and every
///    leg released. A proxy still forwards a late BYE after it, if you keep the session.
///
/// # One session of each kind
///
/// A 1-1 chat, recorded; the user leaves:
///
/// ```
/// use cpm_pf::{Action, Config, Folder, Input, Leg, Method, Preferences, Session, Time};
///
/// let t = Time::from_unix_secs(1_767_225_600);
/// let mut config = Config::default();
/// config.prefs = Preferences::ALLOW_OFFLINE_STORAGE;
/// let mut s = Session::new(config, t)?;
/// let invite = [("From", "<sip:alice@example.com>"), ("To", "<sip:bob@example.com>"),
///               ("Conversation-ID", "conv-1"), ("Contribution-ID", "contrib-1")];
/// let _ = s.handle(Input::RequestReceived { leg: Leg::Client, method: Method::Invite,
///                                           headers: &invite, body: b"" }, t);
/// // A chat message from the user, in one MSRP chunk.
/// let send = cpm_pf::msrp::SendRequest { message_id: Some("msg-0001"), byte_range: None,
///     continuation: Some(cpm_pf::msrp::Continuation::Complete),
///     content_type: Some("text/plain"), body: b"hello" };
/// let _ = s.handle(Input::MsrpSend { leg: Leg::Client, send }, t);
/// let bye = s.handle(Input::ByeReceived { leg: Leg::Client, reasons: &[] }, t);
/// assert!(bye.iter().any(|a| matches!(a, Action::SendBye { leg: Leg::Remote, .. })));
/// let end = s.handle(Input::ResponseReceived { leg: Leg::Remote, status: 200, method: Method::Bye }, t);
/// // The chat message goes into bob's conversation folder, then the 200 OK, then the end. (In
/// // the default `rcs` profile a 1-1 session stores no session info object: MS-3.)
/// assert!(end.iter().any(|a| matches!(a, Action::Store { folder: Folder::Conversation { peer, .. }, .. }
///                                        if &**peer == "sip:bob@example.com")));
/// assert!(matches!(end.as_slice().last(), Some(Action::Terminated)));
/// # Ok::<(), cpm_pf::ConfigError>(())
/// ```
///
/// A group chat that the Controlling Function ends for good (410), with history kept:
///
/// ```
/// use cpm_pf::{Action, Config, Folder, Input, Kind, Leg, Method, Preferences, Session, Time};
///
/// let t = Time::from_unix_secs(1_767_225_600);
/// let mut config = Config::default();
/// config.kind = Kind::Group;
/// config.prefs = Preferences::ALLOW_OFFLINE_STORAGE;
/// let mut s = Session::new(config, t)?;
/// let invite = [("From", "<sip:alice@example.com>"), ("To", "<sip:conf@example.com>"),
///               ("Conversation-ID", "conv-7"), ("Contribution-ID", "grp-7")];
/// let _ = s.handle(Input::RequestReceived { leg: Leg::Client, method: Method::Invite,
///                                           headers: &invite, body: b"" }, t);
/// let reasons = [r#"SIP;cause=410;text="Gone""#];
/// let bye = s.handle(Input::ByeReceived { leg: Leg::Remote, reasons: &reasons }, t);
/// // The history folder is created, the objects stored, then the BYE goes to the client.
/// let kinds: Vec<&str> = bye.iter().filter_map(|a| match a {
///     Action::CreateFolder { .. } => Some("create"), Action::Store { .. } => Some("store"),
///     Action::SendBye { .. } => Some("bye"), _ => None }).collect();
/// assert_eq!(kinds, ["create", "store", "store", "bye"]);
/// assert!(bye.iter().any(|a| matches!(a, Action::CreateFolder {
///     folder: Folder::SessionHistory { contribution_id, .. } } if &**contribution_id == "grp-7")));
/// let end = s.handle(Input::ResponseReceived { leg: Leg::Client, status: 200, method: Method::Bye }, t);
/// assert!(matches!(end.as_slice().last(), Some(Action::Terminated)));
/// # Ok::<(), cpm_pf::ConfigError>(())
/// ```
///
/// A file transfer on the originating side: the client's 200 OK waits for the history object's
/// UID (FT-1c):
///
/// ```
/// use cpm_pf::{Action, Config, Input, Kind, Leg, Method, ObjectRef, Preferences, Session, Time};
///
/// let t = Time::from_unix_secs(1_767_225_600);
/// let mut config = Config::default();
/// config.kind = Kind::FileTransfer;
/// config.prefs = Preferences::ALLOW_OFFLINE_STORAGE;
/// config.peer = Some("sip:bob@example.com".into());
/// let mut s = Session::new(config, t)?;
/// let _ = s.handle(Input::ByeReceived { leg: Leg::Client, reasons: &[] }, t);
/// let stored = s.handle(Input::ResponseReceived { leg: Leg::Remote, status: 200, method: Method::Bye }, t);
/// assert!(stored.iter().any(|a| matches!(a, Action::Store { object: ObjectRef::FtHistory, .. })));
/// assert!(!stored.iter().any(|a| matches!(a, Action::SendResponse { .. })), "waits for the UID");
/// let end = s.handle(Input::Stored { object: ObjectRef::FtHistory, uid: "42" }, t);
/// assert!(end.iter().any(|a| matches!(a, Action::SendResponse { leg: Leg::Client, status: 200,
///                                        message_uid: Some(uid), .. } if uid == "42")));
/// assert!(matches!(end.as_slice().last(), Some(Action::Terminated)));
/// # Ok::<(), cpm_pf::ConfigError>(())
/// ```
#[derive(Debug)]
pub struct Session {
    /// Boxed: an idle session stays small (issue 5: ≤ 256 bytes); the configuration is only
    /// read on the paths that need it.
    config: Box<Config>,
    legs: LegTable,
    phase: Phase,
    timer: SessionTimer,
    /// Proxy only: BYEs forwarded from each leg (client, remote) awaiting their final response.
    proxy_pending: [u16; 2],
    /// Two flags in one byte: with the phase and `proxy_pending` they fill one word (an idle
    /// session with its configuration ≤ 256 bytes, issue 13).
    flags: Flags,
    /// What most sessions never need, out of line so that an idle session stays small (one
    /// pointer): the items deferred while intercepting (BYE-4ii), the FT-1c wait and MSRP on
    /// the legs (ML-1 … ML-5). Allocated by the first deferral, the FT-1c wait or `set_msrp_leg`.
    rare: Option<Box<Rare>>,
    /// Created with the first MSRP chunk that needs reassembling.
    reassembler: Option<Box<Reassembler>>,
    /// Created the first time something may be recorded.
    recorder: Option<Box<Recorder>>,
    /// When the session started (seeds generated IDs, EMB-2).
    started: Time,
}

/// The leg table: the client, then `remote` or `iwf1`…`iwfN`. Its length is fixed when the
/// session is made, so it needs no room to grow: up to three legs inline (every session with at
/// most two IWFs), more in one allocation. 16 bytes where a `SmallVec` of three is 24 (an idle
/// session with its configuration ≤ 256 bytes, issue 13).
#[derive(Debug, Clone)]
enum LegTable {
    /// `len` ≤ 3 legs, the first `len` of `legs`.
    Inline { len: u8, legs: [LegState; 3] },
    /// More than three legs.
    Heap(Box<[LegState]>),
}

impl LegTable {
    /// A table of these legs, in order.
    #[cfg(any(test, feature = "serde"))]
    fn from_slice(legs: &[LegState]) -> LegTable {
        match (u8::try_from(legs.len()), legs) {
            (Ok(len), [a]) => LegTable::Inline { len, legs: [*a; 3] },
            (Ok(len), [a, b]) => LegTable::Inline { len, legs: [*a, *b, *b] },
            (Ok(len), [a, b, c]) => LegTable::Inline { len, legs: [*a, *b, *c] },
            _ => LegTable::Heap(legs.into()),
        }
    }

    /// `n` legs, all `leg`.
    fn repeat(leg: LegState, n: usize) -> LegTable {
        match u8::try_from(n) {
            Ok(len @ 1..=3) => LegTable::Inline { len, legs: [leg; 3] },
            _ => LegTable::Heap(vec![leg; n].into_boxed_slice()),
        }
    }
}

/// The legs are read right after single legs were written (a status byte): the inline case
/// must not load the words around them (a load that spans narrower stores not yet written back
/// waits for them: a store-forwarding stall). So the boxed case is a call of its own, which the
/// compiler cannot turn into a branch-free select that loads both words of the table.
impl core::ops::Deref for LegTable {
    type Target = [LegState];

    #[inline]
    fn deref(&self) -> &[LegState] {
        match self {
            LegTable::Inline { len, legs } => legs.get(..usize::from(*len)).unwrap_or(legs),
            LegTable::Heap(legs) => boxed(legs),
        }
    }
}

impl core::ops::DerefMut for LegTable {
    #[inline]
    fn deref_mut(&mut self) -> &mut [LegState] {
        match self {
            LegTable::Inline { len, legs } => {
                let len = usize::from(*len);
                // `len` ≤ 3 by construction; the whole array otherwise, never a panic.
                if len <= legs.len() {
                    &mut legs[..len]
                } else {
                    legs
                }
            }
            LegTable::Heap(legs) => boxed_mut(legs),
        }
    }
}

#[cold]
#[inline(never)]
fn boxed(legs: &[LegState]) -> &[LegState] {
    legs
}

#[cold]
#[inline(never)]
fn boxed_mut(legs: &mut [LegState]) -> &mut [LegState] {
    legs
}

bitflags::bitflags! {
    /// A session's yes/no state ([`Session`]'s `flags`).
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
    struct Flags: u8 {
        /// A first INVITE (or REFER with method=INVITE) has been seen (REC-4a).
        const FIRST_INVITE_SEEN = 1 << 0;
        /// Chat messages and notifications are intercepted (BYE-4ii), from a connection loss
        /// while remaining until the client re-joins.
        const INTERCEPTING = 1 << 1;
    }
}

/// The parts of a session that most sessions never need ([`Session`]'s `rare`).
#[derive(Debug, Default)]
struct Rare {
    /// Items deferred while intercepting, in arrival order (BYE-4ii).
    deferred: Option<Vec<ObjectRef>>,
    /// FT-1c: the client's 200 OK waits for the File Transfer History store until this time.
    ft_wait: Option<Time>,
    /// MSRP on the legs, from the first `set_msrp_leg`.
    msrp: Option<MsrpLegs>,
}

impl Session {
    /// A new, established session: every leg is up and (for a B2BUA) has media. Feed it the
    /// session's first INVITE (or REFER) when you have it: see the lifecycle above.
    pub fn new(config: Config, now: Time) -> Result<Session, ConfigError> {
        config.validate()?;
        let media = config.role == Role::B2bua;
        let n = 1 + usize::from(config.iwfs.max(1));
        let legs = LegTable::repeat(LegState { status: LegStatus::Up, media }, n);
        Ok(Session {
            timer: SessionTimer::new(config.session_expires, now),
            legs,
            phase: Phase::Active,
            proxy_pending: [0; 2],
            flags: Flags::default(),
            rare: None,
            reassembler: None,
            recorder: None,
            started: now,
            config: Box::new(config),
        })
    }

    /// The configuration the session was created with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// A first INVITE (or REFER with method=INVITE) has been seen (REC-4a).
    fn first_invite_seen(&self) -> bool {
        self.flags.contains(Flags::FIRST_INVITE_SEEN)
    }

    /// Chat messages and notifications are intercepted (BYE-4ii).
    fn intercepting(&self) -> bool {
        self.flags.contains(Flags::INTERCEPTING)
    }

    /// FT-1c: when the client's 200 OK stops waiting for the File Transfer History store.
    fn ft_wait(&self) -> Option<Time> {
        self.rare.as_deref().and_then(|r| r.ft_wait)
    }

    /// `true` once the session is over (a proxy: once it stopped tracking the session).
    pub fn is_terminated(&self) -> bool {
        self.phase == Phase::Terminated
    }

    /// Bytes of MSRP chunks currently buffered for partial messages (LIM-1).
    pub fn buffered_bytes(&self) -> usize {
        self.reassembler.as_deref().map_or(0, Reassembler::buffered_bytes)
    }

    /// Handles one input at time `now` and returns what to do, in order.
    pub fn handle<'a>(&mut self, input: Input<'a>, now: Time) -> Actions<'a> {
        let mut out = Actions::new();
        match input {
            Input::ByeReceived { leg, reasons } => self.on_bye(leg, reasons, now, &mut out),
            Input::RequestReceived { leg, method, headers, body } => {
                self.on_request(leg, method, headers, body, now, &mut out)
            }
            Input::ResponseReceived { leg, status, method } => {
                if (200..=699).contains(&status) {
                    self.on_final_response(leg, status, method, now, &mut out)
                } else {
                    ignored(&mut out, IgnoredInput::Response, IgnoredWhy::NotFinalResponse)
                }
            }
            Input::TransactionTimeout { leg, method } => {
                self.on_final_response(leg, 408, method, now, &mut out)
            }
            Input::MsrpSend { leg, send } => self.on_msrp(leg, send, now, &mut out),
            Input::MsrpBytes { leg, bytes } => self.on_msrp_bytes(leg, bytes, now, &mut out),
            Input::Delivered { message_id } => {
                if self.phase == Phase::Terminated {
                    ignored(&mut out, IgnoredInput::DeliveryConfirmation, IgnoredWhy::Terminated);
                } else if !self.recorder().is_some_and(|(r, c)| r.delivered(c, message_id, &mut out)) {
                    ignored(&mut out, IgnoredInput::DeliveryConfirmation, IgnoredWhy::NoSuchMessage);
                }
            }
            Input::Stored { object, uid } => self.on_store_outcome(object, Some(uid), &mut out),
            Input::StoreFailed { object } => self.on_store_outcome(object, None, &mut out),
            Input::FileData { bytes } => {
                if self.config.kind == Kind::FileTransfer && self.phase != Phase::Terminated {
                    if let Some((r, c)) = self.recorder() {
                        r.file_data(c, bytes, &mut out);
                    }
                }
            }
        }
        out
    }

    /// The earliest pending deadline (session timer, FT-1c store wait), if any.
    pub fn poll_timeout(&self) -> Option<Time> {
        let timer = match self.phase {
            Phase::Active | Phase::Remaining => self.timer.deadline(),
            Phase::Ending { .. } | Phase::Terminated => None,
        };
        let msrp = match self.phase {
            Phase::Terminated => None,
            Phase::Active | Phase::Remaining | Phase::Ending { .. } => self.msrp_deadline(),
        };
        [timer, self.ft_wait(), msrp].into_iter().flatten().min()
    }

    /// Fires every deadline that is due at `now`; an early or repeated call does nothing.
    pub fn handle_timeout(&mut self, now: Time) -> Actions<'static> {
        let mut out = Actions::new();
        if self.ft_wait().is_some_and(|d| d <= now) {
            out.push(Action::Diagnostic(Diagnostic::StoreTimedOut));
            self.answer_ft_client(None, &mut out);
        }
        let timer_due = matches!(self.phase, Phase::Active | Phase::Remaining)
            && self.timer.deadline().is_some_and(|d| d <= now);
        if timer_due {
            self.on_session_expired(now, &mut out);
        }
        if self.phase != Phase::Terminated && self.msrp_deadline().is_some_and(|d| d <= now) {
            self.msrp_timeouts(now, &mut out);
        }
        out
    }

    // ----- legs --------------------------------------------------------------------------

    fn msrp(&self) -> Option<&MsrpLegs> {
        self.rare.as_deref()?.msrp.as_ref()
    }

    fn msrp_mut(&mut self) -> Option<&mut MsrpLegs> {
        self.rare.as_deref_mut()?.msrp.as_mut()
    }

    fn index(&self, leg: Leg) -> Option<usize> {
        match leg {
            Leg::Client => Some(0),
            Leg::Remote if self.config.iwfs == 0 => Some(1),
            Leg::Iwf(k) if k >= 1 && k <= self.config.iwfs => Some(usize::from(k)),
            Leg::Remote | Leg::Iwf(_) => None,
        }
    }

    fn leg_at(&self, i: usize) -> Leg {
        leg_at(&self.config, i)
    }

    fn status(&self, leg: Leg) -> Option<LegStatus> {
        self.index(leg).and_then(|i| self.legs.get(i)).map(|l| l.status)
    }

    fn set_status(&mut self, leg: Leg, status: LegStatus) {
        if let Some(l) = self.index(leg).and_then(|i| self.legs.get_mut(i)) {
            l.status = status;
        }
    }

    /// Releases `leg`'s media, at most once.
    fn release_media(&mut self, leg: Leg, out: &mut Actions<'_>) {
        if let Some(l) = self.index(leg).and_then(|i| self.legs.get_mut(i)) {
            if l.media {
                l.media = false;
                out.push(Action::ReleaseMedia { leg });
                self.msrp_released(leg, out);
            }
        }
    }

    /// Sends a BYE, carrying `reasons`, on every leg that is up but `except`, in leg-table
    /// order: the client first, then `remote` or `iwf1`…`iwfN`.
    fn send_byes<'a>(&mut self, except: Option<Leg>, reasons: &[&'a str], out: &mut Actions<'a>) {
        // One pass over the table (not an index into it per leg): the legs and the
        // configuration are separate fields, borrowed side by side.
        let config = &*self.config;
        for (i, l) in self.legs.iter_mut().enumerate() {
            let leg = leg_at(config, i);
            if Some(leg) != except && l.status == LegStatus::Up {
                out.push(Action::SendBye { leg, reasons: copy_reasons(reasons) });
                l.status = LegStatus::ByeSent;
            }
        }
    }

    // ----- BYE (8.2.2.3) -----------------------------------------------------------------

    fn on_bye<'a>(&mut self, leg: Leg, reasons: &'a [&'a str], now: Time, out: &mut Actions<'a>) {
        if self.config.role == Role::Proxy {
            return self.proxy_forward_bye(leg, reasons, out);
        }
        let status = match self.status(leg) {
            Some(_) if self.phase == Phase::Terminated => None,
            Some(s) => Some(s),
            None => {
                ignored(out, IgnoredInput::Bye, IgnoredWhy::NoSuchLeg);
                None
            }
        };
        match status {
            // BYE-Z: after the end, on an ended or gone leg, or while its earlier BYE is handled.
            None | Some(LegStatus::Ended | LegStatus::Gone | LegStatus::ByeReceived) => {
                out.push(Action::SendResponse { leg, status: 481, method: Method::Bye, message_uid: None })
            }
            // BYE-G: glare; answered at once, and the leg ends as if our BYE had been answered.
            Some(LegStatus::ByeSent) => {
                out.push(Action::SendResponse { leg, status: 200, method: Method::Bye, message_uid: None });
                self.bye_transaction_over(leg, now, out);
            }
            Some(LegStatus::Up) => {
                // Classified in place: returned by value, the classification was written field
                // by field and read back in 16-byte pieces (a store-forwarding stall per BYE).
                let mut c = Classification::new();
                classify_into(leg, reasons, &mut c);
                for &(index, error) in &c.unparseable {
                    out.push(Action::Diagnostic(Diagnostic::UnparseableReason { index, error }));
                }
                match c.branch {
                    Branch::ClientLeaves => self.client_leaves(&c.propagate, now, out),
                    Branch::ConnectionLoss if self.may_remain() => self.remain(out),
                    // BYE-4x: proceed exactly as branch 1, propagating the Reason.
                    Branch::ConnectionLoss => self.client_leaves(&c.propagate, now, out),
                    Branch::RemoteEnds => self.remote_ends(&c.propagate, now, out),
                    Branch::IwfEnds => self.iwf_ends(leg, &c.propagate, now, out),
                }
            }
        }
    }

    /// BYE-P1: a proxy forwards the BYE unchanged, every Reason field as received.
    fn proxy_forward_bye<'a>(&mut self, leg: Leg, reasons: &'a [&'a str], out: &mut Actions<'a>) {
        let (from, to) = match leg {
            Leg::Client => (0, Leg::Remote),
            Leg::Remote => (1, Leg::Client),
            Leg::Iwf(_) => {
                ignored(out, IgnoredInput::Bye, IgnoredWhy::ProxyHasNoIwfs);
                return out.push(Action::SendResponse {
                    leg,
                    status: 481,
                    method: Method::Bye,
                    message_uid: None,
                });
            }
        };
        self.proxy_pending[from] = self.proxy_pending[from].saturating_add(1);
        out.push(Action::SendBye { leg: to, reasons: copy_reasons(reasons) });
    }

    /// Remain conditions of branch 4: a non-interworked group session and any of the three
    /// preferences or the long-lived restart policy.
    fn may_remain(&self) -> bool {
        self.config.kind == Kind::Group
            && self.config.iwfs == 0
            && self.status(Leg::Remote) == Some(LegStatus::Up)
            && (self.config.prefs.intersects(Preferences::all())
                || self.config.policy.contains(Policy::LONG_LIVED_RESTART))
    }

    /// Branch 1 (and 4x): BYE-1a … BYE-1c; BYE-1d/1e follow as the legs answer.
    fn client_leaves<'a>(&mut self, reasons: &[&'a str], now: Time, out: &mut Actions<'a>) {
        self.set_status(Leg::Client, LegStatus::ByeReceived);
        self.phase = Phase::Ending { answer: Some((Leg::Client, AnswerWhen::AllAsked)) };
        self.release_media(Leg::Client, out);
        self.send_byes(Some(Leg::Client), reasons, out);
        self.progress(now, out);
    }

    /// Branch 2: BYE-2b store first, BYE-2a BYE to the client; 2d/2e when it answers.
    fn remote_ends<'a>(&mut self, reasons: &[&'a str], now: Time, out: &mut Actions<'a>) {
        self.set_status(Leg::Remote, LegStatus::ByeReceived);
        self.phase = Phase::Ending { answer: Some((Leg::Remote, AnswerWhen::ClientAnswered)) };
        self.flush_end(now, out);
        // A session with a `remote` leg has no IWF: every other leg is the client.
        self.send_byes(Some(Leg::Remote), reasons, out);
        self.progress(now, out);
    }

    /// Branch 3: BYE-3a closes only the IWF's streams; otherwise BYE-3b ends the session.
    fn iwf_ends<'a>(&mut self, iwf: Leg, reasons: &[&'a str], now: Time, out: &mut Actions<'a>) {
        let iwfs_up = (1..self.legs.len()).filter(|&i| self.legs[i].status == LegStatus::Up).count();
        let streams_only = iwfs_up >= 2
            && self.config.policy.contains(Policy::IWF_BYE_CLOSES_STREAMS)
            && self.status(Leg::Client) == Some(LegStatus::Up);
        if streams_only {
            out.push(Action::SendReInvite { leg: Leg::Client, remove_streams_of: iwf });
            out.push(Action::SendResponse { leg: iwf, status: 200, method: Method::Bye, message_uid: None });
            self.set_status(iwf, LegStatus::Ended);
            self.release_media(iwf, out);
            return;
        }
        self.set_status(iwf, LegStatus::ByeReceived);
        self.phase = Phase::Ending { answer: Some((iwf, AnswerWhen::ClientAnswered)) };
        self.flush_end(now, out);
        self.send_byes(Some(iwf), reasons, out);
        self.progress(now, out);
    }

    /// BYE-4i / BYE-4ii: answer the client at once, stay in the group, subscribe, intercept.
    fn remain(&mut self, out: &mut Actions<'_>) {
        out.push(Action::SendResponse {
            leg: Leg::Client,
            status: 200,
            method: Method::Bye,
            message_uid: None,
        });
        self.set_status(Leg::Client, LegStatus::Gone);
        self.release_media(Leg::Client, out);
        out.push(Action::SubscribeConference { leg: Leg::Remote });
        let intercepting = self.config.prefs.intersects(Preferences::all());
        self.flags.set(Flags::INTERCEPTING, intercepting);
        if intercepting {
            out.push(Action::InterceptOn);
        }
        self.phase = Phase::Remaining;
    }

    /// BYE-4iii: the client re-joins with an INVITE while the PF remains.
    fn rejoin(&mut self, now: Time, out: &mut Actions<'_>) {
        if let Some(l) = self.legs.first_mut() {
            *l = LegState { status: LegStatus::Up, media: true };
        }
        if self.intercepting() {
            self.flags.set(Flags::INTERCEPTING, false);
            out.push(Action::InterceptOff);
            for object in self.rare.as_mut().and_then(|r| r.deferred.take()).unwrap_or_default() {
                out.push(Action::Deliver { object });
            }
        }
        self.phase = Phase::Active;
        // MSRP on the legs: the deferred items go to the client as SENDs (ML-3).
        self.msrp_rejoined(now, out);
    }

    /// A BYE transaction the PF started is over (2xx, non-2xx, timeout, or glare): BYE-T.
    fn bye_transaction_over(&mut self, leg: Leg, now: Time, out: &mut Actions<'_>) {
        self.set_status(leg, LegStatus::Ended);
        self.release_media(leg, out);
        self.progress(now, out);
    }

    /// Answers the initiating BYE once its condition holds, then checks for the end.
    fn progress(&mut self, now: Time, out: &mut Actions<'_>) {
        if let Phase::Ending { answer: Some((initiator, when)) } = self.phase {
            let ready = match when {
                AnswerWhen::AllAsked => !self.legs.iter().any(|l| l.status == LegStatus::ByeSent),
                AnswerWhen::ClientAnswered => self.status(Leg::Client) != Some(LegStatus::ByeSent),
            };
            if ready {
                self.phase = Phase::Ending { answer: None };
                if initiator == Leg::Client {
                    // BYE-1d: store what REC-END says just before the 200 OK; a file transfer's
                    // 200 OK waits for its history object's UID (FT-1c).
                    let ft_stored = self.flush_end(now, out);
                    if ft_stored {
                        let at = now + self.config.store_timeout;
                        self.rare.get_or_insert_with(Box::default).ft_wait = Some(at);
                    } else {
                        self.answer_client(None, out);
                    }
                } else {
                    out.push(Action::SendResponse {
                        leg: initiator,
                        status: 200,
                        method: Method::Bye,
                        message_uid: None,
                    });
                    self.set_status(initiator, LegStatus::Ended);
                    self.release_media(initiator, out);
                }
            }
        }
        self.check_terminated(out);
    }

    fn answer_client(&mut self, message_uid: Option<String>, out: &mut Actions<'_>) {
        out.push(Action::SendResponse { leg: Leg::Client, status: 200, method: Method::Bye, message_uid });
        self.set_status(Leg::Client, LegStatus::Ended);
    }

    /// FT-1c / FT-2: the waiting 200 OK goes out, with the UID when the store succeeded.
    fn answer_ft_client(&mut self, uid: Option<&str>, out: &mut Actions<'_>) {
        if self.rare.as_deref_mut().and_then(|r| r.ft_wait.take()).is_some() {
            self.answer_client(uid.map(str::to_owned), out);
            self.check_terminated(out);
        }
    }

    fn check_terminated(&mut self, out: &mut Actions<'_>) {
        let over = matches!(self.phase, Phase::Ending { answer: None })
            && self.ft_wait().is_none()
            && self.legs.iter().all(|l| matches!(l.status, LegStatus::Ended | LegStatus::Gone) && !l.media);
        if over {
            self.phase = Phase::Terminated;
            // EMB-3: what never became storable is reported before `terminated`.
            if let Some(r) = self.recorder.as_deref_mut() {
                r.report_unconfirmed(out);
            }
            out.push(Action::Terminated);
        }
    }

    fn on_final_response(&mut self, leg: Leg, status: u16, method: Method, now: Time, out: &mut Actions<'_>) {
        if method != Method::Bye {
            // Responses to the re-INVITE (BYE-3a) and the SUBSCRIBE (BYE-4i) change nothing.
            return;
        }
        if self.config.role == Role::Proxy {
            let origin = match leg {
                Leg::Client => 1,
                Leg::Remote => 0,
                Leg::Iwf(_) => return ignored(out, IgnoredInput::ByeResponse, IgnoredWhy::ProxyHasNoIwfs),
            };
            if self.proxy_pending[origin] == 0 {
                return ignored(out, IgnoredInput::ByeResponse, IgnoredWhy::NoByeForwarded);
            }
            self.proxy_pending[origin] -= 1;
            let back = if origin == 0 { Leg::Client } else { Leg::Remote };
            out.push(Action::SendResponse { leg: back, status, method: Method::Bye, message_uid: None });
            // BYE-P1 (decision): terminated once every forwarded BYE has had its final
            // response forwarded back; with crossing BYEs, after the last of them.
            if self.proxy_pending == [0, 0] && self.phase != Phase::Terminated {
                self.phase = Phase::Terminated;
                out.push(Action::Terminated);
            }
            return;
        }
        match self.status(leg) {
            Some(LegStatus::ByeSent) => self.bye_transaction_over(leg, now, out),
            Some(_) => ignored(out, IgnoredInput::ByeResponse, IgnoredWhy::NoByeOutstanding),
            None => ignored(out, IgnoredInput::ByeResponse, IgnoredWhy::NoSuchLeg),
        }
    }

    // ----- session timer (8.3.2.4) -------------------------------------------------------

    fn on_session_expired(&mut self, now: Time, out: &mut Actions<'_>) {
        if self.config.role == Role::Proxy {
            // ST-P: no requests of its own; the PF stops tracking the session.
            self.phase = Phase::Terminated;
            out.push(Action::Terminated);
            return;
        }
        // ST-1 (and REC-END): store first; ST-2: BYE to every leg still up, no Reason.
        self.phase = Phase::Ending { answer: None };
        self.flush_end(now, out);
        self.send_byes(None, &[], out);
        self.check_terminated(out);
    }

    fn apply_session_expires(&mut self, headers: &dyn SipHeaders, now: Time, out: &mut Actions<'_>) {
        let Some(value) = headers.first(&names::SESSION_EXPIRES) else { return };
        match SessionExpires::parse(value) {
            Ok(se) if se.delta_seconds > 0 => self.timer.set_interval(se.delta_seconds, now),
            Ok(_) => out.push(Action::Diagnostic(Diagnostic::UnusableSessionExpires { error: None })),
            Err(e) => out.push(Action::Diagnostic(Diagnostic::UnusableSessionExpires { error: Some(e) })),
        }
    }

    // ----- other requests ----------------------------------------------------------------

    fn on_request(
        &mut self,
        leg: Leg,
        method: Method,
        headers: &dyn SipHeaders,
        body: &[u8],
        now: Time,
        out: &mut Actions<'_>,
    ) {
        if self.index(leg).is_none() {
            return ignored(out, IgnoredInput::Request, IgnoredWhy::NoSuchLeg);
        }
        if self.phase == Phase::Terminated {
            return ignored(out, IgnoredInput::Request, IgnoredWhy::Terminated);
        }
        if self.end_decided() {
            // Decision (docs/requirements.md branch 4): once the end is decided an INVITE or REFER is not the
            // first INVITE, not a re-join and not a refresh; nothing it carries is recorded.
            return ignored(out, IgnoredInput::Request, IgnoredWhy::Ending);
        }
        if let (Phase::Remaining, Leg::Client, Method::Invite) = (self.phase, leg, method) {
            // BYE-4iii: a re-join is neither the first INVITE nor a refresh.
            return self.rejoin(now, out);
        }
        let starts_session = !self.first_invite_seen()
            && match method {
                Method::Invite => true,
                Method::Refer => headers.first(&names::REFER_TO).is_some_and(refer_to_invites),
                _ => false,
            };
        if starts_session {
            // REC-4a: the first INVITE (or REFER with method=INVITE) gives the session info.
            self.flags.set(Flags::FIRST_INVITE_SEEN, true);
            if let Some((r, c)) = self.recorder() {
                r.capture_session_info(c, method, headers, body, now, out);
            }
            if method == Method::Invite {
                self.apply_session_expires(headers, now, out);
            }
            return;
        }
        if method == Method::Notify {
            return self.on_notify(leg, headers, body, out);
        }
        match method {
            // ST-0: a refresh restarts the timer even when its value cannot be used.
            Method::Invite | Method::Update => {
                self.timer.refresh(now);
                self.apply_session_expires(headers, now, out);
            }
            Method::Refer => {}
            _ => ignored(out, IgnoredInput::Request, IgnoredWhy::NotHandled),
        }
    }

    /// MS-5: a NOTIFY of the conference event package on the `remote` leg carries the group's
    /// participants (RFC 4575); the recorder keeps them for the group state object.
    fn on_notify(&mut self, leg: Leg, headers: &dyn SipHeaders, body: &[u8], out: &mut Actions<'_>) {
        let conference = headers
            .first(&names::EVENT)
            .and_then(|e| crate::grammar::event::event_type(e).ok())
            .is_some_and(|t| t.eq_ignore_ascii_case("conference"));
        if leg != Leg::Remote || !conference || self.config.kind != Kind::Group {
            return ignored(out, IgnoredInput::Request, IgnoredWhy::NotHandled);
        }
        if let Some((r, c)) = self.recorder() {
            r.conference_notify(c, body, out);
        }
    }

    /// The end of the session is decided: a B2BUA is ending (a BYE is being handled, the
    /// timer expired), or a proxy has a forwarded BYE awaiting its response.
    fn end_decided(&self) -> bool {
        matches!(self.phase, Phase::Ending { .. }) || self.proxy_pending != [0, 0]
    }

    // ----- MSRP and recording ------------------------------------------------------------

    /// The index of `leg` when MSRP arriving on it is handled: a B2BUA's leg that still has
    /// media, in a session not over. Otherwise the chunk is reported as ignored, and why.
    fn msrp_leg(&self, leg: Leg, out: &mut Actions<'_>) -> Option<usize> {
        let why = if self.config.role == Role::Proxy {
            IgnoredWhy::NotInMediaPath
        } else if self.phase == Phase::Terminated {
            IgnoredWhy::Terminated
        } else {
            match self.index(leg) {
                None => IgnoredWhy::NoSuchLeg,
                Some(i) if !self.legs[i].media => IgnoredWhy::MediaReleased,
                Some(i) => return Some(i),
            }
        };
        ignored(out, IgnoredInput::MsrpChunk, why);
        None
    }

    fn on_msrp<'a>(&mut self, leg: Leg, send: SendRequest<'a>, now: Time, out: &mut Actions<'a>) {
        if self.msrp_leg(leg, out).is_none() {
            return;
        }
        if let Err(status) = self.reassemble(leg, &send, now, out) {
            out.push(Action::MsrpResponse { leg, status, message_id: send.message_id.map(Cow::Borrowed) });
        }
    }

    /// Feeds a chunk to the reassembler (MSRP-1, LIM-1) when the session reassembles; a
    /// completed message goes on to the recorder. `Ok(Some(true))` when the chunk completed its
    /// message, `Ok(Some(false))` when it did not, `Ok(None)` when the session does not
    /// reassemble; `Err` with the status the chunk is refused with (400, 413), already reported.
    fn reassemble(
        &mut self,
        leg: Leg,
        send: &SendRequest<'_>,
        now: Time,
        out: &mut Actions<'_>,
    ) -> Result<Option<bool>, u16> {
        if !self.config.reassembles() {
            // Nothing to record or intercept: the content is only relayed (and a file
            // transfer's content is never reassembled, FT-1).
            return Ok(None);
        }
        let limits = self.config.limits;
        let reassembler = self.reassembler.get_or_insert_with(|| Box::new(Reassembler::new(limits)));
        let receipt = reassembler.receive(leg, send);
        for note in receipt.notes {
            out.push(Action::Diagnostic(Diagnostic::Msrp { leg, note }));
        }
        match receipt.outcome {
            Outcome::Rejected(status) => {
                out.push(Action::Diagnostic(Diagnostic::MsrpRejected { leg, status }));
                Err(status)
            }
            Outcome::Complete(message) => {
                self.on_message(message, now, out);
                Ok(Some(true))
            }
            Outcome::Partial | Outcome::KeepAlive | Outcome::Aborted | Outcome::Ignored => Ok(Some(false)),
        }
    }

    /// A chat message or notification is complete (REC-5i).
    fn on_message(&mut self, message: Message, now: Time, out: &mut Actions<'_>) {
        let object = crate::record::object_ref(&message);
        out.push(Action::Diagnostic(Diagnostic::MessageComplete { leg: message.leg, object }));
        // BYE-4ii: interception lasts until the client re-joins or the session terminates, also
        // while a remaining session is ending (expiry or the remote's BYE) and a message to the
        // gone client completes before the remote answered.
        if self.intercepting() && message.leg != Leg::Client {
            // BYE-4ii / REC-INT: intercepted; stored at once and/or deferred.
            let prefs = self.config.prefs;
            if prefs.intersects(Preferences::ALLOW_OFFLINE_STORAGE | Preferences::ALLOW_STORE) {
                if let Some((r, c)) = self.recorder() {
                    r.store_intercepted(c, object, &message, now, out);
                }
            }
            if prefs.contains(Preferences::ALLOW_DEFER) {
                self.rare.get_or_insert_with(Box::default).deferred.get_or_insert_with(Vec::new).push(object);
                self.msrp_defer(&message);
                out.push(Action::Defer { object, message: Box::new(message) });
            }
            return;
        }
        if let Some(failure) = self.failed_delivery(message.id).filter(|_| message.leg != Leg::Client) {
            // ML-4: its delivery to the client failed before it was complete.
            let why = NotStoredWhy::NotDelivered(failure);
            return out.push(Action::Diagnostic(Diagnostic::NotStored { object, why }));
        }
        match self.recorder() {
            Some((r, c)) => r.message_complete(c, object, message, now, out),
            // EMB-3: a complete message neither recorded nor intercepted is reported.
            None => out
                .push(Action::Diagnostic(Diagnostic::NotStored { object, why: NotStoredWhy::RecordingOff })),
        }
    }

    /// The recorder, created on first use, when this session may ever store anything (a B2BUA
    /// with `allow-offline-storage`, or `allow-store` for intercepted items).
    fn recorder(&mut self) -> Option<(&mut Recorder, &Config)> {
        let config = &*self.config;
        if !config.stores_intercepted() {
            return None;
        }
        let started = self.started;
        let recorder = self.recorder.get_or_insert_with(|| Box::new(Recorder::new(config, started)));
        Some((recorder, config))
    }

    /// REC-END / FT-1a/b through the recorder; `true` when a File Transfer History object was
    /// stored (the client's 200 OK then waits for its UID).
    fn flush_end(&mut self, now: Time, out: &mut Actions<'_>) -> bool {
        self.recorder().is_some_and(|(r, c)| r.flush_end(c, now, out))
    }

    fn on_store_outcome(&mut self, object: ObjectRef, uid: Option<&str>, out: &mut Actions<'_>) {
        if object == ObjectRef::FtHistory && self.ft_wait().is_some() {
            self.answer_ft_client(uid, out);
        }
        // Other store outcomes need nothing from the session.
    }
}

/// The `Reason` values for one `SendBye`, borrowed from the input. One or two values (nearly
/// every BYE) are formed in registers, where `collect` goes through an out-of-line `extend` into
/// a stack copy that is then read back (BENCHMARKS.md, `bye_iwfs`).
#[inline(always)]
fn copy_reasons<'a>(reasons: &[&'a str]) -> SmallVec<[Cow<'a, str>; 2]> {
    match *reasons {
        [] => SmallVec::new(),
        [a] => SmallVec::from_buf_and_len([Cow::Borrowed(a), Cow::Borrowed("")], 1),
        [a, b] => SmallVec::from_buf([Cow::Borrowed(a), Cow::Borrowed(b)]),
        _ => reasons.iter().map(|r| Cow::Borrowed(*r)).collect(),
    }
}

/// The leg at index `i` of the leg table of a session with this configuration.
#[inline]
fn leg_at(config: &Config, i: usize) -> Leg {
    match i {
        0 => Leg::Client,
        _ if config.iwfs == 0 => Leg::Remote,
        // `i` ranges over the leg table, whose length is 1 + iwfs ≤ 256.
        _ => Leg::Iwf(u8::try_from(i).unwrap_or(u8::MAX)),
    }
}

fn ignored(out: &mut Actions<'_>, input: IgnoredInput, why: IgnoredWhy) {
    out.push(Action::Diagnostic(Diagnostic::Ignored { input, why }));
}

/// `true` when a `Refer-To` value's URI carries `method=INVITE` (RFC 3515 §2.1, as a URI
/// parameter or header), compared without regard to case.
fn refer_to_invites(value: &str) -> bool {
    let uri = match (value.find('<'), value.find('>')) {
        (Some(a), Some(b)) if a < b => &value[a + 1..b],
        _ => value,
    };
    uri.split([';', '?', '&']).any(|p| {
        let mut kv = p.splitn(2, '=');
        let k = kv.next().unwrap_or("").trim();
        let v = kv.next().unwrap_or("").trim();
        k.eq_ignore_ascii_case("method") && v.eq_ignore_ascii_case("INVITE")
    })
}

#[cfg(test)]
mod tests {
    use super::{refer_to_invites, LegState, LegStatus, LegTable};

    #[test]
    fn a_leg_table_is_its_legs_inline_or_not() {
        assert_eq!(core::mem::size_of::<LegTable>(), 16);
        let leg = |i: usize| LegState {
            status: [LegStatus::Up, LegStatus::ByeSent, LegStatus::Ended][i % 3],
            media: i % 2 == 0,
        };
        let key = |l: &LegState| (l.status as u8, l.media);
        for n in 0..8 {
            let legs: Vec<LegState> = (0..n).map(leg).collect();
            let mut table = LegTable::from_slice(&legs);
            assert_eq!(table.iter().map(key).collect::<Vec<_>>(), legs.iter().map(key).collect::<Vec<_>>());
            assert_eq!(matches!(table, LegTable::Inline { .. }), (1..=3).contains(&n));
            if let Some(last) = table.last_mut() {
                last.media = !last.media;
            }
            assert_eq!(table.last().map(|l| l.media), legs.last().map(|l| !l.media));
            let same = LegTable::repeat(leg(0), n);
            assert_eq!(same.len(), n);
            assert!(same.iter().all(|l| key(l) == key(&leg(0))));
        }
    }

    #[test]
    fn refer_to_method_invite() {
        assert!(refer_to_invites("<sip:conf@example.com;method=INVITE>"));
        assert!(refer_to_invites("<sip:conf@example.com?method=invite>"));
        assert!(refer_to_invites("sip:conf@example.com;method=INVITE"));
        assert!(!refer_to_invites("<sip:conf@example.com;method=BYE>"));
        assert!(!refer_to_invites("<sip:conf@example.com>"));
        assert!(!refer_to_invites("<sip:conf@example.com;xmethod=INVITE>"));
    }
}
