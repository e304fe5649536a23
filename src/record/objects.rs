//! Message Store objects rendered as RFC 5322 messages (REC-1). (in progress: temporary stand-ins)

use crate::headers::SipHeaders;
use crate::Method;

/// Temporary stand-in.
#[derive(Debug, Default)]
pub struct SessionInfo;
impl SessionInfo {
    /// Temporary stand-in.
    pub fn from_request(_m: Method, _h: &dyn SipHeaders, _b: &[u8]) -> SessionInfo {
        SessionInfo
    }
}
/// Temporary stand-in.
#[derive(Debug)]
pub struct IdGenerator;
impl IdGenerator {
    /// Temporary stand-in.
    pub fn new(_seed: u64) -> IdGenerator {
        IdGenerator
    }
}
/// Temporary stand-in.
pub fn is_disposition_notification(ct: Option<&str>, _body: &[u8]) -> bool {
    ct.is_some_and(|c| c.eq_ignore_ascii_case("message/imdn+xml"))
}
