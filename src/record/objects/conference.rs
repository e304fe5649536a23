//! The participants of a group session from the conference event package (MS-5; RFC 4575
//! `application/conference-info+xml` bodies of the NOTIFYs on the `remote` leg, docs/standards.md §5).
//!
//! [`parse_conference_info`] reads one document with `quick-xml`, elements matched by local name
//! so that any namespace prefix (`ci:`, `confInfo:`) or the default namespace is accepted; only
//! what the group state object needs is kept: `users/user` (`entity`, `state`, `display-text`)
//! and its `endpoint`s (`entity`, `state`, `status`). [`ConferenceInfo::apply`] merges a
//! notification into the state held so far (RFC 4575 §4.6), and
//! [`ConferenceInfo::connected_participants`] gives the group state's participant list.
//!
//! **Decisions.**
//! - Bounds: a document with more than `max` users, or a merge that would hold more, is an error
//!   ([`ConferenceError::TooManyUsers`]) and changes nothing: a silently truncated participant
//!   list would be stored as if it were the group. A user has at most [`MAX_ENDPOINTS`]
//!   endpoints and elements nest at most [`MAX_DEPTH`] deep, both errors beyond.
//! - Versions (§4.6): an update whose `version` is not above the held one is
//!   [`ConferenceError::StaleVersion`]; a `partial` one that skips a version is
//!   [`ConferenceError::VersionGap`] (the subscriber should fetch the full state again). Both
//!   leave the state unchanged. Without versions on either side updates are applied in order.
//! - A body that is not UTF-8 or not well-formed XML, whose root is not `conference-info`, or
//!   whose `user`/`endpoint` has no `entity`, is an error and changes nothing.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::render::GroupParticipant;
use super::xml::{attribute, error, local_name, push_text, reader, XmlError};

/// Most endpoints kept per user.
pub const MAX_ENDPOINTS: usize = 16;
/// Deepest element nesting read.
pub const MAX_DEPTH: usize = 32;

/// The `state` attribute of a document, user or endpoint (RFC 4575 §5.1): `full` when absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ItemState {
    /// `full`: the item is given whole.
    #[default]
    Full,
    /// `partial`: only what changed is given.
    Partial,
    /// `deleted`: the item is gone.
    Deleted,
}

impl ItemState {
    fn parse(v: Option<&str>) -> Result<ItemState, String> {
        match v.map(str::trim) {
            None | Some("full") => Ok(ItemState::Full),
            Some("partial") => Ok(ItemState::Partial),
            Some("deleted") => Ok(ItemState::Deleted),
            Some(other) => Err(format!("unknown state {other:?}")),
        }
    }
}

/// One endpoint of a user (RFC 4575 §5.7).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Endpoint {
    /// `entity`: the endpoint's URI.
    pub entity: String,
    /// `state`.
    pub state: ItemState,
    /// `<status>` (`connected`, `disconnected`, `on-hold`, `pending`, …), trimmed.
    pub status: Option<String>,
}

/// One user of a conference (RFC 4575 §5.6).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ConferenceUser {
    /// `entity`: the user's URI.
    pub entity: String,
    /// `state`.
    pub state: ItemState,
    /// `<display-text>`, trimmed.
    pub display_text: Option<String>,
    /// The user's endpoints, in document order.
    pub endpoints: Vec<Endpoint>,
}

/// A conference-info document, or the state merged from several (RFC 4575 §4.6).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ConferenceInfo {
    /// `entity` of the root: the conference URI.
    pub entity: Option<String>,
    /// `state` of the root.
    pub state: ItemState,
    /// `version` of the root.
    pub version: Option<u64>,
    /// The users, in order.
    pub users: Vec<ConferenceUser>,
    /// The bound on `users` (see the module documentation).
    max: usize,
}

