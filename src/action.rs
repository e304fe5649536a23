//! What a session asks the embedder to do, in the order it must be done.

use core::fmt;
use std::borrow::Cow;

use smallvec::SmallVec;

use crate::grammar::message_id::MessageId;
use crate::grammar::GrammarError;
use crate::msrp::endpoint::DeliveryFailure;
use crate::msrp::frame::FrameError;
use crate::msrp::reassembly::{Message, Note};
use crate::record::objects::{mailbox, MailboxKind, Profile};
use crate::{Leg, Method};

/// A Message Store folder (docs/requirements.md "Folders", REC-F), with what names its IMAP mailbox (MS-8).
///
/// `Display` gives the folder as scenario files write it (`conversation:PEER`,
/// `session-history:CONTRIBUTION-ID`); [`Folder::mailbox`] the IMAP mailbox path of a profile.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Folder {
    /// The conversation folder of the other user (1-1 and file transfer).
    Conversation {
        /// The other user's URI.
        peer: Box<str>,
        /// The session's Conversation-ID, when known (names the folder in the `oma` profile).
        conversation_id: Option<Box<str>>,
    },
    /// The session history folder of a group session (or of a file transfer inside one).
    SessionHistory {
        /// The session's Contribution-ID.
        contribution_id: Box<str>,
        /// The session's Conversation-ID, when known (the parent level of the mailbox).
        conversation_id: Option<Box<str>>,
    },
}

impl Folder {
    /// A conversation folder of `peer`, Conversation-ID unknown.
    pub fn conversation(peer: impl Into<Box<str>>) -> Folder {
        Folder::Conversation { peer: peer.into(), conversation_id: None }
    }

    /// A session history folder of `contribution_id`, Conversation-ID unknown.
    pub fn session_history(contribution_id: impl Into<Box<str>>) -> Folder {
        Folder::SessionHistory { contribution_id: contribution_id.into(), conversation_id: None }
    }

    /// The same folder with this Conversation-ID.
    pub fn with_conversation_id(self, id: Option<impl Into<Box<str>>>) -> Folder {
        let conversation_id = id.map(Into::into);
        match self {
            Folder::Conversation { peer, .. } => Folder::Conversation { peer, conversation_id },
            Folder::SessionHistory { contribution_id, .. } => {
                Folder::SessionHistory { contribution_id, conversation_id }
            }
        }
    }

    /// The IMAP mailbox path of this folder in `profile` (MS-8): `rcs`: `Default/<peer>` (a
    /// phone number as `tel:+E164`) or `Default/<Conversation-ID>/<Contribution-ID>`; `oma`: the
    /// conversation folder named by the Conversation-ID, the session history folder its child.
    /// In IMAP modified UTF-7, with a `/` inside an ID escaped so that it never adds a level.
    ///
    /// ```
    /// use cpm_pf::{Folder, Profile};
    /// let group = Folder::session_history("contrib-1").with_conversation_id(Some("conv-1"));
    /// assert_eq!(group.mailbox(Profile::Rcs), "Default/conv-1/contrib-1");
    /// assert_eq!(group.mailbox(Profile::Oma), "conv-1/contrib-1");
    /// let peer = Folder::conversation("sip:+33612345678@ims.example.com;user=phone");
    /// assert_eq!(peer.mailbox(Profile::Rcs), "Default/tel:+33612345678");
    /// ```
    pub fn mailbox(&self, profile: Profile) -> String {
        let kind = match self {
            Folder::Conversation { peer, conversation_id } => {
                MailboxKind::Conversation { peer, conversation_id: conversation_id.as_deref() }
            }
            Folder::SessionHistory { contribution_id, conversation_id } => {
                MailboxKind::SessionHistory { conversation_id: conversation_id.as_deref(), contribution_id }
            }
        };
        mailbox(kind, profile)
    }
}

impl fmt::Display for Folder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Folder::Conversation { peer, .. } => write!(f, "conversation:{peer}"),
            Folder::SessionHistory { contribution_id, .. } => write!(f, "session-history:{contribution_id}"),
        }
    }
}

