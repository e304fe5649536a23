//! Saving a session as bytes and restoring it (docs/requirements.md "Surviving a restart", SNAP-1 … SNAP-3),
//! with the `serde` feature.
//!
//! [`Session::save`] writes everything the session holds — configuration, legs, phase, session
//! timer, proxy counters, deferred items, the FT-1c wait deadline, the MSRP reassembler with its
//! partial messages and remembered finished Message-IDs, the recorder with its items, the
//! messages awaiting delivery, the session info and the state of the ID generator, and the start
//! time — so that the restored session produces exactly the actions the original would have, for
//! any continuation, deadlines included (SNAP-1).
//!
//! # Format
//!
//! An envelope, then the payload:
//!
//! | bytes | what |
//! |---|---|
//! | 4 | the tag `CPMs` ([`MAGIC`]) |
//! | 2 | the format version, big-endian ([`VERSION`], now 2) |
//! | rest | the session in [postcard](https://docs.rs/postcard) 1.x |
//!
//! Version 2 writes a session as its changes from a new one: first the configuration's
//! changes (a mask of the fields that differ from [`Config::default`], then those fields
//! alone), then the start time, then a mask of the parts that differ from what
//! [`Session::new`] made of that configuration and start (the leg table, the phase, the session
//! timer, the proxy counters, the two flags, the deferred items, the FT-1c wait, the reassembler,
//! the recorder), then those parts alone, each as version 1 writes it. A session that has only
//! just started is a few bytes (an idle default one 14), and saving and restoring it skips the
//! walk over parts it does not have: half the instructions of version 1. Version 1, which wrote
//! every field, is still read ([`VERSION_1`]).
//!
//! A session whose legs speak MSRP (ML-1 … ML-5), or whose configuration changes the MSRP
//! timeout or bound, adds one section after the session: the byte `L` ([`LEGS_TAG`]), then
//! in postcard the two MSRP settings of the configuration and, once `set_msrp_leg` was
//! called, each leg's URIs, undecoded bytes, unsent bytes, transaction counter and relayed
//! chunks awaiting their answer, the deliveries being decided, the senders of relayed messages
//! and the items deferred for a re-join. Other sessions have no such section, and a snapshot
//! without it restores as it always did.
//!
//! postcard, not bincode: integers are varints, so an idle session takes 14 bytes
//! (SNAP-3 asks at most 128; bincode's fixed-width integers take about three times as many);
//! its wire format is documented and stable since 1.0; it is `no_std`-friendly; and reading
//! from a slice, every length it reads is checked against the bytes that remain, so a hostile
//! length fails as truncated input instead of allocating (collections pre-allocate at most
//! serde's cautious 1 MiB).
//!
//! # Restoring checks (SNAP-2)
//!
//! [`Session::restore`] never panics. Bytes that are not a snapshot, truncated or malformed are
//! [`RestoreError::Corrupt`]; another format version is [`RestoreError::UnknownVersion`]; a
//! snapshot that decodes but describes a session that could not exist — a configuration
//! [`Config::validate`] refuses, a leg table of the wrong length, more partial messages or
//! buffered bytes than the limits allow, a buffered-bytes count that is not the sum of what the
//! partial messages hold, more than 1024 remembered Message-IDs, a terminated session with a leg
//! still up, a deadline before the session started, … — is [`RestoreError::Invalid`] with the
//! reason. Beyond the bytes of the input, a restore allocates at most the snapshot's configured
//! `max_buffered` (the capacity reserved for partial messages); [`Session::restore_within`]
//! also refuses snapshots whose limits are above the embedder's own.
//!
//! ```
//! use cpm_pf::{Config, Session, Time};
//!
//! let t = Time::from_unix_secs(1_767_225_600);
//! let session = Session::new(Config::default(), t)?;
//! let bytes = session.save()?;
//! assert!(bytes.len() <= 128);
//! let restored = Session::restore(&bytes)?;
//! assert_eq!(restored.save()?, bytes);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use super::{Flags, LegState, LegStatus, LegTable, Phase, Rare, Session, SessionTimer};
use crate::action::ObjectRef;
use crate::config::{Config, ConfigError, Kind, Policy, Preferences, Role};
use crate::grammar::message_id::MessageId;
use crate::msrp::endpoint::{check_uri, Delivery, LegEndpoint, MsrpLegs, Pending};
use crate::msrp::frame::{FrameDecoder, TransactionId};
use crate::msrp::reassembly::snapshot::{ReassemblerIn, ReassemblerOut};
use crate::msrp::reassembly::{Limits, Message};
use crate::record::Recorder;
use crate::{Leg, Time};

