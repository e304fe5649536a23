//! Reassembly of MSRP chunks into messages (RFC 4975 §7.1 and §7.1.1; docs/requirements.md MSRP-1, REC-5i,
//! LIM-1).
//!
//! A [`Reassembler`] takes the SEND requests of one session, one at a time, and answers each
//! with a [`Receipt`]: what the chunk did ([`Outcome`]) and what is worth reporting ([`Note`]).
//!
//! # The rules (docs/requirements.md MSRP-1), and where each one lives
//!
//! - Chunks are grouped per leg and Message-ID; the same ID on two legs is two messages
//!   ([`Reassembler::receive`] keys everything by `(Leg, MessageId)`).
//! - A chunk that cannot be understood (missing or bad Message-ID, range-start 0, range-end before
//!   range-start, missing end flag, unparseable Byte-Range) is answered `400` and dropped
//!   ([`Outcome::Rejected`], [`Note::Malformed`]).
//! - A chunk without Byte-Range holds the whole message (`1-*/*`); a range end of `*` means the
//!   chunk ends where its body ends. The body's length is authoritative: a numeric range end or a
//!   total that disagrees with it is reported ([`Note::RangeEndMismatch`],
//!   [`Note::TotalMismatch`]) and the body wins. (RFC 4975's own §4 example says `1-25/25` for a
//!   23-octet body.)
//! - A message is complete when a `$` chunk has been seen and every byte up to the end is
//!   present. The end is where the latest `$` chunk's body ends: that is the total when the two
//!   agree, and when they do not, MSRP-1 says the `$` chunk wins either way (one ending before a
//!   claimed total ends the message there; one ending after it ends the message where its body
//!   ends); of two `$` chunks the later one wins.
//! - Overlapping bytes: the later chunk wins and a difference is reported
//!   ([`Note::OverlapDiffers`]).
//! - `#` aborts the message: what was buffered is discarded ([`Outcome::Aborted`]).
//! - A chunk for a message already complete or aborted changes nothing ([`Outcome::Ignored`]);
//!   every chunk of a message refused with `413` is answered `413` again. The last
//!   [`FINISHED_MEMORY`] finished Message-IDs are remembered, so memory stays bounded.
//! - The content type is that of the first chunk carrying one, in arrival order.
//! - The body-less `1-0/0` SEND is a keep-alive ([`Outcome::KeepAlive`]), never stored.
//! - A message complete in its first chunk never counts as partial: it is returned at once,
//!   without touching the partial-message or buffer limits.
//!
//! # Limits (docs/requirements.md LIM-1)
//!
//! A message over [`Limits::max_message`], or whose claimed total or received range already is,
//! a new partial message beyond [`Limits::max_partial`], or a chunk that would take the buffered
//! bytes beyond [`Limits::max_buffered`]: the message is discarded whole, the chunk answered
//! `413` and reported ([`Note::OverLimit`]); the session goes on. The partial-message limit is
//! per session, as docs/requirements.md LIM-1 says, and fair between legs (a decision where docs/requirements.md is
//! silent): when every slot is taken, a new message of a leg holding fewer than half of them
//! takes the slot of the least recently active partial message of a leg holding more than half,
//! which is discarded whole and reported ([`Note::Evicted`]); its later chunks get `413`. So a
//! peer that opens messages and never finishes them cannot starve the other legs.
//!
//! Memory: [`Reassembler::buffered_bytes`] counts every byte the reassembler holds for partial
//! messages that depends on the peer (chunk buffers, the sets of received ranges, content types)
//! and is never above `max_buffered`; the checks happen *before* anything is allocated, and no
//! allocation is ever sized by a declared number above `max_message`. When the total is known,
//! the buffer is reserved once at that size; when it is not, it grows geometrically within the
//! limits. Each body byte is copied once, from the chunk into the buffer (the buffer becomes the
//! message body): chunks in order are appended, and only the gap before a chunk that arrives
//! early is zero-filled first (a chunk that fills the gap later is written over the zeros).
//!
//! Cost per chunk: the Message-ID of the message the previous chunk went to is compared as bytes
//! (no parse), other chunks are looked up among at most [`Limits::max_partial`] partial messages,
//! the received ranges take one binary search (none for a chunk after the last received byte),
//! and the buffered-bytes count is kept as a running sum. A chunk that fits the reserved buffer,
//! overlaps nothing received and needs no more room for its range (in order or not, same
//! total, no first content type) skips the rest of the bookkeeping; when it is for the previous
//! chunk's message and would draw no note, it is written before any of it, its Byte-Range read
//! by the quick parse inlined. Finished messages are looked up only for a chunk of no partial
//! message.
//!
//! Slices: a chunk's positions are checked once, against the message limit, before any of them
//! is used (a position that does not fit is a `413`, [`Note::OverLimit`]); below that, every
//! slice is cut with `split_at` at an index clamped to the slice's own length, so no input can
//! make one panic, and none falls back on an empty slice to hide a bad range.

use core::fmt;
use std::collections::{BTreeMap, VecDeque};

use smallvec::SmallVec;

use super::{Continuation, SendRequest};
use crate::grammar::byte_range::ByteRange;
use crate::grammar::message_id::MessageId;
use crate::grammar::GrammarError;
use crate::grammar::{eq_bytes, trim};
use crate::Leg;

/// The saved form (`Session::save`, `Session::restore`).
#[cfg(feature = "serde")]
pub(crate) mod snapshot;

/// How many finished (complete, aborted or refused) Message-IDs a reassembler remembers
/// (docs/requirements.md MSRP-1). Older ones are forgotten first.
pub const FINISHED_MEMORY: usize = 1024;

/// MSRP status for a chunk that cannot be understood (RFC 4975 §7.2).
const BAD_REQUEST: u16 = 400;
/// MSRP status for "stop sending this message" (RFC 4975 §7.2, docs/requirements.md LIM-1).
const TOO_LARGE: u16 = 413;

/// Limits on what one session may buffer (docs/requirements.md LIM-1).
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest reassembled message, in bytes (default 1 MiB).
    pub max_message: usize,
    /// Most messages that may be partially received at once, over all legs (default 16). When
    /// they are all taken, a leg that holds fewer than half of them may still open a message: the
    /// least recently active partial message of a leg holding more than half is evicted for it
    /// ([`Note::Evicted`]), so that one leg's never-finished messages cannot starve another.
    pub max_partial: usize,
    /// Most bytes of chunks buffered for partial messages (default 4 MiB).
    pub max_buffered: usize,
}

impl Limits {
    /// The defaults: 1 MiB messages, 16 partial messages, 4 MiB buffered.
    pub const DEFAULT: Limits = Limits { max_message: 1 << 20, max_partial: 16, max_buffered: 4 << 20 };
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::DEFAULT
    }
}

/// A complete, reassembled message.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
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

impl Outcome {
    /// The MSRP status the chunk is answered with (RFC 4975 §7.2): 200 unless it was refused.
    pub fn status(&self) -> u16 {
        match self {
            Outcome::Rejected(status) => *status,
            Outcome::Partial
            | Outcome::KeepAlive
            | Outcome::Complete(_)
            | Outcome::Aborted
            | Outcome::Ignored => 200,
        }
    }
}

/// Which LIM-1 limit a message went over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Limit {
    /// [`Limits::max_message`]: the message's claimed total or received range is too large.
    Message,
    /// [`Limits::max_partial`]: too many messages are partially received already.
    Partial,
    /// [`Limits::max_buffered`]: the session's buffered chunks would take too much memory.
    Buffered,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Limit::Message => "message size",
            Limit::Partial => "partial messages",
            Limit::Buffered => "buffered bytes",
        })
    }
}

/// Why a chunk cannot be understood (answered `400`, docs/requirements.md MSRP-1).
///
/// An error type (`std::error::Error`), so an embedder can log it, wrap it or match on it. The
/// two `Bad…` variants show their grammar error, which says at which byte the value went wrong
/// and what was expected (in the message, not as a [`source`](std::error::Error::source), so
/// that it is printed once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Malformed {
    /// The SEND has no `Message-ID`.
    #[error("no Message-ID")]
    MissingMessageId,
    /// The `Message-ID` is not a 4–32 character ident.
    #[error("the Message-ID is not a 4–32 character ident ({0})")]
    BadMessageId(GrammarError),
    /// The `Byte-Range` does not parse (includes range-start 0 and range-end before start).
    #[error("the Byte-Range does not parse ({0})")]
    BadByteRange(GrammarError),
    /// The end-line's continuation flag is missing or not one of `$ + #`.
    #[error("no continuation flag ($, + or #) in the end-line")]
    MissingContinuation,
}