/// Which object an action or a store completion is about.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectRef {
    /// The session info object (OMA MS 5.2.7).
    SessionInfo,
    /// The group state object (OMA MS 5.2.8).
    GroupState,
    /// The File Transfer History object (OMA MS 5.2.3).
    FtHistory,
    /// A chat message, by MSRP Message-ID.
    ChatMessage(MessageId),
    /// A disposition notification (IMDN), by MSRP Message-ID.
    Imdn(MessageId),
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObjectRef::SessionInfo => f.write_str("session-info"),
            ObjectRef::GroupState => f.write_str("group-state"),
            ObjectRef::FtHistory => f.write_str("ft-history"),
            ObjectRef::ChatMessage(id) => write!(f, "chat-message {id}"),
            ObjectRef::Imdn(id) => write!(f, "imdn {id}"),
        }
    }
}

/// The kind of input a [`Diagnostic::Ignored`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IgnoredInput {
    /// A BYE request.
    Bye,
    /// A final response to a BYE.
    ByeResponse,
    /// A response that is not a final one.
    Response,
    /// A request other than BYE (INVITE, REFER, UPDATE, ...).
    Request,
    /// An MSRP chunk.
    MsrpChunk,
    /// A delivery confirmation (`Input::Delivered`).
    DeliveryConfirmation,
}

impl fmt::Display for IgnoredInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IgnoredInput::Bye => "BYE",
            IgnoredInput::ByeResponse => "BYE response",
            IgnoredInput::Response => "response",
            IgnoredInput::Request => "request",
            IgnoredInput::MsrpChunk => "MSRP chunk",
            IgnoredInput::DeliveryConfirmation => "delivery confirmation",
        })
    }
}

/// Why a [`Diagnostic::Ignored`] input changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IgnoredWhy {
    /// The session has no such leg (an IWF beyond `iwfs`, `remote` in an interworked session).
    NoSuchLeg,
    /// A proxy has two legs, `client` and `remote`.
    ProxyHasNoIwfs,
    /// A proxy is not in the media path (MSRP is not its business).
    NotInMediaPath,
    /// The leg's media has been released.
    MediaReleased,
    /// The session has terminated.
    Terminated,
    /// The end of the session is decided: an INVITE or REFER changes nothing (docs/requirements.md branch 4).
    Ending,
    /// No BYE of the PF is outstanding on that leg.
    NoByeOutstanding,
    /// (Proxy) no BYE was forwarded to that leg.
    NoByeForwarded,
    /// Only final responses (200-699) are inputs.
    NotFinalResponse,
    /// The session does not handle this request method.
    NotHandled,
    /// No complete message to the client awaiting confirmation has that Message-ID.
    NoSuchMessage,
    /// MSRP bytes for a leg that was not set up with `Session::set_msrp_leg` (ML-1).
    NoMsrpLeg,
}

impl fmt::Display for IgnoredWhy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IgnoredWhy::NoSuchLeg => "the session has no such leg",
            IgnoredWhy::ProxyHasNoIwfs => "a proxy has no IWF legs",
            IgnoredWhy::NotInMediaPath => "a proxy is not in the media path",
            IgnoredWhy::MediaReleased => "the leg's media is released",
            IgnoredWhy::Terminated => "the session has terminated",
            IgnoredWhy::Ending => "the end of the session is decided",
            IgnoredWhy::NoByeOutstanding => "no BYE is outstanding on that leg",
            IgnoredWhy::NoByeForwarded => "no BYE was forwarded to that leg",
            IgnoredWhy::NotFinalResponse => "not a final response (200-699)",
            IgnoredWhy::NotHandled => "not a request this session handles",
            IgnoredWhy::NoSuchMessage => {
                "no complete message to the client awaiting confirmation has that Message-ID"
            }
            IgnoredWhy::NoMsrpLeg => "the leg's MSRP was not set up (Session::set_msrp_leg)",
        })
    }
}

