//! One checker for the promises every session keeps, whatever it is fed.
//!
//! [`InvariantChecker`] watches the inputs given to a [`Session`](crate::Session) and the
//! actions it returned, and reports each broken promise as a [`Violation`]:
//!
//! - every BYE received by a B2BUA is answered exactly once (BYE-T), and never more than once;
//! - a leg's media is released at most once, and every leg with media is released by the time
//!   the session reports `terminated` (a client that re-joins after a connection loss, BYE-4iii,
//!   has new media: the checker sees the loss by the SUBSCRIBE of BYE-4i and the re-join by the
//!   client's next INVITE);
//! - `terminated` is reported at most once, and after it a B2BUA does nothing but answer 481;
//! - nothing is stored twice (the same object in the same folder; a Message-ID used on two
//!   legs names two messages, which this checker cannot tell apart, so feed it distinct IDs);
//! - the bytes buffered for partial MSRP messages never exceed the configured bound (LIM-1).
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

use crate::session::action::{Action, Actions, ObjectRef};
use crate::session::config::{Config, Role};
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
            Violation::BufferOverBound { buffered, bound } => {
                write!(f, "{buffered} bytes buffered, over the bound of {bound}")
            }
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
#[derive(Debug)]
pub struct InvariantChecker {
    role: Role,
    legs: BTreeMap<Leg, LegBook>,
    terminated: bool,
    /// BYE-4i was seen: the PF remains without a client leg until the client re-joins.
    client_gone: bool,
    stored: Vec<(ObjectRef, String)>,
    bound: usize,
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
            Input::RequestReceived { leg: Leg::Client, method: Method::Invite, .. } if self.client_gone => {
                self.client_gone = false;
                if let Some(book) = self.legs.get_mut(&Leg::Client) {
                    book.media_released = false;
                }
            }
            _ => {}
        }
    }

    /// Records the actions the session returned for the last input (or a timeout), and the
    /// session's state after them.
    pub fn actions(&mut self, actions: &Actions<'_>, session: &Session) {
        for action in actions {
            self.action(action);
        }
        let buffered = session.buffered_bytes();
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
            }
            Action::SubscribeConference { .. } => self.client_gone = true,
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
                }
            }
            _ => {}
        }
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
