//! One checker for the promises every session keeps, whatever it is fed.
//!
//! [`InvariantChecker`] watches the inputs given to a [`Session`] and the
//! actions it returned, and reports each broken promise as a [`Violation`]:
//!
//! - every BYE received by a B2BUA is answered exactly once (BYE-T), and never more than once;
//! - a leg's media is released at most once, and every leg with media is released by the time
//!   the session reports `terminated` (a client that re-joins after a connection loss, BYE-4iii,
//!   has new media: the checker sees the loss by the SUBSCRIBE of BYE-4i and the re-join by the
//!   client's next INVITE while the PF still remains, before it sends a BYE of its own);
//! - `terminated` is reported at most once, and after it a B2BUA does nothing but answer 481;
//! - nothing is stored twice (the same object in the same folder; a Message-ID used on two
//!   legs names two messages, which this checker cannot tell apart, so feed it distinct IDs);
//! - every completed chat message or notification to or from the client is stored (when
//!   recording), deferred, or delivered — never silently dropped (LIM-1; see below);
//! - the bytes buffered for partial MSRP messages never exceed the configured bound (LIM-1).
//!
//! # Completed messages
//!
//! The session reports each message it reassembled with
//! [`Diagnostic::MessageComplete`], before acting on it, so
//! the checker accounts for every completed message without reassembling anything itself. The
//! rules, from docs/requirements.md:
//!
//! - **Intercepted** (BYE-4ii, REC-INT): a message to the client completing while the PF
//!   remains in the group and intercepts is, in the same input's actions, stored when
//!   `allow-offline-storage` or `allow-store` holds and deferred when `allow-defer` holds.
//! - **Recorded** (REC-5ii, REC-END): with recording on (B2BUA with `allow-offline-storage`;
//!   not the terminating side of a file transfer), a message from the client, or one to the
//!   client whose delivery was confirmed (`Input::Delivered`) before the end, is stored by the
//!   time the session reports `terminated`. A message to the client never confirmed is not the
//!   PF's to store (it may have reached the user some other way): [`Fate::NotConfirmed`].
//! - **Relayed**: with recording off and no interception, the embedder relays the message
//!   (chunks go through as they come): it is delivered, and nothing is asked of the session.
//! - A message to the client is never stored before its delivery is confirmed (REC-5ii), unless
//!   intercepted. With MSRP on the legs, a `Diagnostic::Delivery` without failure is that
//!   confirmation.
//!
//! MSRP on the legs (ML-3 … ML-5):
//!
//! - the delivery of a message to the client is decided at most once (`Diagnostic::Delivery`);
//! - nothing is written on a leg whose media is released (`Action::MsrpTransmit`), until a
//!   re-join brings new media;
//! - after every input each leg holds at most one maximum frame of undecoded bytes and at most
//!   `msrp_max_pending` relayed chunks awaiting their answer ([`InvariantChecker::actions`]
//!   asks the session).
//!
//! That each request is answered at most once is a property of the bytes on the wire: the
//! `msrp_legs` fuzz body and `tests/msrp_legs.rs` read them back and check it.
//!
//! [`InvariantChecker::messages`] tells the fate of each completed message so far; a run that
//! stops before `terminated` leaves recordable messages [`Fate::Pending`] (REC-4c stores them
//! at the end), which is not a violation.
//!
//! The proptests, the fuzz targets and the scenario runner all use this one checker.
//!
//! ```
//! use cpm_pf::invariants::InvariantChecker;
//! use cpm_pf::{Config, Input, Leg, Session, Time};
//!
//! let mut session = Session::new(Config::default(), Time::EPOCH).unwrap();
//! let mut checker = InvariantChecker::new(session.config());
//! let input = Input::ByeReceived { leg: Leg::Client, reasons: &[] };
//! checker.input(&input);
//! let actions = session.handle(input, Time::EPOCH);
//! checker.actions(&actions, &session);
//! assert!(checker.violations().is_empty());
//! ```

use core::fmt;
use std::collections::{BTreeMap, BTreeSet};

use crate::action::{Action, Actions, Diagnostic, ObjectRef};
use crate::config::{Config, Preferences, Role};
use crate::grammar::message_id::MessageId;
use crate::{Input, Leg, Method, Session};