/// Why a message or object was not stored ([`Diagnostic::NotStored`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NotStoredWhy {
    /// A message to the client whose delivery was never confirmed before the session ended
    /// (REC-5ii: only a delivered message is recorded).
    NeverConfirmed,
    /// Recording is off for this session (`Config::recording_on`) and the message was not
    /// intercepted.
    RecordingOff,
    /// The folder's name is unknown: no peer (1-1, file transfer) or Contribution-ID (group)
    /// was configured or carried by the first INVITE (EMB-1).
    FolderUnknown,
    /// MSRP on the legs (ML-4): the message, relayed to the client, was not delivered.
    NotDelivered(DeliveryFailure),
}

impl fmt::Display for NotStoredWhy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NotStoredWhy::NeverConfirmed => "never confirmed as delivered to the client",
            NotStoredWhy::RecordingOff => "recording is off for this session",
            NotStoredWhy::FolderUnknown => "the folder's name is unknown (no peer or Contribution-ID)",
            NotStoredWhy::NotDelivered(_) => "not delivered to the client",
        })
    }
}

/// An identity a stored object carries ([`Diagnostic::MissingIdentity`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Identity {
    /// The `Contribution-ID` header.
    ContributionId,
    /// The `Conversation-ID` header.
    ConversationId,
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Identity::ContributionId => "Contribution-ID",
            Identity::ConversationId => "Conversation-ID",
        })
    }
}

/// Something about MSRP on a leg (ML-1 … ML-5) worth reporting ([`Diagnostic::MsrpLeg`]).
///
/// ```
/// use cpm_pf::MsrpLegEvent;
/// assert_eq!(MsrpLegEvent::Refused { status: 481 }.to_string(), "request refused with 481");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MsrpLegEvent {
    /// The bytes read from the leg can no longer be framed (a start line that can never become
    /// valid, a frame too large to skip): every later byte is discarded. Close the connection.
    Unframeable(FrameError),
    /// A request received on the leg was answered with this failure status (ML-2).
    Refused {
        /// The status written.
        status: u16,
    },
    /// A chunk relayed on the leg had no response in time (ML-4).
    NoResponse,
    /// A chunk relayed on the leg was answered with this failure status.
    FailureResponse {
        /// The status received.
        status: u16,
    },
    /// A response on the leg matches no chunk relayed there (late, repeated or made up).
    StrayResponse,
    /// A response on the leg is malformed (it has a body): dropped, not answered.
    BadResponse,
    /// A REPORT on the leg names a message the session relayed to nowhere it remembers, or
    /// whose sender's leg is gone: not relayed.
    ReportNotRelayed,
    /// The leg already has `msrp_max_pending` relayed chunks awaiting their response; the
    /// chunk that would go there was refused `413` (ML-5).
    Busy,
}

impl fmt::Display for MsrpLegEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MsrpLegEvent::Unframeable(e) => {
                write!(f, "cannot frame the bytes any more ({e}): close the connection")
            }
            MsrpLegEvent::Refused { status } => write!(f, "request refused with {status}"),
            MsrpLegEvent::NoResponse => f.write_str("no response to a relayed chunk in time"),
            MsrpLegEvent::FailureResponse { status } => write!(f, "relayed chunk answered {status}"),
            MsrpLegEvent::StrayResponse => f.write_str("response to no relayed chunk"),
            MsrpLegEvent::BadResponse => f.write_str("malformed response dropped"),
            MsrpLegEvent::ReportNotRelayed => f.write_str("REPORT for no message relayed from a live leg"),
            MsrpLegEvent::Busy => f.write_str("too many relayed chunks await their response"),
        }
    }
}

