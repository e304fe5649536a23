//! The names of the library's closed sets, as scenario scripts (`docs/scenarios.md`) write them:
//! one table per set, from which both `Display` and `FromStr` are generated, so that what is
//! printed is exactly what is parsed.
//!
//! - plain enums ([`Method`], [`Procedure`], [`Role`], [`Kind`], [`Side`]): one
//!   `Variant => "name"` list each, expanded by the `names!` macro into `as_str`, a `NAMES`
//!   constant, `Display` and `FromStr` (error: [`UnknownName`]);
//! - flag sets ([`Preferences`](crate::Preferences), [`Policy`](crate::Policy)): bitflags'
//!   own names, kebab-cased (`ALLOW_OFFLINE_STORAGE` is `allow-offline-storage`), as comma
//!   lists ([`format_flags`], [`parse_flags`]);
//! - [`ObjectRef`]: its `Display` is the table; `FromStr` reads back what it prints.
//!
//! ```
//! use cpm_pf::names::{format_flags, parse_flags};
//! use cpm_pf::{Kind, Policy, Preferences};
//!
//! assert_eq!("file-transfer".parse::<Kind>(), Ok(Kind::FileTransfer));
//! assert_eq!(Kind::Group.to_string(), "group");
//! let prefs: Preferences = parse_flags("allow-store,allow-defer").unwrap();
//! assert_eq!(prefs, Preferences::ALLOW_STORE | Preferences::ALLOW_DEFER);
//! assert_eq!(format_flags(Policy::LIVE_RECORDING), "live-recording");
//! let err = "admin".parse::<cpm_pf::Role>().unwrap_err();
//! assert_eq!(err.to_string(), "unknown role \"admin\": expected b2bua or proxy");
//! ```

use core::fmt;
use core::str::FromStr;

use crate::config::{Kind, Role, Side};
use crate::dispatch::Procedure;
use crate::grammar::message_id::MessageId;
use crate::grammar::GrammarError;
use crate::{Method, ObjectRef};

/// The most characters of a script line an error message quotes; longer text is cut and ends
/// with `…`.
pub const QUOTE_MAX_CHARS: usize = 200;

/// `text` quoted as `{:?}` would, cut to [`QUOTE_MAX_CHARS`] characters (never inside a UTF-8
/// sequence) with `…` added when cut.
///
/// ```
/// use cpm_pf::names::quote;
/// assert_eq!(quote("ab"), "\"ab\"");
/// let long = "é".repeat(300);
/// assert_eq!(quote(&long), format!("{:?}", format!("{}…", "é".repeat(200))));
/// ```
pub fn quote(text: &str) -> String {
    match text.char_indices().nth(QUOTE_MAX_CHARS) {
        None => format!("{text:?}"),
        Some((cut, _)) => format!("{:?}", format!("{}…", &text[..cut])),
    }
}

/// `a`, `a or b`, `a, b or c`: how an error lists what was expected.
pub fn one_of<S: AsRef<str>>(names: &[S]) -> String {
    let mut out = String::new();
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            out.push_str(if i + 1 == names.len() { " or " } else { ", " });
        }
        out.push_str(name.as_ref());
    }
    out
}

/// A name that is not in its set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {}: expected {expected}", quote(found))]
pub struct UnknownName {
    /// Which set (`role`, `method`, `policy flag`, …).
    pub what: &'static str,
    /// The name given.
    pub found: String,
    /// The names of the set, listed for a person (`b2bua or proxy`).
    pub expected: String,
}

/// Generates `as_str`, `NAMES`, `Display` and `FromStr` for a plain enum from one table.
macro_rules! names {
    ($ty:ident, $what:literal, { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Every name of this set, in the order of the table.
            pub const NAMES: &'static [&'static str] = &[$($name),+];

            /// The name, as scenario scripts write it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name,)+
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = UnknownName;
            fn from_str(s: &str) -> Result<$ty, UnknownName> {
                match s {
                    $($name => Ok($ty::$variant),)+
                    _ => Err(UnknownName { what: $what, found: s.to_owned(), expected: one_of($ty::NAMES) }),
                }
            }
        }
    };
}

names!(Method, "method", {
    Invite => "INVITE",
    Bye => "BYE",
    Update => "UPDATE",
    Refer => "REFER",
    Message => "MESSAGE",
    Subscribe => "SUBSCRIBE",
    Notify => "NOTIFY",
    Other => "OTHER",
});

names!(Procedure, "procedure", {
    PagerMode => "pager-mode",
    LargeMessage => "large-message",
    DeferredNotification => "deferred-notification",
    DeferredDelivery => "deferred-delivery",
    SessionInvitation => "session-invitation",
    FileTransfer => "file-transfer",
    NotCpm => "not-cpm",
});

