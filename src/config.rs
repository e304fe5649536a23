//! A session's configuration (docs/requirements.md, "The session model").

use std::time::Duration;

use crate::msrp::reassembly::Limits;
use crate::record::objects::Profile;

/// Whether the Participating Function is in the media path.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Role {
    /// Back-to-back user agent: in the signalling and media path, may record.
    #[default]
    B2bua,
    /// SIP proxy: forwards, never answers a BYE itself, never stores.
    Proxy,
}

/// What kind of CPM session this is.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kind {
    /// A 1-1 CPM session (chat).
    #[default]
    OneToOne,
    /// A CPM group session.
    Group,
    /// A CPM File Transfer session.
    FileTransfer,
}

/// Which side of the session the served user is on.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Side {
    /// The served user started the session.
    #[default]
    Originating,
    /// The served user was invited.
    Terminating,
}

bitflags::bitflags! {
    /// The served user's preferences (action elements of the user's CPM settings).
    #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(transparent))]
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct Preferences: u8 {
        /// `<allow-offline-storage>`: record sessions into the Message Store.
        const ALLOW_OFFLINE_STORAGE = 1 << 0;
        /// `<allow-store>`: store intercepted items.
        const ALLOW_STORE = 1 << 1;
        /// `<allow-defer>`: keep intercepted items for later delivery.
        const ALLOW_DEFER = 1 << 2;
    }
}

bitflags::bitflags! {
    /// The service provider's policy.
    #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(transparent))]
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct Policy: u8 {
        /// Users may re-start CPM Long-lived Group Sessions.
        const LONG_LIVED_RESTART = 1 << 0;
        /// With several IWFs, a BYE from one IWF closes only its media streams.
        const IWF_BYE_CLOSES_STREAMS = 1 << 1;
        /// Store each object as it arrives rather than at session end.
        const LIVE_RECORDING = 1 << 2;
        /// Report when CPM services may be skipped because of an IARI (TD-7).
        const SKIP_SERVICES_ON_IARI = 1 << 3;
    }
}

/// Everything a session needs to know at creation.
///
/// `Config::default()` is a 1-1, originating B2BUA session with no preferences, no policy, no
/// IWF and no session timer, whose identities (Contribution-ID, Conversation-ID, the other
/// party) come from the first INVITE and whose generated IDs are unique per session; set the
/// fields that differ. It never makes up an identity: nothing is stored under a placeholder.
///
/// ```
/// use cpm_pf::{Config, Kind, Preferences};
/// let mut config = Config::default();
/// config.kind = Kind::Group;
/// config.prefs = Preferences::ALLOW_OFFLINE_STORAGE;
/// config.contribution_id = Some("abc".into());
/// // Identities are `Box<str>` (an idle session stays small): `.into()` from `&str` or `String`.
/// ```
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Proxy or B2BUA.
    pub role: Role,
    /// 1-1, group or file transfer.
    pub kind: Kind,
    /// Originating or terminating.
    pub side: Side,
    /// Number of IWF legs (`iwf1`…`iwfN`); with one or more there is no `remote` leg.
    pub iwfs: u8,
    /// The served user's preferences.
    pub prefs: Preferences,
    /// The service provider's policy.
    pub policy: Policy,
    /// The session's Contribution-ID: names the session history folder. `None`: taken from the
    /// first INVITE (or REFER) of the session (EMB-1); when both are known and differ, the
    /// configured one wins and the difference is reported.
    pub contribution_id: Option<Box<str>>,
    /// The session's Conversation-ID. `None`: taken from the first INVITE (or REFER).
    pub conversation_id: Option<Box<str>>,
    /// The other user's URI (1-1 and file transfer): names the conversation folder. `None`: taken
    /// from the first INVITE (or REFER): its `To` on the originating side, its `From` on the
    /// terminating side (EMB-1).
    pub peer: Option<Box<str>>,
    /// The group's focus URI (the `remote` leg's Contact with `isfocus`), which the group state
    /// object names as `lastfocussessionid` (MS-5). `None`: taken from the INVITE's answer when
    /// the embedder hands it over, else left out of the object (never the Conference-Factory URI).
    pub focus: Option<Box<str>>,
    /// The Message Store object profile (MS-1): `rcs` (default) or `oma`.
    pub profile: Profile,
    /// Most participants the group state keeps from the conference event package (MS-5); a
    /// NOTIFY that would take it over is reported and changes nothing. Default 256.
    pub max_participants: usize,
    /// Most bytes of a transferred file the File Transfer History object keeps (MS-6, fed with
    /// `Input::FileData`). Default 1 MiB.
    pub max_file_bytes: usize,
    /// The session history folder exists already (no `create-folder` needed).
    pub history_folder_exists: bool,
    /// A file transfer started inside a CPM session (FT-1b).
    pub ft_in_session: bool,
    /// Session interval from configuration, counting from the session's start (ST-0).
    pub session_expires: Option<Duration>,
    /// MSRP reassembly limits (LIM-1).
    pub limits: Limits,
    /// How long FT-1c waits for the store's UID before answering without it.
    pub store_timeout: Duration,
    /// Seed for the IMDN-Message-IDs the PF generates for stored objects (REC-1). `None` (the
    /// default): derived from the session's identities and start time, so generated IDs are
    /// unique across sessions without anything from the embedder (EMB-2); `Some` makes them
    /// reproducible, for tests.
    pub id_seed: Option<u64>,
    /// MSRP on the legs (ML-4): seconds a chunk the session relayed on a leg waits for its
    /// transaction response; after them the chunk, and a message to the client, is not
    /// delivered (RFC 4975 §7.1.1). Default 30. (Whole seconds in 16 bits: the field fits in
    /// the configuration's padding, so an idle session does not grow.) Saved in the snapshot's
    /// legs section (SNAP-1).
    #[cfg_attr(feature = "serde", serde(skip, default = "default_msrp_response_timeout"))]
    pub msrp_response_timeout_secs: u16,
    /// MSRP on the legs (ML-5): most chunks relayed on one leg that await their response; a
    /// chunk that would take a leg over it is refused `413` on the leg it came from. Default 32.
    /// Saved in the snapshot's legs section (SNAP-1).
    #[cfg_attr(feature = "serde", serde(skip, default = "default_msrp_max_pending"))]
    pub msrp_max_pending: u16,
}

