//! 8.5.2 "Record CPM Session": what is stored into the Message Store, where and when.
//!
//! The `Recorder` is a child of the session machine (docs/requirements.md REC-1 … REC-END, REC-F,
//! REC-INT, FT-1a/b). It keeps what has been captured and not stored yet, decides the folder,
//! and writes `create-folder` and `store` actions into the session's action sink; [`objects`]
//! renders each Message Store object as RFC 5322 bytes.
//!
//! - **Folders (REC-F).** 1-1 and file-transfer sessions record into the conversation folder of
//!   the other user, which the Message Store keeps and which is assumed to exist; a group
//!   session records into its session history folder, created before the first object stored
//!   into it unless the configuration says it exists.
//! - **Direction (REC-5ii).** A message from the served client is recordable once complete; one
//!   to the client only once its delivery is confirmed.
//! - **Timing (REC-4b/4c, REC-END).** With live recording each object is stored as soon as it
//!   is recordable; otherwise everything waits for the end of the session, and anything that
//!   becomes recordable after the end-of-session store is stored at once.

pub mod objects;
/// Checks on a restored recorder (`Session::restore`).
#[cfg(feature = "serde")]
pub(crate) mod snapshot;

use std::collections::VecDeque;

use crate::action::{Action, Actions, Diagnostic, Folder, Identity, NotStoredWhy, ObjectRef};
use crate::config::{Config, Kind, Policy, Side};
use crate::grammar::message_id::MessageId;
use crate::headers::SipHeaders;
use crate::msrp::endpoint::DeliveryFailure;
use crate::msrp::reassembly::Message;
use crate::{Leg, Method, Time};

/// A complete message kept until it is stored (REC-5i, REC-5ii).
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug)]
struct Item {
    /// Arrival order among the session's complete messages (REC-END stores in this order).
    seq: u64,
    object: ObjectRef,
    message: Message,
    /// When its last chunk arrived: the object's `Date` (MS-4), whenever it is stored.
    arrived: Time,
}

impl Item {
    /// What holding this item costs, in bytes: its body and content type and its bookkeeping
    /// (LIM-1 counts every byte held, not the body alone).
    fn cost(&self) -> usize {
        core::mem::size_of::<Item>()
            + self.message.body.len()
            + self.message.content_type.as_ref().map_or(0, String::len)
    }
}

/// Where the recording of the session stands.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Recording is off (`Config::recording_on`); only intercepted items are stored.
    Off,
    /// Recording; with end-of-session recording, recordable items wait for the end.
    Open,
    /// The end-of-session store is done (REC-END, or a File Transfer History object stored):
    /// anything recordable from now on is stored at once, nothing is stored twice.
    Flushed,
}

/// The session info object (REC-4a).
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug)]
enum Info {
    /// No first INVITE (or REFER) seen.
    Unknown,
    /// Captured, not stored yet.
    Captured(Box<objects::SessionInfo>),
    /// Stored; kept because the other objects take their headers from it.
    Stored(Option<Box<objects::SessionInfo>>),
}

impl Info {
    fn get(&self) -> Option<&objects::SessionInfo> {
        match self {
            Info::Unknown => None,
            Info::Captured(info) => Some(info),
            Info::Stored(info) => info.as_deref(),
        }
    }
}

/// The recorder of one session. Created by the session; see the module documentation.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug)]
pub(crate) struct Recorder {
    stage: Stage,
    /// The folder exists (conversation folders always; a history folder once created).
    folder_ready: bool,
    info: Info,
    /// Recordable items not stored yet, in the order they became recordable.
    ready: Vec<Item>,
    /// Messages to the client awaiting delivery confirmation (REC-5ii), oldest first.
    awaiting: VecDeque<Item>,
    /// What `awaiting` holds, bookkeeping included (`Item::cost`).
    awaiting_cost: usize,
    next_seq: u64,
    /// When the session started: with the identities, the seed of generated IDs (EMB-2), and
    /// the session info object's date when no INVITE was seen (MS-4).
    started: Time,
    /// When the first INVITE (or REFER) arrived: the session info object's date (MS-4).
    info_at: Option<Time>,
    /// Seeded on first use, once the identities from the first INVITE are known (EMB-2).
    ids: Option<objects::IdGenerator>,
    /// The group's participants from the conference event package (MS-5), once a NOTIFY came.
    conference: Option<Box<objects::ConferenceInfo>>,
    /// The transferred file (MS-6), as fed so far.
    file: FileState,
}