pub use crate::msrp::reassembly::snapshot::ReassemblyInvalid;
pub use crate::record::snapshot::RecorderInvalid;

/// The tag a saved session starts with.
pub const MAGIC: [u8; 4] = *b"CPMs";
/// The format version this library writes. It reads this one and [`VERSION_1`].
pub const VERSION: u16 = 2;
/// The first format version, still read: the configuration saved whole, field after field.
pub const VERSION_1: u16 = 1;
/// The tag of the MSRP-on-the-legs section that may follow the session (see above).
pub const LEGS_TAG: u8 = b'L';
const HEADER_LEN: usize = MAGIC.len() + 2;

/// A session could not be turned into bytes (not expected: every part of a session has a
/// postcard form; kept as an error rather than a panic).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the session could not be saved: {0}")]
pub struct SaveError(String);

/// Why bytes could not be restored as a session (SNAP-2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RestoreError {
    /// Not a saved session, or damaged: see [`Corruption`].
    #[error("not a saved session: {0}")]
    Corrupt(Corruption),
    /// A saved session of a format version this library does not read.
    #[error("saved session format version {0} is unknown (this library reads version 1)")]
    UnknownVersion(u16),
    /// The bytes decode, but describe a session that breaks a bound or an invariant.
    #[error("saved session refused: {0}")]
    Invalid(Invalid),
}

/// How bytes fail to be a saved session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Corruption {
    /// The bytes do not start with [`MAGIC`] and a version.
    #[error("no CPMs tag")]
    NotASnapshot,
    /// The bytes end before the session does.
    #[error("truncated")]
    Truncated,
    /// A value cannot be decoded (a bad tag, a bad UTF-8 string, a bad Message-ID, …).
    #[error("malformed")]
    Malformed,
    /// Bytes follow the end of the session.
    #[error("trailing bytes after the session")]
    TrailingBytes,
}

/// A bound or invariant a decoded session breaks (SNAP-2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Invalid {
    /// The configuration is one [`Session::new`] refuses.
    #[error("configuration: {0}")]
    Config(ConfigError),
    /// Preference or policy bits that no flag defines.
    #[error("unknown preference or policy bits")]
    UnknownFlags,
    /// The configured limits are above those given to [`Session::restore_within`].
    #[error("the configured limits are above the allowed ones")]
    LimitsAbove,
    /// The leg table does not have `1 + max(iwfs, 1)` legs.
    #[error("{found} legs where the configuration makes {expected}")]
    LegCount {
        /// `1 + max(iwfs, 1)`.
        expected: usize,
        /// The legs saved.
        found: usize,
    },
    /// A proxy's state holds what only a B2BUA has (a leg not up, media, a recorder, …), or a
    /// B2BUA's holds forwarded-BYE counts.
    #[error("state that the role cannot have")]
    Role,
    /// The phase does not fit the legs or the configuration (terminated with a leg not ended or
    /// media held, remaining outside a group or with the client not gone, a gone leg that is
    /// not the client's, an answer owed on a leg the session does not have, …).
    #[error("the phase does not fit the legs")]
    Phase,
    /// A deadline is inconsistent: a session interval of zero, an FT-1c wait outside a file
    /// transfer's end or before the session could have started it.
    #[error("a deadline is inconsistent")]
    Deadline,
    /// Interception, deferred items, a reassembler or a recorder in a session whose
    /// configuration never makes one.
    #[error("a part the configuration never makes")]
    Part,
    /// The MSRP reassembler breaks a bound or an invariant.
    #[error("reassembler: {0}")]
    Reassembler(ReassemblyInvalid),
    /// The recorder breaks a bound or an invariant.
    #[error("recorder: {0}")]
    Recorder(RecorderInvalid),
    /// The MSRP-on-the-legs section breaks a bound or an invariant (ML-5), named here.
    #[error("MSRP on the legs: {0}")]
    MsrpLegs(&'static str),
}

impl From<Invalid> for RestoreError {
    fn from(i: Invalid) -> RestoreError {
        RestoreError::Invalid(i)
    }
}

// ----- MessageId: saved as its text, checked again when read ----------------------------------

impl Serialize for MessageId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for MessageId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<MessageId, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = MessageId;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("an MSRP Message-ID")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<MessageId, E> {
                MessageId::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_str(Visitor)
    }
}