/// The default [`Config::msrp_response_timeout_secs`]: RFC 4975 §7.1.1's 30 seconds.
pub const DEFAULT_MSRP_RESPONSE_TIMEOUT_SECS: u16 = 30;
/// The default [`Config::msrp_max_pending`].
pub const DEFAULT_MSRP_MAX_PENDING: u16 = 32;

#[cfg(feature = "serde")]
fn default_msrp_response_timeout() -> u16 {
    DEFAULT_MSRP_RESPONSE_TIMEOUT_SECS
}

#[cfg(feature = "serde")]
fn default_msrp_max_pending() -> u16 {
    DEFAULT_MSRP_MAX_PENDING
}

impl Default for Config {
    fn default() -> Config {
        Config::DEFAULT
    }
}

impl Config {
    /// [`Config::default`] as a constant: what a saved configuration is compared with (the
    /// snapshot writes only the fields that differ from it).
    pub(crate) const DEFAULT: Config = Config {
        role: Role::B2bua,
        kind: Kind::OneToOne,
        side: Side::Originating,
        iwfs: 0,
        prefs: Preferences::empty(),
        policy: Policy::empty(),
        contribution_id: None,
        conversation_id: None,
        peer: None,
        focus: None,
        profile: Profile::Rcs,
        max_participants: 256,
        max_file_bytes: 1 << 20,
        history_folder_exists: false,
        ft_in_session: false,
        session_expires: None,
        limits: Limits::DEFAULT,
        store_timeout: Duration::from_secs(5),
        id_seed: None,
        msrp_response_timeout_secs: DEFAULT_MSRP_RESPONSE_TIMEOUT_SECS,
        msrp_max_pending: DEFAULT_MSRP_MAX_PENDING,
    };
}