/// What the File Transfer History object will hold of the file (MS-6).
#[derive(Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
enum FileState {
    /// No byte of it was handed over.
    #[default]
    None,
    /// Its bytes so far, within `Config::max_file_bytes`.
    Kept(Vec<u8>),
    /// It went past the bound: not kept.
    TooLarge,
}

/// Which object a complete message becomes: a disposition notification (REC-IMDN), recognised
/// also inside `message/cpim`, or a chat message.
pub(crate) fn object_ref(message: &Message) -> ObjectRef {
    if objects::is_disposition_notification(message.content_type.as_deref(), &message.body) {
        ObjectRef::Imdn(message.id)
    } else {
        ObjectRef::ChatMessage(message.id)
    }
}

impl Recorder {
    /// The recorder of a session configured by `config` that started at `started`.
    pub(crate) fn new(config: &Config, started: Time) -> Recorder {
        Recorder {
            stage: if config.recording_on() { Stage::Open } else { Stage::Off },
            folder_ready: !uses_history_folder(config) || config.history_folder_exists,
            info: Info::Unknown,
            ready: Vec::new(),
            awaiting: VecDeque::new(),
            awaiting_cost: 0,
            next_seq: 0,
            started,
            info_at: None,
            ids: None,
            conference: None,
            file: FileState::None,
        }
    }

    fn info(&self) -> Option<&objects::SessionInfo> {
        self.info.get()
    }

    /// The identities objects carry (EMB-1): configured, else from the first INVITE.
    fn identities<'a>(&'a self, config: &'a Config) -> Identities<'a> {
        Identities::resolve(config, self.info.get())
    }

    /// The folder this session records into, when its name is known (REC-F, EMB-1).
    fn folder(config: &Config, ids: &Identities<'_>) -> Option<Folder> {
        let folder = if uses_history_folder(config) {
            ids.contribution_id.map(Folder::session_history)
        } else {
            ids.peer.map(Folder::conversation)
        };
        folder.map(|f| f.with_conversation_id(ids.conversation_id))
    }

    /// Anything recordable is stored at once: live recording (REC-4b) or after the
    /// end-of-session store.
    fn stores_now(&self, config: &Config) -> bool {
        live(config) || self.stage == Stage::Flushed
    }

    /// REC-4a: the first INVITE (or REFER with method=INVITE) gives the session info object
    /// its headers; REC-4b: with live recording it is stored at once.
    pub(crate) fn capture_session_info(
        &mut self,
        config: &Config,
        method: Method,
        headers: &dyn SipHeaders,
        body: &[u8],
        now: Time,
        out: &mut Actions<'_>,
    ) {
        if self.stage == Stage::Off || !matches!(self.info, Info::Unknown) {
            return;
        }
        let info = objects::SessionInfo::from_request(method, headers, body);
        if let (Some(configured), Some(received)) = (config.contribution_id.as_deref(), &info.contribution_id)
        {
            if configured != received {
                out.push(Action::Diagnostic(Diagnostic::ContributionIdMismatch {
                    configured: configured.to_owned(),
                    received: received.clone(),
                }));
            }
        }
        self.info = Info::Captured(Box::new(info));
        self.info_at = Some(now);
        if live(config) && config.kind != Kind::FileTransfer {
            self.store_session_info(config, out);
        }
    }