names!(Role, "role", { B2bua => "b2bua", Proxy => "proxy" });

names!(Kind, "kind", { OneToOne => "one-to-one", Group => "group", FileTransfer => "file-transfer" });

names!(Side, "side", { Originating => "originating", Terminating => "terminating" });

// ---- flag sets -----------------------------------------------------------------------------

/// The kebab-case name of a flag from its bitflags name (`ALLOW_STORE` is `allow-store`).
fn kebab(flag_name: &str) -> String {
    flag_name.to_ascii_lowercase().replace('_', "-")
}

/// Every flag's kebab-case name, in declaration order.
pub fn flag_names<F: bitflags::Flags>() -> Vec<String> {
    F::all().iter_names().map(|(name, _)| kebab(name)).collect()
}

/// The flags as a comma list without spaces, in declaration order (empty for none).
///
/// ```
/// use cpm_pf::names::format_flags;
/// use cpm_pf::Preferences;
/// let all = Preferences::all();
/// assert_eq!(format_flags(all), "allow-offline-storage,allow-store,allow-defer");
/// ```
pub fn format_flags<F: bitflags::Flags>(flags: F) -> String {
    let names: Vec<String> = flags.iter_names().map(|(name, _)| kebab(name)).collect();
    names.join(",")
}

/// The union of the flags named in a comma list (no spaces), the form [`format_flags`] prints.
/// An empty list or an empty item is an error, as is a name not in the set.
pub fn parse_flags<F: bitflags::Flags>(list: &str) -> Result<F, UnknownName> {
    list.split(',').try_fold(F::empty(), |all, item| {
        F::all()
            .iter_names()
            .find(|(name, _)| kebab(name) == item)
            .map(|(_, flag)| all.union(flag))
            .ok_or_else(|| UnknownName {
                what: "flag",
                found: item.to_owned(),
                expected: format!("a comma list of {}", flag_names::<F>().join(", ")),
            })
    })
}

// ---- objects -------------------------------------------------------------------------------

/// The objects named by one word.
const PLAIN_OBJECTS: [ObjectRef; 3] = [ObjectRef::SessionInfo, ObjectRef::GroupState, ObjectRef::FtHistory];

/// The objects named by a word and a Message-ID.
const OBJECTS_WITH_ID: [fn(MessageId) -> ObjectRef; 2] = [ObjectRef::ChatMessage, ObjectRef::Imdn];

/// The first word of what `ObjectRef`'s `Display` prints for `make(id)`.
fn name_with_id(make: fn(MessageId) -> ObjectRef, id: MessageId) -> String {
    make(id).to_string().split(' ').next().unwrap_or_default().to_owned()
}

/// A valid Message-ID, to print the name of an object that carries one.
fn sample_id() -> Result<MessageId, GrammarError> {
    MessageId::parse("abcd")
}

/// Every object name, listed for a person: `session-info, …, chat-message ID or imdn ID`.
pub fn object_names() -> String {
    let mut names: Vec<String> = PLAIN_OBJECTS.iter().map(ToString::to_string).collect();
    if let Ok(id) = sample_id() {
        names.extend(OBJECTS_WITH_ID.iter().map(|&make| format!("{} ID", name_with_id(make, id))));
    }
    one_of(&names)
}

/// Why a text is not an [`ObjectRef`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ObjectRefError {
    /// Nothing was given.
    #[error("expected an object")]
    Missing,
    /// The first word names no object.
    #[error("unknown object {}: expected {}", quote(.0), object_names())]
    UnknownObject(String),
    /// The object takes a Message-ID and none was given.
    #[error("{0} needs a message id")]
    MissingId(String),
    /// The Message-ID does not follow RFC 4975.
    #[error("bad message id {}: {error}", quote(.id))]
    BadMessageId {
        /// The id given.
        id: String,
        /// What is wrong with it.
        error: GrammarError,
    },
    /// More words than the object takes.
    #[error("unexpected {} after the object", quote(.0))]
    TrailingText(String),
}

