//! The saved form of a [`Reassembler`] (docs/requirements.md SNAP-1, SNAP-2), for `Session::save` and
//! `Session::restore`.
//!
//! Written beside the reassembler because it reads and rebuilds its private state. Two things
//! are saved beyond the bytes received, so that a restored reassembler decides exactly as the
//! original would have: the *capacity* of each partial message's buffer, range set and content
//! type (LIM-1 counts capacities, so the `413` decisions depend on them), and the order of the
//! partial-message slots and of the remembered finished Message-IDs (eviction and forgetting
//! follow them).
//!
//! Restoring checks every bound and invariant before anything is allocated beyond what the
//! input itself holds ([`ReassemblerIn::build`]).

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use super::{
    to_u64, Finish, Key, Limits, Partial, RangeSet, Reassembler, Slot, FINISHED_MEMORY, INTERVAL_BYTES,
};
use crate::Leg;

/// Why a saved reassembler is refused (SNAP-2): the reason inside `Invalid::Reassembler`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReassemblyInvalid {
    /// Its limits are not the session's configured ones.
    #[error("the reassembler's limits differ from the configured ones")]
    LimitsDiffer,
    /// More partial messages than `max_partial`.
    #[error("{0} partial messages, more than max-partial")]
    TooManyPartials(usize),
    /// A partial message's buffer (its capacity) is larger than `max_message`, or holds more
    /// bytes than its capacity.
    #[error("a partial message's buffer is over max-message or its capacity")]
    BufferOverMessage,
    /// A partial message's received ranges are not sorted, disjoint and within its bytes, or
    /// its claimed total or end is over `max_message`.
    #[error("a partial message's received ranges or end are inconsistent")]
    BadRanges,
    /// A capacity is smaller than what it holds.
    #[error("a capacity is smaller than its content")]
    BadCapacity,
    /// The buffered-bytes count is not the sum of what the partial messages hold.
    #[error("buffered bytes {held} differ from what the partial messages hold ({sum})")]
    HeldMismatch {
        /// The count saved.
        held: usize,
        /// The sum of the partial messages' footprints.
        sum: usize,
    },
    /// More bytes buffered than `max_buffered`.
    #[error("{0} bytes buffered, more than max-buffered")]
    OverBuffered(usize),
    /// The same message twice among the partial messages or the finished ones, or in both.
    #[error("a Message-ID appears twice")]
    DuplicateMessage,
    /// More remembered finished Message-IDs than [`FINISHED_MEMORY`].
    #[error("{0} finished Message-IDs remembered, more than 1024")]
    TooManyFinished(usize),
    /// A message of a leg the session does not have.
    #[error("a message on leg {0}, which the session does not have")]
    NoSuchLeg(Leg),
    /// A slot was touched after the last chunk counted, or the hot slot is out of range.
    #[error("the chunk clock or the hot slot is inconsistent")]
    BadClock,
    /// The system allocator refused the memory the saved buffers reserve.
    #[error("the saved buffers could not be allocated")]
    Allocation,
}

/// Bytes, written as one length-prefixed block (postcard: varint length, then the bytes) rather
/// than element by element.
struct Bytes<'a>(&'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

/// Owned bytes read back from [`Bytes`].
pub(crate) struct ByteBuf(Vec<u8>);

impl<'de> Deserialize<'de> for ByteBuf {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ByteBuf, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = ByteBuf;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<ByteBuf, E> {
                Ok(ByteBuf(v.to_vec()))
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<ByteBuf, E> {
                Ok(ByteBuf(v))
            }
        }
        d.deserialize_byte_buf(Visitor)
    }
}

#[derive(Serialize)]
struct PartialOut<'a> {
    buf: Bytes<'a>,
    buf_capacity: usize,
    present: &'a [(u64, u64)],
    present_capacity: usize,
    total: Option<u64>,
    end: Option<u64>,
    content_type: Option<&'a str>,
    content_type_capacity: usize,
}