/// Something worth reporting about a chunk (never changes the outcome).
///
/// Positions are 1-based, as in `Byte-Range`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Note {
    /// The chunk cannot be understood; it was answered `400` and dropped.
    Malformed(Malformed),
    /// The Byte-Range's numeric end disagrees with the body's length; the body wins, so the
    /// chunk ends at `body_end` (`start + body length - 1`).
    RangeEndMismatch {
        /// The range-start.
        start: u64,
        /// The range-end the chunk declared.
        declared_end: u64,
        /// Where the chunk's body actually ends.
        body_end: u64,
    },
    /// A chunk's body ends somewhere else than the claimed total allows: a `$` chunk ending
    /// before or after it, or any chunk ending after it. The body wins.
    TotalMismatch {
        /// The total claimed in Byte-Range.
        total: u64,
        /// Where the chunk's body ends.
        body_end: u64,
    },
    /// A chunk claimed a different total than an earlier chunk of the message; the later claim
    /// is kept.
    TotalChanged {
        /// The total claimed before.
        was: u64,
        /// The total claimed now.
        now: u64,
    },
    /// Overlapping bytes differ from those received before; the later chunk's bytes were kept.
    OverlapDiffers {
        /// The first differing position.
        first: u64,
        /// The last differing position.
        last: u64,
    },
    /// The message went over a limit; it was discarded whole and the chunk answered `413`.
    OverLimit {
        /// Which limit.
        limit: Limit,
        /// What the message claimed or needed (bytes, or partial messages for
        /// [`Limit::Partial`]); `u64::MAX` when a range overflows.
        needed: u64,
        /// What the limit allows.
        allowed: u64,
    },
    /// Every partial-message slot was taken and this chunk's leg held fewer than half of them:
    /// the least recently active partial message of the leg holding the most (more than half)
    /// was discarded whole to make room ([`Limits::max_partial`]); its later chunks are
    /// answered `413`.
    Evicted {
        /// The evicted message's leg.
        leg: Leg,
        /// The evicted message's Message-ID.
        id: MessageId,
    },
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::Malformed(m) => write!(f, "chunk cannot be understood: {m}"),
            Note::RangeEndMismatch { start, declared_end, body_end } => write!(
                f,
                "Byte-Range says {start}-{declared_end} but the body ends at {body_end}; the body wins"
            ),
            Note::TotalMismatch { total, body_end } => {
                write!(f, "Byte-Range total is {total} but the body ends at {body_end}; the body wins")
            }
            Note::TotalChanged { was, now } => write!(f, "Byte-Range total changed from {was} to {now}"),
            Note::OverlapDiffers { first, last } => {
                write!(f, "overlapping bytes {first}-{last} differ; the later chunk wins")
            }
            Note::OverLimit { limit, needed, allowed } => {
                write!(f, "over the {limit} limit ({needed} > {allowed}): message discarded, 413")
            }
            Note::Evicted { leg, id } => write!(
                f,
                "partial message {id} on {leg} evicted for a message of a leg holding fewer partial messages; its chunks get 413"
            ),
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

impl Receipt {
    fn new(outcome: Outcome) -> Receipt {
        Receipt { outcome, notes: SmallVec::new() }
    }

    fn with(outcome: Outcome, notes: SmallVec<[Note; 2]>) -> Receipt {
        Receipt { outcome, notes }
    }

    fn malformed(m: Malformed) -> Receipt {
        let mut notes = SmallVec::new();
        notes.push(Note::Malformed(m));
        Receipt { outcome: Outcome::Rejected(BAD_REQUEST), notes }
    }
}

/// How a message the reassembler no longer buffers ended.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Finish {
    Complete,
    Aborted,
    Refused,
}

type Key = (Leg, MessageId);

/// The set of received byte positions of one message: sorted, disjoint, non-adjacent half-open
/// intervals `[from, to)` of 0-based offsets.
///
/// A sorted `Vec` of intervals rather than a bitmap: an in-order or mildly reordered message is
/// one or two intervals whatever its size, where a bitmap would cost `max_message / 8` bytes per
/// partial message. Its worst case (one interval per chunk) is counted in the buffered bytes
/// and grown only when the budget allows, so a peer fragmenting on purpose meets `413`.
#[derive(Debug, Clone, Default)]
struct RangeSet {
    intervals: Vec<(u64, u64)>,
}

const INTERVAL_BYTES: usize = core::mem::size_of::<(u64, u64)>();

impl RangeSet {
    /// Bytes held.
    fn footprint(&self) -> usize {
        self.intervals.capacity().saturating_mul(INTERVAL_BYTES)
    }

    /// Bytes to reserve before an insert may add one interval (0 when there is room).
    fn growth_needed(&self) -> usize {
        if self.intervals.len() < self.intervals.capacity() {
            0
        } else {
            self.growth_capacity().saturating_mul(INTERVAL_BYTES)
        }
    }

    fn growth_capacity(&self) -> usize {
        self.intervals.len().max(2)
    }

    /// Makes room for one more interval (call after a successful budget check).
    fn reserve_one(&mut self) -> bool {
        if self.intervals.len() < self.intervals.capacity() {
            return true;
        }
        let extra = self.growth_capacity();
        self.intervals.try_reserve_exact(extra).is_ok()
    }

    /// The index of the first interval that ends at or after `from`: the intervals before it
    /// neither overlap nor touch anything starting at `from`. (The one binary search a chunk
    /// costs; what follows walks forward from here.)
    fn first_reaching(&self, from: u64) -> usize {
        // A chunk at or after the last interval's end (every chunk of an in-order message) needs
        // no search.
        let n = self.intervals.len();
        match self.intervals.as_slice() {
            [] => 0,
            [.., (_, last_end)] if *last_end < from => n,
            [_] => n - 1,
            [.., (_, before_end), _] if *before_end < from => n - 1,
            _ => self.search_from_estimate(from),
        }
    }

    /// [`RangeSet::first_reaching`] for a chunk among the ranges: shuffled chunks land anywhere,
    /// and a binary search over their ranges mispredicts at every step. The ranges of one
    /// message spread over it about evenly, so the index is estimated from the position and
    /// walked a few steps; only when that fails does a binary search finish the job.
    fn search_from_estimate(&self, from: u64) -> usize {
        const STEPS: usize = 4;
        let v = &self.intervals;
        let n = v.len();
        let reaches = |i: usize| v.get(i).is_some_and(|&(_, e)| e >= from);
        let (Some(&(first, _)), Some(&(_, last))) = (v.first(), v.last()) else {
            return 0;
        };
        let span = last.saturating_sub(first).max(1);
        let offset = from.saturating_sub(first);
        let Some(scaled) = offset.checked_mul(u64::try_from(n).unwrap_or(u64::MAX)) else {
            return v.partition_point(|&(_, e)| e < from); // a message far beyond any default limit
        };
        let guess = usize::try_from(scaled / span).unwrap_or(n).min(n.saturating_sub(1));
        let mut i = guess;
        if reaches(i) {
            // The answer is at or before `i`.
            for _ in 0..STEPS {
                if i == 0 || !reaches(i - 1) {
                    return i;
                }
                i -= 1;
            }
            // `i < guess < n`: the split cannot fail (clamped all the same).
            v.split_at(i.min(n)).0.partition_point(|&(_, e)| e < from)
        } else {
            // The answer is after `i`.
            i += 1;
            for _ in 0..STEPS {
                if i >= n || reaches(i) {
                    return i;
                }
                i += 1;
            }
            // The loop left `i <= n`: the split cannot fail (clamped all the same).
            let i = i.min(n);
            i + v.split_at(i).1.partition_point(|&(_, e)| e < from)
        }
    }

    /// The intervals from index `lo` on, with `lo` clamped to their number: `lo` comes from
    /// [`RangeSet::first_reaching`], which never returns more, so the clamp only makes the
    /// split provably unable to fail.
    fn starting_at(&self, lo: usize) -> (usize, &[(u64, u64)]) {
        let lo = lo.min(self.intervals.len());
        (lo, self.intervals.split_at(lo).1)
    }

    /// Adds `[from, to)`, merging with what it touches; `lo` is [`RangeSet::first_reaching`]`(from)`.
    /// Never grows by more than one interval.
    fn insert_at(&mut self, lo: usize, from: u64, to: u64) {
        if from >= to {
            return;
        }
        // The intervals from `lo` that start at or before `to` touch or overlap [from, to).
        let (lo, tail) = self.starting_at(lo);
        let n = tail.iter().take_while(|&&(s, _)| s <= to).count();
        let touching = tail.split_at(n).0; // n <= tail.len()
        match (touching.first(), touching.last()) {
            (Some(&(s, _)), Some(&(_, e))) => {
                // `lo + n <= len`: the touching intervals are replaced by their union with [from, to).
                self.intervals.splice(lo..lo + n, [(s.min(from), e.max(to))]);
            }
            _ => self.intervals.insert(lo, (from, to)),
        }
    }

    /// Extends the last interval to `to` when it ends at `from`; `false`, with nothing changed,
    /// otherwise.
    fn extend_last(&mut self, from: u64, to: u64) -> bool {
        match self.intervals.last_mut() {
            Some(last) if last.1 == from => {
                last.1 = to;
                true
            }
            _ => false,
        }
    }

