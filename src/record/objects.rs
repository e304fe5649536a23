//! Message Store objects rendered as RFC 5322 messages (REC-1; OMA CPM Message Storage 5.2.x,
//! digested in docs/standards.md §6), in the object profile the configuration chooses (MS-1 … MS-8),
//! and the helpers the recorder needs to build them.
//!
//! - [`Profile`]: `rcs` (the default, the GSMA RCS Common Message Store form deployed clients
//!   parse) or `oma` (OMA CPM Message Storage 2.x). Every renderer takes it in
//!   [`ObjectHeaders::profile`].
//! - [`rfc5322_date`], [`iso8601_date`]: the `Date` header and the CPIM `DateTime` /
//!   group state `timestamp` forms of a [`Time`](crate::Time); [`parse_cpim_date_time`]: a CPIM
//!   `DateTime` read back (MS-4).
//! - [`IdGenerator`]: IMDN-Message-IDs from a caller-provided seed; [`derived_message_id`]: the
//!   RFC 5322 `Message-ID` made from one.
//! - [`inspect_payload`]: is a complete MSRP message a disposition notification (REC-IMDN), and
//!   what is its CPIM `imdn.Message-ID`.
//! - [`write_header`], [`sanitize_value`]: RFC 5322 header lines, folded, injection-proof;
//!   [`identity`]: `From`/`To` values as RFC 5322 parsers read them; [`phone_number`]: `tel:+E164`.
//! - [`SessionInfo::from_request`]: the session data of the first INVITE or REFER (REC-4a).
//! - The renderers: [`render_chat_message`], [`render_notification`], [`render_session_info`],
//!   [`render_ft_history`], [`render_group_state`], each returning the bytes to store.
//! - [`parse_conference_info`], [`ConferenceInfo`]: the group's participants from RFC 4575
//!   NOTIFY bodies (MS-5); [`FileSelector`], [`file_description`]: the file of an FT SDP (MS-6).
//! - [`mailbox`]: the IMAP mailbox name of a folder (MS-8).
//!
//! # What every object looks like
//!
//! Header lines end in CRLF and never exceed 998 octets; `oma` folds them before 78 characters
//! where a word allows, `rcs` only when a line would pass 998 octets (MS-7: deployed clients
//! unfold by removing CRLF and the space after it). Values are sanitized (no CR, LF or other
//! control characters); a blank line separates headers and body. Headers appear in this order,
//! each only in the objects the OMA CPM MS header rules give it (M: always; O: when the value is
//! known; –: never):
//!
//! | header | chat message | notification | session info | FT history | group state |
//! |---|---|---|---|---|---|
//! | `From`, `To`, `Date`, `Message-ID` | M | M | M | M | M |
//! | `Subject` | – | – | O | O | O |
//! | `Conversation-ID` | O | O | O | O | O |
//! | `Contribution-ID` | M | M | M | M | M |
//! | `InReplyTo-Contribution-ID` | – | – | O | O | – |
//! | `P-Asserted-Service` | – | – | O | O | – |
//! | `Accept-Contact` (one per value) | O | O | O | O | – |
//! | `IMDN-Message-ID` | M | M | M | M | M |
//! | `Message-Direction` (`rcs` only) | M | M | M | M | M |
//! | `MIME-Version: 1.0` | M | M | M | M | M |
//! | `Content-Type` | `Message/CPIM` | `Message/CPIM` | `rcs`: `Application/X-CPM-Session`; `oma`: `multipart/related;…"Application/X-CPM-Session"` | `multipart/related;…"Application/X-CPM-File-Transfer"` | `application/group-state-object+xml` |
//!
//! Decisions where the sources leave room:
//! - `Conversation-ID` is mandatory, but a request may lack it; then it is left out rather than
//!   written empty. An empty `From` or `To` is the withheld identity: `anonymous` in `oma` (the MS
//!   rule), `<sip:anonymous@anonymous.invalid>` in `rcs` (RFC 3323; what rcsjta knows).
//! - `From`/`To` are `<uri>` or `"Name" <uri>` (RFC 5322 `name-addr`), a non-ASCII name as RFC
//!   2047 encoded-words ([`identity`]): a bare `tel:`/`sip:` URI is no `addr-spec`.
//! - MS-2: `Message-Direction` is mandatory in [`ObjectHeaders`] (a [`Direction`], not an
//!   `Option`) and written in `rcs`. `Message-ID` is the caller's
//!   ([`ObjectHeaders::message_id`]) or `<IMDNID@cpm-pf.invalid>` ([`derived_message_id`]): the
//!   IMDN-Message-ID is already unique per object (REC-1), the `.invalid` domain (RFC 2606)
//!   claims no host, and the same object rendered again keeps its Message-ID.
//! - MS-4: the `Date` is [`ObjectHeaders::date`], given by the caller (a message's arrival or
//!   CPIM `DateTime`, never the time of storing), RFC 5322 in UTC (`+0000`), never ISO 8601; a
//!   CPIM wrapper the PF writes has a `DateTime` of that same instant.
//! - A notification exchanged over MSRP in a session follows the chat message rules (the MS
//!   table asks `P-Asserted-Service` only of notifications received by SIP MESSAGE).
//! - `Accept-Contact` in chat messages and notifications repeats the session's INVITE values
//!   (the MS table: "one per Accept-Contact of the associated SIP request"); the group state
//!   object's header list has none.
//! - MS-7: a body (or body part) that is UTF-8 text with CRLF line ends and lines of at most 998
//!   octets is stored as is (`8bit` declared when it is not ASCII); any other (binary, bare LF or
//!   CR, NUL) is base64 ([`TransferEncoding`]), so an IMAP server returns it byte for byte. A
//!   multipart is never encoded itself (RFC 2045 §6.4), only its parts. The octets never change.
//! - MS-3: the session info document is `<?xml …?><session>` around the OMA elements, group
//!   sessions `Group` (RCS), see [`SessionType`]. `rcs` stores it as the one part of the object,
//!   `oma` as the one part of a `multipart/related`. A 1-1 session stores none in `rcs`
//!   ([`Profile::stores_one_to_one_session_info`]): GSMA RCC.07 keeps 1-1 chat in the peer's
//!   conversation folder without a session history folder, and rcsjta refuses any session info
//!   whose type is not `Group`.
//! - MS-5: the group state's participants and `lastfocussessionid` (the focus URI, never the
//!   Conference-Factory URI) come from the caller; in `rcs` a phone-number `comm-addr` is
//!   `tel:+E164`.
//! - MS-6: the FT part follows the OMA example (elements without a root); whether the file was
//!   kept is said as [`render_ft_history`] documents.
//! - In `rcs` a CPIM wrapper the PF writes for a 1-1 chat has anonymous CPIM `From`/`To`
//!   ([`ObjectHeaders::one_to_one_chat`]).
//! - The multipart boundary is `cpm` unless the content holds `--cpm`; then `cpm-N`.
//!
//! # What the deployed client reads (Orange rcsjta CMS, `yplo6403/rcsjta`)
//!
//! Every `rcs` object satisfies these readers, under `core/src/com/gsma/rcs/core/cms/`:
//! - `protocol/message/ImapMessageResolver.java`: the object type comes from the IMAP
//!   `Content-Type`, compared lower-cased: `message/cpim` (then the CPIM content type must
//!   contain `text/plain` for a chat message or `message/imdn+xml` for a notification), or one
//!   *containing* `application/x-cpm-session`, `application/group-state-object+xml`,
//!   `application/x-cpm-file-transfer`.
//! - `ImapCpimMessage.java` (chat, IMDN, file transfer over HTTP): `Message-Direction` is required (`sent`: the peer is
//!   `To`, else `From`); `ImapChatMessage`/`ImapImdnMessage`: `Contribution-ID`,
//!   `IMDN-Message-ID` required; CPIM `From` `<sip:anonymous@anonymous.invalid>` marks 1-1.
//! - `ImapCpmSessionMessage.java`: `Message-Direction`, `Date` (`EEE, dd MMM yyyy HH:mm:ss Z`,
//!   `utils/DateUtils.java`), `Contribution-ID`, `IMDN-Message-ID` required; the body is parsed
//!   as XML (`cpmsession/CpmSessionParser.java`: `<session-type>`, which must be `Group`,
//!   `<invited-participants>` split on `;`).
//! - `groupstate/GroupStateParser.java`: `<groupstate>` with both `timestamp` and
//!   `lastfocussessionid` (else no document), `<participant comm-addr>` read by
//!   `utils/CmsUtils.headerToContact` (strips a leading `tel:` only).
//! - No reader for the File Transfer History object (`resolveMessage` has no case for it): its
//!   form follows the OMA example, with the type rcsjta's resolver recognises.
//! - `Constants.java`, `utils/CmsUtils.java`: root `Default`, separator `/`, 1-1 folder
//!   `Default/tel:+E164`, group folder `Default/<Conversation-ID>/<Contribution-ID>`.
//!
//! Known gap, by decision: rcsjta reads the IMAP `From`/`To` of CPIM objects with
//! `CmsUtils.headerToContact`, which expects a bare `tel:+E164` (its tests store
//! `From: +33642575779`); MS-7's `<tel:+…>` form, chosen so that RFC 5322 parsers read the
//! address, is not stripped of its `<>` there.

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
    parse_conference_info, ConferenceError, ConferenceInfo, ConferenceUser, Endpoint, ItemState, MAX_DEPTH,
    MAX_ENDPOINTS,
};
pub use cpim::{
    cpim_imdn_message_id, inspect_payload, is_disposition_notification, media_type_is, PayloadInfo,
    MAX_HEADER_BYTES, MAX_NAMESPACES,
};
pub use date::{iso8601_date, parse_cpim_date_time, rfc5322_date};
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