// ----- the session -----------------------------------------------------------------------------

/// The session as it is saved, borrowed from the live one. (Not `Session` itself: the leg table
/// is read with a bounded length ([`Legs`]; smallvec's own impl reserves whatever length the
/// input declares), and the reassembler has a form of its own.)
struct SessionOut<'a> {
    config: ConfigDelta<'a>,
    legs: &'a [LegState],
    phase: Phase,
    timer: SessionTimer,
    proxy_pending: [u16; 2],
    first_invite_seen: bool,
    intercepting: bool,
    deferred: Option<&'a [ObjectRef]>,
    ft_wait: Option<Time>,
    reassembler: Option<ReassemblerOut<'a>>,
    recorder: Option<&'a Recorder>,
    started: Time,
}

/// The session as it is read back, before the checks.
#[derive(Deserialize)]
struct SessionIn {
    // Boxed as the session holds them: read in place, and `SessionIn` stays small to move.
    config: Box<Config>,
    legs: Legs,
    phase: Phase,
    timer: SessionTimer,
    proxy_pending: [u16; 2],
    first_invite_seen: bool,
    intercepting: bool,
    deferred: Option<Vec<ObjectRef>>,
    ft_wait: Option<Time>,
    reassembler: Option<Box<ReassemblerIn>>,
    recorder: Option<Box<Recorder>>,
    started: Time,
}

/// The leg table as it is read back: straight into the session's inline vector, at most
/// [`MAX_LEGS`] legs (the declared length is checked before anything is reserved).
struct Legs(SmallVec<[LegState; 3]>);

/// The most legs a session has: the client and 255 IWFs.
const MAX_LEGS: usize = 256;

impl<'de> Deserialize<'de> for Legs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Legs, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Legs;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("at most 256 legs")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Legs, A::Error> {
                let declared = seq.size_hint().unwrap_or(0);
                if declared > MAX_LEGS {
                    return Err(serde::de::Error::invalid_length(declared, &self));
                }
                let mut legs = SmallVec::with_capacity(declared);
                while let Some(leg) = seq.next_element()? {
                    if legs.len() == MAX_LEGS {
                        return Err(serde::de::Error::invalid_length(MAX_LEGS + 1, &self));
                    }
                    legs.push(leg);
                }
                Ok(Legs(legs))
            }
        }
        d.deserialize_seq(Visitor)
    }
}

impl Session {
    /// Saves the session as bytes (SNAP-1): a versioned envelope ([`MAGIC`], [`VERSION`]) and
    /// the session in postcard (see the [module documentation](self)). An idle session takes at
    /// most 128 bytes (SNAP-3); any session at most a fixed overhead plus what its limits let
    /// it buffer, plus the items it keeps for the end-of-session store.
    pub fn save(&self) -> Result<Vec<u8>, SaveError> {
        let out = SessionOut {
            config: ConfigDelta(&self.config),
            legs: &self.legs,
            phase: self.phase,
            timer: self.timer,
            proxy_pending: self.proxy_pending,
            first_invite_seen: self.first_invite_seen(),
            intercepting: self.intercepting(),
            deferred: self.rare.as_deref().and_then(|r| r.deferred.as_deref()),
            ft_wait: self.ft_wait(),
            reassembler: self.reassembler.as_deref().map(|r| r.saved()),
            recorder: self.recorder.as_deref(),
            started: self.started,
        };
        let mut bytes = Vec::with_capacity(128);
        bytes.extend_from_slice(&MAGIC);
        bytes.extend_from_slice(&VERSION.to_be_bytes());
        let mut bytes = postcard::to_extend(&out, bytes).map_err(|e| SaveError(e.to_string()))?;
        if let Some(legs) = self.legs_saved() {
            bytes.push(LEGS_TAG);
            bytes = postcard::to_extend(&legs, bytes).map_err(|e| SaveError(e.to_string()))?;
        }
        Ok(bytes)
    }

    /// The MSRP-on-the-legs section, when the session has one to save.
    fn legs_saved(&self) -> Option<LegsSaved> {
        let c = &self.config;
        let settings = (c.msrp_response_timeout_secs, c.msrp_max_pending);
        let default =
            (crate::config::DEFAULT_MSRP_RESPONSE_TIMEOUT_SECS, crate::config::DEFAULT_MSRP_MAX_PENDING);
        let state = self.msrp().map(MsrpSaved::of);
        if state.is_none() && settings == default {
            return None;
        }
        Some(LegsSaved { timeout_secs: settings.0, max_pending: settings.1, state })
    }