    /// Adds the non-empty `[from, to)` when it overlaps no interval and needs no more room than
    /// the set has (it extends or joins the intervals it touches, or takes a free place);
    /// `None`, with nothing changed, otherwise. [`Partial::fill`]'s step.
    fn add_apart(&mut self, from: u64, to: u64) -> Option<()> {
        let lo = self.first_reaching(from);
        let v = &mut self.intervals;
        let room = v.len() < v.capacity();
        match v.get(lo).copied() {
            // After every interval, touching none.
            None if room => v.push((from, to)),
            // Right after interval `lo`: it grows, and takes in the next one if the chunk
            // reaches it.
            Some((_, e)) if e == from => match v.get(lo + 1).copied() {
                Some((next, _)) if next < to => return None,
                Some((next, next_end)) if next == to => {
                    v.get_mut(lo)?.1 = next_end;
                    v.remove(lo + 1);
                }
                _ => v.get_mut(lo)?.1 = to,
            },
            // Right before interval `lo` (which starts after `from`: it ends at or after it).
            Some((s, _)) if s == to => v.get_mut(lo)?.0 = from,
            // Before interval `lo`, apart from it.
            Some((s, _)) if s > to && room => v.insert(lo, (from, to)),
            // An overlap, or no room.
            _ => return None,
        }
        Some(())
    }

    /// Adds `[from, to)`, merging with what it touches.
    #[cfg(test)]
    fn insert(&mut self, from: u64, to: u64) {
        self.insert_at(self.first_reaching(from), from, to);
    }

    /// `true` when `[0, end)` is entirely present.
    fn covers_prefix(&self, end: u64) -> bool {
        end == 0 || self.intervals.first().is_some_and(|&(s, e)| s == 0 && e >= end)
    }

    /// The intervals that intersect `[from, to)`, clipped to it; `lo` is
    /// [`RangeSet::first_reaching`]`(from)`.
    fn intersections_at(&self, lo: usize, from: u64, to: u64) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.starting_at(lo)
            .1
            .iter()
            .take_while(move |&&(s, _)| s < to)
            .map(move |&(s, e)| (s.max(from), e.min(to)))
            .filter(|&(a, b)| a < b)
    }

    /// The intervals that intersect `[from, to)`, clipped to it.
    #[cfg(test)]
    fn intersections(&self, from: u64, to: u64) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.intersections_at(self.first_reaching(from), from, to)
    }
}

/// One partially received message.
#[derive(Debug, Clone, Default)]
struct Partial {
    /// Message bytes by 0-based offset. The capacity is what is reserved for the message; the
    /// length is how far bytes were written (received bytes, and zeros in the gaps before a chunk
    /// that arrived early), so in-order chunks are appended without zero-filling first.
    buf: Vec<u8>,
    /// Which offsets of `buf` hold received bytes (all below `buf.len()`).
    present: RangeSet,
    /// The latest claimed total.
    total: Option<u64>,
    /// Where the latest `$` chunk's body ends (1-based last position; 0 for an empty message).
    end: Option<u64>,
    /// The content type of the first chunk carrying one.
    content_type: Option<String>,
}

impl Partial {
    /// Peer-dependent bytes held for this message.
    fn footprint(&self) -> usize {
        // The buffer is reserved with `try_reserve_exact`, so its capacity is what was asked
        // for; counting the capacity keeps the account honest should an allocator round up.
        self.buf
            .capacity()
            .saturating_add(self.present.footprint())
            .saturating_add(self.content_type.as_ref().map_or(0, String::capacity))
    }

    // Why this fast path is kept beside the general one (`claim_total`, `reserve_for`,
    // `write_chunk`): `cargo bench --bench msrp`, 1 MiB in 2 KiB chunks, each figure the time
    // as a multiple of a memcpy of the same MiB in the same run, median of 10–15 runs
    // alternating a build with and a build without it (2 shared cores, load 3–5, so single
    // runs scatter by ±40 %):
    //
    // | figure                   | with append | general path only |
    // |--------------------------|-------------|-------------------|
    // | reassemble-in-order      | 1.37 ×      | 1.97 × (+44 %)    |
    // | parse+reassemble         | 3.79 ×      | 4.44 × (+17 %)    |
    // | reassemble-shuffled      | ≈ 2.5 ×     | ≈ 2.8 × (noise: never taken) |
    //
    // In-order reassembly, a headline figure, gains over 20 %; keep it until a quieter
    // measurement says otherwise (fastest single runs: 65.7 µs against 75.1 µs, 13 %). Since
    // then it is also tried early, for the previous chunk's message, by
    // `Reassembler::receive_inner`. It was the append alone then; since it also takes chunks out
    // of order that overlap nothing (`fill`), three alternating runs on a quiet machine
    // (2026-12-07, load below 1): reassemble-shuffled 3.05 to 3.07 × memcpy with it against
    // 3.70 to 3.73 × with the append alone (+21 %, what takes it over the 0.30 × goal), in
    // order unchanged (1.67 to 1.68 × against 1.67 to 1.81 ×).
    /// The common case of a chunk, taken without the general bookkeeping: it fits the reserved
    /// buffer, overlaps no byte received before, finds room for its range in the received set
    /// as it is ([`RangeSet::add_apart`]), claims no other total and brings no first content
    /// type. Then nothing needs comparing, nothing grows (so no limit can be crossed), and no
    /// note can arise beyond those of [`Reassembler::check`]. A chunk in order is appended; one
    /// that arrived early is written past a zero-filled gap, one that fills a gap over the zeros.
    /// Says whether the message is now complete; `None` (nothing done) for any other chunk.
    #[inline(always)]
    fn fill(
        &mut self,
        range: &ByteRange,
        is_last: bool,
        body: &[u8],
        content_type: Option<&str>,
    ) -> Option<bool> {
        #[cfg(test)]
        if tests::PATHS.with(core::cell::Cell::get) == tests::Paths::General {
            return None;
        }
        // `start >= 1` (grammar), so `start - 1` wraps only for a start no chunk may have.
        let from = usize::try_from(range.start.wrapping_sub(1)).ok()?;
        let to = from.checked_add(body.len())?;
        let same_total = range.total.is_none() || range.total == self.total;
        let no_new_type = content_type.is_none() || self.content_type.is_some();
        if body.is_empty() || to > self.buf.capacity() || !same_total || !no_new_type {
            return None;
        }
        // A chunk in order (right after the last received range, where the written bytes end)
        // is the common case: its range extends the last one and its bytes are appended.
        if from == self.buf.len() && self.present.extend_last(to_u64(from), to_u64(to)) {
            self.buf.extend_from_slice(body);
        } else {
            self.present.add_apart(to_u64(from), to_u64(to))?;
            self.write(from, body);
        }
        if is_last {
            self.end = Some(to_u64(to));
        }
        Some(self.end.is_some_and(|end| self.present.covers_prefix(end)))
    }

    /// Steps 3 and 4 of [`Reassembler::place`] for a chunk of this message: takes its claimed
    /// total, reserves what it needs within `budget` (what the other partial messages leave of
    /// [`Limits::max_buffered`]), writes it, and says whether the message is now complete.
    /// `Err(needed)`, the bytes this message would hold, when it does not fit: then nothing
    /// was written.
    fn store(
        &mut self,
        limits: &Limits,
        chunk: &Chunk<'_>,
        budget: usize,
        notes: &mut SmallVec<[Note; 2]>,
    ) -> Result<bool, usize> {
        if let Some(complete) = self.fill(&chunk.range, chunk.is_last, chunk.body, chunk.content_type) {
            return Ok(complete);
        }
        self.claim_total(chunk.range.total, notes);
        self.reserve_for(limits, chunk, budget)?;
        if let Some(diff) = self.write_chunk(chunk) {
            notes.push(diff);
        }
        if chunk.is_last {
            // Of two `$` chunks the later one wins; it ends the message where its body ends.
            self.end = Some(chunk.body_end);
        }
        Ok(self.end.is_some_and(|end| self.present.covers_prefix(end)))
    }

    /// The claimed total: the later claim is kept, a change is reported.
    fn claim_total(&mut self, total: Option<u64>, notes: &mut SmallVec<[Note; 2]>) {
        if let Some(now) = total {
            if let Some(was) = self.total.filter(|&was| was != now) {
                notes.push(Note::TotalChanged { was, now });
            }
            self.total = Some(now);
        }
    }

    /// Step 3: reserves the buffer, the received-range set and the content type the chunk needs,
    /// all checked against `budget` before anything is allocated. `Err(needed)`, the bytes this
    /// message would hold, when they do not fit or the allocator says no.
    fn reserve_for(&mut self, limits: &Limits, chunk: &Chunk<'_>, budget: usize) -> Result<(), usize> {
        let before = self.footprint();
        let have = self.buf.capacity();
        let write_to = if chunk.body.is_empty() { 0 } else { chunk.to };
        let (target, fallback) = buffer_plan(limits, self, write_to, budget);
        let range_growth = if chunk.body.is_empty() { 0 } else { self.present.growth_needed() };
        let type_growth = match (&self.content_type, chunk.content_type) {
            (None, Some(t)) => t.len(),
            _ => 0,
        };
        let need_with = |capacity: usize| {
            let growth = capacity.saturating_sub(have);
            before.saturating_add(growth).saturating_add(range_growth).saturating_add(type_growth)
        };
        let needed = need_with(target);
        let target = match fallback {
            _ if needed <= budget => target,
            // Geometric growth may not fit where the bare need does.
            Some(minimal) if need_with(minimal) <= budget => minimal,
            _ => return Err(needed),
        };
        if !reserve(&mut self.buf, target) || (range_growth > 0 && !self.present.reserve_one()) {
            // The system allocator said no: the message cannot be held.
            return Err(needed);
        }
        Ok(())
    }

