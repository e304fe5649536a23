//! The `Reason` header (RFC 3326, RFC 9366). (in progress)

use smallvec::SmallVec;

use super::{GenericParam, GrammarError};

/// A cause value: a SIP status code for protocol `SIP`, a Q.850 cause for `Q.850`, and so on.
/// Open: any number is data, not an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cause(pub u32);

/// One `Reason` header field: one or more reason values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason<'a> {
    /// The values, in order.
    pub values: SmallVec<[ReasonValue<'a>; 2]>,
}

/// One `reason-value`: a protocol token and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReasonValue<'a> {
    /// The protocol token as written (`SIP`, `Q.850`, `RELEASE_CAUSE`, …).
    pub protocol: &'a str,
    /// The numeric cause, when `cause` is present and numeric.
    pub cause: Option<Cause>,
    /// The `text` parameter's content between the quotes, escapes kept as written.
    pub text: Option<&'a str>,
    /// Other parameters, in order.
    pub params: SmallVec<[GenericParam<'a>; 2]>,
}

impl<'a> ReasonValue<'a> {
    /// `true` when the protocol token is `p`, compared without regard to case.
    pub fn is_protocol(&self, p: &str) -> bool {
        self.protocol.eq_ignore_ascii_case(p)
    }
}

/// Parses one `Reason` header field value.
pub fn parse(_value: &str) -> Result<Reason<'_>, GrammarError> {
    todo!("reason grammar")
}
