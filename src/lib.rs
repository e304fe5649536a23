//! # cpm-pf: the OMA CPM Participating Function, sans-IO
//!
//! (crate documentation in progress)

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod dispatch;
pub mod grammar;
pub mod headers;
mod leg;
pub mod msrp;
pub mod record;
pub mod script;
pub mod session;
mod time;

pub use dispatch::{route, Procedure, Route};
pub use leg::{Leg, Method, UnknownLeg};
pub use session::action::{Action, Actions, Diagnostic, Folder, ObjectRef};
pub use session::config::{Config, ConfigError, Kind, Policy, Preferences, Role, Side};
pub use session::input::Input;
pub use session::Session;
pub use time::Time;