#[derive(Deserialize)]
struct PartialIn {
    buf: ByteBuf,
    buf_capacity: usize,
    present: Vec<(u64, u64)>,
    present_capacity: usize,
    total: Option<u64>,
    end: Option<u64>,
    content_type: Option<String>,
    content_type_capacity: usize,
}

#[derive(Serialize)]
struct SlotOut<'a> {
    key: &'a Key,
    partial: PartialOut<'a>,
    touched: u64,
}

#[derive(Deserialize)]
struct SlotIn {
    key: Key,
    partial: PartialIn,
    touched: u64,
}

/// A reassembler as it is saved: borrowed from the live one.
#[derive(Serialize)]
pub(crate) struct ReassemblerOut<'a> {
    limits: Limits,
    partials: Vec<SlotOut<'a>>,
    hot: usize,
    held: usize,
    /// The remembered finished messages, oldest first, each with how it ended.
    finished: Vec<(&'a Key, Finish)>,
    chunks: u64,
}

/// A reassembler as it is read back, not yet checked: [`ReassemblerIn::build`] checks it.
#[derive(Deserialize)]
pub(crate) struct ReassemblerIn {
    limits: Limits,
    partials: Vec<SlotIn>,
    hot: usize,
    held: usize,
    finished: Vec<(Key, Finish)>,
    chunks: u64,
}

impl Reassembler {
    /// The saved form of this reassembler.
    pub(crate) fn saved(&self) -> ReassemblerOut<'_> {
        let partials = self
            .partials
            .iter()
            .map(|s| SlotOut {
                key: &s.key,
                partial: PartialOut {
                    buf: Bytes(&s.partial.buf),
                    buf_capacity: s.partial.buf.capacity(),
                    present: &s.partial.present.intervals,
                    present_capacity: s.partial.present.intervals.capacity(),
                    total: s.partial.total,
                    end: s.partial.end,
                    content_type: s.partial.content_type.as_deref(),
                    content_type_capacity: s.partial.content_type.as_ref().map_or(0, String::capacity),
                },
                touched: s.touched,
            })
            .collect();
        let finished = self
            .finished_order
            .iter()
            .map(|k| (k, self.finished.get(k).copied().unwrap_or(Finish::Complete)))
            .collect();
        ReassemblerOut {
            limits: self.limits,
            partials,
            hot: self.hot,
            held: self.held,
            finished,
            chunks: self.chunks,
        }
    }
}

impl PartialIn {
    /// What the partial message will hold once rebuilt (its [`Partial::footprint`]), after
    /// checking it against the limits.
    fn checked_footprint(&self, limits: &Limits) -> Result<usize, ReassemblyInvalid> {
        use ReassemblyInvalid::*;
        let len = self.buf.0.len();
        if self.buf_capacity > limits.max_message || len > self.buf_capacity {
            return Err(BufferOverMessage);
        }
        let max = to_u64(limits.max_message);
        if self.total.is_some_and(|t| t > max) || self.end.is_some_and(|e| e > max) {
            return Err(BadRanges);
        }
        // Sorted, disjoint, non-adjacent, non-empty, and within the bytes written.
        let mut previous_end: Option<u64> = None;
        for &(from, to) in &self.present {
            if from >= to || to > to_u64(len) || previous_end.is_some_and(|e| e >= from) {
                return Err(BadRanges);
            }
            previous_end = Some(to);
        }
        let type_len = self.content_type.as_ref().map_or(0, String::len);
        if self.present.len() > self.present_capacity
            || type_len > self.content_type_capacity
            || (self.content_type.is_none() && self.content_type_capacity != 0)
        {
            return Err(BadCapacity);
        }
        let ranges = self.present_capacity.checked_mul(INTERVAL_BYTES).ok_or(BadCapacity)?;
        self.buf_capacity
            .checked_add(ranges)
            .and_then(|n| n.checked_add(self.content_type_capacity))
            .ok_or(BadCapacity)
    }

