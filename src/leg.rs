//! The legs of a Participating Function session (docs/requirements.md, "The session model").

use core::fmt;
use core::str::FromStr;

/// One leg of a session: the served client, the remote CPM entity, or an Interworking Function.
///
/// An interworked session has IWF legs `iwf1`…`iwfN` in place of `remote`.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Leg {
    /// The CPM Client the Participating Function serves.
    Client,
    /// The other CPM entity: the Controlling Function of a group, or the other user's PF.
    Remote,
    /// Interworking Function number `k` (1-based, `iwf1` is `Iwf(1)`).
    Iwf(u8),
}

impl Leg {
    /// `true` for an IWF leg.
    pub fn is_iwf(self) -> bool {
        matches!(self, Leg::Iwf(_))
    }
}

/// The names of the legs: one table for `Display` and `FromStr`.
const CLIENT: &str = "client";
const REMOTE: &str = "remote";
/// `iwfK`: the prefix, then K in decimal without leading zeros.
const IWF_PREFIX: &str = "iwf";

impl fmt::Display for Leg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Leg::Client => f.write_str(CLIENT),
            Leg::Remote => f.write_str(REMOTE),
            Leg::Iwf(k) => write!(f, "{IWF_PREFIX}{k}"),
        }
    }
}

/// A leg name that is not `client`, `remote` or `iwfK` with `K` in 1..=255.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown leg {0:?}: expected client, remote or iwfK (K from 1 to 255)")]
pub struct UnknownLeg(pub String);

impl FromStr for Leg {
    type Err = UnknownLeg;
    fn from_str(s: &str) -> Result<Leg, UnknownLeg> {
        match s {
            CLIENT => Ok(Leg::Client),
            REMOTE => Ok(Leg::Remote),
            _ => s
                .strip_prefix(IWF_PREFIX)
                .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with('0'))
                .and_then(|d| d.parse::<u8>().ok())
                .map(Leg::Iwf)
                .ok_or_else(|| UnknownLeg(s.to_owned())),
        }
    }
}

/// A SIP method the library deals with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// INVITE (RFC 3261).
    Invite,
    /// BYE (RFC 3261).
    Bye,
    /// UPDATE (RFC 3311).
    Update,
    /// REFER (RFC 3515).
    Refer,
    /// MESSAGE (RFC 3428).
    Message,
    /// SUBSCRIBE (RFC 6665).
    Subscribe,
    /// NOTIFY (RFC 6665).
    Notify,
    /// Any other method; the library treats it as not its concern.
    Other,
}

impl Method {
    /// The method from its name, matched case-sensitively as RFC 3261 requires; any name not
    /// in the table of [`crate::names`] is [`Method::Other`].
    pub fn from_name(name: &str) -> Method {
        name.parse().unwrap_or(Method::Other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leg_names_round_trip() {
        for leg in [Leg::Client, Leg::Remote, Leg::Iwf(1), Leg::Iwf(12), Leg::Iwf(255)] {
            assert_eq!(leg.to_string().parse::<Leg>(), Ok(leg));
        }
        for bad in ["", "iwf", "iwf0", "iwf01", "iwf256", "Client", "iwf-1", "remote "] {
            assert!(bad.parse::<Leg>().is_err(), "{bad:?} must not parse");
        }
    }

    #[test]
    fn methods_are_case_sensitive() {
        assert_eq!(Method::from_name("BYE"), Method::Bye);
        assert_eq!(Method::from_name("bye"), Method::Other);
        assert_eq!(Method::Refer.to_string(), "REFER");
    }
}
