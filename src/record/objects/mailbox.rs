//! IMAP mailbox names of the folders a session records into (MS-8).
//!
//! | profile | 1-1 / file transfer (conversation folder) | group (session history folder) |
//! |---|---|---|
//! | `rcs` | `Default/<peer>`, a phone-number peer as `tel:+E164` | `Default/<Conversation-ID>/<Contribution-ID>` |
//! | `oma` | `<Conversation-ID>` | `<Conversation-ID>/<Contribution-ID>` |
//!
//! The `rcs` names are those of Orange rcsjta's CMS code (`CmsUtils.contactToCmsFolder`,
//! `groupChatToCmsFolder`: root `Default`, separator `/`). `oma` (OMA CPM MS 5.2.2, 5.2.4) names
//! the conversation history folder by the Conversation-ID and the session history folder, its
//! child, by the Contribution-ID; the user's root is the embedder's (no prefix is written).
//!
//! **Decisions.**
//! - A missing Conversation-ID: `oma` names a conversation folder by the peer instead, and a
//!   group's conversation level by the Contribution-ID (rcsjta uses the chat ID for both).
//! - Each level is one name: a `/` inside an ID or a peer URI is replaced by U+2215 DIVISION
//!   SLASH (`∕`, [`SEPARATOR_STAND_IN`]), which looks the same to a user and is not the hierarchy
//!   separator, so it never creates a level. (Modified UTF-7 may not encode a printable ASCII
//!   character, and a `%2F`-style escape would put an IMAP LIST wildcard, `%`, into names.)
//!   An empty level is written `anonymous`.
//! - Names are in IMAP modified UTF-7 (RFC 3501 §5.1.3, [`modified_utf7`]). The encoder is ours,
//!   on the `base64` crate's `IMAP_MUTF7` alphabet: the `utf7-imap` crate pulls `regex` and an
//!   old `base64`, and leaves DEL (0x7F) unencoded.

use base64::alphabet::IMAP_MUTF7;
use base64::engine::general_purpose::{GeneralPurpose, NO_PAD};
use base64::Engine as _;

use super::address::{phone_number, split_name_addr};
use super::profile::Profile;

/// The root folder of the RCS Common Message Store.
pub const RCS_ROOT: &str = "Default";
/// What a `/` inside a name becomes: U+2215 DIVISION SLASH.
pub const SEPARATOR_STAND_IN: char = '\u{2215}';

const MUTF7: GeneralPurpose = GeneralPurpose::new(&IMAP_MUTF7, NO_PAD);

/// The folder whose mailbox name is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MailboxKind<'a> {
    /// A 1-1 or file-transfer session's conversation folder.
    Conversation {
        /// The other user (a URI, possibly in `<>` with a display name).
        peer: &'a str,
        /// The Conversation-ID, when known.
        conversation_id: Option<&'a str>,
    },
    /// A group session's session history folder.
    SessionHistory {
        /// The Conversation-ID, when known.
        conversation_id: Option<&'a str>,
        /// The Contribution-ID.
        contribution_id: &'a str,
    },
}

/// The IMAP mailbox name of `kind` in `profile` (see the module documentation), in modified
/// UTF-7 with `/` separating levels.
///
/// ```
/// use cpm_pf::objects::{mailbox, MailboxKind, Profile};
/// let peer = MailboxKind::Conversation { peer: "sip:+33600112233@ims.example;user=phone", conversation_id: None };
/// assert_eq!(mailbox(peer, Profile::Rcs), "Default/tel:+33600112233");
/// let group = MailboxKind::SessionHistory { conversation_id: Some("conv"), contribution_id: "contrib" };
/// assert_eq!(mailbox(group, Profile::Oma), "conv/contrib");
/// ```
pub fn mailbox(kind: MailboxKind<'_>, profile: Profile) -> String {
    let known = |v: Option<&str>| v.map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
    let levels: Vec<String> = match kind {
        MailboxKind::Conversation { peer, conversation_id } => {
            let peer = phone_number(peer).unwrap_or_else(|| split_name_addr(peer.trim()).1.trim().to_owned());
            match profile {
                Profile::Oma => vec![known(conversation_id).unwrap_or(peer)],
                _ => vec![RCS_ROOT.to_owned(), peer],
            }
        }
        MailboxKind::SessionHistory { conversation_id, contribution_id } => {
            let contribution = contribution_id.trim().to_owned();
            let conversation = known(conversation_id).unwrap_or_else(|| contribution.clone());
            match profile {
                Profile::Oma => vec![conversation, contribution],
                _ => vec![RCS_ROOT.to_owned(), conversation, contribution],
            }
        }
    };
    let mut out = String::new();
    for (i, level) in levels.iter().enumerate() {
        if i > 0 {
            out.push('/');
        }
        let level = if level.is_empty() { "anonymous" } else { level };
        out.push_str(&modified_utf7(&level.replace('/', &SEPARATOR_STAND_IN.to_string())));
    }
    out
}

/// `name` in IMAP modified UTF-7 (RFC 3501 §5.1.3): printable US-ASCII (0x20–0x7E) stands for
/// itself except `&`, written `&-`; every run of other characters is `&`, the modified BASE64
/// (`,` for `/`, no padding) of its UTF-16BE form, and `-`.
///
/// ```
/// use cpm_pf::objects::modified_utf7;
/// assert_eq!(modified_utf7("~peter/mail/台北/日本語"), "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
/// ```
pub fn modified_utf7(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 8);
    let mut run: Vec<u8> = Vec::new();
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut out, &mut run);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            for unit in c.encode_utf16(&mut [0; 2]) {
                run.extend_from_slice(&unit.to_be_bytes());
            }
        }
    }
    flush(&mut out, &mut run);
    out
}

fn flush(out: &mut String, run: &mut Vec<u8>) {
    if !run.is_empty() {
        out.push('&');
        out.push_str(&MUTF7.encode(&run));
        out.push('-');
        run.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3501_examples() {
        // RFC 3501 §5.1.3: "~peter/mail/台北/日本語" and "&" alone.
        assert_eq!(modified_utf7("台北"), "&U,BTFw-");
        assert_eq!(modified_utf7("日本語"), "&ZeVnLIqe-");
        assert_eq!(modified_utf7("&"), "&-");
        assert_eq!(modified_utf7("Tom & Jerry"), "Tom &- Jerry");
        // RFC 2152 / RFC 3501: one run, not "&U,BTFw-&ZeVnLIqe-".
        assert_eq!(modified_utf7("台北日本語"), "&U,BTF2XlZyyKng-");
        assert_eq!(modified_utf7("\u{7f}"), "&AH8-");
        assert_eq!(modified_utf7("😀"), "&2D3eAA-");
        assert_eq!(modified_utf7(""), "");
    }
}