    /// Restores a session saved by [`Session::save`], in this process or another (SNAP-1),
    /// after checking every bound and invariant (SNAP-2). Never panics.
    pub fn restore(bytes: &[u8]) -> Result<Session, RestoreError> {
        Session::restore_inner(bytes, None)
    }

    /// [`Session::restore`], also refusing a snapshot whose configured limits are above `max`
    /// ([`Invalid::LimitsAbove`]): what the restore allocates is then bounded by
    /// `max.max_buffered` beyond the input's own bytes, whatever the input says.
    pub fn restore_within(bytes: &[u8], max: Limits) -> Result<Session, RestoreError> {
        Session::restore_inner(bytes, Some(max))
    }

    fn restore_inner(bytes: &[u8], max: Option<Limits>) -> Result<Session, RestoreError> {
        let corrupt = RestoreError::Corrupt;
        let (header, payload) = bytes.split_at(HEADER_LEN.min(bytes.len()));
        let [m0, m1, m2, m3, v0, v1] = *header else {
            return Err(corrupt(if MAGIC.starts_with(header) {
                Corruption::Truncated
            } else {
                Corruption::NotASnapshot
            }));
        };
        if [m0, m1, m2, m3] != MAGIC {
            return Err(corrupt(Corruption::NotASnapshot));
        }
        let version = u16::from_be_bytes([v0, v1]);
        let read = match version {
            VERSION => postcard::take_from_bytes::<SessionV2>(payload).map(|(saved, rest)| (saved.0, rest)),
            VERSION_1 => postcard::take_from_bytes::<SessionIn>(payload),
            _ => return Err(RestoreError::UnknownVersion(version)),
        };
        let (saved, rest) = read.map_err(|e| {
            corrupt(match e {
                postcard::Error::DeserializeUnexpectedEnd => Corruption::Truncated,
                _ => Corruption::Malformed,
            })
        })?;
        let legs = match rest.split_first() {
            None => None,
            Some((&LEGS_TAG, section)) => {
                let (legs, rest) = postcard::take_from_bytes::<LegsSaved>(section).map_err(|e| {
                    corrupt(match e {
                        postcard::Error::DeserializeUnexpectedEnd => Corruption::Truncated,
                        _ => Corruption::Malformed,
                    })
                })?;
                if !rest.is_empty() {
                    return Err(corrupt(Corruption::TrailingBytes));
                }
                Some(legs)
            }
            Some(_) => return Err(corrupt(Corruption::TrailingBytes)),
        };
        let mut session = saved.check(max, legs.as_ref().map(|l| (l.timeout_secs, l.max_pending)))?;
        if let Some(state) = legs.and_then(|l| l.state) {
            let built = state.build(&session)?;
            session.rare.get_or_insert_with(Box::default).msrp = Some(built);
        }
        Ok(session)
    }
}

// ----- the configuration, as its changes (version 2) ---------------------------------------------

/// Calls `$m!(bit, field)` for every saved field of [`Config`], in declaration order: what a
/// version-2 snapshot writes of a configuration (the two MSRP settings go in the legs section).
macro_rules! config_fields {
    ($m:ident) => {
        $m!(0, role);
        $m!(1, kind);
        $m!(2, side);
        $m!(3, iwfs);
        $m!(4, prefs);
        $m!(5, policy);
        $m!(6, contribution_id);
        $m!(7, conversation_id);
        $m!(8, peer);
        $m!(9, focus);
        $m!(10, profile);
        $m!(11, max_participants);
        $m!(12, max_file_bytes);
        $m!(13, history_folder_exists);
        $m!(14, ft_in_session);
        $m!(15, session_expires);
        $m!(16, limits);
        $m!(17, store_timeout);
        $m!(18, id_seed);
    };
}

/// How many fields [`config_fields`] names.
const CONFIG_FIELDS: usize = 19;

/// What a saved configuration is compared with, in place (no default built for each save).
static DEFAULT_CONFIG: Config = Config::DEFAULT;

/// A configuration as version 2 writes it: a mask of the fields that differ from
/// [`Config::default`] (bit `i` for the `i`-th field of [`config_fields`]), then those fields
/// alone, each as version 1 writes it. Most sessions of a deployment share most of their
/// configuration with the defaults, so most fields cost nothing to write, read or check; an idle
/// default session's configuration is one byte.
struct ConfigDelta<'a>(&'a Config);