    /// A complete message that is not intercepted (REC-5i, REC-5ii).
    pub(crate) fn message_complete(
        &mut self,
        config: &Config,
        object: ObjectRef,
        message: Message,
        now: Time,
        out: &mut Actions<'_>,
    ) {
        if self.stage == Stage::Off {
            let why = NotStoredWhy::RecordingOff;
            return out.push(Action::Diagnostic(Diagnostic::NotStored { object, why }));
        }
        let item = Item { seq: self.next_seq, object, message, arrived: now };
        self.next_seq += 1;
        if item.message.leg == Leg::Client {
            self.recordable(config, item, out);
        } else {
            self.hold_unconfirmed(config, item, out);
        }
    }

    /// An item became recordable: stored now, or kept for the end of the session.
    fn recordable(&mut self, config: &Config, item: Item, out: &mut Actions<'_>) {
        if self.stores_now(config) {
            self.store_item(config, &item, out);
        } else {
            self.ready.push(item);
        }
    }

    /// REC-5ii: the client accepted message `id`; a message to it becomes recordable.
    /// Returns `false` when no complete message to the client awaiting confirmation has that
    /// Message-ID.
    pub(crate) fn delivered(&mut self, config: &Config, id: MessageId, out: &mut Actions<'_>) -> bool {
        let found = self
            .awaiting
            .iter()
            .position(|i| matches!(i.object, ObjectRef::ChatMessage(m) | ObjectRef::Imdn(m) if m == id));
        let Some(item) = found.and_then(|index| self.awaiting.remove(index)) else { return false };
        self.awaiting_cost = self.awaiting_cost.saturating_sub(item.cost());
        self.recordable(config, item, out);
        true
    }

    /// ML-4: message `id`, relayed to the client, was not delivered: it is never recorded, and
    /// that is reported (EMB-3). Does nothing when no message awaiting confirmation has that id.
    pub(crate) fn not_delivered(&mut self, id: MessageId, failure: DeliveryFailure, out: &mut Actions<'_>) {
        let found = self
            .awaiting
            .iter()
            .position(|i| matches!(i.object, ObjectRef::ChatMessage(m) | ObjectRef::Imdn(m) if m == id));
        if let Some(item) = found.and_then(|index| self.awaiting.remove(index)) {
            self.awaiting_cost = self.awaiting_cost.saturating_sub(item.cost());
            let why = NotStoredWhy::NotDelivered(failure);
            out.push(Action::Diagnostic(Diagnostic::NotStored { object: item.object, why }));
        }
    }

    /// Decision (LIM-1 for completed messages): messages to the client awaiting delivery
    /// confirmation are bounded by `max_buffered`, counting every byte they hold (body, content
    /// type and bookkeeping). A peer could otherwise grow a session without bound with
    /// messages the client never confirms. The oldest are released unrecorded, and reported,
    /// until the new one fits; a message larger than the bound is released at once. Taking the
    /// oldest is O(1).
    fn hold_unconfirmed(&mut self, config: &Config, item: Item, out: &mut Actions<'_>) {
        let bound = config.limits.max_buffered;
        let cost = item.cost();
        if cost > bound {
            out.push(Action::Diagnostic(Diagnostic::UnconfirmedReleased { object: item.object }));
            return;
        }
        while self.awaiting_cost + cost > bound {
            let Some(oldest) = self.awaiting.pop_front() else { break };
            self.awaiting_cost = self.awaiting_cost.saturating_sub(oldest.cost());
            out.push(Action::Diagnostic(Diagnostic::UnconfirmedReleased { object: oldest.object }));
        }
        self.awaiting_cost += cost;
        self.awaiting.push_back(item);
    }

    /// REC-INT: an intercepted item is stored at once. It never joins the recorded items, so the
    /// end-of-session store (which stores only items still waiting) cannot store it again.
    pub(crate) fn store_intercepted(
        &mut self,
        config: &Config,
        object: ObjectRef,
        message: &Message,
        now: Time,
        out: &mut Actions<'_>,
    ) {
        let (ids, cx) = self.split(config);
        let content = render_message(ids, &cx, object, message, now);
        self.store(config, object, content, out);
    }