/// Something the library noticed and reports; it never changes what the session does.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Diagnostic {
    /// A `Reason` header field (by position, 0-based) could not be parsed and was treated as absent.
    UnparseableReason {
        /// Position of the field among the BYE's Reason fields.
        index: usize,
        /// What was wrong.
        error: GrammarError,
    },
    /// A `Session-Expires` value could not be used; the interval is unchanged (ST-0).
    UnusableSessionExpires {
        /// What was wrong, or `None` for a value of 0.
        error: Option<GrammarError>,
    },
    /// An input that makes no sense in the current state; it changed nothing (LIM-1).
    Ignored {
        /// What it was.
        input: IgnoredInput,
        /// Why it was ignored.
        why: IgnoredWhy,
    },
    /// Something about an MSRP chunk.
    Msrp {
        /// The leg it arrived on.
        leg: Leg,
        /// What was noticed.
        note: Note,
    },
    /// An MSRP chunk was refused with this status (400 or 413).
    MsrpRejected {
        /// The leg it arrived on.
        leg: Leg,
        /// The status sent back.
        status: u16,
    },
    /// A complete message to the client, held until its delivery is confirmed (REC-5ii), was
    /// released unrecorded: the messages awaiting confirmation would have held more than
    /// `max_buffered` bytes (decision, LIM-1). A later confirmation for it changes nothing.
    UnconfirmedReleased {
        /// The message released.
        object: ObjectRef,
    },
    /// A complete message, or an object, that was not stored, and why (EMB-3: no message is
    /// lost without a word).
    NotStored {
        /// The message or object.
        object: ObjectRef,
        /// Why it was not stored.
        why: NotStoredWhy,
    },
    /// An object was stored without a header because the identity it carries is unknown:
    /// neither configured nor in the first INVITE (EMB-1).
    MissingIdentity {
        /// The object stored.
        object: ObjectRef,
        /// The identity left out.
        identity: Identity,
    },
    /// The configured Contribution-ID differs from the one the first INVITE carries; the
    /// configured one is used (EMB-1).
    ContributionIdMismatch {
        /// The configured value (used).
        configured: String,
        /// The value received.
        received: String,
    },
    /// The transferred file grew past `Config::max_file_bytes`: it is dropped, and the File
    /// Transfer History object says the file was not kept (MS-6).
    FileNotKept {
        /// The bound it went past.
        max_file_bytes: usize,
    },
    /// A conference-info body (MS-5) could not be used: it did not parse, or it would take the
    /// participants over `Config::max_participants`. The participants are unchanged.
    ConferenceInfoRefused {
        /// What was wrong.
        error: crate::record::objects::ConferenceError,
    },
    /// FT-1c: the store of the File Transfer History object did not complete in time; the 200 OK
    /// goes without Message-UID.
    StoreTimedOut,
    /// A chat message or notification received on `leg` is complete (REC-5i); what the session
    /// does with it follows. Lets an observer (the invariant checker) account for every
    /// completed message without reassembling chunks itself.
    MessageComplete {
        /// The leg it arrived on (`client`: from the served client; any other: to it).
        leg: Leg,
        /// The object it becomes.
        object: ObjectRef,
    },
    /// MSRP on the legs (ML-4): the delivery of a message relayed to the client is decided,
    /// once: `failure` is `None` when it was delivered (recorded per REC-5ii), else why not
    /// (then it is not recorded).
    Delivery {
        /// The message.
        message_id: MessageId,
        /// Why it was not delivered; `None` when it was.
        failure: Option<DeliveryFailure>,
    },
    /// Something about MSRP on a leg (ML-1 … ML-5).
    MsrpLeg {
        /// The leg.
        leg: Leg,
        /// What happened.
        event: MsrpLegEvent,
    },
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Diagnostic::UnparseableReason { index, error } => {
                write!(f, "Reason header field #{} ignored: {error}", index + 1)
            }
            Diagnostic::UnusableSessionExpires { error: Some(e) } => {
                write!(f, "Session-Expires ignored, interval unchanged: {e}")
            }
            Diagnostic::UnusableSessionExpires { error: None } => {
                f.write_str("Session-Expires of 0 ignored, interval unchanged")
            }
            Diagnostic::Ignored { input, why } => write!(f, "{input} ignored: {why}"),
            Diagnostic::Msrp { leg, note } => write!(f, "MSRP on {leg}: {note}"),
            Diagnostic::MsrpRejected { leg, status } => {
                write!(f, "MSRP chunk on {leg} refused with {status}")
            }
            Diagnostic::UnconfirmedReleased { object } => write!(
                f,
                "{object} released unrecorded: messages awaiting delivery confirmation would exceed max-buffered"
            ),
            Diagnostic::NotStored { object, why: NotStoredWhy::NotDelivered(failure) } => {
                write!(f, "{object} not stored: not delivered to the client ({failure})")
            }
            Diagnostic::NotStored { object, why } => write!(f, "{object} not stored: {why}"),
            Diagnostic::MissingIdentity { object, identity } => {
                write!(f, "{object} stored without {identity}: neither configured nor in the first INVITE")
            }
            Diagnostic::ContributionIdMismatch { configured, received } => write!(
                f,
                "configured Contribution-ID {configured:?} differs from the INVITE's {received:?}; the configured one is used"
            ),
            Diagnostic::FileNotKept { max_file_bytes } => {
                write!(f, "transferred file over {max_file_bytes} bytes: not kept in the history object")
            }
            Diagnostic::ConferenceInfoRefused { error } => {
                write!(f, "conference-info ignored, participants unchanged: {error}")
            }
            Diagnostic::StoreTimedOut => f.write_str(
                "File Transfer History store did not complete in time; 200 OK sent without Message-UID",
            ),
            Diagnostic::MessageComplete { leg, object } => write!(f, "{object} complete on {leg}"),
            Diagnostic::Delivery { message_id, failure: None } => {
                write!(f, "message {message_id} delivered to the client")
            }
            Diagnostic::Delivery { message_id, failure: Some(why) } => {
                write!(f, "message {message_id} not delivered to the client: {why}")
            }
            Diagnostic::MsrpLeg { leg, event } => write!(f, "MSRP leg {leg}: {event}"),
        }
    }
}

