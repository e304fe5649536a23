//! The Participating Function session machine: 8.2.2.3 (BYE), 8.2.3.2 (file-transfer closing),
//! 8.3.2.4 (session-timer expiry, RFC 4028) and the driving of the recorder (8.5.2).
//! (in progress)

pub mod action;
pub mod config;
pub mod input;

use crate::Time;
use action::Actions;
use config::{Config, ConfigError};
use input::Input;

/// One CPM session as seen by the Participating Function serving one user.
#[derive(Debug)]
pub struct Session {
    config: Config,
}

impl Session {
    /// A new, established session: every leg is up and (for a B2BUA) has media.
    pub fn new(config: Config, now: Time) -> Result<Session, ConfigError> {
        let _ = now;
        Ok(Session { config })
    }

    /// The configuration the session was created with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Handles one input at time `now`.
    pub fn handle<'a>(&mut self, input: Input<'a>, now: Time) -> Actions<'a> {
        let _ = (input, now);
        todo!("session machine")
    }

    /// The earliest pending deadline, if any.
    pub fn poll_timeout(&self) -> Option<Time> {
        None
    }

    /// Fires every deadline that is due at `now`; an early or repeated call does nothing.
    pub fn handle_timeout(&mut self, now: Time) -> Actions<'static> {
        let _ = now;
        Actions::new()
    }

    /// `true` once the session is over.
    pub fn is_terminated(&self) -> bool {
        false
    }
}
