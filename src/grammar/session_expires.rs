//! `Session-Expires` and `Min-SE` (RFC 4028 §4). (in progress)

use smallvec::SmallVec;

use super::{GenericParam, GrammarError};

/// Which side refreshes the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresher {
    /// `refresher=uac`.
    Uac,
    /// `refresher=uas`.
    Uas,
}

/// A parsed `Session-Expires` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionExpires<'a> {
    /// The session interval in seconds.
    pub delta_seconds: u32,
    /// The `refresher` parameter, if present.
    pub refresher: Option<Refresher>,
    /// Other parameters, in order.
    pub params: SmallVec<[GenericParam<'a>; 2]>,
}

impl<'a> SessionExpires<'a> {
    /// Parses a `Session-Expires` value, e.g. `4000;refresher=uac`.
    pub fn parse(_value: &'a str) -> Result<SessionExpires<'a>, GrammarError> {
        todo!("session-expires grammar")
    }
}
