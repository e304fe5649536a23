//! The object profile (MS-1): which Message Store form the objects take.

use core::fmt;
use core::str::FromStr;

/// The Message Store object profile (MS-1). Both keep REC-1's header rules; they differ where
/// deployed RCS clients and the OMA CPM Message Storage text part ways (see the
/// [module documentation](super)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Profile {
    /// GSMA RCS Common Message Store, the form deployed RCS clients parse (`rcs`, the default):
    /// `Message-Direction` on every object, a one-part session info object, header lines folded
    /// only past 998 octets, `Default/…` mailboxes.
    #[default]
    Rcs,
    /// OMA CPM Message Storage 2.x (`oma`): the multipart forms of docs/standards.md §6.
    Oma,
}

impl Profile {
    /// The configuration spelling: `rcs` or `oma`.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Rcs => "rcs",
            Profile::Oma => "oma",
        }
    }

    /// Whether a one-to-one session stores a session info object in this profile (MS-3).
    ///
    /// **Decision.** `oma`: yes (OMA CPM MS 5.2.7, REC-2). `rcs`: no. GSMA RCC.07 keeps 1-1 chat
    /// in the peer's conversation folder (`Default/tel:+…`) without session history folders, and
    /// the deployed client (Orange rcsjta, `ImapCpmSessionMessage.parseBody`) rejects any session
    /// info object whose `<session-type>` is not `Group` as "not supported". The renderer still
    /// renders one when asked; this tells the recorder not to ask.
    pub fn stores_one_to_one_session_info(self) -> bool {
        match self {
            Profile::Rcs => false,
            Profile::Oma => true,
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A profile name that is neither `rcs` nor `oma`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown Message Store profile {0:?} (expected `rcs` or `oma`)")]
pub struct UnknownProfile(pub String);

impl FromStr for Profile {
    type Err = UnknownProfile;

    /// `rcs` or `oma`, without regard to case or surrounding white space.
    fn from_str(s: &str) -> Result<Profile, UnknownProfile> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("rcs") {
            Ok(Profile::Rcs)
        } else if t.eq_ignore_ascii_case("oma") {
            Ok(Profile::Oma)
        } else {
            Err(UnknownProfile(s.chars().take(64).collect()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(Profile::default(), Profile::Rcs);
        for p in [Profile::Rcs, Profile::Oma] {
            assert_eq!(p.to_string().parse::<Profile>(), Ok(p));
        }
        assert_eq!(" OMA ".parse::<Profile>(), Ok(Profile::Oma));
        assert!("gsma".parse::<Profile>().is_err());
        assert!(!Profile::Rcs.stores_one_to_one_session_info());
        assert!(Profile::Oma.stores_one_to_one_session_info());
    }
}