impl Serialize for ConfigDelta<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeTuple;
        let (c, d) = (self.0, &DEFAULT_CONFIG);
        let mut mask = 0u32;
        macro_rules! differs {
            ($bit:expr, $f:ident) => {
                if c.$f != d.$f {
                    mask |= 1 << $bit;
                }
            };
        }
        config_fields!(differs);
        // postcard writes no length for a tuple: the mask says which fields follow.
        let mut t = s.serialize_tuple(1 + mask.count_ones() as usize)?;
        t.serialize_element(&mask)?;
        macro_rules! write {
            ($bit:expr, $f:ident) => {
                if mask & (1 << $bit) != 0 {
                    t.serialize_element(&c.$f)?;
                }
            };
        }
        config_fields!(write);
        t.end()
    }
}

/// A configuration read from a version-2 snapshot ([`ConfigDelta`]).
struct ConfigIn(Box<Config>);

impl<'de> Deserialize<'de> for ConfigIn {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ConfigIn, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = ConfigIn;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a configuration: a field mask, then the fields it names")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<ConfigIn, A::Error> {
                use serde::de::Error;
                let mask: u32 = seq.next_element()?.ok_or_else(|| A::Error::invalid_length(0, &self))?;
                if mask >> CONFIG_FIELDS != 0 {
                    return Err(A::Error::custom("a configuration field this version does not know"));
                }
                let mut c = Box::new(Config::DEFAULT);
                macro_rules! read {
                    ($bit:expr, $f:ident) => {
                        if mask & (1 << $bit) != 0 {
                            c.$f = seq
                                .next_element()?
                                .ok_or_else(|| A::Error::invalid_length($bit + 1, &self))?;
                        }
                    };
                }
                config_fields!(read);
                Ok(ConfigIn(c))
            }
        }
        d.deserialize_tuple(1 + CONFIG_FIELDS, Visitor)
    }
}

// ----- the session, as its changes from a new one (version 2) --------------------------------

/// Bits of the version-2 session mask: a part whose bit is clear is what [`Session::new`] made
/// of the configuration and the start time (the two flags are their own values).
mod part {
    pub(super) const LEGS: u16 = 1 << 0;
    pub(super) const PHASE: u16 = 1 << 1;
    pub(super) const TIMER: u16 = 1 << 2;
    pub(super) const PROXY_PENDING: u16 = 1 << 3;
    pub(super) const FIRST_INVITE_SEEN: u16 = 1 << 4;
    pub(super) const INTERCEPTING: u16 = 1 << 5;
    pub(super) const DEFERRED: u16 = 1 << 6;
    pub(super) const FT_WAIT: u16 = 1 << 7;
    pub(super) const REASSEMBLER: u16 = 1 << 8;
    pub(super) const RECORDER: u16 = 1 << 9;
    pub(super) const ALL: u16 = (1 << 10) - 1;
}

/// The leg table of a new session with this configuration (as [`Session::new`] makes it).
fn fresh_legs(config: &Config) -> impl Iterator<Item = LegState> {
    let media = config.role == Role::B2bua;
    core::iter::repeat(LegState { status: LegStatus::Up, media }).take(1 + usize::from(config.iwfs.max(1)))
}

impl SessionOut<'_> {
    /// Which parts differ from a new session's.
    fn mask(&self) -> u16 {
        let c = self.config.0;
        let fresh = |l: &LegState| l.status == LegStatus::Up && l.media == (c.role == Role::B2bua);
        let legs_fresh = self.legs.len() == 1 + usize::from(c.iwfs.max(1)) && self.legs.iter().all(fresh);
        [
            (!legs_fresh, part::LEGS),
            (self.phase != Phase::Active, part::PHASE),
            (self.timer != SessionTimer::new(c.session_expires, self.started), part::TIMER),
            (self.proxy_pending != [0, 0], part::PROXY_PENDING),
            (self.first_invite_seen, part::FIRST_INVITE_SEEN),
            (self.intercepting, part::INTERCEPTING),
            (self.deferred.is_some(), part::DEFERRED),
            (self.ft_wait.is_some(), part::FT_WAIT),
            (self.reassembler.is_some(), part::REASSEMBLER),
            (self.recorder.is_some(), part::RECORDER),
        ]
        .into_iter()
        .filter(|(changed, _)| *changed)
        .fold(0, |mask, (_, bit)| mask | bit)
    }
}