    /// REC-END (and FT-1a/b): store whatever has not been stored yet. Returns `true` when a
    /// File Transfer History object was stored, whose UID the client's 200 OK waits for.
    pub(crate) fn flush_end(&mut self, config: &Config, now: Time, out: &mut Actions<'_>) -> bool {
        if self.stage != Stage::Open {
            return false;
        }
        self.stage = Stage::Flushed;
        if config.kind == Kind::FileTransfer {
            if !self.folder_ready {
                // FT-1b: the session history folder is created with a new session info object.
                self.store_session_info(config, out);
            }
            let content = self.render_ft_history(config, now);
            return self.store(config, ObjectRef::FtHistory, content, out);
        }
        self.store_session_info(config, out);
        // Arrival order (REC-END): a message confirmed late arrived before later ones.
        let mut ready = core::mem::take(&mut self.ready);
        ready.sort_by_key(|item| item.seq);
        for item in &ready {
            self.store_item(config, item, out);
        }
        if config.kind == Kind::Group {
            let content = self.render_group_state(config, now);
            self.store(config, ObjectRef::GroupState, content, out);
        }
        false
    }

    /// Stores the session info object once: the captured one, or (FT-1b, no request seen) one
    /// built from the configuration.
    fn store_session_info(&mut self, config: &Config, out: &mut Actions<'_>) {
        let fresh = matches!(self.info, Info::Unknown) && config.kind == Kind::FileTransfer;
        if !matches!(self.info, Info::Captured(_)) && !fresh {
            return;
        }
        // MS-3 (decision, in `objects`): deployed RCS clients read session info of groups only.
        if config.kind == Kind::OneToOne && !config.profile.stores_one_to_one_session_info() {
            return;
        }
        // MS-4: dated when the session began, not when it is stored.
        let content = self.render_session_info(config, self.info_at.unwrap_or(self.started));
        self.store(config, ObjectRef::SessionInfo, content, out);
        self.info = match core::mem::replace(&mut self.info, Info::Unknown) {
            Info::Captured(info) => Info::Stored(Some(info)),
            Info::Unknown | Info::Stored(_) => Info::Stored(None),
        };
    }

    fn store_item(&mut self, config: &Config, item: &Item, out: &mut Actions<'_>) {
        let (ids, cx) = self.split(config);
        let content = render_message(ids, &cx, item.object, &item.message, item.arrived);
        self.store(config, item.object, content, out);
    }

    /// REC-F: create the history folder before the first object stored into it.
    /// EMB-1: an object whose folder cannot be named is not stored, and that is reported; one
    /// stored while an identity it carries is unknown goes without that header, reported too.
    /// Returns `true` when the object was stored.
    fn store(&mut self, config: &Config, object: ObjectRef, content: Vec<u8>, out: &mut Actions<'_>) -> bool {
        let ids = self.identities(config);
        let Some(folder) = Recorder::folder(config, &ids) else {
            let why = NotStoredWhy::FolderUnknown;
            out.push(Action::Diagnostic(Diagnostic::NotStored { object, why }));
            return false;
        };
        for (known, identity) in [
            (ids.contribution_id.is_some(), Identity::ContributionId),
            (ids.conversation_id.is_some(), Identity::ConversationId),
        ] {
            if !known {
                out.push(Action::Diagnostic(Diagnostic::MissingIdentity { object, identity }));
            }
        }
        if !self.folder_ready {
            out.push(Action::CreateFolder { folder: folder.clone() });
            self.folder_ready = true;
        }
        out.push(Action::Store { object, folder, content });
        true
    }