    /// Step 4: takes the first content type, then compares the bytes the chunk overlaps with
    /// what is there (a difference is the note returned), writes the body (the later chunk wins)
    /// and records its range. [`Partial::reserve_for`] made room for all of it.
    fn write_chunk(&mut self, chunk: &Chunk<'_>) -> Option<Note> {
        if let (None, Some(t)) = (&self.content_type, chunk.content_type) {
            self.content_type = Some(t.to_owned());
        }
        if chunk.body.is_empty() {
            return None;
        }
        let (from, to) = (to_u64(chunk.from), to_u64(chunk.to)); // to: exclusive 0-based end
        let lo = self.present.first_reaching(from);
        let diff = differing(self, lo, chunk);
        self.write(chunk.from, chunk.body);
        self.present.insert_at(lo, from, to);
        diff
    }

    /// Writes `body` at 0-based offset `from`: zeros fill a gap before it, bytes already written
    /// are overwritten, the rest is appended. The capacity was reserved by the caller.
    fn write(&mut self, from: usize, body: &[u8]) {
        if from > self.buf.len() {
            self.buf.resize(from, 0);
        }
        // `from <= len` now, and `overlap` is at most both lengths: no split can fail.
        let (_, written) = self.buf.split_at_mut(from);
        let overlap = written.len().min(body.len());
        let (old, new) = body.split_at(overlap);
        let (overwritten, _) = written.split_at_mut(overlap);
        overwritten.copy_from_slice(old);
        self.buf.extend_from_slice(new);
    }
}

/// A chunk that was understood, as [`Reassembler::place`] and its steps see it.
#[derive(Debug, Clone, Copy)]
struct Chunk<'s> {
    range: ByteRange,
    /// Where its body starts, 0-based (`start - 1`).
    from: usize,
    /// Where its body ends, 0-based exclusive; equal to `body_end`.
    to: usize,
    /// Where its body ends, 1-based inclusive (`start + body length - 1`).
    body_end: u64,
    /// A `$` chunk.
    is_last: bool,
    body: &'s [u8],
    content_type: Option<&'s str>,
}

/// Why a message is refused with `413` (docs/requirements.md LIM-1): the figures of [`Note::OverLimit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Refusal {
    limit: Limit,
    needed: u64,
    allowed: u64,
}

/// A partially received message and whose it is.
#[derive(Debug, Clone)]
struct Slot {
    key: Key,
    partial: Partial,
    /// [`Reassembler::chunks`] when the message last got a chunk: the least recently active
    /// message is evicted first.
    touched: u64,
}

/// Reassembles the chat messages of one session, per leg and Message-ID (docs/requirements.md MSRP-1, REC-5i)
/// within the LIM-1 limits. See the [module documentation](self) for the rules.
///
/// Cost: a chunk is looked up among the partial messages (at most [`Limits::max_partial`]),
/// the one the previous chunk went to first; its body is copied once; finished messages are
/// looked up only for a chunk that belongs to no partial message.
///
/// ```
/// use cpm_pf::msrp::reassembly::{Limits, Outcome, Reassembler};
/// use cpm_pf::msrp::{Continuation, SendRequest};
/// use cpm_pf::Leg;
///
/// let mut r = Reassembler::new(Limits::default());
/// // RFC 4975 §5.1: "abcdEFGH" in two chunks.
/// let first = SendRequest {
///     message_id: Some("4564dpWd"),
///     byte_range: Some("1-*/8"),
///     continuation: Some(Continuation::More),
///     content_type: Some("text/plain"),
///     body: b"abcd",
/// };
/// assert_eq!(r.receive(Leg::Remote, &first).outcome, Outcome::Partial);
/// let last = SendRequest {
///     byte_range: Some("5-8/8"),
///     continuation: Some(Continuation::Complete),
///     content_type: None,
///     body: b"EFGH",
///     ..first
/// };
/// let Outcome::Complete(message) = r.receive(Leg::Remote, &last).outcome else { panic!() };
/// assert_eq!(message.body, b"abcdEFGH");
/// assert_eq!(message.content_type.as_deref(), Some("text/plain"));
/// ```
#[derive(Debug, Clone)]
pub struct Reassembler {
    limits: Limits,
    /// The partially received messages, in no particular order (at most `max_partial`). A key
    /// here is never in `finished`: a message leaves this list when it finishes.
    partials: Vec<Slot>,
    /// Where in `partials` the last chunk went: the chunks of one message usually come in a row.
    hot: usize,
    /// The sum of the partial messages' footprints ([`Reassembler::buffered_bytes`]).
    held: usize,
    /// How each remembered finished message ended.
    finished: BTreeMap<Key, Finish>,
    /// The remembered finished messages, oldest first (at most [`FINISHED_MEMORY`]).
    finished_order: VecDeque<Key>,
    /// Chunks placed so far: the clock of [`Slot::touched`].
    chunks: u64,
}

