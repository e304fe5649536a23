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
//! rules, from SPEC.md:
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
//!   intercepted.
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
use std::collections::BTreeMap;

use crate::action::{Action, Actions, Diagnostic, ObjectRef};
use crate::config::{Config, Preferences, Role};
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
    /// The input (counted from 1) whose actions completed it.
    batch: u64,
}

impl Completion {
    /// Recordable: from the client, or to it and confirmed (REC-5ii); intercepted ones follow
    /// REC-INT instead.
    fn recordable(&self) -> bool {
        !self.intercepted && (self.leg == Leg::Client || self.confirmed)
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct LegBook {
    byes_received: u32,
    byes_answered: u32,
    media_released: bool,
}

/// Watches a session's inputs and actions; see the module documentation.
#[derive(Debug)]
pub struct InvariantChecker {
    role: Role,
    legs: BTreeMap<Leg, LegBook>,
    terminated: bool,
    /// BYE-4i was seen: the PF remains without a client leg until the client re-joins.
    client_gone: bool,
    stored: Vec<(ObjectRef, String)>,
    bound: usize,
    /// Recording is on (REC: B2BUA with `allow-offline-storage`, not a terminating file transfer).
    recording: bool,
    prefs: Preferences,
    /// Between `intercept on` and `intercept off`.
    intercepting: bool,
    completions: Vec<Completion>,
    /// Inputs (and timeouts) seen, so that "at once" means "in the same input's actions".
    batch: u64,
    violations: Vec<Violation>,
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
            stored: Vec::new(),
            bound: config.limits.max_buffered,
            recording: config.recording_on(),
            prefs: config.prefs,
            intercepting: false,
            completions: Vec::new(),
            batch: 0,
            violations: Vec::new(),
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
                self.client_gone = false;
                if let Some(book) = self.legs.get_mut(&Leg::Client) {
                    book.media_released = false;
                }
            }
            // REC-5ii: confirms the first completed, unconfirmed message to the client with that
            // Message-ID; after `terminated` the session ignores it, and so does the checker.
            Input::Delivered { message_id } if !self.terminated => {
                let to_confirm = self.completions.iter_mut().find(|c| {
                    c.leg != Leg::Client
                        && !c.intercepted
                        && !c.confirmed
                        && !c.released
                        && matches!(c.object, ObjectRef::ChatMessage(m) | ObjectRef::Imdn(m) if m == *message_id)
                });
                if let Some(c) = to_confirm {
                    c.confirmed = true;
                }
            }
            _ => {}
        }
    }

    /// Records the actions the session returned for the last input (or a timeout), and the
    /// session's state after them.
    pub fn actions(&mut self, actions: &Actions<'_>, session: &Session) {
        self.observe(actions.as_slice(), session.buffered_bytes());
    }

    /// Records the actions returned for the last input (or a timeout) and the bytes the session
    /// buffers after them; what [`InvariantChecker::actions`] does, for an observer that holds
    /// the actions and the session's buffer count rather than the session (a test that wants to
    /// see a broken promise reported can hand it altered actions).
    pub fn observe(&mut self, actions: &[Action<'_>], buffered: usize) {
        self.batch += 1;
        for action in actions {
            self.action(action);
        }
        self.check_intercepted();
        if buffered > self.bound {
            self.violations.push(Violation::BufferOverBound { buffered, bound: self.bound });
        }
    }

    fn action(&mut self, action: &Action<'_>) {
        let b2bua = self.role == Role::B2bua;
        if self.terminated && b2bua {
            let allowed = matches!(
                action,
                Action::SendResponse { status: 481, method: Method::Bye, .. } | Action::Diagnostic(_)
            );
            if !allowed {
                self.violations.push(Violation::ActionAfterTerminated { action: format!("{action:?}") });
            }
        }
        match action {
            Action::SendResponse { leg, method: Method::Bye, .. } if b2bua => {
                if let Some(book) = self.legs.get_mut(leg) {
                    book.byes_answered += 1;
                    if book.byes_answered > book.byes_received {
                        self.violations.push(Violation::ByeAnsweredTwice { leg: *leg });
                    }
                }
            }
            Action::ReleaseMedia { leg } => {
                if let Some(book) = self.legs.get_mut(leg) {
                    if book.media_released {
                        self.violations.push(Violation::MediaReleasedTwice { leg: *leg });
                    }
                    book.media_released = true;
                }
            }
            Action::Store { object, folder, .. } => {
                let key = (*object, folder.to_string());
                if self.stored.contains(&key) {
                    self.violations.push(Violation::StoredTwice { object: *object });
                } else {
                    self.stored.push(key);
                }
                self.message_stored(*object);
            }
            Action::Defer { object, .. } => {
                if let Some(c) =
                    self.completions.iter_mut().find(|c| c.intercepted && !c.deferred && c.object == *object)
                {
                    c.deferred = true;
                }
            }
            Action::InterceptOn => self.intercepting = true,
            Action::InterceptOff => self.intercepting = false,
            Action::Diagnostic(Diagnostic::MessageComplete { leg, object }) => {
                self.completions.push(Completion {
                    leg: *leg,
                    object: *object,
                    intercepted: self.intercepting && *leg != Leg::Client,
                    confirmed: false,
                    stored: false,
                    deferred: false,
                    released: false,
                    batch: self.batch,
                });
            }
            Action::Diagnostic(Diagnostic::UnconfirmedReleased { object }) => {
                if let Some(c) = self.completions.iter_mut().find(|c| {
                    c.object == *object && c.leg != Leg::Client && !c.confirmed && !c.stored && !c.released
                }) {
                    c.released = true;
                }
            }
            Action::SubscribeConference { .. } => self.client_gone = true,
            // The PF sends a BYE of its own while it remains only when the session ends (the
            // session timer closes `remote`): from then on no INVITE is a re-join.
            Action::SendBye { .. } if self.client_gone => self.client_gone = false,
            Action::Terminated => {
                if self.terminated {
                    self.violations.push(Violation::TerminatedTwice);
                }
                self.terminated = true;
                if b2bua {
                    for (leg, book) in &self.legs {
                        if book.byes_answered < book.byes_received {
                            self.violations.push(Violation::ByeUnanswered { leg: *leg });
                        }
                        if !book.media_released {
                            self.violations.push(Violation::MediaNotReleased { leg: *leg });
                        }
                    }
                    if self.recording {
                        for c in &self.completions {
                            if c.recordable() && !c.stored {
                                self.violations
                                    .push(Violation::MessageDropped { leg: c.leg, object: c.object });
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// A `store` of a chat message or notification: the first completed, not yet stored message
    /// with that object; one that may be stored (recordable or intercepted) first.
    fn message_stored(&mut self, object: ObjectRef) {
        if !matches!(object, ObjectRef::ChatMessage(_) | ObjectRef::Imdn(_)) {
            return;
        }
        let candidates =
            || self.completions.iter().enumerate().filter(|(_, c)| c.object == object && !c.stored);
        let may = candidates().find(|(_, c)| c.intercepted || c.recordable()).map(|(i, _)| i);
        let index = match may {
            Some(i) => Some(i),
            None => {
                let early = candidates().map(|(i, _)| i).next();
                if early.is_some() {
                    self.violations.push(Violation::StoredBeforeDelivery { object });
                }
                early
            }
        };
        if let Some(c) = index.and_then(|i| self.completions.get_mut(i)) {
            c.stored = true;
        }
    }

    /// BYE-4ii / REC-INT: what the preferences ask for an intercepted message happens in the
    /// actions of the input that completed it.
    fn check_intercepted(&mut self) {
        let must_store = self.prefs.intersects(Preferences::ALLOW_OFFLINE_STORAGE | Preferences::ALLOW_STORE);
        let must_defer = self.prefs.contains(Preferences::ALLOW_DEFER);
        for c in self.completions.iter().filter(|c| c.intercepted && c.batch == self.batch) {
            if must_store && !c.stored {
                self.violations.push(Violation::InterceptedNotKept { object: c.object, missing: "stored" });
            }
            if must_defer && !c.deferred {
                self.violations.push(Violation::InterceptedNotKept { object: c.object, missing: "deferred" });
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
}