/// Why a conference-info body was not used (MS-5: reported, and it changes nothing).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConferenceError {
    /// The body is not UTF-8.
    #[error("conference-info body is not UTF-8")]
    NotUtf8,
    /// The body is not well-formed XML.
    #[error("conference-info body: {0}")]
    Xml(#[from] XmlError),
    /// The root element is not `conference-info`, or there is none.
    #[error("the root element is not conference-info")]
    NotConferenceInfo,
    /// A `user` or `endpoint` without an `entity`.
    #[error("a {0} element has no entity")]
    MissingEntity(&'static str),
    /// More users than the configured maximum.
    #[error("more than {max} users")]
    TooManyUsers {
        /// The maximum.
        max: usize,
    },
    /// A user with more than [`MAX_ENDPOINTS`] endpoints.
    #[error("a user has more than {MAX_ENDPOINTS} endpoints")]
    TooManyEndpoints,
    /// Elements nested deeper than [`MAX_DEPTH`].
    #[error("elements nested deeper than {MAX_DEPTH}")]
    TooDeep,
    /// An update whose version is not above the held one.
    #[error("stale conference-info version {got} (held: {held})")]
    StaleVersion {
        /// The held version.
        held: u64,
        /// The update's.
        got: u64,
    },
    /// A partial update that skips versions: the full state must be fetched again.
    #[error("conference-info version gap: expected {expected}, got {got}")]
    VersionGap {
        /// The version that was due.
        expected: u64,
        /// The update's.
        got: u64,
    },
}

/// Parses an RFC 4575 `conference-info` document, keeping at most `max` users (more is
/// [`ConferenceError::TooManyUsers`]); see the module documentation.
pub fn parse_conference_info(xml: &[u8], max: usize) -> Result<ConferenceInfo, ConferenceError> {
    let text = core::str::from_utf8(xml).map_err(|_| ConferenceError::NotUtf8)?;
    let mut parser =
        Parser { reader: reader(text), stack: Vec::new(), info: None, user: None, endpoint: None, max };
    loop {
        let event = parser.reader.read_event().map_err(|e| error(&parser.reader, e))?;
        match event {
            Event::Start(ref start) => parser.start(start)?,
            Event::End(_) => parser.end()?,
            Event::Eof => break,
            ref other => parser.text(other)?,
        }
    }
    match parser.info {
        Some(info) if parser.stack.is_empty() => Ok(info),
        Some(_) => Err(error(&parser.reader, "document ends inside an element").into()),
        None => Err(ConferenceError::NotConferenceInfo),
    }
}

struct Parser<'x> {
    reader: Reader<&'x [u8]>,
    /// Local names of the open elements.
    stack: Vec<Vec<u8>>,
    info: Option<ConferenceInfo>,
    user: Option<ConferenceUser>,
    endpoint: Option<Endpoint>,
    max: usize,
}

impl Parser<'_> {
    fn parent(&self) -> &[u8] {
        self.stack.last().map_or(&b""[..], |n| n.as_slice())
    }

    fn state(&self, start: &BytesStart<'_>) -> Result<ItemState, ConferenceError> {
        let v = attribute(&self.reader, start, "state")?;
        ItemState::parse(v.as_deref()).map_err(|e| error(&self.reader, e).into())
    }

    fn entity(&self, start: &BytesStart<'_>, what: &'static str) -> Result<String, ConferenceError> {
        let entity = attribute(&self.reader, start, "entity")?.map(|e| e.trim().to_owned());
        entity.filter(|e| !e.is_empty()).ok_or(ConferenceError::MissingEntity(what))
    }

    fn start(&mut self, start: &BytesStart<'_>) -> Result<(), ConferenceError> {
        if self.stack.len() == MAX_DEPTH {
            return Err(ConferenceError::TooDeep);
        }
        let name = local_name(start);
        let in_users = self.stack.len() == 2 && self.parent() == b"users";
        match (self.stack.len(), name.as_slice()) {
            (0, b"conference-info") => {
                let version = attribute(&self.reader, start, "version")?;
                let version = match version {
                    Some(v) => Some(v.trim().parse().map_err(|_| error(&self.reader, "bad version"))?),
                    None => None,
                };
                let entity = attribute(&self.reader, start, "entity")?;
                let (state, max) = (self.state(start)?, self.max);
                self.info = Some(ConferenceInfo { entity, state, version, users: Vec::new(), max });
            }
            (0, _) => return Err(ConferenceError::NotConferenceInfo),
            (_, b"user") if in_users => {
                let (entity, state) = (self.entity(start, "user")?, self.state(start)?);
                self.user = Some(ConferenceUser { entity, state, display_text: None, endpoints: Vec::new() });
            }
            (_, b"endpoint") if self.stack.len() == 3 && self.user.is_some() => {
                let (entity, state) = (self.entity(start, "endpoint")?, self.state(start)?);
                self.endpoint = Some(Endpoint { entity, state, status: None });
            }
            _ => {}
        }
        self.stack.push(name);
        Ok(())
    }

    /// Text inside `user/display-text` or `endpoint/status`.
    fn text(&mut self, event: &Event<'_>) -> Result<(), ConferenceError> {
        let depth = self.stack.len();
        let target = match self.parent() {
            b"display-text" if depth == 4 => self.user.as_mut().map(|u| &mut u.display_text),
            b"status" if depth == 5 => self.endpoint.as_mut().map(|e| &mut e.status),
            _ => None,
        };
        if let Some(target) = target {
            push_text(&self.reader, event, target.get_or_insert_with(String::new))?;
        }
        Ok(())
    }

    fn end(&mut self) -> Result<(), ConferenceError> {
        let name = self.stack.pop().unwrap_or_default();
        match (self.stack.len(), name.as_slice()) {
            (3, b"endpoint") => {
                if let (Some(user), Some(mut endpoint)) = (self.user.as_mut(), self.endpoint.take()) {
                    if user.endpoints.len() == MAX_ENDPOINTS {
                        return Err(ConferenceError::TooManyEndpoints);
                    }
                    endpoint.status = endpoint.status.map(|s| s.trim().to_owned());
                    user.endpoints.push(endpoint);
                }
            }
            (2, b"user") => {
                if let (Some(info), Some(mut user)) = (self.info.as_mut(), self.user.take()) {
                    if info.users.len() == info.max {
                        return Err(ConferenceError::TooManyUsers { max: info.max });
                    }
                    user.display_text = user.display_text.map(|s| s.trim().to_owned());
                    info.users.push(user);
                }
            }
            _ => {}
        }
        Ok(())
    }
}