    /// MS-5: a conference-info body (RFC 4575) from a NOTIFY on the `remote` leg, full or
    /// partial state. A body that cannot be parsed, or that would take the participants over
    /// the bound, is reported and changes nothing.
    pub(crate) fn conference_notify(&mut self, config: &Config, body: &[u8], out: &mut Actions<'_>) {
        let max = config.max_participants;
        let update = objects::parse_conference_info(body, max);
        let state = self.conference.get_or_insert_with(|| Box::new(objects::ConferenceInfo::new(max)));
        if let Err(error) = update.and_then(|u| state.apply(&u)) {
            out.push(Action::Diagnostic(Diagnostic::ConferenceInfoRefused { error }));
        }
    }

    /// MS-6: the next bytes of the transferred file, kept within `Config::max_file_bytes`.
    pub(crate) fn file_data(&mut self, config: &Config, bytes: &[u8], out: &mut Actions<'_>) {
        if self.stage != Stage::Open {
            return;
        }
        let max = config.max_file_bytes;
        if matches!(self.file, FileState::None) {
            self.file = FileState::Kept(Vec::new());
        }
        // Once over the bound, nothing more is kept.
        let FileState::Kept(kept) = &mut self.file else { return };
        if kept.len().saturating_add(bytes.len()) > max {
            out.push(Action::Diagnostic(Diagnostic::FileNotKept { max_file_bytes: max }));
            self.file = FileState::TooLarge;
        } else {
            kept.extend_from_slice(bytes);
        }
    }

    /// EMB-3, at the end of the session: every message to the client still awaiting its
    /// delivery confirmation is reported as not stored.
    pub(crate) fn report_unconfirmed(&mut self, out: &mut Actions<'_>) {
        self.awaiting_cost = 0;
        for item in core::mem::take(&mut self.awaiting) {
            let why = NotStoredWhy::NeverConfirmed;
            out.push(Action::Diagnostic(Diagnostic::NotStored { object: item.object, why }));
        }
    }

    // ----- rendering (REC-1) -------------------------------------------------------------

    fn context<'a>(&'a self, config: &'a Config) -> Context<'a> {
        Context::new(config, self.info.get())
    }

    /// The next generated IMDN-Message-ID. The generator is seeded on first use (EMB-2): with
    /// the configured seed, else from the session's start time and identities, so that two
    /// sessions do not generate the same IDs.
    fn next_id(&mut self, config: &Config) -> String {
        self.generator(config).next_id()
    }

    fn generator(&mut self, config: &Config) -> &mut objects::IdGenerator {
        if self.ids.is_none() {
            let seed = config.id_seed.unwrap_or_else(|| self.derived_seed(config));
            self.ids = Some(objects::IdGenerator::new(seed));
        }
        // Seeded just above when it was not.
        self.ids.get_or_insert_with(|| objects::IdGenerator::new(0))
    }

    /// FNV-1a over the start time and every identity known (the served user's included); the
    /// generator's mixer spreads it. A Contribution-ID is unique per session (RFC 8864-style
    /// UUIDs in practice), so sessions differ even when they start in the same millisecond.
    fn derived_seed(&self, config: &Config) -> u64 {
        let ids = self.identities(config);
        let served = self.info().and_then(|i| i.from.as_deref());
        let mut hash = 0xcbf2_9ce4_8422_2325_u64;
        let mut eat = |bytes: &[u8]| {
            for &b in bytes.iter().chain(&[0xff]) {
                hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
        };
        eat(&self.started.as_unix_millis().to_le_bytes());
        for part in [ids.contribution_id, ids.conversation_id, ids.peer, served] {
            eat(part.unwrap_or("").as_bytes());
        }
        hash
    }

    /// The ID generator and the rendering context, borrowed side by side.
    fn split<'a>(&'a mut self, config: &'a Config) -> (&'a mut objects::IdGenerator, Context<'a>) {
        self.generator(config);
        let cx = Context::new(config, self.info.get());
        (self.ids.get_or_insert_with(|| objects::IdGenerator::new(0)), cx)
    }