/// A promise a session broke.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Violation {
    /// More answers to BYEs were sent on a leg than BYEs were received there.
    ByeAnsweredTwice {
        /// The leg.
        leg: Leg,
    },
    /// The session terminated with a BYE received on this leg still unanswered.
    ByeUnanswered {
        /// The leg.
        leg: Leg,
    },
    /// A leg's media was released twice.
    MediaReleasedTwice {
        /// The leg.
        leg: Leg,
    },
    /// The session terminated with this leg's media not released.
    MediaNotReleased {
        /// The leg.
        leg: Leg,
    },
    /// `terminated` was reported twice.
    TerminatedTwice,
    /// After `terminated` a B2BUA did something other than answering 481.
    ActionAfterTerminated {
        /// The action, rendered with `Debug`.
        action: String,
    },
    /// The same object was stored twice.
    StoredTwice {
        /// The object.
        object: ObjectRef,
    },
    /// The session terminated with a completed message that it had to store neither stored nor
    /// deferred.
    MessageDropped {
        /// The leg the message arrived on (`client`: from the client; any other: to it).
        leg: Leg,
        /// The message.
        object: ObjectRef,
    },
    /// An intercepted message (BYE-4ii) was not stored, or not deferred, in the actions of the
    /// input that completed it, although the preferences say it must be.
    InterceptedNotKept {
        /// The message.
        object: ObjectRef,
        /// What was not done: `"stored"` or `"deferred"`.
        missing: &'static str,
    },
    /// A message to the client was stored before its delivery was confirmed (REC-5ii).
    StoredBeforeDelivery {
        /// The message.
        object: ObjectRef,
    },
    /// More bytes were buffered than the configured bound.
    BufferOverBound {
        /// Bytes buffered.
        buffered: usize,
        /// The bound.
        bound: usize,
    },
    /// MSRP on the legs (ML-4): the delivery of a message to the client was decided twice.
    DeliveryDecidedTwice {
        /// The message.
        message_id: MessageId,
    },
    /// MSRP on the legs (ML-3): bytes were written on a leg whose media is released.
    WrittenOnReleasedLeg {
        /// The leg.
        leg: Leg,
    },
    /// MSRP on the legs (ML-5): a leg holds more undecoded bytes than one maximum frame, or
    /// more relayed chunks awaiting their response than `msrp_max_pending`.
    MsrpOverBound {
        /// The leg.
        leg: Leg,
        /// What went over: `"undecoded bytes"` or `"pending chunks"`.
        what: &'static str,
        /// How many.
        count: usize,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::ByeAnsweredTwice { leg } => write!(f, "a BYE on {leg} was answered more than once"),
            Violation::ByeUnanswered { leg } => write!(f, "terminated with a BYE on {leg} unanswered"),
            Violation::MediaReleasedTwice { leg } => write!(f, "media on {leg} released twice"),
            Violation::MediaNotReleased { leg } => write!(f, "terminated with media on {leg} not released"),
            Violation::TerminatedTwice => f.write_str("terminated reported twice"),
            Violation::ActionAfterTerminated { action } => write!(f, "action after terminated: {action}"),
            Violation::StoredTwice { object } => write!(f, "{object} stored twice"),
            Violation::MessageDropped { leg, object } => {
                write!(f, "terminated with the completed {object} (on {leg}) neither stored nor deferred")
            }
            Violation::InterceptedNotKept { object, missing } => {
                write!(f, "intercepted {object} not {missing} at once")
            }
            Violation::StoredBeforeDelivery { object } => {
                write!(f, "{object} to the client stored before its delivery was confirmed")
            }
            Violation::BufferOverBound { buffered, bound } => {
                write!(f, "{buffered} bytes buffered, over the bound of {bound}")
            }
            Violation::DeliveryDecidedTwice { message_id } => {
                write!(f, "the delivery of {message_id} to the client was decided twice")
            }
            Violation::WrittenOnReleasedLeg { leg } => {
                write!(f, "MSRP bytes written on {leg} after its media was released")
            }
            Violation::MsrpOverBound { leg, what, count } => {
                write!(f, "MSRP on {leg}: {count} {what}, over the bound")
            }
        }
    }
}

/// What became of a completed chat message or notification, as far as the checker saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fate {
    /// Stored into the Message Store (and, if intercepted with `allow-defer`, deferred too).
    Stored,
    /// Handed to the embedder's deferred-delivery store (BYE-4ii).
    Deferred,
    /// Relayed by the embedder: no recording or interception applies to it.
    Relayed,
    /// A message to the client whose delivery was not confirmed: not the PF's to store (REC-5ii).
    NotConfirmed,
    /// Recordable and not stored yet, the session not over: REC-END stores it at the end.
    Pending,
    /// Neither stored nor deferred though it had to be: reported as a violation.
    Dropped,
}