impl ConferenceInfo {
    /// An empty full state holding at most `max` users, before any notification.
    pub fn new(max: usize) -> ConferenceInfo {
        ConferenceInfo { entity: None, state: ItemState::Full, version: None, users: Vec::new(), max }
    }

    /// The bound on the users held.
    pub fn max(&self) -> usize {
        self.max
    }

    /// Merges the notification `update` into this state (RFC 4575 §4.6, at user and endpoint
    /// level): a `full` document replaces the users; a `deleted` one empties them; in a
    /// `partial` one a `deleted` user or endpoint is removed, a `full` one replaced (or added),
    /// and a `partial` one updated (its `display-text` and `status` when given) or added.
    /// `deleted` items never stay. On error nothing changes (see the module documentation).
    pub fn apply(&mut self, update: &ConferenceInfo) -> Result<(), ConferenceError> {
        if let (Some(held), Some(got)) = (self.version, update.version) {
            if got <= held {
                return Err(ConferenceError::StaleVersion { held, got });
            }
            if update.state == ItemState::Partial && got != held + 1 {
                return Err(ConferenceError::VersionGap { expected: held + 1, got });
            }
        }
        let users = match update.state {
            ItemState::Deleted => Vec::new(),
            ItemState::Full => update.users.iter().filter_map(present_user).collect(),
            ItemState::Partial => {
                let mut users = self.users.clone();
                update.users.iter().for_each(|u| merge_user(&mut users, u));
                users
            }
        };
        if users.len() > self.max {
            return Err(ConferenceError::TooManyUsers { max: self.max });
        }
        if users.iter().any(|u| u.endpoints.len() > MAX_ENDPOINTS) {
            return Err(ConferenceError::TooManyEndpoints);
        }
        self.users = users;
        self.version = update.version.or(self.version);
        self.entity = update.entity.clone().or(self.entity.take());
        Ok(())
    }

    /// Every user with an endpoint whose status is `connected`, as (URI, display name), in
    /// order: the participants of the group state object (MS-5).
    pub fn connected_participants(&self) -> Vec<GroupParticipant<'_>> {
        self.users
            .iter()
            .filter(|u| u.state != ItemState::Deleted)
            .filter(|u| {
                u.endpoints.iter().any(|e| {
                    e.state != ItemState::Deleted
                        && e.status.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("connected"))
                })
            })
            .map(|u| GroupParticipant { name: u.display_text.as_deref(), comm_addr: &u.entity })
            .collect()
    }
}

/// `user` as held in a full state: `None` when deleted, its deleted endpoints removed.
fn present_user(user: &ConferenceUser) -> Option<ConferenceUser> {
    (user.state != ItemState::Deleted).then(|| ConferenceUser {
        state: ItemState::Full,
        endpoints: user.endpoints.iter().filter(|e| e.state != ItemState::Deleted).cloned().collect(),
        ..user.clone()
    })
}

fn merge_user(users: &mut Vec<ConferenceUser>, update: &ConferenceUser) {
    let at = users.iter().position(|u| u.entity == update.entity);
    match (update.state, at) {
        (ItemState::Deleted, Some(i)) => {
            users.remove(i);
        }
        (ItemState::Deleted, None) => {}
        (ItemState::Partial, Some(i)) => {
            let user = &mut users[i];
            if let Some(text) = &update.display_text {
                user.display_text = Some(text.clone());
            }
            for endpoint in &update.endpoints {
                merge_endpoint(&mut user.endpoints, endpoint);
            }
        }
        (_, at) => {
            let Some(user) = present_user(update) else { return };
            match at {
                Some(i) => users[i] = user,
                None => users.push(user),
            }
        }
    }
}

fn merge_endpoint(endpoints: &mut Vec<Endpoint>, update: &Endpoint) {
    let at = endpoints.iter().position(|e| e.entity == update.entity);
    match (update.state, at) {
        (ItemState::Deleted, Some(i)) => {
            endpoints.remove(i);
        }
        (ItemState::Deleted, None) => {}
        (ItemState::Partial, Some(i)) => {
            if let Some(status) = &update.status {
                endpoints[i].status = Some(status.clone());
            }
        }
        (_, Some(i)) => endpoints[i] = Endpoint { state: ItemState::Full, ..update.clone() },
        (_, None) => endpoints.push(Endpoint { state: ItemState::Full, ..update.clone() }),
    }
}