/// Version 2: the configuration's changes ([`ConfigDelta`]), the start time, a mask of the parts
/// that differ from a new session's ([`part`]), then those parts alone, each as version 1 writes
/// it. A session that has only just started is its configuration's changes and two numbers.
impl Serialize for SessionOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeTuple;
        let mask = self.mask();
        let mut t = s.serialize_tuple(
            3 + (mask & !(part::FIRST_INVITE_SEEN | part::INTERCEPTING)).count_ones() as usize,
        )?;
        t.serialize_element(&self.config)?;
        t.serialize_element(&self.started)?;
        t.serialize_element(&mask)?;
        if mask & part::LEGS != 0 {
            t.serialize_element(self.legs)?;
        }
        if mask & part::PHASE != 0 {
            t.serialize_element(&self.phase)?;
        }
        if mask & part::TIMER != 0 {
            t.serialize_element(&self.timer)?;
        }
        if mask & part::PROXY_PENDING != 0 {
            t.serialize_element(&self.proxy_pending)?;
        }
        if let Some(deferred) = self.deferred {
            t.serialize_element(deferred)?;
        }
        if let Some(at) = self.ft_wait {
            t.serialize_element(&at)?;
        }
        if let Some(r) = &self.reassembler {
            t.serialize_element(r)?;
        }
        if let Some(r) = self.recorder {
            t.serialize_element(r)?;
        }
        t.end()
    }
}

/// A session read from a version-2 snapshot ([`SessionOut`]'s form).
struct SessionV2(SessionIn);

impl<'de> Deserialize<'de> for SessionV2 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<SessionV2, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = SessionV2;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a session: its configuration, start, a part mask and the parts it names")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<SessionV2, A::Error> {
                use serde::de::Error;
                let mut n = 0usize;
                macro_rules! next {
                    () => {{
                        n += 1;
                        seq.next_element()?.ok_or_else(|| A::Error::invalid_length(n, &"a whole session"))?
                    }};
                }
                let ConfigIn(config) = next!();
                let started: Time = next!();
                let mask: u16 = next!();
                if mask & !part::ALL != 0 {
                    return Err(A::Error::custom("a session part this version does not know"));
                }
                let has = |bit: u16| mask & bit != 0;
                let legs = if has(part::LEGS) { next!() } else { Legs(fresh_legs(&config).collect()) };
                let phase = if has(part::PHASE) { next!() } else { Phase::Active };
                let timer = if has(part::TIMER) {
                    next!()
                } else {
                    SessionTimer::new(config.session_expires, started)
                };
                let proxy_pending = if has(part::PROXY_PENDING) { next!() } else { [0, 0] };
                let deferred = if has(part::DEFERRED) { Some(next!()) } else { None };
                let ft_wait = if has(part::FT_WAIT) { Some(next!()) } else { None };
                let reassembler = if has(part::REASSEMBLER) { Some(next!()) } else { None };
                let recorder = if has(part::RECORDER) { Some(next!()) } else { None };
                Ok(SessionV2(SessionIn {
                    config,
                    legs,
                    phase,
                    timer,
                    proxy_pending,
                    first_invite_seen: has(part::FIRST_INVITE_SEEN),
                    intercepting: has(part::INTERCEPTING),
                    deferred,
                    ft_wait,
                    reassembler,
                    recorder,
                    started,
                }))
            }
        }
        d.deserialize_tuple(3 + 8, Visitor)
    }
}

// ----- MSRP on the legs --------------------------------------------------------------------------

/// The MSRP-on-the-legs section ([`LEGS_TAG`]).
#[derive(Serialize, Deserialize)]
struct LegsSaved {
    timeout_secs: u16,
    max_pending: u16,
    state: Option<MsrpSaved>,
}

#[derive(Serialize, Deserialize)]
struct MsrpSaved {
    legs: Vec<Option<LegSaved>>,
    deliveries: Vec<Delivery>,
    origins: Vec<(MessageId, Leg)>,
    deferred: Vec<Message>,
}

#[derive(Serialize, Deserialize)]
struct LegSaved {
    local: String,
    remote: String,
    undecoded: Vec<u8>,
    skipping: Option<TransactionId>,
    stream_failed: bool,
    unsent: Vec<u8>,
    next_tid: u32,
    pending: Vec<Pending>,
    failed: bool,
}