    /// The partial message, with the capacities it had (checked by
    /// [`PartialIn::checked_footprint`] first).
    fn build(self) -> Result<Partial, ReassemblyInvalid> {
        let mut buf = self.buf.0;
        let mut intervals = self.present;
        let alloc = ReassemblyInvalid::Allocation;
        // `try_reserve_exact` on a vector whose capacity is its length gives exactly the
        // capacity asked for (the same call the reassembler makes).
        buf.shrink_to_fit();
        buf.try_reserve_exact(self.buf_capacity - buf.len()).map_err(|_| alloc)?;
        intervals.shrink_to_fit();
        intervals.try_reserve_exact(self.present_capacity - intervals.len()).map_err(|_| alloc)?;
        let content_type = match self.content_type {
            Some(t) => {
                let mut s = String::new();
                s.try_reserve_exact(self.content_type_capacity).map_err(|_| alloc)?;
                s.push_str(&t);
                Some(s)
            }
            None => None,
        };
        let exact = buf.capacity() == self.buf_capacity
            && intervals.capacity() == self.present_capacity
            && content_type.as_ref().map_or(0, String::capacity) == self.content_type_capacity;
        if !exact {
            // An allocator that rounds capacities up would change the LIM-1 account.
            return Err(alloc);
        }
        Ok(Partial { buf, present: RangeSet { intervals }, total: self.total, end: self.end, content_type })
    }
}

impl ReassemblerIn {
    /// Checks the saved reassembler against the session's limits and legs (SNAP-2) and
    /// rebuilds it. Nothing beyond what the input holds is allocated before every check passed,
    /// and then at most `max_buffered` bytes.
    pub(crate) fn build(
        self,
        limits: &Limits,
        has_leg: impl Fn(Leg) -> bool,
    ) -> Result<Reassembler, ReassemblyInvalid> {
        use ReassemblyInvalid::*;
        if self.limits != *limits {
            return Err(LimitsDiffer);
        }
        if self.partials.len() > limits.max_partial {
            return Err(TooManyPartials(self.partials.len()));
        }
        if self.finished.len() > FINISHED_MEMORY {
            return Err(TooManyFinished(self.finished.len()));
        }
        let mut sum = 0usize;
        let mut keys = std::collections::BTreeSet::new();
        for slot in &self.partials {
            sum = sum.saturating_add(slot.partial.checked_footprint(limits)?);
            if slot.touched > self.chunks {
                return Err(BadClock);
            }
            if !keys.insert(slot.key) {
                return Err(DuplicateMessage);
            }
        }
        if sum != self.held {
            return Err(HeldMismatch { held: self.held, sum });
        }
        if self.held > limits.max_buffered {
            return Err(OverBuffered(self.held));
        }
        // The hot slot is one that exists or existed: below `max_partial` (0 when none ever did).
        if self.hot != 0 && self.hot >= limits.max_partial {
            return Err(BadClock);
        }
        let mut finished = BTreeMap::new();
        let mut finished_order = VecDeque::new();
        for (key, how) in self.finished {
            if keys.contains(&key) || finished.insert(key, how).is_some() {
                return Err(DuplicateMessage);
            }
            finished_order.push_back(key);
        }
        if let Some(leg) = keys.iter().chain(finished_order.iter()).map(|k| k.0).find(|&l| !has_leg(l)) {
            return Err(NoSuchLeg(leg));
        }
        let mut partials = Vec::new();
        partials.try_reserve_exact(self.partials.len()).map_err(|_| Allocation)?;
        for slot in self.partials {
            partials.push(Slot { key: slot.key, partial: slot.partial.build()?, touched: slot.touched });
        }
        Ok(Reassembler {
            limits: *limits,
            partials,
            hot: self.hot,
            held: self.held,
            finished,
            finished_order,
            chunks: self.chunks,
        })
    }
}