/// One completed chat message or notification and its fate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompletedMessage {
    /// The leg it arrived on (`client`: from the served client; any other: to it).
    pub leg: Leg,
    /// The object it became.
    pub object: ObjectRef,
    /// It completed while the PF intercepted (BYE-4ii).
    pub intercepted: bool,
    /// A message to the client whose delivery was confirmed before the end.
    pub confirmed: bool,
    /// What became of it.
    pub fate: Fate,
}

#[derive(Debug, Clone, Copy)]
struct Completion {
    leg: Leg,
    object: ObjectRef,
    intercepted: bool,
    confirmed: bool,
    stored: bool,
    deferred: bool,
    /// Released unrecorded while awaiting its confirmation, and reported (a bounded session).
    released: bool,
}

impl Completion {
    /// Recordable: from the client, or to it and confirmed (REC-5ii); intercepted ones follow
    /// REC-INT instead.
    fn recordable(&self) -> bool {
        !self.intercepted && (self.leg == Leg::Client || self.confirmed)
    }

    /// Due at the end of a recording session (REC-END) and not stored yet.
    fn owed(&self) -> bool {
        self.recordable() && !self.stored
    }
}

/// A question a later input or action may ask about a completed message of a given object. The
/// checker files each completion under every question it still answers, so that an input finds
/// the one it concerns without visiting the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Open {
    /// `Input::Delivered` may confirm it: to the client, not intercepted, neither confirmed nor
    /// released.
    Confirm,
    /// A `defer` may concern it: intercepted and not deferred.
    Defer,
    /// An `unconfirmed released` report may concern it: to the client, neither confirmed,
    /// stored nor released.
    Release,
    /// A `store` may store it: not stored, and intercepted or recordable.
    Store,
    /// A `store` of it would come before its delivery was confirmed (REC-5ii): not stored,
    /// neither intercepted nor recordable.
    StoreEarly,
}

impl Open {
    const ALL: [Open; 5] = [Open::Confirm, Open::Defer, Open::Release, Open::Store, Open::StoreEarly];