impl Reassembler {
    /// A reassembler with the given limits.
    pub fn new(limits: Limits) -> Reassembler {
        Reassembler {
            limits,
            partials: Vec::new(),
            hot: 0,
            held: 0,
            finished: BTreeMap::new(),
            finished_order: VecDeque::new(),
            chunks: 0,
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Bytes currently buffered for partial messages: chunk buffers, received-range sets and
    /// content types. Never above [`Limits::max_buffered`].
    pub fn buffered_bytes(&self) -> usize {
        self.held
    }

    /// Messages currently partially received. Never above [`Limits::max_partial`].
    pub fn partial_messages(&self) -> usize {
        self.partials.len()
    }

    /// How many finished Message-IDs are remembered (at most [`FINISHED_MEMORY`]).
    pub fn remembered_finished(&self) -> usize {
        self.finished_order.len()
    }

    /// Feeds one SEND received on `leg`. Never panics, whatever the request holds.
    pub fn receive(&mut self, leg: Leg, send: &SendRequest<'_>) -> Receipt {
        let receipt = self.receive_inner(leg, send);
        debug_assert_eq!(
            self.held,
            self.partials.iter().fold(0usize, |sum, s| sum.saturating_add(s.partial.footprint())),
            "the running count of buffered bytes drifted"
        );
        receipt
    }

    // Why this fast path is kept beside the general one (`receive_general`, `place`): see
    // BENCHMARKS.md, "What was tried" ("MSRP reassembly, fourth round").
    /// The usual chunk first: one for the message the previous chunk went to
    /// ([`Reassembler::hot`]) whose Message-ID equals that message's as it is (it was checked
    /// then), with a continuation flag and a Byte-Range of the usual shape
    /// ([`ByteRange::parse_usual`]). A `+` or `$` chunk that would draw no note and that
    /// [`Partial::fill`] can place is written there and then; any other such chunk goes on understood
    /// ([`Reassembler::settle_hot`]), so that nothing is read twice. Every other chunk takes
    /// the general path ([`Reassembler::receive_general`]).
    fn receive_inner(&mut self, leg: Leg, send: &SendRequest<'_>) -> Receipt {
        let (i, max_message) = (self.hot, self.limits.max_message);
        let Some(slot) = self.partials.get_mut(i) else {
            return self.receive_general(leg, send);
        };
        let (Some(raw_id), Some(flag)) = (send.message_id, send.continuation) else {
            return self.receive_general(leg, send);
        };
        if slot.key.0 != leg || !eq_bytes(slot.key.1.as_bytes(), raw_id.as_bytes()) {
            return self.receive_general(leg, send);
        }
        let range = match send.byte_range.map_or(Some(ByteRange::WHOLE), ByteRange::parse_usual) {
            Some(range) => range,
            None => return self.receive_general(leg, send),
        };
        #[cfg(test)]
        if tests::PATHS.with(core::cell::Cell::get) != tests::Paths::All {
            return self.settle_hot(leg, flag, &range, send);
        }
        let is_last = match flag {
            Continuation::Aborted => return self.settle_hot(leg, flag, &range, send),
            Continuation::Complete => true,
            Continuation::More => false,
        };
        if !is_quiet(&range, is_last, send.body.len(), max_message) {
            return self.settle_hot(leg, flag, &range, send);
        }
        let Some(complete) = slot.partial.fill(&range, is_last, send.body, send.content_type) else {
            return self.settle_hot(leg, flag, &range, send);
        };
        self.chunks = self.chunks.wrapping_add(1);
        slot.touched = self.chunks;
        #[cfg(test)]
        tests::APPENDED_EARLY.with(|n| n.set(n.get() + 1));
        if !complete {
            return Receipt::new(Outcome::Partial);
        }
        let key = slot.key;
        match self.take(i) {
            Some(partial) => self.completed(key, partial, SmallVec::new()),
            None => Receipt::new(Outcome::Partial), // not reached: `i` is the slot appended to
        }
    }

    /// [`Reassembler::settle`] for a chunk of the message the previous chunk went to, understood
    /// by [`Reassembler::receive_inner`] but not appended.
    #[inline(never)]
    fn settle_hot(
        &mut self,
        leg: Leg,
        flag: Continuation,
        range: &ByteRange,
        send: &SendRequest<'_>,
    ) -> Receipt {
        match self.partials.get(self.hot).map(|s| s.key) {
            Some(key) => self.settle(key, Some(self.hot), flag, *range, send),
            None => self.receive_general(leg, send), // not reached: the caller found the slot
        }
    }

    /// [`Reassembler::receive`] for any chunk: which message it is for, then what it does.
    #[inline(never)]
    #[cold]
    fn receive_general(&mut self, leg: Leg, send: &SendRequest<'_>) -> Receipt {
        // 1. Can the chunk be understood at all? (MSRP-1: 400 and dropped.)
        let Some(raw_id) = send.message_id else {
            return Receipt::malformed(Malformed::MissingMessageId);
        };
        // A chunk for the message the last one went to: its Message-ID was checked then. An
        // ident has no white space at either end, so a value equal to it is its own trim; only
        // a value that differs is trimmed and compared again.
        let is_hot = |s: &&Slot, id: &str| s.key.0 == leg && eq_bytes(s.key.1.as_bytes(), id.as_bytes());
        let mut hot = self.partials.get(self.hot).filter(|s| is_hot(s, raw_id));
        let raw_id = if hot.is_some() { raw_id } else { trim(raw_id) };
        if hot.is_none() && raw_id.len() != send.message_id.map_or(0, str::len) {
            hot = self.partials.get(self.hot).filter(|s| is_hot(s, raw_id));
        }
        let key = match hot {
            Some(s) => s.key,
            None => match MessageId::parse(raw_id) {
                Ok(id) => (leg, id),
                Err(e) => return Receipt::malformed(Malformed::BadMessageId(e)),
            },
        };
        let slot = if hot.is_some() { Some(self.hot) } else { self.find(&key) };
        let Some(flag) = send.continuation else {
            return Receipt::malformed(Malformed::MissingContinuation);
        };
        let range = match send.byte_range.map(parse_range) {
            None => ByteRange::WHOLE,
            Some(Err(e)) => return Receipt::malformed(Malformed::BadByteRange(e)),
            Some(Ok(r)) => r,
        };
        self.settle(key, slot, flag, range, send)
    }

    /// Steps 2 to 4 of [`Reassembler::receive`], for a chunk that was understood (at `slot` in
    /// `partials` when its message is partially received), then [`Reassembler::place`].
    fn settle(
        &mut self,
        key: Key,
        slot: Option<usize>,
        flag: Continuation,
        range: ByteRange,
        send: &SendRequest<'_>,
    ) -> Receipt {
        // 2. A message that is over: complete or aborted → nothing; refused → 413 again. (A
        // partial message is never a finished one.)
        if slot.is_none() {
            match self.finished.get(&key) {
                Some(Finish::Complete | Finish::Aborted) => return Receipt::new(Outcome::Ignored),
                Some(Finish::Refused) => return Receipt::new(Outcome::Rejected(TOO_LARGE)),
                None => {}
            }
        }

        // 3. `#`: the sender gave up; drop whatever was buffered.
        if flag == Continuation::Aborted {
            if let Some(i) = slot {
                self.take(i);
            }
            self.remember(key, Finish::Aborted);
            return Receipt::new(Outcome::Aborted);
        }

        // 4. The body-less SEND at position 1 (`1-0/0`) is a keep-alive.
        if send.body.is_empty() && is_keep_alive_range(&range) {
            return Receipt::new(Outcome::KeepAlive);
        }

        self.place(key, slot, flag, range, send)
    }

    /// The index of `key`'s partial message.
    fn find(&self, key: &Key) -> Option<usize> {
        self.partials.iter().position(|s| s.key == *key)
    }

    /// Removes the partial message at `i` and stops counting its bytes.
    fn take(&mut self, i: usize) -> Option<Partial> {
        if i >= self.partials.len() {
            return None;
        }
        let slot = self.partials.swap_remove(i);
        self.held = self.held.saturating_sub(slot.partial.footprint());
        Some(slot.partial)
    }

    /// Places a chunk that was understood, is not `#`, and is for a message still open (at `slot`
    /// in `partials` when it is partially received already), in four steps: check the chunk
    /// against the body and the message limit ([`Reassembler::check`]), find or open its
    /// message's slot ([`Reassembler::open`]), reserve what it needs within the buffered-bytes
    /// limit ([`Partial::reserve_for`]), then write it ([`Partial::write_chunk`]) and see whether
    /// the message is complete.
    fn place(
        &mut self,
        key: Key,
        slot: Option<usize>,
        flag: Continuation,
        range: ByteRange,
        send: &SendRequest<'_>,
    ) -> Receipt {
        let mut notes: SmallVec<[Note; 2]> = SmallVec::new();
        let chunk = match self.check(range, flag, send, &mut notes) {
            Ok(chunk) => chunk,
            Err(refusal) => return self.refuse(key, slot, refusal, notes),
        };
        let i = match slot {
            Some(i) => i,
            // A message complete in its first chunk never counts as partial.
            None if chunk.is_last && chunk.range.start == 1 => {
                let message = Message {
                    leg: key.0,
                    id: key.1,
                    content_type: send.content_type.map(str::to_owned),
                    body: send.body.to_vec(),
                };
                self.remember(key, Finish::Complete);
                return Receipt::with(Outcome::Complete(message), notes);
            }
            None => match self.open(key, &mut notes) {
                Ok(i) => i,
                Err(refusal) => return self.refuse(key, None, refusal, notes),
            },
        };
        self.hot = i;
        self.chunks = self.chunks.wrapping_add(1);
        let (limits, held, chunks) = (self.limits, self.held, self.chunks);
        let Some(slot) = self.partials.get_mut(i) else {
            // Not reached: `i` is the slot found, or the one just opened. Were it reached, the
            // chunk would be answered as refused rather than dropped unsaid.
            let needed = to_u64(self.partials.len()).saturating_add(1);
            let refusal = Refusal { limit: Limit::Partial, needed, allowed: to_u64(limits.max_partial) };
            return self.refuse(key, None, refusal, notes);
        };
        slot.touched = chunks;
        let partial = &mut slot.partial;
        let before = partial.footprint();
        let others = held.saturating_sub(before);
        let stored = partial.store(&limits, &chunk, limits.max_buffered.saturating_sub(others), &mut notes);
        self.held = others.saturating_add(partial.footprint());
        match stored {
            Err(needed) => {
                let needed = to_u64(needed).saturating_add(to_u64(others));
                let refusal =
                    Refusal { limit: Limit::Buffered, needed, allowed: to_u64(limits.max_buffered) };
                self.refuse(key, Some(i), refusal, notes)
            }
            Ok(true) => match self.take(i) {
                Some(partial) => self.completed(key, partial, notes),
                None => Receipt::with(Outcome::Partial, notes), // not reached: `i` is in range
            },
            // The usual chunk: a fresh receipt is built in place, where moving `notes` into it
            // would copy the whole inline array.
            Ok(false) if notes.is_empty() => Receipt::new(Outcome::Partial),
            Ok(false) => Receipt::with(Outcome::Partial, notes),
        }
    }

    /// Step 1 of [`Reassembler::place`]: where the chunk ends (the body is authoritative: it
    /// covers `[start, start + len - 1]`), what disagrees with that (reported), and whether
    /// the message is over [`Limits::max_message`] (a claimed total or the received range).
    fn check<'s>(
        &self,
        range: ByteRange,
        flag: Continuation,
        send: &SendRequest<'s>,
        notes: &mut SmallVec<[Note; 2]>,
    ) -> Result<Chunk<'s>, Refusal> {
        let max_message = to_u64(self.limits.max_message);
        let over = |needed| Refusal { limit: Limit::Message, needed, allowed: max_message };
        let is_last = flag == Continuation::Complete;
        // start >= 1 (grammar), so only an overflow of the sum fails; such a range is far over
        // any limit.
        let after = range.start.checked_add(to_u64(send.body.len()));
        let body_end = after.and_then(|after| after.checked_sub(1)).ok_or(over(u64::MAX))?;
        if let Some(declared_end) = range.end.filter(|&end| end != body_end) {
            notes.push(Note::RangeEndMismatch { start: range.start, declared_end, body_end });
        }
        if let Some(total) = range.total.filter(|&t| (is_last && body_end != t) || body_end > t) {
            notes.push(Note::TotalMismatch { total, body_end });
        }
        if let Some(total) = range.total.filter(|&t| t > max_message) {
            return Err(over(total));
        }
        if body_end > max_message {
            return Err(over(body_end));
        }
        // Both ends are at most `max_message`, a `usize`: the conversions cannot fail.
        let from = usize::try_from(range.start.saturating_sub(1)).map_err(|_| over(range.start))?;
        let to = usize::try_from(body_end).map_err(|_| over(body_end))?;
        Ok(Chunk { range, from, to, body_end, is_last, body: send.body, content_type: send.content_type })
    }

    /// Step 2 of [`Reassembler::place`]: a slot for a new partial message. When every slot is
    /// taken, a leg holding fewer than half of them gets one by eviction, any other is refused.
    fn open(&mut self, key: Key, notes: &mut SmallVec<[Note; 2]>) -> Result<usize, Refusal> {
        let allowed = to_u64(self.limits.max_partial);
        if self.partials.len() >= self.limits.max_partial && !self.evict_for(key.0, notes) {
            let needed = to_u64(self.partials.len()).saturating_add(1);
            return Err(Refusal { limit: Limit::Partial, needed, allowed });
        }
        if self.partials.try_reserve(1).is_err() {
            return Err(Refusal { limit: Limit::Partial, needed: 1, allowed });
        }
        self.partials.push(Slot { key, partial: Partial::default(), touched: 0 });
        Ok(self.partials.len() - 1)
    }

