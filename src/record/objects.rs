//! Message Store objects rendered as RFC 5322 messages (REC-1; OMA CPM Message Storage 5.2.x,
//! digested in STANDARDS.md §6), and the helpers the recorder needs to build them.
//!
//! - [`rfc5322_date`], [`iso8601_date`]: the `Date` header and the CPIM `DateTime` /
//!   group state `timestamp` forms of a [`Time`](crate::Time).
//! - [`IdGenerator`]: IMDN-Message-IDs from a caller-provided seed.
//! - [`inspect_payload`]: is a complete MSRP message a disposition notification (REC-IMDN), and
//!   what is its CPIM `imdn.Message-ID`.
//! - [`write_header`], [`sanitize_value`]: RFC 5322 header lines, folded, injection-proof.
//! - [`SessionInfo::from_request`]: the session data of the first INVITE or REFER (REC-4a).
//! - The renderers: [`render_chat_message`], [`render_notification`], [`render_session_info`],
//!   [`render_ft_history`], [`render_group_state`], each returning the bytes to store.
//!
//! # What every object looks like
//!
//! Header lines end in CRLF, are folded before 78 characters where a word allows and never
//! exceed 998 octets; values are sanitized (no CR, LF or other control characters); a blank line
//! separates headers and body. Headers appear in this order, each only in the objects the OMA CPM
//! MS header rules give it (M: always; O: when the value is known; –: never):
//!
//! | header | chat message | notification | session info | FT history | group state |
//! |---|---|---|---|---|---|
//! | `From`, `To`, `Date` | M | M | M | M | M |
//! | `Subject` | – | – | O | O | O |
//! | `Conversation-ID` | O | O | O | O | O |
//! | `Contribution-ID` | M | M | M | M | M |
//! | `InReplyTo-Contribution-ID` | – | – | O | O | – |
//! | `P-Asserted-Service` | – | – | O | O | – |
//! | `Accept-Contact` (one per value) | O | O | O | O | – |
//! | `IMDN-Message-ID` | M | M | M | M | M |
//! | `Message-Direction` (RCS CMS) | O | O | O | O | O |
//! | `MIME-Version: 1.0` | M | M | M | M | M |
//! | `Content-Type` | `Message/CPIM` | `Message/CPIM` | `multipart/related;…"Application/X-CPM-Session"` | `multipart/related;…"Application/X-CPM-File-Transfer"` | `application/group-state-object+xml` |
//!
//! Decisions where the sources leave room:
//! - `Conversation-ID` is mandatory, but a request may lack it; then it is left out rather than
//!   written empty. An empty `From` or `To` is written `anonymous` (the MS rule for a withheld
//!   identity).
//! - A notification exchanged over MSRP in a session follows the chat message rules (the MS
//!   table asks `P-Asserted-Service` only of notifications received by SIP MESSAGE).
//! - `Accept-Contact` in chat messages and notifications repeats the session's INVITE values
//!   (the MS table: "one per Accept-Contact of the associated SIP request"); the group state
//!   object's header list has none.
//! - The `Date` is RFC 5322 in UTC (`+0000`), never ISO 8601.
//! - Bodies are stored octet for octet; when they are not 7-bit CRLF text the object says so
//!   with `Content-Transfer-Encoding: 8bit` or `binary`. Text the renderer writes itself (the
//!   session info and FT parts, the CPIM wrapper) has CRLF line ends.
//! - The session info part takes the RCS CMS form (XML declaration, `<session>` root around
//!   the OMA elements) and group sessions are `Group` (RCS), see [`SessionType`]; the FT part
//!   follows the OMA example (elements without a root).
//! - The multipart boundary is `cpm` unless the content holds `--cpm`; then `cpm-N`.

mod address;
mod capture;
mod conference;
mod cpim;
mod date;
mod fold;
mod ids;
mod mailbox;
mod profile;
mod render;
mod sdp;
mod xml;

pub use address::{identity, phone_number, ANONYMOUS_URI};
pub use capture::{SessionInfo, MAX_ACCEPT_CONTACT, MAX_PARTICIPANTS, MAX_SDP_LEN, MAX_VALUE_LEN};
pub use conference::{
    parse_conference_info, ConferenceError, ConferenceInfo, ConferenceUser, Endpoint, ItemState,
    MAX_ENDPOINTS,
};
pub use cpim::{
    cpim_imdn_message_id, inspect_payload, is_disposition_notification, media_type_is, PayloadInfo,
    MAX_HEADER_BYTES, MAX_NAMESPACES,
};
pub use date::{iso8601_date, rfc5322_date};
pub use fold::{
    sanitize_value, write_header, write_header_folded_at, TransferEncoding, HARD_LINE_LIMIT, SOFT_LINE_LIMIT,
};
pub use ids::{IdGenerator, ID_LEN};
pub use mailbox::{mailbox, modified_utf7, MailboxKind, RCS_ROOT, SEPARATOR_STAND_IN};
pub use profile::{Profile, UnknownProfile};
pub use render::{
    derived_message_id, render_chat_message, render_ft_history, render_group_state, render_notification,
    render_session_info, Direction, FileObject, GroupParticipant, GroupState, GroupType, ObjectHeaders,
    SessionType, DERIVED_ID_DOMAIN, FILE_NOT_KEPT,
};
pub use sdp::{file_description, FileSelector};