impl Config {
    /// Checks that a session can work with this configuration ([`Session::new`] calls it).
    ///
    /// [`Session::new`]: crate::Session::new
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.role == Role::Proxy && self.iwfs > 0 {
            return Err(ConfigError::ProxyWithIwfs(self.iwfs));
        }
        if self.session_expires.is_some_and(|d| d.as_secs() == 0) {
            return Err(ConfigError::ZeroSessionInterval);
        }
        let l = self.limits;
        for (limit, v) in [
            (LimitName::MaxMessage, l.max_message),
            (LimitName::MaxPartial, l.max_partial),
            (LimitName::MaxBuffered, l.max_buffered),
            (LimitName::MsrpMaxPending, usize::from(self.msrp_max_pending)),
            (LimitName::MsrpResponseTimeout, usize::from(self.msrp_response_timeout_secs)),
        ] {
            if v == 0 {
                return Err(ConfigError::ZeroLimit(limit));
            }
        }
        Ok(())
    }

    /// Recording is on: a B2BUA with `allow-offline-storage` ("The session model"), except a
    /// file transfer on the terminating side, which records nothing (FT-1). The one place this
    /// is decided: the session, the recorder and the invariant checker all ask here.
    pub fn recording_on(&self) -> bool {
        self.role == Role::B2bua
            && self.prefs.contains(Preferences::ALLOW_OFFLINE_STORAGE)
            && !(self.kind == Kind::FileTransfer && self.side == Side::Terminating)
    }

    /// Intercepted items are stored (REC-INT): a B2BUA with `allow-offline-storage` or
    /// `allow-store`.
    pub fn stores_intercepted(&self) -> bool {
        self.role == Role::B2bua
            && self.prefs.intersects(Preferences::ALLOW_OFFLINE_STORAGE | Preferences::ALLOW_STORE)
    }

    /// The session may remain after a connection loss and intercept (BYE-4, BYE-4ii): a
    /// non-interworked group session with any of the three preferences.
    pub fn may_intercept(&self) -> bool {
        self.role == Role::B2bua
            && self.kind == Kind::Group
            && self.iwfs == 0
            && self.prefs.intersects(Preferences::all())
    }

    /// Chat messages are reassembled when they may be recorded or intercepted; never for a
    /// file transfer (FT-1: the embedder relays its content) or a proxy.
    pub fn reassembles(&self) -> bool {
        self.kind != Kind::FileTransfer && (self.recording_on() || self.may_intercept())
    }
}

/// A configuration the session cannot work with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A proxy has exactly two legs, `client` and `remote`.
    #[error("a proxy has no IWF legs (iwfs = {0})")]
    ProxyWithIwfs(u8),
    /// A session interval of zero.
    #[error("the session interval must be at least one second")]
    ZeroSessionInterval,
    /// A limit of zero.
    #[error("limit {0} must be at least 1")]
    ZeroLimit(LimitName),
}

/// One of the configured limits (LIM-1), named as in scenario files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LimitName {
    /// `max-message`: the largest reassembled message.
    MaxMessage,
    /// `max-partial`: the most partial messages at once.
    MaxPartial,
    /// `max-buffered`: the most bytes buffered.
    MaxBuffered,
    /// `msrp-max-pending`: the most relayed chunks awaiting their response on a leg (ML-5).
    MsrpMaxPending,
    /// `msrp-timeout`: how long a relayed chunk waits for its response (ML-4).
    MsrpResponseTimeout,
}

impl core::fmt::Display for LimitName {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            LimitName::MaxMessage => "max-message",
            LimitName::MaxPartial => "max-partial",
            LimitName::MaxBuffered => "max-buffered",
            LimitName::MsrpMaxPending => "msrp-max-pending",
            LimitName::MsrpResponseTimeout => "msrp-timeout",
        })
    }
}

impl Config {
    /// The largest MSRP frame a leg buffers undecoded (ML-5): a chunk as large as the largest
    /// message, plus room for its headers.
    ///
    /// ```
    /// let c = cpm_pf::Config::default();
    /// assert_eq!(c.msrp_max_frame(), (1 << 20) + 16 * 1024);
    /// ```
    pub fn msrp_max_frame(&self) -> usize {
        self.limits.max_message.saturating_add(16 * 1024)
    }

    /// [`Config::msrp_response_timeout_secs`] as a duration.
    ///
    /// ```
    /// let c = cpm_pf::Config::default();
    /// assert_eq!(c.msrp_response_timeout(), std::time::Duration::from_secs(30));
    /// ```
    pub fn msrp_response_timeout(&self) -> Duration {
        Duration::from_secs(u64::from(self.msrp_response_timeout_secs))
    }
}