/// One thing the embedder must do, named as a command.
///
/// Borrowed parts (`'a`) come from the input that produced the action: a propagated `Reason`
/// value is the very text the embedder passed in.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action<'a> {
    /// Send (B2BUA) or forward (proxy) a BYE on `leg`, carrying these `Reason` field values
    /// verbatim and in this order (none for a BYE the PF starts itself).
    SendBye {
        /// Where to send it.
        leg: Leg,
        /// Raw `Reason` field values to include (borrowed from the input; owned after
        /// [`Action::into_owned`]).
        reasons: SmallVec<[Cow<'a, str>; 2]>,
    },
    /// Send a final response on `leg` to the request `method` received there.
    SendResponse {
        /// Where to send it.
        leg: Leg,
        /// The status code.
        status: u16,
        /// The method of the request answered.
        method: Method,
        /// The `Message-UID` header to add (only a file transfer's 200 OK, FT-1c).
        message_uid: Option<String>,
    },
    /// Send a re-INVITE to `leg` (the client) removing the media streams of `remove_streams_of`
    /// (BYE-3a).
    SendReInvite {
        /// Where to send it.
        leg: Leg,
        /// The IWF whose streams are removed.
        remove_streams_of: Leg,
    },
    /// Send a SUBSCRIBE for the conference event package (RFC 4575) on `leg` (BYE-4i).
    SubscribeConference {
        /// Where to send it.
        leg: Leg,
    },
    /// Answer an MSRP request on `leg` with this status (400 or 413).
    MsrpResponse {
        /// Where to send it.
        leg: Leg,
        /// The status.
        status: u16,
        /// The Message-ID of the refused chunk, as received (may be absent or malformed).
        message_id: Option<Cow<'a, str>>,
    },
    /// MSRP on the legs (ML-1): the session has bytes to write on `leg`'s MSRP connection; take
    /// them with [`Session::poll_msrp_transmit`](crate::Session::poll_msrp_transmit) and say how
    /// many were written with [`Session::msrp_transmitted`](crate::Session::msrp_transmitted).
    /// Announced once per input and leg; the bytes stay in the session until written.
    ///
    /// ```
    /// use cpm_pf::{Action, Leg};
    /// // Not a scenario output: the runner prints the frames of the bytes instead.
    /// assert_eq!(Action::MsrpTransmit { leg: Leg::Client }.to_string(), "== msrp-transmit client");
    /// ```
    MsrpTransmit {
        /// The leg.
        leg: Leg,
    },
    /// Release the media plane resources of `leg`.
    ReleaseMedia {
        /// The leg.
        leg: Leg,
    },
    /// Create this folder in the Message Store (REC-F).
    CreateFolder {
        /// The folder.
        folder: Folder,
    },
    /// Store this object, rendered as an RFC 5322 message, in this folder (REC-1). The
    /// embedder reports the outcome with `Input::Stored` or `Input::StoreFailed`.
    Store {
        /// Which object.
        object: ObjectRef,
        /// Where.
        folder: Folder,
        /// The RFC 5322 bytes to upload.
        content: Vec<u8>,
    },
    /// Start intercepting chat messages and notifications (BYE-4ii).
    InterceptOn,
    /// Stop intercepting (the client re-joined).
    InterceptOff,
    /// Keep this item in the embedder's deferred-delivery store (BYE-4ii, `allow-defer`).
    Defer {
        /// Which item.
        object: ObjectRef,
        /// The item itself; boxed so that the rare deferral does not make every action as large
        /// as a message.
        message: Box<Message>,
    },
    /// Deliver this deferred item to the client (it re-joined).
    Deliver {
        /// Which item.
        object: ObjectRef,
    },
    /// Something worth reporting; never changes what the session does.
    Diagnostic(Diagnostic),
    /// The session is over: every BYE answered, every leg released.
    Terminated,
}