impl MsrpSaved {
    fn of(m: &MsrpLegs) -> MsrpSaved {
        let leg = |ep: &LegEndpoint| {
            let (undecoded, skipping, stream_failed) = ep.decoder.saved();
            LegSaved {
                local: ep.local.to_string(),
                remote: ep.remote.to_string(),
                undecoded: undecoded.to_vec(),
                skipping,
                stream_failed,
                unsent: ep.unsent().to_vec(),
                next_tid: ep.next_tid,
                pending: ep.pending.iter().copied().collect(),
                failed: ep.failed,
            }
        };
        MsrpSaved {
            legs: m.legs.iter().map(|l| l.as_ref().map(leg)).collect(),
            deliveries: m.deliveries.iter().copied().collect(),
            origins: m.origins.iter().copied().collect(),
            deferred: m.deferred.iter().cloned().collect(),
        }
    }

    /// SNAP-2 for the section: every ML-5 bound and the legs of the session, then the state.
    fn build(self, session: &Session) -> Result<MsrpLegs, Invalid> {
        let config = &session.config;
        let bad = Invalid::MsrpLegs;
        if config.role != Role::B2bua {
            return Err(Invalid::Role);
        }
        if self.legs.len() != session.legs.len() {
            return Err(bad("a leg table of another length than the session's"));
        }
        let max_pending = usize::from(config.msrp_max_pending);
        let cap = max_pending.saturating_mul(2).max(1);
        if self.deliveries.len() > cap || self.origins.len() > cap {
            return Err(bad("more deliveries or senders than twice msrp_max_pending"));
        }
        let deferred: usize = self.deferred.iter().map(|m| m.body.len()).sum();
        if deferred > config.limits.max_buffered
            || (!self.deferred.is_empty() && !config.prefs.contains(Preferences::ALLOW_DEFER))
        {
            return Err(bad("deferred items over max_buffered or without allow-defer"));
        }
        let mut legs = MsrpLegs::default();
        for saved in self.legs {
            legs.legs.push(match saved {
                None => None,
                Some(l) => {
                    // The bound the invariant checker holds a live session to (ML-5).
                    let max_unsent = config
                        .limits
                        .max_buffered
                        .saturating_add(config.msrp_max_frame().saturating_mul(2))
                        .saturating_add(1 << 16);
                    if l.unsent.len() > max_unsent {
                        return Err(bad("more unsent bytes than a live leg can hold"));
                    }
                    Some(l.build(config.msrp_max_frame(), max_pending, session.started)?)
                }
            });
        }
        legs.deliveries = self.deliveries.into();
        legs.origins = self.origins.into();
        legs.deferred = self.deferred.into();
        Ok(legs)
    }
}

impl LegSaved {
    fn build(self, max_frame: usize, max_pending: usize, started: Time) -> Result<LegEndpoint, Invalid> {
        let bad = Invalid::MsrpLegs;
        check_uri(&self.local).map_err(|_| bad("a URI that is not an MSRP URI"))?;
        check_uri(&self.remote).map_err(|_| bad("a URI that is not an MSRP URI"))?;
        if self.pending.len() > max_pending {
            return Err(bad("more relayed chunks awaiting an answer than msrp_max_pending"));
        }
        if self.pending.iter().any(|p| p.deadline < started) {
            return Err(Invalid::Deadline);
        }
        let decoder = FrameDecoder::restored(max_frame, &self.undecoded, self.skipping, self.stream_failed)
            .ok_or(bad("more undecoded bytes than one maximum frame"))?;
        let mut ep = LegEndpoint::new(&self.local, &self.remote, max_frame, max_pending);
        ep.decoder = decoder;
        ep.transmit = self.unsent;
        ep.next_tid = self.next_tid;
        ep.pending = self.pending.into();
        ep.failed = self.failed;
        Ok(ep)
    }
}

