//! Reassembly of MSRP chunks into messages (RFC 4975 §7.1, SPEC.md MSRP-1, LIM-1). (in progress)

use core::fmt;

use smallvec::SmallVec;

use super::SendRequest;
use crate::grammar::message_id::MessageId;
use crate::Leg;

/// Limits on what one session may buffer (SPEC.md LIM-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest reassembled message, in bytes (default 1 MiB).
    pub max_message: usize,
    /// Most messages that may be partially received at once (default 16).
    pub max_partial: usize,
    /// Most bytes of chunks buffered for partial messages (default 4 MiB).
    pub max_buffered: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_message: 1 << 20, max_partial: 16, max_buffered: 4 << 20 }
    }
}

/// A complete, reassembled message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The leg it arrived on.
    pub leg: Leg,
    /// Its Message-ID.
    pub id: MessageId,
    /// Its content type (of the first chunk that carried one), if any.
    pub content_type: Option<String>,
    /// The whole message body.
    pub body: Vec<u8>,
}

/// What a chunk did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted; the message is not complete yet.
    Partial,
    /// A body-less `1-0/0` keep-alive SEND: accepted, nothing to store.
    KeepAlive,
    /// The chunk completed its message.
    Complete(Message),
    /// The chunk aborted its message (`#`); what was buffered is discarded.
    Aborted,
    /// The chunk is for a message already complete or aborted: it changes nothing.
    Ignored,
    /// The chunk is refused with this MSRP status: 400 (cannot be understood) or 413 (over a limit).
    Rejected(u16),
}

/// Something worth reporting about a chunk (never changes the outcome).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Note {
    /// Placeholder until the reassembler lands.
    Other(&'static str),
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::Other(s) => f.write_str(s),
        }
    }
}

/// The result of feeding one chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// What the chunk did.
    pub outcome: Outcome,
    /// What is worth reporting.
    pub notes: SmallVec<[Note; 2]>,
}

/// Reassembles the chat messages of one session, per leg and Message-ID.
#[derive(Debug, Clone)]
pub struct Reassembler {
    limits: Limits,
}

impl Reassembler {
    /// A reassembler with the given limits.
    pub fn new(limits: Limits) -> Reassembler {
        Reassembler { limits }
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Feeds one SEND received on `leg`.
    pub fn receive(&mut self, _leg: Leg, _send: &SendRequest<'_>) -> Receipt {
        todo!("reassembler")
    }

    /// Bytes currently buffered for partial messages.
    pub fn buffered_bytes(&self) -> usize {
        0
    }

    /// Messages currently partially received.
    pub fn partial_messages(&self) -> usize {
        0
    }
}