    fn render_session_info(&mut self, config: &Config, now: Time) -> Vec<u8> {
        let id = self.next_id(config);
        let cx = self.context(config);
        let h = cx.headers(&id, now);
        let session_type = objects::SessionType::of_kind(kind_for_info(config.kind));
        match cx.info {
            Some(info) => objects::render_session_info(
                &h,
                session_type,
                info.sdp.as_deref(),
                &info.invited_participants,
            ),
            // FT-1b without a request: a new session info object built from the configuration.
            None => objects::render_session_info(&h, session_type, None, &[]),
        }
    }

    fn render_group_state(&mut self, config: &Config, now: Time) -> Vec<u8> {
        let id = self.next_id(config);
        let cx = self.context(config);
        let h = cx.headers(&id, now);
        let participants = self.conference.as_deref().map(|c| c.connected_participants()).unwrap_or_default();
        let state = objects::GroupState {
            timestamp: now,
            // MS-5: the focus the clients re-join, never the Conference-Factory URI; left empty
            // (and so out of the object) when neither configured nor learnt.
            last_focus_session_id: config.focus.as_deref().unwrap_or(""),
            group_type: objects::GroupType::Closed,
            participants: &participants,
        };
        objects::render_group_state(&h, &state)
    }

    fn render_ft_history(&mut self, config: &Config, now: Time) -> Vec<u8> {
        let id = self.next_id(config);
        let cx = self.context(config);
        let h = cx.headers(&id, now);
        let sdp = cx.info.and_then(|i| i.sdp.as_deref());
        let participants = cx.info.map_or(&[][..], |i| &i.invited_participants[..]);
        let content = match &self.file {
            FileState::Kept(file) => Some(&file[..]),
            FileState::None | FileState::TooLarge => None,
        };
        let file = objects::FileObject { cid: None, sdp, content };
        objects::render_ft_history(
            &h,
            objects::SessionType::OneToOne,
            participants,
            &file,
            config.max_file_bytes,
        )
    }
}

/// REC-4b: live recording stores each object as soon as it is recordable.
fn live(config: &Config) -> bool {
    config.policy.contains(Policy::LIVE_RECORDING)
}

/// REC-F: group sessions, and file transfers started inside a CPM session (FT-1b), record
/// into the session history folder; the others into the conversation folder.
fn uses_history_folder(config: &Config) -> bool {
    match config.kind {
        Kind::Group => true,
        Kind::FileTransfer => config.ft_in_session,
        Kind::OneToOne => false,
    }
}

/// The session type a session info object records: a file transfer started inside a CPM
/// session is recorded as that session's (1-1, as the configuration does not say more).
fn kind_for_info(kind: Kind) -> Kind {
    match kind {
        Kind::FileTransfer => Kind::OneToOne,
        k => k,
    }
}

/// The identities objects carry, resolved (EMB-1): configured, else from the first INVITE (or
/// REFER); never a placeholder. An empty value counts as unknown.
#[derive(Debug, Clone, Copy)]
struct Identities<'a> {
    contribution_id: Option<&'a str>,
    conversation_id: Option<&'a str>,
    /// The other party: the peer user (1-1, file transfer) or the group's URI.
    peer: Option<&'a str>,
}

impl<'a> Identities<'a> {
    fn resolve(config: &'a Config, info: Option<&'a objects::SessionInfo>) -> Identities<'a> {
        let known = |v: Option<&'a str>| v.filter(|v| !v.is_empty());
        let in_request = |f: fn(&'a objects::SessionInfo) -> Option<&'a str>| known(info.and_then(f));
        // The other party of the first request: its To when the served user sent it, its From
        // when the served user was invited.
        let other = match config.side {
            Side::Originating => in_request(|i| i.to.as_deref()),
            Side::Terminating => in_request(|i| i.from.as_deref()),
        };
        Identities {
            contribution_id: known(config.contribution_id.as_deref())
                .or_else(|| in_request(|i| i.contribution_id.as_deref())),
            conversation_id: known(config.conversation_id.as_deref())
                .or_else(|| in_request(|i| i.conversation_id.as_deref())),
            peer: known(config.peer.as_deref()).or(other),
        }
    }
}

