//! # cpm-pf: the OMA CPM Participating Function, sans-IO
//!
//! The CPM **Participating Function** (PF) is the network function that serves one user in CPM
//! (RCS-style) chat, group chat and file transfer, between the user's CPM Client and the rest of
//! the network, as a SIP proxy or as a B2BUA. This crate is its logic, per the OMA CPM
//! Conversation Functions TS 2.0 clauses 8.2.2.3, 8.2.3.2, 8.3, 8.3.2.4 and 8.5.2:
//!
//! - what to do when a session ends: a BYE and its `Reason` header, a session timer running
//!   out, a file transfer closing ([`Session`]);
//! - which procedure handles a request arriving in the terminating network ([`route`]);
//! - how a session is recorded into the user's Message Store: MSRP chunks reassembled into chat
//!   messages, session info, group state and file-transfer history objects ([`objects`], [`msrp`]).
//!
//! ## Sans-IO
//!
//! The library never opens a socket, reads a clock or touches a store. Your program feeds a
//! [`Session`] what happened, as an [`Input`] with the current [`Time`], and carries out the
//! [`Action`]s it returns, in order. Time only ever comes in through arguments;
//! [`Session::poll_timeout`] says when to call [`Session::handle_timeout`] next.
//!
//! ```
//! use cpm_pf::{Action, Config, Input, Kind, Leg, Method, Preferences, Session, Time};
//!
//! let mut config = Config::default();
//! config.kind = Kind::Group;
//! config.prefs = Preferences::ALLOW_OFFLINE_STORAGE;
//! config.contribution_id = Some("abc".into());
//! let now = Time::from_unix_secs(1_767_225_600);
//! let mut session = Session::new(config, now)?;
//!
//! // The Controlling Function ends the group for good (RFC 3326 Reason, branch 2).
//! let reasons = [r#"SIP;cause=410;text="Gone""#];
//! for action in session.handle(Input::ByeReceived { leg: Leg::Remote, reasons: &reasons }, now) {
//!     match action {
//!         Action::CreateFolder { folder } => { /* create it in the Message Store */ }
//!         Action::Store { object, folder, content } => { /* upload `content` (RFC 5322) */ }
//!         Action::SendBye { leg, reasons } => { /* send a BYE on `leg` with these Reason values */ }
//!         other => { /* send responses, release media, ... */ }
//!     }
//! }
//! // The client answers its BYE: the PF answers the remote and the session is over.
//! let actions = session.handle(Input::ResponseReceived { leg: Leg::Client, status: 200, method: Method::Bye }, now);
//! assert!(matches!(actions.as_slice().last(), Some(Action::Terminated)));
//!
//! // In a driver loop, also honour the deadlines:
//! if let Some(deadline) = session.poll_timeout() {
//!     // ... when the clock reaches `deadline`:
//!     let _ = session.handle_timeout(deadline);
//! }
//! # Ok::<(), cpm_pf::ConfigError>(())
//! ```
//!
//! ## Surviving a restart (feature `serde`)
//!
//! Between two inputs, `Session::save` turns a session into bytes (an idle one into at most
//! 128) and `Session::restore` brings it back, in this process or another, checked against
//! every bound and invariant first: see the module `snapshot`.
//!
//! ## Panics
//!
//! None on any input. Malformed headers and MSRP chunks become typed errors or diagnostics
//! ([`Diagnostic`]) and the session goes on; an input that makes no sense in the current state
//! changes nothing. A panic is a bug: please report it.
//!
//! ## Modules
//!
//! | module | what | source |
//! |---|---|---|
//! | [`Session`], [`Input`], [`Action`], [`Config`] | the session machine: BYE handling, file-transfer closing, session timer, recording | 8.2.2.3, 8.2.3.2, 8.3.2.4, 8.5.2, RFC 4028 |
//! | [`bye`] | the classification of a BYE by leg and Reason (the branches of 8.2.2.3) | 8.2.2.3, RFC 3326 |
//! | [`dispatch`] | terminating-network dispatch | 8.3 |
//! | [`objects`] | the Message Store objects (RFC 5322), their profiles and IMAP mailboxes | 8.5.2, OMA CPM Message Storage, GSMA RCS CMS |
//! | [`msrp`] | MSRP frames (parser and writer), chunk reassembly with limits, and the per-leg endpoint of MSRP on the legs (`Session::set_msrp_leg`, `Input::MsrpBytes`, `Session::poll_msrp_transmit`) | RFC 4975, ML-1 … ML-5 |
//! | [`grammar`] | header value grammars | RFC 3326, 3841, 4028, 4975, 6050, 6665 |
//! | [`headers`] | how a SIP stack hands headers over | RFC 3261 §7.3 |
//! | [`invariants`] | the promises every session keeps, as a checker | BYE-T, LIM-1, EMB-3 |
//! | [`names`] | the names of the closed sets (methods, procedures, roles, flags, objects), printed and parsed from one table each | |
//! | [`script`] | the scenario language of `docs/scenarios.md` | |
//!
//! Requirement IDs (BYE-1d, REC-5ii, EMB-1, MS-8, …) are those of the project's
//! `docs/requirements.md`; `CONFORMANCE.md` maps each to its tests. The public API is what this
//! page lists: the session machine and its vocabulary at the top, the header grammars
//! ([`grammar`]), the MSRP layer ([`msrp`]), the Message Store objects ([`objects`]), and the
//! test authors' tools ([`script`], [`invariants`]).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod action;
mod config;
pub mod dispatch;
pub mod grammar;
pub mod headers;
pub mod invariants;
mod leg;
pub mod msrp;
pub mod names;
mod record;
#[cfg(feature = "rsip")]
pub mod rsip_adapter;
pub mod script;
mod session;
mod time;

pub use action::{
    Action, Actions, Diagnostic, Folder, Identity, IgnoredInput, IgnoredWhy, MsrpLegEvent, NotStoredWhy,
    ObjectRef,
};
pub use config::{Config, ConfigError, Kind, LimitName, Policy, Preferences, Role, Side};
pub use dispatch::{route, Procedure, Route};
pub use leg::{Leg, Method, UnknownLeg};
pub use record::objects;
pub use record::objects::Profile;
pub use session::bye;
pub use session::input::Input;
/// Saving and restoring sessions (SNAP-1 … SNAP-3): the format and the typed restore errors.
#[cfg(feature = "serde")]
pub use session::snapshot;
#[cfg(feature = "serde")]
pub use session::snapshot::{RestoreError, SaveError};
pub use session::Session;
pub use time::Time;

/// The README's Rust examples compile and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