    /// The receipt for a message whose every byte up to its end is present (`partial` was
    /// taken out of the list already).
    fn completed(&mut self, key: Key, partial: Partial, notes: SmallVec<[Note; 2]>) -> Receipt {
        let mut body = partial.buf;
        body.truncate(partial.end.and_then(|end| usize::try_from(end).ok()).unwrap_or(usize::MAX));
        let message = Message { leg: key.0, id: key.1, content_type: partial.content_type, body };
        self.remember(key, Finish::Complete);
        Receipt::with(Outcome::Complete(message), notes)
    }

    /// Refuses a message with `413`: discards it whole (it is at `slot` in `partials` when it
    /// was partially received) and remembers it (LIM-1).
    fn refuse(
        &mut self,
        key: Key,
        slot: Option<usize>,
        refusal: Refusal,
        mut notes: SmallVec<[Note; 2]>,
    ) -> Receipt {
        if let Some(i) = slot {
            self.take(i);
        }
        self.remember(key, Finish::Refused);
        let Refusal { limit, needed, allowed } = refusal;
        notes.push(Note::OverLimit { limit, needed, allowed });
        Receipt::with(Outcome::Rejected(TOO_LARGE), notes)
    }

    /// Makes room for a new partial message of `leg` when every slot is taken (LIM-1 counts them
    /// per session): if another leg holds more than half of the slots (so `leg` holds fewer than
    /// half), that leg's least recently active partial message is discarded whole, remembered as
    /// refused (its later chunks get `413`) and reported. `true` when a slot was freed.
    fn evict_for(&mut self, leg: Leg, notes: &mut SmallVec<[Note; 2]>) -> bool {
        // At most one leg holds more than half: a majority vote finds the only candidate in one
        // pass, a second pass counts its slots (linear in `max_partial`, whatever it is set to).
        let mut candidate = None;
        let mut votes = 0usize;
        for slot in &self.partials {
            if votes == 0 {
                (candidate, votes) = (Some(slot.key.0), 1);
            } else if candidate == Some(slot.key.0) {
                votes += 1;
            } else {
                votes -= 1;
            }
        }
        let Some(top) = candidate else {
            return false;
        };
        let held = self.partials.iter().filter(|s| s.key.0 == top).count();
        if top == leg || held.saturating_mul(2) <= self.limits.max_partial {
            return false;
        }
        let victim = self
            .partials
            .iter()
            .enumerate()
            .filter(|(_, s)| s.key.0 == top)
            .min_by_key(|(_, s)| s.touched)
            .map(|(i, s)| (i, s.key));
        let Some((i, key)) = victim else {
            return false;
        };
        self.take(i);
        self.remember(key, Finish::Refused);
        notes.push(Note::Evicted { leg: key.0, id: key.1 });
        true
    }

    /// Remembers how a message finished, forgetting the oldest beyond [`FINISHED_MEMORY`].
    fn remember(&mut self, key: Key, how: Finish) {
        if self.finished.insert(key, how).is_none() {
            self.finished_order.push_back(key);
        }
        while self.finished_order.len() > FINISHED_MEMORY {
            if let Some(old) = self.finished_order.pop_front() {
                self.finished.remove(&old);
            }
        }
    }
}

/// The buffer capacity to reserve so that offsets `[0, needed)` fit, and (for geometric growth)
/// the bare minimum to fall back on. `needed <= max_message` here.
fn buffer_plan(limits: &Limits, partial: &Partial, needed: usize, budget: usize) -> (usize, Option<usize>) {
    let have = partial.buf.capacity();
    if needed <= have {
        return (have, None);
    }
    match partial.total.and_then(|t| usize::try_from(t).ok()) {
        // Known total (<= max_message, checked): one allocation of exactly that size.
        Some(total) if total >= needed => (total, None),
        // Unknown total, or a chunk past it: grow geometrically within the limits.
        _ => {
            let doubled = have.saturating_mul(2).max(MIN_GROWTH);
            let cap = limits.max_message.min(have.saturating_add(budget));
            (doubled.min(cap).max(needed), Some(needed))
        }
    }
}

/// Whether [`Reassembler::check`] takes the chunk without a note or a refusal: it ends where
/// its body does (or says `*`), within the total it claims (at it, for a `$` chunk), and within
/// the message limit. Only such a chunk is written early ([`Reassembler::receive_inner`]).
#[inline(always)]
fn is_quiet(range: &ByteRange, is_last: bool, body_len: usize, max_message: usize) -> bool {
    let max = to_u64(max_message);
    let Some(body_end) = range.start.checked_add(to_u64(body_len)).and_then(|after| after.checked_sub(1))
    else {
        return false;
    };
    range.end.map_or(true, |end| end == body_end)
        && range.total.map_or(true, |t| body_end <= t && (!is_last || body_end == t) && t <= max)
        && body_end <= max
}

/// Smallest buffer allocated when the total is unknown.
const MIN_GROWTH: usize = 256;

/// `1-0/0`, and the other spellings of "no bytes at position 1" (`1-*/*`, `1-0/*`, `1-*/0`), on a
/// body-less SEND: a keep-alive. (RFC 4975 §7.1 spells it `1-0/0`; a body-less SEND without
/// Byte-Range means `1-*/*` and carries no message either.)
fn is_keep_alive_range(r: &ByteRange) -> bool {
    r.start == 1 && matches!(r.end, None | Some(0)) && matches!(r.total, None | Some(0))
}

/// Makes `buf`'s capacity at least `cap` with one exact allocation; `false` if the allocator
/// refuses. Nothing is written: the bytes are appended as chunks arrive.
fn reserve(buf: &mut Vec<u8>, cap: usize) -> bool {
    cap <= buf.capacity() || buf.try_reserve_exact(cap - buf.len()).is_ok()
}

/// The first and last differing positions where the chunk's body overlaps bytes received
/// before; `lo` is [`RangeSet::first_reaching`] of its start.
fn differing(partial: &Partial, lo: usize, chunk: &Chunk<'_>) -> Option<Note> {
    // What was written from the chunk's start on (nothing when it starts past the end), and as
    // much of the body: received bytes are all below `buf.len()`, so every overlap lies in
    // both. Positions are clamped to that window, so no slice below can fail.
    let (_, written) = partial.buf.split_at(chunk.from.min(partial.buf.len()));
    let window = written.len().min(chunk.body.len());
    let (old, new) = (written.split_at(window).0, chunk.body.split_at(window).0);
    let relative =
        |at: u64| usize::try_from(at.saturating_sub(to_u64(chunk.from))).map_or(window, |r| r.min(window));
    let mut first: Option<u64> = None;
    let mut last: u64 = 0;
    for (a, b) in partial.present.intersections_at(lo, to_u64(chunk.from), to_u64(chunk.to)) {
        let (ra, rb) = (relative(a), relative(b));
        let (old, new) = (old.split_at(rb).0.split_at(ra).1, new.split_at(rb).0.split_at(ra).1);
        for (i, (x, y)) in old.iter().zip(new).enumerate() {
            if x != y {
                let pos = a.saturating_add(to_u64(i)).saturating_add(1);
                first.get_or_insert(pos);
                last = pos;
            }
        }
    }
    first.map(|first| Note::OverlapDiffers { first, last })
}

/// `ByteRange::parse(trim(raw))`. A value that parses has no white space at either end, so it
/// is parsed as it is first, and trimmed only when that fails (the frame parser trims values
/// already, so this is rare).
fn parse_range(raw: &str) -> Result<ByteRange, GrammarError> {
    #[cold]
    #[inline(never)]
    fn trimmed(raw: &str, error: GrammarError) -> Result<ByteRange, GrammarError> {
        let t = trim(raw);
        if t.len() == raw.len() {
            Err(error)
        } else {
            ByteRange::parse(t)
        }
    }
    ByteRange::parse(raw).or_else(|e| trimmed(raw, e))
}

