//! 8.3 Procedures in the terminating network: which procedure handles an incoming request
//! (SPEC.md TD-1 … TD-9). (in progress)

use core::fmt;

use crate::grammar::GrammarError;
use crate::headers::SipHeaders;
use crate::session::config::Policy;
use crate::Method;

/// The procedure that handles a request arriving in the terminating network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Procedure {
    /// 8.3.1.1 Pager Mode standalone message (TD-1).
    PagerMode,
    /// 8.3.1.2 Large Message Mode (TD-2).
    LargeMessage,
    /// 8.3.1.5.3 deferred-message notification (TD-3).
    DeferredNotification,
    /// 8.3.1.5.4 deliver deferred messages (TD-4).
    DeferredDelivery,
    /// 8.3.2.1 session invitation (TD-5).
    SessionInvitation,
    /// 8.3.3.1 file-transfer initiation (TD-6).
    FileTransfer,
    /// Not a CPM request.
    NotCpm,
}

impl Procedure {
    /// The name used in scenario scripts (`pager-mode`, `large-message`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Procedure::PagerMode => "pager-mode",
            Procedure::LargeMessage => "large-message",
            Procedure::DeferredNotification => "deferred-notification",
            Procedure::DeferredDelivery => "deferred-delivery",
            Procedure::SessionInvitation => "session-invitation",
            Procedure::FileTransfer => "file-transfer",
            Procedure::NotCpm => "not-cpm",
        }
    }
}

impl fmt::Display for Procedure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Route {
    /// The procedure.
    pub procedure: Procedure,
    /// A group session invitation (TD-8).
    pub group: bool,
    /// CPM services may be skipped (TD-7: an additional feature-tag value and the policy allows it).
    pub skip_services: bool,
}

/// A request whose CPM headers cannot be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid CPM request: {0}")]
pub struct DispatchError(pub GrammarError);

/// Classifies a request arriving in the terminating network.
pub fn route(method: Method, headers: &dyn SipHeaders, policy: Policy) -> Result<Route, DispatchError> {
    let _ = (method, headers, policy);
    todo!("dispatch")
}