impl Action<'_> {
    /// The same action owning every part, so that it outlives the input it came from: to queue
    /// actions across reads, or send them to another thread.
    ///
    /// ```
    /// use cpm_pf::{Action, Config, Input, Leg, Session, Time};
    ///
    /// let mut session = Session::new(Config::default(), Time::EPOCH).unwrap();
    /// let mut queue: Vec<Action<'static>> = Vec::new();
    /// {
    ///     let reasons = vec![String::from("SIP;cause=200")];
    ///     let reasons: Vec<&str> = reasons.iter().map(String::as_str).collect();
    ///     let input = Input::ByeReceived { leg: Leg::Client, reasons: &reasons };
    ///     queue.extend(session.handle(input, Time::EPOCH).into_owned());
    /// } // the input's strings are gone; the queued actions live on
    /// std::thread::spawn(move || assert!(!queue.is_empty())).join().unwrap();
    /// ```
    pub fn into_owned(self) -> Action<'static> {
        let own = |c: Cow<'_, str>| Cow::Owned(c.into_owned());
        match self {
            Action::SendBye { leg, reasons } => {
                Action::SendBye { leg, reasons: reasons.into_iter().map(own).collect() }
            }
            Action::SendResponse { leg, status, method, message_uid } => {
                Action::SendResponse { leg, status, method, message_uid }
            }
            Action::SendReInvite { leg, remove_streams_of } => {
                Action::SendReInvite { leg, remove_streams_of }
            }
            Action::SubscribeConference { leg } => Action::SubscribeConference { leg },
            Action::MsrpResponse { leg, status, message_id } => {
                Action::MsrpResponse { leg, status, message_id: message_id.map(own) }
            }
            Action::ReleaseMedia { leg } => Action::ReleaseMedia { leg },
            Action::MsrpTransmit { leg } => Action::MsrpTransmit { leg },
            Action::CreateFolder { folder } => Action::CreateFolder { folder },
            Action::Store { object, folder, content } => Action::Store { object, folder, content },
            Action::InterceptOn => Action::InterceptOn,
            Action::InterceptOff => Action::InterceptOff,
            Action::Defer { object, message } => Action::Defer { object, message },
            Action::Deliver { object } => Action::Deliver { object },
            Action::Diagnostic(d) => Action::Diagnostic(d),
            Action::Terminated => Action::Terminated,
        }
    }
}

/// The actions returned for one input, in the order the embedder carries them out.
///
/// Up to five are held inline, without allocating: every BYE of a session with up to four IWF
/// legs (a client's BYE then is a media release and four BYEs).
#[must_use = "the actions must be carried out"]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actions<'a>(pub(crate) SmallVec<[Action<'a>; 5]>);