    fn holds(self, c: &Completion) -> bool {
        let to_client = c.leg != Leg::Client;
        match self {
            Open::Confirm => to_client && !c.intercepted && !c.confirmed && !c.released,
            Open::Defer => c.intercepted && !c.deferred,
            Open::Release => to_client && !c.confirmed && !c.stored && !c.released,
            Open::Store => !c.stored && (c.intercepted || c.recordable()),
            Open::StoreEarly => !c.stored && !c.intercepted && !c.recordable(),
        }
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct LegBook {
    byes_received: u32,
    byes_answered: u32,
    media_released: bool,
}

/// Watches a session's inputs and actions; see the module documentation.
///
/// Its cost per input does not grow with the history: completed messages are found through an
/// index by object, and only those completed by the current input are checked at its end.
#[derive(Debug)]
pub struct InvariantChecker {
    role: Role,
    legs: BTreeMap<Leg, LegBook>,
    terminated: bool,
    /// BYE-4i was seen: the PF remains without a client leg until the client re-joins.
    client_gone: bool,
    stored: BTreeSet<(ObjectRef, String)>,
    bound: usize,
    /// Recording is on (REC: B2BUA with `allow-offline-storage`, not a terminating file transfer).
    recording: bool,
    prefs: Preferences,
    /// Between `intercept on` and `intercept off`.
    intercepting: bool,
    /// Every completed message, in completion order (the history; read in full only by
    /// [`InvariantChecker::messages`]).
    completions: Vec<Completion>,
    /// The completions (indices into `completions`, ascending) filed under each question they
    /// still answer, by object.
    open: BTreeMap<(Open, ObjectRef), BTreeSet<usize>>,
    /// The completions recordable and not stored yet, ascending: checked at `terminated`.
    owed: BTreeSet<usize>,
    /// The intercepted completions of the current input, so that "at once" means "in the same
    /// input's actions".
    intercepted_now: Vec<usize>,
    violations: Vec<Violation>,
    /// Elements visited by the per-input paths (see [`InvariantChecker::work_done`]).
    work: u64,
    /// MSRP on the legs: messages whose delivery to the client was decided (ML-4).
    decided: BTreeSet<MessageId>,
    /// ML-5 bounds: one maximum frame undecoded, `msrp_max_pending` chunks awaiting answers.
    msrp_bounds: (usize, usize),
}

impl InvariantChecker {
    /// A checker for a session created with `config`.
    pub fn new(config: &Config) -> InvariantChecker {
        let mut legs = BTreeMap::new();
        legs.insert(Leg::Client, LegBook::default());
        if config.iwfs == 0 {
            legs.insert(Leg::Remote, LegBook::default());
        }
        for k in 1..=config.iwfs {
            legs.insert(Leg::Iwf(k), LegBook::default());
        }
        InvariantChecker {
            role: config.role,
            legs,
            terminated: false,
            client_gone: false,
            stored: BTreeSet::new(),
            bound: config.limits.max_buffered,
            recording: config.recording_on(),
            prefs: config.prefs,
            intercepting: false,
            completions: Vec::new(),
            open: BTreeMap::new(),
            owed: BTreeSet::new(),
            intercepted_now: Vec::new(),
            violations: Vec::new(),
            work: 0,
            decided: BTreeSet::new(),
            msrp_bounds: (config.msrp_max_frame(), usize::from(config.msrp_max_pending)),
        }
    }

    /// Records an input about to be handed to the session.
    pub fn input(&mut self, input: &Input<'_>) {
        match input {
            Input::ByeReceived { leg, .. } => {
                if let Some(book) = self.legs.get_mut(leg) {
                    book.byes_received += 1;
                }
            }
            Input::RequestReceived { leg: Leg::Client, method: Method::Invite, .. }
                if self.client_gone && !self.terminated =>
            {
                self.client_rejoined();
            }
            // After `terminated` the session ignores a confirmation, and so does the checker.
            Input::Delivered { message_id } if !self.terminated => self.delivered(*message_id),
            _ => {}
        }
    }

    /// BYE-4iii: the client re-joined after a connection loss, with new media.
    fn client_rejoined(&mut self) {
        self.client_gone = false;
        if let Some(book) = self.legs.get_mut(&Leg::Client) {
            book.media_released = false;
        }
    }

    /// REC-5ii: confirms the first completed, unconfirmed message to the client with that
    /// Message-ID (a chat message or a notification).
    fn delivered(&mut self, message_id: MessageId) {
        let chat = self.first_open(Open::Confirm, ObjectRef::ChatMessage(message_id));
        let imdn = self.first_open(Open::Confirm, ObjectRef::Imdn(message_id));
        let first = match (chat, imdn) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(i) = first {
            self.update(i, |c| c.confirmed = true);
        }
    }

    /// Records the actions the session returned for the last input (or a timeout), and the
    /// session's state after them.
    pub fn actions(&mut self, actions: &Actions<'_>, session: &Session) {
        self.observe(actions.as_slice(), session.buffered_bytes());
        // ML-5: whatever bytes arrived, each leg stays within its bounds.
        let (max_frame, max_pending) = self.msrp_bounds;
        for &leg in self.legs.keys() {
            for (what, count, bound) in [
                ("undecoded bytes", session.msrp_undecoded(leg), max_frame),
                ("pending chunks", session.msrp_pending(leg), max_pending),
            ] {
                if count > bound {
                    self.violations.push(Violation::MsrpOverBound { leg, what, count });
                }
            }
        }
    }

    /// Records the actions returned for the last input (or a timeout) and the bytes the session
    /// buffers after them; what [`InvariantChecker::actions`] does, for an observer that holds
    /// the actions and the session's buffer count rather than the session (a test that wants to
    /// see a broken promise reported can hand it altered actions).
    pub fn observe(&mut self, actions: &[Action<'_>], buffered: usize) {
        self.intercepted_now.clear();
        for action in actions {
            self.action(action);
        }
        self.check_intercepted();
        if buffered > self.bound {
            self.violations.push(Violation::BufferOverBound { buffered, bound: self.bound });
        }
    }

    /// One action: checked against `terminated`, then handed to the handler for its kind.
    fn action(&mut self, action: &Action<'_>) {
        self.work += 1;
        let b2bua = self.role == Role::B2bua;
        if self.terminated && b2bua {
            self.check_after_terminated(action);
        }
        match action {
            Action::SendResponse { leg, method: Method::Bye, .. } if b2bua => self.bye_answered(*leg),
            Action::ReleaseMedia { leg } => self.media_released(*leg),
            Action::Store { object, folder, .. } => {
                self.object_stored(*object, folder.to_string());
                self.message_stored(*object);
            }
            Action::Defer { object, .. } => self.message_deferred(*object),
            Action::InterceptOn => self.intercepting = true,
            Action::InterceptOff => self.intercepting = false,
            Action::Diagnostic(Diagnostic::MessageComplete { leg, object }) => {
                self.message_completed(*leg, *object);
            }
            Action::Diagnostic(Diagnostic::UnconfirmedReleased { object }) => {
                self.unconfirmed_released(*object);
            }
            Action::Diagnostic(Diagnostic::Delivery { message_id, failure }) => {
                // ML-4: decided once; a delivery is the confirmation `Input::Delivered` gives.
                if !self.decided.insert(*message_id) {
                    self.violations.push(Violation::DeliveryDecidedTwice { message_id: *message_id });
                }
                if failure.is_none() && !self.terminated {
                    self.delivered(*message_id);
                }
            }
            Action::MsrpTransmit { leg } if self.legs.get(leg).is_some_and(|b| b.media_released) => {
                self.violations.push(Violation::WrittenOnReleasedLeg { leg: *leg });
            }
            Action::SubscribeConference { .. } => self.client_gone = true,
            // The PF sends a BYE of its own while it remains only when the session ends (the
            // session timer closes `remote`): from then on no INVITE is a re-join.
            Action::SendBye { .. } if self.client_gone => self.client_gone = false,
            Action::Terminated => self.terminated_reported(b2bua),
            _ => {}
        }
    }

    /// After `terminated` a B2BUA only answers 481 to a BYE (and may report diagnostics).
    fn check_after_terminated(&mut self, action: &Action<'_>) {
        let allowed = matches!(
            action,
            Action::SendResponse { status: 481, method: Method::Bye, .. } | Action::Diagnostic(_)
        );
        if !allowed {
            self.violations.push(Violation::ActionAfterTerminated { action: format!("{action:?}") });
        }
    }

    /// BYE-T: a B2BUA answered a BYE on `leg`; never more answers than BYEs.
    fn bye_answered(&mut self, leg: Leg) {
        if let Some(book) = self.legs.get_mut(&leg) {
            book.byes_answered += 1;
            if book.byes_answered > book.byes_received {
                self.violations.push(Violation::ByeAnsweredTwice { leg });
            }
        }
    }

    /// A leg's media is released at most once (until a re-join brings new media).
    fn media_released(&mut self, leg: Leg) {
        if let Some(book) = self.legs.get_mut(&leg) {
            if book.media_released {
                self.violations.push(Violation::MediaReleasedTwice { leg });
            }
            book.media_released = true;
        }
    }

    /// Nothing is stored twice: the same object in the same folder.
    fn object_stored(&mut self, object: ObjectRef, folder: String) {
        if !self.stored.insert((object, folder)) {
            self.violations.push(Violation::StoredTwice { object });
        }
    }

    /// A `store` of a chat message or notification: the first completed, not yet stored message
    /// with that object; one that may be stored (recordable or intercepted) first.
    fn message_stored(&mut self, object: ObjectRef) {
        if !matches!(object, ObjectRef::ChatMessage(_) | ObjectRef::Imdn(_)) {
            return;
        }
        let index = match self.first_open(Open::Store, object) {
            Some(i) => Some(i),
            None => {
                let early = self.first_open(Open::StoreEarly, object);
                if early.is_some() {
                    self.violations.push(Violation::StoredBeforeDelivery { object });
                }
                early
            }
        };
        if let Some(i) = index {
            self.update(i, |c| c.stored = true);
        }
    }

    /// A `defer`: the first intercepted, not yet deferred message with that object.
    fn message_deferred(&mut self, object: ObjectRef) {
        if let Some(i) = self.first_open(Open::Defer, object) {
            self.update(i, |c| c.deferred = true);
        }
    }

    /// The session reassembled a message: it joins the history (and, if intercepted, the
    /// current input's list checked by [`InvariantChecker::check_intercepted`]).
    fn message_completed(&mut self, leg: Leg, object: ObjectRef) {
        let completion = Completion {
            leg,
            object,
            intercepted: self.intercepting && leg != Leg::Client,
            confirmed: false,
            stored: false,
            deferred: false,
            released: false,
        };
        let i = self.completions.len();
        self.completions.push(completion);
        self.file(i, true);
        if completion.intercepted {
            self.intercepted_now.push(i);
        }
    }

    /// A bounded session released an unconfirmed message to the client unrecorded, and said so.
    fn unconfirmed_released(&mut self, object: ObjectRef) {
        if let Some(i) = self.first_open(Open::Release, object) {
            self.update(i, |c| c.released = true);
        }
    }

    /// `terminated`: reported once; a B2BUA has answered every BYE, released every leg's media
    /// and, when recording, stored every recordable message.
    fn terminated_reported(&mut self, b2bua: bool) {
        if self.terminated {
            self.violations.push(Violation::TerminatedTwice);
        }
        self.terminated = true;
        if !b2bua {
            return;
        }
        for (leg, book) in &self.legs {
            if book.byes_answered < book.byes_received {
                self.violations.push(Violation::ByeUnanswered { leg: *leg });
            }
            if !book.media_released {
                self.violations.push(Violation::MediaNotReleased { leg: *leg });
            }
        }
        if self.recording {
            for c in self.owed.iter().filter_map(|&i| self.completions.get(i)) {
                self.work += 1;
                self.violations.push(Violation::MessageDropped { leg: c.leg, object: c.object });
            }
        }
    }

    /// BYE-4ii / REC-INT: what the preferences ask for an intercepted message happens in the
    /// actions of the input that completed it.
    fn check_intercepted(&mut self) {
        let must_store = self.prefs.intersects(Preferences::ALLOW_OFFLINE_STORAGE | Preferences::ALLOW_STORE);
        let must_defer = self.prefs.contains(Preferences::ALLOW_DEFER);
        for c in self.intercepted_now.iter().filter_map(|&i| self.completions.get(i)) {
            self.work += 1;
            if must_store && !c.stored {
                self.violations.push(Violation::InterceptedNotKept { object: c.object, missing: "stored" });
            }
            if must_defer && !c.deferred {
                self.violations.push(Violation::InterceptedNotKept { object: c.object, missing: "deferred" });
            }
        }
    }

    /// The first (earliest completed) message of `object` that answers `question`.
    fn first_open(&mut self, question: Open, object: ObjectRef) -> Option<usize> {
        self.work += 1;
        self.open.get(&(question, object)).and_then(|set| set.first().copied())
    }

    /// Changes completion `i`, keeping the index in step.
    fn update(&mut self, i: usize, change: impl FnOnce(&mut Completion)) {
        self.file(i, false);
        if let Some(c) = self.completions.get_mut(i) {
            change(c);
        }
        self.file(i, true);
    }

    /// Files completion `i` under every question it answers (`add`), or takes it out of them.
    fn file(&mut self, i: usize, add: bool) {
        let Some(c) = self.completions.get(i).copied() else { return };
        for question in Open::ALL.into_iter().filter(|q| q.holds(&c)) {
            self.work += 1;
            let key = (question, c.object);
            if add {
                self.open.entry(key).or_default().insert(i);
            } else if let Some(set) = self.open.get_mut(&key) {
                set.remove(&i);
                if set.is_empty() {
                    self.open.remove(&key);
                }
            }
        }
        if c.owed() {
            if add {
                self.owed.insert(i);
            } else {
                self.owed.remove(&i);
            }
        }
    }

    /// Every completed chat message and notification seen so far, in completion order, with
    /// what became of it.
    pub fn messages(&self) -> Vec<CompletedMessage> {
        self.completions
            .iter()
            .map(|c| {
                let fate = if c.stored {
                    Fate::Stored
                } else if c.deferred {
                    Fate::Deferred
                } else if c.intercepted {
                    Fate::Dropped
                } else if !self.recording {
                    Fate::Relayed
                } else if !c.recordable() {
                    Fate::NotConfirmed
                } else if self.terminated {
                    Fate::Dropped
                } else {
                    Fate::Pending
                };
                CompletedMessage {
                    leg: c.leg,
                    object: c.object,
                    intercepted: c.intercepted,
                    confirmed: c.confirmed,
                    fate,
                }
            })
            .collect()
    }

    /// `true` once the session reported `terminated`.
    pub fn terminated(&self) -> bool {
        self.terminated
    }

    /// Every promise broken so far, in the order found.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// Elements the checker visited while handling inputs and actions (not counting
    /// [`InvariantChecker::messages`]): a measure of its work that a test can compare across a
    /// run without timing it.
    #[doc(hidden)]
    pub fn work_done(&self) -> u64 {
        self.work
    }
}