/// What object rendering needs from the recorder, borrowed field by field.
struct Context<'a> {
    info: Option<&'a objects::SessionInfo>,
    side: Side,
    ids: Identities<'a>,
    profile: objects::Profile,
    one_to_one: bool,
}

impl<'a> Context<'a> {
    fn new(config: &'a Config, info: Option<&'a objects::SessionInfo>) -> Context<'a> {
        Context {
            info,
            side: config.side,
            ids: Identities::resolve(config, info),
            profile: config.profile,
            one_to_one: config.kind != Kind::Group,
        }
    }

    /// The served user and the other party: from the captured request when there is one (its
    /// From is the initiator: the served user on the originating side), else unknown and the
    /// configured peer.
    fn parties(&self) -> (&'a str, &'a str) {
        let from = self.info.and_then(|i| i.from.as_deref());
        let to = self.info.and_then(|i| i.to.as_deref());
        let (served, other) = match self.side {
            Side::Originating => (from, to),
            Side::Terminating => (to, from),
        };
        (served.unwrap_or(""), self.ids.peer.or(other).unwrap_or(""))
    }

    /// Headers for a session object (session info, group state, FT history): From the served
    /// user, To the other party, the request's other headers when one was captured, and the
    /// resolved identities (EMB-1).
    fn headers(&self, imdn_message_id: &'a str, now: Time) -> objects::ObjectHeaders<'a> {
        let (served, other) = self.parties();
        let contribution_id = self.ids.contribution_id.unwrap_or("");
        // MS-2: a session object is `sent` when the served user started the session.
        let direction = match self.side {
            Side::Originating => objects::Direction::Sent,
            Side::Terminating => objects::Direction::Received,
        };
        let mut h = match self.info {
            Some(info) => info.object_headers(contribution_id, imdn_message_id, now, direction),
            None => {
                objects::ObjectHeaders::new(served, other, now, contribution_id, imdn_message_id, direction)
            }
        };
        h.from = served;
        h.to = other;
        h.conversation_id = self.ids.conversation_id;
        h.profile = self.profile;
        h
    }
}

/// Renders a chat message or notification (REC-1, REC-IMDN): `IMDN-Message-ID` from the CPIM
/// `imdn.Message-ID` when there is one, else generated; From/To from the CPIM headers when
/// present, else by direction (REC-5ii: a message from the client was sent by the served user).
/// `arrived`: when its last chunk arrived, its `Date` (MS-4) whenever it is stored.
fn render_message(
    ids: &mut objects::IdGenerator,
    cx: &Context<'_>,
    object: ObjectRef,
    message: &Message,
    arrived: Time,
) -> Vec<u8> {
    let ct = message.content_type.as_deref();
    let payload = objects::inspect_payload(ct, &message.body);
    let generated;
    let imdn_message_id = match payload.imdn_message_id {
        Some(id) => id,
        None => {
            generated = ids.next_id();
            generated.as_str()
        }
    };
    // MS-4: the CPIM DateTime of the message when it has one, else when it arrived.
    let date = payload.date_time.and_then(objects::parse_cpim_date_time).unwrap_or(arrived);
    let mut h = cx.headers(imdn_message_id, date);
    h.date = date;
    h.one_to_one_chat = cx.one_to_one;
    let (served, other) = cx.parties();
    let sent = message.leg == Leg::Client;
    h.direction = if sent { objects::Direction::Sent } else { objects::Direction::Received };
    let (from, to) = if sent { (served, other) } else { (other, served) };
    h.from = payload.from.unwrap_or(from);
    h.to = payload.to.unwrap_or(to);
    match object {
        ObjectRef::Imdn(_) => objects::render_notification(&h, ct, &message.body),
        _ => objects::render_chat_message(&h, ct, &message.body),
    }
}
