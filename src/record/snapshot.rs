//! Checks on a restored recorder (docs/requirements.md SNAP-2), beside the recorder because they read its
//! private state. The recorder is saved as it is (serde derives on its types).

use super::objects::{SessionInfo, MAX_ACCEPT_CONTACT, MAX_PARTICIPANTS, MAX_SDP_LEN, MAX_VALUE_LEN};
use super::{live, object_ref, uses_history_folder, Info, Item, Recorder, Stage};
use crate::config::Config;
use crate::{Leg, Time};

/// Why a saved recorder is refused (SNAP-2): the reason inside `Invalid::Recorder`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecorderInvalid {
    /// The recording stage does not fit the configuration (recording on or off).
    #[error("the recording stage does not fit the configuration")]
    Stage,
    /// Items wait for the end-of-session store although nothing waits any more (or nothing
    /// records), or messages await delivery in a session that does not record.
    #[error("items wait where none can")]
    ItemsOutOfStage,
    /// The cost of the messages awaiting delivery is not the sum of their costs, or is over
    /// `max_buffered`.
    #[error("messages awaiting delivery cost {saved}, not {sum} or over max-buffered")]
    AwaitingCost {
        /// The cost saved.
        saved: usize,
        /// The sum of the items' costs.
        sum: usize,
    },
    /// A message from the client awaits its own delivery confirmation.
    #[error("a message from the client awaits delivery")]
    AwaitingFromClient,
    /// An item's object is not the one its message makes, or its arrival number is not below
    /// the next one.
    #[error("an item's object or arrival number is inconsistent")]
    BadItem,
    /// A message on a leg the session does not have.
    #[error("a message on leg {0}, which the session does not have")]
    NoSuchLeg(Leg),
    /// The session info is over the capture bounds (8 KiB values, 16 Accept-Contact values,
    /// 64 KiB of SDP, 256 participants), or its capture time is missing or present wrongly.
    #[error("the session info is over its bounds or inconsistent")]
    SessionInfo,
    /// The folder is said not to exist where it always does.
    #[error("the folder state is inconsistent")]
    Folder,
    /// The recorder's start time is not the session's.
    #[error("the recorder's start time is not the session's")]
    Started,
    /// The conference participants are over `Config::max_participants` or their bounds.
    #[error("the conference participants are over their bounds")]
    Conference,
    /// The kept file is over `Config::max_file_bytes`, or kept by a session that is not a file
    /// transfer.
    #[error("the kept file is over its bound or where no file is kept")]
    File,
}

fn info_within_bounds(info: &SessionInfo) -> bool {
    let value = |v: &Option<String>| v.as_ref().map_or(0, String::len) <= MAX_VALUE_LEN;
    [&info.from, &info.to, &info.subject, &info.conversation_id, &info.contribution_id]
        .into_iter()
        .chain([&info.in_reply_to_contribution_id, &info.p_asserted_service])
        .all(value)
        && info.sdp.as_ref().map_or(0, String::len) <= MAX_SDP_LEN
        && info.accept_contact.len() <= MAX_ACCEPT_CONTACT
        && info.accept_contact.iter().all(|v| v.len() <= MAX_VALUE_LEN)
        && info.invited_participants.len() <= MAX_PARTICIPANTS
        && info.invited_participants.iter().all(|v| v.len() <= MAX_VALUE_LEN)
}

impl Recorder {
    /// Checks a restored recorder against the session's configuration, start time and legs.
    pub(crate) fn check_restored(
        &self,
        config: &Config,
        started: Time,
        has_leg: impl Fn(Leg) -> bool,
    ) -> Result<(), RecorderInvalid> {
        match (config.recording_on(), self.stage) {
            (true, Stage::Open | Stage::Flushed) | (false, Stage::Off) => {}
            _ => return Err(RecorderInvalid::Stage),
        }
        if !self.ready.is_empty() && (self.stage != Stage::Open || live(config)) {
            return Err(RecorderInvalid::ItemsOutOfStage);
        }
        if !self.awaiting.is_empty() && self.stage == Stage::Off {
            return Err(RecorderInvalid::ItemsOutOfStage);
        }
        let sum = self.awaiting.iter().fold(0usize, |sum, item| sum.saturating_add(item.cost()));
        if sum != self.awaiting_cost || sum > config.limits.max_buffered {
            return Err(RecorderInvalid::AwaitingCost { saved: self.awaiting_cost, sum });
        }
        if self.awaiting.iter().any(|item| item.message.leg == Leg::Client) {
            return Err(RecorderInvalid::AwaitingFromClient);
        }
        let items = || self.ready.iter().chain(self.awaiting.iter());
        let consistent = |item: &Item| item.seq < self.next_seq && item.object == object_ref(&item.message);
        if !items().all(consistent) {
            return Err(RecorderInvalid::BadItem);
        }
        if let Some(leg) = items().map(|i| i.message.leg).find(|&l| !has_leg(l)) {
            return Err(RecorderInvalid::NoSuchLeg(leg));
        }
        let info_ok = match &self.info {
            Info::Unknown => self.info_at.is_none(),
            Info::Captured(info) => self.info_at.is_some() && info_within_bounds(info),
            Info::Stored(info) => info.as_deref().map_or(true, info_within_bounds),
        };
        if !info_ok {
            return Err(RecorderInvalid::SessionInfo);
        }
        // The folder exists from the start unless it is a history folder still to be created.
        let exists_from_start = !uses_history_folder(config) || config.history_folder_exists;
        if !self.folder_ready && exists_from_start {
            return Err(RecorderInvalid::Folder);
        }
        if self.started != started {
            return Err(RecorderInvalid::Started);
        }
        let conference_ok = self.conference.as_deref().map_or(true, |c| {
            c.max() == config.max_participants
                && c.users.len() <= config.max_participants
                && c.users.iter().all(|u| u.endpoints.len() <= super::objects::MAX_ENDPOINTS)
        });
        if !conference_ok {
            return Err(RecorderInvalid::Conference);
        }
        let file_ok = match &self.file {
            super::FileState::None => true,
            super::FileState::Kept(file) => {
                config.kind == crate::Kind::FileTransfer && file.len() <= config.max_file_bytes
            }
            super::FileState::TooLarge => config.kind == crate::Kind::FileTransfer,
        };
        if !file_ok {
            return Err(RecorderInvalid::File);
        }
        Ok(())
    }
}