fn to_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::prelude::*;
    use proptest::sample::Index;

    /// Which fast paths a test lets run.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(super) enum Paths {
        /// Both: the early fill in [`Reassembler::receive_inner`] and the one in
        /// [`Partial::store`].
        All,
        /// No early fill: [`Reassembler::receive`] as it was before it.
        NotEarly,
        /// Neither: [`Partial::fill`] declines, so [`Partial::store`] takes its general steps.
        General,
    }

    thread_local! {
        /// Set by a test to compare the paths.
        pub(super) static PATHS: core::cell::Cell<Paths> = const { core::cell::Cell::new(Paths::All) };
        /// How many chunks [`Reassembler::receive_inner`] wrote early (so that a test can
        /// tell it ran the fast path at all).
        pub(super) static APPENDED_EARLY: core::cell::Cell<u64> = const { core::cell::Cell::new(0) };
    }

    /// One generated chunk, mostly the next one of its message in order, sometimes not: each
    /// field is usual most of the time (its low values) and something else sometimes.
    #[derive(Debug, Clone)]
    struct Step {
        /// Remote (most) or Client.
        client: bool,
        /// Which of three messages (mostly the first).
        message: usize,
        /// The Message-ID: as it is (below 37), untrimmed, not an ident, another one.
        id_form: u8,
        /// Where it starts: next in order (below 25; at 24 its body may pass the message's
        /// size), an overlap, a gap, at 1, at 0.
        place: u8,
        len: usize,
        /// Range end: the body's (below 18), `*`, one off.
        end: u8,
        /// Total: the message's (below 18), `*`, another, no Byte-Range at all, `1-0/0`.
        total: u8,
        /// `+` (`$` at the message's end; below 27), `$`, `#`, none.
        flag: u8,
        content_type: bool,
        /// The body's bytes differ from the message's (an overlap then differs).
        corrupt: bool,
    }

    fn step() -> impl Strategy<Value = Step> {
        let message = prop_oneof![6 => Just(0usize), 1 => 1usize..3];
        (
            (proptest::bool::weighted(0.1), message, 0u8..40, 0u8..30, 0usize..40),
            (0u8..20, 0u8..24, 0u8..30, proptest::bool::weighted(0.8), proptest::bool::weighted(0.1)),
        )
            .prop_map(
                |((client, message, id_form, place, len), (end, total, flag, content_type, corrupt))| Step {
                    client,
                    message,
                    id_form,
                    place,
                    len,
                    end,
                    total,
                    flag,
                    content_type,
                    corrupt,
                },
            )
    }

    /// The chunk `step` makes of message `m`, of `size` bytes, whose next byte in order is at
    /// `next` (0-based), `generation` the number of its Message-IDs that finished: its leg,
    /// Message-ID, Byte-Range, flag and body.
    fn chunk_of(
        step: &Step,
        size: usize,
        next: usize,
        generation: usize,
    ) -> (Leg, String, Option<String>, Option<Continuation>, Vec<u8>) {
        let id = format!("{}{generation}", ["4564dpWd", "m2.xyz", "Zz-9%+=q"][step.message]);
        let id = match step.id_form {
            0..=36 => id,
            37 => format!(" {id}\t"),
            38 => "no".to_owned(),
            _ => format!("{id}x"),
        };
        let from = match step.place {
            0..=24 => next,
            25 => next.saturating_sub(1 + step.len / 2),
            26 => next + 1 + step.len % 5,
            27 => 0,
            _ => usize::MAX,
        };
        let len = match step.place {
            24 | 26 => step.len,
            _ => step.len.min(size.saturating_sub(from.min(size))),
        };
        let body: Vec<u8> = (0..len)
            .map(|k| (from.wrapping_add(k).wrapping_mul(31) as u8) ^ if step.corrupt { 0x55 } else { 0 })
            .collect();
        let start = from.wrapping_add(1);
        let end = match step.end {
            0..=17 => (start + len).saturating_sub(1).to_string(),
            18 => "*".to_owned(),
            _ => (start + len).to_string(),
        };
        let total = match step.total {
            0..=17 => size.to_string(),
            18 | 19 => "*".to_owned(),
            _ => (size + 3).to_string(),
        };
        let range = match step.total {
            22 => None,
            23 => Some("1-0/0".to_owned()),
            _ => Some(format!("{start}-{end}/{total}")),
        };
        let flag = match step.flag {
            0..=26 if from.saturating_add(len) >= size && step.place < 25 => Some(Continuation::Complete),
            0..=26 => Some(Continuation::More),
            27 => Some(Continuation::Complete),
            28 => Some(Continuation::Aborted),
            _ => None,
        };
        let leg = if step.client { Leg::Client } else { Leg::Remote };
        (leg, id, range, flag, body)
    }

    /// Feeds `steps` to a reassembler with every fast path and to one with only the `other`
    /// paths; every receipt and every count must agree, except that with [`Paths::General`] the
    /// general path may hold more bytes (it reserves room for a received range before it knows
    /// that the chunk extends the last one). Returns how many chunks were written early.
    fn paths_agree(
        limits: Limits,
        sizes: [usize; 3],
        steps: &[Step],
        other: Paths,
    ) -> Result<u64, TestCaseError> {
        let (mut fast, mut general) = (Reassembler::new(limits), Reassembler::new(limits));
        // The next byte in order of each message, and how many of its Message-IDs finished
        // (a finished one is remembered: its chunks change nothing).
        let (mut next, mut generation) = ([0usize; 3], [0usize; 3]);
        let early_before = APPENDED_EARLY.with(core::cell::Cell::get);
        for (n, step) in steps.iter().enumerate() {
            let size = sizes[step.message];
            let m = step.message;
            let (leg, id, range, flag, body) = chunk_of(step, size, next[m], generation[m]);
            let send = SendRequest {
                message_id: Some(&id),
                byte_range: range.as_deref(),
                continuation: flag,
                content_type: step.content_type.then_some("text/plain"),
                body: &body,
            };
            let a = fast.receive(leg, &send);
            PATHS.with(|g| g.set(other));
            let b = general.receive(leg, &send);
            PATHS.with(|g| g.set(Paths::All));
            prop_assert_eq!(&a, &b, "step {}: {:?}", n, send);
            if other == Paths::General {
                prop_assert!(fast.buffered_bytes() <= general.buffered_bytes(), "step {}", n);
            } else {
                prop_assert_eq!(fast.buffered_bytes(), general.buffered_bytes(), "step {}", n);
            }
            prop_assert_eq!(fast.partial_messages(), general.partial_messages(), "step {}", n);
            prop_assert_eq!(fast.remembered_finished(), general.remembered_finished(), "step {}", n);
            let start = |r: &str| r.split('-').next().and_then(|s| s.parse::<usize>().ok());
            let from = range.as_deref().map_or(Some(1), start).unwrap_or(1).saturating_sub(1);
            match a.outcome {
                Outcome::Partial => next[m] = next[m].max(from + body.len()),
                Outcome::Complete(_) | Outcome::Aborted | Outcome::Ignored | Outcome::Rejected(413) => {
                    (next[m], generation[m]) = (0, generation[m] + 1);
                }
                Outcome::KeepAlive | Outcome::Rejected(_) => {}
            }
        }
        Ok(APPENDED_EARLY.with(core::cell::Cell::get) - early_before)
    }

    proptest! {
        /// The early fill for the usual chunk ([`Reassembler::receive_inner`]) changes
        /// nothing: the same receipts (outcomes and notes), buffered bytes, partial and finished
        /// messages as without it, for in-order chunks and any others in between (overlaps,
        /// gaps, other totals and ends, `*`, untrimmed or bad Message-IDs, other legs and
        /// messages, `#`, keep-alives, missing flags), within the default limits and tight ones.
        #[test]
        fn the_early_fill_changes_nothing(
            steps in proptest::collection::vec(step(), 1..80),
            sizes in [1usize..600, 1usize..600, 1usize..600],
            tight in any::<bool>(),
        ) {
            let limits = if tight {
                Limits { max_message: 150, max_partial: 2, max_buffered: 260 }
            } else {
                Limits::default()
            };
            paths_agree(limits, sizes, &steps, Paths::NotEarly)?;
        }

        /// [`Partial::fill`], early or in [`Partial::store`], gives what the general steps
        /// give, in a lesser memory count (within limits no chunk reaches).
        #[test]
        fn the_fill_agrees_with_the_general_steps(
            steps in proptest::collection::vec(step(), 1..80),
            sizes in [1usize..600, 1usize..600, 1usize..600],
        ) {
            paths_agree(Limits::default(), sizes, &steps, Paths::General)?;
        }
    }

    proptest! {
        /// [`is_quiet`] is exactly [`Reassembler::check`] taking the chunk without a note.
        #[test]
        fn quiet_is_what_check_takes_silently(
            start in prop_oneof![1u64..40, Just(u64::MAX - 3), any::<u64>()],
            end in proptest::option::of(0u64..80),
            total in proptest::option::of(prop_oneof![0u64..80, any::<u64>()]),
            len in 0usize..40,
            is_last in any::<bool>(),
            max_message in 1usize..70,
        ) {
            let r = Reassembler::new(Limits { max_message, ..Limits::default() });
            let range = ByteRange { start, end, total };
            let body = vec![b'x'; len];
            let send = SendRequest { body: &body, ..SendRequest::default() };
            let flag = if is_last { Continuation::Complete } else { Continuation::More };
            let mut notes = SmallVec::new();
            let silent = r.check(range, flag, &send, &mut notes).is_ok() && notes.is_empty();
            prop_assert_eq!(is_quiet(&range, is_last, len, max_message), silent, "{:?} {}", range, len);
        }
    }

    /// A chunk in order that passes the message's total fits a buffer reserved before the total
    /// was known (geometric growth): the early path must still leave it to the general one,
    /// which reports it. (Rare in generated sequences, so spelled out.)
    #[test]
    fn a_chunk_past_the_total_is_reported() {
        let mut r = Reassembler::new(Limits::default());
        let chunk = |range, body| SendRequest {
            message_id: Some("4564dpWd"),
            byte_range: Some(range),
            continuation: Some(Continuation::More),
            content_type: Some("text/plain"),
            body,
        };
        for (range, body) in [("1-10/*", b"abcdefghij"), ("11-20/15", b"klmnopqrst")] {
            assert_eq!(r.receive(Leg::Remote, &chunk(range, body)).outcome, Outcome::Partial);
        }
        let early = APPENDED_EARLY.with(core::cell::Cell::get);
        let past = r.receive(Leg::Remote, &chunk("21-30/15", b"uvwxyzABCD"));
        assert_eq!(past.outcome, Outcome::Partial);
        assert_eq!(past.notes.as_slice(), [Note::TotalMismatch { total: 15, body_end: 30 }]);
        assert_eq!(APPENDED_EARLY.with(core::cell::Cell::get), early, "not appended early");
    }

    /// The fast path runs at all: a message in 2 KiB chunks in order takes it for every chunk
    /// after the first, and the result is the general path's.
    #[test]
    fn in_order_chunks_are_appended_early() {
        let in_order = |len| Step {
            client: false,
            message: 0,
            id_form: 0,
            place: 0,
            len,
            end: 0,
            total: 0,
            flag: 0,
            content_type: true,
            corrupt: false,
        };
        let steps: Vec<Step> = (0..8).map(|_| in_order(30)).collect();
        let early = paths_agree(Limits::default(), [200, 1, 1], &steps, Paths::NotEarly);
        let early = early.map_err(|e| e.to_string()).unwrap();
        assert_eq!(early, 6, "chunks 2 to 7 of 7 (the eighth is for a finished message)");
    }

    /// One message of chunks `lens` long, sent in `order` (indexes into the chunks, a chunk
    /// possibly more than once) to a reassembler with every fast path and to one with the
    /// general steps only: every receipt must agree and the general one never hold less. Returns
    /// the message body when it completed, and how many chunks were filled early.
    fn feed_in_order_of(lens: &[usize], order: &[usize]) -> Result<(Option<Vec<u8>>, u64), TestCaseError> {
        let total: usize = lens.iter().sum();
        let payload: Vec<u8> = (0..total).map(|i| b'a' + (i % 26) as u8).collect();
        let starts: Vec<usize> =
            lens.iter().scan(0, |at, &len| Some(core::mem::replace(at, *at + len))).collect();
        let (mut fast, mut general) =
            (Reassembler::new(Limits::default()), Reassembler::new(Limits::default()));
        let early_before = APPENDED_EARLY.with(core::cell::Cell::get);
        let mut body = None;
        for (n, &i) in order.iter().enumerate() {
            let (from, len) = (starts[i], lens[i]);
            let range = format!("{}-{}/{total}", from + 1, from + len);
            let send = SendRequest {
                message_id: Some("4564dpWd"),
                byte_range: Some(&range),
                continuation: Some(if i + 1 == lens.len() {
                    Continuation::Complete
                } else {
                    Continuation::More
                }),
                content_type: Some("text/plain"),
                body: &payload[from..from + len],
            };
            let a = fast.receive(Leg::Remote, &send);
            PATHS.with(|g| g.set(Paths::General));
            let b = general.receive(Leg::Remote, &send);
            PATHS.with(|g| g.set(Paths::All));
            prop_assert_eq!(&a, &b, "step {}: {:?}", n, send);
            prop_assert!(fast.buffered_bytes() <= general.buffered_bytes(), "step {}", n);
            if let Outcome::Complete(m) = a.outcome {
                body.get_or_insert(m.body);
            }
        }
        Ok((body, APPENDED_EARLY.with(core::cell::Cell::get) - early_before))
    }

    proptest! {
        /// Chunks of one message in any order, some of them twice (an overlap with equal bytes),
        /// are placed by [`Partial::fill`] where it can as the general steps place them, and
        /// the message is its bytes in order once every chunk is in.
        #[test]
        fn shuffled_chunks_fill_as_the_general_steps_place(
            (lens, order) in proptest::collection::vec(1usize..40, 1..30).prop_flat_map(|lens| {
                let n = lens.len();
                (Just(lens), Just((0..n).collect::<Vec<usize>>()).prop_shuffle())
            }),
            again in proptest::collection::vec(any::<(Index, Index)>(), 0..4),
        ) {
            let mut order = order;
            for (what, at) in again {
                let chunk = order[what.index(order.len())];
                order.insert(at.index(order.len() + 1), chunk);
            }
            let (body, _) = feed_in_order_of(&lens, &order)?;
            let total: usize = lens.iter().sum();
            let payload: Vec<u8> = (0..total).map(|i| b'a' + (i % 26) as u8).collect();
            prop_assert_eq!(body, Some(payload));
        }
    }

    /// The fill runs for chunks that arrive early and for those that fill a gap: a message of
    /// eight chunks sent last first takes it for every chunk after the first (which opens the
    /// message and reserves its total).
    #[test]
    fn chunks_out_of_order_are_filled_early() {
        let lens = [30; 8];
        let backwards: Vec<usize> = (0..8).rev().collect();
        let (body, early) = feed_in_order_of(&lens, &backwards).map_err(|e| e.to_string()).unwrap();
        assert_eq!(body.map(|b| b.len()), Some(240));
        assert_eq!(early, 7, "chunks 2 to 8 of 8 in the order sent");
    }

    #[test]
    fn range_set_merges_and_covers() {
        let mut s = RangeSet::default();
        s.insert(4, 8);
        assert!(!s.covers_prefix(8));
        s.insert(0, 2);
        s.insert(2, 4); // adjacent on both sides
        assert_eq!(s.intervals, vec![(0, 8)]);
        assert!(s.covers_prefix(8));
        assert!(!s.covers_prefix(9));
        s.insert(10, 12);
        s.insert(20, 22);
        s.insert(9, 21);
        assert_eq!(s.intervals, vec![(0, 8), (9, 22)]);
        s.insert(0, 30);
        assert_eq!(s.intervals, vec![(0, 30)]);
        s.insert(5, 5); // empty: nothing
        assert_eq!(s.intervals, vec![(0, 30)]);
    }

    #[test]
    fn first_reaching_shortcuts_agree_with_the_search() {
        let sets: [&[(u64, u64)]; 5] =
            [&[], &[(0, 4)], &[(2, 4)], &[(0, 4), (6, 9)], &[(0, 2), (4, 6), (8, 10), (12, 14)]];
        for intervals in sets {
            let s = RangeSet { intervals: intervals.to_vec() };
            for from in 0..20 {
                let searched = s.intervals.partition_point(|&(_, e)| e < from);
                assert_eq!(s.first_reaching(from), searched, "{intervals:?} from {from}");
            }
        }
        // Random sets, even and lopsided, so the estimate is right, near, and far off.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        for round in 0..2000 {
            let mut s = RangeSet::default();
            let lopsided = round % 3 == 0;
            for _ in 0..next(60) {
                let at = if lopsided && next(2) == 0 { next(50) } else { next(5000) };
                s.insert(at, at + 1 + next(20));
            }
            for _ in 0..50 {
                let from = next(5100);
                let searched = s.intervals.partition_point(|&(_, e)| e < from);
                assert_eq!(s.first_reaching(from), searched, "{:?} from {from}", s.intervals);
            }
        }
    }

    /// Values with white space around them (which the frame parser strips, but a caller
    /// building a `SendRequest` may not) are read as the trimmed values, for the previous
    /// chunk's message and for another one alike.
    #[test]
    fn untrimmed_values_are_read_trimmed() {
        let chunk = |id: &'static str, range: &'static str, flag, body: &'static [u8]| SendRequest {
            message_id: Some(id),
            byte_range: Some(range),
            continuation: Some(flag),
            content_type: Some("text/plain"),
            body,
        };
        for (id, spaced) in [("4564dpWd", " 4564dpWd\t"), ("4564dpWd", "4564dpWd "), ("abcd", " abcd")] {
            let mut r = Reassembler::new(Limits::default());
            let first = r.receive(Leg::Remote, &chunk(id, " 1-4/12", Continuation::More, b"abcd"));
            assert_eq!(first.outcome, Outcome::Partial);
            let second = r.receive(Leg::Remote, &chunk(spaced, "5-8/12 ", Continuation::More, b"efgh"));
            assert_eq!(second.outcome, Outcome::Partial);
            assert_eq!(r.partial_messages(), 1, "{spaced:?} is {id:?}");
            // Another message in between, so that the next chunk is not the previous one's.
            r.receive(Leg::Remote, &chunk("other1", "1-2/4", Continuation::More, b"xy"));
            let last = r.receive(Leg::Remote, &chunk(spaced, "\t9-12/12", Continuation::Complete, b"ijkl"));
            let Outcome::Complete(message) = last.outcome else { panic!("{last:?}") };
            assert_eq!((message.id.as_str(), &message.body[..]), (id, &b"abcdefghijkl"[..]));
            assert!(last.notes.is_empty(), "{:?}", last.notes);
        }
        let mut r = Reassembler::new(Limits::default());
        let bad = r.receive(Leg::Remote, &chunk("4564dpWd", " 1-4/x ", Continuation::More, b"abcd"));
        assert_eq!(bad.outcome, Outcome::Rejected(BAD_REQUEST));
    }

    #[test]
    fn range_set_intersections_are_clipped() {
        let mut s = RangeSet::default();
        s.insert(0, 4);
        s.insert(6, 10);
        let got: Vec<_> = s.intersections(2, 8).collect();
        assert_eq!(got, vec![(2, 4), (6, 8)]);
        assert_eq!(s.intersections(4, 6).count(), 0);
    }
}