impl<'a> Actions<'a> {
    /// No actions.
    #[inline]
    pub fn new() -> Actions<'a> {
        Actions(SmallVec::new())
    }

    /// Appends an action.
    #[inline]
    pub(crate) fn push(&mut self, action: Action<'a>) {
        self.0.push(action);
    }

    /// The actions as a slice.
    #[inline]
    pub fn as_slice(&self) -> &[Action<'a>] {
        &self.0
    }

    /// Iterates over the actions.
    #[inline]
    pub fn iter(&self) -> core::slice::Iter<'_, Action<'a>> {
        self.0.iter()
    }

    /// Number of actions.
    #[inline]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// `true` when there is nothing to do.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every action owning its parts ([`Action::into_owned`]), in order.
    pub fn into_owned(self) -> Vec<Action<'static>> {
        self.0.into_iter().map(Action::into_owned).collect()
    }
}

impl<'a> IntoIterator for Actions<'a> {
    type Item = Action<'a>;
    type IntoIter = smallvec::IntoIter<[Action<'a>; 5]>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'s, 'a> IntoIterator for &'s Actions<'a> {
    type Item = &'s Action<'a>;
    type IntoIter = core::slice::Iter<'s, Action<'a>>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// The action as one line of a scenario trace, exactly as `docs/scenarios.md` ("Outputs")
/// writes it: `-> LEG …` for what the PF sends on a leg, each header as ` | Name: value`;
/// `== …` for what the embedder does locally; `!! text` for a [`Diagnostic`] (free wording,
/// never compared). A stored object's content is not shown.
///
/// ```
/// use cpm_pf::{Action, Folder, Leg, Method, ObjectRef};
/// use smallvec::smallvec;
///
/// let bye = Action::SendBye { leg: Leg::Client, reasons: smallvec!["SIP;cause=410".into()] };
/// assert_eq!(bye.to_string(), "-> client BYE | Reason: SIP;cause=410");
/// let ok = Action::SendResponse { leg: Leg::Iwf(2), status: 200, method: Method::Bye, message_uid: None };
/// assert_eq!(ok.to_string(), "-> iwf2 200 BYE");
/// let store = Action::Store {
///     object: ObjectRef::GroupState,
///     folder: Folder::session_history("abc"),
///     content: Vec::new(),
/// };
/// assert_eq!(store.to_string(), "== store group-state in session-history:abc");
/// assert_eq!(Action::Terminated.to_string(), "== terminated");
/// ```
impl fmt::Display for Action<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::SendBye { leg, reasons } => {
                write!(f, "-> {leg} BYE")?;
                reasons.iter().try_for_each(|r| write!(f, " | Reason: {r}"))
            }
            Action::SendResponse { leg, status, method, message_uid } => {
                write!(f, "-> {leg} {status} {method}")?;
                message_uid.iter().try_for_each(|uid| write!(f, " | Message-UID: {uid}"))
            }
            Action::SendReInvite { leg, remove_streams_of } => {
                write!(f, "-> {leg} INVITE | remove-streams: {remove_streams_of}")
            }
            Action::SubscribeConference { leg } => write!(f, "-> {leg} SUBSCRIBE | Event: conference"),
            Action::MsrpResponse { leg, status, message_id } => {
                write!(f, "-> {leg} MSRP {status}")?;
                message_id.iter().try_for_each(|id| write!(f, " | Message-ID: {id}"))
            }
            Action::ReleaseMedia { leg } => write!(f, "== release-media {leg}"),
            Action::MsrpTransmit { leg } => write!(f, "== msrp-transmit {leg}"),
            Action::CreateFolder { folder } => write!(f, "== create-folder {folder}"),
            Action::Store { object, folder, .. } => write!(f, "== store {object} in {folder}"),
            Action::InterceptOn => f.write_str("== intercept on"),
            Action::InterceptOff => f.write_str("== intercept off"),
            Action::Defer { object, .. } => write!(f, "== defer {object}"),
            Action::Deliver { object } => write!(f, "== deliver {object} to client"),
            Action::Diagnostic(d) => write!(f, "!! {d}"),
            Action::Terminated => f.write_str("== terminated"),
        }
    }
}