impl SessionIn {
    /// SNAP-2: the checks, then the session.
    fn check(mut self, max: Option<Limits>, msrp: Option<(u16, u16)>) -> Result<Session, Invalid> {
        if let Some((timeout_secs, max_pending)) = msrp {
            self.config.msrp_response_timeout_secs = timeout_secs;
            self.config.msrp_max_pending = max_pending;
        }
        let config = &self.config;
        config.validate().map_err(Invalid::Config)?;
        if Preferences::from_bits(config.prefs.bits()).is_none()
            || Policy::from_bits(config.policy.bits()).is_none()
        {
            return Err(Invalid::UnknownFlags);
        }
        if let Some(max) = max {
            let l = config.limits;
            if l.max_message > max.max_message
                || l.max_partial > max.max_partial
                || l.max_buffered > max.max_buffered
            {
                return Err(Invalid::LimitsAbove);
            }
        }
        let expected = 1 + usize::from(config.iwfs.max(1));
        if self.legs.0.len() != expected {
            return Err(Invalid::LegCount { expected, found: self.legs.0.len() });
        }
        let has_leg = |leg: Leg| match leg {
            Leg::Client => true,
            Leg::Remote => config.iwfs == 0,
            Leg::Iwf(k) => k >= 1 && k <= config.iwfs,
        };
        self.check_role_and_phase(has_leg)?;
        self.check_parts()?;
        let reassembler = match self.reassembler {
            Some(r) => Some(Box::new(r.build(&config.limits, has_leg).map_err(Invalid::Reassembler)?)),
            None => None,
        };
        if let Some(r) = &self.recorder {
            r.check_restored(config, self.started, has_leg).map_err(Invalid::Recorder)?;
        }
        Ok(Session {
            config: self.config,
            legs: LegTable::from_slice(&self.legs.0),
            phase: self.phase,
            timer: self.timer,
            proxy_pending: self.proxy_pending,
            flags: {
                let mut flags = Flags::default();
                flags.set(Flags::FIRST_INVITE_SEEN, self.first_invite_seen);
                flags.set(Flags::INTERCEPTING, self.intercepting);
                flags
            },
            rare: (self.deferred.is_some() || self.ft_wait.is_some())
                .then(|| Box::new(Rare { deferred: self.deferred, ft_wait: self.ft_wait, msrp: None })),
            reassembler,
            recorder: self.recorder,
            started: self.started,
        })
    }

    fn check_role_and_phase(&self, has_leg: impl Fn(Leg) -> bool) -> Result<(), Invalid> {
        let config = &self.config;
        let ended = |l: &LegState| matches!(l.status, LegStatus::Ended | LegStatus::Gone) && !l.media;
        if config.role == Role::Proxy {
            // A proxy never changes a leg, holds no media, and is active or terminated.
            let untouched = self.legs.0.iter().all(|l| l.status == LegStatus::Up && !l.media);
            let phase_ok = matches!(self.phase, Phase::Active | Phase::Terminated);
            if !untouched || !phase_ok || self.ft_wait.is_some() {
                return Err(Invalid::Role);
            }
            return Ok(());
        }
        if self.proxy_pending != [0, 0] {
            return Err(Invalid::Role);
        }
        // Only the client's leg is ever gone (BYE-4i), and only in a group without IWFs.
        let group = config.kind == Kind::Group && config.iwfs == 0;
        let gone_elsewhere = self.legs.0.iter().skip(1).any(|l| l.status == LegStatus::Gone);
        let client_gone = self.legs.0.first().is_some_and(|l| l.status == LegStatus::Gone);
        if gone_elsewhere || (client_gone && !group) {
            return Err(Invalid::Phase);
        }
        let phase_ok = match self.phase {
            Phase::Active => true,
            Phase::Remaining => group && client_gone,
            Phase::Ending { answer } => answer.map_or(true, |(leg, _)| has_leg(leg)),
            Phase::Terminated => self.legs.0.iter().all(ended) && self.ft_wait.is_none(),
        };
        if !phase_ok {
            return Err(Invalid::Phase);
        }
        // Deadlines: a session interval is never zero; the FT-1c wait exists only at the end of
        // a file transfer, once every BYE is answered, and was set no earlier than a store
        // timeout after the session started.
        let zero_interval = self.timer.interval().is_some_and(|d| d.is_zero());
        let ft_wait_ok = self.ft_wait.map_or(true, |d| {
            config.kind == Kind::FileTransfer
                && self.phase == (Phase::Ending { answer: None })
                && d >= self.started + config.store_timeout
        });
        if zero_interval || !ft_wait_ok {
            return Err(Invalid::Deadline);
        }
        Ok(())
    }

    /// Parts made only for some configurations.
    fn check_parts(&self) -> Result<(), Invalid> {
        let config = &self.config;
        let ok = (!self.intercepting || config.may_intercept())
            && (self.deferred.is_none() || config.prefs.contains(Preferences::ALLOW_DEFER))
            && (self.reassembler.is_none() || (config.role == Role::B2bua && config.reassembles()))
            && (self.recorder.is_none() || config.stores_intercepted());
        if ok {
            Ok(())
        } else {
            Err(Invalid::Part)
        }
    }
}