impl ObjectRef {
    /// Reads an object from the words `name [ID]`: how `Display` prints it. Returns the object
    /// and how many words it took (1 or 2), the rest left to the caller.
    pub fn from_words(name: Option<&str>, id: Option<&str>) -> Result<(ObjectRef, usize), ObjectRefError> {
        let name = name.ok_or(ObjectRefError::Missing)?;
        if let Some(&object) = PLAIN_OBJECTS.iter().find(|o| o.to_string() == name) {
            return Ok((object, 1));
        }
        let sample = sample_id().map_err(|_| ObjectRefError::UnknownObject(name.to_owned()))?;
        let make = OBJECTS_WITH_ID
            .iter()
            .find(|&&make| name_with_id(make, sample) == name)
            .ok_or_else(|| ObjectRefError::UnknownObject(name.to_owned()))?;
        let id = id.ok_or_else(|| ObjectRefError::MissingId(name.to_owned()))?;
        let id = MessageId::parse(id)
            .map_err(|error| ObjectRefError::BadMessageId { id: id.to_owned(), error })?;
        Ok((make(id), 2))
    }
}

/// ```
/// use cpm_pf::grammar::message_id::MessageId;
/// use cpm_pf::ObjectRef;
/// let chat: ObjectRef = "chat-message m1-000".parse().unwrap();
/// assert_eq!(chat, ObjectRef::ChatMessage(MessageId::parse("m1-000").unwrap()));
/// assert_eq!(chat.to_string(), "chat-message m1-000");
/// assert!("imdn".parse::<ObjectRef>().is_err());
/// ```
impl FromStr for ObjectRef {
    type Err = ObjectRefError;
    fn from_str(s: &str) -> Result<ObjectRef, ObjectRefError> {
        let mut words = s.split(' ');
        let (object, n) = ObjectRef::from_words(words.next(), words.next())?;
        match s.splitn(n + 1, ' ').nth(n) {
            None => Ok(object),
            Some(rest) => Err(ObjectRefError::TrailingText(rest.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Policy, Preferences};

    #[test]
    fn plain_names_round_trip() {
        for name in Method::NAMES {
            assert_eq!(name.parse::<Method>().map(Method::as_str), Ok(*name));
        }
        for name in Procedure::NAMES.iter().chain(Role::NAMES).chain(Kind::NAMES).chain(Side::NAMES) {
            let printed = [
                name.parse::<Procedure>().map(|p| p.to_string()),
                name.parse::<Role>().map(|p| p.to_string()),
                name.parse::<Kind>().map(|p| p.to_string()),
                name.parse::<Side>().map(|p| p.to_string()),
            ];
            assert!(printed.iter().any(|p| p.as_deref() == Ok(*name)), "{name}");
        }
        assert!("Group".parse::<Kind>().is_err());
        assert!("bye".parse::<Method>().is_err());
    }

    #[test]
    fn flag_lists_round_trip() {
        for bits in 0..=Policy::all().bits() {
            let policy = Policy::from_bits_truncate(bits);
            let text = format_flags(policy);
            if !policy.is_empty() {
                assert_eq!(parse_flags::<Policy>(&text), Ok(policy), "{text}");
            }
        }
        assert_eq!(
            flag_names::<Policy>(),
            ["long-lived-restart", "iwf-bye-closes-streams", "live-recording", "skip-services-on-iari"]
        );
        for bad in ["", "allow-store,", "allow-store, allow-defer", "ALLOW_STORE", "allow_store"] {
            assert!(parse_flags::<Preferences>(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn objects_round_trip() {
        let id = MessageId::parse("m1-000").unwrap();
        for object in [
            ObjectRef::SessionInfo,
            ObjectRef::GroupState,
            ObjectRef::FtHistory,
            ObjectRef::ChatMessage(id),
            ObjectRef::Imdn(id),
        ] {
            assert_eq!(object.to_string().parse::<ObjectRef>(), Ok(object));
        }
        assert_eq!(object_names(), "session-info, group-state, ft-history, chat-message ID or imdn ID");
        assert_eq!("imdn".parse::<ObjectRef>(), Err(ObjectRefError::MissingId("imdn".into())));
        assert!(
            matches!("imdn m1-000 x".parse::<ObjectRef>(), Err(ObjectRefError::TrailingText(t)) if t == "x")
        );
        assert!(matches!("note".parse::<ObjectRef>(), Err(ObjectRefError::UnknownObject(_))));
        assert!(matches!("chat-message ab".parse::<ObjectRef>(), Err(ObjectRefError::BadMessageId { .. })));
    }

    #[test]
    fn quotes_are_cut_at_characters() {
        assert_eq!(quote(&"x".repeat(QUOTE_MAX_CHARS)), format!("\"{}\"", "x".repeat(QUOTE_MAX_CHARS)));
        let cut = quote(&"ü".repeat(QUOTE_MAX_CHARS + 1));
        assert_eq!(cut, format!("\"{}…\"", "ü".repeat(QUOTE_MAX_CHARS)));
        assert_eq!(one_of(&["a"]), "a");
        assert_eq!(one_of(&["a", "b", "c"]), "a, b or c");
    }
}
